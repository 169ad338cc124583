/* swag-style: pixels in and out of GIMP layers, and the result layer.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#include <string.h>

#include <libgimp/gimp.h>
#include <glib/gi18n-lib.h>

#include "swag-layer.h"

/* The engine's pixel format. babl converts from and to every precision,
 * transfer curve (linear or perceptual), colour space and gray or RGB. */
#define SWAG_BABL_FORMAT "R'G'B'A float"

SwagImage *
swag_plugin_read_drawable (GimpDrawable *drawable,
                           GError      **error)
{
  GeglBuffer *buffer;
  SwagImage  *image;
  int         width  = gimp_drawable_get_width (drawable);
  int         height = gimp_drawable_get_height (drawable);

  image = swag_image_new (width, height, error);
  if (! image)
    return NULL;

  buffer = gimp_drawable_get_buffer (drawable);
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
  if (! gimp_selection_is_empty (image))
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
