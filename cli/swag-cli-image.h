/* swag-cli-image.h: PNG and JPEG files to SwagImage and back, through
 * gdk-pixbuf. GPL-3.0-or-later. */
#ifndef SWAG_CLI_IMAGE_H
#define SWAG_CLI_IMAGE_H

#include "swag.h"

G_BEGIN_DECLS

typedef enum
{
  CLI_FORMAT_NONE,
  CLI_FORMAT_PNG,
  CLI_FORMAT_JPEG
} CliFormat;

/* The format @path's extension names (.png, .jpg, .jpeg, any case), or
 * CLI_FORMAT_NONE. */
CliFormat  cli_format_from_name (const char *path);

/* A PNG or JPEG file as an (h, w, 4) R'G'B'A float image, values k/255,
 * straight alpha, 1 where the file has none; JPEG turned upright by its EXIF
 * orientation. *has_alpha (may be NULL) says whether the file had an alpha
 * channel. Every error message starts with the file's name. */
SwagImage *cli_image_load (const char  *path,
                           gboolean    *has_alpha,
                           GError     **error);

/* Writes @image to @path as @format, 8 bits per channel, rounded to nearest
 * and clamped; with an alpha channel when @alpha (PNG only). Atomic: the data
 * goes to a temporary file in the same folder that is renamed over @path,
 * so a failure leaves neither @path nor the temporary file. */
gboolean   cli_image_save (const SwagImage  *image,
                           gboolean          alpha,
                           const char       *path,
                           CliFormat         format,
                           GError          **error);

G_END_DECLS

#endif /* SWAG_CLI_IMAGE_H */
