/* swag-blas.h: the engine's only door to BLAS (swag-blas.c is the only file
 * that includes cblas.h), with naive reference versions kept beside it for
 * the tests. Row-major throughout. Internal to the engine.
 *
 * GPL-3.0-or-later.
 */
#ifndef SWAG_BLAS_H
#define SWAG_BLAS_H

#include <glib.h>

#include "swag-threadpool.h"

G_BEGIN_DECLS

/* ---- the engine's own GEMM (swag-gemm.c): what the evaluation uses ---- */

/* The micro-kernel's register tile: SWAG_GEMM_MR rows (broadcast from A) by
 * SWAG_GEMM_NR columns (vectors of B). */
#if defined(__AVX512F__)
#define SWAG_GEMM_MR 12
#define SWAG_GEMM_NR 32
#elif defined(__AVX2__) && defined(__FMA__)
#define SWAG_GEMM_MR 6
#define SWAG_GEMM_NR 16
#else
#define SWAG_GEMM_MR 4
#define SWAG_GEMM_NR 16
#endif

/* c = alpha * op(a) op(b) + beta * c, then + row_bias[i] on row i (when not
 * NULL) and max(c, 0) (when @relu). Tasks run on @pool (NULL: the caller's
 * thread); results do not depend on the pool's thread count. */
void  swag_gemm (SwagPool *pool, gboolean trans_a, gboolean trans_b,
                 int m, int n, int k,
                 float alpha, const float *a, int lda,
                 const float *b, int ldb,
                 float beta, float *c, int ldc,
                 const float *row_bias, gboolean relu);

/* c = alpha * a a^T + beta * c, a (n, k); both triangles filled. */
void  swag_syrk (SwagPool *pool, int n, int k, float alpha,
                 const float *a, int lda, float beta, float *c, int ldc);

/* Floats of per-thread workspace swag_gemm wants from the pool (a smaller
 * one makes it allocate its own per task). */
gsize swag_gemm_work_floats (void);

/* The micro-kernel, for the Winograd path and the tests: acc (MR, NR) of a
 * packed panel pa (kc, MR) and rows of B pb (kc, NR) at a stride of ldb
 * floats, stored to c as alpha * acc + beta * c when @first (c unread when
 * beta is 0), else c += alpha * acc; then + bias[i] on row i (bias not
 * NULL) and max(c, 0) when @relu (NaN kept). */
void  swag_gemm_kernel (int kc, const float *pa, const float *pb, gsize ldb,
                        float *c, gsize ldc, float alpha, float beta,
                        gboolean first, const float *bias, gboolean relu);

/* The same with A = rows [c0, c0 + MR) of P^T, P (n_panels * MR, kp) stored
 * as packed panels pp[q][col][MR]: @pt = &pp[0][c0][0], @ps = kp * MR (the
 * Winograd backward reads the forward's packed weights transposed). c = acc
 * when @first, else c += acc. Reads P^T rows up to c0 + MR - 1: the caller
 * pads P's storage past kp columns. */
void  swag_gemm_kernel_pt (int n_panels, const float *pt, gsize ps,
                           const float *pb, gsize ldb, float *c, gsize ldc,
                           gboolean first);

/* ---- BLAS (swag-blas.c): references for the tests and the benchmark ---- */

/* c = alpha * op(a) op(b) + beta * c, op(a) (m, k), op(b) (k, n), c (m, n). */
void swag_sgemm     (gboolean trans_a, gboolean trans_b,
                     int m, int n, int k,
                     float alpha, const float *a, int lda,
                     const float *b, int ldb,
                     float beta, float *c, int ldc);
void swag_sgemm_ref (gboolean trans_a, gboolean trans_b,
                     int m, int n, int k,
                     float alpha, const float *a, int lda,
                     const float *b, int ldb,
                     float beta, float *c, int ldc);

/* c = alpha * a a^T + beta * c, a (n, k), c (n, n); both triangles of c are
 * filled on return. */
void swag_ssyrk     (int n, int k, float alpha, const float *a, int lda,
                     float beta, float *c, int ldc);
void swag_ssyrk_ref (int n, int k, float alpha, const float *a, int lda,
                     float beta, float *c, int ldc);

/* OpenBLAS's process-wide thread count. */
void swag_blas_set_threads (int n);
int  swag_blas_get_threads (void);

G_END_DECLS

#endif /* SWAG_BLAS_H */
