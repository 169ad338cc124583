/* test-blas.c: swag_sgemm, swag_ssyrk against references. GPL-3.0-or-later. */
#include <float.h>
#include <math.h>
#include <string.h>

#include <glib.h>

#include "swag-blas.h"

/* Padding columns (beyond n, within ld) hold this: BLAS must not touch them. */
#define SENTINEL 12345.0f

/* Both sides err by at most about k * eps * sum |alpha a b| (+ |beta c|) per
 * entry; the bound below is that, and it is still far below the size of any
 * indexing or transposition mistake (about the entries themselves). */
#define GEMM_RTOL (4.0 * FLT_EPSILON)

/* |got - want| <= tol, naming both values when it fails. */
#define assert_close(got, want, tol)                                     \
  G_STMT_START {                                                         \
    const double got_ = (got), want_ = (want), tol_ = (tol);             \
    if (!(fabs (got_ - want_) <= tol_))                                  \
      g_test_message ("got %.9g, want %.9g, tol %.3g", got_, want_, tol_); \
    g_assert_cmpfloat (fabs (got_ - want_), <=, tol_);                   \
  } G_STMT_END

static void
fill_uniform (GRand *rng, float *x, gsize n)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
}

typedef struct
{
  const char *name;
  gboolean    ta, tb;
  int         m, n, k;
  int         pad;    /* lda, ldb, ldc exceed the stored row by this */
  float       alpha, beta;
} GemmCase;

static const GemmCase gemm_cases[] = {
  { "nn",            FALSE, FALSE, 13, 17, 19, 0, 1.0f,  0.0f },
  { "nt",            FALSE, TRUE,  13, 17, 19, 0, 1.0f,  0.0f },
  { "tn",            TRUE,  FALSE, 13, 17, 19, 0, 1.0f,  0.0f },
  { "tt",            TRUE,  TRUE,  13, 17, 19, 0, 1.0f,  0.0f },
  { "nn-ld-beta1",   FALSE, FALSE, 31,  7, 45, 5, 0.75f, 1.0f },
  { "nt-ld-beta1",   FALSE, TRUE,  31,  7, 45, 5, 0.75f, 1.0f },
  { "tn-ld-beta1",   TRUE,  FALSE, 31,  7, 45, 5, 0.75f, 1.0f },
  { "tt-ld-beta1",   TRUE,  TRUE,  31,  7, 45, 5, 0.75f, 1.0f },
  { "tn-ld-beta0",   TRUE,  FALSE,  1, 67,  3, 3, -2.0f, 0.0f },
  { "nt-beta-half",  FALSE, TRUE,  67,  1, 129, 1, 1.0f, 0.5f },
  { "big-nn",        FALSE, FALSE, 64, 300, 576, 0, 1.0f, 0.0f },
  { "big-tn-beta1",  TRUE,  FALSE, 576, 96, 64, 2, 1.0f,  1.0f },
  { "k0-beta0",      FALSE, FALSE,  5,  6,  0, 0, 1.0f,  0.0f },
  { "k0-beta-half",  FALSE, FALSE,  5,  6,  0, 0, 1.0f,  0.5f },
};

static void
test_sgemm (gconstpointer data)
{
  const GemmCase *gc = data;
  GRand *rng = g_rand_new_with_seed (1234);
  /* Stored shapes: a (m, k) or (k, m), b (k, n) or (n, k). */
  const int a_rows = gc->ta ? gc->k : gc->m, a_cols = gc->ta ? gc->m : gc->k;
  const int b_rows = gc->tb ? gc->n : gc->k, b_cols = gc->tb ? gc->k : gc->n;
  const int lda = MAX (a_cols + gc->pad, 1), ldb = MAX (b_cols + gc->pad, 1);
  const int ldc = gc->n + gc->pad;
  float *a = g_new (float, (gsize) MAX (a_rows, 1) * lda);
  float *b = g_new (float, (gsize) MAX (b_rows, 1) * ldb);
  float *c0 = g_new (float, (gsize) gc->m * ldc);
  float *c = g_new (float, (gsize) gc->m * ldc);
  float *r = g_new (float, (gsize) gc->m * ldc);

  fill_uniform (rng, a, (gsize) MAX (a_rows, 1) * lda);
  fill_uniform (rng, b, (gsize) MAX (b_rows, 1) * ldb);
  fill_uniform (rng, c0, (gsize) gc->m * ldc);
  for (int i = 0; i < gc->m; i++)
    for (int j = 0; j < ldc; j++)
      {
        float *cij = c0 + (gsize) i * ldc + j;
        if (j >= gc->n)
          *cij = SENTINEL;
        else if (gc->beta == 0.0f)
          *cij = NAN;  /* beta 0 must not read c */
      }
  memcpy (c, c0, sizeof (float) * gc->m * ldc);
  memcpy (r, c0, sizeof (float) * gc->m * ldc);

  swag_sgemm (gc->ta, gc->tb, gc->m, gc->n, gc->k, gc->alpha, a, lda, b, ldb,
              gc->beta, c, ldc);
  swag_sgemm_ref (gc->ta, gc->tb, gc->m, gc->n, gc->k, gc->alpha, a, lda, b,
                  ldb, gc->beta, r, ldc);

  for (int i = 0; i < gc->m; i++)
    for (int j = 0; j < ldc; j++)
      {
        const gsize ij = (gsize) i * ldc + j;
        if (j >= gc->n)
          {
            g_assert_cmpfloat (c[ij], ==, SENTINEL);
            g_assert_cmpfloat (r[ij], ==, SENTINEL);
            continue;
          }
        /* Independent double check of the reference, and the error bound. */
        double s = 0.0, abs_s = 0.0;
        for (int l = 0; l < gc->k; l++)
          {
            const double ail = gc->ta ? a[(gsize) l * lda + i]
                                      : a[(gsize) i * lda + l];
            const double blj = gc->tb ? b[(gsize) j * ldb + l]
                                      : b[(gsize) l * ldb + j];
            s += ail * blj;
            abs_s += fabs (ail * blj);
          }
        double want = gc->alpha * s, bound = fabs (gc->alpha) * abs_s;
        if (gc->beta != 0.0f)
          {
            want += (double) gc->beta * c0[ij];
            bound += fabs (gc->beta * c0[ij]);
          }
        const double tol = GEMM_RTOL * (gc->k + 2) * bound;
        g_assert_false (isnan (c[ij]));
        assert_close (c[ij], want, tol);
        assert_close (r[ij], want, tol);
      }

  g_free (a);
  g_free (b);
  g_free (c0);
  g_free (c);
  g_free (r);
  g_rand_free (rng);
}

typedef struct
{
  const char *name;
  int         n, k, pad;
  float       alpha, beta;
} SyrkCase;

static const SyrkCase syrk_cases[] = {
  { "odd-beta0",      13, 29, 0, 1.0f,   0.0f },
  { "odd-ld-beta1",   17, 31, 3, 0.125f, 1.0f },
  { "wide-beta0",      5, 999, 7, 1.0f / 4995.0f, 0.0f },
  { "one-row",         1, 11, 0, 2.0f,   0.0f },
  { "big-beta1",      64, 257, 0, 1.0f,  1.0f },
  { "k0-beta-half",    4,  0, 0, 1.0f,   0.5f },
};

static void
test_ssyrk (gconstpointer data)
{
  const SyrkCase *sc = data;
  GRand *rng = g_rand_new_with_seed (99);
  const int lda = MAX (sc->k + sc->pad, 1), ldc = sc->n + sc->pad;
  float *a = g_new (float, (gsize) sc->n * lda);
  float *c0 = g_new (float, (gsize) sc->n * ldc);
  float *c = g_new (float, (gsize) sc->n * ldc);
  float *r = g_new (float, (gsize) sc->n * ldc);

  fill_uniform (rng, a, (gsize) sc->n * lda);
  /* A symmetric c for beta != 0 (what Gram callers have), NaN for beta 0. */
  for (int i = 0; i < sc->n; i++)
    for (int j = 0; j < ldc; j++)
      {
        float *cij = c0 + (gsize) i * ldc + j;
        if (j >= sc->n)
          *cij = SENTINEL;
        else if (sc->beta == 0.0f)
          *cij = NAN;
        else if (j >= i)
          *cij = (float) g_rand_double_range (rng, -1.0, 1.0);
        else
          *cij = c0[(gsize) j * ldc + i];
      }
  memcpy (c, c0, sizeof (float) * sc->n * ldc);
  memcpy (r, c0, sizeof (float) * sc->n * ldc);

  swag_ssyrk (sc->n, sc->k, sc->alpha, a, lda, sc->beta, c, ldc);
  swag_ssyrk_ref (sc->n, sc->k, sc->alpha, a, lda, sc->beta, r, ldc);

  for (int i = 0; i < sc->n; i++)
    for (int j = 0; j < ldc; j++)
      {
        const gsize ij = (gsize) i * ldc + j;
        if (j >= sc->n)
          {
            g_assert_cmpfloat (c[ij], ==, SENTINEL);
            g_assert_cmpfloat (r[ij], ==, SENTINEL);
            continue;
          }
        /* Both triangles, exactly symmetric. */
        g_assert_cmpfloat (c[ij], ==, c[(gsize) j * ldc + i]);
        g_assert_cmpfloat (r[ij], ==, r[(gsize) j * ldc + i]);
        double s = 0.0, abs_s = 0.0;
        for (int l = 0; l < sc->k; l++)
          {
            const double p = (double) a[(gsize) i * lda + l]
                             * a[(gsize) j * lda + l];
            s += p;
            abs_s += fabs (p);
          }
        double want = sc->alpha * s, bound = fabs (sc->alpha) * abs_s;
        if (sc->beta != 0.0f)
          {
            want += (double) sc->beta * c0[ij];
            bound += fabs (sc->beta * c0[ij]);
          }
        const double tol = GEMM_RTOL * (sc->k + 2) * bound;
        g_assert_false (isnan (c[ij]));
        assert_close (c[ij], want, tol);
        assert_close (r[ij], want, tol);
      }

  g_free (a);
  g_free (c0);
  g_free (c);
  g_free (r);
  g_rand_free (rng);
}

static void
test_threads (void)
{
  const int saved = swag_blas_get_threads ();

  g_assert_cmpint (saved, >=, 1);
  swag_blas_set_threads (1);
  g_assert_cmpint (swag_blas_get_threads (), ==, 1);
  swag_blas_set_threads (0);  /* clamped: never zero threads */
  g_assert_cmpint (swag_blas_get_threads (), ==, 1);
  swag_blas_set_threads (saved);
  g_assert_cmpint (swag_blas_get_threads (), ==, saved);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (gemm_cases); i++)
    {
      char *path = g_strdup_printf ("/blas/sgemm/%s", gemm_cases[i].name);
      g_test_add_data_func (path, &gemm_cases[i], test_sgemm);
      g_free (path);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (syrk_cases); i++)
    {
      char *path = g_strdup_printf ("/blas/ssyrk/%s", syrk_cases[i].name);
      g_test_add_data_func (path, &syrk_cases[i], test_ssyrk);
      g_free (path);
    }
  g_test_add_func ("/blas/threads", test_threads);

  return g_test_run ();
}
