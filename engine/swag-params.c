/* swag-params.c: settings, their names, defaults, presets, validation and
 * their JSON form. GPL-3.0-or-later. */
#include "swag.h"
#include "swag-core.h"
#include "swag-net.h"
#include "swag-i18n.h"

#include <math.h>
#include <string.h>

static const char *const backbone_names[] = {
  "vgg19", "resnet50", "noresnet50", "pseudo-vgg", "pseudo-resvgg", NULL
};
static const char *const pooling_names[] = { "max", "avg", NULL };
static const char *const smoothing_names[] = {
  "none", "softmax", "channel-softmax", "scale", "auto", NULL
};
static const char *const optimizer_names[] = { "lbfgs", "adam", NULL };
static const char *const init_names[] = {
  "content", "noise", "style-noise", NULL
};
static const char *const preset_names[] = {
  "default", "paper-vgg19", "paper-resnet50", "paper-resnet50-swag", NULL
};

static const char *const *const choice_lists[] = {
  [SWAG_CHOICE_BACKBONE] = backbone_names,
  [SWAG_CHOICE_POOLING] = pooling_names,
  [SWAG_CHOICE_SMOOTHING] = smoothing_names,
  [SWAG_CHOICE_OPTIMIZER] = optimizer_names,
  [SWAG_CHOICE_INIT] = init_names,
  [SWAG_CHOICE_PRESET] = preset_names,
};

static const char *const choice_titles[] = {
  /* TRANSLATORS: the settings named in "Unknown %s “%s”; choose one of: %s". */
  [SWAG_CHOICE_BACKBONE] = N_("backbone"),
  [SWAG_CHOICE_POOLING] = N_("pooling"),
  [SWAG_CHOICE_SMOOTHING] = N_("smoothing"),
  [SWAG_CHOICE_OPTIMIZER] = N_("optimizer"),
  [SWAG_CHOICE_INIT] = N_("initialisation"),
  [SWAG_CHOICE_PRESET] = N_("preset"),
};

const char *const *
swag_choice_names (SwagChoice choice)
{
  g_return_val_if_fail ((guint) choice < G_N_ELEMENTS (choice_lists), NULL);
  return choice_lists[choice];
}

int
swag_choice_parse (SwagChoice choice, const char *name, GError **error)
{
  const char *const *names;
  char              *valid;

  if ((guint) choice >= G_N_ELEMENTS (choice_lists))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID, "Unknown setting");
      return -1;
    }
  names = choice_lists[choice];
  for (int i = 0; name && names[i]; i++)
    if (strcmp (names[i], name) == 0)
      return i;
  valid = g_strjoinv (", ", (char **) names);
  g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
               /* TRANSLATORS: the first %s is a setting ("backbone",
                * "smoothing", ...), the second the value given, the last the
                * list of valid values. */
               _("Unknown %s “%s”; choose one of: %s"), _(choice_titles[choice]),
               name ? name : "", valid);
  g_free (valid);
  return -1;
}

/* ------------------------------------------------------------ defaults -- */

static gboolean
is_resnet_family (SwagBackbone b)
{
  return b != SWAG_BACKBONE_VGG19;
}

const char *
swag_default_style_layers (SwagBackbone backbone)
{
  return is_resnet_family (backbone)
         ? "conv0_0,conv1_2,conv2_3,conv3_5,conv4_2"
         : "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1";
}

/* One level shallower than the paper's (relu4_2, conv3_5): with random
 * weights, deep features keep too little of the content's layout, and the
 * study (docs/study) found the picture lost at relu4_2 long before the
 * style's strokes appear. The paper presets keep the paper's layers. */
const char *
swag_default_content_layers (SwagBackbone backbone)
{
  return is_resnet_family (backbone) ? "conv2_3" : "relu3_1";
}

const char *
swag_default_smooth_layers (SwagBackbone backbone)
{
  /* The paper smooths every layer whose Gram or features enter a loss. */
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
  if (raw_weights (p))
    return is_resnet_family (p->backbone) ? "conv3_5" : "relu4_2";
  return swag_default_content_layers (p->backbone);
}

const char *
swag_params_smooth_layers (const SwagParams *p)
{
  return p->smooth_layers ? p->smooth_layers
                          : swag_default_smooth_layers (p->backbone);
}

void
swag_params_init_defaults (SwagParams *p)
{
  memset (p, 0, sizeof *p);
  p->backbone = SWAG_BACKBONE_VGG19;
  p->pooling = SWAG_POOLING_AVG;
  p->weights = "random";
  p->weight_dirs = NULL;
  p->seed = 0;
  p->style_layers = NULL;
  p->content_layers = NULL;
  p->smoothing = SWAG_SMOOTHING_NONE;
  p->smooth_layers = NULL;
  p->temperature = 1.0;
  p->alpha = 0.001;
  p->style_strength = 10.0;
  p->style_weight = 0.0;
  p->content_weight = 0.0;
  p->tv_weight = 5.0;
  p->iterations = 300;
  p->size = 512;
  p->scales = 3;
  p->optimizer = SWAG_OPTIMIZER_LBFGS;
  p->lbfgs_history = 100;
  p->learning_rate = 0.02;
  p->init = SWAG_INIT_CONTENT;
  p->preserve_colors = FALSE;
  p->match_histogram = FALSE;
  p->style_scale = 1.0;
  p->preview_every = 0;
  p->memory_limit = 0;
}

gboolean
swag_params_apply_preset (SwagParams *p, const char *preset, GError **error)
{
  int which = swag_choice_parse (SWAG_CHOICE_PRESET, preset, error);
  SwagParams d;

  if (which < 0)
    return FALSE;
  swag_params_init_defaults (&d);
  /* Every preset resets the loss settings it does not name to the default,
   * so that presets do not depend on what was set before. */
  p->style_layers = p->content_layers = p->smooth_layers = NULL;
  p->temperature = d.temperature;
  p->alpha = d.alpha;
  p->tv_weight = d.tv_weight;
  switch (which)
    {
    case 0: /* default */
      p->backbone = d.backbone;
      p->pooling = d.pooling;
      p->smoothing = d.smoothing;
      p->style_strength = d.style_strength;
      p->style_weight = p->content_weight = 0;
      break;
    case 1: /* paper-vgg19: Gatys et al.'s layers, raw weights */
      p->backbone = SWAG_BACKBONE_VGG19;
      p->tv_weight = 0;
      p->pooling = SWAG_POOLING_MAX;
      p->smoothing = SWAG_SMOOTHING_NONE;
      p->style_weight = 1e6;
      p->content_weight = 1;
      break;
    case 2: /* paper-resnet50 */
    case 3: /* paper-resnet50-swag */
      p->backbone = SWAG_BACKBONE_RESNET50;
      p->tv_weight = 0;
      p->smoothing = which == 3 ? SWAG_SMOOTHING_SOFTMAX : SWAG_SMOOTHING_NONE;
      p->style_weight = 1e17;
      p->content_weight = 1;
      break;
    }
  return TRUE;
}

/* ---------------------------------------------------------- validation -- */

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

static gboolean
check_layers (SwagNet *topo, const char *list, const char *what,
              gboolean may_be_empty, GError **error)
{
  GArray  *nodes;
  GError  *e = NULL;
  gboolean ok = TRUE;

  if (!list)
    return TRUE;
  nodes = g_array_new (FALSE, FALSE, sizeof (int));
  if (!swag_taps_parse (topo, list, nodes, &e))
    {
      g_propagate_prefixed_error (error, e, "%s: ", what);
      ok = FALSE;
    }
  if (ok && nodes->len == 0 && !may_be_empty)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   /* TRANSLATORS: %s is "Style layers", "Content layers" or
                    * "Smoothed layers": lists of layers of the neural
                    * network (taps), not image layers. */
                   _("%s: the list of layers is empty"), what);
      ok = FALSE;
    }
  g_array_unref (nodes);
  return ok;
}

#define RANGE(cond, ...)                                                   \
  do {                                                                     \
    if (!(cond))                                                           \
      {                                                                    \
        g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID, __VA_ARGS__); \
        return FALSE;                                                      \
      }                                                                    \
  } while (0)

gboolean
swag_params_validate (const SwagParams *p, GError **error)
{
  SwagNet *topo;
  gboolean ok;

  RANGE ((guint) p->backbone <= SWAG_BACKBONE_PSEUDO_RESVGG, "Unknown backbone");
  RANGE ((guint) p->pooling <= SWAG_POOLING_AVG, "Unknown pooling");
  RANGE ((guint) p->smoothing <= SWAG_SMOOTHING_AUTO, "Unknown smoothing");
  RANGE ((guint) p->optimizer <= SWAG_OPTIMIZER_ADAM, "Unknown optimizer");
  RANGE ((guint) p->init <= SWAG_INIT_STYLE_NOISE, "Unknown initialisation");
  RANGE (p->iterations >= 1 && p->iterations <= 100000,
         _("Iterations must be between 1 and 100000 (got %d)"), p->iterations);
  RANGE (p->size >= 16 && p->size <= 16384,
         _("The working size must be between 16 and 16384 pixels (got %d)"),
         p->size);
  RANGE (p->scales >= 1 && p->scales <= 8,
         _("Scales must be between 1 and 8 (got %d)"), p->scales);
  RANGE (isfinite (p->temperature) && p->temperature > 0
         && p->temperature <= 1e6,
         _("The temperature must be positive (got %g)"), p->temperature);
  RANGE (isfinite (p->alpha) && p->alpha > 0 && p->alpha <= 1e6,
         _("Alpha must be positive (got %g)"), p->alpha);
  RANGE (isfinite (p->style_strength) && p->style_strength >= 0
         && p->style_strength <= 1e12,
         _("The style strength must be zero or positive (got %g)"),
         p->style_strength);
  RANGE (isfinite (p->style_weight) && p->style_weight >= 0
         && p->style_weight <= 1e30,
         _("The style weight must be zero or positive (got %g)"), p->style_weight);
  RANGE (isfinite (p->content_weight) && p->content_weight >= 0
         && p->content_weight <= 1e30,
         _("The content weight must be zero or positive (got %g)"),
         p->content_weight);
  RANGE (isfinite (p->tv_weight) && p->tv_weight >= 0 && p->tv_weight <= 1e12,
         _("The total-variation weight must be zero or positive (got %g)"),
         p->tv_weight);
  RANGE (p->lbfgs_history >= 1 && p->lbfgs_history <= 1000,
         _("The L-BFGS history must be between 1 and 1000 (got %d)"),
         p->lbfgs_history);
  RANGE (isfinite (p->learning_rate) && p->learning_rate > 0
         && p->learning_rate <= 10,
         _("The learning rate must be positive (got %g)"), p->learning_rate);
  RANGE (isfinite (p->style_scale) && p->style_scale >= 0.05
         && p->style_scale <= 8,
         _("The style scale must be between 0.05 and 8 (got %g)"),
         p->style_scale);
  RANGE (p->preview_every >= 0, "preview_every must not be negative");

  topo = swag_net_topology_new (p->backbone, p->pooling);
  /* TRANSLATORS: lists of layers of the neural network (taps such as
   * "relu4_1"), not image layers; the prefix of messages about such a list. */
  ok = check_layers (topo, p->style_layers, _("Style layers"), FALSE, error)
       && check_layers (topo, p->content_layers, _("Content layers"), TRUE, error)
       && check_layers (topo, p->smooth_layers, _("Smoothed layers"), TRUE, error);
  swag_net_free (topo);
  return ok;
}

/* ---------------------------------------------------------------- JSON -- */

/* Written by hand (swag_json_append_string says why). */
static void
json_string (GString *out, const char *key, const char *value)
{
  g_string_append_printf (out, "%s\"%s\": ", out->len > 1 ? ", " : "", key);
  swag_json_append_string (out, value);
}

static void
json_raw (GString *out, const char *key, const char *value)
{
  g_string_append_printf (out, "%s\"%s\": %s", out->len > 1 ? ", " : "", key,
                          value);
}

static void
json_double (GString *out, const char *key, double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* Shortest round-trip form; finite after validation, else null. */
  json_raw (out, key, isfinite (value) ? g_ascii_dtostr (buf, sizeof buf, value)
                                       : "null");
}

static void
json_int (GString *out, const char *key, gint64 value)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, value);
  json_raw (out, key, buf);
}

char *
swag_params_to_json (const SwagParams *p)
{
  GString *o = g_string_new ("{");
  char     seed[32];

  json_string (o, "program", "swag-style");
  json_string (o, "version", swag_version ());
  json_string (o, "backbone", backbone_names[p->backbone]);
  json_string (o, "pooling", pooling_names[p->pooling]);
  json_string (o, "weights", p->weights ? p->weights : "random");
  g_snprintf (seed, sizeof seed, "%" G_GUINT64_FORMAT, p->seed);
  json_raw (o, "seed", seed);
  json_string (o, "style-layers", swag_params_style_layers (p));
  json_string (o, "content-layers", swag_params_content_layers (p));
  json_string (o, "smoothing", smoothing_names[p->smoothing]);
  json_string (o, "smooth-layers", swag_params_smooth_layers (p));
  json_double (o, "temperature", p->temperature);
  json_double (o, "alpha", p->alpha);
  json_double (o, "style-strength", p->style_strength);
  json_double (o, "style-weight", p->style_weight);
  json_double (o, "content-weight", p->content_weight);
  json_double (o, "tv-weight", p->tv_weight);
  json_int (o, "iterations", p->iterations);
  json_int (o, "size", p->size);
  json_int (o, "scales", p->scales);
  json_string (o, "optimizer", optimizer_names[p->optimizer]);
  json_int (o, "lbfgs-history", p->lbfgs_history);
  json_double (o, "learning-rate", p->learning_rate);
  json_string (o, "init", init_names[p->init]);
  json_raw (o, "preserve-colors", p->preserve_colors ? "true" : "false");
  json_raw (o, "match-histogram", p->match_histogram ? "true" : "false");
  json_double (o, "style-scale", p->style_scale);
  g_string_append_c (o, '}');
  return g_string_free (o, FALSE);
}
