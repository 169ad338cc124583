/* test-ops.c: ops against double references, derivatives. GPL-3.0-or-later. */

/* Every op is checked three ways:
 *  - forward against a direct double implementation written here, from the
 *    definition (engine/README.md), not from the engine's code;
 *  - backward by central finite differences of L(x) = sum(r * op(x)), r
 *    random, taken on the double reference (so the differences themselves
 *    are accurate to ~1e-9 and the tolerance is the float32 backward's);
 *  - for the linear ops, the adjoint identity <op(x), y> = <x, op^T(y)>;
 * and every backward that adds is called twice, expecting twice the result.
 * Data come from fixed seeds: a test gives the same numbers on every run. */

#include <float.h>
#include <math.h>
#include <string.h>

#include <glib.h>

#include "swag-ops.h"
#include "swag-blas.h"
#include "swag-fftconv.h"

/* ------------------------------------------------------------- helpers -- */

/* |got - want| <= tol, naming both values when it fails. */
#define assert_close(got, want, tol)                                       \
  G_STMT_START {                                                           \
    const double got_ = (got), want_ = (want), tol_ = (tol);               \
    if (!(fabs (got_ - want_) <= tol_))                                    \
      g_test_message ("%s:%d: got %.9g, want %.9g, tol %.3g",              \
                      __FILE__, __LINE__, got_, want_, tol_);              \
    g_assert_cmpfloat (fabs (got_ - want_), <=, tol_);                     \
  } G_STMT_END

static double
normal (GRand *rng)
{
  /* Box-Muller; 1 - u keeps the log finite. */
  const double u = 1.0 - g_rand_double (rng), v = g_rand_double (rng);
  return sqrt (-2.0 * log (u)) * cos (2.0 * G_PI * v);
}

static float *
new_normal (GRand *rng, gsize n, double mean, double sd)
{
  float *x = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    x[i] = (float) (mean + sd * normal (rng));
  return x;
}

/* Forward outputs start as NaN, so that an element the op forgets shows. */
static float *
new_nan (gsize n)
{
  float *x = g_new (float, n);
  for (gsize i = 0; i < n; i++)
    x[i] = NAN;
  return x;
}

static double *
to_double (const float *x, gsize n)
{
  double *d = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    d[i] = x[i];
  return d;
}

static double
dot_ff (const float *a, const float *b, gsize n)
{
  double s = 0.0;
  for (gsize i = 0; i < n; i++)
    s += (double) a[i] * b[i];
  return s;
}

static double
dot_abs_ff (const float *a, const float *b, gsize n)
{
  double s = 0.0;
  for (gsize i = 0; i < n; i++)
    s += fabs ((double) a[i] * b[i]);
  return s;
}

static double
dot_fd (const float *a, const double *b, gsize n)
{
  double s = 0.0;
  for (gsize i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

static double
max_abs_f (const float *x, gsize n)
{
  double m = 0.0;
  for (gsize i = 0; i < n; i++)
    m = MAX (m, fabs (x[i]));
  return m;
}

/* The loss as a function of the op's input, in double. */
typedef double (*LossFunc) (const double *x, gconstpointer data);

/* Central differences of @loss at @x in every @every-th coordinate against
 * @grad: |grad_i - fd_i| <= rtol * max_j |fd_j| (+ atol_i where @atol is
 * given): norm-wise, since a float backward is accurate relative to the
 * gradient's scale, not to each tiny entry. */
static void
check_fd_full (LossFunc      loss,
               gconstpointer data,
               const float  *x,     /* (n) */
               gsize         n,
               const float  *grad,  /* (n) from the op's backward */
               double        h,
               double        rtol,
               const double *atol,  /* (n) or NULL */
               gsize         every)
{
  double *xd = to_double (x, n);
  double *fd = g_new0 (double, n);
  double scale = 0.0;

  for (gsize i = 0; i < n; i += every)
    {
      const double saved = xd[i];
      xd[i] = saved + h;
      const double lp = loss (xd, data);
      xd[i] = saved - h;
      const double lm = loss (xd, data);
      xd[i] = saved;
      fd[i] = (lp - lm) / (2.0 * h);
      scale = MAX (scale, fabs (fd[i]));
    }
  /* A test that checks nothing fails, unless a saturated softmax's exact
   * zero gradient is what @atol bounds. */
  if (atol == NULL)
    g_assert_cmpfloat (scale, >, 0.0);
  for (gsize i = 0; i < n; i += every)
    assert_close (grad[i], fd[i], rtol * scale + (atol ? atol[i] : 0.0));
  g_free (xd);
  g_free (fd);
}

static void
check_fd (LossFunc      loss,
          gconstpointer data,
          const float  *x,     /* (n) */
          gsize         n,
          const float  *grad,  /* (n) */
          double        h,
          double        rtol)
{
  check_fd_full (loss, data, x, n, grad, h, rtol, NULL, 1);
}

/* A backward called twice into the same buffer gives twice the result: it
 * adds. Norm-wise tolerance: the second call's sums round differently. A
 * gradient that is all zero must stay so (a saturated softmax's is below
 * FLT_MIN everywhere, and the pool's tasks flush denormals to zero). */
#define ADDS_RTOL 1e-5

static void
check_twice (const float *once, const float *twice, gsize n)
{
  const double scale = max_abs_f (once, n);
  g_assert_cmpfloat (scale, >=, 0.0);
  for (gsize i = 0; i < n; i++)
    assert_close (twice[i], 2.0 * once[i], ADDS_RTOL * scale);
}

/* ----------------------------------------------------------- convolution -- */

typedef struct
{
  const char *name;
  int         in_c, out_c, h, w, kh, kw, stride, pad;
  gboolean    bias, relu;
  gboolean    small;  /* cheap enough for finite differences */
} ConvCase;

static const ConvCase conv_cases[] = {
  { "3x3-s1-p1",           3, 4,   8,    7, 3, 3, 1, 1, FALSE, FALSE, TRUE  },
  { "3x3-s1-p1-bias-relu", 3, 5,   8,    7, 3, 3, 1, 1, TRUE,  TRUE,  TRUE  },
  { "7x7-s2-p3",           3, 4,  13,    9, 7, 7, 2, 3, FALSE, FALSE, TRUE  },
  { "7x7-s2-p3-bias-relu", 3, 4,  13,    9, 7, 7, 2, 3, TRUE,  TRUE,  TRUE  },
  { "1x1-s1",              6, 5,   5,    7, 1, 1, 1, 0, FALSE, FALSE, TRUE  },
  { "1x1-s1-bias-relu",    6, 5,   5,    7, 1, 1, 1, 0, TRUE,  TRUE,  TRUE  },
  { "1x1-s2",              6, 4,   9,    8, 1, 1, 2, 0, FALSE, FALSE, TRUE  },
  { "1x1-s2-bias",         6, 4,   9,    8, 1, 1, 2, 0, TRUE,  FALSE, TRUE  },
  { "3x3-s2-p1",           4, 3,  13,    9, 3, 3, 2, 1, FALSE, FALSE, TRUE  },
  { "3x3-s2-p1-bias-relu", 4, 3,  12,   11, 3, 3, 2, 1, TRUE,  TRUE,  TRUE  },
  { "3x3-s1-p0-13x9",      3, 2,  13,    9, 3, 3, 1, 0, TRUE,  FALSE, TRUE  },
  { "in1-5x5-s1-p2",       1, 3,  13,    9, 5, 5, 1, 2, FALSE, FALSE, TRUE  },
  { "in1-3x3-s1-p1-relu",  1, 2,   6,    5, 3, 3, 1, 1, TRUE,  TRUE,  TRUE  },
  { "3x5-s1-p1",           2, 3,   7,    9, 3, 5, 1, 1, FALSE, FALSE, TRUE  },
  { "2x2-s2-p0",           2, 3,   9,    7, 2, 2, 2, 0, FALSE, FALSE, TRUE  },
  /* 144 * 128 floats per output row: bands of 56 rows, 3 bands */
  { "bands",              16, 8, 160,  128, 3, 3, 1, 1, TRUE,  TRUE,  FALSE },
  /* 576 * 2000 floats per output row, more than a band: 1 row per band */
  { "bands-wide-row",     64, 4,   3, 2000, 3, 3, 1, 1, FALSE, FALSE, FALSE },
  /* ResNet-like channel counts at odd sizes: several GEMM tiles */
  { "stem-7x7-s2-67x45",   3, 64, 45,   67, 7, 7, 2, 3, TRUE,  TRUE,  FALSE },
  { "1x1-s2-wide",       160, 200, 17,  12, 1, 1, 2, 0, TRUE,  FALSE, FALSE },
  { "3x3-s2-wide",        70, 150, 17,  12, 3, 3, 2, 1, TRUE,  TRUE,  FALSE },
  { "1x1-s1-wide",       150, 300,  9,  12, 1, 1, 1, 0, TRUE,  TRUE,  FALSE },
};

typedef struct
{
  SwagConvDesc cv;
  float       *weight, *bias;
  int          out_h, out_w;
  gsize        in_n, out_n;
  float       *scratch;
  SwagCtx      ctx;
} ConvSetup;

static void
conv_setup (ConvSetup *s, const ConvCase *cc, gboolean with_bias, GRand *rng)
{
  const gsize wn = (gsize) cc->out_c * cc->in_c * cc->kh * cc->kw;

  memset (s, 0, sizeof *s);
  s->weight = new_normal (rng, wn, 0.0,
                          sqrt (2.0 / (cc->in_c * cc->kh * cc->kw)));
  s->bias = with_bias ? new_normal (rng, cc->out_c, 0.0, 0.5) : NULL;
  s->cv = (SwagConvDesc) {
    .in_c = cc->in_c, .out_c = cc->out_c, .kh = cc->kh, .kw = cc->kw,
    .stride = cc->stride, .pad = cc->pad, .weight = s->weight, .bias = s->bias,
  };
  s->out_h = swag_conv_out_size (cc->h, cc->kh, cc->stride, cc->pad);
  s->out_w = swag_conv_out_size (cc->w, cc->kw, cc->stride, cc->pad);
  g_assert_cmpint (s->out_h, >, 0);
  g_assert_cmpint (s->out_w, >, 0);
  s->in_n = (gsize) cc->in_c * cc->h * cc->w;
  s->out_n = (gsize) cc->out_c * s->out_h * s->out_w;
  /* Exactly what the op asks for: ASan catches any write past it. */
  s->ctx.n_threads = 1;
  s->ctx.scratch_floats = swag_conv2d_scratch_floats (&s->cv, cc->h, cc->w);
  s->scratch = g_new (float, s->ctx.scratch_floats);
  s->ctx.scratch = s->scratch;
}

static void
conv_teardown (ConvSetup *s)
{
  g_free (s->weight);
  g_free (s->bias);
  g_free (s->scratch);
}

/* The definition: out[o, y, x] = b[o] + sum over (i, ky, kx) of
 * w[o, i, ky, kx] in[i, y s - p + ky, x s - p + kx], zero outside the input.
 * @abs_out (or NULL) gets |b| + sum |w in|, the scale of float32 rounding. */
static void
conv_ref (const SwagConvDesc *cv,
          const double       *in,       /* (in_c, h, w) */
          int                 h,
          int                 w,
          gboolean            relu,
          double             *out,      /* (out_c, oh, ow) */
          double             *abs_out)  /* (out_c, oh, ow) or NULL */
{
  const int oh = swag_conv_out_size (h, cv->kh, cv->stride, cv->pad);
  const int ow = swag_conv_out_size (w, cv->kw, cv->stride, cv->pad);

  for (int o = 0; o < cv->out_c; o++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++)
        {
          double s = cv->bias ? cv->bias[o] : 0.0;
          double a = fabs (s);
          for (int i = 0; i < cv->in_c; i++)
            for (int ky = 0; ky < cv->kh; ky++)
              for (int kx = 0; kx < cv->kw; kx++)
                {
                  const int iy = y * cv->stride - cv->pad + ky;
                  const int ix = x * cv->stride - cv->pad + kx;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                    continue;
                  const double p =
                    cv->weight[((o * cv->in_c + i) * cv->kh + ky) * cv->kw + kx]
                    * in[((gsize) i * h + iy) * w + ix];
                  s += p;
                  a += fabs (p);
                }
          const gsize k = ((gsize) o * oh + y) * ow + x;
          out[k] = relu && s < 0.0 ? 0.0 : s;
          if (abs_out)
            abs_out[k] = a;
        }
}

/* Forward: 2e-5 of |b| + sum |w x| per output. A float32 GEMM errs by about
 * sqrt(K) eps of that (K <= 576 here, so ~1.5e-6); a wrong tap, offset or
 * padding is off by a whole term. */
static void
test_conv_forward (gconstpointer data)
{
  const ConvCase *cc = data;
  GRand *rng = g_rand_new_with_seed (11);
  ConvSetup s;

  conv_setup (&s, cc, cc->bias, rng);
  float *in = new_normal (rng, s.in_n, 0.0, 1.0);
  float *out = new_nan (s.out_n);
  double *in_d = to_double (in, s.in_n);
  double *ref = g_new (double, s.out_n);
  double *ref_abs = g_new (double, s.out_n);

  swag_conv2d_forward (&s.ctx, &s.cv, in, cc->h, cc->w, out, cc->relu);
  conv_ref (&s.cv, in_d, cc->h, cc->w, cc->relu, ref, ref_abs);
  for (gsize i = 0; i < s.out_n; i++)
    assert_close (out[i], ref[i], 2e-5 * ref_abs[i]);
  if (cc->relu)
    for (gsize i = 0; i < s.out_n; i++)
      g_assert_cmpfloat (out[i], >=, 0.0f);

  g_free (in);
  g_free (out);
  g_free (in_d);
  g_free (ref);
  g_free (ref_abs);
  conv_teardown (&s);
  g_rand_free (rng);
}

/* Adjoint of the linear part (no bias, no ReLU), in double from the float
 * results: 1e-5 of the sums of |terms| on each side. Then backward again into
 * the same buffer: twice the result. */
static void
test_conv_adjoint (gconstpointer data)
{
  const ConvCase *cc = data;
  GRand *rng = g_rand_new_with_seed (12);
  ConvSetup s;

  conv_setup (&s, cc, FALSE, rng);
  float *x = new_normal (rng, s.in_n, 0.0, 1.0);
  float *y = new_normal (rng, s.out_n, 0.0, 1.0);
  float *out = new_nan (s.out_n);
  float *din = g_new0 (float, s.in_n);
  float *din2 = g_new0 (float, s.in_n);

  swag_conv2d_forward (&s.ctx, &s.cv, x, cc->h, cc->w, out, FALSE);
  swag_conv2d_backward (&s.ctx, &s.cv, y, cc->h, cc->w, din);
  const double lhs = dot_ff (out, y, s.out_n);
  const double rhs = dot_ff (x, din, s.in_n);
  const double tol = 1e-5 * (dot_abs_ff (out, y, s.out_n)
                             + dot_abs_ff (x, din, s.in_n));
  assert_close (lhs, rhs, tol);

  swag_conv2d_backward (&s.ctx, &s.cv, y, cc->h, cc->w, din2);
  swag_conv2d_backward (&s.ctx, &s.cv, y, cc->h, cc->w, din2);
  check_twice (din, din2, s.in_n);

  g_free (x);
  g_free (y);
  g_free (out);
  g_free (din);
  g_free (din2);
  conv_teardown (&s);
  g_rand_free (rng);
}

/* -------------------------------------------------------- FFT (tiles) -- */

typedef struct
{
  const char *name;
  int         in_c, out_c, h, w, k;
  gboolean    bias, relu;
} FftCase;

/* Kernels from the smallest the FFT takes to the multi-scale network's
 * largest; planes smaller than a kernel, than a tile, not multiples of a
 * tile, and several tiles across; 1 to 4 input channels. */
static const FftCase fft_cases[] = {
  { "7-1x1",        3,  2,   1,   1,  7, TRUE,  TRUE  },
  { "7-9x13",       3,  5,   9,  13,  7, FALSE, FALSE },
  { "11-in1-40x37", 1,  4,  40,  37, 11, TRUE,  TRUE  },
  { "15-in4-33x70", 4,  3,  33,  70, 15, TRUE,  FALSE },
  { "23-3x5",       3,  4,   3,   5, 23, FALSE, TRUE  },
  { "23-64x64",     3,  8,  64,  64, 23, TRUE,  TRUE  },
  { "37-50x90",     2,  3,  50,  90, 37, FALSE, FALSE },
  { "55-20x30",     3,  4,  20,  30, 55, TRUE,  TRUE  },
  { "55-150x97",    3,  6, 150,  97, 55, FALSE, TRUE  },
};

/* din[i, y, x] = sum over (o, ky, kx) of w[o, i, ky, kx] dy[o, y + p - ky,
 * x + p - kx] for a stride-1 convolution padded by p, with the sums of
 * |terms|. */
static void
conv_backward_ref (const SwagConvDesc *cv, const double *dy, int h, int w,
                   double *din, double *abs_din)
{
  const int k = cv->kh, p = cv->pad;

  for (int i = 0; i < cv->in_c; i++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        {
          double sum = 0.0, a = 0.0;
          for (int o = 0; o < cv->out_c; o++)
            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                {
                  const int oy = y + p - ky, ox = x + p - kx;
                  if (oy < 0 || oy >= h || ox < 0 || ox >= w)
                    continue;
                  const double t = cv->weight[((o * cv->in_c + i) * k + ky) * k + kx]
                                   * dy[((gsize) o * h + oy) * w + ox];
                  sum += t;
                  a += fabs (t);
                }
          din[((gsize) i * h + y) * w + x] = sum;
          abs_din[((gsize) i * h + y) * w + x] = a;
        }
}

/* Forward and backward (through the forward's ReLU bits) against the
 * direct definition in double. The FFT's rounding is relative to a tile's
 * whole signal, not to each output's terms: within 2e-5 of the output's
 * |terms| plus 2e-6 of the largest; a wrong offset, tile edge or conjugate
 * is off by whole terms. Backward adds into din. The same bits with no pool,
 * a pool of 1 and of 2 threads, and a pool whose workspace is too small. */
static void
test_fftconv (gconstpointer data)
{
  const FftCase *fcase = data;
  GRand *rng = g_rand_new_with_seed (31);
  const ConvCase cc = { fcase->name, fcase->in_c, fcase->out_c, fcase->h,
                        fcase->w, fcase->k, fcase->k, 1, fcase->k / 2,
                        fcase->bias, fcase->relu, FALSE };
  ConvSetup s;
  GError *error = NULL;

  conv_setup (&s, &cc, fcase->bias, rng);
  g_assert_true (swag_fftconv_applies (&s.cv));
  SwagFftConv *fc = swag_fftconv_new (&s.cv, &error);
  g_assert_no_error (error);
  s.cv.fft = fc;
  g_assert_cmpuint (swag_conv2d_scratch_floats (&s.cv, fcase->h, fcase->w),
                    ==, 0);
  g_assert_cmpint (swag_fftconv_side (fc) - fcase->k + 1, >=, 8);

  float *in = new_normal (rng, s.in_n, 0.0, 1.0);
  float *dy = new_normal (rng, s.out_n, 0.0, 1.0);
  float *din0 = new_normal (rng, s.in_n, 0.0, 1.0);
  double *in_d = to_double (in, s.in_n);
  double *ref = g_new (double, s.out_n), *ref_abs = g_new (double, s.out_n);
  double *bref = g_new (double, s.in_n), *bref_abs = g_new (double, s.in_n);
  double *dy_masked = g_new (double, s.out_n);
  guint8 *bits = g_malloc ((s.out_n + 7) / 8);
  float *out[4], *din[4];
  const gsize work = swag_fftconv_work_floats (fc);
  SwagPool *pools[4] = { NULL, swag_pool_new (1, work), swag_pool_new (2, work),
                         swag_pool_new (2, 64) };
  double fmax = 0.0, bmax = 0.0;

  conv_ref (&s.cv, in_d, fcase->h, fcase->w, fcase->relu, ref, ref_abs);
  for (gsize i = 0; i < s.out_n; i++)
    fmax = MAX (fmax, ref_abs[i]);
  for (int k = 0; k < 4; k++)
    {
      SwagCtx ctx = { 1, NULL, 0, pools[k] };
      float *dy_k = g_memdup2 (dy, sizeof (float) * s.out_n);
      out[k] = new_nan (s.out_n);
      din[k] = g_memdup2 (din0, sizeof (float) * s.in_n);
      swag_conv2d_forward (&ctx, &s.cv, in, fcase->h, fcase->w, out[k],
                           fcase->relu);
      if (k == 0)
        {
          swag_relu_mask_pack (&ctx, out[0], s.out_n, bits);
          for (gsize i = 0; i < s.out_n; i++)
            dy_masked[i] = !fcase->relu || out[0][i] > 0.0f ? dy[i] : 0.0;
        }
      swag_conv2d_backward_relu (&ctx, &s.cv, dy_k,
                                 fcase->relu ? bits : NULL, fcase->h,
                                 fcase->w, din[k]);
      g_free (dy_k);
    }
  conv_backward_ref (&s.cv, dy_masked, fcase->h, fcase->w, bref, bref_abs);
  for (gsize i = 0; i < s.in_n; i++)
    bmax = MAX (bmax, bref_abs[i]);

  for (gsize i = 0; i < s.out_n; i++)
    assert_close (out[0][i], ref[i], 2e-5 * ref_abs[i] + 2e-6 * fmax);
  for (gsize i = 0; i < s.in_n; i++)
    assert_close (din[0][i], din0[i] + bref[i],
                  2e-5 * bref_abs[i] + 2e-6 * bmax
                  + 2 * FLT_EPSILON * fabs (din0[i]));
  for (int k = 1; k < 4; k++)
    {
      g_assert_cmpint (memcmp (out[k], out[0], sizeof (float) * s.out_n), ==, 0);
      g_assert_cmpint (memcmp (din[k], din[0], sizeof (float) * s.in_n), ==, 0);
    }

  for (int k = 0; k < 4; k++)
    {
      swag_pool_free (pools[k]);
      g_free (out[k]);
      g_free (din[k]);
    }
  swag_fftconv_free (fc);
  g_free (in);
  g_free (dy);
  g_free (din0);
  g_free (in_d);
  g_free (ref);
  g_free (ref_abs);
  g_free (bref);
  g_free (bref_abs);
  g_free (dy_masked);
  g_free (bits);
  conv_teardown (&s);
  g_rand_free (rng);
}

/* Which convolutions take the FFT, and the transform sides it picks. */
static void
test_fftconv_applies (void)
{
  SwagConvDesc cv = { .in_c = 3, .out_c = 64, .kh = 55, .kw = 55,
                      .stride = 1, .pad = 27 };

  g_assert_true (swag_fftconv_applies (&cv));
  cv.pad = 26;
  g_assert_false (swag_fftconv_applies (&cv));     /* not "same" */
  cv.pad = 27;
  cv.stride = 2;
  g_assert_false (swag_fftconv_applies (&cv));
  cv.stride = 1;
  cv.in_c = 64;
  g_assert_false (swag_fftconv_applies (&cv));     /* spectra too many */
  cv.in_c = 3;
  cv.kh = cv.kw = 5;
  cv.pad = 2;
  g_assert_false (swag_fftconv_applies (&cv));     /* im2col is cheaper */
  cv.kh = 4;
  g_assert_false (swag_fftconv_applies (&cv));     /* not square */
  for (int k = SWAG_FFTCONV_MIN_K; k <= 55; k += 2)
    {
      const int t = swag_fftconv_pick_side (k, 3, 64);
      g_assert_cmpint (t - k + 1, >=, 8);
      g_assert_cmpint (t, <=, 256);
    }
}

/* ------------------------------------------------------------ Winograd -- */

typedef struct
{
  const char *name;
  int         in_c, out_c, h, w;
  gboolean    bias, relu;
} WinoCase;

/* Edge sizes: planes smaller than a tile, sizes not multiples of 4, channel
 * counts not multiples of the micro-kernel's 12 rows or of 16 lanes; blocks
 * split inside (few tile rows) and blocks as tasks (many). */
static const WinoCase wino_cases[] = {
  { "1x1",           16, 16,   1,   1, TRUE,  TRUE  },
  { "2x3",           17, 19,   2,   3, FALSE, FALSE },
  { "5x7",           17, 19,   5,   7, TRUE,  FALSE },
  { "13x17-odd-c",   35, 37,  13,  17, TRUE,  TRUE  },
  { "31x33",         16, 16,  31,  33, FALSE, TRUE  },
  { "45x67",         24, 16,  45,  67, TRUE,  TRUE  },
  { "40x40-64c",     64, 64,  40,  40, TRUE,  FALSE },
  { "70x130-blocks", 16, 24,  70, 130, TRUE,  TRUE  },
  { "66x20-blocks",  20, 18, 266,  20, FALSE, FALSE },
};

/* din[i, y, x] = sum over (o, ky, kx) of w[o, i, ky, kx] dy[o, y + 1 - ky,
 * x + 1 - kx] (3x3, pad 1), with the sums of |terms|. */
static void
conv3_backward_ref (const SwagConvDesc *cv, const double *dy, int h, int w,
                    double *din, double *abs_din)
{
  for (int i = 0; i < cv->in_c; i++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++)
        {
          double sum = 0.0, a = 0.0;
          for (int o = 0; o < cv->out_c; o++)
            for (int ky = 0; ky < 3; ky++)
              for (int kx = 0; kx < 3; kx++)
                {
                  const int oy = y + 1 - ky, ox = x + 1 - kx;
                  if (oy < 0 || oy >= h || ox < 0 || ox >= w)
                    continue;
                  const double p = cv->weight[((o * cv->in_c + i) * 3 + ky) * 3 + kx]
                                   * dy[((gsize) o * h + oy) * w + ox];
                  sum += p;
                  a += fabs (p);
                }
          din[((gsize) i * h + y) * w + x] = sum;
          abs_din[((gsize) i * h + y) * w + x] = a;
        }
}

/* Forward and backward against the direct definition in double: within
 * 1e-5 of the sums of |terms| (Winograd F(4x4, 3x3) errs by a few eps of
 * those, times the transforms' constants); backward adds into din; the same
 * bits with no pool, a pool of 1 and of 2 threads, and with a pool whose
 * workspace is too small (the op then allocates its own). */
static void
test_winograd (gconstpointer data)
{
  const WinoCase *wc = data;
  GRand *rng = g_rand_new_with_seed (21);
  const ConvCase cc = { wc->name, wc->in_c, wc->out_c, wc->h, wc->w, 3, 3, 1,
                        1, wc->bias, wc->relu, FALSE };
  ConvSetup s;

  conv_setup (&s, &cc, wc->bias, rng);
  g_assert_true (swag_winograd_applies (&s.cv));
  float *u = g_new (float, swag_winograd_weight_floats (wc->in_c, wc->out_c));
  swag_winograd_weights (s.weight, wc->in_c, wc->out_c, u);
  s.cv.wino = u;
  g_assert_cmpuint (swag_conv2d_scratch_floats (&s.cv, wc->h, wc->w), ==, 0);

  float *in = new_normal (rng, s.in_n, 0.0, 1.0);
  float *dy = new_normal (rng, s.out_n, 0.0, 1.0);
  float *din0 = new_normal (rng, s.in_n, 0.0, 1.0);
  double *in_d = to_double (in, s.in_n), *dy_d = to_double (dy, s.out_n);
  double *ref = g_new (double, s.out_n), *ref_abs = g_new (double, s.out_n);
  double *bref = g_new (double, s.in_n), *bref_abs = g_new (double, s.in_n);
  float *out[4], *din[4];
  const gsize work = MAX (swag_gemm_work_floats (),
                          swag_winograd_work_floats (&s.cv, wc->h, wc->w));
  SwagPool *pools[4] = { NULL, swag_pool_new (1, work), swag_pool_new (2, work),
                         swag_pool_new (2, 64) };

  conv_ref (&s.cv, in_d, wc->h, wc->w, wc->relu, ref, ref_abs);
  conv3_backward_ref (&s.cv, dy_d, wc->h, wc->w, bref, bref_abs);
  for (int k = 0; k < 4; k++)
    {
      SwagCtx ctx = { 1, NULL, 0, pools[k] };
      out[k] = new_nan (s.out_n);
      din[k] = g_memdup2 (din0, sizeof (float) * s.in_n);
      swag_conv2d_forward (&ctx, &s.cv, in, wc->h, wc->w, out[k], wc->relu);
      swag_conv2d_backward (&ctx, &s.cv, dy, wc->h, wc->w, din[k]);
    }
  for (gsize i = 0; i < s.out_n; i++)
    assert_close (out[0][i], ref[i], 1e-5 * ref_abs[i] + 1e-30);
  for (gsize i = 0; i < s.in_n; i++)
    assert_close (din[0][i], din0[i] + bref[i],
                  1e-5 * bref_abs[i] + 2 * FLT_EPSILON * fabs (din0[i]));
  for (int k = 1; k < 4; k++)
    {
      g_assert_cmpint (memcmp (out[k], out[0], sizeof (float) * s.out_n), ==, 0);
      g_assert_cmpint (memcmp (din[k], din[0], sizeof (float) * s.in_n), ==, 0);
    }

  for (int k = 0; k < 4; k++)
    {
      swag_pool_free (pools[k]);
      g_free (out[k]);
      g_free (din[k]);
    }
  g_free (u);
  g_free (in);
  g_free (dy);
  g_free (din0);
  g_free (in_d);
  g_free (dy_d);
  g_free (ref);
  g_free (ref_abs);
  g_free (bref);
  g_free (bref_abs);
  conv_teardown (&s);
  g_rand_free (rng);
}

/* The backward with the forward ReLU's mask gives the same bits as masking
 * dout first, for the direct paths (1x1, im2col in bands at odd sizes) and
 * Winograd (which masks while it reads and leaves dout untouched). */
static void
test_conv_backward_relu (void)
{
  static const ConvCase cases[] = {
    { "1x1",     40, 36, 13, 11, 1, 1, 1, 0, TRUE, TRUE, FALSE },
    { "3x3-s2",  20, 44, 27, 19, 3, 3, 2, 1, TRUE, TRUE, FALSE },
    { "bands",   16, 8, 160, 128, 3, 3, 1, 1, TRUE, TRUE, FALSE },
    { "wino",    24, 40, 45, 67, 3, 3, 1, 1, TRUE, TRUE, FALSE },
  };
  GRand    *rng = g_rand_new_with_seed (31);
  SwagPool *pool = swag_pool_new (2, 1 << 22);

  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      const ConvCase *cc = &cases[k];
      ConvSetup s;
      float    *u = NULL;

      conv_setup (&s, cc, TRUE, rng);
      if (k == 3)
        {
          u = g_new (float, swag_winograd_weight_floats (cc->in_c, cc->out_c));
          swag_winograd_weights (s.weight, cc->in_c, cc->out_c, u);
          s.cv.wino = u;
        }
      s.ctx.pool = pool;
      float  *x = new_normal (rng, s.in_n, 0.0, 1.0);
      float  *y = new_nan (s.out_n);
      float  *dy = new_normal (rng, s.out_n, 0.0, 1.0);
      float  *dy0 = g_memdup2 (dy, s.out_n * sizeof (float));
      float  *d1 = g_new0 (float, s.in_n), *d2 = g_new0 (float, s.in_n);
      guint8 *bits = g_new (guint8, (s.out_n + 7) / 8);

      swag_conv2d_forward (&s.ctx, &s.cv, x, cc->h, cc->w, y, TRUE);
      swag_relu_mask_pack (&s.ctx, y, s.out_n, bits);
      swag_conv2d_backward_relu (&s.ctx, &s.cv, dy, bits, cc->h, cc->w, d1);
      if (k == 3)   /* Winograd masks on the fly: dout untouched */
        g_assert_cmpint (memcmp (dy, dy0, s.out_n * sizeof (float)), ==, 0);
      memcpy (dy, dy0, s.out_n * sizeof (float));
      swag_relu_backward_bits (&s.ctx, bits, dy, s.out_n);
      swag_conv2d_backward (&s.ctx, &s.cv, dy, cc->h, cc->w, d2);
      g_assert_cmpint (memcmp (d1, d2, s.in_n * sizeof (float)), ==, 0);

      g_free (x);
      g_free (y);
      g_free (dy);
      g_free (dy0);
      g_free (d1);
      g_free (d2);
      g_free (bits);
      g_free (u);
      conv_teardown (&s);
    }
  swag_pool_free (pool);
  g_rand_free (rng);
}

typedef struct
{
  const SwagConvDesc *cv;
  int                 h, w;
  gboolean            relu;
  const float        *r;    /* (out_n) */
  double             *out;  /* (out_n) */
  gsize               out_n;
} ConvLoss;

static double
conv_loss (const double *x, gconstpointer data)
{
  const ConvLoss *cl = data;
  conv_ref (cl->cv, x, cl->h, cl->w, cl->relu, cl->out, NULL);
  return dot_fd (cl->r, cl->out, cl->out_n);
}

/* d/dx sum(r * relu(conv(x) + b)) = conv^T(r * (y > 0)): the network's use,
 * with the ReLU's backward from the fused output. The op is piecewise linear,
 * so h = 1e-6 gives exact differences (away from kinks, which random data
 * miss); rtol 1e-5 is the float32 backward's. */
static void
test_conv_fd (gconstpointer data)
{
  const ConvCase *cc = data;
  GRand *rng = g_rand_new_with_seed (13);
  ConvSetup s;

  conv_setup (&s, cc, cc->bias, rng);
  float *x = new_normal (rng, s.in_n, 0.0, 1.0);
  float *r = new_normal (rng, s.out_n, 0.0, 1.0);
  float *y = new_nan (s.out_n);
  float *dy = g_memdup2 (r, sizeof (float) * s.out_n);
  float *din = g_new0 (float, s.in_n);

  swag_conv2d_forward (&s.ctx, &s.cv, x, cc->h, cc->w, y, cc->relu);
  if (cc->relu)
    swag_relu_backward (&s.ctx, y, dy, s.out_n);
  swag_conv2d_backward (&s.ctx, &s.cv, dy, cc->h, cc->w, din);

  ConvLoss cl = { &s.cv, cc->h, cc->w, cc->relu, r,
                  g_new (double, s.out_n), s.out_n };
  check_fd (conv_loss, &cl, x, s.in_n, din, 1e-6, 1e-5);

  g_free (cl.out);
  g_free (x);
  g_free (r);
  g_free (y);
  g_free (dy);
  g_free (din);
  conv_teardown (&s);
  g_rand_free (rng);
}

static void
test_conv_scratch (void)
{
  const gsize band = SWAG_CONV_BAND_FLOATS;
  SwagConvDesc cv = { .in_c = 16, .out_c = 8, .kh = 3, .kw = 3, .stride = 1,
                      .pad = 1 };
  gsize row, s;

  /* 1x1 stride 1 is a plain GEMM; 1x1 stride 2 needs its im2col. */
  cv.kh = cv.kw = 1;
  cv.pad = 0;
  g_assert_cmpuint (swag_conv2d_scratch_floats (&cv, 64, 64), ==, 0);
  cv.stride = 2;
  g_assert_cmpuint (swag_conv2d_scratch_floats (&cv, 64, 64), ==,
                    (gsize) 16 * 32 * 32);

  /* "bands": 160 output rows of 144 * 128 floats, 56 rows per band. */
  cv.kh = cv.kw = 3;
  cv.stride = 1;
  cv.pad = 1;
  row = (gsize) 16 * 9 * 128;
  s = swag_conv2d_scratch_floats (&cv, 160, 128);
  g_assert_cmpuint (s % row, ==, 0);
  g_assert_cmpuint (s, <=, band);      /* bounded */
  g_assert_cmpuint (s + row, >, band); /* and as large as the bound allows */
  g_assert_cmpuint (s / row, <, 160);  /* so the test really has bands */
  g_assert_cmpuint ((160 + s / row - 1) / (s / row), ==, 3);

  /* A small image fits in one band: the whole im2col. */
  s = swag_conv2d_scratch_floats (&cv, 10, 12);
  g_assert_cmpuint (s, ==, (gsize) 16 * 9 * 10 * 12);

  /* "bands-wide-row": one output row is more than a band; never less. */
  cv.in_c = 64;
  s = swag_conv2d_scratch_floats (&cv, 3, 2000);
  g_assert_cmpuint (s, ==, (gsize) 64 * 9 * 2000);
  g_assert_cmpuint (s, >, band);

  /* Stride and padding: 7x7/2 pad 3 on 13 x 9 gives 7 x 5 outputs. */
  cv = (SwagConvDesc) { .in_c = 3, .out_c = 4, .kh = 7, .kw = 7, .stride = 2,
                        .pad = 3 };
  g_assert_cmpuint (swag_conv2d_scratch_floats (&cv, 13, 9), ==,
                    (gsize) 3 * 49 * 7 * 5);

  /* Too small an input: no output, nothing needed. */
  cv.pad = 0;
  g_assert_cmpuint (swag_conv2d_scratch_floats (&cv, 5, 9), ==, 0);
}

/* Floor division as torch, and no output (not one) when the window does not
 * fit, whatever the stride. */
static void
test_conv_out_size (void)
{
  g_assert_cmpint (swag_conv_out_size (224, 7, 2, 3), ==, 112); /* stem */
  g_assert_cmpint (swag_conv_out_size (112, 3, 2, 1), ==, 56);  /* pool */
  g_assert_cmpint (swag_conv_out_size (13, 2, 2, 0), ==, 6);    /* floor */
  g_assert_cmpint (swag_conv_out_size (9, 1, 2, 0), ==, 5);
  g_assert_cmpint (swag_conv_out_size (3, 3, 1, 0), ==, 1);
  g_assert_cmpint (swag_conv_out_size (2, 3, 1, 0), <=, 0);
  g_assert_cmpint (swag_conv_out_size (1, 2, 2, 0), <=, 0);
  g_assert_cmpint (swag_conv_out_size (1, 3, 2, 0), <=, 0);
  g_assert_cmpint (swag_conv_out_size (0, 3, 2, 1), <=, 0);
  g_assert_cmpint (swag_conv_out_size (2, 7, 3, 2), <=, 0);
}

/* A scratch below what the op asks for is a caller bug: the op must neither
 * write past it nor produce a result. */
static void
test_conv_scratch_short (void)
{
  GRand *rng = g_rand_new_with_seed (14);
  ConvSetup s;

  conv_setup (&s, &conv_cases[0], FALSE, rng);
  float *in = new_normal (rng, s.in_n, 0.0, 1.0);
  float *out = new_nan (s.out_n);
  s.ctx.scratch_floats--;
  swag_conv2d_forward (&s.ctx, &s.cv, in, conv_cases[0].h, conv_cases[0].w,
                       out, FALSE);
  for (gsize i = 0; i < s.out_n; i++)
    g_assert_true (isnan (out[i]));
  g_free (in);
  g_free (out);
  conv_teardown (&s);
  g_rand_free (rng);
}

/* ------------------------------------------------------------------ ReLU -- */

static void
test_relu_forward (void)
{
  SwagCtx ctx = { 1, NULL, 0, NULL };
  float x[] = { -2.0f, -0.0f, 0.0f, 1e-30f, -1e-30f, 3.5f, NAN, -INFINITY };
  const float want[] = { 0.0f, -0.0f, 0.0f, 1e-30f, 0.0f, 3.5f, NAN, 0.0f };

  swag_relu_forward (&ctx, x, G_N_ELEMENTS (x));
  for (gsize i = 0; i < G_N_ELEMENTS (x); i++)
    if (isnan (want[i]))
      g_assert_true (isnan (x[i]));  /* NaN goes through, as in torch */
    else
      g_assert_cmpfloat (x[i], ==, want[i]);
}

/* Bits LSB first, unused high bits 0; backward from the bits is exactly the
 * backward from y, for lengths around byte boundaries. */
static void
test_relu_mask (void)
{
  static const gsize lengths[] = { 1, 7, 8, 9, 37, 64, 1001 };
  GRand *rng = g_rand_new_with_seed (21);
  SwagCtx ctx = { 1, NULL, 0, NULL };

  for (gsize t = 0; t < G_N_ELEMENTS (lengths); t++)
    {
      const gsize n = lengths[t], nb = (n + 7) / 8;
      float *y = new_normal (rng, n, 0.0, 1.0);
      guint8 *bits = g_malloc (nb);
      float *dy_y = new_normal (rng, n, 0.0, 1.0);
      float *dy_b = g_memdup2 (dy_y, sizeof (float) * n);
      float *dy0 = g_memdup2 (dy_y, sizeof (float) * n);

      swag_relu_forward (&ctx, y, n);
      memset (bits, 0xa5, nb);  /* the pack must overwrite, not OR into */
      swag_relu_mask_pack (&ctx, y, n, bits);
      for (gsize i = 0; i < nb * 8; i++)
        {
          const int bit = (bits[i / 8] >> (i % 8)) & 1;
          g_assert_cmpint (bit, ==, i < n ? y[i] > 0.0f : 0);
        }
      swag_relu_backward (&ctx, y, dy_y, n);
      swag_relu_backward_bits (&ctx, bits, dy_b, n);
      g_assert_cmpmem (dy_y, sizeof (float) * n, dy_b, sizeof (float) * n);
      for (gsize i = 0; i < n; i++)
        g_assert_cmpfloat (dy_y[i], ==, y[i] > 0.0f ? dy0[i] : 0.0f);

      g_free (y);
      g_free (bits);
      g_free (dy_y);
      g_free (dy_b);
      g_free (dy0);
    }
  g_rand_free (rng);
}

typedef struct
{
  const float *r;
  gsize        n;
} RLoss;

static double
relu_loss (const double *x, gconstpointer data)
{
  const RLoss *rl = data;
  double s = 0.0;
  for (gsize i = 0; i < rl->n; i++)
    s += rl->r[i] * (x[i] > 0.0 ? x[i] : 0.0);
  return s;
}

/* Inputs kept at least 1e-3 from the kink; piecewise linear, so exact
 * differences: rtol 1e-6. */
static void
test_relu_fd (void)
{
  const gsize n = 301;
  GRand *rng = g_rand_new_with_seed (22);
  SwagCtx ctx = { 1, NULL, 0, NULL };
  float *x = new_normal (rng, n, 0.0, 1.0);
  float *r = new_normal (rng, n, 0.0, 1.0);

  for (gsize i = 0; i < n; i++)
    if (fabsf (x[i]) < 1e-3f)
      x[i] = 0.5f;
  float *y = g_memdup2 (x, sizeof (float) * n);
  float *dy = g_memdup2 (r, sizeof (float) * n);
  float *dyb = g_memdup2 (r, sizeof (float) * n);
  guint8 *bits = g_malloc ((n + 7) / 8);

  swag_relu_forward (&ctx, y, n);
  swag_relu_backward (&ctx, y, dy, n);
  swag_relu_mask_pack (&ctx, y, n, bits);
  swag_relu_backward_bits (&ctx, bits, dyb, n);

  RLoss rl = { r, n };
  check_fd (relu_loss, &rl, x, n, dy, 1e-6, 1e-6);
  check_fd (relu_loss, &rl, x, n, dyb, 1e-6, 1e-6);

  g_free (x);
  g_free (r);
  g_free (y);
  g_free (dy);
  g_free (dyb);
  g_free (bits);
  g_rand_free (rng);
}

/* --------------------------------------------------------------- pooling -- */

typedef struct
{
  const char *name;
  int         c, h, w, k, stride, pad;
  double      mean;  /* of the data: all negative shows -inf vs 0 padding */
} PoolCase;

static const PoolCase pool_cases[] = {
  { "2x2-s2-p0",          3,  8,  6, 2, 2, 0,  0.0 }, /* VGG */
  { "2x2-s2-p0-13x9",     2, 13,  9, 2, 2, 0,  0.0 }, /* floor drops a row */
  { "3x3-s2-p1",          3, 13,  9, 3, 2, 1,  0.0 }, /* ResNet */
  { "3x3-s2-p1-8x10",     2,  8, 10, 3, 2, 1,  0.0 },
  { "3x3-s2-p1-negative", 2,  7,  7, 3, 2, 1, -5.0 },
  { "3x3-s1-p1",          2,  5,  6, 3, 1, 1,  0.0 },
};

typedef struct
{
  SwagPoolDesc pd;
  int          c, h, w, oh, ow;
  gsize        in_n, out_n;
  SwagCtx      ctx;
} PoolSetup;

static void
pool_setup (PoolSetup *s, const PoolCase *pc)
{
  s->pd = (SwagPoolDesc) { pc->k, pc->stride, pc->pad };
  s->c = pc->c;
  s->h = pc->h;
  s->w = pc->w;
  s->oh = swag_conv_out_size (pc->h, pc->k, pc->stride, pc->pad);
  s->ow = swag_conv_out_size (pc->w, pc->k, pc->stride, pc->pad);
  s->in_n = (gsize) pc->c * pc->h * pc->w;
  s->out_n = (gsize) pc->c * s->oh * s->ow;
  s->ctx = (SwagCtx) { 1, NULL, 0, NULL };
}

/* The max over the window's real pixels (padding never wins) and where it
 * is; for distinct values scan order does not matter. */
static void
maxpool_ref (const PoolSetup *s, const double *in, double *out, int *arg)
{
  const SwagPoolDesc *pd = &s->pd;

  for (int ch = 0; ch < s->c; ch++)
    for (int oy = 0; oy < s->oh; oy++)
      for (int ox = 0; ox < s->ow; ox++)
        {
          double best = -INFINITY;
          int at = -1;
          for (int ky = 0; ky < pd->k; ky++)
            for (int kx = 0; kx < pd->k; kx++)
              {
                const int iy = oy * pd->stride - pd->pad + ky;
                const int ix = ox * pd->stride - pd->pad + kx;
                if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
                  continue;
                const double v = in[((gsize) ch * s->h + iy) * s->w + ix];
                if (v > best)
                  {
                    best = v;
                    at = ky * pd->k + kx;
                  }
              }
          const gsize o = ((gsize) ch * s->oh + oy) * s->ow + ox;
          out[o] = best;
          if (arg)
            arg[o] = at;
        }
}

/* The window's sum with zeros for padding, over k * k (torch's
 * count_include_pad). @abs_out gets the same of |x|. */
static void
avgpool_ref (const PoolSetup *s, const double *in, double *out,
             double *abs_out)
{
  const SwagPoolDesc *pd = &s->pd;

  for (int ch = 0; ch < s->c; ch++)
    for (int oy = 0; oy < s->oh; oy++)
      for (int ox = 0; ox < s->ow; ox++)
        {
          double sum = 0.0, a = 0.0;
          for (int ky = 0; ky < pd->k; ky++)
            for (int kx = 0; kx < pd->k; kx++)
              {
                const int iy = oy * pd->stride - pd->pad + ky;
                const int ix = ox * pd->stride - pd->pad + kx;
                const double v = iy < 0 || iy >= s->h || ix < 0 || ix >= s->w
                                 ? 0.0
                                 : in[((gsize) ch * s->h + iy) * s->w + ix];
                sum += v;
                a += fabs (v);
              }
          const gsize o = ((gsize) ch * s->oh + oy) * s->ow + ox;
          out[o] = sum / (pd->k * pd->k);
          if (abs_out)
            abs_out[o] = a / (pd->k * pd->k);
        }
}

/* Max is exact: values and argmax must equal the reference's. */
static void
test_maxpool_forward (gconstpointer data)
{
  const PoolCase *pc = data;
  GRand *rng = g_rand_new_with_seed (31);
  PoolSetup s;

  pool_setup (&s, pc);
  float *in = new_normal (rng, s.in_n, pc->mean, 1.0);
  float *out = new_nan (s.out_n);
  float *out2 = new_nan (s.out_n);
  guint8 *arg = g_malloc (s.out_n);
  double *in_d = to_double (in, s.in_n);
  double *ref = g_new (double, s.out_n);
  int *ref_arg = g_new (int, s.out_n);

  swag_maxpool_forward (&s.ctx, &s.pd, in, s.c, s.h, s.w, out, arg);
  swag_maxpool_forward (&s.ctx, &s.pd, in, s.c, s.h, s.w, out2, NULL);
  maxpool_ref (&s, in_d, ref, ref_arg);
  for (gsize i = 0; i < s.out_n; i++)
    {
      g_assert_cmpfloat (out[i], ==, ref[i]);
      g_assert_cmpfloat (out2[i], ==, ref[i]);
      g_assert_cmpint (arg[i], ==, ref_arg[i]);
    }

  g_free (in);
  g_free (out);
  g_free (out2);
  g_free (arg);
  g_free (in_d);
  g_free (ref);
  g_free (ref_arg);
  g_rand_free (rng);
}

typedef struct
{
  const PoolSetup *s;
  const float     *r;
  double          *out;
  gboolean         avg;
} PoolLoss;

static double
pool_loss (const double *x, gconstpointer data)
{
  const PoolLoss *pl = data;
  if (pl->avg)
    avgpool_ref (pl->s, x, pl->out, NULL);
  else
    maxpool_ref (pl->s, x, pl->out, NULL);
  return dot_fd (pl->r, pl->out, pl->s->out_n);
}

/* Random normal data have no ties within 1e-6 in practice, so the argmax
 * does not move under the step; exact differences, rtol 1e-6. */
static void
test_maxpool_backward (gconstpointer data)
{
  const PoolCase *pc = data;
  GRand *rng = g_rand_new_with_seed (32);
  PoolSetup s;

  pool_setup (&s, pc);
  float *x = new_normal (rng, s.in_n, pc->mean, 1.0);
  float *r = new_normal (rng, s.out_n, 0.0, 1.0);
  float *y = new_nan (s.out_n);
  guint8 *arg = g_malloc (s.out_n);
  float *dx = g_new0 (float, s.in_n);
  float *dx2 = g_new0 (float, s.in_n);

  swag_maxpool_forward (&s.ctx, &s.pd, x, s.c, s.h, s.w, y, arg);
  swag_maxpool_backward (&s.ctx, &s.pd, r, arg, s.c, s.h, s.w, dx);
  PoolLoss pl = { &s, r, g_new (double, s.out_n), FALSE };
  check_fd (pool_loss, &pl, x, s.in_n, dx, 1e-6, 1e-6);

  swag_maxpool_backward (&s.ctx, &s.pd, r, arg, s.c, s.h, s.w, dx2);
  swag_maxpool_backward (&s.ctx, &s.pd, r, arg, s.c, s.h, s.w, dx2);
  check_twice (dx, dx2, s.in_n);

  g_free (pl.out);
  g_free (x);
  g_free (r);
  g_free (y);
  g_free (arg);
  g_free (dx);
  g_free (dx2);
  g_rand_free (rng);
}

/* ReLU masks, their backward, add and axpy in chunks on a pool of two (more
 * than one chunk, a ragged end) against the scalar definitions. */
static void
test_elementwise_pool (void)
{
  const gsize n = 200003;
  GRand    *rng = g_rand_new_with_seed (8);
  float    *y = new_normal (rng, n, 0.0, 1.0), *dy = new_normal (rng, n, 0.0, 1.0);
  float    *dy2 = g_memdup2 (dy, n * sizeof (float)), *sum = new_nan (n);
  float    *acc = new_normal (rng, n, 0.0, 1.0), *acc0 = g_memdup2 (acc, n * sizeof (float));
  guint8   *bits = g_new (guint8, (n + 7) / 8);
  SwagPool *pool = swag_pool_new (2, 0);
  SwagCtx   ctx = { 2, NULL, 0, pool };

  y[17] = NAN;
  swag_relu_mask_pack (&ctx, y, n, bits);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpint ((bits[i / 8] >> (i % 8)) & 1, ==, y[i] > 0.0f);
  g_assert_cmpint (bits[n / 8] >> (n % 8), ==, 0);
  swag_relu_backward_bits (&ctx, bits, dy2, n);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (dy2[i], ==, y[i] > 0.0f ? dy[i] : 0.0f);
  swag_add_forward (&ctx, y, dy, sum, n, TRUE);
  swag_axpy (&ctx, 0.5f, dy, acc, n);
  for (gsize i = 0; i < n; i++)
    {
      const float v = y[i] + dy[i];
      if (isnan (v))
        g_assert_true (isnan (sum[i]));
      else
        g_assert_cmpfloat (sum[i], ==, v < 0.0f ? 0.0f : v);
      g_assert_cmpfloat (acc[i], ==, acc0[i] + 0.5f * dy[i]);
    }
  /* Softmax over all, its backward and the MSE: chunked partial sums give
   * the same bits on no pool and on a pool of two, and match double. */
  {
    SwagCtx none = { 1, NULL, 0, NULL };
    float  *s1 = new_nan (n), *s2 = new_nan (n);
    float  *dx1 = g_new0 (float, n), *dx2 = g_new0 (float, n);
    double  ref_sum = 0.0, max = -INFINITY;

    y[17] = 0.5f;
    swag_softmax_all_forward (&none, y, n, 0.7, s1);
    swag_softmax_all_forward (&ctx, y, n, 0.7, s2);
    g_assert_cmpint (memcmp (s1, s2, n * sizeof (float)), ==, 0);
    for (gsize i = 0; i < n; i++)
      max = MAX (max, y[i]);
    for (gsize i = 0; i < n; i++)
      ref_sum += exp ((y[i] - max) / 0.7);
    for (gsize i = 0; i < n; i += 997)
      assert_close (s1[i], exp ((y[i] - max) / 0.7) / ref_sum,
                    2e-7 * exp ((y[i] - max) / 0.7) / ref_sum);
    swag_softmax_all_backward (&none, s1, dy, n, 0.7, dx1);
    swag_softmax_all_backward (&ctx, s1, dy, n, 0.7, dx2);
    g_assert_cmpint (memcmp (dx1, dx2, n * sizeof (float)), ==, 0);
    g_assert_cmpfloat (swag_mse_forward (&none, y, dy, n), ==,
                       swag_mse_forward (&ctx, y, dy, n));
    g_free (s1);
    g_free (s2);
    g_free (dx1);
    g_free (dx2);
  }

  swag_pool_free (pool);
  g_free (y);
  g_free (dy);
  g_free (dy2);
  g_free (sum);
  g_free (acc);
  g_free (acc0);
  g_free (bits);
  g_rand_free (rng);
}

/* The vectorised 2x2/2 max pool (16 outputs at a time, then the rest)
 * against the scalar definition, with ties, -inf and NaN in the windows, on
 * the caller's thread and on a pool of two. */
static void
test_maxpool2_vector (void)
{
  const int c = 5, h = 9, w = 77, oh = 4, ow = 38;
  SwagPoolDesc pd = { 2, 2, 0 };
  GRand   *rng = g_rand_new_with_seed (5);
  float   *in = g_new (float, c * h * w), *out = new_nan (c * oh * ow);
  float   *out2 = new_nan (c * oh * ow);
  guint8  *arg = g_new (guint8, c * oh * ow), *arg2 = g_new (guint8, c * oh * ow);
  SwagPool *pool = swag_pool_new (2, 0);
  SwagCtx  ctx = { 1, NULL, 0, NULL }, ctx2 = { 2, NULL, 0, pool };

  for (int i = 0; i < c * h * w; i++)
    {
      const int r = g_rand_int_range (rng, 0, 20);
      in[i] = r == 0 ? NAN : r == 1 ? -INFINITY : (float) (r % 4);
    }
  swag_maxpool_forward (&ctx, &pd, in, c, h, w, out, arg);
  swag_maxpool_forward (&ctx2, &pd, in, c, h, w, out2, arg2);
  for (int ch = 0; ch < c; ch++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++)
        {
          const int o = (ch * oh + oy) * ow + ox;
          float best = -INFINITY;
          int   off = 0;
          for (int k = 0; k < 4; k++)
            {
              const float v = in[(ch * h + 2 * oy + k / 2) * w + 2 * ox + k % 2];
              if (v > best || isnan (v))
                {
                  best = v;
                  off = k;
                }
            }
          g_assert_cmpint (arg[o], ==, off);
          g_assert_cmpint (arg2[o], ==, off);
          if (isnan (best))
            g_assert_true (isnan (out[o]) && isnan (out2[o]));
          else
            {
              g_assert_cmpfloat (out[o], ==, best);
              g_assert_cmpfloat (out2[o], ==, best);
            }
        }
  swag_pool_free (pool);
  g_free (in);
  g_free (out);
  g_free (out2);
  g_free (arg);
  g_free (arg2);
  g_rand_free (rng);
}

/* Ties go to the first maximum in scan order, starting from the first real
 * pixel of the window; NaN wins (torch's `val > max || isnan (val)`). The
 * ones plane's windows are 3x3/2 pad 1 on 5 x 5. */
static void
test_maxpool_ties (void)
{
  SwagCtx ctx = { 1, NULL, 0, NULL };
  SwagPoolDesc pd = { 3, 2, 1 };
  float ones[25], out[9];
  guint8 arg[9];

  for (int i = 0; i < 25; i++)
    ones[i] = 1.0f;
  swag_maxpool_forward (&ctx, &pd, ones, 1, 5, 5, out, arg);
  for (int oy = 0; oy < 3; oy++)
    for (int ox = 0; ox < 3; ox++)
      {
        const int ky0 = oy == 0 ? 1 : 0, kx0 = ox == 0 ? 1 : 0;
        g_assert_cmpfloat (out[oy * 3 + ox], ==, 1.0f);
        g_assert_cmpint (arg[oy * 3 + ox], ==, ky0 * 3 + kx0);
      }

  /* All -inf: nothing beats the start, which must be a real pixel so that
   * backward never lands in the padding. */
  for (int i = 0; i < 25; i++)
    ones[i] = -INFINITY;
  swag_maxpool_forward (&ctx, &pd, ones, 1, 5, 5, out, arg);
  for (int oy = 0; oy < 3; oy++)
    for (int ox = 0; ox < 3; ox++)
      {
        const int ky0 = oy == 0 ? 1 : 0, kx0 = ox == 0 ? 1 : 0;
        g_assert_cmpfloat (out[oy * 3 + ox], ==, -INFINITY);
        g_assert_cmpint (arg[oy * 3 + ox], ==, ky0 * 3 + kx0);
      }

  /* 2x2/2 windows of one 2 x 4 plane: [1 3 | 4 4]
   *                                    [3 2 | 4 4] */
  pd = (SwagPoolDesc) { 2, 2, 0 };
  const float tie[] = { 1, 3, 4, 4,
                        3, 2, 4, 4 };
  swag_maxpool_forward (&ctx, &pd, tie, 1, 2, 4, out, arg);
  g_assert_cmpfloat (out[0], ==, 3.0f);
  g_assert_cmpint (arg[0], ==, 1);
  g_assert_cmpfloat (out[1], ==, 4.0f);
  g_assert_cmpint (arg[1], ==, 0);

  const float with_nan[] = { 1, NAN, 5, 2,
                             7, 2,   6, -INFINITY };
  swag_maxpool_forward (&ctx, &pd, with_nan, 1, 2, 4, out, arg);
  g_assert_true (isnan (out[0]));
  g_assert_cmpint (arg[0], ==, 1);
  g_assert_cmpfloat (out[1], ==, 6.0f);
  g_assert_cmpint (arg[1], ==, 2);
}

/* Sums of at most 9 floats, then a division: 16 eps of the mean of |x|. */
static void
test_avgpool_forward (gconstpointer data)
{
  const PoolCase *pc = data;
  GRand *rng = g_rand_new_with_seed (33);
  PoolSetup s;

  pool_setup (&s, pc);
  float *in = new_normal (rng, s.in_n, pc->mean, 1.0);
  float *out = new_nan (s.out_n);
  double *in_d = to_double (in, s.in_n);
  double *ref = g_new (double, s.out_n);
  double *ref_abs = g_new (double, s.out_n);

  swag_avgpool_forward (&s.ctx, &s.pd, in, s.c, s.h, s.w, out);
  avgpool_ref (&s, in_d, ref, ref_abs);
  for (gsize i = 0; i < s.out_n; i++)
    assert_close (out[i], ref[i], 16 * FLT_EPSILON * ref_abs[i]);

  g_free (in);
  g_free (out);
  g_free (in_d);
  g_free (ref);
  g_free (ref_abs);
  g_rand_free (rng);
}

/* Torch's count_include_pad on ones, 3x3/2 pad 1: corners see 4 real pixels
 * of 9, edges 6. */
static void
test_avgpool_padding (void)
{
  SwagCtx ctx = { 1, NULL, 0, NULL };
  SwagPoolDesc pd = { 3, 2, 1 };
  float ones[25], out[9];
  const float want[9] = { 4 / 9.0f, 6 / 9.0f, 4 / 9.0f,
                          6 / 9.0f, 1.0f,     6 / 9.0f,
                          4 / 9.0f, 6 / 9.0f, 4 / 9.0f };

  for (int i = 0; i < 25; i++)
    ones[i] = 1.0f;
  swag_avgpool_forward (&ctx, &pd, ones, 1, 5, 5, out);
  for (int i = 0; i < 9; i++)
    assert_close (out[i], want[i], 2 * FLT_EPSILON);
}

/* Adjoint (1e-5 of the |term| sums), differences (linear: exact, rtol 1e-6)
 * and twice-adds. */
static void
test_avgpool_backward (gconstpointer data)
{
  const PoolCase *pc = data;
  GRand *rng = g_rand_new_with_seed (34);
  PoolSetup s;

  pool_setup (&s, pc);
  float *x = new_normal (rng, s.in_n, pc->mean, 1.0);
  float *r = new_normal (rng, s.out_n, 0.0, 1.0);
  float *y = new_nan (s.out_n);
  float *dx = g_new0 (float, s.in_n);
  float *dx2 = g_new0 (float, s.in_n);

  swag_avgpool_forward (&s.ctx, &s.pd, x, s.c, s.h, s.w, y);
  swag_avgpool_backward (&s.ctx, &s.pd, r, s.c, s.h, s.w, dx);
  assert_close (dot_ff (y, r, s.out_n), dot_ff (x, dx, s.in_n),
                1e-5 * (dot_abs_ff (y, r, s.out_n)
                        + dot_abs_ff (x, dx, s.in_n)));

  PoolLoss pl = { &s, r, g_new (double, s.out_n), TRUE };
  check_fd (pool_loss, &pl, x, s.in_n, dx, 1e-6, 1e-6);

  swag_avgpool_backward (&s.ctx, &s.pd, r, s.c, s.h, s.w, dx2);
  swag_avgpool_backward (&s.ctx, &s.pd, r, s.c, s.h, s.w, dx2);
  check_twice (dx, dx2, s.in_n);

  g_free (pl.out);
  g_free (x);
  g_free (r);
  g_free (y);
  g_free (dx);
  g_free (dx2);
  g_rand_free (rng);
}

/* ------------------------------------------------------- residual, misc -- */

static void
test_add_forward (void)
{
  const gsize n = 203;
  GRand *rng = g_rand_new_with_seed (41);
  SwagCtx ctx = { 1, NULL, 0, NULL };
  float *a = new_normal (rng, n, 0.0, 1.0);
  float *b = new_normal (rng, n, 0.0, 1.0);
  float *out = new_nan (n);
  float *alias_a = g_memdup2 (a, sizeof (float) * n);
  float *alias_b = g_memdup2 (b, sizeof (float) * n);

  swag_add_forward (&ctx, a, b, out, n, FALSE);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (out[i], ==, a[i] + b[i]);

  swag_add_forward (&ctx, a, b, out, n, TRUE);
  swag_add_forward (&ctx, alias_a, b, alias_a, n, TRUE);
  swag_add_forward (&ctx, a, alias_b, alias_b, n, TRUE);
  for (gsize i = 0; i < n; i++)
    {
      const float s = a[i] + b[i];
      const float want = s > 0.0f ? s : 0.0f;
      g_assert_cmpfloat (out[i], ==, want);
      g_assert_cmpfloat (alias_a[i], ==, want);
      g_assert_cmpfloat (alias_b[i], ==, want);
    }

  g_free (a);
  g_free (b);
  g_free (out);
  g_free (alias_a);
  g_free (alias_b);
  g_rand_free (rng);
}

typedef struct
{
  const float *other, *r;
  gsize        n;
} AddLoss;

static double
add_relu_loss (const double *x, gconstpointer data)
{
  const AddLoss *al = data;
  double s = 0.0;
  for (gsize i = 0; i < al->n; i++)
    {
      const double v = x[i] + al->other[i];
      s += al->r[i] * (v > 0.0 ? v : 0.0);
    }
  return s;
}

/* A residual block's end, as the network will run it backward: the ReLU's
 * backward from the output, then the same gradient added into both inputs.
 * Sums kept 1e-3 from the kink; exact differences, rtol 1e-6. */
static void
test_add_backward (void)
{
  const gsize n = 157;
  GRand *rng = g_rand_new_with_seed (42);
  SwagCtx ctx = { 1, NULL, 0, NULL };
  float *a = new_normal (rng, n, 0.0, 1.0);
  float *b = new_normal (rng, n, 0.0, 1.0);
  float *r = new_normal (rng, n, 0.0, 1.0);
  float *y = new_nan (n);
  float *da = g_new0 (float, n);
  float *db = g_new0 (float, n);

  for (gsize i = 0; i < n; i++)
    if (fabsf (a[i] + b[i]) < 1e-3f)
      a[i] += 0.5f;
  swag_add_forward (&ctx, a, b, y, n, TRUE);
  float *dy = g_memdup2 (r, sizeof (float) * n);
  swag_relu_backward (&ctx, y, dy, n);
  swag_axpy (&ctx, 1.0f, dy, da, n);
  swag_axpy (&ctx, 1.0f, dy, db, n);

  AddLoss la = { b, r, n }, lb = { a, r, n };
  check_fd (add_relu_loss, &la, a, n, da, 1e-6, 1e-6);
  check_fd (add_relu_loss, &lb, b, n, db, 1e-6, 1e-6);

  g_free (a);
  g_free (b);
  g_free (r);
  g_free (y);
  g_free (da);
  g_free (db);
  g_free (dy);
  g_rand_free (rng);
}

/* dst += alpha * src: one rounding of each operation, 2 eps. */
static void
test_axpy (void)
{
  const gsize n = 77;
  GRand *rng = g_rand_new_with_seed (43);
  SwagCtx ctx = { 1, NULL, 0, NULL };
  float *src = new_normal (rng, n, 0.0, 1.0);
  float *dst = new_normal (rng, n, 0.0, 1.0);
  float *dst0 = g_memdup2 (dst, sizeof (float) * n);

  swag_axpy (&ctx, -0.375f, src, dst, n);
  for (gsize i = 0; i < n; i++)
    {
      const double want = dst0[i] - 0.375 * src[i];
      assert_close (dst[i], want,
                    2 * FLT_EPSILON * (fabs (dst0[i]) + fabs (0.375 * src[i])));
    }
  g_free (src);
  g_free (dst);
  g_free (dst0);
  g_rand_free (rng);
}

/* ------------------------------------------------------------- smoothing -- */

typedef struct
{
  const char *name;
  double      mean, sd;  /* of x */
  double      t;
} SoftmaxCase;

/* Means of 300 and 800 overflow exp in float and in double respectively
 * unless the maximum is subtracted first; sd 300 at t = 1 saturates (one
 * element takes nearly all). */
static const SoftmaxCase softmax_cases[] = {
  { "t1",             0.0,   1.0,   1.0  },
  { "t0.25",          0.0,   1.0,   0.25 },
  { "t10",            0.0,   3.0,  10.0  },
  { "mean300-t1",   300.0,   1.0,   1.0  },
  { "mean800-t2",   800.0,   2.0,   2.0  },
  { "sd300-t100",     0.0, 300.0, 100.0  },
  { "sd300-t1",       0.0, 300.0,   1.0  },
};

/* softmax((x - max) / t) in double over n values at stride @stride. */
static void
softmax_ref (const double *x, gsize n, gsize stride, double t, double *y)
{
  double max = -INFINITY, sum = 0.0;
  for (gsize i = 0; i < n; i++)
    max = MAX (max, x[i * stride]);
  for (gsize i = 0; i < n; i++)
    {
      y[i * stride] = exp ((x[i * stride] - max) / t);
      sum += y[i * stride];
    }
  for (gsize i = 0; i < n; i++)
    y[i * stride] /= sum;
}

/* The shape the smoothing sees: (c, hw), hw over two full tiles of 64
 * positions and a partial one. */
#define SM_C  5
#define SM_HW 150

typedef struct
{
  const float *r;
  double      *y;
  int          c;
  gsize        hw;
  double       t;
  gboolean     channel;
} SoftmaxLoss;

static void
softmax_ref_layer (const SoftmaxLoss *sl, const double *x, double *y)
{
  if (sl->channel)
    for (gsize p = 0; p < sl->hw; p++)
      softmax_ref (x + p, sl->c, sl->hw, sl->t, y + p);
  else
    softmax_ref (x, (gsize) sl->c * sl->hw, 1, sl->t, y);
}

static double
softmax_loss (const double *x, gconstpointer data)
{
  const SoftmaxLoss *sl = data;
  softmax_ref_layer (sl, x, sl->y);
  return dot_fd (sl->r, sl->y, (gsize) sl->c * sl->hw);
}

/* Forward: 4 eps relative per element (the float rounding of exp and of
 * the product), with FLT_MIN absolute for values in float's subnormal
 * range; no NaN or Inf; each softmax sums to 1 within n eps.
 * Backward: differences with h = 1e-5 t (truncation ~1e-10 relative), rtol
 * 1e-5 norm-wise, plus for each element the rounding bound of the formula
 * from float y, 4 eps y_i (|dy_i| + sum_j |dy_j y_j|) / t (FLT_MIN more
 * where y_i or dx_i is subnormal). That term matters only when saturated:
 * there float y = 1.0 has lost the 1 - y that the exact gradient is made
 * of, an inherent limit of float32 outputs. */
static void
test_softmax (const SoftmaxCase *sc, gboolean channel)
{
  const gsize n = (gsize) SM_C * SM_HW;
  const gsize groups = channel ? SM_HW : 1;  /* softmaxes, of m elements */
  const gsize m = channel ? SM_C : n, stride = channel ? SM_HW : 1;
  GRand *rng = g_rand_new_with_seed (channel ? 52 : 51);
  SwagCtx ctx = { 1, NULL, 0, NULL };
  float *x = new_normal (rng, n, sc->mean, sc->sd);
  float *r = new_normal (rng, n, 0.0, 1.0);
  float *y = new_nan (n);
  float *dx = g_new0 (float, n);
  float *dx2 = g_new0 (float, n);
  double *x_d = to_double (x, n);
  double *ref = g_new (double, n);
  double *atol = g_new (double, n);
  SoftmaxLoss sl = { r, g_new (double, n), SM_C, SM_HW, sc->t, channel };

  if (channel)
    swag_softmax_channel_forward (&ctx, x, SM_C, SM_HW, sc->t, y);
  else
    swag_softmax_all_forward (&ctx, x, n, sc->t, y);
  softmax_ref_layer (&sl, x_d, ref);
  for (gsize i = 0; i < n; i++)
    {
      g_assert_true (isfinite (y[i]));
      assert_close (y[i], ref[i], 4 * FLT_EPSILON * ref[i] + FLT_MIN);
    }
  for (gsize p = 0; p < groups; p++)
    {
      double sum = 0.0, dot_abs = 0.0;
      for (gsize i = 0; i < m; i++)
        {
          sum += y[p + i * stride];
          dot_abs += fabs ((double) r[p + i * stride] * y[p + i * stride]);
        }
      assert_close (sum, 1.0, m * FLT_EPSILON);
      for (gsize i = 0; i < m; i++)
        {
          const gsize k = p + i * stride;
          atol[k] = (4 * FLT_EPSILON * y[k] + FLT_MIN)
                    * (fabs (r[k]) + dot_abs) / sc->t + FLT_MIN;
        }
    }

  if (channel)
    swag_softmax_channel_backward (&ctx, y, r, SM_C, SM_HW, sc->t, dx);
  else
    swag_softmax_all_backward (&ctx, y, r, n, sc->t, dx);
  for (gsize i = 0; i < n; i++)
    g_assert_true (isfinite (dx[i]));
  check_fd_full (softmax_loss, &sl, x, n, dx, 1e-5 * sc->t, 1e-5, atol, 1);

  if (channel)
    {
      swag_softmax_channel_backward (&ctx, y, r, SM_C, SM_HW, sc->t, dx2);
      swag_softmax_channel_backward (&ctx, y, r, SM_C, SM_HW, sc->t, dx2);
    }
  else
    {
      swag_softmax_all_backward (&ctx, y, r, n, sc->t, dx2);
      swag_softmax_all_backward (&ctx, y, r, n, sc->t, dx2);
    }
  check_twice (dx, dx2, n);

  g_free (sl.y);
  g_free (x);
  g_free (r);
  g_free (y);
  g_free (dx);
  g_free (dx2);
  g_free (x_d);
  g_free (ref);
  g_free (atol);
  g_rand_free (rng);
}

static void
test_softmax_all (gconstpointer data)
{
  test_softmax (data, FALSE);
}

static void
test_softmax_channel (gconstpointer data)
{
  test_softmax (data, TRUE);
}

/* One channel: every position's softmax is 1, its gradient 0. */
static void
test_softmax_channel_one (void)
{
  SwagCtx ctx = { 1, NULL, 0, NULL };
  const float x[] = { -3.0f, 0.0f, 500.0f };
  const float dy[] = { 1.0f, 2.0f, 3.0f };
  float y[3], dx[3] = { 0 };

  swag_softmax_channel_forward (&ctx, x, 1, 3, 1.0, y);
  swag_softmax_channel_backward (&ctx, y, dy, 1, 3, 1.0, dx);
  for (int i = 0; i < 3; i++)
    {
      g_assert_cmpfloat (y[i], ==, 1.0f);
      g_assert_cmpfloat (dx[i], ==, 0.0f);
    }
}

/* Population statistics against closed forms. */
static void
test_mean_std (void)
{
  SwagCtx ctx = { 1, NULL, 0, NULL };
  const gsize n = 1000;
  float *x = g_new (float, n);
  double mean, std;

  /* 1..n: mean (n + 1) / 2, variance (n^2 - 1) / 12 */
  for (gsize i = 0; i < n; i++)
    x[i] = (float) (i + 1);
  swag_mean_std (&ctx, x, n, &mean, &std);
  assert_close (mean, (n + 1) / 2.0, 1e-12 * n);
  assert_close (std, sqrt ((n * (double) n - 1) / 12.0), 1e-12 * n);

  /* Far from zero: 1e4 +- 1, exactly representable; a one-pass
   * E[x^2] - E[x]^2 in float would return garbage. */
  for (gsize i = 0; i < n; i++)
    x[i] = i % 2 ? 10001.0f : 9999.0f;
  swag_mean_std (&ctx, x, n, &mean, &std);
  assert_close (mean, 1e4, 1e-12);
  assert_close (std, 1.0, 1e-12);

  swag_mean_std (&ctx, x, 1, &mean, &std);
  g_assert_cmpfloat (mean, ==, 9999.0);
  g_assert_cmpfloat (std, ==, 0.0);
  g_free (x);
}

/* ---------------------------------------------------------- Gram, losses -- */

static void
gram_ref (const double *f, int c, gsize hw, double *g, double *g_abs)
{
  for (int i = 0; i < c; i++)
    for (int j = 0; j < c; j++)
      {
        double s = 0.0, a = 0.0;
        for (gsize p = 0; p < hw; p++)
          {
            const double v = f[(gsize) i * hw + p] * f[(gsize) j * hw + p];
            s += v;
            a += fabs (v);
          }
        g[i * c + j] = s / ((double) c * hw);
        if (g_abs)
          g_abs[i * c + j] = a / ((double) c * hw);
      }
}

typedef struct
{
  const float *r;  /* (c, c) */
  double      *g;
  int          c;
  gsize        hw;
} GramLoss;

static double
gram_loss (const double *f, gconstpointer data)
{
  const GramLoss *gl = data;
  gram_ref (f, gl->c, gl->hw, gl->g, NULL);
  return dot_fd (gl->r, gl->g, (gsize) gl->c * gl->c);
}

typedef struct
{
  const char *name;
  int         c;
  gsize       hw;
  gsize       fd_every;  /* differences in every n-th coordinate: time */
} GramCase;

static const GramCase gram_cases[] = {
  { "7x30",    7,  30,  1 },
  { "1x17",    1,  17,  1 },
  { "33x257", 33, 257, 97 },
};

/* Forward: within 4 (hw + 2) eps of sum |f f| / (c hw), exactly symmetric.
 * Backward: the adjoint of the linearisation dG(v) = (v f^T + f v^T) / (c hw)
 * (1e-5 of the |term| sums); differences of sum(R * G(f)) with R
 * symmetric (the contract), h = 1e-4 (G is quadratic: central differences are exact up to
 * rounding), rtol 1e-5; twice-adds. */
static void
test_gram (gconstpointer data)
{
  const GramCase *gc = data;
  const int c = gc->c;
  const gsize hw = gc->hw, n = (gsize) c * hw, cc = (gsize) c * c;
  GRand *rng = g_rand_new_with_seed (61);
  SwagCtx ctx = { 1, NULL, 0, NULL };
  float *f = new_normal (rng, n, 0.5, 1.0);
  float *g = new_nan (cc);
  float *dg = new_normal (rng, cc, 0.0, 1.0);
  float *v = new_normal (rng, n, 0.0, 1.0);
  float *df = g_new0 (float, n);
  float *df2 = g_new0 (float, n);
  double *f_d = to_double (f, n);
  double *ref = g_new (double, cc), *ref_abs = g_new (double, cc);

  /* The backward's contract: dg symmetric (as the style loss's is). */
  for (int i = 0; i < c; i++)
    for (int j = 0; j < i; j++)
      dg[i * c + j] = dg[j * c + i];
  swag_gram_forward (&ctx, f, c, hw, g);
  gram_ref (f_d, c, hw, ref, ref_abs);
  for (gsize k = 0; k < cc; k++)
    {
      const int i = (int) (k / c), j = (int) (k % c);
      g_assert_cmpfloat (g[k], ==, g[j * c + i]);
      assert_close (g[k], ref[k], 4 * (hw + 2) * FLT_EPSILON * ref_abs[k]);
    }

  swag_gram_backward (&ctx, f, dg, c, hw, df);
  double lhs = 0.0, lhs_abs = 0.0;
  for (int i = 0; i < c; i++)
    for (int j = 0; j < c; j++)
      {
        double s = 0.0;
        for (gsize p = 0; p < hw; p++)
          s += (double) v[i * hw + p] * f[j * hw + p]
               + (double) f[i * hw + p] * v[j * hw + p];
        s /= (double) c * hw;
        lhs += s * dg[i * c + j];
        lhs_abs += fabs (s * dg[i * c + j]);
      }
  assert_close (lhs, dot_ff (v, df, n),
                1e-5 * (lhs_abs + dot_abs_ff (v, df, n)));

  GramLoss gl = { dg, g_new (double, cc), c, hw };
  check_fd_full (gram_loss, &gl, f, n, df, 1e-4, 1e-5, NULL, gc->fd_every);

  swag_gram_backward (&ctx, f, dg, c, hw, df2);
  swag_gram_backward (&ctx, f, dg, c, hw, df2);
  check_twice (df, df2, n);

  g_free (gl.g);
  g_free (f);
  g_free (g);
  g_free (dg);
  g_free (v);
  g_free (df);
  g_free (df2);
  g_free (f_d);
  g_free (ref);
  g_free (ref_abs);
  g_rand_free (rng);
}

typedef struct
{
  const float *b;
  gsize        n;
  double       scale;
} MseLoss;

static double
mse_loss (const double *a, gconstpointer data)
{
  const MseLoss *ml = data;
  double s = 0.0;
  for (gsize i = 0; i < ml->n; i++)
    s += (a[i] - ml->b[i]) * (a[i] - ml->b[i]);
  return ml->scale * s / ml->n;
}

/* Forward: double sums of exact float differences, 1e-12 relative.
 * Backward: h = 1e-4 (quadratic: exact up to rounding), rtol 1e-6;
 * twice-adds. */
static void
test_mse (void)
{
  const gsize n = 311;
  const double scale = 0.7;
  GRand *rng = g_rand_new_with_seed (71);
  SwagCtx ctx = { 1, NULL, 0, NULL };
  float *a = new_normal (rng, n, 0.0, 1.0);
  float *b = new_normal (rng, n, 0.3, 2.0);
  float *da = g_new0 (float, n);
  float *da2 = g_new0 (float, n);
  MseLoss ml = { b, n, 1.0 };
  double *a_d = to_double (a, n);

  const double want = mse_loss (a_d, &ml);
  assert_close (swag_mse_forward (&ctx, a, b, n), want, 1e-12 * want);
  g_assert_cmpfloat (swag_mse_forward (&ctx, a, a, n), ==, 0.0);

  ml.scale = scale;
  swag_mse_backward (&ctx, a, b, n, scale, da);
  check_fd (mse_loss, &ml, a, n, da, 1e-4, 1e-6);

  swag_mse_backward (&ctx, a, b, n, scale, da2);
  swag_mse_backward (&ctx, a, b, n, scale, da2);
  check_twice (da, da2, n);

  g_free (a);
  g_free (b);
  g_free (da);
  g_free (da2);
  g_free (a_d);
  g_rand_free (rng);
}

typedef struct
{
  int    c, h, w;
  double scale;
} TvLoss;

static double
tv_loss (const double *x, gconstpointer data)
{
  const TvLoss *tl = data;
  double s = 0.0;
  for (int ch = 0; ch < tl->c; ch++)
    for (int y = 0; y < tl->h; y++)
      for (int i = 0; i < tl->w; i++)
        {
          const double v = x[((gsize) ch * tl->h + y) * tl->w + i];
          if (y + 1 < tl->h)
            {
              const double d = x[((gsize) ch * tl->h + y + 1) * tl->w + i] - v;
              s += d * d;
            }
          if (i + 1 < tl->w)
            {
              const double d = x[((gsize) ch * tl->h + y) * tl->w + i + 1] - v;
              s += d * d;
            }
        }
  return tl->scale * s / ((double) tl->c * tl->h * tl->w);
}

/* Closed forms on a constant and a ramp, then for several shapes (one row,
 * one column): h = 1e-4 (quadratic), rtol 1e-6, and twice-adds. */
static void
test_tv (void)
{
  static const int shapes[][3] = { { 3, 7, 9 }, { 3, 1, 5 }, { 2, 6, 1 },
                                   { 1, 2, 2 } };
  GRand *rng = g_rand_new_with_seed (81);
  SwagCtx ctx = { 1, NULL, 0, NULL };
  const int c = 3, h = 5, w = 4;
  float ramp[3 * 5 * 4];

  for (int i = 0; i < c * h * w; i++)
    ramp[i] = 2.0f;
  g_assert_cmpfloat (swag_tv_forward (&ctx, ramp, c, h, w), ==, 0.0);
  /* x[ch, y, i] = 0.5 y + 0.25 i: vertical steps 0.5, horizontal 0.25 */
  for (int ch = 0; ch < c; ch++)
    for (int y = 0; y < h; y++)
      for (int i = 0; i < w; i++)
        ramp[(ch * h + y) * w + i] = 0.5f * y + 0.25f * i + ch;
  assert_close (swag_tv_forward (&ctx, ramp, c, h, w),
                (c * (h - 1) * w * 0.25 + c * h * (w - 1) * 0.0625)
                / (c * h * w), 1e-15);

  for (gsize k = 0; k < G_N_ELEMENTS (shapes); k++)
    {
      TvLoss tl = { shapes[k][0], shapes[k][1], shapes[k][2], 1.0 };
      const gsize n = (gsize) tl.c * tl.h * tl.w;
      float *x = new_normal (rng, n, 0.0, 1.0);
      float *dx = g_new0 (float, n);
      float *dx2 = g_new0 (float, n);
      double *x_d = to_double (x, n);

      const double want = tv_loss (x_d, &tl);
      assert_close (swag_tv_forward (&ctx, x, tl.c, tl.h, tl.w), want,
                    1e-12 * want);
      tl.scale = 1.3;
      swag_tv_backward (&ctx, x, tl.c, tl.h, tl.w, tl.scale, dx);
      check_fd (tv_loss, &tl, x, n, dx, 1e-4, 1e-6);
      swag_tv_backward (&ctx, x, tl.c, tl.h, tl.w, tl.scale, dx2);
      swag_tv_backward (&ctx, x, tl.c, tl.h, tl.w, tl.scale, dx2);
      check_twice (dx, dx2, n);

      g_free (x);
      g_free (dx);
      g_free (dx2);
      g_free (x_d);
    }
  g_rand_free (rng);
}

/* ------------------------------------------------------------------ main -- */

static void
add_cases (const char *prefix, gconstpointer cases, gsize n, gsize size,
           gsize name_offset, GTestDataFunc func)
{
  for (gsize i = 0; i < n; i++)
    {
      gconstpointer c = (const char *) cases + i * size;
      const char *name =
        *(const char *const *) ((const char *) c + name_offset);
      char *path = g_strdup_printf ("%s/%s", prefix, name);
      g_test_add_data_func (path, c, func);
      g_free (path);
    }
}

#define ADD_CASES(prefix, array, Type, func)                                \
  add_cases (prefix, array, G_N_ELEMENTS (array), sizeof (Type),           \
             G_STRUCT_OFFSET (Type, name), func)

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD_CASES ("/conv/forward", conv_cases, ConvCase, test_conv_forward);
  ADD_CASES ("/conv/adjoint", conv_cases, ConvCase, test_conv_adjoint);
  for (gsize i = 0; i < G_N_ELEMENTS (conv_cases); i++)
    if (conv_cases[i].small)
      {
        char *path = g_strdup_printf ("/conv/fd/%s", conv_cases[i].name);
        g_test_add_data_func (path, &conv_cases[i], test_conv_fd);
        g_free (path);
      }
  g_test_add_func ("/conv/out-size", test_conv_out_size);
  g_test_add_func ("/conv/scratch", test_conv_scratch);
  g_test_add_func ("/conv/scratch-short", test_conv_scratch_short);
  g_test_add_func ("/conv/backward-relu", test_conv_backward_relu);
  for (gsize i = 0; i < G_N_ELEMENTS (wino_cases); i++)
    {
      char *path = g_strdup_printf ("/conv/winograd/%s", wino_cases[i].name);
      g_test_add_data_func (path, &wino_cases[i], test_winograd);
      g_free (path);
    }

  ADD_CASES ("/conv/fft", fft_cases, FftCase, test_fftconv);
  g_test_add_func ("/conv/fft-applies", test_fftconv_applies);

  g_test_add_func ("/relu/forward", test_relu_forward);
  g_test_add_func ("/relu/mask", test_relu_mask);
  g_test_add_func ("/relu/fd", test_relu_fd);

  ADD_CASES ("/maxpool/forward", pool_cases, PoolCase, test_maxpool_forward);
  ADD_CASES ("/maxpool/backward", pool_cases, PoolCase, test_maxpool_backward);
  g_test_add_func ("/maxpool/ties", test_maxpool_ties);
  g_test_add_func ("/maxpool/2x2-vector", test_maxpool2_vector);
  g_test_add_func ("/elementwise/pool", test_elementwise_pool);
  ADD_CASES ("/avgpool/forward", pool_cases, PoolCase, test_avgpool_forward);
  ADD_CASES ("/avgpool/backward", pool_cases, PoolCase, test_avgpool_backward);
  g_test_add_func ("/avgpool/padding", test_avgpool_padding);

  g_test_add_func ("/add/forward", test_add_forward);
  g_test_add_func ("/add/backward", test_add_backward);
  g_test_add_func ("/axpy", test_axpy);

  ADD_CASES ("/softmax/all", softmax_cases, SoftmaxCase, test_softmax_all);
  ADD_CASES ("/softmax/channel", softmax_cases, SoftmaxCase,
             test_softmax_channel);
  g_test_add_func ("/softmax/channel/one", test_softmax_channel_one);
  g_test_add_func ("/mean-std", test_mean_std);

  ADD_CASES ("/gram", gram_cases, GramCase, test_gram);
  g_test_add_func ("/mse", test_mse);
  g_test_add_func ("/tv", test_tv);

  return g_test_run ();
}
