/* swag-rng.h: the seeded counter-based generator of engine/README.md.
 * Element i of a stream depends only on (seed, key, i): the same on every
 * machine, thread count and order of generation. Internal to the engine.
 *
 * GPL-3.0-or-later.
 */
#ifndef SWAG_RNG_H
#define SWAG_RNG_H

#include <glib.h>

G_BEGIN_DECLS

guint64 swag_rng_key     (const char *name);  /* FNV-1a 64 */
guint64 swag_rng_u64     (guint64 seed, guint64 key, guint64 i);
double  swag_rng_uniform (guint64 seed, guint64 key, guint64 i); /* (0, 1) */
double  swag_rng_normal  (guint64 seed, guint64 key, guint64 i);

/* out[i] = (float) (mean + std * normal(seed, key, i)), i < n */
void    swag_rng_fill_normal (float *out, gsize n, double mean, double std,
                              guint64 seed, guint64 key);

/* out[i] = (float) (lo + (hi - lo) * uniform(seed, key, i)), i < n */
void    swag_rng_fill_uniform (float *out, gsize n, double lo, double hi,
                               guint64 seed, guint64 key);

G_END_DECLS

#endif /* SWAG_RNG_H */
