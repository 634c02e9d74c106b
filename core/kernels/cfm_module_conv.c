/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_module_conv.c: a convolution module on a band of rows, as
 * nn.Conv2d computes it: on the core's convolution (its vector paths)
 * group by group and slice by slice of channels; a strided one as a
 * stride-1 convolution per phase of its input; others a tap at a time;
 * a filter bank's in one pass, its maps the tutorial's direct sums; a
 * depthwise one by cfm_module_depthwise.c (its API: cfm_module_run.h). */
#include "cfm_module_run.h"

#include "cfm_conv_1x1.h"
#include "cfm_parallel.h"

#include <stdlib.h>
#include <string.h>

typedef CfmBand Rows;
typedef CfmModuleDest Dest;

/* Filters F0.. of D. */
static Dest
dest_from (const Dest *d, int f0)
{
  Dest r = *d;

  r.conv += (size_t) f0 * d->stride;
  r.act = d->act ? d->act + (size_t) f0 * d->stride : NULL;
  return r;
}

/* One pass of the core's convolution: output rows [O0, O0 + ON) of the N
 * filters whose weights are W (N x C x KH x KW) and bias B (or NULL), over
 * channels of IN starting at C0, into OUT. */
static CfmStatus
conv_pass (const CfmModule *m, const Rows *in, int c0, int c, int n,
           const float *w, const float *b, const Dest *out, int o0, int on,
           CfmError *err)
{
  CfmBank bank = { n, c, m->k[0], m->k[1], (float *) w };
  CfmBand band = { in->data + c0 * cfm_band_plane (in), c, in->h, in->w,
                   in->row0, in->rows, cfm_band_plane (in) };
  CfmConvJob job = { 0 };

  job.bank = &bank;
  job.bias = b;
  job.in = &band;
  job.params = (CfmConvParams) { m->stride[0], m->pad[0], m->dil[0],
                                 m->pad_mode };
  job.out_row0 = o0;
  job.out_rows = on;
  job.conv = out->conv;
  job.act = out->act;
  job.activation = out->activation;
  job.negative_slope = out->slope;
  job.plane_stride = out->stride;
  job.packed = out->packed;
  job.read_soon = 1;   /* the next module reads these rows right away */
  job.winograd = !m->direct;   /* a network's maps: within PyTorch's
                                  tolerance */
  return cfm_conv2d_run (&job, NULL, err);
}

/* Whether M's kernels have more rows than the vector path takes at once. */
static int
conv_needs_slices (const CfmModule *m)
{
  return m->in_c / m->groups * m->k[0] > CFM_CONV_FAST_ROWS;
}

/* Whether M has the same stride, padding and dilation along both axes. */
static int
conv_is_square (const CfmModule *m)
{
  return m->stride[0] == m->stride[1] && m->pad[0] == m->pad[1]
         && m->dil[0] == m->dil[1];
}

/* Filters [F0, F0 + N) of one group over more input channels than the
 * vector path takes at once: a pass per slice of channels (their weights
 * packed for it), summed; the bias comes with the first. */
static CfmStatus
conv_channel_slices (const CfmModule *m, const Rows *in, int c0, int gin,
                     int f0, int n, const Dest *out, int o0, int on, int ow,
                     CfmError *err)
{
  size_t tap = (size_t) m->k[0] * m->k[1], plane = (size_t) on * ow, i;
  int step = CFM_CONV_FAST_ROWS / m->k[0], s, f;
  float *w = malloc ((size_t) n * step * tap * sizeof (float));
  float *part = malloc ((size_t) n * plane * sizeof (float) + 1);
  /* the slices' weights are packed anew for each pass (W is this call's) */
  Dest slice = { part, NULL, plane, CFM_ACT_NONE, 0.0f, NULL };
  Dest first = *out;
  CfmStatus status = w && part ? CFM_OK
    : cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for %s", m->name);

  first.packed = NULL;
  for (s = 0; s < gin && status == CFM_OK; s += step)
    {
      int cc = gin - s < step ? gin - s : step;

      for (f = 0; f < n; f++)
        memcpy (w + (size_t) f * cc * tap,
                m->weight + ((size_t) (f0 + f) * gin + s) * tap,
                (size_t) cc * tap * sizeof (float));
      status = conv_pass (m, in, c0 + s, cc, n, w,
                          s == 0 && m->bias ? m->bias + f0 : NULL,
                          s == 0 ? &first : &slice, o0, on, err);
      for (f = 0; s > 0 && status == CFM_OK && f < n; f++)
        for (i = 0; i < plane; i++)
          out->conv[f * out->stride + i] += part[f * plane + i];
    }
  free (w);
  free (part);
  return status;
}

/* A convolution with the same stride, padding and dilation along both
 * axes on the core's convolution (the vector paths), group by group, at
 * most CFM_FILTERS_MAX filters and CFM_CONV_FAST_ROWS kernel rows at a
 * time: output rows [O0, O0 + ON) of width OW into OUT (its activation
 * too only when no slices are needed). */
/* The matrix product (cfm_conv_1x1.c) of BANK's 1x1 filters, with M's
 * bias, over N_PX pixels of IN (its channels IN_STRIDE apart) into OUT,
 * its fused activation too. */
static CfmStatus
product (const CfmModule *m, const CfmBank *bank, const float *in,
         size_t in_stride, size_t n_px, const Dest *out, CfmError *err)
{
  CfmConv1x1 job = { bank, m->bias, in, in_stride, n_px, out->conv,
                     out->act, out->stride, out->activation, out->slope,
                     out->packed, 0 };

  return cfm_conv_1x1 (&job, err);
}

/* A 1x1 convolution of stride 1 over many channels, as the matrix
 * product it is: output rows [O0, O0 + ON) of width OW. */
static CfmStatus
conv_1x1 (const CfmModule *m, const Rows *in, const Dest *out, int o0,
          int on, int ow, CfmError *err)
{
  CfmBank bank = { m->out_c, m->in_c, 1, 1, (float *) m->weight };

  return product (m, &bank, in->data + (size_t) (o0 - in->row0) * in->w,
                  cfm_band_plane (in), (size_t) on * ow, out, err);
}

/* Output rows narrower than this are convolved as one matrix product of
 * the unfolded input (conv_unfolded): the vector paths run along a row,
 * and the 14- and 7-pixel rows of a classifier's deep layers at 224
 * leave most of their lanes idle (ResNet-50's 3x3 convolutions at 224:
 * 7 GMAC/s there, against 21 for its 1x1 ones). */
#define UNFOLD_WIDTH_MAX 32

/* Whether M's output rows of width OW go through conv_unfolded. */
static int
conv_unfolds (const CfmModule *m, int ow)
{
  CfmBank bank = { m->out_c, m->in_c * m->k[0] * m->k[1], 1, 1, NULL };

  return !m->direct && m->groups == 1 && m->k[0] * m->k[1] > 1 && ow > 0
         && ow < UNFOLD_WIDTH_MAX && cfm_conv_1x1_takes (&bank);
}

/* Any convolution of one group as a 1x1 convolution over the unfolded
 * input: channel (c, ky, kx) of the unfolded rows holds the pixels tap
 * (ky, kx) of channel c reads for each output pixel (padding as M's
 * mode gives it), and the weights (f, c, ky, kx) are already that
 * matrix's rows.  Output rows [O0, O0 + ON) of width OW, the fused
 * activation too. */
static CfmStatus
conv_unfolded (const CfmModule *m, const Rows *in, const Dest *out, int o0,
               int on, int ow, CfmError *err)
{
  size_t n_px = (size_t) on * ow, taps = (size_t) m->k[0] * m->k[1];
  float *cols = malloc ((size_t) m->in_c * taps * n_px * sizeof (float) + 1);
  CfmBank bank = { m->out_c, m->in_c * (int) taps, 1, 1,
                   (float *) m->weight };
  CfmStatus status;
  int c, ky, kx, y, x;

  if (cols == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for %s",
                          m->name);
  for (c = 0; c < m->in_c; c++)
    for (ky = 0; ky < m->k[0]; ky++)
      for (kx = 0; kx < m->k[1]; kx++)
        {
          float *dst = cols + ((size_t) c * taps + ky * m->k[1] + kx) * n_px;
          /* an input of no pixels (0 columns) has only padding to read */
          const float *band = in->data ? in->data + c * cfm_band_plane (in)
                                       : NULL;

          for (y = 0; y < on; y++)
            {
              int iy = cfm_pad_index ((o0 + y) * m->stride[0] - m->pad[0]
                                      + ky * m->dil[0], in->h, m->pad_mode);
              const float *row = iy < 0 || band == NULL
                                 ? NULL
                                 : band + (size_t) (iy - in->row0) * in->w;

              for (x = 0; x < ow; x++)
                {
                  int ix = cfm_pad_index (x * m->stride[1] - m->pad[1]
                                          + kx * m->dil[1], in->w,
                                          m->pad_mode);

                  dst[(size_t) y * ow + x] = row && ix >= 0 ? row[ix] : 0.0f;
                }
            }
        }
  status = product (m, &bank, cols, n_px, n_px, out, err);
  free (cols);
  return status;
}

/* Whether M is a 1x1 convolution the matrix product takes. */
static int
conv_is_1x1 (const CfmModule *m)
{
  CfmBank bank = { m->out_c, m->in_c, m->k[0], m->k[1], NULL };

  return m->groups == 1 && m->stride[0] == 1 && m->stride[1] == 1
         && m->pad[0] == 0 && m->pad[1] == 0 && cfm_conv_1x1_takes (&bank);
}

static CfmStatus
conv_square (const CfmModule *m, const Rows *in, const Dest *out, int o0,
             int on, int ow, CfmError *err)
{
  int gin = m->in_c / m->groups, gout = m->out_c / m->groups, f0 = 0;
  size_t kernel = (size_t) gin * m->k[0] * m->k[1];
  CfmStatus status = CFM_OK;

  if (conv_is_1x1 (m))
    return conv_1x1 (m, in, out, o0, on, ow, err);
  if (cfm_module_is_depthwise (m))
    {
      cfm_module_depthwise (m, in, out, o0, on, ow);
      return CFM_OK;
    }
  while (f0 < m->out_c && status == CFM_OK)
    {
      int g = f0 / gout, left = gout - f0 % gout;   /* in this group */
      int n = left < CFM_FILTERS_MAX ? left : CFM_FILTERS_MAX;
      Dest o = dest_from (out, f0);

      if (conv_needs_slices (m))
        status = conv_channel_slices (m, in, g * gin, gin, f0, n, &o, o0, on,
                                      ow, err);
      else
        status = conv_pass (m, in, g * gin, gin, n,
                            m->weight + (size_t) f0 * kernel,
                            m->bias ? m->bias + f0 : NULL, &o, o0, on, err);
      f0 += n;
    }
  return status;
}

/* Any convolution, a tap at a time (non-square strides, padding or
 * dilation): output rows [O0, O0 + ON) of width OW, planes STRIDE apart. */
static void
conv_general (const CfmModule *m, const Rows *in, float *out, size_t stride,
              int o0, int on, int ow)
{
  int gin = m->in_c / m->groups, gout = m->out_c / m->groups;
  size_t plane = (size_t) on * ow, i;
  int f, ch, ky, kx, y, x;

  for (f = 0; f < m->out_c; f++)
    {
      float *o = out + (size_t) f * stride;
      int g = f / gout;

      for (i = 0; i < plane; i++)
        o[i] = 0.0f;
      /* an input of no pixels (0 columns) has only padding to read */
      for (ch = 0; ch < gin && in->data != NULL; ch++)
        for (ky = 0; ky < m->k[0]; ky++)
          for (kx = 0; kx < m->k[1]; kx++)
            {
              float wt = m->weight[(((size_t) f * gin + ch) * m->k[0] + ky)
                                   * m->k[1] + kx];
              const float *band = in->data
                                  + (g * gin + ch) * cfm_band_plane (in);

              for (y = 0; y < on; y++)
                {
                  int iy = cfm_pad_index ((o0 + y) * m->stride[0] - m->pad[0]
                                          + ky * m->dil[0], in->h,
                                          m->pad_mode);
                  const float *row;

                  if (iy < 0)
                    continue;
                  row = band + (size_t) (iy - in->row0) * in->w;
                  for (x = 0; x < ow; x++)
                    {
                      int ix = cfm_pad_index (x * m->stride[1] - m->pad[1]
                                              + kx * m->dil[1], in->w,
                                              m->pad_mode);

                      if (ix >= 0)
                        o[(size_t) y * ow + x] += wt * row[ix];
                    }
                }
            }
      if (m->bias)   /* after the products, as PyTorch adds it */
        for (i = 0; i < plane; i++)
          o[i] += m->bias[f];
    }
}

/* Phase (A, B) of the padded input under a strided convolution M:
 * pixel (I, J) is the padded input's (S I + A, S J + B), for output rows
 * [O0, O0 + ROWS - taps + 1), into IMG (C planes of ROWS x COLS). */
static void
phase_image (const CfmModule *m, const Rows *in, int a, int b, int o0,
             int rows, int cols, float *img)
{
  int s = m->stride[0], c, i, j;

  for (c = 0; c < in->c; c++)
    for (i = 0; i < rows; i++)
      {
        int y = cfm_pad_index (s * (o0 + i) + a - m->pad[0], in->h,
                               m->pad_mode);
        const float *src = y < 0 ? NULL : in->data + c * cfm_band_plane (in)
                                          + (size_t) (y - in->row0) * in->w;
        float *dst = img + ((size_t) c * rows + i) * cols;

        for (j = 0; j < cols; j++)
          {
            int x = y < 0 ? -1 : cfm_pad_index (s * j + b - m->pad[1], in->w,
                                                m->pad_mode);

            dst[j] = x < 0 ? 0.0f : src[x];
          }
      }
}

/* Phase (A, B)'s taps of M's kernel, KA x KB of them, into W. */
static void
phase_kernel (const CfmModule *m, int a, int b, int ka, int kb, float *w)
{
  int s = m->stride[0], gin = m->in_c / m->groups, f, c, u, v;

  for (f = 0; f < m->out_c; f++)
    for (c = 0; c < gin; c++)
      for (u = 0; u < ka; u++)
        for (v = 0; v < kb; v++)
          *w++ = m->weight[(((size_t) f * gin + c) * m->k[0] + s * u + a)
                           * m->k[1] + s * v + b];
}

/* One phase (A, B) of a strided M: its stride-1 convolution of KA x KB
 * taps on its phase image, into TO. */
static CfmStatus
conv_phase (const CfmModule *m, const Rows *in, int a, int b, int ka, int kb,
            const Dest *to, int o0, int on, int ow, CfmError *err)
{
  int rows = on + ka - 1, cols = ow + kb - 1;
  float *img = malloc (((size_t) in->c * rows * cols + 1) * sizeof (float));
  float *w = malloc (((size_t) m->out_c * (m->in_c / m->groups) * ka * kb
                      + 1) * sizeof (float));
  CfmModule sub = *m;
  Rows band = { img, in->c, rows, cols, 0, rows, 0 };
  CfmStatus status = img && w ? CFM_OK
    : cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for %s", m->name);

  if (status == CFM_OK)
    {
      phase_image (m, in, a, b, o0, rows, cols, img);
      phase_kernel (m, a, b, ka, kb, w);
      sub.k[0] = ka, sub.k[1] = kb;
      sub.stride[0] = sub.stride[1] = 1;
      sub.pad[0] = sub.pad[1] = 0;
      sub.pad_mode = CFM_PAD_ZEROS;
      sub.weight = w;
      sub.bias = NULL;
      status = conv_square (&sub, &band, to, 0, on, ow, err);
    }
  free (img);
  free (w);
  return status;
}

/* A convolution of stride S > 1 along both axes (no dilation) as S x S
 * stride-1 convolutions, one per phase of its input (the vector paths
 * take stride 1 alone): every tap is one phase's, so the multiply-adds
 * are the strided convolution's own; the phases' sums are added, then the
 * bias and the activation, in PyTorch's order up to float rounding. */
static CfmStatus
conv_phases (const CfmModule *m, const Rows *in, const Dest *out, int o0,
             int on, int ow, CfmError *err)
{
  size_t plane = (size_t) on * ow, i;
  float *part = malloc (((size_t) m->out_c * plane + 1) * sizeof (float));
  Dest first = { out->conv, NULL, out->stride, CFM_ACT_NONE, 0.0f, NULL };
  Dest rest = { part, NULL, plane, CFM_ACT_NONE, 0.0f, NULL };
  int s = m->stride[0], done = 0, a, b, f;
  CfmStatus status = part ? CFM_OK
    : cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for %s", m->name);

  for (a = 0; a < s && status == CFM_OK; a++)
    for (b = 0; b < s && status == CFM_OK; b++)
      {
        int ka = (m->k[0] - a + s - 1) / s, kb = (m->k[1] - b + s - 1) / s;

        if (ka < 1 || kb < 1)
          continue;   /* a phase the kernel never reaches */
        status = conv_phase (m, in, a, b, ka, kb, done ? &rest : &first, o0,
                             on, ow, err);
        for (f = 0; done && status == CFM_OK && f < m->out_c; f++)
          for (i = 0; i < plane; i++)
            out->conv[f * out->stride + i] += part[f * plane + i];
        done = 1;
      }
  for (f = 0; status == CFM_OK && f < m->out_c; f++)
    {
      float *row = out->conv + f * out->stride;

      for (i = 0; m->bias && i < plane; i++)
        row[i] += m->bias[f];
      if (out->act)
        cfm_activation_apply (out->activation, out->slope, row,
                              out->act + f * out->stride, plane);
    }
  free (part);
  return status;
}

/* Whether M goes the phases' way: a stride above 1, no dilation. */
static int
conv_by_phases (const CfmModule *m)
{
  return m->stride[0] > 1 && m->dil[0] == 1 && m->dil[1] == 1;
}

CfmStatus
cfm_module_conv (const CfmModule *m, const CfmBand *in,
                 const CfmModuleDest *out, int o0, int on, int ow,
                 CfmError *err)
{
  if (m->direct)   /* a filter bank: every filter in one pass, as always */
    return conv_pass (m, in, 0, m->in_c, m->out_c, m->weight, m->bias, out,
                      o0, on, err);
  if (conv_unfolds (m, ow))
    return conv_unfolded (m, in, out, o0, on, ow, err);
  if (!conv_is_square (m))
    {
      conv_general (m, in, out->conv, out->stride, o0, on, ow);
      return CFM_OK;
    }
  if (cfm_module_is_depthwise (m))   /* any stride: little to compute */
    {
      cfm_module_depthwise (m, in, out, o0, on, ow);
      return CFM_OK;
    }
  if (conv_by_phases (m))
    return conv_phases (m, in, out, o0, on, ow, err);
  return conv_square (m, in, out, o0, on, ow, err);
}

int
cfm_module_conv_fuses (const CfmModule *m)
{
  return m->direct
         || (conv_is_square (m)
             && (conv_by_phases (m) || conv_is_1x1 (m)
                 || cfm_module_is_depthwise (m) || !conv_needs_slices (m)));
}
