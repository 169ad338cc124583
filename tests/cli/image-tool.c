/* image-tool.c: what the command line tests need to look inside images,
 * through gdk-pixbuf, independently of swag-transfer's own code.
 * GPL-3.0-or-later.
 *
 *   image-tool info FILE       prints "FORMAT WIDTH HEIGHT CHANNELS"
 *   image-tool compare A B     prints "MEAN_RGB_DIFF MAX_RGB_DIFF MAX_ALPHA_DIFF"
 *                              (0..255 units; same size required; a missing
 *                              alpha channel counts as 255)
 *   image-tool convert IN OUT  re-encodes IN as OUT's type (.png, .jpg) */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static GdkPixbuf *
load (const char *path)
{
  GError    *err = NULL;
  GdkPixbuf *pb = gdk_pixbuf_new_from_file (path, &err);

  if (!pb)
    {
      fprintf (stderr, "image-tool: %s: %s\n", path, err->message);
      exit (1);
    }
  return pb;
}

static int
info (const char *path)
{
  GdkPixbufFormat *f = gdk_pixbuf_get_file_info (path, NULL, NULL);
  GdkPixbuf       *pb = load (path);
  char            *name = f ? gdk_pixbuf_format_get_name (f) : g_strdup ("?");

  printf ("%s %d %d %d\n", name, gdk_pixbuf_get_width (pb),
          gdk_pixbuf_get_height (pb), gdk_pixbuf_get_n_channels (pb));
  g_free (name);
  g_object_unref (pb);
  return 0;
}

static int
compare (const char *a_path, const char *b_path)
{
  GdkPixbuf *a = load (a_path), *b = load (b_path);
  int        w = gdk_pixbuf_get_width (a), h = gdk_pixbuf_get_height (a);
  int        na = gdk_pixbuf_get_n_channels (a), nb = gdk_pixbuf_get_n_channels (b);
  double     sum = 0;
  int        max_rgb = 0, max_alpha = 0;

  if (w != gdk_pixbuf_get_width (b) || h != gdk_pixbuf_get_height (b))
    {
      fprintf (stderr, "image-tool: sizes differ\n");
      return 1;
    }
  for (int y = 0; y < h; y++)
    {
      const guint8 *ra = gdk_pixbuf_read_pixels (a) + (gsize) y * gdk_pixbuf_get_rowstride (a);
      const guint8 *rb = gdk_pixbuf_read_pixels (b) + (gsize) y * gdk_pixbuf_get_rowstride (b);
      for (int x = 0; x < w; x++)
        {
          int aa = na == 4 ? ra[4 * x + 3] : 255, ab = nb == 4 ? rb[4 * x + 3] : 255;
          for (int c = 0; c < 3; c++)
            {
              int d = abs (ra[na * x + c] - rb[nb * x + c]);
              sum += d;
              max_rgb = MAX (max_rgb, d);
            }
          max_alpha = MAX (max_alpha, abs (aa - ab));
        }
    }
  printf ("%.4f %d %d\n", sum / (3.0 * w * h), max_rgb, max_alpha);
  g_object_unref (a);
  g_object_unref (b);
  return 0;
}

static int
convert (const char *in, const char *out)
{
  GdkPixbuf  *pb = load (in);
  GError     *err = NULL;
  const char *type = g_str_has_suffix (out, ".png") ? "png" : "jpeg";
  gboolean    ok;

  if (strcmp (type, "jpeg") == 0 && gdk_pixbuf_get_has_alpha (pb))
    {
      /* JPEG has no alpha: drop it. */
      GdkPixbuf *rgb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8,
                                       gdk_pixbuf_get_width (pb),
                                       gdk_pixbuf_get_height (pb));
      gdk_pixbuf_composite_color (pb, rgb, 0, 0, gdk_pixbuf_get_width (pb),
                                  gdk_pixbuf_get_height (pb), 0, 0, 1, 1,
                                  GDK_INTERP_NEAREST, 255, 0, 0, 8,
                                  0xffffff, 0xffffff);
      g_object_unref (pb);
      pb = rgb;
    }
  ok = gdk_pixbuf_save (pb, out, type, &err, NULL);
  if (!ok)
    {
      fprintf (stderr, "image-tool: %s: %s\n", out, err->message);
      return 1;
    }
  g_object_unref (pb);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "info") == 0)
    return info (argv[2]);
  if (argc == 4 && strcmp (argv[1], "compare") == 0)
    return compare (argv[2], argv[3]);
  if (argc == 4 && strcmp (argv[1], "convert") == 0)
    return convert (argv[2], argv[3]);
  fprintf (stderr, "usage: image-tool info FILE | compare A B | convert IN OUT\n");
  return 2;
}
