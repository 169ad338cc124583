/* swag-net.h: networks built from topology tables, and their evaluation
 * (forward to the taps, backward from the taps to the image). Internal to the
 * engine.
 *
 * GPL-3.0-or-later.
 */
#ifndef SWAG_NET_H
#define SWAG_NET_H

#include "swag.h"
#include "swag-ops.h"

G_BEGIN_DECLS

typedef enum
{
  SWAG_NODE_CONV,     /* convolution (+ folded batch-norm) (+ ReLU) */
  SWAG_NODE_MAXPOOL,
  SWAG_NODE_AVGPOOL,
  SWAG_NODE_ADD       /* residual sum (+ ReLU) */
} SwagNodeOp;

typedef struct
{
  SwagNodeOp   op;
  int          in0, in1;  /* producer nodes, -1 = the network's input */
  gboolean     relu;      /* ReLU fused on the output */
  SwagConvDesc conv;      /* CONV: weights point into the net's block */
  SwagPoolDesc pool;      /* MAXPOOL, AVGPOOL */
  const char  *name;      /* state-dict prefix of the conv ("features.0",
                             "layer1.0.conv1") or the module's name */
  const char  *bn;        /* CONV: state-dict prefix of the batch-norm folded
                             into it ("bn1", "layer1.0.downsample.1"), or NULL
                             when the conv has its own bias (VGG) */
} SwagNode;

typedef struct
{
  int c, h, w;
} SwagShape;

struct _SwagNet
{
  SwagBackbone  backbone;
  SwagPooling   pooling;
  char         *weights;        /* "random" or the file loaded */
  guint64       seed;
  SwagNode     *nodes;          /* (n_nodes) topological order */
  int           n_nodes;
  float        *block;          /* every weight and bias, one allocation */
  gsize         block_floats;
  gsize        *weight_offsets; /* (n_nodes) CONV: weight offset in block;
                                   its bias (out_c) follows the weight */
  const char  **tap_names;      /* (2 * n_nodes) paper name, torchvision
                                   name of node i's output, or NULL */
  GStringChunk *strings;        /* names */
  float        *wino;           /* Winograd weights of every conv it applies
                                   to (swag_net_prepare), or NULL */
};

/* The multi-scale network: SWAG_MULTISCALE_N parallel convolutions of the
 * input, kernel sides swag_multiscale_kernels, SWAG_MULTISCALE_FILTERS maps
 * each. */
#define SWAG_MULTISCALE_N 8
#define SWAG_MULTISCALE_FILTERS 32
extern const int swag_multiscale_kernels[SWAG_MULTISCALE_N];

/* The nodes of @backbone without weights (block NULL): enough to check tap
 * names and compute shapes. */
SwagNet *swag_net_topology_new (SwagBackbone backbone, SwagPooling pooling);

/* Allocates the zeroed weight block and points every conv into it. */
gboolean swag_net_alloc_block  (SwagNet *net, GError **error);

/* Once the weights are final: the transformed weights of the fast paths
 * (Winograd for 3x3 stride-1 convolutions), made once per network so that
 * evaluations share them read-only. FALSE (out of memory) leaves the direct
 * method in place. */
gboolean swag_net_prepare      (SwagNet *net, GError **error);

/* Bytes swag_net_prepare adds (Winograd weights, FFT kernel spectra), from
 * the topology alone. */
guint64  swag_net_prepared_bytes (const SwagNet *net);

/* The paper's name of node @node's output if it has one, else torchvision's,
 * else NULL. */
const char *swag_net_tap_name  (const SwagNet *net, int node);

/* Node index of tap @name (paper or torchvision name), or -1 with an error. */
int      swag_net_find_tap   (const SwagNet *net, const char *name,
                              GError **error);

/* The one reader of tap lists ("relu1_1, relu2_1"; swag-params.c): appends
 * the node of every name in the comma-separated @list to @nodes (of int),
 * each node once, whether it is there already or not; blanks around names
 * and empty names are ignored. An unknown name is skipped and the first
 * one is reported: FALSE with an error, the known ones appended all the
 * same. */
gboolean swag_taps_parse     (const SwagNet *net, const char *list,
                              GArray *nodes, GError **error);

/* The shape of every node for an input of h x w; FALSE (SWAG_ERROR_INVALID)
 * when some node up to @last would be empty. @shapes has n_nodes entries. */
gboolean swag_net_shapes     (const SwagNet *net, int h, int w, int last,
                              SwagShape *shapes, GError **error);

/* The input size below which some node up to @last is empty: the smallest
 * side the network can take. */
int      swag_net_min_side   (const SwagNet *net, int last);

/* TRUE when, for an input side of @side pixels, every input row reaches
 * node @last: no pooling or strided window stops short of the last rows
 * (floor mode drops them when (in + 2 pad - k) is not a multiple of the
 * stride: VGG's 2x2 pools drop the last row of an odd side). Windows
 * narrower than their stride (ResNet's 1x1 stride-2 projections) are
 * skipped: the block's main branch covers the same rows. */
gboolean swag_net_side_whole (const SwagNet *net, int last, int side);

/* Multiply-adds of the forward pass up to @last at h x w (direct convolution
 * counting, but the FFT's own work for the convolutions it does). */
double   swag_net_macs       (const SwagNet *net, int h, int w, int last);

/* ---------------------------------------------------------- evaluation -- */

/* Buffers for evaluating one network at one input size up to a set of taps,
 * allocated once and reused across evaluations. Tap outputs stay valid until
 * the next forward. */
typedef struct _SwagEval SwagEval;

/* Called after each node; returning FALSE cancels the evaluation. */
typedef gboolean (*SwagLayerFunc) (int node, gpointer user_data);

/* Bytes swag_eval_new would allocate for these arguments. */
guint64   swag_eval_bytes    (const SwagNet *net, int h, int w,
                              const int *taps, int n_taps,
                              gboolean backward);

/* The activation arena of that plan and the most that is alive at one time
 * (its lower bound): how well the packing does. */
void      swag_eval_plan_stats (const SwagNet *net, int h, int w,
                                const int *taps, int n_taps,
                                gboolean backward, guint64 *arena_bytes,
                                guint64 *live_peak_bytes);

SwagEval *swag_eval_new      (const SwagNet *net, int h, int w,
                              const int *taps, int n_taps,
                              gboolean backward, int n_threads,
                              GError **error);
void      swag_eval_free     (SwagEval *ev);

SwagShape swag_eval_tap_shape (const SwagEval *ev, int i);

/* The evaluation's thread pool, for the loss's own ops (borrowed). */
SwagPool *swag_eval_pool     (SwagEval *ev);

/* Forward of the RGB image x (3, h, w) in [0, 1] (normalised inside). On
 * success tap i's activation is swag_eval_tap (ev, i). */
gboolean  swag_eval_forward  (SwagEval *ev, const float *x,
                              SwagLayerFunc layer, gpointer user_data,
                              GError **error);
const float *swag_eval_tap   (const SwagEval *ev, int i); /* (c, h, w) */

/* Gradient buffer of tap i, zeroed by swag_eval_zero_grad; the caller adds
 * d loss / d tap into it, then calls swag_eval_backward. */
float    *swag_eval_tap_grad (SwagEval *ev, int i);
void      swag_eval_zero_grad (SwagEval *ev);

/* dx = d loss / d x (3, h, w), overwritten. Needs backward = TRUE at
 * creation and a forward before. */
gboolean  swag_eval_backward (SwagEval *ev, float *dx,
                              SwagLayerFunc layer, gpointer user_data,
                              GError **error);

/* ------------------------------------------------------------- weights -- */

/* Fills @net's weights from the seeded generator (engine/README.md). */
void      swag_net_init_random  (SwagNet *net, guint64 seed);
/* Loads torchvision state-dict tensors from a .safetensors file, folding
 * batch-norm. Nothing is half-loaded: on failure the net is unchanged. */
gboolean  swag_net_load_weights (SwagNet *net, const char *path,
                                 GError **error);

G_END_DECLS

#endif /* SWAG_NET_H */
