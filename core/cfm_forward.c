/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_forward.c: a network's forward pass as model.eval () computes it,
 * whole or in bands of rows, and the sizes of every module's output (its
 * API: cfm_network.h). */
#include "cfm_network.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_conv.h"
#include "cfm_parallel.h"

/* ---- sizes ---------------------------------------------------------------- */

/* The output length of M along axis A for an input of IN; 0 with a
 * message when there is none. */
static int
out_length (const CfmModule *m, int a, int in, CfmError *err)
{
  long long span = (long long) m->dil[a] * (m->k[a] - 1) + 1, out;
  int s = m->stride[a], p = m->pad[a];

  if (m->kind == CFM_MODULE_CONV)
    {
      if ((m->pad_mode == CFM_PAD_REFLECT && p >= in)
          || (m->pad_mode == CFM_PAD_CIRCULAR && p > in))
        return cfm_error_set (err, CFM_ERR_SIZE, "%s: its padding of %d is "
                              "too wide for an input of %d", m->name, p,
                              in), 0;
      out = in + 2LL * p >= span ? (in + 2LL * p - span) / s + 1 : 0;
    }
  else
    {
      if (p > m->k[a] / 2)
        return cfm_error_set (err, CFM_ERR_ARG, "%s: padding %d is more "
                              "than half the window %d", m->name, p,
                              m->k[a]), 0;
      out = in + 2LL * p - span + (m->ceil_mode ? s - 1 : 0);
      out = out >= 0 ? out / s + 1 : 0;
      if (m->ceil_mode && out > 0 && (out - 1) * s >= in + p)
        out--;
    }
  if (out < 1 || out > INT32_MAX)
    return cfm_error_set (err, CFM_ERR_SIZE, "%s: an input of %d pixels "
                          "leaves no output pixel", m->name, in), 0;
  return (int) out;
}

/* ---- the layers ------------------------------------------------------------ */

/* Rows [row0, row0 + rows) of C planes of a map of H x W, laid out as
 * CfmBand is (channel, band row, column). */
typedef CfmBand Rows;

/* Where a module's rows go: channel f's row r at conv[f * stride + r *
 * out width], a convolution's fused activation (or NULL) laid out the
 * same; WORK (WORK_FLOATS of them, or NULL) is lent to the convolution for
 * its padded copy of the band. */
typedef struct
{
  float         *conv, *act;
  size_t         stride;
  CfmActivation  activation;
  float          slope;
  float         *work;
  size_t         work_floats;
  CfmConvPacked *packed;   /* the module's packed weights, or NULL */
} Dest;

/* Filters F0.. of DEST. */
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
  CfmBand band = { in->data + (size_t) c0 * in->rows * in->w, c, in->h,
                   in->w, in->row0, in->rows };
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
  job.work = out->work;
  job.work_floats = out->work_floats;
  job.packed = out->packed;
  job.read_soon = 1;   /* the next module reads these rows right away */
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
  Dest slice = { part, NULL, plane, CFM_ACT_NONE, 0.0f, out->work,
                 out->work_floats, NULL };
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
                                  + (size_t) (g * gin + ch) * in->rows * in->w;

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
    default: return v;
    }
}

/* M's function on N values from IN to OUT: the common ones in loops of
 * their own (which compilers vectorise), the others value by value. */
static void
apply_function_rows (const CfmModule *m, const float *in, float *out,
                     size_t n)
{
  size_t i;

  switch (m->fn)
    {
    case CFM_FN_RELU:
      for (i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
      return;
    case CFM_FN_RELU6:
      for (i = 0; i < n; i++)
        out[i] = in[i] < 0.0f ? 0.0f : in[i] > 6.0f ? 6.0f : in[i];
      return;
    case CFM_FN_LEAKY_RELU:
      for (i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : in[i] * m->alpha;
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

  for (x = x0; x < x1; x++)
    out[x] = max ? -INFINITY : 0.0f;
  for (ky = 0; ky < m->k[0]; ky++)
    for (kx = 0; kx < m->k[1]; kx++)
      {
        const float *src = top + (size_t) ky * m->dil[0] * in->w
                           + kx * m->dil[1] - m->pad[1];

        if (max)
          for (x = x0; x < x1; x++)
            {
              float v = src[x * s], acc = out[x];

              out[x] = v > acc || v != v ? v : acc;
            }
        else
          for (x = x0; x < x1; x++)
            out[x] += src[x * s];
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
    pool_channel (p->m, p->in, p->in->data + (size_t) ch * p->in->rows
                                             * p->in->w,
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

/* ---- the forward pass ----------------------------------------------------- */

/* The output size of module M on C x H x W. */
static CfmStatus
module_size (const CfmModule *m, int c, int h, int w, int *oc, int *oh,
             int *ow, CfmError *err)
{
  *oc = c;
  *oh = h;
  *ow = w;
  if (m->kind == CFM_MODULE_CONV)
    {
      if (m->in_c != c)
        return cfm_error_set (err, CFM_ERR_ARG, "%s takes %d channels, its "
                              "input has %d", m->name, m->in_c, c);
      *oc = m->out_c;
    }
  if (m->kind == CFM_MODULE_CONV || m->kind == CFM_MODULE_MAXPOOL
      || m->kind == CFM_MODULE_AVGPOOL)
    {
      *oh = out_length (m, 0, h, err);
      *ow = *oh ? out_length (m, 1, w, err) : 0;
      if (*oh == 0 || *ow == 0)
        return err ? err->status : CFM_ERR_SIZE;
    }
  if (m->kind == CFM_MODULE_BATCHNORM && m->features != c)
    return cfm_error_set (err, CFM_ERR_ARG, "%s has %d features, its input "
                          "%d channels", m->name, m->features, c);
  return CFM_OK;
}

/* The input rows module M reads for output rows [O0, O0 + ON), its input
 * being H rows: [*I0, *I0 + *IN). */
static void
input_rows (const CfmModule *m, int h, int o0, int on, int *i0, int *in)
{
  if (m->kind == CFM_MODULE_CONV)
    {
      CfmConvParams p = { m->stride[0], m->pad[0], m->dil[0], m->pad_mode };

      cfm_conv2d_input_rows (&p, m->k[0], h, o0, on, i0, in);
      return;
    }
  if (m->kind == CFM_MODULE_MAXPOOL || m->kind == CFM_MODULE_AVGPOOL)
    {
      int lo = o0 * m->stride[0] - m->pad[0];
      int hi = (o0 + on - 1) * m->stride[0] - m->pad[0]
               + m->dil[0] * (m->k[0] - 1) + 1;

      lo = lo < 0 ? 0 : lo;
      hi = hi > h ? h : hi;
      *i0 = lo;
      *in = hi > lo ? hi - lo : 0;
      return;
    }
  *i0 = o0;
  *in = on;
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

/* Runs module M on the rows IN into output rows [O0, O0 + ON) of width OW
 * at OUT; a convolution writes its fused activation to OUT->act as well
 * when that is not NULL (the next module ACT, a function fused_activation
 * names). */
static CfmStatus
run_module (const CfmModule *m, const Rows *in, const Dest *out,
            const CfmModule *act, int o0, int on, int ow, CfmError *err)
{
  size_t n = (size_t) on * ow, in_stride = (size_t) in->rows * in->w;
  const float *src = in->data + (size_t) (o0 - in->row0) * in->w;
  size_t stride = out->stride;
  int ch;

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

/* The sizes of every module's output up to LAST for an input of C x H x
 * W: C[i + 1], H[i + 1], W[i + 1] are module i's (index 0: the input). */
static CfmStatus
chain_sizes (const CfmNetwork *net, int last, int *c, int *h, int *w,
             CfmError *err)
{
  int i;
  CfmStatus status = CFM_OK;

  if (last < 0 || last >= net->n)
    return cfm_error_set (err, CFM_ERR_ARG, "no module %d", last);
  for (i = 0; i <= last && status == CFM_OK; i++)
    status = module_size (&net->modules[i], c[i], h[i], w[i], &c[i + 1],
                          &h[i + 1], &w[i + 1], err);
  return status;
}

/* Whether module M hands on each input row as an output row. */
static int
keeps_rows (const CfmModule *m)
{
  return m->kind == CFM_MODULE_BATCHNORM || m->kind == CFM_MODULE_FUNCTION
         || m->kind == CFM_MODULE_IDENTITY;
}

/* What one layer of a banded pass holds: rows [row0, row0 + rows) of its
 * C planes (plane stride rows x W) in buf[cur]; the rows the next band
 * needs too are moved, not computed again (into the other buffer only
 * when the number of rows changes). */
typedef struct
{
  float  *buf[2];
  size_t  cap[2];    /* floats each holds */
  int     cur, row0, rows;
} Held;

/* The layers of a banded pass: Held[0] the input, Held[i + 1] module i's
 * output, and the sizes of each. */
typedef struct
{
  const CfmNetwork *net;
  int               last;
  const int        *c, *h, *w;
  Held              held[CFM_NETWORK_MAX_MODULES + 1];
  float            *scratch;   /* input rows as READ gives them */
  size_t            scratch_cap;
  float            *work;      /* lent to each convolution (see Dest) */
  size_t            work_cap;
  CfmConvPacked     packed[CFM_NETWORK_MAX_MODULES];   /* per module */
  CfmRowReader      read;
  void             *read_data;
} Stream;

/* *BUF with room for N floats. */
static int
reserve (float **buf, size_t *cap, size_t n)
{
  float *p;

  if (n <= *cap)
    return 1;
  p = realloc (*buf, (n + 1) * sizeof (float));
  if (p == NULL)
    return 0;
  *buf = p;
  *cap = n;
  return 1;
}

static void
stream_free (Stream *s)
{
  int i;

  for (i = 0; i <= s->last + 1; i++)
    {
      free (s->held[i].buf[0]);
      free (s->held[i].buf[1]);
    }
  free (s->scratch);
  free (s->work);
  for (i = 0; i <= s->last; i++)
    cfm_conv_packed_free (&s->packed[i]);
}

/* Computes rows [A, B) of layer I (module I - 1's output, or the input
 * for I = 0) into DST, whose planes are STRIDE floats apart; the layer
 * below already holds the rows they need.  With ACT_DST, module I's
 * activation goes there too (see fuses_next). */
static CfmStatus
compute_rows (Stream *s, int i, int a, int b, float *dst, size_t stride,
              float *act_dst, CfmError *err)
{
  int w = s->w[i], ch;

  if (i == 0)
    {
      CfmStatus status;

      if (!reserve (&s->scratch, &s->scratch_cap, (size_t) s->c[0] * (b - a)
                                                  * w))
        return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for a band");
      status = s->read (s->read_data, a, b - a, s->scratch, err);
      for (ch = 0; ch < s->c[0] && status == CFM_OK; ch++)
        memcpy (dst + ch * stride, s->scratch + (size_t) ch * (b - a) * w,
                (size_t) (b - a) * w * sizeof (float));
      return status;
    }
  {
    const Held *below = &s->held[i - 1];
    const CfmModule *m = &s->net->modules[i - 1];
    Rows in = { below->buf[below->cur], s->c[i - 1], s->h[i - 1],
                s->w[i - 1], below->row0, below->rows };
    Dest d = { dst, act_dst, stride, CFM_ACT_NONE, 0.0f, NULL, 0,
               &s->packed[i - 1] };
    size_t work = m->kind == CFM_MODULE_CONV
                  ? cfm_conv2d_work_floats (&in, m->pad[0]) : 0;

    /* failing that, the convolution allocates its own */
    if (work > 0 && reserve (&s->work, &s->work_cap, work))
      {
        d.work = s->work;
        d.work_floats = s->work_cap;
      }
    return run_module (m, &in, &d, i <= s->last ? &s->net->modules[i] : NULL,
                       a, b - a, w, err);
  }
}

/* Whether layer I's module (a convolution the vector path takes at once)
 * also gives the next module's output, an activation it can fuse. */
static int
fuses_next (const Stream *s, int i)
{
  const CfmModule *m = &s->net->modules[i - 1];
  float slope;

  return i >= 1 && i <= s->last && m->kind == CFM_MODULE_CONV
         && conv_is_square (m) && !conv_needs_slices (m)
         && fused_activation (&s->net->modules[i], &slope) != CFM_ACT_NONE;
}

/* Of rows [R0, R0 + RN), how many at their start HD already holds. */
static int
kept_rows (const Held *hd, int r0, int rn)
{
  int kept;

  if (hd->rows <= 0 || r0 < hd->row0 || r0 >= hd->row0 + hd->rows)
    return 0;
  kept = hd->row0 + hd->rows - r0;
  return kept < rn ? kept : rn;
}

/* The rows each layer holds for output rows [O0, O0 + ON) of module LAST:
 * [R0[i], R0[i] + RN[i]), of which KEPT[i] it held already.  A layer holds
 * what its successor reads for its new rows (its kernel's rows, not the
 * whole chain's field), or, below a row-for-row module, what that holds. */
static void
plan_rows (const Stream *s, int o0, int on, int *r0, int *rn, int *kept)
{
  int i;

  r0[s->last + 1] = o0;
  rn[s->last + 1] = on;
  kept[s->last + 1] = kept_rows (&s->held[s->last + 1], o0, on);
  for (i = s->last; i >= 0; i--)
    {
      const CfmModule *m = &s->net->modules[i];
      int fresh = rn[i + 1] - kept[i + 1];

      if (keeps_rows (m))
        {
          r0[i] = r0[i + 1];
          rn[i] = rn[i + 1];
        }
      else if (fresh > 0)
        input_rows (m, s->h[i], r0[i + 1] + kept[i + 1], fresh, &r0[i],
                    &rn[i]);
      else   /* nothing new above: hold what it holds */
        {
          r0[i] = s->held[i].row0;
          rn[i] = s->held[i].rows;
        }
      kept[i] = kept_rows (&s->held[i], r0[i], rn[i]);
    }
}

/* A copy of N floats of each of C planes, shared among workers. */
typedef struct
{
  float       *dst;
  const float *src;
  size_t       dst_stride, src_stride, n;
  int          c, workers;
} PlaneCopy;

static void
copy_worker (void *data, int worker)
{
  const PlaneCopy *p = data;
  int c0 = (int) ((long long) p->c * worker / p->workers);
  int c1 = (int) ((long long) p->c * (worker + 1) / p->workers), ch;

  for (ch = c0; ch < c1; ch++)
    memmove (p->dst + ch * p->dst_stride, p->src + ch * p->src_stride,
             p->n * sizeof (float));
}

/* Copies N floats of each of C planes (within a plane they may overlap)
 * on the threads cfm_thread_count gives. */
static void
copy_planes (float *dst, size_t dst_stride, const float *src,
             size_t src_stride, size_t n, int c)
{
  PlaneCopy run = { dst, src, dst_stride, src_stride, n, c, 1 };

  if (n == 0)
    return;
  run.workers = cfm_thread_count (0, c < CFM_WORKERS_MAX ? c
                                                         : CFM_WORKERS_MAX);
  cfm_parallel_run (run.workers, copy_worker, &run);
}

/* Moves layer I's held rows on to [R0, R0 + RN), the KEPT rows it held at
 * their start: in place when the number of rows stays (the planes keep
 * their stride), else into a buffer of the new size, the old one freed so
 * that a layer keeps one buffer from band to band. */
static CfmStatus
shift_layer (Stream *s, int i, int r0, int rn, int kept, CfmError *err)
{
  Held *hd = &s->held[i];
  int w = s->w[i], to = hd->cur;
  size_t stride = (size_t) rn * w, skip = (size_t) (r0 - hd->row0) * w;

  if (rn != hd->rows || hd->buf[to] == NULL)
    {
      to = 1 - hd->cur;
      if (!reserve (&hd->buf[to], &hd->cap[to], (size_t) s->c[i] * stride))
        return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for the "
                              "rows of %s", i == 0 ? "the input"
                              : s->net->modules[i - 1].name);
    }
  if (kept > 0)
    copy_planes (hd->buf[to], stride, hd->buf[hd->cur] + skip,
                 (size_t) hd->rows * w, (size_t) kept * w, s->c[i]);
  if (to != hd->cur)
    {
      free (hd->buf[hd->cur]);
      hd->buf[hd->cur] = NULL;
      hd->cap[hd->cur] = 0;
    }
  hd->cur = to;
  hd->row0 = r0;
  hd->rows = rn;
  return CFM_OK;
}

/* Computes layer I's rows after its KEPT ones, into the next layer's
 * rows too when the layer's convolution gives them (*FUSED: whether it
 * did); with FUSED_IN set, the layer below computed them already. */
static CfmStatus
fill_layer (Stream *s, int i, int kept, int fused_in, int *fused,
            CfmError *err)
{
  Held *hd = &s->held[i];
  size_t stride = (size_t) hd->rows * s->w[i], at = (size_t) kept * s->w[i];
  float *act = NULL;

  *fused = 0;
  if (kept >= hd->rows || fused_in)
    return CFM_OK;
  /* a row-for-row successor holds the same rows as this layer */
  if (fuses_next (s, i))
    {
      act = s->held[i + 1].buf[s->held[i + 1].cur] + at;
      *fused = 1;
    }
  return compute_rows (s, i, hd->row0 + kept, hd->row0 + hd->rows,
                       hd->buf[hd->cur] + at, stride, act, err);
}

/* Moves every layer on to the rows output rows [O0, O0 + ON) of module
 * LAST need, computing only the rows the layer did not hold: first every
 * layer's kept rows move to the start of its planes, then the new rows
 * are computed from the input up. */
static CfmStatus
stream_advance (Stream *s, int o0, int on, CfmError *err)
{
  int r0[CFM_NETWORK_MAX_MODULES + 2], rn[CFM_NETWORK_MAX_MODULES + 2];
  int kept[CFM_NETWORK_MAX_MODULES + 2], fused = 0, i;
  CfmStatus status = CFM_OK;

  plan_rows (s, o0, on, r0, rn, kept);
  for (i = 0; i <= s->last + 1 && status == CFM_OK; i++)
    if (kept[i] < rn[i] || r0[i] != s->held[i].row0
        || rn[i] != s->held[i].rows)
      status = shift_layer (s, i, r0[i], rn[i], kept[i], err);
  for (i = 0; i <= s->last + 1 && status == CFM_OK; i++)
    status = fill_layer (s, i, kept[i], fused, &fused, err);
  return status;
}

/* Checks that WANT[0 .. N) are modules in order with only modules that
 * keep the rows between them. */
static CfmStatus
check_wanted (const CfmNetwork *net, const int *want, int n, CfmError *err)
{
  int i, j;

  if (n < 1 || n > CFM_NETWORK_FORWARD_MAX)
    return cfm_error_set (err, CFM_ERR_ARG, "%d modules wanted at once", n);
  for (i = 0; i < n; i++)
    {
      if (want[i] < 0 || want[i] >= net->n || (i > 0 && want[i] <= want[i - 1]))
        return cfm_error_set (err, CFM_ERR_ARG, "the modules wanted are not "
                              "in the chain's order");
      for (j = i > 0 ? want[i - 1] + 1 : want[i]; i > 0 && j <= want[i]; j++)
        if (!keeps_rows (&net->modules[j]))
          return cfm_error_set (err, CFM_ERR_ARG, "%s changes the size "
                                "between two modules wanted at once",
                                net->modules[j].name);
    }
  return CFM_OK;
}

typedef struct
{
  const float *in;
  int          c, h, w;
} WholeInput;

static CfmStatus
read_whole (void *data, int row0, int rows, float *dst, CfmError *err)
{
  const WholeInput *in = data;
  int ch;

  (void) err;
  for (ch = 0; ch < in->c; ch++)
    memcpy (dst + (size_t) ch * rows * in->w,
            in->in + ((size_t) ch * in->h + row0) * in->w,
            (size_t) rows * in->w * sizeof (float));
  return CFM_OK;
}

/* Starts a banded pass of modules 0 .. LAST on sizes C, H, W. */
static void
stream_init (Stream *s, const CfmNetwork *net, int last, const int *c,
             const int *h, const int *w, CfmRowReader read, void *read_data)
{
  memset (s, 0, sizeof *s);
  s->net = net;
  s->last = last;
  s->c = c;
  s->h = h;
  s->w = w;
  s->read = read;
  s->read_data = read_data;
}

CfmStatus
cfm_network_forward_bands (const CfmNetwork *net, const int *want, int n,
                           int c, int h, int w, int band_rows,
                           CfmRowReader read, void *read_data,
                           CfmBandOutput output, void *data, CfmError *err)
{
  int cs[CFM_NETWORK_MAX_MODULES + 1] = { c }, hs[CFM_NETWORK_MAX_MODULES + 1]
    = { h }, ws[CFM_NETWORK_MAX_MODULES + 1] = { w };
  CfmStatus status = check_wanted (net, want, n, err);
  int last = n > 0 ? want[n - 1] : 0, row0, j;
  Stream s;

  if (status == CFM_OK)
    status = chain_sizes (net, last, cs, hs, ws, err);
  if (status != CFM_OK)
    return status;
  stream_init (&s, net, last, cs, hs, ws, read, read_data);
  band_rows = band_rows < 1 ? 1 : band_rows;
  for (row0 = 0; status == CFM_OK && row0 < hs[last + 1]; row0 += band_rows)
    {
      int rows = hs[last + 1] - row0 < band_rows ? hs[last + 1] - row0
                                                 : band_rows;

      status = stream_advance (&s, row0, rows, err);
      for (j = 0; j < n && status == CFM_OK; j++)
        {
          const Held *out = &s.held[want[j] + 1];

          status = output (data, want[j], out->buf[out->cur], cs[want[j] + 1],
                           hs[want[j] + 1], ws[want[j] + 1], row0, rows, err);
        }
    }
  stream_free (&s);
  return status;
}

CfmStatus
cfm_network_shapes (const CfmNetwork *net, int last, int c, int h, int w,
                    int (*shape)[3], CfmError *err)
{
  CfmStatus status = CFM_OK;
  int i;

  if (last < 0 || last >= net->n)
    return cfm_error_set (err, CFM_ERR_ARG, "no module %d", last);
  for (i = 0; i <= last; i++)
    {
      if (status == CFM_OK)
        status = module_size (&net->modules[i], c, h, w, &c, &h, &w, err);
      shape[i][0] = status == CFM_OK ? c : 0;
      shape[i][1] = status == CFM_OK ? h : 0;
      shape[i][2] = status == CFM_OK ? w : 0;
    }
  return status;
}

CfmStatus
cfm_network_forward (const CfmNetwork *net, int last, const float *in, int c,
                     int h, int w, CfmModuleOutput output, void *data,
                     CfmError *err)
{
  int cs[CFM_NETWORK_MAX_MODULES + 1] = { c }, hs[CFM_NETWORK_MAX_MODULES + 1]
    = { h }, ws[CFM_NETWORK_MAX_MODULES + 1] = { w };
  WholeInput whole = { in, c, h, w };
  CfmStatus status = chain_sizes (net, last, cs, hs, ws, err);
  int i;

  /* each module's whole output, from a pass of its own */
  for (i = output ? 0 : last; i <= last && status == CFM_OK; i++)
    {
      Stream s;

      stream_init (&s, net, i, cs, hs, ws, read_whole, &whole);
      status = stream_advance (&s, 0, hs[i + 1], err);
      if (status == CFM_OK && output)
        status = output (data, i, s.held[i + 1].buf[s.held[i + 1].cur],
                         cs[i + 1], hs[i + 1], ws[i + 1], err);
      stream_free (&s);
    }
  return status;
}
