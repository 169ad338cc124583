/* swag-style: pixels in and out of GIMP layers, and the result layer.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#include <math.h>
#include <string.h>

#include <libgimp/gimp.h>
#include <glib/gi18n-lib.h>

#include "swag-layer.h"

/* The engine's pixel format. babl converts from and to every precision,
 * transfer curve (linear or perceptual), colour space and gray or RGB. */
#define SWAG_BABL_FORMAT "R'G'B'A float"

/* --------------------------------------------------- fixed-arithmetic path --
 *
 * babl chooses each conversion path by timing the candidates
 * (babl-fish-path.c), so two runs may convert the same layer by different
 * paths whose results differ in the last bit of a float. Measured in the
 * plug-in tests: in about one read in ten of an 8-bit layer, 544 of 16384
 * values were 6e-8 away from k/255, and L-BFGS's line search branched on
 * that bit (12 evaluations: 8.6/255 mean difference between two runs on
 * the same layer). So layers in GIMP's own sRGB space, of every precision,
 * are read here with fixed arithmetic, and 8-bit perceptual RGB layers are
 * written so too: the same layer always gives the same result, and an 8-bit
 * layer the same values as swag-transfer on its PNG (swag_u8_to_float and
 * swag_float_to_u8). Other spaces (an assigned colour profile) and
 * other models go through babl. */

typedef enum
{
  COMP_U8,
  COMP_U16,
  COMP_U32,
  COMP_HALF,
  COMP_FLOAT,
  COMP_DOUBLE
} CompType;

typedef struct
{
  CompType type;
  int      size;        /* bytes per component */
  int      n_colour;    /* 1 (gray) or 3 (RGB) */
  gboolean alpha;
  gboolean linear;      /* linear light, else the sRGB curve */
} Layout;

/* The layout of @format when the fixed path knows it: sRGB space, one
 * component type, straight alpha. */
static gboolean
layout_of (const Babl *format,
           Layout     *layout)
{
  static const struct
  {
    const char *name;
    int         n_colour;
    gboolean    alpha;
    gboolean    linear;
  } models[] = {
    { "RGB",     3, FALSE, TRUE  }, { "RGBA",     3, TRUE, TRUE  },
    { "R'G'B'",  3, FALSE, FALSE }, { "R'G'B'A",  3, TRUE, FALSE },
    { "R~G~B~",  3, FALSE, FALSE }, { "R~G~B~A",  3, TRUE, FALSE },
    { "Y",       1, FALSE, TRUE  }, { "YA",       1, TRUE, TRUE  },
    { "Y'",      1, FALSE, FALSE }, { "Y'A",      1, TRUE, FALSE },
    { "Y~",      1, FALSE, FALSE }, { "Y~A",      1, TRUE, FALSE },
  };
  static const struct
  {
    const char *name;
    CompType    type;
    int         size;
  } types[] = {
    { "u8", COMP_U8, 1 }, { "u16", COMP_U16, 2 }, { "u32", COMP_U32, 4 },
    { "half", COMP_HALF, 2 }, { "float", COMP_FLOAT, 4 },
    { "double", COMP_DOUBLE, 8 },
  };
  const char *model, *type;
  int         n;
  gsize       i;

  if (babl_format_get_space (format) != babl_space ("sRGB"))
    return FALSE;
  model = babl_get_name (babl_format_get_model (format));
  type  = babl_get_name (babl_format_get_type (format, 0));
  n     = babl_format_get_n_components (format);

  for (i = 0; i < G_N_ELEMENTS (models); i++)
    if (strcmp (model, models[i].name) == 0)
      break;
  if (i == G_N_ELEMENTS (models))
    return FALSE;
  layout->n_colour = models[i].n_colour;
  layout->alpha    = models[i].alpha;
  layout->linear   = models[i].linear;
  if (n != layout->n_colour + (layout->alpha ? 1 : 0))
    return FALSE;

  for (i = 0; i < G_N_ELEMENTS (types); i++)
    if (strcmp (type, types[i].name) == 0)
      break;
  if (i == G_N_ELEMENTS (types))
    return FALSE;
  layout->type = types[i].type;
  layout->size = types[i].size;

  for (int c = 1; c < n; c++)
    if (babl_format_get_type (format, c) != babl_format_get_type (format, 0))
      return FALSE;
  return babl_format_get_bytes_per_pixel (format) == n * layout->size;
}

/* IEEE binary16, exactly. */
static double
half_value (guint16 h)
{
  const int e = (h >> 10) & 31, m = h & 1023;
  double    v;

  if (e == 0)
    v = ldexp (m, -24);
  else if (e == 31)
    v = m ? NAN : INFINITY;
  else
    v = ldexp (m + 1024, e - 25);
  return (h & 0x8000) ? -v : v;
}

static double
component (const guint8 *p,
           CompType      type)
{
  guint16 u16;
  guint32 u32;
  float   f;
  double  d;

  switch (type)
    {
    case COMP_U8:
      return *p / 255.0;   /* as swag_u8_to_float, in double */
    case COMP_U16:
      memcpy (&u16, p, sizeof u16);
      return u16 / 65535.0;
    case COMP_U32:
      memcpy (&u32, p, sizeof u32);
      return u32 / 4294967295.0;
    case COMP_HALF:
      memcpy (&u16, p, sizeof u16);
      return half_value (u16);
    case COMP_FLOAT:
      memcpy (&f, p, sizeof f);
      return f;
    case COMP_DOUBLE:
      memcpy (&d, p, sizeof d);
      return d;
    }
  return 0.0;
}

/* The sRGB transfer curve (IEC 61966-2-1), odd-extended to negative values
 * as babl does; NaN stays NaN (the engine reads it as 0). */
static double
srgb_encode (double v)
{
  const double a = fabs (v);
  const double e = a <= 0.0031308 ? 12.92 * a
                                  : 1.055 * pow (a, 1.0 / 2.4) - 0.055;
  return v < 0.0 ? -e : e;
}

/* Rows per gegl_buffer_get of the fixed path. */
#define BAND_ROWS 64

static gboolean
read_fixed (GeglBuffer   *buffer,
            const Babl   *format,
            const Layout *layout,
            SwagImage    *image)
{
  const int    n_comp = layout->n_colour + (layout->alpha ? 1 : 0);
  const gsize  bpp = (gsize) n_comp * layout->size;
  const int    width = image->width;
  guint8      *band = g_try_malloc ((gsize) width * BAND_ROWS * bpp);

  if (!band)
    return FALSE;
  for (int y0 = 0; y0 < image->height; y0 += BAND_ROWS)
    {
      const int rows = MIN (BAND_ROWS, image->height - y0);

      gegl_buffer_get (buffer, GEGL_RECTANGLE (0, y0, width, rows), 1.0,
                       format, band, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
      for (gsize i = 0; i < (gsize) width * rows; i++)
        {
          const guint8 *p = band + i * bpp;
          float        *q = image->data + ((gsize) y0 * width + i) * 4;
          double        v[3] = { 0.0, 0.0, 0.0 };

          for (int c = 0; c < layout->n_colour; c++)
            {
              v[c] = component (p + (gsize) c * layout->size, layout->type);
              if (layout->linear)
                v[c] = srgb_encode (v[c]);
            }
          for (int c = 0; c < 3; c++)
            q[c] = (float) v[layout->n_colour == 3 ? c : 0];
          q[3] = layout->alpha
                 ? (float) component (p + (gsize) layout->n_colour * layout->size,
                                      layout->type)
                 : 1.0f;
        }
    }
  g_free (band);
  return TRUE;
}

/* 8-bit perceptual RGB(A) only: the usual layer, and the one the command
 * line can be compared with. */
static gboolean
write_fixed (GeglBuffer      *buffer,
             const Babl      *format,
             const SwagImage *image)
{
  Layout  layout;
  int     n_comp;
  guint8 *band;

  if (!layout_of (format, &layout) || layout.type != COMP_U8 ||
      layout.n_colour != 3 || layout.linear)
    return FALSE;
  n_comp = layout.alpha ? 4 : 3;
  band = g_try_malloc ((gsize) image->width * BAND_ROWS * n_comp);
  if (!band)
    return FALSE;
  for (int y0 = 0; y0 < image->height; y0 += BAND_ROWS)
    {
      const int rows = MIN (BAND_ROWS, image->height - y0);

      for (gsize i = 0; i < (gsize) image->width * rows; i++)
        {
          const float *p = image->data + ((gsize) y0 * image->width + i) * 4;

          for (int c = 0; c < n_comp; c++)
            band[i * n_comp + c] = swag_float_to_u8 (p[c]);
        }
      gegl_buffer_set (buffer, GEGL_RECTANGLE (0, y0, image->width, rows), 0,
                       format, band, GEGL_AUTO_ROWSTRIDE);
    }
  g_free (band);
  return TRUE;
}

/* ------------------------------------------------------------------ layers -- */

SwagImage *
swag_plugin_read_drawable (GimpDrawable *drawable,
                           GError      **error)
{
  GeglBuffer *buffer;
  SwagImage  *image;
  const Babl *format = gimp_drawable_get_format (drawable);
  Layout      layout;
  int         width  = gimp_drawable_get_width (drawable);
  int         height = gimp_drawable_get_height (drawable);

  image = swag_image_new (width, height, error);
  if (!image)
    return NULL;

  buffer = gimp_drawable_get_buffer (drawable);
  if (!layout_of (format, &layout) ||
      !read_fixed (buffer, format, &layout, image))
    gegl_buffer_get (buffer, GEGL_RECTANGLE (0, 0, width, height), 1.0,
                     babl_format (SWAG_BABL_FORMAT), image->data,
                     GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  g_object_unref (buffer);

  return image;
}

static void
write_drawable (GimpDrawable    *drawable,
                const SwagImage *image)
{
  GeglBuffer *buffer = gimp_drawable_get_buffer (drawable);

  if (!write_fixed (buffer, gimp_drawable_get_format (drawable), image))
    gegl_buffer_set (buffer,
                     GEGL_RECTANGLE (0, 0, image->width, image->height), 0,
                     babl_format (SWAG_BABL_FORMAT), image->data,
                     GEGL_AUTO_ROWSTRIDE);
  g_object_unref (buffer); /* flushes to GIMP */

  gimp_drawable_update (drawable, 0, 0, image->width, image->height);
}

GimpLayer *
swag_plugin_add_result_layer (GimpImage       *image,
                              GimpDrawable    *content,
                              GimpLayer       *style,
                              const SwagImage *result,
                              const char      *settings_json)
{
  GimpLayer    *layer;
  GimpItem     *parent;
  GimpParasite *parasite;
  gchar        *name;
  gchar        *style_name = gimp_item_get_name (GIMP_ITEM (style));
  gint          offset_x, offset_y;

  /* Translators: the name of the new layer; %s is the style layer's name. */
  name = g_strdup_printf (_("%s (SWAG)"), style_name);
  g_free (style_name);
  /* Same type as the content, so gray stays gray; the image decides the
   * precision. */
  layer = gimp_layer_new (image, name, result->width, result->height,
                          gimp_drawable_type (content), 100.0,
                          GIMP_LAYER_MODE_NORMAL);
  g_free (name);

  /* Directly above the content, in the same group. */
  parent = gimp_item_get_parent (GIMP_ITEM (content));
  gimp_image_insert_layer (image, layer,
                           parent ? GIMP_LAYER (parent) : NULL,
                           gimp_image_get_item_position (image,
                                                         GIMP_ITEM (content)));

  gimp_drawable_get_offsets (content, &offset_x, &offset_y);
  gimp_layer_set_offsets (layer, offset_x, offset_y);

  write_drawable (GIMP_DRAWABLE (layer), result);

  /* A mask from the selection: a feathered selection blends. */
  if (!gimp_selection_is_empty (image))
    gimp_layer_add_mask (layer,
                         gimp_layer_create_mask (layer,
                                                 GIMP_ADD_MASK_SELECTION));

  parasite = gimp_parasite_new (SWAG_PLUGIN_PARASITE,
                                GIMP_PARASITE_PERSISTENT |
                                GIMP_PARASITE_UNDOABLE,
                                strlen (settings_json) + 1, settings_json);
  gimp_item_attach_parasite (GIMP_ITEM (layer), parasite);
  gimp_parasite_free (parasite);

  return layer;
}
