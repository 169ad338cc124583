/* test-optim.c: L-BFGS with strong Wolfe and Adam on functions with known
 * minima; the evaluation budget; non-finite values. GPL-3.0-or-later. */
#include "swag-optim.h"

#include <math.h>

typedef struct
{
  int    evals;
  int    nan_beyond;  /* f is NaN when |x0| exceeds this, if > 0 */
} Counter;

/* Extended Rosenbrock in n dimensions (n even): minimum 0 at all ones. */
static gboolean
rosenbrock (const float *x, double *f, float *g, gpointer data, GError **error)
{
  Counter *c = data;
  int      n = 8;

  c->evals++;
  *f = 0;
  for (int i = 0; i < n; i += 2)
    {
      double a = x[i], b = x[i + 1];
      double t1 = 1 - a, t2 = 10 * (b - a * a);
      *f += t1 * t1 + t2 * t2;
      g[i] = (float) (-2 * t1 - 40 * a * t2);
      g[i + 1] = (float) (20 * t2);
    }
  if (c->nan_beyond > 0 && fabs (x[0]) > c->nan_beyond)
    *f = NAN;
  return TRUE;
}

static void
start (float *x)
{
  for (int i = 0; i < 8; i += 2)
    {
      x[i] = -1.2f;
      x[i + 1] = 1.0f;
    }
}

static void
test_lbfgs_rosenbrock (void)
{
  SwagOptimOptions opt;
  Counter          c = { 0, 0 };
  float            x[8];
  int              used;
  double           best;
  GError          *error = NULL;

  start (x);
  swag_optim_options_init (&opt, SWAG_OPTIMIZER_LBFGS, 200, 100, 1.0);
  g_assert_true (swag_minimize (&opt, x, 8, rosenbrock, &c, &used, &best, &error));
  g_assert_no_error (error);
  g_test_message ("L-BFGS: f %.3g after %d evaluations", best, used);
  g_assert_cmpint (used, ==, c.evals);
  g_assert_cmpint (used, <=, 200);
  g_assert_cmpfloat (best, <, 1e-8);
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat (fabs (x[i] - 1.0), <, 1e-3);
}

static void
test_lbfgs_budget (void)
{
  SwagOptimOptions opt;
  Counter          c = { 0, 0 };
  float            x[8];
  int              used;
  double           best, f0;
  float            g[8];
  GError          *error = NULL;

  start (x);
  rosenbrock (x, &f0, g, &c, NULL);
  c.evals = 0;
  /* The budget holds even in the middle of a line search, and the result
   * is the best point evaluated. */
  for (int budget = 1; budget <= 13; budget += 3)
    {
      start (x);
      c.evals = 0;
      swag_optim_options_init (&opt, SWAG_OPTIMIZER_LBFGS, budget, 100, 1.0);
      g_assert_true (swag_minimize (&opt, x, 8, rosenbrock, &c, &used, &best,
                                    &error));
      g_assert_cmpint (used, ==, budget);
      g_assert_cmpint (c.evals, ==, budget);
      {
        double fx;
        rosenbrock (x, &fx, g, &c, NULL);
        g_assert_cmpfloat (fx, ==, best);
        g_assert_cmpfloat (fx, <=, f0);
      }
    }
}

static void
test_lbfgs_short_history (void)
{
  SwagOptimOptions opt;
  Counter          c = { 0, 0 };
  float            x[8];
  int              used;
  double           best;

  start (x);
  swag_optim_options_init (&opt, SWAG_OPTIMIZER_LBFGS, 400, 3, 1.0);
  g_assert_true (swag_minimize (&opt, x, 8, rosenbrock, &c, &used, &best, NULL));
  g_test_message ("L-BFGS history 3: f %.3g after %d evaluations", best, used);
  g_assert_cmpfloat (best, <, 1e-6);
}

static void
test_lbfgs_nonfinite (void)
{
  SwagOptimOptions opt;
  Counter          c = { 0, 2 };  /* NaN for |x0| > 2 */
  float            x[8];
  int              used;
  double           best;
  GError          *error = NULL;

  start (x);
  swag_optim_options_init (&opt, SWAG_OPTIMIZER_LBFGS, 300, 100, 1.0);
  g_assert_true (swag_minimize (&opt, x, 8, rosenbrock, &c, &used, &best, &error));
  g_assert_no_error (error);
  g_assert_true (isfinite (best));
  for (int i = 0; i < 8; i++)
    g_assert_true (isfinite (x[i]));
  g_assert_cmpfloat (best, <, 1e-4);

  /* NaN everywhere: a numeric error, and x unchanged. */
  {
    Counter all = { 0, 0 };
    start (x);
    x[0] = 5;   /* |x0| > 2 with nan_beyond 2 makes the start NaN */
    all.nan_beyond = 2;
    g_assert_false (swag_minimize (&opt, x, 8, rosenbrock, &all, &used, &best,
                                   &error));
    g_assert_error (error, SWAG_ERROR, SWAG_ERROR_NUMERIC);
    g_clear_error (&error);
    g_assert_cmpfloat (x[0], ==, 5);
  }
}

static gboolean
quadratic (const float *x, double *f, float *g, gpointer data, GError **error)
{
  *f = 0;
  for (int i = 0; i < 8; i++)
    {
      double d = x[i] - 0.1 * i, s = 1 + i;
      *f += s * d * d;
      g[i] = (float) (2 * s * d);
    }
  return TRUE;
}

static void
test_adam (void)
{
  SwagOptimOptions opt;
  float            x[8] = { 0 };
  int              used;
  double           best;

  swag_optim_options_init (&opt, SWAG_OPTIMIZER_ADAM, 500, 0, 0.05);
  g_assert_true (swag_minimize (&opt, x, 8, quadratic, NULL, &used, &best, NULL));
  g_test_message ("Adam: f %.3g after %d evaluations", best, used);
  g_assert_cmpint (used, ==, 500);
  g_assert_cmpfloat (best, <, 1e-3);
}

static gboolean
fail_third (const float *x, double *f, float *g, gpointer data, GError **error)
{
  int *n = data;

  if (++*n == 3)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_CANCELLED, "Cancelled");
      return FALSE;
    }
  return quadratic (x, f, g, NULL, error);
}

static void
test_error_keeps_best (void)
{
  SwagOptimOptions opt;
  float            x[8] = { 0 };
  int              used, calls = 0;
  double           best, f0, fx;
  float            g[8];
  GError          *error = NULL;

  quadratic (x, &f0, g, NULL, NULL);
  swag_optim_options_init (&opt, SWAG_OPTIMIZER_LBFGS, 100, 100, 1.0);
  g_assert_false (swag_minimize (&opt, x, 8, fail_third, &calls, &used, &best,
                                 &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (used, ==, 2);
  quadratic (x, &fx, g, NULL, NULL);
  g_assert_cmpfloat (fx, ==, best);
  g_assert_cmpfloat (fx, <, f0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/optim/lbfgs/rosenbrock", test_lbfgs_rosenbrock);
  g_test_add_func ("/optim/lbfgs/budget", test_lbfgs_budget);
  g_test_add_func ("/optim/lbfgs/short-history", test_lbfgs_short_history);
  g_test_add_func ("/optim/lbfgs/non-finite", test_lbfgs_nonfinite);
  g_test_add_func ("/optim/adam/quadratic", test_adam);
  g_test_add_func ("/optim/error-keeps-best", test_error_keeps_best);
  return g_test_run ();
}
