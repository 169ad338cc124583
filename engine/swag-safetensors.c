/* swag-safetensors.c: a validating .safetensors reader and an F32 writer.
 * GPL-3.0-or-later. */
#include "swag-safetensors.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "swag.h"
#include "swag-core.h"
#include "swag-i18n.h"

/* The format's own cap on the JSON header (safetensors' MAX_HEADER_SIZE). */
#define HEADER_MAX G_GUINT64_CONSTANT (100000000)

typedef enum
{
  KIND_F32,
  KIND_F16,
  KIND_BF16,
  KIND_F64,
  KIND_OTHER   /* integers, booleans, 8-bit floats: listed, never converted */
} DtypeKind;

typedef struct
{
  const char *name;
  guint       size;   /* bytes per element */
  DtypeKind   kind;
} Dtype;

/* The dtypes of safetensors 0.4, all with whole-byte elements. Anything
 * else (e.g. the later sub-byte F4 and F6 types) is refused as unknown. */
static const Dtype dtypes[] = {
  { "F32", 4, KIND_F32 },
  { "F16", 2, KIND_F16 },
  { "BF16", 2, KIND_BF16 },
  { "F64", 8, KIND_F64 },
  { "BOOL", 1, KIND_OTHER },
  { "U8", 1, KIND_OTHER },
  { "I8", 1, KIND_OTHER },
  { "F8_E5M2", 1, KIND_OTHER },
  { "F8_E4M3", 1, KIND_OTHER },
  { "I16", 2, KIND_OTHER },
  { "U16", 2, KIND_OTHER },
  { "I32", 4, KIND_OTHER },
  { "U32", 4, KIND_OTHER },
  { "I64", 8, KIND_OTHER },
  { "U64", 8, KIND_OTHER },
};

typedef struct
{
  char         *name;
  const Dtype  *dtype;
  int           ndim;
  gint64        shape[SWAG_SAFETENSORS_MAX_DIMS];
  guint64       n_elements;
  guint64       begin;   /* byte offsets in the data block */
  guint64       end;
} Tensor;

struct _SwagSafetensors
{
  char         *name;      /* for messages */
  GMappedFile  *mapped;    /* NULL for the memory variant */
  const guint8 *data;      /* the data block */
  guint64       data_size;
  GPtrArray    *tensors;   /* Tensor*, in data order */
  GHashTable   *index;     /* name -> Tensor* (names owned by the tensors) */
};

static void
tensor_free (gpointer p)
{
  Tensor *t = p;

  g_free (t->name);
  g_free (t);
}

/* A name from a hostile file, fit for a message: control characters escaped
 * (no line breaks or terminal escapes) and long names cut short. */
static char *
display (const char *name)
{
  /* Names from the caller may not be UTF-8; names from the file are. */
  g_autofree char *s = g_utf8_make_valid (name, -1);
  GString *out = g_string_new (NULL);
  int n = 0;

  for (const char *p = s; *p != '\0'; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (n == 64)
        {
          g_string_append (out, "…");
          break;
        }
      if (c < 0x20 || (c >= 0x7f && c < 0xa0))  /* C0, DEL, C1 */
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

static void
append_shape (GString *s, const gint64 *shape, int ndim)
{
  g_string_append_c (s, '[');
  for (int d = 0; d < ndim; d++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, d ? ", " : "", shape[d]);
  g_string_append_c (s, ']');
}

/* ------------------------------------------------------------- parsing -- */

/* A strict parser for exactly the header's schema, instead of json-glib.
 * json-glib 1.6 keeps the last of two duplicate keys without a word, reads
 * 18446744073709551615 as -1, and parses nesting recursively: a header of a
 * million '[' overflows its stack (checked on Debian 12). Here nothing
 * recurses, integers are exact or refused, and every duplicate is seen. */
typedef struct
{
  const char *json;
  gsize       len;
  gsize       pos;
  const char *file;      /* display name */
  GError    **error;
} Parser;

/* Nesting allowed in values the schema does not expect, only so that a
 * message can tell "JSON, but not an object" from "not JSON". */
#define SKIP_MAX_DEPTH 64

static gboolean G_GNUC_PRINTF (2, 3)
syntax_error (Parser *p, const char *format, ...)
{
  va_list args;
  char *what;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
               /* TRANSLATORS: the first %s is a file; the last is what is
                * wrong, one of the JSON syntax messages, e.g. "expected a
                * number". */
               _("%s: the header is not valid JSON at byte %zu: %s"),
               p->file, p->pos, what);
  g_free (what);
  return FALSE;
}

static void
skip_ws (Parser *p)
{
  while (p->pos < p->len
         && (p->json[p->pos] == ' ' || p->json[p->pos] == '\t'
             || p->json[p->pos] == '\n' || p->json[p->pos] == '\r'))
    p->pos++;
}

/* The next non-space byte, or 0 at the end (the header has no NUL: it was
 * checked to be UTF-8 without one). */
static char
peek (Parser *p)
{
  skip_ws (p);
  return p->pos < p->len ? p->json[p->pos] : '\0';
}

static gboolean
expect (Parser *p, char c)
{
  if (peek (p) != c)
    return syntax_error (p, _("expected ‘%c’"), c);
  p->pos++;
  return TRUE;
}

static int
hex4 (Parser *p)
{
  int v = 0;

  if (p->len - p->pos < 4)
    return -1;
  for (int k = 0; k < 4; k++)
    {
      int d = g_ascii_xdigit_value (p->json[p->pos + k]);
      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
  p->pos += 4;
  return v;
}

/* A JSON string at the current position, decoded into @out (or only checked
 * when @out is NULL). The header is valid UTF-8 already. */
static gboolean
parse_string (Parser *p, GString *out)
{
  if (!expect (p, '"'))
    return FALSE;
  if (out != NULL)
    g_string_truncate (out, 0);

  for (;;)
    {
      gsize start = p->pos;

      /* Copy runs of plain bytes at once. */
      while (p->pos < p->len && p->json[p->pos] != '"'
             && p->json[p->pos] != '\\' && (guchar) p->json[p->pos] >= 0x20)
        p->pos++;
      if (out != NULL)
        g_string_append_len (out, p->json + start, p->pos - start);
      if (p->pos == p->len)
        return syntax_error (p, _("unterminated string"));

      char c = p->json[p->pos];
      if (c == '"')
        {
          p->pos++;
          return TRUE;
        }
      if (c != '\\')
        return syntax_error (p, _("control character in a string"));

      p->pos++;
      if (p->pos == p->len)
        return syntax_error (p, _("unterminated string"));
      c = p->json[p->pos++];

      gunichar u;
      switch (c)
        {
        case '"': u = '"'; break;
        case '\\': u = '\\'; break;
        case '/': u = '/'; break;
        case 'b': u = '\b'; break;
        case 'f': u = '\f'; break;
        case 'n': u = '\n'; break;
        case 'r': u = '\r'; break;
        case 't': u = '\t'; break;
        case 'u':
          {
            int hi = hex4 (p);
            if (hi < 0)
              return syntax_error (p, _("bad \\u escape"));
            u = (gunichar) hi;
            if (hi >= 0xdc00 && hi <= 0xdfff)
              return syntax_error (p, _("lone low surrogate in a \\u escape"));
            if (hi >= 0xd800 && hi <= 0xdbff)
              {
                int lo;
                if (p->len - p->pos < 2 || p->json[p->pos] != '\\'
                    || p->json[p->pos + 1] != 'u')
                  return syntax_error (p, _("lone high surrogate in a \\u escape"));
                p->pos += 2;
                lo = hex4 (p);
                if (lo < 0xdc00 || lo > 0xdfff)
                  return syntax_error (p, _("bad surrogate pair in a \\u escape"));
                u = 0x10000 + (((gunichar) hi - 0xd800) << 10)
                    + ((gunichar) lo - 0xdc00);
              }
            if (u == 0)
              {
                /* Valid JSON, but names are C strings here. */
                g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                             _("%s: a string in the header contains U+0000, "
                               "which is not supported"), p->file);
                return FALSE;
              }
            break;
          }
        default:
          p->pos--;
          return syntax_error (p, _("bad escape ‘\\%c’"), g_ascii_isprint (c) ? c : '?');
        }
      if (out != NULL)
        g_string_append_unichar (out, u);
    }
}

typedef struct
{
  gboolean negative;
  gboolean integer;   /* no fraction, no exponent */
  gboolean overflow;  /* more than 64 bits */
  guint64  value;     /* magnitude when integer && !overflow */
} Number;

/* A JSON number, checked against the full grammar. */
static gboolean
parse_number (Parser *p, Number *num)
{
  const char *s = p->json;

  memset (num, 0, sizeof *num);
  num->integer = TRUE;
  skip_ws (p);
  if (p->pos < p->len && s[p->pos] == '-')
    {
      num->negative = TRUE;
      p->pos++;
    }
  if (p->pos == p->len || !g_ascii_isdigit (s[p->pos]))
    return syntax_error (p, _("expected a number"));
  if (s[p->pos] == '0')
    {
      p->pos++;
      if (p->pos < p->len && g_ascii_isdigit (s[p->pos]))
        return syntax_error (p, _("leading zero in a number"));
    }
  else
    while (p->pos < p->len && g_ascii_isdigit (s[p->pos]))
      {
        guint d = (guint) (s[p->pos++] - '0');
        if (num->value > (G_MAXUINT64 - d) / 10)
          num->overflow = TRUE;
        else
          num->value = num->value * 10 + d;
      }
  if (p->pos < p->len && s[p->pos] == '.')
    {
      num->integer = FALSE;
      p->pos++;
      if (p->pos == p->len || !g_ascii_isdigit (s[p->pos]))
        return syntax_error (p, _("expected a digit after ‘.’"));
      while (p->pos < p->len && g_ascii_isdigit (s[p->pos]))
        p->pos++;
    }
  if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E'))
    {
      num->integer = FALSE;
      p->pos++;
      if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
        p->pos++;
      if (p->pos == p->len || !g_ascii_isdigit (s[p->pos]))
        return syntax_error (p, _("expected a digit in an exponent"));
      while (p->pos < p->len && g_ascii_isdigit (s[p->pos]))
        p->pos++;
    }
  return TRUE;
}

static gboolean
parse_literal (Parser *p, const char *word)
{
  gsize n = strlen (word);

  if (p->len - p->pos < n || memcmp (p->json + p->pos, word, n) != 0)
    return syntax_error (p, _("unexpected character"));
  p->pos += n;
  return TRUE;
}

/* Any JSON value, checked and skipped without recursion: a bit per level
 * says whether it is an array or an object. */
static gboolean
skip_value (Parser *p)
{
  guint64 is_object = 0;
  int depth = 0;

  for (;;)
    {
      char c = peek (p);
      Number num;

      /* One value. */
      switch (c)
        {
        case '{':
        case '[':
          if (depth == SKIP_MAX_DEPTH)
            {
              /* Valid JSON perhaps, but never a safetensors header. */
              g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                           _("%s: the header is nested too deeply (over %d "
                             "levels at byte %zu)"), p->file,
                           SKIP_MAX_DEPTH, p->pos);
              return FALSE;
            }
          p->pos++;
          is_object = (is_object << 1) | (c == '{');
          depth++;
          if (peek (p) == (c == '{' ? '}' : ']'))
            {
              p->pos++;
              depth--;
              is_object >>= 1;
              break;
            }
          if (c == '{')
            {
              if (!parse_string (p, NULL) || !expect (p, ':'))
                return FALSE;
            }
          continue;
        case '"':
          if (!parse_string (p, NULL))
            return FALSE;
          break;
        case 't':
          if (!parse_literal (p, "true"))
            return FALSE;
          break;
        case 'f':
          if (!parse_literal (p, "false"))
            return FALSE;
          break;
        case 'n':
          if (!parse_literal (p, "null"))
            return FALSE;
          break;
        default:
          if (c != '-' && !g_ascii_isdigit (c))
            return syntax_error (p, _("expected a value"));
          if (!parse_number (p, &num))
            return FALSE;
          break;
        }

      /* After a value: next element, or close containers. */
      for (;;)
        {
          if (depth == 0)
            return TRUE;
          c = peek (p);
          if (c == ',')
            {
              p->pos++;
              if (is_object & 1)
                {
                  if (!parse_string (p, NULL) || !expect (p, ':'))
                    return FALSE;
                }
              break;
            }
          if (c != ((is_object & 1) ? '}' : ']'))
            return syntax_error (p, _("expected ‘,’ or ‘%c’"),
                                 (is_object & 1) ? '}' : ']');
          p->pos++;
          depth--;
          is_object >>= 1;
        }
    }
}

/* A list of non-negative integers ("shape", "data_offsets") of at most
 * @max entries. */
static gboolean
parse_uint_list (Parser *p, const char *tensor, const char *what,
                 guint64 *values, int max, int *n)
{
  *n = 0;
  if (peek (p) != '[')
    {
      g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: tensor “%s”: “%s” is not a list of integers"),
                   p->file, tensor, what);
      return FALSE;
    }
  p->pos++;
  if (peek (p) == ']')
    {
      p->pos++;
      return TRUE;
    }
  for (;;)
    {
      char c = peek (p);
      Number num;

      if (c != '-' && !g_ascii_isdigit (c))
        {
          /* Check it is JSON at all before calling it the wrong type. */
          if (!skip_value (p))
            return FALSE;
          g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                       _("%s: tensor “%s”: “%s” holds something other than "
                         "an integer"), p->file, tensor, what);
          return FALSE;
        }
      if (!parse_number (p, &num))
        return FALSE;
      if (!num.integer)
        {
          g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                       _("%s: tensor “%s”: “%s” holds a number that is not an "
                         "integer"), p->file, tensor, what);
          return FALSE;
        }
      if (num.negative)  /* even -0: no writer produces it */
        {
          g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                       _("%s: tensor “%s”: “%s” holds a negative number"),
                       p->file, tensor, what);
          return FALSE;
        }
      if (num.overflow || num.value > (guint64) G_MAXINT64)
        {
          g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                       _("%s: tensor “%s”: “%s” holds a number too large"),
                       p->file, tensor, what);
          return FALSE;
        }
      if (*n == max)
        {
          g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                       _("%s: tensor “%s”: “%s” has more than %d entries"),
                       p->file, tensor, what, max);
          return FALSE;
        }
      values[(*n)++] = num.value;

      c = peek (p);
      if (c == ']')
        {
          p->pos++;
          return TRUE;
        }
      if (c != ',')
        return syntax_error (p, _("expected ‘,’ or ‘]’"));
      p->pos++;
    }
}

static const Dtype *
find_dtype (const char *name)
{
  for (gsize k = 0; k < G_N_ELEMENTS (dtypes); k++)
    if (strcmp (dtypes[k].name, name) == 0)
      return &dtypes[k];
  return NULL;
}

/* What parse_tensor has read of a tensor's object so far. */
typedef struct
{
  gboolean have_dtype, have_shape, have_offsets;
  guint64  dims[SWAG_SAFETENSORS_MAX_DIMS];
  guint64  offsets[2];
  int      n_offsets;
} TensorFields;

/* "dtype": a string naming one of dtypes[]. */
static gboolean
parse_dtype (Parser *p, Tensor *t, const char *shown)
{
  g_autoptr (GString) value = g_string_new (NULL);

  if (peek (p) != '"')
    {
      if (skip_value (p))
        g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                     _("%s: tensor “%s”: “dtype” is not a string"),
                     p->file, shown);
      return FALSE;
    }
  if (!parse_string (p, value))
    return FALSE;
  t->dtype = find_dtype (value->str);
  if (t->dtype == NULL)
    {
      g_autofree char *v = display (value->str);
      g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: tensor “%s” has an unknown dtype “%s”"),
                   p->file, shown, v);
      return FALSE;
    }
  return TRUE;
}

/* The value of member @key of a tensor's object: one of the three, each
 * once. */
static gboolean
parse_tensor_member (Parser *p, const char *key, Tensor *t, TensorFields *f,
                     const char *shown)
{
  gboolean dup;

  if (strcmp (key, "dtype") == 0)
    {
      dup = f->have_dtype;
      f->have_dtype = TRUE;
      if (!dup && !parse_dtype (p, t, shown))
        return FALSE;
    }
  else if (strcmp (key, "shape") == 0)
    {
      dup = f->have_shape;
      f->have_shape = TRUE;
      if (!dup)
        {
          if (!parse_uint_list (p, shown, "shape", f->dims,
                                SWAG_SAFETENSORS_MAX_DIMS, &t->ndim))
            return FALSE;
          for (int d = 0; d < t->ndim; d++)
            t->shape[d] = (gint64) f->dims[d];
        }
    }
  else if (strcmp (key, "data_offsets") == 0)
    {
      dup = f->have_offsets;
      f->have_offsets = TRUE;
      if (!dup && !parse_uint_list (p, shown, "data_offsets", f->offsets, 2,
                                    &f->n_offsets))
        return FALSE;
    }
  else
    {
      g_autofree char *member = display (key);
      g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: tensor “%s” has an unexpected member “%s”"),
                   p->file, shown, member);
      return FALSE;
    }
  if (dup)
    {
      /* key is one of the three known names here. */
      g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: tensor “%s” has “%s” twice"), p->file, shown, key);
      return FALSE;
    }
  return TRUE;
}

/* The object's members up to its '}', the '{' read. */
static gboolean
parse_tensor_members (Parser *p, Tensor *t, TensorFields *f,
                      const char *shown)
{
  g_autoptr (GString) key = g_string_new (NULL);

  if (peek (p) == '}')
    {
      p->pos++;
      return TRUE;
    }
  for (;;)
    {
      char c;

      if (!parse_string (p, key) || !expect (p, ':')
          || !parse_tensor_member (p, key->str, t, f, shown))
        return FALSE;
      c = peek (p);
      if (c == '}')
        {
          p->pos++;
          return TRUE;
        }
      if (c != ',')
        return syntax_error (p, _("expected ‘,’ or ‘}’"));
      p->pos++;
    }
}

/* Every member there, and sizes with checked arithmetic before anything
 * trusts them: the shape's bytes are the offsets' span, which lies in the
 * data. */
static gboolean
check_tensor_extent (Parser *p, Tensor *t, const TensorFields *f,
                     const char *shown, guint64 data_size)
{
  guint64  n = 1, bytes;
  gboolean overflow = FALSE;

  if (!f->have_dtype || !f->have_shape || !f->have_offsets)
    {
      g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: tensor “%s” has no “%s”"), p->file, shown,
                   !f->have_dtype ? "dtype" : !f->have_shape ? "shape"
                   : "data_offsets");
      return FALSE;
    }
  if (f->n_offsets != 2)
    {
      g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: tensor “%s”: “data_offsets” must hold two integers, "
                     "not %d"), p->file, shown, f->n_offsets);
      return FALSE;
    }

  for (int d = 0; d < t->ndim; d++)
    if (!g_uint64_checked_mul (&n, n, f->dims[d]))
      overflow = TRUE;
  if (overflow || !g_uint64_checked_mul (&bytes, n, t->dtype->size))
    {
      g_autoptr (GString) s = g_string_new (NULL);
      append_shape (s, t->shape, t->ndim);
      g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: tensor “%s” has an impossibly large shape %s"),
                   p->file, shown, s->str);
      return FALSE;
    }
  t->n_elements = n;
  t->begin = f->offsets[0];
  t->end = f->offsets[1];
  if (t->end < t->begin || t->end - t->begin != bytes)
    {
      g_autoptr (GString) s = g_string_new (NULL);
      append_shape (s, t->shape, t->ndim);
      g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: tensor “%s”: data_offsets [%" PRIu64 ", %"
                     PRIu64 "] do not span the %" PRIu64
                     " bytes of its dtype %s and shape %s"), p->file, shown,
                   t->begin, t->end, bytes, t->dtype->name, s->str);
      return FALSE;
    }
  if (t->end > data_size)
    {
      g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: tensor “%s”: data_offsets [%" PRIu64 ", %"
                     PRIu64 "] run past the end of the data (%"
                     PRIu64 " bytes)"), p->file, shown,
                   t->begin, t->end, data_size);
      return FALSE;
    }
  return TRUE;
}

/* {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, exactly
 * these three members, in any order. */
static Tensor *
parse_tensor (Parser *p, const char *name, guint64 data_size)
{
  g_autofree char *shown = display (name);
  Tensor          *t = g_new0 (Tensor, 1);
  TensorFields     f = { 0 };

  t->name = g_strdup (name);
  if (peek (p) != '{')
    {
      if (skip_value (p))
        g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                     _("%s: tensor “%s” is not described by a JSON object"),
                     p->file, shown);
      tensor_free (t);
      return NULL;
    }
  p->pos++;
  if (!parse_tensor_members (p, t, &f, shown)
      || !check_tensor_extent (p, t, &f, shown, data_size))
    {
      tensor_free (t);
      return NULL;
    }
  return t;
}

/* "__metadata__": {"key": "value", ...} (or null); checked, not kept. */
static gboolean
parse_metadata (Parser *p)
{
  g_autoptr (GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                       g_free, NULL);
  g_autoptr (GString) key = g_string_new (NULL);

  if (peek (p) == 'n')
    return parse_literal (p, "null");
  if (peek (p) != '{')
    {
      if (skip_value (p))
        g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                     _("%s: “__metadata__” is not a JSON object"), p->file);
      return FALSE;
    }
  p->pos++;
  if (peek (p) == '}')
    {
      p->pos++;
      return TRUE;
    }
  for (;;)
    {
      if (!parse_string (p, key) || !expect (p, ':'))
        return FALSE;
      if (g_hash_table_contains (keys, key->str))
        {
          g_autofree char *shown = display (key->str);
          g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                       _("%s: “__metadata__” has the key “%s” twice"),
                       p->file, shown);
          return FALSE;
        }
      g_hash_table_add (keys, g_strdup (key->str));
      if (peek (p) != '"')
        {
          if (skip_value (p))
            g_set_error (p->error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                         _("%s: “__metadata__” holds a value that is not a "
                           "string"), p->file);
          return FALSE;
        }
      if (!parse_string (p, NULL))
        return FALSE;

      char c = peek (p);
      if (c == '}')
        {
          p->pos++;
          return TRUE;
        }
      if (c != ',')
        return syntax_error (p, _("expected ‘,’ or ‘}’"));
      p->pos++;
    }
}

static int
compare_offsets (gconstpointer a, gconstpointer b)
{
  const Tensor *s = *(Tensor *const *) a;
  const Tensor *t = *(Tensor *const *) b;

  if (s->begin != t->begin)
    return s->begin < t->begin ? -1 : 1;
  if (s->end != t->end)
    return s->end < t->end ? -1 : 1;
  return strcmp (s->name, t->name);  /* a fixed order for empty tensors */
}

static gboolean
parse_header (SwagSafetensors *st, const char *json, gsize len,
              GError **error)
{
  Parser p = { json, len, 0, st->name, error };
  g_autoptr (GString) key = g_string_new (NULL);
  gboolean have_metadata = FALSE;

  if (peek (&p) != '{')
    {
      if (skip_value (&p))
        {
          if (peek (&p) != '\0')
            return syntax_error (&p, _("unexpected data after the JSON value"));
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                       _("%s: the header is JSON but not an object"), st->name);
        }
      return FALSE;
    }
  p.pos++;
  if (peek (&p) == '}')
    p.pos++;
  else
    for (;;)
      {
        if (!parse_string (&p, key) || !expect (&p, ':'))
          return FALSE;
        if (strcmp (key->str, "__metadata__") == 0)
          {
            if (have_metadata)
              {
                g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                             _("%s: the header has “__metadata__” twice"),
                             st->name);
                return FALSE;
              }
            have_metadata = TRUE;
            if (!parse_metadata (&p))
              return FALSE;
          }
        else
          {
            Tensor *t;

            /* json-glib would keep one silently: a file that names a
             * tensor twice is ambiguous, so it is refused. */
            if (g_hash_table_contains (st->index, key->str))
              {
                g_autofree char *shown = display (key->str);
                g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                             _("%s: the header names tensor “%s” twice"),
                             st->name, shown);
                return FALSE;
              }
            t = parse_tensor (&p, key->str, st->data_size);
            if (t == NULL)
              return FALSE;
            g_ptr_array_add (st->tensors, t);
            g_hash_table_insert (st->index, t->name, t);
          }

        char c = peek (&p);
        if (c == '}')
          {
            p.pos++;
            break;
          }
        if (c != ',')
          return syntax_error (&p, _("expected ‘,’ or ‘}’"));
        p.pos++;
      }
  if (peek (&p) != '\0')
    return syntax_error (&p, _("unexpected data after the JSON object"));

  /* The tensors must tile the data block: sorted by offset, each begins
   * where the previous ends, and the last ends at the end of the file. */
  g_ptr_array_sort (st->tensors, compare_offsets);
  guint64 at = 0;
  const Tensor *prev = NULL;
  for (guint k = 0; k < st->tensors->len; k++)
    {
      const Tensor *t = g_ptr_array_index (st->tensors, k);

      if (t->begin < at)
        {
          g_autofree char *shown = display (t->name);
          g_autofree char *other = display (prev->name);
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                       _("%s: the data of tensors “%s” and “%s” overlap"),
                       st->name, other, shown);
          return FALSE;
        }
      if (t->begin > at)
        {
          g_autofree char *shown = display (t->name);
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                       _("%s: bytes %" PRIu64 " to %" PRIu64
                         " of the data, before tensor “%s”, belong to no tensor"),
                       st->name, at, t->begin, shown);
          return FALSE;
        }
      at = t->end;
      prev = t;
    }
  if (at != st->data_size)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: the last %" PRIu64 " bytes of the data "
                     "belong to no tensor"), st->name, st->data_size - at);
      return FALSE;
    }
  return TRUE;
}

static guint64
read_le64 (const guint8 *b)
{
  guint64 v = 0;

  for (int k = 7; k >= 0; k--)
    v = (v << 8) | b[k];
  return v;
}

static SwagSafetensors *
open_buffer (const guint8 *data, gsize size, const char *name, GError **error)
{
  SwagSafetensors *st;
  guint64 header_len;

  if (size < 8)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: the file is too short (%zu bytes) to "
                     "be a safetensors file"), name, size);
      return NULL;
    }
  header_len = read_le64 (data);
  if (header_len > HEADER_MAX)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: the header length %" PRIu64 " is over the "
                     "format's limit of 100 MB: not a safetensors file"), name,
                   header_len);
      return NULL;
    }
  if (header_len > size - 8)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: the header length %" PRIu64 " runs past the "
                     "end of the file (%zu bytes): truncated?"),
                   name, header_len, size);
      return NULL;
    }
  if (header_len == 0)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: the header is empty"), name);
      return NULL;
    }
  /* Also refuses NUL bytes, which JSON never has outside strings and only
   * escaped inside. */
  if (!g_utf8_validate_len ((const char *) data + 8, (gsize) header_len, NULL))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: the header is not valid UTF-8"), name);
      return NULL;
    }

  st = g_new0 (SwagSafetensors, 1);
  st->name = g_strdup (name);
  st->data = data + 8 + header_len;
  st->data_size = size - 8 - header_len;
  st->tensors = g_ptr_array_new_with_free_func (tensor_free);
  st->index = g_hash_table_new (g_str_hash, g_str_equal);
  if (!parse_header (st, (const char *) data + 8, (gsize) header_len, error))
    {
      swag_safetensors_free (st);
      return NULL;
    }
  return st;
}

SwagSafetensors *
swag_safetensors_open_memory (const guint8 *data, gsize size,
                              const char *name, GError **error)
{
  g_autofree char *shown = display (name != NULL ? name : "(memory)");

  if (data == NULL && size > 0)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                   _("%s: no data"), shown);
      return NULL;
    }
  return open_buffer (data, size, shown, error);
}

SwagSafetensors *
swag_safetensors_open (const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *shown = NULL;
  GMappedFile *mapped;
  SwagSafetensors *st;

  if (path == NULL)
    {
      g_set_error_literal (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                           _("No weight file given"));
      return NULL;
    }
  shown = g_filename_display_name (path);
  /* Not a folder, pipe or device: opening a pipe would block. (A missing
   * file is left to the mapping, whose message says so.) */
  if (g_file_test (path, G_FILE_TEST_EXISTS)
      && !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: is not a regular file"), shown);
      return NULL;
    }
  /* Mapped, not read: VGG-19 is over half a gigabyte and only its feature
   * tensors are used. (If another program truncates the file while it is
   * mapped, reading it faults: the usual price of mapping.) */
  mapped = g_mapped_file_new (path, FALSE, &local);
  if (mapped == NULL)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("Cannot read the weight file: %s"), local->message);
      return NULL;
    }
  st = open_buffer ((const guint8 *) g_mapped_file_get_contents (mapped),
                    g_mapped_file_get_length (mapped), shown, error);
  if (st == NULL)
    {
      g_mapped_file_unref (mapped);
      return NULL;
    }
  st->mapped = mapped;
  return st;
}

void
swag_safetensors_free (SwagSafetensors *st)
{
  if (st == NULL)
    return;
  g_hash_table_unref (st->index);
  g_ptr_array_unref (st->tensors);
  if (st->mapped != NULL)
    g_mapped_file_unref (st->mapped);
  g_free (st->name);
  g_free (st);
}

gboolean
swag_safetensors_has (const SwagSafetensors *st, const char *tensor)
{
  return st != NULL && tensor != NULL
         && g_hash_table_contains (st->index, tensor);
}

int
swag_safetensors_n_tensors (const SwagSafetensors *st)
{
  return st != NULL ? (int) st->tensors->len : 0;
}

static const Tensor *
tensor_at (const SwagSafetensors *st, int index)
{
  if (st == NULL || index < 0 || (guint) index >= st->tensors->len)
    return NULL;
  return g_ptr_array_index (st->tensors, index);
}

const char *
swag_safetensors_tensor_name (const SwagSafetensors *st, int index)
{
  const Tensor *t = tensor_at (st, index);

  return t != NULL ? t->name : NULL;
}

const char *
swag_safetensors_tensor_dtype (const SwagSafetensors *st, int index)
{
  const Tensor *t = tensor_at (st, index);

  return t != NULL ? t->dtype->name : NULL;
}

int
swag_safetensors_tensor_shape (const SwagSafetensors *st, int index,
                               gint64 *shape)
{
  const Tensor *t = tensor_at (st, index);

  if (t == NULL)
    return -1;
  if (t->ndim > 0)
    memcpy (shape, t->shape, (gsize) t->ndim * sizeof *shape);
  return t->ndim;
}

/* ---------------------------------------------------------- conversion -- */

/* IEEE half to float, exactly: every half is a float. */
static float
f16_to_f32 (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exponent = (h >> 10) & 0x1f;
  guint32 mantissa = h & 0x3ff;
  guint32 bits;
  float f;

  if (exponent == 0)
    {
      /* Zero or subnormal: mantissa * 2^-24, exact in float arithmetic. */
      f = (float) mantissa * 0x1.0p-24f;
      return sign ? -f : f;
    }
  if (exponent == 31)
    bits = sign | 0x7f800000u | (mantissa << 13);  /* inf, NaN (payload kept) */
  else
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  memcpy (&f, &bits, sizeof f);
  return f;
}

/* Element @i of a tensor as float; the data is little-endian and may be
 * unaligned, hence memcpy. F64 beyond float's range becomes infinite (said
 * explicitly rather than left to the cast) and is refused by the caller like
 * any other infinity. */
static float
element (const Tensor *t, const guint8 *src, guint64 i)
{
  const guint8 *at = src + i * t->dtype->size;
  guint16 v16;
  guint32 v32;
  guint64 v64;
  float f;
  double d;

  switch (t->dtype->kind)
    {
    case KIND_F16:
      memcpy (&v16, at, 2);
      return f16_to_f32 (GUINT16_FROM_LE (v16));
    case KIND_BF16:
      /* The top half of a float32. */
      memcpy (&v16, at, 2);
      v32 = (guint32) GUINT16_FROM_LE (v16) << 16;
      memcpy (&f, &v32, 4);
      return f;
    case KIND_F32:
      memcpy (&v32, at, 4);
      v32 = GUINT32_FROM_LE (v32);
      memcpy (&f, &v32, 4);
      return f;
    case KIND_F64:
      memcpy (&v64, at, 8);
      v64 = GUINT64_FROM_LE (v64);
      memcpy (&d, &v64, 8);
      if (fabs (d) > FLT_MAX && !isinf (d))
        return d > 0 ? INFINITY : -INFINITY;
      return (float) d;
    case KIND_OTHER:
    default:
      break;
    }
  /* Not reached: read_f32 refuses other kinds first. NaN would be refused
   * too, without aborting the host. */
  return NAN;
}

gboolean
swag_safetensors_read_f32 (const SwagSafetensors *st, const char *tensor,
                           const gint64 *shape, int ndim, float *out,
                           GError **error)
{
  const Tensor *t;
  g_autofree char *shown = NULL;
  const guint8 *src;

  if (st == NULL || tensor == NULL || (ndim > 0 && shape == NULL)
      || ndim < 0 || ndim > SWAG_SAFETENSORS_MAX_DIMS)
    {
      g_set_error_literal (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                           "Bad arguments to read a tensor");
      return FALSE;
    }
  shown = display (tensor);
  t = g_hash_table_lookup (st->index, tensor);
  if (t == NULL)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: there is no tensor “%s”"), st->name, shown);
      return FALSE;
    }
  if (t->dtype->kind == KIND_OTHER)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: tensor “%s” holds %s values, not floating point "
                     "(F32, F16, BF16 or F64)"), st->name, shown,
                   t->dtype->name);
      return FALSE;
    }
  if (ndim != t->ndim
      || (ndim > 0 && memcmp (shape, t->shape,
                              (gsize) ndim * sizeof *shape) != 0))
    {
      g_autoptr (GString) want = g_string_new (NULL);
      g_autoptr (GString) have = g_string_new (NULL);
      append_shape (want, shape, ndim);
      append_shape (have, t->shape, t->ndim);
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   _("%s: tensor “%s” has shape %s, expected %s"),
                   st->name, shown, have->str, want->str);
      return FALSE;
    }
  if (t->n_elements > 0 && out == NULL)
    {
      g_set_error_literal (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                           "Bad arguments to read a tensor");
      return FALSE;
    }

  /* Check every value first so that a refused tensor leaves @out as it
   * was; conversion is cheap next to the network's use of the weights. */
  src = st->data + t->begin;
  for (guint64 i = 0; i < t->n_elements; i++)
    {
      float v = element (t, src, i);
      if (!isfinite (v))
        {
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                       /* TRANSLATORS: the third %s is "NaN", "a value beyond
                        * float's range" or "an infinite value". */
                       _("%s: tensor “%s” holds %s at element %" PRIu64),
                       st->name, shown,
                       isnan (v) ? "NaN"
                       : t->dtype->kind == KIND_F64 ? _("a value beyond float's range")
                       : _("an infinite value"), i);
          return FALSE;
        }
    }
  if (t->n_elements == 0)
    return TRUE;
  if (t->dtype->kind == KIND_F32 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    memcpy (out, src, t->n_elements * sizeof (float));
  else
    for (guint64 i = 0; i < t->n_elements; i++)
      out[i] = element (t, src, i);
  return TRUE;
}

/* -------------------------------------------------------------- writing -- */

gboolean
swag_safetensors_write (const char *path, int n_tensors,
                        const char *const *names,
                        const gint64 *const *shapes, const int *ndims,
                        const float *const *data, GError **error)
{
  g_autoptr (GString) header = g_string_new ("{");
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree guint64 *sizes = NULL;
  g_autofree guint8 *buffer = NULL;
  g_autoptr (GError) local = NULL;
  guint64 offset = 0, total;

  if (path == NULL || n_tensors < 0
      || (n_tensors > 0 && (names == NULL || shapes == NULL || ndims == NULL
                            || data == NULL)))
    {
      g_set_error_literal (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                           "Bad arguments to write a weight file");
      return FALSE;
    }

  /* Sizes and header first, all checked, then one buffer. */
  sizes = g_new (guint64, MAX (n_tensors, 1));
  for (int k = 0; k < n_tensors; k++)
    {
      guint64 n = 1;

      if (names[k] == NULL || !g_utf8_validate (names[k], -1, NULL)
          || strcmp (names[k], "__metadata__") == 0
          || !g_hash_table_add (seen, (gpointer) names[k])
          || ndims[k] < 0 || ndims[k] > SWAG_SAFETENSORS_MAX_DIMS
          || (ndims[k] > 0 && shapes[k] == NULL))
        {
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                       "Cannot write tensor %d: bad, repeated or reserved "
                       "name, or bad number of dims", k);
          return FALSE;
        }
      for (int d = 0; d < ndims[k]; d++)
        if (shapes[k][d] < 0
            || !g_uint64_checked_mul (&n, n, (guint64) shapes[k][d]))
          {
            g_set_error (error, SWAG_ERROR, SWAG_ERROR_INVALID,
                         "Cannot write tensor %d: bad shape", k);
            return FALSE;
          }
      if (!g_uint64_checked_mul (&sizes[k], n, sizeof (float))
          || !g_uint64_checked_add (&offset, offset, sizes[k])
          || (sizes[k] > 0 && data[k] == NULL))
        {
          g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                       "Cannot write tensor %d: too large", k);
          return FALSE;
        }

      if (k > 0)
        g_string_append_c (header, ',');
      swag_json_append_string (header, names[k]);
      g_string_append (header, ":{\"dtype\":\"F32\",\"shape\":");
      append_shape (header, shapes[k], ndims[k]);
      g_string_append_printf (header, ",\"data_offsets\":[%" G_GUINT64_FORMAT
                              ",%" G_GUINT64_FORMAT "]}",
                              offset - sizes[k], offset);
    }
  g_string_append_c (header, '}');
  /* Spaces (JSON whitespace) so the data starts 8-byte aligned. */
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');

  if (!g_uint64_checked_add (&total, 8 + (guint64) header->len, offset)
      || total > G_MAXSSIZE
      || (buffer = g_try_malloc ((gsize) total)) == NULL)
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_NO_MEMORY,
                   "Not enough memory to write %s", path);
      return FALSE;
    }
  for (int k = 0; k < 8; k++)
    buffer[k] = (guint8) ((guint64) header->len >> (8 * k));
  memcpy (buffer + 8, header->str, header->len);
  guint8 *at = buffer + 8 + header->len;
  for (int k = 0; k < n_tensors; k++)
    {
      if (sizes[k] == 0)
        continue;
      if (G_BYTE_ORDER == G_LITTLE_ENDIAN)
        memcpy (at, data[k], (gsize) sizes[k]);
      else
        for (guint64 i = 0; i < sizes[k] / 4; i++)
          {
            guint32 v;
            memcpy (&v, data[k] + i, 4);
            v = GUINT32_TO_LE (v);
            memcpy (at + 4 * i, &v, 4);
          }
      at += sizes[k];
    }

  /* Temporary file and rename: never a half-written weight file. */
  if (!g_file_set_contents (path, (const char *) buffer, (gssize) total,
                            &local))
    {
      g_set_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS,
                   "Cannot write the weight file: %s", local->message);
      return FALSE;
    }
  return TRUE;
}
