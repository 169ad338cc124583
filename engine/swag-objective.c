/* swag-objective.c: the style-transfer loss over the taps of a network and
 * its gradient with respect to the image. GPL-3.0-or-later.
 *
 * Per tap, with S the smoothed activation (engine/README.md):
 *   content = mean over elements of (S - S(P))^2
 *   style   = mean over entries of (G(S) - A)^2,  G(S) = S S^T / (C * H * W)
 * An alpha mask m (downsampled to the tap) weighs positions: the mean becomes
 * a weighted mean and the Gram sum_p m_p s_p s_p^T / (C * sum_p m_p), so that
 * transparent pixels neither count nor dilute the statistics. Without a mask
 * these are exactly the unmasked definitions.
 */
#include "swag-objective.h"
#include "swag-patch.h"
#include "swag-core.h"
#include "swag-imageops.h"
#include "swag-i18n.h"

#include <math.h>
#include <string.h>

typedef struct
{
  int       node;
  int       eval_index;   /* index in the evaluation's taps */
  SwagShape shape;
  gboolean  smooth;
  double    temperature;  /* softmax modes */
  gboolean  has_content, has_style;
  double    content_w, style_w;
  float    *content_target; /* (c, h, w) S(P) */
  float    *gram_target;    /* (c, c) A */
  float    *mask;           /* (h, w) tap-resolution weights, or NULL */
  double    mask_sum;
  float    *s;              /* (c, h, w) smoothed, or NULL = the tap itself */
  float    *ds;             /* (c, h, w) d/dS when smoothing */
  float    *sm;             /* (c, h, w) masked S for the Gram, or NULL */
  float    *g, *dg;         /* (c, c) */
  gboolean  use_patch;      /* the patch loss (else the Gram's: a tap too
                               small for a 3x3 window keeps it) */
  SwagPatchTarget *patch;   /* style patches (patch loss), or NULL */
  SwagPatchWork   *patch_work;
} Tap;

struct _SwagObjective
{
  const SwagNet *net;
  SwagSmoothing  smoothing;
  SwagStyleLoss  style_loss;
  double         alpha;
  double         temperature;  /* softmax T, or the factor on the spread (auto) */
  int            h, w;
  Tap           *taps;
  int            n_taps;
  SwagEval      *eval;
  SwagCtx        ctx;
  double         tv_w;
  /* Taps are evaluated one after the other: their smoothed features, the
   * gradient of those and the masked copy for the Gram share buffers of
   * the largest tap's size (each tap's s, ds, sm point here). */
  float         *s_buf, *ds_buf, *sm_buf;
};

/* ------------------------------------------------------------- helpers -- */

static gsize
shape_n (SwagShape s)
{
  return (gsize) s.c * s.h * s.w;
}

static gboolean
in_list (GArray *nodes, int node)
{
  for (guint k = 0; k < nodes->len; k++)
    if (g_array_index (nodes, int, k) == node)
      return TRUE;
  return FALSE;
}

/* Box-average an (h, w) mask down to (th, tw); NULL stays NULL. */
static float *
downsample_mask (const float *m, int h, int w, int th, int tw, double *sum)
{
  float *out;

  *sum = (double) th * tw;
  if (!m)
    return NULL;
  out = g_new (float, (gsize) th * tw);
  *sum = 0;
  for (int y = 0; y < th; y++)
    {
      int y0 = (int) ((gint64) y * h / th);
      int y1 = MAX (y0 + 1, (int) (((gint64) y + 1) * h / th));
      for (int x = 0; x < tw; x++)
        {
          int    x0 = (int) ((gint64) x * w / tw);
          int    x1 = MAX (x0 + 1, (int) (((gint64) x + 1) * w / tw));
          double acc = 0;
          for (int yy = y0; yy < y1; yy++)
            for (int xx = x0; xx < x1; xx++)
              acc += m[(gsize) yy * w + xx];
          out[(gsize) y * tw + x] = (float) (acc / ((y1 - y0) * (x1 - x0)));
          *sum += out[(gsize) y * tw + x];
        }
    }
  return out;
}

void
swag_smooth_apply (SwagCtx *ctx, SwagSmoothing mode, double t, double alpha,
                const float *f, SwagShape sh, float *s)
{
  gsize n = shape_n (sh), hw = (gsize) sh.h * sh.w;

  switch (mode)
    {
    case SWAG_SMOOTHING_SOFTMAX:
    case SWAG_SMOOTHING_AUTO:
      swag_softmax_all_forward (ctx, f, n, t, s);
      break;
    case SWAG_SMOOTHING_CHANNEL_SOFTMAX:
      swag_softmax_channel_forward (ctx, f, sh.c, hw, t, s);
      break;
    case SWAG_SMOOTHING_SCALE:
      for (gsize i = 0; i < n; i++)
        s[i] = (float) (alpha * f[i]);
      break;
    case SWAG_SMOOTHING_NONE:
      memcpy (s, f, n * sizeof (float));
      break;
    }
}

/* df += d smooth / dF applied to ds. */
static void
smooth_backward (SwagCtx *ctx, SwagSmoothing mode, double t, double alpha,
                 const float *s, const float *ds, SwagShape sh, float *df)
{
  gsize n = shape_n (sh), hw = (gsize) sh.h * sh.w;

  switch (mode)
    {
    case SWAG_SMOOTHING_SOFTMAX:
    case SWAG_SMOOTHING_AUTO:
      swag_softmax_all_backward (ctx, s, ds, n, t, df);
      break;
    case SWAG_SMOOTHING_CHANNEL_SOFTMAX:
      swag_softmax_channel_backward (ctx, s, ds, sh.c, hw, t, df);
      break;
    case SWAG_SMOOTHING_SCALE:
      swag_axpy (ctx, (float) alpha, ds, df, n);
      break;
    case SWAG_SMOOTHING_NONE:
      swag_axpy (ctx, 1.0f, ds, df, n);
      break;
    }
}

/* G = sum_p m_p s_p s_p^T / (c * sum m) (plain Gram without a mask).
 * @sm is (c, hw) scratch for the masked features when there is a mask. */
static void
masked_gram (SwagCtx *ctx, const float *s, SwagShape sh, const float *mask,
             double mask_sum, float *sm, float *g)
{
  gsize hw = (gsize) sh.h * sh.w;

  if (!mask)
    {
      swag_gram_forward (ctx, s, sh.c, hw, g);
      return;
    }
  for (int c = 0; c < sh.c; c++)
    for (gsize p = 0; p < hw; p++)
      sm[c * hw + p] = s[c * hw + p] * sqrtf (mask[p]);
  swag_gram_forward (ctx, sm, sh.c, hw, g);
  {
    /* The op divides by c*hw; the masked Gram wants c*sum(m). */
    float k = (float) ((double) hw / MAX (mask_sum, 1e-12));
    for (gsize i = 0; i < (gsize) sh.c * sh.c; i++)
      g[i] *= k;
  }
}

static void
masked_gram_backward (SwagCtx *ctx, const float *s, SwagShape sh,
                      const float *mask, double mask_sum, float *sm,
                      float *dg, float *ds)
{
  gsize hw = (gsize) sh.h * sh.w;

  if (!mask)
    {
      swag_gram_backward (ctx, s, dg, sh.c, hw, ds);
      return;
    }
  {
    float k = (float) ((double) hw / MAX (mask_sum, 1e-12));
    gsize n = (gsize) sh.c * hw;
    float *tmp;
    for (gsize i = 0; i < (gsize) sh.c * sh.c; i++)
      dg[i] *= k;
    /* d/ds = sqrt(m) * d/dsm; sm holds s * sqrt(m) from the forward. */
    tmp = g_new0 (float, n);
    swag_gram_backward (ctx, sm, dg, sh.c, hw, tmp);
    for (int c = 0; c < sh.c; c++)
      for (gsize p = 0; p < hw; p++)
        ds[c * hw + p] += tmp[c * hw + p] * sqrtf (mask[p]);
    g_free (tmp);
  }
}

/* Weighted mean of (a - b)^2 over (c, hw) with per-position weights. */
static double
masked_mse (SwagCtx *ctx, const float *a, const float *b, SwagShape sh,
            const float *mask, double mask_sum)
{
  gsize  hw = (gsize) sh.h * sh.w;
  double acc = 0;

  if (!mask)
    return swag_mse_forward (ctx, a, b, shape_n (sh));
  for (int c = 0; c < sh.c; c++)
    for (gsize p = 0; p < hw; p++)
      {
        double d = (double) a[c * hw + p] - b[c * hw + p];
        acc += mask[p] * d * d;
      }
  return acc / (sh.c * MAX (mask_sum, 1e-12));
}

static void
masked_mse_backward (SwagCtx *ctx, const float *a, const float *b,
                     SwagShape sh, const float *mask, double mask_sum,
                     double scale, float *da)
{
  gsize hw = (gsize) sh.h * sh.w;

  if (!mask)
    {
      swag_mse_backward (ctx, a, b, shape_n (sh), scale, da);
      return;
    }
  {
    double k = 2.0 * scale / (sh.c * MAX (mask_sum, 1e-12));
    for (int c = 0; c < sh.c; c++)
      for (gsize p = 0; p < hw; p++)
        da[c * hw + p] += (float) (k * mask[p]
                                   * ((double) a[c * hw + p] - b[c * hw + p]));
  }
}

static double
mean_square (const float *x, gsize n)
{
  double acc = 0;
  for (gsize i = 0; i < n; i++)
    acc += (double) x[i] * x[i];
  return acc / MAX (n, 1);
}

/* -------------------------------------------------------------- set up -- */

static void
tap_clear (Tap *t)
{
  g_free (t->content_target);
  g_free (t->gram_target);
  g_free (t->mask);
  g_free (t->g);
  g_free (t->dg);
  swag_patch_target_free (t->patch);
  swag_patch_work_free (t->patch_work);
}

void
swag_objective_free (SwagObjective *obj)
{
  if (!obj)
    return;
  for (int i = 0; i < obj->n_taps; i++)
    tap_clear (&obj->taps[i]);
  g_free (obj->taps);
  g_free (obj->s_buf);
  g_free (obj->ds_buf);
  g_free (obj->sm_buf);
  swag_eval_free (obj->eval);
  g_free (obj);
}

static SwagEval *
eval_for (const SwagNet *net, const Tap *taps, int n_taps, int h, int w,
          gboolean backward, int n_threads, GError **error)
{
  int      *nodes = g_new (int, n_taps);
  SwagEval *ev;

  for (int i = 0; i < n_taps; i++)
    nodes[i] = taps[i].node;
  ev = swag_eval_new (net, h, w, nodes, n_taps, backward, n_threads, error);
  g_free (nodes);
  return ev;
}

void
swag_style_transparent_error (GError **error, int k, int n_styles)
{
  if (n_styles > 1)
    g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                 _("Style image %d is fully transparent"), k + 1);
  else
    g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                 _("The style image is fully transparent"));
}

/* The patch loss's targets: the windows of style @k's smoothed activation
 * @f at tap @t, pooled as the picture's will be (its tap shape at the
 * content's size is known: the content's evaluation exists), at most the
 * budget's share of this style. */
static gboolean
add_style_patches (SwagObjective *obj, Tap *t, const float *f, SwagShape sh,
                   const SwagPlanar *st, double share, int k, int n_styles,
                   GError **error)
{
  SwagShape own = swag_eval_tap_shape (obj->eval, t->eval_index);
  float    *s, *mask;
  double    mask_sum;
  gboolean  ok = TRUE;
  int       before;

  if (!t->patch)
    t->patch = swag_patch_target_new (own.c,
                                      swag_patch_pool (own.c, own.h, own.w));
  s = swag_try_alloc_floats (shape_n (sh), N_("style features"), error);
  if (!s)
    return FALSE;
  swag_smooth_apply (&obj->ctx, t->smooth ? obj->smoothing
                                          : SWAG_SMOOTHING_NONE,
                     t->temperature, obj->alpha, f, sh, s);
  mask = downsample_mask (st->mask, st->h, st->w, sh.h, sh.w, &mask_sum);
  if (mask && mask_sum <= 0)
    {
      swag_style_transparent_error (error, k, n_styles);
      ok = FALSE;
    }
  else if (share > 0)
    {
      /* A style whose blend weight is 0 takes no part, as with the Gram
       * (where its share multiplies its Gram); at least 1 patch otherwise,
       * since a limit of 0 would mean no limit. */
      before = swag_patch_target_count (t->patch);
      ok = swag_patch_target_add (t->patch, &obj->ctx, s, sh.h, sh.w, mask,
                                  MAX (1, (int) (share * swag_patch_budget
                                                           (own.c))),
                                  error);
      if (ok && swag_patch_target_count (t->patch) == before)
        {
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                       _("The style image is too small for the patch style "
                         "loss"));
          ok = FALSE;
        }
    }
  g_free (mask);
  g_free (s);
  return ok;
}

/* Style targets: the blended masked Grams of the smoothed activations of
 * every style image, each at its own size (or, for the patch loss, their
 * patches). Auto temperatures come from the
 * first style image's activations. */
static gboolean
compute_style_targets (SwagObjective *obj, const SwagPlanar *styles,
                       const double *blend, int n_styles, int n_threads,
                       SwagLayerFunc layer, gpointer data, GError **error)
{
  double total_blend = 0;

  for (int k = 0; k < n_styles; k++)
    total_blend += blend ? blend[k] : 1.0;
  if (!(total_blend > 0))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   _("The style blend weights must add up to more than 0"));
      return FALSE;
    }

  for (int k = 0; k < n_styles; k++)
    {
      const SwagPlanar *st = &styles[k];
      double    share = (blend ? blend[k] : 1.0) / total_blend;
      SwagEval *ev;
      gboolean  ok = TRUE;

      ev = eval_for (obj->net, obj->taps, obj->n_taps, st->h, st->w, FALSE,
                     n_threads, error);
      if (!ev)
        return FALSE;
      ok = swag_eval_forward (ev, st->rgb, layer, data, error);
      for (int i = 0; ok && i < obj->n_taps; i++)
        {
          Tap        *t = &obj->taps[i];
          SwagShape   sh = swag_eval_tap_shape (ev, i);
          const float *f = swag_eval_tap (ev, i);
          gsize       n = shape_n (sh), cc = (gsize) sh.c * sh.c;
          float      *s, *sm, *g, *mask;
          double      mask_sum;

          if (t->smooth && obj->smoothing == SWAG_SMOOTHING_AUTO && k == 0)
            {
              double mean, std;
              swag_mean_std (&obj->ctx, f, n, &mean, &std);
              t->temperature = MAX (obj->temperature * std, 1e-6);
            }
          if (!t->has_style)
            continue;
          if (k == 0)
            {
              SwagShape own = swag_eval_tap_shape (obj->eval, t->eval_index);
              t->use_patch = obj->style_loss == SWAG_STYLE_LOSS_PATCH
                             && swag_patch_pool (own.c, own.h, own.w) >= 1;
            }
          if (t->use_patch)
            {
              ok = add_style_patches (obj, t, f, sh, st, share, k, n_styles,
                                      error);
              continue;
            }
          s = swag_try_alloc_floats (n, N_("style features"), error);
          sm = swag_try_alloc_floats (n, N_("style features"), error);
          g = swag_try_alloc_floats (cc, N_("style Gram"), error);
          if (!s || !sm || !g)
            {
              g_free (s);
              g_free (sm);
              g_free (g);
              ok = FALSE;
              break;
            }
          swag_smooth_apply (&obj->ctx, t->smooth ? obj->smoothing
                                               : SWAG_SMOOTHING_NONE,
                          t->temperature, obj->alpha, f, sh, s);
          mask = downsample_mask (st->mask, st->h, st->w, sh.h, sh.w,
                                  &mask_sum);
          if (mask && mask_sum <= 0)
            {
              swag_style_transparent_error (error, k, n_styles);
              ok = FALSE;
            }
          else
            {
              masked_gram (&obj->ctx, s, sh, mask, mask_sum, sm, g);
              if (!t->gram_target)
                t->gram_target = g_new0 (float, cc);
              for (gsize e = 0; e < cc; e++)
                t->gram_target[e] += (float) (share * g[e]);
            }
          g_free (mask);
          g_free (s);
          g_free (sm);
          g_free (g);
        }
      swag_eval_free (ev);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

/* Normalised weights: each style term is divided by its value at the content
 * image, and each content term by its value at the style image (the first
 * style, resampled to the content's size), then averaged over the taps. So
 * "1" means "as far as the content is from the style" for every term, on
 * every backbone, smoothing and size; style_strength weighs the two sides.
 * (Dividing by the target's own energy fails with softmax smoothing, whose
 * features carry a large constant part: every relative error is tiny.) */
static gboolean
normalise (SwagObjective *obj, const SwagParams *params,
           const SwagPlanar *content, const SwagPlanar *styles,
           int n_content_taps, int n_style_taps, SwagLayerFunc layer,
           gpointer data, GError **error)
{
  SwagLayerLoss *at_content = g_new0 (SwagLayerLoss, obj->n_taps);
  SwagLayerLoss *at_style = g_new0 (SwagLayerLoss, obj->n_taps);
  float         *style_rgb = NULL;
  double         total;
  gboolean       ok;

  ok = swag_objective_eval (obj, content->rgb, &total, at_content, NULL,
                            layer, data, error);
  if (ok && n_content_taps > 0)
    {
      style_rgb = swag_try_alloc_floats ((gsize) 3 * content->h * content->w,
                                         N_("style image"), error);
      ok = style_rgb != NULL;
      if (ok)
        {
          swag_resample_planar (styles[0].rgb, 3, styles[0].h, styles[0].w,
                                style_rgb, content->h, content->w);
          ok = swag_objective_eval (obj, style_rgb, &total, at_style, NULL,
                                    layer, data, error);
        }
    }
  for (int i = 0; ok && i < obj->n_taps; i++)
    {
      Tap  *t = &obj->taps[i];
      gsize n = shape_n (t->shape), cc = (gsize) t->shape.c * t->shape.c;

      /* Floors for a style that is the content itself (both distances 0):
       * far below any real distance, they only keep the weights finite. */
      if (t->has_content)
        t->content_w = 1.0 / (n_content_taps
                              * MAX (at_style[i].content,
                                     1e-12 * mean_square (t->content_target, n)
                                     + 1e-300));
      if (t->has_style)
        t->style_w = params->style_strength
                     / (n_style_taps
                        * MAX (at_content[i].style,
                               (t->gram_target
                                ? 1e-12 * mean_square (t->gram_target, cc)
                                : 0) + 1e-300));
    }
  g_free (style_rgb);
  g_free (at_content);
  g_free (at_style);
  return ok;
}

SwagObjective *
swag_objective_new (const SwagNet *net, const SwagParams *params,
                    const SwagPlanar *content, const SwagPlanar *styles,
                    const double *blend, int n_styles, int n_threads,
                    SwagLayerFunc layer, gpointer data, GError **error)
{
  SwagObjective *obj;
  GArray  *style_nodes = g_array_new (FALSE, FALSE, sizeof (int));
  GArray  *content_nodes = g_array_new (FALSE, FALSE, sizeof (int));
  GArray  *smooth_nodes = g_array_new (FALSE, FALSE, sizeof (int));
  GArray  *all = g_array_new (FALSE, FALSE, sizeof (int));
  gboolean ok;
  gboolean raw = params->style_weight > 0 || params->content_weight > 0;
  gsize    smooth_n = 0, masked_n = 0;  /* the shared buffers' floats */
  int      n_style_taps, n_content_taps;

  ok = swag_taps_parse (net, swag_params_style_layers (params),
                        style_nodes, error)
       && swag_taps_parse (net, swag_params_content_layers (params),
                           content_nodes, error)
       && swag_taps_parse (net, swag_params_smooth_layers (params),
                           smooth_nodes, error);
  if (ok && style_nodes->len == 0 && content_nodes->len == 0)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   /* TRANSLATORS: layers of the neural network (taps), not
                    * image layers. */
                   _("No style or content layer to optimise"));
      ok = FALSE;
    }
  if (ok && n_styles < 1 && style_nodes->len > 0)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID, _("No style image"));
      ok = FALSE;
    }
  if (!ok)
    {
      g_array_free (style_nodes, TRUE);
      g_array_free (content_nodes, TRUE);
      g_array_free (smooth_nodes, TRUE);
      g_array_free (all, TRUE);
      return NULL;
    }

  /* Distinct taps in network order. */
  for (int i = 0; i < net->n_nodes; i++)
    if (in_list (style_nodes, i) || in_list (content_nodes, i))
      g_array_append_val (all, i);

  obj = g_new0 (SwagObjective, 1);
  obj->net = net;
  obj->smoothing = params->smoothing;
  obj->style_loss = params->style_loss;
  obj->alpha = params->alpha;
  obj->temperature = params->temperature;
  obj->h = content->h;
  obj->w = content->w;
  obj->ctx.n_threads = MAX (n_threads, 1);
  obj->tv_w = params->tv_weight;
  obj->n_taps = all->len;
  obj->taps = g_new0 (Tap, obj->n_taps);
  for (int i = 0; i < obj->n_taps; i++)
    {
      Tap *t = &obj->taps[i];
      t->node = g_array_index (all, int, i);
      t->eval_index = i;
      t->has_style = in_list (style_nodes, t->node);
      t->has_content = in_list (content_nodes, t->node);
      t->smooth = params->smoothing != SWAG_SMOOTHING_NONE
                  && in_list (smooth_nodes, t->node);
      t->temperature = params->temperature;
    }
  n_style_taps = style_nodes->len;
  n_content_taps = content_nodes->len;
  g_array_free (style_nodes, TRUE);
  g_array_free (content_nodes, TRUE);
  g_array_free (smooth_nodes, TRUE);
  g_array_free (all, TRUE);

  obj->eval = eval_for (net, obj->taps, obj->n_taps, content->h, content->w,
                        TRUE, n_threads, error);
  if (!obj->eval)
    goto fail;
  obj->ctx.pool = swag_eval_pool (obj->eval);

  if (n_style_taps > 0
      && !compute_style_targets (obj, styles, blend, n_styles, n_threads,
                                 layer, data, error))
    goto fail;

  /* Content targets, masks, working buffers. */
  if (!swag_eval_forward (obj->eval, content->rgb, layer, data, error))
    goto fail;
  for (int i = 0; i < obj->n_taps; i++)
    {
      Tap        *t = &obj->taps[i];
      SwagShape   sh = swag_eval_tap_shape (obj->eval, i);
      gsize       n = shape_n (sh), cc = (gsize) sh.c * sh.c;
      const float *f = swag_eval_tap (obj->eval, i);

      t->shape = sh;
      t->mask = downsample_mask (content->mask, content->h, content->w,
                                 sh.h, sh.w, &t->mask_sum);
      if (t->mask && t->mask_sum <= 0)
        {
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                       _("The content image is fully transparent"));
          goto fail;
        }
      if (t->smooth)
        smooth_n = MAX (smooth_n, n);
      if (t->has_style && t->use_patch)
        {
          t->patch_work = swag_patch_work_new (t->patch, sh.h, sh.w, t->mask,
                                               error);
          if (!t->patch_work)
            goto fail;
        }
      else if (t->mask && t->has_style)
        masked_n = MAX (masked_n, n);
      if (t->has_style && !t->use_patch)
        {
          t->g = swag_try_alloc_floats (cc, N_("Gram matrix"), error);
          t->dg = t->g ? swag_try_alloc_floats (cc, N_("Gram matrix"), error)
                       : NULL;
          if (!t->dg)
            goto fail;
        }
      if (t->has_content)
        {
          t->content_target = swag_try_alloc_floats (n, N_("content features"),
                                                     error);
          if (!t->content_target)
            goto fail;
          swag_smooth_apply (&obj->ctx, t->smooth ? obj->smoothing
                                               : SWAG_SMOOTHING_NONE,
                          t->temperature, obj->alpha, f, sh,
                          t->content_target);
        }

    }

  if (smooth_n)
    {
      obj->s_buf = swag_try_alloc_floats (smooth_n, N_("smoothed features"),
                                          error);
      obj->ds_buf = obj->s_buf ? swag_try_alloc_floats (smooth_n,
                                                        N_("smoothed features"),
                                                        error) : NULL;
      if (!obj->ds_buf)
        goto fail;
    }
  if (masked_n)
    {
      obj->sm_buf = swag_try_alloc_floats (masked_n, N_("masked features"),
                                           error);
      if (!obj->sm_buf)
        goto fail;
    }
  for (int i = 0; i < obj->n_taps; i++)
    {
      Tap *t = &obj->taps[i];
      if (t->smooth)
        {
          t->s = obj->s_buf;
          t->ds = obj->ds_buf;
        }
      if (t->mask && t->has_style && !t->use_patch)
        t->sm = obj->sm_buf;
    }

  if (raw)
    for (int i = 0; i < obj->n_taps; i++)
      {
        obj->taps[i].content_w = params->content_weight;
        obj->taps[i].style_w = params->style_weight;
      }
  else if (!normalise (obj, params, content, styles, n_content_taps,
                       n_style_taps, layer, data, error))
    goto fail;
  return obj;

fail:
  swag_objective_free (obj);
  return NULL;
}

/* -------------------------------------------------------------- access -- */

int
swag_objective_n_taps (const SwagObjective *obj)
{
  return obj->n_taps;
}

const char *
swag_objective_tap_name (const SwagObjective *obj, int i)
{
  return swag_net_tap_name (obj->net, obj->taps[i].node);
}

gboolean
swag_objective_has_content (const SwagObjective *obj, int i)
{
  return obj->taps[i].has_content;
}

gboolean
swag_objective_has_style (const SwagObjective *obj, int i)
{
  return obj->taps[i].has_style;
}

double
swag_objective_temperature (const SwagObjective *obj, int i)
{
  return obj->taps[i].smooth && obj->smoothing != SWAG_SMOOTHING_SCALE
         ? obj->taps[i].temperature : 0.0;
}

void
swag_objective_set_weights (SwagObjective *obj, const double *content_w,
                            const double *style_w, double tv_w)
{
  for (int i = 0; i < obj->n_taps; i++)
    {
      obj->taps[i].content_w = content_w ? content_w[i] : 0;
      obj->taps[i].style_w = style_w ? style_w[i] : 0;
    }
  obj->tv_w = tv_w;
}

/* ---------------------------------------------------------- evaluation -- */

gboolean
swag_objective_eval (SwagObjective *obj, const float *x, double *total,
                     SwagLayerLoss *terms, float *grad, SwagLayerFunc layer,
                     gpointer data, GError **error)
{
  SwagCtx *ctx = &obj->ctx;
  double   sum = 0;

  if (!swag_eval_forward (obj->eval, x, layer, data, error))
    return FALSE;
  if (grad)
    swag_eval_zero_grad (obj->eval);

  for (int i = 0; i < obj->n_taps; i++)
    {
      Tap         *t = &obj->taps[i];
      SwagShape    sh = t->shape;
      gsize        n = shape_n (sh), cc = (gsize) sh.c * sh.c;
      const float *f = swag_eval_tap (obj->eval, i);
      const float *s = f;
      float       *ds = NULL;
      double       lc = NAN, ls = NAN;

      if (t->smooth)
        {
          swag_smooth_apply (ctx, obj->smoothing, t->temperature, obj->alpha, f,
                          sh, t->s);
          s = t->s;
        }
      if (grad)
        {
          ds = t->smooth ? t->ds : swag_eval_tap_grad (obj->eval, i);
          if (t->smooth)
            memset (ds, 0, n * sizeof (float));
        }

      if (t->has_content)
        {
          lc = masked_mse (ctx, s, t->content_target, sh, t->mask,
                           t->mask_sum);
          sum += t->content_w * lc;
          if (ds && t->content_w != 0)
            masked_mse_backward (ctx, s, t->content_target, sh, t->mask,
                                 t->mask_sum, t->content_w, ds);
        }
      if (t->has_style && t->use_patch)
        {
          ls = swag_patch_loss (ctx, t->patch, t->patch_work, s,
                                t->style_w, ds && t->style_w != 0 ? ds : NULL);
          sum += t->style_w * ls;
        }
      else if (t->has_style)
        {
          masked_gram (ctx, s, sh, t->mask, t->mask_sum, t->sm, t->g);
          ls = swag_mse_forward (ctx, t->g, t->gram_target, cc);
          sum += t->style_w * ls;
          if (ds && t->style_w != 0)
            {
              memset (t->dg, 0, cc * sizeof (float));
              swag_mse_backward (ctx, t->g, t->gram_target, cc, t->style_w,
                                 t->dg);
              masked_gram_backward (ctx, s, sh, t->mask, t->mask_sum, t->sm,
                                    t->dg, ds);
            }
        }
      if (ds && t->smooth)
        smooth_backward (ctx, obj->smoothing, t->temperature, obj->alpha,
                         t->s, t->ds, sh, swag_eval_tap_grad (obj->eval, i));
      if (terms)
        {
          terms[i].name = swag_net_tap_name (obj->net, t->node);
          terms[i].content = lc;
          terms[i].style = ls;
        }
    }

  if (obj->tv_w > 0)
    sum += obj->tv_w * swag_tv_forward (ctx, x, 3, obj->h, obj->w);

  if (grad)
    {
      if (!swag_eval_backward (obj->eval, grad, layer, data, error))
        return FALSE;
      if (obj->tv_w > 0)
        swag_tv_backward (ctx, x, 3, obj->h, obj->w, obj->tv_w, grad);
    }
  *total = sum;
  return TRUE;
}

void
swag_objective_bytes (const SwagNet *net, const SwagParams *params, int h,
                      int w, int style_h, int style_w, guint64 *kept,
                      guint64 *setup)
{
  GArray    *style = g_array_new (FALSE, FALSE, sizeof (int));
  GArray    *content = g_array_new (FALSE, FALSE, sizeof (int));
  GArray    *smooth = g_array_new (FALSE, FALSE, sizeof (int));
  GArray    *all = g_array_new (FALSE, FALSE, sizeof (int));
  SwagShape *shapes = NULL, *sshapes = NULL;
  int        last = -1;

  *kept = *setup = 0;
  if (!swag_taps_parse (net, swag_params_style_layers (params), style, NULL)
      || !swag_taps_parse (net, swag_params_content_layers (params), content,
                           NULL)
      || !swag_taps_parse (net, swag_params_smooth_layers (params), smooth,
                           NULL))
    goto out;
  for (int i = 0; i < net->n_nodes; i++)
    if (in_list (style, i) || in_list (content, i))
      {
        g_array_append_val (all, i);
        last = i;
      }
  shapes = g_new (SwagShape, (gsize) MAX (net->n_nodes, 1));
  sshapes = g_new (SwagShape, (gsize) MAX (net->n_nodes, 1));
  if (last < 0 || !swag_net_shapes (net, h, w, last, shapes, NULL)
      || !swag_net_shapes (net, style_h, style_w, last, sshapes, NULL))
    goto out;

  {
    const int *nodes = (const int *) (void *) all->data;
    guint64    smooth_n = 0, style_n = 0, sstyle_n = 0;

    /* Kept for the whole run: the content's evaluation (with backward),
     * the targets, the Grams (target, Gram, its gradient) or the patch
     * loss's patches and scratch, and the buffers the taps share. */
    *kept = swag_eval_bytes (net, h, w, nodes, all->len, TRUE);
    for (guint k = 0; k < all->len; k++)
      {
        const int node = nodes[k];
        SwagShape sh = shapes[node], ss = sshapes[node];
        guint64   n = (guint64) sh.c * sh.h * sh.w;
        guint64   cc = (guint64) sh.c * sh.c;

        if (in_list (content, node))
          *kept += 4 * n;
        if (params->smoothing != SWAG_SMOOTHING_NONE && in_list (smooth, node))
          smooth_n = MAX (smooth_n, n);
        if (!in_list (style, node))
          continue;
        if (params->style_loss == SWAG_STYLE_LOSS_PATCH
            && swag_patch_pool (sh.c, sh.h, sh.w) >= 1)
          {
            int ns = swag_patch_budget (sh.c);
            *kept += (guint64) 4 * 2 * ns * 9 * sh.c
                     + swag_patch_work_bytes (sh.c, sh.h, sh.w, ns);
          }
        else
          {
            *kept += 4 * 3 * cc;
            /* the masked copy, for a picture with alpha (the estimate
             * cannot know: counted) */
            style_n = MAX (style_n, n);
          }
        sstyle_n = MAX (sstyle_n, (guint64) ss.c * ss.h * ss.w);
      }
    *kept += 4 * (2 * smooth_n + style_n);
    /* While the style targets are made: the style's evaluation, forward
     * only, and a tap's smoothed and masked copies. */
    *setup = swag_eval_bytes (net, style_h, style_w, nodes, all->len, FALSE)
             + 4 * 2 * sstyle_n;
  }

out:
  g_free (shapes);
  g_free (sshapes);
  g_array_free (style, TRUE);
  g_array_free (content, TRUE);
  g_array_free (smooth, TRUE);
  g_array_free (all, TRUE);
}
