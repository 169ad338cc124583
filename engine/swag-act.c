/* swag-act.c: not written yet. GPL-3.0-or-later. */
#include "swag.h"
