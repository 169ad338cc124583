/* swag-diagnose.c: the statistics of the SWAG paper's analysis, per tap:
 * the maximum activation, the maximum Gram entry and the normalised entropy
 * of the Gram matrix, after smoothing. GPL-3.0-or-later. */
#include "swag.h"
#include "swag-core.h"
#include "swag-imageops.h"
#include "swag-net.h"
#include "swag-objective.h"

#include <math.h>
#include <string.h>

/* Distinct style and content taps in network order. */
static int *
diag_taps (const SwagNet *net, const SwagParams *p, int *n, GError **error)
{
  GArray   *nodes = g_array_new (FALSE, FALSE, sizeof (int));
  gboolean *use = g_new0 (gboolean, net->n_nodes);
  int      *taps = NULL;

  *n = 0;
  if (swag_taps_parse (net, swag_params_style_layers (p), nodes, error)
      && swag_taps_parse (net, swag_params_content_layers (p), nodes, error))
    {
      for (guint k = 0; k < nodes->len; k++)
        use[g_array_index (nodes, int, k)] = TRUE;
      taps = g_new (int, net->n_nodes);
      for (int i = 0; i < net->n_nodes; i++)
        if (use[i])
          taps[(*n)++] = i;
    }
  g_free (use);
  g_array_unref (nodes);
  return taps;
}

static gboolean
in_list (const SwagNet *net, const char *list, int node)
{
  GArray  *nodes = g_array_new (FALSE, FALSE, sizeof (int));
  gboolean found = FALSE;

  swag_taps_parse (net, list, nodes, NULL);
  for (guint k = 0; k < nodes->len && !found; k++)
    found = g_array_index (nodes, int, k) == node;
  g_array_unref (nodes);
  return found;
}

static SwagEval *
forward_image (const SwagNet *net, const SwagImage *image, int size,
               const int *taps, int n_taps, GError **error)
{
  SwagEval *ev;
  float    *rgb;
  int       w, h;

  swag_fit_size (image->width, image->height, size, &w, &h);
  if (!swag_image_to_planar (image, w, h, &rgb, NULL, error))
    return NULL;
  ev = swag_eval_new (net, h, w, taps, n_taps, FALSE, swag_get_threads (),
                      error);
  if (ev && !swag_eval_forward (ev, rgb, NULL, NULL, error))
    {
      swag_eval_free (ev);
      ev = NULL;
    }
  g_free (rgb);
  return ev;
}

SwagTapStats *
swag_diagnose (SwagNet *net, const SwagImage *image,
               const SwagImage *temperature_source, const SwagParams *params,
               int *n_taps, GError **error)
{
  SwagTapStats *stats = NULL;
  SwagEval     *ev = NULL, *tev = NULL;
  SwagCtx       ctx = { .n_threads = 1 };
  const char   *smooth_list = swag_params_smooth_layers (params);
  int          *taps;
  int           n;

  *n_taps = 0;
  if (!swag_params_validate (params, error))
    return NULL;
  taps = diag_taps (net, params, &n, error);
  if (!taps)
    return NULL;

  ev = forward_image (net, image, params->size, taps, n, error);
  if (!ev)
    goto out;
  if (params->smoothing == SWAG_SMOOTHING_AUTO && temperature_source
      && temperature_source != image)
    {
      tev = forward_image (net, temperature_source, params->size, taps, n,
                           error);
      if (!tev)
        goto out;
    }

  stats = g_new0 (SwagTapStats, n);
  for (int i = 0; i < n; i++)
    {
      SwagShape    sh = swag_eval_tap_shape (ev, i);
      gsize        m = (gsize) sh.c * sh.h * sh.w, cc = (gsize) sh.c * sh.c;
      const float *f = swag_eval_tap (ev, i);
      SwagSmoothing mode = in_list (net, smooth_list, taps[i])
                           ? params->smoothing : SWAG_SMOOTHING_NONE;
      double       t = params->temperature, mx = -INFINITY, gmax = -INFINITY;
      double       gsum = 0, ent = 0;
      float       *s = g_new (float, m), *g = g_new (float, cc);

      if (mode == SWAG_SMOOTHING_AUTO)
        {
          const SwagEval *src = tev ? tev : ev;
          SwagShape       ts = swag_eval_tap_shape (src, i);
          double          mean, std;
          swag_mean_std (&ctx, swag_eval_tap (src, i),
                         (gsize) ts.c * ts.h * ts.w, &mean, &std);
          t = MAX (params->temperature * std, 1e-6);
        }
      swag_smooth_apply (&ctx, mode, t, params->alpha, f, sh, s);
      swag_gram_forward (&ctx, s, sh.c, (gsize) sh.h * sh.w, g);
      for (gsize e = 0; e < m; e++)
        mx = MAX (mx, s[e]);
      for (gsize e = 0; e < cc; e++)
        {
          gmax = MAX (gmax, g[e]);
          gsum += MAX (g[e], 0.0f);
        }
      for (gsize e = 0; e < cc && gsum > 0; e++)
        {
          double p = MAX (g[e], 0.0f) / gsum;
          if (p > 0)
            ent -= p * log (p);
        }
      g_strlcpy (stats[i].name, swag_net_tap_name (net, taps[i]),
                 sizeof stats[i].name);
      stats[i].channels = sh.c;
      stats[i].height = sh.h;
      stats[i].width = sh.w;
      stats[i].max_activation = mx;
      stats[i].max_gram = gmax;
      stats[i].gram_entropy = cc > 1 ? ent / log ((double) cc) : 0;
      stats[i].temperature = (mode == SWAG_SMOOTHING_NONE
                              || mode == SWAG_SMOOTHING_SCALE) ? 0 : t;
      g_free (s);
      g_free (g);
    }
  *n_taps = n;

out:
  swag_eval_free (ev);
  swag_eval_free (tev);
  g_free (taps);
  return stats;
}
