/* swag-style: the procedure's arguments, and turning them into SwagParams.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#ifndef SWAG_CONFIG_H
#define SWAG_CONFIG_H

#include <libgimp/gimp.h>

#include "swag.h"

G_BEGIN_DECLS

/* The word of a FILE setting's argument ("weights") that takes its file
 * from the argument NAME-file ("weights-file"). */
#define SWAG_PLUGIN_FILE_CHOICE "file"

/* One run's settings, read from a procedure config. The strings that
 * @params borrows live here; free them with swag_plugin_settings_clear(). */
typedef struct
{
  SwagParams  params;
  GimpLayer  *style;          /* owned reference */
  GimpLayer  *style2;         /* owned reference, or NULL */
  double      style_blend;    /* share of @style2, 0..1 */

  GPtrArray  *strings;        /* what @params' strings point to */
  gchar     **weight_dirs;    /* extra folders for "pretrained" */
} SwagPluginSettings;

/* Adds the plug-in's own arguments (the style layers, their blend, the
 * preset), one per setting of the engine's table (docs/interfaces.md),
 * and the auxiliary arguments that remember the style layers for
 * Filters > Repeat, to @procedure. */
void      swag_plugin_add_arguments      (GimpProcedure       *procedure);

/* When the style layers are unset (layer arguments are not saved as last
 * values), falls back to the layers the last run remembered, if they still
 * exist. */
void      swag_plugin_restore_style_layers (GimpProcedureConfig *config);

/* Records the style layers in the auxiliary arguments, so that the last
 * values GIMP saves after an interactive run name them. */
void      swag_plugin_remember_style_layers (GimpProcedureConfig *config);

/* Fills @settings from @config in the order of every front end: the
 * defaults, the preset, then the arguments given, which here are those
 * that differ from their default. FALSE with a message for the user when
 * an argument is missing or inconsistent. */
gboolean  swag_plugin_settings_read      (SwagPluginSettings  *settings,
                                          GimpProcedureConfig *config,
                                          GError             **error);

void      swag_plugin_settings_clear     (SwagPluginSettings  *settings);

G_END_DECLS

#endif /* SWAG_CONFIG_H */
