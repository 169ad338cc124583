/* test-net.c: network topologies, evaluation (memory plan, gradients,
 * cancel) and weight loading. GPL-3.0-or-later. */
#include "swag-net.h"
#include "swag-objective.h"
#include "swag-rng.h"
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
    p.style_layers = "k3,k7,k23,k55";
  else
    p.style_layers = "conv0_0,conv1_2,conv2_3";
  p.content_layers = backbone == SWAG_BACKBONE_VGG19 ? "relu2_1"
                     : backbone == SWAG_BACKBONE_MULTISCALE ? "k7" : "conv1_2";
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

int
main (int argc, char **argv)
{
  const char *const *names = swag_choice_names (SWAG_CHOICE_BACKBONE);

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/net/topology/vgg19", test_topology_vgg19);
  g_test_add_func ("/net/topology/resnet50", test_topology_resnet50);
  g_test_add_func ("/net/side-whole", test_side_whole);
  g_test_add_func ("/net/topology/pseudo", test_topology_pseudo);
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
  g_test_add_func ("/net/eval/transparent", test_transparent);
  g_test_add_func ("/net/eval/cancel", test_cancel);
  g_test_add_func ("/net/eval/deepest-tap", test_deepest_tap);
  g_test_add_data_func ("/net/weights/roundtrip/vgg19",
                        GINT_TO_POINTER (SWAG_BACKBONE_VGG19), test_load_roundtrip);
  g_test_add_data_func ("/net/weights/roundtrip/resnet50",
                        GINT_TO_POINTER (SWAG_BACKBONE_RESNET50), test_load_roundtrip);
  g_test_add_func ("/net/weights/errors", test_load_errors);
  return g_test_run ();
}
