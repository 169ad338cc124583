/* swag-i18n.h: marks the engine's messages for translation. Internal, not
 * installed.
 *
 * The engine is a library: it never calls setlocale() nor binds a domain.
 * Its messages are looked up in the gettext domain GETTEXT_PACKAGE
 * ("swag-style"), which the front ends bind: GIMP for the plug-in (its
 * set_i18n), swag-transfer in main(). Without that, or under the C locale
 * (the engine's tests), the English text is used.
 *
 * GPL-3.0-or-later. */
#ifndef SWAG_I18N_H
#define SWAG_I18N_H

#include <glib.h>

#define _(String)  g_dgettext (GETTEXT_PACKAGE, String)
#define N_(String) (String)

#endif /* SWAG_I18N_H */
