/* swag-style: the plug-in's dialog, with a live preview.
 *
 * A GimpProcedureDialog: every control is the procedure argument it sets.
 * The preview on the left stylises a small copy of the content layer as the
 * settings change (swag-preview.c). The controls come from the engine's
 * table of settings: those marked SWAG_SETTING_MAIN on the first page of a
 * notebook, the others, but for SWAG_SETTING_NO_DIALOG, on an "Advanced"
 * page in a section per group; below them, the time and memory the full
 * run will take (swag-estimate.c, as the run asks it).
 *
 * Controls whose argument has a mnemonic in its nick come from the
 * procedure dialog, which checks that no two of them (nor the dialog's own
 * buttons) share a letter; the few without one (there are not letters
 * enough) are made with the same property widgets directly.
 *
 * Only the main thread runs here; all state lives in a SwagDialog that
 * swag_dialog_run() owns.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <glib/gi18n-lib.h>

#include "swag.h"
#include "swag-config.h"
#include "swag-dialog.h"
#include "swag-estimate.h"
#include "swag-preview.h"

#define PLUG_IN_BINARY "swag-style"

/* The style layers are read this small for the preview; the engine scales
 * them again to the preview's size times the style scale. */
#define STYLE_READ_SIZE 512

/* The style pictures on the first page fit in a square this large. */
#define SWATCH_SIZE     144

/* The stall meter's tick, and the gaps between ticks it prints. */
#define STALL_TICK_MS   10
#define STALL_NOTE_US   50000

/* The engine's pixel format. */
#define SWAG_BABL_FORMAT "R'G'B'A float"

typedef struct
{
  GimpProcedure        *procedure;
  GimpProcedureConfig  *config;
  GimpDrawable        **drawables;        /* borrowed */
  gsize                 n_drawables;

  GtkWidget            *dialog;
  GtkWidget            *notebook;
  SwagPreview          *preview;
  GtkWidget            *estimate_icon;
  GtkWidget            *estimate_label;
  GtkWidget            *swatch_frame;
  GtkWidget            *swatches[2];      /* the style pictures */
  GtkWidget            *new_seed;
  GtkWidget            *clear_style2;
  GtkSizeGroup         *label_group;
  GHashTable           *controls;         /* property name -> widget */

  gboolean              thumbnails;       /* GIMP makes layer previews */
  gchar                *content_error;    /* why the preview has no content */
  gulong                notify_id;
  guint                 update_id;        /* coalesces config changes */
  gint                  style_ids[2];     /* layers the preview has; 0: none */

  /* The last estimate, and the preview's speed it was shown with. */
  double                estimate_seconds;
  guint64               estimate_peak;
  gboolean              estimate_valid;
  double                estimate_factor;

  /* Test hooks (see swag-dialog.h). */
  gchar                *test_dir;
  gboolean              stall_log;
  guint                 stall_id;
  gint64                stall_last;       /* last tick while the preview ran */
  gint64                stall_max;        /* longest gap between two ticks */
  gint64                stall_when;       /* when it ended */
  gint64                stall_busy;       /* time the preview ran */
  int                   frames;
  gint64                started;          /* when the dialog was made */
} SwagDialog;

/* ------------------------------------------------------------ tooltips -- */

typedef struct
{
  const char *property;
  const char *tooltip;
} Tooltip;

/* What each control does, in a user's words; the procedure's own
 * descriptions (the table's help, which a setting without a line here
 * shows) are written for scripts. */
static const Tooltip tooltips[] =
{
  { "style-layer",
    N_("The picture whose brush strokes, colours and textures are painted "
       "onto this layer. It may be a layer of any open image.") },
  { "backbone",
    N_("The network that looks at both pictures. The multi-scale texture "
       "network, first, keeps your picture and paints the style's strokes "
       "and colours; VGG-19 and ResNet-50 are the SWAG paper's networks.") },
  { "iterations",
    N_("How many steps the full run takes to paint. More steps take the "
       "style further, and take longer.") },
  { "style-strength",
    N_("How strongly the style wins over the layer's own picture: higher "
       "values paint more style, lower values keep more of the original.") },
  { "weights",
    N_("What the network has learnt: random weights from the seed (nothing "
       "to download), the pre-trained weights installed for this network, "
       "or a weights file of your choice.") },
  { "weights-file",
    N_("The .safetensors file with the network's weights, used when "
       "Weights is \"From a file\".") },
  { "seed",
    N_("The number behind the random weights and the starting noise: the "
       "same seed paints the same picture again.") },
  { "smoothing",
    N_("How the network's responses are smoothed before the styles are "
       "compared. Softmax (SWAG) is the paper's method and lets ResNets "
       "paint well; None is classic style transfer.") },
  { "temperature",
    N_("How soft the softmax smoothing is: higher values even the "
       "network's responses out more.") },
  { "alpha",
    N_("The factor the network's responses are multiplied by when "
       "Smoothing is \"Scale by alpha\".") },
  { "tv-weight",
    N_("Smooths the result: higher values remove fine noise and speckles, "
       "and some fine strokes with them.") },
  { "style-weight",
    N_("The paper's raw weight of the style. When this or the raw content "
       "weight is above 0, the two replace Style strength.") },
  { "content-weight",
    N_("The paper's raw weight of the layer's own picture. When this or "
       "the raw style weight is above 0, the two replace Style strength.") },
  { "size",
    N_("The size, in pixels on the longest side, at which the style is "
       "painted; the result is then scaled to the layer. Larger sizes show "
       "finer strokes and need more time and memory.") },
  { "scales",
    N_("Paint first small, then refine at larger sizes: more scales give a "
       "more coherent picture.") },
  { "optimizer",
    N_("The method that improves the picture step by step. L-BFGS needs "
       "fewer steps; Adam needs less memory.") },
  { "init",
    N_("The picture the painting starts from: this layer keeps its "
       "composition best; noise starts from scratch.") },
  { "preserve-colors",
    N_("Paint only the strokes and textures of the style and keep this "
       "layer's own colours.") },
  { "match-histogram",
    N_("Shift this layer's colours towards the style's before painting.") },
  { "style-scale",
    N_("How large the style's strokes and textures come out, relative to "
       "this layer: below 1 finer, above 1 coarser.") },
  { "style-layer-2",
    N_("An optional second picture whose style is mixed with the first.") },
  { "style-blend",
    N_("How much of the mix comes from the second style: 0 is the first "
       "style only, 1 the second only.") },
  { "preview",
    N_("Paint a small copy of the layer while you change the settings. The "
       "preview takes fewer steps at a smaller size than the full run.") },
};

static const char *
tooltip_for (const char *property)
{
  const SwagSetting *s = swag_setting_find (property);

  for (gsize i = 0; i < G_N_ELEMENTS (tooltips); i++)
    if (strcmp (tooltips[i].property, property) == 0)
      return _(tooltips[i].tooltip);

  return s ? _(s->help) : NULL;
}

/* ------------------------------------------------------------ numbers -- */

typedef struct
{
  const char *property;
  gboolean    slider;  /* a spin scale; else a spin button with a label */
  int         digits;
  double      step;
  double      page;
  double      lower;   /* the slider's range; typing may go beyond, */
  double      upper;   /* within the argument's own range            */
} NumberControl;

/* GIMP picks digits and steps from an argument's range, which suits few
 * of these (0.001 would show as "0.0" and step by 1); a number without a
 * line here gets GIMP's. */
static const NumberControl numbers[] =
{
  { "iterations",     TRUE,  0, 10.0,   100.0,  10.0, 1000.0 },
  { "style-strength", TRUE,  1, 0.5,    5.0,    0.0,  100.0  },
  { "size",           TRUE,  0, 16.0,   128.0,  64.0, 2048.0 },
  { "scales",         TRUE,  0, 1.0,    1.0,    1.0,  6.0    },
  { "style-scale",    TRUE,  2, 0.05,   0.25,   0.25, 4.0    },
  { "style-blend",    TRUE,  2, 0.05,   0.25,   0.0,  1.0    },
  { "seed",           FALSE, 0, 1.0,    100.0,  0.0,  0.0    },
  { "temperature",    FALSE, 3, 0.1,    1.0,    0.0,  0.0    },
  { "alpha",          FALSE, 5, 0.0001, 0.001,  0.0,  0.0    },
  { "tv-weight",      FALSE, 5, 0.0001, 0.001,  0.0,  0.0    },
  { "style-weight",   FALSE, 0, 1000.0, 1.0e5,  0.0,  0.0    },
  { "content-weight", FALSE, 2, 0.1,    1.0,    0.0,  0.0    },
};

static const NumberControl *
number_control (const char *property)
{
  for (gsize i = 0; i < G_N_ELEMENTS (numbers); i++)
    if (strcmp (numbers[i].property, property) == 0)
      return &numbers[i];

  return NULL;
}

static void
tune_number (GtkWidget           *widget,
             const NumberControl *number)
{
  if (GIMP_IS_SPIN_SCALE (widget))
    {
      gtk_spin_button_set_digits (GTK_SPIN_BUTTON (widget), number->digits);
      gtk_spin_button_set_increments (GTK_SPIN_BUTTON (widget),
                                      number->step, number->page);
      gimp_spin_scale_set_scale_limits (GIMP_SPIN_SCALE (widget),
                                        number->lower, number->upper);
    }
  else if (GIMP_IS_LABEL_SPIN (widget))
    {
      gimp_label_spin_set_digits (GIMP_LABEL_SPIN (widget), number->digits);
      gimp_label_spin_set_increments (GIMP_LABEL_SPIN (widget),
                                      number->step, number->page);
    }
}

/* ----------------------------------------------------------- controls -- */

static GParamSpec *
find_pspec (SwagDialog *d,
            const char *property)
{
  return g_object_class_find_property (G_OBJECT_GET_CLASS (d->config),
                                       property);
}

/* A control made directly from the property, for arguments without a
 * mnemonic (the procedure dialog would complain about each). */
static GtkWidget *
plain_control (SwagDialog          *d,
               const char          *property,
               const NumberControl *number)
{
  GParamSpec *pspec  = find_pspec (d, property);
  GObject    *config = G_OBJECT (d->config);
  const char *nick   = g_param_spec_get_nick (pspec);
  GType       type   = G_PARAM_SPEC_TYPE (pspec);

  if (type == G_TYPE_PARAM_BOOLEAN)
    return gimp_prop_check_button_new (config, property, nick);

  if (number && number->slider)
    return gimp_prop_spin_scale_new (config, property,
                                     number->step, number->page,
                                     number->digits);

  if (type == G_TYPE_PARAM_INT || type == G_TYPE_PARAM_DOUBLE)
    return gimp_prop_label_spin_new (config, property,
                                     number ? number->digits : 0);

  if (type == GIMP_TYPE_PARAM_CHOICE)
    return gimp_label_string_widget_new (nick,
                                         gimp_prop_choice_combo_box_new (config,
                                                                         property));

  g_return_val_if_reached (NULL);
}

static gboolean
refresh_chooser (gpointer data)
{
  GimpDrawableChooser *chooser = data;

  /* The dialog may have gone meanwhile. */
  if (!gtk_widget_get_realized (GTK_WIDGET (chooser)))
    return G_SOURCE_REMOVE;

  gimp_drawable_chooser_set_drawable (chooser,
                                      gimp_drawable_chooser_get_drawable (chooser));

  return G_SOURCE_REMOVE;
}

/* GIMP 3.0's drawable chooser fetches its thumbnail at the size its
 * picture has when the drawable is set, which is none before the dialog
 * is shown: set the drawable again once the picture has a size. */
static void
chooser_allocated (GtkWidget     *chooser,
                   GtkAllocation *allocation,
                   gpointer       data)
{
  g_signal_handlers_disconnect_by_func (chooser, chooser_allocated, data);
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, refresh_chooser,
                   g_object_ref (chooser), g_object_unref);
}

/* The control of @property, with its tooltip and number settings. */
static GtkWidget *
control (SwagDialog *d,
         const char *property)
{
  const NumberControl *number = number_control (property);
  GParamSpec          *pspec  = find_pspec (d, property);
  const char          *tip;
  GtkWidget           *widget;
  GtkWidget           *label  = NULL;

  g_return_val_if_fail (pspec != NULL, NULL);

  if (strchr (g_param_spec_get_nick (pspec), '_'))
    {
      GType type = G_TYPE_NONE;

      if (number && number->slider)
        type = GIMP_TYPE_SPIN_SCALE;
      else if (G_PARAM_SPEC_TYPE (pspec) == GIMP_TYPE_PARAM_CHOICE)
        type = GTK_TYPE_COMBO_BOX;

      widget = gimp_procedure_dialog_get_widget (GIMP_PROCEDURE_DIALOG (d->dialog),
                                                 property, type);
    }
  else
    {
      widget = plain_control (d, property, number);
    }

  g_return_val_if_fail (widget != NULL, NULL);

  if (number)
    tune_number (widget, number);

  tip = tooltip_for (property);
  if (tip)
    gimp_help_set_help_data (widget, tip, NULL);

  /* Labels line up across the dialog. */
  if (GIMP_IS_LABELED (widget))
    label = gimp_labeled_get_label (GIMP_LABELED (widget));
  else if (GIMP_IS_DRAWABLE_CHOOSER (widget))
    label = gimp_drawable_chooser_get_label (GIMP_DRAWABLE_CHOOSER (widget));
  else if (GIMP_IS_FILE_CHOOSER (widget))
    label = gimp_file_chooser_get_label_widget (GIMP_FILE_CHOOSER (widget));

  if (label)
    {
      gtk_label_set_xalign (GTK_LABEL (label), 0.0);
      gtk_size_group_add_widget (d->label_group, label);
    }

  if (GIMP_IS_DRAWABLE_CHOOSER (widget))
    g_signal_connect (widget, "size-allocate",
                      G_CALLBACK (chooser_allocated), NULL);

  gtk_widget_show (widget);
  g_hash_table_insert (d->controls, (gpointer) property, widget);

  return widget;
}

/* A titled group of controls. */
static GtkWidget *
section (const char *title,
         GtkWidget **box)
{
  GtkWidget *frame = gimp_frame_new (title);

  *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_container_add (GTK_CONTAINER (frame), *box);
  gtk_widget_show (*box);
  gtk_widget_show (frame);

  return frame;
}

static void
add (GtkWidget *box,
     GtkWidget *widget)
{
  gtk_box_pack_start (GTK_BOX (box), widget, FALSE, FALSE, 0);
  gtk_widget_show (widget);
}

static void
new_seed_clicked (GtkButton  *button,
                  SwagDialog *d)
{
  g_object_set (d->config, "seed", g_random_int_range (0, G_MAXINT), NULL);
}

static void
clear_style2_clicked (GtkButton  *button,
                      SwagDialog *d)
{
  g_object_set (d->config, "style-layer-2", NULL, NULL);
}

/* A control with a button on its right. */
static GtkWidget *
with_button (GtkWidget *widget,
             GtkWidget *button,
             gboolean   expand)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  gtk_box_pack_start (GTK_BOX (row), widget, expand, expand, 0);
  gtk_box_pack_start (GTK_BOX (row), button, FALSE, FALSE, 0);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_show (button);
  gtk_widget_show (row);

  return row;
}

static void swatch_allocated (GtkWidget     *area,
                              GtkAllocation *allocation,
                              gpointer       data);

/* The control(s) of a setting of the table: a FILE setting also has its
 * file chooser, the seed a button for a new one. */
static void
add_setting (SwagDialog        *d,
             GtkWidget         *box,
             const SwagSetting *s)
{
  if (s->type == SWAG_SETTING_SEED)
    {
      d->new_seed = gtk_button_new_with_label (_("New Seed"));
      gimp_help_set_help_data (d->new_seed,
                               _("Pick another seed, for another variation."),
                               NULL);
      g_signal_connect (d->new_seed, "clicked",
                        G_CALLBACK (new_seed_clicked), d);
      add (box, with_button (control (d, s->name), d->new_seed, TRUE));
      return;
    }

  add (box, control (d, s->name));

  if (s->type == SWAG_SETTING_FILE)
    {
      gchar *file = g_strconcat (s->name, "-file", NULL);

      /* The controls keep the name: the procedure's own copy. */
      add (box, control (d, g_param_spec_get_name (find_pspec (d, file))));
      g_free (file);
    }
}

/* Whether the dialog shows @s on the first page (@main) or the second. */
static gboolean
on_page (const SwagSetting *s,
         gboolean           main)
{
  if (s->flags & SWAG_SETTING_NO_DIALOG)
    return FALSE;

  return !(s->flags & SWAG_SETTING_MAIN) == !main;
}

static GtkWidget *
main_page (SwagDialog *d)
{
  GtkWidget         *page = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget         *swatches;
  GtkWidget         *box;
  GtkWidget         *hint;
  const SwagSetting *settings;
  int                n;

  gtk_container_set_border_width (GTK_CONTAINER (page), 12);

  add (page, control (d, "style-layer"));
  settings = swag_settings (&n);
  for (int i = 0; i < n; i++)
    if (on_page (&settings[i], TRUE))
      add_setting (d, page, &settings[i]);

  /* The styles, larger than the chooser shows them. */
  d->swatch_frame = section (_("Styles"), &box);
  gtk_widget_set_margin_top (d->swatch_frame, 12);
  swatches = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  for (int i = 0; i < 2; i++)
    {
      GtkWidget *frame = gtk_frame_new (NULL);

      gtk_frame_set_shadow_type (GTK_FRAME (frame), GTK_SHADOW_IN);
      gtk_widget_set_valign (frame, GTK_ALIGN_START);
      d->swatches[i] = gimp_preview_area_new ();
      g_signal_connect_after (d->swatches[i], "size-allocate",
                              G_CALLBACK (swatch_allocated), NULL);
      g_object_set (d->swatches[i],
                    "check-size", gimp_check_size (),
                    "check-type", gimp_check_type (),
                    NULL);
      gtk_container_add (GTK_CONTAINER (frame), d->swatches[i]);
      gtk_widget_show (d->swatches[i]);
      gtk_box_pack_start (GTK_BOX (swatches), frame, FALSE, FALSE, 0);
      gimp_help_set_help_data (frame,
                               i == 0 ? _("The style layer") :
                                        _("The second style layer (see the "
                                          "Advanced page)"),
                               NULL);
    }
  add (box, swatches);
  add (page, d->swatch_frame);

  hint = gtk_label_new (_("The network's weights, smoothing, colours and a "
                          "second style are on the Advanced page."));
  gtk_label_set_xalign (GTK_LABEL (hint), 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (hint), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (hint), 40);
  gimp_label_set_attributes (GTK_LABEL (hint),
                             PANGO_ATTR_STYLE, PANGO_STYLE_ITALIC,
                             -1);
  gtk_widget_set_margin_top (hint, 12);
  add (page, hint);

  gtk_widget_show (page);

  return page;
}

/* The Advanced page: a section per group of the table, the first half of
 * the groups (rounded up) in the left column, the rest and the second
 * style in the right one. */
static GtkWidget *
advanced_page (SwagDialog *d)
{
  GtkWidget         *page = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 18);
  GtkWidget         *columns[2];
  GtkWidget         *box;
  const SwagSetting *settings;
  int                n, n_groups = 0, placed = 0;
  gboolean           used[SWAG_N_GROUPS] = { FALSE };

  gtk_container_set_border_width (GTK_CONTAINER (page), 12);
  gtk_box_set_homogeneous (GTK_BOX (page), TRUE);
  for (int c = 0; c < 2; c++)
    {
      columns[c] = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
      gtk_box_pack_start (GTK_BOX (page), columns[c], TRUE, TRUE, 0);
      gtk_widget_show (columns[c]);
    }

  settings = swag_settings (&n);
  for (int i = 0; i < n; i++)
    if (on_page (&settings[i], FALSE) && !used[settings[i].group])
      {
        used[settings[i].group] = TRUE;
        n_groups++;
      }

  for (int g = 0; g < SWAG_N_GROUPS; g++)
    {
      if (!used[g])
        continue;

      add (columns[placed++ < (n_groups + 1) / 2 ? 0 : 1],
           section (_(swag_group_title (g)), &box));
      for (int i = 0; i < n; i++)
        if (on_page (&settings[i], FALSE) && settings[i].group == (SwagGroup) g)
          add_setting (d, box, &settings[i]);
    }

  add (columns[1], section (_("Second style"), &box));
  d->clear_style2 = gtk_button_new_with_label (_("Clear"));
  gimp_help_set_help_data (d->clear_style2,
                           _("Use the first style alone."), NULL);
  g_signal_connect (d->clear_style2, "clicked",
                    G_CALLBACK (clear_style2_clicked), d);
  add (box, with_button (control (d, "style-layer-2"), d->clear_style2,
                        FALSE));
  add (box, control (d, "style-blend"));

  gtk_widget_show (page);

  return page;
}

/* ------------------------------------------------------------- pixels -- */

/* The pixels of @drawable, at most @longest on its longest side, in the
 * engine's format. Main thread only (libgimp). GIMP's own layer previews
 * are quickest (GIMP scales, only the small copy crosses the pipe); when
 * GIMP makes none, GEGL scales the drawable's buffer here. */
static SwagImage *
read_small (SwagDialog    *d,
            GimpDrawable  *drawable,
            int            longest,
            GError       **error)
{
  int         width  = gimp_drawable_get_width (drawable);
  int         height = gimp_drawable_get_height (drawable);
  int         w, h;
  SwagImage  *image;
  GeglBuffer *buffer;

  swag_fit_size (width, height, longest, &w, &h);

  if (d->thumbnails)
    {
      const Babl *format = gimp_drawable_get_thumbnail_format (drawable);
      GBytes     *bytes;
      int         tw = 0, th = 0, bpp = 0;

      bytes = gimp_drawable_get_thumbnail_data (drawable, w, h,
                                                &tw, &th, &bpp);
      if (bytes && format && tw > 0 && th > 0 &&
          bpp == babl_format_get_bytes_per_pixel (format) &&
          g_bytes_get_size (bytes) >= (gsize) tw * th * bpp)
        {
          image = swag_image_new (tw, th, error);
          if (image)
            babl_process (babl_fish (format, babl_format (SWAG_BABL_FORMAT)),
                          g_bytes_get_data (bytes, NULL), image->data,
                          (long) tw * th);
          g_bytes_unref (bytes);

          return image;
        }

      g_clear_pointer (&bytes, g_bytes_unref);
    }

  image = swag_image_new (w, h, error);
  if (!image)
    return NULL;

  buffer = gimp_drawable_get_buffer (drawable);
  gegl_buffer_get (buffer, GEGL_RECTANGLE (0, 0, w, h), (double) w / width,
                   babl_format (SWAG_BABL_FORMAT), image->data,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_CLAMP);
  g_object_unref (buffer);

  return image;
}

/* Draws a style picture, also again when the area gets a size (a preview
 * area forgets its picture then). */
static void
swatch_allocated (GtkWidget     *area,
                  GtkAllocation *allocation,
                  gpointer       data)
{
  guchar *pixels = g_object_get_data (G_OBJECT (area), "swag-pixels");
  int     w = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (area),
                                                  "swag-width"));
  int     h = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (area),
                                                  "swag-height"));

  if (pixels)
    gimp_preview_area_draw (GIMP_PREVIEW_AREA (area), 0, 0, w, h,
                            GIMP_RGBA_IMAGE, pixels, w * 4);
}

/* Shows @image (or nothing) in the first page's style picture @i. */
static void
show_swatch (SwagDialog      *d,
             int              i,
             const SwagImage *image)
{
  GtkWidget *area  = d->swatches[i];
  GtkWidget *frame = gtk_widget_get_parent (area);
  guchar    *pixels;
  int        w, h;

  if (!image)
    {
      gtk_widget_hide (frame);
      if (i == 0)
        gtk_widget_hide (d->swatch_frame);
      return;
    }

  /* Small styles are shown larger too. */
  swag_scale_size (image->width, image->height, SWATCH_SIZE, &w, &h);

  pixels = g_new (guchar, (gsize) w * h * 4);
  swag_preview_render (image, w, h, FALSE, pixels);
  gtk_widget_set_size_request (area, w, h);
  gimp_preview_area_set_max_size (GIMP_PREVIEW_AREA (area), w, h);
  g_object_set_data (G_OBJECT (area), "swag-width", GINT_TO_POINTER (w));
  g_object_set_data (G_OBJECT (area), "swag-height", GINT_TO_POINTER (h));
  g_object_set_data_full (G_OBJECT (area), "swag-pixels", pixels, g_free);
  swatch_allocated (area, NULL, NULL);
  gtk_widget_show (frame);
  gtk_widget_show (d->swatch_frame);
}

/* Hands the preview the style layers' pixels when they changed. */
static gboolean
update_styles (SwagDialog                *d,
               const SwagPluginSettings  *settings,
               GError                   **error)
{
  GimpLayer *layers[2] = { settings->style, settings->style2 };
  SwagImage *images[2] = { NULL, NULL };
  gint       ids[2];

  for (int i = 0; i < 2; i++)
    ids[i] = layers[i] ? gimp_item_get_id (GIMP_ITEM (layers[i])) : 0;

  if (ids[0] == d->style_ids[0] && ids[1] == d->style_ids[1])
    return TRUE;

  for (int i = 0; i < 2; i++)
    {
      if (!layers[i])
        continue;

      images[i] = read_small (d, GIMP_DRAWABLE (layers[i]), STYLE_READ_SIZE,
                              error);
      if (!images[i])
        {
          swag_image_free (images[0]);
          return FALSE;
        }
    }

  show_swatch (d, 0, images[0]);
  show_swatch (d, 1, images[1]);
  swag_preview_set_styles (d->preview, images[0], images[1]);
  d->style_ids[0] = ids[0];
  d->style_ids[1] = ids[1];

  return TRUE;
}

/* ------------------------------------------------------------ estimate -- */

static gchar *
format_duration (double seconds)
{
  long s = MAX (1L, lround (seconds)), m;

  if (s < 60)
    /* Translators: a duration in seconds. */
    return g_strdup_printf (_("%ld s"), s);

  /* Whole minutes first, then hours: 3599 s is "1 h 0 min", not "60 min",
   * and 7199 s "2 h 0 min", not "1 h 60 min". */
  m = (s + 30) / 60;
  if (m < 60)
    /* Translators: a duration in minutes. */
    return g_strdup_printf (_("%ld min"), m);

  /* Translators: a duration in hours and minutes. */
  return g_strdup_printf (_("%ld h %ld min"), m / 60, m % 60);
}

static void
show_estimate (SwagDialog *d,
               const char *text,
               gboolean    problem)
{
  if (problem)
    d->estimate_valid = FALSE;

  gtk_label_set_text (GTK_LABEL (d->estimate_label), text);
  gtk_image_set_from_icon_name (GTK_IMAGE (d->estimate_icon),
                                problem ? GIMP_ICON_DIALOG_WARNING :
                                          GIMP_ICON_DIALOG_INFORMATION,
                                GTK_ICON_SIZE_BUTTON);
}

/* The last estimate, its time corrected by the speed the preview has
 * measured: the engine's estimate is a rough figure, the preview's speed
 * is this computer's, as busy as it is now. */
static void
show_full_run (SwagDialog *d)
{
  double  factor  = swag_preview_get_time_factor (d->preview);
  double  seconds = d->estimate_seconds;
  gchar  *duration, *memory, *text;

  if (!d->estimate_valid)
    return;

  if (factor > 0.0)
    seconds *= factor;
  d->estimate_factor = factor;

  duration = format_duration (seconds);
  memory   = g_format_size (d->estimate_peak);
  if (d->n_drawables > 1)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         /* Translators: the estimate of
                                          * the full run over several
                                          * layers, e.g. "Full run of 3
                                          * layers: about 2 min, 1.2 GB of
                                          * memory". */
                                         "Full run of %d layer: about %s, %s "
                                         "of memory",
                                         "Full run of %d layers: about %s, %s "
                                         "of memory",
                                         d->n_drawables),
                            (int) d->n_drawables, duration, memory);
  else
    /* Translators: e.g. "Full run: about 2 min, 1.2 GB of memory". */
    text = g_strdup_printf (_("Full run: about %s, %s of memory"),
                            duration, memory);

  show_estimate (d, text, FALSE);

  g_free (text);
  g_free (memory);
  g_free (duration);
}

/* The time and memory of the full run over every selected layer, as the
 * run itself asks it. FALSE with @error when it cannot run. */
static gboolean
update_estimate (SwagDialog                *d,
                 const SwagPluginSettings  *settings,
                 GError                   **error)
{
  SwagEstimate total;

  if (!swag_plugin_estimate (settings, d->drawables, d->n_drawables, &total,
                             NULL, error))
    return FALSE;

  d->estimate_seconds = total.seconds;
  d->estimate_peak    = total.peak_bytes;
  d->estimate_valid   = TRUE;
  show_full_run (d);

  return TRUE;
}

/* --------------------------------------------------------- the update -- */

static void
set_sensitive (GtkWidget *widget,
               gboolean   sensitive)
{
  if (widget)
    gtk_widget_set_sensitive (widget, sensitive);
}

static GtkWidget *
widget_of (SwagDialog *d,
           const char *property)
{
  return g_hash_table_lookup (d->controls, property);
}

static void
update_sensitivity (SwagDialog *d)
{
  GimpProcedureConfig *config = d->config;
  int                  smoothing, init;
  double               style_weight = 0.0, content_weight = 0.0;
  GimpLayer           *style2 = NULL;
  gchar               *weights = NULL;
  gboolean             seeded;

  smoothing = gimp_procedure_config_get_choice_id (config, "smoothing");
  init      = gimp_procedure_config_get_choice_id (config, "init");
  g_object_get (config,
                "weights",        &weights,
                "style-weight",   &style_weight,
                "content-weight", &content_weight,
                "style-layer-2",  &style2,
                NULL);

  set_sensitive (widget_of (d, "temperature"),
                 smoothing == SWAG_SMOOTHING_SOFTMAX ||
                 smoothing == SWAG_SMOOTHING_CHANNEL_SOFTMAX);
  set_sensitive (widget_of (d, "alpha"), smoothing == SWAG_SMOOTHING_SCALE);
  set_sensitive (widget_of (d, "weights-file"),
                 g_strcmp0 (weights, SWAG_PLUGIN_FILE_CHOICE) == 0);

  /* The seed makes the random weights and the starting noise. */
  seeded = g_strcmp0 (weights, "random") == 0 || init != SWAG_INIT_CONTENT;
  set_sensitive (widget_of (d, "seed"), seeded);
  set_sensitive (d->new_seed, seeded);

  set_sensitive (widget_of (d, "style-blend"), style2 != NULL);
  set_sensitive (d->clear_style2, style2 != NULL);

  /* Raw weights replace the style strength. */
  set_sensitive (widget_of (d, "style-strength"),
                 style_weight <= 0.0 && content_weight <= 0.0);

  g_clear_object (&style2);
  g_free (weights);
}

/* Pre-trained weights for a network that has none (the multi-scale
 * network, the ablations) are refused here, with the engine's message, so
 * that OK is not offered for a run that would fail at once. A missing file
 * of VGG-19 or ResNet-50 stays the run's to report: its message lists every
 * folder searched. */
static gboolean
check_weights (const SwagParams *p,
               GError          **error)
{
  if (p->weights && strcmp (p->weights, "pretrained") == 0 &&
      !swag_weights_file_name (p->backbone))
    {
      g_free (swag_weights_find (p->backbone, NULL, error));
      return FALSE;
    }

  return TRUE;
}

/* Everything that follows the settings: sensitivity, the preview's
 * inputs, the estimate, and whether OK can run. */
static void
update (SwagDialog *d)
{
  SwagPluginSettings  settings;
  GError             *error = NULL;
  GimpLayer          *style = NULL;
  gboolean            ok    = FALSE;

  update_sensitivity (d);

  g_object_get (d->config, "style-layer", &style, NULL);

  if (!style)
    {
      const char *text = _("Choose a style layer.");

      show_swatch (d, 0, NULL);
      show_swatch (d, 1, NULL);
      d->style_ids[0] = d->style_ids[1] = 0;
      show_estimate (d, text, TRUE);
      swag_preview_set_params (d->preview, NULL, 0.0, text);
    }
  else if (!swag_plugin_settings_read (&settings, d->config, &error) ||
           !swag_params_validate (&settings.params, &error) ||
           !check_weights (&settings.params, &error) ||
           !update_styles (d, &settings, &error))
    {
      show_estimate (d, error->message, TRUE);
      swag_preview_set_params (d->preview, NULL, 0.0, error->message);
      g_clear_error (&error);
    }
  else
    {
      /* The preview runs small, also when the full run would not fit. */
      swag_preview_set_params (d->preview, &settings.params,
                               settings.style2 ? settings.style_blend : 0.0,
                               d->content_error);

      ok = update_estimate (d, &settings, &error);
      if (!ok)
        {
          show_estimate (d, error->message, TRUE);
          g_clear_error (&error);
        }
    }

  if (style)
    swag_plugin_settings_clear (&settings);
  g_clear_object (&style);

  gtk_dialog_set_response_sensitive (GTK_DIALOG (d->dialog),
                                     GTK_RESPONSE_OK, ok);
}

static gboolean
update_idle (gpointer data)
{
  SwagDialog *d = data;

  d->update_id = 0;
  update (d);

  return G_SOURCE_REMOVE;
}

/* Many settings may change at once (Reset, Load Saved Settings): one
 * update for all of them. */
static void
config_notify (GObject    *config,
               GParamSpec *pspec,
               SwagDialog *d)
{
  if (strcmp (pspec->name, "preview") == 0)
    {
      gboolean enabled = TRUE;

      g_object_get (config, "preview", &enabled, NULL);
      swag_preview_set_enabled (d->preview, enabled);
      return;
    }

  if (!d->update_id)
    d->update_id = g_idle_add (update_idle, d);
}

/* ---------------------------------------------------------- test hooks -- */

static void
write_test_file (SwagDialog *d,
                 const char *name,
                 const char *text,
                 gboolean    append)
{
  gchar *path = g_build_filename (d->test_dir, name, NULL);
  FILE  *file = fopen (path, append ? "a" : "w");

  if (file)
    {
      fputs (text, file);
      fclose (file);
    }
  else
    {
      g_printerr ("swag-dialog: cannot write %s\n", path);
    }

  g_free (path);
}

static void
collect_mnemonics (GtkWidget *widget,
                   gpointer   data)
{
  GString *out = data;
  guint    key = GDK_KEY_VoidSymbol;
  gchar   *text = NULL;

  if (GTK_IS_LABEL (widget))
    {
      key  = gtk_label_get_mnemonic_keyval (GTK_LABEL (widget));
      text = g_strdup (gtk_label_get_text (GTK_LABEL (widget)));
    }
  else if (GIMP_IS_SPIN_SCALE (widget))
    {
      key  = gimp_spin_scale_get_mnemonic_keyval (GIMP_SPIN_SCALE (widget));
      text = g_strdup (gimp_spin_scale_get_label (GIMP_SPIN_SCALE (widget)));
    }

  if (key != GDK_KEY_VoidSymbol)
    g_string_append_printf (out, "%s\t%s\n",
                            gdk_keyval_name (gdk_keyval_to_lower (key)),
                            text ? text : "");
  g_free (text);

  /* Internal children too: buttons' labels, tabs, frame titles. */
  if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), collect_mnemonics, out);
}

static void
write_mnemonics (SwagDialog *d)
{
  GString *out = g_string_new (NULL);

  collect_mnemonics (d->dialog, out);
  write_test_file (d, "mnemonics.txt", out->str, FALSE);
  g_string_free (out, TRUE);
}

static void
frame_shown (SwagPreview *preview,
             int          iteration,
             int          total,
             gpointer     user_data)
{
  SwagDialog    *d    = user_data;
  GtkWidget     *area = swag_preview_get_area (preview);
  GtkWidget     *tab;
  GtkAllocation  allocation;
  gint           x = 0, y = 0;
  gchar         *text;
  double         factor = swag_preview_get_time_factor (preview);

  d->frames++;

  /* The estimate follows the speed the preview measures. */
  if (factor > 0.0 &&
      fabs (factor - d->estimate_factor) > 0.1 * d->estimate_factor)
    show_full_run (d);

  if (!d->test_dir)
    return;

  /* Where the picture is in the window, for comparing screenshots. */
  gtk_widget_get_allocation (area, &allocation);
  gtk_widget_translate_coordinates (area, gtk_widget_get_toplevel (area),
                                    0, 0, &x, &y);
  text = g_strdup_printf ("%d %d %d %d\n", x, y,
                          allocation.width, allocation.height);
  write_test_file (d, "preview-rect.txt", text, FALSE);
  g_free (text);

  /* Where to click for the Advanced page. */
  tab = gtk_notebook_get_tab_label (GTK_NOTEBOOK (d->notebook),
                                    gtk_notebook_get_nth_page (GTK_NOTEBOOK (d->notebook),
                                                               1));
  gtk_widget_get_allocation (tab, &allocation);
  gtk_widget_translate_coordinates (tab, gtk_widget_get_toplevel (tab),
                                    allocation.width / 2,
                                    allocation.height / 2, &x, &y);
  text = g_strdup_printf ("%d %d\n", x, y);
  write_test_file (d, "advanced-tab.txt", text, FALSE);
  g_free (text);

  text = g_strdup_printf ("frame %d iteration %d of %d at %.2f s\n",
                          d->frames, iteration, total,
                          (g_get_monotonic_time () - d->started) / 1e6);
  write_test_file (d, "frames.txt", text, TRUE);
  g_free (text);
}

/* Every tick, the time since the last one: the longest is how long the
 * main loop stalled (plus one tick) while the preview ran. */
static gboolean
stall_tick (gpointer data)
{
  SwagDialog *d   = data;
  gint64      now = g_get_monotonic_time ();

  if (swag_preview_is_running (d->preview))
    {
      if (d->stall_last)
        {
          if (now - d->stall_last > d->stall_max)
            {
              d->stall_max  = now - d->stall_last;
              d->stall_when = now;
            }
          d->stall_busy += now - d->stall_last;

          if (d->stall_log && now - d->stall_last > STALL_NOTE_US)
            g_printerr ("swag-dialog: the main loop stalled %.1f ms, "
                        "%.2f s after the dialog was made\n",
                        (now - d->stall_last) / 1000.0,
                        (now - d->started) / 1e6);
        }
      d->stall_last = now;
    }
  else
    {
      d->stall_last = 0;
    }

  return G_SOURCE_CONTINUE;
}

static void
report_stall (SwagDialog *d)
{
  gchar *text;

  text = g_strdup_printf ("longest gap between %d ms ticks while the "
                          "preview ran: %.1f ms, ending %.2f s after the "
                          "dialog was made (over %.1f s, %d frames)\n",
                          STALL_TICK_MS, d->stall_max / 1000.0,
                          (d->stall_when - d->started) / 1e6,
                          d->stall_busy / 1e6, d->frames);
  if (d->stall_log)
    g_printerr ("swag-dialog: %s", text);
  if (d->test_dir)
    {
      gchar *line = g_strdup_printf ("%.1f %.1f %d\n", d->stall_max / 1000.0,
                                     d->stall_busy / 1e6, d->frames);

      write_test_file (d, "stall.txt", line, FALSE);
      g_free (line);
    }
  g_free (text);
}

/* ------------------------------------------------------------- the run -- */

void
swag_dialog_add_arguments (GimpProcedure *procedure)
{
  gimp_procedure_add_boolean_aux_argument (procedure, "preview",
                                           _("_Preview"),
                                           _("Show a live preview in the "
                                             "dialog"),
                                           TRUE, G_PARAM_READWRITE);
}

static void
build (SwagDialog *d)
{
  GtkWidget *hbox, *left, *right, *notebook, *row, *toggle;
  GtkWidget *content_area;

  d->dialog = gimp_procedure_dialog_new (d->procedure, d->config,
                                         _("SWAG Style Transfer"));
  d->label_group = gtk_size_group_new (GTK_SIZE_GROUP_HORIZONTAL);

  hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 18);
  gtk_container_set_border_width (GTK_CONTAINER (hbox), 0);

  /* The preview, with its toggle under it. */
  left = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_box_pack_start (GTK_BOX (left), swag_preview_get_widget (d->preview),
                      FALSE, FALSE, 0);
  gtk_widget_show (swag_preview_get_widget (d->preview));
  toggle = gimp_procedure_dialog_get_widget (GIMP_PROCEDURE_DIALOG (d->dialog),
                                             "preview", GTK_TYPE_CHECK_BUTTON);
  gimp_help_set_help_data (toggle, tooltip_for ("preview"), NULL);
  add (left, toggle);
  gtk_widget_set_size_request (left, SWAG_PREVIEW_SHOW_SIZE, -1);
  gtk_box_pack_start (GTK_BOX (hbox), left, FALSE, FALSE, 0);
  gtk_widget_show (left);

  g_object_set (swag_preview_get_area (d->preview),
                "check-size", gimp_check_size (),
                "check-type", gimp_check_type (),
                NULL);

  /* The settings, and the estimate of the full run under them. */
  right = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_box_pack_start (GTK_BOX (hbox), right, TRUE, TRUE, 0);
  gtk_widget_show (right);

  notebook = d->notebook = gtk_notebook_new ();
  gtk_notebook_append_page (GTK_NOTEBOOK (notebook), main_page (d),
                            gtk_label_new (_("Style")));
  gtk_notebook_append_page (GTK_NOTEBOOK (notebook), advanced_page (d),
                            gtk_label_new (_("Advanced")));
  gtk_box_pack_start (GTK_BOX (right), notebook, TRUE, TRUE, 0);
  gtk_widget_show (notebook);

  row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  d->estimate_icon = gtk_image_new ();
  gtk_widget_set_valign (d->estimate_icon, GTK_ALIGN_START);
  gtk_box_pack_start (GTK_BOX (row), d->estimate_icon, FALSE, FALSE, 0);
  gtk_widget_show (d->estimate_icon);
  d->estimate_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (d->estimate_label), 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (d->estimate_label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (d->estimate_label), 60);
  gimp_help_set_help_data (d->estimate_label,
                           _("What OK will take: the time, corrected by "
                             "how fast the preview runs on this computer, "
                             "and the memory at the busiest moment."),
                           NULL);
  gtk_box_pack_start (GTK_BOX (row), d->estimate_label, TRUE, TRUE, 0);
  gtk_widget_show (d->estimate_label);
  gtk_box_pack_start (GTK_BOX (right), row, FALSE, FALSE, 0);
  gtk_widget_show (row);

  content_area = gtk_dialog_get_content_area (GTK_DIALOG (d->dialog));
  gtk_box_pack_start (GTK_BOX (content_area), hbox, TRUE, TRUE, 0);
  gtk_widget_show (hbox);
}

/* The content the preview stylises: the first selected layer, small. */
static void
set_preview_content (SwagDialog   *d,
                     GimpDrawable *drawable)
{
  GError    *error = NULL;
  SwagImage *content;

  content = read_small (d, drawable, SWAG_PREVIEW_WORK_SIZE, &error);
  if (!content)
    {
      d->content_error = g_strdup (error->message);
      g_clear_error (&error);
    }

  swag_preview_set_content (d->preview, content,
                            gimp_drawable_is_gray (drawable));
}

GimpPDBStatusType
swag_dialog_run (GimpProcedure        *procedure,
                 GimpProcedureConfig  *config,
                 GimpDrawable        **drawables,
                 GError              **error)
{
  SwagDialog  d       = { 0 };
  gboolean    enabled = TRUE;
  gboolean    run;
  gchar      *previews;

  /* gimp_ui_init() exits the plug-in when there is no display, e.g. an
   * interactive call from gimp-console. */
  if (!gtk_init_check (NULL, NULL))
    {
      g_set_error (error, GIMP_PLUG_IN_ERROR, 0,
                   _("The dialog needs a display. Without one, call the "
                     "procedure with RUN-NONINTERACTIVE."));
      return GIMP_PDB_CALLING_ERROR;
    }
  gimp_ui_init (PLUG_IN_BINARY);

  d.started     = g_get_monotonic_time ();
  d.procedure   = procedure;
  d.config      = config;
  d.drawables   = drawables;
  d.n_drawables = gimp_core_object_array_get_length ((GObject **) drawables);
  d.controls    = g_hash_table_new (g_str_hash, g_str_equal);
  d.test_dir    = g_strdup (g_getenv ("SWAG_DIALOG_TEST_DIR"));
  d.stall_log   = g_strcmp0 (g_getenv ("SWAG_DIALOG_STALL_LOG"), "1") == 0;
  if (d.test_dir && !*d.test_dir)
    g_clear_pointer (&d.test_dir, g_free);

  /* With layer previews turned off, GIMP's thumbnails are icons. */
  previews = gimp_gimprc_query ("layer-previews");
  d.thumbnails = g_strcmp0 (previews, "no") != 0;
  g_free (previews);

  d.preview = swag_preview_new ();
  build (&d);

  g_object_get (config, "preview", &enabled, NULL);
  swag_preview_set_enabled (d.preview, enabled);
  set_preview_content (&d, drawables[0]);
  update (&d);
  d.notify_id = g_signal_connect (config, "notify",
                                  G_CALLBACK (config_notify), &d);

  swag_preview_set_frame_func (d.preview, frame_shown, &d);
  if (d.test_dir)
    write_mnemonics (&d);
  if (d.test_dir || d.stall_log)
    d.stall_id = g_timeout_add (STALL_TICK_MS, stall_tick, &d);

  run = gimp_procedure_dialog_run (GIMP_PROCEDURE_DIALOG (d.dialog));

  /* The preview stops before the full run, which must not share the
   * processor with it. */
  g_signal_handler_disconnect (config, d.notify_id);
  g_clear_handle_id (&d.update_id, g_source_remove);
  gtk_widget_hide (d.dialog);
  swag_preview_stop (d.preview);

  if (d.stall_id)
    {
      g_clear_handle_id (&d.stall_id, g_source_remove);
      report_stall (&d);
    }

  gtk_widget_destroy (d.dialog);
  swag_preview_free (d.preview);
  g_hash_table_unref (d.controls);
  g_object_unref (d.label_group);
  g_free (d.content_error);
  g_free (d.test_dir);

  return run ? GIMP_PDB_SUCCESS : GIMP_PDB_CANCEL;
}
