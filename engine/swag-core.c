/* swag-core.c: version, error domain, threads, memory, JSON strings.
 * GPL-3.0-or-later. */
#include "swag.h"
#include "swag-core.h"
#include "swag-blas.h"
#include "swag-i18n.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

G_DEFINE_QUARK (swag-error-quark, swag_error)

const char *
swag_version (void)
{
  return SWAG_VERSION;
}

/* OpenBLAS (0.3.21) takes a working buffer of 128 MiB of address space per
 * thread at its first product on that thread and, when that allocation
 * fails, retries for ever: a run that meets an address-space limit
 * (ulimit -v) mid-way hangs instead of failing. One product large enough
 * to use every thread takes the buffers now, once, before a run's own
 * allocations can use up the room; they stay in OpenBLAS's pool. */
static void
blas_warm_up (void)
{
  const int n = 384;
  float    *m = g_try_malloc0 (3 * sizeof (float) * n * n);

  if (!m)
    return;
  swag_sgemm (FALSE, FALSE, n, n, n, 1.0f, m, n, m + n * n, n, 0.0f,
              m + 2 * n * n, n);
  g_free (m);
}

void
swag_set_threads (int n)
{
  if (n <= 0)
    n = swag_cpu_count ();
  swag_blas_set_threads (n);
  blas_warm_up ();
}

int
swag_get_threads (void)
{
  int n = swag_blas_get_threads ();
  return n > 0 ? n : 1;
}

int
swag_cpu_count (void)
{
  long n = sysconf (_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int) MIN (n, 256) : 1;
}

/* MemAvailable from /proc/meminfo, else the physical memory, else 4 GiB. A
 * cgroup limit (containers) lowers it when it is smaller. */
guint64
swag_memory_available (void)
{
  guint64 avail = 0;
  FILE   *f = fopen ("/proc/meminfo", "r");

  if (f)
    {
      char line[256];
      while (fgets (line, sizeof line, f))
        {
          unsigned long long kb;
          if (sscanf (line, "MemAvailable: %llu kB", &kb) == 1)
            {
              avail = (guint64) kb * 1024;
              break;
            }
        }
      fclose (f);
    }
  if (avail == 0)
    {
      long pages = sysconf (_SC_PHYS_PAGES);
      long page = sysconf (_SC_PAGESIZE);
      if (pages > 0 && page > 0)
        avail = (guint64) pages * (guint64) page;
      else
        avail = (guint64) 4 << 30;
    }

  f = fopen ("/sys/fs/cgroup/memory.max", "r");
  if (f)
    {
      unsigned long long lim;
      if (fscanf (f, "%llu", &lim) == 1 && lim > 0 && lim < avail)
        avail = lim;
      fclose (f);
    }

  /* An address-space limit (ulimit -v) lowers it too, by what the process
   * already maps: without this, a run under such a limit passes the
   * estimate and then fails allocation after allocation. */
  {
    struct rlimit rl;
    if (getrlimit (RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
      {
        guint64 mapped = 0;
        unsigned long long pages;
        long page = sysconf (_SC_PAGESIZE);

        f = fopen ("/proc/self/statm", "r");
        if (f)
          {
            if (fscanf (f, "%llu", &pages) == 1 && page > 0)
              mapped = (guint64) pages * (guint64) page;
            fclose (f);
          }
        avail = MIN (avail, (guint64) rl.rlim_cur > mapped
                            ? (guint64) rl.rlim_cur - mapped : 0);
      }
  }
  return avail;
}

gpointer
swag_try_alloc_floats (gsize n, const char *what, GError **error)
{
  gsize    bytes;
  gpointer p;

  if (!g_size_checked_mul (&bytes, n, sizeof (float)))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                   /* TRANSLATORS: %s is what the memory is for, e.g. "Gram
                    * matrix". */
                   _("%s: size overflow"), _(what));
      return NULL;
    }
  p = g_try_malloc (MAX (bytes, 1));
  if (!p)
    g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                 /* TRANSLATORS: %s is what the memory is for, e.g. "Gram
                  * matrix". */
                 _("Out of memory: %s needs %.1f MiB"),
                 _(what), bytes / (1024.0 * 1024.0));
  return p;
}

void
swag_json_append_string (GString *out, const char *value)
{
  g_string_append_c (out, '"');
  for (const guchar *c = (const guchar *) value; *c; c++)
    switch (*c)
      {
      case '"':  g_string_append (out, "\\\""); break;
      case '\\': g_string_append (out, "\\\\"); break;
      case '\n': g_string_append (out, "\\n"); break;
      case '\t': g_string_append (out, "\\t"); break;
      case '\r': g_string_append (out, "\\r"); break;
      default:
        if (*c < 0x20)
          g_string_append_printf (out, "\\u%04x", *c);
        else
          g_string_append_c (out, (char) *c);
      }
  g_string_append_c (out, '"');
}
