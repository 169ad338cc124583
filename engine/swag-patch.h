/* swag-patch.h: the patch (MRF) style loss of Li and Wand ("Combining
 * Markov random fields and convolutional neural networks", CVPR 2016) on a
 * tapped activation, with its gradient. Internal to the engine; the
 * definition is in engine/README.md ("Patch style loss").
 *
 * GPL-3.0-or-later.
 */
#ifndef SWAG_PATCH_H
#define SWAG_PATCH_H

#include "swag-ops.h"

G_BEGIN_DECLS

/* Patches are 3 x 3 windows of the activation average-pooled by a factor
 * chosen so that a picture has at most swag_patch_budget (9 c) of them:
 * matching costs patches x style patches x 9 c multiply-adds. */
int   swag_patch_budget (int c);

/* The pool factor for a picture tap of c x h x w, or 0 when even unpooled
 * it has no 3 x 3 window. */
int   swag_patch_pool (int c, int h, int w);

typedef struct _SwagPatchTarget SwagPatchTarget;

/* An empty set of style patches for a tap of @c channels pooled by @pool. */
SwagPatchTarget *swag_patch_target_new  (int c, int pool);
void             swag_patch_target_free (SwagPatchTarget *t);

/* Adds the patches of one style activation @s (c, h, w), skipping windows
 * whose pooled @mask (h, w, may be NULL) averages below one half, and
 * keeping at most @max_patches of them, evenly spread. FALSE with an error
 * when out of memory. */
gboolean swag_patch_target_add  (SwagPatchTarget *t, SwagCtx *ctx,
                                 const float *s, int h, int w,
                                 const float *mask, int max_patches,
                                 GError **error);
int      swag_patch_target_count (const SwagPatchTarget *t);

/* Per picture: scratch for one tap of h x w (pooled features, patches,
 * scores, matches) and the windows' weights from the picture's position
 * weights @mask (h, w, may be NULL), fixed for the run. */
typedef struct _SwagPatchWork SwagPatchWork;

SwagPatchWork *swag_patch_work_new  (const SwagPatchTarget *t, int h, int w,
                                     const float *mask, GError **error);
void           swag_patch_work_free (SwagPatchWork *wk);
guint64        swag_patch_work_bytes (int c, int h, int w, int n_style);

/* The loss at activation @f (c, h, w), weighted as @wk's mask says; with
 * @df (c, h, w) not NULL, df += scale * d loss / d f, the matches held
 * fixed. Needs at least one style patch. */
double swag_patch_loss (SwagCtx *ctx, const SwagPatchTarget *t,
                        SwagPatchWork *wk, const float *f, double scale,
                        float *df);

G_END_DECLS

#endif /* SWAG_PATCH_H */
