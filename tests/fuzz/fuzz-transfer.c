/* fuzz-transfer.c: libFuzzer target for the engine's input checks. The
 * input is decoded into every field of SwagParams (extremes, NaN and Inf
 * included, enums out of range), the sizes given to swag_transfer_estimate
 * (any int), and a small content and one or two style images whose pixels
 * may be NaN, Inf, negative or above 1. It calls swag_params_validate,
 * swag_transfer_estimate and, for settings that pass, swag_transfer_run
 * (sizes clamped so that one input stays fast: working size <= 32, one or
 * two evaluations) and sometimes swag_diagnose. Findings: a crash, a
 * sanitizer report, a GLib warning, a refusal without a message, or a
 * non-finite or out-of-range pixel in any image handed back.
 *
 * Input layout: a stream of bytes read front to back; past the end every
 * read gives 0, so any input is valid. GPL-3.0-or-later. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "swag.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_SIDE 40      /* of the images actually run */
#define MAX_WORKING 32   /* working size of a run */

typedef struct
{
  const uint8_t *p;
  size_t         n;
} Stream;

static guint8
u8 (Stream *s)
{
  guint8 v = 0;

  if (s->n > 0)
    {
      v = *s->p++;
      s->n--;
    }
  return v;
}

static guint32
u32 (Stream *s)
{
  guint32 v = 0;

  for (int k = 0; k < 4; k++)
    v |= (guint32) u8 (s) << (8 * k);
  return v;
}

/* A double: mostly one of the values that break things, sometimes any
 * 64-bit pattern. */
static double
any_double (Stream *s)
{
  static const double table[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 8.0, 10.0, 0.05, 0.049, 0.001, 1e-6,
    1e-12, 1e-30, 1e-300, 5e-324, 1e6, 1e6 + 1, 1e7, 1e12, 1e13, 1e17,
    1e30, 1e31, 1e300, DBL_MAX, -DBL_MAX, INFINITY, -INFINITY, NAN, -NAN,
    100.0, 0.02, 8.000001,
  };
  guint8 sel = u8 (s);

  if (sel < 224)
    return table[sel % G_N_ELEMENTS (table)];
  {
    guint64 bits = (guint64) u32 (s) | (guint64) u32 (s) << 32;
    double  v;
    memcpy (&v, &bits, sizeof v);
    return v;
  }
}

static int
any_int (Stream *s)
{
  static const int table[] = {
    0, 1, 2, 3, 5, -1, -2, INT_MIN, INT_MAX, INT_MAX - 1, 15, 16, 17, 31,
    32, 33, 48, 64, 100, 512, 1000, 1001, 8, 9, 16384, 16385, 46340, 46341,
    65536, 100000, 100001, 1 << 30,
  };
  guint8 sel = u8 (s);

  if (sel < 224)
    return table[sel % G_N_ELEMENTS (table)];
  return (int) u32 (s);
}

/* An enum value, including the two just outside its range. */
static int
any_enum (Stream *s, int n_values)
{
  return (int) (u8 (s) % (n_values + 2)) - 1;
}

static const char *
any_layers (Stream *s)
{
  static const char *const table[] = {
    NULL, "", ",", " , ", "relu1_1", "relu1_1,relu2_1", "relu5_1",
    "relu4_2", "relu1_1, relu1_1", "relu1_1,,relu3_1,", "conv0_0",
    "conv4_2", "conv0_0,conv1_2", "conv3_5", "features.0", "features.1",
    "features.35", "features.36", "layer4.2", "nosuch", "relu1_1,nosuch",
    "relu9_9", "\xff\xfe", "relu1_1\n", "conv0_0,relu1_1", "relu2_1",
    "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1",
  };
  return table[u8 (s) % G_N_ELEMENTS (table)];
}

static const char *
any_weights (Stream *s)
{
  /* Only "random" builds a network; the others fail fast and cheaply. */
  static const char *const table[] = {
    "random", "random", "random", "random", "random", "random", NULL, "",
    "pretrained", "/nonexistent/w.safetensors", "/", "/dev/null",
  };
  return table[u8 (s) % G_N_ELEMENTS (table)];
}

static float
any_pixel (Stream *s)
{
  static const float table[] = {
    0.0f, 1.0f, 0.5f, 0.25f, 0.75f, -1.0f, 2.0f, NAN, INFINITY, -INFINITY,
    FLT_MAX, -FLT_MAX, 1e-40f, FLT_MIN, 1e30f, -0.0f,
  };
  return table[u8 (s) % G_N_ELEMENTS (table)];
}

/* An image of at most MAX_SIDE a side: a smooth picture, one value
 * everywhere (black, transparent, NaN...), or noise, then a few pixels
 * overwritten with chosen values. */
static SwagImage *
any_image (Stream *s)
{
  int        w = 1 + u8 (s) % MAX_SIDE, h = 1 + u8 (s) % MAX_SIDE;
  guint8     mode = u8 (s) % 3, n_special = u8 (s) % 8;
  float      fill[4];
  SwagImage *im = swag_image_new (w, h, NULL);
  gsize      n = (gsize) w * h;

  if (!im)
    __builtin_trap ();
  for (int c = 0; c < 4; c++)
    fill[c] = any_pixel (s);
  for (gsize p = 0; p < n; p++)
    for (int c = 0; c < 4; c++)
      {
        float *v = &im->data[4 * p + c];
        switch (mode)
          {
          case 0:
            *v = c == 3 ? 1.0f
                 : (float) (0.5 + 0.4 * sin ((double) (p % w) * (c + 1) / w
                                             + (double) (p / w) / h));
            break;
          case 1:
            *v = fill[c];
            break;
          default:
            *v = (float) ((p * 2654435761u + c * 40503u) % 1000) / 999.0f;
          }
      }
  for (int k = 0; k < n_special; k++)
    {
      gsize p = u32 (s) % n;
      int   c = u8 (s) % 4;
      im->data[4 * p + c] = any_pixel (s);
    }
  return im;
}

static void
check_image_sane (const SwagImage *im, int w, int h)
{
  if (!im || !im->data || im->width != w || im->height != h)
    __builtin_trap ();
  for (gsize i = 0; i < (gsize) w * h * 4; i++)
    if (!(im->data[i] >= 0.0f && im->data[i] <= 1.0f))  /* NaN fails too */
      __builtin_trap ();
}

typedef struct
{
  int      calls;
  int      cancel_at;   /* cancel at this callback, 0 = never */
} Watch;

static gboolean
watch (const SwagProgress *p, gpointer data)
{
  Watch *w = data;

  if ((guint) p->kind > SWAG_PROGRESS_MESSAGE || p->width <= 0
      || p->height <= 0 || p->scale < 0 || p->scale >= p->n_scales)
    __builtin_trap ();
  if (p->kind == SWAG_PROGRESS_EVALUATION
      && (p->layers == NULL || p->n_layers <= 0))
    __builtin_trap ();
  if (p->kind == SWAG_PROGRESS_MESSAGE && p->message == NULL)
    __builtin_trap ();
  if (p->image)
    check_image_sane (p->image, p->width, p->height);
  w->calls++;
  return w->cancel_at == 0 || w->calls < w->cancel_at;
}

/* One network per backbone and pooling, built once: random init of the
 * large nets is slow, and the nets are immutable, as the preview relies on. */
static SwagNet *
cached_net (SwagBackbone backbone, SwagPooling pooling)
{
  static SwagNet *nets[SWAG_BACKBONE_PSEUDO_RESVGG + 1][2];
  SwagParams      p;

  /* ResNet-50 and its ablation have no 2x2 pools: one net each. */
  if (backbone == SWAG_BACKBONE_RESNET50
      || backbone == SWAG_BACKBONE_NORESNET50)
    pooling = SWAG_POOLING_MAX;
  if (!nets[backbone][pooling])
    {
      swag_params_init_defaults (&p);
      p.backbone = backbone;
      p.pooling = pooling;
      p.seed = 1;
      nets[backbone][pooling] = swag_net_new (&p, NULL);
      if (!nets[backbone][pooling])
        __builtin_trap ();
    }
  return nets[backbone][pooling];
}

static void
fuzz_once_init (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  /* The engine never prints: a warning or a critical is a finding. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  swag_set_threads (1);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Stream        s = { data, size };
  SwagParams    p, q;
  SwagEstimate  est;
  GError       *error = NULL;
  SwagImage    *content, *styles[2] = { NULL, NULL }, *result, *partial = NULL;
  double        blend[2];
  int           n_styles, est_cw, est_ch, est_sw, est_sh;
  gboolean      valid, fits, diagnose;
  Watch         w = { 0, 0 };
  SwagNet      *net;

  fuzz_once_init ();

  /* Settings. */
  swag_params_init_defaults (&p);
  p.backbone = any_enum (&s, SWAG_BACKBONE_PSEUDO_RESVGG + 1);
  p.pooling = any_enum (&s, 2);
  p.weights = any_weights (&s);
  p.seed = u32 (&s);
  p.style_layers = any_layers (&s);
  p.content_layers = any_layers (&s);
  p.smoothing = any_enum (&s, 5);
  p.smooth_layers = any_layers (&s);
  p.temperature = any_double (&s);
  p.alpha = any_double (&s);
  p.style_strength = any_double (&s);
  p.style_weight = any_double (&s);
  p.content_weight = any_double (&s);
  p.tv_weight = any_double (&s);
  p.iterations = any_int (&s);
  p.size = any_int (&s);
  p.scales = any_int (&s);
  p.optimizer = any_enum (&s, 2);
  p.lbfgs_history = any_int (&s);
  p.learning_rate = any_double (&s);
  p.init = any_enum (&s, 3);
  p.preserve_colors = u8 (&s) & 1;
  p.match_histogram = u8 (&s) & 1;
  p.style_scale = any_double (&s);
  p.preview_every = any_int (&s);
  p.memory_limit = (u8 (&s) & 3) == 0 ? (guint64) u32 (&s) << (u8 (&s) % 33)
                                      : 0;

  /* Sizes for the estimate alone: any int. */
  est_cw = any_int (&s);
  est_ch = any_int (&s);
  est_sw = any_int (&s);
  est_sh = any_int (&s);

  /* The run's own choices. */
  n_styles = 1 + (u8 (&s) & 1);
  blend[0] = any_double (&s);
  blend[1] = any_double (&s);
  w.cancel_at = u8 (&s) % 16;
  diagnose = (u8 (&s) & 3) == 0;

  valid = swag_params_validate (&p, &error);
  if (!valid)
    {
      if (!error || !error->message || !*error->message)
        __builtin_trap ();
      if (g_getenv ("SWAG_FUZZ_VERBOSE"))
        g_printerr ("validate: %s\n", error->message);
      g_clear_error (&error);
      /* Invalid settings must be refused by the estimate too. */
      if (swag_transfer_estimate (&p, 64, 64, 64, 64, &est, &error))
        __builtin_trap ();
      g_clear_error (&error);
      return 0;
    }
  g_free (swag_params_to_json (&p));

  fits = swag_transfer_estimate (&p, est_cw, est_ch, est_sw, est_sh, &est,
                                 &error);
  if (fits)
    {
      if (error || est.peak_bytes == 0 || est.peak_bytes > est.available
          || est.fitting_size != p.size || !(est.seconds >= 0))
        __builtin_trap ();
    }
  else
    {
      if (!error || !error->message)
        __builtin_trap ();
      if (g_getenv ("SWAG_FUZZ_VERBOSE"))
        g_printerr ("estimate: %s\n", error->message);
      if (error->domain == SWAG_ERROR && error->code == SWAG_ERROR_NO_MEMORY
          && (est.fitting_size < 0 || est.fitting_size > p.size))
        __builtin_trap ();
      g_clear_error (&error);
    }

  /* Building a network from a file or by name: fails fast here. */
  if (p.weights && *p.weights && strcmp (p.weights, "random") != 0)
    {
      SwagNet *other = swag_net_new (&p, &error);
      if (other)
        swag_net_free (other);   /* a weights file installed: fine too */
      else if (!error || !error->message)
        __builtin_trap ();
      g_clear_error (&error);
      return 0;
    }

  /* A quick run: small sizes, one or two evaluations. */
  q = p;
  q.iterations = 1 + (int) ((guint) p.iterations % 2);
  q.size = MIN (p.size, MAX_WORKING);
  q.style_scale = MIN (p.style_scale, 2.0);
  if (!swag_params_validate (&q, NULL))
    __builtin_trap ();   /* smaller is valid if larger was */

  content = any_image (&s);
  for (int k = 0; k < n_styles; k++)
    styles[k] = any_image (&s);
  net = cached_net (q.backbone, q.pooling);

  if (diagnose)
    {
      int           n_taps = 0;
      SwagTapStats *stats = swag_diagnose (net, content, styles[0], &q,
                                           &n_taps, &error);
      if (!stats && (!error || !error->message))
        __builtin_trap ();
      g_free (stats);
      g_clear_error (&error);
    }

  result = swag_transfer_run (net, content, (const SwagImage *const *) styles,
                              (u8 (&s) & 1) ? blend : NULL, n_styles, &q,
                              watch, &w, &partial, &error);
  if (result)
    {
      if (error || partial)
        __builtin_trap ();
      check_image_sane (result, content->width, content->height);
      swag_image_free (result);
    }
  else
    {
      if (!error || !error->message || !*error->message)
        __builtin_trap ();
      if (g_getenv ("SWAG_FUZZ_VERBOSE"))
        g_printerr ("run: %s\n", error->message);
      if (partial)
        {
          if (error->code != SWAG_ERROR_CANCELLED)
            __builtin_trap ();
          check_image_sane (partial, content->width, content->height);
          swag_image_free (partial);
        }
      g_clear_error (&error);
    }

  swag_image_free (content);
  for (int k = 0; k < n_styles; k++)
    swag_image_free (styles[k]);
  return 0;
}
