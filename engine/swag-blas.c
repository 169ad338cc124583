/* swag-blas.c: the only caller of BLAS, and references. GPL-3.0-or-later. */
#include "swag-blas.h"

#include <cblas.h>

/* c (m, n) *= beta, with beta == 0 writing zeros without reading c, as BLAS
 * does (so that an uninitialised or NaN-filled c is fine). */
static void
scale_rows (int m, int n, float beta, float *c, int ldc)
{
  for (int i = 0; i < m; i++)
    {
      float *ci = c + (gsize) i * ldc;
      if (beta == 0.0f)
        for (int j = 0; j < n; j++)
          ci[j] = 0.0f;
      else if (beta != 1.0f)
        for (int j = 0; j < n; j++)
          ci[j] *= beta;
    }
}

/* Copy the upper triangle of c (n, n) into its lower one, so that callers of
 * ssyrk get the whole symmetric matrix. */
static void
mirror_upper (int n, float *c, int ldc)
{
  for (int i = 1; i < n; i++)
    for (int j = 0; j < i; j++)
      c[(gsize) i * ldc + j] = c[(gsize) j * ldc + i];
}

/* ------------------------------------------------------------------ gemm -- */

void
swag_sgemm (gboolean     trans_a,
            gboolean     trans_b,
            int          m,
            int          n,
            int          k,
            float        alpha,
            const float *a,   /* (m, k), or (k, m) when trans_a */
            int          lda,
            const float *b,   /* (k, n), or (n, k) when trans_b */
            int          ldb,
            float        beta,
            float       *c,   /* (m, n) */
            int          ldc)
{
  if (m <= 0 || n <= 0)
    return;
  /* An empty product is only the beta scaling; doing it here keeps cblas's
   * argument check (which prints through xerbla) away from lda = 0. */
  if (k <= 0 || alpha == 0.0f)
    {
      scale_rows (m, n, beta, c, ldc);
      return;
    }
  cblas_sgemm (CblasRowMajor,
               trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans,
               m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* Accumulates in double, so that it is the more accurate of the two. */
void
swag_sgemm_ref (gboolean     trans_a,
                gboolean     trans_b,
                int          m,
                int          n,
                int          k,
                float        alpha,
                const float *a,   /* (m, k), or (k, m) when trans_a */
                int          lda,
                const float *b,   /* (k, n), or (n, k) when trans_b */
                int          ldb,
                float        beta,
                float       *c,   /* (m, n) */
                int          ldc)
{
  if (m <= 0 || n <= 0)
    return;
  if (k <= 0 || alpha == 0.0f)
    {
      scale_rows (m, n, beta, c, ldc);
      return;
    }
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      {
        double s = 0.0;
        for (int l = 0; l < k; l++)
          {
            const float ail = trans_a ? a[(gsize) l * lda + i]
                                      : a[(gsize) i * lda + l];
            const float blj = trans_b ? b[(gsize) j * ldb + l]
                                      : b[(gsize) l * ldb + j];
            s += (double) ail * blj;
          }
        float *cij = c + (gsize) i * ldc + j;
        s *= alpha;
        if (beta != 0.0f)
          s += (double) beta * *cij;
        *cij = (float) s;
      }
}

/* ------------------------------------------------------------------ syrk -- */

void
swag_ssyrk (int          n,
            int          k,
            float        alpha,
            const float *a,   /* (n, k) */
            int          lda,
            float        beta,
            float       *c,   /* (n, n) */
            int          ldc)
{
  if (n <= 0)
    return;
  if (k <= 0 || alpha == 0.0f)
    {
      /* Only the upper triangle is read, as in BLAS. */
      for (int i = 0; i < n; i++)
        scale_rows (1, n - i, beta, c + (gsize) i * ldc + i, ldc);
    }
  else
    {
      cblas_ssyrk (CblasRowMajor, CblasUpper, CblasNoTrans,
                   n, k, alpha, a, lda, beta, c, ldc);
    }
  mirror_upper (n, c, ldc);
}

/* Computes the upper triangle (reading only that part of c, as BLAS does) in
 * double, then mirrors it: the same contract as swag_ssyrk. */
void
swag_ssyrk_ref (int          n,
                int          k,
                float        alpha,
                const float *a,   /* (n, k) */
                int          lda,
                float        beta,
                float       *c,   /* (n, n) */
                int          ldc)
{
  if (n <= 0)
    return;
  for (int i = 0; i < n; i++)
    for (int j = i; j < n; j++)
      {
        const float *ai = a + (gsize) i * lda;
        const float *aj = a + (gsize) j * lda;
        double s = 0.0;
        for (int l = 0; l < k; l++)
          s += (double) ai[l] * aj[l];
        float *cij = c + (gsize) i * ldc + j;
        s *= alpha;
        if (beta != 0.0f)
          s += (double) beta * *cij;
        *cij = (float) s;
      }
  mirror_upper (n, c, ldc);
}

/* --------------------------------------------------------------- threads -- */

/* The fallback `blas` dependency of meson.build may be another BLAS with no
 * thread control; it then runs as it was built to. */
void
swag_blas_set_threads (int n)
{
#ifdef OPENBLAS_VERSION
  openblas_set_num_threads (n < 1 ? 1 : n);
#else
  (void) n;
#endif
}

int
swag_blas_get_threads (void)
{
#ifdef OPENBLAS_VERSION
  return openblas_get_num_threads ();
#else
  return 1;
#endif
}
