/* swag-gemm.c: the engine's own single-precision GEMM and SYRK: packed
 * panels, a register-blocked micro-kernel (AVX-512, AVX2 or plain C), tasks
 * on the evaluation's thread pool. GPL-3.0-or-later.
 *
 * Why not BLAS: OpenBLAS 0.3.21's run-time dispatch does not know recent Xeons
 * (family 6, model 207 reads as "Prescott": SSE3 kernels at a sixth of the
 * machine's speed), its threads spin after each call and would compete with
 * the pool's, and its results may depend on the thread count. Here C is cut
 * into tiles whose sizes depend only on the problem; each tile is one task
 * computed with a fixed order of operations, so the result is bit-identical
 * for every thread count.
 *
 * Blocking (Goto/BLIS): a task packs its KC x NC slice of B (micro-panels of
 * NR columns) once for all its row blocks, and each row block's MC x KC
 * slice of A (micro-panels of MR rows), then runs the MR x NR micro-kernel
 * over them; a B micro-panel (KC x NR, 32 KiB) stays in L1 while the kernel
 * sweeps the rows of A. (Packing B per tile of C cost up to a fifth of the
 * time in ResNet's 1x1 convolutions; reading B in place thrashes the caches
 * at power-of-two plane sizes.)
 */
#include "swag-blas.h"

#include <stdlib.h>
#include <string.h>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#define MR SWAG_GEMM_MR
#define NR SWAG_GEMM_NR

#define KC 256
#define MC (MR * 12)
#define NC (NR * 16)

G_STATIC_ASSERT (MC % MR == 0 && NC % NR == 0);

gsize
swag_gemm_work_floats (void)
{
  return (gsize) MC * KC + (gsize) KC * NC + MR * NR;
}

/* ------------------------------------------------------------- packing -- */

#if defined(__AVX512F__)
/* In-place transpose of 16 rows of 16 floats (4 shuffle stages). */
static inline void
tr16 (__m512 r[16])
{
  __m512 t[16], u[16], v[16];

  for (int i = 0; i < 8; i++)
    {
      t[2 * i] = _mm512_unpacklo_ps (r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_ps (r[2 * i], r[2 * i + 1]);
    }
#define PD(x) _mm512_castps_pd (x)
#define PS(x) _mm512_castpd_ps (x)
  for (int i = 0; i < 4; i++)
    {
      u[4 * i + 0] = PS (_mm512_unpacklo_pd (PD (t[4 * i + 0]), PD (t[4 * i + 2])));
      u[4 * i + 1] = PS (_mm512_unpackhi_pd (PD (t[4 * i + 0]), PD (t[4 * i + 2])));
      u[4 * i + 2] = PS (_mm512_unpacklo_pd (PD (t[4 * i + 1]), PD (t[4 * i + 3])));
      u[4 * i + 3] = PS (_mm512_unpackhi_pd (PD (t[4 * i + 1]), PD (t[4 * i + 3])));
    }
#undef PD
#undef PS
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 4; j++)
      {
        v[8 * i + j] = _mm512_shuffle_f32x4 (u[8 * i + j], u[8 * i + 4 + j], 0x88);
        v[8 * i + 4 + j] = _mm512_shuffle_f32x4 (u[8 * i + j], u[8 * i + 4 + j], 0xDD);
      }
  for (int j = 0; j < 8; j++)
    {
      r[j] = _mm512_shuffle_f32x4 (v[j], v[8 + j], 0x88);
      r[8 + j] = _mm512_shuffle_f32x4 (v[j], v[8 + j], 0xDD);
    }
}

/* dst[p * ld + i] = src_i[p] for rows i < n_rows (<= 16, the rest 0),
 * p < 16; @lanes of each 16 are stored. */
static inline void
transpose_rows16 (const float *const *src, int n_rows, float *dst, gsize ld,
                  __mmask16 lanes)
{
  __m512 r[16];

  for (int i = 0; i < 16; i++)
    r[i] = i < n_rows ? _mm512_loadu_ps (src[i]) : _mm512_setzero_ps ();
  tr16 (r);
  for (int q = 0; q < 16; q++)
    _mm512_mask_storeu_ps (dst + (gsize) q * ld, lanes, r[q]);
}
#endif

/* A block (mb, kb) at (i0, p0) of op(A) into micro-panels pa[r][p][MR],
 * zero-padded to a multiple of MR rows. */
static void
pack_a (gboolean ta, const float *a, int lda, int i0, int p0, int mb, int kb,
        float *pa)
{
  for (int r = 0; r < mb; r += MR)
    {
      float *dst = pa + (gsize) r * kb;
      const int rows = MIN (MR, mb - r);

      if (ta)
        /* op(A)(i, p) = a[p * lda + i]: MR rows are contiguous per p. */
        for (int p = 0; p < kb; p++)
          {
            const float *src = a + (gsize) (p0 + p) * lda + i0 + r;
            float *d = dst + (gsize) p * MR;
            for (int i = 0; i < rows; i++)
              d[i] = src[i];
            for (int i = rows; i < MR; i++)
              d[i] = 0.0f;
          }
      else
        {
          int p = 0;
#if defined(__AVX512F__)
          /* a transpose of MR rows by 16 columns at a time */
          const float *src[16];
          for (; p + 16 <= kb; p += 16)
            {
              for (int i = 0; i < rows; i++)
                src[i] = a + (gsize) (i0 + r + i) * lda + p0 + p;
              transpose_rows16 (src, rows, dst + (gsize) p * MR, MR,
                                (__mmask16) ((1u << MR) - 1));
            }
#endif
          for (int i = 0; i < rows; i++)
            {
              const float *s = a + (gsize) (i0 + r + i) * lda + p0;
              for (int q = p; q < kb; q++)
                dst[(gsize) q * MR + i] = s[q];
            }
          for (int i = rows; i < MR; i++)
            for (int q = p; q < kb; q++)
              dst[(gsize) q * MR + i] = 0.0f;
        }
    }
}

/* B block (kb, nb) at (p0, j0) of op(B) into micro-panels pb[s][p][NR],
 * zero-padded to a multiple of NR columns. */
static void
pack_b (gboolean tb, const float *b, int ldb, int p0, int j0, int kb, int nb,
        float *pb)
{
  for (int s = 0; s < nb; s += NR)
    {
      float *dst = pb + (gsize) s * kb;
      const int cols = MIN (NR, nb - s);

      if (!tb)
        for (int p = 0; p < kb; p++)
          {
            const float *src = b + (gsize) (p0 + p) * ldb + j0 + s;
            float *d = dst + (gsize) p * NR;
            if (cols == NR)
              memcpy (d, src, sizeof (float) * NR);
            else
              {
                for (int j = 0; j < cols; j++)
                  d[j] = src[j];
                for (int j = cols; j < NR; j++)
                  d[j] = 0.0f;
              }
          }
      else
        {
          /* op(B)(p, j) = b[j * ldb + p]: a transpose */
          int p = 0;
#if defined(__AVX512F__)
          const float *rows[16];
          for (; p + 16 <= kb; p += 16)
            for (int h = 0; h < NR; h += 16)
              {
                const int n_rows = CLAMP (cols - h, 0, 16);
                for (int i = 0; i < n_rows; i++)
                  rows[i] = b + (gsize) (j0 + s + h + i) * ldb + p0 + p;
                transpose_rows16 (rows, n_rows, dst + (gsize) p * NR + h, NR,
                                  0xFFFF);
              }
#endif
          for (int j = 0; j < cols; j++)
            {
              const float *src = b + (gsize) (j0 + s + j) * ldb + p0;
              for (int q = p; q < kb; q++)
                dst[(gsize) q * NR + j] = src[q];
            }
          for (int j = cols; j < NR; j++)
            for (int q = p; q < kb; q++)
              dst[(gsize) q * NR + j] = 0.0f;
        }
    }
}

/* -------------------------------------------------------- micro-kernel -- */

/* acc (MR, NR) = sum_p pa[p][:] outer pb[p][:], stored to c (ldc) as
 * c = alpha * acc + beta * c (beta == 0: c not read) when @first, else
 * c += alpha * acc; then + bias[i] on row i (bias not NULL) and max(c, 0)
 * (relu), NaN kept. */
#if defined(__AVX512F__)

#define ROWS(F) F (0) F (1) F (2) F (3) F (4) F (5) F (6) F (7) F (8) F (9) \
                F (10) F (11)

static inline __m512
finish512 (__m512 acc, const float *cp, __m512 va, __m512 vb, int mode,
           const float *bias, int i, gboolean relu)
{
  __m512 r = mode == 0 ? _mm512_mul_ps (va, acc)
           : mode == 1 ? _mm512_fmadd_ps (va, acc, _mm512_mul_ps (vb, _mm512_loadu_ps (cp)))
           : _mm512_fmadd_ps (va, acc, _mm512_loadu_ps (cp));
  if (bias)
    r = _mm512_add_ps (r, _mm512_set1_ps (bias[i]));
  if (relu)
    r = _mm512_mask_blend_ps (_mm512_cmp_ps_mask (r, _mm512_setzero_ps (),
                                                  _CMP_LT_OQ),
                              r, _mm512_setzero_ps ());
  return r;
}

void
swag_gemm_kernel (int kc, const float *pa, const float *pb, gsize ldb,
                  float *c, gsize ldc, float alpha, float beta, gboolean first,
                  const float *bias, gboolean relu)
{
#define DECL(i) __m512 c##i##0 = _mm512_setzero_ps (), \
                       c##i##1 = _mm512_setzero_ps ();
  ROWS (DECL)
#undef DECL
  for (int p = 0; p < kc; p++)
    {
      const __m512 b0 = _mm512_loadu_ps (pb), b1 = _mm512_loadu_ps (pb + 16);
#define STEP(i) { const __m512 a = _mm512_set1_ps (pa[i]);       \
                  c##i##0 = _mm512_fmadd_ps (a, b0, c##i##0);    \
                  c##i##1 = _mm512_fmadd_ps (a, b1, c##i##1); }
      ROWS (STEP)
#undef STEP
      pa += MR;
      pb += ldb;
    }
  const __m512 va = _mm512_set1_ps (alpha), vb = _mm512_set1_ps (beta);
  const int mode = first ? (beta == 0.0f ? 0 : 1) : 2;
#define STORE(i) { float *cp = c + i * ldc;                                  \
                   const __m512 r0 = finish512 (c##i##0, cp, va, vb, mode, bias, i, relu); \
                   const __m512 r1 = finish512 (c##i##1, cp + 16, va, vb, mode, bias, i, relu); \
                   _mm512_storeu_ps (cp, r0);                                \
                   _mm512_storeu_ps (cp + 16, r1); }
  ROWS (STORE)
#undef STORE
}
#undef ROWS

#elif defined(__AVX2__) && defined(__FMA__)

#define ROWS(F) F (0) F (1) F (2) F (3) F (4) F (5)

static inline __m256
finish256 (__m256 acc, const float *cp, __m256 va, __m256 vb, int mode,
           const float *bias, int i, gboolean relu)
{
  __m256 r = mode == 0 ? _mm256_mul_ps (va, acc)
           : mode == 1 ? _mm256_fmadd_ps (va, acc, _mm256_mul_ps (vb, _mm256_loadu_ps (cp)))
           : _mm256_fmadd_ps (va, acc, _mm256_loadu_ps (cp));
  if (bias)
    r = _mm256_add_ps (r, _mm256_set1_ps (bias[i]));
  if (relu)
    r = _mm256_blendv_ps (r, _mm256_setzero_ps (),
                          _mm256_cmp_ps (r, _mm256_setzero_ps (), _CMP_LT_OQ));
  return r;
}

void
swag_gemm_kernel (int kc, const float *pa, const float *pb, gsize ldb,
                  float *c, gsize ldc, float alpha, float beta, gboolean first,
                  const float *bias, gboolean relu)
{
#define DECL(i) __m256 c##i##0 = _mm256_setzero_ps (), \
                       c##i##1 = _mm256_setzero_ps ();
  ROWS (DECL)
#undef DECL
  for (int p = 0; p < kc; p++)
    {
      const __m256 b0 = _mm256_loadu_ps (pb), b1 = _mm256_loadu_ps (pb + 8);
#define STEP(i) { const __m256 a = _mm256_broadcast_ss (pa + i);  \
                  c##i##0 = _mm256_fmadd_ps (a, b0, c##i##0);     \
                  c##i##1 = _mm256_fmadd_ps (a, b1, c##i##1); }
      ROWS (STEP)
#undef STEP
      pa += MR;
      pb += ldb;
    }
  const __m256 va = _mm256_set1_ps (alpha), vb = _mm256_set1_ps (beta);
  const int mode = first ? (beta == 0.0f ? 0 : 1) : 2;
#define STORE(i) { float *cp = c + i * ldc;                                  \
                   const __m256 r0 = finish256 (c##i##0, cp, va, vb, mode, bias, i, relu); \
                   const __m256 r1 = finish256 (c##i##1, cp + 8, va, vb, mode, bias, i, relu); \
                   _mm256_storeu_ps (cp, r0);                                \
                   _mm256_storeu_ps (cp + 8, r1); }
  ROWS (STORE)
#undef STORE
}
#undef ROWS

#else

void
swag_gemm_kernel (int kc, const float *pa, const float *pb, gsize ldb,
                  float *c, gsize ldc, float alpha, float beta, gboolean first,
                  const float *bias, gboolean relu)
{
  float acc[MR][NR] = { { 0 } };

  for (int p = 0; p < kc; p++)
    {
      for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++)
          acc[i][j] += pa[i] * pb[j];
      pa += MR;
      pb += ldb;
    }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++)
      {
        float *cij = c + i * ldc + j;
        float  r;
        if (first)
          r = alpha * acc[i][j] + (beta == 0.0f ? 0.0f : beta * *cij);
        else
          r = *cij + alpha * acc[i][j];
        if (bias)
          r += bias[i];
        if (relu && r < 0.0f)
          r = 0.0f;
        *cij = r;
      }
}

#endif

/* The same with A read transposed out of packed panels: the packed matrix P
 * (n_panels * MR rows, kp columns) stored as panels pp[q][col][MR]; this
 * computes rows [c0, c0 + MR) of P^T times B, over the kc = n_panels * MR
 * rows of P. @pt points at pp[0][c0][0]; @ps = kp * MR, the panel stride. */
#if defined(__AVX512F__)
#define ROWS(F) F (0) F (1) F (2) F (3) F (4) F (5) F (6) F (7) F (8) F (9) \
                F (10) F (11)
void
swag_gemm_kernel_pt (int n_panels, const float *pt, gsize ps,
                     const float *pb, gsize ldb, float *c, gsize ldc,
                     gboolean first)
{
#define DECL(i) __m512 c##i##0 = _mm512_setzero_ps (), \
                       c##i##1 = _mm512_setzero_ps ();
  ROWS (DECL)
#undef DECL
  for (int q = 0; q < n_panels; q++)
    {
      const float *a = pt + (gsize) q * ps;
      for (int r = 0; r < MR; r++, a++)
        {
          const __m512 b0 = _mm512_load_ps (pb), b1 = _mm512_load_ps (pb + 16);
#define STEP(i) { const __m512 av = _mm512_set1_ps (a[i * MR]);    \
                  c##i##0 = _mm512_fmadd_ps (av, b0, c##i##0);   \
                  c##i##1 = _mm512_fmadd_ps (av, b1, c##i##1); }
          ROWS (STEP)
#undef STEP
          pb += ldb;
        }
    }
  if (first)
    {
#define STORE(i) _mm512_storeu_ps (c + i * ldc, c##i##0); \
                 _mm512_storeu_ps (c + i * ldc + 16, c##i##1);
      ROWS (STORE)
#undef STORE
    }
  else
    {
#define STORE(i) _mm512_storeu_ps (c + i * ldc, _mm512_add_ps (c##i##0, \
                   _mm512_loadu_ps (c + i * ldc)));                    \
                 _mm512_storeu_ps (c + i * ldc + 16, _mm512_add_ps (c##i##1, \
                   _mm512_loadu_ps (c + i * ldc + 16)));
      ROWS (STORE)
#undef STORE
    }
}
#undef ROWS
#else
void
swag_gemm_kernel_pt (int n_panels, const float *pt, gsize ps,
                     const float *pb, gsize ldb, float *c, gsize ldc,
                     gboolean first)
{
  float acc[MR][NR] = { { 0 } };

  for (int q = 0; q < n_panels; q++)
    {
      const float *a = pt + (gsize) q * ps;
      for (int r = 0; r < MR; r++, a++)
        {
          for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
              acc[i][j] += a[i * MR] * pb[j];
          pb += ldb;
        }
    }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++)
      {
        float *cij = c + i * ldc + j;
        *cij = first ? acc[i][j] : *cij + acc[i][j];
      }
}
#endif

/* ---------------------------------------------------------------- tasks -- */

typedef struct
{
  gboolean     ta, tb;
  int          m, n, k;
  float        alpha;
  const float *a;
  int          lda;
  const float *b;
  int          ldb;
  float        beta;
  float       *c;
  int          ldc;
  const float *bias;  /* (m) or NULL */
  gboolean     relu;
  gboolean     upper;       /* syrk: skip micro-tiles below the diagonal */
  int          n_kparts;    /* syrk: tasks x parts, each part into */
  float       *parts;       /* its own (m, ldc) buffer; NULL = c */
  SwagPool    *pool;
  const int   *tasks;       /* (n_tasks, 3): column tile, first and end
                               row blocks */
  int          n_tasks;
} Gemm;

/* Bias and ReLU over rows [i0, i0 + mb), columns [j0, j0 + nb). */
static void
epilogue (const Gemm *g, float *c, int i0, int j0, int mb, int nb)
{
  for (int i = 0; i < mb; i++)
    {
      float *row = c + (gsize) (i0 + i) * g->ldc + j0;
      const float bv = g->bias ? g->bias[i0 + i] : 0.0f;
      if (g->bias)
        for (int j = 0; j < nb; j++)
          row[j] += bv;
      if (g->relu)
        for (int j = 0; j < nb; j++)
          if (row[j] < 0.0f)   /* NaN goes through, as torch's ReLU */
            row[j] = 0.0f;
    }
}

/* Columns [tj * NC, + NC) of C for the row blocks [b0, b1) (MC rows each),
 * all of k: per k block, B's slice is packed once (micro-panels of NR
 * columns, zero-padded) and shared by the row blocks, each of which packs
 * its slice of A. The micro-kernel's B micro-panel (KC x NR, 32 KiB) stays
 * in L1 while it sweeps a row block. */
static void
gemm_block (const Gemm *g, int tj, int b0, int b1, int part, float *work)
{
  const int j0 = tj * NC, nb = MIN (NC, g->n - j0);
  float *pa = work, *pb = work + (gsize) MC * KC;
  float *tmp = pb + (gsize) KC * NC;
  int    k0 = 0, k1 = g->k;
  float *c = g->c;
  float  beta = g->beta, alpha = g->alpha;
  const float *bias = g->bias;
  gboolean relu = g->relu;

  if (g->parts)
    {
      /* syrk's k split: part q covers its own share of k */
      k0 = (int) ((gint64) g->k * part / g->n_kparts);
      k1 = (int) ((gint64) g->k * (part + 1) / g->n_kparts);
      c = g->parts + (gsize) part * g->m * g->ldc;
      beta = 0.0f;
      alpha = 1.0f;
      bias = NULL;
      relu = FALSE;
    }

  for (int p0 = k0; p0 < k1; p0 += KC)
    {
      const int kb = MIN (KC, k1 - p0);
      const gboolean first = p0 == k0, last = p0 + kb >= k1;

      pack_b (g->tb, g->b, g->ldb, p0, j0, kb, nb, pb);
      for (int blk = b0; blk < b1; blk++)
        {
          const int i0 = blk * MC, mb = MIN (MC, g->m - i0);

          pack_a (g->ta, g->a, g->lda, i0, p0, mb, kb, pa);
          for (int s = 0; s < nb; s += NR)
            {
              const int cols = MIN (NR, nb - s);
              const float *bp = pb + (gsize) s * kb;

              for (int r = 0; r < mb; r += MR)
                {
                  /* wholly below the diagonal: syrk mirrors it instead */
                  if (g->upper && j0 + s + NR <= i0 + r)
                    break;
                  float *cij = c + (gsize) (i0 + r) * g->ldc + j0 + s;
                  const float *ap = pa + (gsize) r * kb;
                  const float *rb = last && bias ? bias + i0 + r : NULL;
                  if (mb - r >= MR && cols == NR)
                    swag_gemm_kernel (kb, ap, bp, NR, cij, g->ldc, alpha,
                                      beta, first, rb, last && relu);
                  else
                    {
                      const int rows = MIN (MR, mb - r);
                      swag_gemm_kernel (kb, ap, bp, NR, tmp, NR, 1.0f, 0.0f,
                                        TRUE, NULL, FALSE);
                      for (int i = 0; i < rows; i++)
                        for (int j = 0; j < cols; j++)
                          {
                            float *d = cij + (gsize) i * g->ldc + j;
                            float v = alpha * tmp[i * NR + j];
                            v = first ? v + (beta == 0.0f ? 0.0f : beta * *d)
                                      : *d + v;
                            if (rb)
                              v += rb[i];
                            if (last && relu && v < 0.0f)
                              v = 0.0f;
                            *d = v;
                          }
                    }
                }
            }
        }
    }
}

static void
gemm_task (gpointer data, int task, int thread)
{
  const Gemm *g = data;
  float      *work = swag_pool_work (g->pool, thread);
  float      *own = NULL;
  const int   t = task / g->n_kparts, part = task % g->n_kparts;

  if (!work)
    {
      own = g_malloc (swag_gemm_work_floats () * sizeof (float) + 64);
      work = (float *) (((guintptr) own + 63) & ~(guintptr) 63);
    }
  gemm_block (g, g->tasks[3 * t], g->tasks[3 * t + 1], g->tasks[3 * t + 2],
              part, work);
  g_free (own);
}

/* A pool whose workspace is too small for the GEMM is treated as none. */
static SwagPool *
usable_pool (SwagPool *pool)
{
  return pool && swag_pool_work_floats (pool) >= swag_gemm_work_floats ()
         ? pool : NULL;
}

static void
scale_c (int m, int n, float beta, float *c, int ldc)
{
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      {
        float *cij = c + (gsize) i * ldc + j;
        *cij = beta == 0.0f ? 0.0f : beta * *cij;
      }
}

/* Enough tasks for two threads to share unevenly loaded work; more tasks
 * along m cost re-packing B once per task. */
#define MIN_TASKS 8

void
swag_gemm (SwagPool    *pool,
           gboolean     trans_a,
           gboolean     trans_b,
           int          m,
           int          n,
           int          k,
           float        alpha,
           const float *a,
           int          lda,
           const float *b,
           int          ldb,
           float        beta,
           float       *c,
           int          ldc,
           const float *row_bias,
           gboolean     relu)
{
  Gemm g = { 0 };
  int  tiles_n, blocks_m, groups, *tasks;

  if (m <= 0 || n <= 0)
    return;
  if (k <= 0 || alpha == 0.0f)
    {
      scale_c (m, n, beta, c, ldc);
      g.m = m;
      g.ldc = ldc;
      g.bias = row_bias;
      g.relu = relu;
      epilogue (&g, c, 0, 0, m, n);
      return;
    }
  g.ta = trans_a;
  g.tb = trans_b;
  g.m = m;
  g.n = n;
  g.k = k;
  g.alpha = alpha;
  g.a = a;
  g.lda = lda;
  g.b = b;
  g.ldb = ldb;
  g.beta = beta;
  g.c = c;
  g.ldc = ldc;
  g.bias = row_bias;
  g.relu = relu;
  g.n_kparts = 1;
  g.pool = usable_pool (pool);

  /* Tasks: column tiles, each split into row groups when there are few;
   * the split depends on the sizes only. */
  tiles_n = (n + NC - 1) / NC;
  blocks_m = (m + MC - 1) / MC;
  groups = tiles_n >= MIN_TASKS ? 1
           : MIN (blocks_m, (MIN_TASKS + tiles_n - 1) / tiles_n);
  tasks = g_new (int, 3 * tiles_n * groups);
  for (int tj = 0; tj < tiles_n; tj++)
    for (int q = 0; q < groups; q++)
      {
        int *t = tasks + 3 * (tj * groups + q);
        t[0] = tj;
        t[1] = blocks_m * q / groups;
        t[2] = blocks_m * (q + 1) / groups;
      }
  g.tasks = tasks;
  g.n_tasks = tiles_n * groups;
  swag_pool_run (g.pool, g.n_tasks, gemm_task, &g);
  g_free (tasks);
}

/* Tasks of at least this many k steps when syrk splits k. */
#define SYRK_MIN_PART 8192

void
swag_syrk (SwagPool    *pool,
           int          n,
           int          k,
           float        alpha,
           const float *a,
           int          lda,
           float        beta,
           float       *c,
           int          ldc)
{
  Gemm g = { 0 };

  if (n <= 0)
    return;
  if (k <= 0 || alpha == 0.0f)
    {
      for (int i = 0; i < n; i++)
        scale_c (1, n - i, beta, c + (gsize) i * ldc + i, ldc);
    }
  else
    {
      /* Column tiles with the row blocks that reach the upper triangle,
       * split like swag_gemm's; few tasks split k into parts summed in a
       * fixed order. */
      const int tiles_n = (n + NC - 1) / NC, blocks_m = (n + MC - 1) / MC;
      int *tasks = g_new (int, 3 * tiles_n * MIN_TASKS), n_tasks = 0, parts;

      for (int tj = 0; tj < tiles_n; tj++)
        {
          const int end = MIN (blocks_m, ((tj + 1) * NC + MC - 1) / MC);
          const int groups = tiles_n >= MIN_TASKS ? 1
                             : MIN (end, (MIN_TASKS + tiles_n - 1) / tiles_n);
          for (int q = 0; q < groups; q++)
            {
              int *t = tasks + 3 * n_tasks++;
              t[0] = tj;
              t[1] = end * q / groups;
              t[2] = end * (q + 1) / groups;
            }
        }
      parts = 1;
      if (n_tasks < MIN_TASKS)
        parts = MAX (1, MIN ((MIN_TASKS + n_tasks - 1) / n_tasks,
                             k / SYRK_MIN_PART));

      g.ta = FALSE;
      g.tb = TRUE;
      g.upper = TRUE;
      g.m = g.n = n;
      g.k = k;
      g.alpha = alpha;
      g.a = g.b = a;
      g.lda = g.ldb = lda;
      g.beta = beta;
      g.c = c;
      g.ldc = ldc;
      g.n_kparts = parts;
      g.pool = usable_pool (pool);
      g.tasks = tasks;
      g.n_tasks = n_tasks;
      if (parts > 1)
        g.parts = g_new (float, (gsize) parts * n * ldc);
      swag_pool_run (g.pool, n_tasks * parts, gemm_task, &g);

      if (parts > 1)
        {
          /* c = alpha * sum of the parts in a fixed order + beta * c */
          for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
              {
                const gsize e = (gsize) i * ldc + j;
                float s = g.parts[e];
                for (int q = 1; q < parts; q++)
                  s += g.parts[(gsize) q * n * ldc + e];
                c[e] = alpha * s + (beta == 0.0f ? 0.0f : beta * c[e]);
              }
          g_free (g.parts);
        }
      g_free (tasks);
    }
  /* mirror the upper triangle */
  for (int i = 1; i < n; i++)
    for (int j = 0; j < i; j++)
      c[(gsize) i * ldc + j] = c[(gsize) j * ldc + i];
}
