/* swag-optim.c: L-BFGS with a strong-Wolfe line search, and Adam.
 * GPL-3.0-or-later.
 *
 * L-BFGS follows torch.optim.LBFGS (lr 1, history 100, strong Wolfe with
 * c1 1e-4, c2 0.9, at most 25 line-search steps, first step
 * min(1, 1/|g|_1)) so that a run here and one in PyTorch take the same path
 * up to rounding. Vectors are float; every reduction is in double.
 */
#include "swag-optim.h"
#include "swag-core.h"
#include "swag-i18n.h"

#include <math.h>
#include <string.h>

#define C1 1e-4
#define C2 0.9
#define MAX_LS 25

typedef enum { EVAL_OK, EVAL_BUDGET, EVAL_ERROR } EvalStatus;

typedef struct
{
  const SwagOptimOptions *opt;
  gsize        n;
  SwagObjFunc  func;
  gpointer     data;
  int          evals;
  float       *best_x;  /* (n) */
  double       best_f;
  float       *xt;      /* (n) trial point */
} Run;

static double
dot (const float *a, const float *b, gsize n)
{
  double acc = 0;
  for (gsize i = 0; i < n; i++)
    acc += (double) a[i] * b[i];
  return acc;
}

static double
abs_max (const float *a, gsize n)
{
  double m = 0;
  for (gsize i = 0; i < n; i++)
    m = MAX (m, fabs ((double) a[i]));
  return m;
}

static gboolean
all_finite (const float *a, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!isfinite (a[i]))
      return FALSE;
  return TRUE;
}

/* One evaluation against the budget. A non-finite value or gradient reads as
 * f = +inf with a zero gradient, which the line search treats as "too far". */
static EvalStatus
evaluate (Run *r, const float *x, double *f, float *g, GError **error)
{
  if (r->evals >= r->opt->max_evals)
    return EVAL_BUDGET;
  if (!r->func (x, f, g, r->data, error))
    return EVAL_ERROR;
  r->evals++;
  if (!isfinite (*f) || !all_finite (g, r->n))
    {
      *f = INFINITY;
      memset (g, 0, r->n * sizeof (float));
    }
  else if (*f < r->best_f)
    {
      r->best_f = *f;
      memcpy (r->best_x, x, r->n * sizeof (float));
    }
  return EVAL_OK;
}

/* f and g at x + t d. */
static EvalStatus
eval_along (Run *r, const float *x, double t, const float *d, double *f,
            float *g, GError **error)
{
  for (gsize i = 0; i < r->n; i++)
    r->xt[i] = (float) (x[i] + t * d[i]);
  return evaluate (r, r->xt, f, g, error);
}

/* Minimiser of the cubic through (x1, f1, g1), (x2, f2, g2) within bounds;
 * the midpoint when the data are not finite or the cubic has no minimum. */
static double
cubic_interpolate (double x1, double f1, double g1, double x2, double f2,
                   double g2, const double *bounds)
{
  double lo, hi, d1, d2sq;

  if (bounds)
    {
      lo = bounds[0];
      hi = bounds[1];
    }
  else
    {
      lo = MIN (x1, x2);
      hi = MAX (x1, x2);
    }
  if (!isfinite (f1) || !isfinite (f2) || !isfinite (g1) || !isfinite (g2)
      || x1 == x2)
    return (lo + hi) / 2;
  d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  d2sq = d1 * d1 - g1 * g2;
  if (d2sq >= 0)
    {
      double d2 = sqrt (d2sq), pos;
      if (x1 <= x2)
        pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
      else
        pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
      if (!isfinite (pos))
        return (lo + hi) / 2;
      return MIN (MAX (pos, lo), hi);
    }
  return (lo + hi) / 2;
}

/* Strong-Wolfe line search from x along d with initial step *t; f, g, gtd
 * at x. On return *t, *f_out and g_out hold the accepted point. Buffers
 * g_new, g_prev, bg0, bg1 are (n) scratch. */
static EvalStatus
strong_wolfe (Run *r, const float *x, double *t, const float *d, double f,
              const float *g, double gtd, double *f_out, float *g_out,
              float *g_new, float *g_prev, float *bg0, float *bg1,
              GError **error)
{
  gsize      n = r->n;
  double     d_norm = abs_max (d, n);
  double     f_new, gtd_new, t_prev = 0, f_prev = f, gtd_prev = gtd;
  double     br[2], bf[2], bgtd[2];
  float     *bg[2] = { bg0, bg1 };
  int        ls_iter = 0, n_br = 0, low = 0, high = 1;
  gboolean   done = FALSE, insuf = FALSE;
  EvalStatus st;

  memcpy (g_prev, g, n * sizeof (float));
  st = eval_along (r, x, *t, d, &f_new, g_new, error);
  if (st != EVAL_OK)
    return st;
  gtd_new = dot (g_new, d, n);

  while (ls_iter < MAX_LS)
    {
      if (f_new > f + C1 * *t * gtd || (ls_iter > 1 && f_new >= f_prev))
        {
          br[0] = t_prev; bf[0] = f_prev; bgtd[0] = gtd_prev;
          memcpy (bg[0], g_prev, n * sizeof (float));
          br[1] = *t; bf[1] = f_new; bgtd[1] = gtd_new;
          memcpy (bg[1], g_new, n * sizeof (float));
          n_br = 2;
          break;
        }
      if (fabs (gtd_new) <= -C2 * gtd)
        {
          br[0] = *t; bf[0] = f_new; bgtd[0] = gtd_new;
          memcpy (bg[0], g_new, n * sizeof (float));
          n_br = 1;
          done = TRUE;
          break;
        }
      if (gtd_new >= 0)
        {
          br[0] = t_prev; bf[0] = f_prev; bgtd[0] = gtd_prev;
          memcpy (bg[0], g_prev, n * sizeof (float));
          br[1] = *t; bf[1] = f_new; bgtd[1] = gtd_new;
          memcpy (bg[1], g_new, n * sizeof (float));
          n_br = 2;
          break;
        }
      {
        double bounds[2] = { *t + 0.01 * (*t - t_prev), *t * 10 };
        double tmp = *t;
        *t = cubic_interpolate (t_prev, f_prev, gtd_prev, *t, f_new, gtd_new,
                                bounds);
        t_prev = tmp;
      }
      f_prev = f_new;
      gtd_prev = gtd_new;
      memcpy (g_prev, g_new, n * sizeof (float));
      st = eval_along (r, x, *t, d, &f_new, g_new, error);
      if (st != EVAL_OK)
        return st;
      gtd_new = dot (g_new, d, n);
      ls_iter++;
    }

  if (ls_iter == MAX_LS)
    {
      br[0] = 0; bf[0] = f; bgtd[0] = gtd;
      memcpy (bg[0], g, n * sizeof (float));
      br[1] = *t; bf[1] = f_new; bgtd[1] = gtd_new;
      memcpy (bg[1], g_new, n * sizeof (float));
      n_br = 2;
    }

  /* Zoom. */
  if (n_br == 2)
    {
      low = bf[0] <= bf[1] ? 0 : 1;
      high = 1 - low;
    }
  while (!done && ls_iter < MAX_LS && n_br == 2)
    {
      double bmax = MAX (br[0], br[1]), bmin = MIN (br[0], br[1]), eps;

      if (fabs (br[1] - br[0]) * d_norm < r->opt->tolerance_change)
        break;
      *t = cubic_interpolate (br[0], bf[0], bgtd[0], br[1], bf[1], bgtd[1],
                              NULL);
      eps = 0.1 * (bmax - bmin);
      if (MIN (bmax - *t, *t - bmin) < eps)
        {
          if (insuf || *t >= bmax || *t <= bmin)
            {
              *t = fabs (*t - bmax) < fabs (*t - bmin) ? bmax - eps
                                                       : bmin + eps;
              insuf = FALSE;
            }
          else
            insuf = TRUE;
        }
      else
        insuf = FALSE;

      st = eval_along (r, x, *t, d, &f_new, g_new, error);
      if (st != EVAL_OK)
        return st;
      gtd_new = dot (g_new, d, n);
      ls_iter++;

      if (f_new > f + C1 * *t * gtd || f_new >= bf[low])
        {
          br[high] = *t; bf[high] = f_new; bgtd[high] = gtd_new;
          memcpy (bg[high], g_new, n * sizeof (float));
          low = bf[0] <= bf[1] ? 0 : 1;
          high = 1 - low;
        }
      else
        {
          if (fabs (gtd_new) <= -C2 * gtd)
            done = TRUE;
          else if (gtd_new * (br[high] - br[low]) >= 0)
            {
              br[high] = br[low]; bf[high] = bf[low]; bgtd[high] = bgtd[low];
              memcpy (bg[high], bg[low], n * sizeof (float));
            }
          br[low] = *t; bf[low] = f_new; bgtd[low] = gtd_new;
          memcpy (bg[low], g_new, n * sizeof (float));
        }
    }

  if (n_br == 1)
    low = 0;
  *t = br[low];
  *f_out = bf[low];
  memcpy (g_out, bg[low], n * sizeof (float));
  return EVAL_OK;
}

static EvalStatus
run_lbfgs (Run *r, float *x, GError **error)
{
  const SwagOptimOptions *opt = r->opt;
  gsize      n = r->n;
  int        hist = MAX (opt->history, 1);
  float     *buf, *g, *d, *prev_g, *gn, *gp, *b0, *b1;
  float    **ys = g_new0 (float *, hist), **ss = g_new0 (float *, hist);
  double    *ro = g_new (double, hist), *al = g_new (double, hist);
  int        n_old = 0, head = 0;   /* ring of pairs, oldest at head */
  double     f, prev_f, t = 0, h_diag = 1;
  EvalStatus st;

  buf = swag_try_alloc_floats ((gsize) 7 * n, N_("optimiser state"), error);
  if (!buf)
    {
      g_free (ys); g_free (ss); g_free (ro); g_free (al);
      return EVAL_ERROR;
    }
  g = buf; d = buf + n; prev_g = buf + 2 * n; gn = buf + 3 * n;
  gp = buf + 4 * n; b0 = buf + 5 * n; b1 = buf + 6 * n;

  st = evaluate (r, x, &f, g, error);
  if (st != EVAL_OK)
    goto out;
  if (!isfinite (f))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_NUMERIC,
                   _("The loss is not a finite number at the start"));
      st = EVAL_ERROR;
      goto out;
    }

  for (int iter = 1;; iter++)
    {
      double gtd;

      if (abs_max (g, n) <= opt->tolerance_grad)
        break;
      if (iter == 1)
        {
          for (gsize i = 0; i < n; i++)
            d[i] = -g[i];
          h_diag = 1;
        }
      else
        {
          /* y = g - prev_g, s = t d (in scratch); keep the pair when the
           * curvature is positive, in the slot after the newest (the
           * oldest's once the ring is full). */
          float *y = gn, *s = gp;
          double ysv;

          for (gsize i = 0; i < n; i++)
            {
              y[i] = g[i] - prev_g[i];
              s[i] = (float) (d[i] * t);
            }
          ysv = dot (y, s, n);
          if (ysv > 1e-10)
            {
              int slot = n_old < hist ? (head + n_old) % hist : head;

              if (!ys[slot])
                {
                  ys[slot] = g_try_malloc (n * sizeof (float));
                  ss[slot] = g_try_malloc (n * sizeof (float));
                  if (!ys[slot] || !ss[slot])
                    {
                      g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                                   _("Out of memory for the L-BFGS history"));
                      st = EVAL_ERROR;
                      goto out;
                    }
                }
              memcpy (ys[slot], y, n * sizeof (float));
              memcpy (ss[slot], s, n * sizeof (float));
              ro[slot] = 1.0 / ysv;
              if (n_old < hist)
                n_old++;
              else
                head = (head + 1) % hist;
              h_diag = ysv / dot (y, y, n);
            }

          /* Two-loop recursion, newest to oldest and back. */
          for (gsize i = 0; i < n; i++)
            d[i] = -g[i];
          for (int k = n_old - 1; k >= 0; k--)
            {
              int j = (head + k) % hist;
              al[j] = dot (ss[j], d, n) * ro[j];
              for (gsize i = 0; i < n; i++)
                d[i] -= (float) (al[j] * ys[j][i]);
            }
          for (gsize i = 0; i < n; i++)
            d[i] = (float) (d[i] * h_diag);
          for (int k = 0; k < n_old; k++)
            {
              int    j = (head + k) % hist;
              double be = dot (ys[j], d, n) * ro[j];
              for (gsize i = 0; i < n; i++)
                d[i] += (float) ((al[j] - be) * ss[j][i]);
            }
        }

      memcpy (prev_g, g, n * sizeof (float));
      prev_f = f;
      if (iter == 1)
        {
          double l1 = 0;
          for (gsize i = 0; i < n; i++)
            l1 += fabs ((double) g[i]);
          t = MIN (1.0, 1.0 / l1) * opt->lr;
        }
      else
        t = opt->lr;

      gtd = dot (g, d, n);
      if (gtd > -opt->tolerance_change)
        break;

      st = strong_wolfe (r, x, &t, d, f, g, gtd, &f, g, gn, gp, b0, b1,
                         error);
      if (st != EVAL_OK)
        goto out;
      for (gsize i = 0; i < n; i++)
        x[i] = (float) (x[i] + t * d[i]);
      if (!isfinite (f))
        break;   /* no finite point along d: stop at the best seen */
      if (abs_max (d, n) * fabs (t) <= opt->tolerance_change)
        break;
      if (fabs (f - prev_f) < opt->tolerance_change)
        break;
    }

out:
  for (int k = 0; k < hist; k++)
    {
      g_free (ys[k]);
      g_free (ss[k]);
    }
  g_free (ys);
  g_free (ss);
  g_free (ro);
  g_free (al);
  g_free (buf);
  return st;
}

static EvalStatus
run_adam (Run *r, float *x, GError **error)
{
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  gsize      n = r->n;
  float     *buf, *g, *m, *v;
  double     f, p1 = 1, p2 = 1, lr = r->opt->lr;
  EvalStatus st = EVAL_OK;

  buf = swag_try_alloc_floats ((gsize) 3 * n, N_("optimiser state"), error);
  if (!buf)
    return EVAL_ERROR;
  g = buf; m = buf + n; v = buf + 2 * n;
  memset (m, 0, 2 * n * sizeof (float));

  for (;;)
    {
      st = evaluate (r, x, &f, g, error);
      if (st != EVAL_OK)
        break;
      if (!isfinite (f))
        {
          /* Step back to the best point and halve the step size. */
          memcpy (x, r->best_x, n * sizeof (float));
          memset (m, 0, 2 * n * sizeof (float));
          p1 = p2 = 1;
          lr *= 0.5;
          continue;
        }
      p1 *= b1;
      p2 *= b2;
      for (gsize i = 0; i < n; i++)
        {
          double mi = b1 * m[i] + (1 - b1) * g[i];
          double vi = b2 * v[i] + (1 - b2) * (double) g[i] * g[i];
          m[i] = (float) mi;
          v[i] = (float) vi;
          x[i] -= (float) (lr * (mi / (1 - p1))
                           / (sqrt (vi / (1 - p2)) + eps));
        }
    }
  g_free (buf);
  return st;
}

void
swag_optim_options_init (SwagOptimOptions *opt, SwagOptimizer kind,
                         int max_evals, int history, double lr)
{
  opt->kind = kind;
  opt->max_evals = max_evals;
  opt->history = history;
  opt->lr = lr;
  opt->tolerance_grad = 1e-7;
  opt->tolerance_change = 1e-9;
}

guint64
swag_optim_bytes (const SwagOptimOptions *opt, gsize n)
{
  guint64 vectors = opt->kind == SWAG_OPTIMIZER_LBFGS
                    ? 7 + 2 * (guint64) MAX (opt->history, 1) + 2 : 3 + 2;
  return vectors * n * sizeof (float);
}

gboolean
swag_minimize (const SwagOptimOptions *opt, float *x, gsize n,
               SwagObjFunc func, gpointer user_data, int *n_evals,
               double *best_f, GError **error)
{
  Run        r = { 0 };
  EvalStatus st;

  r.opt = opt;
  r.n = n;
  r.func = func;
  r.data = user_data;
  r.best_f = INFINITY;
  r.best_x = swag_try_alloc_floats (n, N_("optimiser state"), error);
  r.xt = r.best_x ? swag_try_alloc_floats (n, N_("optimiser state"), error)
                  : NULL;
  if (!r.xt)
    {
      g_free (r.best_x);
      return FALSE;
    }
  memcpy (r.best_x, x, n * sizeof (float));

  st = opt->kind == SWAG_OPTIMIZER_ADAM ? run_adam (&r, x, error)
                                        : run_lbfgs (&r, x, error);

  /* The answer is the best point evaluated, wherever the search stopped. */
  if (isfinite (r.best_f))
    memcpy (x, r.best_x, n * sizeof (float));
  else if (st != EVAL_ERROR)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_NUMERIC,
                   _("The loss was never a finite number: try smaller weights "
                     "or another smoothing"));
      st = EVAL_ERROR;
    }
  if (n_evals)
    *n_evals = r.evals;
  if (best_f)
    *best_f = r.best_f;
  g_free (r.best_x);
  g_free (r.xt);
  return st != EVAL_ERROR;
}
