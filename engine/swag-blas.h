/* swag-blas.h: the engine's only door to BLAS (swag-blas.c is the only file
 * that includes cblas.h), with naive reference versions kept beside it for
 * the tests. Row-major throughout. Internal to the engine.
 *
 * GPL-3.0-or-later.
 */
#ifndef SWAG_BLAS_H
#define SWAG_BLAS_H

#include <glib.h>

G_BEGIN_DECLS

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
