/* swag-weights.c: a network's weights: seeded random initialisation as
 * torchvision's, loading torchvision state dicts from .safetensors with
 * batch-norm folded into the convolutions, and the lookup of pre-trained
 * files by name. GPL-3.0-or-later. */
#include "swag-net.h"
#include "swag-core.h"
#include "swag-rng.h"
#include "swag-safetensors.h"
#include "swag-i18n.h"

#include <math.h>
#include <string.h>

#define BN_EPS 1e-5

static gsize
conv_weight_floats (const SwagConvDesc *cv)
{
  return (gsize) cv->out_c * cv->in_c * cv->kh * cv->kw;
}

/* W' = W * s, b' = beta - mean * s + s * b, s = gamma / sqrt(var + eps), per
 * output channel, in double. */
static void
fold_bn (SwagConvDesc *cv, float *weight, float *bias, const float *gamma,
         const float *beta, const float *mean, const float *var)
{
  gsize per = (gsize) cv->in_c * cv->kh * cv->kw;

  for (int o = 0; o < cv->out_c; o++)
    {
      double s = gamma[o] / sqrt ((double) var[o] + BN_EPS);
      for (gsize k = 0; k < per; k++)
        weight[o * per + k] = (float) (weight[o * per + k] * s);
      bias[o] = (float) (beta[o] - mean[o] * s + s * bias[o]);
    }
}

void
swag_net_init_random (SwagNet *net, guint64 seed)
{
  for (int i = 0; i < net->n_nodes; i++)
    {
      SwagNode *n = &net->nodes[i];
      char     *name;
      float    *w, *b;

      if (n->op != SWAG_NODE_CONV)
        continue;
      w = net->block + net->weight_offsets[i];
      b = w + conv_weight_floats (&n->conv);
      name = g_strconcat (n->name, ".weight", NULL);
      if (net->backbone == SWAG_BACKBONE_MULTISCALE)
        {
          /* Glorot (Xavier) uniform, as the multi-scale network's authors
           * (Lasagne's default): +-sqrt(6 / (fan_in + fan_out)). */
          double a = sqrt (6.0 / ((double) (n->conv.in_c + n->conv.out_c)
                                  * n->conv.kh * n->conv.kw));
          swag_rng_fill_uniform (w, conv_weight_floats (&n->conv), -a, a,
                                 seed, swag_rng_key (name));
        }
      else
        swag_rng_fill_normal (w, conv_weight_floats (&n->conv), 0.0,
                              sqrt (2.0 / ((double) n->conv.out_c * n->conv.kh
                                           * n->conv.kw)),
                              seed, swag_rng_key (name));
      g_free (name);
      memset (b, 0, sizeof (float) * n->conv.out_c);
      if (n->bn)
        {
          /* Batch-norm at its initial state: weight 1, bias 0, mean 0,
           * var 1, folded like any other. */
          float *ones = g_new (float, n->conv.out_c);
          float *zeros = g_new0 (float, n->conv.out_c);
          for (int o = 0; o < n->conv.out_c; o++)
            ones[o] = 1.0f;
          fold_bn (&n->conv, w, b, ones, zeros, zeros, ones);
          g_free (ones);
          g_free (zeros);
        }
    }
  g_free (net->weights);
  net->weights = g_strdup ("random");
  net->seed = seed;
}

static gboolean
read_vec (SwagSafetensors *st, const char *prefix, const char *field, int n,
          float *out, GError **error)
{
  gint64   shape[1] = { n };
  char    *name = g_strconcat (prefix, ".", field, NULL);
  gboolean ok = swag_safetensors_read_f32 (st, name, shape, 1, out, error);

  g_free (name);
  return ok;
}

static const char *
backbone_label (SwagBackbone b)
{
  if (b == SWAG_BACKBONE_MULTISCALE)
    return swag_choice_names (SWAG_CHOICE_BACKBONE)[b];
  return b == SWAG_BACKBONE_VGG19 ? "VGG-19" : "ResNet-50";
}

gboolean
swag_net_load_weights (SwagNet *net, const char *path, GError **error)
{
  SwagSafetensors *st;
  float           *block, *tmp = NULL;
  int              max_c = 0;
  gboolean         ok = TRUE;

  st = swag_safetensors_open (path, error);
  if (!st)
    return FALSE;

  /* A recognisable first tensor, so that a file for the other backbone says
   * so instead of naming some missing tensor. */
  {
    const char *first = net->backbone == SWAG_BACKBONE_VGG19
                        ? "features.0.weight"
                        : net->backbone == SWAG_BACKBONE_MULTISCALE
                        ? "scales.0.weight" : "conv1.weight";
    if (!swag_safetensors_has (st, first))
      {
        g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                     /* TRANSLATORS: the first %s is a file, the second a
                      * tensor name, the third the network, e.g. "VGG-19". */
                     _("%s: no tensor “%s”: this is not a %s weights file "
                       "(torchvision state-dict names)"),
                     path, first, backbone_label (net->backbone));
        swag_safetensors_free (st);
        return FALSE;
      }
  }

  block = swag_try_alloc_floats (net->block_floats, N_("network weights"), error);
  if (!block)
    {
      swag_safetensors_free (st);
      return FALSE;
    }
  memset (block, 0, net->block_floats * sizeof (float));
  for (int i = 0; i < net->n_nodes; i++)
    if (net->nodes[i].op == SWAG_NODE_CONV)
      max_c = MAX (max_c, net->nodes[i].conv.out_c);
  tmp = g_new (float, 4 * (gsize) MAX (max_c, 1));

  for (int i = 0; ok && i < net->n_nodes; i++)
    {
      SwagNode *n = &net->nodes[i];
      float    *w, *b;
      gint64    shape[4];
      char     *name;
      int       o;

      if (n->op != SWAG_NODE_CONV)
        continue;
      o = n->conv.out_c;
      w = block + net->weight_offsets[i];
      b = w + conv_weight_floats (&n->conv);
      shape[0] = o;
      shape[1] = n->conv.in_c;
      shape[2] = n->conv.kh;
      shape[3] = n->conv.kw;
      name = g_strconcat (n->name, ".weight", NULL);
      ok = swag_safetensors_read_f32 (st, name, shape, 4, w, error);
      g_free (name);
      if (ok && !n->bn)
        ok = read_vec (st, n->name, "bias", o, b, error);
      if (ok && n->bn)
        {
          float *gamma = tmp, *beta = tmp + o, *mean = tmp + 2 * o,
                *var = tmp + 3 * o;
          ok = read_vec (st, n->bn, "weight", o, gamma, error)
               && read_vec (st, n->bn, "bias", o, beta, error)
               && read_vec (st, n->bn, "running_mean", o, mean, error)
               && read_vec (st, n->bn, "running_var", o, var, error);
          for (int c = 0; ok && c < o; c++)
            if (!(var[c] + BN_EPS > 0))
              {
                g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                             _("%s: tensor “%s.running_var” has a negative "
                               "variance"), path, n->bn);
                ok = FALSE;
              }
          if (ok)
            fold_bn (&n->conv, w, b, gamma, beta, mean, var);
        }
    }
  g_free (tmp);
  swag_safetensors_free (st);
  if (!ok)
    {
      g_free (block);
      return FALSE;
    }

  /* Only now does the net change. */
  g_free (net->block);
  net->block = block;
  for (int i = 0; i < net->n_nodes; i++)
    {
      SwagNode *n = &net->nodes[i];
      if (n->op != SWAG_NODE_CONV)
        continue;
      n->conv.weight = block + net->weight_offsets[i];
      n->conv.bias = n->conv.weight + conv_weight_floats (&n->conv);
    }
  g_free (net->weights);
  net->weights = g_strdup (path);
  return TRUE;
}

/* ------------------------------------------------------------- lookup -- */

const char *
swag_weights_file_name (SwagBackbone backbone)
{
  switch (backbone)
    {
    case SWAG_BACKBONE_VGG19:    return "vgg19.safetensors";
    case SWAG_BACKBONE_RESNET50: return "resnet50.safetensors";
    default:                     return NULL;
    }
}

char *
swag_weights_find (SwagBackbone backbone, const char *const *extra_dirs,
                   GError **error)
{
  const char         *file = swag_weights_file_name (backbone);
  const char *const  *sys;
  GPtrArray          *dirs;
  GString            *searched;
  char               *found = NULL;

  if (!file && backbone == SWAG_BACKBONE_MULTISCALE)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   /* TRANSLATORS: %s is the network, "multiscale". */
                   _("%s has no pre-trained weights: it is an untrained "
                     "texture model and runs with random weights only"),
                   swag_choice_names (SWAG_CHOICE_BACKBONE)[backbone]);
      return NULL;
    }
  if (!file)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   /* TRANSLATORS: %s is the network, e.g. "noresnet50". */
                   _("%s has no pre-trained weights: it is an ablation network "
                     "of the SWAG paper and runs with random weights only"),
                   swag_choice_names (SWAG_CHOICE_BACKBONE)[backbone]);
      return NULL;
    }

  dirs = g_ptr_array_new_with_free_func (g_free);
  for (int i = 0; extra_dirs && extra_dirs[i]; i++)
    g_ptr_array_add (dirs, g_strdup (extra_dirs[i]));
  g_ptr_array_add (dirs, g_build_filename (g_get_user_data_dir (),
                                           "swag-style", "weights", NULL));
  for (sys = g_get_system_data_dirs (); *sys; sys++)
    g_ptr_array_add (dirs, g_build_filename (*sys, "swag-style", "weights",
                                             NULL));

  searched = g_string_new (NULL);
  for (guint i = 0; i < dirs->len && !found; i++)
    {
      char *path = g_build_filename (g_ptr_array_index (dirs, i), file, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        found = path;
      else
        {
          g_string_append_printf (searched, "\n  %s",
                                  (char *) g_ptr_array_index (dirs, i));
          g_free (path);
        }
    }
  if (!found)
    g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                 /* TRANSLATORS: the first %s is the network, e.g. "VGG-19";
                  * the third, right after "folders:", is the list of
                  * folders, each on a line of its own; keep the line break
                  * before "See". */
                 _("No pre-trained weights for %s: the file “%s” is in none of "
                   "these folders:%s\nSee the weights/README.md of swag-style "
                   "for how to make it from torchvision's checkpoint."),
                 backbone_label (backbone), file, searched->str);
  g_string_free (searched, TRUE);
  g_ptr_array_unref (dirs);
  return found;
}

/* ------------------------------------------------------------ networks -- */

static gboolean
is_random (const char *weights)
{
  return weights == NULL || *weights == '\0' || strcmp (weights, "random") == 0;
}

SwagNet *
swag_net_new (const SwagParams *params, GError **error)
{
  SwagNet *net;
  char    *path = NULL;

  if (!is_random (params->weights))
    {
      if (strcmp (params->weights, "pretrained") == 0)
        {
          path = swag_weights_find (params->backbone, params->weight_dirs,
                                    error);
          if (!path)
            return NULL;
        }
      else
        path = g_strdup (params->weights);
    }

  net = swag_net_topology_new (params->backbone, params->pooling);
  if (path ? !swag_net_load_weights (net, path, error)
           : !swag_net_alloc_block (net, error))
    {
      swag_net_free (net);
      g_free (path);
      return NULL;
    }
  if (!path)
    swag_net_init_random (net, params->seed);
  g_free (path);
  if (!swag_net_prepare (net, error))
    {
      swag_net_free (net);
      return NULL;
    }
  return net;
}

gboolean
swag_net_matches (const SwagNet *net, const SwagParams *params)
{
  if (net->backbone != params->backbone)
    return FALSE;
  if (net->backbone != SWAG_BACKBONE_RESNET50
      && net->backbone != SWAG_BACKBONE_NORESNET50
      && net->pooling != params->pooling)
    return FALSE;
  if (is_random (params->weights))
    return strcmp (net->weights, "random") == 0 && net->seed == params->seed;
  if (strcmp (params->weights, "pretrained") == 0)
    {
      char    *path = swag_weights_find (params->backbone, params->weight_dirs,
                                         NULL);
      gboolean same = path && strcmp (path, net->weights) == 0;
      g_free (path);
      return same;
    }
  return strcmp (params->weights, net->weights) == 0;
}
