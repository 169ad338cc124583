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
#include "swag-cli-options.h"
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

  const SwagSetting *range = swag_setting_find ("size");

  p.size = CLAMP (size, (int) range->min, (int) range->max);
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
  /* The inputs' own checks (each style's size, a fully transparent style)
   * before the network is built, as swag.h asks of every front end. */
  if (out && !swag_transfer_check_inputs (&job->params, content->width,
                                          content->height,
                                          (const SwagImage *const *) job->styles,
                                          job->n_styles, &err))
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

/* Each step of main returns an exit status, or GO_ON. */
#define GO_ON (-1)

/* What the files are, and what becomes of each. */
typedef struct
{
  char    **contents;  /* the content images, in order */
  char    **outs;      /* --batch: DIR/NAME.png for each content, else NULL */
  char    **styles;    /* the style images */
  CliFormat format;    /* of the outputs */
  int       threads;   /* --threads; 0: one per core */
} Plan;

/* Parse: the options into @job's settings. Settings first: a bad value is
 * a usage error, found before any file is touched. */
static int
parse_options (GOptionContext *ctx, int *argc, char ***argv, CliOptions *o,
               Job *job, Plan *plan)
{
  GError *err = NULL;

  if (!g_option_context_parse (ctx, argc, argv, &err))
    {
      say_error (_("%s (see --help)"), err->message);
      g_error_free (err);
      return EXIT_USAGE;
    }
  if (o->version)
    {
      printf ("%s (swag-style) %s\n", PROGRAM, swag_version ());
      return EXIT_OK;
    }
  if (o->dump_settings)
    {
      GString *text = g_string_new (NULL);
      gboolean ok = cli_dump_settings (o->dump_settings, text, &err);

      fputs (text->str, stdout);
      g_string_free (text, TRUE);
      if (ok)
        return EXIT_OK;
      say_error ("%s", err->message);
      g_error_free (err);
      return EXIT_USAGE;
    }
  if (!cli_options_to_params (o, &job->params, &err)
      || !cli_parse_int ("threads", o->threads, &plan->threads, &err))
    {
      say_error ("%s", err->message);
      g_error_free (err);
      return EXIT_USAGE;
    }
  if (plan->threads < 0 || plan->threads > 1024)
    {
      say_error (_("--threads must be between 0 (one per core) and 1024 (got %d)"),
                 plan->threads);
      return EXIT_USAGE;
    }
  return GO_ON;
}

/* Which files are contents and which styles, in each of the three forms. */
static void
sort_files (const CliOptions *o, Plan *plan)
{
  int n_args = o->args ? (int) g_strv_length (o->args) : 0;

  if (o->style_files)
    {
      plan->styles = g_strdupv (o->style_files);
      plan->contents = g_strdupv (o->args ? o->args : (char *[]) { NULL });
    }
  else if (o->batch)
    {
      /* --batch DIR STYLE CONTENT… */
      plan->styles = g_new0 (char *, 2);
      plan->styles[0] = n_args > 0 ? g_strdup (o->args[0]) : NULL;
      plan->contents = g_strdupv (n_args > 0 ? o->args + 1 : (char *[]) { NULL });
    }
  else
    {
      /* CONTENT STYLE… */
      plan->contents = g_new0 (char *, 2);
      plan->contents[0] = n_args > 0 ? g_strdup (o->args[0]) : NULL;
      plan->styles = g_strdupv (n_args > 0 ? o->args + 1 : (char *[]) { NULL });
    }
}

/* The output: a known format, in a folder that can take it; in a batch,
 * one name per content. */
static int
plan_outputs (const CliOptions *o, Plan *plan)
{
  GError *err = NULL;

  if (o->out)
    {
      plan->format = cli_format_from_name (o->out);
      if (plan->format == CLI_FORMAT_NONE)
        {
          char *shown = display (o->out);
          say_error (_("%s: unknown output format; the name must end in .png, .jpg or .jpeg"),
                     shown);
          g_free (shown);
          return EXIT_USAGE;
        }
      if (!check_output_file (o->out, &err))
        {
          say_error ("%s", err->message);
          g_error_free (err);
          return EXIT_FAILED;
        }
    }
  if (o->batch)
    {
      plan->outs = batch_outputs (o->batch, plan->contents, &err);
      if (!plan->outs)
        {
          say_error ("%s", err->message);
          g_error_free (err);
          return EXIT_USAGE;
        }
      plan->format = CLI_FORMAT_PNG;
    }
  return GO_ON;
}

/* Plan: what the files are and what is to be made of them; nothing is
 * read yet. */
static int
plan_files (const CliOptions *o, Job *job, Plan *plan)
{
  GError            *err = NULL;
  const SwagSetting *weights = swag_setting_find ("weights");

  if (o->batch && o->out)
    {
      say_error (_("give either -o OUT or --batch DIR, not both"));
      return EXIT_USAGE;
    }
  if (!o->batch && !o->out && !o->diagnose)
    {
      say_error (_("nothing to do: give -o OUT, --batch DIR or --diagnose (see --help)"));
      return EXIT_USAGE;
    }
  sort_files (o, plan);
  job->n_styles = (int) g_strv_length (plan->styles);
  if (g_strv_length (plan->contents) == 0)
    {
      say_error (_("no content image given (see --help)"));
      return EXIT_USAGE;
    }
  if (!o->batch && g_strv_length (plan->contents) > 1)
    {
      say_error (_("one content image at a time; use --batch DIR for several"));
      return EXIT_USAGE;
    }
  if (job->n_styles == 0 && (o->out || o->batch))
    {
      say_error (_("no style image given (see --help)"));
      return EXIT_USAGE;
    }
  if (o->style_blend && job->n_styles > 0)
    {
      job->blend = cli_parse_blend (o->style_blend, job->n_styles, &err);
      if (!job->blend)
        {
          say_error ("%s", err->message);
          g_error_free (err);
          return EXIT_USAGE;
        }
    }
  /* A weights file that is not there: say so now, not after the images. */
  if (job->params.weights
      && !g_strv_contains (weights->choices, job->params.weights)
      && !g_file_test (job->params.weights, G_FILE_TEST_EXISTS))
    {
      char *shown = display (job->params.weights);
      say_error (_("%s: no such weights file"), shown);
      g_free (shown);
      return EXIT_FAILED;
    }
  return plan_outputs (o, plan);
}

/* Prepare: the threads, Ctrl-C, the styles (once for every content), the
 * batch's folder and the report. */
static int
prepare (const CliOptions *o, Job *job, const Plan *plan)
{
  GError *err = NULL;

  /* Process-wide, once, before any network runs. */
  swag_set_threads (plan->threads);
  catch_sigint ();

  job->diagnose = o->diagnose;
  job->quiet = o->quiet;
  job->tty = isatty (STDERR_FILENO);
  job->style_paths = plan->styles;
  job->progress.bar = job->tty;
  job->progress.quiet = o->quiet;
  job->progress.cancel = &interrupted;
  job->settings = settings_object (&job->params, o->preset, job->blend,
                                   job->n_styles);

  if (!load_styles (job, o->out || o->batch))
    return EXIT_FAILED;
  if (o->batch && g_mkdir_with_parents (o->batch, 0777) != 0)
    {
      int   e = errno;
      char *shown = display (o->batch);
      say_error (_("%s: cannot create the folder: %s"), shown, g_strerror (e));
      g_free (shown);
      return EXIT_FAILED;
    }
  if (o->report)
    {
      job->report = cli_report_open (o->report, &err);
      if (!job->report)
        {
          say_error ("%s", err->message);
          g_error_free (err);
          return EXIT_FAILED;
        }
      job->progress.report = job->report;
    }
  return GO_ON;
}

/* Run, a batch: every content in turn; one that fails is reported and
 * skipped, the network failing stops the batch. */
static int
run_batch (Job *job, const Plan *plan)
{
  int        n = (int) g_strv_length (plan->contents);
  int        status = EXIT_OK;
  GPtrArray *failed = g_ptr_array_new_with_free_func (g_free);

  for (int i = 0; i < n && status == EXIT_OK; i++)
    {
      char     *base = g_path_get_basename (plan->contents[i]);
      char     *label = g_strdup_printf ("%d/%d %s", i + 1, n, base);
      RunStatus r = run_one (job, plan->contents[i], plan->outs[i],
                             plan->format, label);

      g_free (base);
      g_free (label);
      if (r == RUN_INTERRUPTED)
        status = EXIT_INTERRUPTED;
      else if (r == RUN_FATAL)
        status = EXIT_FAILED;
      else if (r == RUN_FAILED)
        g_ptr_array_add (failed, display (plan->contents[i]));
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
  g_ptr_array_unref (failed);
  return status;
}

/* Run: the one content, or the batch. */
static int
run (const CliOptions *o, Job *job, const Plan *plan)
{
  int status = EXIT_OK;

  if (o->batch)
    status = run_batch (job, plan);
  else
    switch (run_one (job, plan->contents[0], o->out, plan->format, NULL))
      {
      case RUN_OK:
        status = EXIT_OK;
        break;
      case RUN_FAILED:
      case RUN_FATAL:
        status = EXIT_FAILED;
        break;
      case RUN_INTERRUPTED:
        status = EXIT_INTERRUPTED;
        break;
      }
  if (status == EXIT_INTERRUPTED)
    say_error (_("interrupted"));
  return status;
}

static void
job_clear (Job *job)
{
  for (int i = 0; job->styles && i < job->n_styles; i++)
    swag_image_free (job->styles[i]);
  g_free (job->styles);
  g_free (job->blend);
  swag_net_free (job->net);
  if (job->settings)
    json_object_unref (job->settings);
}

static void
plan_clear (Plan *plan)
{
  g_strfreev (plan->contents);
  g_strfreev (plan->outs);
  g_strfreev (plan->styles);
}

int
main (int argc, char **argv)
{
  CliOptions      o = { 0 };
  Job             job = { 0 };
  Plan            plan = { 0 };
  GOptionContext *ctx;
  GError         *err = NULL;
  int             status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname (PROGRAM);

  ctx = cli_options_context (&o);
  status = parse_options (ctx, &argc, &argv, &o, &job, &plan);
  if (status == GO_ON)
    status = plan_files (&o, &job, &plan);
  if (status == GO_ON)
    status = prepare (&o, &job, &plan);
  if (status == GO_ON)
    status = run (&o, &job, &plan);

  /* A report is only complete once closed. */
  if (job.report && !cli_report_close (job.report, &err))
    {
      say_error ("%s", err->message);
      g_clear_error (&err);
      if (status == EXIT_OK)
        status = EXIT_FAILED;
    }
  job_clear (&job);
  plan_clear (&plan);
  g_option_context_free (ctx);
  cli_options_clear (&o);
  return status;
}
