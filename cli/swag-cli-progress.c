/* swag-cli-progress.c: progress on a terminal, notes, the report, Ctrl-C.
 * GPL-3.0-or-later. */
#include "swag-cli-progress.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define BAR_CELLS 16
#define REDRAW_US (100 * 1000)        /* at most ten redraws a second */
#define CLOCK_US (500 * 1000)         /* between evaluations, keep the clock going */

void
cli_progress_start (CliProgress *pr)
{
  pr->drawn = FALSE;
  pr->last_draw = 0;
  pr->have_last = FALSE;
  pr->rate_scale = -1;
  pr->rate_it0 = 0;
  pr->rate_t0 = 0;
  pr->per_eval = 0;
}

void
cli_progress_clear (CliProgress *pr)
{
  if (pr->drawn)
    {
      fputs ("\r\033[K", stderr);
      fflush (stderr);
      pr->drawn = FALSE;
    }
}

static int
terminal_columns (void)
{
  struct winsize ws;

  if (ioctl (STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  return 80;
}

static void
append_time (GString *s, double seconds)
{
  long t = (long) floor (MAX (seconds, 0) + 0.5);

  if (t >= 3600)
    g_string_append_printf (s, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    g_string_append_printf (s, "%ld:%02ld", t / 60, t % 60);
}

/* Seconds left after evaluation @p, from the measured time per evaluation
 * at this scale. The engine splits the evaluations evenly over the scales
 * and each finer scale has four times the pixels, so costs about four times
 * as much per evaluation. */
static double
seconds_left (const CliProgress *pr, const SwagProgress *p)
{
  int    n = MAX (p->n_scales, 1), total = p->total_iterations;
  int    share = total / n, done = p->iteration + 1;
  int    end_here = p->scale == n - 1 ? total : (p->scale + 1) * share;
  double left = pr->per_eval * MAX (end_here - done, 0), factor = 1;

  for (int j = p->scale + 1; j < n; j++)
    {
      int evals = j == n - 1 ? total - (n - 1) * share : share;
      factor *= 4;
      left += pr->per_eval * factor * evals;
    }
  return left;
}

static void
measure (CliProgress *pr, const SwagProgress *p)
{
  if (p->scale != pr->rate_scale)
    {
      /* A new scale: guess from the last one until this one is measured. */
      pr->per_eval = pr->per_eval > 0 ? pr->per_eval * 4
                                      : p->elapsed / (p->iteration + 1);
      pr->rate_scale = p->scale;
      pr->rate_it0 = p->iteration;
      pr->rate_t0 = p->elapsed;
    }
  else if (p->iteration > pr->rate_it0)
    pr->per_eval = (p->elapsed - pr->rate_t0) / (p->iteration - pr->rate_it0);
}

static void
draw (CliProgress *pr, double elapsed)
{
  const SwagProgress *p = &pr->last;
  GString *s = g_string_new ("\r");
  int      done = p->iteration + 1, total = MAX (p->total_iterations, 1);
  int      cells = (int) ((gint64) BAR_CELLS * MIN (done, total) / total);
  char     loss[G_ASCII_DTOSTR_BUF_SIZE];
  double   left = seconds_left (pr, p) - (elapsed - p->elapsed);
  int      columns = terminal_columns (), len;
  char    *line;

  /* Short enough for 80 columns: "[====    ] 14/30  loss 0.5336  scale 2/3
   * 32×32  0:01 (0:03 left)". */
  if (pr->label)
    g_string_append_printf (s, "%s ", pr->label);
  g_string_append_c (s, '[');
  for (int i = 0; i < BAR_CELLS; i++)
    g_string_append_c (s, i < cells ? '=' : ' ');
  g_string_append_printf (s, "] %d/%d  ", done, p->total_iterations);
  g_snprintf (loss, sizeof loss, "%.4g", p->total);
  g_string_append_printf (s, _("loss %s"), loss);
  g_string_append (s, "  ");
  g_string_append_printf (s, _("scale %d/%d %d×%d"), p->scale + 1,
                          p->n_scales, p->width, p->height);
  g_string_append (s, "  ");
  append_time (s, elapsed);
  if (pr->per_eval > 0)
    {
      GString *t = g_string_new (NULL);
      append_time (t, left);
      g_string_append_c (s, ' ');
      g_string_append_printf (s, _("(%s left)"), t->str);
      g_string_free (t, TRUE);
    }

  /* A line longer than the terminal would wrap and \r could not go back
   * over it: cut it to the width, counting characters, not bytes. */
  line = s->str + 1;
  len = (int) g_utf8_strlen (line, -1);
  if (len > columns - 1)
    g_string_truncate (s, (gsize) (g_utf8_offset_to_pointer (line, columns - 1)
                                   - s->str));
  g_string_append (s, "\033[K");
  fputs (s->str, stderr);
  fflush (stderr);
  g_string_free (s, TRUE);
  pr->drawn = TRUE;
  pr->last_draw = g_get_monotonic_time ();
}

gboolean
cli_progress_func (const SwagProgress *p, gpointer data)
{
  CliProgress *pr = data;
  gint64       now;

  switch (p->kind)
    {
    case SWAG_PROGRESS_EVALUATION:
      cli_report_evaluation (pr->report, p);
      measure (pr, p);
      pr->last = *p;
      pr->last.layers = NULL;    /* borrowed for this call only */
      pr->last.n_layers = 0;
      pr->last.image = NULL;
      pr->last.message = NULL;
      pr->have_last = TRUE;
      now = g_get_monotonic_time ();
      if (pr->bar && !pr->quiet
          && (now - pr->last_draw >= REDRAW_US || !pr->drawn
              || p->iteration + 1 >= p->total_iterations))
        draw (pr, p->elapsed);
      break;
    case SWAG_PROGRESS_LAYER:
      now = g_get_monotonic_time ();
      if (pr->bar && !pr->quiet && pr->have_last
          && now - pr->last_draw >= CLOCK_US)
        draw (pr, p->elapsed);
      break;
    case SWAG_PROGRESS_MESSAGE:
      if (!pr->quiet && p->message)
        {
          /* On its own line, and the bar comes back below it. */
          cli_progress_clear (pr);
          fprintf (stderr, "swag-transfer: %s\n", p->message);
          fflush (stderr);
          if (pr->bar && pr->have_last)
            draw (pr, p->elapsed);
        }
      break;
    }
  return !(pr->cancel && *pr->cancel);
}
