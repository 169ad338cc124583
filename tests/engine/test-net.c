/* test-net.c: network topologies, evaluation (memory plan, gradients,
 * cancel) and weight loading. GPL-3.0-or-later. */
#include "swag-net.h"
#include "swag-objective.h"
#include "swag-rng.h"
#include "swag-safetensors.h"
#include "swag-test-util.h"

#include <math.h>
#include <string.h>

static SwagNet *
random_net (SwagBackbone backbone, SwagPooling pooling, guint64 seed)
{
  SwagParams p;
  GError    *error = NULL;
  SwagNet   *net;

  swag_params_init_defaults (&p);
  p.backbone = backbone;
  p.pooling = pooling;
  p.seed = seed;
  net = swag_net_new (&p, &error);
  g_assert_no_error (error);
  return net;
}

static void
check_shape (const SwagNet *net, const char *tap, int h, int w, int c,
             int oh, int ow)
{
  GError    *error = NULL;
  int        node = swag_net_find_tap (net, tap, &error);
  SwagShape *shapes = g_new (SwagShape, net->n_nodes);

  g_assert_no_error (error);
  g_assert_true (swag_net_shapes (net, h, w, node, shapes, &error));
  g_assert_no_error (error);
  g_assert_cmpint (shapes[node].c, ==, c);
  g_assert_cmpint (shapes[node].h, ==, oh);
  g_assert_cmpint (shapes[node].w, ==, ow);
  g_free (shapes);
}

static void
test_topology_vgg19 (void)
{
  SwagNet *net = swag_net_topology_new (SWAG_BACKBONE_VGG19, SWAG_POOLING_MAX);

  /* 16 convolutions (ReLU fused) and 5 pools; torchvision's parameter count
   * of vgg19().features. */
  g_assert_cmpint (net->n_nodes, ==, 21);
  g_assert_cmpuint (net->block_floats, ==, 20024384);
  check_shape (net, "relu1_1", 224, 224, 64, 224, 224);
  check_shape (net, "relu2_1", 224, 224, 128, 112, 112);
  check_shape (net, "relu3_1", 224, 224, 256, 56, 56);
  check_shape (net, "relu4_1", 224, 224, 512, 28, 28);
  check_shape (net, "relu4_2", 224, 224, 512, 28, 28);
  check_shape (net, "relu5_1", 224, 224, 512, 14, 14);
  check_shape (net, "features.36", 224, 224, 512, 7, 7);
  check_shape (net, "relu5_1", 45, 67, 512, 2, 4);
  g_assert_cmpint (swag_net_min_side (net, swag_net_find_tap (net, "relu5_1", NULL)), ==, 16);
  swag_net_free (net);
}

/* Which input sides reach a tap with every row: VGG's 2x2 floor pools drop
 * the last row of an odd side; ResNet's padded stride-2 windows never do. */
static void
test_side_whole (void)
{
  SwagNet *vgg = swag_net_topology_new (SWAG_BACKBONE_VGG19, SWAG_POOLING_AVG);
  SwagNet *res = swag_net_topology_new (SWAG_BACKBONE_RESNET50, SWAG_POOLING_MAX);
  SwagNet *pseudo = swag_net_topology_new (SWAG_BACKBONE_PSEUDO_VGG,
                                           SWAG_POOLING_MAX);
  int      v5 = swag_net_find_tap (vgg, "relu5_1", NULL);
  int      v2 = swag_net_find_tap (vgg, "relu2_1", NULL);
  int      r4 = swag_net_find_tap (res, "conv4_2", NULL);
  int      p4 = swag_net_find_tap (pseudo, "conv4_2", NULL);

  /* 4 pools before relu5_1: multiples of 16 only */
  g_assert_true (swag_net_side_whole (vgg, v5, 448));
  g_assert_true (swag_net_side_whole (vgg, v5, 304));
  g_assert_false (swag_net_side_whole (vgg, v5, 451));   /* 451 -> 225 */
  g_assert_false (swag_net_side_whole (vgg, v5, 300));   /* 75 -> 37 */
  g_assert_false (swag_net_side_whole (vgg, v5, 456));   /* 57 -> 28 */
  /* 1 pool before relu2_1: any even side */
  g_assert_true (swag_net_side_whole (vgg, v2, 300));
  g_assert_false (swag_net_side_whole (vgg, v2, 451));
  /* every side reaches conv4_2 whole, 1x1 stride-2 projections aside */
  for (int side = 32; side < 600; side++)
    g_assert_true (swag_net_side_whole (res, r4, side));
  /* the pseudo-VGG's 2x2 pools: the stem's and three between stages */
  g_assert_true (swag_net_side_whole (pseudo, p4, 256));
  g_assert_false (swag_net_side_whole (pseudo, p4, 260));
  swag_net_free (vgg);
  swag_net_free (res);
  swag_net_free (pseudo);
}

static void
test_topology_resnet50 (void)
{
  SwagNet *net = swag_net_topology_new (SWAG_BACKBONE_RESNET50, SWAG_POOLING_MAX);

  /* torchvision resnet50: 25,557,032 parameters, of which fc has 2,049,000
   * and batch-norm 53,120 (weight and bias of 26,560 channels); every
   * channel's folded bias gets a float here. */
  g_assert_cmpuint (net->block_floats, ==, 25557032 - 2049000 - 53120 + 26560);
  check_shape (net, "conv0_0", 224, 224, 64, 112, 112);
  check_shape (net, "maxpool", 224, 224, 64, 56, 56);
  check_shape (net, "conv1_2", 224, 224, 256, 56, 56);
  check_shape (net, "conv2_3", 224, 224, 512, 28, 28);
  check_shape (net, "conv3_5", 224, 224, 1024, 14, 14);
  check_shape (net, "conv4_2", 224, 224, 2048, 7, 7);
  check_shape (net, "conv4_2", 45, 67, 2048, 2, 3);
  swag_net_free (net);

  net = swag_net_topology_new (SWAG_BACKBONE_NORESNET50, SWAG_POOLING_MAX);
  /* No downsample convolutions: 4 of them, (64+256+512+1024)*4*... fewer. */
  g_assert_cmpuint (net->block_floats, <, 25557032 - 2049000 - 53120 + 26560);
  for (int i = 0; i < net->n_nodes; i++)
    g_assert_cmpint (net->nodes[i].op, !=, SWAG_NODE_ADD);
  check_shape (net, "conv4_2", 224, 224, 2048, 7, 7);
  swag_net_free (net);
}

static void
test_topology_pseudo (void)
{
  for (int b = SWAG_BACKBONE_PSEUDO_VGG; b <= SWAG_BACKBONE_PSEUDO_RESVGG; b++)
    {
      SwagNet *net = swag_net_topology_new (b, SWAG_POOLING_MAX);
      int      adds = 0, convs = 0;

      check_shape (net, "conv0_0", 64, 64, 64, 64, 64);
      check_shape (net, "conv1_2", 64, 64, 64, 32, 32);
      check_shape (net, "conv2_3", 64, 64, 128, 16, 16);
      check_shape (net, "conv3_5", 64, 64, 256, 8, 8);
      check_shape (net, "conv4_2", 64, 64, 512, 4, 4);
      for (int i = 0; i < net->n_nodes; i++)
        {
          adds += net->nodes[i].op == SWAG_NODE_ADD;
          convs += net->nodes[i].op == SWAG_NODE_CONV;
          if (net->nodes[i].op == SWAG_NODE_CONV && i > 0)
            g_assert_cmpint (net->nodes[i].conv.stride, ==, 1);
        }
      /* stem + 2 per basic block (16 blocks), + 3 projections with shortcuts */
      g_assert_cmpint (convs, ==, 1 + 32 + (b == SWAG_BACKBONE_PSEUDO_RESVGG ? 3 : 0));
      g_assert_cmpint (adds, ==, b == SWAG_BACKBONE_PSEUDO_RESVGG ? 16 : 0);
      swag_net_free (net);
    }
}

/* Eight parallel "same" convolutions of the input, 32 maps each, one node
 * and one tap per kernel side. */
static void
test_topology_multiscale (void)
{
  static const int kernels[8] = { 3, 5, 7, 11, 15, 23, 37, 55 };
  SwagNet *net = swag_net_topology_new (SWAG_BACKBONE_MULTISCALE,
                                        SWAG_POOLING_MAX);
  gsize    floats = 0;

  g_assert_cmpint (net->n_nodes, ==, 8);
  for (int i = 0; i < 8; i++)
    {
      const SwagNode *n = &net->nodes[i];
      char           *tap = g_strdup_printf ("k%d", kernels[i]);
      char           *name = g_strdup_printf ("scales.%d", i);

      g_assert_cmpint (swag_multiscale_kernels[i], ==, kernels[i]);
      g_assert_cmpint (n->op, ==, SWAG_NODE_CONV);
      g_assert_cmpint (n->in0, ==, -1);          /* the input, every one */
      g_assert_true (n->relu);
      g_assert_null (n->bn);                     /* a bias of its own */
      g_assert_cmpstr (n->name, ==, name);
      g_assert_cmpint (n->conv.in_c, ==, 3);
      g_assert_cmpint (n->conv.out_c, ==, SWAG_MULTISCALE_FILTERS);
      g_assert_cmpint (n->conv.kh, ==, kernels[i]);
      g_assert_cmpint (n->conv.kw, ==, kernels[i]);
      g_assert_cmpint (n->conv.stride, ==, 1);
      g_assert_cmpint (n->conv.pad, ==, kernels[i] / 2);
      g_assert_cmpint (swag_net_find_tap (net, tap, NULL), ==, i);
      g_assert_cmpint (swag_net_find_tap (net, name, NULL), ==, i);
      g_assert_cmpstr (swag_net_tap_name (net, i), ==, tap);
      /* "same": the input's size, also where the kernel is larger */
      check_shape (net, tap, 45, 67, 32, 45, 67);
      check_shape (net, tap, 5, 3, 32, 5, 3);
      g_assert_true (swag_net_side_whole (net, i, 45));
      floats += (gsize) 32 * 3 * kernels[i] * kernels[i] + 32;
      g_free (tap);
      g_free (name);
    }
  g_assert_cmpuint (net->block_floats, ==, floats);
  g_assert_cmpuint (net->block_floats, ==, 514048);
  g_assert_cmpint (swag_net_min_side (net, 7), ==, 1);
  swag_net_free (net);
}

/* Glorot uniform, as engine/README.md says: element i of scales.N.weight is
 * (float) (-a + 2a uniform(seed, key(name), i)), a = sqrt(6 / (35 k^2)),
 * biases 0; and the FFT path is made for the kernels from 7 up. */
static void
test_init_multiscale (void)
{
  SwagNet *net = random_net (SWAG_BACKBONE_MULTISCALE, SWAG_POOLING_MAX, 2021);

  for (int i = 0; i < net->n_nodes; i++)
    {
      const SwagConvDesc *cv = &net->nodes[i].conv;
      const int           k = cv->kh;
      const gsize         nw = (gsize) 32 * 3 * k * k;
      const double        a = sqrt (6.0 / ((3.0 + 32.0) * k * k));
      char               *name = g_strdup_printf ("scales.%d.weight", i);
      const guint64       key = swag_rng_key (name);
      double              sum = 0, sum2 = 0;

      for (gsize e = 0; e < nw; e++)
        {
          const float want = (float) (-a + 2 * a * swag_rng_uniform (2021, key, e));
          if (cv->weight[e] != want)
            g_error ("%s[%" G_GSIZE_FORMAT "] = %.9g, want %.9g", name, e,
                     cv->weight[e], want);
          g_assert_cmpfloat (fabs (cv->weight[e]), <=, a);
          sum += cv->weight[e];
          sum2 += (double) cv->weight[e] * cv->weight[e];
        }
      for (int o = 0; o < 32; o++)
        g_assert_cmpfloat (cv->bias[o], ==, 0.0f);
      /* uniform on (-a, a): mean 0, variance a^2 / 3 (loosely: 288 to
       * 96800 samples) */
      g_assert_cmpfloat (fabs (sum / nw), <, 0.2 * a);
      g_assert_cmpfloat (fabs (sum2 / nw / (a * a / 3) - 1), <, 0.2);
      if (k >= 7)
        g_assert_nonnull (cv->fft);
      else
        g_assert_null (cv->fft);
      g_assert_null (cv->wino);     /* 3 input channels: not Winograd */
      g_free (name);
    }
  swag_net_free (net);
}

static void
test_taps (void)
{
  SwagNet *net = swag_net_topology_new (SWAG_BACKBONE_RESNET50, SWAG_POOLING_MAX);
  GError  *error = NULL;

  g_assert_cmpint (swag_net_find_tap (net, "conv3_5", NULL), ==,
                   swag_net_find_tap (net, "layer3.5", NULL));
  g_assert_cmpint (swag_net_find_tap (net, "conv0_0", NULL), ==,
                   swag_net_find_tap (net, "relu", NULL));
  g_assert_cmpint (swag_net_find_tap (net, "conv5_0", &error), ==, -1);
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "conv4_2"));
  g_clear_error (&error);
  swag_net_free (net);

  net = swag_net_topology_new (SWAG_BACKBONE_VGG19, SWAG_POOLING_MAX);
  g_assert_cmpint (swag_net_find_tap (net, "features.1", NULL), ==,
                   swag_net_find_tap (net, "relu1_1", NULL));
  g_assert_cmpint (swag_net_find_tap (net, "features.22", NULL), ==,
                   swag_net_find_tap (net, "relu4_2", NULL));
  /* a convolution before its ReLU is not a tap */
  g_assert_cmpint (swag_net_find_tap (net, "features.0", NULL), ==, -1);
  swag_net_free (net);
}

static void
test_memory_plan (void)
{
  static const char *const names[] = { "relu1_1", "relu2_1", "relu3_1",
                                       "relu4_1", "relu4_2", "relu5_1" };
  SwagNet *net = swag_net_topology_new (SWAG_BACKBONE_VGG19, SWAG_POOLING_AVG);
  int      taps[6];
  guint64  fwd, bwd, arena, peak;

  for (int i = 0; i < 6; i++)
    taps[i] = swag_net_find_tap (net, names[i], NULL);
  fwd = swag_eval_bytes (net, 512, 512, taps, 6, FALSE);
  bwd = swag_eval_bytes (net, 512, 512, taps, 6, TRUE);
  g_test_message ("VGG-19 at 512: forward %.0f MiB, with backward %.0f MiB",
                  fwd / 1048576.0, bwd / 1048576.0);
  g_assert_cmpuint (fwd, <, bwd);
  /* The packing stays close to its lower bound, the live peak. */
  for (int b = 0; b < 2; b++)
    {
      swag_eval_plan_stats (net, 512, 512, taps, 6, b, &arena, &peak);
      g_test_message ("arena %.0f MiB, live peak %.0f MiB", arena / 1048576.0,
                      peak / 1048576.0);
      g_assert_cmpuint (arena, >=, peak);
      g_assert_cmpuint (arena, <=, peak + peak / 8);
    }
  swag_net_free (net);

  net = swag_net_topology_new (SWAG_BACKBONE_RESNET50, SWAG_POOLING_MAX);
  {
    static const char *const rn[] = { "conv0_0", "conv1_2", "conv2_3",
                                      "conv3_5", "conv4_2" };
    for (int i = 0; i < 5; i++)
      taps[i] = swag_net_find_tap (net, rn[i], NULL);
    swag_eval_plan_stats (net, 512, 512, taps, 5, TRUE, &arena, &peak);
    g_test_message ("ResNet-50 at 512: arena %.0f MiB, live peak %.0f MiB",
                    arena / 1048576.0, peak / 1048576.0);
    g_assert_cmpuint (arena, <=, peak + peak / 8);
  }
  swag_net_free (net);
}

/* Directional derivative of the whole objective against central
 * differences, for every backbone, at a small odd size. */
/* An alpha of 0 on the left quarter, a ramp up to 1 over the next
 * quarter, 1 on the right half; @flip mirrors it. */
static float *
alpha_ramp (int h, int w, gboolean flip)
{
  float *m = g_new (float, (gsize) h * w);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        const int   xx = flip ? w - 1 - x : x;
        const float t = (float) (xx - w / 4) / (float) (w / 4);
        m[(gsize) y * w + x] = CLAMP (t, 0.0f, 1.0f);
      }
  return m;
}

/* data: the backbone, plus MASKED when the content and style carry alpha
 * (the alpha-weighted Gram and MSE and their backward). */
#define MASKED 0x100

static void
test_gradient (gconstpointer data)
{
  SwagBackbone backbone = GPOINTER_TO_INT (data) & ~MASKED;
  gboolean     masked = (GPOINTER_TO_INT (data) & MASKED) != 0;
  SwagNet     *net = random_net (backbone, SWAG_POOLING_AVG, 3);
  SwagParams   p;
  const int    w = 37, h = 29;
  gsize        n = (gsize) 3 * w * h;
  float       *content = g_new (float, n), *style = g_new (float, n);
  float       *x = g_new (float, n), *d = g_new (float, n);
  float       *grad = g_new (float, n), *xp = g_new (float, n);
  float       *cmask = masked ? alpha_ramp (h, w, FALSE) : NULL;
  float       *smask = masked ? alpha_ramp (h, w, TRUE) : NULL;
  SwagPlanar   cp = { content, cmask, h, w }, sp = { style, smask, h, w };
  SwagObjective *obj;
  GError      *error = NULL;
  double       f0, fp, fm, dd = 0, eps = 1e-4;

  for (gsize i = 0; i < n; i++)
    {
      content[i] = (float) swag_rng_uniform (1, 1, i);
      style[i] = (float) swag_rng_uniform (1, 2, i);
      x[i] = CLAMP (content[i] + 0.2f * (float) swag_rng_normal (1, 3, i), 0, 1);
      d[i] = (float) swag_rng_normal (1, 4, i);
    }
  swag_params_init_defaults (&p);
  p.backbone = backbone;
  p.tv_weight = 0.1;
  if (backbone == SWAG_BACKBONE_VGG19)
    p.style_layers = "relu1_1,relu2_1,relu3_1";   /* 29 px: no deeper */
  else if (backbone == SWAG_BACKBONE_MULTISCALE)
    p.style_layers = "k3,k7,k15,k55";   /* direct, and FFT kernels larger
                                           than the image */
  else
    p.style_layers = "conv0_0,conv1_2,conv2_3";
  p.content_layers = backbone == SWAG_BACKBONE_VGG19 ? "relu2_1"
                     : backbone == SWAG_BACKBONE_MULTISCALE ? "k5,k23,k37"
                     : "conv1_2";
  obj = swag_objective_new (net, &p, &cp, &sp, NULL, 1, 1, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (swag_objective_eval (obj, x, &f0, NULL, grad, NULL, NULL, &error));
  for (gsize i = 0; i < n; i++)
    dd += (double) grad[i] * d[i];
  for (gsize i = 0; i < n; i++)
    xp[i] = x[i] + (float) (eps * d[i]);
  g_assert_true (swag_objective_eval (obj, xp, &fp, NULL, NULL, NULL, NULL, &error));
  for (gsize i = 0; i < n; i++)
    xp[i] = x[i] - (float) (eps * d[i]);
  g_assert_true (swag_objective_eval (obj, xp, &fm, NULL, NULL, NULL, NULL, &error));
  g_test_message ("f %.6g, <grad, d> %.6g, central difference %.6g", f0, dd,
                  (fp - fm) / (2 * eps));
  /* A plumbing check (a wrong buffer gives errors of order 1): ReLU kinks
   * crossed by the step and float32 rounding allow a few per cent; the
   * conformance test checks precision against PyTorch. */
  g_assert_cmpfloat (fabs ((fp - fm) / (2 * eps) - dd), <, 0.05 * fabs (dd));

  swag_objective_free (obj);
  swag_net_free (net);
  g_free (content); g_free (style); g_free (x); g_free (d); g_free (grad);
  g_free (xp); g_free (cmask); g_free (smask);
}

/* The multi-scale objective entry by entry: d total / d x at sampled
 * entries (the corners, where the "same" padding matters, and random ones)
 * against central differences of swag_objective_eval's total, with every
 * kernel size a style tap, content at three (the direct 3x3 and two FFT
 * kernels), normalised weights and TV. The image (26 x 19) is smaller than
 * the largest kernels. data: the smoothing. */
static void
test_fd_multiscale (gconstpointer data)
{
  const SwagSmoothing smoothing = GPOINTER_TO_INT (data);
  SwagNet      *net = random_net (SWAG_BACKBONE_MULTISCALE, SWAG_POOLING_MAX, 5);
  SwagParams    p;
  const int     w = 26, h = 19, n_picks = 12;
  const gsize   hw = (gsize) w * h, n = 3 * hw;
  float        *content = g_new (float, n), *style = g_new (float, n);
  float        *x = g_new (float, n), *grad = g_new (float, n);
  SwagPlanar    cp = { content, NULL, h, w }, sp = { style, NULL, h, w };
  SwagObjective *obj;
  GError       *error = NULL;
  gsize         picks[12];
  double        f0, fd[12], gmax = 0, worst = 0;
  const double  eps = 4e-3;

  for (gsize i = 0; i < n; i++)
    {
      content[i] = (float) swag_rng_uniform (6, 1, i);
      style[i] = (float) swag_rng_uniform (6, 2, i);
      x[i] = CLAMP (content[i] + 0.2f * (float) swag_rng_normal (6, 3, i),
                    0.01f, 0.99f);
    }
  swag_params_init_defaults (&p);
  p.backbone = SWAG_BACKBONE_MULTISCALE;
  p.style_layers = "k3,k5,k7,k11,k15,k23,k37,k55";
  p.content_layers = "k3,k15,k55";
  p.smooth_layers = p.style_layers;
  p.smoothing = smoothing;
  p.tv_weight = 0.1;
  obj = swag_objective_new (net, &p, &cp, &sp, NULL, 1, 1, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (swag_objective_n_taps (obj), ==, 8);
  g_assert_true (swag_objective_eval (obj, x, &f0, NULL, grad, NULL, NULL,
                                      &error));
  g_assert_no_error (error);
  g_assert_true (isfinite (f0) && f0 > 0);

  picks[0] = 0;                                   /* R, top left */
  picks[1] = hw - 1;                              /* R, bottom right */
  picks[2] = hw + w - 1;                          /* G, top right */
  picks[3] = 2 * hw + (gsize) (h - 1) * w;        /* B, bottom left */
  for (int k = 4; k < n_picks; k++)
    picks[k] = (gsize) (swag_rng_uniform (6, 4, k) * n) % n;

  for (int k = 0; k < n_picks; k++)
    {
      const gsize i = picks[k];
      const float keep = x[i];
      double      fp, fm;

      x[i] = keep + (float) eps;
      g_assert_true (swag_objective_eval (obj, x, &fp, NULL, NULL, NULL, NULL,
                                          &error));
      x[i] = keep - (float) eps;
      g_assert_true (swag_objective_eval (obj, x, &fm, NULL, NULL, NULL, NULL,
                                          &error));
      x[i] = keep;
      /* the step actually taken, in float */
      fd[k] = (fp - fm) / ((double) (keep + (float) eps)
                           - (double) (keep - (float) eps));
      gmax = MAX (gmax, fabs (grad[i]));
    }
  for (int k = 0; k < n_picks; k++)
    {
      const double g = grad[picks[k]], err = fabs (fd[k] - g);
      g_test_message ("x[%" G_GSIZE_FORMAT "]: gradient % .6e, central "
                      "difference % .6e, difference %.1e", picks[k], g, fd[k],
                      err);
      worst = MAX (worst, err / gmax);
      /* float32 activations, ReLU kinks inside the step: 2% of the entry
       * and 0.5% of the largest sampled entry (measured: at most 0.16% of
       * the largest; a wrong tile, flip, padding or ReLU mask is off by
       * the order of the entry itself) */
      if (!(err <= 0.02 * fabs (g) + 0.005 * gmax))
        g_test_fail_printf ("x[%" G_GSIZE_FORMAT "]: gradient %.6e, central "
                            "difference %.6e", picks[k], g, fd[k]);
    }
  g_test_message ("f %.6g; largest difference %.2e of the largest sampled "
                  "entry %.3e", f0, worst, gmax);
  swag_objective_free (obj);
  swag_net_free (net);
  g_free (content); g_free (style); g_free (x); g_free (grad);
}

/* Transparent pixels do not steer the optimisation: with the only taps at
 * relu1_1 (a 3x3 reach) and no TV, the pixels of the content's alpha-0
 * area more than one pixel from any visible one get a zero gradient, and
 * changing them changes no term. */
static void
test_transparent (void)
{
  SwagNet       *net = random_net (SWAG_BACKBONE_VGG19, SWAG_POOLING_AVG, 3);
  SwagParams     p;
  const int      w = 40, h = 24;
  const gsize    hw = (gsize) w * h, n = 3 * hw;
  float         *content = g_new (float, n), *style = g_new (float, n);
  float         *x = g_new (float, n), *grad = g_new (float, n);
  float         *mask = alpha_ramp (h, w, FALSE);
  SwagPlanar     cp = { content, mask, h, w }, sp = { style, NULL, h, w };
  SwagObjective *obj;
  SwagLayerLoss  t0[1], t1[1];
  GError        *error = NULL;
  double         f0, f1, hidden = 0, shown = 0;
  int            n_hidden = 0;

  for (gsize i = 0; i < n; i++)
    {
      content[i] = (float) swag_rng_uniform (5, 1, i);
      style[i] = (float) swag_rng_uniform (5, 2, i);
      x[i] = (float) swag_rng_uniform (5, 3, i);
    }
  swag_params_init_defaults (&p);
  p.backbone = swag_net_backbone (net);
  p.style_layers = "relu1_1";
  p.content_layers = "relu1_1";
  p.tv_weight = 0;
  obj = swag_objective_new (net, &p, &cp, &sp, NULL, 1, 1, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (swag_objective_n_taps (obj), ==, 1);

  g_assert_true (swag_objective_eval (obj, x, &f0, t0, grad, NULL, NULL, &error));
  for (int y = 0; y < h; y++)
    for (int xx = 0; xx < w; xx++)
      for (int c = 0; c < 3; c++)
        {
          const gsize i = c * hw + (gsize) y * w + xx;
          /* alpha is 0 for xx <= w/4, so xx < w/4 - 1 is out of reach */
          if (xx < w / 4 - 1)
            {
              hidden = MAX (hidden, fabs (grad[i]));
              n_hidden++;
              x[i] = 1.0f - x[i];
            }
          else
            shown = MAX (shown, fabs (grad[i]));
        }
  g_assert_cmpint (n_hidden, >, 0);
  g_test_message ("largest gradient: hidden %g, visible %g", hidden, shown);
  g_assert_cmpfloat (hidden, ==, 0.0);
  g_assert_cmpfloat (shown, >, 0.0);

  g_assert_true (swag_objective_eval (obj, x, &f1, t1, NULL, NULL, NULL, &error));
  g_assert_cmpfloat (f1, ==, f0);
  g_assert_cmpfloat (t1[0].content, ==, t0[0].content);
  g_assert_cmpfloat (t1[0].style, ==, t0[0].style);

  swag_objective_free (obj);
  swag_net_free (net);
  g_free (content); g_free (style); g_free (x); g_free (grad); g_free (mask);
}

typedef struct
{
  int calls, stop_at, after_stop;
} CancelCount;

static gboolean
count_layers (int node, gpointer data)
{
  CancelCount *c = data;

  if (c->calls > c->stop_at)
    c->after_stop++;
  c->calls++;
  return c->calls <= c->stop_at;
}

static void
test_cancel (void)
{
  SwagNet    *net = random_net (SWAG_BACKBONE_RESNET50, SWAG_POOLING_MAX, 1);
  int         tap = swag_net_find_tap (net, "conv4_2", NULL);
  SwagEval   *ev;
  GError     *error = NULL;
  float      *x = g_new0 (float, 3 * 64 * 64);
  CancelCount c = { 0, 5, 0 };

  ev = swag_eval_new (net, 64, 64, &tap, 1, TRUE, 1, &error);
  g_assert_no_error (error);
  g_assert_false (swag_eval_forward (ev, x, count_layers, &c, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (c.calls, ==, 6);
  g_assert_cmpint (c.after_stop, ==, 0);
  swag_eval_free (ev);
  swag_net_free (net);
  g_free (x);
}

/* Only the layers up to the deepest tap are computed: a forward pass to
 * VGG-19's relu1_1 or ResNet-50's conv0_0 runs exactly the nodes up to it,
 * one to relu5_1 or conv4_2 runs every node up to that one. */
static void
test_deepest_tap (void)
{
  static const struct
  {
    SwagBackbone backbone;
    const char  *shallow, *deep;
  } nets[] = {
    { SWAG_BACKBONE_VGG19, "relu1_1", "relu5_1" },
    { SWAG_BACKBONE_RESNET50, "conv0_0", "conv4_2" },
  };

  for (gsize k = 0; k < G_N_ELEMENTS (nets); k++)
    {
      SwagNet *net = random_net (nets[k].backbone, SWAG_POOLING_AVG, 1);
      float   *x = g_new0 (float, 3 * 64 * 64);
      int      calls[2];

      for (int d = 0; d < 2; d++)
        {
          const char *name = d ? nets[k].deep : nets[k].shallow;
          int         tap = swag_net_find_tap (net, name, NULL);
          CancelCount c = { 0, G_MAXINT, 0 };
          GError     *error = NULL;
          SwagEval   *ev = swag_eval_new (net, 64, 64, &tap, 1, FALSE, 1, &error);

          g_assert_no_error (error);
          g_assert_true (swag_eval_forward (ev, x, count_layers, &c, &error));
          g_assert_no_error (error);
          g_test_message ("%s: tap node %d, %d nodes computed", name, tap,
                          c.calls);
          g_assert_cmpint (c.calls, ==, tap + 1);
          calls[d] = c.calls;
          swag_eval_free (ev);
        }
      g_assert_cmpint (calls[0], <, calls[1]);
      swag_net_free (net);
      g_free (x);
    }
}

/* Random weights written as a torchvision state dict and loaded back give
 * bit-identical folded weights. */
static void
test_load_roundtrip (gconstpointer data)
{
  SwagBackbone backbone = GPOINTER_TO_INT (data);
  SwagNet     *gen = random_net (backbone, SWAG_POOLING_MAX, 2021), *loaded;
  char        *dir = swag_test_mkdtemp ();
  char        *path = swag_test_write_state_dict (gen, 2021, FALSE, dir);
  SwagParams   p;
  GError      *error = NULL;

  swag_params_init_defaults (&p);
  p.backbone = backbone;
  p.pooling = SWAG_POOLING_MAX;
  p.seed = 2021;
  p.weights = path;
  loaded = swag_net_new (&p, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (loaded->block_floats, ==, gen->block_floats);
  g_assert_cmpint (memcmp (loaded->block, gen->block,
                           gen->block_floats * sizeof (float)), ==, 0);
  g_assert_true (swag_net_matches (loaded, &p));
  p.weights = "random";
  g_assert_false (swag_net_matches (loaded, &p));
  g_assert_true (swag_net_matches (gen, &p));
  p.seed = 7;
  g_assert_false (swag_net_matches (gen, &p));

  swag_net_free (loaded);
  swag_net_free (gen);
  swag_test_rmdir (dir);
  g_free (path);
  g_free (dir);
}

static void
test_load_errors (void)
{
  SwagNet    *vgg_topo = swag_net_topology_new (SWAG_BACKBONE_PSEUDO_VGG,
                                                SWAG_POOLING_MAX);
  char       *dir = swag_test_mkdtemp ();
  char       *path;
  SwagParams  p;
  GError     *error = NULL;

  /* pseudo-VGG's names (conv1, bn1, layerX.Y...) are not ResNet-50's
   * bottlenecks: the first missing tensor is named. */
  swag_net_alloc_block (vgg_topo, NULL);
  path = swag_test_write_state_dict (vgg_topo, 1, FALSE, dir);
  swag_params_init_defaults (&p);
  p.backbone = SWAG_BACKBONE_RESNET50;
  p.weights = path;
  g_assert_null (swag_net_new (&p, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_clear_error (&error);

  /* a ResNet-style file for VGG-19 */
  p.backbone = SWAG_BACKBONE_VGG19;
  g_assert_null (swag_net_new (&p, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_assert_nonnull (strstr (error->message, "not a VGG-19 weights file"));
  g_clear_error (&error);

  /* missing file */
  p.weights = "/nonexistent/vgg19.safetensors";
  g_assert_null (swag_net_new (&p, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_clear_error (&error);

  /* pre-trained lookup names the folders and the file */
  p.weights = "pretrained";
  {
    const char *dirs[] = { dir, NULL };
    p.weight_dirs = dirs;
    g_assert_null (swag_net_new (&p, &error));
    g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
    g_assert_nonnull (strstr (error->message, "vgg19.safetensors"));
    g_assert_nonnull (strstr (error->message, dir));
    g_clear_error (&error);
    p.weight_dirs = NULL;
  }
  p.backbone = SWAG_BACKBONE_PSEUDO_RESVGG;
  g_assert_null (swag_net_new (&p, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_assert_nonnull (strstr (error->message, "random weights only"));
  g_clear_error (&error);

  swag_net_free (vgg_topo);
  swag_test_rmdir (dir);
  g_free (path);
  g_free (dir);
}

/* The multi-scale network has no pre-trained weights, and says so; its
 * files are recognised by "scales.0.weight", and another network's file is
 * named for what it is not. */
static void
test_load_errors_multiscale (void)
{
  SwagNet    *ms_topo = swag_net_topology_new (SWAG_BACKBONE_MULTISCALE,
                                               SWAG_POOLING_MAX);
  SwagNet    *vgg_topo = swag_net_topology_new (SWAG_BACKBONE_VGG19,
                                                SWAG_POOLING_MAX);
  char       *ms_dir = swag_test_mkdtemp (), *vgg_dir = swag_test_mkdtemp ();
  char       *ms_path, *vgg_path, *part_path;
  const char *dirs[] = { ms_dir, NULL };
  SwagParams  p;
  GError     *error = NULL;

  swag_params_init_defaults (&p);
  p.backbone = SWAG_BACKBONE_MULTISCALE;
  p.weights = "pretrained";
  p.weight_dirs = dirs;
  g_assert_null (swag_net_new (&p, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_test_message ("%s", error->message);
  g_assert_cmpstr (error->message, ==,
                   "multiscale has no pre-trained weights: it is an untrained "
                   "texture model and runs with random weights only");
  g_clear_error (&error);
  g_assert_null (swag_weights_find (SWAG_BACKBONE_MULTISCALE, dirs, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_clear_error (&error);
  g_assert_null (swag_weights_file_name (SWAG_BACKBONE_MULTISCALE));

  swag_net_alloc_block (ms_topo, NULL);
  swag_net_alloc_block (vgg_topo, NULL);
  ms_path = swag_test_write_state_dict (ms_topo, 1, FALSE, ms_dir);
  vgg_path = swag_test_write_state_dict (vgg_topo, 1, FALSE, vgg_dir);

  /* a VGG-19 file for the multi-scale network, and the other way round */
  p.weights = vgg_path;
  g_assert_null (swag_net_new (&p, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "no tensor “scales.0.weight”"));
  g_assert_nonnull (strstr (error->message, "not a multiscale weights file"));
  g_clear_error (&error);
  p.backbone = SWAG_BACKBONE_VGG19;
  p.weights = ms_path;
  g_assert_null (swag_net_new (&p, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_assert_nonnull (strstr (error->message, "not a VGG-19 weights file"));
  g_clear_error (&error);

  /* a multi-scale file with only its first weight: the first missing
   * tensor is named, and the net is not made */
  {
    const char   *names[1] = { "scales.0.weight" };
    const gint64  shape[4] = { 32, 3, 3, 3 };
    const gint64 *shapes[1] = { shape };
    const int     ndims[1] = { 4 };
    float        *w = g_new0 (float, 32 * 3 * 3 * 3);
    const float  *datas[1] = { w };

    part_path = g_build_filename (ms_dir, "part.safetensors", NULL);
    g_assert_true (swag_safetensors_write (part_path, 1, names, shapes, ndims,
                                           datas, &error));
    g_assert_no_error (error);
    g_free (w);
  }
  p.backbone = SWAG_BACKBONE_MULTISCALE;
  p.weights = part_path;
  g_assert_null (swag_net_new (&p, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "scales.0.bias"));
  g_clear_error (&error);

  swag_net_free (ms_topo);
  swag_net_free (vgg_topo);
  swag_test_rmdir (ms_dir);
  swag_test_rmdir (vgg_dir);
  g_free (ms_path);
  g_free (vgg_path);
  g_free (part_path);
  g_free (ms_dir);
  g_free (vgg_dir);
}

int
main (int argc, char **argv)
{
  const char *const *names = swag_choice_names (SWAG_CHOICE_BACKBONE);

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/net/topology/vgg19", test_topology_vgg19);
  g_test_add_func ("/net/topology/resnet50", test_topology_resnet50);
  g_test_add_func ("/net/side-whole", test_side_whole);
  g_test_add_func ("/net/topology/pseudo", test_topology_pseudo);
  g_test_add_func ("/net/topology/multiscale", test_topology_multiscale);
  g_test_add_func ("/net/init/multiscale", test_init_multiscale);
  g_test_add_func ("/net/taps", test_taps);
  g_test_add_func ("/net/eval/memory-plan", test_memory_plan);
  /* NoResNet-50 is left to the conformance test (against PyTorch): at random
   * initialisation, a deep stack without shortcuts has so many ReLUs near
   * their kink that float32 central differences miss by 5-10%. */
  for (int b = 0; b <= SWAG_BACKBONE_PSEUDO_RESVGG; b++)
    {
      char *path;
      if (b == SWAG_BACKBONE_NORESNET50)
        continue;
      path = g_strdup_printf ("/net/eval/gradient/%s", names[b]);
      g_test_add_data_func (path, GINT_TO_POINTER (b), test_gradient);
      g_free (path);
      path = g_strdup_printf ("/net/eval/gradient-alpha/%s", names[b]);
      g_test_add_data_func (path, GINT_TO_POINTER (b | MASKED), test_gradient);
      g_free (path);
    }
  g_test_add_data_func ("/net/eval/fd-entries/multiscale-none",
                        GINT_TO_POINTER (SWAG_SMOOTHING_NONE),
                        test_fd_multiscale);
  g_test_add_data_func ("/net/eval/fd-entries/multiscale-auto",
                        GINT_TO_POINTER (SWAG_SMOOTHING_AUTO),
                        test_fd_multiscale);
  g_test_add_func ("/net/eval/transparent", test_transparent);
  g_test_add_func ("/net/eval/cancel", test_cancel);
  g_test_add_func ("/net/eval/deepest-tap", test_deepest_tap);
  g_test_add_data_func ("/net/weights/roundtrip/vgg19",
                        GINT_TO_POINTER (SWAG_BACKBONE_VGG19), test_load_roundtrip);
  g_test_add_data_func ("/net/weights/roundtrip/resnet50",
                        GINT_TO_POINTER (SWAG_BACKBONE_RESNET50), test_load_roundtrip);
  g_test_add_data_func ("/net/weights/roundtrip/multiscale",
                        GINT_TO_POINTER (SWAG_BACKBONE_MULTISCALE),
                        test_load_roundtrip);
  g_test_add_func ("/net/weights/errors", test_load_errors);
  g_test_add_func ("/net/weights/errors-multiscale",
                   test_load_errors_multiscale);
  return g_test_run ();
}
