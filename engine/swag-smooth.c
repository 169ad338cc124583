/* swag-smooth.c: SWAG softmax smoothing and statistics. GPL-3.0-or-later. */
#include "swag-ops.h"

#include <math.h>

/* Softmax is exp(v - max) / sum(exp(v - max)) with v = x / t (engine/README):
 * subtracting the maximum keeps every exponent <= 0, so nothing overflows
 * however large the activations, and the largest term is exactly 1, so the
 * sum never underflows. (x - max) / t and the exponentials are in double;
 * sums are in double because a layer has millions of terms. NaN in x gives
 * NaN everywhere, for the engine's checks to find. t > 0 is the caller's. */

/* ------------------------------------------------------- over all of it -- */

void
swag_softmax_all_forward (SwagCtx     *ctx,
                          const float *x,  /* (n) */
                          gsize        n,
                          double       t,
                          float       *y)  /* (n) */
{
  if (n == 0)
    return;
  float max = x[0];
  for (gsize i = 1; i < n; i++)
    if (x[i] > max)
      max = x[i];

  /* Keep the float exponentials in y: one exp per element, and a float holds
   * exp(...) <= 1 to its full relative precision. */
  double sum = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      const double e = exp (((double) x[i] - max) / t);
      y[i] = (float) e;
      sum += e;
    }
  const double inv = 1.0 / sum;
  for (gsize i = 0; i < n; i++)
    y[i] = (float) (y[i] * inv);
}

void
swag_softmax_all_backward (SwagCtx     *ctx,
                           const float *y,   /* (n) forward output */
                           const float *dy,  /* (n) */
                           gsize        n,
                           double       t,
                           float       *dx)  /* (n) += */
{
  double dot = 0.0;
  for (gsize i = 0; i < n; i++)
    dot += (double) dy[i] * y[i];
  for (gsize i = 0; i < n; i++)
    dx[i] += (float) (y[i] * ((double) dy[i] - dot) / t);
}

/* ---------------------------------------------------- over the channels -- */

/* Positions are taken in tiles of 64: each pass over the c channels then
 * reads 64 contiguous floats per channel (whole cache lines) instead of one
 * float at a stride of hw, and the tile's c * 64 floats stay in cache across
 * the passes. Tiles are independent: the unit to share among threads. */
#define SOFTMAX_TILE 64

void
swag_softmax_channel_forward (SwagCtx     *ctx,
                              const float *x,  /* (c, hw) */
                              int          c,
                              gsize        hw,
                              double       t,
                              float       *y)  /* (c, hw) */
{
  if (c <= 0)
    return;
  for (gsize p0 = 0; p0 < hw; p0 += SOFTMAX_TILE)
    {
      const gsize m = MIN ((gsize) SOFTMAX_TILE, hw - p0);
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
swag_softmax_channel_backward (SwagCtx     *ctx,
                               const float *y,   /* (c, hw) forward output */
                               const float *dy,  /* (c, hw) */
                               int          c,
                               gsize        hw,
                               double       t,
                               float       *dx)  /* (c, hw) += */
{
  for (gsize p0 = 0; p0 < hw; p0 += SOFTMAX_TILE)
    {
      const gsize m = MIN ((gsize) SOFTMAX_TILE, hw - p0);
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
