/* swag-ops.h: tensor operations, each forward beside its input-gradient
 * backward. Internal to the engine.
 *
 * Tensors are float32, one image (batch 1), layout (C, H, W), contiguous.
 * Weights are frozen: nothing here computes a weight gradient.
 * Backward functions ADD into their gradient output (llm.c's convention);
 * the caller zeroes gradient buffers before the first contribution.
 * Where a backward works in place on the incoming gradient, it says so.
 *
 * GPL-3.0-or-later.
 */
#ifndef SWAG_OPS_H
#define SWAG_OPS_H

#include <glib.h>

#include "swag-threadpool.h"

G_BEGIN_DECLS

/* What every op may use: its share of the machine and a workspace owned by
 * the caller (the network), at least as large as the op's *_scratch_floats()
 * asks for. */
typedef struct
{
  int       n_threads;      /* threads the engine's own loops may use (>= 1) */
  float    *scratch;
  gsize     scratch_floats;
  SwagPool *pool;           /* the context's threads, or NULL: the caller's
                               thread alone (then n_threads is ignored) */
} SwagCtx;

/* ----------------------------------------------------------- convolution -- */

typedef struct _SwagFftConv SwagFftConv; /* swag-fftconv.h */

typedef struct
{
  int          in_c, out_c;
  int          kh, kw;
  int          stride;  /* both directions */
  int          pad;     /* zeros, all four sides */
  const float *weight;  /* (out_c, in_c, kh, kw) */
  const float *bias;    /* (out_c), or NULL for none */
  const float *wino;    /* Winograd weights (swag_winograd_weights) when
                           swag_winograd_applies, or NULL: direct method */
  const SwagFftConv *fft; /* kernel spectra (swag_fftconv_new) when
                             swag_fftconv_applies, or NULL */
} SwagConvDesc;

/* Output size along one axis (floor), as torch. <= 0 when the input is too
 * small. (C division truncates toward zero: without the test, a span of -1
 * at stride 2 would give one output.) */
static inline int
swag_conv_out_size (int in, int k, int stride, int pad)
{
  const int span = in + 2 * pad - k;
  return span < 0 ? 0 : span / stride + 1;
}

/* Floats of ctx->scratch the convolution needs for an input of in_h x in_w:
 * im2col is done in bands of output rows so that this stays bounded (about
 * SWAG_CONV_BAND_FLOATS, but never less than one output row's columns).
 * 0 for 1x1 stride-1 kernels, which are a plain GEMM. */
#define SWAG_CONV_BAND_FLOATS ((gsize) 1 << 20)
gsize swag_conv2d_scratch_floats (const SwagConvDesc *cv, int in_h, int in_w);

/* out = conv(in) + bias, then max(out, 0) when @relu. */
void swag_conv2d_forward  (SwagCtx            *ctx,
                           const SwagConvDesc *cv,
                           const float        *in,   /* (in_c, in_h, in_w) */
                           int                 in_h,
                           int                 in_w,
                           float              *out,  /* (out_c, out_h, out_w) */
                           gboolean            relu);

/* din += conv_transpose(dout) (gradient of the input; any ReLU already
 * applied to dout by the caller). */
void swag_conv2d_backward (SwagCtx            *ctx,
                           const SwagConvDesc *cv,
                           const float        *dout, /* (out_c, out_h, out_w) */
                           int                 in_h,
                           int                 in_w,
                           float              *din); /* (in_c, in_h, in_w) += */

/* The same with the forward's fused ReLU: dout taken as dout * bit, the
 * bits of swag_relu_mask_pack (NULL: none). Winograd applies them while it
 * reads dout (one pass over the gradient less); the direct paths mask dout
 * in place first (faster there than masking while packing), so dout may be
 * overwritten with dout * bit. */
void swag_conv2d_backward_relu (SwagCtx            *ctx,
                                const SwagConvDesc *cv,
                                float              *dout,
                                const guint8       *relu_bits,
                                int                 in_h,
                                int                 in_w,
                                float              *din);

/* Bits [pos, pos + count) of a ReLU mask (LSB first), 0 < count <= 16,
 * reading only the bytes that hold them. */
static inline guint32
swag_bits_get (const guint8 *bits, gsize pos, int count)
{
  const guint8 *b = bits + pos / 8;
  const int     sh = (int) (pos % 8);
  guint32       v = b[0];

  if (sh + count > 8)
    v |= (guint32) b[1] << 8;
  if (sh + count > 16)
    v |= (guint32) b[2] << 16;
  return (v >> sh) & ((1u << count) - 1);
}

/* Winograd F(4x4, 3x3) (swag-winograd.c), used by swag_conv2d_forward and
 * _backward when cv->wino is set: 3x3 kernels, stride 1, padding 1, and at
 * least 16 channels in and out. */
gboolean swag_winograd_applies (const SwagConvDesc *cv);
/* Floats of the transformed weights of a (out_c, in_c, 3, 3) kernel. */
gsize    swag_winograd_weight_floats (int in_c, int out_c);
void     swag_winograd_weights (const float *w,  /* (out_c, in_c, 3, 3) */
                                int in_c, int out_c,
                                float *u);       /* weight_floats */
/* Per-thread workspace (pool work floats) it wants at h x w; with less, it
 * allocates its own on every call. */
gsize    swag_winograd_work_floats (const SwagConvDesc *cv, int h, int w);
/* The same contracts as swag_conv2d_forward / _backward. */
void     swag_winograd_forward  (SwagCtx *ctx, const SwagConvDesc *cv,
                                 const float *in, int h, int w, float *out,
                                 gboolean relu);
void     swag_winograd_backward (SwagCtx *ctx, const SwagConvDesc *cv,
                                 const float *dout, const guint8 *relu_bits,
                                 int h, int w, float *din);

/* ------------------------------------------------------------------ ReLU -- */

void swag_relu_forward  (SwagCtx *ctx, float *x, gsize n); /* in place */

/* dy[i] = (y[i] > 0) ? dy[i] : 0, in place; y is the forward output. */
void swag_relu_backward (SwagCtx *ctx, const float *y, float *dy, gsize n);

/* The same from a bit mask, bit i = (y[i] > 0), LSB first in each byte, so
 * that backward can keep 1 bit per element instead of the activation. */
void swag_relu_mask_pack     (SwagCtx *ctx, const float *y, gsize n,
                              guint8 *bits); /* (n + 7) / 8 bytes */
void swag_relu_backward_bits (SwagCtx *ctx, const guint8 *bits, float *dy,
                              gsize n);

/* --------------------------------------------------------------- pooling -- */

typedef struct
{
  int k;       /* square window */
  int stride;
  int pad;     /* max: -inf padding; avg: zeros, counted (torch's default) */
} SwagPoolDesc;

/* Max pool, floor mode. @argmax (may be NULL when no backward will follow)
 * records for each output the window offset ky * k + kx of the first maximum
 * in scan order, as torch's CPU kernel picks it. */
void swag_maxpool_forward  (SwagCtx            *ctx,
                            const SwagPoolDesc *pd,
                            const float        *in,     /* (c, h, w) */
                            int c, int h, int w,
                            float              *out,    /* (c, oh, ow) */
                            guint8             *argmax);/* (c, oh, ow) or NULL */
void swag_maxpool_backward (SwagCtx            *ctx,
                            const SwagPoolDesc *pd,
                            const float        *dout,   /* (c, oh, ow) */
                            const guint8       *argmax,
                            int c, int h, int w,
                            float              *din);   /* (c, h, w) += */

void swag_avgpool_forward  (SwagCtx            *ctx,
                            const SwagPoolDesc *pd,
                            const float        *in,     /* (c, h, w) */
                            int c, int h, int w,
                            float              *out);   /* (c, oh, ow) */
void swag_avgpool_backward (SwagCtx            *ctx,
                            const SwagPoolDesc *pd,
                            const float        *dout,   /* (c, oh, ow) */
                            int c, int h, int w,
                            float              *din);   /* (c, h, w) += */

/* ------------------------------------------------------- residual, misc -- */

/* out = a + b, then max(out, 0) when @relu. @out may alias @a or @b. The
 * backward of a sum is the identity: add the gradient into both inputs. */
void swag_add_forward (SwagCtx *ctx, const float *a, const float *b,
                       float *out, gsize n, gboolean relu);

/* x = 0, in parallel chunks (gradient buffers are hundreds of MB). */
void swag_zero (SwagCtx *ctx, float *x, gsize n);

/* dst += alpha * src */
void swag_axpy (SwagCtx *ctx, float alpha, const float *src, float *dst,
                gsize n);

/* ------------------------------------------------------------- smoothing -- */

/* y = softmax(x / t) over all n elements. */
void swag_softmax_all_forward  (SwagCtx *ctx, const float *x, gsize n,
                                double t, float *y);
/* dx += y * (dy - sum(dy * y)) / t */
void swag_softmax_all_backward (SwagCtx *ctx, const float *y,
                                const float *dy, gsize n, double t,
                                float *dx);

/* At each of the hw positions, softmax of x[:, p] / t over the c channels. */
void swag_softmax_channel_forward  (SwagCtx *ctx, const float *x, int c,
                                    gsize hw, double t, float *y);
void swag_softmax_channel_backward (SwagCtx *ctx, const float *y,
                                    const float *dy, int c, gsize hw,
                                    double t, float *dx); /* += */

/* Mean and population standard deviation of n floats (sums in double). */
void swag_mean_std (SwagCtx *ctx, const float *x, gsize n, double *mean,
                    double *std);

/* ---------------------------------------------------------- Gram, losses -- */

/* g = f f^T / (c * hw), all c*c entries filled (symmetric). */
void swag_gram_forward  (SwagCtx *ctx, const float *f, /* (c, hw) */
                         int c, gsize hw, float *g);   /* (c, c) */
/* df += (dg + dg^T) f / (c * hw) = 2 dg f / (c * hw): dg must be symmetric,
 * as the style loss's is (the derivative of mean((G - A)^2) with G and A
 * symmetric); one GEMM instead of two. */
void swag_gram_backward (SwagCtx *ctx, const float *f, /* (c, hw) */
                         const float *dg,              /* (c, c) */
                         int c, gsize hw, float *df);  /* (c, hw) += */

/* mean((a - b)^2), accumulated in double. */
double swag_mse_forward  (SwagCtx *ctx, const float *a, const float *b,
                          gsize n);
/* da += scale * 2 (a - b) / n */
void   swag_mse_backward (SwagCtx *ctx, const float *a, const float *b,
                          gsize n, double scale, float *da);

/* Total variation of an image x (c, h, w): the sum of squared differences of
 * vertical and horizontal neighbours, divided by c*h*w. */
double swag_tv_forward  (SwagCtx *ctx, const float *x, int c, int h, int w);
/* dx += scale * d tv / dx */
void   swag_tv_backward (SwagCtx *ctx, const float *x, int c, int h, int w,
                         double scale, float *dx);

G_END_DECLS

#endif /* SWAG_OPS_H */
