/* swag-imageops.h: resampling and conversions between the public image
 * (h, w, 4) and the planar (3, h, w) form the network takes. Internal.
 * GPL-3.0-or-later. */
#ifndef SWAG_IMAGEOPS_H
#define SWAG_IMAGEOPS_H

#include "swag.h"

G_BEGIN_DECLS

/* Separable cubic resampling of c planes (c, sh, sw) -> (c, dh, dw),
 * anti-aliased when shrinking (PIL's BICUBIC). */
void     swag_resample_planar (const float *src, int c, int sh, int sw,
                               float *dst, int dh, int dw);

/* The image resampled to w x h as (3, h, w) RGB clamped to [0, 1] (the
 * allocation holds 4 planes), and its alpha (h, w) in *mask when it is not
 * fully opaque (else NULL). Free both with g_free. */
gboolean swag_image_to_planar (const SwagImage *im, int w, int h,
                               float **rgb, float **mask, GError **error);

G_END_DECLS

#endif /* SWAG_IMAGEOPS_H */
