/* swag-safetensors.h: a validating reader (and a small writer, for tests and
 * tools) of the .safetensors format: 8-byte little-endian header length, a
 * JSON header {"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
 * "__metadata__": {...}}, then the raw little-endian data. Internal to the
 * engine.
 *
 * Everything that comes from the file is checked before use: the header size
 * against the file, the JSON, each dtype and shape (element counts with
 * checked arithmetic), offsets in range, not overlapping, and covering the data
 * exactly. Errors are SWAG_ERROR_WEIGHTS and name the file and the tensor.
 *
 * GPL-3.0-or-later.
 */
#ifndef SWAG_SAFETENSORS_H
#define SWAG_SAFETENSORS_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SwagSafetensors SwagSafetensors;

#define SWAG_SAFETENSORS_MAX_DIMS 8

/* Maps (or reads) @path and validates the whole header. */
SwagSafetensors *swag_safetensors_open        (const char *path,
                                               GError    **error);
/* The same over a buffer the caller keeps alive (fuzzing, tests); @name is
 * used in messages. */
SwagSafetensors *swag_safetensors_open_memory (const guint8 *data,
                                               gsize         size,
                                               const char   *name,
                                               GError      **error);
void             swag_safetensors_free        (SwagSafetensors *st);

gboolean swag_safetensors_has (const SwagSafetensors *st, const char *tensor);

/* The tensors in data order, for tools and fuzzing; 0 <= @index < n. The
 * dtype is the file's name for it ("F32", "BF16", "I64", ...). The shape
 * fills @shape (SWAG_SAFETENSORS_MAX_DIMS entries) and returns the number of
 * dims. */
int         swag_safetensors_n_tensors    (const SwagSafetensors *st);
const char *swag_safetensors_tensor_name  (const SwagSafetensors *st,
                                           int                    index);
const char *swag_safetensors_tensor_dtype (const SwagSafetensors *st,
                                           int                    index);
int         swag_safetensors_tensor_shape (const SwagSafetensors *st,
                                           int                    index,
                                           gint64                *shape);

/* Copies tensor @tensor into @out as float32, converting F16 and BF16 (and
 * F64), after checking that its shape is exactly @shape (@ndim dims). Fails
 * on a missing tensor, another shape, another dtype (integers), or a value
 * that is NaN or infinite. */
gboolean swag_safetensors_read_f32 (const SwagSafetensors *st,
                                    const char            *tensor,
                                    const gint64          *shape,
                                    int                    ndim,
                                    float                 *out,
                                    GError               **error);

/* Writes F32 tensors (names[i], shapes[i] with ndims[i] dims, data[i]) to
 * @path atomically. */
gboolean swag_safetensors_write (const char          *path,
                                 int                  n_tensors,
                                 const char *const   *names,
                                 const gint64 *const *shapes,
                                 const int           *ndims,
                                 const float *const  *data,
                                 GError             **error);

G_END_DECLS

#endif /* SWAG_SAFETENSORS_H */
