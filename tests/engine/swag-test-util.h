/* swag-test-util.h: helpers shared by the engine tests. GPL-3.0-or-later. */
#ifndef SWAG_TEST_UTIL_H
#define SWAG_TEST_UTIL_H

#include "swag-net.h"

G_BEGIN_DECLS

/* Reads a raw little-endian float32 file of exactly n floats, path relative
 * to tests/reference/. Fails the test on any error. */
float *swag_test_load_f32 (const char *relative, gsize n);

/* Writes a torchvision-style state dict for @net's topology to a new file in
 * @dir: convolution weights from the seeded generator as swag_net_init_random
 * makes them (Kaiming normal; Glorot uniform for the multi-scale network),
 * biases 0 where a convolution has its own (VGG, multi-scale), and
 * batch-norm tensors either at their initial state (perturb = FALSE) or
 * perturbed as tests/reference/README.md says, plus an unused "fc.weight".
 * Returns the path (g_free). */
char  *swag_test_write_state_dict (const SwagNet *net, guint64 seed,
                                   gboolean perturb, const char *dir);

/* A temporary folder for one test, removed by swag_test_rmdir. */
char  *swag_test_mkdtemp (void);
void   swag_test_rmdir   (const char *dir);

/* Relative L2 error |a - b| / |b| over n values, in double. */
double swag_test_rel_l2  (const float *a, const double *b, gsize n);

G_END_DECLS

#endif
