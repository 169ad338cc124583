/* swag-winograd.c: 3x3 stride-1 pad-1 convolutions by Winograd F(4x4, 3x3)
 * (Lavin & Gray 2016), forward and input gradient. GPL-3.0-or-later.
 *
 * Forward, per 4x4 output tile and output channel o:
 *   Y_o = A^T [ sum_c U_oc (.) (B^T d_c B) ] A,   U_oc = G g_oc G^T   (6x6)
 * with d_c the tile's 6x6 input patch. The 36 positions xi of the 6x6
 * transform domain are 36 independent GEMMs M[xi] (O, tiles) = U[xi] (O, C)
 * V[xi] (C, tiles): a multiply count of 36 per 16 outputs instead of 144.
 *
 * Backward is the exact adjoint of that linear map (the weights are
 * constants): dM_o = A dY_o A^T, dV_c = sum_o U_oc (.) dM_o (the same U,
 * contracted over o), dd_c = B dV_c B^T added into the overlapping 6x6
 * patches of din. No flipped kernels, no second set of weights.
 *
 * Blocking: tiles are taken in blocks of whole tile rows (at least
 * WINO_TILES tiles). A block's transformed input V (36, rows, tiles) and
 * product M (36, rows, tiles) live in one thread's workspace; the 36 GEMMs
 * run the GEMM's micro-kernel directly on them (V is laid out as B rows,
 * the weights are pre-packed as A panels, swag_winograd_weights). Blocks
 * are the tasks when there are enough of them; otherwise each block's
 * transforms are split over channels and its GEMMs over xi.
 *
 * Determinism: every output is computed by the same operations whatever the
 * thread count. The backward's patches overlap by two pixels between tile
 * rows; blocks run in two phases (even blocks, then odd ones) so that
 * concurrent blocks never touch the same pixels and every pixel receives
 * its contributions in the same order.
 *
 * Accuracy: the transforms have constants up to 8 (A) and 5 (B); errors
 * are a few times float's epsilon relative to the sums of |terms|, about
 * 10x the direct method's, well inside the conformance tolerances.
 */
#include "swag-ops.h"
#include "swag-blas.h"

#include <stdlib.h>
#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#define MR SWAG_GEMM_MR
#define NR SWAG_GEMM_NR
#define XI 36          /* transform positions */
#define WINO_TILES 64  /* tiles per block, at least */
#define KCW 256        /* contraction rows per kernel call: B rows in L1 */
#define BLOCK_TASKS 4  /* fewer blocks than this: parallel inside blocks */
#define GROUP 16       /* tiles per vector */

static int
round_up (int a, int b)
{
  return (a + b - 1) / b * b;
}

gboolean
swag_winograd_applies (const SwagConvDesc *cv)
{
  /* Few channels make the GEMMs too thin to pay for the transforms (VGG's
   * first layer has 3). */
  return cv->kh == 3 && cv->kw == 3 && cv->stride == 1 && cv->pad == 1
         && cv->in_c >= 16 && cv->out_c >= 16;
}

/* ------------------------------------------------------------ weights -- */

gsize
swag_winograd_weight_floats (int in_c, int out_c)
{
  /* + MR * MR: the backward kernel reads a panel's rows up to MR - 1 past
   * in_c, beyond the last panel too. */
  return (gsize) XI * round_up (out_c, MR) * in_c + (gsize) MR * MR;
}

void
swag_winograd_weights (const float *w,  /* (out_c, in_c, 3, 3) */
                       int          in_c,
                       int          out_c,
                       float       *u)  /* (36, out_c / MR, in_c, MR) */
{
  static const double G[6][3] = {
    { 1.0 / 4, 0, 0 },
    { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
    { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
    { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
    { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
    { 0, 0, 1 } };
  const gsize xs = (gsize) round_up (out_c, MR) * in_c;

  memset (u, 0, swag_winograd_weight_floats (in_c, out_c) * sizeof (float));
  for (int o = 0; o < out_c; o++)
    for (int c = 0; c < in_c; c++)
      {
        const float *g = w + ((gsize) o * in_c + c) * 9;
        double t[6][3];
        for (int a = 0; a < 6; a++)
          for (int j = 0; j < 3; j++)
            t[a][j] = G[a][0] * g[j] + G[a][1] * g[3 + j] + G[a][2] * g[6 + j];
        for (int a = 0; a < 6; a++)
          for (int b = 0; b < 6; b++)
            {
              const double v = t[a][0] * G[b][0] + t[a][1] * G[b][1]
                               + t[a][2] * G[b][2];
              u[(gsize) (a * 6 + b) * xs + (gsize) (o / MR) * in_c * MR
                + (gsize) c * MR + o % MR] = (float) v;
            }
      }
}

/* ----------------------------------------------------------- geometry -- */

typedef struct
{
  int   c, o, opad, cpad;
  int   h, w, th, tw;
  int   rows;        /* tile rows per block */
  int   n_blocks;
  int   ntpad;       /* tile columns of V and M, a multiple of NR */
  gsize v_rows, m_rows;
} Geom;

static void
geom_init (Geom *g, const SwagConvDesc *cv, int h, int w, gboolean backward)
{
  g->c = cv->in_c;
  g->o = cv->out_c;
  g->opad = round_up (g->o, MR);
  g->cpad = round_up (g->c, MR);
  g->h = h;
  g->w = w;
  g->th = (h + 3) / 4;
  g->tw = (w + 3) / 4;
  g->rows = MAX (1, (WINO_TILES + g->tw - 1) / g->tw);
  g->rows = MIN (g->rows, g->th);
  g->n_blocks = (g->th + g->rows - 1) / g->rows;
  g->ntpad = round_up (g->rows * g->tw, NR);
  g->v_rows = backward ? g->opad : g->c;
  g->m_rows = backward ? g->cpad : g->opad;
}

static gsize
geom_v_floats (const Geom *g)
{
  return (gsize) XI * g->v_rows * g->ntpad;
}

static gsize
geom_m_floats (const Geom *g)
{
  return (gsize) XI * g->m_rows * g->ntpad;
}

gsize
swag_winograd_work_floats (const SwagConvDesc *cv, int h, int w)
{
  Geom f, b;

  if (!swag_winograd_applies (cv) || h <= 0 || w <= 0)
    return 0;
  geom_init (&f, cv, h, w, FALSE);
  geom_init (&b, cv, h, w, TRUE);
  return MAX (geom_v_floats (&f) + geom_m_floats (&f),
              geom_v_floats (&b) + geom_m_floats (&b)) + 64;
}

/* ------------------------------------------------------- vector helpers -- */

/* A vector of GROUP floats: lane l belongs to tile l of a group of up to 16
 * consecutive tiles of one tile row. */
#if defined(__AVX512F__)

typedef __m512 vec;
#define vadd _mm512_add_ps
#define vsub _mm512_sub_ps
#define vzero _mm512_setzero_ps
#define vset1 _mm512_set1_ps
/* k * a + b */
#define vfma(k, a, b) _mm512_fmadd_ps (_mm512_set1_ps (k), (a), (b))
#define vmul(k, a) _mm512_mul_ps (_mm512_set1_ps (k), (a))

static inline __mmask16
lanes (int n)
{
  return (__mmask16) ((1u << n) - 1);
}

static inline vec
vload (const float *p, int n)
{
  return n >= GROUP ? _mm512_loadu_ps (p) : _mm512_maskz_loadu_ps (lanes (n), p);
}

static inline void
vstore (float *p, vec v, int n)
{
  if (n >= GROUP)
    _mm512_storeu_ps (p, v);
  else
    _mm512_mask_storeu_ps (p, lanes (n), v);
}

static inline vec
vrelu (vec v)
{
  /* max (v, 0) that keeps NaN: keep v where !(v < 0) */
  __mmask16 neg = _mm512_cmp_ps_mask (v, _mm512_setzero_ps (), _CMP_LT_OQ);
  return _mm512_mask_blend_ps (neg, v, _mm512_setzero_ps ());
}

/* out[q] lane l = p[4l + q], q < 4, from 64 floats. */
static inline void
deint4 (const float *p, vec out[4])
{
  const __m512 v0 = _mm512_loadu_ps (p), v1 = _mm512_loadu_ps (p + 16);
  const __m512 v2 = _mm512_loadu_ps (p + 32), v3 = _mm512_loadu_ps (p + 48);
  for (int q = 0; q < 4; q++)
    {
      const __m512i idx = _mm512_set_epi32 (28 + q, 24 + q, 20 + q, 16 + q,
                                            12 + q, 8 + q, 4 + q, q,
                                            28 + q, 24 + q, 20 + q, 16 + q,
                                            12 + q, 8 + q, 4 + q, q);
      const __m512 a = _mm512_permutex2var_ps (v0, idx, v1);
      const __m512 b = _mm512_permutex2var_ps (v2, idx, v3);
      out[q] = _mm512_mask_blend_ps (0xFF00, a, b);
    }
}

/* out[q] lane l = p[4l + q], q < 6, from 66 floats. */
static inline void
deint6 (const float *p, vec out[6])
{
  deint4 (p, out);
  const __m512 t0 = _mm512_maskz_loadu_ps (1, p + 64);
  const __m512 t1 = _mm512_maskz_loadu_ps (1, p + 65);
  out[4] = _mm512_castsi512_ps (_mm512_alignr_epi32 (
             _mm512_castps_si512 (t0), _mm512_castps_si512 (out[0]), 1));
  out[5] = _mm512_castsi512_ps (_mm512_alignr_epi32 (
             _mm512_castps_si512 (t1), _mm512_castps_si512 (out[1]), 1));
}

/* w[k] lane j = y[q] lane l for 16 k + j = 4 l + q: the 64 floats of y
 * interleaved (the inverse of deint4). */
static inline void
inter4_lanes (const vec y[4], __m512 w[4])
{
  const __m512i lo = _mm512_set_epi32 (23, 7, 22, 6, 21, 5, 20, 4,
                                       19, 3, 18, 2, 17, 1, 16, 0);
  const __m512i hi = _mm512_set_epi32 (31, 15, 30, 14, 29, 13, 28, 12,
                                       27, 11, 26, 10, 25, 9, 24, 8);
  const __m512i lo64 = _mm512_set_epi64 (11, 3, 10, 2, 9, 1, 8, 0);
  const __m512i hi64 = _mm512_set_epi64 (15, 7, 14, 6, 13, 5, 12, 4);
  const __m512 a0 = _mm512_permutex2var_ps (y[0], lo, y[1]);
  const __m512 a1 = _mm512_permutex2var_ps (y[0], hi, y[1]);
  const __m512 b0 = _mm512_permutex2var_ps (y[2], lo, y[3]);
  const __m512 b1 = _mm512_permutex2var_ps (y[2], hi, y[3]);
  w[0] = _mm512_castpd_ps (_mm512_permutex2var_pd (_mm512_castps_pd (a0), lo64, _mm512_castps_pd (b0)));
  w[1] = _mm512_castpd_ps (_mm512_permutex2var_pd (_mm512_castps_pd (a0), hi64, _mm512_castps_pd (b0)));
  w[2] = _mm512_castpd_ps (_mm512_permutex2var_pd (_mm512_castps_pd (a1), lo64, _mm512_castps_pd (b1)));
  w[3] = _mm512_castpd_ps (_mm512_permutex2var_pd (_mm512_castps_pd (a1), hi64, _mm512_castps_pd (b1)));
}

/* p[4l + q] = y[q] lane l, 64 floats, where keep has a bit. */
static inline void
inter4 (const vec y[4], float *p, __mmask64 keep)
{
  __m512 w[4];

  inter4_lanes (y, w);
  for (int k = 0; k < 4; k++)
    {
      const __mmask16 m = (__mmask16) (keep >> (16 * k));
      if (m == 0xFFFF)
        _mm512_storeu_ps (p + 16 * k, w[k]);
      else if (m)
        _mm512_mask_storeu_ps (p + 16 * k, m, w[k]);
    }
}

/* The same, adding into p. */
static inline void
inter4_add (const vec y[4], float *p, __mmask64 keep)
{
  __m512 w[4];

  inter4_lanes (y, w);
  for (int k = 0; k < 4; k++)
    {
      const __mmask16 m = (__mmask16) (keep >> (16 * k));
      if (m)
        _mm512_mask_storeu_ps (p + 16 * k, m,
                               _mm512_add_ps (w[k], _mm512_maskz_loadu_ps (m, p + 16 * k)));
    }
}

/* Lane 0 = lane 15 of prev, lane l = v lane l - 1. */
static inline vec
shift_in (vec v, vec prev)
{
  return _mm512_castsi512_ps (_mm512_alignr_epi32 (
           _mm512_castps_si512 (v), _mm512_castps_si512 (prev), 15));
}

static inline float
lane (vec v, int l)
{
  float t[GROUP];
  _mm512_storeu_ps (t, v);
  return t[l];
}

typedef guint64 keep_t;

#else /* plain C, 16 lanes */

typedef struct
{
  float f[GROUP];
} vec;

static inline vec
vadd (vec a, vec b)
{
  for (int l = 0; l < GROUP; l++)
    a.f[l] += b.f[l];
  return a;
}

static inline vec
vsub (vec a, vec b)
{
  for (int l = 0; l < GROUP; l++)
    a.f[l] -= b.f[l];
  return a;
}

static inline vec
vzero (void)
{
  vec z = { { 0 } };
  return z;
}

static inline vec
vset1 (float k)
{
  vec v;
  for (int l = 0; l < GROUP; l++)
    v.f[l] = k;
  return v;
}

static inline vec
vfma (float k, vec a, vec b)
{
  for (int l = 0; l < GROUP; l++)
    b.f[l] += k * a.f[l];
  return b;
}

static inline vec
vmul (float k, vec a)
{
  for (int l = 0; l < GROUP; l++)
    a.f[l] *= k;
  return a;
}

static inline vec
vload (const float *p, int n)
{
  vec v = { { 0 } };
  for (int l = 0; l < MIN (n, GROUP); l++)
    v.f[l] = p[l];
  return v;
}

static inline void
vstore (float *p, vec v, int n)
{
  for (int l = 0; l < MIN (n, GROUP); l++)
    p[l] = v.f[l];
}

static inline vec
vrelu (vec v)
{
  for (int l = 0; l < GROUP; l++)
    if (v.f[l] < 0.0f)
      v.f[l] = 0.0f;
  return v;
}

static inline void
deint4 (const float *p, vec out[4])
{
  for (int q = 0; q < 4; q++)
    for (int l = 0; l < GROUP; l++)
      out[q].f[l] = p[4 * l + q];
}

static inline void
deint6 (const float *p, vec out[6])
{
  for (int q = 0; q < 6; q++)
    for (int l = 0; l < GROUP; l++)
      out[q].f[l] = p[4 * l + q];
}

typedef guint64 keep_t;

static inline void
inter4 (const vec y[4], float *p, keep_t keep)
{
  for (int l = 0; l < GROUP; l++)
    for (int q = 0; q < 4; q++)
      if ((keep >> (4 * l + q)) & 1)
        p[4 * l + q] = y[q].f[l];
}

static inline void
inter4_add (const vec y[4], float *p, keep_t keep)
{
  for (int l = 0; l < GROUP; l++)
    for (int q = 0; q < 4; q++)
      if ((keep >> (4 * l + q)) & 1)
        p[4 * l + q] += y[q].f[l];
}

static inline vec
shift_in (vec v, vec prev)
{
  vec r;
  r.f[0] = prev.f[GROUP - 1];
  for (int l = 1; l < GROUP; l++)
    r.f[l] = v.f[l - 1];
  return r;
}

static inline float
lane (vec v, int l)
{
  return v.f[l];
}

#endif

/* buf[k] = row[x0 + k] where 0 <= x0 + k < end, else 0, for k < len
 * (len <= 80). */
static inline void
load_padded (const float *row, int x0, int end, int len, float *buf)
{
#if defined(__AVX512F__)
  for (int k = 0; k < len; k += 16)
    {
      /* lanes l with 0 <= x0 + k + l < end; masked-off lanes never load */
      const int lo = CLAMP (-(x0 + k), 0, 16), hi = CLAMP (end - (x0 + k), 0, 16);
      const __mmask16 m = hi > lo ? (__mmask16) (((1u << hi) - 1) & ~((1u << lo) - 1)) : 0;
      _mm512_storeu_ps (buf + k, _mm512_maskz_loadu_ps (m, row + x0 + k));
    }
#else
  for (int k = 0; k < len; k++)
    buf[k] = x0 + k >= 0 && x0 + k < end ? row[x0 + k] : 0.0f;
#endif
}

/* Bits [lo, hi) of a 64-bit mask (0 <= lo <= hi <= 64). */
static inline keep_t
keep_range (int lo, int hi)
{
  if (hi <= lo)
    return 0;
  const keep_t upto = hi >= 64 ? ~(keep_t) 0 : (((keep_t) 1 << hi) - 1);
  const keep_t from = lo <= 0 ? ~(keep_t) 0 : ~(((keep_t) 1 << lo) - 1);
  return upto & from;
}

/* ----------------------------------------------------- 1-D transforms -- */

/* B^T x (6 -> 6) */
static inline void
bt6 (const vec x[6], vec y[6])
{
  const vec x12 = vadd (x[1], x[2]), x34 = vadd (x[3], x[4]);
  const vec d12 = vsub (x[1], x[2]), d43 = vsub (x[4], x[3]);
  const vec d42 = vsub (x[4], x[2]), d31 = vsub (x[3], x[1]);
  y[0] = vadd (vfma (-5.0f, x[2], vmul (4.0f, x[0])), x[4]);
  y[1] = vfma (-4.0f, x12, x34);
  y[2] = vfma (4.0f, d12, d43);
  y[3] = vfma (2.0f, d31, d42);
  y[4] = vfma (-2.0f, d31, d42);
  y[5] = vadd (vfma (-5.0f, x[3], vmul (4.0f, x[1])), x[5]);
}

/* A^T m (6 -> 4) */
static inline void
at6 (const vec m[6], vec y[4])
{
  const vec a = vadd (m[1], m[2]), b = vsub (m[1], m[2]);
  const vec c = vadd (m[3], m[4]), d = vsub (m[3], m[4]);
  y[0] = vadd (vadd (m[0], a), c);
  y[1] = vfma (2.0f, d, b);
  y[2] = vfma (4.0f, c, a);
  y[3] = vadd (vfma (8.0f, d, b), m[5]);
}

/* A d (4 -> 6), the adjoint of at6 */
static inline void
a4 (const vec d[4], vec z[6])
{
  const vec e = vadd (d[0], d[2]), f = vadd (d[1], d[3]);
  const vec g = vfma (4.0f, d[2], d[0]), h = vfma (8.0f, d[3], vmul (2.0f, d[1]));
  z[0] = d[0];
  z[1] = vadd (e, f);
  z[2] = vsub (e, f);
  z[3] = vadd (g, h);
  z[4] = vsub (g, h);
  z[5] = d[3];
}

/* B v (6 -> 6), the adjoint of bt6 */
static inline void
b6 (const vec v[6], vec j[6])
{
  const vec s12 = vadd (v[1], v[2]), s34 = vadd (v[3], v[4]);
  j[0] = vmul (4.0f, v[0]);
  j[1] = vfma (4.0f, vadd (vsub (v[2], v[1]), v[5]), vmul (2.0f, vsub (v[4], v[3])));
  j[2] = vsub (vfma (-4.0f, s12, vmul (-5.0f, v[0])), s34);
  j[3] = vfma (-5.0f, v[5], vfma (2.0f, vsub (v[3], v[4]), vsub (v[1], v[2])));
  j[4] = vadd (vadd (v[0], s12), s34);
  j[5] = v[5];
}

/* ------------------------------------------------------ tile transforms -- */

/* Transformed input of channel plane @x (h, w) for tile rows [ty0, ty1) into
 * v (36 planes of stride xs, row stride 1: one row of the block's tiles). */
static void
input_tiles (const float *x, int h, int w, int tw, int ty0, int ty1,
             float *v, gsize xs)
{
  float buf[6][80];

  for (int ty = ty0; ty < ty1; ty++)
    for (int tx0 = 0; tx0 < tw; tx0 += GROUP)
      {
        const int n = MIN (GROUP, tw - tx0);
        const int x0 = 4 * tx0 - 1;
        const gboolean inside = x0 >= 0 && x0 + 66 <= w;
        const gsize t = (gsize) (ty - ty0) * tw + tx0;
        vec h6[6][6];

        for (int i = 0; i < 6; i++)
          {
            const int y = 4 * ty - 1 + i;
            vec d[6];
            if (y < 0 || y >= h)
              {
                for (int j = 0; j < 6; j++)
                  h6[i][j] = vzero ();
                continue;
              }
            const float *row = x + (gsize) y * w;
            if (inside)
              deint6 (row + x0, d);
            else
              {
                /* zero padding outside [0, w) and past the group */
                load_padded (row, x0, MIN (w, x0 + 4 * n + 2), 66, buf[i]);
                deint6 (buf[i], d);
              }
            bt6 (d, h6[i]);     /* along x */
          }
        for (int l = 0; l < 6; l++)
          {
            vec col[6], r[6];
            for (int i = 0; i < 6; i++)
              col[i] = h6[i][l];
            bt6 (col, r);       /* along y */
            for (int k = 0; k < 6; k++)
              vstore (v + (gsize) (k * 6 + l) * xs + t, r[k], n);
          }
      }
}

/* Output tiles of one output plane from m (36 planes of stride xs): y =
 * A^T m A + bias, ReLU, into out (h, w). */
static void
output_tiles (const float *m, gsize xs, float bias, gboolean relu, float *out,
              int h, int w, int tw, int ty0, int ty1)
{
  const vec vb = vset1 (bias);

  for (int ty = ty0; ty < ty1; ty++)
    for (int tx0 = 0; tx0 < tw; tx0 += GROUP)
      {
        const int n = MIN (GROUP, tw - tx0);
        const gsize t = (gsize) (ty - ty0) * tw + tx0;
        const keep_t keep = keep_range (0, MIN (w, 4 * (tx0 + n)) - 4 * tx0);
        vec r[4][6];

        for (int l = 0; l < 6; l++)
          {
            vec col[6], y[4];
            for (int k = 0; k < 6; k++)
              col[k] = vload (m + (gsize) (k * 6 + l) * xs + t, n);
            at6 (col, y);       /* along y */
            for (int i = 0; i < 4; i++)
              r[i][l] = y[i];
          }
        for (int i = 0; i < 4 && 4 * ty + i < h; i++)
          {
            vec y[4];
            at6 (r[i], y);      /* along x */
            for (int j = 0; j < 4; j++)
              {
                y[j] = vadd (y[j], vb);
                if (relu)
                  y[j] = vrelu (y[j]);
              }
            inter4 (y, out + (gsize) (4 * ty + i) * w + 4 * tx0, keep);
          }
      }
}

/* Backward, first transform: dM = A dY A^T of the gradient plane dy (h, w)
 * for tile rows [ty0, ty1) into v (36 planes of stride xs). Outputs beyond
 * the plane have no gradient (zero). */
static void
grad_in_tiles (const float *dy, const guint8 *bits, gsize bit0, int h, int w,
               int tw, int ty0, int ty1, float *v, gsize xs)
{
  float buf[64];

  for (int ty = ty0; ty < ty1; ty++)
    for (int tx0 = 0; tx0 < tw; tx0 += GROUP)
      {
        const int n = MIN (GROUP, tw - tx0);
        const int x0 = 4 * tx0;
        const gsize t = (gsize) (ty - ty0) * tw + tx0;
        vec rows[4][4];   /* [i][j]: output row i, column j of each tile */
        vec z[6][4];

        for (int i = 0; i < 4; i++)
          {
            const int y = 4 * ty + i;
            if (y >= h)
              {
                for (int j = 0; j < 4; j++)
                  rows[i][j] = vzero ();
                continue;
              }
            const float *row = dy + (gsize) y * w;
            if (bits)
              {
                /* the forward ReLU's backward, on the fly: a load masked
                 * by the bits and the plane's edge */
                const int end = MIN (w, x0 + 64);
                const gsize pos = bit0 + (gsize) y * w + x0;
                for (int k = 0; k < 64; k += 16)
                  {
                    const int nb = CLAMP (end - x0 - k, 0, 16);
                    const guint32 m = nb ? swag_bits_get (bits, pos + k, nb) : 0;
#if defined(__AVX512F__)
                    _mm512_storeu_ps (buf + k, _mm512_maskz_loadu_ps ((__mmask16) m,
                                                                      row + x0 + k));
#else
                    for (int l = 0; l < 16; l++)
                      buf[k + l] = (m >> l) & 1 ? row[x0 + k + l] : 0.0f;
#endif
                  }
                deint4 (buf, rows[i]);
              }
            else if (x0 + 64 <= w)
              deint4 (row + x0, rows[i]);
            else
              {
                load_padded (row, x0, w, 64, buf);
                deint4 (buf, rows[i]);
              }
          }
        /* along x: z[.][i] = A dY[i][.] */
        for (int i = 0; i < 4; i++)
          {
            vec zz[6];
            a4 (rows[i], zz);
            for (int l = 0; l < 6; l++)
              z[l][i] = zz[l];
          }
        /* along y */
        for (int l = 0; l < 6; l++)
          {
            vec zz[6];
            a4 (z[l], zz);
            for (int k = 0; k < 6; k++)
              vstore (v + (gsize) (k * 6 + l) * xs + t, zz[k], n);
          }
      }
}

/* Backward, last transform: dd = B dV B^T from m (36 planes of stride xs),
 * added into the overlapping 6x6 patches of the plane din (h, w), tile rows
 * [ty0, ty1) in order, tiles left to right. */
static void
grad_out_tiles (const float *m, gsize xs, float *din, int h, int w, int tw,
                int ty0, int ty1)
{
  for (int ty = ty0; ty < ty1; ty++)
    {
      vec prev4[6], prev5[6];   /* the previous group's dd[.][4], dd[.][5] */

      for (int i = 0; i < 6; i++)
        prev4[i] = prev5[i] = vzero ();
      for (int tx0 = 0; tx0 < tw; tx0 += GROUP)
        {
          const int n = MIN (GROUP, tw - tx0);
          const gsize t = (gsize) (ty - ty0) * tw + tx0;
          const int x0 = 4 * tx0 - 1;   /* pixel of element 0 */
          /* elements of this group's tiles that lie in [0, w); the two
           * columns after the last tile go with the next group or below */
          const keep_t keep = keep_range (-x0, MIN (w - x0, 4 * n));
          vec c[6][6];

          for (int l = 0; l < 6; l++)
            {
              vec col[6], jj[6];
              for (int k = 0; k < 6; k++)
                col[k] = vload (m + (gsize) (k * 6 + l) * xs + t, n);
              b6 (col, jj);     /* along y */
              for (int i = 0; i < 6; i++)
                c[i][l] = jj[i];
            }
          for (int i = 0; i < 6; i++)
            {
              const int y = 4 * ty - 1 + i;
              vec dd[6], p[4];
              b6 (c[i], dd);    /* along x */
              if (y >= 0 && y < h)
                {
                  p[0] = vadd (dd[0], shift_in (dd[4], prev4[i]));
                  p[1] = vadd (dd[1], shift_in (dd[5], prev5[i]));
                  p[2] = dd[2];
                  p[3] = dd[3];
                  inter4_add (p, din + (gsize) y * w + x0, keep);
                  if (tx0 + n == tw)
                    {
                      /* the last tile's two extra columns */
                      const int xa = 4 * tw - 1, xb = 4 * tw;
                      if (xa < w)
                        din[(gsize) y * w + xa] += lane (dd[4], n - 1);
                      if (xb < w)
                        din[(gsize) y * w + xb] += lane (dd[5], n - 1);
                    }
                }
              prev4[i] = dd[4];
              prev5[i] = dd[5];
            }
        }
    }
}

/* --------------------------------------------------------------- GEMMs -- */

/* Forward: M[xi] (opad, ntpad) = U[xi] (opad, c) V[xi] (c, ntpad) for xi in
 * [x0, x1). An A micro-panel (12 rows of U, KCW channels: 12 KiB) stays in
 * L1 while the kernel sweeps the block's tiles, so U is read once per block
 * (it is the largest operand in deep layers: 36 MiB at 512 channels); V[xi]
 * (c, ntpad) stays in L2 for all the row panels. */
static void
gemm_forward (const Geom *g, const float *u, const float *v, float *m,
              int x0, int x1)
{
  const gsize us = (gsize) g->opad * g->c;
  const gsize vs = (gsize) g->c * g->ntpad, ms = (gsize) g->opad * g->ntpad;

  for (int xi = x0; xi < x1; xi++)
    for (int k0 = 0; k0 < g->c; k0 += KCW)
      {
        const int kb = MIN (KCW, g->c - k0);
        for (int op = 0; op < g->opad; op += MR)
          {
            const float *a = u + xi * us + (gsize) op * g->c + (gsize) k0 * MR;
            for (int s = 0; s < g->ntpad; s += NR)
              swag_gemm_kernel (kb, a, v + xi * vs + (gsize) k0 * g->ntpad + s,
                                g->ntpad,
                                m + xi * ms + (gsize) op * g->ntpad + s,
                                g->ntpad, 1.0f, 0.0f, k0 == 0, NULL, FALSE);
          }
      }
}

/* Backward: dV[xi] (cpad, ntpad) = U[xi]^T (cpad, opad) dM[xi] (opad,
 * ntpad), in the same order. */
static void
gemm_backward (const Geom *g, const float *u, const float *v, float *m,
               int x0, int x1)
{
  const gsize us = (gsize) g->opad * g->c, ps = (gsize) g->c * MR;
  const gsize vs = (gsize) g->opad * g->ntpad, ms = (gsize) g->cpad * g->ntpad;
  const int chunk = MAX (1, KCW / MR);   /* panels of o per call */
  const int n_panels = g->opad / MR;

  for (int xi = x0; xi < x1; xi++)
    for (int q0 = 0; q0 < n_panels; q0 += chunk)
      {
        const int nq = MIN (chunk, n_panels - q0);
        for (int cp = 0; cp < g->cpad; cp += MR)
          {
            const float *a = u + xi * us + q0 * ps + (gsize) cp * MR;
            for (int s = 0; s < g->ntpad; s += NR)
              swag_gemm_kernel_pt (nq, a, ps,
                                   v + xi * vs + (gsize) q0 * MR * g->ntpad + s,
                                   g->ntpad,
                                   m + xi * ms + (gsize) cp * g->ntpad + s,
                                   g->ntpad, q0 == 0);
          }
      }
}

/* ------------------------------------------------------------- drivers -- */

typedef struct
{
  Geom                g;
  const SwagConvDesc *cv;
  const float        *src;     /* in (forward) or dout (backward) */
  const guint8       *bits;    /* backward: dout's ReLU mask, or NULL */
  float              *dst;     /* out or din */
  gboolean            relu;
  SwagPool           *pool;
  float              *shared;  /* V and M for the in-block split */
  int                 ty0, ty1;
  int                 phase;   /* backward block tasks: 0 even, 1 odd */
} Job;

static float *
aligned_work (SwagPool *pool, int thread, gsize floats, float **own)
{
  float *w = swag_pool_work (pool, thread);

  *own = NULL;
  if (w && swag_pool_work_floats (pool) >= floats)
    return w;
  *own = g_malloc ((floats + 16) * sizeof (float));
  return (float *) (((guintptr) *own + 63) & ~(guintptr) 63);
}

/* Zero the columns of V past the block's tiles, for every row. */
static void
zero_pad_columns (float *v, gsize rows, int nt, int ntpad)
{
  if (nt == ntpad)
    return;
  for (gsize r = 0; r < rows; r++)
    memset (v + r * ntpad + nt, 0, sizeof (float) * (ntpad - nt));
}

static void
block_rows (const Geom *g, int b, int *ty0, int *ty1)
{
  *ty0 = b * g->rows;
  *ty1 = MIN (g->th, *ty0 + g->rows);
}

/* One block, all on this thread: transform, 36 GEMMs, transform back. */
static void
forward_block (const Job *j, int b, float *v, float *m)
{
  const Geom *g = &j->g;
  const gsize vs = (gsize) g->c * g->ntpad, ms = (gsize) g->opad * g->ntpad;
  const gsize hw = (gsize) g->h * g->w;
  int ty0, ty1;

  block_rows (g, b, &ty0, &ty1);
  zero_pad_columns (v, (gsize) XI * g->c, (ty1 - ty0) * g->tw, g->ntpad);
  for (int c = 0; c < g->c; c++)
    input_tiles (j->src + c * hw, g->h, g->w, g->tw, ty0, ty1,
                 v + (gsize) c * g->ntpad, vs);
  gemm_forward (g, j->cv->wino, v, m, 0, XI);
  for (int o = 0; o < g->o; o++)
    output_tiles (m + (gsize) o * g->ntpad, ms,
                  j->cv->bias ? j->cv->bias[o] : 0.0f, j->relu,
                  j->dst + o * hw, g->h, g->w, g->tw, ty0, ty1);
}

static void
backward_block (const Job *j, int b, float *v, float *m)
{
  const Geom *g = &j->g;
  const gsize vs = (gsize) g->opad * g->ntpad, ms = (gsize) g->cpad * g->ntpad;
  const gsize hw = (gsize) g->h * g->w;
  int ty0, ty1;

  block_rows (g, b, &ty0, &ty1);
  zero_pad_columns (v, (gsize) XI * g->opad, (ty1 - ty0) * g->tw, g->ntpad);
  for (int o = 0; o < g->opad; o++)
    if (o < g->o)
      grad_in_tiles (j->src + o * hw, j->bits, o * hw, g->h, g->w, g->tw,
                     ty0, ty1, v + (gsize) o * g->ntpad, vs);
    else
      for (int xi = 0; xi < XI; xi++)
        memset (v + xi * vs + (gsize) o * g->ntpad, 0,
                sizeof (float) * g->ntpad);
  gemm_backward (g, j->cv->wino, v, m, 0, XI);
  for (int c = 0; c < g->c; c++)
    grad_out_tiles (m + (gsize) c * g->ntpad, ms, j->dst + c * hw, g->h,
                    g->w, g->tw, ty0, ty1);
}

static void
forward_block_task (gpointer data, int b, int thread)
{
  const Job *j = data;
  float *own, *v = aligned_work (j->pool, thread,
                                 geom_v_floats (&j->g) + geom_m_floats (&j->g),
                                 &own);

  forward_block (j, b, v, v + geom_v_floats (&j->g));
  g_free (own);
}

static void
backward_block_task (gpointer data, int task, int thread)
{
  const Job *j = data;
  float *own, *v = aligned_work (j->pool, thread,
                                 geom_v_floats (&j->g) + geom_m_floats (&j->g),
                                 &own);

  backward_block (j, 2 * task + j->phase, v, v + geom_v_floats (&j->g));
  g_free (own);
}

/* The in-block split: tasks over channels or xi, on shared V and M. */
#define CHANNEL_CHUNK 8

static void
fwd_in_task (gpointer data, int task, int thread)
{
  const Job *j = data;
  const Geom *g = &j->g;
  const gsize vs = (gsize) g->c * g->ntpad, hw = (gsize) g->h * g->w;
  const int c1 = MIN (g->c, (task + 1) * CHANNEL_CHUNK);

  for (int c = task * CHANNEL_CHUNK; c < c1; c++)
    input_tiles (j->src + c * hw, g->h, g->w, g->tw, j->ty0, j->ty1,
                 j->shared + (gsize) c * g->ntpad, vs);
}

static void
fwd_gemm_task (gpointer data, int xi, int thread)
{
  const Job *j = data;
  gemm_forward (&j->g, j->cv->wino, j->shared,
                j->shared + geom_v_floats (&j->g), xi, xi + 1);
}

static void
fwd_out_task (gpointer data, int task, int thread)
{
  const Job *j = data;
  const Geom *g = &j->g;
  const gsize ms = (gsize) g->opad * g->ntpad, hw = (gsize) g->h * g->w;
  const float *m = j->shared + geom_v_floats (g);
  const int o1 = MIN (g->o, (task + 1) * CHANNEL_CHUNK);

  for (int o = task * CHANNEL_CHUNK; o < o1; o++)
    output_tiles (m + (gsize) o * g->ntpad, ms,
                  j->cv->bias ? j->cv->bias[o] : 0.0f, j->relu,
                  j->dst + o * hw, g->h, g->w, g->tw, j->ty0, j->ty1);
}

static void
bwd_in_task (gpointer data, int task, int thread)
{
  const Job *j = data;
  const Geom *g = &j->g;
  const gsize vs = (gsize) g->opad * g->ntpad, hw = (gsize) g->h * g->w;
  const int o1 = MIN (g->opad, (task + 1) * CHANNEL_CHUNK);

  for (int o = task * CHANNEL_CHUNK; o < o1; o++)
    if (o < g->o)
      grad_in_tiles (j->src + o * hw, j->bits, o * hw, g->h, g->w, g->tw,
                     j->ty0, j->ty1, j->shared + (gsize) o * g->ntpad, vs);
    else
      for (int xi = 0; xi < XI; xi++)
        memset (j->shared + xi * vs + (gsize) o * g->ntpad, 0,
                sizeof (float) * g->ntpad);
}

static void
bwd_gemm_task (gpointer data, int xi, int thread)
{
  const Job *j = data;
  gemm_backward (&j->g, j->cv->wino, j->shared,
                 j->shared + geom_v_floats (&j->g), xi, xi + 1);
}

static void
bwd_out_task (gpointer data, int task, int thread)
{
  const Job *j = data;
  const Geom *g = &j->g;
  const gsize ms = (gsize) g->cpad * g->ntpad, hw = (gsize) g->h * g->w;
  const float *m = j->shared + geom_v_floats (g);
  const int c1 = MIN (g->c, (task + 1) * CHANNEL_CHUNK);

  for (int c = task * CHANNEL_CHUNK; c < c1; c++)
    grad_out_tiles (m + (gsize) c * g->ntpad, ms, j->dst + c * hw, g->h,
                    g->w, g->tw, j->ty0, j->ty1);
}

/* Few blocks: one block at a time, each phase (input transform of
 * @in_rows channels, the XI GEMMs, output transform of @out_rows channels)
 * split across the pool, in one shared workspace. */
static void
run_blocks_shared (Job *j, int in_rows, SwagPoolFunc in_task,
                   SwagPoolFunc gemm_task, int out_rows, SwagPoolFunc out_task)
{
  const Geom *g = &j->g;
  float      *own;

  j->shared = aligned_work (j->pool, 0, geom_v_floats (g) + geom_m_floats (g),
                            &own);
  for (int b = 0; b < g->n_blocks; b++)
    {
      block_rows (g, b, &j->ty0, &j->ty1);
      zero_pad_columns (j->shared, (gsize) XI * in_rows,
                        (j->ty1 - j->ty0) * g->tw, g->ntpad);
      swag_pool_run (j->pool, (in_rows + CHANNEL_CHUNK - 1) / CHANNEL_CHUNK,
                     in_task, j);
      swag_pool_run (j->pool, XI, gemm_task, j);
      swag_pool_run (j->pool, (out_rows + CHANNEL_CHUNK - 1) / CHANNEL_CHUNK,
                     out_task, j);
    }
  g_free (own);
}

void
swag_winograd_forward (SwagCtx            *ctx,
                       const SwagConvDesc *cv,
                       const float        *in,   /* (in_c, h, w) */
                       int                 h,
                       int                 w,
                       float              *out,  /* (out_c, h, w) */
                       gboolean            relu)
{
  Job j = { 0 };

  if (h <= 0 || w <= 0)
    return;
  geom_init (&j.g, cv, h, w, FALSE);
  j.cv = cv;
  j.src = in;
  j.dst = out;
  j.relu = relu;
  j.pool = ctx->pool;

  if (j.g.n_blocks >= BLOCK_TASKS)
    {
      swag_pool_run (j.pool, j.g.n_blocks, forward_block_task, &j);
      return;
    }
  run_blocks_shared (&j, j.g.c, fwd_in_task, fwd_gemm_task, j.g.o,
                     fwd_out_task);
}

void
swag_winograd_backward (SwagCtx            *ctx,
                        const SwagConvDesc *cv,
                        const float        *dout, /* (out_c, h, w) */
                        const guint8       *relu_bits,
                        int                 h,
                        int                 w,
                        float              *din)  /* (in_c, h, w) += */
{
  Job j = { 0 };

  j.bits = relu_bits;

  if (h <= 0 || w <= 0)
    return;
  geom_init (&j.g, cv, h, w, TRUE);
  j.cv = cv;
  j.src = dout;
  j.dst = din;
  j.pool = ctx->pool;

  if (j.g.n_blocks >= BLOCK_TASKS)
    {
      /* even blocks, then odd ones: neighbours never run together */
      for (j.phase = 0; j.phase < 2; j.phase++)
        swag_pool_run (j.pool, (j.g.n_blocks - j.phase + 1) / 2,
                       backward_block_task, &j);
      return;
    }
  run_blocks_shared (&j, j.g.opad, bwd_in_task, bwd_gemm_task, j.g.c,
                     bwd_out_task);
}
