/* png-check: pixel assertions on PNG files exported by the GIMP test cases.
 *
 *   png-check size    A W H                 A is W x H
 *   png-check same    A B [X Y W H]         equal (within 1/255) in the rect
 *                                           (default: everywhere)
 *   png-check outside A B X Y W H           equal outside the rect
 *   png-check differ  A B FRACTION [X Y W H]
 *                                           at least FRACTION of the rect's
 *                                           pixels differ by more than 8/255
 *                                           in some colour channel
 *   png-check exact   A B                   equal colour and alpha, to the bit
 *   png-check alpha   A B                   equal alpha (within 1/255)
 *   png-check gray    A                     R = G = B (within 1/255)
 *   png-check close   A B MEAN              mean absolute colour difference
 *                                           at most MEAN (0..255 units)
 *   png-check varied  A                     not one flat colour: some colour
 *                                           channel spans more than 8/255
 *
 * Images are read as 8-bit RGBA (gdk-pixbuf narrows 16-bit PNGs, adds
 * opaque alpha to RGB and expands gray). Exits 0 when the assertion holds,
 * 1 with a message when it does not, 2 on bad usage or unreadable files.
 *
 * Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#define SAME_TOLERANCE   1
#define DIFFER_THRESHOLD 8

typedef struct
{
  int           width, height, stride;
  const guchar *pixels; /* (height, stride) of RGBA */
  GdkPixbuf    *pixbuf;
} Png;

typedef struct
{
  int x, y, width, height;
} Rect;

static void
png_load (Png *png, const char *path)
{
  GError    *error = NULL;
  GdkPixbuf *loaded = gdk_pixbuf_new_from_file (path, &error);

  if (!loaded)
    {
      fprintf (stderr, "png-check: %s: %s\n", path, error->message);
      exit (2);
    }
  png->pixbuf = gdk_pixbuf_add_alpha (loaded, FALSE, 0, 0, 0);
  g_object_unref (loaded);

  png->width  = gdk_pixbuf_get_width (png->pixbuf);
  png->height = gdk_pixbuf_get_height (png->pixbuf);
  png->stride = gdk_pixbuf_get_rowstride (png->pixbuf);
  png->pixels = gdk_pixbuf_read_pixels (png->pixbuf);
}

static const guchar *
png_pixel (const Png *png, int x, int y)
{
  return png->pixels + (gsize) y * png->stride + (gsize) x * 4;
}

static void
require_same_size (const Png *a, const Png *b)
{
  if (a->width != b->width || a->height != b->height)
    {
      printf ("FAIL: sizes differ: %dx%d and %dx%d\n",
              a->width, a->height, b->width, b->height);
      exit (1);
    }
}

static int
parse_int (const char *s)
{
  char *end;
  long  v = strtol (s, &end, 10);

  if (*s == '\0' || *end != '\0' || v < 0 || v > 1000000)
    {
      fprintf (stderr, "png-check: not a size: %s\n", s);
      exit (2);
    }
  return (int) v;
}

static double
parse_double (const char *s)
{
  char  *end;
  double v = strtod (s, &end);

  if (*s == '\0' || *end != '\0')
    {
      fprintf (stderr, "png-check: not a number: %s\n", s);
      exit (2);
    }
  return v;
}

static Rect
parse_rect (char **argv, const Png *png)
{
  Rect r;

  if (!argv)
    return (Rect) { 0, 0, png->width, png->height };

  r = (Rect) { parse_int (argv[0]), parse_int (argv[1]),
               parse_int (argv[2]), parse_int (argv[3]) };
  if (r.width == 0 || r.height == 0 ||
      r.x + r.width > png->width || r.y + r.height > png->height)
    {
      fprintf (stderr, "png-check: rect %d,%d %dx%d outside %dx%d\n",
               r.x, r.y, r.width, r.height, png->width, png->height);
      exit (2);
    }
  return r;
}

static gboolean
in_rect (const Rect *r, int x, int y)
{
  return x >= r->x && x < r->x + r->width && y >= r->y && y < r->y + r->height;
}

/* Largest difference over the channels [first, last). */
static int
max_diff (const guchar *p, const guchar *q, int first, int last)
{
  int m = 0;

  for (int c = first; c < last; c++)
    m = MAX (m, abs ((int) p[c] - (int) q[c]));
  return m;
}

/* Pixels of A and B that are (inside == TRUE) in or (FALSE) outside @r
 * must agree on channels [first, last) within @tolerance. */
static int
check_equal (const Png *a, const Png *b, const Rect *r, gboolean inside,
             int first, int last, int tolerance, const char *what)
{
  long bad = 0;
  int  fx = -1, fy = -1, worst = 0;

  for (int y = 0; y < a->height; y++)
    for (int x = 0; x < a->width; x++)
      {
        int d;

        if (in_rect (r, x, y) != inside)
          continue;
        d = max_diff (png_pixel (a, x, y), png_pixel (b, x, y), first, last);
        if (d > tolerance)
          {
            if (bad++ == 0)
              fx = x, fy = y;
            worst = MAX (worst, d);
          }
      }

  if (bad)
    {
      printf ("FAIL: %s: %ld pixels differ (first at %d,%d; largest "
              "difference %d/255)\n", what, bad, fx, fy, worst);
      return 1;
    }
  printf ("ok: %s\n", what);
  return 0;
}

/* Files A and B, everywhere, on channels [first, last) within @tolerance;
 * @says completes "A and B ...". */
static int
check_whole (const char *path_a, const char *path_b, int first, int last,
             int tolerance, const char *says)
{
  Png   a, b;
  Rect  r;
  char *what;
  int   status;

  png_load (&a, path_a);
  png_load (&b, path_b);
  require_same_size (&a, &b);
  r = parse_rect (NULL, &a);
  what = g_strdup_printf ("%s and %s %s", path_a, path_b, says);
  status = check_equal (&a, &b, &r, TRUE, first, last, tolerance, what);
  g_free (what);
  return status;
}

int
main (int argc, char **argv)
{
  const char *cmd = argc > 1 ? argv[1] : "";
  Png         a, b;

  if (strcmp (cmd, "size") == 0 && argc == 5)
    {
      png_load (&a, argv[2]);
      if (a.width != parse_int (argv[3]) || a.height != parse_int (argv[4]))
        {
          printf ("FAIL: %s is %dx%d, expected %sx%s\n",
                  argv[2], a.width, a.height, argv[3], argv[4]);
          return 1;
        }
      printf ("ok: %s is %dx%d\n", argv[2], a.width, a.height);
      return 0;
    }

  if ((strcmp (cmd, "same") == 0 && (argc == 4 || argc == 8)) ||
      (strcmp (cmd, "outside") == 0 && argc == 8))
    {
      gboolean inside = strcmp (cmd, "same") == 0;
      Rect     r;
      char    *what;
      int      status;

      png_load (&a, argv[2]);
      png_load (&b, argv[3]);
      require_same_size (&a, &b);
      r = parse_rect (argc == 8 ? argv + 4 : NULL, &a);
      what = g_strdup_printf ("%s and %s equal %s %d,%d %dx%d",
                              argv[2], argv[3], inside ? "in" : "outside",
                              r.x, r.y, r.width, r.height);
      status = check_equal (&a, &b, &r, inside, 0, 4, SAME_TOLERANCE, what);
      g_free (what);
      return status;
    }

  if (strcmp (cmd, "exact") == 0 && argc == 4)
    return check_whole (argv[2], argv[3], 0, 4, 0, "are equal to the bit");

  if (strcmp (cmd, "alpha") == 0 && argc == 4)
    return check_whole (argv[2], argv[3], 3, 4, SAME_TOLERANCE,
                        "have equal alpha");

  if (strcmp (cmd, "differ") == 0 && (argc == 5 || argc == 9))
    {
      double fraction = parse_double (argv[4]);
      long   n = 0, changed = 0;
      Rect   r;

      png_load (&a, argv[2]);
      png_load (&b, argv[3]);
      require_same_size (&a, &b);
      r = parse_rect (argc == 9 ? argv + 5 : NULL, &a);

      for (int y = r.y; y < r.y + r.height; y++)
        for (int x = r.x; x < r.x + r.width; x++)
          {
            n++;
            if (max_diff (png_pixel (&a, x, y), png_pixel (&b, x, y), 0, 3)
                > DIFFER_THRESHOLD)
              changed++;
          }

      if (changed < fraction * n)
        {
          printf ("FAIL: %s and %s: only %ld of %ld pixels differ in "
                  "%d,%d %dx%d (wanted %.0f%%)\n", argv[2], argv[3], changed,
                  n, r.x, r.y, r.width, r.height, 100 * fraction);
          return 1;
        }
      printf ("ok: %s and %s: %ld of %ld pixels differ in %d,%d %dx%d\n",
              argv[2], argv[3], changed, n, r.x, r.y, r.width, r.height);
      return 0;
    }

  if (strcmp (cmd, "gray") == 0 && argc == 3)
    {
      png_load (&a, argv[2]);
      for (int y = 0; y < a.height; y++)
        for (int x = 0; x < a.width; x++)
          {
            const guchar *p = png_pixel (&a, x, y);

            if (abs (p[0] - p[1]) > SAME_TOLERANCE ||
                abs (p[1] - p[2]) > SAME_TOLERANCE)
              {
                printf ("FAIL: %s is not gray at %d,%d: %d %d %d\n",
                        argv[2], x, y, p[0], p[1], p[2]);
                return 1;
              }
          }
      printf ("ok: %s is gray\n", argv[2]);
      return 0;
    }

  if (strcmp (cmd, "close") == 0 && argc == 5)
    {
      double limit = parse_double (argv[4]);
      double sum   = 0;

      png_load (&a, argv[2]);
      png_load (&b, argv[3]);
      require_same_size (&a, &b);
      for (int y = 0; y < a.height; y++)
        for (int x = 0; x < a.width; x++)
          for (int c = 0; c < 3; c++)
            sum += abs ((int) png_pixel (&a, x, y)[c] -
                        (int) png_pixel (&b, x, y)[c]);
      sum /= 3.0 * a.width * a.height;

      if (sum > limit)
        {
          printf ("FAIL: %s and %s: mean difference %.2f/255 > %.2f\n",
                  argv[2], argv[3], sum, limit);
          return 1;
        }
      printf ("ok: %s and %s: mean difference %.2f/255\n",
              argv[2], argv[3], sum);
      return 0;
    }

  if (strcmp (cmd, "varied") == 0 && argc == 3)
    {
      int lo[3] = { 255, 255, 255 }, hi[3] = { 0, 0, 0 }, span = 0;

      png_load (&a, argv[2]);
      for (int y = 0; y < a.height; y++)
        for (int x = 0; x < a.width; x++)
          for (int c = 0; c < 3; c++)
            {
              lo[c] = MIN (lo[c], png_pixel (&a, x, y)[c]);
              hi[c] = MAX (hi[c], png_pixel (&a, x, y)[c]);
            }
      for (int c = 0; c < 3; c++)
        span = MAX (span, hi[c] - lo[c]);

      if (span <= DIFFER_THRESHOLD)
        {
          printf ("FAIL: %s is flat (channels span %d/255)\n", argv[2], span);
          return 1;
        }
      printf ("ok: %s varies (channels span %d/255)\n", argv[2], span);
      return 0;
    }

  fprintf (stderr, "usage: see the comment at the top of png-check.c\n");
  return 2;
}
