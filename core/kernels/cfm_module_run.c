/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_module_run.c: one module of a network on a band of rows, as
 * model.eval () computes it: convolutions (on the core's vector path where
 * it takes them, with the activation after them fused), BatchNorm2d, the
 * activations, pooling, the modules that pass rows on (its API:
 * cfm_module_run.h). */
#include "cfm_module_run.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_parallel.h"

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
  job.winograd = 1;    /* a network's maps: within PyTorch's tolerance */
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
static CfmStatus
conv_square (const CfmModule *m, const Rows *in, const Dest *out, int o0,
             int on, int ow, CfmError *err)
{
  int gin = m->in_c / m->groups, gout = m->out_c / m->groups, f0 = 0;
  size_t kernel = (size_t) gin * m->k[0] * m->k[1];
  CfmStatus status = CFM_OK;

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
      for (ch = 0; ch < gin; ch++)
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

/* BatchNorm2d in eval mode on N values of each channel: IN's planes
 * IN_STRIDE apart, OUT's OUT_STRIDE. */
static void
batchnorm (const CfmModule *m, const float *in, size_t in_stride, float *out,
           size_t out_stride, size_t n)
{
  int c;
  size_t i;

  for (c = 0; c < m->features; c++)
    {
      float inv = 1.0f / sqrtf (m->var[c] + m->eps);
      float scale = m->weight ? m->weight[c] * inv : inv;
      float shift = (m->bias ? m->bias[c] : 0.0f) - m->mean[c] * scale;
      const float *x = in + c * in_stride;
      float *y = out + c * out_stride;

      for (i = 0; i < n; i++)
        y[i] = x[i] * scale + shift;
    }
}

static float
apply_function (const CfmModule *m, float v)
{
  switch (m->fn)
    {
    case CFM_FN_RELU: return v > 0.0f ? v : 0.0f;
    case CFM_FN_RELU6: return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
    case CFM_FN_LEAKY_RELU: return v > 0.0f ? v : v * m->alpha;
    case CFM_FN_ELU: return v > 0.0f ? v : m->alpha * expm1f (v);
    case CFM_FN_GELU: return 0.5f * v * (1.0f + erff (v * 0.70710678118654752f));
    case CFM_FN_GELU_TANH:
      return 0.5f * v * (1.0f + tanhf (0.79788456080286536f
                                       * (v + 0.044715f * v * v * v)));
    case CFM_FN_SILU: return v / (1.0f + expf (-v));
    case CFM_FN_SIGMOID: return 1.0f / (1.0f + expf (-v));
    case CFM_FN_TANH: return tanhf (v);
    case CFM_FN_HARDTANH: return v < m->lo ? m->lo : v > m->hi ? m->hi : v;
    case CFM_FN_HARDSIGMOID:
      return fmaxf (0.0f, fminf (1.0f, m->alpha * v + m->beta));
    case CFM_FN_HARDSWISH:   /* x * relu6 (x + 3) / 6, as PyTorch */
      return v * fminf (fmaxf (v + 3.0f, 0.0f), 6.0f) / 6.0f;
    case CFM_FN_SOFTPLUS:   /* PyTorch: x itself past 20 */
      return v > 20.0f ? v : log1pf (expf (v));
    case CFM_FN_MISH:
      return v * tanhf (v > 20.0f ? v : log1pf (expf (v)));
    case CFM_FN_ERF: return erff (v);
    default: return v;
    }
}

/* M's function on N values from IN to OUT: ReLU and LeakyReLU as the
 * tutorial's activations (cfm_activation_apply), ReLU6 in a loop of its own
 * (loops that compilers vectorise), the others value by value. */
static void
apply_function_rows (const CfmModule *m, const float *in, float *out,
                     size_t n)
{
  size_t i;

  switch (m->fn)
    {
    case CFM_FN_RELU:
      cfm_activation_apply (CFM_ACT_RELU, 0.0f, in, out, n);
      return;
    case CFM_FN_LEAKY_RELU:
      cfm_activation_apply (CFM_ACT_LEAKY_RELU, m->alpha, in, out, n);
      return;
    case CFM_FN_RELU6:
      for (i = 0; i < n; i++)
        out[i] = in[i] < 0.0f ? 0.0f : in[i] > 6.0f ? 6.0f : in[i];
      return;
    default:
      for (i = 0; i < n; i++)
        out[i] = apply_function (m, in[i]);
    }
}

/* PReLU on channel CH's N values: its slope, or the one slope. */
static void
prelu_rows (const CfmModule *m, int ch, const float *in, float *out,
            size_t n)
{
  float slope = m->weight[m->features == 1 ? 0 : ch];
  size_t i;

  for (i = 0; i < n; i++)
    out[i] = in[i] > 0.0f ? in[i] : in[i] * slope;
}

/* One pooled value: the window of output pixel (Y, X) (Y an absolute
 * row). */
static float
pool_window (const CfmModule *m, const float *band, const Rows *in, int y,
             int x)
{
  int y0 = y * m->stride[0] - m->pad[0], x0 = x * m->stride[1] - m->pad[1];
  int y1 = y0 + m->k[0] < in->h + m->pad[0] ? y0 + m->k[0] : in->h + m->pad[0];
  int x1 = x0 + m->k[1] < in->w + m->pad[1] ? x0 + m->k[1] : in->w + m->pad[1];
  int size = (y1 - y0) * (x1 - x0), n = 0, ky, kx;
  float acc = m->kind == CFM_MODULE_MAXPOOL ? -INFINITY : 0.0f;

  for (ky = 0; ky < m->k[0]; ky++)
    for (kx = 0; kx < m->k[1]; kx++)
      {
        int iy = y0 + ky * m->dil[0], ix = x0 + kx * m->dil[1];
        float v;

        if (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w)
          continue;
        v = band[(size_t) (iy - in->row0) * in->w + ix];
        n++;
        if (m->kind == CFM_MODULE_AVGPOOL)
          acc += v;
        else if (v > acc || isnan (v))
          acc = v;
      }
  if (m->kind == CFM_MODULE_AVGPOOL)
    acc /= (float) (m->count_include_pad ? size : n);
  return acc;
}

/* Output columns [*X0, *X1) of M along axis A, for an input of IN: those
 * whose windows lie wholly inside it. */
static void
inner_columns (const CfmModule *m, int a, int in, int out, int *x0, int *x1)
{
  int span = m->dil[a] * (m->k[a] - 1) + 1, s = m->stride[a], p = m->pad[a];

  *x0 = (p + s - 1) / s;
  *x1 = in - span + p >= 0 ? (in - span + p) / s + 1 : 0;
  *x1 = *x1 < out ? *x1 : out;
  *x1 = *x1 > *x0 ? *x1 : *x0;
}

/* MaxPool2d (2, 2)'s row of windows whose top row is TOP and bottom row
 * BOTTOM, window X's first column 2 * X + DX (>= 0), columns [X0, X1)
 * (inside the map): pool_window's values in its order (NaN kept, as
 * PyTorch does; cfm_pool.c's tutorial pooling compares without it),
 * written as one expression per window so that compilers vectorise it
 * (the general loop below, one window position at a time with a stride
 * known only at run time, took twice as long on VGG-16's pools). */
static void
max_pool_row_2x2 (const float *top, const float *bottom, int dx, int x0,
                  int x1, float *out)
{
  int x;

  for (x = x0; x < x1; x++)
    {
      float acc = top[2 * x + dx], v = top[2 * x + dx + 1];

      acc = v > acc || v != v ? v : acc;
      v = bottom[2 * x + dx];
      acc = v > acc || v != v ? v : acc;
      v = bottom[2 * x + dx + 1];
      out[x] = v > acc || v != v ? v : acc;
    }
}

/* Pooled row Y (absolute) of one channel, columns [X0, X1) whose windows
 * lie inside the map: the same values in the same order as pool_window,
 * without its bounds, a window position at a time over the whole row (a
 * loop compilers vectorise). */
static void
pool_inner_row (const CfmModule *m, const float *band, const Rows *in, int y,
                int x0, int x1, float *out)
{
  const float *top = band + (size_t) (y * m->stride[0] - m->pad[0]
                                      - in->row0) * in->w;
  int s = m->stride[1], max = m->kind == CFM_MODULE_MAXPOOL, x, ky, kx;

  if (max && m->k[0] == 2 && m->k[1] == 2 && s == 2 && m->dil[0] == 1
      && m->dil[1] == 1)
    {
      max_pool_row_2x2 (top, top + in->w, -m->pad[1], x0, x1, out);
      return;
    }
  for (x = x0; x < x1; x++)
    out[x] = max ? -INFINITY : 0.0f;
  for (ky = 0; ky < m->k[0]; ky++)
    for (kx = 0; kx < m->k[1]; kx++)
      {
        const float *row = top + (size_t) ky * m->dil[0] * in->w;
        int dx = kx * m->dil[1] - m->pad[1];   /* x * s + dx >= 0 here */

        if (max)
          for (x = x0; x < x1; x++)
            {
              float v = row[x * s + dx], acc = out[x];

              out[x] = v > acc || v != v ? v : acc;
            }
        else
          for (x = x0; x < x1; x++)
            out[x] += row[x * s + dx];
      }
  if (!max)
    for (x = x0; x < x1; x++)
      out[x] /= (float) (m->k[0] * m->k[1]);
}

/* One channel's pooled rows [O0, O0 + ON) of width OW from BAND into
 * ROWS. */
static void
pool_channel (const CfmModule *m, const Rows *in, const float *band,
              float *rows, int o0, int on, int ow)
{
  int y, x, y0, y1, x0, x1;

  inner_columns (m, 0, in->h, o0 + on, &y0, &y1);
  inner_columns (m, 1, in->w, ow, &x0, &x1);
  for (y = 0; y < on; y++)
    {
      float *row = rows + (size_t) y * ow;
      int inner = o0 + y >= y0 && o0 + y < y1;

      if (inner)
        pool_inner_row (m, band, in, o0 + y, x0, x1, row);
      for (x = 0; x < ow; x++)
        if (!inner || x < x0 || x >= x1)
          row[x] = pool_window (m, band, in, o0 + y, x);
    }
}

/* A pooling run's channels, shared out among workers. */
typedef struct
{
  const CfmModule *m;
  const Rows      *in;
  float           *out;
  size_t           stride;
  int              o0, on, ow, workers;
} PoolRun;

static void
pool_worker (void *data, int worker)
{
  const PoolRun *p = data;
  int c0 = (int) ((long long) p->in->c * worker / p->workers);
  int c1 = (int) ((long long) p->in->c * (worker + 1) / p->workers), ch;

  for (ch = c0; ch < c1; ch++)
    pool_channel (p->m, p->in, p->in->data + ch * cfm_band_plane (p->in),
                  p->out + ch * p->stride, p->o0, p->on, p->ow);
}

/* Max or average pooling, as F.max_pool2d / F.avg_pool2d: output rows
 * [O0, O0 + ON) of width OW, planes STRIDE apart, the channels shared
 * among the threads cfm_thread_count gives ($CFM_THREADS). */
static void
pool (const CfmModule *m, const Rows *in, float *out, size_t stride, int o0,
      int on, int ow)
{
  PoolRun run = { m, in, out, stride, o0, on, ow, 1 };

  run.workers = cfm_thread_count (0, in->c < CFM_WORKERS_MAX
                                     ? in->c : CFM_WORKERS_MAX);
  cfm_parallel_run (run.workers, pool_worker, &run);
}

/* The activation that module M (a function) is as the convolution's fused
 * activation, or CFM_ACT_NONE when it is none of those. */
static CfmActivation
fused_activation (const CfmModule *m, float *slope)
{
  *slope = m->kind == CFM_MODULE_FUNCTION && m->fn == CFM_FN_LEAKY_RELU
           ? m->alpha : 0.0f;
  if (m->kind != CFM_MODULE_FUNCTION)
    return CFM_ACT_NONE;
  return m->fn == CFM_FN_RELU ? CFM_ACT_RELU
         : m->fn == CFM_FN_LEAKY_RELU ? CFM_ACT_LEAKY_RELU : CFM_ACT_NONE;
}

CfmStatus
cfm_module_run (const CfmModule *m, const CfmBand *in,
                const CfmModuleDest *out, const CfmModule *act, int o0,
                int on, int ow, CfmError *err)
{
  size_t n = (size_t) on * ow, in_stride = cfm_band_plane (in);
  size_t stride = out->stride;
  const float *src = in->data;   /* a row-for-row module's rows, below */
  int ch;

  if (m->kind != CFM_MODULE_CONV && m->kind != CFM_MODULE_MAXPOOL
      && m->kind != CFM_MODULE_AVGPOOL)
    src += (size_t) (o0 - in->row0) * in->w;   /* O0 >= IN's row0 */

  switch (m->kind)
    {
    case CFM_MODULE_CONV:
      if (conv_is_square (m))
        {
          Dest d = *out;

          if (d.act)
            d.activation = fused_activation (act, &d.slope);
          return conv_square (m, in, &d, o0, on, ow, err);
        }
      conv_general (m, in, out->conv, stride, o0, on, ow);
      return CFM_OK;
    case CFM_MODULE_MAXPOOL:
    case CFM_MODULE_AVGPOOL:
      pool (m, in, out->conv, stride, o0, on, ow);
      return CFM_OK;
    case CFM_MODULE_BATCHNORM:
      batchnorm (m, src, in_stride, out->conv, stride, n);
      return CFM_OK;
    case CFM_MODULE_FUNCTION:
      for (ch = 0; ch < in->c && m->fn == CFM_FN_PRELU; ch++)
        prelu_rows (m, ch, src + ch * in_stride, out->conv + ch * stride, n);
      for (ch = 0; ch < in->c && m->fn != CFM_FN_PRELU; ch++)
        apply_function_rows (m, src + ch * in_stride,
                             out->conv + ch * stride, n);
      return CFM_OK;
    default:   /* row for row: copy the rows wanted (O0 >= IN's row0) */
      for (ch = 0; ch < in->c; ch++)
        memcpy (out->conv + ch * stride, src + ch * in_stride,
                n * sizeof (float));
      return CFM_OK;
    }
}


int
cfm_module_fuses (const CfmModule *conv, const CfmModule *next)
{
  float slope;

  return conv->kind == CFM_MODULE_CONV && conv_is_square (conv)
         && !conv_needs_slices (conv)
         && fused_activation (next, &slope) != CFM_ACT_NONE;
}
