/* swag-style: what a run of the procedure will cost, asked before it by
 * the run itself and by the dialog, the same way.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#ifndef SWAG_ESTIMATE_H
#define SWAG_ESTIMATE_H

#include <libgimp/gimp.h>

#include "swag-config.h"

G_BEGIN_DECLS

/* The engine's estimate (swag_transfer_estimate) of stylising each of
 * @drawables with the style layers of @settings, taking the largest style
 * (swag_largest_image) as the engine asks: in @total the seconds and the
 * work summed, the peak memory the largest, the rest the last drawable's.
 * FALSE with @error when one of them cannot run, its index in *@failed
 * (may be NULL). */
gboolean swag_plugin_estimate (const SwagPluginSettings  *settings,
                               GimpDrawable             **drawables,
                               gsize                      n_drawables,
                               SwagEstimate              *total,
                               gsize                     *failed,
                               GError                   **error);

G_END_DECLS

#endif /* SWAG_ESTIMATE_H */
