/* swag-cli-image.c: PNG and JPEG files to SwagImage and back. GPL-3.0-or-later. */
#include "swag-cli-image.h"

#include <errno.h>
#include <fcntl.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Larger than any PNG or JPEG the engine could process: the float image alone
 * would need many gigabytes before that. Guards against reading a huge file
 * given by mistake. */
#define MAX_FILE_BYTES ((gsize) 1 << 30)

CliFormat
cli_format_from_name (const char *path)
{
  const char *dot = strrchr (path, '.');
  const char *slash = strrchr (path, G_DIR_SEPARATOR);

  if (!dot || (slash && dot < slash))
    return CLI_FORMAT_NONE;
  if (g_ascii_strcasecmp (dot, ".png") == 0)
    return CLI_FORMAT_PNG;
  if (g_ascii_strcasecmp (dot, ".jpg") == 0
      || g_ascii_strcasecmp (dot, ".jpeg") == 0)
    return CLI_FORMAT_JPEG;
  return CLI_FORMAT_NONE;
}

/* The whole file, refusing what is not a regular file (a folder, or a pipe
 * that would block) and empty files, with messages that name it once. */
static guint8 *
read_file (const char *path, const char *shown, gsize *len, GError **error)
{
  struct stat st;
  guint8     *data;
  gsize       got = 0;
  int         fd;

  /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
  fd = g_open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID, "%s: %s", shown,
                   g_strerror (e));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   _("%s: not a regular file"), shown);
      close (fd);
      return NULL;
    }
  if (st.st_size == 0)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   _("%s: the file is empty"), shown);
      close (fd);
      return NULL;
    }
  if ((guint64) st.st_size > MAX_FILE_BYTES)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   _("%s: the file is too large (%.0f MiB)"), shown,
                   st.st_size / 1048576.0);
      close (fd);
      return NULL;
    }
  data = g_try_malloc ((gsize) st.st_size);
  if (!data)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                   _("%s: out of memory"), shown);
      close (fd);
      return NULL;
    }
  /* The size from fstat, not read to EOF: a file that grows meanwhile is
   * read as it was. */
  while (got < (gsize) st.st_size)
    {
      ssize_t n = read (fd, data + got, (gsize) st.st_size - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int e = errno;
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID, "%s: %s", shown,
                       n < 0 ? g_strerror (e) : _("the file shrank while it was read"));
          g_free (data);
          close (fd);
          return NULL;
        }
      got += (gsize) n;
    }
  close (fd);
  *len = got;
  return data;
}

/* The loader type from the file's first bytes, not its name: a PNG called
 * photo.jpg still loads, a text file called image.png is refused plainly.
 * Only PNG and JPEG: the formats this tool documents and tests. */
static const char *
sniff (const guint8 *data, gsize len)
{
  static const guint8 png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  static const guint8 jpeg[3] = { 0xff, 0xd8, 0xff };

  if (len >= sizeof png && memcmp (data, png, sizeof png) == 0)
    return "png";
  if (len >= sizeof jpeg && memcmp (data, jpeg, sizeof jpeg) == 0)
    return "jpeg";
  return NULL;
}

static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

/* gdk-pixbuf's loaders take a file cut short without a word: they hand
 * over the rows that arrived and leave the rest blank. So the file's own
 * structure is walked first. A PNG is whole when its chunks lead, each
 * complete, to IEND. */
static gboolean
png_complete (const guint8 *d, gsize n)
{
  gsize i = 8;

  while (n >= 12 && i <= n - 12)
    {
      guint32 len = be32 (d + i);
      if (len > n - 12 - i)
        return FALSE;
      if (memcmp (d + i + 4, "IEND", 4) == 0)
        return TRUE;
      i += 12 + (gsize) len;
    }
  return FALSE;
}

/* A JPEG is whole when its segments, and the entropy-coded data after each
 * SOS, lead to EOI. (Searching for the bytes FF D9 would not do: an EXIF
 * thumbnail has its own.) */
static gboolean
jpeg_complete (const guint8 *d, gsize n)
{
  gsize i = 2;   /* after SOI */

  while (i + 1 < n)
    {
      guint8 m;
      gsize  len;

      if (d[i] != 0xff)
        return FALSE;
      m = d[i + 1];
      if (m == 0xff)
        {
          i++;               /* fill byte before a marker */
          continue;
        }
      i += 2;
      if (m == 0xd9)
        return TRUE;         /* EOI */
      if (m == 0x01 || (m >= 0xd0 && m <= 0xd7))
        continue;            /* markers without a length */
      if (i + 2 > n)
        return FALSE;
      len = (gsize) d[i] << 8 | d[i + 1];
      if (len < 2 || len > n - i)
        return FALSE;
      i += len;
      if (m == 0xda)
        /* Scan data: up to the next marker that is neither a stuffed 00
         * nor a restart marker. */
        while (i + 1 < n && !(d[i] == 0xff && d[i + 1] != 0x00
                              && !(d[i + 1] >= 0xd0 && d[i + 1] <= 0xd7)))
          i++;
    }
  return FALSE;
}

static GdkPixbuf *
decode (const guint8 *data, gsize len, const char *type, const char *shown,
        GError **error)
{
  GdkPixbufLoader *loader;
  GdkPixbuf       *pixbuf = NULL;
  GError          *err = NULL;
  gboolean         ok;

  loader = gdk_pixbuf_loader_new_with_type (type, &err);
  if (!loader)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   _("%s: cannot read %s images: %s"), shown, type,
                   err->message);
      g_error_free (err);
      return NULL;
    }
  ok = gdk_pixbuf_loader_write (loader, data, len, &err);
  /* Closed in every case: a loader finalised unclosed warns; its error, if
   * any, is the truncation one ("premature end"). */
  if (ok)
    ok = gdk_pixbuf_loader_close (loader, &err);
  else
    gdk_pixbuf_loader_close (loader, NULL);
  if (ok)
    {
      pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
      if (pixbuf)
        /* Turned upright by the EXIF orientation (a new reference). */
        pixbuf = gdk_pixbuf_apply_embedded_orientation (pixbuf);
    }
  if (!pixbuf)
    g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                 _("%s: not a readable %s image: %s"), shown,
                 strcmp (type, "png") == 0 ? "PNG" : "JPEG",
                 err ? err->message : _("no image in the file"));
  g_clear_error (&err);
  g_object_unref (loader);
  return pixbuf;
}

SwagImage *
cli_image_load (const char *path, gboolean *has_alpha, GError **error)
{
  char         *shown = g_filename_display_name (path);
  guint8       *data;
  gsize         len = 0;
  const char   *type;
  GdkPixbuf    *pb = NULL;
  SwagImage    *im = NULL;
  int           w, h, nc, stride;
  const guint8 *pixels;

  data = read_file (path, shown, &len, error);
  if (!data)
    goto out;
  type = sniff (data, len);
  if (!type)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   _("%s: not a PNG or JPEG image"), shown);
      goto out;
    }
  if (strcmp (type, "png") == 0 ? !png_complete (data, len)
                                 : !jpeg_complete (data, len))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   strcmp (type, "png") == 0
                   ? _("%s: the PNG file is truncated or damaged")
                   : _("%s: the JPEG file is truncated or damaged"), shown);
      goto out;
    }
  pb = decode (data, len, type, shown, error);
  if (!pb)
    goto out;

  w = gdk_pixbuf_get_width (pb);
  h = gdk_pixbuf_get_height (pb);
  nc = gdk_pixbuf_get_n_channels (pb);
  /* gdk-pixbuf hands every PNG and JPEG over as 8-bit RGB or RGBA (grey and
   * 16-bit PNGs included); anything else would be a loader we do not know. */
  if (gdk_pixbuf_get_colorspace (pb) != GDK_COLORSPACE_RGB
      || gdk_pixbuf_get_bits_per_sample (pb) != 8 || (nc != 3 && nc != 4)
      || gdk_pixbuf_get_has_alpha (pb) != (nc == 4))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   _("%s: unsupported pixel layout (%d channels, %d bits)"),
                   shown, nc, gdk_pixbuf_get_bits_per_sample (pb));
      goto out;
    }
  im = swag_image_new (w, h, error);
  if (!im)
    {
      g_prefix_error (error, "%s: ", shown);
      goto out;
    }
  stride = gdk_pixbuf_get_rowstride (pb);
  pixels = gdk_pixbuf_read_pixels (pb);
  for (int y = 0; y < h; y++)
    {
      const guint8 *row = pixels + (gsize) y * stride;
      float        *dst = im->data + (gsize) y * w * 4;   /* (w, 4) */
      for (int x = 0; x < w; x++)
        {
          /* k / 255 in double, then float: the reference data's values. */
          for (int c = 0; c < 3; c++)
            dst[4 * x + c] = swag_u8_to_float (row[nc * x + c]);
          dst[4 * x + 3] = nc == 4 ? swag_u8_to_float (row[nc * x + 3]) : 1.0f;
        }
    }
  if (has_alpha)
    *has_alpha = nc == 4;

out:
  if (pb)
    g_object_unref (pb);
  g_free (data);
  g_free (shown);
  return im;
}

gboolean
cli_image_save (const SwagImage *image, gboolean alpha, const char *path,
                CliFormat format, GError **error)
{
  char      *shown = g_filename_display_name (path);
  GdkPixbuf *pb;
  gchar     *buf = NULL;
  gsize      len = 0;
  GError    *err = NULL;
  gboolean   ok = FALSE;
  int        nc, stride;
  guint8    *pixels;

  if (format == CLI_FORMAT_JPEG)
    alpha = FALSE;   /* JPEG has no alpha channel */
  nc = alpha ? 4 : 3;
  pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, alpha, 8, image->width,
                       image->height);
  if (!pb)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                   _("%s: out of memory"), shown);
      g_free (shown);
      return FALSE;
    }
  stride = gdk_pixbuf_get_rowstride (pb);
  pixels = gdk_pixbuf_get_pixels (pb);
  for (int y = 0; y < image->height; y++)
    {
      guint8      *row = pixels + (gsize) y * stride;
      const float *src = image->data + (gsize) y * image->width * 4;
      for (int x = 0; x < image->width; x++)
        for (int c = 0; c < nc; c++)
          row[nc * x + c] = swag_float_to_u8 (src[4 * x + c]);
    }

  if (format == CLI_FORMAT_JPEG)
    ok = gdk_pixbuf_save_to_buffer (pb, &buf, &len, "jpeg", &err,
                                    "quality", "95", NULL);
  else if (format == CLI_FORMAT_PNG)
    ok = gdk_pixbuf_save_to_buffer (pb, &buf, &len, "png", &err, NULL);
  else
    g_set_error_literal (&err, SWAG_ERROR, SWAG_ERROR_INVALID,
                         _("unknown image format"));
  /* Encoded in memory first, so that the file is written in one go and an
   * encoder failure never touches the disk. */
  if (ok)
    ok = g_file_set_contents_full (path, buf, (gssize) len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0666,
                                   &err);
  if (!ok)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   _("%s: cannot write the image: %s"), shown,
                   err ? err->message : _("unknown error"));
      g_clear_error (&err);
    }
  g_free (buf);
  g_object_unref (pb);
  g_free (shown);
  return ok;
}
