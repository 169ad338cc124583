/* swag-style: the dialog's live preview.
 *
 * One worker thread at a time runs the engine on small copies of the
 * images (a Job). The main thread owns the SwagPreview; a Job is shared by
 * the main thread, its worker and the idle callbacks that carry its frames
 * back, and is reference counted. The worker and the main thread meet only
 * in the Job's cancel flag (atomic) and in its mutex-guarded mailbox, which
 * holds the newest frame: frames the main loop has not shown yet are
 * dropped, never queued, so a busy main loop never falls behind.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#include <math.h>
#include <string.h>

#include <libgimp/gimpui.h>
#include <glib/gi18n-lib.h>

#include "swag-preview.h"

/* ------------------------------------------------------ shared inputs -- */

/* An image that several jobs may read at once: immutable once made. */
typedef struct
{
  SwagImage *image;
} SharedImage;

static SharedImage *
shared_image_new (SwagImage *image)
{
  SharedImage *shared = g_atomic_rc_box_new0 (SharedImage);

  shared->image = image;

  return shared;
}

static void
shared_image_clear (gpointer data)
{
  SharedImage *shared = data;

  swag_image_free (shared->image);
}

static void
shared_image_unref (SharedImage *shared)
{
  if (shared)
    g_atomic_rc_box_release_full (shared, shared_image_clear);
}

static SharedImage *
shared_image_ref (SharedImage *shared)
{
  return shared ? g_atomic_rc_box_acquire (shared) : NULL;
}

/* SwagParams with its own copies of the strings it points to. */
typedef struct
{
  SwagParams  params;
  gchar      *weights;
  gchar      *style_layers;
  gchar      *content_layers;
  gchar      *smooth_layers;
  gchar     **weight_dirs;
} OwnedParams;

static OwnedParams *
owned_params_new (const SwagParams *params)
{
  OwnedParams *owned = g_new0 (OwnedParams, 1);
  SwagParams  *p     = &owned->params;

  *p = *params;
  owned->weights        = g_strdup (params->weights);
  owned->style_layers   = g_strdup (params->style_layers);
  owned->content_layers = g_strdup (params->content_layers);
  owned->smooth_layers  = g_strdup (params->smooth_layers);
  owned->weight_dirs    = g_strdupv ((gchar **) params->weight_dirs);

  p->weights        = owned->weights;
  p->style_layers   = owned->style_layers;
  p->content_layers = owned->content_layers;
  p->smooth_layers  = owned->smooth_layers;
  p->weight_dirs    = (const char *const *) owned->weight_dirs;

  return owned;
}

static void
owned_params_free (OwnedParams *owned)
{
  if (!owned)
    return;

  g_free (owned->weights);
  g_free (owned->style_layers);
  g_free (owned->content_layers);
  g_free (owned->smooth_layers);
  g_strfreev (owned->weight_dirs);
  g_free (owned);
}

/* ---------------------------------------------------------------- jobs -- */

typedef struct _Job Job;

struct _Job
{
  /* Set by the main thread before the worker starts; read-only then. */
  OwnedParams *params;
  SharedImage *content;
  SharedImage *styles[2];
  double       blend[2];
  int          n_styles;

  /* The worker's network: handed in when the last one can be reused,
   * handed back to the preview when the worker has ended. */
  SwagNet     *net;

  gint         cancel;        /* atomic: TRUE asks the worker to stop */
  GThread     *thread;        /* joined by the main thread */
  SwagPreview *preview;       /* main thread only */
  double       estimate;      /* the engine's seconds per evaluation */

  /* The mailbox: written by the worker, emptied by the main thread. */
  GMutex       lock;
  SwagImage   *frame;         /* newest image not shown yet, or NULL */
  int          iteration;     /* evaluations done */
  int          total;
  double       first_elapsed; /* seconds into the run at evaluation 1 */
  double       last_elapsed;  /* ... and at the newest evaluation */
  gboolean     idle_pending;  /* an idle callback will empty the box */
  SwagImage   *result;        /* the end of an uncancelled run */
  GError      *error;
};

static void
job_clear (gpointer data)
{
  Job *job = data;

  g_warn_if_fail (job->thread == NULL);

  owned_params_free (job->params);
  shared_image_unref (job->content);
  shared_image_unref (job->styles[0]);
  shared_image_unref (job->styles[1]);
  swag_net_free (job->net);
  swag_image_free (job->frame);
  swag_image_free (job->result);
  g_clear_error (&job->error);
  g_mutex_clear (&job->lock);
}

static Job *
job_ref (Job *job)
{
  return g_atomic_rc_box_acquire (job);
}

static void
job_unref (gpointer job)
{
  g_atomic_rc_box_release_full (job, job_clear);
}

static gboolean
job_cancelled (Job *job)
{
  return g_atomic_int_get (&job->cancel);
}

/* ------------------------------------------------------------ preview -- */

struct _SwagPreview
{
  GtkWidget            *box;
  GtkWidget            *frame;
  GtkWidget            *area;
  GtkWidget            *progress;
  GtkWidget            *status;

  /* The inputs of the next run. */
  SharedImage          *content;
  SharedImage          *styles[2];
  double                blend;
  OwnedParams          *params;   /* already made small */
  gchar                *params_key;
  gchar                *message;
  gboolean              gray;
  gboolean              enabled;

  Job                  *job;      /* the running worker's, or NULL */
  guint                 timer;    /* the pause before the next run */
  gboolean              restart;  /* run again when the worker has ended */
  SwagNet              *net;      /* the last worker's network, for reuse */
  double                time_factor; /* measured / estimated; 0: unknown */

  int                   show_width;
  int                   show_height;
  guchar               *pixels;   /* (show_height, show_width, 4) RGBA */

  SwagPreviewFrameFunc  frame_func;
  gpointer              frame_data;
};

static void     start_job         (SwagPreview *preview);
static gboolean frame_idle        (gpointer     data);
static gboolean job_finished_idle (gpointer     data);

static void
set_status (SwagPreview *preview,
            const char  *text,
            double       fraction)
{
  gtk_label_set_text (GTK_LABEL (preview->status), text ? text : "");

  if (fraction < 0.0)
    {
      gtk_widget_hide (preview->progress);
    }
  else
    {
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (preview->progress),
                                     CLAMP (fraction, 0.0, 1.0));
      gtk_widget_show (preview->progress);
    }
}

/* The value of @image at (x, y) in display coordinates, bilinear. */
static void
sample (const SwagImage *image,
        double           x,
        double           y,
        float            out[4])
{
  int    x0, y0, x1, y1;
  double fx, fy;

  x  = CLAMP (x, 0.0, image->width - 1.0);
  y  = CLAMP (y, 0.0, image->height - 1.0);
  x0 = (int) x;
  y0 = (int) y;
  x1 = MIN (x0 + 1, image->width - 1);
  y1 = MIN (y0 + 1, image->height - 1);
  fx = x - x0;
  fy = y - y0;

  for (int c = 0; c < 4; c++)
    {
      const float *d  = image->data;
      gsize        w  = (gsize) image->width;
      double       a  = d[((gsize) y0 * w + x0) * 4 + c];
      double       b  = d[((gsize) y0 * w + x1) * 4 + c];
      double       cc = d[((gsize) y1 * w + x0) * 4 + c];
      double       dd = d[((gsize) y1 * w + x1) * 4 + c];

      out[c] = (float) ((a * (1 - fx) + b * fx) * (1 - fy) +
                        (cc * (1 - fx) + dd * fx) * fy);
    }
}

static guchar
to_byte (double v)
{
  return (guchar) CLAMP (floor (v * 255.0 + 0.5), 0.0, 255.0);
}

void
swag_preview_render (const SwagImage *image,
                     int              width,
                     int              height,
                     gboolean         gray,
                     guchar          *pixels)
{
  /* Pixel centres map onto pixel centres. */
  double scale_x = (double) image->width / width;
  double scale_y = (double) image->height / height;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guchar *out = pixels + ((gsize) y * width + x) * 4;
        float   v[4];

        sample (image, (x + 0.5) * scale_x - 0.5, (y + 0.5) * scale_y - 0.5,
                v);

        if (gray)
          {
            /* Rec. 709 luma, as a grayscale result layer will show. */
            double luma = 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];

            v[0] = v[1] = v[2] = (float) luma;
          }

        out[0] = to_byte (v[0]);
        out[1] = to_byte (v[1]);
        out[2] = to_byte (v[2]);
        out[3] = to_byte (v[3]);
      }
}

/* Draws @image scaled to the preview's size. */
static void
show_image (SwagPreview     *preview,
            const SwagImage *image)
{
  int w = preview->show_width;
  int h = preview->show_height;

  if (!image || !preview->pixels)
    return;

  swag_preview_render (image, w, h, preview->gray, preview->pixels);
  gimp_preview_area_draw (GIMP_PREVIEW_AREA (preview->area), 0, 0, w, h,
                          GIMP_RGBA_IMAGE, preview->pixels, w * 4);
}

/* A preview area forgets its picture when it gets a size (the first time
 * when it is shown): draw it again. */
static void
area_allocated (GtkWidget     *area,
                GtkAllocation *allocation,
                SwagPreview   *preview)
{
  if (preview->pixels)
    gimp_preview_area_draw (GIMP_PREVIEW_AREA (area), 0, 0,
                            preview->show_width, preview->show_height,
                            GIMP_RGBA_IMAGE, preview->pixels,
                            preview->show_width * 4);
}

static void
show_content (SwagPreview *preview)
{
  if (preview->content)
    show_image (preview, preview->content->image);
}

static gboolean
can_run (SwagPreview *preview)
{
  return preview->enabled && preview->params && preview->content &&
         preview->styles[0];
}

/* What the preview shows when no worker will run. */
static void
show_idle (SwagPreview *preview)
{
  show_content (preview);

  if (!preview->enabled)
    set_status (preview, _("Turn on the preview to watch the style "
                           "appear."), -1.0);
  else
    set_status (preview, preview->message, -1.0);
}

/* ------------------------------------------------------------- worker -- */

/* Worker thread: leaves the newest frame in the mailbox and makes sure an
 * idle callback will pick it up. Takes @frame. */
static void
job_post (Job       *job,
          SwagImage *frame,
          int        iteration,
          int        total,
          double     elapsed)
{
  gboolean schedule;

  g_mutex_lock (&job->lock);
  if (iteration == 1)
    job->first_elapsed = elapsed;
  job->last_elapsed = elapsed;
  if (frame)
    {
      swag_image_free (job->frame);
      job->frame = frame;
    }
  job->iteration = iteration;
  job->total     = total;
  schedule       = !job->idle_pending;
  job->idle_pending = TRUE;
  g_mutex_unlock (&job->lock);

  if (schedule)
    g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, frame_idle,
                     job_ref (job), job_unref);
}

/* Worker thread. */
static gboolean
job_progress (const SwagProgress *progress,
              gpointer            user_data)
{
  Job *job = user_data;

  if (job_cancelled (job))
    return FALSE;

  if (progress->kind == SWAG_PROGRESS_EVALUATION)
    {
      /* The engine's image is borrowed: copy it. A failed copy only
       * skips a frame. */
      SwagImage *frame = progress->image ?
                         swag_image_copy (progress->image, NULL) : NULL;

      job_post (job, frame, progress->iteration + 1,
                progress->total_iterations, progress->elapsed);
    }

  return TRUE;
}

static gpointer
job_thread (gpointer data)
{
  Job             *job    = data;
  const SwagImage *styles[2];
  SwagImage       *result = NULL;
  GError          *error  = NULL;

  styles[0] = job->styles[0]->image;
  styles[1] = job->styles[1] ? job->styles[1]->image : NULL;

  /* Building a network is not cancellable; it is reused when the next
   * run's network settings are the same. */
  if (!job->net && !job_cancelled (job))
    job->net = swag_net_new (&job->params->params, &error);

  if (job->net && !job_cancelled (job))
    result = swag_transfer_run (job->net, job->content->image,
                                styles, job->n_styles == 2 ? job->blend : NULL,
                                job->n_styles, &job->params->params,
                                job_progress, job, NULL, &error);

  g_mutex_lock (&job->lock);
  job->result = result;
  job->error  = error;
  g_mutex_unlock (&job->lock);

  /* The last thing the worker does: the callback joins it. */
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, job_finished_idle,
                   job_ref (job), job_unref);

  return NULL;
}

/* ------------------------------------------------- back on the main loop -- */

/* Takes the newest frame out of @job's mailbox. */
static SwagImage *
job_take_frame (Job    *job,
                int    *iteration,
                int    *total,
                double *seconds)
{
  SwagImage *frame;

  g_mutex_lock (&job->lock);
  frame      = job->frame;
  job->frame = NULL;
  *iteration = job->iteration;
  *total     = job->total;
  /* Seconds per evaluation, without the start (the network, the style's
   * features). */
  *seconds   = job->iteration >= 3 ?
               (job->last_elapsed - job->first_elapsed) / (job->iteration - 1) :
               0.0;
  job->idle_pending = FALSE;
  g_mutex_unlock (&job->lock);

  return frame;
}

/* How much slower than the engine's estimate the preview runs here. */
static void
measure_speed (SwagPreview *preview,
               Job         *job,
               double       seconds)
{
  if (seconds > 0.0 && job->estimate > 0.0)
    preview->time_factor = seconds / job->estimate;
}

static void
frame_shown (SwagPreview *preview,
             int          iteration,
             int          total)
{
  if (preview->frame_func)
    preview->frame_func (preview, iteration, total, preview->frame_data);
}

static gboolean
frame_idle (gpointer data)
{
  Job         *job     = data;
  SwagPreview *preview = job->preview;
  SwagImage   *frame;
  int          iteration, total;
  double       seconds;

  frame = job_take_frame (job, &iteration, &total, &seconds);

  if (preview && preview->job == job && !job_cancelled (job) && total > 0)
    {
      gchar *text;

      measure_speed (preview, job, seconds);

      /* Translators: the preview's progress, e.g. "Iteration 3 of 40". */
      text = g_strdup_printf (_("Iteration %d of %d"), iteration, total);
      set_status (preview, text, (double) iteration / total);
      g_free (text);

      if (frame)
        {
          show_image (preview, frame);
          frame_shown (preview, iteration, total);
        }
    }

  swag_image_free (frame);

  return G_SOURCE_REMOVE;
}

static gboolean
job_finished_idle (gpointer data)
{
  Job         *job     = data;
  SwagPreview *preview = job->preview;
  SwagImage   *frame;
  int          iteration, total;
  double       seconds;

  /* The worker has posted this as its last act: the join is short. */
  g_thread_join (job->thread);
  job->thread = NULL;

  if (!preview || preview->job != job)
    return G_SOURCE_REMOVE;

  preview->job = NULL;
  job->preview = NULL;

  /* Keep the network for the next run. */
  swag_net_free (preview->net);
  preview->net = g_steal_pointer (&job->net);

  frame = job_take_frame (job, &iteration, &total, &seconds);

  if (!job_cancelled (job))
    {
      measure_speed (preview, job, seconds);

      if (job->error)
        {
          show_content (preview);
          set_status (preview, job->error->message, -1.0);
        }
      else if (job->result)
        {
          const SwagImage *result = job->result;
          gchar           *text;

          show_image (preview, result);
          text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               /* Translators: the preview
                                                * has ended; the numbers are
                                                * the iterations and the
                                                * size of the preview, e.g.
                                                * "Done: 40 iterations at
                                                * 160 × 106 pixels". */
                                               "Done: %d iteration at "
                                               "%d × %d pixels",
                                               "Done: %d iterations at "
                                               "%d × %d pixels",
                                               job->params->params.iterations),
                                  job->params->params.iterations,
                                  result->width, result->height);
          set_status (preview, text, -1.0);
          g_free (text);
          frame_shown (preview, job->params->params.iterations,
                       job->params->params.iterations);
        }
    }

  swag_image_free (frame);

  /* The reference the preview held. */
  job_unref (job);

  if (preview->restart)
    {
      preview->restart = FALSE;
      start_job (preview);
    }

  return G_SOURCE_REMOVE;
}

/* ---------------------------------------------------- starting, stopping -- */

static void
start_job (SwagPreview *preview)
{
  Job              *job;
  const SwagParams *p;
  SwagEstimate      estimate;
  GError           *error = NULL;

  g_return_if_fail (preview->job == NULL);

  if (!can_run (preview))
    {
      show_idle (preview);
      return;
    }

  job = g_atomic_rc_box_new0 (Job);
  g_mutex_init (&job->lock);
  job->preview    = preview;
  job->params     = owned_params_new (&preview->params->params);
  job->content    = shared_image_ref (preview->content);
  job->styles[0]  = shared_image_ref (preview->styles[0]);
  job->styles[1]  = shared_image_ref (preview->styles[1]);
  job->n_styles   = preview->styles[1] ? 2 : 1;
  job->blend[0]   = 1.0 - preview->blend;
  job->blend[1]   = preview->blend;

  p = &job->params->params;

  /* What the engine expects an evaluation to take, to compare with what
   * it does take: for the largest style, as the full run's estimate that
   * this ratio corrects (swag_plugin_estimate). */
  {
    const SwagImage *styles[2] = { job->styles[0]->image,
                                   job->styles[1] ? job->styles[1]->image
                                                  : NULL };
    const SwagImage *largest = swag_largest_image (styles, job->n_styles);

    if (swag_transfer_estimate (p, job->content->image->width,
                                job->content->image->height,
                                largest->width, largest->height,
                                &estimate, NULL) &&
        p->iterations > 0)
      job->estimate = estimate.seconds / p->iterations;
  }

  if (preview->net && swag_net_matches (preview->net, p))
    job->net = g_steal_pointer (&preview->net);
  else
    g_clear_pointer (&preview->net, swag_net_free);

  preview->job = job;
  set_status (preview, _("Starting…"), 0.0);

  job->thread = g_thread_try_new ("swag-preview", job_thread, job, &error);
  if (!job->thread)
    {
      preview->job = NULL;
      job->preview = NULL;
      set_status (preview, error->message, -1.0);
      g_clear_error (&error);
      job_unref (job);
    }
}

static gboolean
pause_over (gpointer data)
{
  SwagPreview *preview = data;

  preview->timer = 0;

  if (preview->job)
    preview->restart = TRUE; /* cancelled already; runs when it has ended */
  else
    start_job (preview);

  return G_SOURCE_REMOVE;
}

/* An input changed: stop the running worker now, run again after a
 * pause. */
static void
restart (SwagPreview *preview)
{
  if (preview->job)
    g_atomic_int_set (&preview->job->cancel, TRUE);

  g_clear_handle_id (&preview->timer, g_source_remove);
  preview->restart = FALSE;

  if (!can_run (preview))
    {
      show_idle (preview);
      return;
    }

  set_status (preview, _("Starting…"), 0.0);

  preview->timer = g_timeout_add (SWAG_PREVIEW_DEBOUNCE_MS, pause_over,
                                  preview);
}

/* ------------------------------------------------------------- the API -- */

SwagPreview *
swag_preview_new (void)
{
  SwagPreview *preview = g_new0 (SwagPreview, 1);

  preview->enabled = TRUE;

  preview->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  g_object_ref_sink (preview->box);

  preview->frame = gtk_frame_new (NULL);
  gtk_frame_set_shadow_type (GTK_FRAME (preview->frame), GTK_SHADOW_IN);
  gtk_widget_set_halign (preview->frame, GTK_ALIGN_CENTER);
  gtk_box_pack_start (GTK_BOX (preview->box), preview->frame,
                      FALSE, FALSE, 0);
  gtk_widget_show (preview->frame);

  preview->area = gimp_preview_area_new ();
  g_signal_connect_after (preview->area, "size-allocate",
                          G_CALLBACK (area_allocated), preview);
  gtk_container_add (GTK_CONTAINER (preview->frame), preview->area);
  gtk_widget_show (preview->area);

  preview->progress = gtk_progress_bar_new ();
  gtk_widget_set_no_show_all (preview->progress, TRUE);
  gtk_box_pack_start (GTK_BOX (preview->box), preview->progress,
                      FALSE, FALSE, 0);

  preview->status = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (preview->status), 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (preview->status), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (preview->status), 30);
  gimp_label_set_attributes (GTK_LABEL (preview->status),
                             PANGO_ATTR_SCALE, PANGO_SCALE_SMALL,
                             -1);
  gtk_box_pack_start (GTK_BOX (preview->box), preview->status,
                      FALSE, FALSE, 0);
  gtk_widget_show (preview->status);

  return preview;
}

void
swag_preview_free (SwagPreview *preview)
{
  if (!preview)
    return;

  swag_preview_stop (preview);

  swag_net_free (preview->net);
  shared_image_unref (preview->content);
  shared_image_unref (preview->styles[0]);
  shared_image_unref (preview->styles[1]);
  owned_params_free (preview->params);
  g_free (preview->params_key);
  g_free (preview->message);
  g_free (preview->pixels);
  g_object_unref (preview->box);
  g_free (preview);
}

GtkWidget *
swag_preview_get_widget (SwagPreview *preview)
{
  return preview->box;
}

GtkWidget *
swag_preview_get_area (SwagPreview *preview)
{
  return preview->area;
}

void
swag_preview_set_content (SwagPreview *preview,
                          SwagImage   *content,
                          gboolean     gray)
{
  int w, h;

  shared_image_unref (preview->content);
  preview->content = content ? shared_image_new (content) : NULL;
  preview->gray    = gray;

  /* The content's shape, scaled to fit a square of SHOW_SIZE. */
  if (content)
    swag_scale_size (content->width, content->height,
                     SWAG_PREVIEW_SHOW_SIZE, &w, &h);
  else
    w = h = SWAG_PREVIEW_SHOW_SIZE;

  if (w != preview->show_width || h != preview->show_height)
    {
      preview->show_width  = w;
      preview->show_height = h;
      g_free (preview->pixels);
      preview->pixels = g_new0 (guchar, (gsize) w * h * 4);
      gtk_widget_set_size_request (preview->area, w, h);
      gimp_preview_area_set_max_size (GIMP_PREVIEW_AREA (preview->area),
                                      w, h);
    }

  show_content (preview);
  restart (preview);
}

void
swag_preview_set_styles (SwagPreview *preview,
                         SwagImage   *style,
                         SwagImage   *style2)
{
  shared_image_unref (preview->styles[0]);
  shared_image_unref (preview->styles[1]);
  preview->styles[0] = style  ? shared_image_new (style)  : NULL;
  preview->styles[1] = style2 ? shared_image_new (style2) : NULL;

  restart (preview);
}

/* Everything that makes one preview run differ from another. */
static gchar *
params_key (const SwagParams *params,
            double            blend)
{
  gchar *json = swag_params_to_json (params);
  gchar *key  = g_strdup_printf ("%s %.9g", json, blend);

  g_free (json);

  return key;
}

void
swag_preview_set_params (SwagPreview      *preview,
                         const SwagParams *params,
                         double            blend,
                         const char       *message)
{
  OwnedParams *owned = NULL;
  gchar       *key   = NULL;

  if (params)
    {
      SwagParams *p;

      /* The full run's settings, smaller: the content is already small,
       * one scale, few evaluations, and an image back after each. */
      owned = owned_params_new (params);
      p = &owned->params;
      p->size          = SWAG_PREVIEW_WORK_SIZE;
      p->scales        = 1;
      p->iterations    = MIN (p->iterations, SWAG_PREVIEW_ITERATIONS);
      p->preview_every = 1;
      key = params_key (p, blend);
    }

  /* Settings the preview does not use (the working size, the number of
   * scales) leave the run alone. */
  if (g_strcmp0 (key, preview->params_key) == 0 &&
      g_strcmp0 (message, preview->message) == 0)
    {
      owned_params_free (owned);
      g_free (key);
      return;
    }

  owned_params_free (preview->params);
  preview->params = owned;
  g_free (preview->params_key);
  preview->params_key = key;
  preview->blend = blend;

  g_free (preview->message);
  preview->message = g_strdup (message);

  restart (preview);
}

void
swag_preview_set_enabled (SwagPreview *preview,
                          gboolean     enabled)
{
  enabled = enabled ? TRUE : FALSE;
  if (enabled == preview->enabled)
    return;

  preview->enabled = enabled;
  restart (preview);
}

void
swag_preview_stop (SwagPreview *preview)
{
  g_clear_handle_id (&preview->timer, g_source_remove);
  preview->restart = FALSE;

  if (!preview->job)
    return;

  g_atomic_int_set (&preview->job->cancel, TRUE);

  /* The engine looks at the flag after every network layer; the worker's
   * last idle callback clears preview->job. */
  while (preview->job)
    g_main_context_iteration (NULL, TRUE);
}

gboolean
swag_preview_is_running (SwagPreview *preview)
{
  return preview->job != NULL;
}

void
swag_preview_set_frame_func (SwagPreview          *preview,
                             SwagPreviewFrameFunc  func,
                             gpointer              user_data)
{
  preview->frame_func = func;
  preview->frame_data = user_data;
}

double
swag_preview_get_time_factor (SwagPreview *preview)
{
  return preview->time_factor;
}
