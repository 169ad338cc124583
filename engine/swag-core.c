/* swag-core.c: not written yet. GPL-3.0-or-later. */
#include "swag.h"

G_DEFINE_QUARK (swag-error-quark, swag_error)
