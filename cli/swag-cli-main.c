/* swag-cli-main.c: swag-transfer, the command line of swag-style. Files in,
 * file out, the same engine as the GIMP plug-in. GPL-3.0-or-later.
 *
 *   swag-transfer [OPTION…] CONTENT STYLE [STYLE…] -o OUT
 *   swag-transfer [OPTION…] --batch DIR STYLE CONTENT…
 *   swag-transfer [OPTION…] --batch DIR -s STYLE [-s STYLE…] CONTENT…
 *   swag-transfer [OPTION…] --diagnose CONTENT [STYLE…]
 *
 * Exit status: 0 success, 1 failure, 2 usage error, 130 interrupted. Every
 * error is one line on stderr that starts with "swag-transfer: " and names
 * the file concerned. */
#include "swag.h"
#include "swag-cli-image.h"
#include "swag-cli-progress.h"
#include "swag-cli-report.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM "swag-transfer"

enum
{
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_INTERRUPTED = 130   /* 128 + SIGINT, what a shell reports */
};

/* The one mutable global: a signal handler can reach nothing else, and a
 * volatile sig_atomic_t is the only object it may safely write. The engine's
 * progress callback reads it and cancels the run. */
static volatile sig_atomic_t interrupted;

static void
on_sigint (int sig)
{
  interrupted = 1;
  /* A second Ctrl-C stops at once: the default action. (signal() is
   * async-signal-safe; SA_RESETHAND is not in plain POSIX.) */
  signal (sig, SIG_DFL);
}

static void
catch_sigint (void)
{
  struct sigaction sa, old;

  /* A shell without job control starts background commands with SIGINT
   * ignored, so that Ctrl-C spares them: keep it that way. */
  if (sigaction (SIGINT, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
    return;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset (&sa.sa_mask);
  sigaction (SIGINT, &sa, NULL);
}

/* @text on one line: scripts may keep only the last line of stderr, and
 * one error is one line. Indented lines are list items (the folders
 * searched for weights): "intro: a, b, c. Next sentence". */
static char *
one_line (const char *text)
{
  char   **lines = g_strsplit (text, "\n", -1);
  GString *s = g_string_new (lines[0]);
  gboolean in_list = FALSE;

  for (int i = 1; lines[i]; i++)
    {
      gboolean item = g_ascii_isspace (lines[i][0]);
      char    *line = g_strstrip (lines[i]);

      if (!*line)
        continue;
      if (item)
        g_string_append (s, in_list ? ", " : " ");
      else
        g_string_append (s, in_list ? ". " : " ");
      g_string_append (s, line);
      in_list = item;
    }
  g_strfreev (lines);
  return g_string_free (s, FALSE);
}

static void G_GNUC_PRINTF (1, 2)
say_error (const char *format, ...)
{
  va_list ap;
  char   *text, *line;

  va_start (ap, format);
  text = g_strdup_vprintf (format, ap);
  va_end (ap);
  line = one_line (text);
  fprintf (stderr, "%s: %s\n", PROGRAM, line);
  fflush (stderr);
  g_free (line);
  g_free (text);
}

/* ------------------------------------------------------------ options -- */

/* Every value as given, NULL when the flag was not: presets apply first, so
 * only the flags actually given override them. */
typedef struct
{
  char    *out, *batch, *report;
  char   **style_files;
  char    *preset, *backbone, *pooling, *weights, *seed, *smoothing;
  char    *style_layers, *content_layers, *smooth_layers;
  char    *temperature, *alpha, *iterations, *style_strength;
  char    *style_weight, *content_weight, *tv_weight;
  char    *size, *scales, *optimizer, *lbfgs_history, *learning_rate, *init;
  char    *style_scale, *style_blend, *threads, *memory_limit;
  gboolean preserve_colors, match_histogram, diagnose, quiet, version;
  char   **args;
} CliOptions;

static void
options_clear (CliOptions *o)
{
  char **strings[] = {
    &o->out, &o->batch, &o->report, &o->preset, &o->backbone, &o->pooling,
    &o->weights, &o->seed, &o->smoothing, &o->style_layers,
    &o->content_layers, &o->smooth_layers, &o->temperature, &o->alpha,
    &o->iterations, &o->style_strength, &o->style_weight, &o->content_weight,
    &o->tv_weight, &o->size, &o->scales, &o->optimizer, &o->lbfgs_history,
    &o->learning_rate, &o->init, &o->style_scale, &o->style_blend,
    &o->threads, &o->memory_limit,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (strings); i++)
    g_clear_pointer (strings[i], g_free);
  g_clear_pointer (&o->style_files, g_strfreev);
  g_clear_pointer (&o->args, g_strfreev);
}

/* Help texts that show the engine's own names and defaults, so that they
 * cannot drift from it. Kept in @keep until the context is gone. */
static char * G_GNUC_PRINTF (2, 3)
help (GPtrArray *keep, const char *format, ...)
{
  va_list ap;
  char   *s;

  va_start (ap, format);
  s = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_ptr_array_add (keep, s);
  return s;
}

static char *
choices (GPtrArray *keep, SwagChoice choice)
{
  char *s = g_strjoinv (", ", (char **) swag_choice_names (choice));

  g_ptr_array_add (keep, s);
  return s;
}

static char *
number (GPtrArray *keep, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  char *s = g_strdup (g_ascii_dtostr (buf, sizeof buf, v));

  g_ptr_array_add (keep, s);
  return s;
}

static GOptionContext *
options_context (CliOptions *o, GPtrArray *keep)
{
  SwagParams      d;
  GOptionContext *ctx;
  const char     *const *bb = swag_choice_names (SWAG_CHOICE_BACKBONE);
  const char     *const *pool = swag_choice_names (SWAG_CHOICE_POOLING);
  const char     *const *sm = swag_choice_names (SWAG_CHOICE_SMOOTHING);
  const char     *const *opt = swag_choice_names (SWAG_CHOICE_OPTIMIZER);
  const char     *const *ini = swag_choice_names (SWAG_CHOICE_INIT);

  swag_params_init_defaults (&d);
  {
    /* Automatic arrays may take run-time addresses: no static tables. */
    GOptionEntry entries[] = {
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
      { "preset", 0, 0, G_OPTION_ARG_STRING, &o->preset,
        help (keep, _("Start from a preset: %s; the other options override it"),
              choices (keep, SWAG_CHOICE_PRESET)),
        _("NAME") },
      { "backbone", 0, 0, G_OPTION_ARG_STRING, &o->backbone,
        help (keep, _("Network: %s (default %s)"),
              choices (keep, SWAG_CHOICE_BACKBONE), bb[d.backbone]),
        _("NAME") },
      { "pooling", 0, 0, G_OPTION_ARG_STRING, &o->pooling,
        help (keep, _("Pooling of VGG-19 and the pseudo networks: %s (default %s)"),
              choices (keep, SWAG_CHOICE_POOLING), pool[d.pooling]),
        _("KIND") },
      { "weights", 0, 0, G_OPTION_ARG_FILENAME, &o->weights,
        _("random (default), pretrained (vgg19.safetensors or resnet50.safetensors looked up under $XDG_DATA_HOME and $XDG_DATA_DIRS in swag-style/weights/), or a .safetensors file"),
        _("WEIGHTS") },
      { "seed", 0, 0, G_OPTION_ARG_STRING, &o->seed,
        help (keep, _("Seed of the random weights and noise (default %s)"),
              number (keep, (double) d.seed)),
        _("N") },
      { "smoothing", 0, 0, G_OPTION_ARG_STRING, &o->smoothing,
        help (keep, _("SWAG smoothing: %s (default %s)"),
              choices (keep, SWAG_CHOICE_SMOOTHING), sm[d.smoothing]),
        _("MODE") },
      { "smooth-layers", 0, 0, G_OPTION_ARG_STRING, &o->smooth_layers,
        _("Comma-separated taps to smooth (default: every loss tap)"),
        _("TAPS") },
      { "style-layers", 0, 0, G_OPTION_ARG_STRING, &o->style_layers,
        help (keep, _("Comma-separated style taps (default %s; %s)"),
              swag_default_style_layers (SWAG_BACKBONE_VGG19),
              swag_default_style_layers (SWAG_BACKBONE_RESNET50)),
        _("TAPS") },
      { "content-layers", 0, 0, G_OPTION_ARG_STRING, &o->content_layers,
        help (keep, _("Comma-separated content taps, may be empty (default %s; %s)"),
              swag_default_content_layers (SWAG_BACKBONE_VGG19),
              swag_default_content_layers (SWAG_BACKBONE_RESNET50)),
        _("TAPS") },
      { "temperature", 0, 0, G_OPTION_ARG_STRING, &o->temperature,
        help (keep, _("Softmax temperature (default %s)"),
              number (keep, d.temperature)),
        _("T") },
      { "alpha", 0, 0, G_OPTION_ARG_STRING, &o->alpha,
        help (keep, _("Factor of the scale smoothing (default %s)"),
              number (keep, d.alpha)),
        _("A") },
      { "iterations", 'n', 0, G_OPTION_ARG_STRING, &o->iterations,
        help (keep, _("Loss evaluations over all scales (default %d)"),
              d.iterations),
        _("N") },
      { "style-strength", 0, 0, G_OPTION_ARG_STRING, &o->style_strength,
        help (keep, _("Normalised style loss against content loss (default %s)"),
              number (keep, d.style_strength)),
        _("W") },
      { "style-weight", 0, 0, G_OPTION_ARG_STRING, &o->style_weight,
        _("Raw (paper) style weight; raw weights replace --style-strength when either is above 0"),
        _("W") },
      { "content-weight", 0, 0, G_OPTION_ARG_STRING, &o->content_weight,
        _("Raw (paper) content weight"), _("W") },
      { "tv-weight", 0, 0, G_OPTION_ARG_STRING, &o->tv_weight,
        help (keep, _("Total-variation weight (default %s)"),
              number (keep, d.tv_weight)),
        _("W") },
      { "size", 0, 0, G_OPTION_ARG_STRING, &o->size,
        help (keep, _("Longest side of the optimisation in pixels (default %d)"),
              d.size),
        _("PIXELS") },
      { "scales", 0, 0, G_OPTION_ARG_STRING, &o->scales,
        help (keep, _("Coarse-to-fine scales, 1 = single (default %d)"),
              d.scales),
        _("N") },
      { "optimizer", 0, 0, G_OPTION_ARG_STRING, &o->optimizer,
        help (keep, _("Optimiser: %s (default %s)"),
              choices (keep, SWAG_CHOICE_OPTIMIZER), opt[d.optimizer]),
        _("NAME") },
      { "lbfgs-history", 0, 0, G_OPTION_ARG_STRING, &o->lbfgs_history,
        help (keep, _("L-BFGS history pairs (default %d)"), d.lbfgs_history),
        _("N") },
      { "learning-rate", 0, 0, G_OPTION_ARG_STRING, &o->learning_rate,
        help (keep, _("Adam's learning rate, image units (default %s)"),
              number (keep, d.learning_rate)),
        _("R") },
      { "init", 0, 0, G_OPTION_ARG_STRING, &o->init,
        help (keep, _("Starting image: %s (default %s)"),
              choices (keep, SWAG_CHOICE_INIT), ini[d.init]),
        _("KIND") },
      { "preserve-colors", 0, 0, G_OPTION_ARG_NONE, &o->preserve_colors,
        _("Keep the content's colours: luminance-only transfer"), NULL },
      { "match-histogram", 0, 0, G_OPTION_ARG_NONE, &o->match_histogram,
        _("Match the content's colour histogram to the first style first"),
        NULL },
      { "style-scale", 0, 0, G_OPTION_ARG_STRING, &o->style_scale,
        help (keep, _("Style image size relative to the content (default %s)"),
              number (keep, d.style_scale)),
        _("F") },
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
      { "version", 0, 0, G_OPTION_ARG_NONE, &o->version,
        _("Print the version and exit"), NULL },
      { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->args,
        NULL, NULL },
      { NULL, 0, 0, 0, NULL, NULL, NULL }
    };

    ctx = g_option_context_new (_("CONTENT STYLE [STYLE…] -o OUT"));
    g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
    g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  }
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

/* ------------------------------------------------------- value parsing -- */

static gboolean
bad_value (GError **error, const char *flag, const char *text, const char *what)
{
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("--%s: “%s” is not %s"), flag, text, what);
  return FALSE;
}

static gboolean
parse_int (const char *flag, const char *text, int *out, GError **error)
{
  gint64 v;

  if (!text)
    return TRUE;
  if (!g_ascii_string_to_signed (text, 10, G_MININT, G_MAXINT, &v, NULL))
    return bad_value (error, flag, text, _("a whole number"));
  *out = (int) v;
  return TRUE;
}

/* g_ascii_strtod: "0.5" whatever the locale, as scripts write it. Ranges are
 * the engine's to check (swag_params_validate), with its messages. */
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

static gboolean
parse_choice (SwagChoice choice, const char *flag, const char *text, int *out,
              GError **error)
{
  int v;

  if (!text)
    return TRUE;
  v = swag_choice_parse (choice, text, error);
  if (v < 0)
    {
      g_prefix_error (error, "--%s: ", flag);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

/* The full unsigned 64-bit range, and negative numbers taken modulo 2^64:
 * the report writes seeds as signed 64-bit integers, and reading one back
 * must give the same run. */
static gboolean
parse_seed (const char *text, guint64 *out, GError **error)
{
  gint64  s;
  guint64 u;

  if (!text)
    return TRUE;
  if (text[0] == '-')
    {
      if (!g_ascii_string_to_signed (text, 10, G_MININT64, 0, &s, NULL))
        return bad_value (error, "seed", text, _("a whole number"));
      *out = (guint64) s;
      return TRUE;
    }
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &u, NULL))
    return bad_value (error, "seed", text, _("a whole number"));
  *out = u;
  return TRUE;
}

/* The blend weights, one per style, each finite and >= 0, not all 0. */
static double *
parse_blend (const char *text, int n_styles, GError **error)
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

/* Defaults, then the preset, then every flag given. The strings in @p point
 * into @o. */
static gboolean
options_to_params (const CliOptions *o, SwagParams *p, GError **error)
{
  int backbone = -1, pooling = -1, smoothing = -1, optimizer = -1, init = -1;

  swag_params_init_defaults (p);
  if (o->preset && !swag_params_apply_preset (p, o->preset, error))
    {
      g_prefix_error (error, "--preset: ");
      return FALSE;
    }
  if (!parse_choice (SWAG_CHOICE_BACKBONE, "backbone", o->backbone, &backbone, error)
      || !parse_choice (SWAG_CHOICE_POOLING, "pooling", o->pooling, &pooling, error)
      || !parse_choice (SWAG_CHOICE_SMOOTHING, "smoothing", o->smoothing, &smoothing, error)
      || !parse_choice (SWAG_CHOICE_OPTIMIZER, "optimizer", o->optimizer, &optimizer, error)
      || !parse_choice (SWAG_CHOICE_INIT, "init", o->init, &init, error))
    return FALSE;
  if (backbone >= 0) p->backbone = backbone;
  if (pooling >= 0) p->pooling = pooling;
  if (smoothing >= 0) p->smoothing = smoothing;
  if (optimizer >= 0) p->optimizer = optimizer;
  if (init >= 0) p->init = init;

  if (o->weights)
    p->weights = o->weights;
  if (o->style_layers)
    p->style_layers = o->style_layers;
  if (o->content_layers)
    p->content_layers = o->content_layers;
  if (o->smooth_layers)
    p->smooth_layers = o->smooth_layers;
  if (o->preserve_colors)
    p->preserve_colors = TRUE;
  if (o->match_histogram)
    p->match_histogram = TRUE;

  if (!parse_seed (o->seed, &p->seed, error)
      || !parse_double ("temperature", o->temperature, &p->temperature, error)
      || !parse_double ("alpha", o->alpha, &p->alpha, error)
      || !parse_int ("iterations", o->iterations, &p->iterations, error)
      || !parse_double ("style-strength", o->style_strength, &p->style_strength, error)
      || !parse_double ("style-weight", o->style_weight, &p->style_weight, error)
      || !parse_double ("content-weight", o->content_weight, &p->content_weight, error)
      || !parse_double ("tv-weight", o->tv_weight, &p->tv_weight, error)
      || !parse_int ("size", o->size, &p->size, error)
      || !parse_int ("scales", o->scales, &p->scales, error)
      || !parse_int ("lbfgs-history", o->lbfgs_history, &p->lbfgs_history, error)
      || !parse_double ("learning-rate", o->learning_rate, &p->learning_rate, error)
      || !parse_double ("style-scale", o->style_scale, &p->style_scale, error))
    return FALSE;

  if (o->memory_limit)
    {
      guint64 mib;
      if (!g_ascii_string_to_unsigned (o->memory_limit, 10, 1,
                                       G_MAXUINT64 >> 20, &mib, NULL))
        return bad_value (error, "memory-limit", o->memory_limit,
                          _("a positive number of MiB"));
      p->memory_limit = mib << 20;
    }

  if (!swag_params_validate (p, error))
    return FALSE;
  return TRUE;
}

/* ---------------------------------------------------------------- jobs -- */

typedef enum
{
  RUN_OK,
  RUN_FAILED,       /* this file failed; a batch goes on */
  RUN_FATAL,        /* every file would fail (the network): stop */
  RUN_INTERRUPTED
} RunStatus;

typedef struct
{
  SwagParams    params;
  gboolean      diagnose, quiet, tty;
  char        **style_paths;     /* (n_styles) borrowed */
  SwagImage   **styles;          /* (n_styles) */
  int           n_styles;
  double       *blend;           /* (n_styles) or NULL */
  gboolean      styles_diagnosed;
  SwagNet      *net;
  CliReport    *report;
  JsonObject   *settings;        /* the report's "settings" */
  CliProgress   progress;
} Job;

static char *
display (const char *path)
{
  return g_filename_display_name (path);
}

/* The report's settings: the engine's object (every setting of a run and
 * the version) plus what lives outside SwagParams: the preset, the blend
 * shares actually used and the thread count. */
static JsonObject *
settings_object (const SwagParams *p, const char *preset, const double *blend,
                 int n_styles)
{
  char       *text = swag_params_to_json (p);
  JsonNode   *node;
  JsonObject *obj;
  JsonArray  *shares = json_array_new ();
  double      sum = 0;

  /* The engine writes valid JSON itself (not through json-glib). */
  node = json_from_string (text, NULL);
  g_free (text);
  if (node && JSON_NODE_HOLDS_OBJECT (node))
    obj = json_object_ref (json_node_get_object (node));
  else
    {
      /* Should not happen; the run is worth more than its report. */
      obj = json_object_new ();
      json_object_set_string_member (obj, "version", swag_version ());
    }
  if (node)
    json_node_unref (node);

  for (int i = 0; i < n_styles; i++)
    sum += blend ? blend[i] : 1.0;
  for (int i = 0; i < n_styles; i++)
    json_array_add_double_element (shares, (blend ? blend[i] : 1.0) / sum);
  json_object_set_array_member (obj, "style-blend", shares);
  if (preset)
    json_object_set_string_member (obj, "preset", preset);
  else
    json_object_set_null_member (obj, "preset");
  json_object_set_int_member (obj, "threads", swag_get_threads ());
  return obj;
}

/* TRUE when a @w x @h image is large enough for the network at a working
 * size of @size (the engine's own check, through its estimate: swag.h does
 * not say the smallest side a network takes). No memory limit here: this
 * only asks about the size. */
static gboolean
image_fits_network (const SwagParams *params, int w, int h, int size,
                    GError **error)
{
  SwagParams   p = *params;
  SwagEstimate est;

  p.size = CLAMP (size, 16, 16384);
  p.memory_limit = G_MAXUINT64;
  return swag_transfer_estimate (&p, w, h, w, h, &est, error);
}

static gboolean
ensure_net (Job *job, GError **error)
{
  if (job->net && swag_net_matches (job->net, &job->params))
    return TRUE;
  g_clear_pointer (&job->net, swag_net_free);
  if (job->tty && !job->quiet)
    {
      fputs (_("Preparing the network…"), stderr);
      fflush (stderr);
    }
  job->net = swag_net_new (&job->params, error);
  if (job->tty && !job->quiet)
    {
      fputs ("\r\033[K", stderr);
      fflush (stderr);
    }
  return job->net != NULL;
}

/* Loads the style images once: each must be large enough for the network
 * at its own size (the engine scales styles with the content, and up when
 * they become too narrow, but refuses one that is too small to begin
 * with). */
static gboolean
load_styles (Job *job, gboolean for_transfer)
{
  job->styles = g_new0 (SwagImage *, job->n_styles);
  for (int i = 0; i < job->n_styles; i++)
    {
      GError *err = NULL;
      char   *shown = display (job->style_paths[i]);
      SwagImage *im = cli_image_load (job->style_paths[i], NULL, &err);

      if (im && !image_fits_network (&job->params, im->width, im->height,
                                     for_transfer ? MAX (im->width, im->height)
                                                  : job->params.size, &err))
        {
          g_prefix_error (&err, "%s: ", shown);
          swag_image_free (im);
          im = NULL;
        }
      g_free (shown);
      if (!im)
        {
          say_error ("%s", err->message);
          g_error_free (err);
          return FALSE;
        }
      job->styles[i] = im;
    }
  return TRUE;
}

/* --------------------------------------------------------- diagnosis -- */

static void
print_table (GPtrArray *rows, int n_columns)
{
  int *width = g_new0 (int, n_columns);

  for (guint r = 0; r < rows->len; r++)
    for (int c = 0; c < n_columns; c++)
      {
        const char *cell = ((char **) g_ptr_array_index (rows, r))[c];
        width[c] = MAX (width[c], (int) g_utf8_strlen (cell, -1));
      }
  for (guint r = 0; r < rows->len; r++)
    {
      char **row = g_ptr_array_index (rows, r);
      fputs ("  ", stdout);
      for (int c = 0; c < n_columns; c++)
        {
          /* Names left, numbers right; padded by characters, not bytes. */
          int pad = width[c] - (int) g_utf8_strlen (row[c], -1);
          if (c < 2)
            printf ("%s%*s", row[c], c + 1 < n_columns ? pad + 2 : 0, "");
          else
            printf ("%*s%s%s", pad, "", row[c], c + 1 < n_columns ? "  " : "");
        }
      fputc ('\n', stdout);
    }
  g_free (width);
}

static gboolean
diagnose_image (Job *job, const SwagImage *image, const char *path,
                const char *role, const char *title)
{
  GError       *err = NULL;
  int           n = 0;
  char         *shown = display (path);
  const SwagImage *source = job->n_styles > 0 ? job->styles[0] : NULL;
  SwagTapStats *stats;
  gboolean      with_t = job->params.smoothing == SWAG_SMOOTHING_SOFTMAX
                         || job->params.smoothing == SWAG_SMOOTHING_CHANNEL_SOFTMAX
                         || job->params.smoothing == SWAG_SMOOTHING_AUTO;
  int           n_columns = with_t ? 6 : 5;
  GPtrArray    *rows;

  /* "auto" takes its temperatures from the first style, as the run does. */
  stats = swag_diagnose (job->net, image, source, &job->params, &n, &err);
  if (!stats)
    {
      say_error ("%s: %s", shown, err->message);
      g_error_free (err);
      g_free (shown);
      return FALSE;
    }

  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  {
    char **head = g_new0 (char *, n_columns + 1);
    head[0] = g_strdup (_("tap"));
    head[1] = g_strdup (_("shape"));
    head[2] = g_strdup (_("max activation"));
    head[3] = g_strdup (_("max Gram"));
    head[4] = g_strdup (_("Gram entropy"));
    if (with_t)
      head[5] = g_strdup (_("temperature"));
    g_ptr_array_add (rows, head);
  }
  for (int i = 0; i < n; i++)
    {
      char **row = g_new0 (char *, n_columns + 1);
      row[0] = g_strdup (stats[i].name);
      row[1] = g_strdup_printf ("%d×%d×%d", stats[i].channels,
                                stats[i].height, stats[i].width);
      row[2] = g_strdup_printf ("%.6g", stats[i].max_activation);
      row[3] = g_strdup_printf ("%.6g", stats[i].max_gram);
      row[4] = g_strdup_printf ("%.6f", stats[i].gram_entropy);
      if (with_t)
        row[5] = stats[i].temperature > 0
                 ? g_strdup_printf ("%.6g", stats[i].temperature)
                 : g_strdup ("-");
      g_ptr_array_add (rows, row);
    }
  printf ("%s %s (%d×%d)\n", title, shown, image->width, image->height);
  print_table (rows, n_columns);
  fflush (stdout);
  g_ptr_array_unref (rows);

  cli_report_diagnosis (job->report, role, shown, stats, n);
  g_free (stats);
  g_free (shown);
  return TRUE;
}

static gboolean
diagnose_styles (Job *job)
{
  if (job->styles_diagnosed)
    return TRUE;
  job->styles_diagnosed = TRUE;
  for (int i = 0; i < job->n_styles; i++)
    {
      char *title = g_strdup_printf (_("style %d"), i + 1);
      gboolean ok = diagnose_image (job, job->styles[i], job->style_paths[i],
                                    "style", title);
      g_free (title);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

/* -------------------------------------------------------------- a run -- */

static JsonObject *
run_extra (Job *job, const char *content, const char *out)
{
  JsonObject *o = json_object_new ();
  JsonArray  *styles = json_array_new ();
  char       *s;

  s = display (content);
  json_object_set_string_member (o, "content", s);
  g_free (s);
  for (int i = 0; i < job->n_styles; i++)
    {
      s = display (job->style_paths[i]);
      json_array_add_string_element (styles, s);
      g_free (s);
    }
  json_object_set_array_member (o, "styles", styles);
  if (out)
    {
      s = display (out);
      json_object_set_string_member (o, "output", s);
      g_free (s);
    }
  return o;
}

static void
append_duration (GString *s, double seconds)
{
  long t = (long) floor (seconds + 0.5);

  if (t >= 3600)
    g_string_append_printf (s, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    g_string_append_printf (s, "%ld:%02ld", t / 60, t % 60);
}

/* One content: load, check, (diagnose), stylise, write. @out NULL: only
 * diagnose. */
static RunStatus
run_one (Job *job, const char *content_path, const char *out, CliFormat format,
         const char *label)
{
  GError      *err = NULL;
  char        *shown = display (content_path);
  SwagImage   *content, *result = NULL;
  const SwagImage *largest;
  gboolean     alpha = FALSE;
  SwagEstimate est;
  RunStatus    status = RUN_FAILED;
  JsonObject  *extra;
  gint64       t0 = g_get_monotonic_time ();

  content = cli_image_load (content_path, &alpha, &err);
  if (!content)
    {
      say_error ("%s", err->message);
      goto out;
    }

  /* Before any work: does the run fit (size and memory)? Diagnosis alone
   * only needs the size to suit the network, and may have no style
   * (largest NULL); a run always has one (main refuses it otherwise). */
  largest = swag_largest_image ((const SwagImage *const *) job->styles,
                                job->n_styles);
  if (out && largest
      ? !swag_transfer_estimate (&job->params, content->width,
                                 content->height, largest->width,
                                 largest->height, &est, &err)
      : !image_fits_network (&job->params, content->width,
                             content->height, job->params.size, &err))
    {
      say_error ("%s: %s", shown, err->message);
      goto out;
    }

  if (interrupted)
    {
      status = RUN_INTERRUPTED;
      goto out;
    }
  if (!ensure_net (job, &err))
    {
      say_error ("%s", err->message);
      status = RUN_FATAL;
      goto out;
    }
  if (interrupted)
    {
      status = RUN_INTERRUPTED;
      goto out;
    }

  if (job->diagnose)
    {
      cli_report_begin (job->report, job->settings, NULL);
      if (!diagnose_image (job, content, content_path, "content", _("content"))
          || !diagnose_styles (job))
        goto out;
      if (interrupted)
        {
          status = RUN_INTERRUPTED;
          goto out;
        }
    }
  if (!out)
    {
      status = RUN_OK;
      goto out;
    }

  extra = run_extra (job, content_path, out);
  cli_report_begin (job->report, job->settings, extra);
  json_object_unref (extra);
  job->progress.label = label;
  cli_progress_start (&job->progress);
  result = swag_transfer_run (job->net, content,
                              (const SwagImage *const *) job->styles,
                              job->blend, job->n_styles, &job->params,
                              cli_progress_func, &job->progress, NULL, &err);
  cli_progress_clear (&job->progress);
  if (!result)
    {
      if (g_error_matches (err, SWAG_ERROR, SWAG_ERROR_CANCELLED))
        status = RUN_INTERRUPTED;
      else
        say_error ("%s: %s", shown, err->message);
      goto out;
    }
  /* Interrupted after the last evaluation: still nothing written. */
  if (interrupted)
    {
      status = RUN_INTERRUPTED;
      goto out;
    }
  if (!cli_image_save (result, alpha, out, format, &err))
    {
      say_error ("%s", err->message);
      goto out;
    }
  status = RUN_OK;
  if (job->tty && !job->quiet)
    {
      GString *s = g_string_new (NULL);
      char    *o = display (out);
      append_duration (s, (g_get_monotonic_time () - t0) / 1e6);
      fprintf (stderr, _("%s: wrote %s (%d×%d) in %s\n"), PROGRAM, o,
               result->width, result->height, s->str);
      g_string_free (s, TRUE);
      g_free (o);
    }

out:
  g_clear_error (&err);
  swag_image_free (content);
  swag_image_free (result);
  g_free (shown);
  return status;
}

/* ------------------------------------------------------------- checks -- */

/* The output file's folder must exist, and OUT must not be one. */
static gboolean
check_output_file (const char *out, GError **error)
{
  char    *shown = display (out);
  char    *dir = g_path_get_dirname (out);
  gboolean ok = FALSE;

  if (g_file_test (out, G_FILE_TEST_IS_DIR))
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR,
                 _("%s: is a folder; give a file name (or use --batch)"), shown);
  else if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                 _("%s: the folder does not exist"), shown);
  else if (access (dir, W_OK) != 0)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_ACCES,
                 _("%s: the folder is not writable"), shown);
  else
    ok = TRUE;
  g_free (dir);
  g_free (shown);
  return ok;
}

/* DIR/NAME.png for each content NAME.ext, refusing two that would land on
 * the same file. */
static char **
batch_outputs (const char *dir, char **contents, GError **error)
{
  int         n = (int) g_strv_length (contents);
  char      **outs = g_new0 (char *, n + 1);
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (int i = 0; i < n; i++)
    {
      char *base = g_path_get_basename (contents[i]);
      char *dot = strrchr (base, '.');
      char *name;
      const char *other;

      if (dot && dot != base)
        *dot = '\0';
      name = g_strconcat (base, ".png", NULL);
      outs[i] = g_build_filename (dir, name, NULL);
      g_free (base);
      g_free (name);
      other = g_hash_table_lookup (seen, outs[i]);
      if (other)
        {
          char *a = display (other), *b = display (contents[i]),
               *o = display (outs[i]);
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("%s and %s would both be written to %s"), a, b, o);
          g_free (a);
          g_free (b);
          g_free (o);
          g_strfreev (outs);
          outs = NULL;
          break;
        }
      g_hash_table_insert (seen, outs[i], contents[i]);
    }
  g_hash_table_unref (seen);
  return outs;
}

/* --------------------------------------------------------------- main -- */

int
main (int argc, char **argv)
{
  CliOptions      o;
  GPtrArray      *keep = g_ptr_array_new_with_free_func (g_free);
  GOptionContext *ctx;
  GError         *err = NULL;
  Job             job;
  char          **contents = NULL, **outs = NULL, **style_list = NULL;
  int             n_args, status = EXIT_OK, threads = 0;
  CliFormat       format = CLI_FORMAT_NONE;
  GPtrArray      *failed = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname (PROGRAM);

  memset (&o, 0, sizeof o);
  memset (&job, 0, sizeof job);
  ctx = options_context (&o, keep);
  if (!g_option_context_parse (ctx, &argc, &argv, &err))
    {
      say_error (_("%s (see --help)"), err->message);
      status = EXIT_USAGE;
      goto out;
    }
  if (o.version)
    {
      printf ("%s (swag-style) %s\n", PROGRAM, swag_version ());
      goto out;
    }

  /* Settings first: a bad value is a usage error, found before any file is
   * touched. */
  if (!options_to_params (&o, &job.params, &err)
      || !parse_int ("threads", o.threads, &threads, &err))
    {
      say_error ("%s", err->message);
      status = EXIT_USAGE;
      goto out;
    }
  if (threads < 0 || threads > 1024)
    {
      say_error (_("--threads must be between 0 (one per core) and 1024 (got %d)"),
                 threads);
      status = EXIT_USAGE;
      goto out;
    }

  /* Which files are what. */
  n_args = o.args ? (int) g_strv_length (o.args) : 0;
  if (o.batch && o.out)
    {
      say_error (_("give either -o OUT or --batch DIR, not both"));
      status = EXIT_USAGE;
      goto out;
    }
  if (!o.batch && !o.out && !o.diagnose)
    {
      say_error (_("nothing to do: give -o OUT, --batch DIR or --diagnose (see --help)"));
      status = EXIT_USAGE;
      goto out;
    }
  if (o.style_files)
    {
      style_list = g_strdupv (o.style_files);
      contents = g_strdupv (o.args ? o.args : (char *[]) { NULL });
    }
  else if (o.batch)
    {
      /* --batch DIR STYLE CONTENT… */
      style_list = g_new0 (char *, 2);
      style_list[0] = n_args > 0 ? g_strdup (o.args[0]) : NULL;
      contents = g_strdupv (n_args > 0 ? o.args + 1 : (char *[]) { NULL });
    }
  else
    {
      /* CONTENT STYLE… */
      contents = g_new0 (char *, 2);
      contents[0] = n_args > 0 ? g_strdup (o.args[0]) : NULL;
      style_list = g_strdupv (n_args > 0 ? o.args + 1 : (char *[]) { NULL });
    }
  job.n_styles = (int) g_strv_length (style_list);
  if (g_strv_length (contents) == 0)
    {
      say_error (_("no content image given (see --help)"));
      status = EXIT_USAGE;
      goto out;
    }
  if (!o.batch && g_strv_length (contents) > 1)
    {
      say_error (_("one content image at a time; use --batch DIR for several"));
      status = EXIT_USAGE;
      goto out;
    }
  if (job.n_styles == 0 && (o.out || o.batch))
    {
      say_error (_("no style image given (see --help)"));
      status = EXIT_USAGE;
      goto out;
    }
  if (o.style_blend && job.n_styles > 0)
    {
      job.blend = parse_blend (o.style_blend, job.n_styles, &err);
      if (!job.blend)
        {
          say_error ("%s", err->message);
          status = EXIT_USAGE;
          goto out;
        }
    }
  /* A weights file that is not there: say so now, not after the images. */
  if (o.weights && strcmp (o.weights, "random") != 0
      && strcmp (o.weights, "pretrained") != 0
      && !g_file_test (o.weights, G_FILE_TEST_EXISTS))
    {
      char *shown = display (o.weights);
      say_error (_("%s: no such weights file"), shown);
      g_free (shown);
      status = EXIT_FAILED;
      goto out;
    }
  if (o.out)
    {
      format = cli_format_from_name (o.out);
      if (format == CLI_FORMAT_NONE)
        {
          char *shown = display (o.out);
          say_error (_("%s: unknown output format; the name must end in .png, .jpg or .jpeg"),
                     shown);
          g_free (shown);
          status = EXIT_USAGE;
          goto out;
        }
      if (!check_output_file (o.out, &err))
        {
          say_error ("%s", err->message);
          status = EXIT_FAILED;
          goto out;
        }
    }
  if (o.batch)
    {
      outs = batch_outputs (o.batch, contents, &err);
      if (!outs)
        {
          say_error ("%s", err->message);
          status = EXIT_USAGE;
          goto out;
        }
      format = CLI_FORMAT_PNG;
    }

  /* Process-wide, once, before any network runs. */
  swag_set_threads (threads);
  catch_sigint ();

  job.diagnose = o.diagnose;
  job.quiet = o.quiet;
  job.tty = isatty (STDERR_FILENO);
  job.style_paths = style_list;
  job.progress.bar = job.tty;
  job.progress.quiet = o.quiet;
  job.progress.cancel = &interrupted;
  job.settings = settings_object (&job.params, o.preset, job.blend,
                                  job.n_styles);

  if (!load_styles (&job, o.out || o.batch))
    {
      status = EXIT_FAILED;
      goto out;
    }
  if (o.batch && g_mkdir_with_parents (o.batch, 0777) != 0)
    {
      int   e = errno;
      char *shown = display (o.batch);
      say_error (_("%s: cannot create the folder: %s"), shown, g_strerror (e));
      g_free (shown);
      status = EXIT_FAILED;
      goto out;
    }
  if (o.report)
    {
      job.report = cli_report_open (o.report, &err);
      if (!job.report)
        {
          say_error ("%s", err->message);
          status = EXIT_FAILED;
          goto out;
        }
      job.progress.report = job.report;
    }

  if (!o.batch)
    {
      switch (run_one (&job, contents[0], o.out, format, NULL))
        {
        case RUN_OK:          status = EXIT_OK; break;
        case RUN_FAILED:
        case RUN_FATAL:       status = EXIT_FAILED; break;
        case RUN_INTERRUPTED: status = EXIT_INTERRUPTED; break;
        }
    }
  else
    {
      int n = (int) g_strv_length (contents);

      failed = g_ptr_array_new_with_free_func (g_free);
      for (int i = 0; i < n && status == EXIT_OK; i++)
        {
          char     *base = g_path_get_basename (contents[i]);
          char     *label = g_strdup_printf ("%d/%d %s", i + 1, n, base);
          RunStatus r = run_one (&job, contents[i], outs[i], format, label);

          g_free (base);
          g_free (label);
          if (r == RUN_INTERRUPTED)
            status = EXIT_INTERRUPTED;
          else if (r == RUN_FATAL)
            status = EXIT_FAILED;
          else if (r == RUN_FAILED)
            g_ptr_array_add (failed, display (contents[i]));
        }
      if (status == EXIT_OK && failed->len > 0)
        {
          GString *list = g_string_new (NULL);
          for (guint i = 0; i < failed->len; i++)
            g_string_append_printf (list, "%s%s", i ? ", " : "",
                                    (char *) g_ptr_array_index (failed, i));
          say_error (ngettext ("%u of %d image failed: %s",
                               "%u of %d images failed: %s", n),
                     failed->len, n, list->str);
          g_string_free (list, TRUE);
          status = EXIT_FAILED;
        }
    }
  if (status == EXIT_INTERRUPTED)
    say_error (_("interrupted"));

out:
  if (job.report && !cli_report_close (job.report, &err))
    {
      say_error ("%s", err->message);
      if (status == EXIT_OK)
        status = EXIT_FAILED;
    }
  g_clear_error (&err);
  for (int i = 0; job.styles && i < job.n_styles; i++)
    swag_image_free (job.styles[i]);
  g_free (job.styles);
  g_free (job.blend);
  swag_net_free (job.net);
  if (job.settings)
    json_object_unref (job.settings);
  if (failed)
    g_ptr_array_unref (failed);
  g_strfreev (contents);
  g_strfreev (style_list);
  g_strfreev (outs);
  options_clear (&o);
  g_option_context_free (ctx);
  g_ptr_array_unref (keep);
  return status;
}
