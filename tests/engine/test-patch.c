/* test-patch.c: the patch (MRF) style loss (engine/swag-patch.c) against an
 * independent double-precision implementation of its definition
 * (engine/README.md, "Patch style loss"): average pooling by p, the 3 x 3
 * windows, the nearest style window by normalised cross-correlation, the
 * weighted mean squared distance; its gradient against that reference and
 * against central differences at points where no match changes; the pool
 * factor and the budget at their edges; the style windows kept under an
 * alpha mask and a patch limit; bit-identical results on one and two
 * threads; and tiny transfers with style-loss = patch.
 * GPL-3.0-or-later. */
#include "swag.h"
#include "swag-patch.h"
#include "swag-blas.h"
#include "swag-rng.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------ reference -- */

/* The style side: the kept windows, (n, d) with d = 9c. */
typedef struct
{
  int     c, d, p, n;
  double *t;
} Ref;

/* q (c, h/p, w/p): the mean of each whole p x p cell. */
static double *
ref_pool (const float *s, int c, int h, int w, int p)
{
  const int ph = h / p, pw = w / p;
  double   *q = g_new0 (double, (gsize) c * ph * pw);

  for (int ch = 0; ch < c; ch++)
    for (int y = 0; y < ph * p; y++)
      for (int x = 0; x < pw * p; x++)
        q[((gsize) ch * ph + y / p) * pw + x / p]
          += s[((gsize) ch * h + y) * w + x] / ((double) p * p);
  return q;
}

/* The 3 x 3 windows of q in raster order of their top left corner, each a
 * vector in (channel, row, column) order. */
static double *
ref_windows (const double *q, int c, int ph, int pw, int *n)
{
  const int d = 9 * c;
  double   *out;

  *n = (ph - 2) * (pw - 2);
  out = g_new (double, (gsize) MAX (*n, 1) * d);
  for (int y = 0; y + 3 <= ph; y++)
    for (int x = 0; x + 3 <= pw; x++)
      {
        double *dst = out + (gsize) (y * (pw - 2) + x) * d;
        for (int ch = 0; ch < c; ch++)
          for (int dy = 0; dy < 3; dy++)
            for (int dx = 0; dx < 3; dx++)
              *dst++ = q[((gsize) ch * ph + y + dy) * pw + x + dx];
      }
  return out;
}

/* Mean of the pooled mask over each window (1 without a mask). */
static double *
ref_window_weights (const float *mask, int h, int w, int p)
{
  const int ph = h / p, pw = w / p, n = (ph - 2) * (pw - 2);
  double   *wt = g_new (double, MAX (n, 1));
  double   *mq = mask ? ref_pool (mask, 1, h, w, p) : NULL;

  for (int i = 0; i < n; i++)
    {
      const int y = i / (pw - 2), x = i % (pw - 2);
      double    m = 0;
      if (!mq)
        {
          wt[i] = 1;
          continue;
        }
      for (int dy = 0; dy < 3; dy++)
        for (int dx = 0; dx < 3; dx++)
          m += mq[(y + dy) * pw + x + dx];
      wt[i] = m / 9;
    }
  g_free (mq);
  return wt;
}

static void
ref_init (Ref *r, int c, int p)
{
  r->c = c;
  r->d = 9 * c;
  r->p = p;
  r->n = 0;
  r->t = NULL;
}

/* The windows of style activation s whose pooled mask averages at least
 * one half; of those, with K kept and K > max_patches > 0, every
 * ceil(K / max_patches)-th in raster order, from the first. */
static void
ref_add (Ref *r, const float *s, int h, int w, const float *mask,
         int max_patches)
{
  const int ph = h / r->p, pw = w / r->p;
  double   *q, *win, *wt;
  int       n, kept = 0, step, k = 0;

  if (ph < 3 || pw < 3)
    return;
  q = ref_pool (s, r->c, h, w, r->p);
  win = ref_windows (q, r->c, ph, pw, &n);
  wt = ref_window_weights (mask, h, w, r->p);
  for (int i = 0; i < n; i++)
    kept += wt[i] >= 0.5;
  step = max_patches > 0 && kept > max_patches
         ? (kept + max_patches - 1) / max_patches : 1;
  for (int i = 0; i < n; i++)
    {
      if (!(wt[i] >= 0.5))
        continue;
      if (k++ % step == 0)
        {
          r->t = g_renew (double, r->t, (gsize) (r->n + 1) * r->d);
          memcpy (r->t + (gsize) r->n * r->d, win + (gsize) i * r->d,
                  sizeof (double) * r->d);
          r->n++;
        }
    }
  g_free (q);
  g_free (win);
  g_free (wt);
}

/* nn[i] = argmax_j <P_i, T_j> / |T_j| (the first of equals; a zero T_j
 * scores 0); gap[i] = the best score minus the second best. */
static void
ref_match (const Ref *r, const double *pw, int n, int *nn, double *gap)
{
  for (int i = 0; i < n; i++)
    {
      double best = -INFINITY, second = -INFINITY;
      int    arg = 0;
      for (int j = 0; j < r->n; j++)
        {
          double dot = 0, norm = 0, score;
          for (int e = 0; e < r->d; e++)
            {
              dot += pw[(gsize) i * r->d + e] * r->t[(gsize) j * r->d + e];
              norm += r->t[(gsize) j * r->d + e] * r->t[(gsize) j * r->d + e];
            }
          score = norm > 0 ? dot / sqrt (norm) : 0;
          if (score > best)
            {
              second = best;
              best = score;
              arg = j;
            }
          else if (score > second)
            second = score;
        }
      nn[i] = arg;
      if (gap)
        gap[i] = best - second;
    }
}

/* The loss at f (c, h, w) with position weights mask (h, w, or NULL):
 * sum_i w_i |P_i - T_nn(i)|^2 / (9c sum_i w_i); with grad (c, h, w) not
 * NULL, its gradient with the matches held fixed. nn (n) and the smallest
 * gap are returned when asked for. */
static double
ref_loss (const Ref *r, const float *f, int h, int w, const float *mask,
          double *grad, int *nn_out, double *min_gap)
{
  const int ph = h / r->p, pw = w / r->p, c = r->c, d = r->d;
  double   *q = ref_pool (f, c, h, w, r->p);
  int       n;
  double   *win = ref_windows (q, c, ph, pw, &n);
  double   *wt = ref_window_weights (mask, h, w, r->p);
  int      *nn = g_new (int, n);
  double   *gap = g_new (double, n);
  double    loss = 0, wsum = 0;

  ref_match (r, win, n, nn, gap);
  for (int i = 0; i < n; i++)
    {
      double acc = 0;
      for (int e = 0; e < d; e++)
        {
          const double diff = win[(gsize) i * d + e] - r->t[(gsize) nn[i] * d + e];
          acc += diff * diff;
        }
      loss += wt[i] * acc;
      wsum += wt[i];
    }
  wsum = MAX (wsum, 1e-12);
  loss /= d * wsum;

  if (grad)
    {
      double *dq = g_new0 (double, (gsize) c * ph * pw);
      for (int i = 0; i < n; i++)
        {
          const int y = i / (pw - 2), x = i % (pw - 2);
          int       e = 0;
          for (int ch = 0; ch < c; ch++)
            for (int dy = 0; dy < 3; dy++)
              for (int dx = 0; dx < 3; dx++, e++)
                dq[((gsize) ch * ph + y + dy) * pw + x + dx]
                  += 2 * wt[i] * (win[(gsize) i * d + e]
                                  - r->t[(gsize) nn[i] * d + e]) / (d * wsum);
        }
      memset (grad, 0, sizeof (double) * c * h * w);
      for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < ph * r->p; y++)
          for (int x = 0; x < pw * r->p; x++)
            grad[((gsize) ch * h + y) * w + x]
              = dq[((gsize) ch * ph + y / r->p) * pw + x / r->p]
                / ((double) r->p * r->p);
      g_free (dq);
    }
  if (nn_out)
    memcpy (nn_out, nn, sizeof (int) * n);
  if (min_gap)
    {
      *min_gap = INFINITY;
      for (int i = 0; i < n; i++)
        *min_gap = MIN (*min_gap, gap[i]);
    }
  g_free (q);
  g_free (win);
  g_free (wt);
  g_free (nn);
  g_free (gap);
  return loss;
}

/* --------------------------------------------------------------- helpers -- */

/* Post-ReLU-like activations: non-negative, a third of them 0, the others
 * in [0.2, 2.2). */
static float *
activation (int c, int h, int w, guint64 seed)
{
  const gsize n = (gsize) c * h * w;
  float      *a = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    a[i] = swag_rng_uniform (seed, 77, i) < 2.0 / 3
           ? (float) (0.2 + 2 * swag_rng_uniform (seed, 78, i)) : 0.0f;
  return a;
}

/* An alpha ramp along x: 0 at the left, 1 from two thirds on. */
static float *
ramp_mask (int h, int w)
{
  float *m = g_new (float, (gsize) h * w);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      m[(gsize) y * w + x] = (float) CLAMP (1.5 * x / (w - 1), 0.0, 1.0);
  return m;
}

/* The engine's loss with fresh scratch; df += scale * gradient when df is
 * not NULL. */
static double
engine_loss (SwagCtx *ctx, const SwagPatchTarget *t, const float *f, int h,
             int w, const float *mask, double scale, float *df)
{
  GError        *error = NULL;
  SwagPatchWork *wk = swag_patch_work_new (t, h, w, mask, &error);
  double         loss;

  g_assert_no_error (error);
  g_assert_nonnull (wk);
  loss = swag_patch_loss (ctx, t, wk, f, scale, df);
  swag_patch_work_free (wk);
  return loss;
}

static void
add_style (SwagPatchTarget *t, Ref *r, SwagCtx *ctx, const float *s, int h,
           int w, const float *mask, int max_patches)
{
  GError *error = NULL;

  g_assert_true (swag_patch_target_add (t, ctx, s, h, w, mask, max_patches,
                                        &error));
  g_assert_no_error (error);
  ref_add (r, s, h, w, mask, max_patches);
  g_assert_cmpint (swag_patch_target_count (t), ==, r->n);
}

static void
check_close (const char *what, double got, double want, double tol)
{
  const double rel = fabs (got - want) / MAX (fabs (want), 1e-300);

  g_test_message ("%s: engine %.10g, reference %.10g, relative %.1e", what,
                  got, want, rel);
  if (!(rel <= tol))
    g_test_fail_printf ("%s: engine %.10g, reference %.10g, relative error "
                        "%.1e > %.0e", what, got, want, rel, tol);
}

/* ------------------------------------------------------ budget and pool -- */

static void
test_budget (void)
{
  /* floor(sqrt(2^30 / (9c))) within [64, 4096] */
  g_assert_cmpint (swag_patch_budget (1), ==, 4096);
  g_assert_cmpint (swag_patch_budget (0), ==, 4096);     /* c taken as 1 */
  g_assert_cmpint (swag_patch_budget (32), ==, 1930);    /* 1930.87 */
  g_assert_cmpint (swag_patch_budget (64), ==, 1365);    /* 1365.33 */
  g_assert_cmpint (swag_patch_budget (512), ==, 482);    /* 482.72 */
  g_assert_cmpint (swag_patch_budget (2048), ==, 241);   /* 241.36 */
  g_assert_cmpint (swag_patch_budget (29127), ==, 64);   /* 64.0004 */
  g_assert_cmpint (swag_patch_budget (29128), ==, 64);   /* 63.999: floor */
  g_assert_cmpint (swag_patch_budget (1 << 20), ==, 64);
  for (int c = 1; c <= 40000; c += 1 + c / 7)
    {
      const double want = floor (sqrt (1073741824.0 / (9.0 * c)));
      g_assert_cmpint (swag_patch_budget (c), ==, (int) CLAMP (want, 64, 4096));
      /* the matching stays near 2^30 multiply-adds where not clamped */
      if (want > 64 && want < 4096)
        g_assert_cmpfloat ((double) swag_patch_budget (c)
                           * swag_patch_budget (c) * 9 * c, <=, 1073741824.0);
    }
}

/* The definition: the smallest p whose pooled map has at most the budget
 * of windows; if a side falls below 3 first, the p before (the most
 * pooling that still leaves a window); 0 when even p = 1 leaves none. */
static int
ref_pool_factor (int c, int h, int w)
{
  const gint64 budget = swag_patch_budget (c);

  if (h < 3 || w < 3)
    return 0;
  for (int p = 1;; p++)
    {
      if (h / p < 3 || w / p < 3)
        return p - 1;
      if ((gint64) (h / p - 2) * (w / p - 2) <= budget)
        return p;
    }
}

static void
test_pool (void)
{
  const int b32 = swag_patch_budget (32);            /* 1930 = 2 * 5 * 193 */

  /* no window: a side below 3 */
  g_assert_cmpint (swag_patch_pool (32, 2, 100), ==, 0);
  g_assert_cmpint (swag_patch_pool (32, 100, 2), ==, 0);
  g_assert_cmpint (swag_patch_pool (32, 0, 0), ==, 0);
  /* exactly one window */
  g_assert_cmpint (swag_patch_pool (32, 3, 3), ==, 1);
  g_assert_cmpint (swag_patch_pool (1 << 20, 3, 3), ==, 1);
  /* a thin strip: more windows than the budget, but pooling by 2 would
   * leave none, so no pooling */
  g_assert_cmpint (swag_patch_pool (2048, 3, 1000), ==, 1);
  g_assert_cmpint (swag_patch_pool (2048, 5, 1000), ==, 1);
  /* 6 rows: pooled by 2 they are 3, one row of 498 windows, still over
   * the budget of 241, but by 3 there would be none */
  g_assert_cmpint (swag_patch_pool (2048, 6, 1000), ==, 2);
  g_assert_cmpint ((1000 / 2 - 2), >, swag_patch_budget (2048));
  /* the budget's edge: (h - 2)(w - 2) = 1930 = 10 x 193 windows unpooled,
   * one more column is one row of windows too many */
  g_assert_cmpint (b32, ==, 1930);
  g_assert_cmpint (swag_patch_pool (32, 12, 195), ==, 1);
  g_assert_cmpint (swag_patch_pool (32, 195, 12), ==, 1);
  g_assert_cmpint (swag_patch_pool (32, 12, 196), ==, 2);
  g_assert_cmpint (swag_patch_pool (32, 45, 45), ==, 1);   /* 43^2 = 1849 */
  g_assert_cmpint (swag_patch_pool (32, 45, 46), ==, 1);   /* 43 x 44 */
  g_assert_cmpint (swag_patch_pool (32, 46, 46), ==, 2);   /* 44^2 = 1936 */
  /* pooled sizes round down: 47 / 2 = 23 */
  g_assert_cmpint (swag_patch_pool (32, 47, 47), ==, 2);
  /* a large tap: 512 x 512 at 32 maps pooled to at most 1930 windows */
  g_assert_cmpint (swag_patch_pool (32, 512, 512), ==, 12);  /* 40 x 40 */
  g_assert_cmpint ((512 / 11 - 2) * (512 / 11 - 2), >, b32);
  g_assert_cmpint ((512 / 12 - 2) * (512 / 12 - 2), <=, b32);

  for (int k = 0; k < 5; k++)
    {
      static const int cs[5] = { 1, 32, 512, 2048, 40000 };
      for (int h = 0; h <= 130; h++)
        for (int w = 0; w <= 130; w += 1 + (w > 40) * 3)
          {
            const int p = swag_patch_pool (cs[k], h, w);
            g_assert_cmpint (p, ==, ref_pool_factor (cs[k], h, w));
            if (p > 0)
              {
                /* a window is left; either within budget, or pooling once
                 * more would leave none */
                g_assert_cmpint (h / p, >=, 3);
                g_assert_cmpint (w / p, >=, 3);
                g_assert_true ((h / p - 2) * (w / p - 2)
                               <= swag_patch_budget (cs[k])
                               || h / (p + 1) < 3 || w / (p + 1) < 3);
              }
          }
    }
}

/* -------------------------------------------------------------- the loss -- */

typedef struct
{
  const char *name;
  int         c, pool;
  int         h, w;        /* picture */
  int         sh, sw;      /* style */
  int         oy, ox;      /* where the picture was cut from the style, in
                              pooled cells */
  gboolean    mask;        /* picture weights (the content's alpha) */
} LossCase;

static const LossCase loss_cases[] = {
  { "pool1",      6, 1, 11, 13, 16, 18, 2, 3, FALSE },
  { "pool1-mask", 6, 1, 11, 13, 16, 18, 4, 1, TRUE  },
  { "pool2-odd",  5, 2, 19, 17, 26, 24, 1, 2, FALSE },  /* last row, column
                                                           out */
  { "pool3-mask", 4, 3, 23, 20, 30, 29, 1, 1, TRUE  },
};

/* Loss and gradient against the reference; the gradient entry by entry
 * against central differences of the engine's loss. Central differences
 * only mean something where no match changes within the step (the loss is
 * then a quadratic in f, which they take exactly up to rounding): the
 * picture is a piece of the style, cut on the pool's grid, plus noise, so
 * that each window's nearest style window is clearly the one it was cut
 * from, and the reference confirms at every step that no match changed. */
static void
test_loss (gconstpointer data)
{
  const LossCase *lc = data;
  const int       c = lc->c, h = lc->h, w = lc->w;
  const gsize     n = (gsize) c * h * w;
  SwagCtx         ctx = { .n_threads = 1 };
  SwagPatchTarget *t = swag_patch_target_new (c, lc->pool);
  Ref             r;
  float          *s = activation (c, lc->sh, lc->sw, 1);
  float          *f = g_new (float, n);
  float          *mask = lc->mask ? ramp_mask (h, w) : NULL;
  float          *df = g_new (float, n);
  double         *want = g_new (double, n);
  const int       ph = h / lc->pool, pw = w / lc->pool;
  const int       nw = (ph - 2) * (pw - 2);
  int            *nn0 = g_new (int, nw), *nn1 = g_new (int, nw);
  double          loss, ref, gap, num = 0, den = 0, worst = 0, gmax = 0;
  const double    scale = 2.5, eps = 1e-2;
  const int       n_picks = 24;
  int             zero_rows = 0;

  for (int ch = 0; ch < c; ch++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        {
          const gsize i = ((gsize) ch * h + y) * w + x;
          f[i] = s[((gsize) ch * lc->sh + y + lc->oy * lc->pool) * lc->sw
                   + x + lc->ox * lc->pool]
                 + (float) (0.2 * swag_rng_uniform (2, 3, i) - 0.1);
        }
  ref_init (&r, c, lc->pool);
  add_style (t, &r, &ctx, s, lc->sh, lc->sw, NULL, 0);
  g_assert_cmpint (r.n, ==, (lc->sh / lc->pool - 2) * (lc->sw / lc->pool - 2));

  memset (df, 0, n * sizeof (float));
  loss = engine_loss (&ctx, t, f, h, w, mask, scale, df);
  ref = ref_loss (&r, f, h, w, mask, want, nn0, &gap);
  g_test_message ("%d picture windows, %d style windows, smallest match "
                  "gap %.3g", nw, r.n, gap);
  /* each window found the one it was cut from */
  for (int i = 0; i < nw; i++)
    g_assert_cmpint (nn0[i], ==, (i / (pw - 2) + lc->oy)
                                 * (lc->sw / lc->pool - 2)
                                 + i % (pw - 2) + lc->ox);
  check_close ("loss", loss, ref, 1e-5);
  /* without df: the same loss; with a df that holds something, the
   * gradient is added to it */
  g_assert_cmpfloat (engine_loss (&ctx, t, f, h, w, mask, scale, NULL), ==,
                     loss);
  {
    float *acc = g_new (float, n);
    for (gsize i = 0; i < n; i++)
      acc[i] = (float) swag_rng_normal (4, 1, i) * 1e-3f;
    engine_loss (&ctx, t, f, h, w, mask, scale, acc);
    for (gsize i = 0; i < n; i++)
      g_assert_cmpfloat (acc[i], ==, (float) swag_rng_normal (4, 1, i) * 1e-3f
                                     + df[i]);
    g_free (acc);
  }
  for (gsize i = 0; i < n; i++)
    {
      const double g = (double) df[i] / scale;
      num += (g - want[i]) * (g - want[i]);
      den += want[i] * want[i];
    }
  g_test_message ("gradient: relative L2 %.2e against the reference",
                  sqrt (num / den));
  g_assert_cmpfloat (sqrt (num / den), <, 2e-5);
  /* rows and columns past the last whole cell take no part */
  for (int ch = 0; ch < c; ch++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        if (y >= ph * lc->pool || x >= pw * lc->pool)
          {
            g_assert_cmpfloat (df[((gsize) ch * h + y) * w + x], ==, 0.0f);
            zero_rows++;
          }
  if (h % lc->pool || w % lc->pool)
    g_assert_cmpint (zero_rows, >, 0);

  for (int k = 0; k < n_picks; k++)
    {
      const gsize i = k == 0 ? n - 1
                    : (gsize) (swag_rng_uniform (3, 5, k) * n) % n;
      const float keep = f[i];
      double      lp, lm, fd, g = (double) df[i] / scale;
      float       xp, xm;

      f[i] = xp = keep + (float) eps;
      lp = engine_loss (&ctx, t, f, h, w, mask, 1, NULL);
      ref_loss (&r, f, h, w, mask, NULL, nn1, NULL);
      g_assert_cmpint (memcmp (nn0, nn1, sizeof (int) * nw), ==, 0);
      check_close ("loss at + eps", lp, ref_loss (&r, f, h, w, mask, NULL,
                                                  NULL, NULL), 1e-5);
      f[i] = xm = keep - (float) eps;
      lm = engine_loss (&ctx, t, f, h, w, mask, 1, NULL);
      ref_loss (&r, f, h, w, mask, NULL, nn1, NULL);
      g_assert_cmpint (memcmp (nn0, nn1, sizeof (int) * nw), ==, 0);
      f[i] = keep;
      fd = (lp - lm) / ((double) xp - xm);
      worst = MAX (worst, fabs (fd - g));
      gmax = MAX (gmax, fabs (g));
      if (!(fabs (fd - g) <= 1e-3 * fabs (g) + 1e-6 * fabs (loss)))
        g_test_fail_printf ("f[%" G_GSIZE_FORMAT "]: gradient %.8g, central "
                            "difference %.8g", i, g, fd);
    }
  g_test_message ("central differences: largest difference %.2e, largest "
                  "sampled entry %.2e (loss %.4g)", worst, gmax, loss);

  swag_patch_target_free (t);
  g_free (r.t);
  g_free (s); g_free (f); g_free (mask); g_free (df); g_free (want);
  g_free (nn0); g_free (nn1);
}

/* A style of one-window pieces (a 3 x 3 style image has one window), one
 * channel, and a picture of one window P = (1, ..., 1): the loss says
 * which piece matched. */
static double
one_window_loss (const float *const *pieces, int n)
{
  SwagCtx          ctx = { .n_threads = 1 };
  SwagPatchTarget *t = swag_patch_target_new (1, 1);
  const float      ones[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  GError          *error = NULL;
  double           loss;

  for (int k = 0; k < n; k++)
    g_assert_true (swag_patch_target_add (t, &ctx, pieces[k], 3, 3, NULL, 0,
                                          &error));
  g_assert_cmpint (swag_patch_target_count (t), ==, n);
  loss = engine_loss (&ctx, t, ones, 3, 3, NULL, 1, NULL);
  g_assert_true (isfinite (loss));
  swag_patch_target_free (t);
  return loss;
}

/* The match is by normalised cross-correlation <P, T> / |T|: not the
 * nearest in distance, not the largest dot product; a zero window scores
 * 0; of equal scores the first wins. */
static void
test_match (void)
{
  float a[9], b[9], c[9], zero[9] = { 0 };

  for (int e = 0; e < 9; e++)
    {
      a[e] = 0.25f;                   /* P / 4: score 3, distance^2 5.06 */
      b[e] = 1.0f + (e == 0);         /* P + e0: score 10 / sqrt 12 = 2.89,
                                         distance^2 1, dot 10 */
      c[e] = 0.5f;                    /* P / 2: score 3 as a's, exactly
                                         (1/3 in float for both) */
    }
  {
    const float *ab[2] = { a, b }, *ba[2] = { b, a };
    const float *ac[2] = { a, c }, *ca[2] = { c, a };
    const float *za[2] = { zero, a }, *zb[3] = { zero, b, zero };

    /* loss = |P - T|^2 / 9 */
    g_assert_cmpfloat (one_window_loss (ab, 2), ==, 0.5625);
    g_assert_cmpfloat (one_window_loss (ba, 2), ==, 0.5625);
    g_assert_cmpfloat (one_window_loss (ac, 2), ==, 0.5625);   /* a first */
    g_assert_cmpfloat (one_window_loss (ca, 2), ==, 0.25);     /* c first */
    g_assert_cmpfloat (one_window_loss (za, 2), ==, 0.5625);
    g_assert_cmpfloat (one_window_loss (zb, 3), ==, 1.0 / 9);
    g_assert_cmpfloat (one_window_loss (za, 1), ==, 1.0);      /* only 0 */
  }
}

/* A picture that is the style itself, at the same pool: every window finds
 * itself, the loss is 0 and so is the gradient. */
static void
test_loss_self (void)
{
  const int        c = 3, h = 17, w = 14;
  SwagCtx          ctx = { .n_threads = 1 };
  SwagPatchTarget *t = swag_patch_target_new (c, 2);
  float           *s = activation (c, h, w, 9);
  float           *df = g_new0 (float, (gsize) c * h * w);
  GError          *error = NULL;

  g_assert_true (swag_patch_target_add (t, &ctx, s, h, w, NULL, 0, &error));
  g_assert_cmpfloat (engine_loss (&ctx, t, s, h, w, NULL, 1, df), ==, 0.0);
  for (gsize i = 0; i < (gsize) c * h * w; i++)
    g_assert_cmpfloat (df[i], ==, 0.0f);
  swag_patch_target_free (t);
  g_free (s);
  g_free (df);
}

/* ------------------------------------------------------------ the target -- */

/* Style windows under an alpha mask: those whose pooled mask averages at
 * least one half are kept (the same set as the reference's: the loss of a
 * picture against them is the reference's); exactly one half counts. */
static void
test_target_mask (void)
{
  const int  c = 4, h = 20, w = 24;
  const gsize hw = (gsize) h * w;
  SwagCtx    ctx = { .n_threads = 1 };
  float     *s = activation (c, h, w, 11);
  float     *f = activation (c, 15, 15, 12);
  float     *mask = ramp_mask (h, w);
  float     *half = g_new (float, hw), *below = g_new (float, hw);
  float     *zero = g_new0 (float, hw);

  for (int pool = 1; pool <= 2; pool++)
    {
      SwagPatchTarget *t = swag_patch_target_new (c, pool);
      Ref              r;
      const int        all = (h / pool - 2) * (w / pool - 2);

      ref_init (&r, c, pool);
      add_style (t, &r, &ctx, s, h, w, mask, 0);
      g_test_message ("pool %d: %d of %d windows kept", pool, r.n, all);
      g_assert_cmpint (r.n, >, 0);
      g_assert_cmpint (r.n, <, all);
      check_close ("loss against the kept windows",
                   engine_loss (&ctx, t, f, 15, 15, NULL, 1, NULL),
                   ref_loss (&r, f, 15, 15, NULL, NULL, NULL, NULL), 1e-5);
      swag_patch_target_free (t);
      g_free (r.t);
    }

  /* the threshold: a mask of 0.5 everywhere keeps every window, one a
   * little below keeps none, a mask of 0 none */
  for (gsize i = 0; i < hw; i++)
    {
      half[i] = 0.5f;
      below[i] = nextafterf (0.5f, 0.0f);
    }
  {
    SwagPatchTarget *t = swag_patch_target_new (c, 1);
    GError          *error = NULL;

    g_assert_true (swag_patch_target_add (t, &ctx, s, h, w, half, 0, &error));
    g_assert_cmpint (swag_patch_target_count (t), ==, (h - 2) * (w - 2));
    g_assert_true (swag_patch_target_add (t, &ctx, s, h, w, below, 0, &error));
    g_assert_true (swag_patch_target_add (t, &ctx, s, h, w, zero, 0, &error));
    g_assert_cmpint (swag_patch_target_count (t), ==, (h - 2) * (w - 2));
    g_assert_no_error (error);
    swag_patch_target_free (t);
  }
  g_free (s); g_free (f); g_free (mask); g_free (half); g_free (below);
  g_free (zero);
}

/* At most max_patches windows, every ceil(K / max)-th of the K kept ones
 * from the first: the count, and the set (through the loss). Several
 * styles add up. */
static void
test_target_spread (void)
{
  const int c = 3, h = 16, w = 19;   /* 14 x 17 = 238 windows */
  SwagCtx   ctx = { .n_threads = 1 };
  float    *s = activation (c, h, w, 13), *s2 = activation (c, 12, 12, 14);
  float    *f = activation (c, 14, 13, 15);
  float    *mask = ramp_mask (h, w);
  static const struct { int max, want; } lim[] = {
    { 0, 238 }, { -1, 238 }, { 238, 238 }, { 1000, 238 },
    { 237, 119 },              /* step 2 */
    { 119, 119 }, { 118, 80 }, /* step 3: ceil(238 / 3) */
    { 100, 80 }, { 10, 10 },   /* step 24: ceil(238 / 24) = 10 */
    { 9, 9 },                  /* step 27: ceil(238 / 27) = 9 */
    { 1, 1 },
  };

  for (gsize k = 0; k < G_N_ELEMENTS (lim); k++)
    {
      SwagPatchTarget *t = swag_patch_target_new (c, 1);
      Ref              r;

      ref_init (&r, c, 1);
      add_style (t, &r, &ctx, s, h, w, NULL, lim[k].max);
      g_assert_cmpint (swag_patch_target_count (t), ==, lim[k].want);
      check_close ("loss against the spread windows",
                   engine_loss (&ctx, t, f, 14, 13, NULL, 1, NULL),
                   ref_loss (&r, f, 14, 13, NULL, NULL, NULL, NULL), 1e-5);
      /* a second style adds its own: 10 x 10 windows, at most 30, so
       * every 4th, 25 */
      add_style (t, &r, &ctx, s2, 12, 12, NULL, 30);
      g_assert_cmpint (swag_patch_target_count (t), ==, lim[k].want + 25);
      check_close ("loss against two styles",
                   engine_loss (&ctx, t, f, 14, 13, NULL, 1, NULL),
                   ref_loss (&r, f, 14, 13, NULL, NULL, NULL, NULL), 1e-5);
      swag_patch_target_free (t);
      g_free (r.t);
    }

  /* the limit counts the windows the mask keeps, not all of them */
  {
    SwagPatchTarget *t = swag_patch_target_new (c, 1);
    Ref              r;

    ref_init (&r, c, 1);
    add_style (t, &r, &ctx, s, h, w, mask, 0);
    g_test_message ("mask keeps %d windows", r.n);
    swag_patch_target_free (t);
    g_free (r.t);
    t = swag_patch_target_new (c, 1);
    ref_init (&r, c, 1);
    add_style (t, &r, &ctx, s, h, w, mask, 25);
    g_assert_cmpint (r.n, <=, 25);
    g_assert_cmpint (r.n, >, 12);
    check_close ("loss against masked, spread windows",
                 engine_loss (&ctx, t, f, 14, 13, NULL, 1, NULL),
                 ref_loss (&r, f, 14, 13, NULL, NULL, NULL, NULL), 1e-5);
    swag_patch_target_free (t);
    g_free (r.t);
  }
  g_free (s); g_free (s2); g_free (f); g_free (mask);
}

/* Too small for a window: a style adds nothing (and that is no error), a
 * picture gets a clear error. */
static void
test_too_small (void)
{
  SwagCtx          ctx = { .n_threads = 1 };
  SwagPatchTarget *t = swag_patch_target_new (2, 2);
  float           *s = activation (2, 5, 40, 16);
  GError          *error = NULL;

  g_assert_true (swag_patch_target_add (t, &ctx, s, 5, 40, NULL, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (swag_patch_target_count (t), ==, 0);   /* 5 / 2 = 2 rows */
  g_assert_true (swag_patch_target_add (t, &ctx, s, 40, 5, NULL, 0, &error));
  g_assert_cmpint (swag_patch_target_count (t), ==, 0);
  g_assert_true (swag_patch_target_add (t, &ctx, s, 6, 6, NULL, 0, &error));
  g_assert_cmpint (swag_patch_target_count (t), ==, 1);   /* 3 x 3: one */
  g_assert_null (swag_patch_work_new (t, 5, 40, NULL, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "The image is too small for the patch style loss");
  g_clear_error (&error);
  {
    SwagPatchWork *wk = swag_patch_work_new (t, 6, 7, NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (wk);
    swag_patch_work_free (wk);
  }
  swag_patch_target_free (t);
  g_free (s);
}

/* -------------------------------------------------------- determinism -- */

/* One thread and two give the same bits: the matching's GEMM splits by
 * size only. Large enough for several blocks of 256 picture windows and a
 * GEMM of several tasks. */
static void
test_threads (void)
{
  const int c = 16, h = 30, w = 28, sh = 34, sw = 32;
  const gsize n = (gsize) c * h * w;
  float    *s = activation (c, sh, sw, 17), *f = activation (c, h, w, 18);
  float    *mask = ramp_mask (h, w);
  float    *df[2];
  double    loss[2];
  int       counts[2];

  for (int k = 0; k < 2; k++)
    {
      SwagPool        *pool = swag_pool_new (k + 1, swag_gemm_work_floats ());
      SwagCtx          ctx = { .n_threads = k + 1, .pool = pool };
      SwagPatchTarget *t = swag_patch_target_new (c, 1);
      GError          *error = NULL;

      g_assert_nonnull (pool);
      g_assert_true (swag_patch_target_add (t, &ctx, s, sh, sw, NULL, 700,
                                            &error));
      counts[k] = swag_patch_target_count (t);
      df[k] = g_new0 (float, n);
      loss[k] = engine_loss (&ctx, t, f, h, w, mask, 1.0, df[k]);
      swag_patch_target_free (t);
      swag_pool_free (pool);
    }
  g_test_message ("%d picture windows, %d style windows, loss %.9g",
                  (h - 2) * (w - 2), counts[0], loss[0]);
  g_assert_cmpint ((h - 2) * (w - 2), >, 2 * 256);
  g_assert_cmpint (counts[0], ==, counts[1]);
  g_assert_cmpfloat (loss[0], ==, loss[1]);
  g_assert_cmpint (memcmp (df[0], df[1], n * sizeof (float)), ==, 0);
  g_free (df[0]); g_free (df[1]); g_free (s); g_free (f); g_free (mask);
}

/* ----------------------------------------------------- a whole transfer -- */

typedef struct
{
  int    evals;
  double first_total, min_total, first_style, last_style;
  int    n_style_taps;
} Watch;

static double
style_sum (const SwagProgress *p, int *n)
{
  double sum = 0;

  *n = 0;
  for (int i = 0; i < p->n_layers; i++)
    if (!isnan (p->layers[i].style))
      {
        sum += p->layers[i].style;
        (*n)++;
      }
  return sum;
}

static gboolean
watch (const SwagProgress *p, gpointer data)
{
  Watch *w = data;
  int    n;

  if (p->kind != SWAG_PROGRESS_EVALUATION)
    return TRUE;
  g_assert_true (isfinite (p->total));
  if (w->evals == 0)
    {
      w->first_total = w->min_total = p->total;
      w->first_style = style_sum (p, &w->n_style_taps);
    }
  w->min_total = MIN (w->min_total, p->total);
  w->last_style = style_sum (p, &n);
  g_assert_cmpint (n, ==, w->n_style_taps);
  w->evals++;
  return TRUE;
}

static SwagImage *
picture (int w, int h, guint64 seed, double freq)
{
  SwagImage *im = swag_image_new (w, h, NULL);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        float *px = im->data + 4 * ((gsize) y * w + x);
        px[0] = (float) (0.5 + 0.4 * sin (freq * x + seed));
        px[1] = (float) (0.5 + 0.4 * cos (freq * y + 2 * seed));
        px[2] = (float) (0.3 + 0.3 * swag_rng_uniform (seed, 9,
                                                       (gsize) y * w + x));
        px[3] = 1.0f;
      }
  return im;
}

/* style-loss = patch end to end: a few L-BFGS evaluations at one scale
 * lower the objective and the style terms, on VGG-19 and the multi-scale
 * network. */
static void
test_transfer (gconstpointer data)
{
  const SwagBackbone backbone = GPOINTER_TO_INT (data);
  SwagParams  p;
  SwagImage  *content = picture (40, 32, 1, 0.15), *style = picture (36, 36, 2, 0.9);
  const SwagImage *styles[1] = { style };
  SwagNet    *net;
  SwagImage  *out;
  Watch       w = { 0 };
  GError     *error = NULL;

  swag_params_init_defaults (&p);
  p.backbone = backbone;
  p.style_loss = SWAG_STYLE_LOSS_PATCH;
  if (backbone == SWAG_BACKBONE_VGG19)
    {
      p.style_layers = "relu1_1,relu2_1";
      p.content_layers = "relu2_1";
    }
  else
    {
      p.style_layers = "k3,k7,k23";
      p.content_layers = "k5";
    }
  p.size = 40;
  p.scales = 1;
  p.iterations = 10;
  g_assert_true (swag_params_validate (&p, &error));
  net = swag_net_new (&p, &error);
  g_assert_no_error (error);
  out = swag_transfer_run (net, content, styles, NULL, 1, &p, watch, &w,
                           NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_test_message ("%d evaluations: total %.4g -> best %.4g; style terms "
                  "(%d taps) %.4g -> %.4g", w.evals, w.first_total,
                  w.min_total, w.n_style_taps, w.first_style, w.last_style);
  g_assert_cmpint (w.evals, ==, p.iterations);
  g_assert_cmpint (w.n_style_taps, ==, backbone == SWAG_BACKBONE_VGG19 ? 2 : 3);
  g_assert_cmpfloat (w.first_style, >, 0);
  g_assert_cmpfloat (w.min_total, <, 0.8 * w.first_total);
  g_assert_cmpfloat (w.last_style, <, 0.8 * w.first_style);
  for (gsize i = 0; i < (gsize) 40 * 32 * 4; i++)
    g_assert_true (isfinite (out->data[i]));
  swag_image_free (out);
  swag_net_free (net);
  swag_image_free (content);
  swag_image_free (style);
}

static SwagImage *
run_blend (SwagNet *net, const SwagParams *p, SwagImage *content,
           const SwagImage *const *styles, const double *blend, int n)
{
  GError    *error = NULL;
  SwagImage *out = swag_transfer_run (net, content, styles, blend, n, p, NULL,
                                      NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (out);
  return out;
}

static gboolean
same_pixels (const SwagImage *a, const SwagImage *b)
{
  return a->width == b->width && a->height == b->height
         && memcmp (a->data, b->data,
                    (gsize) a->width * a->height * 4 * sizeof (float)) == 0;
}

/* A style whose blend weight is 0 takes no part in the patch loss either:
 * weights (1, 0) give the first style's image to the bit, (0, 1) the
 * second's. (Before, each style kept at least one patch whatever its
 * weight.) */
static void
test_blend_zero (void)
{
  SwagParams  p;
  SwagImage  *content = picture (40, 32, 1, 0.15);
  SwagImage  *a = picture (36, 36, 2, 0.9), *b = picture (30, 40, 3, 0.3);
  const SwagImage *both[2] = { a, b }, *only_a[1] = { a }, *only_b[1] = { b };
  const double first[2] = { 1, 0 }, second[2] = { 0, 1 }, half[2] = { 1, 1 };
  SwagNet    *net;
  SwagImage  *ra, *rb, *r10, *r01, *rh;
  GError     *error = NULL;

  swag_params_init_defaults (&p);
  p.backbone = SWAG_BACKBONE_VGG19;
  p.style_loss = SWAG_STYLE_LOSS_PATCH;
  p.style_layers = "relu1_1,relu2_1";
  p.content_layers = "relu2_1";
  p.size = 40;
  p.scales = 1;
  p.iterations = 4;
  net = swag_net_new (&p, &error);
  g_assert_no_error (error);
  ra = run_blend (net, &p, content, only_a, NULL, 1);
  rb = run_blend (net, &p, content, only_b, NULL, 1);
  r10 = run_blend (net, &p, content, both, first, 2);
  r01 = run_blend (net, &p, content, both, second, 2);
  rh = run_blend (net, &p, content, both, half, 2);
  g_assert_true (same_pixels (r10, ra));
  g_assert_true (same_pixels (r01, rb));
  g_assert_false (same_pixels (rh, ra));
  g_assert_false (same_pixels (rh, rb));
  swag_image_free (ra); swag_image_free (rb); swag_image_free (r10);
  swag_image_free (r01); swag_image_free (rh);
  swag_net_free (net);
  swag_image_free (content); swag_image_free (a); swag_image_free (b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  swag_set_threads (1);
  g_test_add_func ("/patch/budget", test_budget);
  g_test_add_func ("/patch/pool", test_pool);
  for (gsize k = 0; k < G_N_ELEMENTS (loss_cases); k++)
    {
      char *path = g_strdup_printf ("/patch/loss/%s", loss_cases[k].name);
      g_test_add_data_func (path, &loss_cases[k], test_loss);
      g_free (path);
    }
  g_test_add_func ("/patch/loss/self", test_loss_self);
  g_test_add_func ("/patch/match", test_match);
  g_test_add_func ("/patch/target/mask", test_target_mask);
  g_test_add_func ("/patch/target/spread", test_target_spread);
  g_test_add_func ("/patch/too-small", test_too_small);
  g_test_add_func ("/patch/threads", test_threads);
  g_test_add_data_func ("/patch/transfer/vgg19",
                        GINT_TO_POINTER (SWAG_BACKBONE_VGG19), test_transfer);
  g_test_add_data_func ("/patch/transfer/multiscale",
                        GINT_TO_POINTER (SWAG_BACKBONE_MULTISCALE),
                        test_transfer);
  g_test_add_func ("/patch/transfer/blend-zero", test_blend_zero);
  return g_test_run ();
}
