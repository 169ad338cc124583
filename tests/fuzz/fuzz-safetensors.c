/* fuzz-safetensors.c: libFuzzer target for the .safetensors reader. Opens the
 * input as a file in memory, then reads every tensor it lists with its
 * declared shape, and once with a wrong shape. GPL-3.0-or-later. */
#include <stdint.h>

#include <glib.h>

#include "swag-safetensors.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  SwagSafetensors *st = swag_safetensors_open_memory (data, size, "fuzz",
                                                      &error);

  if (st == NULL)
    {
      /* Every refusal must say why. */
      if (error == NULL || error->message == NULL)
        __builtin_trap ();
      g_error_free (error);
      return 0;
    }

  for (int k = 0; k < swag_safetensors_n_tensors (st); k++)
    {
      const char *name = swag_safetensors_tensor_name (st, k);
      gint64 shape[SWAG_SAFETENSORS_MAX_DIMS];
      int ndim = swag_safetensors_tensor_shape (st, k, shape);
      gsize n = 1;
      float *out;

      if (name == NULL || ndim < 0 || ndim > SWAG_SAFETENSORS_MAX_DIMS
          || !swag_safetensors_has (st, name)
          || swag_safetensors_tensor_dtype (st, k) == NULL)
        __builtin_trap ();
      /* The reader checked that the data holds every element, so this
       * cannot overflow; if it does, that is a finding. */
      for (int d = 0; d < ndim; d++)
        if (shape[d] < 0 || !g_size_checked_mul (&n, n, (gsize) shape[d]))
          __builtin_trap ();
      if (n > size)
        __builtin_trap ();

      out = g_new (float, MAX (n, 1));
      if (!swag_safetensors_read_f32 (st, name, shape, ndim, out, &error))
        {
          if (error == NULL)
            __builtin_trap ();
          g_clear_error (&error);
        }
      /* A shape that is not the tensor's is always refused. */
      shape[0] = ndim > 0 ? shape[0] + 1 : 1;
      if (swag_safetensors_read_f32 (st, name, shape, MAX (ndim, 1), out,
                                     &error))
        __builtin_trap ();
      g_clear_error (&error);
      g_free (out);
    }
  swag_safetensors_free (st);
  return 0;
}
