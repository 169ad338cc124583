/* swag-test-util.c: helpers shared by the engine tests. GPL-3.0-or-later. */
#include "swag-test-util.h"
#include "swag-rng.h"
#include "swag-safetensors.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

float *
swag_test_load_f32 (const char *relative, gsize n)
{
  char   *path = g_build_filename (SWAG_SOURCE_DIR, "tests", "reference",
                                   relative, NULL);
  char   *bytes = NULL;
  gsize   len = 0;
  GError *error = NULL;
  float  *out;

  g_file_get_contents (path, &bytes, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, n * sizeof (float));
  out = g_new (float, n);
  memcpy (out, bytes, len);   /* the files are little-endian, as x86 */
  g_free (bytes);
  g_free (path);
  return out;
}

static void
fill_bn (float *out, int n, const char *bn, const char *field, guint64 seed,
         gboolean perturb)
{
  char   *name = g_strconcat (bn, ".", field, NULL);
  guint64 key = swag_rng_key (name);

  for (int i = 0; i < n; i++)
    {
      double z = perturb ? swag_rng_normal (seed, key, i) : 0;
      double v;
      if (strcmp (field, "weight") == 0)
        v = 1 + 0.2 * z;
      else if (strcmp (field, "bias") == 0)
        v = 0.1 * z;
      else if (strcmp (field, "running_mean") == 0)
        v = 0.1 * z;
      else
        v = exp (0.3 * z);
      out[i] = (float) v;
    }
  g_free (name);
}

char *
swag_test_write_state_dict (const SwagNet *net, guint64 seed, gboolean perturb,
                            const char *dir)
{
  static const char *const bn_fields[4] = { "weight", "bias", "running_mean",
                                            "running_var" };
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *shapes = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *data = g_ptr_array_new_with_free_func (g_free);
  GArray    *ndims = g_array_new (FALSE, FALSE, sizeof (int));
  char      *path = g_build_filename (dir, "weights.safetensors", NULL);
  GError    *error = NULL;

#define ADD(nm, nd, shp, buf)                                          \
  G_STMT_START {                                                       \
    int d_ = (nd);                                                     \
    g_ptr_array_add (names, (nm));                                     \
    g_ptr_array_add (shapes, g_memdup2 ((shp), sizeof (gint64) * d_)); \
    g_ptr_array_add (data, (buf));                                     \
    g_array_append_val (ndims, d_);                                    \
  } G_STMT_END

  for (int i = 0; i < net->n_nodes; i++)
    {
      const SwagNode *n = &net->nodes[i];
      const SwagConvDesc *cv = &n->conv;
      gint64 wshape[4] = { cv->out_c, cv->in_c, cv->kh, cv->kw };
      gint64 vshape[1] = { cv->out_c };
      gsize  nw = (gsize) cv->out_c * cv->in_c * cv->kh * cv->kw;
      char  *wname;
      float *w;

      if (n->op != SWAG_NODE_CONV)
        continue;
      wname = g_strconcat (n->name, ".weight", NULL);
      w = g_new (float, nw);
      if (net->backbone == SWAG_BACKBONE_MULTISCALE)
        {
          /* Glorot uniform, +-sqrt(6 / ((I + O) kh kw)) */
          const double a = sqrt (6.0 / ((double) (cv->in_c + cv->out_c)
                                        * cv->kh * cv->kw));
          swag_rng_fill_uniform (w, nw, -a, a, seed, swag_rng_key (wname));
        }
      else
        swag_rng_fill_normal (w, nw, 0.0,
                              sqrt (2.0 / ((double) cv->out_c * cv->kh
                                           * cv->kw)),
                              seed, swag_rng_key (wname));
      ADD (wname, 4, wshape, w);
      if (!n->bn)
        ADD (g_strconcat (n->name, ".bias", NULL), 1, vshape,
             g_new0 (float, cv->out_c));
      else
        for (int f = 0; f < 4; f++)
          {
            float *v = g_new (float, cv->out_c);
            fill_bn (v, cv->out_c, n->bn, bn_fields[f], seed, perturb);
            ADD (g_strconcat (n->bn, ".", bn_fields[f], NULL), 1, vshape, v);
          }
    }
  {
    gint64 fshape[2] = { 10, 4 };
    ADD (g_strdup ("fc.weight"), 2, fshape, g_new0 (float, 40));
  }
#undef ADD

  swag_safetensors_write (path, names->len,
                          (const char *const *) names->pdata,
                          (const gint64 *const *) shapes->pdata,
                          (const int *) (void *) ndims->data,
                          (const float *const *) data->pdata, &error);
  g_assert_no_error (error);
  g_ptr_array_unref (names);
  g_ptr_array_unref (shapes);
  g_ptr_array_unref (data);
  g_array_free (ndims, TRUE);
  return path;
}

char *
swag_test_mkdtemp (void)
{
  GError *error = NULL;
  char   *dir = g_dir_make_tmp ("swag-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
swag_test_rmdir (const char *dir)
{
  GDir       *d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      char *path = g_build_filename (dir, name, NULL);
      g_remove (path);
      g_free (path);
    }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

double
swag_test_rel_l2 (const float *a, const double *b, gsize n)
{
  double num = 0, den = 0;

  for (gsize i = 0; i < n; i++)
    {
      num += (a[i] - b[i]) * (a[i] - b[i]);
      den += b[i] * b[i];
    }
  return sqrt (num / MAX (den, 1e-300));
}
