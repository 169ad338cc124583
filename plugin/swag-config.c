/* swag-style: the procedure's arguments, and turning them into SwagParams.
 *
 * One argument per entry of the engine's table of settings (swag_settings),
 * under the entry's name, with its label as the nick, its help as the
 * blurb, its range or choices and its default; before them the arguments
 * of the plug-in's own (the style layers, their blend, the preset), after
 * them the auxiliary ones that remember the style layers.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#include <stdlib.h>
#include <string.h>

#include <libgimp/gimp.h>
#include <glib/gi18n-lib.h>

#include "swag-config.h"

/* The "preset" value that applies no preset. */
#define PRESET_NONE "none"

/* ----------------------------------------------------------- arguments -- */

/* @s's choices, with the engine's enum values as ids. */
static GimpChoice *
choice_of (const SwagSetting *s)
{
  GimpChoice *choice = gimp_choice_new ();

  for (int i = 0; s->choices[i]; i++)
    gimp_choice_add (choice, s->choices[i], i, _(s->choice_labels[i]), NULL);

  return choice;
}

static int
n_choices (const SwagSetting *s)
{
  int n = 0;

  while (s->choices[n])
    n++;

  return n;
}

/* A FILE setting is two arguments: its words and SWAG_PLUGIN_FILE_CHOICE,
 * and the file, NAME-file, that the latter takes. The table's one FILE
 * setting is the network's weights, which the texts of the file argument
 * speak of. */
static void
add_file_arguments (GimpProcedure     *procedure,
                    const SwagSetting *s)
{
  GimpChoice *choice = choice_of (s);
  gchar      *file   = g_strconcat (s->name, "-file", NULL);

  gimp_choice_add (choice, SWAG_PLUGIN_FILE_CHOICE, n_choices (s),
                   _("From a file"), NULL);
  gimp_procedure_add_choice_argument (procedure, s->name,
                                      _(s->label), _(s->help),
                                      choice, s->def_string,
                                      G_PARAM_READWRITE);
  gimp_procedure_add_file_argument (procedure, file,
                                    _("Weights _file"),
                                    _("A .safetensors file with the network's "
                                      "weights (a torchvision state dict), "
                                      "used when weights is \"file\""),
                                    GIMP_FILE_CHOOSER_ACTION_OPEN, TRUE, NULL,
                                    G_PARAM_READWRITE);
  g_free (file);
}

/* The argument of one setting; the ranges, choices and default are the
 * table's. */
static void
add_setting_argument (GimpProcedure     *procedure,
                      const SwagSetting *s)
{
  const char *nick  = _(s->label);
  const char *blurb = _(s->help);
  gchar      *text;

  switch (s->type)
    {
    case SWAG_SETTING_INT:
      gimp_procedure_add_int_argument (procedure, s->name, nick, blurb,
                                       (int) s->min, (int) s->max,
                                       (int) s->def, G_PARAM_READWRITE);
      break;

    case SWAG_SETTING_DOUBLE:
      gimp_procedure_add_double_argument (procedure, s->name, nick, blurb,
                                          s->min, s->max, s->def,
                                          G_PARAM_READWRITE);
      break;

    case SWAG_SETTING_BOOLEAN:
      gimp_procedure_add_boolean_argument (procedure, s->name, nick, blurb,
                                           s->def != 0, G_PARAM_READWRITE);
      break;

    case SWAG_SETTING_CHOICE:
      gimp_procedure_add_choice_argument (procedure, s->name, nick, blurb,
                                          choice_of (s),
                                          s->choices[(int) s->def],
                                          G_PARAM_READWRITE);
      break;

    case SWAG_SETTING_SEED:
      /* A procedure's arguments hold no 64-bit integers: the seeds an int
       * holds. */
      gimp_procedure_add_int_argument (procedure, s->name, nick, blurb,
                                       0, G_MAXINT, (int) s->def,
                                       G_PARAM_READWRITE);
      break;

    case SWAG_SETTING_FILE:
      add_file_arguments (procedure, s);
      break;

    case SWAG_SETTING_TAPS:
      /* TRANSLATORS: the description of an argument that lists layers of
       * the neural network (the first %s); an empty list means the
       * network's own. */
      text = g_strdup_printf (_("%s; empty for the network's default"),
                              blurb);
      gimp_procedure_add_string_argument (procedure, s->name, nick, text,
                                          "", G_PARAM_READWRITE);
      g_free (text);
      break;
    }
}

void
swag_plugin_add_arguments (GimpProcedure *procedure)
{
  const SwagSetting *preset = swag_preset_setting ();
  const SwagSetting *settings;
  GimpChoice        *presets;
  int                n;

  gimp_procedure_add_layer_argument (procedure, "style-layer",
                                     _("S_tyle layer"),
                                     _("The layer whose style is transferred "
                                       "(required); it may belong to another "
                                       "image and have any size"),
                                     TRUE, G_PARAM_READWRITE);
  gimp_procedure_add_layer_argument (procedure, "style-layer-2",
                                     _("Second style la_yer"),
                                     _("An optional second style, blended with "
                                       "the first by style-blend"),
                                     TRUE, G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (procedure, "style-blend",
                                      _("Second style sh_are"),
                                      _("The share of the second style, from 0 "
                                        "(first style only) to 1 (second style "
                                        "only)"),
                                      0.0, 1.0, 0.5, G_PARAM_READWRITE);

  /* The presets, and "none" first: GIMP passes every argument, so a preset
   * cannot be told from no preset by its absence. */
  presets = gimp_choice_new ();
  gimp_choice_add (presets, PRESET_NONE, -1, _("None"),
                   _("Use the arguments as given"));
  for (int i = 0; preset->choices[i]; i++)
    gimp_choice_add (presets, preset->choices[i], i,
                     _(preset->choice_labels[i]), NULL);
  gimp_procedure_add_choice_argument (procedure, preset->name,
                                      _(preset->label), _(preset->help),
                                      presets, PRESET_NONE, G_PARAM_READWRITE);

  settings = swag_settings (&n);
  for (int i = 0; i < n; i++)
    add_setting_argument (procedure, &settings[i]);

  /* Layer arguments are not saved as last values; these remember the style
   * layers of the last interactive run as "ID:name" for Filters > Repeat. */
  gimp_procedure_add_string_aux_argument (procedure, "last-style-layer",
                                          "Last style layer",
                                          "The style layer of the last run",
                                          "", G_PARAM_READWRITE);
  gimp_procedure_add_string_aux_argument (procedure, "last-style-layer-2",
                                          "Last second style layer",
                                          "The second style layer of the last "
                                          "run",
                                          "", G_PARAM_READWRITE);
}

/* ---------------------------------------------------- the style layers -- */

/* "ID:name" of @layer, or "" for none. */
static gchar *
layer_reference (GimpLayer *layer)
{
  g_autofree gchar *name = NULL;

  if (!layer)
    return g_strdup ("");

  name = gimp_item_get_name (GIMP_ITEM (layer));
  return g_strdup_printf ("%d:%s", gimp_item_get_id (GIMP_ITEM (layer)),
                          name);
}

/* The layer an "ID:name" reference names, if it still exists under that
 * name (IDs are per session, so a reference saved in an earlier session
 * may name some other layer now). */
static GimpLayer *
layer_from_reference (const char *reference)
{
  const char *name;
  char       *end;
  long        id;
  GimpLayer  *layer;

  if (!reference || !*reference)
    return NULL;

  id = strtol (reference, &end, 10);
  if (end == reference || *end != ':' || id <= 0 || id > G_MAXINT)
    return NULL;
  name = end + 1;

  if (!gimp_item_id_is_layer ((gint) id))
    return NULL;

  layer = gimp_layer_get_by_id ((gint) id);
  if (layer)
    {
      /* gimp_item_get_name returns a copy (transfer full). */
      g_autofree gchar *current = gimp_item_get_name (GIMP_ITEM (layer));

      if (strcmp (current, name) != 0)
        return NULL;
    }

  return layer;
}

static void
restore_layer (GimpProcedureConfig *config,
               const char          *property,
               const char          *aux_property)
{
  GimpLayer *layer     = NULL;
  gchar     *reference = NULL;

  g_object_get (config,
                property,     &layer,
                aux_property, &reference,
                NULL);

  if (!layer)
    {
      GimpLayer *remembered = layer_from_reference (reference);

      if (remembered)
        g_object_set (config, property, remembered, NULL);
    }

  g_clear_object (&layer);
  g_free (reference);
}

void
swag_plugin_restore_style_layers (GimpProcedureConfig *config)
{
  restore_layer (config, "style-layer",   "last-style-layer");
  restore_layer (config, "style-layer-2", "last-style-layer-2");
}

static void
remember_layer (GimpProcedureConfig *config,
                const char          *property,
                const char          *aux_property)
{
  GimpLayer *layer = NULL;
  gchar     *reference;

  g_object_get (config, property, &layer, NULL);
  reference = layer_reference (layer);
  g_object_set (config, aux_property, reference, NULL);

  g_free (reference);
  g_clear_object (&layer);
}

void
swag_plugin_remember_style_layers (GimpProcedureConfig *config)
{
  remember_layer (config, "style-layer",   "last-style-layer");
  remember_layer (config, "style-layer-2", "last-style-layer-2");
}

/* ---------------------------------------------------------- weights -- */

static gchar **
weight_dirs_new (void)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  gchar        *plug_in_dir;
  gchar       **dirs;

  /* The user's GIMP profile first, then the plug-in's own folder. */
  g_strv_builder_take (builder,
                       g_build_filename (gimp_directory (),
                                         "swag-style", "weights", NULL));

  plug_in_dir = g_path_get_dirname (gimp_get_progname ());
  g_strv_builder_take (builder,
                       g_build_filename (plug_in_dir, "weights", NULL));
  g_free (plug_in_dir);

  dirs = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);

  return dirs;
}

/* ------------------------------------------------------------ reading -- */

/* A FILE setting: a word of the table, or the file of NAME-file. */
static gboolean
read_file_setting (SwagPluginSettings  *settings,
                   GimpProcedureConfig *config,
                   const SwagSetting   *s,
                   GError             **error)
{
  int    id    = gimp_procedure_config_get_choice_id (config, s->name);
  gchar *file  = g_strconcat (s->name, "-file", NULL);
  GFile *given = NULL;
  gchar *path  = NULL;

  if (id < n_choices (s))
    {
      if (strcmp (s->choices[id], s->def_string) != 0)
        *(const char **) swag_setting_field (s, &settings->params) =
          s->choices[id];
      g_free (file);
      return TRUE;
    }

  g_object_get (config, file, &given, NULL);
  if (given)
    path = g_file_get_path (given);
  g_clear_object (&given);
  g_free (file);
  if (!path)
    {
      g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                   _("The weights are to come from a file, but no local "
                     "weights file was given (argument weights-file)."));
      return FALSE;
    }
  g_ptr_array_add (settings->strings, path);
  *(const char **) swag_setting_field (s, &settings->params) = path;

  return TRUE;
}

/* The argument of one setting, into the params when it is not the
 * setting's default: GIMP passes every argument, and only those given
 * override a preset. */
static gboolean
read_setting (SwagPluginSettings  *settings,
              GimpProcedureConfig *config,
              const SwagSetting   *s,
              GError             **error)
{
  gpointer field = swag_setting_field (s, &settings->params);
  gint     i     = 0;
  gdouble  d     = 0.0;
  gboolean b     = FALSE;
  gchar   *text  = NULL;

  switch (s->type)
    {
    case SWAG_SETTING_INT:
      g_object_get (config, s->name, &i, NULL);
      if (i != (int) s->def)
        *(int *) field = i;
      break;

    case SWAG_SETTING_DOUBLE:
      g_object_get (config, s->name, &d, NULL);
      if (d != s->def)
        *(double *) field = d;
      break;

    case SWAG_SETTING_BOOLEAN:
      g_object_get (config, s->name, &b, NULL);
      if (!b != !s->def)
        *(gboolean *) field = b;
      break;

    case SWAG_SETTING_CHOICE:
      i = gimp_procedure_config_get_choice_id (config, s->name);
      if (i != (int) s->def)
        *(int *) field = i;
      break;

    case SWAG_SETTING_SEED:
      g_object_get (config, s->name, &i, NULL);
      if (i != (int) s->def)
        *(guint64 *) field = (guint64) i;
      break;

    case SWAG_SETTING_FILE:
      return read_file_setting (settings, config, s, error);

    case SWAG_SETTING_TAPS:
      /* Empty: the network's default. */
      g_object_get (config, s->name, &text, NULL);
      if (text && *text)
        {
          g_ptr_array_add (settings->strings, text);
          *(const char **) field = text;
        }
      else
        {
          g_free (text);
        }
      break;
    }

  return TRUE;
}

gboolean
swag_plugin_settings_read (SwagPluginSettings  *settings,
                           GimpProcedureConfig *config,
                           GError             **error)
{
  SwagParams        *p       = &settings->params;
  const SwagSetting *preset  = swag_preset_setting ();
  const SwagSetting *table;
  int                n, which;

  memset (settings, 0, sizeof *settings);
  settings->strings = g_ptr_array_new_with_free_func (g_free);
  swag_params_init_defaults (p);

  g_object_get (config,
                "style-layer",   &settings->style,
                "style-layer-2", &settings->style2,
                "style-blend",   &settings->style_blend,
                NULL);

  /* The order of every front end (README): the defaults, the preset, then
   * the settings given. */
  which = gimp_procedure_config_get_choice_id (config, preset->name);
  if (which >= 0 &&
      !swag_params_apply_preset (p, preset->choices[which], error))
    return FALSE;

  table = swag_settings (&n);
  for (int i = 0; i < n; i++)
    if (!read_setting (settings, config, &table[i], error))
      return FALSE;

  settings->weight_dirs = weight_dirs_new ();
  p->weight_dirs = (const char *const *) settings->weight_dirs;

  if (!settings->style)
    {
      g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                   _("No style layer was given (argument style-layer)."));
      return FALSE;
    }

  return TRUE;
}

void
swag_plugin_settings_clear (SwagPluginSettings *settings)
{
  g_clear_object (&settings->style);
  g_clear_object (&settings->style2);
  g_clear_pointer (&settings->strings, g_ptr_array_unref);
  g_clear_pointer (&settings->weight_dirs, g_strfreev);
}
