/* swag-style: what a run of the procedure will cost.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#include <string.h>

#include <libgimp/gimp.h>

#include "swag-estimate.h"

gboolean
swag_plugin_estimate (const SwagPluginSettings  *settings,
                      GimpDrawable             **drawables,
                      gsize                      n_drawables,
                      SwagEstimate              *total,
                      gsize                     *failed,
                      GError                   **error)
{
  GimpLayer       *layers[2] = { settings->style, settings->style2 };
  SwagImage        sizes[2];
  const SwagImage *styles[2];
  const SwagImage *largest;
  int              n_styles = 0;

  memset (total, 0, sizeof *total);

  /* The style layers' sizes, without their pixels. */
  for (int i = 0; i < 2; i++)
    if (layers[i])
      {
        sizes[n_styles].width  = gimp_drawable_get_width (GIMP_DRAWABLE (layers[i]));
        sizes[n_styles].height = gimp_drawable_get_height (GIMP_DRAWABLE (layers[i]));
        sizes[n_styles].data   = NULL;
        styles[n_styles] = &sizes[n_styles];
        n_styles++;
      }
  largest = swag_largest_image (styles, n_styles);
  g_return_val_if_fail (largest != NULL, FALSE);

  for (gsize i = 0; i < n_drawables; i++)
    {
      SwagEstimate estimate;

      if (!swag_transfer_estimate (&settings->params,
                                   gimp_drawable_get_width (drawables[i]),
                                   gimp_drawable_get_height (drawables[i]),
                                   largest->width, largest->height,
                                   &estimate, error))
        {
          if (failed)
            *failed = i;
          return FALSE;
        }

      estimate.seconds   += total->seconds;
      estimate.gflop     += total->gflop;
      estimate.peak_bytes = MAX (estimate.peak_bytes, total->peak_bytes);
      *total = estimate;
    }

  return TRUE;
}
