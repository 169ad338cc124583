/* swag-cli-report.h: the --report file, JSON Lines: one object per loss
 * evaluation (docs/interfaces.md) and one per diagnosed image. GPL-3.0-or-later. */
#ifndef SWAG_CLI_REPORT_H
#define SWAG_CLI_REPORT_H

#include "swag.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _CliReport CliReport;

/* Creates (truncates) @path. */
CliReport *cli_report_open   (const char *path, GError **error);

/* The next line written carries "settings": @settings (a JSON object, not
 * taken) and the extra members of @extra (may be NULL, not taken): the first
 * line of the diagnosis and of every run. */
void       cli_report_begin  (CliReport  *report,
                              JsonObject *settings,
                              JsonObject *extra);

/* {"scale", "size": [W, H], "iteration", "total", "layers": {tap:
 * {"content": x|null, "style": y|null}}} for an EVALUATION. */
void       cli_report_evaluation (CliReport          *report,
                                  const SwagProgress *progress);

/* {"diagnose": ROLE, "image": NAME, "taps": {tap: {"shape": [C, H, W],
 * "max_activation", "max_gram", "gram_entropy", "temperature": t|null}}}. */
void       cli_report_diagnosis  (CliReport          *report,
                                  const char         *role,
                                  const char         *image_name,
                                  const SwagTapStats *stats,
                                  int                 n_stats);

/* Closes the file; FALSE when some write failed (the error names the file).
 * NULL is fine. */
gboolean   cli_report_close  (CliReport *report, GError **error);

/* json-glib 1.6 (Debian 12) writes a double whose shortest form has an
 * exponent and no point, such as 1e17, as "1e+17.0", which is not JSON (the
 * paper-resnet50 presets' style weight is 1e17). Drops that ".0", outside
 * strings, in place. */
void       cli_json_repair   (char *text);

G_END_DECLS

#endif /* SWAG_CLI_REPORT_H */
