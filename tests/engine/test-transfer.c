/* test-transfer.c: the transfer driver: it lowers the loss, honours the
 * evaluation budget and the scales, cancels between layers with a partial
 * image, keeps alpha and colours, is deterministic, refuses what it cannot
 * do. Small random networks and images keep it quick. GPL-3.0-or-later. */
#include "swag.h"
#include "swag-rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A smooth test picture with an alpha pattern when @alpha. */
static SwagImage *
picture (int w, int h, guint64 seed, gboolean alpha)
{
  SwagImage *im = swag_image_new (w, h, NULL);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        float *px = im->data + 4 * ((gsize) y * w + x);
        double u = (double) x / w, v = (double) y / h;
        px[0] = (float) (0.5 + 0.4 * sin (6 * u + seed));
        px[1] = (float) (0.5 + 0.4 * cos (5 * v + 2 * seed));
        px[2] = (float) (0.3 + 0.3 * swag_rng_uniform (seed, 9, (gsize) y * w + x));
        px[3] = alpha ? (x < w / 3 ? 0.0f : x < w / 2 ? 0.5f : 1.0f) : 1.0f;
      }
  return im;
}

static void
small_params (SwagParams *p)
{
  swag_params_init_defaults (p);
  p->backbone = SWAG_BACKBONE_VGG19;
  p->match_histogram = FALSE;   /* these tests predate it as the default */
  p->style_layers = "relu1_1,relu2_1,relu3_1";
  p->content_layers = "relu2_1";
  p->size = 48;
  p->scales = 2;
  p->iterations = 12;
}

typedef struct
{
  int     evals, layers, layers_after_cancel, messages;
  int     cancel_at_eval;       /* ask to cancel at the first layer after
                                   this many evaluations; -1 never */
  gboolean cancelled;
  int     last_scale, scales_seen[8];
  double  first_total, last_total;   /* of the last scale seen */
  double  min_total;
  int     iterations[256];
  int     previews;
  char    message[256];             /* the last SWAG_PROGRESS_MESSAGE */
} Watch;

static gboolean
watch (const SwagProgress *p, gpointer data)
{
  Watch *w = data;

  switch (p->kind)
    {
    case SWAG_PROGRESS_EVALUATION:
      if (w->evals < 256)
        w->iterations[w->evals] = p->iteration;
      if (w->evals == 0 || p->scale != w->last_scale)
        w->first_total = w->min_total = p->total;
      w->last_scale = p->scale;
      w->last_total = p->total;
      w->min_total = MIN (w->min_total, p->total);
      w->evals++;
      w->scales_seen[p->scale]++;
      g_assert_cmpint (p->n_layers, >, 0);
      g_assert_nonnull (p->layers[0].name);
      if (p->image)
        {
          w->previews++;
          g_assert_cmpint (p->image->width, ==, p->width);
        }
      break;
    case SWAG_PROGRESS_LAYER:
      w->layers++;
      if (w->cancelled)
        w->layers_after_cancel++;
      if (w->cancel_at_eval >= 0 && w->evals >= w->cancel_at_eval)
        w->cancelled = TRUE;
      break;
    case SWAG_PROGRESS_MESSAGE:
      w->messages++;
      if (p->message)
        g_strlcpy (w->message, p->message, sizeof w->message);
      break;
    }
  return !w->cancelled;
}

/* A flat-ish picture of one colour (with a little texture). */
static SwagImage *
tinted (int w, int h, float r, float g, float b, guint64 seed)
{
  SwagImage *im = swag_image_new (w, h, NULL);

  for (gsize i = 0; i < (gsize) w * h; i++)
    {
      const float t = 0.1f * (float) swag_rng_uniform (seed, 1, i);
      im->data[4 * i + 0] = r + t;
      im->data[4 * i + 1] = g + t;
      im->data[4 * i + 2] = b + t;
      im->data[4 * i + 3] = 1.0f;
    }
  return im;
}

/* Mean of each colour channel. */
static void
mean_rgb (const SwagImage *im, double mean[3])
{
  const gsize n = (gsize) im->width * im->height;

  mean[0] = mean[1] = mean[2] = 0;
  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 3; c++)
      mean[c] += im->data[4 * i + c] / (double) n;
}

static double
rgb_distance (const double a[3], const double b[3])
{
  return sqrt ((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1])
               + (a[2] - b[2]) * (a[2] - b[2]));
}

/* A transfer with every style (n of them, blended by @blend, NULL: equal)
 * on its own network, reporting to @w. */
static SwagImage *
run_blend (const SwagParams *p, SwagImage *content,
           const SwagImage *const *styles, const double *blend, int n,
           Watch *w, SwagImage **partial, GError **error)
{
  SwagNet   *net = swag_net_new (p, error);
  SwagImage *out;

  g_assert_nonnull (net);
  out = swag_transfer_run (net, content, styles, blend, n, p, watch, w,
                           partial, error);
  swag_net_free (net);
  return out;
}

/* The same, that must succeed. */
static SwagImage *
run_styles (const SwagParams *p, SwagImage *content,
            const SwagImage *const *styles, const double *blend, int n)
{
  GError    *error = NULL;
  Watch      w = { 0 };
  SwagImage *out;

  w.cancel_at_eval = -1;
  out = run_blend (p, content, styles, blend, n, &w, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  return out;
}

static gboolean
same_pixels (const SwagImage *a, const SwagImage *b)
{
  return a->width == b->width && a->height == b->height &&
         memcmp (a->data, b->data,
                 (gsize) a->width * a->height * 4 * sizeof (float)) == 0;
}

static SwagImage *
run (const SwagParams *p, SwagImage *content, SwagImage *style, Watch *w,
     SwagImage **partial, GError **error)
{
  const SwagImage *styles[1] = { style };

  return run_blend (p, content, styles, NULL, 1, w, partial, error);
}

static void
test_runs (void)
{
  SwagParams p;
  SwagImage *content = picture (64, 48, 1, FALSE), *style = picture (50, 50, 2, FALSE);
  Watch      w = { 0 };
  GError    *error = NULL;
  SwagImage *out;

  small_params (&p);
  p.preview_every = 3;
  w.cancel_at_eval = -1;
  out = run (&p, content, style, &w, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  /* a preview image every 3 evaluations */
  g_test_message ("%d previews in %d evaluations", w.previews, w.evals);
  g_assert_cmpint (w.previews, >=, p.iterations / 3 - 1);
  g_assert_cmpint (w.previews, <=, p.iterations / 3 + 1);
  g_assert_cmpint (out->width, ==, 64);
  g_assert_cmpint (out->height, ==, 48);
  /* every evaluation reported once, numbered from 0 over all scales */
  g_assert_cmpint (w.evals, ==, p.iterations);
  for (int i = 0; i < w.evals; i++)
    g_assert_cmpint (w.iterations[i], ==, i);
  g_assert_cmpint (w.scales_seen[0], >, 0);
  g_assert_cmpint (w.scales_seen[1], >, 0);
  /* the objective went down within the last scale */
  g_test_message ("last scale: first %.4g, best %.4g", w.first_total, w.min_total);
  g_assert_cmpfloat (w.min_total, <, 0.9 * w.first_total);
  for (gsize i = 0; i < (gsize) 64 * 48 * 4; i++)
    g_assert_true (isfinite (out->data[i]) && out->data[i] >= 0
                   && out->data[i] <= 1);
  /* it changed the picture */
  {
    double diff = 0;
    for (gsize i = 0; i < (gsize) 64 * 48 * 4; i++)
      diff += fabs (out->data[i] - content->data[i]);
    g_assert_cmpfloat (diff / (64 * 48 * 3), >, 1e-3);
  }
  swag_image_free (out);
  swag_image_free (content);
  swag_image_free (style);
}

static void
test_deterministic (void)
{
  SwagParams p;
  SwagImage *content = picture (40, 40, 3, TRUE), *style = picture (40, 30, 4, FALSE);
  SwagImage *a, *b;
  Watch      w = { 0 };

  small_params (&p);
  p.init = SWAG_INIT_NOISE;
  w.cancel_at_eval = -1;
  a = run (&p, content, style, &w, NULL, NULL);
  b = run (&p, content, style, &w, NULL, NULL);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_true (same_pixels (a, b));
  /* alpha passes through untouched */
  for (gsize i = 0; i < (gsize) 40 * 40; i++)
    g_assert_cmpfloat (a->data[4 * i + 3], ==, content->data[4 * i + 3]);
  swag_image_free (a);
  swag_image_free (b);
  swag_image_free (content);
  swag_image_free (style);
}

/* Two threads give the image one thread gives, to the bit: tasks are split
 * by size only and partial sums are added in a fixed order, whichever
 * thread runs them (the README promises this). 96 px with every default
 * tap, so that the GEMMs, Winograd and the Gram split into several tasks. */
static void
test_threads (void)
{
  SwagParams p;
  SwagImage *content = picture (96, 80, 7, TRUE), *style = picture (72, 96, 8, FALSE);
  SwagImage *one, *two;
  Watch      w = { 0 };

  swag_params_init_defaults (&p);
  p.size = 96;
  p.scales = 2;
  p.iterations = 8;
  w.cancel_at_eval = -1;
  swag_set_threads (1);
  one = run (&p, content, style, &w, NULL, NULL);
  swag_set_threads (2);
  g_assert_cmpint (swag_get_threads (), ==, 2);
  two = run (&p, content, style, &w, NULL, NULL);
  swag_set_threads (1);
  g_assert_nonnull (one);
  g_assert_nonnull (two);
  g_assert_true (same_pixels (one, two));
  swag_image_free (one);
  swag_image_free (two);
  swag_image_free (content);
  swag_image_free (style);
}

/* Blend weights (1, 0) give the first style's image, (0, 1) the second's,
 * to the bit: the weight that is 0 takes no part. */
static void
test_blend (void)
{
  SwagParams p;
  SwagImage *content = picture (48, 40, 11, FALSE);
  SwagImage *a = picture (40, 40, 12, FALSE), *b = picture (56, 36, 13, FALSE);
  const SwagImage *both[2] = { a, b }, *only_a[1] = { a }, *only_b[1] = { b };
  const double first[2] = { 1, 0 }, second[2] = { 0, 1 }, half[2] = { 0.5, 0.5 };
  SwagImage *ra, *rb, *r10, *r01, *rh;

  small_params (&p);
  ra = run_styles (&p, content, only_a, NULL, 1);
  rb = run_styles (&p, content, only_b, NULL, 1);
  r10 = run_styles (&p, content, both, first, 2);
  r01 = run_styles (&p, content, both, second, 2);
  rh = run_styles (&p, content, both, half, 2);
  g_assert_true (same_pixels (r10, ra));
  g_assert_true (same_pixels (r01, rb));
  /* an even blend is neither */
  g_assert_false (same_pixels (rh, ra));
  g_assert_false (same_pixels (rh, rb));
  /* a fully transparent second style is named as the user numbers it,
   * though it leads the blend */
  {
    SwagImage *clear = picture (40, 40, 14, FALSE);
    const SwagImage *with_clear[2] = { a, clear };
    GError    *error = NULL;
    Watch      w = { 0 };

    for (gsize i = 0; i < (gsize) 40 * 40; i++)
      clear->data[4 * i + 3] = 0.0f;
    w.cancel_at_eval = -1;
    g_assert_null (run_blend (&p, content, with_clear, second, 2, &w, NULL,
                              &error));
    g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
    g_assert_cmpstr (error->message, ==, "Style image 2 is fully transparent");
    g_clear_error (&error);
    swag_image_free (clear);
  }
  swag_image_free (ra); swag_image_free (rb); swag_image_free (r10);
  swag_image_free (r01); swag_image_free (rh);
  swag_image_free (content); swag_image_free (a); swag_image_free (b);
}

/* The colour options do what they say on a red photograph and a blue
 * painting, after a few evaluations: matching the histogram first, or
 * starting from noise with the style's colours, lands far nearer the
 * painting's mean colour than the plain run from the photograph or from
 * plain noise. */
static void
test_colour_options (void)
{
  SwagParams p;
  SwagImage *content = tinted (48, 40, 0.7f, 0.2f, 0.15f, 21);
  SwagImage *style = tinted (48, 48, 0.1f, 0.25f, 0.75f, 22);
  const SwagImage *styles[1] = { style };
  SwagImage *plain, *matched, *noise, *style_noise;
  double     ms[3], m[3], d_plain, d_matched, d_noise, d_style_noise;

  small_params (&p);
  p.iterations = 4;
  p.scales = 1;
  mean_rgb (style, ms);

  plain = run_styles (&p, content, styles, NULL, 1);
  p.match_histogram = TRUE;
  matched = run_styles (&p, content, styles, NULL, 1);
  p.match_histogram = FALSE;
  p.init = SWAG_INIT_NOISE;
  noise = run_styles (&p, content, styles, NULL, 1);
  p.init = SWAG_INIT_STYLE_NOISE;
  style_noise = run_styles (&p, content, styles, NULL, 1);

  mean_rgb (plain, m);        d_plain = rgb_distance (m, ms);
  mean_rgb (matched, m);      d_matched = rgb_distance (m, ms);
  mean_rgb (noise, m);        d_noise = rgb_distance (m, ms);
  mean_rgb (style_noise, m);  d_style_noise = rgb_distance (m, ms);
  g_test_message ("distance to the painting's mean colour: plain %.3f, "
                  "matched %.3f, noise %.3f, style noise %.3f", d_plain,
                  d_matched, d_noise, d_style_noise);
  g_assert_cmpfloat (d_matched, <, 0.25 * d_plain);
  g_assert_cmpfloat (d_style_noise, <, 0.5 * d_noise);

  swag_image_free (plain); swag_image_free (matched);
  swag_image_free (noise); swag_image_free (style_noise);
  swag_image_free (content); swag_image_free (style);
}

typedef struct
{
  SwagParams       params;
  SwagImage       *content, *style, *out;
} Job;

static gpointer
job_main (gpointer data)
{
  Job *job = data;
  const SwagImage *styles[1] = { job->style };

  job->out = run_styles (&job->params, job->content, styles, NULL, 1);
  return NULL;
}

/* Two transfers at once (the dialog's preview and a full run, or two
 * plug-in calls) share no mutable state: run together on two threads, each
 * gives the image it gives alone. */
static void
test_concurrent (void)
{
  Job     jobs[2];
  GThread *threads[2];

  for (int k = 0; k < 2; k++)
    {
      small_params (&jobs[k].params);
      jobs[k].params.backbone = k ? SWAG_BACKBONE_RESNET50 : SWAG_BACKBONE_VGG19;
      if (k)
        {
          jobs[k].params.style_layers = "conv0_0,conv1_2";
          jobs[k].params.content_layers = "conv1_2";
        }
      jobs[k].content = picture (48, 40, 31 + k, FALSE);
      jobs[k].style = picture (40, 48, 33 + k, FALSE);
    }
  for (int k = 0; k < 2; k++)
    threads[k] = g_thread_new ("transfer", job_main, &jobs[k]);
  for (int k = 0; k < 2; k++)
    g_thread_join (threads[k]);
  for (int k = 0; k < 2; k++)
    {
      SwagImage *alone;
      SwagImage *together = jobs[k].out;

      job_main (&jobs[k]);
      alone = jobs[k].out;
      g_assert_true (same_pixels (together, alone));
      swag_image_free (together);
      swag_image_free (alone);
      swag_image_free (jobs[k].content);
      swag_image_free (jobs[k].style);
    }
}

/* A memory limit between what the run needs with 5 and with 100 L-BFGS
 * pairs: the run goes ahead with fewer pairs and says so. */
static void
test_history_reduced (void)
{
  SwagParams   p;
  SwagImage   *content = picture (64, 48, 41, FALSE), *style = picture (48, 48, 42, FALSE);
  SwagEstimate full, few;
  SwagImage   *out;
  Watch        w = { 0 };
  GError      *error = NULL;
  int          from, to;

  small_params (&p);
  p.size = 64;
  /* A small style pass, so that the L-BFGS history is the larger of the
   * two phases' needs (the estimate takes the larger). */
  p.style_scale = 0.25;
  g_assert_true (swag_transfer_estimate (&p, 64, 48, 48, 48, &full, &error));
  p.lbfgs_history = 5;
  g_assert_true (swag_transfer_estimate (&p, 64, 48, 48, 48, &few, &error));
  g_assert_cmpuint (few.peak_bytes, <, full.peak_bytes);
  p.lbfgs_history = 100;
  p.memory_limit = (few.peak_bytes + full.peak_bytes) / 2;
  w.cancel_at_eval = -1;
  out = run (&p, content, style, &w, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_test_message ("limit %" G_GUINT64_FORMAT " bytes: \"%s\"", p.memory_limit,
                  w.message);
  g_assert_cmpint (sscanf (w.message, "L-BFGS history reduced from %d to %d",
                           &from, &to), ==, 2);
  g_assert_cmpint (from, ==, 100);
  g_assert_cmpint (to, >=, 5);
  g_assert_cmpint (to, <, 100);
  swag_image_free (out);
  swag_image_free (content);
  swag_image_free (style);
}

/* The style size the estimate takes: the most pixels, the first of equals. */
static void
test_largest (void)
{
  SwagImage *a = swag_image_new (10, 10, NULL), *b = swag_image_new (20, 5, NULL);
  SwagImage *c = swag_image_new (12, 12, NULL);
  const SwagImage *ab[2] = { a, b }, *ba[2] = { b, a }, *abc[3] = { a, b, c };

  g_assert_true (swag_largest_image (ab, 2) == a);
  g_assert_true (swag_largest_image (ba, 2) == b);
  g_assert_true (swag_largest_image (abc, 3) == c);
  g_assert_true (swag_largest_image (abc, 1) == a);
  swag_image_free (a); swag_image_free (b); swag_image_free (c);
}

static void
test_cancel (void)
{
  SwagParams p;
  SwagImage *content = picture (48, 48, 5, FALSE), *style = picture (48, 48, 6, FALSE);
  SwagImage *partial = NULL, *out;
  Watch      w = { 0 };
  GError    *error = NULL;

  small_params (&p);
  w.cancel_at_eval = 5;
  out = run (&p, content, style, &w, &partial, &error);
  g_assert_null (out);
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_CANCELLED);
  g_clear_error (&error);
  /* At most one more layer after the callback asked to stop. */
  g_test_message ("layers %d, after cancel %d, evaluations %d", w.layers,
                  w.layers_after_cancel, w.evals);
  g_assert_cmpint (w.layers_after_cancel, <=, 1);
  g_assert_cmpint (w.evals, ==, 5);
  g_assert_nonnull (partial);
  g_assert_cmpint (partial->width, ==, 48);
  swag_image_free (partial);
  swag_image_free (content);
  swag_image_free (style);
}

static void
test_preserve_colours (void)
{
  SwagParams p;
  SwagImage *content = picture (48, 32, 7, FALSE), *style = picture (48, 48, 8, FALSE);
  SwagImage *out;
  Watch      w = { 0 };
  double     worst = 0;

  small_params (&p);
  p.preserve_colors = TRUE;
  p.style_strength = 100;
  w.cancel_at_eval = -1;
  out = run (&p, content, style, &w, NULL, NULL);
  g_assert_nonnull (out);
  /* Chroma (Cb, Cr) is the content's, where nothing clipped. */
  for (gsize i = 0; i < (gsize) 48 * 32; i++)
    {
      const float *a = out->data + 4 * i, *c = content->data + 4 * i;
      double cb_o = -0.168736 * a[0] - 0.331264 * a[1] + 0.5 * a[2];
      double cb_c = -0.168736 * c[0] - 0.331264 * c[1] + 0.5 * c[2];
      gboolean clipped = FALSE;
      for (int k = 0; k < 3; k++)
        clipped |= a[k] <= 0.0f || a[k] >= 1.0f;
      if (!clipped)
        worst = MAX (worst, fabs (cb_o - cb_c));
    }
  g_assert_cmpfloat (worst, <, 1e-4);
  swag_image_free (out);
  swag_image_free (content);
  swag_image_free (style);
}

static void
test_refusals (void)
{
  SwagParams p;
  SwagImage *content = picture (48, 48, 9, FALSE), *tiny = picture (8, 200, 9, FALSE);
  SwagImage *clear = picture (48, 48, 10, FALSE);
  SwagImage *out;
  Watch      w = { 0 };
  GError    *error = NULL;

  w.cancel_at_eval = -1;
  small_params (&p);
  out = run (&p, content, tiny, &w, NULL, &error);
  g_assert_null (out);
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "at least"));
  g_clear_error (&error);

  out = run (&p, tiny, content, &w, NULL, &error);
  g_assert_null (out);
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_clear_error (&error);

  for (gsize i = 0; i < (gsize) 48 * 48; i++)
    clear->data[4 * i + 3] = 0;
  out = run (&p, content, clear, &w, NULL, &error);
  g_assert_null (out);
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "transparent"));
  g_clear_error (&error);

  p.iterations = 0;
  g_assert_false (swag_params_validate (&p, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_clear_error (&error);

  /* A run that cannot fit is refused before any work, with a size that fits. */
  small_params (&p);
  p.size = 512;
  p.memory_limit = 600u << 20;   /* above the Winograd weights (309 MiB) */
  {
    SwagEstimate est;
    g_assert_false (swag_transfer_estimate (&p, 2000, 1500, 800, 600, &est, &error));
    g_assert_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, "would fit"));
    g_assert_cmpint (est.fitting_size, >, 16);
    g_assert_cmpint (est.fitting_size, <, 512);
    g_clear_error (&error);
    p.size = est.fitting_size;
    g_assert_true (swag_transfer_estimate (&p, 2000, 1500, 800, 600, &est, &error));
    g_assert_cmpuint (est.peak_bytes, <=, p.memory_limit);
  }

  /* NaN pixels do not make a NaN image. */
  small_params (&p);
  content->data[0] = NAN;
  content->data[5] = INFINITY;
  out = run (&p, content, clear, &w, NULL, &error);  /* clear is still clear */
  g_assert_null (out);
  g_clear_error (&error);
  out = run (&p, content, content, &w, NULL, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < (gsize) 48 * 48 * 4; i++)
    g_assert_true (isfinite (out->data[i]));
  swag_image_free (out);

  swag_image_free (content);
  swag_image_free (tiny);
  swag_image_free (clear);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  swag_set_threads (1);
  g_test_add_func ("/transfer/runs", test_runs);
  g_test_add_func ("/transfer/deterministic", test_deterministic);
  g_test_add_func ("/transfer/threads", test_threads);
  g_test_add_func ("/transfer/concurrent", test_concurrent);
  g_test_add_func ("/transfer/blend", test_blend);
  g_test_add_func ("/transfer/colour-options", test_colour_options);
  g_test_add_func ("/transfer/history-reduced", test_history_reduced);
  g_test_add_func ("/transfer/largest-style", test_largest);
  g_test_add_func ("/transfer/cancel", test_cancel);
  g_test_add_func ("/transfer/preserve-colours", test_preserve_colours);
  g_test_add_func ("/transfer/refusals", test_refusals);
  return g_test_run ();
}
