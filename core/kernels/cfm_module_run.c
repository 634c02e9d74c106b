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
    case CFM_FN_ABS: return fabsf (v);
    case CFM_FN_SQRT: return sqrtf (v);
    default: return v;
    }
}

/* The derivative of M's function at V (PyTorch's at its kinks: 0 where
 * ReLU, ReLU6 and Hardtanh meet their bounds, Abs's sign 0 at 0). */
static float
function_derivative (const CfmModule *m, float v)
{
  const float rsqrt_2pi = 0.39894228040143268f, k = 0.79788456080286536f;
  float s, t;

  switch (m->fn)
    {
    case CFM_FN_RELU: return v > 0.0f ? 1.0f : 0.0f;
    case CFM_FN_RELU6: return v > 0.0f && v < 6.0f ? 1.0f : 0.0f;
    case CFM_FN_LEAKY_RELU: return v > 0.0f ? 1.0f : m->alpha;
    case CFM_FN_ELU: return v > 0.0f ? 1.0f : m->alpha * expf (v);
    case CFM_FN_GELU:
      return 0.5f * (1.0f + erff (v * 0.70710678118654752f))
             + v * rsqrt_2pi * expf (-0.5f * v * v);
    case CFM_FN_GELU_TANH:
      t = tanhf (k * (v + 0.044715f * v * v * v));
      return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * k
                                 * (1.0f + 3.0f * 0.044715f * v * v);
    case CFM_FN_SILU:
      s = 1.0f / (1.0f + expf (-v));
      return s * (1.0f + v * (1.0f - s));
    case CFM_FN_SIGMOID:
      s = 1.0f / (1.0f + expf (-v));
      return s * (1.0f - s);
    case CFM_FN_TANH: t = tanhf (v); return 1.0f - t * t;
    case CFM_FN_HARDTANH: return v > m->lo && v < m->hi ? 1.0f : 0.0f;
    case CFM_FN_HARDSIGMOID:
      s = m->alpha * v + m->beta;
      return s > 0.0f && s < 1.0f ? m->alpha : 0.0f;
    case CFM_FN_HARDSWISH:
      return v < -3.0f ? 0.0f : v > 3.0f ? 1.0f : (2.0f * v + 3.0f) / 6.0f;
    case CFM_FN_SOFTPLUS: return v > 20.0f ? 1.0f : 1.0f / (1.0f + expf (-v));
    case CFM_FN_MISH:
      s = v > 20.0f ? v : log1pf (expf (v));
      t = tanhf (s);
      return t + v * (1.0f - t * t) / (1.0f + expf (-v));
    case CFM_FN_ERF: return 1.12837916709551257f * expf (-v * v);
    case CFM_FN_ABS: return v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : 0.0f;
    case CFM_FN_SQRT: return 0.5f / sqrtf (v);
    default: return 1.0f;
    }
}

void
cfm_module_function_grad (const CfmModule *m, const float *in,
                          const float *grad_out, float *grad_in, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    grad_in[i] += grad_out[i] * function_derivative (m, in[i]);
}

/* M's function on N values from IN to OUT: ReLU, LeakyReLU and Abs as the
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
    case CFM_FN_ABS:
      cfm_activation_apply (CFM_ACT_ABS, 0.0f, in, out, n);
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
         : m->fn == CFM_FN_LEAKY_RELU ? CFM_ACT_LEAKY_RELU
         : m->fn == CFM_FN_ABS ? CFM_ACT_ABS : CFM_ACT_NONE;
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
      {
        Dest d = *out;
        CfmStatus status;

        if (d.act)   /* the activation after it, fused */
          d.activation = fused_activation (act, &d.slope);
        if (d.act == NULL || d.activation != CFM_ACT_NONE)
          return cfm_module_conv (m, in, &d, o0, on, ow, err);
        d.act = NULL;   /* another function: on the rows just written */
        status = cfm_module_conv (m, in, &d, o0, on, ow, err);
        for (ch = 0; status == CFM_OK && ch < m->out_c; ch++)
          apply_function_rows (act, d.conv + ch * stride,
                               out->act + ch * stride, n);
        return status;
      }
    case CFM_MODULE_MAXPOOL:
    case CFM_MODULE_AVGPOOL:
      pool (m, in, out->conv, stride, o0, on, ow);
      return CFM_OK;
    case CFM_MODULE_BATCHNORM:
      batchnorm (m, src, in_stride, out->conv, stride, n);
      return CFM_OK;
    case CFM_MODULE_FUNCTION:
      for (ch = 0; ch < in->c; ch++)
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

  return conv->kind == CFM_MODULE_CONV && next->kind == CFM_MODULE_FUNCTION
         && (cfm_module_conv_fuses (conv)
             || fused_activation (next, &slope) == CFM_ACT_NONE);
}
