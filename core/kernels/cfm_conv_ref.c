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

/* Output row OY (job-relative) of every filter, of width OUT_W; PROW has
 * room for a padded input row. */
static void
conv_row (const CfmConvJob *job, int oy, int out_w, float *prow)
{
  const CfmBank *bank = job->bank;
  const CfmBand *in = job->in;
  const CfmConvParams *p = &job->params;
  size_t plane = (size_t) bank->kh * bank->kw;
  int ch, ky, kx, f, x;

  for (f = 0; f < bank->n; f++)
    memset (job->conv + f * job->plane_stride + (size_t) oy * out_w, 0,
            (size_t) out_w * sizeof (float));
  for (ch = 0; ch < in->c; ch++)
    for (ky = 0; ky < bank->kh; ky++)
      {
        int y = cfm_pad_index ((job->out_row0 + oy) * p->stride - p->padding
                               + ky * p->dilation, in->h, p->pad_mode);
        const float *src;

        if (y < 0)
          continue;   /* a zero-padding row adds nothing */
        src = in->data + ch * cfm_band_plane (in)
              + (size_t) (y - in->row0) * in->w;
        cfm_pad_row (src, in->w, p->padding, p->pad_mode, prow);
        for (f = 0; f < bank->n; f++)
          {
            const float *k = bank->weights
                             + ((size_t) f * bank->c + ch) * plane
                             + (size_t) ky * bank->kw;
            float *o = job->conv + f * job->plane_stride
                       + (size_t) oy * out_w;

            for (kx = 0; kx < bank->kw; kx++)
              if (k[kx] != 0.0f)
                axpy_strided (o, prow + (size_t) kx * p->dilation, k[kx],
                              out_w, p->stride);
          }
      }
  /* The bias comes last, as PyTorch adds it after the products. */
  for (f = 0; f < bank->n && job->bias; f++)
    {
      float *o = job->conv + f * job->plane_stride + (size_t) oy * out_w;

      for (x = 0; x < out_w; x++)
        o[x] += job->bias[f];
    }
}

CfmStatus
cfm_conv_ref_run (const CfmConvJob *job, int out_w, CfmError *err)
{
  const CfmBand *in = job->in;
  size_t plane_stride = job->plane_stride;
  float *prow;
  int oy, f;

  prow = malloc (((size_t) in->w + 2 * (size_t) job->params.padding)
                 * sizeof (float));
  if (prow == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for a row of %d"
                          " pixels", in->w);
  for (oy = 0; oy < job->out_rows; oy++)
    conv_row (job, oy, out_w, prow);
  free (prow);
  if (job->act != NULL)
    for (f = 0; f < job->bank->n; f++)
      cfm_activation_apply (job->activation, job->negative_slope,
                            job->conv + f * plane_stride,
                            job->act + f * plane_stride,
                            (size_t) job->out_rows * out_w);
  return CFM_OK;
}
