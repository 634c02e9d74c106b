/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_conv_ref.c: the reference convolution: plain C whose inner loop runs
 * along a row with unit stride, so compilers vectorise it.  Every stride,
 * dilation and padding mode; one thread. */
#include "cfm_conv_ref.h"

#include <stdlib.h>
#include <string.h>

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

CfmStatus
cfm_conv_ref_run (const CfmConvJob *job, int out_w, CfmError *err)
{
  const CfmBank *bank = job->bank;
  const CfmBand *in = job->in;
  const CfmConvParams *p = &job->params;
  const float *bias = job->bias;
  int out_row0 = job->out_row0, out_rows = job->out_rows;
  size_t plane_stride = job->plane_stride;
  float *out = job->conv;
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
  if (job->act != NULL)
    for (f = 0; f < bank->n; f++)
      cfm_activation_apply (job->activation, job->negative_slope,
                            out + f * plane_stride,
                            job->act + f * plane_stride,
                            (size_t) out_rows * out_w);
  return CFM_OK;
}
