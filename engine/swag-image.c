/* swag-image.c: the public image holder. GPL-3.0-or-later. */
#include "swag.h"
#include "swag-core.h"
#include "swag-imageops.h"
#include "swag-i18n.h"

#include <math.h>
#include <string.h>

SwagImage *
swag_image_new (int width, int height, GError **error)
{
  SwagImage *im;
  gsize      n;

  if (width <= 0 || height <= 0)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   _("Invalid image size %d×%d"), width, height);
      return NULL;
    }
  if (!g_size_checked_mul (&n, (gsize) width, (gsize) height)
      || !g_size_checked_mul (&n, n, 4))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                   _("Image size %d×%d is too large"), width, height);
      return NULL;
    }
  im = g_new0 (SwagImage, 1);
  im->width = width;
  im->height = height;
  im->data = swag_try_alloc_floats (n, N_("image"), error);
  if (!im->data)
    {
      g_free (im);
      return NULL;
    }
  memset (im->data, 0, n * sizeof (float));
  return im;
}

SwagImage *
swag_image_copy (const SwagImage *image, GError **error)
{
  SwagImage *im = swag_image_new (image->width, image->height, error);

  if (im)
    memcpy (im->data, image->data,
            (gsize) image->width * image->height * 4 * sizeof (float));
  return im;
}

void
swag_image_free (SwagImage *image)
{
  if (!image)
    return;
  g_free (image->data);
  g_free (image);
}

const SwagImage *
swag_largest_image (const SwagImage *const *images, int n)
{
  const SwagImage *largest;

  /* No image (a diagnosis of the content alone has no style): nothing to
   * read, images may be NULL. */
  if (n <= 0 || !images)
    return NULL;
  largest = images[0];
  for (int k = 1; k < n; k++)
    if ((double) images[k]->width * images[k]->height
        > (double) largest->width * largest->height)
      largest = images[k];
  return largest;
}

float
swag_u8_to_float (guint8 k)
{
  return (float) (k / 255.0);
}

guint8
swag_float_to_u8 (float v)
{
  /* Written so that NaN lands on 0. */
  if (!(v > 0.0f))
    return 0;
  if (v >= 1.0f)
    return 255;
  return (guint8) (v * 255.0f + 0.5f);
}

/* ------------------------------------------------------------ resampling -- */

/* Catmull-Rom-like cubic (a = -0.5), the kernel of PIL's BICUBIC. */
static double
cubic (double x)
{
  const double a = -0.5;

  x = fabs (x);
  if (x < 1)
    return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2)
    return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

typedef struct
{
  int    *first;  /* (dst) first source index */
  int    *count;  /* (dst) taps */
  double *w;      /* (dst, max_taps) */
  int     max_taps;
} Weights;

/* Separable weights for src -> dst along one axis; the kernel widens by the
 * scale when shrinking, so that downsampling averages (anti-aliases). */
static void
weights_make (Weights *wt, int src, int dst)
{
  double scale = (double) src / dst;
  double fscale = MAX (scale, 1.0);
  double support = 2.0 * fscale;

  wt->max_taps = (int) ceil (support) * 2 + 1;
  wt->first = g_new (int, dst);
  wt->count = g_new (int, dst);
  wt->w = g_new0 (double, (gsize) dst * wt->max_taps);
  for (int i = 0; i < dst; i++)
    {
      double center = (i + 0.5) * scale;
      int    lo = MAX ((int) floor (center - support), 0);
      int    hi = MIN ((int) ceil (center + support), src);
      double sum = 0;
      int    n = 0;

      hi = MIN (hi, lo + wt->max_taps);
      for (int j = lo; j < hi; j++)
        {
          double v = cubic ((j + 0.5 - center) / fscale);
          wt->w[(gsize) i * wt->max_taps + n++] = v;
          sum += v;
        }
      for (int k = 0; k < n && sum != 0; k++)
        wt->w[(gsize) i * wt->max_taps + k] /= sum;
      wt->first[i] = lo;
      wt->count[i] = n;
    }
}

static void
weights_clear (Weights *wt)
{
  g_free (wt->first);
  g_free (wt->count);
  g_free (wt->w);
}

void
swag_resample_planar (const float *src, int c, int sh, int sw, float *dst,
                      int dh, int dw)
{
  Weights wx, wy;
  float  *tmp;

  if (sh == dh && sw == dw)
    {
      memcpy (dst, src, sizeof (float) * c * (gsize) sh * sw);
      return;
    }
  weights_make (&wx, sw, dw);
  weights_make (&wy, sh, dh);
  tmp = g_new (float, (gsize) sh * dw);
  for (int ch = 0; ch < c; ch++)
    {
      const float *s = src + (gsize) ch * sh * sw;
      float       *d = dst + (gsize) ch * dh * dw;

      for (int y = 0; y < sh; y++)
        for (int x = 0; x < dw; x++)
          {
            const double *w = wx.w + (gsize) x * wx.max_taps;
            double acc = 0;
            for (int k = 0; k < wx.count[x]; k++)
              acc += w[k] * s[(gsize) y * sw + wx.first[x] + k];
            tmp[(gsize) y * dw + x] = (float) acc;
          }
      for (int y = 0; y < dh; y++)
        {
          const double *w = wy.w + (gsize) y * wy.max_taps;
          for (int x = 0; x < dw; x++)
            {
              double acc = 0;
              for (int k = 0; k < wy.count[y]; k++)
                acc += w[k] * tmp[(gsize) (wy.first[y] + k) * dw + x];
              d[(gsize) y * dw + x] = (float) acc;
            }
        }
    }
  g_free (tmp);
  weights_clear (&wx);
  weights_clear (&wy);
}

gboolean
swag_image_to_planar (const SwagImage *im, int w, int h, float **rgb_out,
                      float **mask_out, GError **error)
{
  gsize  n = (gsize) im->width * im->height;
  float *pre, *rgb, *mask;
  gboolean opaque = TRUE;

  *rgb_out = NULL;
  if (mask_out)
    *mask_out = NULL;
  pre = swag_try_alloc_floats (4 * n, N_("image"), error);
  if (!pre)
    return FALSE;
  rgb = swag_try_alloc_floats (4 * (gsize) w * h, N_("image"), error);
  if (!rgb)
    {
      g_free (pre);
      return FALSE;
    }

  /* Premultiplied planes (R a, G a, B a, a), so that resampling does not
   * bleed the colour of transparent pixels into their neighbours. NaN and
   * infinities become 0; values are clamped to [0, 1]. */
  for (gsize p = 0; p < n; p++)
    {
      float a = im->data[4 * p + 3];
      a = isfinite (a) ? CLAMP (a, 0.0f, 1.0f) : 0.0f;
      opaque &= a >= 1.0f;
      for (int c = 0; c < 3; c++)
        {
          float v = im->data[4 * p + c];
          v = isfinite (v) ? CLAMP (v, 0.0f, 1.0f) : 0.0f;
          pre[c * n + p] = v * a;
        }
      pre[3 * n + p] = a;
    }
  swag_resample_planar (pre, 4, im->height, im->width, rgb, h, w);
  g_free (pre);

  /* Un-premultiply; fully transparent pixels take the mean colour of the
   * visible ones, so that they neither steer nor stand out. */
  {
    gsize  m = (gsize) w * h;
    double mean[3] = { 0, 0, 0 }, wsum = 0;
    float *alpha = rgb + 3 * m;

    for (gsize p = 0; p < m; p++)
      {
        alpha[p] = CLAMP (alpha[p], 0.0f, 1.0f);
        for (int c = 0; c < 3; c++)
          mean[c] += rgb[c * m + p];
        wsum += alpha[p];
      }
    for (int c = 0; c < 3; c++)
      mean[c] = wsum > 0 ? mean[c] / wsum : 0.5;
    for (gsize p = 0; p < m; p++)
      for (int c = 0; c < 3; c++)
        {
          float v = alpha[p] > 1e-4f ? rgb[c * m + p] / alpha[p]
                                     : (float) mean[c];
          rgb[c * m + p] = CLAMP (v, 0.0f, 1.0f);
        }
    if (mask_out && !opaque)
      {
        mask = g_try_malloc (m * sizeof (float));
        if (!mask)
          {
            g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                         _("Out of memory for the alpha mask"));
            g_free (rgb);
            return FALSE;
          }
        memcpy (mask, alpha, m * sizeof (float));
        *mask_out = mask;
      }
  }
  *rgb_out = rgb;  /* the 4th plane is spare room, harmless */
  return TRUE;
}

void
swag_scale_size (int width, int height, int longest, int *w, int *h)
{
  if (width >= height)
    {
      *w = longest;
      *h = MAX (1, (int) floor ((double) height * longest / width + 0.5));
    }
  else
    {
      *h = longest;
      *w = MAX (1, (int) floor ((double) width * longest / height + 0.5));
    }
}

void
swag_fit_size (int width, int height, int longest, int *w, int *h)
{
  if (MAX (width, height) <= longest)
    {
      *w = width;
      *h = height;
    }
  else
    swag_scale_size (width, height, longest, w, h);
}
