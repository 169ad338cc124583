/* swag-patch.c: the patch (MRF) style loss and its gradient.
 * GPL-3.0-or-later.
 *
 * Li and Wand match each 3 x 3 patch of the picture's features to the most
 * similar patch of the style's (normalised cross-correlation) and pull it
 * toward that patch: motifs rather than statistics. Matching every patch
 * against every other costs patches^2 x 9c multiply-adds, which at full
 * resolution would dwarf the network; here the activation is first
 * average-pooled by a factor that keeps a picture within a budget of
 * patches (swag_patch_budget), so the matching costs about 2^30
 * multiply-adds per tap whatever the size, and every position still takes
 * part. The matches are recomputed at every evaluation and held fixed for
 * the gradient, as Li and Wand do.
 *
 * Definition (engine/README.md): with Q the activation pooled by p, P_i
 * the 3 x 3 windows of Q (vectors of D = 9c in (channel, row, column)
 * order), T_j the style's, and w_i the mean of the pooled mask over window
 * i (1 without a mask),
 *   nn(i) = argmax_j <P_i, T_j> / |T_j|   (the first of equals)
 *   loss  = sum_i w_i |P_i - T_nn(i)|^2 / (D sum_i w_i).
 */
#include "swag.h"
#include "swag-patch.h"
#include "swag-blas.h"
#include "swag-core.h"
#include "swag-i18n.h"

#include <math.h>
#include <string.h>

#define BLOCK_ROWS 256  /* picture patches scored at a time */

struct _SwagPatchTarget
{
  int    c, pool, d;     /* channels, pool factor, 9 c */
  GArray *patches;       /* floats, (n, d) */
  GArray *unit;          /* floats, (n, d): patches / |patch| (0 for 0) */
};

struct _SwagPatchWork
{
  int     h, w, ph, pw;   /* activation, pooled */
  int     n;              /* picture patches: (ph - 2) (pw - 2) */
  float  *q;              /* (c, ph, pw) pooled activation */
  float  *p;              /* (n, d) picture patches */
  float  *scores;         /* (BLOCK_ROWS, n_style) */
  int    *nn;             /* (n) */
  float  *wt;             /* (n) window weights */
  float  *dq;             /* (c, ph, pw) */
};

int
swag_patch_budget (int c)
{
  const double d = 9.0 * MAX (c, 1);
  return (int) CLAMP (floor (sqrt (1073741824.0 / d)), 64, 4096);
}

int
swag_patch_pool (int c, int h, int w)
{
  const int budget = swag_patch_budget (c);

  if (h < 3 || w < 3)
    return 0;
  for (int p = 1;; p++)
    {
      const int ph = h / p, pw = w / p;
      if (ph < 3 || pw < 3)
        return p - 1;
      if ((gint64) (ph - 2) * (pw - 2) <= budget)
        return p;
    }
}

/* ------------------------------------------------------------- pooling -- */

/* q (c, h/p, w/p) = mean of each p x p cell of s (c, h, w); rows and
 * columns past the last whole cell are left out (floor, as avgpool). */
static void
pool_down (const float *s, int c, int h, int w, int p, float *q)
{
  const int   ph = h / p, pw = w / p;
  const float k = 1.0f / ((float) p * p);

  for (int ch = 0; ch < c; ch++)
    for (int y = 0; y < ph; y++)
      for (int x = 0; x < pw; x++)
        {
          float acc = 0.0f;
          for (int dy = 0; dy < p; dy++)
            {
              const float *row = s + ((gsize) ch * h + y * p + dy) * w + x * p;
              for (int dx = 0; dx < p; dx++)
                acc += row[dx];
            }
          q[((gsize) ch * ph + y) * pw + x] = acc * k;
        }
}

/* ds (c, h, w) += the adjoint of pool_down applied to dq, times scale. */
static void
pool_up_add (const float *dq, int c, int h, int w, int p, double scale,
             float *ds)
{
  const int   ph = h / p, pw = w / p;
  const float k = (float) (scale / ((double) p * p));

  for (int ch = 0; ch < c; ch++)
    for (int y = 0; y < ph * p; y++)
      {
        const float *src = dq + ((gsize) ch * ph + y / p) * pw;
        float       *dst = ds + ((gsize) ch * h + y) * w;
        for (int x = 0; x < pw * p; x++)
          dst[x] += k * src[x / p];
      }
}

/* Row i of @patches (n, 9c) is the 3 x 3 window of q (c, ph, pw) whose top
 * left corner is (i / (pw - 2), i % (pw - 2)). */
static void
windows (const float *q, int c, int ph, int pw, float *patches)
{
  const int  nx = pw - 2, n = (ph - 2) * nx;
  const gsize d = (gsize) 9 * c;

  for (int i = 0; i < n; i++)
    {
      const int y = i / nx, x = i % nx;
      float    *dst = patches + (gsize) i * d;
      for (int ch = 0; ch < c; ch++)
        for (int dy = 0; dy < 3; dy++)
          {
            const float *row = q + ((gsize) ch * ph + y + dy) * pw + x;
            *dst++ = row[0];
            *dst++ = row[1];
            *dst++ = row[2];
          }
    }
}

/* ------------------------------------------------------------- targets -- */

SwagPatchTarget *
swag_patch_target_new (int c, int pool)
{
  SwagPatchTarget *t = g_new0 (SwagPatchTarget, 1);

  t->c = c;
  t->pool = MAX (pool, 1);
  t->d = 9 * c;
  t->patches = g_array_new (FALSE, FALSE, sizeof (float));
  t->unit = g_array_new (FALSE, FALSE, sizeof (float));
  return t;
}

void
swag_patch_target_free (SwagPatchTarget *t)
{
  if (!t)
    return;
  g_array_free (t->patches, TRUE);
  g_array_free (t->unit, TRUE);
  g_free (t);
}

int
swag_patch_target_count (const SwagPatchTarget *t)
{
  return (int) (t->patches->len / (guint) t->d);
}

gboolean
swag_patch_target_add (SwagPatchTarget *t, SwagCtx *ctx, const float *s,
                       int h, int w, const float *mask, int max_patches,
                       GError **error)
{
  const int p = t->pool, ph = h / p, pw = w / p;
  float    *q, *mq = NULL, *all;
  int       n, kept = 0, step;
  gboolean *keep;

  if (ph < 3 || pw < 3)
    return TRUE;   /* no window at this size: nothing to add */
  n = (ph - 2) * (pw - 2);
  q = swag_try_alloc_floats ((gsize) t->c * ph * pw, N_("style patches"), error);
  all = q ? swag_try_alloc_floats ((gsize) n * t->d, N_("style patches"), error)
          : NULL;
  if (!all)
    {
      g_free (q);
      return FALSE;
    }
  pool_down (s, t->c, h, w, p, q);
  windows (q, t->c, ph, pw, all);

  /* Which windows count: those the style's alpha covers. */
  keep = g_new (gboolean, n);
  if (mask)
    {
      mq = g_new (float, (gsize) ph * pw);
      pool_down (mask, 1, h, w, p, mq);
    }
  for (int i = 0; i < n; i++)
    {
      const int y = i / (pw - 2), x = i % (pw - 2);
      double    m = 0;
      if (mq)
        for (int dy = 0; dy < 3; dy++)
          for (int dx = 0; dx < 3; dx++)
            m += mq[(y + dy) * pw + x + dx];
      keep[i] = !mq || m / 9 >= 0.5;
      kept += keep[i];
    }

  /* At most max_patches of them, every step-th in raster order. */
  step = max_patches > 0 && kept > max_patches
         ? (kept + max_patches - 1) / max_patches : 1;
  for (int i = 0, k = 0; i < n; i++)
    {
      const float *src = all + (gsize) i * t->d;
      double       norm = 0;
      if (!keep[i] || k++ % step)
        continue;
      g_array_append_vals (t->patches, src, t->d);
      for (int e = 0; e < t->d; e++)
        norm += (double) src[e] * src[e];
      norm = sqrt (norm);
      for (int e = 0; e < t->d; e++)
        {
          const float u = norm > 0 ? (float) (src[e] / norm) : 0.0f;
          g_array_append_val (t->unit, u);
        }
    }
  g_free (keep);
  g_free (mq);
  g_free (all);
  g_free (q);
  return TRUE;
}

/* -------------------------------------------------------------- scratch -- */

guint64
swag_patch_work_bytes (int c, int h, int w, int n_style)
{
  const int p = MAX (swag_patch_pool (c, h, w), 1);
  const int ph = h / p, pw = w / p;
  const guint64 n = ph >= 3 && pw >= 3 ? (guint64) (ph - 2) * (pw - 2) : 0;

  return 4 * (2 * (guint64) c * ph * pw + n * 9 * c
              + (guint64) BLOCK_ROWS * n_style + 2 * n);
}

void
swag_patch_work_free (SwagPatchWork *wk)
{
  if (!wk)
    return;
  g_free (wk->q);
  g_free (wk->p);
  g_free (wk->scores);
  g_free (wk->nn);
  g_free (wk->wt);
  g_free (wk->dq);
  g_free (wk);
}

SwagPatchWork *
swag_patch_work_new (const SwagPatchTarget *t, int h, int w,
                     const float *mask, GError **error)
{
  SwagPatchWork *wk = g_new0 (SwagPatchWork, 1);
  const int      ns = swag_patch_target_count (t);

  wk->h = h;
  wk->w = w;
  wk->ph = h / t->pool;
  wk->pw = w / t->pool;
  if (wk->ph < 3 || wk->pw < 3)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   _("The image is too small for the patch style loss"));
      swag_patch_work_free (wk);
      return NULL;
    }
  wk->n = (wk->ph - 2) * (wk->pw - 2);
  wk->q = swag_try_alloc_floats ((gsize) t->c * wk->ph * wk->pw,
                                 N_("patch features"), error);
  wk->dq = wk->q ? swag_try_alloc_floats ((gsize) t->c * wk->ph * wk->pw,
                                          N_("patch features"), error) : NULL;
  wk->p = wk->dq ? swag_try_alloc_floats ((gsize) wk->n * t->d,
                                          N_("patch features"), error) : NULL;
  wk->scores = wk->p ? swag_try_alloc_floats ((gsize) BLOCK_ROWS * MAX (ns, 1),
                                              N_("patch features"), error)
                     : NULL;
  if (!wk->scores)
    {
      swag_patch_work_free (wk);
      return NULL;
    }
  wk->nn = g_new (int, wk->n);
  wk->wt = g_new (float, wk->n);

  /* Window weights, fixed for the run: the pooled mask's mean over each
   * window (1 without a mask). */
  if (mask)
    {
      const int nx = wk->pw - 2;
      float    *mq = g_new (float, (gsize) wk->ph * wk->pw);
      pool_down (mask, 1, h, w, t->pool, mq);
      for (int i = 0; i < wk->n; i++)
        {
          const int y = i / nx, x = i % nx;
          double    m = 0;
          for (int dy = 0; dy < 3; dy++)
            for (int dx = 0; dx < 3; dx++)
              m += mq[(y + dy) * wk->pw + x + dx];
          wk->wt[i] = (float) (m / 9);
        }
      g_free (mq);
    }
  else
    for (int i = 0; i < wk->n; i++)
      wk->wt[i] = 1.0f;
  return wk;
}

/* ----------------------------------------------------------------- loss -- */

double
swag_patch_loss (SwagCtx *ctx, const SwagPatchTarget *t, SwagPatchWork *wk,
                 const float *f, double scale, float *df)
{
  const int    ns = swag_patch_target_count (t), d = t->d, c = t->c;
  const int    nx = wk->pw - 2;
  const float *tp = (const float *) (void *) t->patches->data;
  const float *tu = (const float *) (void *) t->unit->data;
  double       loss = 0, wsum = 0;

  g_return_val_if_fail (ns > 0, NAN);
  pool_down (f, c, wk->h, wk->w, t->pool, wk->q);
  windows (wk->q, c, wk->ph, wk->pw, wk->p);

  /* Matches: scores (rows, ns) = P_block T_unit^T, best per row. */
  for (int i0 = 0; i0 < wk->n; i0 += BLOCK_ROWS)
    {
      const int rows = MIN (BLOCK_ROWS, wk->n - i0);
      swag_gemm (ctx->pool, FALSE, TRUE, rows, ns, d, 1.0f,
                 wk->p + (gsize) i0 * d, d, tu, d, 0.0f, wk->scores, ns,
                 NULL, FALSE);
      for (int r = 0; r < rows; r++)
        {
          const float *row = wk->scores + (gsize) r * ns;
          int          best = 0;
          for (int j = 1; j < ns; j++)
            if (row[j] > row[best])
              best = j;
          wk->nn[i0 + r] = best;
        }
    }

  for (int i = 0; i < wk->n; i++)
    wsum += wk->wt[i];
  wsum = MAX (wsum, 1e-12);
  for (int i = 0; i < wk->n; i++)
    {
      const float *pi = wk->p + (gsize) i * d;
      const float *ti = tp + (gsize) wk->nn[i] * d;
      double       acc = 0;
      for (int e = 0; e < d; e++)
        {
          const double diff = (double) pi[e] - ti[e];
          acc += diff * diff;
        }
      loss += wk->wt[i] * acc;
    }
  loss /= d * wsum;

  if (df)
    {
      /* dP_i = 2 w_i (P_i - T_nn(i)) / (D sum w), scattered back into the
       * pooled map (windows overlap: they add), then spread over each
       * cell. */
      const double k = 2.0 / (d * wsum);
      memset (wk->dq, 0, sizeof (float) * c * wk->ph * wk->pw);
      for (int i = 0; i < wk->n; i++)
        {
          const int    y = i / nx, x = i % nx;
          const float *pi = wk->p + (gsize) i * d;
          const float *ti = tp + (gsize) wk->nn[i] * d;
          const float  g = (float) (k * wk->wt[i]);
          int          e = 0;
          for (int ch = 0; ch < c; ch++)
            for (int dy = 0; dy < 3; dy++)
              {
                float *row = wk->dq + ((gsize) ch * wk->ph + y + dy) * wk->pw + x;
                for (int dx = 0; dx < 3; dx++, e++)
                  row[dx] += g * (pi[e] - ti[e]);
              }
        }
      pool_up_add (wk->dq, c, wk->h, wk->w, t->pool, scale, df);
    }
  return loss;
}
