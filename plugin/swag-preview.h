/* swag-style: the dialog's live preview.
 *
 * The preview stylises a small copy of the content layer on a worker
 * thread, with its own network, and shows each image the optimisation
 * hands back as it comes. The worker never calls libgimp or GTK: the
 * dialog reads the pixels on the main thread and hands plain copies in;
 * frames come back to the main loop through idle callbacks. A change of
 * the inputs cancels the running worker at once (the engine checks after
 * every network layer) and starts a new one after a short pause.
 *
 * Everything here runs on the main thread except the worker itself.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#ifndef SWAG_PREVIEW_H
#define SWAG_PREVIEW_H

#include <gtk/gtk.h>

#include "swag.h"

G_BEGIN_DECLS

/* Longest side, in pixels, of the image the preview stylises: small, so
 * that a frame comes about every second on two cores. */
#define SWAG_PREVIEW_WORK_SIZE   160

/* Longest side of the preview on screen. */
#define SWAG_PREVIEW_SHOW_SIZE   256

/* At most this many loss evaluations per preview run. */
#define SWAG_PREVIEW_ITERATIONS  40

/* The pause after the last change before a new run starts. */
#define SWAG_PREVIEW_DEBOUNCE_MS 500

typedef struct _SwagPreview SwagPreview;

/* Called on the main thread after each frame is shown: @iteration
 * evaluations of @total are done. For the dialog's test hooks. */
typedef void (*SwagPreviewFrameFunc) (SwagPreview *preview,
                                      int          iteration,
                                      int          total,
                                      gpointer     user_data);

SwagPreview *swag_preview_new           (void);

/* Stops the worker (see swag_preview_stop) and frees everything. The
 * widget is destroyed with its parent. */
void         swag_preview_free          (SwagPreview *preview);

/* A vertical box: the picture in a frame, then a line of status. The
 * dialog packs the "Preview" toggle under it. */
GtkWidget   *swag_preview_get_widget    (SwagPreview *preview);

/* The drawing area alone, e.g. to find where it is in the dialog. */
GtkWidget   *swag_preview_get_area      (SwagPreview *preview);

/* The content to stylise, already small (at most SWAG_PREVIEW_WORK_SIZE on
 * its longest side); the preview takes it. @gray: show frames in gray,
 * as the result layer of a grayscale image will be. Restarts. */
void         swag_preview_set_content   (SwagPreview *preview,
                                         SwagImage   *content,
                                         gboolean     gray);

/* The style images, at most a few hundred pixels (taken; @style2 may be
 * NULL). Restarts. */
void         swag_preview_set_styles    (SwagPreview *preview,
                                         SwagImage   *style,
                                         SwagImage   *style2);

/* The settings of the full run (copied, strings included) and the second
 * style's share; the preview runs them smaller, and restarts only when
 * that smaller run changes. NULL with a @message (e.g. what is missing)
 * stops the preview and shows the message instead. */
void         swag_preview_set_params    (SwagPreview      *preview,
                                         const SwagParams *params,
                                         double            blend,
                                         const char       *message);

/* Off: no worker runs and the picture shows the content unchanged. */
void         swag_preview_set_enabled   (SwagPreview *preview,
                                         gboolean     enabled);

/* Cancels the worker and waits for it to end while the main loop keeps
 * running; for closing the dialog. A later change restarts it. */
void         swag_preview_stop          (SwagPreview *preview);

/* Whether a worker is running now. */
gboolean     swag_preview_is_running    (SwagPreview *preview);

void         swag_preview_set_frame_func (SwagPreview          *preview,
                                          SwagPreviewFrameFunc  func,
                                          gpointer              user_data);

/* How many times longer an evaluation takes here than the engine's
 * estimate (swag_transfer_estimate) says, as measured on the last preview
 * runs; 0 before a run has done a few evaluations. */
double       swag_preview_get_time_factor (SwagPreview *preview);

/* Renders @image scaled (bilinear) to @width x @height into @pixels,
 * (height, width, 4) 8-bit RGBA; in gray (Rec. 709 luma) when @gray. */
void         swag_preview_render          (const SwagImage *image,
                                           int              width,
                                           int              height,
                                           gboolean         gray,
                                           guchar          *pixels);

G_END_DECLS

#endif /* SWAG_PREVIEW_H */
