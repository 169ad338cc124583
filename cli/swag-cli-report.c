/* swag-cli-report.c: the --report file, JSON Lines. GPL-3.0-or-later.
 *
 * json-glib writes the lines: it escapes names and writes doubles with all
 * 17 significant digits whatever the locale. Each line is flushed, so that a
 * run can be followed with tail -f and a crash keeps what was measured. */
#include "swag-cli-report.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>

struct _CliReport
{
  FILE       *file;
  char       *shown;     /* the file's name for messages */
  int         write_errno; /* first failed write, 0 = none */
  JsonObject *settings;  /* for the next line, or NULL */
  JsonObject *extra;
};

void
cli_json_repair (char *s)
{
  gboolean    in_string = FALSE;
  char       *w = s;
  const char *r = s;

  while (*r)
    {
      if (in_string)
        {
          if (*r == '\\' && r[1])
            *w++ = *r++;
          else if (*r == '"')
            in_string = FALSE;
          *w++ = *r++;
        }
      else if (*r == '"')
        {
          in_string = TRUE;
          *w++ = *r++;
        }
      else if ((*r == 'e' || *r == 'E') && w > s && g_ascii_isdigit (w[-1]))
        {
          /* An exponent (outside strings, a digit before 'e' means a
           * number): copy it, then skip the ".0" json-glib put after it. */
          *w++ = *r++;
          if (*r == '+' || *r == '-')
            *w++ = *r++;
          while (g_ascii_isdigit (*r))
            *w++ = *r++;
          if (r[0] == '.' && r[1] == '0' && !g_ascii_isdigit (r[2]))
            r += 2;
        }
      else
        *w++ = *r++;
    }
  *w = '\0';
}

CliReport *
cli_report_open (const char *path, GError **error)
{
  CliReport *r;
  FILE      *f = g_fopen (path, "w");

  if (!f)
    {
      int   e = errno;
      char *shown = g_filename_display_name (path);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
                   _("%s: cannot write the report: %s"), shown, g_strerror (e));
      g_free (shown);
      return NULL;
    }
  r = g_new0 (CliReport, 1);
  r->file = f;
  r->shown = g_filename_display_name (path);
  return r;
}

void
cli_report_begin (CliReport *r, JsonObject *settings, JsonObject *extra)
{
  if (!r)
    return;
  g_clear_pointer (&r->settings, json_object_unref);
  g_clear_pointer (&r->extra, json_object_unref);
  r->settings = settings ? json_object_ref (settings) : NULL;
  r->extra = extra ? json_object_ref (extra) : NULL;
}

/* JSON has no NaN or infinity: those become null. */
static void
add_number (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

/* Ends @b's open object with the pending settings, writes it as one line. */
static void
write_line (CliReport *r, JsonBuilder *b)
{
  JsonGenerator *g;
  JsonNode      *root;
  char          *text;

  if (r->extra)
    {
      GList *names = json_object_get_members (r->extra);
      for (GList *l = names; l; l = l->next)
        {
          json_builder_set_member_name (b, l->data);
          json_builder_add_value (b, json_object_dup_member (r->extra,
                                                             l->data));
        }
      g_list_free (names);
    }
  if (r->settings)
    {
      JsonNode *node = json_node_new (JSON_NODE_OBJECT);
      json_node_set_object (node, r->settings);
      json_builder_set_member_name (b, "settings");
      json_builder_add_value (b, node);
    }
  g_clear_pointer (&r->settings, json_object_unref);
  g_clear_pointer (&r->extra, json_object_unref);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  g = json_generator_new ();
  json_generator_set_root (g, root);
  text = json_generator_to_data (g, NULL);
  cli_json_repair (text);
  if ((fputs (text, r->file) < 0 || fputc ('\n', r->file) == EOF
       || fflush (r->file) != 0) && r->write_errno == 0)
    r->write_errno = errno ? errno : EIO;
  g_free (text);
  g_object_unref (g);
  json_node_unref (root);
}

void
cli_report_evaluation (CliReport *r, const SwagProgress *p)
{
  JsonBuilder *b;

  if (!r || p->kind != SWAG_PROGRESS_EVALUATION)
    return;
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "scale");
  json_builder_add_int_value (b, p->scale);
  json_builder_set_member_name (b, "size");
  json_builder_begin_array (b);
  json_builder_add_int_value (b, p->width);
  json_builder_add_int_value (b, p->height);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "iteration");
  json_builder_add_int_value (b, p->iteration);
  add_number (b, "total", p->total);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_object (b);
  for (int i = 0; i < p->n_layers; i++)
    {
      json_builder_set_member_name (b, p->layers[i].name);
      json_builder_begin_object (b);
      /* NaN marks "no such term" in the engine; JSON says null. */
      add_number (b, "content", p->layers[i].content);
      add_number (b, "style", p->layers[i].style);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  write_line (r, b);
  g_object_unref (b);
}

void
cli_report_diagnosis (CliReport *r, const char *role, const char *image_name,
                      const SwagTapStats *stats, int n)
{
  JsonBuilder *b;

  if (!r)
    return;
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "diagnose");
  json_builder_add_string_value (b, role);
  json_builder_set_member_name (b, "image");
  json_builder_add_string_value (b, image_name);
  json_builder_set_member_name (b, "taps");
  json_builder_begin_object (b);
  for (int i = 0; i < n; i++)
    {
      const SwagTapStats *s = &stats[i];
      json_builder_set_member_name (b, s->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, s->channels);
      json_builder_add_int_value (b, s->height);
      json_builder_add_int_value (b, s->width);
      json_builder_end_array (b);
      add_number (b, "max_activation", s->max_activation);
      add_number (b, "max_gram", s->max_gram);
      add_number (b, "gram_entropy", s->gram_entropy);
      /* 0 means "no softmax at this tap". */
      add_number (b, "temperature", s->temperature > 0 ? s->temperature : NAN);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  write_line (r, b);
  g_object_unref (b);
}

gboolean
cli_report_close (CliReport *r, GError **error)
{
  int e;

  if (!r)
    return TRUE;
  e = r->write_errno;
  if (fclose (r->file) != 0 && e == 0)
    e = errno ? errno : EIO;
  if (e)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
                 _("%s: writing the report failed: %s"), r->shown,
                 g_strerror (e));
  g_clear_pointer (&r->settings, json_object_unref);
  g_clear_pointer (&r->extra, json_object_unref);
  g_free (r->shown);
  g_free (r);
  return e == 0;
}
