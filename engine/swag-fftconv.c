/* swag-fftconv.c: large-kernel convolution by FFT, overlap-save in tiles.
 * GPL-3.0-or-later.
 *
 * For a "same" convolution (odd k x k kernel, stride 1, padding (k - 1) / 2)
 * with few input channels (the multi-scale network's 3 RGB planes into
 * kernels up to 55 x 55), the direct method costs in_c * k^2 multiply-adds per
 * output; the FFT costs a few log T per output, whatever k.
 *
 * The image is cut into tiles of V x V outputs. Each tile's input patch (T x
 * T, T = V + k - 1, zeros outside the image) is transformed once per input
 * channel; every output map is the inverse transform of the sum over input
 * channels of the patch spectra times the conjugate kernel spectra (a circular
 * cross-correlation, exact on the V x V outputs since no product wraps). The
 * kernel spectra depend only on T, which is chosen once per kernel size, so
 * they are made once per network (swag_fftconv_new), like the Winograd
 * weights, and shared read-only by every evaluation and thread.
 *
 * The input gradient is the same sum with the kernel spectra themselves (a
 * circular convolution), over tiles of the input: each tile reads the output
 * gradient around it and writes only its own pixels of din, so tiles run in
 * parallel without a reduction, and the results are the same bits for any
 * thread count (each tile is a fixed sequence of operations).
 *
 * FFTW (single precision) does the transforms: one r2c and one c2r plan per
 * convolution, made with FFTW_ESTIMATE (the same plan, so the same bits, on
 * every run on a machine) and executed from the pool's threads with FFTW's
 * new-array interface, which is thread-safe; the planner is made
 * thread-safe once, since networks may be built on several threads.
 */
#include "swag.h"
#include "swag-fftconv.h"
#include "swag-core.h"
#include "swag-i18n.h"

#include <fftw3.h>
#include <math.h>
#include <string.h>

struct _SwagFftConv
{
  int            k, pad;     /* kernel side, padding (k - 1) / 2 */
  int            in_c, out_c;
  int            t, v;       /* transform side, outputs per tile side */
  int            f;          /* complex entries per spectrum: t * (t/2 + 1) */
  fftwf_complex *spectra;    /* (out_c, in_c, f): FFT of the kernel placed at
                                the origin of a t x t grid, divided by t^2 */
  fftwf_plan     r2c, c2r;
};

/* ------------------------------------------------------------- planning -- */

static gpointer
planner_init (gpointer unused)
{
  fftwf_make_planner_thread_safe ();
  return NULL;
}

static void
planner_thread_safe (void)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, planner_init, NULL);
}

/* Floats of one complex spectrum, rounded to 64 bytes. */
static gsize
spectrum_floats (int t)
{
  return ((gsize) 2 * t * (t / 2 + 1) + 15) & ~(gsize) 15;
}

static gsize
work_floats_for (int t, int in_c)
{
  /* a real t x t plane, one spectrum, in_c spectra (the patch's in the
   * forward, the accumulated gradient's in the backward) */
  return (((gsize) t * t + 15) & ~(gsize) 15)
         + (gsize) (in_c + 1) * spectrum_floats (t);
}

gboolean
swag_fftconv_applies (const SwagConvDesc *cv)
{
  return cv->kh == cv->kw && cv->kh % 2 == 1 && cv->kh >= SWAG_FFTCONV_MIN_K
         && cv->stride == 1 && cv->pad == (cv->kh - 1) / 2
         && cv->in_c >= 1 && cv->in_c <= SWAG_FFTCONV_MAX_IN_C
         && cv->out_c >= 1;
}

/* Transform sides FFTW does fast (2^a 3^b 5^c 7^d, even for r2c). */
static const int sides[] = {
  16, 24, 32, 40, 48, 56, 64, 72, 80, 96, 112, 128, 144, 160, 192, 224, 256
};

/* Estimated work per output pixel with tiles of side t: the transforms
 * (in_c + out_c of them, 2.5 n log2 n flops for n real points) and the
 * spectral products (in_c * out_c complex multiply-adds per entry, weighted
 * as memory-bound), over the V^2 outputs of a tile. */
static double
tile_cost (int t, int k, int in_c, int out_c)
{
  const int    v = t - k + 1;
  const double n = (double) t * t;
  const double fft = 2.5 * n * log2 (n) / 2;
  const double prod = 8.0 * t * (t / 2 + 1) * 4.0;

  return ((in_c + out_c) * fft + (double) in_c * out_c * prod)
         / ((double) v * v);
}

int
swag_fftconv_pick_side (int k, int in_c, int out_c)
{
  int    best = 0;
  double best_cost = 0;

  for (guint i = 0; i < G_N_ELEMENTS (sides); i++)
    {
      const int t = sides[i];
      double    cost;
      gsize     bytes = (gsize) out_c * in_c * spectrum_floats (t) * 4;

      if (t - k + 1 < 8 || bytes > SWAG_FFTCONV_MAX_SPECTRA_BYTES)
        continue;
      cost = tile_cost (t, k, in_c, out_c);
      if (!best || cost < best_cost)
        {
          best = t;
          best_cost = cost;
        }
    }
  return best;
}

gsize
swag_fftconv_spectra_bytes (const SwagConvDesc *cv)
{
  const int t = swag_fftconv_pick_side (cv->kh, cv->in_c, cv->out_c);

  return t ? (gsize) cv->out_c * cv->in_c * spectrum_floats (t) * 4 : 0;
}

SwagFftConv *
swag_fftconv_new (const SwagConvDesc *cv, GError **error)
{
  SwagFftConv *fc;
  float       *plane;
  fftwf_complex *spec;
  const int    k = cv->kh;
  const int    t = swag_fftconv_pick_side (k, cv->in_c, cv->out_c);
  gsize        sf;

  if (!swag_fftconv_applies (cv) || t == 0)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   "FFT convolution does not apply to this kernel");
      return NULL;
    }
  sf = spectrum_floats (t);
  fc = g_new0 (SwagFftConv, 1);
  fc->k = k;
  fc->pad = cv->pad;
  fc->in_c = cv->in_c;
  fc->out_c = cv->out_c;
  fc->t = t;
  fc->v = t - k + 1;
  fc->f = t * (t / 2 + 1);
  fc->spectra = fftwf_malloc ((gsize) cv->out_c * cv->in_c * sf
                              * sizeof (float));
  plane = fftwf_alloc_real ((gsize) t * t);
  spec = fftwf_alloc_complex (sf / 2);
  if (!fc->spectra || !plane || !spec)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                   _("Out of memory for the %s (%.1f MiB)"),
                   _("kernel spectra"),
                   cv->out_c * cv->in_c * sf * 4 / 1048576.0);
      fftwf_free (plane);
      fftwf_free (spec);
      swag_fftconv_free (fc);
      return NULL;
    }

  planner_thread_safe ();
  fc->r2c = fftwf_plan_dft_r2c_2d (t, t, plane, spec, FFTW_ESTIMATE);
  fc->c2r = fftwf_plan_dft_c2r_2d (t, t, spec, plane, FFTW_ESTIMATE);
  if (!fc->r2c || !fc->c2r)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                   "FFTW could not plan a %dx%d transform", t, t);
      fftwf_free (plane);
      fftwf_free (spec);
      swag_fftconv_free (fc);
      return NULL;
    }

  /* Kernel spectra, each divided by t^2 (FFTW's transforms are unscaled). */
  {
    const float scale = 1.0f / ((float) t * t);
    for (int o = 0; o < cv->out_c; o++)
      for (int c = 0; c < cv->in_c; c++)
        {
          const float   *w = cv->weight + ((gsize) o * cv->in_c + c) * k * k;
          fftwf_complex *dst = (fftwf_complex *) ((float *) fc->spectra
                                                  + ((gsize) o * cv->in_c + c)
                                                    * sf);
          memset (plane, 0, sizeof (float) * t * t);
          for (int y = 0; y < k; y++)
            for (int x = 0; x < k; x++)
              plane[y * t + x] = w[y * k + x];
          fftwf_execute_dft_r2c (fc->r2c, plane, spec);
          for (int i = 0; i < fc->f; i++)
            {
              dst[i][0] = spec[i][0] * scale;
              dst[i][1] = spec[i][1] * scale;
            }
        }
  }
  fftwf_free (plane);
  fftwf_free (spec);
  return fc;
}

void
swag_fftconv_free (SwagFftConv *fc)
{
  if (!fc)
    return;
  if (fc->r2c)
    fftwf_destroy_plan (fc->r2c);
  if (fc->c2r)
    fftwf_destroy_plan (fc->c2r);
  fftwf_free (fc->spectra);
  g_free (fc);
}

gsize
swag_fftconv_work_floats (const SwagFftConv *fc)
{
  return work_floats_for (fc->t, fc->in_c);
}

int
swag_fftconv_side (const SwagFftConv *fc)
{
  return fc->t;
}

static const fftwf_complex *
kernel_spectrum (const SwagFftConv *fc, int o, int c)
{
  return (const fftwf_complex *) ((const float *) fc->spectra
                                  + ((gsize) o * fc->in_c + c)
                                    * spectrum_floats (fc->t));
}

/* ------------------------------------------------------------ workspace -- */

typedef struct
{
  float          *plane;  /* t x t */
  fftwf_complex  *spec;   /* one spectrum */
  fftwf_complex  *acc;    /* in_c spectra, spectrum_floats apart */
  float          *own;    /* allocated here when the pool's was too small */
} Work;

static void
work_get (const SwagFftConv *fc, SwagPool *pool, int thread, Work *wk)
{
  const gsize need = swag_fftconv_work_floats (fc);
  float      *base = pool ? swag_pool_work (pool, thread) : NULL;

  wk->own = NULL;
  if (!base || swag_pool_work_floats (pool) < need)
    base = wk->own = fftwf_alloc_real (need);
  /* 64-byte aligned pieces, as the plans' arrays were. */
  wk->plane = base;
  wk->spec = (fftwf_complex *) (base + (((gsize) fc->t * fc->t + 15)
                                        & ~(gsize) 15));
  wk->acc = (fftwf_complex *) ((float *) wk->spec + spectrum_floats (fc->t));
}

static void
work_release (Work *wk)
{
  fftwf_free (wk->own);
}

static fftwf_complex *
acc_spectrum (const SwagFftConv *fc, const Work *wk, int c)
{
  return (fftwf_complex *) ((float *) wk->acc
                            + (gsize) c * spectrum_floats (fc->t));
}

/* -------------------------------------------------------------- forward -- */

typedef struct
{
  const SwagFftConv  *fc;
  const SwagConvDesc *cv;
  SwagPool           *pool;
  const float        *in;
  float              *out;
  int                 h, w, tiles_x;
  gboolean            relu;
} Fwd;

static void
forward_tile (gpointer data, int tile, int thread)
{
  const Fwd         *j = data;
  const SwagFftConv *fc = j->fc;
  const int          t = fc->t, v = fc->v, f = fc->f;
  const int          y0 = (tile / j->tiles_x) * v, x0 = (tile % j->tiles_x) * v;
  const int          ny = MIN (v, j->h - y0), nx = MIN (v, j->w - x0);
  const gsize        hw = (gsize) j->h * j->w;
  Work               wk;

  work_get (fc, j->pool, thread, &wk);

  /* The patch of each input channel: rows y0 - pad .. y0 - pad + t - 1. */
  for (int c = 0; c < fc->in_c; c++)
    {
      const float *src = j->in + c * hw;
      for (int u = 0; u < t; u++)
        {
          float    *row = wk.plane + (gsize) u * t;
          const int iy = y0 - fc->pad + u;
          int       a, b;

          if (iy < 0 || iy >= j->h)
            {
              memset (row, 0, sizeof (float) * t);
              continue;
            }
          /* columns x0 - pad + s inside [0, w) */
          a = MAX (0, fc->pad - x0);
          b = MIN (t, j->w - x0 + fc->pad);
          for (int s = 0; s < a; s++)
            row[s] = 0.0f;
          if (b > a)
            memcpy (row + a, src + (gsize) iy * j->w + x0 - fc->pad + a,
                    sizeof (float) * (b - a));
          for (int s = MAX (a, b); s < t; s++)
            row[s] = 0.0f;
        }
      fftwf_execute_dft_r2c (fc->r2c, wk.plane, acc_spectrum (fc, &wk, c));
    }

  for (int o = 0; o < fc->out_c; o++)
    {
      const float bias = j->cv->bias ? j->cv->bias[o] : 0.0f;
      float      *dst;

      /* Y = sum_c X_c conj(K_oc): cross-correlation with the kernel. */
      for (int i = 0; i < f; i++)
        {
          float re = 0.0f, im = 0.0f;
          for (int c = 0; c < fc->in_c; c++)
            {
              const fftwf_complex *x = acc_spectrum (fc, &wk, c);
              const fftwf_complex *kk = kernel_spectrum (fc, o, c);
              re += x[i][0] * kk[i][0] + x[i][1] * kk[i][1];
              im += x[i][1] * kk[i][0] - x[i][0] * kk[i][1];
            }
          wk.spec[i][0] = re;
          wk.spec[i][1] = im;
        }
      fftwf_execute_dft_c2r (fc->c2r, wk.spec, wk.plane);
      dst = j->out + o * hw + (gsize) y0 * j->w + x0;
      for (int s = 0; s < ny; s++)
        {
          const float *row = wk.plane + (gsize) s * t;
          float       *d = dst + (gsize) s * j->w;
          for (int r = 0; r < nx; r++)
            {
              const float y = row[r] + bias;
              d[r] = j->relu && !(y > 0.0f) ? 0.0f : y;
            }
        }
    }
  work_release (&wk);
}

void
swag_fftconv_forward (SwagCtx *ctx, const SwagConvDesc *cv,
                      const SwagFftConv *fc, const float *in, int h, int w,
                      float *out, gboolean relu)
{
  Fwd j = { fc, cv, ctx->pool, in, out, h, w, (w + fc->v - 1) / fc->v, relu };
  const int tiles = ((h + fc->v - 1) / fc->v) * j.tiles_x;

  swag_pool_run (ctx->pool, tiles, forward_tile, &j);
}

/* ------------------------------------------------------------- backward -- */

typedef struct
{
  const SwagFftConv *fc;
  SwagPool          *pool;
  const float       *dout;
  const guint8      *bits;
  float             *din;
  int                h, w, tiles_x;
} Bwd;

static void
backward_tile (gpointer data, int tile, int thread)
{
  const Bwd         *j = data;
  const SwagFftConv *fc = j->fc;
  const int          t = fc->t, v = fc->v, f = fc->f, k = fc->k;
  const int          y0 = (tile / j->tiles_x) * v, x0 = (tile % j->tiles_x) * v;
  const int          ny = MIN (v, j->h - y0), nx = MIN (v, j->w - x0);
  /* din at (y0 + s) needs dout rows y0 + s + pad - (k - 1) .. y0 + s + pad:
   * the patch starts at row y0 + pad - (k - 1). */
  const int          py = y0 + fc->pad - (k - 1), px = x0 + fc->pad - (k - 1);
  const gsize        hw = (gsize) j->h * j->w;
  Work               wk;

  work_get (fc, j->pool, thread, &wk);
  for (int c = 0; c < fc->in_c; c++)
    memset (acc_spectrum (fc, &wk, c), 0, sizeof (fftwf_complex) * f);

  for (int o = 0; o < fc->out_c; o++)
    {
      const float *src = j->dout + o * hw;
      for (int u = 0; u < t; u++)
        {
          float    *row = wk.plane + (gsize) u * t;
          const int iy = py + u;
          int       a, b;

          if (iy < 0 || iy >= j->h)
            {
              memset (row, 0, sizeof (float) * t);
              continue;
            }
          a = MAX (0, -px);
          b = MIN (t, j->w - px);
          for (int s = 0; s < a; s++)
            row[s] = 0.0f;
          if (j->bits)
            {
              const gsize base = o * hw + (gsize) iy * j->w + px;
              for (int s = a; s < b; s++)
                row[s] = swag_bits_get (j->bits, base + s, 1)
                         ? src[(gsize) iy * j->w + px + s] : 0.0f;
            }
          else if (b > a)
            memcpy (row + a, src + (gsize) iy * j->w + px + a,
                    sizeof (float) * (b - a));
          for (int s = MAX (a, b); s < t; s++)
            row[s] = 0.0f;
        }
      fftwf_execute_dft_r2c (fc->r2c, wk.plane, wk.spec);
      /* D_c += Q K_oc: convolution with the kernel. */
      for (int c = 0; c < fc->in_c; c++)
        {
          fftwf_complex       *d = acc_spectrum (fc, &wk, c);
          const fftwf_complex *kk = kernel_spectrum (fc, o, c);
          for (int i = 0; i < f; i++)
            {
              const float qr = wk.spec[i][0], qi = wk.spec[i][1];
              d[i][0] += qr * kk[i][0] - qi * kk[i][1];
              d[i][1] += qr * kk[i][1] + qi * kk[i][0];
            }
        }
    }

  for (int c = 0; c < fc->in_c; c++)
    {
      float *dst = j->din + c * hw + (gsize) y0 * j->w + x0;
      fftwf_execute_dft_c2r (fc->c2r, acc_spectrum (fc, &wk, c), wk.plane);
      for (int s = 0; s < ny; s++)
        {
          const float *row = wk.plane + (gsize) (s + k - 1) * t + (k - 1);
          float       *d = dst + (gsize) s * j->w;
          for (int r = 0; r < nx; r++)
            d[r] += row[r];
        }
    }
  work_release (&wk);
}

void
swag_fftconv_backward (SwagCtx *ctx, const SwagFftConv *fc,
                       const float *dout, const guint8 *relu_bits, int h,
                       int w, float *din)
{
  Bwd j = { fc, ctx->pool, dout, relu_bits, din, h, w,
            (w + fc->v - 1) / fc->v };
  const int tiles = ((h + fc->v - 1) / fc->v) * j.tiles_x;

  swag_pool_run (ctx->pool, tiles, backward_tile, &j);
}
