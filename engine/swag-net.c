/* swag-net.c: networks from topology tables, and their evaluation with a
 * planned memory layout. GPL-3.0-or-later.
 *
 * A network is a list of nodes in topological order (convolutions with
 * batch-norm folded and ReLU fused, pools, residual sums). Evaluating it at one
 * input size up to a set of taps uses buffers planned once: every tensor
 * (node outputs in the forward, gradients in the backward) has a lifetime on
 * one timeline, and all of them are packed into one arena: tensors whose
 * lifetimes do not overlap may share bytes.
 * Backward keeps only what it needs: one bit per ReLU output and one byte per
 * max-pool output; convolutions need nothing (weights are frozen).
 */
#include "swag-net.h"
#include "swag-blas.h"
#include "swag-core.h"
#include "swag-fftconv.h"
#include "swag-i18n.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------ topology -- */

typedef struct
{
  SwagNet *net;
  GArray  *nodes;   /* SwagNode */
  GArray  *woff;    /* gsize: weight offset in the block, per node */
  GArray  *taps;    /* const char * pairs (paper name, torchvision name) */
  gsize    block;   /* floats */
} Builder;

static const char *
intern (Builder *b, const char *s)
{
  return s ? g_string_chunk_insert_const (b->net->strings, s) : NULL;
}

static void
set_taps (Builder *b, int node, const char *paper, const char *tv)
{
  const char *p = intern (b, paper);
  const char *t = intern (b, tv);

  g_array_set_size (b->taps, MAX ((int) b->taps->len, 2 * (node + 1)));
  g_array_index (b->taps, const char *, 2 * node) = p;
  g_array_index (b->taps, const char *, 2 * node + 1) = t;
}

static int
push (Builder *b, const SwagNode *n, gsize weight_floats)
{
  gsize off = b->block;

  g_array_append_val (b->nodes, *n);
  g_array_append_val (b->woff, off);
  b->block += weight_floats;
  return (int) b->nodes->len - 1;
}

/* A convolution with its bias (VGG) or folded batch-norm @bn (ResNet). */
static int
conv (Builder *b, int in, int in_c, int out_c, int k, int stride, int pad,
      gboolean relu, const char *name, const char *bn)
{
  SwagNode n = { 0 };

  n.op = SWAG_NODE_CONV;
  n.in0 = in;
  n.in1 = -1;
  n.relu = relu;
  n.conv.in_c = in_c;
  n.conv.out_c = out_c;
  n.conv.kh = n.conv.kw = k;
  n.conv.stride = stride;
  n.conv.pad = pad;
  n.name = intern (b, name);
  n.bn = intern (b, bn);
  return push (b, &n, (gsize) out_c * in_c * k * k + out_c);
}

static int
pool (Builder *b, int in, SwagNodeOp op, int k, int stride, int pad,
      const char *name)
{
  SwagNode n = { 0 };

  n.op = op;
  n.in0 = in;
  n.in1 = -1;
  n.pool.k = k;
  n.pool.stride = stride;
  n.pool.pad = pad;
  n.name = intern (b, name);
  return push (b, &n, 0);
}

static int
add (Builder *b, int a, int c, const char *name)
{
  SwagNode n = { 0 };

  n.op = SWAG_NODE_ADD;
  n.in0 = a;
  n.in1 = c;
  n.relu = TRUE;
  n.name = intern (b, name);
  return push (b, &n, 0);
}

static void
build_vgg19 (Builder *b, SwagPooling pooling)
{
  static const int cfg[] = { 64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0,
                             512, 512, 512, 512, 0, 512, 512, 512, 512, 0 };
  SwagNodeOp pool_op = pooling == SWAG_POOLING_AVG ? SWAG_NODE_AVGPOOL
                                                   : SWAG_NODE_MAXPOOL;
  int  in = -1, in_c = 3, idx = 0, block = 1, sub = 1;
  char name[32], tv[32], paper[32];

  for (gsize i = 0; i < G_N_ELEMENTS (cfg); i++)
    {
      if (cfg[i] == 0)
        {
          g_snprintf (name, sizeof name, "features.%d", idx);
          in = pool (b, in, pool_op, 2, 2, 0, name);
          set_taps (b, in, NULL, name);
          idx += 1;
          block += 1;
          sub = 1;
          continue;
        }
      /* features.idx is the conv, features.idx+1 its ReLU (fused). */
      g_snprintf (name, sizeof name, "features.%d", idx);
      g_snprintf (tv, sizeof tv, "features.%d", idx + 1);
      g_snprintf (paper, sizeof paper, "relu%d_%d", block, sub);
      in = conv (b, in, in_c, cfg[i], 3, 1, 1, TRUE, name, NULL);
      set_taps (b, in, paper, tv);
      in_c = cfg[i];
      idx += 2;
      sub += 1;
    }
}

static const int resnet_blocks[4] = { 3, 4, 6, 3 };

/* ResNet-50 (shortcuts = TRUE) and NoResNet-50 (FALSE). */
static void
build_resnet50 (Builder *b, gboolean shortcuts)
{
  int  in, in_c = 64;
  char n1[64], n2[64], paper[16], tv[16];

  in = conv (b, -1, 3, 64, 7, 2, 3, TRUE, "conv1", "bn1");
  set_taps (b, in, "conv0_0", "relu");
  in = pool (b, in, SWAG_NODE_MAXPOOL, 3, 2, 1, "maxpool");
  set_taps (b, in, NULL, "maxpool");

  for (int s = 0; s < 4; s++)
    {
      int width = 64 << s, out_c = width * 4;

      for (int k = 0; k < resnet_blocks[s]; k++)
        {
          int stride = (k == 0 && s > 0) ? 2 : 1;
          int x = in, y;

#define BLK(field) (g_snprintf (n1, sizeof n1, "layer%d.%d." field, s + 1, k), n1)
#define BLK2(field) (g_snprintf (n2, sizeof n2, "layer%d.%d." field, s + 1, k), n2)
          y = conv (b, x, in_c, width, 1, 1, 0, TRUE, BLK ("conv1"), BLK2 ("bn1"));
          y = conv (b, y, width, width, 3, stride, 1, TRUE, BLK ("conv2"), BLK2 ("bn2"));
          if (shortcuts)
            {
              int sc = x;
              y = conv (b, y, width, out_c, 1, 1, 0, FALSE, BLK ("conv3"), BLK2 ("bn3"));
              if (k == 0)
                sc = conv (b, x, in_c, out_c, 1, stride, 0, FALSE,
                           BLK ("downsample.0"), BLK2 ("downsample.1"));
              y = add (b, y, sc, BLK ("add"));
            }
          else
            y = conv (b, y, width, out_c, 1, 1, 0, TRUE, BLK ("conv3"), BLK2 ("bn3"));
#undef BLK
#undef BLK2
          g_snprintf (paper, sizeof paper, "conv%d_%d", s + 1, k);
          g_snprintf (tv, sizeof tv, "layer%d.%d", s + 1, k);
          set_taps (b, y, paper, tv);
          in = y;
          in_c = out_c;
        }
    }
}

/* pseudo-VGG (shortcuts = FALSE) and pseudo-ResVGG (TRUE). */
static void
build_pseudo (Builder *b, gboolean shortcuts, SwagPooling pooling)
{
  SwagNodeOp pool_op = pooling == SWAG_POOLING_AVG ? SWAG_NODE_AVGPOOL
                                                   : SWAG_NODE_MAXPOOL;
  int  in, in_c = 64;
  char n1[64], n2[64], paper[16], tv[16];

  in = conv (b, -1, 3, 64, 3, 1, 1, TRUE, "conv1", "bn1");
  set_taps (b, in, "conv0_0", "relu");
  in = pool (b, in, pool_op, 2, 2, 0, "maxpool");
  set_taps (b, in, NULL, "maxpool");

  for (int s = 0; s < 4; s++)
    {
      int width = 64 << s;

      if (s > 0)
        {
          g_snprintf (n1, sizeof n1, "pool%d", s + 1);
          in = pool (b, in, pool_op, 2, 2, 0, n1);
        }
      for (int k = 0; k < resnet_blocks[s]; k++)
        {
          int x = in, y;

#define BLK(field) (g_snprintf (n1, sizeof n1, "layer%d.%d." field, s + 1, k), n1)
#define BLK2(field) (g_snprintf (n2, sizeof n2, "layer%d.%d." field, s + 1, k), n2)
          y = conv (b, x, in_c, width, 3, 1, 1, TRUE, BLK ("conv1"), BLK2 ("bn1"));
          if (shortcuts)
            {
              int sc = x;
              y = conv (b, y, width, width, 3, 1, 1, FALSE, BLK ("conv2"), BLK2 ("bn2"));
              if (in_c != width)
                sc = conv (b, x, in_c, width, 1, 1, 0, FALSE,
                           BLK ("downsample.0"), BLK2 ("downsample.1"));
              y = add (b, y, sc, BLK ("add"));
            }
          else
            y = conv (b, y, width, width, 3, 1, 1, TRUE, BLK ("conv2"), BLK2 ("bn2"));
#undef BLK
#undef BLK2
          g_snprintf (paper, sizeof paper, "conv%d_%d", s + 1, k);
          g_snprintf (tv, sizeof tv, "layer%d.%d", s + 1, k);
          set_taps (b, y, paper, tv);
          in = y;
          in_c = width;
        }
    }
}

/* The multi-scale random network of Ustyuzhaninov, Brendel, Gatys and
 * Bethge ("What does it take to generate natural textures?", ICLR 2017): one
 * layer of parallel "same" convolutions of the RGB input with kernels from 3
 * to 55 pixels, each followed by ReLU, no bias. Each kernel size is a node
 * (state-dict name "scales.N", tap "kK"), so that its maps have a Gram of
 * their own. */
const int swag_multiscale_kernels[SWAG_MULTISCALE_N] = {
  3, 5, 7, 11, 15, 23, 37, 55
};

static void
build_multiscale (Builder *b)
{
  char name[32], tap[16];

  for (int i = 0; i < SWAG_MULTISCALE_N; i++)
    {
      const int k = swag_multiscale_kernels[i];
      int       node;

      g_snprintf (name, sizeof name, "scales.%d", i);
      g_snprintf (tap, sizeof tap, "k%d", k);
      node = conv (b, -1, 3, SWAG_MULTISCALE_FILTERS, k, 1, k / 2, TRUE, name,
                   NULL);
      set_taps (b, node, tap, name);
    }
}

SwagNet *
swag_net_topology_new (SwagBackbone backbone, SwagPooling pooling)
{
  SwagNet *net = g_new0 (SwagNet, 1);
  Builder  b = { 0 };

  net->backbone = backbone;
  net->pooling = pooling;
  net->strings = g_string_chunk_new (1024);
  b.net = net;
  b.nodes = g_array_new (FALSE, TRUE, sizeof (SwagNode));
  b.woff = g_array_new (FALSE, TRUE, sizeof (gsize));
  b.taps = g_array_new (FALSE, TRUE, sizeof (const char *));

  switch (backbone)
    {
    case SWAG_BACKBONE_VGG19:         build_vgg19 (&b, pooling);          break;
    case SWAG_BACKBONE_RESNET50:      build_resnet50 (&b, TRUE);          break;
    case SWAG_BACKBONE_NORESNET50:    build_resnet50 (&b, FALSE);         break;
    case SWAG_BACKBONE_PSEUDO_VGG:    build_pseudo (&b, FALSE, pooling);  break;
    case SWAG_BACKBONE_PSEUDO_RESVGG: build_pseudo (&b, TRUE, pooling);   break;
    case SWAG_BACKBONE_MULTISCALE:    build_multiscale (&b);              break;
    }

  net->n_nodes = (int) b.nodes->len;
  net->nodes = (SwagNode *) g_array_free (b.nodes, FALSE);
  net->block_floats = b.block;
  net->weight_offsets = (gsize *) g_array_free (b.woff, FALSE);
  g_array_set_size (b.taps, 2 * net->n_nodes);
  net->tap_names = (const char **) g_array_free (b.taps, FALSE);
  return net;
}

gboolean
swag_net_alloc_block (SwagNet *net, GError **error)
{
  net->block = swag_try_alloc_floats (net->block_floats, N_("network weights"),
                                      error);
  if (!net->block)
    return FALSE;
  memset (net->block, 0, net->block_floats * sizeof (float));
  for (int i = 0; i < net->n_nodes; i++)
    {
      SwagNode *n = &net->nodes[i];
      if (n->op != SWAG_NODE_CONV)
        continue;
      n->conv.weight = net->block + net->weight_offsets[i];
      n->conv.bias = n->conv.weight
                     + (gsize) n->conv.out_c * n->conv.in_c * n->conv.kh * n->conv.kw;
    }
  return TRUE;
}

guint64
swag_net_prepared_bytes (const SwagNet *net)
{
  guint64 bytes = 0;

  for (int i = 0; i < net->n_nodes; i++)
    {
      const SwagNode *n = &net->nodes[i];
      if (n->op != SWAG_NODE_CONV)
        continue;
      if (swag_fftconv_applies (&n->conv))
        bytes += swag_fftconv_spectra_bytes (&n->conv);
      else if (swag_winograd_applies (&n->conv))
        bytes += 4 * ((swag_winograd_weight_floats (n->conv.in_c,
                                                    n->conv.out_c) + 15)
                      & ~(guint64) 15);
    }
  return bytes;
}

static void
free_fft (SwagNet *net)
{
  for (int i = 0; i < net->n_nodes; i++)
    if (net->nodes[i].op == SWAG_NODE_CONV && net->nodes[i].conv.fft)
      {
        swag_fftconv_free ((SwagFftConv *) net->nodes[i].conv.fft);
        net->nodes[i].conv.fft = NULL;
      }
}

gboolean
swag_net_prepare (SwagNet *net, GError **error)
{
  gsize total = 0, off = 0;

  free_fft (net);
  for (int i = 0; i < net->n_nodes; i++)
    {
      SwagNode *n = &net->nodes[i];
      if (n->op == SWAG_NODE_CONV && swag_fftconv_applies (&n->conv))
        {
          n->conv.fft = swag_fftconv_new (&n->conv, error);
          if (!n->conv.fft)
            {
              free_fft (net);
              return FALSE;
            }
        }
    }

  g_free (net->wino);
  net->wino = NULL;
  for (int i = 0; i < net->n_nodes; i++)
    {
      SwagNode *n = &net->nodes[i];
      n->conv.wino = NULL;
      if (n->op == SWAG_NODE_CONV && swag_winograd_applies (&n->conv))
        total += (swag_winograd_weight_floats (n->conv.in_c, n->conv.out_c)
                  + 15) & ~(gsize) 15;
    }
  if (total == 0)
    return TRUE;
  net->wino = swag_try_alloc_floats (total, "transformed weights", error);
  if (!net->wino)
    return FALSE;
  for (int i = 0; i < net->n_nodes; i++)
    {
      SwagNode *n = &net->nodes[i];
      if (n->op != SWAG_NODE_CONV || !swag_winograd_applies (&n->conv))
        continue;
      swag_winograd_weights (n->conv.weight, n->conv.in_c, n->conv.out_c,
                             net->wino + off);
      n->conv.wino = net->wino + off;
      off += (swag_winograd_weight_floats (n->conv.in_c, n->conv.out_c) + 15)
             & ~(gsize) 15;
    }
  return TRUE;
}

void
swag_net_free (SwagNet *net)
{
  if (!net)
    return;
  if (net->nodes)
    free_fft (net);
  g_free (net->wino);
  g_free (net->block);
  g_free (net->nodes);
  g_free (net->weight_offsets);
  g_free (net->tap_names);
  g_free (net->weights);
  g_string_chunk_free (net->strings);
  g_free (net);
}

SwagBackbone
swag_net_backbone (const SwagNet *net)
{
  return net->backbone;
}

int
swag_net_find_tap (const SwagNet *net, const char *name, GError **error)
{
  GString *known;

  for (int i = 0; i < net->n_nodes; i++)
    {
      const char *p = net->tap_names[2 * i], *t = net->tap_names[2 * i + 1];
      if ((p && strcmp (p, name) == 0) || (t && strcmp (t, name) == 0))
        return i;
    }

  known = g_string_new (NULL);
  for (int i = 0; i < net->n_nodes; i++)
    if (net->tap_names[2 * i])
      g_string_append_printf (known, "%s%s", known->len ? ", " : "",
                              net->tap_names[2 * i]);
  g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
               /* TRANSLATORS: layers of the neural network (taps such as
                * "relu4_1"), not image layers; the second %s is the network,
                * e.g. "vgg19". */
               _("Unknown layer “%s” for %s; known layers: %s"),
               name, swag_choice_names (SWAG_CHOICE_BACKBONE)[net->backbone],
               known->str);
  g_string_free (known, TRUE);
  return -1;
}

const char *
swag_net_tap_name (const SwagNet *net, int node)
{
  const char *p = net->tap_names[2 * node];
  return p ? p : net->tap_names[2 * node + 1];
}

/* --------------------------------------------------------------- shapes -- */

static SwagShape
node_shape (const SwagNode *n, const SwagShape *shapes, SwagShape input)
{
  SwagShape in = n->in0 < 0 ? input : shapes[n->in0];
  SwagShape out = in;

  switch (n->op)
    {
    case SWAG_NODE_CONV:
      out.c = n->conv.out_c;
      out.h = swag_conv_out_size (in.h, n->conv.kh, n->conv.stride, n->conv.pad);
      out.w = swag_conv_out_size (in.w, n->conv.kw, n->conv.stride, n->conv.pad);
      break;
    case SWAG_NODE_MAXPOOL:
    case SWAG_NODE_AVGPOOL:
      out.h = swag_conv_out_size (in.h, n->pool.k, n->pool.stride, n->pool.pad);
      out.w = swag_conv_out_size (in.w, n->pool.k, n->pool.stride, n->pool.pad);
      break;
    case SWAG_NODE_ADD:
      break;
    }
  return out;
}

gboolean
swag_net_shapes (const SwagNet *net, int h, int w, int last,
                 SwagShape *shapes, GError **error)
{
  SwagShape input = { 3, h, w };

  for (int i = 0; i <= last; i++)
    {
      shapes[i] = node_shape (&net->nodes[i], shapes, input);
      if (shapes[i].h <= 0 || shapes[i].w <= 0)
        {
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                       /* TRANSLATORS: a layer of the neural network, e.g.
                        * "relu5_1"; the last %s is the network, e.g.
                        * "vgg19". */
                       _("The image (%d×%d) is too small for layer “%s” of %s: "
                         "it needs at least %d pixels on each side"),
                       w, h, swag_net_tap_name (net, last) ? swag_net_tap_name (net, last) : net->nodes[last].name,
                       swag_choice_names (SWAG_CHOICE_BACKBONE)[net->backbone],
                       swag_net_min_side (net, last));
          return FALSE;
        }
    }
  return TRUE;
}

int
swag_net_min_side (const SwagNet *net, int last)
{
  SwagShape *shapes = g_new (SwagShape, last + 1);
  SwagShape  input;
  int        side;

  for (side = 1; side < 1 << 16; side++)
    {
      gboolean ok = TRUE;
      input.c = 3;
      input.h = input.w = side;
      for (int i = 0; i <= last && ok; i++)
        {
          shapes[i] = node_shape (&net->nodes[i], shapes, input);
          ok = shapes[i].h > 0 && shapes[i].w > 0;
        }
      if (ok)
        break;
    }
  g_free (shapes);
  return side;
}

gboolean
swag_net_side_whole (const SwagNet *net, int last, int side)
{
  int     *sizes = g_new (int, last + 1);
  gboolean whole = TRUE;

  for (int i = 0; i <= last && whole; i++)
    {
      const SwagNode *n = &net->nodes[i];
      int in = n->in0 < 0 ? side : sizes[n->in0], k, stride, pad;

      switch (n->op)
        {
        case SWAG_NODE_CONV:
          k = n->conv.kh, stride = n->conv.stride, pad = n->conv.pad;
          break;
        case SWAG_NODE_MAXPOOL:
        case SWAG_NODE_AVGPOOL:
          k = n->pool.k, stride = n->pool.stride, pad = n->pool.pad;
          break;
        default:
          sizes[i] = in;
          continue;
        }
      sizes[i] = swag_conv_out_size (in, k, stride, pad);
      /* the last window spans input rows up to (out-1)*stride - pad + k-1 */
      if (sizes[i] <= 0
          || (k >= stride && (sizes[i] - 1) * stride - pad + k - 1 < in - 1))
        whole = FALSE;
    }
  g_free (sizes);
  return whole;
}

double
swag_net_macs (const SwagNet *net, int h, int w, int last)
{
  SwagShape *shapes = g_new (SwagShape, last + 1);
  double     macs = 0;

  if (swag_net_shapes (net, h, w, last, shapes, NULL))
    for (int i = 0; i <= last; i++)
      {
        const SwagNode *n = &net->nodes[i];
        if (n->op == SWAG_NODE_CONV && swag_fftconv_applies (&n->conv))
          macs += swag_fftconv_macs (&n->conv, shapes[i].h, shapes[i].w);
        else if (n->op == SWAG_NODE_CONV)
          macs += (double) shapes[i].c * shapes[i].h * shapes[i].w
                  * n->conv.in_c * n->conv.kh * n->conv.kw;
      }
  g_free (shapes);
  return macs;
}

/* ------------------------------------------------------------- the plan -- */

/* Tensors of an evaluation: node outputs (forward) and node gradients
 * (backward), plus the normalised input and its gradient (index n). Times:
 * 0 normalising the input, 1 + i node i's forward, L = last + 2 the loss,
 * L + 1 + (last - i) node i's backward. */
typedef struct
{
  int       last;
  int       n;            /* nodes evaluated: last + 1 */
  SwagShape *shapes;      /* (n) */
  gsize    *out_off;      /* (n + 1): node outputs, [n] = normalised input */
  gsize    *grad_off;     /* (n + 1): gradients, [n] = input */
  gsize     arena;        /* floats */
  gsize     live_peak;    /* floats: the most that is alive at one time, a
                             lower bound for arena */
  gsize     mask_bytes;   /* ReLU bits and max-pool argmaxes */
  gsize    *mask_off;     /* (n): offset of node i's mask, or G_MAXSIZE */
  gsize     scratch;      /* floats */
  guint64   bytes;        /* everything above */
} Plan;

typedef struct
{
  gsize floats;
  int   start, end;  /* inclusive */
  gsize off;
} Life;

static void
plan_clear (Plan *p)
{
  g_free (p->shapes);
  g_free (p->out_off);
  g_free (p->grad_off);
  g_free (p->mask_off);
  memset (p, 0, sizeof *p);
}

static gsize
shape_floats (SwagShape s)
{
  return (gsize) s.c * s.h * s.w;
}

static int
by_size (gconstpointer a, gconstpointer b)
{
  const Life *x = *(Life *const *) a, *y = *(Life *const *) b;
  if (x->floats != y->floats)
    return (y->floats > x->floats) - (y->floats < x->floats);
  return (x->start > y->start) - (x->start < y->start);
}

/* Greedy by size: the largest tensors first, each at the lowest offset that
 * does not collide with a placed tensor alive at the same time. Close to the
 * live peak in practice (the arena's lower bound). Offsets are rounded to 16
 * floats (64 bytes) for alignment. */
static void
pack (Life *lives, int n_lives, Plan *p)
{
  Life  **order = g_new (Life *, n_lives), **placed = g_new (Life *, n_lives);
  int     n_placed = 0, t_max = 0;
  gsize  *live;

  for (int i = 0; i < n_lives; i++)
    {
      order[i] = &lives[i];
      lives[i].floats = (lives[i].floats + 15) & ~(gsize) 15;
      t_max = MAX (t_max, lives[i].end);
    }
  qsort (order, n_lives, sizeof *order, by_size);

  p->arena = 0;
  for (int i = 0; i < n_lives; i++)
    {
      Life   *l = order[i];
      gsize   off = 0;
      gboolean moved = TRUE;

      if (l->floats == 0)
        continue;
      /* Slide up past every overlapping placed tensor until none collides. */
      while (moved)
        {
          moved = FALSE;
          for (int k = 0; k < n_placed; k++)
            {
              Life *q = placed[k];
              if (q->end < l->start || l->end < q->start)
                continue;
              if (off < q->off + q->floats && q->off < off + l->floats)
                {
                  off = q->off + q->floats;
                  moved = TRUE;
                }
            }
        }
      l->off = off;
      placed[n_placed++] = l;
      p->arena = MAX (p->arena, off + l->floats);
    }

  live = g_new0 (gsize, t_max + 1);
  for (int i = 0; i < n_lives; i++)
    for (int t = lives[i].start; t <= lives[i].end; t++)
      live[t] += lives[i].floats;
  p->live_peak = 0;
  for (int t = 0; t <= t_max; t++)
    p->live_peak = MAX (p->live_peak, live[t]);
  g_free (live);
  g_free (order);
  g_free (placed);
}

static gboolean
make_plan (const SwagNet *net, int h, int w, const int *taps, int n_taps,
           gboolean backward, Plan *p, GError **error)
{
  int   *last_use, *is_tap;
  Life  *lives;
  int    n, L, n_lives;
  SwagShape input = { 3, h, w };

  memset (p, 0, sizeof *p);
  if (n_taps < 1)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID, "No layer to evaluate");
      return FALSE;
    }
  p->last = -1;
  for (int t = 0; t < n_taps; t++)
    {
      if (taps[t] < 0 || taps[t] >= net->n_nodes)
        {
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID, "Bad layer index");
          return FALSE;
        }
      for (int u = 0; u < t; u++)
        if (taps[u] == taps[t])
          {
            g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                         /* TRANSLATORS: a layer of the neural network, e.g.
                          * "relu4_1". */
                         _("Layer “%s” listed twice"),
                         swag_net_tap_name (net, taps[t]));
            return FALSE;
          }
      p->last = MAX (p->last, taps[t]);
    }

  n = p->n = p->last + 1;
  L = p->last + 2;
  p->shapes = g_new (SwagShape, n);
  if (!swag_net_shapes (net, h, w, p->last, p->shapes, error))
    {
      plan_clear (p);
      return FALSE;
    }

  last_use = g_new0 (int, n + 1);   /* forward time of the last consumer */
  is_tap = g_new0 (int, n);
  for (int t = 0; t < n_taps; t++)
    is_tap[taps[t]] = 1;
  for (int i = 0; i < n; i++)
    {
      const SwagNode *nd = &net->nodes[i];
      int in0 = nd->in0 < 0 ? n : nd->in0;
      last_use[in0] = MAX (last_use[in0], 1 + i);
      if (nd->op == SWAG_NODE_ADD)
        last_use[nd->in1] = MAX (last_use[nd->in1], 1 + i);
    }

  lives = g_new0 (Life, 2 * (n + 1));
  n_lives = 0;
  p->out_off = g_new (gsize, n + 1);
  p->grad_off = g_new (gsize, n + 1);
  p->mask_off = g_new (gsize, n);

  /* Forward outputs; taps live until the loss has been computed. */
  for (int i = 0; i <= n; i++)
    {
      Life *l = &lives[n_lives++];
      l->floats = i == n ? shape_floats (input) : shape_floats (p->shapes[i]);
      l->start = i == n ? 0 : 1 + i;
      l->end = (i < n && is_tap[i]) ? L : MAX (last_use[i], l->start);
    }

  /* Gradients: from the backward of the last consumer (or the loss, for a
   * tap) to the node's own backward. The input's lives to the end. */
  if (backward)
    for (int i = 0; i <= n; i++)
      {
        Life *l = &lives[n_lives++];
        int   own = i == n ? L + 1 + n : L + 1 + (p->last - i);
        int   first = (i < n && is_tap[i]) ? L : G_MAXINT;

        for (int j = 0; j < n; j++)
          {
            const SwagNode *nd = &net->nodes[j];
            int in0 = nd->in0 < 0 ? n : nd->in0;
            if (in0 == i || (nd->op == SWAG_NODE_ADD && nd->in1 == i))
              first = MIN (first, L + 1 + (p->last - j));
          }
        l->floats = i == n ? shape_floats (input) : shape_floats (p->shapes[i]);
        l->start = first == G_MAXINT ? own : first;
        l->end = own;
      }

  pack (lives, n_lives, p);
  for (int i = 0; i <= n; i++)
    {
      p->out_off[i] = lives[i].off;
      p->grad_off[i] = backward ? lives[n + 1 + i].off : G_MAXSIZE;
    }

  /* Masks for backward, and the conv workspace. */
  for (int i = 0; i < n; i++)
    {
      const SwagNode *nd = &net->nodes[i];
      gsize elems = shape_floats (p->shapes[i]);
      SwagShape in = nd->in0 < 0 ? input : p->shapes[nd->in0];

      p->mask_off[i] = G_MAXSIZE;
      if (backward && nd->relu)
        {
          p->mask_off[i] = p->mask_bytes;
          p->mask_bytes += (elems + 7) / 8;
        }
      else if (backward && nd->op == SWAG_NODE_MAXPOOL)
        {
          p->mask_off[i] = p->mask_bytes;
          p->mask_bytes += elems;
        }
      p->mask_bytes = (p->mask_bytes + 63) & ~(gsize) 63;
      if (nd->op == SWAG_NODE_CONV)
        p->scratch = MAX (p->scratch,
                          swag_conv2d_scratch_floats (&nd->conv, in.h, in.w));
    }

  p->bytes = (guint64) p->mask_bytes
             + ((guint64) p->scratch + p->arena) * sizeof (float);

  g_free (lives);
  g_free (last_use);
  g_free (is_tap);
  return TRUE;
}

/* ----------------------------------------------------------- evaluation -- */

struct _SwagEval
{
  const SwagNet *net;
  int            h, w;
  int           *taps;      /* (n_taps) node indices */
  int            n_taps;
  gboolean       backward;
  Plan           plan;
  float         *arena;
  guint8        *masks;
  gboolean      *grad_live; /* (n + 1): gradient zeroed this backward */
  SwagCtx        ctx;
};

static const float imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
static const float imagenet_std[3] = { 0.229f, 0.224f, 0.225f };

guint64
swag_eval_bytes (const SwagNet *net, int h, int w, const int *taps,
                 int n_taps, gboolean backward)
{
  Plan    p;
  guint64 bytes;

  if (!make_plan (net, h, w, taps, n_taps, backward, &p, NULL))
    return 0;
  bytes = p.bytes;
  plan_clear (&p);
  return bytes;
}

void
swag_eval_plan_stats (const SwagNet *net, int h, int w, const int *taps,
                      int n_taps, gboolean backward, guint64 *arena_bytes,
                      guint64 *live_peak_bytes)
{
  Plan p;

  *arena_bytes = *live_peak_bytes = 0;
  if (!make_plan (net, h, w, taps, n_taps, backward, &p, NULL))
    return;
  *arena_bytes = (guint64) p.arena * sizeof (float);
  *live_peak_bytes = (guint64) p.live_peak * sizeof (float);
  plan_clear (&p);
}

SwagEval *
swag_eval_new (const SwagNet *net, int h, int w, const int *taps, int n_taps,
               gboolean backward, int n_threads, GError **error)
{
  SwagEval *ev = g_new0 (SwagEval, 1);

  ev->net = net;
  ev->h = h;
  ev->w = w;
  ev->backward = backward;
  if (!make_plan (net, h, w, taps, n_taps, backward, &ev->plan, error))
    {
      g_free (ev);
      return NULL;
    }
  ev->n_taps = n_taps;
  ev->taps = g_memdup2 (taps, sizeof (int) * n_taps);
  ev->arena = swag_try_alloc_floats (ev->plan.arena, N_("layer activations"),
                                     error);
  if (!ev->arena)
    goto fail;
  if (ev->plan.mask_bytes)
    {
      ev->masks = g_try_malloc (ev->plan.mask_bytes);
      if (!ev->masks)
        {
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                       _("Out of memory for the backward masks (%.1f MiB)"),
                       ev->plan.mask_bytes / 1048576.0);
          goto fail;
        }
    }
  if (ev->plan.scratch)
    {
      ev->ctx.scratch = swag_try_alloc_floats (ev->plan.scratch,
                                               N_("convolution workspace"), error);
      if (!ev->ctx.scratch)
        goto fail;
    }
  ev->ctx.scratch_floats = ev->plan.scratch;
  ev->ctx.n_threads = MAX (n_threads, 1);
  {
    /* Each thread's workspace: the GEMM's packing, or the largest Winograd
     * block or FFT tile of the evaluated convolutions. */
    gsize work = swag_gemm_work_floats ();
    for (int i = 0; i < ev->plan.n; i++)
      {
        const SwagNode *nd = &net->nodes[i];
        SwagShape in = nd->in0 < 0 ? (SwagShape) { 3, h, w }
                                   : ev->plan.shapes[nd->in0];
        if (nd->op == SWAG_NODE_CONV && nd->conv.wino)
          work = MAX (work, swag_winograd_work_floats (&nd->conv, in.h, in.w));
        if (nd->op == SWAG_NODE_CONV && nd->conv.fft)
          work = MAX (work, swag_fftconv_work_floats (nd->conv.fft));
      }
    ev->ctx.pool = swag_pool_new (ev->ctx.n_threads, work);
    if (!ev->ctx.pool)
      {
        g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                     _("Out of memory for the threads' workspace"));
        goto fail;
      }
  }
  ev->grad_live = g_new0 (gboolean, ev->plan.n + 1);
  return ev;

fail:
  swag_eval_free (ev);
  return NULL;
}

void
swag_eval_free (SwagEval *ev)
{
  if (!ev)
    return;
  g_free (ev->arena);
  g_free (ev->masks);
  g_free (ev->ctx.scratch);
  swag_pool_free (ev->ctx.pool);
  g_free (ev->grad_live);
  g_free (ev->taps);
  plan_clear (&ev->plan);
  g_free (ev);
}

static float *
out_buf (const SwagEval *ev, int node) /* node -1 = the normalised input */
{
  return ev->arena + ev->plan.out_off[node < 0 ? ev->plan.n : node];
}

static float *
grad_buf (SwagEval *ev, int node)
{
  int i = node < 0 ? ev->plan.n : node;
  float *g = ev->arena + ev->plan.grad_off[i];

  if (!ev->grad_live[i])
    {
      SwagShape s = node < 0 ? (SwagShape) { 3, ev->h, ev->w }
                             : ev->plan.shapes[node];
      swag_zero (&ev->ctx, g, shape_floats (s));
      ev->grad_live[i] = TRUE;
    }
  return g;
}

SwagPool *
swag_eval_pool (SwagEval *ev)
{
  return ev->ctx.pool;
}

SwagShape
swag_eval_tap_shape (const SwagEval *ev, int i)
{
  return ev->plan.shapes[ev->taps[i]];
}

const float *
swag_eval_tap (const SwagEval *ev, int i)
{
  return out_buf (ev, ev->taps[i]);
}

static gboolean
cancelled (SwagLayerFunc layer, gpointer data, int node, GError **error)
{
  if (layer && !layer (node, data))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_CANCELLED, _("Cancelled"));
      return TRUE;
    }
  return FALSE;
}

gboolean
swag_eval_forward (SwagEval *ev, const float *x, SwagLayerFunc layer,
                   gpointer user_data, GError **error)
{
  const SwagNet *net = ev->net;
  gsize          hw = (gsize) ev->h * ev->w;
  float         *xin = out_buf (ev, -1);

  for (int c = 0; c < 3; c++)
    {
      const float m = imagenet_mean[c], s = 1.0f / imagenet_std[c];
      for (gsize p = 0; p < hw; p++)
        xin[c * hw + p] = (x[c * hw + p] - m) * s;
    }

  for (int i = 0; i < ev->plan.n; i++)
    {
      const SwagNode *nd = &net->nodes[i];
      SwagShape  os = ev->plan.shapes[i];
      SwagShape  is = nd->in0 < 0 ? (SwagShape) { 3, ev->h, ev->w }
                                  : ev->plan.shapes[nd->in0];
      const float *in = out_buf (ev, nd->in0);
      float     *out = out_buf (ev, i);
      gsize      elems = shape_floats (os);
      guint8    *mask = ev->plan.mask_off[i] == G_MAXSIZE
                        ? NULL : ev->masks + ev->plan.mask_off[i];

      switch (nd->op)
        {
        case SWAG_NODE_CONV:
          swag_conv2d_forward (&ev->ctx, &nd->conv, in, is.h, is.w, out,
                               nd->relu);
          break;
        case SWAG_NODE_MAXPOOL:
          swag_maxpool_forward (&ev->ctx, &nd->pool, in, is.c, is.h, is.w,
                                out, mask);
          break;
        case SWAG_NODE_AVGPOOL:
          swag_avgpool_forward (&ev->ctx, &nd->pool, in, is.c, is.h, is.w,
                                out);
          break;
        case SWAG_NODE_ADD:
          swag_add_forward (&ev->ctx, in, out_buf (ev, nd->in1), out, elems,
                            nd->relu);
          break;
        }
      if (mask && nd->relu)
        swag_relu_mask_pack (&ev->ctx, out, elems, mask);
      if (cancelled (layer, user_data, i, error))
        return FALSE;
    }
  return TRUE;
}

void
swag_eval_zero_grad (SwagEval *ev)
{
  memset (ev->grad_live, 0, sizeof (gboolean) * (ev->plan.n + 1));
  for (int t = 0; t < ev->n_taps; t++)
    grad_buf (ev, ev->taps[t]);
}

float *
swag_eval_tap_grad (SwagEval *ev, int i)
{
  return grad_buf (ev, ev->taps[i]);
}

gboolean
swag_eval_backward (SwagEval *ev, float *dx, SwagLayerFunc layer,
                    gpointer user_data, GError **error)
{
  const SwagNet *net = ev->net;
  gsize          hw = (gsize) ev->h * ev->w;
  float         *gin;

  g_return_val_if_fail (ev->backward, FALSE);

  for (int i = ev->plan.last; i >= 0; i--)
    {
      const SwagNode *nd = &net->nodes[i];
      SwagShape  os = ev->plan.shapes[i];
      SwagShape  is = nd->in0 < 0 ? (SwagShape) { 3, ev->h, ev->w }
                                  : ev->plan.shapes[nd->in0];
      gsize      elems = shape_floats (os);
      float     *g;

      if (!ev->grad_live[i])
        continue;   /* nothing downstream of this node reached a loss */
      g = grad_buf (ev, i);
      /* A convolution applies its own ReLU's backward while it reads g. */
      if (nd->relu && nd->op != SWAG_NODE_CONV)
        swag_relu_backward_bits (&ev->ctx, ev->masks + ev->plan.mask_off[i],
                                 g, elems);
      switch (nd->op)
        {
        case SWAG_NODE_CONV:
          swag_conv2d_backward_relu (&ev->ctx, &nd->conv, g,
                                     nd->relu ? ev->masks + ev->plan.mask_off[i]
                                              : NULL,
                                     is.h, is.w, grad_buf (ev, nd->in0));
          break;
        case SWAG_NODE_MAXPOOL:
          swag_maxpool_backward (&ev->ctx, &nd->pool, g,
                                 ev->masks + ev->plan.mask_off[i],
                                 is.c, is.h, is.w, grad_buf (ev, nd->in0));
          break;
        case SWAG_NODE_AVGPOOL:
          swag_avgpool_backward (&ev->ctx, &nd->pool, g, is.c, is.h, is.w,
                                 grad_buf (ev, nd->in0));
          break;
        case SWAG_NODE_ADD:
          swag_axpy (&ev->ctx, 1.0f, g, grad_buf (ev, nd->in0), elems);
          swag_axpy (&ev->ctx, 1.0f, g, grad_buf (ev, nd->in1), elems);
          break;
        }
      if (cancelled (layer, user_data, i, error))
        return FALSE;
    }

  /* From the normalised input back to x in [0, 1]. */
  gin = grad_buf (ev, -1);
  for (int c = 0; c < 3; c++)
    {
      const float s = 1.0f / imagenet_std[c];
      for (gsize p = 0; p < hw; p++)
        dx[c * hw + p] = gin[c * hw + p] * s;
    }
  return TRUE;
}
