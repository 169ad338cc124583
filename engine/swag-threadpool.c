/* swag-threadpool.c: the evaluation's thread pool. GPL-3.0-or-later. */
#include "swag-threadpool.h"

#include <stdlib.h>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
/* Denormals flushed to zero (FTZ) and read as zero (DAZ) while tasks run:
 * one denormal operand costs an FMA a ~100-cycle micro-code assist, and
 * softmax smoothing makes millions of them (exp of -100 is 4e-44), which
 * then flow through the Gram and the whole backward (ResNet-50 with
 * softmax took 2.3 CPU-s instead of 0.95). Values below FLT_MIN change
 * nothing measurable; the caller's mode is restored after. */
static inline unsigned
fp_enter (void)
{
  const unsigned old = _mm_getcsr ();
  _mm_setcsr (old | 0x8040);
  return old;
}

static inline void
fp_leave (unsigned old)
{
  _mm_setcsr (old);
}
#else
static inline unsigned
fp_enter (void)
{
  return 0;
}

static inline void
fp_leave (unsigned old)
{
  (void) old;
}
#endif

typedef struct
{
  SwagPool *pool;
  int       slot;
  GThread  *thread;
} Worker;

struct _SwagPool
{
  int           n_threads;
  Worker       *workers;     /* (n_threads - 1) */
  float       **work;        /* (n_threads) aligned workspaces */
  gsize         work_floats;

  GMutex        lock;
  GCond         wake;        /* a new job, or quit */
  GCond         done;        /* a worker left the job */
  guint         generation;  /* bumped for every job */
  gboolean      quit;

  /* The current job. The caller waits for its tasks to be done and for the
   * workers that joined it to leave, never for a worker that has not woken
   * yet: under load (another process on the other core) a sleeping worker
   * may take a whole time slice to run, and the caller then simply does
   * every task itself. */
  SwagPoolFunc  fn;
  gpointer      data;
  int           n_tasks;
  gboolean      active;      /* a job is running (under lock) */
  gint          next;        /* atomic: the next task to take */
  gint          finished;    /* atomic: tasks done */
  int           joined;      /* workers inside the job (under lock) */
};

static void
run_tasks (SwagPool *pool, int slot)
{
  const unsigned fp = fp_enter ();

  for (;;)
    {
      int t = g_atomic_int_add (&pool->next, 1);
      if (t >= pool->n_tasks)
        break;
      pool->fn (pool->data, t, slot);
      g_atomic_int_inc (&pool->finished);
    }
  fp_leave (fp);
}

static gpointer
worker_main (gpointer data)
{
  Worker   *w = data;
  SwagPool *pool = w->pool;
  guint     seen = 0;

  g_mutex_lock (&pool->lock);
  for (;;)
    {
      while (!pool->quit && !(pool->active && pool->generation != seen))
        g_cond_wait (&pool->wake, &pool->lock);
      if (pool->quit)
        break;
      seen = pool->generation;
      pool->joined++;
      g_mutex_unlock (&pool->lock);

      run_tasks (pool, w->slot);

      g_mutex_lock (&pool->lock);
      pool->joined--;
      g_cond_signal (&pool->done);
    }
  g_mutex_unlock (&pool->lock);
  return NULL;
}

SwagPool *
swag_pool_new (int n_threads, gsize work_floats)
{
  SwagPool *pool = g_new0 (SwagPool, 1);

  pool->n_threads = MAX (n_threads, 1);
  pool->work_floats = work_floats;
  pool->work = g_new0 (float *, pool->n_threads);
  for (int i = 0; i < pool->n_threads && work_floats > 0; i++)
    {
      gsize bytes;
      void *p = NULL;
      if (!g_size_checked_mul (&bytes, work_floats, sizeof (float))
          || posix_memalign (&p, 64, bytes) != 0)
        {
          pool->n_threads = i;   /* what swag_pool_free must release */
          swag_pool_free (pool);
          return NULL;
        }
      pool->work[i] = p;
    }
  g_mutex_init (&pool->lock);
  g_cond_init (&pool->wake);
  g_cond_init (&pool->done);
  pool->workers = g_new0 (Worker, pool->n_threads);
  for (int i = 1; i < pool->n_threads; i++)
    {
      Worker *w = &pool->workers[i - 1];
      w->pool = pool;
      w->slot = i;
      w->thread = g_thread_try_new ("swag-worker", worker_main, w, NULL);
      if (!w->thread)
        {
          /* Fewer threads than asked: the slots that exist still work. */
          g_mutex_lock (&pool->lock);
          pool->n_threads = i;
          g_mutex_unlock (&pool->lock);
          break;
        }
    }
  return pool;
}

void
swag_pool_free (SwagPool *pool)
{
  if (!pool)
    return;
  if (pool->workers)
    {
      g_mutex_lock (&pool->lock);
      pool->quit = TRUE;
      g_cond_broadcast (&pool->wake);
      g_mutex_unlock (&pool->lock);
      for (int i = 1; i < pool->n_threads; i++)
        if (pool->workers[i - 1].thread)
          g_thread_join (pool->workers[i - 1].thread);
      g_free (pool->workers);
      g_mutex_clear (&pool->lock);
      g_cond_clear (&pool->wake);
      g_cond_clear (&pool->done);
    }
  for (int i = 0; pool->work && i < pool->n_threads; i++)
    free (pool->work[i]);
  g_free (pool->work);
  g_free (pool);
}

float *
swag_pool_work (SwagPool *pool, int thread)
{
  return pool ? pool->work[thread] : NULL;
}

gsize
swag_pool_work_floats (const SwagPool *pool)
{
  return pool ? pool->work_floats : 0;
}

void
swag_pool_run (SwagPool *pool, int n_tasks, SwagPoolFunc fn, gpointer data)
{
  if (n_tasks <= 0)
    return;
  if (!pool || pool->n_threads == 1 || n_tasks == 1)
    {
      const unsigned fp = fp_enter ();
      for (int t = 0; t < n_tasks; t++)
        fn (data, t, 0);
      fp_leave (fp);
      return;
    }

  g_mutex_lock (&pool->lock);
  pool->fn = fn;
  pool->data = data;
  pool->n_tasks = n_tasks;
  g_atomic_int_set (&pool->next, 0);
  g_atomic_int_set (&pool->finished, 0);
  pool->active = TRUE;
  pool->generation++;
  g_cond_broadcast (&pool->wake);
  g_mutex_unlock (&pool->lock);

  run_tasks (pool, 0);

  g_mutex_lock (&pool->lock);
  while (g_atomic_int_get (&pool->finished) < n_tasks || pool->joined > 0)
    g_cond_wait (&pool->done, &pool->lock);
  pool->active = FALSE;
  g_mutex_unlock (&pool->lock);
}

typedef struct
{
  SwagRangeFunc fn;
  gpointer      data;
  gsize         n, chunk;
} RangeJob;

static void
range_task (gpointer data, int task, int thread)
{
  const RangeJob *r = data;
  const gsize     i0 = (gsize) task * r->chunk;

  r->fn (r->data, (gsize) task, i0, MIN (r->n, i0 + r->chunk));
}

gsize
swag_pool_n_chunks (gsize n, gsize chunk)
{
  return (n + chunk - 1) / chunk;
}

gsize
swag_pool_ranges (SwagPool *pool, gsize n, gsize chunk, SwagRangeFunc fn,
                  gpointer data)
{
  RangeJob r = { fn, data, n, chunk };
  gsize    q = swag_pool_n_chunks (n, chunk);

  swag_pool_run (pool, (int) q, range_task, &r);
  return q;
}
