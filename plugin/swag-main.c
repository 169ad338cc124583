/* swag-style: a GIMP 3 plug-in that stylises layers with the style of
 * another layer by neural style transfer with SWAG-smoothed activations.
 *
 * This file registers the procedure and runs it: check the input, read the
 * settings, compute every result with the engine, and only then touch the
 * image, in one undo group. GIMP cancels a plug-in by closing it, so a
 * cancelled run leaves the image as it was.
 *
 * Copyright (C) 2026 the swag-style authors.
 *
 * This program is free software: you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 3 of the License, or
 * (at your option) any later version.
 *
 * This program is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU General Public License for more details.
 *
 * You should have received a copy of the GNU General Public License
 * along with this program.  If not, see <https://www.gnu.org/licenses/>.
 */
#include <string.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <glib/gi18n-lib.h>

#include "swag.h"
#include "swag-config.h"
#include "swag-dialog.h"
#include "swag-estimate.h"
#include "swag-layer.h"

#define PLUG_IN_PROC   "plug-in-swag-style-transfer"

/* At most this many progress updates a second: each is a round trip to
 * GIMP. */
#define PROGRESS_INTERVAL_US (G_USEC_PER_SEC / 10)

typedef struct _SwagStyle      SwagStyle;
typedef struct _SwagStyleClass SwagStyleClass;

struct _SwagStyle
{
  GimpPlugIn parent_instance;
};

struct _SwagStyleClass
{
  GimpPlugInClass parent_class;
};

#define SWAG_STYLE_TYPE (swag_style_get_type ())

GType swag_style_get_type (void) G_GNUC_CONST;

static GList          *swag_style_query_procedures (GimpPlugIn           *plug_in);
static GimpProcedure  *swag_style_create_procedure (GimpPlugIn           *plug_in,
                                                    const gchar          *name);
static gboolean        swag_style_set_i18n         (GimpPlugIn           *plug_in,
                                                    const gchar          *procedure_name,
                                                    gchar               **gettext_domain,
                                                    gchar               **catalog_dir);
static GimpValueArray *swag_style_run              (GimpProcedure        *procedure,
                                                    GimpRunMode           run_mode,
                                                    GimpImage            *image,
                                                    GimpDrawable        **drawables,
                                                    GimpProcedureConfig  *config,
                                                    gpointer              run_data);

G_DEFINE_TYPE (SwagStyle, swag_style, GIMP_TYPE_PLUG_IN)

GIMP_MAIN (SWAG_STYLE_TYPE)

static void
swag_style_class_init (SwagStyleClass *klass)
{
  GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS (klass);

  plug_in_class->query_procedures = swag_style_query_procedures;
  plug_in_class->create_procedure = swag_style_create_procedure;
  plug_in_class->set_i18n         = swag_style_set_i18n;
}

static void
swag_style_init (SwagStyle *swag_style)
{
}

static GList *
swag_style_query_procedures (GimpPlugIn *plug_in)
{
  return g_list_append (NULL, g_strdup (PLUG_IN_PROC));
}

static gboolean
swag_style_set_i18n (GimpPlugIn   *plug_in,
                     const gchar  *procedure_name,
                     gchar       **gettext_domain,
                     gchar       **catalog_dir)
{
  /* The catalogs live in the plug-in folder's locale/ (GIMP's default). */
  *gettext_domain = g_strdup (GETTEXT_PACKAGE);

  return TRUE;
}

/* In a build with LeakSanitizer, reports what is unreachable now: called
 * when the procedure has been made and when a run ends, while GIMP's own
 * one-time allocations (its wire channels, the run's arguments, the
 * modules GEGL loaded, the procedure's argument specs) are still in use.
 * The tests turn the check at exit off: there libgimp's teardown leaves
 * some of those behind, with stacks that LeakSanitizer's suppressions
 * could only match by whole library (tests/gimp/README.md). */
static void
check_leaks (void)
{
#ifdef __SANITIZE_ADDRESS__
  __lsan_do_recoverable_leak_check ();
#endif
}

static GimpProcedure *
new_procedure (GimpPlugIn  *plug_in,
               const gchar *name)
{
  GimpProcedure *procedure;
  gchar         *help;

  procedure = gimp_image_procedure_new (plug_in, name,
                                        GIMP_PDB_PROC_TYPE_PLUGIN,
                                        swag_style_run, NULL, NULL);

  gimp_procedure_set_image_types (procedure, "RGB*, GRAY*");
  gimp_procedure_set_sensitivity_mask (procedure,
                                       GIMP_PROCEDURE_SENSITIVE_DRAWABLE |
                                       GIMP_PROCEDURE_SENSITIVE_DRAWABLES);

  /* TRANSLATORS: the menu item, in Filters > Artistic. */
  gimp_procedure_set_menu_label (procedure, _("SWAG Style _Transfer..."));
  gimp_procedure_add_menu_path (procedure, "<Image>/Filters/Artistic");

  /* TRANSLATORS: %s is the name of the parasite, "swag-style-settings". */
  help = g_strdup_printf (_("Paints each selected layer in the style of the "
                            "style layer by optimisation-based neural style "
                            "transfer with SWAG-smoothed activations (Wang, Li "
                            "and Vasconcelos, CVPR 2021). Each result is a new "
                            "layer named after the style layer, directly above "
                            "its content layer and of the same size and "
                            "offsets, masked by the selection when there is "
                            "one, with its settings in the parasite \"%s\". "
                            "Grayscale layers are stylised in colour and "
                            "written back as gray. Indexed images and layer "
                            "groups are refused."),
                          SWAG_PLUGIN_PARASITE);
  gimp_procedure_set_documentation (
    procedure,
    _("Paint layers in the style of another layer (neural style transfer)"),
    help,
    name);
  g_free (help);
  gimp_procedure_set_attribution (procedure,
                                  "the swag-style authors",
                                  "the swag-style authors, "
                                  "GPL-3.0-or-later",
                                  "2026");

  swag_plugin_add_arguments (procedure);
  swag_dialog_add_arguments (procedure);

  gimp_procedure_add_layer_return_value (procedure, "layer",
                                         _("Layer"),
                                         _("The new layer (for several "
                                           "selected layers, the first one's)"),
                                         FALSE, G_PARAM_READWRITE);
  gimp_procedure_add_core_object_array_return_value (procedure, "layers",
                                                     _("Layers"),
                                                     _("The new layers, one "
                                                       "per selected layer, "
                                                       "in their order"),
                                                     GIMP_TYPE_LAYER,
                                                     G_PARAM_READWRITE);

  return procedure;
}

static GimpProcedure *
swag_style_create_procedure (GimpPlugIn  *plug_in,
                             const gchar *name)
{
  GimpProcedure *procedure;

  if (strcmp (name, PLUG_IN_PROC) != 0)
    return NULL;

  procedure = new_procedure (plug_in, name);
  check_leaks ();

  return procedure;
}

/* Whether the image and the selected drawables can be stylised. */
static gboolean
check_input (GimpImage     *image,
             GimpDrawable **drawables,
             GError       **error)
{
  gsize n = gimp_core_object_array_get_length ((GObject **) drawables);

  if (gimp_image_get_base_type (image) == GIMP_INDEXED)
    {
      g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                   _("Indexed images cannot be stylised. Convert the image "
                     "to RGB or Grayscale first (Image > Mode)."));
      return FALSE;
    }

  if (n == 0)
    {
      g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                   _("No layer is selected: select the layers to stylise."));
      return FALSE;
    }

  for (gsize i = 0; i < n; i++)
    {
      GimpItem *item = GIMP_ITEM (drawables[i]);

      if (!GIMP_IS_LAYER (item))
        {
          g_autofree gchar *name = gimp_item_get_name (item);

          g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                       _("\"%s\" is not a layer: select the layers to "
                         "stylise."),
                       name);
          return FALSE;
        }

      if (gimp_item_is_group (item))
        {
          g_autofree gchar *name = gimp_item_get_name (item);

          g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                       _("\"%s\" is a layer group. Select layers inside it, "
                         "or merge the group first."),
                       name);
          return FALSE;
        }
    }

  return TRUE;
}

typedef struct
{
  int    index;    /* of the layer being stylised */
  int    n_layers;
  gint64 last_update;
  gchar *text;     /* the progress text, without the note */
  gchar *note;     /* the engine's note for this layer's run, or NULL */
  FILE  *log;      /* SWAG_PROGRESS_LOG, for the tests, or NULL */
} RunProgress;

/* Shows the progress text with the engine's note, if any: the note stays
 * until the layer is done, instead of giving way to the next iteration's
 * text a tenth of a second later. */
static void
show_progress_text (RunProgress *run)
{
  g_autofree gchar *full = NULL;

  if (run->note)
    /* TRANSLATORS: the progress text (e.g. "Scale 1 of 2: iteration 3 of
     * 30, loss 1.2"), then a note that stays until the layer is done (e.g.
     * "L-BFGS history reduced from 100 to 6 to fit in memory"). */
    full = g_strdup_printf (_("%s — %s"), run->text, run->note);

  gimp_progress_set_text (full ? full : run->text);

  if (run->log)
    {
      fprintf (run->log, "%s\n", full ? full : run->text);
      fflush (run->log);
    }
}

static gboolean
on_progress (const SwagProgress *progress,
             gpointer            user_data)
{
  RunProgress *run = user_data;
  gint64       now;
  int          done, total, scale, n_scales;

  if (progress->kind == SWAG_PROGRESS_MESSAGE)
    {
      if (progress->message)
        {
          g_free (run->note);
          run->note = g_strdup (progress->message);
          show_progress_text (run);
        }
      return TRUE;
    }

  if (progress->kind != SWAG_PROGRESS_EVALUATION)
    return TRUE;

  done     = progress->iteration + 1;
  total    = MAX (progress->total_iterations, 1);
  scale    = progress->scale + 1;
  n_scales = progress->n_scales;
  now      = g_get_monotonic_time ();
  if (done < total && now - run->last_update < PROGRESS_INTERVAL_US)
    return TRUE;
  run->last_update = now;

  g_free (run->text);
  if (run->n_layers > 1 && n_scales > 1)
    run->text = g_strdup_printf (_("Layer %d of %d, scale %d of %d: "
                                   "iteration %d of %d, loss %.4g"),
                                 run->index + 1, run->n_layers,
                                 scale, n_scales, done, total,
                                 progress->total);
  else if (run->n_layers > 1)
    run->text = g_strdup_printf (_("Layer %d of %d: iteration %d of %d, "
                                   "loss %.4g"),
                                 run->index + 1, run->n_layers,
                                 done, total, progress->total);
  else if (n_scales > 1)
    run->text = g_strdup_printf (_("Scale %d of %d: iteration %d of %d, "
                                   "loss %.4g"),
                                 scale, n_scales, done, total,
                                 progress->total);
  else
    run->text = g_strdup_printf (_("Iteration %d of %d, loss %.4g"),
                                 done, total, progress->total);
  show_progress_text (run);

  gimp_progress_update ((run->index + (double) done / total) / run->n_layers);

  return TRUE;
}

static void
free_images (SwagImage **images,
             gsize       n)
{
  for (gsize i = 0; i < n; i++)
    swag_image_free (images[i]);
  g_free (images);
}

/* Computes every result first (GIMP may close the plug-in at any time while
 * it runs), then adds the result layers in one undo group. Returns the new
 * layers, NULL-terminated, or NULL with @error set. */
static GimpLayer **
stylise (GimpImage           *image,
         GimpDrawable       **drawables,
         SwagPluginSettings  *settings,
         GError             **error)
{
  const SwagParams *params   = &settings->params;
  gsize             n        = gimp_core_object_array_get_length ((GObject **) drawables);
  SwagImage        *styles[2] = { NULL, NULL };
  double            blend[2]  = { 1.0 - settings->style_blend,
                                  settings->style_blend };
  int               n_styles = settings->style2 ? 2 : 1;
  SwagEstimate      estimate;
  gsize             failed   = 0;
  SwagImage       **results  = NULL;
  SwagNet          *net      = NULL;
  GimpLayer       **layers   = NULL;
  char             *json;
  RunProgress       progress = { 0, (int) n, 0, NULL, NULL, NULL };
  const gchar      *memory_limit;

  /* SWAG_MEMORY_LIMIT, in bytes, as swag-transfer's --memory-limit: a run
   * that needs more is made smaller (fewer L-BFGS pairs, with a note) or
   * refused. The GIMP tests bring about the note with it. */
  memory_limit = g_getenv ("SWAG_MEMORY_LIMIT");
  if (memory_limit && *memory_limit)
    {
      guint64 bytes;

      if (! g_ascii_string_to_unsigned (memory_limit, 10, 1, G_MAXUINT64,
                                        &bytes, NULL))
        {
          g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                       /* TRANSLATORS: %s is the variable's value. */
                       _("SWAG_MEMORY_LIMIT must be a number of bytes, not "
                         "\"%s\"."), memory_limit);
          return NULL;
        }
      settings->params.memory_limit = bytes;
    }

  if (!swag_params_validate (params, error))
    return NULL;

  /* Cheap checks first: the selection, then (below) sizes, the styles'
   * pixels and memory. */
  for (gsize i = 0; i < n; i++)
    {
      gint x, y, w, h;

      if (!gimp_drawable_mask_intersect (drawables[i], &x, &y, &w, &h))
        {
          g_autofree gchar *name = gimp_item_get_name (GIMP_ITEM (drawables[i]));

          g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                       _("The selection does not touch the layer \"%s\"."),
                       name);
          return NULL;
        }
    }

  /* The dialog's estimate, before any pixel is read. */
  if (!swag_plugin_estimate (settings, drawables, n, &estimate, &failed,
                             error))
    {
      g_autofree gchar *name = gimp_item_get_name (GIMP_ITEM (drawables[failed]));

      g_prefix_error (error, _("Cannot stylise \"%s\": "), name);
      return NULL;
    }

  styles[0] = swag_plugin_read_drawable (GIMP_DRAWABLE (settings->style),
                                         error);
  if (!styles[0])
    goto out;
  if (settings->style2)
    {
      styles[1] = swag_plugin_read_drawable (GIMP_DRAWABLE (settings->style2),
                                             error);
      if (!styles[1])
        goto out;
    }

  /* Every other check that needs neither the network nor the content's
   * pixels (a 1x1 or transparent style, sizes), before either is had:
   * building the network and reading a large layer take seconds. */
  for (gsize i = 0; i < n; i++)
    if (!swag_transfer_check_inputs (params,
                                     gimp_drawable_get_width (drawables[i]),
                                     gimp_drawable_get_height (drawables[i]),
                                     (const SwagImage *const *) styles,
                                     n_styles, error))
      {
        g_autofree gchar *name = gimp_item_get_name (GIMP_ITEM (drawables[i]));

        g_prefix_error (error, _("Cannot stylise \"%s\": "), name);
        goto out;
      }

  progress.text = g_strdup (_("SWAG style transfer"));
  gimp_progress_init (progress.text);
  if (g_getenv ("SWAG_PROGRESS_LOG"))
    progress.log = fopen (g_getenv ("SWAG_PROGRESS_LOG"), "a");

  net = swag_net_new (params, error);
  if (!net)
    goto out;

  results = g_new0 (SwagImage *, n);
  for (gsize i = 0; i < n; i++)
    {
      SwagImage *content;

      content = swag_plugin_read_drawable (drawables[i], error);
      if (!content)
        goto out;

      progress.index = (int) i;
      g_clear_pointer (&progress.note, g_free);
      results[i] = swag_transfer_run (net, content,
                                      (const SwagImage *const *) styles,
                                      n_styles == 2 ? blend : NULL, n_styles,
                                      params, on_progress, &progress,
                                      NULL, error);
      swag_image_free (content);

      if (!results[i])
        {
          g_autofree gchar *name = gimp_item_get_name (GIMP_ITEM (drawables[i]));

          g_prefix_error (error, _("Cannot stylise \"%s\": "), name);
          goto out;
        }
    }
  gimp_progress_update (1.0);

  /* Now, and only now, the image changes. */
  json   = swag_params_to_json (params);
  layers = g_new0 (GimpLayer *, n + 1);

  gimp_image_undo_group_start (image);
  for (gsize i = 0; i < n; i++)
    layers[i] = swag_plugin_add_result_layer (image, drawables[i],
                                              settings->style, results[i],
                                              json);
  gimp_image_set_selected_layers (image, (const GimpLayer **) layers);
  gimp_image_undo_group_end (image);

  g_free (json);

out:
  g_free (progress.text);
  g_free (progress.note);
  if (progress.log)
    fclose (progress.log);
  swag_net_free (net);
  if (results)
    free_images (results, n);
  swag_image_free (styles[0]);
  swag_image_free (styles[1]);

  return layers;
}

/* SWAG_TEST_LEAK=1, for the tests of a build with LeakSanitizer only:
 * leaks on purpose through GLib (a string, a GIOChannel as GIMP's wire
 * uses), libgimpbase (a value array) and libgimp (the array of layers a
 * PDB call returns), to show that each is still reported
 * (tests/gimp/cases/lsan-leak). */
static void
leak_on_purpose (GimpImage *image)
{
#ifdef __SANITIZE_ADDRESS__
  if (g_strcmp0 (g_getenv ("SWAG_TEST_LEAK"), "1") != 0)
    return;

  g_printerr ("swag-style: SWAG_TEST_LEAK=1: leaking on purpose\n");
  (void) g_strdup_printf ("leaked on purpose through %s", "g_strdup_printf");
  (void) g_io_channel_unix_new (0);
  (void) gimp_value_array_new (1);
  (void) gimp_image_get_layers (image);
#else
  (void) image;
#endif
}

static GimpValueArray *
run (GimpProcedure        *procedure,
     GimpRunMode           run_mode,
     GimpImage            *image,
     GimpDrawable        **drawables,
     GimpProcedureConfig  *config)
{
  SwagPluginSettings  settings = { 0 };
  GimpValueArray     *values;
  GimpLayer         **layers;
  GError             *error = NULL;

  gegl_init (NULL, NULL);
  swag_set_threads (0);
  leak_on_purpose (image);

  if (!check_input (image, drawables, &error))
    return gimp_procedure_new_return_values (procedure,
                                             GIMP_PDB_CALLING_ERROR, error);

  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    swag_plugin_restore_style_layers (config);

  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      GimpPDBStatusType status = swag_dialog_run (procedure, config,
                                                  drawables, &error);

      if (status != GIMP_PDB_SUCCESS)
        return gimp_procedure_new_return_values (procedure, status, error);
    }

  swag_plugin_remember_style_layers (config);

  if (!swag_plugin_settings_read (&settings, config, &error))
    {
      swag_plugin_settings_clear (&settings);
      return gimp_procedure_new_return_values (procedure,
                                               GIMP_PDB_CALLING_ERROR, error);
    }

  layers = stylise (image, drawables, &settings, &error);
  swag_plugin_settings_clear (&settings);

  if (!layers)
    return gimp_procedure_new_return_values (procedure,
                                             GIMP_PDB_EXECUTION_ERROR, error);

  values = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS,
                                             NULL);
  GIMP_VALUES_SET_LAYER (values, 1, layers[0]);
  GIMP_VALUES_TAKE_CORE_OBJECT_ARRAY (values, 2, layers);

  return values;
}

static GimpValueArray *
swag_style_run (GimpProcedure        *procedure,
                GimpRunMode           run_mode,
                GimpImage            *image,
                GimpDrawable        **drawables,
                GimpProcedureConfig  *config,
                gpointer              run_data)
{
  GimpValueArray *values = run (procedure, run_mode, image, drawables,
                                config);

  check_leaks ();

  return values;
}
