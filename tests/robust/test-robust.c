/* test-robust.c: what the engine does with input from outside at its
 * limits: pixels that are NaN, Inf or out of range, sizes that overflow,
 * settings at their extremes that drive the loss to Inf or NaN. The rule in
 * each case: a result whose every value is finite and in [0, 1], or a
 * refusal with a message; never a NaN pixel, never a crash.
 * GPL-3.0-or-later. */
#include "swag.h"

#include <float.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static SwagNet *vgg;   /* built once: random VGG-19 init is the slow part */

static SwagImage *
picture (int w, int h, double phase)
{
  SwagImage *im = swag_image_new (w, h, NULL);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        float *px = im->data + 4 * ((gsize) y * w + x);
        px[0] = (float) (0.5 + 0.4 * sin (0.3 * x + phase));
        px[1] = (float) (0.5 + 0.4 * cos (0.2 * y + 2 * phase));
        px[2] = (float) (0.5 + 0.4 * sin (0.1 * (x + y) + phase));
        px[3] = 1.0f;
      }
  return im;
}

static void
fill (SwagImage *im, float r, float g, float b, float a)
{
  for (gsize p = 0; p < (gsize) im->width * im->height; p++)
    {
      im->data[4 * p] = r;
      im->data[4 * p + 1] = g;
      im->data[4 * p + 2] = b;
      im->data[4 * p + 3] = a;
    }
}

static void
small_params (SwagParams *p)
{
  swag_params_init_defaults (p);
  p->backbone = SWAG_BACKBONE_VGG19;   /* the network built in main */
  p->style_layers = "relu1_1,relu2_1,relu3_1";
  p->content_layers = "relu2_1";
  p->size = 32;
  p->scales = 1;
  p->iterations = 4;
}

static void
assert_sane (const SwagImage *im, int w, int h)
{
  g_assert_nonnull (im);
  g_assert_cmpint (im->width, ==, w);
  g_assert_cmpint (im->height, ==, h);
  for (gsize i = 0; i < (gsize) w * h * 4; i++)
    if (!(im->data[i] >= 0.0f && im->data[i] <= 1.0f))
      g_error ("value %" G_GSIZE_FORMAT " (pixel %" G_GSIZE_FORMAT
               ", channel %d) is %g", i, i / 4, (int) (i % 4), im->data[i]);
}

typedef struct
{
  int      evals, previews, messages;
  gboolean nonfinite_total;
} Seen;

static gboolean
seen (const SwagProgress *p, gpointer data)
{
  Seen *s = data;

  if (p->kind == SWAG_PROGRESS_EVALUATION)
    {
      s->evals++;
      s->nonfinite_total |= !isfinite (p->total);
    }
  if (p->kind == SWAG_PROGRESS_MESSAGE)
    s->messages++;
  if (p->image)
    {
      s->previews++;
      assert_sane (p->image, p->width, p->height);
    }
  return TRUE;
}

/* Runs @p on @content and @style: a sane image, or a refusal with a message
 * and the code @refusal (-1: no refusal allowed). Returns TRUE for an image. */
static gboolean
run_expect (const SwagParams *p, const SwagImage *content,
            const SwagImage *style, int refusal)
{
  GError    *error = NULL;
  Seen       s = { 0 };
  SwagImage *out;

  out = swag_transfer_run (vgg, content, &style, NULL, 1, p, seen, &s, NULL,
                           &error);
  if (out)
    {
      g_assert_no_error (error);
      assert_sane (out, content->width, content->height);
      swag_image_free (out);
      return TRUE;
    }
  g_assert_nonnull (error);
  g_test_message ("refused: %s", error->message);
  g_assert_cmpstr (error->message, !=, "");
  if (refusal < 0)
    g_error ("unexpected refusal: %s", error->message);
  g_assert_error (error, SWAG_ERROR, refusal);
  g_error_free (error);
  return FALSE;
}

/* ------------------------------------------------------------- pixels -- */

/* The content's alpha comes back as it is only when it is a real alpha: NaN
 * reads as transparent (as the engine reads it on the way in), values
 * outside [0, 1] are clamped. Found by fuzz-transfer. */
static void
test_alpha_out_of_range (void)
{
  SwagParams  p;
  SwagImage  *content = picture (36, 28, 0), *style = picture (30, 32, 1);
  SwagImage  *out;
  GError     *error = NULL;

  small_params (&p);
  p.iterations = 1;
  for (int x = 0; x < 36; x++)
    {
      content->data[4 * x + 3] = NAN;
      content->data[4 * (36 + x) + 3] = 2.0f;
      content->data[4 * (72 + x) + 3] = -INFINITY;
      content->data[4 * (108 + x) + 3] = 0.25f;
    }
  out = swag_transfer_run (vgg, content, (const SwagImage *const *) &style,
                           NULL, 1, &p, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  assert_sane (out, 36, 28);
  g_assert_cmpfloat (out->data[3], ==, 0.0f);
  g_assert_cmpfloat (out->data[4 * 36 + 3], ==, 1.0f);
  g_assert_cmpfloat (out->data[4 * 72 + 3], ==, 0.0f);
  g_assert_cmpfloat (out->data[4 * 108 + 3], ==, 0.25f);
  g_assert_cmpfloat (out->data[4 * 200 + 3], ==, 1.0f);
  swag_image_free (out);
  swag_image_free (content);
  swag_image_free (style);
}

/* NaN, Inf and out-of-range colours in either image: read as the nearest
 * valid value (NaN as 0), never passed on. */
static void
test_nonfinite_pixels (void)
{
  const float bad[] = { NAN, INFINITY, -INFINITY, FLT_MAX, -1.0f, 2.0f,
                        1e-40f };
  SwagParams  p;
  SwagImage  *content = picture (36, 28, 0), *style = picture (30, 32, 1);

  small_params (&p);
  p.iterations = 2;
  for (guint k = 0; k < G_N_ELEMENTS (bad); k++)
    for (int i = 0; i < 40; i++)
      {
        content->data[(k * 97 + i * 13) % (36 * 28 * 4)] = bad[k];
        style->data[(k * 89 + i * 17) % (30 * 32 * 4)] = bad[k];
      }
  g_assert_true (run_expect (&p, content, style, -1));
  /* Every pixel NaN but alpha 1: a black image. */
  fill (content, NAN, NAN, NAN, 1.0f);
  g_assert_true (run_expect (&p, content, style, -1));
  swag_image_free (content);
  swag_image_free (style);
}

/* ------------------------------------------------------------ numerics -- */

/* Settings whose loss or gradient overflows: each run gives a finite image
 * or stops with SWAG_ERROR_NUMERIC and a message. */
static void
test_extreme_settings (void)
{
  SwagImage *content = picture (36, 28, 0), *style = picture (30, 32, 1);
  SwagImage *black = picture (36, 28, 0), *black_style = picture (30, 32, 1);
  struct
  {
    const char   *what;
    SwagSmoothing smoothing;
    double        temperature, alpha, style_weight, content_weight, tv,
                  strength;
    SwagOptimizer optimizer;
    gboolean      black;
  } cases[] = {
    { "softmax, temperature 1e-6", SWAG_SMOOTHING_SOFTMAX, 1e-6, 0.001, 0, 0,
      0, 1, SWAG_OPTIMIZER_LBFGS, FALSE },
    { "channel softmax, temperature 1e-6", SWAG_SMOOTHING_CHANNEL_SOFTMAX,
      1e-6, 0.001, 0, 0, 0, 1, SWAG_OPTIMIZER_LBFGS, FALSE },
    { "softmax, temperature 1e6", SWAG_SMOOTHING_SOFTMAX, 1e6, 0.001, 0, 0,
      0, 1, SWAG_OPTIMIZER_LBFGS, FALSE },
    { "auto, factor 1e-6", SWAG_SMOOTHING_AUTO, 1e-6, 0.001, 0, 0, 0, 1,
      SWAG_OPTIMIZER_LBFGS, FALSE },
    { "auto on black images", SWAG_SMOOTHING_AUTO, 1, 0.001, 0, 0, 0, 1,
      SWAG_OPTIMIZER_LBFGS, TRUE },
    { "softmax on black images, temperature 1e-6", SWAG_SMOOTHING_SOFTMAX,
      1e-6, 0.001, 0, 0, 0, 1, SWAG_OPTIMIZER_ADAM, TRUE },
    { "none on black images", SWAG_SMOOTHING_NONE, 1, 0.001, 0, 0, 0, 1,
      SWAG_OPTIMIZER_LBFGS, TRUE },
    { "scale by 1e6", SWAG_SMOOTHING_SCALE, 1, 1e6, 0, 0, 0, 1,
      SWAG_OPTIMIZER_LBFGS, FALSE },
    { "raw weights 1e30", SWAG_SMOOTHING_NONE, 1, 0.001, 1e30, 1e30, 1e12, 1,
      SWAG_OPTIMIZER_LBFGS, FALSE },
    { "raw weights 1e30, scale 1e6, Adam", SWAG_SMOOTHING_SCALE, 1, 1e6,
      1e30, 1e30, 1e12, 1, SWAG_OPTIMIZER_ADAM, FALSE },
    { "style strength 1e12", SWAG_SMOOTHING_NONE, 1, 0.001, 0, 0, 0, 1e12,
      SWAG_OPTIMIZER_LBFGS, FALSE },
    { "every weight zero", SWAG_SMOOTHING_NONE, 1, 0.001, 0, 0, 0, 0,
      SWAG_OPTIMIZER_LBFGS, FALSE },
  };

  fill (black, 0, 0, 0, 1);
  fill (black_style, 0, 0, 0, 1);
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      SwagParams p;

      small_params (&p);
      p.smoothing = cases[k].smoothing;
      p.temperature = cases[k].temperature;
      p.alpha = cases[k].alpha;
      p.style_weight = cases[k].style_weight;
      p.content_weight = cases[k].content_weight;
      p.tv_weight = cases[k].tv;
      p.style_strength = cases[k].strength;
      p.optimizer = cases[k].optimizer;
      p.preview_every = 1;
      g_test_message ("%s", cases[k].what);
      run_expect (&p, cases[k].black ? black : content,
                  cases[k].black ? black_style : style, SWAG_ERROR_NUMERIC);
    }
  swag_image_free (content);
  swag_image_free (style);
  swag_image_free (black);
  swag_image_free (black_style);
}

/* ---------------------------------------------------------------- sizes -- */

/* Sizes from outside that do not fit in memory: refused up front with a
 * message, the need never wrapped around to a small figure. */
static void
test_estimate_huge (void)
{
  SwagParams   p;
  SwagEstimate est;
  GError      *error = NULL;

  swag_params_init_defaults (&p);
  /* 100000 x 100000: its full-size copies alone are 600 GB. */
  g_assert_false (swag_transfer_estimate (&p, 100000, 100000, 512, 512, &est,
                                          &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY);
  g_assert_cmpuint (est.peak_bytes, >=, G_GUINT64_CONSTANT (600000000000));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* INT_MAX a side: 2^62 pixels; the need saturates, it does not wrap. */
  g_assert_false (swag_transfer_estimate (&p, INT_MAX, INT_MAX, INT_MAX,
                                          INT_MAX, &est, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY);
  g_assert_cmpuint (est.peak_bytes, ==, G_MAXUINT64);
  g_clear_error (&error);
  g_assert_false (swag_transfer_estimate (&p, INT_MAX, 1, 64, 64, &est,
                                          &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (swag_transfer_estimate (&p, -1, 64, 64, 64, &est, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_clear_error (&error);
}

/* A style scale of 8 at the largest working size makes a 131072x131072
 * style: its plane's pixel count does not fit BLAS's int. Refused by the
 * estimate even when memory is declared plentiful, before any allocation;
 * just below the limit it passes. */
static void
test_style_plane_overflow (void)
{
  SwagParams   p;
  SwagEstimate est;
  GError      *error = NULL;

  swag_params_init_defaults (&p);
  p.size = 16384;
  p.style_scale = 8;
  p.memory_limit = G_MAXUINT64;
  g_assert_false (swag_transfer_estimate (&p, 16384, 16384, 64, 64, &est,
                                          &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "style scale"));
  g_clear_error (&error);

  /* 45000 x 45000 = 2.03e9 pixels: fits an int. */
  p.style_scale = 45000.0 / 16384;
  g_assert_true (swag_transfer_estimate (&p, 16384, 16384, 64, 64, &est,
                                         &error));
  g_assert_no_error (error);
}

/* ---------------------------------------------------------------- cancel -- */

typedef struct
{
  SwagProgressKind kind;   /* cancel at the first callback of this kind... */
  int              scale;  /* ...at this scale */
  int              calls;
  gboolean         cancelled;
} CancelAt;

static gboolean
cancel_at (const SwagProgress *p, gpointer data)
{
  CancelAt *c = data;

  c->calls++;
  g_assert_false (c->cancelled);   /* no callback after a cancel */
  if (p->kind == c->kind && p->scale == c->scale)
    c->cancelled = TRUE;
  return !c->cancelled;
}

/* A cancel while the network loads the style (the first layer callback),
 * during the first scale and during the last: NULL with CANCELLED, the
 * partial image sane and full size once there is one, nothing leaked
 * (LeakSanitizer in the sanitized build checks at exit). */
static void
test_cancel_phases (void)
{
  struct
  {
    const char      *what;
    SwagProgressKind kind;
    int              scale;
    gboolean         partial;
  } phases[] = {
    { "loading", SWAG_PROGRESS_LAYER, 0, FALSE },
    { "first scale", SWAG_PROGRESS_EVALUATION, 0, TRUE },
    { "last scale", SWAG_PROGRESS_EVALUATION, 1, TRUE },
  };
  SwagImage *content = picture (60, 44, 0), *style = picture (30, 32, 1);

  for (guint k = 0; k < G_N_ELEMENTS (phases); k++)
    {
      SwagParams p;
      CancelAt   c = { phases[k].kind, phases[k].scale, 0, FALSE };
      SwagImage *out, *partial = NULL;
      GError    *error = NULL;

      small_params (&p);
      p.size = 48;
      p.scales = 2;
      p.iterations = 6;
      p.preview_every = 1;
      g_test_message ("cancel: %s", phases[k].what);
      out = swag_transfer_run (vgg, content,
                               (const SwagImage *const *) &style, NULL, 1, &p,
                               cancel_at, &c, &partial, &error);
      g_assert_null (out);
      g_assert_true (c.cancelled);
      g_assert_error (error, SWAG_ERROR, SWAG_ERROR_CANCELLED);
      g_clear_error (&error);
      if (phases[k].partial)
        assert_sane (partial, 60, 44);
      swag_image_free (partial);
    }
  swag_image_free (content);
  swag_image_free (style);
}

/* ------------------------------------------------------------- memory -- */

#if defined(__SANITIZE_ADDRESS__)
#define SWAG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SWAG_ASAN 1
#endif
#endif

#ifndef SWAG_ASAN
/* What this process maps now, in bytes. */
static guint64
mapped_bytes (void)
{
  unsigned long long pages = 0;
  FILE              *f = fopen ("/proc/self/statm", "r");

  if (f)
    {
      if (fscanf (f, "%llu", &pages) != 1)
        pages = 0;
      fclose (f);
    }
  return (guint64) pages * (guint64) sysconf (_SC_PAGESIZE);
}

/* A run in a child process whose address space is limited to what it maps
 * plus @headroom bytes, told that memory is plentiful (memory_limit), so
 * that its allocations fail wherever the limit falls. Exit status: 0 for a
 * sane image, 3 for SWAG_ERROR_NO_MEMORY (its message on @fd), 4 for any
 * other refusal; an abort shows as a signal. */
static int
limited_run (const SwagImage *content, const SwagImage *style,
             guint64 headroom, int fd)
{
  pid_t pid = fork ();

  if (pid == 0)
    {
      struct rlimit rl;
      SwagParams    p;
      SwagImage    *out;
      GError       *error = NULL;

      small_params (&p);
      p.iterations = 1;
      p.match_histogram = TRUE;
      p.memory_limit = G_MAXUINT64;
      /* Large blocks in mappings of their own, and the heap's free top
       * given back, so that the limit binds on the run's allocations. */
      mallopt (M_MMAP_THRESHOLD, 128 * 1024);
      malloc_trim (0);
      rl.rlim_cur = rl.rlim_max = mapped_bytes () + headroom;
      if (setrlimit (RLIMIT_AS, &rl) != 0)
        _exit (5);
      out = swag_transfer_run (vgg, content, &style, NULL, 1, &p, NULL, NULL,
                               NULL, &error);
      if (out)
        {
          for (gsize i = 0; i < (gsize) out->width * out->height * 4; i++)
            if (!(out->data[i] >= 0.0f && out->data[i] <= 1.0f))
              _exit (6);
          _exit (0);
        }
      if (write (fd, error->message, strlen (error->message)) < 0)
        _exit (7);
      _exit (error->code == SWAG_ERROR_NO_MEMORY ? 3 : 4);
    }
  {
    int status = 0;
    g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
    if (WIFSIGNALED (status))
      return 128 + WTERMSIG (status);
    return WEXITSTATUS (status);
  }
}
#endif

/* An allocation that fails mid-run, at any point, is a SWAG_ERROR_NO_MEMORY
 * with a message, never an abort: a 1200x1000 content (its full-size
 * copies are the large blocks: planes, histogram matching, the final
 * assembly) under address-space limits from 4 to 64 MiB above what the
 * process maps, in steps of 2 MiB: the run needs about 50. */
static void
test_allocation_failures (void)
{
#ifdef SWAG_ASAN
  g_test_skip ("AddressSanitizer reserves terabytes of address space");
#else
  SwagImage  *content = picture (1200, 1000, 0), *style = picture (30, 32, 1);
  GHashTable *seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            NULL);
  int         fds[2], ok = 0, failed = 0;

  g_assert_cmpint (pipe (fds), ==, 0);
  /* From 4 MiB: with no room at all, GLib cannot even format the message
   * (g_strdup_printf fails, and its own g_error recurses). */
  for (guint64 mib = 4; mib <= 64; mib += 2)
    {
      char buf[512];
      int  code = limited_run (content, style, mib << 20, fds[1]);
      ssize_t got;

      if (g_getenv ("SWAG_TEST_VERBOSE"))
        g_test_message ("%" G_GUINT64_FORMAT " MiB: status %d", mib, code);
      if (code == 0)
        {
          ok++;
          continue;
        }
      if (code != 3)
        g_error ("%" G_GUINT64_FORMAT " MiB of headroom: the run ended with "
                 "status %d (128 + signal: an abort)", mib, code);
      failed++;
      got = read (fds[0], buf, sizeof buf - 1);
      g_assert_cmpint (got, >, 0);
      buf[got] = '\0';
      if (!g_hash_table_contains (seen, buf))
        g_test_message ("%" G_GUINT64_FORMAT " MiB: %s", mib, buf);
      g_hash_table_add (seen, g_strdup (buf));
    }
  close (fds[0]);
  close (fds[1]);
  /* The sweep reaches both ends: runs that fit, and runs that do not. */
  g_assert_cmpint (ok, >, 0);
  g_assert_cmpint (failed, >, 0);
  g_hash_table_unref (seen);
  swag_image_free (content);
  swag_image_free (style);
#endif
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  swag_set_threads (1);
  {
    SwagParams p;
    swag_params_init_defaults (&p);
    p.backbone = SWAG_BACKBONE_VGG19;
    p.seed = 3;
    vgg = swag_net_new (&p, NULL);
  }
  g_test_add_func ("/robust/pixels/alpha-out-of-range",
                   test_alpha_out_of_range);
  g_test_add_func ("/robust/pixels/nonfinite", test_nonfinite_pixels);
  g_test_add_func ("/robust/numerics/extreme-settings", test_extreme_settings);
  g_test_add_func ("/robust/sizes/estimate-huge", test_estimate_huge);
  g_test_add_func ("/robust/sizes/style-plane-overflow",
                   test_style_plane_overflow);
  g_test_add_func ("/robust/cancel/phases", test_cancel_phases);
  g_test_add_func ("/robust/memory/allocation-failures",
                   test_allocation_failures);
  status = g_test_run ();
  swag_net_free (vgg);
  return status;
}
