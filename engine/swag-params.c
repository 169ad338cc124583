/* swag-params.c: the table of settings, and what the engine derives from
 * it: the defaults, the presets, validation, the text and JSON forms; and
 * the tap lists. GPL-3.0-or-later.
 *
 * Adding a setting, or a value to a choice: engine/README.md, "Settings
 * (for developers)": an entry here, the field in swag.h, the code that
 * uses it. */
#include "swag.h"
#include "swag-core.h"
#include "swag-net.h"
#include "swag-i18n.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* --------------------------------------------------------------- choices -- */

/* The names of each choice (command line, Script-Fu, JSON) and, in the
 * same order, the labels people see: name i is value i of the enum in
 * swag.h. */
static const char *const backbone_names[] = {
  "multiscale", "vgg19", "resnet50", "noresnet50", "pseudo-vgg",
  "pseudo-resvgg", NULL
};
static const char *const backbone_labels[] = {
  N_("Multi-scale texture network"), N_("VGG-19"), N_("ResNet-50"),
  N_("ResNet-50 without shortcuts"), N_("Pseudo-VGG"), N_("Pseudo-ResVGG"),
  NULL
};

static const char *const pooling_names[] = { "max", "avg", NULL };
static const char *const pooling_labels[] = {
  N_("Maximum"), N_("Average"), NULL
};

static const char *const smoothing_names[] = {
  "none", "softmax", "channel-softmax", "scale", "auto", NULL
};
static const char *const smoothing_labels[] = {
  N_("None"), N_("Softmax (SWAG)"), N_("Softmax over channels"),
  N_("Scale by alpha"), N_("Softmax, automatic temperature"), NULL
};

static const char *const optimizer_names[] = { "lbfgs", "adam", NULL };
static const char *const optimizer_labels[] = {
  N_("L-BFGS"), N_("Adam"), NULL
};

static const char *const init_names[] = {
  "content", "noise", "style-noise", NULL
};
static const char *const init_labels[] = {
  N_("Content layer"), N_("Noise"), N_("Style colours with noise"), NULL
};

/* The words of the FILE setting "weights"; anything else is a file. */
static const char *const weights_names[] = { "random", "pretrained", NULL };
static const char *const weights_labels[] = {
  N_("Random"), N_("Pre-trained"), NULL
};

static const char *const style_loss_names[] = { "gram", "patch", NULL };
static const char *const style_loss_labels[] = {
  N_("Gram matrices"), N_("Patches (MRF)"), NULL
};

G_STATIC_ASSERT (G_N_ELEMENTS (backbone_names) == G_N_ELEMENTS (backbone_labels));
G_STATIC_ASSERT (G_N_ELEMENTS (style_loss_names) == G_N_ELEMENTS (style_loss_labels));
G_STATIC_ASSERT (G_N_ELEMENTS (pooling_names) == G_N_ELEMENTS (pooling_labels));
G_STATIC_ASSERT (G_N_ELEMENTS (smoothing_names) == G_N_ELEMENTS (smoothing_labels));
G_STATIC_ASSERT (G_N_ELEMENTS (optimizer_names) == G_N_ELEMENTS (optimizer_labels));
G_STATIC_ASSERT (G_N_ELEMENTS (init_names) == G_N_ELEMENTS (init_labels));
G_STATIC_ASSERT (G_N_ELEMENTS (weights_names) == G_N_ELEMENTS (weights_labels));

/* ------------------------------------------------------------- the table -- */

/* offsetof, with a compile-time check that the field has the size its
 * type's accessors write (an int for INT, CHOICE and BOOLEAN). */
#define FIELD(field, ctype)                                               \
  (offsetof (SwagParams, field)                                           \
   + 0 * sizeof (char[sizeof (((SwagParams *) 0)->field) == sizeof (ctype) \
                      ? 1 : -1]))

/* In the order the front ends list them. The procedure's arguments follow
 * it too, so new settings go at the end: Script-Fu may pass arguments by
 * position. */
static const SwagSetting settings[] = {
  {
    .name = "backbone", .type = SWAG_SETTING_CHOICE,
    .offset = FIELD (backbone, int), .def = SWAG_BACKBONE_MULTISCALE,
    .choices = backbone_names, .choice_labels = backbone_labels,
    .group = SWAG_GROUP_NETWORK, .flags = SWAG_SETTING_MAIN,
    .label = N_("_Network"), .metavar = N_("NAME"),
    .help = N_("The network whose features define style and content"),
  },
  {
    .name = "weights", .type = SWAG_SETTING_FILE,
    .offset = FIELD (weights, const char *), .def_string = "random",
    .choices = weights_names, .choice_labels = weights_labels,
    .group = SWAG_GROUP_NETWORK,
    .label = N_("_Weights"), .metavar = N_("WEIGHTS"),
    .help = N_("The network's weights: seeded random ones, pre-trained "
               "ones looked up by the network's name (VGG-19 and ResNet-50 "
               "only), or a .safetensors file with the network's tensors"),
  },
  {
    .name = "seed", .type = SWAG_SETTING_SEED,
    .offset = FIELD (seed, guint64), .def = 0,
    .group = SWAG_GROUP_NETWORK,
    .label = N_("Ran_dom seed"), .metavar = N_("N"),
    .help = N_("Seed of the random weights and of the noise; the same seed "
               "gives the same result"),
  },
  {
    .name = "iterations", .type = SWAG_SETTING_INT,
    .offset = FIELD (iterations, int), .def = 300, .min = 1, .max = 100000,
    .group = SWAG_GROUP_OPTIMISATION, .flags = SWAG_SETTING_MAIN,
    .label = N_("_Iterations"), .metavar = N_("N"),
    .help = N_("Loss evaluations over all scales"),
  },
  {
    .name = "size", .type = SWAG_SETTING_INT,
    .offset = FIELD (size, int), .def = 512, .min = 16, .max = 16384,
    .group = SWAG_GROUP_OPTIMISATION,
    .label = N_("Wor_king size"), .metavar = N_("PIXELS"),
    .help = N_("Longest side, in pixels, at which the optimisation runs; "
               "the result is scaled to the content's size"),
  },
  {
    .name = "scales", .type = SWAG_SETTING_INT,
    .offset = FIELD (scales, int), .def = 3, .min = 1, .max = 8,
    .group = SWAG_GROUP_OPTIMISATION,
    .label = N_("N_umber of scales"), .metavar = N_("N"),
    .help = N_("Coarse-to-fine scales (1 = a single scale)"),
  },
  {
    .name = "style-strength", .type = SWAG_SETTING_DOUBLE,
    .offset = FIELD (style_strength, double), .def = 10, .min = 0,
    .max = 1e12,
    .group = SWAG_GROUP_LOSSES, .flags = SWAG_SETTING_MAIN,
    .label = N_("Style stren_gth"), .metavar = N_("W"),
    .help = N_("Weight of the normalised style loss against the normalised "
               "content loss"),
  },
  {
    .name = "smoothing", .type = SWAG_SETTING_CHOICE,
    .offset = FIELD (smoothing, int), .def = SWAG_SMOOTHING_NONE,
    .choices = smoothing_names, .choice_labels = smoothing_labels,
    .group = SWAG_GROUP_SMOOTHING,
    .label = N_("S_moothing"), .metavar = N_("MODE"),
    .help = N_("SWAG smoothing of the activations before the losses: "
               "softmax over all elements of a layer (the paper's), "
               "softmax over channels, scaling by alpha, none, or softmax "
               "with a temperature from each layer's spread"),
  },
  {
    .name = "temperature", .type = SWAG_SETTING_DOUBLE,
    .offset = FIELD (temperature, double), .def = 1, .min = 1e-6, .max = 1e6,
    .group = SWAG_GROUP_SMOOTHING, .flags = SWAG_SETTING_PRESET_RESET,
    .label = N_("T_emperature"), .metavar = N_("T"),
    .help = N_("Softmax temperature (smoothing \"softmax\" and "
               "\"channel-softmax\")"),
  },
  {
    .name = "preserve-colors", .type = SWAG_SETTING_BOOLEAN,
    .offset = FIELD (preserve_colors, int), .def = FALSE,
    .group = SWAG_GROUP_COLOURS,
    .label = N_("Preser_ve colours"),
    .help = N_("Transfer luminance only and keep the content's colours"),
  },
  {
    .name = "match-histogram", .type = SWAG_SETTING_BOOLEAN,
    .offset = FIELD (match_histogram, int), .def = TRUE,
    .group = SWAG_GROUP_COLOURS,
    .label = N_("Match colour histogram"),
    .help = N_("Match the content's colour histogram to the style's first"),
  },
  {
    .name = "style-scale", .type = SWAG_SETTING_DOUBLE,
    .offset = FIELD (style_scale, double), .def = 1, .min = 0.05, .max = 8,
    .group = SWAG_GROUP_COLOURS,
    .label = N_("Style scale"), .metavar = N_("F"),
    .help = N_("Size of the style image relative to the content"),
  },
  {
    .name = "optimizer", .type = SWAG_SETTING_CHOICE,
    .offset = FIELD (optimizer, int), .def = SWAG_OPTIMIZER_LBFGS,
    .choices = optimizer_names, .choice_labels = optimizer_labels,
    .group = SWAG_GROUP_OPTIMISATION,
    .label = N_("Optimi_zer"), .metavar = N_("NAME"),
    .help = N_("The optimisation method"),
  },
  {
    .name = "init", .type = SWAG_SETTING_CHOICE,
    .offset = FIELD (init, int), .def = SWAG_INIT_CONTENT,
    .choices = init_names, .choice_labels = init_labels,
    .group = SWAG_GROUP_OPTIMISATION,
    .label = N_("_Begin with"), .metavar = N_("KIND"),
    .help = N_("The image the optimisation starts from"),
  },
  {
    .name = "tv-weight", .type = SWAG_SETTING_DOUBLE,
    .offset = FIELD (tv_weight, double), .def = 5, .min = 0, .max = 1e12,
    .group = SWAG_GROUP_LOSSES, .flags = SWAG_SETTING_PRESET_RESET,
    .label = N_("Total variation weight"), .metavar = N_("W"),
    .help = N_("Weight of the total-variation (smoothness) term"),
  },
  {
    .name = "pooling", .type = SWAG_SETTING_CHOICE,
    .offset = FIELD (pooling, int), .def = SWAG_POOLING_AVG,
    .choices = pooling_names, .choice_labels = pooling_labels,
    .group = SWAG_GROUP_NETWORK, .flags = SWAG_SETTING_NO_DIALOG,
    .label = N_("Pooling"), .metavar = N_("KIND"),
    .help = N_("The 2x2 pools of VGG-19 and the pseudo networks"),
  },
  {
    .name = "style-layers", .type = SWAG_SETTING_TAPS,
    .offset = FIELD (style_layers, const char *),
    .taps_in_use = swag_params_style_layers,
    .group = SWAG_GROUP_LOSSES,
    .flags = SWAG_SETTING_NO_DIALOG | SWAG_SETTING_NOT_EMPTY
             | SWAG_SETTING_PRESET_RESET,
    .label = N_("Style taps"), .metavar = N_("TAPS"),
    .help = N_("Comma-separated network layers of the style loss, e.g. "
               "\"k3,k7\" (the multi-scale network) or \"relu1_1,relu2_1\" "
               "(VGG-19)"),
  },
  {
    .name = "content-layers", .type = SWAG_SETTING_TAPS,
    .offset = FIELD (content_layers, const char *),
    .taps_in_use = swag_params_content_layers,
    .group = SWAG_GROUP_LOSSES,
    .flags = SWAG_SETTING_NO_DIALOG | SWAG_SETTING_PRESET_RESET,
    .label = N_("Content taps"), .metavar = N_("TAPS"),
    .help = N_("Comma-separated network layers of the content loss"),
  },
  {
    .name = "smooth-layers", .type = SWAG_SETTING_TAPS,
    .offset = FIELD (smooth_layers, const char *),
    .taps_in_use = swag_params_smooth_layers,
    .group = SWAG_GROUP_SMOOTHING,
    .flags = SWAG_SETTING_NO_DIALOG | SWAG_SETTING_PRESET_RESET,
    .label = N_("Smoothed taps"), .metavar = N_("TAPS"),
    .help = N_("Comma-separated network layers that are smoothed"),
  },
  {
    .name = "alpha", .type = SWAG_SETTING_DOUBLE,
    .offset = FIELD (alpha, double), .def = 0.001, .min = 1e-6, .max = 1e6,
    .group = SWAG_GROUP_SMOOTHING, .flags = SWAG_SETTING_PRESET_RESET,
    .label = N_("Scale factor"), .metavar = N_("A"),
    .help = N_("Factor of smoothing \"scale\""),
  },
  {
    .name = "style-weight", .type = SWAG_SETTING_DOUBLE,
    .offset = FIELD (style_weight, double), .def = 0, .min = 0, .max = 1e30,
    .group = SWAG_GROUP_LOSSES,
    .label = N_("Raw style weight"), .metavar = N_("W"),
    .help = N_("The paper's unnormalised style weight; used with "
               "content-weight instead of style-strength when either is "
               "above 0"),
  },
  {
    .name = "content-weight", .type = SWAG_SETTING_DOUBLE,
    .offset = FIELD (content_weight, double), .def = 0, .min = 0,
    .max = 1e30,
    .group = SWAG_GROUP_LOSSES,
    .label = N_("Raw content weight"), .metavar = N_("W"),
    .help = N_("The paper's unnormalised content weight (see style-weight)"),
  },
  {
    .name = "learning-rate", .type = SWAG_SETTING_DOUBLE,
    .offset = FIELD (learning_rate, double), .def = 0.02, .min = 1e-6,
    .max = 10,
    .group = SWAG_GROUP_OPTIMISATION, .flags = SWAG_SETTING_NO_DIALOG,
    .label = N_("Adam step size"), .metavar = N_("R"),
    .help = N_("Learning rate of the Adam optimizer, in image units"),
  },
  {
    .name = "lbfgs-history", .type = SWAG_SETTING_INT,
    .offset = FIELD (lbfgs_history, int), .def = 100, .min = 1, .max = 1000,
    .group = SWAG_GROUP_OPTIMISATION, .flags = SWAG_SETTING_NO_DIALOG,
    .label = N_("L-BFGS history"), .metavar = N_("N"),
    .help = N_("L-BFGS history pairs"),
  },
  {
    .name = "style-loss", .type = SWAG_SETTING_CHOICE,
    .offset = FIELD (style_loss, int), .def = SWAG_STYLE_LOSS_GRAM,
    .choices = style_loss_names, .choice_labels = style_loss_labels,
    .group = SWAG_GROUP_LOSSES, .flags = SWAG_SETTING_PRESET_RESET,
    .label = N_("Style loss"), .metavar = N_("KIND"),
    .help = N_("How the style is compared: Gram matrices (statistics) or "
               "patches matched to the style's nearest (motifs)"),
  },
};

static const char *const group_titles[SWAG_N_GROUPS] = {
  [SWAG_GROUP_NETWORK] = N_("Network"),
  [SWAG_GROUP_SMOOTHING] = N_("Smoothing"),
  [SWAG_GROUP_LOSSES] = N_("Weights of the losses"),
  [SWAG_GROUP_OPTIMISATION] = N_("Optimisation"),
  [SWAG_GROUP_COLOURS] = N_("Colours and style"),
};

/* --------------------------------------------------------------- presets -- */

/* Each preset in swag_setting_parse's words; before it, every setting
 * marked SWAG_SETTING_PRESET_RESET goes back to its default, so that a
 * preset does not depend on what was set before. */
static const char *const preset_names[] = {
  "default", "paper-vgg19", "paper-resnet50", "paper-resnet50-swag", NULL
};
static const char *const preset_labels[] = {
  N_("Defaults"), N_("Paper, VGG-19"), N_("Paper, ResNet-50"),
  N_("Paper, ResNet-50 with SWAG"), NULL
};
static const char *const preset_values[] = {
  "backbone pooling smoothing style-strength style-weight content-weight "
  "match-histogram",
  /* Gatys et al.'s layers and raw weights, the photograph's colours as the
   * start. */
  "backbone=vgg19 pooling=max smoothing=none tv-weight=0 style-weight=1e6 "
  "content-weight=1 match-histogram=false",
  "backbone=resnet50 smoothing=none tv-weight=0 style-weight=1e17 "
  "content-weight=1 match-histogram=false",
  "backbone=resnet50 smoothing=softmax tv-weight=0 style-weight=1e17 "
  "content-weight=1 match-histogram=false",
  NULL
};

G_STATIC_ASSERT (G_N_ELEMENTS (preset_names) == G_N_ELEMENTS (preset_labels));
G_STATIC_ASSERT (G_N_ELEMENTS (preset_names) == G_N_ELEMENTS (preset_values));

static const SwagSetting preset_setting = {
  .name = "preset", .type = SWAG_SETTING_CHOICE, .def = 0,
  .choices = preset_names, .choice_labels = preset_labels,
  .label = N_("_Preset"), .metavar = N_("NAME"),
  .help = N_("Start from a set of settings, the paper's or the project's "
             "defaults; the settings given override it"),
};

/* ---------------------------------------------------------- the accessors -- */

const SwagSetting *
swag_settings (int *n)
{
  *n = (int) G_N_ELEMENTS (settings);
  return settings;
}

const SwagSetting *
swag_setting_find (const char *name)
{
  for (gsize i = 0; name && i < G_N_ELEMENTS (settings); i++)
    if (strcmp (settings[i].name, name) == 0)
      return &settings[i];
  return NULL;
}

const SwagSetting *
swag_preset_setting (void)
{
  return &preset_setting;
}

const char *
swag_preset_values (int index)
{
  g_return_val_if_fail (index >= 0
                        && index < (int) G_N_ELEMENTS (preset_names) - 1,
                        NULL);
  return preset_values[index];
}

const char *
swag_group_title (SwagGroup group)
{
  g_return_val_if_fail ((guint) group < SWAG_N_GROUPS, NULL);
  return group_titles[group];
}

gpointer
swag_setting_field (const SwagSetting *s, SwagParams *p)
{
  return (char *) p + s->offset;
}

static gconstpointer
field_of (const SwagSetting *s, const SwagParams *p)
{
  return (const char *) p + s->offset;
}

static int
n_choices (const SwagSetting *s)
{
  int n = 0;

  while (s->choices && s->choices[n])
    n++;
  return n;
}

/* The index of @name in @s's choices, or -1 with an error that lists them. */
static int
parse_choice (const SwagSetting *s, const char *name, GError **error)
{
  char *valid;

  for (int i = 0; name && s->choices[i]; i++)
    if (strcmp (s->choices[i], name) == 0)
      return i;
  valid = g_strjoinv (", ", (char **) s->choices);
  g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
               /* TRANSLATORS: the first %s is a setting's name as the command
                * line and Script-Fu spell it ("backbone", "smoothing",
                * ...), the second the value given, the last the list of
                * valid values. */
               _("Unknown %s “%s”; choose one of: %s"), s->name,
               name ? name : "", valid);
  g_free (valid);
  return -1;
}

/* ------------------------------------------------------ text and numbers -- */

char *
swag_setting_format (const SwagSetting *s, double v)
{
  char  buf[G_ASCII_DTOSTR_BUF_SIZE];
  char *best = NULL;

  if (s->type == SWAG_SETTING_INT)
    return g_strdup_printf ("%d", (int) v);
  /* The shortest text that reads back as v: 1e-06, not
   * 9.9999999999999995e-07; 1e+12, not 1000000000000; 10, not 1e+01. */
  for (int digits = 1; digits <= 17; digits++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, format, v);
      if (g_ascii_strtod (buf, NULL) == v
          && (!best || strlen (buf) < strlen (best)))
        {
          g_free (best);
          best = g_strdup (buf);
        }
    }
  return best ? best : g_strdup (g_ascii_dtostr (buf, sizeof buf, v));
}

gboolean
swag_setting_parse (const SwagSetting *s, SwagParams *p, const char *text,
                    GError **error)
{
  gpointer field = swag_setting_field (s, p);
  gint64   i;
  guint64  u;
  char    *end = NULL;
  double   d;
  int      c;

  switch (s->type)
    {
    case SWAG_SETTING_INT:
      if (!g_ascii_string_to_signed (text, 10, G_MININT, G_MAXINT, &i, NULL))
        break;
      *(int *) field = (int) i;
      return TRUE;
    case SWAG_SETTING_DOUBLE:
      /* g_ascii_strtod: "0.5" whatever the locale, as scripts write it. */
      d = g_ascii_strtod (text, &end);
      if (end == text || *end != '\0')
        {
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                       _("“%s” is not a number"), text);
          return FALSE;
        }
      *(double *) field = d;
      return TRUE;
    case SWAG_SETTING_BOOLEAN:
      if (strcmp (text, "true") != 0 && strcmp (text, "false") != 0)
        {
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                       _("“%s” is not true or false"), text);
          return FALSE;
        }
      *(int *) field = text[0] == 't';
      return TRUE;
    case SWAG_SETTING_CHOICE:
      c = parse_choice (s, text, error);
      if (c < 0)
        return FALSE;
      *(int *) field = c;
      return TRUE;
    case SWAG_SETTING_SEED:
      /* The full unsigned range, and negative numbers modulo 2^64: the
       * JSON writers of others read seeds as signed 64-bit numbers, and
       * one read back must give the same run. */
      if (text[0] == '-')
        {
          if (!g_ascii_string_to_signed (text, 10, G_MININT64, 0, &i, NULL))
            break;
          u = (guint64) i;
        }
      else if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &u,
                                            NULL))
        break;
      *(guint64 *) field = u;
      return TRUE;
    case SWAG_SETTING_FILE:
    case SWAG_SETTING_TAPS:
      *(const char **) field = text;
      return TRUE;
    }
  /* INT and SEED that do not parse. */
  g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
               _("“%s” is not a whole number"), text);
  return FALSE;
}

char *
swag_setting_to_string (const SwagSetting *s, const SwagParams *p)
{
  gconstpointer field = field_of (s, p);
  const char   *str;
  int           c;

  switch (s->type)
    {
    case SWAG_SETTING_INT:
      return g_strdup_printf ("%d", *(const int *) field);
    case SWAG_SETTING_DOUBLE:
      return swag_setting_format (s, *(const double *) field);
    case SWAG_SETTING_BOOLEAN:
      return g_strdup (*(const int *) field ? "true" : "false");
    case SWAG_SETTING_CHOICE:
      c = *(const int *) field;
      return g_strdup (c >= 0 && c < n_choices (s) ? s->choices[c] : "");
    case SWAG_SETTING_SEED:
      return g_strdup_printf ("%" G_GUINT64_FORMAT,
                              *(const guint64 *) field);
    case SWAG_SETTING_FILE:
      str = *(const char *const *) field;
      return g_strdup (str ? str : s->def_string);
    case SWAG_SETTING_TAPS:
      return g_strdup (s->taps_in_use (p));
    }
  g_return_val_if_reached (NULL);
}

/* ------------------------------------------------------------ defaults -- */

#define MULTISCALE_TAPS "k3,k5,k7,k11,k15,k23,k37,k55"

static gboolean
is_resnet_family (SwagBackbone b)
{
  return b != SWAG_BACKBONE_VGG19 && b != SWAG_BACKBONE_MULTISCALE;
}

const char *
swag_default_style_layers (SwagBackbone backbone)
{
  if (backbone == SWAG_BACKBONE_MULTISCALE)
    return MULTISCALE_TAPS;
  return is_resnet_family (backbone)
         ? "conv0_0,conv1_2,conv2_3,conv3_5,conv4_2"
         : "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1";
}

/* One level shallower than the paper's (relu4_2, conv3_5): with random
 * weights, deep features keep too little of the content's layout, and the
 * study (docs/study) found the picture lost at relu4_2 long before the
 * style's strokes appear. The paper presets keep the paper's layers. For
 * the multi-scale network one fine and one coarse kernel: on the study's
 * exploration pairs every choice of content taps gave the same pictures
 * and figures, and two of eight keep a quarter of the targets' memory. */
const char *
swag_default_content_layers (SwagBackbone backbone)
{
  if (backbone == SWAG_BACKBONE_MULTISCALE)
    return "k7,k23";
  return is_resnet_family (backbone) ? "conv2_3" : "relu3_1";
}

const char *
swag_default_smooth_layers (SwagBackbone backbone)
{
  /* The paper smooths every layer whose Gram or features enter a loss. */
  if (backbone == SWAG_BACKBONE_MULTISCALE)
    return MULTISCALE_TAPS;
  return is_resnet_family (backbone)
         ? "conv0_0,conv1_2,conv2_3,conv3_5,conv4_2"
         : "relu1_1,relu2_1,relu3_1,relu4_1,relu4_2,relu5_1";
}

static gboolean
raw_weights (const SwagParams *p)
{
  return p->style_weight > 0 || p->content_weight > 0;
}

const char *
swag_params_style_layers (const SwagParams *p)
{
  return p->style_layers ? p->style_layers
                         : swag_default_style_layers (p->backbone);
}

const char *
swag_params_content_layers (const SwagParams *p)
{
  if (p->content_layers)
    return p->content_layers;
  /* The paper's raw weighting goes with the paper's content layer. */
  if (raw_weights (p) && p->backbone != SWAG_BACKBONE_MULTISCALE)
    return is_resnet_family (p->backbone) ? "conv3_5" : "relu4_2";
  return swag_default_content_layers (p->backbone);
}

const char *
swag_params_smooth_layers (const SwagParams *p)
{
  return p->smooth_layers ? p->smooth_layers
                          : swag_default_smooth_layers (p->backbone);
}

static void
reset (const SwagSetting *s, SwagParams *p)
{
  gpointer field = swag_setting_field (s, p);

  switch (s->type)
    {
    case SWAG_SETTING_INT:
    case SWAG_SETTING_BOOLEAN:
    case SWAG_SETTING_CHOICE:
      *(int *) field = (int) s->def;
      break;
    case SWAG_SETTING_DOUBLE:
      *(double *) field = s->def;
      break;
    case SWAG_SETTING_SEED:
      *(guint64 *) field = (guint64) s->def;
      break;
    case SWAG_SETTING_FILE:
    case SWAG_SETTING_TAPS:
      *(const char **) field = s->def_string;
      break;
    }
}

void
swag_params_init_defaults (SwagParams *p)
{
  /* The fields outside the table (weight_dirs, preview_every,
   * memory_limit) are 0 or NULL. */
  memset (p, 0, sizeof *p);
  for (gsize i = 0; i < G_N_ELEMENTS (settings); i++)
    reset (&settings[i], p);
}

gboolean
swag_params_apply_preset (SwagParams *p, const char *preset, GError **error)
{
  int      which = parse_choice (&preset_setting, preset, error);
  char   **words;
  gboolean ok = TRUE;
  int      i;

  if (which < 0)
    return FALSE;
  for (gsize k = 0; k < G_N_ELEMENTS (settings); k++)
    if (settings[k].flags & SWAG_SETTING_PRESET_RESET)
      reset (&settings[k], p);
  words = g_strsplit (preset_values[which], " ", -1);
  for (i = 0; ok && words[i]; i++)
    {
      char              *eq = strchr (words[i], '=');
      const SwagSetting *s;

      if (eq)
        *eq = '\0';
      s = swag_setting_find (words[i]);
      /* Strings would borrow from @words: presets set none. */
      if (!s || s->type == SWAG_SETTING_FILE || s->type == SWAG_SETTING_TAPS)
        ok = FALSE;
      else if (eq)
        ok = swag_setting_parse (s, p, eq + 1, NULL);
      else
        reset (s, p);
    }
  /* The presets' own words: a mistake is the engine's (test-settings
   * applies every preset). */
  if (!ok)
    g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                 "Preset %s: cannot set “%s”", preset, words[i - 1]);
  g_strfreev (words);
  return ok;
}

/* --------------------------------------------------------------- choices -- */

/* The settings behind SwagChoice. */
static const char *const choice_settings[] = {
  [SWAG_CHOICE_BACKBONE] = "backbone",
  [SWAG_CHOICE_POOLING] = "pooling",
  [SWAG_CHOICE_SMOOTHING] = "smoothing",
  [SWAG_CHOICE_OPTIMIZER] = "optimizer",
  [SWAG_CHOICE_INIT] = "init",
  [SWAG_CHOICE_PRESET] = NULL,
};

static const SwagSetting *
choice_setting (SwagChoice choice)
{
  if ((guint) choice >= G_N_ELEMENTS (choice_settings))
    return NULL;
  return choice == SWAG_CHOICE_PRESET
         ? &preset_setting : swag_setting_find (choice_settings[choice]);
}

const char *const *
swag_choice_names (SwagChoice choice)
{
  const SwagSetting *s = choice_setting (choice);

  g_return_val_if_fail (s != NULL, NULL);
  return s->choices;
}

int
swag_choice_parse (SwagChoice choice, const char *name, GError **error)
{
  const SwagSetting *s = choice_setting (choice);

  if (!s)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID, "Unknown setting");
      return -1;
    }
  return parse_choice (s, name, error);
}

/* ----------------------------------------------------------- tap lists -- */

gboolean
swag_taps_parse (const SwagNet *net, const char *list, GArray *nodes,
                 GError **error)
{
  char   **names = g_strsplit (list, ",", -1);
  gboolean ok = TRUE;

  for (int i = 0; names[i]; i++)
    {
      const char *name = g_strstrip (names[i]);
      int         node;
      gboolean    seen = FALSE;

      if (!*name)
        continue;
      node = swag_net_find_tap (net, name, ok ? error : NULL);
      if (node < 0)
        {
          ok = FALSE;
          continue;
        }
      for (guint k = 0; k < nodes->len && !seen; k++)
        seen = g_array_index (nodes, int, k) == node;
      if (!seen)
        g_array_append_val (nodes, node);
    }
  g_strfreev (names);
  return ok;
}

/* ---------------------------------------------------------- validation -- */

static gboolean
check_layers (SwagNet *topo, const SwagSetting *s, const char *list,
              GError **error)
{
  GArray  *nodes;
  GError  *e = NULL;
  gboolean ok = TRUE;

  if (!list)
    return TRUE;
  nodes = g_array_new (FALSE, FALSE, sizeof (int));
  if (!swag_taps_parse (topo, list, nodes, &e))
    {
      g_propagate_prefixed_error (error, e, "%s: ", s->name);
      ok = FALSE;
    }
  if (ok && nodes->len == 0 && (s->flags & SWAG_SETTING_NOT_EMPTY))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   /* TRANSLATORS: %s is "style-layers", "content-layers" or
                    * "smooth-layers": lists of layers of the neural
                    * network (taps), not image layers. */
                   _("%s: the list of layers is empty"), s->name);
      ok = FALSE;
    }
  g_array_unref (nodes);
  return ok;
}

static gboolean
out_of_range (const SwagSetting *s, double v, GError **error)
{
  char *lo = swag_setting_format (s, s->min);
  char *hi = swag_setting_format (s, s->max);
  char *got = isfinite (v) ? swag_setting_format (s, v)
                           : g_strdup_printf ("%g", v);

  g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
               /* TRANSLATORS: the first %s is a setting's name as the
                * command line and Script-Fu spell it ("iterations",
                * "style-scale", ...), then the smallest and the largest
                * value it takes, then the value given. */
               _("%s must be between %s and %s (got %s)"), s->name, lo, hi,
               got);
  g_free (lo);
  g_free (hi);
  g_free (got);
  return FALSE;
}

/* Range and choice of one setting; the tap lists come later. */
static gboolean
check_setting (const SwagSetting *s, const SwagParams *p, GError **error)
{
  gconstpointer field = field_of (s, p);
  double        d;
  int           i;

  switch (s->type)
    {
    case SWAG_SETTING_INT:
      i = *(const int *) field;
      return (i >= s->min && i <= s->max) || out_of_range (s, i, error);
    case SWAG_SETTING_DOUBLE:
      d = *(const double *) field;
      return (isfinite (d) && d >= s->min && d <= s->max)
             || out_of_range (s, d, error);
    case SWAG_SETTING_CHOICE:
      i = *(const int *) field;
      if (i >= 0 && i < n_choices (s))
        return TRUE;
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   "Unknown %s (value %d)", s->name, i);
      return FALSE;
    case SWAG_SETTING_BOOLEAN:
    case SWAG_SETTING_SEED:
    case SWAG_SETTING_FILE:
    case SWAG_SETTING_TAPS:
      return TRUE;
    }
  g_return_val_if_reached (FALSE);
}

gboolean
swag_params_validate (const SwagParams *p, GError **error)
{
  SwagNet *topo;
  gboolean ok = TRUE;

  for (gsize i = 0; i < G_N_ELEMENTS (settings); i++)
    if (!check_setting (&settings[i], p, error))
      return FALSE;
  if (p->preview_every < 0)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   "preview_every must not be negative");
      return FALSE;
    }

  topo = swag_net_topology_new (p->backbone, p->pooling);
  for (gsize i = 0; ok && i < G_N_ELEMENTS (settings); i++)
    if (settings[i].type == SWAG_SETTING_TAPS)
      ok = check_layers (topo, &settings[i],
                         *(const char *const *) field_of (&settings[i], p),
                         error);
  swag_net_free (topo);
  return ok;
}

/* ---------------------------------------------------------------- JSON -- */

/* Written by hand (swag_json_append_string says why): the program, the
 * version, then every setting in the table's order, as the run uses it
 * (the tap lists in use, not NULL). */
char *
swag_params_to_json (const SwagParams *p)
{
  GString *o = g_string_new ("{\"program\": \"swag-style\", \"version\": ");

  swag_json_append_string (o, swag_version ());
  for (gsize i = 0; i < G_N_ELEMENTS (settings); i++)
    {
      const SwagSetting *s = &settings[i];
      gconstpointer      field = field_of (s, p);
      char               buf[G_ASCII_DTOSTR_BUF_SIZE];
      char              *text;
      double             d;

      g_string_append_printf (o, ", \"%s\": ", s->name);
      switch (s->type)
        {
        case SWAG_SETTING_DOUBLE:
          /* Round-trip digits; finite after validation, else null. */
          d = *(const double *) field;
          g_string_append (o, isfinite (d) ? g_ascii_dtostr (buf, sizeof buf, d)
                                           : "null");
          break;
        case SWAG_SETTING_CHOICE:
          text = swag_setting_to_string (s, p);
          if (*text)
            swag_json_append_string (o, text);
          else
            g_string_append (o, "null");
          g_free (text);
          break;
        case SWAG_SETTING_FILE:
        case SWAG_SETTING_TAPS:
          text = swag_setting_to_string (s, p);
          swag_json_append_string (o, text);
          g_free (text);
          break;
        case SWAG_SETTING_INT:
        case SWAG_SETTING_BOOLEAN:
        case SWAG_SETTING_SEED:
          text = swag_setting_to_string (s, p);
          g_string_append (o, text);
          g_free (text);
          break;
        }
    }
  g_string_append_c (o, '}');
  return g_string_free (o, FALSE);
}
