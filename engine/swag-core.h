/* swag-core.h: small shared helpers of the engine. Internal.
 * GPL-3.0-or-later. */
#ifndef SWAG_CORE_H
#define SWAG_CORE_H

#include <glib.h>

G_BEGIN_DECLS

int      swag_cpu_count        (void);
guint64  swag_memory_available (void);

/* g_try_malloc of n floats with an overflow check; NULL with
 * SWAG_ERROR_NO_MEMORY naming @what (marked with N_(), translated in the
 * message). Free with g_free. */
gpointer swag_try_alloc_floats (gsize n, const char *what, GError **error);

/* @value (UTF-8) as a JSON string, quotes included, appended to @out. The
 * engine writes its JSON by hand (json-glib 1.6 prints 1e17 as "1e+17.0",
 * which is not JSON, and has no unsigned integers). */
void     swag_json_append_string (GString *out, const char *value);

G_END_DECLS

#endif /* SWAG_CORE_H */
