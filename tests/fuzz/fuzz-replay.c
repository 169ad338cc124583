/* fuzz-replay.c: runs the fuzz target's input function over every file of
 * the corpus folders given, with any compiler and no libFuzzer: the seed and
 * regression corpora become an ordinary test. GPL-3.0-or-later. */
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
run_file (const char *path)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return FALSE;
    }
  /* An exact-size copy, so that AddressSanitizer sees reads past the end. */
  g_autofree guint8 *exact = g_memdup2 (contents, len);
  LLVMFuzzerTestOneInput (exact, len);
  return TRUE;
}

int
main (int argc, char **argv)
{
  int n = 0;

  for (int a = 1; a < argc; a++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GDir) dir = g_dir_open (argv[a], 0, &error);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      if (dir == NULL)
        {
          if (!run_file (argv[a]))
            return 1;
          n++;
          continue;
        }
      while ((name = g_dir_read_name (dir)) != NULL)
        if (name[0] != '.')
          g_ptr_array_add (names, g_build_filename (argv[a], name, NULL));
      /* In a fixed order, so that a failure is reproducible. */
      g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
      for (guint k = 0; k < names->len; k++)
        {
          if (!run_file (g_ptr_array_index (names, k)))
            return 1;
          n++;
        }
    }
  printf ("replayed %d inputs\n", n);
  return n > 0 ? 0 : 1;
}
