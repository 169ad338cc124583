/* test-empty.c: the public functions called with nothing in a list: no
 * image, no style, an empty folder list, empty tap lists. Each either works
 * with a defined answer or refuses with an error, and never reads a first
 * element that is not there (issue 14: swag_largest_image read images[0]
 * with n = 0). The sanitized build checks the reads. GPL-3.0-or-later. */
#include "swag.h"

#include <math.h>
#include <string.h>

static SwagImage *
picture (int w, int h, int seed)
{
  SwagImage *im = swag_image_new (w, h, NULL);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        float *px = im->data + 4 * ((gsize) y * w + x);
        px[0] = (float) (0.5 + 0.4 * sin (0.3 * x + seed));
        px[1] = (float) (0.5 + 0.4 * cos (0.2 * y + 2 * seed));
        px[2] = (float) (0.5 + 0.3 * sin (0.1 * (x + y) * seed));
        px[3] = 1.0f;
      }
  return im;
}

/* VGG-19 with random weights at a small size and few taps. */
static void
small_params (SwagParams *p)
{
  swag_params_init_defaults (p);
  p->backbone = SWAG_BACKBONE_VGG19;
  p->style_layers = "relu1_1,relu2_1";
  p->content_layers = "relu2_1";
  p->size = 32;
  p->scales = 1;
  p->iterations = 2;
}

/* No image: NULL (the command line's --diagnose CONTENT has no style), with
 * or without an array; one image is still its own largest. */
static void
test_largest_image (void)
{
  SwagImage       *a = picture (10, 10, 1);
  const SwagImage *one[1] = { a };

  g_assert_null (swag_largest_image (NULL, 0));
  g_assert_null (swag_largest_image (one, 0));
  g_assert_null (swag_largest_image (NULL, -1));
  g_assert_true (swag_largest_image (one, 1) == a);
  swag_image_free (a);
}

/* The header asks for n_styles >= 1; fewer is refused with an error, not
 * read, and *partial is cleared. */
static void
test_transfer_no_style (void)
{
  SwagParams       p;
  SwagImage       *content = picture (32, 32, 2), *style = picture (32, 32, 3);
  const SwagImage *styles[1] = { style };
  SwagImage       *partial;
  GError          *error = NULL;
  SwagNet         *net;

  small_params (&p);
  net = swag_net_new (&p, &error);
  g_assert_no_error (error);

  for (int k = 0; k < 3; k++)
    {
      const SwagImage *const *list = k == 0 ? NULL : styles;
      int              n = k == 2 ? -1 : 0;

      partial = content;  /* must be overwritten */
      g_assert_null (swag_transfer_run (net, content, list, NULL, n, &p, NULL,
                                        NULL, &partial, &error));
      g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "style"));
      g_assert_null (partial);
      g_clear_error (&error);
    }

  swag_net_free (net);
  swag_image_free (content);
  swag_image_free (style);
}

/* An empty folder list (NULL-terminated, as the header allows) is the same
 * as none: the same search, the same error. */
static void
test_empty_weight_dirs (void)
{
  const char *none[] = { NULL };
  GError     *e_null = NULL, *e_empty = NULL;
  SwagParams  p;

  g_assert_null (swag_weights_find (SWAG_BACKBONE_VGG19, NULL, &e_null));
  g_assert_null (swag_weights_find (SWAG_BACKBONE_VGG19, none, &e_empty));
  g_assert_error (e_null, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_assert_error (e_empty, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_assert_cmpstr (e_empty->message, ==, e_null->message);
  g_assert_nonnull (strstr (e_empty->message, "vgg19.safetensors"));
  g_clear_error (&e_null);

  small_params (&p);
  p.weights = "pretrained";
  p.weight_dirs = none;
  g_assert_null (swag_net_new (&p, &e_null));
  g_assert_error (e_null, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_assert_cmpstr (e_null->message, ==, e_empty->message);
  g_clear_error (&e_null);
  g_clear_error (&e_empty);
}

/* No content tap: allowed. The diagnosis has the style taps only, the
 * estimate and a run work, and the run reports no content term. */
typedef struct
{
  int evals, with_content;
} Seen;

static gboolean
seen (const SwagProgress *pr, gpointer data)
{
  Seen *s = data;

  if (pr->kind == SWAG_PROGRESS_EVALUATION)
    {
      s->evals++;
      g_assert_cmpint (pr->n_layers, ==, 2);
      for (int i = 0; i < pr->n_layers; i++)
        if (!isnan (pr->layers[i].content))
          s->with_content++;
    }
  return TRUE;
}

static void
test_no_content_layer (void)
{
  SwagParams       p;
  SwagImage       *content = picture (32, 32, 4), *style = picture (32, 32, 5);
  const SwagImage *styles[1] = { style };
  SwagTapStats    *stats;
  SwagEstimate     est;
  SwagImage       *out;
  SwagNet         *net;
  GError          *error = NULL;
  Seen             s = { 0 };
  char            *json;
  int              n = -1;

  small_params (&p);
  p.content_layers = "";
  g_assert_true (swag_params_validate (&p, &error));
  g_assert_no_error (error);
  json = swag_params_to_json (&p);
  g_assert_nonnull (strstr (json, "\"content-layers\": \"\""));
  g_free (json);

  g_assert_true (swag_transfer_estimate (&p, 32, 32, 32, 32, &est, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (est.peak_bytes, >, 0);

  net = swag_net_new (&p, &error);
  g_assert_no_error (error);
  stats = swag_diagnose (net, content, NULL, &p, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpstr (stats[0].name, ==, "relu1_1");
  g_assert_cmpstr (stats[1].name, ==, "relu2_1");
  g_free (stats);

  out = swag_transfer_run (net, content, styles, NULL, 1, &p, seen, &s, NULL,
                           &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_assert_cmpint (s.evals, ==, p.iterations);
  g_assert_cmpint (s.with_content, ==, 0);
  g_assert_cmpint (out->width, ==, 32);
  swag_image_free (out);

  swag_net_free (net);
  swag_image_free (content);
  swag_image_free (style);
}

/* No smoothed tap: the softmax is asked for but applies nowhere, so the
 * statistics are those without smoothing, bit for bit. */
static void
test_no_smooth_layer (void)
{
  SwagParams    p;
  SwagImage    *content = picture (32, 32, 6);
  SwagTapStats *plain, *empty;
  SwagNet      *net;
  GError       *error = NULL;
  int           n_plain = 0, n_empty = 0;

  small_params (&p);
  net = swag_net_new (&p, &error);
  g_assert_no_error (error);
  plain = swag_diagnose (net, content, NULL, &p, &n_plain, &error);
  g_assert_no_error (error);

  p.smoothing = SWAG_SMOOTHING_SOFTMAX;
  p.smooth_layers = "";
  g_assert_true (swag_params_validate (&p, &error));
  empty = swag_diagnose (net, content, NULL, &p, &n_empty, &error);
  g_assert_no_error (error);
  g_assert_cmpint (n_empty, ==, n_plain);
  g_assert_cmpint (n_empty, ==, 2);
  for (int i = 0; i < n_empty; i++)
    {
      g_assert_cmpstr (empty[i].name, ==, plain[i].name);
      g_assert_cmpfloat (empty[i].temperature, ==, 0);
      g_assert_cmpfloat (empty[i].max_activation, ==, plain[i].max_activation);
      g_assert_cmpfloat (empty[i].max_gram, ==, plain[i].max_gram);
      g_assert_cmpfloat (empty[i].gram_entropy, ==, plain[i].gram_entropy);
    }
  g_free (plain);
  g_free (empty);
  swag_net_free (net);
  swag_image_free (content);
}

/* No style tap: refused everywhere with an error that says so (a caller
 * may print error->message), and the diagnosis counts no taps. */
static void
test_no_style_layer (void)
{
  const char *lists[] = { "", " , ", "," };
  SwagParams  p;
  SwagImage  *content = picture (32, 32, 7);
  SwagNet    *net;
  GError     *error = NULL;

  small_params (&p);
  net = swag_net_new (&p, &error);
  g_assert_no_error (error);
  for (gsize k = 0; k < G_N_ELEMENTS (lists); k++)
    {
      SwagEstimate est;
      int          n = -1;

      p.style_layers = lists[k];
      g_assert_false (swag_params_validate (&p, &error));
      g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "empty"));
      g_clear_error (&error);

      g_assert_false (swag_transfer_estimate (&p, 32, 32, 32, 32, &est, &error));
      g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
      g_clear_error (&error);

      g_assert_null (swag_diagnose (net, content, NULL, &p, &n, &error));
      g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
      g_assert_cmpint (n, ==, 0);
      g_clear_error (&error);
    }
  swag_net_free (net);
  swag_image_free (content);
}

/* An empty name is not a choice: -1 and the list of valid names. */
static void
test_empty_choice (void)
{
  GError *error = NULL;

  g_assert_cmpint (swag_choice_parse (SWAG_CHOICE_BACKBONE, "", &error), ==, -1);
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "vgg19"));
  g_clear_error (&error);
  g_assert_cmpint (swag_choice_parse (SWAG_CHOICE_SMOOTHING, NULL, &error), ==, -1);
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  /* No weights from the user's data folders: the lookups fail the same way
   * on every machine. */
  g_setenv ("XDG_DATA_HOME", "/nonexistent/swag-test-empty", TRUE);
  g_setenv ("XDG_DATA_DIRS", "/nonexistent/swag-test-empty", TRUE);
  g_test_init (&argc, &argv, NULL);
  swag_set_threads (1);
  g_test_add_func ("/empty/largest-image", test_largest_image);
  g_test_add_func ("/empty/transfer-no-style", test_transfer_no_style);
  g_test_add_func ("/empty/weight-dirs", test_empty_weight_dirs);
  g_test_add_func ("/empty/no-content-layer", test_no_content_layer);
  g_test_add_func ("/empty/no-smooth-layer", test_no_smooth_layer);
  g_test_add_func ("/empty/no-style-layer", test_no_style_layer);
  g_test_add_func ("/empty/choice", test_empty_choice);
  return g_test_run ();
}
