/* swag-cli-options.h: swag-transfer's options: its own flags, and one flag
 * per setting of the engine's table (swag_settings), with --help texts made
 * from the table's help, range and default; and the options turned into
 * SwagParams. GPL-3.0-or-later. */
#ifndef SWAG_CLI_OPTIONS_H
#define SWAG_CLI_OPTIONS_H

#include "swag.h"

G_BEGIN_DECLS

/* Every value as given, NULL (or FALSE) when the flag was not. */
typedef struct
{
  /* The command line's own. */
  char      *out, *batch, *report, *preset, *style_blend, *threads;
  char      *memory_limit, *dump_settings;
  char     **style_files;
  gboolean   diagnose, quiet, version;
  char     **args;      /* the files */

  /* One per entry of swag_settings (), in its order. */
  char     **values;    /* text given, or NULL */
  gboolean  *switches;  /* BOOLEAN settings given */
  gboolean  *negated;   /* BOOLEAN settings given as --no-NAME */
  int        n_settings;

  GPtrArray *keep;      /* --help texts, alive as long as the context */
} CliOptions;

/* The option context that fills @o (zeroed by the caller); free it before
 * cli_options_clear (@o). */
GOptionContext *cli_options_context   (CliOptions *o);
void            cli_options_clear     (CliOptions *o);

/* The defaults, then --preset, then every setting given (in the table's
 * order, wherever it stands on the line), then the checks of
 * swag_params_validate. The strings of @p point into @o. */
gboolean        cli_options_to_params (const CliOptions *o,
                                       SwagParams       *p,
                                       GError          **error);

/* Whole numbers of the command line's own flags (--threads): @out is
 * unchanged when @text is NULL. */
gboolean        cli_parse_int         (const char  *flag,
                                       const char  *text,
                                       int         *out,
                                       GError     **error);

/* --style-blend: the weights, one per style, each finite and >= 0, not
 * all 0; g_free. NULL with an error otherwise. */
double         *cli_parse_blend       (const char  *text,
                                       int          n_styles,
                                       GError     **error);

/* The table of settings and the presets, for scripts and the reference:
 * "json" (every field of each entry) or "markdown" (docs/interfaces.md's
 * generated part). English, whatever the locale. FALSE for another
 * @format. */
gboolean        cli_dump_settings     (const char  *format,
                                       GString     *out,
                                       GError     **error);

G_END_DECLS

#endif /* SWAG_CLI_OPTIONS_H */
