/* swag-style: pixels in and out of GIMP layers, and the result layer.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#ifndef SWAG_LAYER_H
#define SWAG_LAYER_H

#include <libgimp/gimp.h>

#include "swag.h"

G_BEGIN_DECLS

/* The parasite that carries a result layer's settings. */
#define SWAG_PLUGIN_PARASITE "swag-style-settings"

/* The pixels of @drawable as (height, width, 4) R'G'B'A float, whatever its
 * precision, transfer curve and type (gray becomes R=G=B). Layers in GIMP's
 * sRGB space are converted with fixed arithmetic, so the same layer always
 * gives the same values (an 8-bit one k / 255, as the command line reads
 * PNGs); others through babl. */
SwagImage *swag_plugin_read_drawable (GimpDrawable *drawable,
                                      GError      **error);

/* Adds the result of stylising @content above it: a layer of @content's
 * type, size and offsets named after @style, holding @result (written in the
 * layer's own format), masked by the selection when there is one, carrying
 * @settings_json as its parasite. Call inside an undo group. */
GimpLayer *swag_plugin_add_result_layer (GimpImage       *image,
                                         GimpDrawable    *content,
                                         GimpLayer       *style,
                                         const SwagImage *result,
                                         const char      *settings_json);

G_END_DECLS

#endif /* SWAG_LAYER_H */
