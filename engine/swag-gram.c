/* swag-gram.c: Gram matrix, MSE, total variation. GPL-3.0-or-later. */
#include "swag-ops.h"

#include "swag-blas.h"

/* hw goes to BLAS as an int: an activation plane stays far below 2^31. */

/* ------------------------------------------------------------------ Gram -- */

void
swag_gram_forward (SwagCtx     *ctx,
                   const float *f,  /* (c, hw) */
                   int          c,
                   gsize        hw,
                   float       *g)  /* (c, c) */
{
  const float norm = (float) (1.0 / ((double) c * hw));

  /* syrk does half of gemm's work and fills both triangles. */
  swag_syrk (ctx->pool, c, (int) hw, norm, f, (int) hw, 0.0f, g, c);
}

/* dg is symmetric by contract, so (dg + dg^T) f is one GEMM: 2 dg f. */
void
swag_gram_backward (SwagCtx     *ctx,
                    const float *f,   /* (c, hw) */
                    const float *dg,  /* (c, c) */
                    int          c,
                    gsize        hw,
                    float       *df)  /* (c, hw) += */
{
  const float norm = (float) (1.0 / ((double) c * hw));

  /* df (c, hw) += 2 norm dg (c, c) f (c, hw) */
  swag_gemm (ctx->pool, FALSE, FALSE, c, (int) hw, c, 2.0f * norm, dg, c,
             f, (int) hw, 1.0f, df, (int) hw, NULL, FALSE);
}

/* ------------------------------------------------------------------- MSE -- */

/* Chunks of the element-wise loops: the unit of parallel work and of the
 * partial sums, combined in chunk order (the same bits for any thread
 * count). */
#define CHUNK ((gsize) 1 << 15)

typedef struct
{
  const float *a, *b;
  float       *da;
  double       k;
  double      *sums;
} Mse;

static void
mse_range (gpointer data, gsize q, gsize i0, gsize i1)
{
  Mse   *m = data;
  double sum = 0.0;

  for (gsize i = i0; i < i1; i++)
    {
      const double d = (double) m->a[i] - m->b[i];
      sum += d * d;
    }
  m->sums[q] = sum;
}

double
swag_mse_forward (SwagCtx     *ctx,
                  const float *a,  /* (n) */
                  const float *b,  /* (n) */
                  gsize        n)
{
  Mse    m = { a, b, NULL, 0.0, NULL };
  double sum = 0.0;
  gsize  q;

  if (n == 0)
    return 0.0;
  m.sums = g_new (double, swag_pool_n_chunks (n, CHUNK));
  q = swag_pool_ranges (ctx ? ctx->pool : NULL, n, CHUNK, mse_range, &m);
  for (gsize k = 0; k < q; k++)
    sum += m.sums[k];
  g_free (m.sums);
  return sum / n;
}

static void
mse_back_range (gpointer data, gsize q, gsize i0, gsize i1)
{
  Mse *m = data;
  for (gsize i = i0; i < i1; i++)
    m->da[i] += (float) (m->k * ((double) m->a[i] - m->b[i]));
}

void
swag_mse_backward (SwagCtx     *ctx,
                   const float *a,     /* (n) */
                   const float *b,     /* (n) */
                   gsize        n,
                   double       scale,
                   float       *da)    /* (n) += */
{
  Mse m = { a, b, da, 0.0, NULL };

  if (n == 0)
    return;
  m.k = 2.0 * scale / n;
  swag_pool_ranges (ctx ? ctx->pool : NULL, n, CHUNK, mse_back_range, &m);
}

/* ------------------------------------------------------ total variation -- */

double
swag_tv_forward (SwagCtx     *ctx,
                 const float *x,  /* (c, h, w) */
                 int          c,
                 int          h,
                 int          w)
{
  double sum = 0.0;

  if (c <= 0 || h <= 0 || w <= 0)
    return 0.0;
  for (int ch = 0; ch < c; ch++)
    {
      const float *plane = x + (gsize) ch * h * w;
      for (int y = 0; y < h; y++)
        {
          const float *row = plane + (gsize) y * w;
          for (int i = 0; i + 1 < w; i++)
            {
              const double d = (double) row[i + 1] - row[i];
              sum += d * d;
            }
          if (y + 1 < h)
            for (int i = 0; i < w; i++)
              {
                const double d = (double) row[w + i] - row[i];
                sum += d * d;
              }
        }
    }
  return sum / ((double) c * h * w);
}

/* d/dx[y, i] of the sum: 2 (x[y, i] - x[y, i - 1]) - 2 (x[y, i + 1] -
 * x[y, i]), and the same vertically, each term only where the neighbour
 * exists. Gathered per pixel in double, so each dx is written once. */
void
swag_tv_backward (SwagCtx     *ctx,
                  const float *x,     /* (c, h, w) */
                  int          c,
                  int          h,
                  int          w,
                  double       scale,
                  float       *dx)    /* (c, h, w) += */
{
  if (c <= 0 || h <= 0 || w <= 0)
    return;
  const double k = 2.0 * scale / ((double) c * h * w);
  for (int ch = 0; ch < c; ch++)
    {
      const float *plane = x + (gsize) ch * h * w;
      float *dplane = dx + (gsize) ch * h * w;
      for (int y = 0; y < h; y++)
        {
          const float *row = plane + (gsize) y * w;
          for (int i = 0; i < w; i++)
            {
              const double v = row[i];
              double g = 0.0;
              if (i > 0)
                g += v - row[i - 1];
              if (i + 1 < w)
                g -= (double) row[i + 1] - v;
              if (y > 0)
                g += v - row[i - w];
              if (y + 1 < h)
                g -= (double) row[i + w] - v;
              dplane[(gsize) y * w + i] += (float) (k * g);
            }
        }
    }
}
