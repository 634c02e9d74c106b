/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_geometry.c: output sizes, padding modes and the input rows of a band,
 * for convolution and pooling (its API: cfm_geometry.h). */
#include "cfm_geometry.h"

#include <string.h>

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
  int lo = h, hi = -1, oy, ky, top;

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
  /* no later output row reads above the first one's top tap: starting
   * there (where a dilated kernel's first taps fall in the zero padding,
   * it reads lower than it needs) keeps the first row read from going
   * back up, which a band engine's dropping of rows relies on */
  top = out_row0 * p->stride - p->padding;
  top = top < 0 ? 0 : top;
  if (hi >= lo && top < lo)
    lo = top;
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
