/* swag-style: the plug-in's dialog, with a live preview.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#ifndef SWAG_DIALOG_H
#define SWAG_DIALOG_H

#include <libgimp/gimp.h>

G_BEGIN_DECLS

/* Adds the dialog's own auxiliary arguments (the "Preview" toggle), which
 * GIMP remembers with the last values but which are not part of the
 * procedure's signature. */
void              swag_dialog_add_arguments (GimpProcedure        *procedure);

/* Shows the dialog for @config, stylising a small copy of the first of
 * @drawables as the settings change. GIMP_PDB_SUCCESS when the user
 * pressed OK (@config then holds the settings), GIMP_PDB_CANCEL when not,
 * GIMP_PDB_CALLING_ERROR with @error when there is no display.
 *
 * Test hooks, read from the environment: SWAG_DIALOG_TEST_DIR names a
 * folder where the dialog writes its mnemonic letters (mnemonics.txt), the
 * preview's place in the window (preview-rect.txt), a line per preview
 * frame (frames.txt) and the longest main-loop stall while the preview ran
 * (stall.txt); SWAG_DIALOG_STALL_LOG=1 prints that stall on stderr. */
GimpPDBStatusType swag_dialog_run           (GimpProcedure        *procedure,
                                             GimpProcedureConfig  *config,
                                             GimpDrawable        **drawables,
                                             GError              **error);

G_END_DECLS

#endif /* SWAG_DIALOG_H */
