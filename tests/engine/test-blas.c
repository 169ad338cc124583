/* test-blas.c: swag_sgemm, swag_ssyrk (OpenBLAS) and the own swag_gemm,
 * swag_syrk (any pool) against references. GPL-3.0-or-later. */
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
  /* Past the own GEMM's blocks (MC <= 144, NC <= 512, KC = 384) with
   * partial tiles everywhere. */
  { "blocks-nn",     FALSE, FALSE, 301, 1100, 800, 3, 1.0f, 0.0f },
  { "blocks-tn-b1",  TRUE,  FALSE, 157, 1043, 777, 0, 0.5f, 1.0f },
  { "blocks-nt",     FALSE, TRUE,  149,  529, 385, 1, 1.0f, 0.25f },
  { "blocks-tt",     TRUE,  TRUE,  145,  515, 390, 0, -1.0f, 0.0f },
};

/* Which implementation a case runs: OpenBLAS, or the own GEMM with no pool,
 * a pool of one thread or of two. */
enum { IMPL_BLAS, IMPL_OWN_NULL, IMPL_OWN_1, IMPL_OWN_2, N_IMPL };
static const char *const impl_names[N_IMPL] = { "sgemm", "gemm-nopool",
                                                "gemm-1", "gemm-2" };

typedef struct
{
  const void *kase;
  int         impl;
} ImplCase;

static SwagPool *
impl_pool (int impl)
{
  return impl == IMPL_OWN_1 ? swag_pool_new (1, swag_gemm_work_floats ())
         : impl == IMPL_OWN_2 ? swag_pool_new (2, swag_gemm_work_floats ())
         : NULL;
}

static void
test_sgemm (gconstpointer data)
{
  const ImplCase *ic = data;
  const GemmCase *gc = ic->kase;
  SwagPool       *pool = impl_pool (ic->impl);
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

  if (ic->impl == IMPL_BLAS)
    swag_sgemm (gc->ta, gc->tb, gc->m, gc->n, gc->k, gc->alpha, a, lda, b,
                ldb, gc->beta, c, ldc);
  else
    swag_gemm (pool, gc->ta, gc->tb, gc->m, gc->n, gc->k, gc->alpha, a, lda,
               b, ldb, gc->beta, c, ldc, NULL, FALSE);
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

  /* The own GEMM: the same bits with one thread and with two. */
  if (ic->impl == IMPL_OWN_2)
    {
      memcpy (r, c0, sizeof (float) * gc->m * ldc);
      swag_gemm (NULL, gc->ta, gc->tb, gc->m, gc->n, gc->k, gc->alpha, a, lda,
                 b, ldb, gc->beta, r, ldc, NULL, FALSE);
      g_assert_cmpint (memcmp (r, c, sizeof (float) * gc->m * ldc), ==, 0);
    }

  swag_pool_free (pool);
  g_free (a);
  g_free (b);
  g_free (c0);
  g_free (c);
  g_free (r);
  g_rand_free (rng);
}

/* Bias and ReLU fused in the own GEMM: the same as applying them after. */
static void
test_gemm_epilogue (void)
{
  const int m = 29, n = 70, k = 33;
  GRand    *rng = g_rand_new_with_seed (7);
  float    *a = g_new (float, m * k), *b = g_new (float, k * n);
  float    *c = g_new (float, m * n), *r = g_new (float, m * n);
  float    *bias = g_new (float, m);
  SwagPool *pool = swag_pool_new (2, swag_gemm_work_floats ());

  fill_uniform (rng, a, m * k);
  fill_uniform (rng, b, k * n);
  fill_uniform (rng, bias, m);
  swag_gemm (pool, FALSE, FALSE, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n,
             bias, TRUE);
  swag_gemm (pool, FALSE, FALSE, m, n, k, 1.0f, a, k, b, n, 0.0f, r, n,
             NULL, FALSE);
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      {
        const float v = r[i * n + j] + bias[i];
        g_assert_cmpfloat (c[i * n + j], ==, v < 0.0f ? 0.0f : v);
      }
  swag_pool_free (pool);
  g_free (a);
  g_free (b);
  g_free (c);
  g_free (r);
  g_free (bias);
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
  /* The own SYRK splits k into parts for few tiles, and tiles big n. */
  { "split-k",        20, 70001, 1, 0.5f, 0.0f },
  { "split-k-beta1",  64, 40000, 0, 1.0f, 1.0f },
  { "tiles",         300, 1000, 2, 1.0f, 0.0f },
};

static void
test_ssyrk (gconstpointer data)
{
  const ImplCase *ic = data;
  const SyrkCase *sc = ic->kase;
  SwagPool       *pool = impl_pool (ic->impl);
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

  if (ic->impl == IMPL_BLAS)
    swag_ssyrk (sc->n, sc->k, sc->alpha, a, lda, sc->beta, c, ldc);
  else
    swag_syrk (pool, sc->n, sc->k, sc->alpha, a, lda, sc->beta, c, ldc);
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

  if (ic->impl == IMPL_OWN_2)
    {
      memcpy (r, c0, sizeof (float) * sc->n * ldc);
      swag_syrk (NULL, sc->n, sc->k, sc->alpha, a, lda, sc->beta, r, ldc);
      g_assert_cmpint (memcmp (r, c, sizeof (float) * sc->n * ldc), ==, 0);
    }

  swag_pool_free (pool);
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

  for (int impl = 0; impl < N_IMPL; impl++)
    {
      for (gsize i = 0; i < G_N_ELEMENTS (gemm_cases); i++)
        {
          ImplCase *ic = g_new (ImplCase, 1);   /* lives to the end */
          char *path = g_strdup_printf ("/blas/%s/%s", impl_names[impl],
                                        gemm_cases[i].name);
          ic->kase = &gemm_cases[i];
          ic->impl = impl;
          g_test_add_data_func_full (path, ic, test_sgemm, g_free);
          g_free (path);
        }
      for (gsize i = 0; i < G_N_ELEMENTS (syrk_cases); i++)
        {
          ImplCase *ic = g_new (ImplCase, 1);
          char *path = g_strdup_printf ("/blas/%s/syrk/%s", impl_names[impl],
                                        syrk_cases[i].name);
          ic->kase = &syrk_cases[i];
          ic->impl = impl;
          g_test_add_data_func_full (path, ic, test_ssyrk, g_free);
          g_free (path);
        }
    }
  g_test_add_func ("/blas/gemm/epilogue", test_gemm_epilogue);
  g_test_add_func ("/blas/threads", test_threads);

  return g_test_run ();
}
