/* test-settings.c: the table of settings (engine/swag-params.c) and what
 * the engine derives from it: every entry is well formed, the defaults are
 * the table's and valid, every range's ends are accepted and the values
 * just outside refused with the setting's name, text reads back, the
 * presets set what they say, the JSON holds every setting. The front ends'
 * copies are checked against the same table by tests/cli/settings.py and
 * the GIMP case procedure-arguments. GPL-3.0-or-later. */
#include "swag.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int
count (const char *const *list)
{
  int n = 0;

  while (list && list[n])
    n++;
  return n;
}

static gboolean
is_number (const SwagSetting *s)
{
  return s->type == SWAG_SETTING_INT || s->type == SWAG_SETTING_DOUBLE;
}

/* Writes @v into @s's field of @p. */
static void
set_number (const SwagSetting *s, SwagParams *p, double v)
{
  if (s->type == SWAG_SETTING_INT)
    *(int *) swag_setting_field (s, p) = (int) v;
  else
    *(double *) swag_setting_field (s, p) = v;
}

/* ------------------------------------------------------------- entries -- */

static void
test_entries (void)
{
  int                n;
  const SwagSetting *t = swag_settings (&n);
  GHashTable        *names = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_cmpint (n, >, 20);
  for (int i = 0; i < n; i++)
    {
      const SwagSetting *s = &t[i];

      g_test_message ("%s", s->name);
      g_assert_true (g_hash_table_add (names, (gpointer) s->name));
      g_assert_true (swag_setting_find (s->name) == s);
      g_assert_nonnull (s->label);
      g_assert_nonnull (s->help);
      g_assert_cmpuint (s->group, <, SWAG_N_GROUPS);
      g_assert_nonnull (swag_group_title (s->group));
      if (s->type != SWAG_SETTING_BOOLEAN)
        g_assert_nonnull (s->metavar);
      if (is_number (s))
        {
          g_assert_cmpfloat (s->min, <=, s->def);
          g_assert_cmpfloat (s->def, <=, s->max);
        }
      if (s->type == SWAG_SETTING_INT)
        {
          g_assert_cmpfloat (s->min, ==, (int) s->min);
          g_assert_cmpfloat (s->max, ==, (int) s->max);
          g_assert_cmpfloat (s->def, ==, (int) s->def);
        }
      if (s->type == SWAG_SETTING_CHOICE || s->type == SWAG_SETTING_FILE)
        {
          g_assert_cmpint (count (s->choices), >, 0);
          g_assert_cmpint (count (s->choice_labels), ==, count (s->choices));
        }
      else
        g_assert_null (s->choices);
      if (s->type == SWAG_SETTING_CHOICE)
        g_assert_cmpfloat (s->def, <, count (s->choices));
      if (s->type == SWAG_SETTING_FILE)
        g_assert_true (g_strv_contains (s->choices, s->def_string));
      /* A boolean is on or off (the command line has --NAME and
       * --no-NAME). */
      if (s->type == SWAG_SETTING_BOOLEAN)
        g_assert_true (s->def == FALSE || s->def == TRUE);
      g_assert_true ((s->type == SWAG_SETTING_TAPS) == (s->taps_in_use != NULL));
      if (s->flags & SWAG_SETTING_NOT_EMPTY)
        g_assert_cmpint (s->type, ==, SWAG_SETTING_TAPS);
    }
  g_assert_null (swag_setting_find ("no-such-setting"));
  g_assert_null (swag_setting_find (NULL));
  g_hash_table_unref (names);
}

/* SwagChoice names the same lists. */
static void
test_choices (void)
{
  static const struct { SwagChoice choice; const char *name; } map[] = {
    { SWAG_CHOICE_BACKBONE, "backbone" }, { SWAG_CHOICE_POOLING, "pooling" },
    { SWAG_CHOICE_SMOOTHING, "smoothing" },
    { SWAG_CHOICE_OPTIMIZER, "optimizer" }, { SWAG_CHOICE_INIT, "init" },
  };
  GError *error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (map); i++)
    {
      const SwagSetting *s = swag_setting_find (map[i].name);
      const char *const *names = swag_choice_names (map[i].choice);

      g_assert_true (names == s->choices);
      for (int k = 0; names[k]; k++)
        g_assert_cmpint (swag_choice_parse (map[i].choice, names[k], NULL), ==, k);
    }
  g_assert_true (swag_choice_names (SWAG_CHOICE_PRESET)
                 == swag_preset_setting ()->choices);
  g_assert_cmpint (swag_choice_parse (SWAG_CHOICE_SMOOTHING, "wavy", &error),
                   ==, -1);
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "smoothing"));
  g_assert_nonnull (strstr (error->message, "channel-softmax"));
  g_clear_error (&error);
}

/* ------------------------------------------------------------ defaults -- */

static void
test_defaults (void)
{
  int                n;
  const SwagSetting *t = swag_settings (&n);
  SwagParams         p;
  GError            *error = NULL;

  swag_params_init_defaults (&p);
  g_assert_true (swag_params_validate (&p, &error));
  g_assert_no_error (error);
  for (int i = 0; i < n; i++)
    {
      const SwagSetting *s = &t[i];
      gpointer           field = swag_setting_field (s, &p);

      switch (s->type)
        {
        case SWAG_SETTING_INT:
        case SWAG_SETTING_BOOLEAN:
        case SWAG_SETTING_CHOICE:
          g_assert_cmpint (*(int *) field, ==, (int) s->def);
          break;
        case SWAG_SETTING_DOUBLE:
          g_assert_cmpfloat (*(double *) field, ==, s->def);
          break;
        case SWAG_SETTING_SEED:
          g_assert_cmpuint (*(guint64 *) field, ==, (guint64) s->def);
          break;
        case SWAG_SETTING_FILE:
        case SWAG_SETTING_TAPS:
          g_assert_cmpstr (*(const char **) field, ==, s->def_string);
          break;
        }
    }
  /* Outside the table. */
  g_assert_null (p.weight_dirs);
  g_assert_cmpint (p.preview_every, ==, 0);
  g_assert_cmpuint (p.memory_limit, ==, 0);
  /* The values the README's settings table states. */
  g_assert_cmpint (p.backbone, ==, SWAG_BACKBONE_MULTISCALE);
  g_assert_true (p.match_histogram);
  g_assert_cmpint (p.pooling, ==, SWAG_POOLING_AVG);
  g_assert_cmpint (p.iterations, ==, 300);
  g_assert_cmpint (p.size, ==, 512);
  g_assert_cmpint (p.scales, ==, 3);
  g_assert_cmpfloat (p.style_strength, ==, 10);
  g_assert_cmpfloat (p.tv_weight, ==, 5);
}

/* -------------------------------------------------------------- ranges -- */

/* Every number's range, at its ends and just outside; NaN and infinity. */
static void
test_ranges (void)
{
  int                n;
  const SwagSetting *t = swag_settings (&n);
  GError            *error = NULL;

  for (int i = 0; i < n; i++)
    {
      const SwagSetting *s = &t[i];
      double             below, above;
      SwagParams         p;

      if (!is_number (s))
        continue;
      g_test_message ("%s: %g to %g", s->name, s->min, s->max);
      below = s->type == SWAG_SETTING_INT ? s->min - 1 : nextafter (s->min, -INFINITY);
      above = s->type == SWAG_SETTING_INT ? s->max + 1 : nextafter (s->max, INFINITY);
      for (int k = 0; k < 2; k++)
        {
          swag_params_init_defaults (&p);
          set_number (s, &p, k ? s->max : s->min);
          g_assert_true (swag_params_validate (&p, &error));
          g_assert_no_error (error);
        }
      for (int k = 0; k < 2; k++)
        {
          swag_params_init_defaults (&p);
          set_number (s, &p, k ? above : below);
          g_assert_false (swag_params_validate (&p, &error));
          g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
          g_assert_true (g_str_has_prefix (error->message, s->name));
          g_assert_nonnull (strstr (error->message, " must be between "));
          g_clear_error (&error);
        }
      if (s->type == SWAG_SETTING_DOUBLE)
        {
          const double bad[] = { NAN, INFINITY, -INFINITY };

          for (gsize k = 0; k < G_N_ELEMENTS (bad); k++)
            {
              swag_params_init_defaults (&p);
              set_number (s, &p, bad[k]);
              g_assert_false (swag_params_validate (&p, &error));
              g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
              g_clear_error (&error);
            }
        }
    }
}

/* A choice out of its list is refused, not read past the names. */
static void
test_bad_choice (void)
{
  int                n;
  const SwagSetting *t = swag_settings (&n);
  GError            *error = NULL;

  for (int i = 0; i < n; i++)
    {
      const SwagSetting *s = &t[i];
      const int          bad[] = { -1, count (s->choices), 1000 };
      SwagParams         p;
      char              *json;

      if (s->type != SWAG_SETTING_CHOICE)
        continue;
      for (gsize k = 0; k < G_N_ELEMENTS (bad); k++)
        {
          swag_params_init_defaults (&p);
          *(int *) swag_setting_field (s, &p) = bad[k];
          /* The topology of a wrong backbone is never made. */
          g_assert_false (swag_params_validate (&p, &error));
          g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
          g_clear_error (&error);
          json = swag_params_to_json (&p);
          g_assert_nonnull (strstr (json, "null"));
          g_free (json);
        }
    }
}

/* ---------------------------------------------------------------- text -- */

/* The text of a value reads back as that value: the defaults, the ends of
 * the ranges, every choice. */
static void
test_text (void)
{
  int                n;
  const SwagSetting *t = swag_settings (&n);
  GError            *error = NULL;

  for (int i = 0; i < n; i++)
    {
      const SwagSetting *s = &t[i];
      double             values[3] = { s->def, s->min, s->max };
      int                n_values = is_number (s) ? 3 : 1;

      if (s->type == SWAG_SETTING_CHOICE || s->type == SWAG_SETTING_FILE)
        n_values = 0;
      for (int k = 0; k < n_values; k++)
        {
          SwagParams p, q;
          char      *text, *again;

          swag_params_init_defaults (&p);
          if (is_number (s))
            set_number (s, &p, values[k]);
          text = swag_setting_to_string (s, &p);
          swag_params_init_defaults (&q);
          g_assert_true (swag_setting_parse (s, &q, text, &error));
          g_assert_no_error (error);
          again = swag_setting_to_string (s, &q);
          g_assert_cmpstr (again, ==, text);
          g_free (again);
          g_free (text);
        }
      for (int k = 0; s->choices && s->choices[k]; k++)
        {
          SwagParams p;
          char      *text;

          swag_params_init_defaults (&p);
          g_assert_true (swag_setting_parse (s, &p, s->choices[k], &error));
          text = swag_setting_to_string (s, &p);
          g_assert_cmpstr (text, ==, s->choices[k]);
          g_free (text);
        }
    }
}

static void
test_parse (void)
{
  const SwagSetting *iterations = swag_setting_find ("iterations");
  const SwagSetting *scale = swag_setting_find ("style-scale");
  const SwagSetting *seed = swag_setting_find ("seed");
  const SwagSetting *smoothing = swag_setting_find ("smoothing");
  const SwagSetting *preserve = swag_setting_find ("preserve-colors");
  SwagParams         p;
  GError            *error = NULL;
  char              *text;

  swag_params_init_defaults (&p);
  g_assert_false (swag_setting_parse (iterations, &p, "12x", &error));
  g_assert_nonnull (strstr (error->message, "12x"));
  g_clear_error (&error);
  g_assert_false (swag_setting_parse (iterations, &p, "", &error));
  g_clear_error (&error);
  g_assert_false (swag_setting_parse (scale, &p, "0,5", &error));
  g_clear_error (&error);
  g_assert_true (swag_setting_parse (scale, &p, "0.5", &error));
  g_assert_cmpfloat (p.style_scale, ==, 0.5);
  g_assert_false (swag_setting_parse (smoothing, &p, "wavy", &error));
  g_assert_nonnull (strstr (error->message, "auto"));
  g_clear_error (&error);
  g_assert_true (swag_setting_parse (preserve, &p, "true", NULL));
  g_assert_true (p.preserve_colors);
  g_assert_false (swag_setting_parse (preserve, &p, "yes", NULL));

  /* Seeds: the whole unsigned range, negative ones modulo 2^64. */
  g_assert_true (swag_setting_parse (seed, &p, "18446744073709551615", NULL));
  g_assert_cmpuint (p.seed, ==, G_MAXUINT64);
  g_assert_true (swag_setting_parse (seed, &p, "-1", NULL));
  g_assert_cmpuint (p.seed, ==, G_MAXUINT64);
  g_assert_false (swag_setting_parse (seed, &p, "18446744073709551616", NULL));
  g_assert_false (swag_setting_parse (seed, &p, "-9223372036854775809", NULL));

  /* Ranges print short. */
  text = swag_setting_format (swag_setting_find ("temperature"), 1e-6);
  g_assert_cmpstr (text, ==, "1e-06");
  g_free (text);
  text = swag_setting_format (swag_setting_find ("learning-rate"), 0.02);
  g_assert_cmpstr (text, ==, "0.02");
  g_free (text);
}

/* ------------------------------------------------------------- presets -- */

static void
test_presets (void)
{
  const SwagSetting *preset = swag_preset_setting ();
  SwagParams         p, d;
  GError            *error = NULL;

  swag_params_init_defaults (&d);
  g_assert_cmpint (count (preset->choices), ==, 4);
  g_assert_cmpint (count (preset->choice_labels), ==, 4);
  for (int i = 0; preset->choices[i]; i++)
    {
      /* From anything: the reset settings go back to their defaults. */
      swag_params_init_defaults (&p);
      p.temperature = 7;
      p.alpha = 0.5;
      p.tv_weight = 9;
      p.style_layers = p.content_layers = p.smooth_layers = "relu1_1";
      p.iterations = 17;
      p.pooling = SWAG_POOLING_MAX;
      g_assert_true (swag_params_apply_preset (&p, preset->choices[i], &error));
      g_assert_no_error (error);
      g_assert_true (swag_params_validate (&p, &error));
      g_assert_no_error (error);
      g_assert_cmpfloat (p.temperature, ==, d.temperature);
      g_assert_cmpfloat (p.alpha, ==, d.alpha);
      g_assert_null (p.style_layers);
      g_assert_null (p.content_layers);
      g_assert_null (p.smooth_layers);
      g_assert_cmpint (p.iterations, ==, 17);  /* not a preset's */
      g_assert_nonnull (swag_preset_values (i));
    }

  swag_params_init_defaults (&p);
  p.backbone = SWAG_BACKBONE_RESNET50;
  p.style_weight = 3;
  p.match_histogram = FALSE;
  g_assert_true (swag_params_apply_preset (&p, "default", NULL));
  g_assert_cmpint (p.backbone, ==, SWAG_BACKBONE_MULTISCALE);
  g_assert_true (p.match_histogram);
  g_assert_cmpfloat (p.style_weight, ==, 0);
  g_assert_cmpfloat (p.tv_weight, ==, 5);

  swag_params_init_defaults (&p);
  g_assert_true (swag_params_apply_preset (&p, "paper-vgg19", NULL));
  g_assert_cmpint (p.backbone, ==, SWAG_BACKBONE_VGG19);
  g_assert_false (p.match_histogram);   /* the paper starts from the photo */
  g_assert_cmpint (p.pooling, ==, SWAG_POOLING_MAX);
  g_assert_cmpint (p.smoothing, ==, SWAG_SMOOTHING_NONE);
  g_assert_cmpfloat (p.tv_weight, ==, 0);
  g_assert_cmpfloat (p.style_weight, ==, 1e6);
  g_assert_cmpfloat (p.content_weight, ==, 1);
  g_assert_cmpstr (swag_params_content_layers (&p), ==, "relu4_2");

  swag_params_init_defaults (&p);
  p.pooling = SWAG_POOLING_MAX;
  g_assert_true (swag_params_apply_preset (&p, "paper-resnet50-swag", NULL));
  g_assert_cmpint (p.backbone, ==, SWAG_BACKBONE_RESNET50);
  g_assert_cmpint (p.smoothing, ==, SWAG_SMOOTHING_SOFTMAX);
  g_assert_cmpfloat (p.style_weight, ==, 1e17);
  g_assert_cmpfloat (p.content_weight, ==, 1);
  g_assert_cmpint (p.pooling, ==, SWAG_POOLING_MAX);  /* left alone */
  g_assert_cmpstr (swag_params_content_layers (&p), ==, "conv3_5");

  g_assert_false (swag_params_apply_preset (&p, "paper-vgg20", &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "paper-resnet50-swag"));
  g_clear_error (&error);
}

/* ---------------------------------------------------------------- JSON -- */

static void
test_json (void)
{
  int                n;
  const SwagSetting *t = swag_settings (&n);
  SwagParams         p;
  JsonNode          *root;
  JsonObject        *o;
  GError            *error = NULL;
  char              *json;

  swag_params_init_defaults (&p);
  p.seed = G_MAXUINT64;
  p.style_weight = 1e17;
  p.content_layers = "";
  p.weights = "/tmp/a \"quoted\"\n name.safetensors";
  json = swag_params_to_json (&p);
  root = json_from_string (json, &error);
  g_assert_no_error (error);
  o = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (o, "program"), ==, "swag-style");
  g_assert_cmpstr (json_object_get_string_member (o, "version"), ==, swag_version ());
  g_assert_cmpuint (json_object_get_size (o), ==, (guint) n + 2);
  for (int i = 0; i < n; i++)
    {
      const SwagSetting *s = &t[i];
      JsonNode          *m = json_object_get_member (o, s->name);
      char              *text = swag_setting_to_string (s, &p);

      g_assert_nonnull (m);
      switch (s->type)
        {
        case SWAG_SETTING_DOUBLE:
          g_assert_cmpfloat (json_node_get_double (m), ==,
                             *(double *) swag_setting_field (s, &p));
          break;
        case SWAG_SETTING_INT:
          g_assert_cmpint (json_node_get_int (m), ==, atoi (text));
          break;
        case SWAG_SETTING_BOOLEAN:
          g_assert_cmpint (json_node_get_boolean (m), ==, text[0] == 't');
          break;
        case SWAG_SETTING_SEED:
          break;
        default:
          g_assert_cmpstr (json_node_get_string (m), ==, text);
          break;
        }
      g_free (text);
    }
  /* The seed as written: unsigned. */
  g_assert_nonnull (strstr (json, "\"seed\": 18446744073709551615"));
  g_assert_nonnull (strstr (json, "\"style-weight\": 1e+17"));
  g_assert_cmpstr (json_object_get_string_member (o, "content-layers"), ==, "");
  g_assert_cmpstr (json_object_get_string_member (o, "style-layers"), ==,
                   swag_default_style_layers (p.backbone));
  json_node_unref (root);
  g_free (json);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/settings/entries", test_entries);
  g_test_add_func ("/settings/choices", test_choices);
  g_test_add_func ("/settings/defaults", test_defaults);
  g_test_add_func ("/settings/ranges", test_ranges);
  g_test_add_func ("/settings/bad-choice", test_bad_choice);
  g_test_add_func ("/settings/text", test_text);
  g_test_add_func ("/settings/parse", test_parse);
  g_test_add_func ("/settings/presets", test_presets);
  g_test_add_func ("/settings/json", test_json);
  return g_test_run ();
}
