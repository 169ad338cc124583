/* swag-conv.c: convolution by banded im2col and GEMM. GPL-3.0-or-later. */
#include "swag-ops.h"

#include <string.h>

#include "swag-blas.h"
#include "swag-fftconv.h"

/* Sizes handed to BLAS are int: an activation plane (out_h * out_w) and a
 * column band stay far below 2^31 at any image size the engine accepts. */

/* A 1x1, stride-1, unpadded kernel reads exactly the input pixel of each
 * output: the input already is its own im2col matrix. */
static gboolean
conv_is_pointwise (const SwagConvDesc *cv)
{
  return cv->kh == 1 && cv->kw == 1 && cv->stride == 1 && cv->pad == 0;
}

/* Output rows per band: as many as keep the band's columns within
 * SWAG_CONV_BAND_FLOATS, but at least one and at most out_h. */
static int
conv_band_rows (const SwagConvDesc *cv, int out_h, int out_w)
{
  const gsize row_floats = (gsize) cv->in_c * cv->kh * cv->kw * out_w;
  const gsize rows = SWAG_CONV_BAND_FLOATS / row_floats;

  if (rows < 1)
    return 1;
  return rows < (gsize) out_h ? (int) rows : out_h;
}

gsize
swag_conv2d_scratch_floats (const SwagConvDesc *cv, int in_h, int in_w)
{
  const int out_h = swag_conv_out_size (in_h, cv->kh, cv->stride, cv->pad);
  const int out_w = swag_conv_out_size (in_w, cv->kw, cv->stride, cv->pad);

  if (conv_is_pointwise (cv) || out_h <= 0 || out_w <= 0
      || (cv->wino && swag_winograd_applies (cv)) || cv->fft)
    return 0;
  return (gsize) conv_band_rows (cv, out_h, out_w)
         * cv->in_c * cv->kh * cv->kw * out_w;
}

/* [*lo, *hi): the outputs o in [0, n_out) whose input o * stride + off lies
 * in [0, n_in). Computing the range once per kernel tap keeps the bounds
 * tests out of the inner loops. */
static void
valid_range (int n_out, int n_in, int stride, int off, int *lo, int *hi)
{
  const int a = off >= 0 ? 0 : (-off + stride - 1) / stride;
  const int b = n_in - off <= 0 ? 0 : (n_in - off + stride - 1) / stride;

  *lo = MIN (a, n_out);
  *hi = CLAMP (b, *lo, n_out);
}

/* The columns of output rows [oy0, oy0 + n_rows): row r = (ic, ky, kx) of
 * cols holds, for each output pixel of the band, the input it multiplies by
 * weight[:, ic, ky, kx], or 0 where the window hangs over the padding. */
static void
im2col_band (const SwagConvDesc *cv,
             const float        *in,    /* (in_c, in_h, in_w) */
             int                 in_h,
             int                 in_w,
             int                 out_w,
             int                 oy0,
             int                 n_rows,
             int                 ic,    /* this input channel's rows only */
             float              *cols)  /* (in_c * kh * kw, n_rows * out_w) */
{
  const int s = cv->stride;
  const gsize n = (gsize) n_rows * out_w;

    for (int ky = 0; ky < cv->kh; ky++)
      for (int kx = 0; kx < cv->kw; kx++)
        {
          float *row = cols + (((gsize) ic * cv->kh + ky) * cv->kw + kx) * n;
          int x0, x1;

          valid_range (out_w, in_w, s, kx - cv->pad, &x0, &x1);
          for (int j = 0; j < n_rows; j++)
            {
              float *dst = row + (gsize) j * out_w;
              const int iy = (oy0 + j) * s + ky - cv->pad;

              if (iy < 0 || iy >= in_h || x0 == x1)
                {
                  memset (dst, 0, sizeof (float) * out_w);
                  continue;
                }
              const float *src = in + ((gsize) ic * in_h + iy) * in_w
                                 + x0 * s + kx - cv->pad;
              for (int ox = 0; ox < x0; ox++)
                dst[ox] = 0.0f;
              if (s == 1)
                memcpy (dst + x0, src, sizeof (float) * (x1 - x0));
              else
                for (int ox = x0; ox < x1; ox++)
                  dst[ox] = src[(gsize) (ox - x0) * s];
              for (int ox = x1; ox < out_w; ox++)
                dst[ox] = 0.0f;
            }
        }
}

/* The adjoint of im2col_band: each column entry is added back into the input
 * pixel it was read from; padding entries are dropped. */
static void
col2im_band_add (const SwagConvDesc *cv,
                 const float        *cols, /* (in_c*kh*kw, n_rows*out_w) */
                 int                 in_h,
                 int                 in_w,
                 int                 out_w,
                 int                 oy0,
                 int                 n_rows,
                 int                 ic,   /* this input channel's rows only */
                 float              *din)  /* (in_c, in_h, in_w) += */
{
  const int s = cv->stride;
  const gsize n = (gsize) n_rows * out_w;

    for (int ky = 0; ky < cv->kh; ky++)
      for (int kx = 0; kx < cv->kw; kx++)
        {
          const float *row =
            cols + (((gsize) ic * cv->kh + ky) * cv->kw + kx) * n;
          int x0, x1;

          valid_range (out_w, in_w, s, kx - cv->pad, &x0, &x1);
          if (x0 == x1)
            continue;
          for (int j = 0; j < n_rows; j++)
            {
              const int iy = (oy0 + j) * s + ky - cv->pad;

              if (iy < 0 || iy >= in_h)
                continue;
              const float *src = row + (gsize) j * out_w;
              float *dst = din + ((gsize) ic * in_h + iy) * in_w
                           + x0 * s + kx - cv->pad;
              for (int ox = x0; ox < x1; ox++)
                dst[(gsize) (ox - x0) * s] += src[ox];
            }
        }
}

/* im2col and col2im one input channel per task: each task writes only its
 * own rows of the columns (im2col) or its own plane of din (col2im). */
typedef struct
{
  const SwagConvDesc *cv;
  const float        *in;
  float              *cols;
  float              *din;
  int                 in_h, in_w, out_w, oy0, n_rows;
} Band;

static void
im2col_task (gpointer data, int ic, int thread)
{
  const Band *b = data;
  im2col_band (b->cv, b->in, b->in_h, b->in_w, b->out_w, b->oy0, b->n_rows,
               ic, b->cols);
}

static void
col2im_task (gpointer data, int ic, int thread)
{
  const Band *b = data;
  col2im_band_add (b->cv, b->cols, b->in_h, b->in_w, b->out_w, b->oy0,
                   b->n_rows, ic, b->din);
}

void
swag_conv2d_forward (SwagCtx            *ctx,
                     const SwagConvDesc *cv,
                     const float        *in,   /* (in_c, in_h, in_w) */
                     int                 in_h,
                     int                 in_w,
                     float              *out,  /* (out_c, out_h, out_w) */
                     gboolean            relu)
{
  const int out_h = swag_conv_out_size (in_h, cv->kh, cv->stride, cv->pad);
  const int out_w = swag_conv_out_size (in_w, cv->kw, cv->stride, cv->pad);
  const int k = cv->in_c * cv->kh * cv->kw;

  if (out_h <= 0 || out_w <= 0)
    return;
  const gsize out_hw = (gsize) out_h * out_w;

  if (cv->wino && swag_winograd_applies (cv))
    {
      swag_winograd_forward (ctx, cv, in, in_h, in_w, out, relu);
      return;
    }
  if (cv->fft)
    {
      swag_fftconv_forward (ctx, cv, cv->fft, in, in_h, in_w, out, relu);
      return;
    }
  if (conv_is_pointwise (cv))
    {
      /* out (O, HW) = W (O, I) x in (I, HW), + bias, ReLU */
      swag_gemm (ctx->pool, FALSE, FALSE, cv->out_c, (int) out_hw, cv->in_c,
                 1.0f, cv->weight, cv->in_c, in, (int) out_hw,
                 0.0f, out, (int) out_hw, cv->bias, relu);
      return;
    }

  /* A scratch smaller than asked for is a caller bug: leave out untouched
   * rather than write past the buffer (the network sizes its scratch with
   * swag_conv2d_scratch_floats; the tests fill outputs with NaN). */
  if (ctx->scratch == NULL
      || ctx->scratch_floats < swag_conv2d_scratch_floats (cv, in_h, in_w))
    return;

  const int band = conv_band_rows (cv, out_h, out_w);
  for (int oy0 = 0; oy0 < out_h; oy0 += band)
    {
      const int n_rows = MIN (band, out_h - oy0);
      const gsize n = (gsize) n_rows * out_w;
      const gsize p0 = (gsize) oy0 * out_w;
      Band b = { cv, in, ctx->scratch, NULL, in_h, in_w, out_w, oy0,
                 n_rows };

      swag_pool_run (ctx->pool, cv->in_c, im2col_task, &b);
      /* out[:, band] (O, n) = W (O, K) x cols (K, n), + bias, ReLU; the
       * band's columns of out are strided by the whole plane. */
      swag_gemm (ctx->pool, FALSE, FALSE, cv->out_c, (int) n, k,
                 1.0f, cv->weight, k, ctx->scratch, (int) n,
                 0.0f, out + p0, (int) out_hw, cv->bias, relu);
    }
}

void
swag_conv2d_backward (SwagCtx            *ctx,
                      const SwagConvDesc *cv,
                      const float        *dout, /* (out_c, out_h, out_w) */
                      int                 in_h,
                      int                 in_w,
                      float              *din)  /* (in_c, in_h, in_w) += */
{
  swag_conv2d_backward_relu (ctx, cv, (float *) dout, NULL, in_h, in_w, din);
}

void
swag_conv2d_backward_relu (SwagCtx            *ctx,
                           const SwagConvDesc *cv,
                           float              *dout, /* (out_c, out_h, out_w) */
                           const guint8       *relu_bits,
                           int                 in_h,
                           int                 in_w,
                           float              *din)  /* (in_c, in_h, in_w) += */
{
  const int out_h = swag_conv_out_size (in_h, cv->kh, cv->stride, cv->pad);
  const int out_w = swag_conv_out_size (in_w, cv->kw, cv->stride, cv->pad);
  const int k = cv->in_c * cv->kh * cv->kw;

  if (out_h <= 0 || out_w <= 0)
    return;
  const gsize out_hw = (gsize) out_h * out_w;

  if (cv->wino && swag_winograd_applies (cv))
    {
      swag_winograd_backward (ctx, cv, dout, relu_bits, in_h, in_w, din);
      return;
    }
  if (cv->fft)
    {
      swag_fftconv_backward (ctx, cv->fft, dout, relu_bits, in_h, in_w, din);
      return;
    }
  if (relu_bits)
    swag_relu_backward_bits (ctx, relu_bits, dout, (gsize) cv->out_c * out_hw);
  if (conv_is_pointwise (cv))
    {
      /* din (I, HW) += W^T (I, O) x dout (O, HW) */
      swag_gemm (ctx->pool, TRUE, FALSE, cv->in_c, (int) out_hw, cv->out_c,
                 1.0f, cv->weight, cv->in_c, dout, (int) out_hw,
                 1.0f, din, (int) out_hw, NULL, FALSE);
      return;
    }

  if (ctx->scratch == NULL
      || ctx->scratch_floats < swag_conv2d_scratch_floats (cv, in_h, in_w))
    return;

  /* Bands may share input rows (kh > stride); col2im adds, so that is
   * harmless. */
  const int band = conv_band_rows (cv, out_h, out_w);
  for (int oy0 = 0; oy0 < out_h; oy0 += band)
    {
      const int n_rows = MIN (band, out_h - oy0);
      const gsize n = (gsize) n_rows * out_w;
      Band b = { cv, NULL, ctx->scratch, din, in_h, in_w, out_w, oy0,
                 n_rows };

      /* cols (K, n) = W^T (K, O) x dout[:, band] (O, n) */
      swag_gemm (ctx->pool, TRUE, FALSE, k, (int) n, cv->out_c,
                 1.0f, cv->weight, k, dout + (gsize) oy0 * out_w,
                 (int) out_hw, 0.0f, ctx->scratch, (int) n, NULL, FALSE);
      swag_pool_run (ctx->pool, cv->in_c, col2im_task, &b);
    }
}
