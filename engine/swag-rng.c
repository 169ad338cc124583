/* swag-rng.c: the seeded counter-based generator (engine/README.md).
 * GPL-3.0-or-later. */
#include "swag-rng.h"

#include <math.h>

/* splitmix64's finaliser: a bijection on 64 bits with good avalanche, so that
 * consecutive counters give unrelated outputs. Unsigned arithmetic wraps
 * modulo 2^64, as the specification requires. */
static inline guint64
mix (guint64 z)
{
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

guint64
swag_rng_key (const char *name)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  /* Bytes, not chars: a signed char would sign-extend non-ASCII UTF-8. */
  for (const guchar *p = (const guchar *) name; *p != '\0'; p++)
    {
      h ^= *p;
      h *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return h;
}

guint64
swag_rng_u64 (guint64 seed, guint64 key, guint64 i)
{
  return mix (mix (seed ^ mix (key))
              + (i + 1) * G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
}

double
swag_rng_uniform (guint64 seed, guint64 key, guint64 i)
{
  /* 53 bits and a half-step offset: never 0, so log is finite. (For the
   * very top value the half step rounds away and the result is exactly 1.0;
   * harmless for Box-Muller and what the numpy reference does too.) */
  return ((double) (swag_rng_u64 (seed, key, i) >> 11) + 0.5)
         * 0x1.0p-53;
}

double
swag_rng_normal (guint64 seed, guint64 key, guint64 i)
{
  /* Box-Muller with its own pair of uniforms per element (2i, 2i + 1), so
   * element i never depends on its neighbours. The sine half is dropped on
   * purpose. */
  double u1 = swag_rng_uniform (seed, key, 2 * i);
  double u2 = swag_rng_uniform (seed, key, 2 * i + 1);

  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

void
swag_rng_fill_normal (float *out, gsize n, double mean, double std,
                      guint64 seed, guint64 key)
{
  for (gsize i = 0; i < n; i++)
    out[i] = (float) (mean + std * swag_rng_normal (seed, key, i));
}

void
swag_rng_fill_uniform (float *out, gsize n, double lo, double hi,
                       guint64 seed, guint64 key)
{
  for (gsize i = 0; i < n; i++)
    out[i] = (float) (lo + (hi - lo) * swag_rng_uniform (seed, key, i));
}
