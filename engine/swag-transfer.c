/* swag-transfer.c: the transfer driver: pre-processing, coarse-to-fine
 * scales, the optimiser, progress and cancel, colour handling, and the way
 * back to full size. GPL-3.0-or-later.
 *
 * Coarse-to-fine: scale k of S optimises at a longest side of
 * size / 2^(S-1-k); each scale starts from the previous result, resampled.
 * Evaluations are split evenly over the scales (an evaluation at half size
 * costs a quarter), and what a scale leaves unused passes to the next.
 *
 * Full size: when the content is larger than the working size, the stylised
 * image is resampled up and the content's own detail above the working
 * resolution (the full image minus its down-and-up resampled copy) is added
 * back, so that edges stay as sharp as in the original while colour and
 * texture come from the optimisation. See the README for why.
 */
#include "swag.h"
#include "swag-core.h"
#include "swag-imageops.h"
#include "swag-net.h"
#include "swag-objective.h"
#include "swag-optim.h"
#include "swag-rng.h"
#include "swag-i18n.h"

#include <math.h>
#include <string.h>

#define MIN_SIDE 16

typedef struct
{
  const SwagParams *params;
  SwagProgressFunc  progress;
  gpointer          user_data;
  gboolean          cancel;       /* the callback asked to stop */
  gint64            t0;           /* g_get_monotonic_time at start */
  int               scale, n_scales;
  int               w, h;         /* this scale */
  int               iteration;    /* evaluations so far, all scales */
  SwagObjective    *obj;
  SwagLayerLoss    *terms;        /* (n_taps) */
  const float      *alpha;        /* (h, w) content alpha at this scale */
  const float      *content;      /* (3, h, w) content at this scale */
} Run;

static double
elapsed (const Run *r)
{
  return (g_get_monotonic_time () - r->t0) / 1e6;
}

static gboolean
report (Run *r, SwagProgress *p)
{
  p->scale = r->scale;
  p->n_scales = r->n_scales;
  p->width = r->w;
  p->height = r->h;
  p->total_iterations = r->params->iterations;
  p->elapsed = elapsed (r);
  if (r->cancel)
    return FALSE;
  if (r->progress && !r->progress (p, r->user_data))
    r->cancel = TRUE;
  return !r->cancel;
}

static void
message (Run *r, const char *text)
{
  SwagProgress p = { 0 };

  p.kind = SWAG_PROGRESS_MESSAGE;
  p.iteration = r->iteration;
  p.message = text;
  report (r, &p);
}

static gboolean
layer_done (int node, gpointer data)
{
  Run         *r = data;
  SwagProgress p = { 0 };

  p.kind = SWAG_PROGRESS_LAYER;
  p.iteration = r->iteration;
  return report (r, &p);
}

/* ------------------------------------------------------------- colour -- */

/* BT.601 full-range YCbCr on perceptual values, as neural-style's
 * original_colors. */
static void
rgb_to_ycc (float r, float g, float b, float *y, float *cb, float *cr)
{
  *y = 0.299f * r + 0.587f * g + 0.114f * b;
  *cb = -0.168736f * r - 0.331264f * g + 0.5f * b;
  *cr = 0.5f * r - 0.418688f * g - 0.081312f * b;
}

static void
ycc_to_rgb (float y, float cb, float cr, float *r, float *g, float *b)
{
  *r = y + 1.402f * cr;
  *g = y - 0.344136f * cb - 0.714136f * cr;
  *b = y + 1.772f * cb;
}

/* Keeps the luminance of @out and the chroma of @colour, (3, n) planes. */
static void
keep_colours (float *out, const float *colour, gsize n)
{
  for (gsize p = 0; p < n; p++)
    {
      float y, cb, cr, y2, cb2, cr2;
      rgb_to_ycc (out[p], out[n + p], out[2 * n + p], &y, &cb, &cr);
      rgb_to_ycc (colour[p], colour[n + p], colour[2 * n + p], &y2, &cb2,
                  &cr2);
      ycc_to_rgb (y, cb2, cr2, &out[p], &out[n + p], &out[2 * n + p]);
    }
}

static int
cmp_float (gconstpointer a, gconstpointer b)
{
  float x = *(const float *) a, y = *(const float *) b;
  return (x > y) - (x < y);
}

/* Per-channel histogram matching of @img (3, n) to @ref (3, m), weighing
 * only pixels whose mask (may be NULL) is above one half. */
static void
match_histogram (float *img, gsize n, const float *img_mask, const float *ref,
                 gsize m, const float *ref_mask)
{
  float *sorted_ref = g_new (float, m);
  float *sorted_img = g_new (float, n);

  for (int c = 0; c < 3; c++)
    {
      gsize nr = 0, ni = 0;

      for (gsize p = 0; p < m; p++)
        if (!ref_mask || ref_mask[p] > 0.5f)
          sorted_ref[nr++] = ref[c * m + p];
      for (gsize p = 0; p < n; p++)
        if (!img_mask || img_mask[p] > 0.5f)
          sorted_img[ni++] = img[c * n + p];
      if (nr == 0 || ni == 0)
        continue;
      qsort (sorted_ref, nr, sizeof (float), cmp_float);
      qsort (sorted_img, ni, sizeof (float), cmp_float);
      for (gsize p = 0; p < n; p++)
        {
          float  v = img[c * n + p];
          /* rank of v among the image's values, as a fraction */
          gsize  lo = 0, hi = ni;
          double q;
          while (lo < hi)
            {
              gsize mid = (lo + hi) / 2;
              if (sorted_img[mid] < v)
                lo = mid + 1;
              else
                hi = mid;
            }
          q = ni > 1 ? (double) MIN (lo, ni - 1) / (ni - 1) : 0.5;
          {
            double pos = q * (nr - 1);
            gsize  i0 = (gsize) floor (pos);
            gsize  i1 = MIN (i0 + 1, nr - 1);
            double f = pos - i0;
            img[c * n + p] = (float) ((1 - f) * sorted_ref[i0]
                                      + f * sorted_ref[i1]);
          }
        }
    }
  g_free (sorted_ref);
  g_free (sorted_img);
}

/* ------------------------------------------------------------- images -- */

static void
clamp01 (float *x, gsize n)
{
  for (gsize i = 0; i < n; i++)
    x[i] = isfinite (x[i]) ? CLAMP (x[i], 0.0f, 1.0f) : 0.5f;
}

/* (3, h, w) planes + the alpha of @alpha_src (h, w, 4 image of that size)
 * -> a public image. */
static SwagImage *
planar_to_image (const float *rgb, int w, int h, const SwagImage *alpha_src,
                 const float *alpha_plane, GError **error)
{
  SwagImage *im = swag_image_new (w, h, error);
  gsize      n = (gsize) w * h;

  if (!im)
    return NULL;
  for (gsize p = 0; p < n; p++)
    {
      for (int c = 0; c < 3; c++)
        {
          float v = rgb[c * n + p];
          im->data[4 * p + c] = isfinite (v) ? CLAMP (v, 0.0f, 1.0f) : 0.0f;
        }
      float a = alpha_src ? alpha_src->data[4 * p + 3]
                : alpha_plane ? alpha_plane[p] : 1.0f;
      /* As swag_image_to_planar reads it: NaN is transparent. */
      im->data[4 * p + 3] = isfinite (a) ? CLAMP (a, 0.0f, 1.0f) : 0.0f;
    }
  return im;
}

/* The result at the content's full size from the stylised planes x (3, h, w)
 * at the working size: resampled up with the content's finer detail added
 * back; colours kept when asked; alpha copied from the content. */
static SwagImage *
assemble (const SwagParams *params, const float *x, int w, int h,
          const SwagImage *content, const float *content_full,
          GError **error)
{
  int        fw = content->width, fh = content->height;
  gsize      fn = (gsize) fw * fh;
  float     *out, *low;
  SwagImage *im;

  out = swag_try_alloc_floats (3 * fn, N_("result"), error);
  if (!out)
    return NULL;
  if (fw == w && fh == h)
    memcpy (out, x, 3 * fn * sizeof (float));
  else
    {
      low = swag_try_alloc_floats (3 * (gsize) w * h, N_("result"), error);
      if (!low)
        {
          g_free (out);
          return NULL;
        }
      /* detail = content - up(down(content)); out = up(x) + detail */
      swag_resample_planar (content_full, 3, fh, fw, low, h, w);
      for (gsize i = 0; i < 3 * (gsize) w * h; i++)
        low[i] = x[i] - low[i];
      swag_resample_planar (low, 3, h, w, out, fh, fw);
      for (gsize i = 0; i < 3 * fn; i++)
        out[i] += content_full[i];
      g_free (low);
    }
  clamp01 (out, 3 * fn);
  if (params->preserve_colors)
    keep_colours (out, content_full, fn);
  im = planar_to_image (out, fw, fh, content, NULL, error);
  g_free (out);
  return im;
}

/* ---------------------------------------------------------- the sizes -- */

typedef struct
{
  int w, h;
  int evals;
} Scale;

static int deepest_tap (SwagNet *net, const SwagParams *params);

/* The side nearest to @side (ties: the larger), at least @min_side, whose
 * every row reaches the deepest tap. VGG's floor-mode pools drop the last
 * rows of an odd side, and a border strip that misses the deep layers'
 * losses comes out darker or unstylised; a few pixels of change in the
 * working size avoid it (the result is resampled to the content's size).
 * At most side/12 pixels (an 8% change of the aspect ratio); @side itself
 * when no whole side is that near (small sides, whose strips are small). */
static int
whole_side (SwagNet *net, int last, int min_side, int side)
{
  for (int d = 0; d <= side / 12; d++)
    {
      if (swag_net_side_whole (net, last, side + d))
        return side + d;
      if (d > 0 && side - d >= min_side
          && swag_net_side_whole (net, last, side - d))
        return side - d;
    }
  return side;
}

/* Working size and coarse-to-fine scales. FALSE when the content is too
 * small for the network. */
static gboolean
plan_scales (const SwagParams *params, SwagNet *net, int min_side, int cw,
             int ch, Scale *scales, int *n_scales, GError **error)
{
  int w, h, n = 0, budget = params->iterations, last = deepest_tap (net, params);

  swag_fit_size (cw, ch, params->size, &w, &h);
  if (MIN (w, h) < min_side)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   /* TRANSLATORS: %s is the network, e.g. "vgg19". */
                   _("The image is too small: at the working size it is %d×%d "
                     "pixels, and %s needs at least %d on each side"),
                   w, h, swag_choice_names (SWAG_CHOICE_BACKBONE)[params->backbone],
                   min_side);
      return FALSE;
    }
  for (int k = params->scales - 1; k >= 0; k--)
    {
      int longest = (int) floor (MAX (w, h) / pow (2.0, k) + 0.5), sw, sh;
      swag_fit_size (w, h, longest, &sw, &sh);
      if (MIN (sw, sh) < min_side && k > 0)
        continue;   /* too coarse for the network: skip this scale */
      scales[n].w = whole_side (net, last, min_side, sw);
      scales[n].h = whole_side (net, last, min_side, sh);
      n++;
    }
  /* Every scale gets at least one evaluation: with fewer evaluations than
   * scales, the coarsest scales go. */
  if (n > budget)
    {
      memmove (scales, scales + (n - budget), sizeof (Scale) * budget);
      n = budget;
    }
  /* Even split; the finest scale takes the remainder. */
  for (int k = 0; k < n; k++)
    scales[k].evals = budget / n;
  scales[n - 1].evals += budget - (budget / n) * n;
  *n_scales = n;
  return TRUE;
}

/* The deepest node any style or content layer needs, or -1. */
static int
deepest_tap (SwagNet *net, const SwagParams *params)
{
  GArray *nodes = g_array_new (FALSE, FALSE, sizeof (int));
  int     last = -1;

  swag_taps_parse (net, swag_params_style_layers (params), nodes, NULL);
  swag_taps_parse (net, swag_params_content_layers (params), nodes, NULL);
  for (guint k = 0; k < nodes->len; k++)
    last = MAX (last, g_array_index (nodes, int, k));
  g_array_unref (nodes);
  return last;
}

static int
network_min_side (SwagNet *net, const SwagParams *params, GError **error)
{
  int last = deepest_tap (net, params);

  if (last < 0)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   /* TRANSLATORS: layers of the neural network (taps), not
                    * image layers. */
                   _("No style or content layer to optimise"));
      return -1;
    }
  return MAX (swag_net_min_side (net, last), MIN_SIDE);
}

/* ------------------------------------------------------------ estimate -- */

/* Rough effective speed of this engine, multiply-adds per second per
 * thread, for the time estimate only. */
#define MACS_PER_SECOND_PER_THREAD 25e9

static guint64
run_bytes (SwagNet *topo, const SwagParams *params, int cw, int ch, int w,
           int h, int sw, int sh, int history)
{
  SwagOptimOptions opt;
  guint64          bytes = 0, full, kept, setup;
  gsize            n = (gsize) 3 * w * h;

  swag_optim_options_init (&opt, params->optimizer, 1, history, 1);
  bytes += (guint64) topo->block_floats * sizeof (float);          /* weights */
  bytes += swag_net_prepared_bytes (topo);          /* Winograd, FFT spectra */
  swag_objective_bytes (topo, params, h, w, sh, sw, &kept, &setup);
  bytes += kept;                                                   /* network */
  /* The style pass's buffers are gone before the optimiser's fill. */
  bytes += MAX (setup, swag_optim_bytes (&opt, n));
  bytes += (guint64) n * sizeof (float) * 6;                       /* x, best, grads */
  bytes += (guint64) sw * sh * sizeof (float) * 8;                 /* style planes */
  /* The content's size comes from outside (INT_MAX a side is 2^62
   * pixels): the need saturates rather than wrap to a small figure. */
  if (!g_uint64_checked_mul (&full, (guint64) cw * ch,
                             sizeof (float) * (4 + 4 + 4 + 3))  /* full-size copies */
      || !g_uint64_checked_add (&bytes, bytes, full))
    return G_MAXUINT64;
  return bytes;
}

static void
style_size (const SwagParams *params, int sw0, int sh0, int w, int h, int *sw,
            int *sh)
{
  int longest = MAX (1, (int) floor (MAX (w, h) * params->style_scale + 0.5));
  /* Resampled to the scale of the content, up or down. */
  if (sw0 >= sh0)
    {
      *sw = longest;
      *sh = MAX (1, (int) floor ((double) sh0 * longest / sw0 + 0.5));
    }
  else
    {
      *sh = longest;
      *sw = MAX (1, (int) floor ((double) sw0 * longest / sh0 + 0.5));
    }
}

gboolean
swag_transfer_estimate (const SwagParams *params, int cw, int ch, int sw0,
                        int sh0, SwagEstimate *est, GError **error)
{
  SwagNet *topo;
  Scale    scales[8];
  int      n_scales, min_side, w, h, sw, sh, history;
  guint64  avail, bytes;
  double   macs = 0;
  gboolean ok = TRUE;

  memset (est, 0, sizeof *est);
  if (!swag_params_validate (params, error))
    return FALSE;
  if (cw <= 0 || ch <= 0 || sw0 <= 0 || sh0 <= 0)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID, _("Empty image"));
      return FALSE;
    }
  topo = swag_net_topology_new (params->backbone, params->pooling);
  min_side = network_min_side (topo, params, error);
  if (min_side < 0 || !plan_scales (params, topo, min_side, cw, ch, scales,
                                    &n_scales, error))
    {
      swag_net_free (topo);
      return FALSE;
    }

  w = scales[n_scales - 1].w;
  h = scales[n_scales - 1].h;
  style_size (params, sw0, sh0, w, h, &sw, &sh);
  /* BLAS takes a plane's pixel count as an int. The working size is
   * capped at 16384, but the style can be 8 times that, and is enlarged
   * when narrow (as the run does): its plane must stay below 2^31. */
  {
    double up = MIN (sw, sh) < min_side ? (double) min_side / MIN (sw, sh)
                                        : 1.0;
    if (ceil (sw * up) * ceil (sh * up) >= 2147483648.0)
      {
        g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                     _("The style image would be %.0f×%.0f pixels at this "
                       "working size and style scale, more than the engine "
                       "can take: lower the style scale or the working size"),
                     ceil (sw * up), ceil (sh * up));
        swag_net_free (topo);
        return FALSE;
      }
  }
  avail = params->memory_limit ? params->memory_limit
                               : swag_memory_available ();
  history = params->optimizer == SWAG_OPTIMIZER_LBFGS ? params->lbfgs_history
                                                      : 0;

  /* Fewer L-BFGS pairs first (down to 5), then a smaller size. */
  bytes = run_bytes (topo, params, cw, ch, w, h, sw, sh, MAX (history, 1));
  while (bytes > avail && history > 5)
    {
      history = MAX (5, history / 2);
      bytes = run_bytes (topo, params, cw, ch, w, h, sw, sh, history);
    }
  est->peak_bytes = bytes;
  est->available = avail;
  est->lbfgs_history = history;
  est->fitting_size = params->size;
  if (bytes > avail)
    {
      int lo = min_side, hi = MAX (w, h), fit = 0;
      while (lo <= hi)
        {
          int        mid = (lo + hi) / 2, mw, mh, msw, msh, mn;
          SwagParams q = *params;
          Scale      ms[8];

          /* The working size the run would really take at this size
           * (snapped for the network, as plan_scales does). */
          q.size = mid;
          if (plan_scales (&q, topo, min_side, cw, ch, ms, &mn, NULL))
            {
              mw = ms[mn - 1].w;
              mh = ms[mn - 1].h;
            }
          else
            swag_fit_size (cw, ch, mid, &mw, &mh);
          style_size (params, sw0, sh0, mw, mh, &msw, &msh);
          if (run_bytes (topo, params, cw, ch, mw, mh, msw, msh, history)
              <= avail)
            {
              fit = mid;
              lo = mid + 1;
            }
          else
            hi = mid - 1;
        }
      est->fitting_size = fit;
      if (fit > 0)
        g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                     _("Not enough memory: this run needs %.0f MiB and %.0f MiB "
                       "are available. A working size of %d pixels would fit."),
                     bytes / 1048576.0, avail / 1048576.0, fit);
      else
        g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                     _("Not enough memory: this run needs %.0f MiB and only "
                       "%.0f MiB are available, even at the smallest size."),
                     bytes / 1048576.0, avail / 1048576.0);
      ok = FALSE;
    }

  for (int k = 0; k < n_scales; k++)
    {
      int ssw, ssh, last = deepest_tap (topo, params);
      style_size (params, sw0, sh0, scales[k].w, scales[k].h, &ssw, &ssh);
      /* forward + input backward is about 3 forwards; one style forward */
      macs += 3.0 * scales[k].evals
              * swag_net_macs (topo, scales[k].h, scales[k].w, last);
      macs += swag_net_macs (topo, ssh, ssw, last);
    }
  est->gflop = 2 * macs / 1e9;
  est->seconds = macs / (MACS_PER_SECOND_PER_THREAD * swag_get_threads ());
  swag_net_free (topo);
  return ok;
}

/* ----------------------------------------------------------- the run -- */

static gboolean
objective_func (const float *x, double *f, float *g, gpointer data,
                GError **error)
{
  Run         *r = data;
  SwagProgress p = { 0 };
  gsize        n = (gsize) 3 * r->w * r->h;
  SwagImage   *preview = NULL;

  if (!swag_objective_eval (r->obj, x, f, r->terms, g, layer_done, r, error))
    return FALSE;
  p.kind = SWAG_PROGRESS_EVALUATION;
  p.iteration = r->iteration;
  p.total = *f;
  p.layers = r->terms;
  p.n_layers = swag_objective_n_taps (r->obj);
  if (r->params->preview_every > 0
      && (r->iteration % r->params->preview_every == 0))
    {
      float *tmp = g_try_malloc (n * sizeof (float));
      if (tmp)
        {
          memcpy (tmp, x, n * sizeof (float));
          clamp01 (tmp, n);
          if (r->params->preserve_colors)
            keep_colours (tmp, r->content, (gsize) r->w * r->h);
          preview = planar_to_image (tmp, r->w, r->h, NULL, r->alpha, NULL);
          g_free (tmp);
        }
      p.image = preview;
    }
  r->iteration++;
  if (!report (r, &p))
    {
      swag_image_free (preview);
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_CANCELLED, _("Cancelled"));
      return FALSE;
    }
  swag_image_free (preview);
  return TRUE;
}

static gboolean
check_size (int width, int height, const char *what, int min_side,
            GError **error)
{
  if (width <= 0 || height <= 0)
    {
      /* TRANSLATORS: %s is "content image", "style image" or "style
       * image 2" (translated: see check_inputs). */
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID, _("The %s is empty"),
                   what);
      return FALSE;
    }
  if (MIN (width, height) < min_side)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   /* TRANSLATORS: %s is "content image", "style image" or
                    * "style image 2" (translated: see check_inputs). */
                   _("The %s is %d×%d pixels: it must be at least %d pixels on "
                     "each side"), what, width, height, min_side);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_image (const SwagImage *im, const char *what, int min_side,
             GError **error)
{
  if (!im || !im->data)
    return check_size (0, 0, what, min_side, error);
  return check_size (im->width, im->height, what, min_side, error);
}

/* Every alpha 0 or below, or not a number (as swag_image_to_planar reads
 * it). */
static gboolean
fully_transparent (const SwagImage *im)
{
  for (gsize i = 0; i < (gsize) im->width * im->height; i++)
    if (im->data[4 * i + 3] > 0.0f)
      return FALSE;
  return TRUE;
}

static void
fill_noise (float *x, gsize n_per_channel, const SwagParams *params,
            const float *style, gsize style_n)
{
  guint64 key = swag_rng_key ("init-noise");

  if (params->init == SWAG_INIT_NOISE)
    {
      for (gsize i = 0; i < 3 * n_per_channel; i++)
        x[i] = (float) swag_rng_uniform (params->seed, key, i);
      return;
    }
  /* Gaussian noise with the style's per-channel mean and spread. */
  for (int c = 0; c < 3; c++)
    {
      double mean = 0, var = 0;
      for (gsize p = 0; p < style_n; p++)
        mean += style[c * style_n + p];
      mean /= MAX (style_n, 1);
      for (gsize p = 0; p < style_n; p++)
        var += (style[c * style_n + p] - mean) * (style[c * style_n + p] - mean);
      var /= MAX (style_n, 1);
      for (gsize p = 0; p < n_per_channel; p++)
        {
          double v = mean + sqrt (var)
                     * swag_rng_normal (params->seed, key,
                                        c * n_per_channel + p);
          x[c * n_per_channel + p] = (float) CLAMP (v, 0.0, 1.0);
        }
    }
}

/* The checks of a run's inputs that need no weights (@net may be a
 * topology): the content's size and each style's against what the
 * network needs, and a style without an opaque pixel. Returns the
 * network's smallest side, or -1 with @error set. */
static int
check_inputs (SwagNet *net, const SwagParams *params, int cw, int ch,
              const SwagImage *const *styles, int n_styles, GError **error)
{
  int min_side = network_min_side (net, params, error);

  /* TRANSLATORS: the image named in "The %s is empty" and "The %s is
   * %d×%d pixels: ...". */
  if (min_side < 0 || !check_size (cw, ch, _("content image"), min_side, error))
    return -1;
  for (int k = 0; k < n_styles; k++)
    {
      /* TRANSLATORS: the image named in "The %s is empty" and "The %s is
       * %d×%d pixels: ..."; %d counts the style images from 1. */
      char *what = n_styles > 1 ? g_strdup_printf (_("style image %d"), k + 1)
                                : g_strdup (_("style image"));
      gboolean ok_k = check_image (styles[k], what, min_side, error);
      g_free (what);
      if (!ok_k)
        return -1;
      /* Here, with the user's numbering (the objective sees the styles
       * reordered, lead first). */
      if (fully_transparent (styles[k]))
        {
          swag_style_transparent_error (error, k, n_styles);
          return -1;
        }
    }
  return min_side;
}

gboolean
swag_transfer_check_inputs (const SwagParams *params, int content_width,
                            int content_height,
                            const SwagImage *const *styles, int n_styles,
                            GError **error)
{
  SwagNet *topo;
  int      min_side;

  if (!swag_params_validate (params, error))
    return FALSE;
  if (n_styles < 1 || !styles)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID, _("No style image"));
      return FALSE;
    }
  topo = swag_net_topology_new (params->backbone, params->pooling);
  min_side = check_inputs (topo, params, content_width, content_height, styles,
                           n_styles, error);
  swag_net_free (topo);
  return min_side >= 0;
}

SwagImage *
swag_transfer_run (SwagNet *net, const SwagImage *content,
                   const SwagImage *const *styles, const double *style_blend,
                   int n_styles, const SwagParams *params,
                   SwagProgressFunc progress, gpointer user_data,
                   SwagImage **partial, GError **error)
{
  Run          r = { 0 };
  SwagEstimate est;
  SwagParams   p = *params;
  Scale        scales[8];
  int          n_scales, min_side, carry = 0;
  float       *content_full = NULL, *content_full_mask = NULL, *x = NULL;
  const SwagImage **ordered = NULL;   /* the styles, lead first */
  double      *ordered_blend = NULL;
  SwagImage   *result = NULL;
  int          xw = 0, xh = 0;
  gboolean     ok = TRUE;
  GError      *err = NULL;

  if (partial)
    *partial = NULL;
  if (!net || !swag_params_validate (params, error))
    return NULL;
  if (net->backbone != params->backbone)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   "The network is %s but the settings ask for %s",
                   swag_choice_names (SWAG_CHOICE_BACKBONE)[net->backbone],
                   swag_choice_names (SWAG_CHOICE_BACKBONE)[params->backbone]);
      return NULL;
    }
  if (n_styles < 1 || !styles)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID, _("No style image"));
      return NULL;
    }
  for (int k = 0; style_blend && k < n_styles; k++)
    if (!isfinite (style_blend[k]) || style_blend[k] < 0)
      {
        g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                     _("Style blend weights must be zero or positive"));
        return NULL;
      }
  /* TRANSLATORS: the image named in "The %s is empty" (see check_inputs). */
  if (!check_image (content, _("content image"), 0, error))
    return NULL;
  min_side = check_inputs (net, params, content->width, content->height,
                           styles, n_styles, error);
  if (min_side < 0)
    return NULL;

  {
    const SwagImage *largest = swag_largest_image (styles, n_styles);

    if (!swag_transfer_estimate (params, content->width, content->height,
                                 largest->width, largest->height, &est, error))
      return NULL;
  }
  if (!plan_scales (params, net, min_side, content->width, content->height,
                    scales, &n_scales, error))
    return NULL;

  r.params = &p;
  r.progress = progress;
  r.user_data = user_data;
  r.t0 = g_get_monotonic_time ();
  r.n_scales = n_scales;
  if (params->optimizer == SWAG_OPTIMIZER_LBFGS
      && est.lbfgs_history < params->lbfgs_history)
    {
      char *msg = g_strdup_printf (_("L-BFGS history reduced from %d to %d to "
                                     "fit in memory"), params->lbfgs_history,
                                   est.lbfgs_history);
      p.lbfgs_history = est.lbfgs_history;
      message (&r, msg);
      g_free (msg);
    }

  /* The content at full size, histogram-matched to the style when asked:
   * the base of the result and of the detail added back. */
  if (!swag_image_to_planar (content, content->width, content->height,
                             &content_full, &content_full_mask, error))
    return NULL;

  /* The lead style, the one with the largest blend weight (the first of
   * equals), goes first: the content terms' normalisation, histogram
   * matching, style noise and auto temperatures take the first style, and a
   * style whose weight is 0 must take no part (weights 0 and 1 give the
   * second style's image). */
  if (style_blend)
    {
      int lead = 0;

      for (int k = 1; k < n_styles; k++)
        if (style_blend[k] > style_blend[lead])
          lead = k;
      if (lead > 0)
        {
          ordered = g_new (const SwagImage *, n_styles);
          ordered_blend = g_new (double, n_styles);
          ordered[0] = styles[lead];
          ordered_blend[0] = style_blend[lead];
          for (int k = 0, j = 1; k < n_styles; k++)
            if (k != lead)
              {
                ordered[j] = styles[k];
                ordered_blend[j++] = style_blend[k];
              }
          styles = ordered;
          style_blend = ordered_blend;
        }
    }

  for (int k = 0; ok && k < n_scales; k++)
    {
      Scale             *sc = &scales[k];
      gsize              n = (gsize) sc->w * sc->h;
      float             *crgb = NULL, *cmask = NULL;
      SwagPlanar         cplanar, *splanar;
      float            **srgb, **smask;
      SwagOptimOptions   opt;
      int                used = 0;
      double             best;

      r.scale = k;
      r.w = sc->w;
      r.h = sc->h;
      splanar = g_new0 (SwagPlanar, n_styles);
      srgb = g_new0 (float *, n_styles);
      smask = g_new0 (float *, n_styles);

      ok = swag_image_to_planar (content, sc->w, sc->h, &crgb, &cmask, &err);
      for (int s = 0; ok && s < n_styles; s++)
        {
          int sw, sh;
          style_size (params, styles[s]->width, styles[s]->height, sc->w,
                      sc->h, &sw, &sh);
          if (MIN (sw, sh) < min_side)
            {
              /* A narrow style shrunk with the content: keep it usable. */
              double up = (double) min_side / MIN (sw, sh);
              sw = (int) ceil (sw * up);
              sh = (int) ceil (sh * up);
            }
          ok = swag_image_to_planar (styles[s], sw, sh, &srgb[s], &smask[s],
                                     &err);
          splanar[s].rgb = srgb[s];
          splanar[s].mask = smask[s];
          splanar[s].w = sw;
          splanar[s].h = sh;
        }
      if (ok && params->match_histogram)
        {
          match_histogram (crgb, n, cmask, srgb[0],
                           (gsize) splanar[0].w * splanar[0].h, smask[0]);
          if (k == n_scales - 1)
            /* The full-size base gets the same colours. */
            match_histogram (content_full,
                             (gsize) content->width * content->height,
                             content_full_mask, srgb[0],
                             (gsize) splanar[0].w * splanar[0].h, smask[0]);
        }

      if (ok)
        {
          cplanar.rgb = crgb;
          cplanar.mask = cmask;
          cplanar.w = sc->w;
          cplanar.h = sc->h;
          r.obj = swag_objective_new (net, &p, &cplanar, splanar, style_blend,
                                      n_styles, swag_get_threads (),
                                      layer_done, &r, &err);
          ok = r.obj != NULL;
        }

      /* The start: the content, noise, or the previous scale resampled. */
      if (ok)
        {
          float *nx = swag_try_alloc_floats (3 * n, N_("image"), &err);
          ok = nx != NULL;
          if (ok && x)
            swag_resample_planar (x, 3, xh, xw, nx, sc->h, sc->w);
          else if (ok && params->init == SWAG_INIT_CONTENT)
            memcpy (nx, crgb, 3 * n * sizeof (float));
          else if (ok)
            fill_noise (nx, n, params, srgb[0],
                        (gsize) splanar[0].w * splanar[0].h);
          g_free (x);
          x = nx;
          xw = sc->w;
          xh = sc->h;
        }

      if (ok)
        {
          r.terms = g_new0 (SwagLayerLoss, swag_objective_n_taps (r.obj));
          r.alpha = cmask;
          r.content = crgb;
          swag_optim_options_init (&opt, params->optimizer,
                                   sc->evals + carry, p.lbfgs_history,
                                   params->optimizer == SWAG_OPTIMIZER_ADAM
                                   ? params->learning_rate : 1.0);
          ok = swag_minimize (&opt, x, 3 * n, objective_func, &r, &used,
                              &best, &err);
          /* x is the best point evaluated, also after a cancel. */
          carry = sc->evals + carry - used;
        }

      r.alpha = NULL;
      r.content = NULL;
      g_free (r.terms);
      r.terms = NULL;
      swag_objective_free (r.obj);
      r.obj = NULL;
      g_free (crgb);
      g_free (cmask);
      for (int s = 0; s < n_styles; s++)
        {
          g_free (srgb[s]);
          g_free (smask[s]);
        }
      g_free (srgb);
      g_free (smask);
      g_free (splanar);
    }

  if (ok)
    result = assemble (params, x, xw, xh, content, content_full, &err);
  else if (partial && x && err && err->code == SWAG_ERROR_CANCELLED)
    *partial = assemble (params, x, xw, xh, content, content_full, NULL);
  if (err)
    g_propagate_error (error, err);
  g_free (content_full);
  g_free (content_full_mask);
  g_free (x);
  g_free (ordered);
  g_free (ordered_blend);
  return result;
}
