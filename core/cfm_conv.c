/* cfm_conv.c: see cfm_conv.h.  This is the reference path: plain C whose
 * inner loop runs along a row with unit stride, so compilers vectorise it. */
#include "cfm_conv.h"
#include "cfm_conv_fast.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

CfmStatus
cfm_conv2d_output_size (int in, int k, const CfmConvParams *p, int *out,
                        CfmError *err)
{
  long long span, padded;

  *out = 0;
  if (p->stride < 1 || p->dilation < 1 || p->padding < 0 || k < 1 || in < 1)
    return cfm_error_set (err, CFM_ERR_ARG,
                          "stride and dilation must be at least 1, padding "
                          "at least 0");
  if ((int) p->pad_mode < 0 || (int) p->pad_mode > CFM_PAD_CIRCULAR)
    return cfm_error_set (err, CFM_ERR_ARG, "unknown padding mode %d",
                          (int) p->pad_mode);
  if (p->pad_mode == CFM_PAD_REFLECT && p->padding >= in)
    return cfm_error_set (err, CFM_ERR_SIZE,
                          "reflect padding of %d needs an input larger than "
                          "%d pixels, it has %d", p->padding, p->padding, in);
  if (p->pad_mode == CFM_PAD_CIRCULAR && p->padding > in)
    return cfm_error_set (err, CFM_ERR_SIZE,
                          "circular padding of %d needs an input of at least "
                          "%d pixels, it has %d", p->padding, p->padding, in);
  padded = (long long) in + 2LL * p->padding;
  span = (long long) p->dilation * (k - 1) + 1;
  if (span > padded)
    return cfm_error_set (err, CFM_ERR_SIZE,
                          "the kernel spans %lld pixels (size %d, dilation "
                          "%d) but the padded input has %lld: there is no "
                          "output pixel", span, k, p->dilation, padded);
  *out = (int) ((padded - span) / p->stride + 1);
  return CFM_OK;
}

CfmStatus
cfm_conv2d_shape (const CfmBank *bank, int c, int h, int w,
                  const CfmConvParams *p, int *out_h, int *out_w,
                  CfmError *err)
{
  CfmStatus status;

  *out_h = *out_w = 0;
  if (bank->c != c)
    return cfm_error_set (err, CFM_ERR_ARG,
                          "the kernels have %d input channel%s but the input "
                          "has %d", bank->c, bank->c == 1 ? "" : "s", c);
  status = cfm_conv2d_output_size (h, bank->kh, p, out_h, err);
  if (status == CFM_OK)
    status = cfm_conv2d_output_size (w, bank->kw, p, out_w, err);
  return status;
}

int
cfm_pad_index (int i, int n, CfmPadMode mode)
{
  if (i >= 0 && i < n)
    return i;
  switch (mode)
    {
    case CFM_PAD_REFLECT:
      return i < 0 ? -i : 2 * (n - 1) - i;
    case CFM_PAD_REPLICATE:
      return i < 0 ? 0 : n - 1;
    case CFM_PAD_CIRCULAR:
      return i < 0 ? i + n : i - n;
    case CFM_PAD_ZEROS:
    default:
      return -1;
    }
}

void
cfm_conv2d_input_rows (const CfmConvParams *p, int kh, int h, int out_row0,
                       int out_rows, int *in_row0, int *in_rows)
{
  int lo = h, hi = -1, oy, ky;

  for (oy = out_row0; oy < out_row0 + out_rows; oy++)
    for (ky = 0; ky < kh; ky++)
      {
        int y = cfm_pad_index (oy * p->stride - p->padding + ky * p->dilation, h,
                           p->pad_mode);
        if (y < 0)
          continue;
        if (y < lo)
          lo = y;
        if (y > hi)
          hi = y;
      }
  *in_row0 = hi < lo ? 0 : lo;
  *in_rows = hi < lo ? 0 : hi - lo + 1;
}

void
cfm_pad_row (const float *src, int w, int pad, CfmPadMode mode, float *dst)
{
  int x;

  memcpy (dst + pad, src, (size_t) w * sizeof (float));
  for (x = 0; x < pad; x++)
    {
      int l = cfm_pad_index (x - pad, w, mode), r = cfm_pad_index (w + x, w, mode);

      dst[x] = l < 0 ? 0.0f : src[l];
      dst[pad + w + x] = r < 0 ? 0.0f : src[r];
    }
}

/* out[x] += weight * row[x * stride], x < n. */
static void
axpy_strided (float *out, const float *row, float weight, int n, int stride)
{
  int x;

  if (stride == 1)
    for (x = 0; x < n; x++)
      out[x] += weight * row[x];
  else
    for (x = 0; x < n; x++)
      out[x] += weight * row[(size_t) x * stride];
}

int
cfm_thread_count (int requested, int max_useful)
{
  const char *env = getenv ("CFM_THREADS");
  long cpus;

  if (requested <= 0 && env != NULL)
    requested = atoi (env);
  if (requested <= 0)
    {
      cpus = sysconf (_SC_NPROCESSORS_ONLN);
      requested = cpus > 0 ? (int) cpus : 1;
    }
  if (requested > max_useful)
    requested = max_useful;
  return requested > 0 ? requested : 1;
}

static const char *const path_names[] = {
  "auto", "reference", "portable", "avx2", "avx512"
};

const char *
cfm_path_name (CfmPath path)
{
  return (int) path >= 0 && path <= CFM_PATH_AVX512 ? path_names[path]
                                                    : "unknown";
}

int
cfm_path_supported (CfmPath path)
{
  switch (path)
    {
    case CFM_PATH_AUTO:
    case CFM_PATH_REFERENCE:
      return 1;
#if defined(__GNUC__)
    case CFM_PATH_PORTABLE:
      return 1;
#if defined(__x86_64__) || defined(__i386__)
    case CFM_PATH_AVX2:
      __builtin_cpu_init ();
      return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
    case CFM_PATH_AVX512:
      __builtin_cpu_init ();
      return __builtin_cpu_supports ("avx512f")
             && __builtin_cpu_supports ("fma");
#endif
#endif
    default:
      return 0;
    }
}

CfmPath
cfm_path_resolve (CfmPath path)
{
  const char *env = getenv ("CFM_PATH");
  int i;

  if (path != CFM_PATH_AUTO)
    return cfm_path_supported (path) ? path : CFM_PATH_REFERENCE;
  if (env != NULL)
    for (i = CFM_PATH_REFERENCE; i <= CFM_PATH_AVX512; i++)
      if (strcmp (env, path_names[i]) == 0 && cfm_path_supported (i))
        return (CfmPath) i;
  for (i = CFM_PATH_AVX512; i > CFM_PATH_REFERENCE; i--)
    if (cfm_path_supported (i))
      return (CfmPath) i;
  return CFM_PATH_REFERENCE;
}

CfmStatus
cfm_conv2d_forward (const CfmBank *bank, const float *bias, const CfmBand *in,
                    const CfmConvParams *p, int out_row0, int out_rows,
                    float *out, size_t plane_stride, CfmError *err)
{
  return cfm_conv2d_forward_fused (bank, bias, in, p, out_row0, out_rows, out,
                                   NULL, plane_stride, CFM_ACT_NONE, 0.0f,
                                   CFM_PATH_AUTO, 0, err);
}

/* The reference loop nest: one output row at a time, each tap an axpy along
 * the row. */
static CfmStatus
conv_reference (const CfmBank *bank, const float *bias, const CfmBand *in,
                const CfmConvParams *p, int out_row0, int out_rows, int out_w,
                float *out, size_t plane_stride, CfmError *err)
{
  int oy, ch, ky, kx, f;
  size_t plane = (size_t) bank->kh * bank->kw;
  float *prow;

  prow = malloc (((size_t) in->w + 2 * (size_t) p->padding) * sizeof (float));
  if (prow == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for a row of %d"
                          " pixels", in->w);
  for (oy = 0; oy < out_rows; oy++)
    {
      for (f = 0; f < bank->n; f++)
        memset (out + f * plane_stride + (size_t) oy * out_w, 0,
                (size_t) out_w * sizeof (float));
      for (ch = 0; ch < in->c; ch++)
        for (ky = 0; ky < bank->kh; ky++)
          {
            int y = cfm_pad_index ((out_row0 + oy) * p->stride - p->padding
                               + ky * p->dilation, in->h, p->pad_mode);
            const float *src;

            if (y < 0)
              continue;   /* a zero-padding row adds nothing */
            src = in->data + ((size_t) ch * in->rows + (y - in->row0))
                  * (size_t) in->w;
            cfm_pad_row (src, in->w, p->padding, p->pad_mode, prow);
            for (f = 0; f < bank->n; f++)
              {
                const float *k = bank->weights
                                 + ((size_t) f * bank->c + ch) * plane
                                 + (size_t) ky * bank->kw;
                float *o = out + f * plane_stride + (size_t) oy * out_w;

                for (kx = 0; kx < bank->kw; kx++)
                  if (k[kx] != 0.0f)
                    axpy_strided (o, prow + (size_t) kx * p->dilation, k[kx],
                                  out_w, p->stride);
              }
          }
      /* The bias comes last, as PyTorch adds it after the products. */
      for (f = 0; f < bank->n && bias; f++)
        {
          float *o = out + f * plane_stride + (size_t) oy * out_w;
          int x;

          for (x = 0; x < out_w; x++)
            o[x] += bias[f];
        }
    }
  free (prow);
  return CFM_OK;
}

/* Whether POOL can be computed inside the convolution of output rows
 * [row0, row0 + rows): windows as wide as their stride, no padding, and
 * every window of its rows among those rows. */
static int
pool_fusable (const CfmPoolTarget *pool, const float *act, int row0, int rows)
{
  const CfmPoolParams *pp;

  if (pool == NULL || act == NULL || pool->rows <= 0)
    return 0;
  pp = pool->params;
  return pp->size == pp->stride && pp->padding == 0
         && pool->row0 * pp->stride >= row0
         && (pool->row0 + pool->rows) * pp->stride <= row0 + rows;
}

CfmStatus
cfm_conv2d_forward_pooled (const CfmBank *bank, const float *bias,
                           const CfmBand *in, const CfmConvParams *p,
                           int out_row0, int out_rows, float *out, float *act,
                           size_t plane_stride, CfmActivation activation,
                           float negative_slope, CfmPath path, int threads,
                           const CfmPoolTarget *pool, int *pooled,
                           CfmError *err)
{
  int out_h, out_w, need0, need_rows, f;
  CfmStatus status;

  if (pooled)
    *pooled = 0;
  status = cfm_conv2d_shape (bank, in->c, in->h, in->w, p, &out_h, &out_w,
                             err);
  if (status != CFM_OK)
    return status;
  if (out_row0 < 0 || out_rows < 0 || out_row0 > out_h - out_rows)
    return cfm_error_set (err, CFM_ERR_ARG,
                          "output rows %d..%d lie outside the map's %d rows",
                          out_row0, out_row0 + out_rows - 1, out_h);
  cfm_conv2d_input_rows (p, bank->kh, in->h, out_row0, out_rows, &need0,
                         &need_rows);
  if (need_rows > 0
      && (need0 < in->row0 || need0 + need_rows > in->row0 + in->rows))
    return cfm_error_set (err, CFM_ERR_ARG,
                          "the band holds input rows %d..%d but rows %d..%d "
                          "are needed", in->row0, in->row0 + in->rows - 1,
                          need0, need0 + need_rows - 1);
  if (plane_stride < (size_t) out_rows * out_w)
    return cfm_error_set (err, CFM_ERR_ARG, "output planes overlap");

  path = cfm_path_resolve (path);
  if (path != CFM_PATH_REFERENCE
      && cfm_conv_fast_eligible (bank, p, out_w, path))
    {
      int fuse = pooled && pool_fusable (pool, act, out_row0, out_rows);

      status = cfm_conv_fast_forward (bank, bias, in, p, out_w, out_row0,
                                      out_rows, out, act, plane_stride,
                                      activation, negative_slope,
                                      fuse ? pool : NULL, path, threads, err);
      if (status == CFM_OK && fuse)
        *pooled = 1;
      return status;
    }
  (void) threads;
  status = conv_reference (bank, bias, in, p, out_row0, out_rows, out_w, out,
                           plane_stride, err);
  if (status == CFM_OK && act != NULL)
    for (f = 0; f < bank->n; f++)
      cfm_activation_apply (activation, negative_slope, out + f * plane_stride,
                            act + f * plane_stride,
                            (size_t) out_rows * out_w);
  return status;
}

CfmStatus
cfm_conv2d_forward_fused (const CfmBank *bank, const float *bias,
                          const CfmBand *in, const CfmConvParams *p,
                          int out_row0, int out_rows, float *out, float *act,
                          size_t plane_stride, CfmActivation activation,
                          float negative_slope, CfmPath path, int threads,
                          CfmError *err)
{
  return cfm_conv2d_forward_pooled (bank, bias, in, p, out_row0, out_rows,
                                    out, act, plane_stride, activation,
                                    negative_slope, path, threads, NULL,
                                    NULL, err);
}

void
cfm_activation_apply (CfmActivation act, float negative_slope,
                      const float *in, float *out, size_t n)
{
  size_t i;

  switch (act)
    {
    case CFM_ACT_RELU:
      for (i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
      break;
    case CFM_ACT_LEAKY_RELU:
      for (i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : in[i] * negative_slope;
      break;
    case CFM_ACT_ABS:
      for (i = 0; i < n; i++)
        out[i] = fabsf (in[i]);
      break;
    case CFM_ACT_NONE:
    default:
      if (out != in)
        memmove (out, in, n * sizeof (float));
      break;
    }
}

CfmStatus
cfm_pool2d_output_size (int in, const CfmPoolParams *p, int *out,
                        CfmError *err)
{
  long long padded;

  *out = 0;
  if ((int) p->type < 0 || (int) p->type > CFM_POOL_AVG)
    return cfm_error_set (err, CFM_ERR_ARG, "unknown pool type %d",
                          (int) p->type);
  if (p->size < 1 || p->stride < 1 || p->padding < 0 || in < 1)
    return cfm_error_set (err, CFM_ERR_ARG,
                          "pool size and stride must be at least 1, padding "
                          "at least 0");
  if (p->padding > p->size / 2)
    return cfm_error_set (err, CFM_ERR_ARG,
                          "pool padding %d is more than half the window %d",
                          p->padding, p->size);
  padded = (long long) in + 2LL * p->padding;
  if (p->size > padded)
    return cfm_error_set (err, CFM_ERR_SIZE,
                          "the pool window %d is larger than the %lld pixels "
                          "it pools: there is no output pixel", p->size,
                          padded);
  *out = (int) ((padded - p->size) / p->stride + 1);
  return CFM_OK;
}

void
cfm_pool2d_input_rows (const CfmPoolParams *p, int h, int out_row0,
                       int out_rows, int *in_row0, int *in_rows)
{
  int lo = out_row0 * p->stride - p->padding;
  int hi = (out_row0 + out_rows - 1) * p->stride - p->padding + p->size;

  if (lo < 0)
    lo = 0;
  if (hi > h)
    hi = h;
  *in_row0 = lo;
  *in_rows = out_rows > 0 && hi > lo ? hi - lo : 0;
}

/* The tutorial's MaxPool2d (2, 2): no window crosses an edge, so the
 * loop needs no bounds and compilers vectorise it. */
static void
max_pool_2x2 (const float *in, int w, int in_row0, int out_row0,
              int out_rows, int out_w, float *out)
{
  int oy, ox;

  for (oy = 0; oy < out_rows; oy++)
    {
      const float *a = in + (size_t) (2 * (out_row0 + oy) - in_row0) * w;
      const float *b = a + w;
      float *o = out + (size_t) oy * out_w;

      for (ox = 0; ox < out_w; ox++)
        {
          float t = a[2 * ox] > a[2 * ox + 1] ? a[2 * ox] : a[2 * ox + 1];
          float u = b[2 * ox] > b[2 * ox + 1] ? b[2 * ox] : b[2 * ox + 1];

          o[ox] = t > u ? t : u;
        }
    }
}

CfmStatus
cfm_pool2d_forward (const CfmPoolParams *p, const float *in, int h, int w,
                    int in_row0, int in_rows, int out_row0, int out_rows,
                    float *out, CfmError *err)
{
  int out_h, out_w, need0, need_rows, oy, ox, y, x;
  float divisor = (float) p->size * (float) p->size;
  CfmStatus status;

  status = cfm_pool2d_output_size (h, p, &out_h, err);
  if (status == CFM_OK)
    status = cfm_pool2d_output_size (w, p, &out_w, err);
  if (status != CFM_OK)
    return status;
  if (out_row0 < 0 || out_rows < 0 || out_row0 > out_h - out_rows)
    return cfm_error_set (err, CFM_ERR_ARG,
                          "pooled rows %d..%d lie outside the %d rows",
                          out_row0, out_row0 + out_rows - 1, out_h);
  cfm_pool2d_input_rows (p, h, out_row0, out_rows, &need0, &need_rows);
  if (need_rows > 0
      && (need0 < in_row0 || need0 + need_rows > in_row0 + in_rows))
    return cfm_error_set (err, CFM_ERR_ARG,
                          "the band holds map rows %d..%d but rows %d..%d "
                          "are needed", in_row0, in_row0 + in_rows - 1,
                          need0, need0 + need_rows - 1);

  if (p->type == CFM_POOL_MAX && p->size == 2 && p->stride == 2
      && p->padding == 0)
    {
      max_pool_2x2 (in, w, in_row0, out_row0, out_rows, out_w, out);
      return CFM_OK;
    }
  for (oy = 0; oy < out_rows; oy++)
    {
      int y0 = (out_row0 + oy) * p->stride - p->padding;
      int y1 = y0 + p->size;

      if (y0 < 0)
        y0 = 0;
      if (y1 > h)
        y1 = h;
      for (ox = 0; ox < out_w; ox++)
        {
          int x0 = ox * p->stride - p->padding, x1 = x0 + p->size;
          float acc = p->type == CFM_POOL_MAX ? -FLT_MAX : 0.0f;

          if (x0 < 0)
            x0 = 0;
          if (x1 > w)
            x1 = w;
          for (y = y0; y < y1; y++)
            {
              const float *row = in + (size_t) (y - in_row0) * w;

              if (p->type == CFM_POOL_MAX)
                for (x = x0; x < x1; x++)
                  acc = row[x] > acc ? row[x] : acc;
              else
                for (x = x0; x < x1; x++)
                  acc += row[x];
            }
          out[(size_t) oy * out_w + ox]
            = p->type == CFM_POOL_MAX ? acc : acc / divisor;
        }
    }
  return CFM_OK;
}
