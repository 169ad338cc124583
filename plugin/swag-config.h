/* swag-style: the procedure's arguments, and turning them into SwagParams.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#ifndef SWAG_CONFIG_H
#define SWAG_CONFIG_H

#include <libgimp/gimp.h>

#include "swag.h"

G_BEGIN_DECLS

/* The "weights" argument: which network weights to use. */
typedef enum
{
  SWAG_PLUGIN_WEIGHTS_RANDOM,
  SWAG_PLUGIN_WEIGHTS_PRETRAINED,
  SWAG_PLUGIN_WEIGHTS_FILE
} SwagPluginWeights;

/* One run's settings, read from a procedure config. The strings that
 * @params borrows live here; free them with swag_plugin_settings_clear(). */
typedef struct
{
  SwagParams  params;
  GimpLayer  *style;          /* owned reference */
  GimpLayer  *style2;         /* owned reference, or NULL */
  double      style_blend;    /* share of @style2, 0..1 */

  gchar      *weights;        /* "random", "pretrained" or a file path */
  gchar      *style_layers;
  gchar      *content_layers;
  gchar      *smooth_layers;
  gchar     **weight_dirs;    /* extra folders for "pretrained" */
} SwagPluginSettings;

/* Adds every setting of INTERFACES.md, and the auxiliary arguments that
 * remember the style layers for Filters > Repeat, to @procedure. */
void      swag_plugin_add_arguments      (GimpProcedure       *procedure);

/* The arguments in dialog order, without the auxiliary ones, for column 0
 * (the main settings) or 1 (the finer ones). NULL-terminated, static. */
const char *const *
          swag_plugin_dialog_properties  (int                  column);

/* When the style layers are unset (layer arguments are not saved as last
 * values), falls back to the layers the last run remembered, if they still
 * exist. */
void      swag_plugin_restore_style_layers (GimpProcedureConfig *config);

/* Records the style layers in the auxiliary arguments, so that the last
 * values GIMP saves after an interactive run name them. */
void      swag_plugin_remember_style_layers (GimpProcedureConfig *config);

/* Fills @settings from @config. FALSE with a message for the user when an
 * argument is missing or inconsistent. */
gboolean  swag_plugin_settings_read      (SwagPluginSettings  *settings,
                                          GimpProcedureConfig *config,
                                          GError             **error);

void      swag_plugin_settings_clear     (SwagPluginSettings  *settings);

G_END_DECLS

#endif /* SWAG_CONFIG_H */
