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
 * Spectra are FFTW's interleaved complex (its split-array transforms are
 * twice as slow here), padded to a multiple of 8 entries so that the
 * products run in 64-byte vectors. FFTW (single precision) does the
 * transforms: one r2c and one c2r plan per convolution, made with
 * FFTW_ESTIMATE (the same plan, so the same bits, on every run on a
 * machine) and executed from the engine's own thread pool with FFTW's
 * new-array interface, which is thread-safe. The tiles, not the transforms,
 * are what runs in parallel: FFTW's threads would split each small
 * transform and make the plan, and so the bits, depend on the thread count.
 * FFTW's threads library is used for its thread-safe planner, since
 * networks may be built on several threads at once.
 */
#include "swag.h"
#include "swag-fftconv.h"
#include "swag-core.h"
#include "swag-i18n.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct _SwagFftConv
{
  int            k, pad;     /* kernel side, padding (k - 1) / 2 */
  int            in_c, out_c;
  int            t, v;       /* transform side, outputs per tile side */
  int            fp;         /* complex entries per spectrum, t (t/2 + 1),
                                rounded up to 8 (one 64-byte vector) */
  int            batch;      /* tiles per task: each kernel spectrum is read
                                once per batch (they stream from memory) */
  float         *spectra;    /* (out_c, in_c) spectra of 2 fp floats: FFT of
                                the kernel placed at the origin of a t x t
                                grid, divided by t^2 */
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

/* Every array the transforms and the vector products touch is 64-byte
 * aligned (FFTW's own allocator promises only its SIMD width), so that the
 * plans' alignment and the vectors' hold for all of them. NULL when out of
 * memory. */
static float *
alloc_floats (gsize n)
{
  void *p = NULL;

  if (n > G_MAXSIZE / sizeof (float) / 2
      || posix_memalign (&p, 64, MAX (n, 16) * sizeof (float)) != 0)
    return NULL;
  return p;
}

/* Complex entries of a spectrum, rounded up to 8 (a 64-byte vector). */
static int
padded_len (int t)
{
  return (t * (t / 2 + 1) + 7) & ~7;
}

/* Floats of one spectrum (interleaved re, im). */
static gsize
spectrum_floats (int t)
{
  return (gsize) 2 * padded_len (t);
}

/* Tiles per task: as many as keep their spectra within about 1 MiB (half a
 * core's L2 cache), at most 8. */
static int
batch_for (int t, int in_c)
{
  const gsize per_tile = (gsize) in_c * spectrum_floats (t) * sizeof (float);
  return (int) CLAMP (((gsize) 1 << 20) / per_tile, 1, 8);
}

static gsize
work_floats_for (int t, int in_c)
{
  /* a real t x t plane, one spectrum, and in_c spectra per tile of a batch
   * (the patch's in the forward, the accumulated gradient's in the
   * backward) */
  return (((gsize) t * t + 15) & ~(gsize) 15)
         + (gsize) (in_c * batch_for (t, in_c) + 1) * spectrum_floats (t);
}

gboolean
swag_fftconv_applies (const SwagConvDesc *cv)
{
  return cv->kh == cv->kw && cv->kh % 2 == 1 && cv->kh >= SWAG_FFTCONV_MIN_K
         && cv->stride == 1 && cv->pad == (cv->kh - 1) / 2
         && cv->in_c >= 1 && cv->in_c <= SWAG_FFTCONV_MAX_IN_C
         && cv->out_c >= 1;
}

/* Transform sides and FFTW's time per point of one 2-D real transform
 * (r2c and c2r alike, FFTW_ESTIMATE plans, single precision), in ns,
 * measured on one of this project's AVX-512 machines (an AMD EPYC, Zen 4
 * class; not measured on others): sides with large prime
 * factors or awkward strides (40, 96, 216) are slow, and the size alone
 * does not say which. */
static const struct { int t; double ns; } sides[] = {
  {  56, 2.08 }, {  64, 2.09 }, {  72, 2.18 }, {  80, 1.78 }, { 100, 1.90 },
  { 120, 2.16 }, { 128, 2.20 }, { 144, 1.69 }, { 160, 1.67 }, { 180, 2.15 },
  { 192, 1.97 }, { 200, 1.88 }, { 240, 1.80 }, { 256, 2.15 },
};

/* Estimated ns for the forward and backward of a square image of @side
 * pixels with tiles of side t: (in_c + out_c) transforms each way per tile,
 * and the products, in_c * out_c per spectrum entry each way, counted at
 * about 0.4 ns each as they stream the kernel spectra from memory. Tiles
 * at the edge are paid in full. */
static double
image_cost (int t, double ns, int k, int in_c, int out_c, int side)
{
  const int    v = t - k + 1;
  const double tiles = ceil ((double) side / v) * ceil ((double) side / v);
  const double fft = 2.0 * (in_c + out_c) * ns * t * t;
  const double prod = 2.0 * in_c * out_c * 0.4 * t * (t / 2 + 1);

  return tiles * (fft + prod);
}

int
swag_fftconv_pick_side (int k, int in_c, int out_c)
{
  int    best = 0;
  double best_cost = 0;

  for (guint i = 0; i < G_N_ELEMENTS (sides); i++)
    {
      const int t = sides[i].t;
      gsize     bytes = (gsize) out_c * in_c * spectrum_floats (t) * 4;
      double    cost = 0;

      if (t - k + 1 < 8 || bytes > SWAG_FFTCONV_MAX_SPECTRA_BYTES)
        continue;
      /* The working sizes of the default job's coarse-to-fine scales. */
      for (int side = 128; side <= 512; side *= 2)
        cost += image_cost (t, sides[i].ns, k, in_c, out_c, side);
      if (!best || cost < best_cost)
        {
          best = t;
          best_cost = cost;
        }
    }
  return best;
}

double
swag_fftconv_macs (const SwagConvDesc *cv, int h, int w)
{
  const int    t = swag_fftconv_pick_side (cv->kh, cv->in_c, cv->out_c);
  const int    v = t - cv->kh + 1;
  const double tiles = t ? ceil ((double) h / v) * ceil ((double) w / v) : 0;
  const double n = (double) t * t;

  /* a real transform of n points: about 1.25 n log2 n multiply-adds; a
   * complex product: 4. Counted in the direct method's currency: an FFT
   * multiply-add takes SWAG_FFTCONV_MAC_COST times as long as one of the
   * engine's GEMM (memory-bound transforms and products against blocked
   * matrix kernels), so that time estimates compare across networks. */
  return SWAG_FFTCONV_MAC_COST * tiles
         * ((cv->in_c + cv->out_c) * 1.25 * n * log2 (MAX (n, 2))
            + 4.0 * cv->in_c * cv->out_c * t * (t / 2 + 1));
}

gsize
swag_fftconv_spectra_bytes (const SwagConvDesc *cv)
{
  const int t = swag_fftconv_pick_side (cv->kh, cv->in_c, cv->out_c);

  return t ? (gsize) cv->out_c * cv->in_c * spectrum_floats (t) * 4 : 0;
}

static gboolean
make_plans (SwagFftConv *fc, float *plane, float *spec)
{
  planner_thread_safe ();
  fc->r2c = fftwf_plan_dft_r2c_2d (fc->t, fc->t, plane,
                                   (fftwf_complex *) spec, FFTW_ESTIMATE);
  fc->c2r = fftwf_plan_dft_c2r_2d (fc->t, fc->t, (fftwf_complex *) spec,
                                   plane, FFTW_ESTIMATE);
  return fc->r2c && fc->c2r;
}

SwagFftConv *
swag_fftconv_new (const SwagConvDesc *cv, GError **error)
{
  SwagFftConv *fc;
  float       *plane, *spec;
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
  fc->fp = padded_len (t);
  fc->batch = batch_for (t, cv->in_c);
  fc->spectra = alloc_floats ((gsize) cv->out_c * cv->in_c * sf);
  plane = alloc_floats ((gsize) t * t);
  spec = alloc_floats (sf);
  if (!fc->spectra || !plane || !spec)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                   _("Out of memory for the %s (%.1f MiB)"),
                   _("kernel spectra"),
                   cv->out_c * cv->in_c * sf * 4 / 1048576.0);
      free (plane);
      free (spec);
      swag_fftconv_free (fc);
      return NULL;
    }
  if (!make_plans (fc, plane, spec))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                   "FFTW could not plan a %dx%d transform", t, t);
      free (plane);
      free (spec);
      swag_fftconv_free (fc);
      return NULL;
    }

  /* Kernel spectra, each divided by t^2 (FFTW's transforms are unscaled);
   * the padding entries are 0. */
  {
    const float scale = 1.0f / ((float) t * t);
    for (int o = 0; o < cv->out_c; o++)
      for (int c = 0; c < cv->in_c; c++)
        {
          const float *w = cv->weight + ((gsize) o * cv->in_c + c) * k * k;
          float       *dst = fc->spectra + ((gsize) o * cv->in_c + c) * sf;
          memset (plane, 0, sizeof (float) * t * t);
          memset (spec, 0, sizeof (float) * sf);
          for (int y = 0; y < k; y++)
            for (int x = 0; x < k; x++)
              plane[y * t + x] = w[y * k + x];
          fftwf_execute_dft_r2c (fc->r2c, plane, (fftwf_complex *) spec);
          for (gsize i = 0; i < sf; i++)
            dst[i] = spec[i] * scale;
        }
  }
  free (plane);
  free (spec);
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
  free (fc->spectra);
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

static const float *
kernel_spectrum (const SwagFftConv *fc, int o, int c)
{
  return fc->spectra + ((gsize) o * fc->in_c + c) * spectrum_floats (fc->t);
}

/* ------------------------------------------------------------ workspace -- */

typedef struct
{
  float *plane;  /* t x t */
  float *spec;   /* one spectrum */
  float *acc;    /* batch * in_c spectra */
  float *own;    /* allocated here when the pool's was too small */
} Work;

static void
work_get (const SwagFftConv *fc, SwagPool *pool, int thread, Work *wk)
{
  const gsize need = swag_fftconv_work_floats (fc);
  float      *base = pool ? swag_pool_work (pool, thread) : NULL;

  wk->own = NULL;
  /* Only where a pool's workspace was sized for other ops (the tests): a
   * small block, allocated like the Winograd path's. */
  if (!base || swag_pool_work_floats (pool) < need)
    {
      wk->own = g_malloc ((need + 16) * sizeof (float));
      base = (float *) (((guintptr) wk->own + 63) & ~(guintptr) 63);
    }
  /* 64-byte aligned pieces, as the plans' arrays were. */
  wk->plane = base;
  wk->spec = base + (((gsize) fc->t * fc->t + 15) & ~(gsize) 15);
  wk->acc = wk->spec + spectrum_floats (fc->t);
}

static void
work_release (Work *wk)
{
  g_free (wk->own);
}

/* Spectrum c of tile b of the batch. */
static float *
acc_spectrum (const SwagFftConv *fc, const Work *wk, int b, int c)
{
  return wk->acc + ((gsize) b * fc->in_c + c) * spectrum_floats (fc->t);
}

/* The spectral products on interleaved spectra of n entries (a multiple of
 * 8, 64-byte aligned), 8 complex numbers to a 64-byte vector. */
typedef float Vec __attribute__ ((vector_size (64)));
typedef int   Ivec __attribute__ ((vector_size (64)));

#if defined(__clang__)
#define SHUF(v, ...) __builtin_shufflevector (v, v, __VA_ARGS__)
#else
#define SHUF(v, ...) __builtin_shuffle (v, (Ivec) { __VA_ARGS__ })
#endif
#define DUP_RE(v) SHUF (v, 0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 12, 12, 14, 14)
#define DUP_IM(v) SHUF (v, 1, 1, 3, 3, 5, 5, 7, 7, 9, 9, 11, 11, 13, 13, 15, 15)
#define SWAP(v)   SHUF (v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14)

static const Vec plus_minus = { 1, -1, 1, -1, 1, -1, 1, -1,
                                1, -1, 1, -1, 1, -1, 1, -1 };

/* y = x conj(k) (first), y += x conj(k):
 * (xr kr + xi ki, xi kr - xr ki) = xi swap(k) + (+1, -1) xr k. */
static void
mul_conj (const float *restrict x, const float *restrict k, float *restrict y,
          int n, gboolean first)
{
  const Vec *xv = (const Vec *) x, *kv = (const Vec *) k;
  Vec       *yv = (Vec *) y;

  for (int i = 0; i < n / 8; i++)
    {
      const Vec p = DUP_IM (xv[i]) * SWAP (kv[i])
                    + plus_minus * (DUP_RE (xv[i]) * kv[i]);
      yv[i] = first ? p : yv[i] + p;
    }
}

/* d += q k: (qr kr - qi ki, qr ki + qi kr) = qr k - (+1, -1) qi swap(k). */
static void
mul_add (const float *restrict q, const float *restrict k, float *restrict d,
         int n)
{
  const Vec *qv = (const Vec *) q, *kv = (const Vec *) k;
  Vec       *dv = (Vec *) d;

  for (int i = 0; i < n / 8; i++)
    dv[i] += DUP_RE (qv[i]) * kv[i]
             - plus_minus * (DUP_IM (qv[i]) * SWAP (kv[i]));
}

static void
r2c (const SwagFftConv *fc, float *plane, float *spec)
{
  fftwf_execute_dft_r2c (fc->r2c, plane, (fftwf_complex *) spec);
}

static void
c2r (const SwagFftConv *fc, float *spec, float *plane)
{
  fftwf_execute_dft_c2r (fc->c2r, (fftwf_complex *) spec, plane);
}

/* -------------------------------------------------------------- forward -- */

typedef struct
{
  const SwagFftConv  *fc;
  const SwagConvDesc *cv;
  SwagPool           *pool;
  const float        *in;
  float              *out;
  int                 h, w, tiles_x, tiles;
  gboolean            relu;
} Fwd;

/* Rows [y0 - off, y0 - off + t) and columns [x0 - off, x0 - off + t) of
 * plane @src (h x w) into the t x t @dst, zeros outside; with @bits, each
 * value times its bit (bit i of @bits for element i of @src, @bits_base
 * added). */
static void
load_patch (const float *src, int h, int w, int y0, int x0, int t,
            const guint8 *bits, gsize bits_base, float *dst)
{
  const int a = MAX (0, -x0), b = MIN (t, w - x0);

  for (int u = 0; u < t; u++)
    {
      float    *row = dst + (gsize) u * t;
      const int iy = y0 + u;

      if (iy < 0 || iy >= h || b <= a)
        {
          memset (row, 0, sizeof (float) * t);
          continue;
        }
      memset (row, 0, sizeof (float) * a);
      if (bits)
        {
          const gsize base = bits_base + (gsize) iy * w + x0;
          const float *s = src + (gsize) iy * w + x0;
          for (int v = a; v < b; v++)
            row[v] = swag_bits_get (bits, base + v, 1) ? s[v] : 0.0f;
        }
      else
        memcpy (row + a, src + (gsize) iy * w + x0 + a,
                sizeof (float) * (b - a));
      memset (row + b, 0, sizeof (float) * (t - b));
    }
}

static void
forward_batch (gpointer data, int task, int thread)
{
  const Fwd         *j = data;
  const SwagFftConv *fc = j->fc;
  const int          t = fc->t, v = fc->v;
  const int          first = task * fc->batch;
  const int          n = MIN (fc->batch, j->tiles - first);
  const gsize        hw = (gsize) j->h * j->w;
  Work               wk;

  work_get (fc, j->pool, thread, &wk);

  /* The patches' spectra: rows y0 - pad .. y0 - pad + t - 1 of each input
   * channel, for each tile of the batch. */
  for (int b = 0; b < n; b++)
    {
      const int tile = first + b;
      const int y0 = (tile / j->tiles_x) * v, x0 = (tile % j->tiles_x) * v;
      for (int c = 0; c < fc->in_c; c++)
        {
          load_patch (j->in + c * hw, j->h, j->w, y0 - fc->pad, x0 - fc->pad,
                      t, NULL, 0, wk.plane);
          r2c (fc, wk.plane, acc_spectrum (fc, &wk, b, c));
        }
    }

  for (int o = 0; o < fc->out_c; o++)
    {
      const float bias = j->cv->bias ? j->cv->bias[o] : 0.0f;

      for (int b = 0; b < n; b++)
        {
          const int tile = first + b;
          const int y0 = (tile / j->tiles_x) * v, x0 = (tile % j->tiles_x) * v;
          const int ny = MIN (v, j->h - y0), nx = MIN (v, j->w - x0);
          float *dst;

          /* Y = sum_c X_c conj(K_oc): cross-correlation with the kernel. */
          for (int c = 0; c < fc->in_c; c++)
            mul_conj (acc_spectrum (fc, &wk, b, c), kernel_spectrum (fc, o, c),
                      wk.spec, fc->fp, c == 0);
          c2r (fc, wk.spec, wk.plane);
          dst = j->out + o * hw + (gsize) y0 * j->w + x0;
          for (int s = 0; s < ny; s++)
            {
              const float *row = wk.plane + (gsize) s * t;
              float       *d = dst + (gsize) s * j->w;
              if (j->relu)
                for (int r = 0; r < nx; r++)
                  {
                    const float val = row[r] + bias;
                    d[r] = val > 0.0f ? val : 0.0f;
                  }
              else
                for (int r = 0; r < nx; r++)
                  d[r] = row[r] + bias;
            }
        }
    }
  work_release (&wk);
}

static int
n_tasks (const SwagFftConv *fc, int tiles)
{
  return (tiles + fc->batch - 1) / fc->batch;
}

void
swag_fftconv_forward (SwagCtx *ctx, const SwagConvDesc *cv,
                      const SwagFftConv *fc, const float *in, int h, int w,
                      float *out, gboolean relu)
{
  Fwd j = { fc, cv, ctx->pool, in, out, h, w, (w + fc->v - 1) / fc->v, 0,
            relu };

  j.tiles = ((h + fc->v - 1) / fc->v) * j.tiles_x;
  swag_pool_run (ctx->pool, n_tasks (fc, j.tiles), forward_batch, &j);
}

/* ------------------------------------------------------------- backward -- */

typedef struct
{
  const SwagFftConv *fc;
  SwagPool          *pool;
  const float       *dout;
  const guint8      *bits;
  float             *din;
  int                h, w, tiles_x, tiles;
} Bwd;

static void
backward_batch (gpointer data, int task, int thread)
{
  const Bwd         *j = data;
  const SwagFftConv *fc = j->fc;
  const int          t = fc->t, v = fc->v, k = fc->k;
  const int          first = task * fc->batch;
  const int          n = MIN (fc->batch, j->tiles - first);
  const gsize        hw = (gsize) j->h * j->w;
  Work               wk;

  work_get (fc, j->pool, thread, &wk);
  for (int b = 0; b < n; b++)
    for (int c = 0; c < fc->in_c; c++)
      memset (acc_spectrum (fc, &wk, b, c), 0,
              sizeof (float) * spectrum_floats (t));

  for (int o = 0; o < fc->out_c; o++)
    for (int b = 0; b < n; b++)
      {
        const int tile = first + b;
        const int y0 = (tile / j->tiles_x) * v, x0 = (tile % j->tiles_x) * v;

        /* din at (y0 + s) needs dout rows y0 + s + pad - (k - 1) .. y0 + s
         * + pad: the patch starts at row y0 + pad - (k - 1). */
        load_patch (j->dout + o * hw, j->h, j->w, y0 + fc->pad - (k - 1),
                    x0 + fc->pad - (k - 1), t, j->bits, o * hw, wk.plane);
        r2c (fc, wk.plane, wk.spec);
        /* D_c += Q K_oc: convolution with the kernel. */
        for (int c = 0; c < fc->in_c; c++)
          mul_add (wk.spec, kernel_spectrum (fc, o, c),
                   acc_spectrum (fc, &wk, b, c), fc->fp);
      }

  for (int b = 0; b < n; b++)
    {
      const int tile = first + b;
      const int y0 = (tile / j->tiles_x) * v, x0 = (tile % j->tiles_x) * v;
      const int ny = MIN (v, j->h - y0), nx = MIN (v, j->w - x0);
      for (int c = 0; c < fc->in_c; c++)
        {
          float *dst = j->din + c * hw + (gsize) y0 * j->w + x0;
          c2r (fc, acc_spectrum (fc, &wk, b, c), wk.plane);
          for (int s = 0; s < ny; s++)
            {
              const float *row = wk.plane + (gsize) (s + k - 1) * t + (k - 1);
              float       *d = dst + (gsize) s * j->w;
              for (int r = 0; r < nx; r++)
                d[r] += row[r];
            }
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
            (w + fc->v - 1) / fc->v, 0 };

  j.tiles = ((h + fc->v - 1) / fc->v) * j.tiles_x;
  swag_pool_run (ctx->pool, n_tasks (fc, j.tiles), backward_batch, &j);
}
