/* swag-bench.c: the engine's side of bench/bench.py, and the machine's limit.
 *
 *   swag-bench serve NET SMOOTHING SIZE THREADS
 *       Builds NET (vgg19 | resnet50, random weights, max pooling) and waits
 *       on standard input for one command a line:
 *         setup   creates the objective (targets, buffers) at SIZE x SIZE
 *         run     one evaluation (forward to the taps, the loss, the gradient
 *                 with respect to the image); prints its seconds
 *         mark    resets the peak RSS to the current RSS
 *         mem     prints the peak RSS since `mark`, and the RSS before `setup`
 *         check   one evaluation; prints the loss and checksums of the
 *                 gradient (an FNV-1a hash of its bytes: bit-identity)
 *         quit
 *       Every answer is one JSON line on standard output.
 *   swag-bench once NET SMOOTHING SIZE THREADS [REPS]
 *       The same without a driver: REPS timed evaluations after one warm-up.
 *   swag-bench peak THREADS
 *       GFLOP/s of a plain FMA loop and of sgemm at large square sizes.
 *
 * The images are synthetic, by formulas that bench.py repeats for PyTorch.
 * GPL-3.0-or-later.
 */
#include "swag.h"
#include "swag-blas.h"
#include "swag-core.h"
#include "swag-net.h"
#include "swag-objective.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

/* ----------------------------------------------------------- memory -- */

/* kB of a /proc/self/status field, or -1. */
static long
status_kb (const char *field)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char  line[256];
  long  kb = -1;
  gsize len = strlen (field);

  if (!f)
    return -1;
  while (fgets (line, sizeof line, f))
    if (strncmp (line, field, len) == 0 && line[len] == ':')
      {
        kb = strtol (line + len + 1, NULL, 10);
        break;
      }
  fclose (f);
  return kb;
}

/* Resets VmHWM to the current VmRSS (Linux >= 4.0). */
static void
reset_peak (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");

  if (f)
    {
      fputs ("5", f);
      fclose (f);
    }
}

/* ----------------------------------------------------------- images -- */

/* (3, h, w) in [0, 1]; bench.py computes the same. */
static float *
synth_image (int size, gboolean style)
{
  gsize  hw = (gsize) size * size;
  float *x = g_new (float, 3 * hw);

  for (int c = 0; c < 3; c++)
    for (int y = 0; y < size; y++)
      for (int i = 0; i < size; i++)
        {
          double v;
          if (style)
            v = 0.5 + 0.4 * sin (0.11 * i + 0.07 * y + c)
                * cos (0.013 * (i - y) * (c + 1));
          else
            v = 0.5 + 0.3 * sin (0.031 * i * (c + 1) + 0.017 * y)
                * cos (0.023 * y * (c + 2));
          x[c * hw + (gsize) y * size + i] = (float) v;
        }
  return x;
}

/* ------------------------------------------------------------ serve -- */

typedef struct
{
  SwagNet       *net;
  SwagParams     params;
  SwagObjective *obj;
  int            size, threads;
  float         *content, *style, *grad;
  long           rss_before_kb;
} Bench;

static gboolean
bench_init (Bench *b, const char *net, const char *smoothing, int size,
            int threads, GError **error)
{
  memset (b, 0, sizeof *b);
  swag_params_init_defaults (&b->params);
  b->params.backbone = swag_choice_parse (SWAG_CHOICE_BACKBONE, net, error);
  if ((int) b->params.backbone < 0)
    return FALSE;
  b->params.smoothing = swag_choice_parse (SWAG_CHOICE_SMOOTHING, smoothing,
                                           error);
  if ((int) b->params.smoothing < 0)
    return FALSE;
  b->params.pooling = SWAG_POOLING_MAX;   /* torchvision's */
  b->params.weights = "random";
  b->params.seed = 2021;
  b->params.temperature = 1.0;
  b->size = size;
  b->threads = threads;
  swag_set_threads (threads);
  b->net = swag_net_new (&b->params, error);
  if (!b->net)
    return FALSE;
  b->content = synth_image (size, FALSE);
  b->style = synth_image (size, TRUE);
  b->grad = g_new (float, (gsize) 3 * size * size);
  return TRUE;
}

static void
bench_clear (Bench *b)
{
  swag_objective_free (b->obj);
  swag_net_free (b->net);
  g_free (b->content);
  g_free (b->style);
  g_free (b->grad);
}

static gboolean
bench_setup (Bench *b, GError **error)
{
  SwagPlanar c = { b->content, NULL, b->size, b->size };
  SwagPlanar s = { b->style, NULL, b->size, b->size };

  b->rss_before_kb = status_kb ("VmRSS");
  reset_peak ();
  b->obj = swag_objective_new (b->net, &b->params, &c, &s, NULL, 1,
                               b->threads, NULL, NULL, error);
  return b->obj != NULL;
}

static gboolean
bench_run (Bench *b, double *seconds, double *total, GError **error)
{
  gint64   t0 = g_get_monotonic_time ();
  gboolean ok = swag_objective_eval (b->obj, b->content, total, NULL,
                                     b->grad, NULL, NULL, error);

  *seconds = (g_get_monotonic_time () - t0) / 1e6;
  return ok;
}

/* Multiply-adds of one evaluation counted as direct convolution: the forward
 * and the input-gradient backward of every convolution up to the deepest
 * tap. */
static double
bench_conv_flops (Bench *b)
{
  const char *lists[2] = {
    swag_default_style_layers (b->params.backbone),
    swag_default_content_layers (b->params.backbone) };
  int last = -1;

  for (int l = 0; l < 2; l++)
    {
      char **names = g_strsplit (lists[l], ",", -1);
      for (int i = 0; names[i]; i++)
        last = MAX (last, swag_net_find_tap (b->net, names[i], NULL));
      g_strfreev (names);
    }
  return 2.0 * 2.0 * swag_net_macs (b->net, b->size, b->size, last);
}

static double
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
         + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int
serve (Bench *b)
{
  char    line[256];
  GError *error = NULL;

  printf ("{\"ready\": true, \"gflop\": %.3f}\n", bench_conv_flops (b) / 1e9);
  fflush (stdout);
  while (fgets (line, sizeof line, stdin))
    {
      g_strstrip (line);
      if (strcmp (line, "setup") == 0)
        {
          if (!bench_setup (b, &error))
            break;
          printf ("{\"ok\": true}\n");
        }
      else if (strcmp (line, "run") == 0)
        {
          double s, total, c0 = cpu_seconds ();
          if (!b->obj || !bench_run (b, &s, &total, &error))
            break;
          printf ("{\"seconds\": %.6f, \"loss\": %.9g, \"cpu\": %.6f}\n", s,
                  total, cpu_seconds () - c0);
        }
      else if (strcmp (line, "mark") == 0)
        {
          reset_peak ();
          printf ("{\"rss_kb\": %ld}\n", status_kb ("VmRSS"));
        }
      else if (strcmp (line, "mem") == 0)
        printf ("{\"peak_kb\": %ld, \"rss_kb\": %ld, \"before_kb\": %ld}\n",
                status_kb ("VmHWM"), status_kb ("VmRSS"), b->rss_before_kb);
      else if (strcmp (line, "check") == 0)
        {
          double s, total, sum = 0, sq = 0;
          gsize  n = (gsize) 3 * b->size * b->size;
          if (!b->obj || !bench_run (b, &s, &total, &error))
            break;
          guint64 hash = 0xcbf29ce484222325;   /* FNV-1a of the bits */
          const guint8 *bytes = (const guint8 *) b->grad;
          for (gsize i = 0; i < n; i++)
            {
              sum += b->grad[i];
              sq += (double) b->grad[i] * b->grad[i];
            }
          for (gsize i = 0; i < n * sizeof (float); i++)
            hash = (hash ^ bytes[i]) * 0x100000001b3;
          printf ("{\"loss\": %.17g, \"grad_sum\": %.9g, \"grad_norm\": %.9g, "
                  "\"grad_fnv\": \"%016" G_GINT64_MODIFIER "x\"}\n",
                  total, sum, sqrt (sq), hash);
        }
      else if (strcmp (line, "quit") == 0)
        break;
      else
        printf ("{\"error\": \"unknown command\"}\n");
      fflush (stdout);
    }
  if (error)
    {
      printf ("{\"error\": \"%s\"}\n", error->message);
      g_error_free (error);
      return 1;
    }
  return 0;
}


static int
once (Bench *b, int reps)
{
  GError *error = NULL;
  double  s, total, flops = bench_conv_flops (b);
  double *t = g_new (double, reps);

  if (!bench_setup (b, &error) || !bench_run (b, &s, &total, &error))
    goto fail;
  printf ("warm-up %.3f s, loss %.9g\n", s, total);
  reset_peak ();
  for (int r = 0; r < reps; r++)
    {
      const double c0 = cpu_seconds ();
      if (!bench_run (b, &t[r], &total, &error))
        goto fail;
      const double cpu = cpu_seconds () - c0;
      printf ("run %d: %.3f s  %.1f GFLOP/s  cpu %.3f s (%.1f GFLOP per "
              "cpu-s)  loss %.9g\n", r, t[r], flops / t[r] / 1e9, cpu,
              flops / cpu / 1e9, total);
    }
  printf ("peak RSS %.1f MiB, increase over before setup %.1f MiB\n",
          status_kb ("VmHWM") / 1024.0,
          (status_kb ("VmHWM") - b->rss_before_kb) / 1024.0);
  g_free (t);
  return 0;

fail:
  fprintf (stderr, "swag-bench: %s\n", error->message);
  g_error_free (error);
  g_free (t);
  return 1;
}

/* ------------------------------------------------------------- peak -- */

#define FMA_ITERS 20000000L

typedef struct
{
  float result;
} FmaJob;

/* 12 independent accumulators in named registers (an array would live on
 * the stack at -O2) cover the FMA latency (4 cycles) on two pipes; the loop
 * body is FMAs only. */
#define FMA12(F) F (0) F (1) F (2) F (3) F (4) F (5) F (6) F (7) F (8) \
                 F (9) F (10) F (11)
static gpointer
fma_loop (gpointer data)
{
  FmaJob *job = data;
#if defined(__AVX512F__)
  const __m512 m = _mm512_set1_ps (0.999999f), c = _mm512_set1_ps (1e-7f);
#define DECL(i) __m512 a##i = _mm512_set1_ps ((float) i);
#define STEP(i) a##i = _mm512_fmadd_ps (a##i, m, c);
#define SUM(i) s = _mm512_add_ps (s, a##i);
  FMA12 (DECL)
  for (long it = 0; it < FMA_ITERS; it++)
    {
      FMA12 (STEP)
    }
  __m512 s = _mm512_setzero_ps ();
  FMA12 (SUM)
  job->result = _mm512_reduce_add_ps (s);
#elif defined(__AVX2__) && defined(__FMA__)
  const __m256 m = _mm256_set1_ps (0.999999f), c = _mm256_set1_ps (1e-7f);
#define DECL(i) __m256 a##i = _mm256_set1_ps ((float) i);
#define STEP(i) a##i = _mm256_fmadd_ps (a##i, m, c);
#define SUM(i) s = _mm256_add_ps (s, a##i);
  FMA12 (DECL)
  for (long it = 0; it < FMA_ITERS; it++)
    {
      FMA12 (STEP)
    }
  __m256 s = _mm256_setzero_ps ();
  float  o[8];
  FMA12 (SUM)
  _mm256_storeu_ps (o, s);
  job->result = o[0];
#else
#define DECL(i) float a##i = (float) i;
#define STEP(i) a##i = fmaf (a##i, 0.999999f, 1e-7f);
#define SUM(i) s += a##i;
  FMA12 (DECL)
  for (long it = 0; it < FMA_ITERS; it++)
    {
      FMA12 (STEP)
    }
  float s = 0;
  FMA12 (SUM)
  job->result = s;
#endif
#undef DECL
#undef STEP
#undef SUM
  return NULL;
}

static int
fma_lanes (void)
{
#if defined(__AVX512F__)
  return 16;
#elif defined(__AVX2__) && defined(__FMA__)
  return 8;
#else
  return 1;
#endif
}

static int
peak (int threads)
{
  GThread **th = g_new (GThread *, threads);
  FmaJob   *jobs = g_new0 (FmaJob, threads);
  double    best = 0;

  for (int rep = 0; rep < 3; rep++)
    {
      gint64 t0 = g_get_monotonic_time ();
      for (int i = 0; i < threads; i++)
        th[i] = g_thread_new ("fma", fma_loop, &jobs[i]);
      for (int i = 0; i < threads; i++)
        g_thread_join (th[i]);
      double s = (g_get_monotonic_time () - t0) / 1e6;
      double gf = 2.0 * 12 * fma_lanes () * (double) FMA_ITERS * threads
                  / s / 1e9;
      best = MAX (best, gf);
    }
  printf ("{\"fma_gflops\": %.1f, \"lanes\": %d", best, fma_lanes ());

  swag_set_threads (threads);
  for (int n = 2048; n <= 4096; n *= 2)
    {
      gsize  nn = (gsize) n * n;
      float *a = g_new (float, nn), *bm = g_new (float, nn),
            *c = g_new (float, nn);
      double bs = 0;
      for (gsize i = 0; i < nn; i++)
        {
          a[i] = (float) ((i * 7919) % 1000) / 1000.0f;
          bm[i] = (float) ((i * 104729) % 1000) / 1000.0f;
        }
      for (int rep = 0; rep < 4; rep++)
        {
          gint64 t0 = g_get_monotonic_time ();
          swag_sgemm (FALSE, FALSE, n, n, n, 1.0f, a, n, bm, n, 0.0f, c, n);
          double s = (g_get_monotonic_time () - t0) / 1e6;
          if (rep > 0)
            bs = MAX (bs, 2.0 * n * (double) nn / s / 1e9);
        }
      printf (", \"sgemm_%d_gflops\": %.1f", n, bs);
      {
        SwagPool *pool = swag_pool_new (threads, swag_gemm_work_floats ());
        bs = 0;
        for (int rep = 0; rep < 4; rep++)
          {
            gint64 t0 = g_get_monotonic_time ();
            swag_gemm (pool, FALSE, FALSE, n, n, n, 1.0f, a, n, bm, n, 0.0f,
                       c, n, NULL, FALSE);
            double s = (g_get_monotonic_time () - t0) / 1e6;
            if (rep > 0)
              bs = MAX (bs, 2.0 * n * (double) nn / s / 1e9);
          }
        swag_pool_free (pool);
        printf (", \"own_gemm_%d_gflops\": %.1f", n, bs);
      }
      g_free (a);
      g_free (bm);
      g_free (c);
    }
  printf ("}\n");
  g_free (th);
  g_free (jobs);
  return 0;
}

/* ------------------------------------------------------------- main -- */

static int
usage (void)
{
  fprintf (stderr,
           "usage: swag-bench serve NET SMOOTHING SIZE THREADS\n"
           "       swag-bench once NET SMOOTHING SIZE THREADS [REPS]\n"
           "       swag-bench peak THREADS\n");
  return 2;
}

int
main (int argc, char **argv)
{
  Bench   b;
  GError *error = NULL;
  int     rc;

  if (argc == 3 && strcmp (argv[1], "peak") == 0)
    return peak (MAX (1, atoi (argv[2])));
  if (argc < 6 || (strcmp (argv[1], "serve") && strcmp (argv[1], "once")))
    return usage ();
  if (!bench_init (&b, argv[2], argv[3], atoi (argv[4]), atoi (argv[5]),
                   &error))
    {
      fprintf (stderr, "swag-bench: %s\n", error->message);
      g_error_free (error);
      return 1;
    }
  if (strcmp (argv[1], "serve") == 0)
    rc = serve (&b);
  else
    rc = once (&b, argc > 6 ? MAX (1, atoi (argv[6])) : 3);
  bench_clear (&b);
  return rc;
}
