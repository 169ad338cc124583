/* swag-smooth.c: SWAG softmax smoothing and statistics. GPL-3.0-or-later. */
#include "swag-ops.h"

#include <math.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* Softmax is exp(v - max) / sum(exp(v - max)) with v = x / t (engine/README):
 * subtracting the maximum keeps every exponent <= 0, so nothing overflows
 * however large the activations, and the largest term is exactly 1, so the
 * sum never underflows. (x - max) / t and the exponentials are in double;
 * sums are in double because a layer has millions of terms. NaN in x gives
 * NaN everywhere, for the engine's checks to find. t > 0 is the caller's. */

/* ------------------------------------------------------- over all of it -- */

/* Elements per chunk: the unit of parallel work and of the partial sums
 * (combined in chunk order, so the thread count never changes a bit). */
#define CHUNK ((gsize) 1 << 15)

#if defined(__AVX512F__)
/* exp (x) for x <= 0 in double, 8 lanes: x = n ln2 + r, |r| <= ln2 / 2,
 * exp (r) by its Taylor polynomial to degree 12 (relative error < 2e-16),
 * times 2^n by scalef (which also gives 0 below the smallest subnormal). */
static inline __m512d
exp_pd (__m512d x)
{
  const __m512d log2e = _mm512_set1_pd (1.4426950408889634);
  const __m512d ln2hi = _mm512_set1_pd (6.93147180369123816490e-01);
  const __m512d ln2lo = _mm512_set1_pd (1.90821492927058770002e-10);
  x = _mm512_max_pd (_mm512_set1_pd (-746.0), x);   /* NaN stays NaN */
  const __m512d n = _mm512_roundscale_pd (_mm512_mul_pd (x, log2e),
                                          _MM_FROUND_TO_NEAREST_INT
                                          | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd (n, ln2hi, x);
  r = _mm512_fnmadd_pd (n, ln2lo, r);
  __m512d p = _mm512_set1_pd (1.0 / 479001600.0);
  static const double c[12] = { 1.0 / 39916800.0, 1.0 / 3628800.0,
                                1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0,
                                1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0,
                                1.0 / 6.0, 0.5, 1.0, 1.0 };
  for (int i = 0; i < 12; i++)
    p = _mm512_fmadd_pd (p, r, _mm512_set1_pd (c[i]));
  return _mm512_scalef_pd (p, n);
}
#endif

typedef struct
{
  const float *x, *dy;
  float       *y, *dx;
  double       t, max_d, dot, inv;
  float       *maxes;   /* (chunks) */
  double      *sums;    /* (chunks) */
} Soft;

static void
max_range (gpointer data, gsize q, gsize i0, gsize i1)
{
  Soft *s = data;
  float max = s->x[i0];

  for (gsize i = i0 + 1; i < i1; i++)
    if (s->x[i] > max)
      max = s->x[i];
  /* a NaN anywhere must give NaN everywhere (the engine's checks) */
  for (gsize i = i0; i < i1; i++)
    if (isnan (s->x[i]))
      max = NAN;
  s->maxes[q] = max;
}

static void
exp_range (gpointer data, gsize q, gsize i0, gsize i1)
{
  Soft  *s = data;
  double sum = 0.0;
  gsize  i = i0;

#if defined(__AVX512F__)
  __m512d acc = _mm512_setzero_pd ();
  const __m512d vmax = _mm512_set1_pd (s->max_d);
  const __m512d vinv = _mm512_set1_pd (1.0 / s->t);
  for (; i + 8 <= i1; i += 8)
    {
      const __m512d v = _mm512_cvtps_pd (_mm256_loadu_ps (s->x + i));
      const __m512d e = exp_pd (_mm512_mul_pd (_mm512_sub_pd (v, vmax), vinv));
      const __m256  ef = _mm512_cvtpd_ps (e);
      _mm256_storeu_ps (s->y + i, ef);
      acc = _mm512_add_pd (acc, e);
    }
  sum = _mm512_reduce_add_pd (acc);
#endif
  for (; i < i1; i++)
    {
      const double e = exp (((double) s->x[i] - s->max_d) / s->t);
      s->y[i] = (float) e;
      sum += e;
    }
  s->sums[q] = sum;
}

static void
scale_range (gpointer data, gsize q, gsize i0, gsize i1)
{
  Soft *s = data;
  for (gsize i = i0; i < i1; i++)
    s->y[i] = (float) (s->y[i] * s->inv);
}

void
swag_softmax_all_forward (SwagCtx     *ctx,
                          const float *x,  /* (n) */
                          gsize        n,
                          double       t,
                          float       *y)  /* (n) */
{
  SwagPool *pool = ctx ? ctx->pool : NULL;
  const gsize q = swag_pool_n_chunks (n, CHUNK);
  Soft      s = { .x = x, .y = y, .t = t };
  float     max;
  double    sum = 0.0;

  if (n == 0)
    return;
  s.maxes = g_new (float, q);
  s.sums = g_new (double, q);
  swag_pool_ranges (pool, n, CHUNK, max_range, &s);
  max = s.maxes[0];
  for (gsize k = 1; k < q; k++)
    if (s.maxes[k] > max || isnan (s.maxes[k]))
      max = s.maxes[k];
  s.max_d = max;

  /* Keep the float exponentials in y: one exp per element, and a float holds
   * exp(...) <= 1 to its full relative precision. */
  swag_pool_ranges (pool, n, CHUNK, exp_range, &s);
  for (gsize k = 0; k < q; k++)
    sum += s.sums[k];
  s.inv = 1.0 / sum;
  swag_pool_ranges (pool, n, CHUNK, scale_range, &s);
  g_free (s.maxes);
  g_free (s.sums);
}

static void
dot_range (gpointer data, gsize q, gsize i0, gsize i1)
{
  Soft  *s = data;
  double dot = 0.0;

  for (gsize i = i0; i < i1; i++)
    dot += (double) s->dy[i] * s->y[i];
  s->sums[q] = dot;
}

static void
softmax_back_range (gpointer data, gsize q, gsize i0, gsize i1)
{
  Soft *s = data;
  for (gsize i = i0; i < i1; i++)
    s->dx[i] += (float) (s->y[i] * ((double) s->dy[i] - s->dot) / s->t);
}

void
swag_softmax_all_backward (SwagCtx     *ctx,
                           const float *y,   /* (n) forward output */
                           const float *dy,  /* (n) */
                           gsize        n,
                           double       t,
                           float       *dx)  /* (n) += */
{
  SwagPool *pool = ctx ? ctx->pool : NULL;
  const gsize q = swag_pool_n_chunks (n, CHUNK);
  Soft      s = { .dy = dy, .y = (float *) y, .dx = dx, .t = t };
  double    dot = 0.0;

  if (n == 0)
    return;
  s.sums = g_new (double, q);
  swag_pool_ranges (pool, n, CHUNK, dot_range, &s);
  for (gsize k = 0; k < q; k++)
    dot += s.sums[k];
  s.dot = dot;
  swag_pool_ranges (pool, n, CHUNK, softmax_back_range, &s);
  g_free (s.sums);
}

/* ---------------------------------------------------- over the channels -- */

/* Positions are taken in tiles of 64: each pass over the c channels then
 * reads 64 contiguous floats per channel (whole cache lines) instead of one
 * float at a stride of hw, and the tile's c * 64 floats stay in cache across
 * the passes. Tiles are independent: the unit to share among threads. */
#define SOFTMAX_TILE 64

typedef struct
{
  const float *x, *y, *dy;
  float       *out;
  int          c;
  gsize        hw;
  double       t;
} Chan;

/* Tiles per parallel chunk. */
#define CHAN_CHUNK ((gsize) SOFTMAX_TILE * 16)

static void
channel_forward_range (gpointer data, gsize q, gsize r0, gsize r1)
{
  const Chan  *ch = data;
  const float *x = ch->x;
  float       *y = ch->out;
  const int    c = ch->c;
  const gsize  hw = ch->hw;
  const double t = ch->t;

  for (gsize p0 = r0; p0 < r1; p0 += SOFTMAX_TILE)
    {
      const gsize m = MIN ((gsize) SOFTMAX_TILE, r1 - p0);
      float max[SOFTMAX_TILE];
      double sum[SOFTMAX_TILE];

      for (gsize p = 0; p < m; p++)
        {
          max[p] = x[p0 + p];
          sum[p] = 0.0;
        }
      for (int k = 1; k < c; k++)
        {
          const float *xk = x + (gsize) k * hw + p0;
          for (gsize p = 0; p < m; p++)
            if (xk[p] > max[p])
              max[p] = xk[p];
        }
      for (int k = 0; k < c; k++)
        {
          const float *xk = x + (gsize) k * hw + p0;
          float *yk = y + (gsize) k * hw + p0;
          for (gsize p = 0; p < m; p++)
            {
              const double e = exp (((double) xk[p] - max[p]) / t);
              yk[p] = (float) e;
              sum[p] += e;
            }
        }
      for (gsize p = 0; p < m; p++)
        sum[p] = 1.0 / sum[p];
      for (int k = 0; k < c; k++)
        {
          float *yk = y + (gsize) k * hw + p0;
          for (gsize p = 0; p < m; p++)
            yk[p] = (float) (yk[p] * sum[p]);
        }
    }
}

void
swag_softmax_channel_forward (SwagCtx     *ctx,
                              const float *x,  /* (c, hw) */
                              int          c,
                              gsize        hw,
                              double       t,
                              float       *y)  /* (c, hw) */
{
  Chan ch = { .x = x, .out = y, .c = c, .hw = hw, .t = t };

  if (c <= 0)
    return;
  swag_pool_ranges (ctx ? ctx->pool : NULL, hw, CHAN_CHUNK,
                    channel_forward_range, &ch);
}

static void
channel_backward_range (gpointer data, gsize q, gsize r0, gsize r1)
{
  const Chan  *ch = data;
  const float *y = ch->y, *dy = ch->dy;
  float       *dx = ch->out;
  const int    c = ch->c;
  const gsize  hw = ch->hw;
  const double t = ch->t;

  for (gsize p0 = r0; p0 < r1; p0 += SOFTMAX_TILE)
    {
      const gsize m = MIN ((gsize) SOFTMAX_TILE, r1 - p0);
      double dot[SOFTMAX_TILE] = { 0.0 };

      for (int k = 0; k < c; k++)
        {
          const float *yk = y + (gsize) k * hw + p0;
          const float *dyk = dy + (gsize) k * hw + p0;
          for (gsize p = 0; p < m; p++)
            dot[p] += (double) dyk[p] * yk[p];
        }
      for (int k = 0; k < c; k++)
        {
          const float *yk = y + (gsize) k * hw + p0;
          const float *dyk = dy + (gsize) k * hw + p0;
          float *dxk = dx + (gsize) k * hw + p0;
          for (gsize p = 0; p < m; p++)
            dxk[p] += (float) (yk[p] * ((double) dyk[p] - dot[p]) / t);
        }
    }
}

void
swag_softmax_channel_backward (SwagCtx     *ctx,
                               const float *y,   /* (c, hw) forward output */
                               const float *dy,  /* (c, hw) */
                               int          c,
                               gsize        hw,
                               double       t,
                               float       *dx)  /* (c, hw) += */
{
  Chan ch = { .y = y, .dy = dy, .out = dx, .c = c, .hw = hw, .t = t };

  swag_pool_ranges (ctx ? ctx->pool : NULL, hw, CHAN_CHUNK,
                    channel_backward_range, &ch);
}

/* ------------------------------------------------------------ statistics -- */

/* Two passes: the variance as the mean of squared deviations does not cancel
 * catastrophically the way E[x^2] - E[x]^2 does. n = 0 gives 0 and 0. */
void
swag_mean_std (SwagCtx     *ctx,
               const float *x,  /* (n) */
               gsize        n,
               double      *mean,
               double      *std)
{
  double sum = 0.0, sq = 0.0;

  if (n == 0)
    {
      *mean = 0.0;
      *std = 0.0;
      return;
    }
  for (gsize i = 0; i < n; i++)
    sum += x[i];
  const double mu = sum / n;
  for (gsize i = 0; i < n; i++)
    {
      const double d = x[i] - mu;
      sq += d * d;
    }
  *mean = mu;
  *std = sqrt (sq / n);
}
