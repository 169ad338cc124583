/* swag-style: the procedure's arguments, and turning them into SwagParams.
 *
 * Every setting of INTERFACES.md is an argument under its Script-Fu name;
 * choices take their values from the engine (swag_choice_names), defaults
 * from swag_params_init_defaults.
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

/* Ranges are sanity bounds for the dialog and the PDB; the engine checks
 * the finer rules (swag_params_validate). */
#define MAX_ITERATIONS 100000
#define MIN_SIZE       16
#define MAX_SIZE       16384
#define MAX_SCALES     10

typedef struct
{
  const char *name;
  const char *label;
} ChoiceLabel;

/* Labels for the engine's choice names; a name missing here is shown as is. */
static const ChoiceLabel choice_labels[] =
{
  { "vgg19",               N_("VGG-19") },
  { "resnet50",            N_("ResNet-50") },
  { "noresnet50",          N_("ResNet-50 without shortcuts") },
  { "pseudo-vgg",          N_("Pseudo-VGG") },
  { "pseudo-resvgg",       N_("Pseudo-ResVGG") },
  { "max",                 N_("Maximum") },
  { "avg",                 N_("Average") },
  { "none",                N_("None") },
  { "softmax",             N_("Softmax (SWAG)") },
  { "channel-softmax",     N_("Softmax over channels") },
  { "scale",               N_("Scale by alpha") },
  { "auto",                N_("Softmax, automatic temperature") },
  { "lbfgs",               N_("L-BFGS") },
  { "adam",                N_("Adam") },
  { "content",             N_("Content layer") },
  { "noise",               N_("Noise") },
  { "style-noise",         N_("Style colours with noise") },
  { "paper-vgg19",         N_("Paper, VGG-19") },
  { "paper-resnet50",      N_("Paper, ResNet-50") },
  { "paper-resnet50-swag", N_("Paper, ResNet-50 with SWAG") },
  { "default",             N_("Defaults") },
};

/* The arguments in the order the dialog shows them, in two columns: the
 * main settings, then the finer ones. */
static const char *const dialog_main[] =
{
  "style-layer", "style-layer-2", "style-blend",
  "preset", "backbone", "weights", "weights-file", "seed",
  "iterations", "size", "scales", "style-strength",
  "smoothing", "temperature",
  NULL
};

static const char *const dialog_more[] =
{
  "preserve-colors", "match-histogram", "style-scale",
  "optimizer", "init", "tv-weight",
  "pooling", "style-layers", "content-layers", "smooth-layers", "alpha",
  "style-weight", "content-weight", "learning-rate",
  NULL
};

static const char *
choice_label (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (choice_labels); i++)
    if (strcmp (choice_labels[i].name, name) == 0)
      return _(choice_labels[i].label);

  return name;
}

/* Adds the engine's names for @which to @choice, with the engine's enum
 * values as ids. */
static GimpChoice *
add_engine_names (GimpChoice *choice,
                  SwagChoice  which)
{
  const char *const *names = swag_choice_names (which);

  for (int i = 0; names && names[i]; i++)
    gimp_choice_add (choice, names[i], i, choice_label (names[i]), NULL);

  return choice;
}

static const char *
engine_choice_name (SwagChoice which,
                    int        value)
{
  const char *const *names = swag_choice_names (which);

  for (int i = 0; names && names[i]; i++)
    if (i == value)
      return names[i];

  return NULL;
}

static void
add_engine_choice (GimpProcedure *procedure,
                   const char    *name,
                   const char    *nick,
                   const char    *blurb,
                   SwagChoice     which,
                   int            default_value)
{
  gimp_procedure_add_choice_argument (procedure, name, nick, blurb,
                                      add_engine_names (gimp_choice_new (),
                                                        which),
                                      engine_choice_name (which, default_value),
                                      G_PARAM_READWRITE);
}

void
swag_plugin_add_arguments (GimpProcedure *procedure)
{
  SwagParams  defaults;
  GimpChoice *presets;

  swag_params_init_defaults (&defaults);

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

  presets = gimp_choice_new ();
  if (swag_choice_parse (SWAG_CHOICE_PRESET, PRESET_NONE, NULL) < 0)
    gimp_choice_add (presets, PRESET_NONE, -1, _("None"),
                     _("Use the arguments as given"));
  add_engine_names (presets, SWAG_CHOICE_PRESET);
  gimp_procedure_add_choice_argument (procedure, "preset",
                                      _("_Preset"),
                                      _("A set of settings (the paper's, or "
                                        "the project's defaults) that replaces "
                                        "the arguments it defines; \"none\" "
                                        "uses the arguments as given"),
                                      presets, PRESET_NONE, G_PARAM_READWRITE);

  add_engine_choice (procedure, "backbone", _("_Network"),
                     _("The network whose features define style and content"),
                     SWAG_CHOICE_BACKBONE, defaults.backbone);

  gimp_procedure_add_choice_argument (procedure, "weights",
                                      _("_Weights"),
                                      _("The network's weights: seeded random "
                                        "ones, pre-trained ones looked up by "
                                        "the network's name, or the file given "
                                        "by weights-file"),
                                      gimp_choice_new_with_values (
                                        "random",     SWAG_PLUGIN_WEIGHTS_RANDOM,     _("Random"),           NULL,
                                        "pretrained", SWAG_PLUGIN_WEIGHTS_PRETRAINED, _("Pre-trained"),      NULL,
                                        "file",       SWAG_PLUGIN_WEIGHTS_FILE,       _("From a file"),      NULL,
                                        NULL),
                                      "random", G_PARAM_READWRITE);
  gimp_procedure_add_file_argument (procedure, "weights-file",
                                    _("Weights _file"),
                                    _("A .safetensors file with the network's "
                                      "weights (a torchvision state dict), "
                                      "used when weights is \"file\""),
                                    GIMP_FILE_CHOOSER_ACTION_OPEN, TRUE, NULL,
                                    G_PARAM_READWRITE);

  gimp_procedure_add_int_argument (procedure, "seed",
                                   _("Ran_dom seed"),
                                   _("Seed of the random weights and of the "
                                     "noise; the same seed gives the same "
                                     "result"),
                                   0, G_MAXINT,
                                   (int) MIN (defaults.seed, (guint64) G_MAXINT),
                                   G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "iterations",
                                   _("_Iterations"),
                                   _("Loss evaluations over all scales"),
                                   1, MAX_ITERATIONS,
                                   CLAMP (defaults.iterations, 1, MAX_ITERATIONS),
                                   G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "size",
                                   _("Wor_king size"),
                                   _("Longest side, in pixels, at which the "
                                     "optimisation runs; the result is scaled "
                                     "to the layer's size"),
                                   MIN_SIZE, MAX_SIZE,
                                   CLAMP (defaults.size, MIN_SIZE, MAX_SIZE),
                                   G_PARAM_READWRITE);
  gimp_procedure_add_int_argument (procedure, "scales",
                                   _("N_umber of scales"),
                                   _("Coarse-to-fine scales (1 = a single "
                                     "scale)"),
                                   1, MAX_SCALES,
                                   CLAMP (defaults.scales, 1, MAX_SCALES),
                                   G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (procedure, "style-strength",
                                      _("Style stren_gth"),
                                      _("Weight of the normalised style loss "
                                        "against the normalised content loss"),
                                      0.0, 1e6,
                                      CLAMP (defaults.style_strength, 0.0, 1e6),
                                      G_PARAM_READWRITE);

  add_engine_choice (procedure, "smoothing", _("S_moothing"),
                     _("SWAG smoothing of the activations before the losses: "
                       "softmax over all elements of a layer (the paper's), "
                       "softmax over channels, scaling by alpha, none, or "
                       "softmax with a temperature from each layer's spread"),
                     SWAG_CHOICE_SMOOTHING, defaults.smoothing);
  gimp_procedure_add_double_argument (procedure, "temperature",
                                      _("T_emperature"),
                                      _("Softmax temperature (smoothing "
                                        "\"softmax\" and \"channel-softmax\")"),
                                      0.0, 1e6,
                                      CLAMP (defaults.temperature, 0.0, 1e6),
                                      G_PARAM_READWRITE);
  gimp_procedure_add_boolean_argument (procedure, "preserve-colors",
                                       _("Preser_ve colours"),
                                       _("Transfer luminance only and keep "
                                         "the content's colours"),
                                       defaults.preserve_colors,
                                       G_PARAM_READWRITE);
  gimp_procedure_add_boolean_argument (procedure, "match-histogram",
                                       _("Match colour histogram"),
                                       _("Match the content's colour histogram "
                                         "to the style's first"),
                                       defaults.match_histogram,
                                       G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (procedure, "style-scale",
                                      _("Style scale"),
                                      _("Size of the style image relative to "
                                        "the content"),
                                      0.05, 20.0,
                                      CLAMP (defaults.style_scale, 0.05, 20.0),
                                      G_PARAM_READWRITE);

  add_engine_choice (procedure, "optimizer", _("Optimi_zer"),
                     _("The optimisation method"),
                     SWAG_CHOICE_OPTIMIZER, defaults.optimizer);
  add_engine_choice (procedure, "init", _("_Begin with"),
                     _("The image the optimisation starts from"),
                     SWAG_CHOICE_INIT, defaults.init);
  gimp_procedure_add_double_argument (procedure, "tv-weight",
                                      _("Total variation weight"),
                                      _("Weight of the total-variation "
                                        "(smoothness) term"),
                                      0.0, 1e6,
                                      CLAMP (defaults.tv_weight, 0.0, 1e6),
                                      G_PARAM_READWRITE);

  add_engine_choice (procedure, "pooling", _("Pooling"),
                     _("The 2x2 pools of VGG-19 and the pseudo networks"),
                     SWAG_CHOICE_POOLING, defaults.pooling);
  gimp_procedure_add_string_argument (procedure, "style-layers",
                                      _("Style taps"),
                                      _("Comma-separated network layers of "
                                        "the style loss, e.g. "
                                        "\"relu1_1,relu2_1\"; empty for the "
                                        "network's default"),
                                      "", G_PARAM_READWRITE);
  gimp_procedure_add_string_argument (procedure, "content-layers",
                                      _("Content taps"),
                                      _("Comma-separated network layers of "
                                        "the content loss; empty for the "
                                        "network's default"),
                                      "", G_PARAM_READWRITE);
  gimp_procedure_add_string_argument (procedure, "smooth-layers",
                                      _("Smoothed taps"),
                                      _("Comma-separated network layers that "
                                        "are smoothed; empty for the "
                                        "network's default"),
                                      "", G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (procedure, "alpha",
                                      _("Scale factor"),
                                      _("Factor of smoothing \"scale\""),
                                      0.0, 1e6,
                                      CLAMP (defaults.alpha, 0.0, 1e6),
                                      G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (procedure, "style-weight",
                                      _("Raw style weight"),
                                      _("The paper's unnormalised style "
                                        "weight; used with content-weight "
                                        "instead of style-strength when either "
                                        "is above 0"),
                                      0.0, 1e12,
                                      CLAMP (defaults.style_weight, 0.0, 1e12),
                                      G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (procedure, "content-weight",
                                      _("Raw content weight"),
                                      _("The paper's unnormalised content "
                                        "weight (see style-weight)"),
                                      0.0, 1e12,
                                      CLAMP (defaults.content_weight, 0.0, 1e12),
                                      G_PARAM_READWRITE);
  gimp_procedure_add_double_argument (procedure, "learning-rate",
                                      _("Adam step size"),
                                      _("Learning rate of the Adam optimizer, "
                                        "in image units"),
                                      1e-6, 1e3,
                                      CLAMP (defaults.learning_rate, 1e-6, 1e3),
                                      G_PARAM_READWRITE);

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

const char *const *
swag_plugin_dialog_properties (int column)
{
  return column == 0 ? dialog_main : dialog_more;
}

/* "ID:name" of @layer, or "" for none. */
static gchar *
layer_reference (GimpLayer *layer)
{
  g_autofree gchar *name = NULL;

  if (! layer)
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

  if (! reference || ! *reference)
    return NULL;

  id = strtol (reference, &end, 10);
  if (end == reference || *end != ':' || id <= 0 || id > G_MAXINT)
    return NULL;
  name = end + 1;

  if (! gimp_item_id_is_layer ((gint) id))
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

  if (! layer)
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

/* NULL for an empty string, so that the engine uses its default. */
static gchar *
nonempty (gchar *s)
{
  if (s && ! *s)
    g_clear_pointer (&s, g_free);

  return s;
}

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

gboolean
swag_plugin_settings_read (SwagPluginSettings  *settings,
                           GimpProcedureConfig *config,
                           GError             **error)
{
  SwagParams *p             = &settings->params;
  GFile      *weights_file  = NULL;
  gint        seed          = 0;
  gboolean    preserve      = FALSE;
  gboolean    match         = FALSE;
  int         preset;

  memset (settings, 0, sizeof *settings);
  swag_params_init_defaults (p);

  g_object_get (config,
                "style-layer",     &settings->style,
                "style-layer-2",   &settings->style2,
                "style-blend",     &settings->style_blend,
                "weights-file",    &weights_file,
                "seed",            &seed,
                "iterations",      &p->iterations,
                "size",            &p->size,
                "scales",          &p->scales,
                "style-strength",  &p->style_strength,
                "temperature",     &p->temperature,
                "preserve-colors", &preserve,
                "match-histogram", &match,
                "style-scale",     &p->style_scale,
                "tv-weight",       &p->tv_weight,
                "style-layers",    &settings->style_layers,
                "content-layers",  &settings->content_layers,
                "smooth-layers",   &settings->smooth_layers,
                "alpha",           &p->alpha,
                "style-weight",    &p->style_weight,
                "content-weight",  &p->content_weight,
                "learning-rate",   &p->learning_rate,
                NULL);

  p->seed            = (guint64) seed;
  p->preserve_colors = preserve;
  p->match_histogram = match;

  p->backbone  = gimp_procedure_config_get_choice_id (config, "backbone");
  p->pooling   = gimp_procedure_config_get_choice_id (config, "pooling");
  p->smoothing = gimp_procedure_config_get_choice_id (config, "smoothing");
  p->optimizer = gimp_procedure_config_get_choice_id (config, "optimizer");
  p->init      = gimp_procedure_config_get_choice_id (config, "init");

  settings->style_layers   = nonempty (settings->style_layers);
  settings->content_layers = nonempty (settings->content_layers);
  settings->smooth_layers  = nonempty (settings->smooth_layers);
  p->style_layers   = settings->style_layers;
  p->content_layers = settings->content_layers;
  p->smooth_layers  = settings->smooth_layers;

  switch (gimp_procedure_config_get_choice_id (config, "weights"))
    {
    case SWAG_PLUGIN_WEIGHTS_PRETRAINED:
      settings->weights = g_strdup ("pretrained");
      break;

    case SWAG_PLUGIN_WEIGHTS_FILE:
      if (weights_file)
        settings->weights = g_file_get_path (weights_file);
      if (! settings->weights)
        {
          g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                       _("The weights are to come from a file, but no local "
                         "weights file was given (argument weights-file)."));
          g_clear_object (&weights_file);
          return FALSE;
        }
      break;

    default:
      settings->weights = g_strdup ("random");
      break;
    }
  g_clear_object (&weights_file);
  p->weights = settings->weights;

  settings->weight_dirs = weight_dirs_new ();
  p->weight_dirs = (const char *const *) settings->weight_dirs;

  preset = gimp_procedure_config_get_choice_id (config, "preset");
  if (preset >= 0 &&
      ! swag_params_apply_preset (p,
                                  engine_choice_name (SWAG_CHOICE_PRESET, preset),
                                  error))
    return FALSE;

  if (! settings->style)
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
  g_clear_pointer (&settings->weights, g_free);
  g_clear_pointer (&settings->style_layers, g_free);
  g_clear_pointer (&settings->content_layers, g_free);
  g_clear_pointer (&settings->smooth_layers, g_free);
  g_clear_pointer (&settings->weight_dirs, g_strfreev);
}
