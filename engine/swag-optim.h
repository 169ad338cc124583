/* swag-optim.h: minimisers over a float vector: L-BFGS with a strong-Wolfe
 * line search (the algorithm of PyTorch's torch.optim.LBFGS, itself after
 * minFunc) and Adam. Internal to the engine.
 *
 * Every call of the objective counts as one evaluation against the budget,
 * line-search evaluations included; when the budget runs out mid-search the
 * run stops at the best point seen. GPL-3.0-or-later.
 */
#ifndef SWAG_OPTIM_H
#define SWAG_OPTIM_H

#include "swag.h"

G_BEGIN_DECLS

/* f(x) and its gradient g (n), overwritten. FALSE with an error stops the
 * minimisation (cancel, failure). */
typedef gboolean (*SwagObjFunc) (const float *x, double *f, float *g,
                                 gpointer user_data, GError **error);

typedef struct
{
  SwagOptimizer kind;
  int           max_evals;        /* evaluations allowed */
  int           history;          /* L-BFGS pairs kept */
  double        lr;               /* L-BFGS: 1 (step scale); Adam: step */
  double        tolerance_grad;   /* stop when max |g| <= this */
  double        tolerance_change; /* stop when steps or changes are smaller */
} SwagOptimOptions;

void     swag_optim_options_init (SwagOptimOptions *opt, SwagOptimizer kind,
                                  int max_evals, int history, double lr);

/* Bytes of state the minimiser keeps for a vector of n floats. */
guint64  swag_optim_bytes (const SwagOptimOptions *opt, gsize n);

/* Minimises from x (n), which on return holds the best point evaluated (also
 * after an error). *n_evals gets the evaluations made, *best_f the best value.
 * A non-finite value or gradient makes L-BFGS step back along the search line;
 * if no finite point is found, SWAG_ERROR_NUMERIC. */
gboolean swag_minimize (const SwagOptimOptions *opt,
                        float                  *x,
                        gsize                   n,
                        SwagObjFunc             func,
                        gpointer                user_data,
                        int                    *n_evals,
                        double                 *best_f,
                        GError                **error);

G_END_DECLS

#endif /* SWAG_OPTIM_H */
