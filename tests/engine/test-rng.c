/* test-rng.c: the seeded generator against engine/README.md. GPL-3.0-or-later. */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "swag-rng.h"

/* Known answers from tests/reference/rng_vectors.py (an independent numpy
 * implementation); regenerate with /usr/bin/python3 and paste. */
static const struct
{
  const char *name;
  guint64     key;
} key_vectors[] = {
  { "", G_GUINT64_CONSTANT (0xcbf29ce484222325) },
  { "caf\303\251", G_GUINT64_CONSTANT (0x48e8823acfa40d89) },
  { "conv1.weight", G_GUINT64_CONSTANT (0x69a29a2cee47d254) },
  { "features.0.weight", G_GUINT64_CONSTANT (0xf70f941a24398456) },
  { "layer1.0.downsample.0.weight", G_GUINT64_CONSTANT (0x1e07cc2694dc6daf) },
  { "noise", G_GUINT64_CONSTANT (0x6c092771d20768d1) },
};

static const struct
{
  guint64     seed;
  const char *name;
  guint64     i;
  guint64     u64;
  double      uniform;
  double      normal;
} vectors[] = {
  { G_GUINT64_CONSTANT (0), "", G_GUINT64_CONSTANT (0),
    G_GUINT64_CONSTANT (0x7261e9031e12a9d7), 0x1.c987a40c784abp-2, -0x1.cc50dd88b1ad8p-3 },
  { G_GUINT64_CONSTANT (0), "features.0.weight", G_GUINT64_CONSTANT (0),
    G_GUINT64_CONSTANT (0xd9b0d92e80b112a1), 0x1.b361b25d01622p-1, 0x1.17bcf9e3f205ep-5 },
  { G_GUINT64_CONSTANT (0), "features.0.weight", G_GUINT64_CONSTANT (1),
    G_GUINT64_CONSTANT (0xc271e9ab53189632), 0x1.84e3d356a6312p-1, 0x1.cb4802e761283p-1 },
  { G_GUINT64_CONSTANT (42), "features.0.weight", G_GUINT64_CONSTANT (0),
    G_GUINT64_CONSTANT (0x3c08106e4bc30d9b), 0x1.e04083725e186p-3, 0x1.92f2faedd26bcp-1 },
  { G_GUINT64_CONSTANT (42), "features.0.weight", G_GUINT64_CONSTANT (12345),
    G_GUINT64_CONSTANT (0xfcae3d7798a4f59d), 0x1.f95c7aef3149ep-1, -0x1.c726168d2fe18p-1 },
  { G_GUINT64_CONSTANT (42), "layer1.0.downsample.0.weight", G_GUINT64_CONSTANT (7),
    G_GUINT64_CONSTANT (0x9653f51ff88bba57), 0x1.2ca7ea3ff1178p-1, 0x1.024878dac20b3p-3 },
  { G_GUINT64_CONSTANT (18446744073709551615), "conv1.weight", G_GUINT64_CONSTANT (4294967295),
    G_GUINT64_CONSTANT (0x7bb0564864524945), 0x1.eec1592191493p-2, -0x1.226d424ebe98fp+0 },
  { G_GUINT64_CONSTANT (1234567890123456789), "noise", G_GUINT64_CONSTANT (9223372036854775807),
    G_GUINT64_CONSTANT (0x17ac2fcda29aa3f0), 0x1.7ac2fcda29aa4p-4, -0x1.20ee358a5fa45p-1 },
  { G_GUINT64_CONSTANT (7), "caf\303\251", G_GUINT64_CONSTANT (3),
    G_GUINT64_CONSTANT (0xa3bb99f2bb319188), 0x1.477733e576632p-1, 0x1.658d35798a557p-1 },
};

static void
test_key (void)
{
  for (gsize j = 0; j < G_N_ELEMENTS (key_vectors); j++)
    g_assert_cmphex (swag_rng_key (key_vectors[j].name), ==, key_vectors[j].key);
}

static void
test_known_answers (void)
{
  for (gsize j = 0; j < G_N_ELEMENTS (vectors); j++)
    {
      guint64 key = swag_rng_key (vectors[j].name);
      double normal = swag_rng_normal (vectors[j].seed, key, vectors[j].i);

      /* Integer and uniform paths are exact by construction. */
      g_assert_cmphex (swag_rng_u64 (vectors[j].seed, key, vectors[j].i), ==,
                       vectors[j].u64);
      g_assert_cmpfloat (swag_rng_uniform (vectors[j].seed, key, vectors[j].i),
                         ==, vectors[j].uniform);
      /* log and cos may differ by an ulp between glibc and numpy's own
       * vectorised kernels: allow a few. */
      g_assert_cmpfloat_with_epsilon (normal, vectors[j].normal,
                                      1e-14 * MAX (1.0, fabs (vectors[j].normal)));
    }
}

static void
test_uniform_range (void)
{
  /* Drawn values: strictly inside (0, 1) in practice. */
  guint64 key = swag_rng_key ("range");

  for (guint64 i = 0; i < 100000; i++)
    {
      double u = swag_rng_uniform (3, key, i);
      g_assert_cmpfloat (u, >, 0.0);
      g_assert_cmpfloat (u, <, 1.0);
    }
  /* The ends of the formula. The low end is 2^-54 > 0, so log is finite.
   * Above 2^52 the half step is below a double's resolution and rounds to
   * even, so the top value is exactly 1.0: the interval is really (0, 1].
   * That is harmless (log 1 = 0, cos 2 pi = 1) and numpy rounds the same. */
  g_assert_cmpfloat ((0.0 + 0.5) * 0x1.0p-53, ==, 0x1.0p-54);
  g_assert_cmpfloat (((double) (G_MAXUINT64 >> 11) + 0.5) * 0x1.0p-53, ==, 1.0);
}

static void
test_statistics (void)
{
  const gsize n = 100000;
  float *x = g_new (float, n);
  double sum = 0.0, sum2 = 0.0;

  swag_rng_fill_normal (x, n, 0.0, 1.0, 2026, swag_rng_key ("statistics"));
  for (gsize i = 0; i < n; i++)
    {
      g_assert_true (isfinite (x[i]));
      sum += x[i];
    }
  double mean = sum / n;
  for (gsize i = 0; i < n; i++)
    sum2 += (x[i] - mean) * (x[i] - mean);
  double var = sum2 / n;

  /* Standard errors at n = 1e5: mean 0.0032, variance 0.0045; allow ~5. */
  g_assert_cmpfloat (fabs (mean), <, 0.016);
  g_assert_cmpfloat (fabs (var - 1.0), <, 0.023);

  /* Mean and std are applied as mean + std * z. */
  float *y = g_new (float, n);
  swag_rng_fill_normal (y, n, 3.0, 0.5, 2026, swag_rng_key ("statistics"));
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (y[i], ==, (float) (3.0 + 0.5 * (double) swag_rng_normal (
                         2026, swag_rng_key ("statistics"), i)));
  g_free (y);
  g_free (x);
}

static void
test_order_independent (void)
{
  const gsize n = 4096;
  guint64 key = swag_rng_key ("features.0.weight");
  float *all = g_new (float, n);
  float *one = g_new (float, n);

  swag_rng_fill_normal (all, n, 0.0, 1.0, 42, key);
  /* Element-wise, backwards: element i depends on nothing but (seed, key, i). */
  for (gsize i = n; i-- > 0;)
    one[i] = (float) swag_rng_normal (42, key, i);
  g_assert_cmpmem (all, n * sizeof (float), one, n * sizeof (float));

  /* A shorter fill is a prefix of a longer one. */
  float *part = g_new (float, n / 3);
  swag_rng_fill_normal (part, n / 3, 0.0, 1.0, 42, key);
  g_assert_cmpmem (part, n / 3 * sizeof (float), all, n / 3 * sizeof (float));

  /* Another seed or key gives another stream. */
  swag_rng_fill_normal (one, n, 0.0, 1.0, 43, key);
  g_assert_true (memcmp (all, one, n * sizeof (float)) != 0);
  swag_rng_fill_normal (one, n, 0.0, 1.0, 42, swag_rng_key ("features.2.weight"));
  g_assert_true (memcmp (all, one, n * sizeof (float)) != 0);

  g_free (part);
  g_free (one);
  g_free (all);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rng/key", test_key);
  g_test_add_func ("/rng/known-answers", test_known_answers);
  g_test_add_func ("/rng/uniform-range", test_uniform_range);
  g_test_add_func ("/rng/statistics", test_statistics);
  g_test_add_func ("/rng/order-independent", test_order_independent);
  return g_test_run ();
}
