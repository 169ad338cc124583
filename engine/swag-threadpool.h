/* swag-threadpool.h: a small thread pool owned by an evaluation context (never a
 * static). The caller's thread takes part; the other n - 1 threads sleep on a
 * condition variable between jobs, so an idle pool costs no CPU and never
 * competes with OpenBLAS's threads or another process. Internal to the
 * engine.
 *
 * Tasks run with denormals flushed to zero (FTZ and DAZ on x86): results
 * below FLT_MIN count as 0. The caller's floating-point mode is restored.
 *
 * Determinism: a job is a fixed list of tasks whose split depends only on the
 * problem's sizes, never on the thread count; threads grab tasks in any
 * order, but every task writes its own outputs with a fixed sequence of
 * operations, so results are bit-identical for every thread count.
 *
 * GPL-3.0-or-later.
 */
#ifndef SWAG_THREADPOOL_H
#define SWAG_THREADPOOL_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SwagPool SwagPool;

/* Task @task of @n_tasks, run on thread slot @thread in [0, n_threads):
 * the slot says which per-thread workspace the task may use. */
typedef void (*SwagPoolFunc) (gpointer data, int task, int thread);

/* n_threads >= 1 (1 = no extra thread). Each slot gets a workspace of
 * @work_floats floats (64-byte aligned), for the GEMM's packing. NULL when
 * memory or threads cannot be had. */
SwagPool *swag_pool_new       (int n_threads, gsize work_floats);
void      swag_pool_free      (SwagPool *pool);
float    *swag_pool_work      (SwagPool *pool, int thread);
gsize     swag_pool_work_floats (const SwagPool *pool);

/* Runs fn (data, t, slot) for every t in [0, n_tasks) and returns when all
 * are done. Not reentrant: a task must not call swag_pool_run. A NULL pool
 * runs everything on the caller's thread (slot 0). */
void      swag_pool_run       (SwagPool *pool, int n_tasks, SwagPoolFunc fn,
                               gpointer data);

/* Runs fn (data, q, i0, i1) on the chunks [i0, i1) = [q * chunk, ...) of
 * [0, n), in parallel. The chunks depend on n and chunk only, so per-chunk
 * partial sums combined in chunk order give the same bits for any thread
 * count. Returns the number of chunks. */
typedef void (*SwagRangeFunc) (gpointer data, gsize q, gsize i0, gsize i1);
gsize     swag_pool_ranges    (SwagPool *pool, gsize n, gsize chunk,
                               SwagRangeFunc fn, gpointer data);
gsize     swag_pool_n_chunks  (gsize n, gsize chunk);

G_END_DECLS

#endif /* SWAG_THREADPOOL_H */
