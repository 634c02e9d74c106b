/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_module_grad.c: a module's backward step on whole maps (a class
 * activation map's gradient pass): a convolution's input gradient as one
 * matrix product by its transposed weights and a fold (one group), or
 * else as the transposed convolution (on the core's fast convolution, the
 * output's gradient spread over the stride's grid), or a tap at a time
 * (other padding modes); BatchNorm's scale, pooling's winners and window
 * shares, a function's derivative (its API: cfm_module_run.h). */
#include "cfm_module_run.h"

#include "cfm_conv_1x1.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef CfmModuleGrad Grad;

/* Convolution M's input gradient a tap at a time: every output pixel's
 * gradient to the input pixels its taps read, through any padding mode
 * (a reflected pixel gets the gradient of each place it was read). */
static void
conv_taps (const CfmModule *m, const Grad *gr)
{
  int gin = m->in_c / m->groups, gout = m->out_c / m->groups;
  int f, ch, ky, kx, y, x;

  for (f = 0; f < m->out_c; f++)
    for (ch = 0; ch < gin; ch++)
      for (ky = 0; ky < m->k[0]; ky++)
        for (kx = 0; kx < m->k[1]; kx++)
          {
            float wt = m->weight[(((size_t) f * gin + ch) * m->k[0] + ky)
                                 * m->k[1] + kx];
            float *gi = gr->grad_in
                        + (size_t) ((f / gout) * gin + ch) * gr->h * gr->w;
            const float *go = gr->grad_out + (size_t) f * gr->oh * gr->ow;

            for (y = 0; y < gr->oh; y++)
              {
                int iy = cfm_pad_index (y * m->stride[0] - m->pad[0]
                                        + ky * m->dil[0], gr->h, m->pad_mode);

                for (x = 0; x < gr->ow && iy >= 0; x++)
                  {
                    int ix = cfm_pad_index (x * m->stride[1] - m->pad[1]
                                            + kx * m->dil[1], gr->w,
                                            m->pad_mode);

                    if (ix >= 0)
                      gi[(size_t) iy * gr->w + ix]
                        += wt * go[(size_t) y * gr->ow + x];
                  }
              }
          }
}

/* M's weights as the transposed convolution's: filter (group g, input
 * channel ch) reads output channel fl of the group through the taps
 * turned half a turn, into T (in_c x gout x k0 x k1). */
static void
transpose_weights (const CfmModule *m, float *t)
{
  int gin = m->in_c / m->groups, gout = m->out_c / m->groups;
  size_t taps = (size_t) m->k[0] * m->k[1], tap;
  int g, ch, fl;

  for (g = 0; g < m->groups; g++)
    for (ch = 0; ch < gin; ch++)
      for (fl = 0; fl < gout; fl++)
        {
          const float *src = m->weight + ((size_t) (g * gout + fl) * gin + ch)
                                         * taps;
          float *dst = t + ((size_t) (g * gin + ch) * gout + fl) * taps;

          for (tap = 0; tap < taps; tap++)
            dst[tap] = src[taps - 1 - tap];
        }
}

/* The output's gradient on the stride's grid of the stride-1 output
 * (H1 x W1, zero between), or GRAD_OUT itself when the stride is 1. */
static float *
spread_on_stride (const CfmModule *m, const Grad *gr, int h1, int w1)
{
  float *grid;
  int f, y, x;

  if (m->stride[0] == 1 && m->stride[1] == 1)
    return (float *) gr->grad_out;
  grid = calloc ((size_t) m->out_c * h1 * w1, sizeof *grid);
  for (f = 0; grid && f < m->out_c; f++)
    for (y = 0; y < gr->oh; y++)
      for (x = 0; x < gr->ow; x++)
        grid[((size_t) f * h1 + (size_t) y * m->stride[0]) * w1
             + (size_t) x * m->stride[1]]
          = gr->grad_out[((size_t) f * gr->oh + y) * gr->ow + x];
  return grid;
}

/* Convolution M's input gradient as a stride-1 convolution of the output's
 * gradient (spread on the stride's grid) by the transposed weights, padded
 * by the taps' span less M's padding: the core's fast convolution. */
static CfmStatus
conv_transposed (const CfmModule *m, const Grad *gr, CfmError *err)
{
  int h1 = gr->h + 2 * m->pad[0] - m->dil[0] * (m->k[0] - 1);
  int w1 = gr->w + 2 * m->pad[1] - m->dil[1] * (m->k[1] - 1);
  size_t n = (size_t) gr->c * gr->h * gr->w, i;
  CfmModule t = *m;
  float *weights = malloc ((size_t) m->in_c * (m->out_c / m->groups)
                           * m->k[0] * m->k[1] * sizeof *weights);
  float *grid = spread_on_stride (m, gr, h1, w1);
  float *sum = malloc (n * sizeof *sum);
  CfmStatus status = CFM_ERR_NOMEM;

  if (weights && grid && sum)
    {
      CfmBand band = { grid, m->out_c, h1, w1, 0, h1, 0 };
      CfmModuleDest dest = { sum, NULL, (size_t) gr->h * gr->w, CFM_ACT_NONE,
                             0.0f, NULL };

      transpose_weights (m, weights);
      t.in_c = m->out_c;
      t.out_c = m->in_c;
      t.stride[0] = t.stride[1] = 1;
      t.pad[0] = m->dil[0] * (m->k[0] - 1) - m->pad[0];
      t.pad[1] = m->dil[1] * (m->k[1] - 1) - m->pad[1];
      t.weight = weights;
      t.bias = NULL;
      t.has_bias = 0;
      status = cfm_module_conv (&t, &band, &dest, 0, gr->h, gr->w, err);
      for (i = 0; i < n && status == CFM_OK; i++)
        gr->grad_in[i] += sum[i];
    }
  else
    cfm_error_set (err, CFM_ERR_NOMEM, "no memory for %s's backward step",
                   m->name);
  if (grid != gr->grad_out)
    free (grid);
  free (weights);
  free (sum);
  return status;
}

/* Whether convolution M's input gradient is one matrix product and its
 * fold (conv_folded): one group, zero padding, enough filters for the
 * product. */
static int
conv_folds (const CfmModule *m)
{
  CfmBank bank = { m->in_c * m->k[0] * m->k[1], m->out_c, 1, 1, NULL };

  return m->groups == 1 && m->pad_mode == CFM_PAD_ZEROS && !m->direct
         && cfm_conv_1x1_takes (&bank);
}

/* Convolution M's input gradient as the 1x1 product of its weights, read
 * as their transpose, by the output's gradient: for each input channel
 * and tap, the gradient of the input pixel that tap read for each output
 * pixel, each then added to that pixel (the fold).  Any stride, with no
 * product of the zeros a strided convolution's transposed form has. */
static CfmStatus
conv_folded (const CfmModule *m, const Grad *gr, CfmError *err)
{
  size_t taps = (size_t) m->k[0] * m->k[1], n_px = (size_t) gr->oh * gr->ow;
  size_t rows = (size_t) m->in_c * taps;
  float *cols = malloc (rows * n_px * sizeof (float) + 1);
  CfmBank bank = { (int) rows, m->out_c, 1, 1, (float *) m->weight };
  CfmConv1x1 job = { &bank, NULL, gr->grad_out, n_px, n_px, cols, NULL,
                     n_px, CFM_ACT_NONE, 0.0f, NULL, 1 };
  CfmStatus status;
  int c, ky, kx, y, x;

  if (cols == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "no memory for %s's backward "
                          "step", m->name);
  status = cfm_conv_1x1 (&job, err);
  for (c = 0; c < m->in_c && status == CFM_OK; c++)
    for (ky = 0; ky < m->k[0]; ky++)
      for (kx = 0; kx < m->k[1]; kx++)
        {
          const float *col = cols + ((size_t) c * taps + ky * m->k[1] + kx)
                                    * n_px;
          float *gi = gr->grad_in + (size_t) c * gr->h * gr->w;

          for (y = 0; y < gr->oh; y++)
            {
              int iy = y * m->stride[0] - m->pad[0] + ky * m->dil[0];

              for (x = 0; x < gr->ow && iy >= 0 && iy < gr->h; x++)
                {
                  int ix = x * m->stride[1] - m->pad[1] + kx * m->dil[1];

                  if (ix >= 0 && ix < gr->w)
                    gi[(size_t) iy * gr->w + ix] += col[(size_t) y * gr->ow
                                                        + x];
                }
            }
        }
  free (cols);
  return status;
}

static CfmStatus
conv_backward (const CfmModule *m, const Grad *gr, CfmError *err)
{
  int a;

  for (a = 0; a < 2; a++)
    if (m->pad[a] > m->dil[a] * (m->k[a] - 1))
      break;
  if (m->pad_mode != CFM_PAD_ZEROS || a < 2 || m->direct)
    {
      conv_taps (m, gr);
      return CFM_OK;
    }
  if (conv_folds (m))
    return conv_folded (m, gr, err);
  return conv_transposed (m, gr, err);
}

/* Pooling M's window of output pixel (Y, X) as the forward pass takes it
 * (cfm_module_run.c's pool_window): the maximum's gradient to its first
 * winner (NaN wins, as PyTorch's index of it), the mean's shared by the
 * pixels it counted. */
static void
pool_window_grad (const CfmModule *m, const float *in, const Grad *gr,
                  float *gi, int y, int x, float go)
{
  int y0 = y * m->stride[0] - m->pad[0], x0 = x * m->stride[1] - m->pad[1];
  int y1 = y0 + m->k[0] < gr->h + m->pad[0] ? y0 + m->k[0] : gr->h + m->pad[0];
  int x1 = x0 + m->k[1] < gr->w + m->pad[1] ? x0 + m->k[1] : gr->w + m->pad[1];
  int size = (y1 - y0) * (x1 - x0), n = 0, best = -1, pass, ky, kx;
  float acc = -INFINITY;

  for (pass = 0; pass < (m->kind == CFM_MODULE_AVGPOOL ? 2 : 1); pass++)
    for (ky = 0; ky < m->k[0]; ky++)
      for (kx = 0; kx < m->k[1]; kx++)
        {
          int iy = y0 + ky * m->dil[0], ix = x0 + kx * m->dil[1];
          int at = iy * gr->w + ix;

          if (iy < 0 || iy >= gr->h || ix < 0 || ix >= gr->w)
            continue;
          if (m->kind == CFM_MODULE_AVGPOOL && pass == 0)
            n++;
          else if (m->kind == CFM_MODULE_AVGPOOL)
            gi[at] += go / (float) (m->count_include_pad ? size : n);
          else if (in[at] > acc || isnan (in[at]))
            {
              acc = in[at];
              best = at;
            }
        }
  if (best >= 0)
    gi[best] += go;
}

static void
pool_backward (const CfmModule *m, const Grad *gr)
{
  size_t plane = (size_t) gr->h * gr->w, oplane = (size_t) gr->oh * gr->ow;
  int ch, y, x;

  for (ch = 0; ch < gr->c; ch++)
    for (y = 0; y < gr->oh; y++)
      for (x = 0; x < gr->ow; x++)
        pool_window_grad (m, gr->in + ch * plane, gr, gr->grad_in + ch * plane,
                          y, x, gr->grad_out[ch * oplane
                                             + (size_t) y * gr->ow + x]);
}

/* BatchNorm in eval mode: each channel's gradient by its scale. */
static void
batchnorm_backward (const CfmModule *m, const Grad *gr)
{
  size_t plane = (size_t) gr->h * gr->w, i;
  int c;

  for (c = 0; c < m->features && c < gr->c; c++)
    {
      float inv = 1.0f / sqrtf (m->var[c] + m->eps);
      float scale = m->weight ? m->weight[c] * inv : inv;

      for (i = 0; i < plane; i++)
        gr->grad_in[c * plane + i] += gr->grad_out[c * plane + i] * scale;
    }
}

CfmStatus
cfm_module_backward (const CfmModule *m, const CfmModuleGrad *gr,
                     CfmError *err)
{
  size_t n = (size_t) gr->c * gr->h * gr->w, i;

  switch (m->kind)
    {
    case CFM_MODULE_CONV:
      return conv_backward (m, gr, err);
    case CFM_MODULE_BATCHNORM:
      batchnorm_backward (m, gr);
      return CFM_OK;
    case CFM_MODULE_FUNCTION:
      cfm_module_function_grad (m, gr->in, gr->grad_out, gr->grad_in, n);
      return CFM_OK;
    case CFM_MODULE_MAXPOOL:
    case CFM_MODULE_AVGPOOL:
      pool_backward (m, gr);
      return CFM_OK;
    default:
      for (i = 0; i < n; i++)
        gr->grad_in[i] += gr->grad_out[i];
      return CFM_OK;
    }
}
