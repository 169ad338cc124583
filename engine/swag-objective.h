/* swag-objective.h: the style-transfer loss of an image at one size, and its
 * gradient: content and style terms at the taps (after SWAG smoothing), total
 * variation, with raw or normalised weights. Internal to the engine.
 *
 * GPL-3.0-or-later.
 */
#ifndef SWAG_OBJECTIVE_H
#define SWAG_OBJECTIVE_H

#include "swag-net.h"

G_BEGIN_DECLS

typedef struct _SwagObjective SwagObjective;

/* An image as the network takes it: (3, h, w) RGB in [0, 1], with an
 * optional (h, w) weight in [0, 1] (alpha) saying which pixels count. */
typedef struct
{
  const float *rgb;   /* (3, h, w) */
  const float *mask;  /* (h, w) or NULL: every pixel counts */
  int          h, w;
} SwagPlanar;

/* Resolves the tap lists of @params against @net and computes the targets:
 * the style Grams (blended over @styles by @blend, NULL = equal) and the
 * smoothed content features, each style image at its own size. For "auto"
 * smoothing the temperatures come from the first style image. @layer (may be
 * NULL) is called after every network layer and cancels when it returns
 * FALSE. */
SwagObjective *swag_objective_new (const SwagNet      *net,
                                   const SwagParams   *params,
                                   const SwagPlanar   *content,
                                   const SwagPlanar   *styles,
                                   const double       *blend,
                                   int                 n_styles,
                                   int                 n_threads,
                                   SwagLayerFunc       layer,
                                   gpointer            user_data,
                                   GError            **error);
void           swag_objective_free (SwagObjective *obj);

/* Sets @error to say that style @k (from 0) of @n_styles is fully
 * transparent, numbered as the user gave them. */
void           swag_style_transparent_error (GError **error, int k,
                                             int n_styles);

/* Bytes swag_objective_new and evaluation would hold (for estimates):
 * @kept for the whole run, @setup more while the style targets are made. */
void           swag_objective_bytes (const SwagNet    *net,
                                     const SwagParams *params,
                                     int h, int w,
                                     int style_h, int style_w,
                                     guint64          *kept,
                                     guint64          *setup);

/* Number of distinct taps and their terms' layout. */
int            swag_objective_n_taps   (const SwagObjective *obj);
const char    *swag_objective_tap_name (const SwagObjective *obj, int i);
gboolean       swag_objective_has_content (const SwagObjective *obj, int i);
gboolean       swag_objective_has_style   (const SwagObjective *obj, int i);
double         swag_objective_temperature (const SwagObjective *obj, int i);

/* Weights of each tap's raw content and style terms in the total (set from
 * @params at creation: raw, or normalised by the targets' energy). Tests and
 * the reference comparison override them. */
void           swag_objective_set_weights (SwagObjective *obj,
                                           const double  *content_w,
                                           const double  *style_w,
                                           double         tv_w);

/* total = sum content_w * content + style_w * style + tv_w * tv at image x
 * (3, h, w); terms[i] gets tap i's raw terms (NAN where none) when not NULL;
 * grad (3, h, w), overwritten, when not NULL. */
gboolean       swag_objective_eval (SwagObjective *obj,
                                    const float   *x,
                                    double        *total,
                                    SwagLayerLoss *terms,
                                    float         *grad,
                                    SwagLayerFunc  layer,
                                    gpointer       user_data,
                                    GError       **error);

/* S = smooth(F) (c, h, w) for one tap, as engine/README.md defines it. */
void           swag_smooth_apply (SwagCtx       *ctx,
                                  SwagSmoothing  mode,
                                  double         temperature,
                                  double         alpha,
                                  const float   *f,
                                  SwagShape      shape,
                                  float         *s);

G_END_DECLS

#endif /* SWAG_OBJECTIVE_H */
