/* swag-cli-options.c: swag-transfer's options, derived from the engine's
 * table of settings, and their dumps. GPL-3.0-or-later. */
#include "swag-cli-options.h"
#include "swag-cli-report.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

/* One-letter forms of settings' flags. */
static const struct
{
  const char *name;
  char        short_name;
} short_flags[] = {
  { "iterations", 'n' },
};

static char
short_flag (const SwagSetting *s)
{
  for (gsize i = 0; i < G_N_ELEMENTS (short_flags); i++)
    if (strcmp (short_flags[i].name, s->name) == 0)
      return short_flags[i].short_name;
  return 0;
}

/* ------------------------------------------------------------- --help -- */

static char *
keep (CliOptions *o, char *s)
{
  g_ptr_array_add (o->keep, s);
  return s;
}

/* @s's values as a list: "multiscale, vgg19, ..." for choices, "1 to 8" for
 * numbers, NULL for the rest. */
static char *
values_text (const SwagSetting *s)
{
  char *lo, *hi, *text;

  switch (s->type)
    {
    case SWAG_SETTING_CHOICE:
    case SWAG_SETTING_FILE:
      return g_strjoinv (", ", (char **) s->choices);
    case SWAG_SETTING_INT:
    case SWAG_SETTING_DOUBLE:
      lo = swag_setting_format (s, s->min);
      hi = swag_setting_format (s, s->max);
      /* TRANSLATORS: a range of values in --help, e.g. "1 to 100000". */
      text = g_strdup_printf (_("%s to %s"), lo, hi);
      g_free (lo);
      g_free (hi);
      return text;
    case SWAG_SETTING_BOOLEAN:
    case SWAG_SETTING_SEED:
    case SWAG_SETTING_TAPS:
      return NULL;
    }
  g_return_val_if_reached (NULL);
}

/* The table's help, with the values and the default: what --help says of
 * a setting. */
static char *
setting_help (const SwagSetting *s)
{
  SwagParams  d;
  char       *values = values_text (s);
  char       *def;
  char       *text;
  const char *help = _(s->help);

  swag_params_init_defaults (&d);
  def = swag_setting_to_string (s, &d);
  switch (s->type)
    {
    case SWAG_SETTING_BOOLEAN:
      text = g_strdup (help);
      break;
    case SWAG_SETTING_SEED:
      /* TRANSLATORS: an option in --help: its description, then its
       * default value. */
      text = g_strdup_printf (_("%s (default %s)"), help, def);
      break;
    case SWAG_SETTING_FILE:
      /* TRANSLATORS: an option in --help: its description, the words it
       * takes (e.g. "random, pretrained"), then its default value. */
      text = g_strdup_printf (_("%s (%s, or a file; default %s)"), help,
                              values, def);
      break;
    case SWAG_SETTING_TAPS:
      {
        const char *backbone = swag_choice_names (SWAG_CHOICE_BACKBONE)[d.backbone];

        text = s->flags & SWAG_SETTING_NOT_EMPTY
               /* TRANSLATORS: an option in --help: its description, then
                * the default for a network, e.g. "default for multiscale:
                * k7,k23". */
               ? g_strdup_printf (_("%s (default for %s: %s)"), help,
                                  backbone, def)
               /* TRANSLATORS: as "%s (default for %s: %s)", for a list of
                * layers that may be empty. */
               : g_strdup_printf (_("%s; may be empty (default for %s: %s)"),
                                  help, backbone, def);
      }
      break;
    default:
      /* TRANSLATORS: an option in --help: its description, its values
       * (e.g. "lbfgs, adam" or "1 to 8"), then its default value. */
      text = g_strdup_printf (_("%s (%s; default %s)"), help, values, def);
      break;
    }
  g_free (values);
  g_free (def);
  return text;
}

/* ----------------------------------------------------------- the context -- */

static void
add_setting_entries (CliOptions *o, GArray *entries)
{
  int                n;
  const SwagSetting *settings = swag_settings (&n);

  o->n_settings = n;
  o->values = g_new0 (char *, n + 1);
  o->switches = g_new0 (gboolean, n);
  o->negated = g_new0 (gboolean, n);
  for (int i = 0; i < n; i++)
    {
      const SwagSetting *s = &settings[i];
      GOptionEntry       e = { s->name, short_flag (s), 0,
                               G_OPTION_ARG_STRING, &o->values[i],
                               keep (o, setting_help (s)),
                               s->metavar ? _(s->metavar) : NULL };

      if (s->type == SWAG_SETTING_BOOLEAN)
        {
          /* Each switch has its opposite, --no-NAME: a default that is
           * on must be possible to turn off. */
          GOptionEntry no = { keep (o, g_strconcat ("no-", s->name, NULL)), 0,
                              0, G_OPTION_ARG_NONE, &o->negated[i],
                              /* TRANSLATORS: --help of --no-NAME; %s is
                               * the option it turns off, e.g.
                               * "--match-histogram". */
                              keep (o, g_strdup_printf (_("Turn off --%s"),
                                                        s->name)),
                              NULL };
          e.arg = G_OPTION_ARG_NONE;
          e.arg_data = &o->switches[i];
          g_array_append_val (entries, e);
          g_array_append_val (entries, no);
          continue;
        }
      else if (s->type == SWAG_SETTING_FILE)
        e.arg = G_OPTION_ARG_FILENAME;
      g_array_append_val (entries, e);
    }
}

GOptionContext *
cli_options_context (CliOptions *o)
{
  const SwagSetting *preset = swag_preset_setting ();
  char              *presets = g_strjoinv (", ", (char **) preset->choices);
  GArray            *entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
  GOptionContext    *ctx;
  /* Automatic arrays may take run-time addresses: no static tables. */
  GOptionEntry       own[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->out,
      /* TRANSLATORS: in --help, the upper-case words (OUT, DIR, STYLE,
       * CONTENT, NAME, FILE, ...) stand for the values of the options and
       * arguments: translate each the same way everywhere, in the usage
       * line, the summary and the descriptions. */
      _("Write the result to OUT (.png, .jpg or .jpeg)"), _("OUT") },
    { "batch", 'b', 0, G_OPTION_ARG_FILENAME, &o->batch,
      _("Stylise every CONTENT into folder DIR as NAME.png, loading the network once"),
      _("DIR") },
    { "style", 's', 0, G_OPTION_ARG_FILENAME_ARRAY, &o->style_files,
      _("A style image (repeat for several); every file argument is then a content image"),
      _("STYLE") },
    { "preset", 0, 0, G_OPTION_ARG_STRING, &o->preset, NULL, _(preset->metavar) },
    { "style-blend", 0, 0, G_OPTION_ARG_STRING, &o->style_blend,
      _("Weights of the style images, one each (default: equal shares)"),
      _("W1,W2,…") },
    { "threads", 'j', 0, G_OPTION_ARG_STRING, &o->threads,
      _("Threads (default: one per core)"), _("N") },
    { "memory-limit", 0, 0, G_OPTION_ARG_STRING, &o->memory_limit,
      _("Refuse runs that need more than this (default: the memory available)"),
      _("MIB") },
    { "report", 0, 0, G_OPTION_ARG_FILENAME, &o->report,
      _("Write the loss terms of every evaluation (and the diagnosis) to FILE as JSON Lines"),
      _("FILE") },
    { "diagnose", 0, 0, G_OPTION_ARG_NONE, &o->diagnose,
      _("Print per-tap statistics of the images (maximum activation, maximum Gram entry, Gram entropy); without -o or --batch, only that"),
      NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet,
      _("No progress bar and no notes; errors only"), NULL },
    { "dump-settings", 0, 0, G_OPTION_ARG_STRING, &o->dump_settings,
      _("Print every setting with its type, range and default, as json or markdown, and exit"),
      _("FORMAT") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &o->version,
      _("Print the version and exit"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->args,
      NULL, NULL },
  };

  o->keep = g_ptr_array_new_with_free_func (g_free);
  /* TRANSLATORS: --preset in --help: its description, then the presets'
   * names. */
  own[3].description = keep (o, g_strdup_printf (_("%s (%s)"),
                                                 _(preset->help), presets));
  g_free (presets);

  /* The files and the presets first, then the settings, then the rest;
   * the array's zero-terminator ends the list. */
  g_array_append_vals (entries, own, 4);
  add_setting_entries (o, entries);
  g_array_append_vals (entries, own + 4, G_N_ELEMENTS (own) - 4);

  ctx = g_option_context_new (_("CONTENT STYLE [STYLE…] -o OUT"));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, (GOptionEntry *) entries->data,
                                     GETTEXT_PACKAGE);
  g_array_unref (entries);

  g_option_context_set_summary (ctx,
    _("Stylises CONTENT with the style of STYLE by neural style transfer with "
      "SWAG-smoothed activations (Wang, Li, Vasconcelos, CVPR 2021). Several "
      "styles are blended. The other forms:\n"
      "\n"
      "  swag-transfer [OPTION…] --batch DIR STYLE CONTENT…\n"
      "  swag-transfer [OPTION…] --batch DIR -s STYLE [-s STYLE…] CONTENT…\n"
      "  swag-transfer [OPTION…] --diagnose CONTENT [STYLE…]"));
  g_option_context_set_description (ctx,
    _("Images are PNG or JPEG. OUT's extension chooses its format; a PNG keeps "
      "the content's alpha channel, a JPEG has none. OUT is written only when "
      "the run succeeds, and replaced in one step.\n"
      "\n"
      "The batch form loads the network once and writes DIR/NAME.png for each "
      "CONTENT called NAME.png or NAME.jpg; a file that fails is reported and "
      "skipped, the others are still made, and the exit status is then 1.\n"
      "\n"
      "--preset applies first, whatever the order on the command line; the "
      "other options override it.\n"
      "\n"
      "Exit status: 0 success, 1 failure, 2 usage error, 130 interrupted "
      "(Ctrl-C; a second Ctrl-C stops at once)."));
  return ctx;
}

void
cli_options_clear (CliOptions *o)
{
  char **strings[] = {
    &o->out, &o->batch, &o->report, &o->preset, &o->style_blend,
    &o->threads, &o->memory_limit, &o->dump_settings,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (strings); i++)
    g_clear_pointer (strings[i], g_free);
  g_clear_pointer (&o->style_files, g_strfreev);
  g_clear_pointer (&o->args, g_strfreev);
  for (int i = 0; o->values && i < o->n_settings; i++)
    g_free (o->values[i]);
  g_clear_pointer (&o->values, g_free);
  g_clear_pointer (&o->switches, g_free);
  g_clear_pointer (&o->negated, g_free);
  g_clear_pointer (&o->keep, g_ptr_array_unref);
}

/* ------------------------------------------------------------ the values -- */

static gboolean
bad_value (GError **error, const char *flag, const char *text, const char *what)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("--%s: “%s” is not %s"), flag, text, what);
  return FALSE;
}

gboolean
cli_parse_int (const char *flag, const char *text, int *out, GError **error)
{
  gint64 v;

  if (!text)
    return TRUE;
  if (!g_ascii_string_to_signed (text, 10, G_MININT, G_MAXINT, &v, NULL))
    return bad_value (error, flag, text, _("a whole number"));
  *out = (int) v;
  return TRUE;
}

/* g_ascii_strtod: "0.5" whatever the locale, as scripts write it. */
static gboolean
parse_double (const char *flag, const char *text, double *out, GError **error)
{
  char  *end = NULL;
  double v;

  if (!text)
    return TRUE;
  v = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0')
    return bad_value (error, flag, text, _("a number"));
  *out = v;
  return TRUE;
}

double *
cli_parse_blend (const char *text, int n_styles, GError **error)
{
  char  **parts = g_strsplit (text, ",", -1);
  int     n = (int) g_strv_length (parts);
  double *w = NULL, sum = 0;

  if (n != n_styles)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--style-blend: got %d weights, expected %d (one per style image)"),
                   n, n_styles);
      goto out;
    }
  w = g_new (double, n);
  for (int i = 0; i < n; i++)
    {
      GError *e = NULL;
      if (!parse_double ("style-blend", g_strstrip (parts[i]), &w[i], &e)
          || !isfinite (w[i]) || w[i] < 0)
        {
          if (!e)
            g_set_error (&e, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                         _("--style-blend: weights must be zero or positive (got “%s”)"),
                         parts[i]);
          g_propagate_error (error, e);
          g_clear_pointer (&w, g_free);
          goto out;
        }
      sum += w[i];
    }
  if (!(sum > 0))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--style-blend: at least one weight must be above 0"));
      g_clear_pointer (&w, g_free);
    }
out:
  g_strfreev (parts);
  return w;
}

gboolean
cli_options_to_params (const CliOptions *o, SwagParams *p, GError **error)
{
  int                n;
  const SwagSetting *settings = swag_settings (&n);

  swag_params_init_defaults (p);
  if (o->preset && !swag_params_apply_preset (p, o->preset, error))
    {
      g_prefix_error (error, "--preset: ");
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    {
      const SwagSetting *s = &settings[i];

      if (s->type == SWAG_SETTING_BOOLEAN)
        {
          if (o->switches[i] && o->negated[i])
            {
              g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                           /* TRANSLATORS: %s is a setting's name, e.g.
                            * "match-histogram". */
                           _("--%s and --no-%s contradict each other"),
                           s->name, s->name);
              return FALSE;
            }
          if (o->switches[i] || o->negated[i])
            *(gboolean *) swag_setting_field (s, p) = o->switches[i];
        }
      else if (o->values[i]
               && !swag_setting_parse (s, p, o->values[i], error))
        {
          g_prefix_error (error, "--%s: ", s->name);
          return FALSE;
        }
    }

  if (o->memory_limit)
    {
      guint64 mib;

      if (!g_ascii_string_to_unsigned (o->memory_limit, 10, 1,
                                       G_MAXUINT64 >> 20, &mib, NULL))
        return bad_value (error, "memory-limit", o->memory_limit,
                          _("a positive number of MiB"));
      p->memory_limit = mib << 20;
    }
  return swag_params_validate (p, error);
}

/* --------------------------------------------------------------- dumps -- */

static const char *const type_names[] = {
  [SWAG_SETTING_INT] = "int",
  [SWAG_SETTING_DOUBLE] = "double",
  [SWAG_SETTING_BOOLEAN] = "boolean",
  [SWAG_SETTING_CHOICE] = "choice",
  [SWAG_SETTING_SEED] = "seed",
  [SWAG_SETTING_FILE] = "file",
  [SWAG_SETTING_TAPS] = "taps",
};

static const char *const group_names[SWAG_N_GROUPS] = {
  [SWAG_GROUP_NETWORK] = "network",
  [SWAG_GROUP_SMOOTHING] = "smoothing",
  [SWAG_GROUP_LOSSES] = "losses",
  [SWAG_GROUP_OPTIMISATION] = "optimisation",
  [SWAG_GROUP_COLOURS] = "colours",
};

/* @label without its mnemonic's underscore. */
static char *
plain_label (const char *label)
{
  GString *s = g_string_new (NULL);

  for (const char *c = label; *c; c++)
    if (*c != '_')
      g_string_append_c (s, *c);
  return g_string_free (s, FALSE);
}

static void
json_strings (JsonBuilder *b, const char *member, const char *const *list)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (int i = 0; list && list[i]; i++)
    json_builder_add_string_value (b, list[i]);
  json_builder_end_array (b);
}

static void
json_setting (JsonBuilder *b, const SwagSetting *s, const SwagParams *d)
{
  static const char *const flag_names[] = {
    "main", "no-dialog", "not-empty", "preset-reset"
  };
  char *def = swag_setting_to_string (s, d);
  char *label = plain_label (s->label);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, s->name);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type_names[s->type]);
  /* The default as text, the way the flag takes it... */
  json_builder_set_member_name (b, "default");
  json_builder_add_string_value (b, def);
  /* ...and the numbers as numbers. */
  if (s->type == SWAG_SETTING_INT || s->type == SWAG_SETTING_DOUBLE)
    {
      char *lo = swag_setting_format (s, s->min);
      char *hi = swag_setting_format (s, s->max);

      json_builder_set_member_name (b, "min");
      json_builder_add_double_value (b, s->min);
      json_builder_set_member_name (b, "max");
      json_builder_add_double_value (b, s->max);
      json_builder_set_member_name (b, "min-text");
      json_builder_add_string_value (b, lo);
      json_builder_set_member_name (b, "max-text");
      json_builder_add_string_value (b, hi);
      json_builder_set_member_name (b, "default-number");
      json_builder_add_double_value (b, s->def);
      g_free (lo);
      g_free (hi);
    }
  if (s->choices)
    {
      json_strings (b, "choices", s->choices);
      json_strings (b, "choice-labels", s->choice_labels);
    }
  json_builder_set_member_name (b, "group");
  json_builder_add_string_value (b, group_names[s->group]);
  json_builder_set_member_name (b, "flags");
  json_builder_begin_array (b);
  for (gsize f = 0; f < G_N_ELEMENTS (flag_names); f++)
    if (s->flags & (1u << f))
      json_builder_add_string_value (b, flag_names[f]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "label");
  json_builder_add_string_value (b, label);
  json_builder_set_member_name (b, "help");
  json_builder_add_string_value (b, s->help);
  json_builder_set_member_name (b, "metavar");
  if (s->metavar)
    json_builder_add_string_value (b, s->metavar);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  g_free (def);
  g_free (label);
}

static void
dump_json (GString *out)
{
  int                n;
  const SwagSetting *settings = swag_settings (&n);
  const SwagSetting *preset = swag_preset_setting ();
  JsonBuilder       *b = json_builder_new ();
  JsonGenerator     *g = json_generator_new ();
  JsonNode          *root;
  SwagParams         d;
  char              *text;

  swag_params_init_defaults (&d);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "settings");
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    json_setting (b, &settings[i], &d);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "presets");
  json_builder_begin_array (b);
  for (int i = 0; preset->choices[i]; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, preset->choices[i]);
      json_builder_set_member_name (b, "label");
      json_builder_add_string_value (b, preset->choice_labels[i]);
      json_builder_set_member_name (b, "values");
      json_builder_add_string_value (b, swag_preset_values (i));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (g, root);
  json_generator_set_pretty (g, TRUE);
  text = json_generator_to_data (g, NULL);
  cli_json_repair (text);
  g_string_append (out, text);
  g_string_append_c (out, '\n');
  g_free (text);
  json_node_unref (root);
  g_object_unref (g);
  g_object_unref (b);
}

/* The default lists of a TAPS setting, one per distinct list: "`a,b`
 * (vgg19); `c,d` (resnet50, noresnet50, ...)". */
static char *
taps_defaults (const SwagSetting *s)
{
  const char *const *backbones = swag_choice_names (SWAG_CHOICE_BACKBONE);
  GString           *out = g_string_new (NULL);
  gboolean           done[64] = { FALSE };

  for (int i = 0; backbones[i] && i < 64; i++)
    {
      SwagParams  p;
      const char *list;

      if (done[i])
        continue;
      swag_params_init_defaults (&p);
      p.backbone = i;
      list = s->taps_in_use (&p);
      g_string_append_printf (out, "%s`%s` (", out->len ? "; " : "", list);
      for (int j = i; backbones[j] && j < 64; j++)
        {
          SwagParams q = p;

          q.backbone = j;
          if (strcmp (s->taps_in_use (&q), list) != 0)
            continue;
          g_string_append_printf (out, "%s`%s`", j > i ? ", " : "",
                                  backbones[j]);
          done[j] = TRUE;
        }
      g_string_append_c (out, ')');
    }
  return g_string_free (out, FALSE);
}

static void
markdown_setting (GString *out, const SwagSetting *s, const SwagParams *d)
{
  char *def = swag_setting_to_string (s, d);
  char *values = NULL;
  char  flag = short_flag (s);

  switch (s->type)
    {
    case SWAG_SETTING_INT:
    case SWAG_SETTING_DOUBLE:
      {
        char *lo = swag_setting_format (s, s->min);
        char *hi = swag_setting_format (s, s->max);

        values = g_strdup_printf ("%s %s to %s",
                                  s->type == SWAG_SETTING_INT ? "integer"
                                                              : "number",
                                  lo, hi);
        g_free (lo);
        g_free (hi);
      }
      break;
    case SWAG_SETTING_CHOICE:
    case SWAG_SETTING_FILE:
      {
        GString *v = g_string_new (NULL);

        for (int i = 0; s->choices[i]; i++)
          g_string_append_printf (v, "%s`%s`", i ? ", " : "", s->choices[i]);
        if (s->type == SWAG_SETTING_FILE)
          g_string_append (v, ", or a file");
        values = g_string_free (v, FALSE);
      }
      break;
    case SWAG_SETTING_BOOLEAN:
      values = g_strdup ("on or off");
      g_free (def);
      def = g_strdup (s->def ? "on" : "off");
      break;
    case SWAG_SETTING_SEED:
      values = g_strdup ("integer, any 64-bit value (a negative one is taken "
                         "modulo 2^64)");
      break;
    case SWAG_SETTING_TAPS:
      values = g_strdup (s->flags & SWAG_SETTING_NOT_EMPTY
                         ? "comma-separated taps"
                         : "comma-separated taps, may be empty");
      g_free (def);
      def = taps_defaults (s);
      break;
    }

  /* | setting | command line | Script-Fu | values | default | meaning | */
  g_string_append_printf (out, "| %s | `--%s%s%s`", s->name, s->name,
                          s->metavar ? " " : "",
                          s->metavar ? s->metavar : "");
  if (flag)
    g_string_append_printf (out, ", `-%c`", flag);
  if (s->type == SWAG_SETTING_BOOLEAN)
    g_string_append_printf (out, ", `--no-%s`", s->name);
  g_string_append_printf (out, " | `%s`", s->name);
  if (s->type == SWAG_SETTING_FILE)
    g_string_append_printf (out, " + `%s-file`", s->name);
  g_string_append_printf (out, " | %s | ", values);
  if (s->type == SWAG_SETTING_TAPS)
    g_string_append (out, def);
  else
    g_string_append_printf (out, "`%s`", def);
  g_string_append_printf (out, " | %s |\n", s->help);
  g_free (values);
  g_free (def);
}

static void
dump_markdown (GString *out)
{
  int                n;
  const SwagSetting *settings = swag_settings (&n);
  const SwagSetting *preset = swag_preset_setting ();
  SwagParams         d;

  swag_params_init_defaults (&d);
  for (int g = 0; g < SWAG_N_GROUPS; g++)
    {
      g_string_append_printf (out, "### %s\n\n"
                              "| setting | command line | Script-Fu | values "
                              "| default | meaning |\n"
                              "|---|---|---|---|---|---|\n",
                              swag_group_title (g));
      for (int i = 0; i < n; i++)
        if (settings[i].group == (SwagGroup) g)
          markdown_setting (out, &settings[i], &d);
      g_string_append_c (out, '\n');
    }

  g_string_append (out, "### Presets\n\n"
                   "`--preset NAME`, Script-Fu `preset` (there also `none`, "
                   "the default). Each first resets");
  for (int i = 0, k = 0; i < n; i++)
    if (settings[i].flags & SWAG_SETTING_PRESET_RESET)
      g_string_append_printf (out, "%s `%s`", k++ ? "," : "",
                              settings[i].name);
  g_string_append (out, " to their defaults, then sets:\n\n"
                   "| preset | sets |\n|---|---|\n");
  for (int i = 0; preset->choices[i]; i++)
    {
      char **words = g_strsplit (swag_preset_values (i), " ", -1);

      g_string_append_printf (out, "| `%s` |", preset->choices[i]);
      for (int w = 0; words[w]; w++)
        {
          const char *eq = strchr (words[w], '=');

          if (eq)
            g_string_append_printf (out, "%s `%s`", w ? "," : "", words[w]);
          else
            g_string_append_printf (out, "%s `%s` (its default)",
                                    w ? "," : "", words[w]);
        }
      g_string_append (out, " |\n");
      g_strfreev (words);
    }
}

gboolean
cli_dump_settings (const char *format, GString *out, GError **error)
{
  if (strcmp (format, "json") == 0)
    dump_json (out);
  else if (strcmp (format, "markdown") == 0)
    dump_markdown (out);
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--dump-settings: “%s” is not json or markdown"), format);
      return FALSE;
    }
  return TRUE;
}
