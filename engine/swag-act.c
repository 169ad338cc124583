/* swag-act.c: ReLU, pooling, residual sum. GPL-3.0-or-later. */
#include "swag-ops.h"

#include <math.h>

/* ------------------------------------------------------------------ ReLU -- */

/* `x < 0` rather than `x > 0 ? x : 0` so that NaN goes through, as in torch:
 * a NaN must reach the engine's checks, not be hidden as a zero. */
void
swag_relu_forward (SwagCtx *ctx,
                   float   *x,   /* (n) */
                   gsize    n)
{
  for (gsize i = 0; i < n; i++)
    if (x[i] < 0.0f)
      x[i] = 0.0f;
}

void
swag_relu_backward (SwagCtx     *ctx,
                    const float *y,   /* (n) forward output */
                    float       *dy,  /* (n) in place */
                    gsize        n)
{
  for (gsize i = 0; i < n; i++)
    if (!(y[i] > 0.0f))
      dy[i] = 0.0f;
}

void
swag_relu_mask_pack (SwagCtx     *ctx,
                     const float *y,    /* (n) forward output */
                     gsize        n,
                     guint8      *bits) /* ((n + 7) / 8) */
{
  for (gsize byte = 0; byte < (n + 7) / 8; byte++)
    {
      const gsize i0 = byte * 8;
      const int m = (int) MIN ((gsize) 8, n - i0);
      guint8 b = 0;

      for (int j = 0; j < m; j++)
        b |= (guint8) ((y[i0 + j] > 0.0f) << j);
      bits[byte] = b;  /* the unused high bits of the last byte are 0 */
    }
}

void
swag_relu_backward_bits (SwagCtx      *ctx,
                         const guint8 *bits, /* ((n + 7) / 8) */
                         float        *dy,   /* (n) in place */
                         gsize         n)
{
  for (gsize i = 0; i < n; i++)
    if (!((bits[i / 8] >> (i % 8)) & 1))
      dy[i] = 0.0f;
}

/* --------------------------------------------------------------- pooling -- */

/* Floor mode with pad <= k / 2 (torch's own limit): every window starts inside
 * the padded input and ends by its far edge, so a window always holds at
 * least one real pixel, and the average's divisor with the padding counted is
 * always k * k. */

/* The argmax byte holds ky * k + kx, so k <= 16 (VGG's and ResNet's are 2
 * and 3). */
void
swag_maxpool_forward (SwagCtx            *ctx,
                      const SwagPoolDesc *pd,
                      const float        *in,     /* (c, h, w) */
                      int                 c,
                      int                 h,
                      int                 w,
                      float              *out,    /* (c, oh, ow) */
                      guint8             *argmax) /* (c, oh, ow) or NULL */
{
  const int oh = swag_conv_out_size (h, pd->k, pd->stride, pd->pad);
  const int ow = swag_conv_out_size (w, pd->k, pd->stride, pd->pad);

  if (oh <= 0 || ow <= 0)
    return;
  for (int ch = 0; ch < c; ch++)
    {
      const float *plane = in + (gsize) ch * h * w;

      for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
          {
            const int y0 = oy * pd->stride - pd->pad;
            const int x0 = ox * pd->stride - pd->pad;
            const int ky0 = MAX (0, -y0), ky1 = MIN (pd->k, h - y0);
            const int kx0 = MAX (0, -x0), kx1 = MIN (pd->k, w - x0);
            /* torch's CPU kernel: start from -inf at the first real pixel;
             * a later value wins only when strictly greater, or NaN. */
            float best = -INFINITY;
            int best_off = ky0 * pd->k + kx0;

            for (int ky = ky0; ky < ky1; ky++)
              for (int kx = kx0; kx < kx1; kx++)
                {
                  const float v = plane[(gsize) (y0 + ky) * w + x0 + kx];
                  if (v > best || isnan (v))
                    {
                      best = v;
                      best_off = ky * pd->k + kx;
                    }
                }
            const gsize o = ((gsize) ch * oh + oy) * ow + ox;
            out[o] = best;
            if (argmax != NULL)
              argmax[o] = (guint8) best_off;
          }
    }
}

void
swag_maxpool_backward (SwagCtx            *ctx,
                       const SwagPoolDesc *pd,
                       const float        *dout,   /* (c, oh, ow) */
                       const guint8       *argmax, /* (c, oh, ow) */
                       int                 c,
                       int                 h,
                       int                 w,
                       float              *din)    /* (c, h, w) += */
{
  const int oh = swag_conv_out_size (h, pd->k, pd->stride, pd->pad);
  const int ow = swag_conv_out_size (w, pd->k, pd->stride, pd->pad);

  if (oh <= 0 || ow <= 0)
    return;
  for (int ch = 0; ch < c; ch++)
    {
      float *plane = din + (gsize) ch * h * w;

      for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
          {
            const gsize o = ((gsize) ch * oh + oy) * ow + ox;
            const int iy = oy * pd->stride - pd->pad + argmax[o] / pd->k;
            const int ix = ox * pd->stride - pd->pad + argmax[o] % pd->k;
            plane[(gsize) iy * w + ix] += dout[o];
          }
    }
}

void
swag_avgpool_forward (SwagCtx            *ctx,
                      const SwagPoolDesc *pd,
                      const float        *in,   /* (c, h, w) */
                      int                 c,
                      int                 h,
                      int                 w,
                      float              *out)  /* (c, oh, ow) */
{
  const int oh = swag_conv_out_size (h, pd->k, pd->stride, pd->pad);
  const int ow = swag_conv_out_size (w, pd->k, pd->stride, pd->pad);
  const float divisor = (float) (pd->k * pd->k);

  if (oh <= 0 || ow <= 0)
    return;
  for (int ch = 0; ch < c; ch++)
    {
      const float *plane = in + (gsize) ch * h * w;

      for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
          {
            const int y0 = oy * pd->stride - pd->pad;
            const int x0 = ox * pd->stride - pd->pad;
            const int ky0 = MAX (0, -y0), ky1 = MIN (pd->k, h - y0);
            const int kx0 = MAX (0, -x0), kx1 = MIN (pd->k, w - x0);
            float sum = 0.0f;

            for (int ky = ky0; ky < ky1; ky++)
              for (int kx = kx0; kx < kx1; kx++)
                sum += plane[(gsize) (y0 + ky) * w + x0 + kx];
            out[((gsize) ch * oh + oy) * ow + ox] = sum / divisor;
          }
    }
}

void
swag_avgpool_backward (SwagCtx            *ctx,
                       const SwagPoolDesc *pd,
                       const float        *dout, /* (c, oh, ow) */
                       int                 c,
                       int                 h,
                       int                 w,
                       float              *din)  /* (c, h, w) += */
{
  const int oh = swag_conv_out_size (h, pd->k, pd->stride, pd->pad);
  const int ow = swag_conv_out_size (w, pd->k, pd->stride, pd->pad);
  const float divisor = (float) (pd->k * pd->k);

  if (oh <= 0 || ow <= 0)
    return;
  for (int ch = 0; ch < c; ch++)
    {
      float *plane = din + (gsize) ch * h * w;

      for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
          {
            const int y0 = oy * pd->stride - pd->pad;
            const int x0 = ox * pd->stride - pd->pad;
            const int ky0 = MAX (0, -y0), ky1 = MIN (pd->k, h - y0);
            const int kx0 = MAX (0, -x0), kx1 = MIN (pd->k, w - x0);
            const float g = dout[((gsize) ch * oh + oy) * ow + ox] / divisor;

            for (int ky = ky0; ky < ky1; ky++)
              for (int kx = kx0; kx < kx1; kx++)
                plane[(gsize) (y0 + ky) * w + x0 + kx] += g;
          }
    }
}

/* ------------------------------------------------------- residual, misc -- */

/* Element-wise, each element read before it is written: @out may alias. */
void
swag_add_forward (SwagCtx     *ctx,
                  const float *a,    /* (n) */
                  const float *b,    /* (n) */
                  float       *out,  /* (n), may be a or b */
                  gsize        n,
                  gboolean     relu)
{
  if (relu)
    for (gsize i = 0; i < n; i++)
      {
        const float v = a[i] + b[i];
        out[i] = v < 0.0f ? 0.0f : v;
      }
  else
    for (gsize i = 0; i < n; i++)
      out[i] = a[i] + b[i];
}

void
swag_axpy (SwagCtx     *ctx,
           float        alpha,
           const float *src,  /* (n) */
           float       *dst,  /* (n) += */
           gsize        n)
{
  for (gsize i = 0; i < n; i++)
    dst[i] += alpha * src[i];
}
