/* swag-fftconv.h: "same" convolutions with large kernels and few input
 * channels by FFT (FFTW, single precision), overlap-save in tiles. The
 * kernel spectra are made once per network, like the Winograd weights.
 * Internal to the engine.
 *
 * GPL-3.0-or-later.
 */
#ifndef SWAG_FFTCONV_H
#define SWAG_FFTCONV_H

#include "swag-ops.h"

G_BEGIN_DECLS

/* Where the FFT beats im2col: from 7x7 kernels up (measured in
 * bench/README.md), and only for a few input channels, whose spectra stay
 * small (out_c * in_c of them). */
#define SWAG_FFTCONV_MIN_K 7
#define SWAG_FFTCONV_MAX_IN_C 4
#define SWAG_FFTCONV_MAX_SPECTRA_BYTES ((gsize) 64 << 20)

/* Odd square kernel >= SWAG_FFTCONV_MIN_K, stride 1, padding (k - 1) / 2, at
 * most SWAG_FFTCONV_MAX_IN_C input channels. */
gboolean     swag_fftconv_applies (const SwagConvDesc *cv);

/* The transform side T the tiles use for a k x k kernel (T - k + 1 outputs
 * per tile side), by a cost model; 0 when none fits. */
int          swag_fftconv_pick_side (int k, int in_c, int out_c);

/* Measured at 512 px, one thread: the multi-scale network's evaluation
 * (8.7 G FFT multiply-adds) took 0.65 of VGG-19's (284 G direct ones). */
#define SWAG_FFTCONV_MAC_COST 20.0

/* Multiply-adds of one forward at h x w (transforms and products, the
 * FFT's own work, not the direct method's), times SWAG_FFTCONV_MAC_COST;
 * the backward costs the same. */
double       swag_fftconv_macs (const SwagConvDesc *cv, int h, int w);

/* Bytes of the kernel spectra swag_fftconv_new would make (0 if it does not
 * apply). */
gsize        swag_fftconv_spectra_bytes (const SwagConvDesc *cv);

/* The kernel spectra and plans of @cv (its weights must be final). */
SwagFftConv *swag_fftconv_new  (const SwagConvDesc *cv, GError **error);
void         swag_fftconv_free (SwagFftConv *fc);

int          swag_fftconv_side (const SwagFftConv *fc);

/* Per-thread workspace it wants (pool work floats); with less it allocates
 * its own on every tile. */
gsize        swag_fftconv_work_floats (const SwagFftConv *fc);

/* The contracts of swag_conv2d_forward and swag_conv2d_backward_relu (din
 * is added to; the ReLU bits are applied while reading dout, which is left
 * unchanged). */
void         swag_fftconv_forward  (SwagCtx *ctx, const SwagConvDesc *cv,
                                    const SwagFftConv *fc, const float *in,
                                    int h, int w, float *out, gboolean relu);
void         swag_fftconv_backward (SwagCtx *ctx, const SwagFftConv *fc,
                                    const float *dout,
                                    const guint8 *relu_bits, int h, int w,
                                    float *din);

G_END_DECLS

#endif /* SWAG_FFTCONV_H */
