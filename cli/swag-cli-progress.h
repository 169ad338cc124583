/* swag-cli-progress.h: the engine's progress callback for the command line:
 * a bar on a terminal, notes, the report, and Ctrl-C. GPL-3.0-or-later. */
#ifndef SWAG_CLI_PROGRESS_H
#define SWAG_CLI_PROGRESS_H

#include "swag.h"
#include "swag-cli-report.h"

#include <signal.h>

G_BEGIN_DECLS

typedef struct
{
  /* Set by the caller. */
  gboolean                     bar;      /* draw a bar (stderr is a terminal) */
  gboolean                     quiet;    /* no bar and no notes */
  const char                  *label;    /* before the bar ("2/5 cat.png"), or NULL */
  CliReport                   *report;   /* or NULL */
  const volatile sig_atomic_t *cancel;   /* non-zero: stop the run */

  /* Internal. */
  gboolean  drawn;          /* a bar is on the current line */
  gint64    last_draw;      /* monotonic µs */
  SwagProgress last;        /* the last evaluation (layers not kept) */
  gboolean  have_last;
  int       rate_scale;     /* scale whose speed is being measured */
  int       rate_it0;       /* its first evaluation seen */
  double    rate_t0;        /*   and the time of it */
  double    per_eval;       /* seconds per evaluation at rate_scale, 0 = unknown */
} CliProgress;

/* Ready for a run: resets what the previous run measured. */
void     cli_progress_start  (CliProgress *progress);

/* The SwagProgressFunc: FALSE once *cancel is set. */
gboolean cli_progress_func   (const SwagProgress *p, gpointer data);

/* Erases the bar, if any, so that the next message starts a clean line. */
void     cli_progress_clear  (CliProgress *progress);

G_END_DECLS

#endif /* SWAG_CLI_PROGRESS_H */
