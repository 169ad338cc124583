/* swag-relu-pooling.c: ReLU, 2x2 pooling, and the element-wise sums of
 * residual blocks. GPL-3.0-or-later.
 *
 * Element-wise ops run in chunks of CHUNK elements on the context's thread
 * pool, pooling one channel per task: each task writes only its own
 * outputs, so the results do not depend on the thread count. */
#include "swag-ops.h"

#include <math.h>
#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* Elements per task: large enough to hide the hand-off (~10 us), a multiple
 * of 64 so that bit masks split on whole bytes. */
#define CHUNK ((gsize) 1 << 16)

typedef void (*RangeFunc) (gpointer data, gsize i0, gsize i1);

typedef struct
{
  RangeFunc fn;
  gpointer  data;
  gsize     n;
} Ranges;

static void
range_task (gpointer data, int task, int thread)
{
  const Ranges *r = data;
  const gsize i0 = (gsize) task * CHUNK;

  r->fn (r->data, i0, MIN (r->n, i0 + CHUNK));
}

static void
parallel_ranges (SwagCtx *ctx, gsize n, RangeFunc fn, gpointer data)
{
  Ranges r = { fn, data, n };

  if (n == 0)
    return;
  if (n <= CHUNK)
    {
      fn (data, 0, n);
      return;
    }
  swag_pool_run (ctx ? ctx->pool : NULL, (int) ((n + CHUNK - 1) / CHUNK),
                 range_task, &r);
}

typedef struct
{
  const float  *a, *b;
  float        *x;
  guint8       *bits;
  const guint8 *cbits;
  float         alpha;
  gboolean      relu;
} Elem;

/* ------------------------------------------------------------------ ReLU -- */

/* `x < 0` rather than `x > 0 ? x : 0` so that NaN goes through, as in torch:
 * a NaN must reach the engine's checks, not be hidden as a zero. */
static void
relu_range (gpointer data, gsize i0, gsize i1)
{
  float *x = ((Elem *) data)->x;
  for (gsize i = i0; i < i1; i++)
    if (x[i] < 0.0f)
      x[i] = 0.0f;
}

void
swag_relu_forward (SwagCtx *ctx,
                   float   *x,   /* (n) */
                   gsize    n)
{
  Elem e = { .x = x };
  parallel_ranges (ctx, n, relu_range, &e);
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

static void
mask_pack_range (gpointer data, gsize i0, gsize i1)
{
  const Elem  *e = data;
  const float *y = e->a;
  guint8      *bits = e->bits;
  gsize        byte = i0 / 8;   /* i0 is a multiple of 8 */

#if defined(__AVX512F__)
  for (; byte * 8 + 16 <= i1; byte += 2)
    {
      const __mmask16 m = _mm512_cmp_ps_mask (_mm512_loadu_ps (y + byte * 8),
                                              _mm512_setzero_ps (),
                                              _CMP_GT_OQ);
      bits[byte] = (guint8) m;
      bits[byte + 1] = (guint8) (m >> 8);
    }
#endif
  for (; byte < (i1 + 7) / 8; byte++)
    {
      const gsize b0 = byte * 8;
      const int m = (int) MIN ((gsize) 8, i1 - b0);
      guint8 b = 0;

      for (int j = 0; j < m; j++)
        b |= (guint8) ((y[b0 + j] > 0.0f) << j);
      bits[byte] = b;  /* the unused high bits of the last byte are 0 */
    }
}

void
swag_relu_mask_pack (SwagCtx     *ctx,
                     const float *y,    /* (n) forward output */
                     gsize        n,
                     guint8      *bits) /* ((n + 7) / 8) */
{
  Elem e = { .a = y, .bits = bits };
  parallel_ranges (ctx, n, mask_pack_range, &e);
}

static void
backward_bits_range (gpointer data, gsize i0, gsize i1)
{
  const Elem   *e = data;
  const guint8 *bits = e->cbits;
  float        *dy = e->x;
  gsize         i = i0;

#if defined(__AVX512F__)
  for (; i + 16 <= i1; i += 16)
    {
      const __mmask16 m = (__mmask16) (bits[i / 8] | (bits[i / 8 + 1] << 8));
      _mm512_storeu_ps (dy + i, _mm512_maskz_loadu_ps (m, dy + i));
    }
#endif
  for (; i < i1; i++)
    if (!((bits[i / 8] >> (i % 8)) & 1))
      dy[i] = 0.0f;
}

void
swag_relu_backward_bits (SwagCtx      *ctx,
                         const guint8 *bits, /* ((n + 7) / 8) */
                         float        *dy,   /* (n) in place */
                         gsize         n)
{
  Elem e = { .cbits = bits, .x = dy };
  parallel_ranges (ctx, n, backward_bits_range, &e);
}

/* --------------------------------------------------------------- pooling -- */

/* Floor mode with pad <= k / 2 (torch's own limit): every window starts inside
 * the padded input and ends by its far edge, so a window always holds at
 * least one real pixel, and the average's divisor with the padding counted is
 * always k * k. */

typedef struct
{
  const SwagPoolDesc *pd;
  const float        *in;     /* forward input, or dout */
  float              *out;    /* forward output, or din */
  guint8             *argmax;
  const guint8       *cargmax;
  int                 h, w, oh, ow;
  int                 cmax;     /* channels */
} PoolJob;

/* Channels per task. */
#define POOL_CHANNELS 4

static void
pool_run (SwagCtx *ctx, int c, SwagPoolFunc fn, PoolJob *job)
{
  swag_pool_run (ctx ? ctx->pool : NULL,
                 (c + POOL_CHANNELS - 1) / POOL_CHANNELS, fn, job);
}

/* One output row of a 2x2, stride 2, unpadded max pool, 16 outputs at a
 * time; returns how many outputs it did (a multiple of 16). */
static int
maxpool2_row (const float *r0, const float *r1, int ow, float *out,
              guint8 *argmax)
{
  int ox = 0;
#if defined(__AVX512F__)
  const __m512i even = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16,
                                         14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_add_epi32 (even, _mm512_set1_epi32 (1));

  for (; ox + 16 <= ow; ox += 16)
    {
      const __m512 a0 = _mm512_loadu_ps (r0 + 2 * ox);
      const __m512 a1 = _mm512_loadu_ps (r0 + 2 * ox + 16);
      const __m512 b0 = _mm512_loadu_ps (r1 + 2 * ox);
      const __m512 b1 = _mm512_loadu_ps (r1 + 2 * ox + 16);
      const __m512 v[4] = { _mm512_permutex2var_ps (a0, even, a1),
                            _mm512_permutex2var_ps (a0, odd, a1),
                            _mm512_permutex2var_ps (b0, even, b1),
                            _mm512_permutex2var_ps (b0, odd, b1) };
      /* torch's scan: a later value wins when strictly greater, or NaN */
      __m512  best = v[0];
      __m512i off = _mm512_setzero_si512 ();
      for (int k = 1; k < 4; k++)
        {
          const __mmask16 win = _mm512_cmp_ps_mask (v[k], best, _CMP_GT_OQ)
                                | _mm512_cmp_ps_mask (v[k], v[k], _CMP_UNORD_Q);
          best = _mm512_mask_blend_ps (win, best, v[k]);
          off = _mm512_mask_blend_epi32 (win, off, _mm512_set1_epi32 (k));
        }
      _mm512_storeu_ps (out + ox, best);
      if (argmax)
        _mm_storeu_si128 ((__m128i *) (argmax + ox), _mm512_cvtepi32_epi8 (off));
    }
#endif
  return ox;
}

/* The argmax byte holds ky * k + kx, so k <= 16 (VGG's and ResNet's are 2
 * and 3). */
static void
maxpool_forward_task (gpointer data, int task, int thread)
{
  const PoolJob      *j = data;
  const SwagPoolDesc *pd = j->pd;
  const int           h = j->h, w = j->w, oh = j->oh, ow = j->ow;
  const gboolean      two = pd->k == 2 && pd->stride == 2 && pd->pad == 0;

  for (int ch = task * POOL_CHANNELS; ch < MIN (j->cmax, (task + 1) * POOL_CHANNELS); ch++)
    {
      const float *plane = j->in + (gsize) ch * h * w;

      for (int oy = 0; oy < oh; oy++)
        {
          const gsize orow = ((gsize) ch * oh + oy) * ow;
          int ox = 0;

          if (two)
            ox = maxpool2_row (plane + (gsize) 2 * oy * w,
                               plane + (gsize) (2 * oy + 1) * w, ow,
                               j->out + orow,
                               j->argmax ? j->argmax + orow : NULL);
          for (; ox < ow; ox++)
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
              j->out[orow + ox] = best;
              if (j->argmax != NULL)
                j->argmax[orow + ox] = (guint8) best_off;
            }
        }
    }
}

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
  PoolJob j = { pd, in, out, argmax, NULL, h, w,
                swag_conv_out_size (h, pd->k, pd->stride, pd->pad),
                swag_conv_out_size (w, pd->k, pd->stride, pd->pad), c };

  if (j.oh <= 0 || j.ow <= 0)
    return;
  pool_run (ctx, c, maxpool_forward_task, &j);
}

static void
maxpool_backward_task (gpointer data, int task, int thread)
{
  const PoolJob      *j = data;
  const SwagPoolDesc *pd = j->pd;
  const int           h = j->h, w = j->w, oh = j->oh, ow = j->ow;

  for (int ch = task * POOL_CHANNELS; ch < MIN (j->cmax, (task + 1) * POOL_CHANNELS); ch++)
    {
      float *plane = j->out + (gsize) ch * h * w;

      for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
          {
            const gsize o = ((gsize) ch * oh + oy) * ow + ox;
            const int iy = oy * pd->stride - pd->pad + j->cargmax[o] / pd->k;
            const int ix = ox * pd->stride - pd->pad + j->cargmax[o] % pd->k;
            plane[(gsize) iy * w + ix] += j->in[o];
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
  PoolJob j = { pd, dout, din, NULL, argmax, h, w,
                swag_conv_out_size (h, pd->k, pd->stride, pd->pad),
                swag_conv_out_size (w, pd->k, pd->stride, pd->pad), c };

  if (j.oh <= 0 || j.ow <= 0)
    return;
  pool_run (ctx, c, maxpool_backward_task, &j);
}

static void
avgpool_forward_task (gpointer data, int task, int thread)
{
  const PoolJob      *j = data;
  const SwagPoolDesc *pd = j->pd;
  const int           h = j->h, w = j->w, oh = j->oh, ow = j->ow;
  const float         divisor = (float) (pd->k * pd->k);

  for (int ch = task * POOL_CHANNELS; ch < MIN (j->cmax, (task + 1) * POOL_CHANNELS); ch++)
    {
      const float *plane = j->in + (gsize) ch * h * w;

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
            j->out[((gsize) ch * oh + oy) * ow + ox] = sum / divisor;
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
  PoolJob j = { pd, in, out, NULL, NULL, h, w,
                swag_conv_out_size (h, pd->k, pd->stride, pd->pad),
                swag_conv_out_size (w, pd->k, pd->stride, pd->pad), c };

  if (j.oh <= 0 || j.ow <= 0)
    return;
  pool_run (ctx, c, avgpool_forward_task, &j);
}

static void
avgpool_backward_task (gpointer data, int task, int thread)
{
  const PoolJob      *j = data;
  const SwagPoolDesc *pd = j->pd;
  const int           h = j->h, w = j->w, oh = j->oh, ow = j->ow;
  const float         divisor = (float) (pd->k * pd->k);

  for (int ch = task * POOL_CHANNELS; ch < MIN (j->cmax, (task + 1) * POOL_CHANNELS); ch++)
    {
      float *plane = j->out + (gsize) ch * h * w;

      for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
          {
            const int y0 = oy * pd->stride - pd->pad;
            const int x0 = ox * pd->stride - pd->pad;
            const int ky0 = MAX (0, -y0), ky1 = MIN (pd->k, h - y0);
            const int kx0 = MAX (0, -x0), kx1 = MIN (pd->k, w - x0);
            const float g = j->in[((gsize) ch * oh + oy) * ow + ox] / divisor;

            for (int ky = ky0; ky < ky1; ky++)
              for (int kx = kx0; kx < kx1; kx++)
                plane[(gsize) (y0 + ky) * w + x0 + kx] += g;
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
  PoolJob j = { pd, dout, din, NULL, NULL, h, w,
                swag_conv_out_size (h, pd->k, pd->stride, pd->pad),
                swag_conv_out_size (w, pd->k, pd->stride, pd->pad), c };

  if (j.oh <= 0 || j.ow <= 0)
    return;
  pool_run (ctx, c, avgpool_backward_task, &j);
}

/* ------------------------------------------------------- residual, misc -- */

/* Element-wise, each element read before it is written: @out may alias. */
static void
add_range (gpointer data, gsize i0, gsize i1)
{
  const Elem  *e = data;
  const float *a = e->a, *b = e->b;
  float       *out = e->x;

  if (e->relu)
    for (gsize i = i0; i < i1; i++)
      {
        const float v = a[i] + b[i];
        out[i] = v < 0.0f ? 0.0f : v;
      }
  else
    for (gsize i = i0; i < i1; i++)
      out[i] = a[i] + b[i];
}

void
swag_add_forward (SwagCtx     *ctx,
                  const float *a,    /* (n) */
                  const float *b,    /* (n) */
                  float       *out,  /* (n), may be a or b */
                  gsize        n,
                  gboolean     relu)
{
  Elem e = { .a = a, .b = b, .x = out, .relu = relu };
  parallel_ranges (ctx, n, add_range, &e);
}

static void
axpy_range (gpointer data, gsize i0, gsize i1)
{
  const Elem  *e = data;
  const float *src = e->a, alpha = e->alpha;
  float       *dst = e->x;

  for (gsize i = i0; i < i1; i++)
    dst[i] += alpha * src[i];
}

void
swag_axpy (SwagCtx     *ctx,
           float        alpha,
           const float *src,  /* (n) */
           float       *dst,  /* (n) += */
           gsize        n)
{
  Elem e = { .a = src, .x = dst, .alpha = alpha };
  parallel_ranges (ctx, n, axpy_range, &e);
}

static void
zero_range (gpointer data, gsize i0, gsize i1)
{
  memset (((Elem *) data)->x + i0, 0, (i1 - i0) * sizeof (float));
}

void
swag_zero (SwagCtx *ctx,
           float   *x,   /* (n) */
           gsize    n)
{
  Elem e = { .x = x };
  parallel_ranges (ctx, n, zero_range, &e);
}
