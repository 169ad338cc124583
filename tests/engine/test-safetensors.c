/* test-safetensors.c: the .safetensors reader and writer, and every malformed
 * file we can think of, built here from bytes. GPL-3.0-or-later. */
#include <math.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "swag.h"
#include "swag-safetensors.h"

#define NAME "test.safetensors"

/* 8-byte little-endian header length, the header, then @data_len bytes of
 * data (@data, or zeros). */
static GBytes *
make_file (const char *json, gsize json_len, const void *data, gsize data_len)
{
  GByteArray *b = g_byte_array_new ();
  guint8 len[8];
  guint64 n = json_len;

  for (int k = 0; k < 8; k++)
    len[k] = (guint8) (n >> (8 * k));
  g_byte_array_append (b, len, 8);
  g_byte_array_append (b, (const guint8 *) json, (guint) json_len);
  if (data != NULL)
    g_byte_array_append (b, data, (guint) data_len);
  else
    for (gsize k = 0; k < data_len; k++)
      g_byte_array_append (b, (const guint8 *) "", 1);
  return g_byte_array_free_to_bytes (b);
}

static GBytes *
make (const char *json, gsize data_len)
{
  return make_file (json, strlen (json), NULL, data_len);
}

static SwagSafetensors *
open_bytes (GBytes *bytes, GError **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  return swag_safetensors_open_memory (data, size, NAME, error);
}

/* Opening fails with SWAG_ERROR_WEIGHTS, a message naming the file, and
 * @what in it. */
static void
assert_open_fails (GBytes *bytes, const char *what)
{
  GError *error = NULL;
  SwagSafetensors *st = open_bytes (bytes, &error);

  g_assert_null (st);
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  if (g_test_verbose ())
    g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, NAME));
  if (strstr (error->message, what) == NULL)
    g_error ("“%s” does not say “%s”", error->message, what);
  g_error_free (error);
  g_bytes_unref (bytes);
}

/* Opening succeeds; reading @tensor as @shape fails with @what. */
static void
assert_read_fails (GBytes *bytes, const char *tensor, const gint64 *shape,
                   int ndim, const char *what)
{
  GError *error = NULL;
  SwagSafetensors *st = open_bytes (bytes, &error);
  float out[16];

  g_assert_no_error (error);
  for (int k = 0; k < 16; k++)
    out[k] = 42.0f;
  g_assert_false (swag_safetensors_read_f32 (st, tensor, shape, ndim, out,
                                             &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  if (g_test_verbose ())
    g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, NAME));
  g_assert_nonnull (strstr (error->message, tensor));
  if (strstr (error->message, what) == NULL)
    g_error ("“%s” does not say “%s”", error->message, what);
  /* Nothing half-done: a refused tensor leaves the output alone. */
  for (int k = 0; k < 16; k++)
    g_assert_cmpfloat (out[k], ==, 42.0f);
  g_error_free (error);
  swag_safetensors_free (st);
  g_bytes_unref (bytes);
}

/* ------------------------------------------------------------ round trip -- */

static void
test_round_trip (void)
{
  g_autofree char *dir = g_dir_make_tmp ("swag-st-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "w.safetensors", NULL);
  const gint64 s0[] = { 2, 3 }, s2[] = { 0, 4 }, s3[] = { 1, 1, 1, 1, 1, 1, 1, 5 };
  const float d0[] = { 1, -2, 3.5f, 1e-30f, -0.0f, 3.4e38f }, d1[] = { 7 };
  const float d3[] = { 1, 2, 3, 4, 5 };
  const char *names[] = { "features.0.weight", "odd \"name\"\n\303\251",
                          "empty", "eight dims" };
  const gint64 *shapes[] = { s0, NULL, s2, s3 };
  const int ndims[] = { 2, 0, 2, 8 };
  const float *data[] = { d0, d1, NULL, d3 };
  GError *error = NULL;
  SwagSafetensors *st;
  gint64 shape[SWAG_SAFETENSORS_MAX_DIMS];
  float out[6];

  g_assert_true (swag_safetensors_write (path, 4, names, shapes, ndims, data,
                                         &error));
  g_assert_no_error (error);

  /* The header is padded with spaces so that data starts 8-byte aligned. */
  {
    g_autofree char *contents = NULL;
    gsize len;
    guint64 hlen = 0;
    g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
    for (int k = 7; k >= 0; k--)
      hlen = (hlen << 8) | (guchar) contents[k];
    g_assert_cmpuint (hlen % 8, ==, 0);
    g_assert_cmpuint (len, ==, 8 + hlen + (6 + 1 + 0 + 5) * 4);
  }

  st = swag_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (swag_safetensors_n_tensors (st), ==, 4);
  for (int k = 0; k < 4; k++)
    {
      g_assert_cmpstr (swag_safetensors_tensor_name (st, k), ==, names[k]);
      g_assert_cmpstr (swag_safetensors_tensor_dtype (st, k), ==, "F32");
      g_assert_cmpint (swag_safetensors_tensor_shape (st, k, shape), ==, ndims[k]);
      g_assert_true (swag_safetensors_has (st, names[k]));
    }
  g_assert_null (swag_safetensors_tensor_name (st, 4));
  g_assert_null (swag_safetensors_tensor_name (st, -1));
  g_assert_cmpint (swag_safetensors_tensor_shape (st, 4, shape), ==, -1);
  g_assert_false (swag_safetensors_has (st, "features.1.weight"));

  g_assert_true (swag_safetensors_read_f32 (st, names[0], s0, 2, out, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (out, sizeof d0, d0, sizeof d0);
  g_assert_true (swag_safetensors_read_f32 (st, names[1], NULL, 0, out, &error));
  g_assert_cmpfloat (out[0], ==, 7.0f);
  g_assert_true (swag_safetensors_read_f32 (st, "empty", s2, 2, NULL, &error));
  g_assert_true (swag_safetensors_read_f32 (st, "eight dims", s3, 8, out, &error));
  g_assert_cmpmem (out, sizeof d3, d3, sizeof d3);
  g_assert_no_error (error);
  swag_safetensors_free (st);

  /* Written again over the old file: replaced whole. */
  g_assert_true (swag_safetensors_write (path, 1, names, shapes, ndims, data,
                                         &error));
  st = swag_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (swag_safetensors_n_tensors (st), ==, 1);
  swag_safetensors_free (st);

  /* No tensors at all is a valid (empty) file. */
  g_assert_true (swag_safetensors_write (path, 0, NULL, NULL, NULL, NULL,
                                         &error));
  st = swag_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (swag_safetensors_n_tensors (st), ==, 0);
  swag_safetensors_free (st);

  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_write_errors (void)
{
  g_autofree char *dir = g_dir_make_tmp ("swag-st-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "no", "such", "dir", NULL);
  g_autofree char *ok = g_build_filename (dir, "ok.safetensors", NULL);
  const gint64 s[] = { 1 }, neg[] = { -1 };
  const float d[] = { 1 };
  const char *names[] = { "a", "a" };
  const char *meta[] = { "__metadata__" };
  const gint64 *shapes[] = { s, s };
  const gint64 *bad_shapes[] = { neg };
  const int ndims[] = { 1, 1 };
  const float *data[] = { d, d };
  GError *error = NULL;

  g_assert_false (swag_safetensors_write (path, 1, names, shapes, ndims, data,
                                          &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_clear_error (&error);
  g_assert_false (swag_safetensors_write (ok, 2, names, shapes, ndims, data,
                                          &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (swag_safetensors_write (ok, 1, meta, shapes, ndims, data,
                                          &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (swag_safetensors_write (ok, 1, names, bad_shapes, ndims,
                                          data, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (g_file_test (ok, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_open_path_errors (void)
{
  g_autofree char *dir = g_dir_make_tmp ("swag-st-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.safetensors", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.safetensors", NULL);
  GError *error = NULL;

  g_assert_null (swag_safetensors_open (missing, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_assert_nonnull (strstr (error->message, "missing.safetensors"));
  g_clear_error (&error);

  g_assert_null (swag_safetensors_open (dir, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_clear_error (&error);

  /* A device (or a pipe, whose opening would block) is not a weight file. */
  if (g_file_test ("/dev/null", G_FILE_TEST_EXISTS))
    {
      g_assert_null (swag_safetensors_open ("/dev/null", &error));
      g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
      g_assert_nonnull (strstr (error->message, "not a regular file"));
      g_clear_error (&error);
    }

  /* An empty file, then a file with a bad header: named in the message. */
  g_assert_true (g_file_set_contents (bad, "", 0, NULL));
  g_assert_null (swag_safetensors_open (bad, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_assert_nonnull (strstr (error->message, "bad.safetensors"));
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (bad, "\x04\0\0\0\0\0\0\0[1] ", 12, NULL));
  g_assert_null (swag_safetensors_open (bad, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_assert_nonnull (strstr (error->message, "bad.safetensors"));
  g_assert_nonnull (strstr (error->message, "not an object"));
  g_clear_error (&error);

  g_assert_cmpint (g_remove (bad), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* ------------------------------------------------------------ conversion -- */

static void
read_values (const char *dtype, const void *bytes, gsize n_bytes, int n,
             float *out)
{
  g_autofree char *json = g_strdup_printf (
    "{\"t\":{\"dtype\":\"%s\",\"shape\":[%d],\"data_offsets\":[0,%"
    G_GSIZE_FORMAT "]}}", dtype, n, n_bytes);
  g_autoptr (GBytes) file = make_file (json, strlen (json), bytes, n_bytes);
  GError *error = NULL;
  SwagSafetensors *st = open_bytes (file, &error);
  gint64 shape[] = { n };

  g_assert_no_error (error);
  g_assert_true (swag_safetensors_read_f32 (st, "t", shape, 1, out, &error));
  g_assert_no_error (error);
  swag_safetensors_free (st);
}

static void
assert_same_float (float got, float want)
{
  /* Bitwise, so that -0 and 0 differ. */
  if (memcmp (&got, &want, sizeof got) != 0)
    g_error ("got %a, want %a", (double) got, (double) want);
}

static void
test_f16 (void)
{
  /* Little-endian halves and their exact values. */
  static const struct { guint16 h; float f; } cases[] = {
    { 0x0000, 0.0f },
    { 0x8000, -0.0f },
    { 0x3c00, 1.0f },
    { 0xc000, -2.0f },
    { 0x3555, 0.333251953125f },
    { 0x7bff, 65504.0f },           /* largest finite */
    { 0x0400, 0x1.0p-14f },         /* smallest normal */
    { 0x03ff, 0x1.ff8p-15f },       /* largest subnormal: 1023 * 2^-24 */
    { 0x0001, 0x1.0p-24f },         /* smallest subnormal */
    { 0x8001, -0x1.0p-24f },
    { 0x0200, 0x1.0p-15f },
    { 0x4248, 3.140625f },
  };
  guint8 bytes[G_N_ELEMENTS (cases) * 2];
  float out[G_N_ELEMENTS (cases)];

  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      bytes[2 * k] = (guint8) (cases[k].h & 0xff);
      bytes[2 * k + 1] = (guint8) (cases[k].h >> 8);
    }
  read_values ("F16", bytes, sizeof bytes, G_N_ELEMENTS (cases), out);
  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    assert_same_float (out[k], cases[k].f);
}

static void
test_bf16 (void)
{
  static const struct { guint16 h; float f; } cases[] = {
    { 0x3f80, 1.0f },
    { 0xbf80, -1.0f },
    { 0x4049, 3.140625f },
    { 0x8000, -0.0f },
    { 0x7f7f, 0x1.fep127f },        /* largest finite */
    { 0x0001, 0x1.0p-133f },        /* a float subnormal */
  };
  guint8 bytes[G_N_ELEMENTS (cases) * 2];
  float out[G_N_ELEMENTS (cases)];

  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      bytes[2 * k] = (guint8) (cases[k].h & 0xff);
      bytes[2 * k + 1] = (guint8) (cases[k].h >> 8);
    }
  read_values ("BF16", bytes, sizeof bytes, G_N_ELEMENTS (cases), out);
  for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
    assert_same_float (out[k], cases[k].f);
}

static void
put_le64 (guint8 *at, double d)
{
  guint64 v;

  memcpy (&v, &d, 8);
  for (int k = 0; k < 8; k++)
    at[k] = (guint8) (v >> (8 * k));
}

static void
test_f64 (void)
{
  const double in[] = { 0.1, -1e30, 1e-320, 3.0, -0.0 };
  const float want[] = { 0.1f, -1e30f, 0.0f, 3.0f, -0.0f };
  guint8 bytes[sizeof in];
  float out[G_N_ELEMENTS (in)];

  for (gsize k = 0; k < G_N_ELEMENTS (in); k++)
    put_le64 (bytes + 8 * k, in[k]);
  read_values ("F64", bytes, sizeof bytes, G_N_ELEMENTS (in), out);
  for (gsize k = 0; k < G_N_ELEMENTS (in); k++)
    assert_same_float (out[k], want[k]);
}

static void
test_unaligned (void)
{
  /* The header is padded so that the data starts at 1 mod 4 from the
   * buffer's (aligned) start; a 2-byte U8 tensor then puts the F32 and F16
   * ones at 3 mod 4. */
  GString *json = g_string_new (
    "{\"u\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
    "\"f\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[2,10]},"
    "\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[10,12]}}");
  const guint8 data[] = { 1, 2, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc1,
                          0x00, 0x3c };
  GError *error = NULL;
  const gint64 two[] = { 2 }, one[] = { 1 };
  float out[2];

  while ((8 + json->len) % 4 != 1)
    g_string_append_c (json, ' ');
  g_autoptr (GBytes) file = make_file (json->str, json->len, data, sizeof data);
  g_string_free (json, TRUE);
  SwagSafetensors *st = open_bytes (file, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (swag_safetensors_tensor_dtype (st, 0), ==, "U8");
  g_assert_true (swag_safetensors_read_f32 (st, "f", two, 1, out, &error));
  g_assert_no_error (error);
  assert_same_float (out[0], 1.0f);
  assert_same_float (out[1], -10.0f);
  g_assert_true (swag_safetensors_read_f32 (st, "h", one, 1, out, &error));
  assert_same_float (out[0], 1.0f);
  swag_safetensors_free (st);
}

static void
test_valid_variants (void)
{
  const char *ok[] = {
    "{}",
    "  {  }  \n\t\r ",
    "{\"__metadata__\":{\"format\":\"pt\",\"k\":\"v\"}}",
    "{\"__metadata__\":null}",
    "{\"__metadata__\":{}}",
    /* Escapes in names, members in any order, a scalar, an empty tensor. */
    ("{\"a\\u00e9\\ud83d\\ude00\\n\":{\"shape\":[],\"data_offsets\":[0,4],\"dtype\":\"F32\"},"
     " \"z\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[4,4]}}"),
  };
  const gsize data_len[] = { 0, 0, 0, 0, 0, 4 };

  for (gsize k = 0; k < G_N_ELEMENTS (ok); k++)
    {
      g_autoptr (GBytes) file = make (ok[k], data_len[k]);
      GError *error = NULL;
      SwagSafetensors *st = open_bytes (file, &error);

      g_assert_no_error (error);
      g_assert_nonnull (st);
      swag_safetensors_free (st);
    }

  /* The escaped name decodes to UTF-8. */
  g_autoptr (GBytes) file = make (ok[5], 4);
  SwagSafetensors *st = open_bytes (file, NULL);
  g_assert_true (swag_safetensors_has (st, "a\303\251\360\237\230\200\n"));
  g_assert_true (swag_safetensors_read_f32 (st, "a\303\251\360\237\230\200\n",
                                            NULL, 0, (float[1]) { 0 }, NULL));
  swag_safetensors_free (st);
}

/* ------------------------------------------------------------- malformed -- */

#define T(name, rest) "\"" name "\":{" rest "}"
#define F32(shape, b, e) "\"dtype\":\"F32\",\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]"

static void
test_truncated (void)
{
  assert_open_fails (g_bytes_new ("\x10\0\0\0\0", 5), "too short");
  assert_open_fails (g_bytes_new ("", 0), "too short");
  /* A valid file cut in the data: the last tensor runs past the end. */
  assert_open_fails (make ("{" T ("a", F32 ("[2]", 0, 8)) "}", 5), "run past the end");
  /* Cut in the header. */
  {
    const char *json = "{" T ("a", F32 ("[2]", 0, 8)) "}";
    GBytes *whole = make (json, 8);
    GBytes *cut = g_bytes_new_from_bytes (whole, 0, 8 + strlen (json) / 2);
    assert_open_fails (cut, "runs past the end of the file");
    g_bytes_unref (whole);
  }
}

static void
test_header_length (void)
{
  guint8 bytes[40] = { 0 };

  bytes[0] = 0xe8;  /* 1000 */
  bytes[1] = 0x03;
  assert_open_fails (g_bytes_new (bytes, sizeof bytes), "runs past the end");
  memset (bytes, 0, 8);
  bytes[7] = 0x40;  /* 2^62 */
  assert_open_fails (g_bytes_new (bytes, sizeof bytes), "100 MB");
  memset (bytes, 0xff, 8);
  assert_open_fails (g_bytes_new (bytes, sizeof bytes), "100 MB");
  memset (bytes, 0, 8);
  bytes[0] = 0x01;  /* 100,000,001 */
  bytes[1] = 0xe1;
  bytes[2] = 0xf5;
  bytes[3] = 0x05;
  assert_open_fails (g_bytes_new (bytes, sizeof bytes), "100 MB");
  memset (bytes, 0, 8);
  assert_open_fails (g_bytes_new (bytes, sizeof bytes), "empty");
}

static void
test_not_json (void)
{
  const char *bad[] = {
    "hello",
    "{\"a\":}",
    "{\"a\" {}}",
    "{,}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,0]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,],\"data_offsets\":[0,0]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[-],\"data_offsets\":[0,0]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.],\"data_offsets\":[0,0]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[1e],\"data_offsets\":[0,0]}}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}}",
    "{} {}",
    "{\"a\\x\":1}",
    "{\"a\\u12\":1}",
    "{\"\\ud800\":1}",
    "{\"\\udc00\":1}",
    "{\"\\ud800\\u0041\":1}",
    "{\"a\tb\":1}",
    "{\"a",
    "{\"a\\",
    "[1, 2",
    "tru",
    "   ",
    "{'a':1}",
  };

  for (gsize k = 0; k < G_N_ELEMENTS (bad); k++)
    assert_open_fails (make (bad[k], 0), "not valid JSON");
}

static void
test_not_object (void)
{
  const char *bad[] = { "[1, 2]", "\"text\"", "42", "-0.5e3", "true", "null",
                        "[{\"a\":[true,false,null,{}]},[],\"\\u00e9\"]" };

  for (gsize k = 0; k < G_N_ELEMENTS (bad); k++)
    assert_open_fails (make (bad[k], 0), "not an object");
}

static void
test_deep_nesting (void)
{
  /* Nothing recurses: a million brackets are refused without a crash. */
  gsize n = 1000000;
  char *json = g_malloc (2 * n + 1);

  memset (json, '[', n);
  memset (json + n, ']', n);
  json[2 * n] = '\0';
  assert_open_fails (make (json, 0), "nested too deeply");
  json[0] = '{';
  memcpy (json + 1, "\"__metadata__\":", 15);
  assert_open_fails (make (json, 0), "nested too deeply");
  g_free (json);
}

static void
test_not_utf8 (void)
{
  assert_open_fails (make ("{\"a\xff\":{" F32 ("[]", 0, 4) "}}", 4), "UTF-8");
  assert_open_fails (make ("{\"\xc0\xaf\":{}}", 0), "UTF-8");  /* overlong */
  assert_open_fails (make_file ("{\"a\0\":1}", 8, NULL, 0), "UTF-8");
  assert_open_fails (make ("{\"a\\u0000\":{" F32 ("[]", 0, 4) "}}", 4), "U+0000");
}

static void
test_duplicates (void)
{
  assert_open_fails (make ("{" T ("a", F32 ("[1]", 0, 4)) ","
                           T ("a", F32 ("[1]", 4, 8)) "}", 8),
                     "names tensor “a” twice");
  /* The same name spelt with an escape is the same name. */
  assert_open_fails (make ("{" T ("a", F32 ("[1]", 0, 4)) ","
                           T ("\\u0061", F32 ("[1]", 4, 8)) "}", 8),
                     "twice");
  assert_open_fails (make ("{" T ("a", "\"dtype\":\"F32\"," F32 ("[1]", 0, 4)) "}", 4),
                     "“dtype” twice");
  assert_open_fails (make ("{" T ("a", F32 ("[1]", 0, 4) ",\"shape\":[1]") "}", 4),
                     "“shape” twice");
  assert_open_fails (make ("{" T ("a", F32 ("[1]", 0, 4) ",\"data_offsets\":[0,4]") "}", 4),
                     "“data_offsets” twice");
  assert_open_fails (make ("{\"__metadata__\":{},\"__metadata__\":{}}", 0),
                     "“__metadata__” twice");
  assert_open_fails (make ("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0),
                     "key “k” twice");
}

static void
test_entries (void)
{
  assert_open_fails (make ("{\"a\":[1]}", 0), "tensor “a” is not described");
  assert_open_fails (make ("{" T ("a", "\"dtype\":\"F33\",\"shape\":[],\"data_offsets\":[0,4]") "}", 4),
                     "unknown dtype “F33”");
  assert_open_fails (make ("{" T ("a", "\"dtype\":\"f32\",\"shape\":[],\"data_offsets\":[0,4]") "}", 4),
                     "unknown dtype");
  assert_open_fails (make ("{" T ("a", "\"dtype\":32,\"shape\":[],\"data_offsets\":[0,4]") "}", 4),
                     "not a string");
  assert_open_fails (make ("{" T ("a", "\"shape\":[],\"data_offsets\":[0,4]") "}", 4),
                     "no “dtype”");
  assert_open_fails (make ("{" T ("a", "\"dtype\":\"F32\",\"data_offsets\":[0,4]") "}", 4),
                     "no “shape”");
  assert_open_fails (make ("{" T ("a", "\"dtype\":\"F32\",\"shape\":[]") "}", 4),
                     "no “data_offsets”");
  assert_open_fails (make ("{" T ("a", F32 ("[]", 0, 4) ",\"extra\":1") "}", 4),
                     "unexpected member “extra”");
  assert_open_fails (make ("{\"__metadata__\":[]}", 0), "“__metadata__” is not");
  assert_open_fails (make ("{\"__metadata__\":{\"k\":1}}", 0), "not a string");
  assert_open_fails (make ("{\"__metadata__\":{\"k\":{\"x\":\"y\"}}}", 0),
                     "not a string");
}

static void
test_shapes (void)
{
  assert_open_fails (make ("{" T ("a", F32 ("[-1]", 0, 4)) "}", 4), "negative");
  assert_open_fails (make ("{" T ("a", F32 ("[-0]", 0, 0)) "}", 0), "negative");
  assert_open_fails (make ("{" T ("a", F32 ("[1.5]", 0, 4)) "}", 4), "not an integer");
  assert_open_fails (make ("{" T ("a", F32 ("[1.0]", 0, 4)) "}", 4), "not an integer");
  assert_open_fails (make ("{" T ("a", F32 ("[1e0]", 0, 4)) "}", 4), "not an integer");
  assert_open_fails (make ("{" T ("a", F32 ("[\"1\"]", 0, 4)) "}", 4), "other than an integer");
  assert_open_fails (make ("{" T ("a", F32 ("[[1]]", 0, 4)) "}", 4), "other than an integer");
  assert_open_fails (make ("{" T ("a", F32 ("1", 0, 4)) "}", 4), "not a list");
  assert_open_fails (make ("{" T ("a", F32 ("[1,1,1,1,1,1,1,1,1]", 0, 4)) "}", 4),
                     "more than 8");
  assert_open_fails (make ("{" T ("a", F32 ("[99999999999999999999]", 0, 4)) "}", 4),
                     "too large");
  assert_open_fails (make ("{" T ("a", F32 ("[9223372036854775808]", 0, 4)) "}", 4),
                     "too large");
  /* 2^40 elements: refused before anything is allocated, whether the
   * offsets agree with it or not. */
  assert_open_fails (make ("{" T ("a", F32 ("[1099511627776]", 0, 4)) "}", 4),
                     "do not span");
  assert_open_fails (make ("{" T ("a", F32 ("[1099511627776]", 0, 4398046511104)) "}", 4),
                     "run past the end");
  assert_open_fails (make ("{" T ("a", F32 ("[1099511627776,1099511627776]", 0, 4)) "}", 4),
                     "impossibly large");
  assert_open_fails (make ("{" T ("a", F32 ("[4611686018427387904]", 0, 4)) "}", 4),
                     "impossibly large");  /* 2^62 * 4 bytes wraps */
}

static void
test_offsets (void)
{
  assert_open_fails (make ("{" T ("a", F32 ("[2]", 0, 8)) "}", 4), "run past the end");
  assert_open_fails (make ("{" T ("a", F32 ("[2]", 4, 0)) "}", 8), "do not span");
  assert_open_fails (make ("{" T ("a", F32 ("[2]", 0, 4)) "}", 8), "do not span");
  assert_open_fails (make ("{" T ("a", "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]") "}", 4),
                     "two integers");
  assert_open_fails (make ("{" T ("a", "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]") "}", 4),
                     "more than 2");
  assert_open_fails (make ("{" T ("a", "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,-4]") "}", 4),
                     "negative");
  assert_open_fails (make ("{" T ("a", "\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{}") "}", 4),
                     "not a list");
  /* Overlapping. */
  assert_open_fails (make ("{" T ("a", F32 ("[2]", 0, 8)) "," T ("b", F32 ("[2]", 4, 12)) "}", 12),
                     "“a” and “b” overlap");
  assert_open_fails (make ("{" T ("a", F32 ("[2]", 0, 8)) "," T ("b", F32 ("[2]", 0, 8)) "}", 8),
                     "overlap");
  assert_open_fails (make ("{" T ("a", F32 ("[2]", 0, 8)) "," T ("b", F32 ("[0]", 4, 4)) "}", 8),
                     "overlap");
  /* A gap, and data that no tensor covers. */
  assert_open_fails (make ("{" T ("a", F32 ("[1]", 0, 4)) "," T ("b", F32 ("[1]", 8, 12)) "}", 12),
                     "bytes 4 to 8 of the data, before tensor “b”");
  assert_open_fails (make ("{" T ("a", F32 ("[1]", 4, 8)) "}", 8), "bytes 0 to 4");
  assert_open_fails (make ("{" T ("a", F32 ("[1]", 0, 4)) "}", 8), "last 4 bytes");
  assert_open_fails (make ("{}", 1), "last 1 bytes");
}

static void
test_read_errors (void)
{
  const gint64 s1[] = { 1 }, s2[] = { 2 }, s3[] = { 3 }, s21[] = { 2, 1 };
  const guint8 nan32[] = { 0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0x7f };
  const guint8 inf32[] = { 0, 0, 0x80, 0xff };
  const guint8 nan16[] = { 0x00, 0x7e }, inf16[] = { 0x00, 0x7c };
  const guint8 inf_bf16[] = { 0x80, 0xff };
  guint8 big64[8];
  const char *two_f32 = "{" T ("w", F32 ("[2]", 0, 8)) "}";

  assert_read_fails (make (two_f32, 8), "w", s3, 1, "has shape [2], expected [3]");
  assert_read_fails (make (two_f32, 8), "w", s21, 2, "has shape [2], expected [2, 1]");
  assert_read_fails (make (two_f32, 8), "w", NULL, 0, "expected []");
  assert_read_fails (make (two_f32, 8), "x", s2, 1, "no tensor “x”");
  assert_read_fails (make ("{" T ("n", "\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]") "}", 8),
                     "n", s1, 1, "I64");
  assert_read_fails (make ("{" T ("b", "\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[0,1]") "}", 1),
                     "b", s1, 1, "BOOL");
  assert_read_fails (make_file ("{" T ("w", F32 ("[2]", 0, 8)) "}",
                                strlen ("{" T ("w", F32 ("[2]", 0, 8)) "}"), nan32, 8),
                     "w", s2, 1, "NaN at element 1");
  assert_read_fails (make_file ("{" T ("w", F32 ("[1]", 0, 4)) "}",
                                strlen ("{" T ("w", F32 ("[1]", 0, 4)) "}"), inf32, 4),
                     "w", s1, 1, "infinite");
  {
    const char *json = "{" T ("h", "\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]") "}";
    assert_read_fails (make_file (json, strlen (json), nan16, 2), "h", s1, 1, "NaN");
    assert_read_fails (make_file (json, strlen (json), inf16, 2), "h", s1, 1, "infinite");
  }
  {
    const char *json = "{" T ("h", "\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]") "}";
    assert_read_fails (make_file (json, strlen (json), inf_bf16, 2), "h", s1, 1, "infinite");
  }
  {
    const char *json = "{" T ("d", "\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]") "}";
    put_le64 (big64, 1e300);
    assert_read_fails (make_file (json, strlen (json), big64, 8), "d", s1, 1,
                       "beyond float's range");
    put_le64 (big64, NAN);
    assert_read_fails (make_file (json, strlen (json), big64, 8), "d", s1, 1, "NaN");
  }
}

static void
test_hostile_names (void)
{
  /* Control characters and very long names stay out of messages. */
  GString *json = g_string_new ("{\"a\\u001b[31m\\n");
  GError *error = NULL;

  for (int k = 0; k < 10000; k++)
    g_string_append_c (json, 'x');
  g_string_append (json, "\":{\"dtype\":\"X\",\"shape\":[],\"data_offsets\":[0,0]}}");
  GBytes *file = make (json->str, 0);
  g_assert_null (open_bytes (file, &error));
  g_assert_error (error, SWAG_ERROR, SWAG_ERROR_WEIGHTS);
  g_assert_null (strchr (error->message, '\033'));
  g_assert_null (strchr (error->message, '\n'));
  g_assert_cmpuint (strlen (error->message), <, 300);
  g_clear_error (&error);
  g_bytes_unref (file);
  g_string_free (json, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/safetensors/round-trip", test_round_trip);
  g_test_add_func ("/safetensors/write-errors", test_write_errors);
  g_test_add_func ("/safetensors/open-path-errors", test_open_path_errors);
  g_test_add_func ("/safetensors/f16", test_f16);
  g_test_add_func ("/safetensors/bf16", test_bf16);
  g_test_add_func ("/safetensors/f64", test_f64);
  g_test_add_func ("/safetensors/unaligned", test_unaligned);
  g_test_add_func ("/safetensors/valid-variants", test_valid_variants);
  g_test_add_func ("/safetensors/malformed/truncated", test_truncated);
  g_test_add_func ("/safetensors/malformed/header-length", test_header_length);
  g_test_add_func ("/safetensors/malformed/not-json", test_not_json);
  g_test_add_func ("/safetensors/malformed/not-object", test_not_object);
  g_test_add_func ("/safetensors/malformed/deep-nesting", test_deep_nesting);
  g_test_add_func ("/safetensors/malformed/not-utf8", test_not_utf8);
  g_test_add_func ("/safetensors/malformed/duplicates", test_duplicates);
  g_test_add_func ("/safetensors/malformed/entries", test_entries);
  g_test_add_func ("/safetensors/malformed/shapes", test_shapes);
  g_test_add_func ("/safetensors/malformed/offsets", test_offsets);
  g_test_add_func ("/safetensors/malformed/read", test_read_errors);
  g_test_add_func ("/safetensors/malformed/hostile-names", test_hostile_names);
  return g_test_run ();
}
