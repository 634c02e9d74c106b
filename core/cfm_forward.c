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

/* One pass of the core's convolution: output rows [O0, O0 + ON) of width
 * OW of the N filters whose weights are W (N x C x KH x KW) and bias B
 * (or NULL), over channels of IN starting at C0, into OUT. */
static CfmStatus
conv_pass (const CfmModule *m, const Rows *in, int c0, int c, int n,
           const float *w, const float *b, float *out, int o0, int on,
           int ow, CfmError *err)
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
  job.conv = out;
  job.plane_stride = (size_t) on * ow;
  return cfm_conv2d_run (&job, NULL, err);
}

/* Filters [F0, F0 + N) of one group over more input channels than the
 * vector path takes at once: a pass per slice of channels (their weights
 * packed for it), summed; the bias comes with the first. */
static CfmStatus
conv_channel_slices (const CfmModule *m, const Rows *in, int c0, int gin,
                     int f0, int n, float *out, int o0, int on, int ow,
                     CfmError *err)
{
  size_t tap = (size_t) m->k[0] * m->k[1], plane = (size_t) on * ow, i;
  int step = CFM_CONV_FAST_ROWS / m->k[0], s, f;
  float *w = malloc ((size_t) n * step * tap * sizeof (float));
  float *part = malloc ((size_t) n * plane * sizeof (float) + 1);
  CfmStatus status = w && part ? CFM_OK
    : cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for %s", m->name);

  for (s = 0; s < gin && status == CFM_OK; s += step)
    {
      int cc = gin - s < step ? gin - s : step;

      for (f = 0; f < n; f++)
        memcpy (w + (size_t) f * cc * tap,
                m->weight + ((size_t) (f0 + f) * gin + s) * tap,
                (size_t) cc * tap * sizeof (float));
      status = conv_pass (m, in, c0 + s, cc, n, w,
                          s == 0 && m->bias ? m->bias + f0 : NULL,
                          s == 0 ? out : part, o0, on, ow, err);
      for (i = 0; s > 0 && status == CFM_OK && i < (size_t) n * plane; i++)
        out[i] += part[i];
    }
  free (w);
  free (part);
  return status;
}

/* A convolution with the same stride, padding and dilation along both
 * axes on the core's convolution (the vector paths), group by group, at
 * most CFM_FILTERS_MAX filters and CFM_CONV_FAST_ROWS kernel rows at a
 * time: output rows [O0, O0 + ON) of width OW into OUT. */
static CfmStatus
conv_square (const CfmModule *m, const Rows *in, float *out, int o0, int on,
             int ow, CfmError *err)
{
  int gin = m->in_c / m->groups, gout = m->out_c / m->groups, f0 = 0;
  size_t kernel = (size_t) gin * m->k[0] * m->k[1];
  CfmStatus status = CFM_OK;

  while (f0 < m->out_c && status == CFM_OK)
    {
      int g = f0 / gout, left = gout - f0 % gout;   /* in this group */
      int n = left < CFM_FILTERS_MAX ? left : CFM_FILTERS_MAX;
      float *o = out + (size_t) f0 * on * ow;

      if (gin * m->k[0] > CFM_CONV_FAST_ROWS)
        status = conv_channel_slices (m, in, g * gin, gin, f0, n, o, o0, on,
                                      ow, err);
      else
        status = conv_pass (m, in, g * gin, gin, n,
                            m->weight + (size_t) f0 * kernel,
                            m->bias ? m->bias + f0 : NULL, o, o0, on, ow,
                            err);
      f0 += n;
    }
  return status;
}

/* Any convolution, a tap at a time (non-square strides, padding or
 * dilation): output rows [O0, O0 + ON) of width OW. */
static void
conv_general (const CfmModule *m, const Rows *in, float *out, int o0, int on,
              int ow)
{
  int gin = m->in_c / m->groups, gout = m->out_c / m->groups;
  size_t plane = (size_t) on * ow, i;
  int f, ch, ky, kx, y, x;

  for (f = 0; f < m->out_c; f++)
    {
      float *o = out + (size_t) f * plane;
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

static void
batchnorm (const CfmModule *m, float *x, size_t plane)
{
  int c;
  size_t i;

  for (c = 0; c < m->features; c++)
    {
      float inv = 1.0f / sqrtf (m->var[c] + m->eps);
      float scale = m->weight ? m->weight[c] * inv : inv;
      float shift = (m->bias ? m->bias[c] : 0.0f) - m->mean[c] * scale;

      for (i = 0; i < plane; i++)
        x[c * plane + i] = x[c * plane + i] * scale + shift;
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

/* Max or average pooling, as F.max_pool2d / F.avg_pool2d: output rows
 * [O0, O0 + ON) of width OW. */
static void
pool (const CfmModule *m, const Rows *in, float *out, int o0, int on, int ow)
{
  int ch, y, x;

  for (ch = 0; ch < in->c; ch++)
    for (y = 0; y < on; y++)
      for (x = 0; x < ow; x++)
        out[((size_t) ch * on + y) * ow + x]
          = pool_window (m, in->data + (size_t) ch * in->rows * in->w, in,
                         o0 + y, x);
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

/* Runs module M on the rows IN into output rows [O0, O0 + ON) of width OW
 * at OUT. */
static CfmStatus
run_module (const CfmModule *m, const Rows *in, float *out, int o0, int on,
            int ow, CfmError *err)
{
  size_t n = (size_t) in->c * on * ow, i;
  int ch;

  switch (m->kind)
    {
    case CFM_MODULE_CONV:
      if (m->stride[0] == m->stride[1] && m->pad[0] == m->pad[1]
          && m->dil[0] == m->dil[1])
        return conv_square (m, in, out, o0, on, ow, err);
      conv_general (m, in, out, o0, on, ow);
      return CFM_OK;
    case CFM_MODULE_MAXPOOL:
    case CFM_MODULE_AVGPOOL:
      pool (m, in, out, o0, on, ow);
      return CFM_OK;
    default:   /* row for row: copy the rows wanted (O0 >= IN's row0) */
      for (ch = 0; ch < in->c; ch++)
        memcpy (out + (size_t) ch * on * ow,
                in->data + ((size_t) ch * in->rows + (size_t) (o0 - in->row0))
                           * in->w,
                (size_t) on * ow * sizeof (float));
      if (m->kind == CFM_MODULE_BATCHNORM)
        batchnorm (m, out, (size_t) on * ow);
      else if (m->kind == CFM_MODULE_FUNCTION)
        for (i = 0; i < n; i++)
          out[i] = apply_function (m, out[i]);
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

/* Output rows [O0, O0 + ON) of modules WANT[0 .. N) (the last is the one
 * the rows are of) into OUTS[0 .. N) (malloc'ed), computed from just the
 * input rows READ gives for them. */
static CfmStatus
forward_rows (const CfmNetwork *net, const int *want, int n, const int *c,
              const int *h, const int *w, int o0, int on, CfmRowReader read,
              void *read_data, float **outs, CfmError *err)
{
  int r0[CFM_NETWORK_MAX_MODULES + 1], rn[CFM_NETWORK_MAX_MODULES + 1];
  int last = want[n - 1], kept = 0, i, j;
  float *cur = NULL, *next;
  CfmStatus status = CFM_OK;

  r0[last + 1] = o0;
  rn[last + 1] = on;
  for (i = last; i >= 0; i--)
    input_rows (&net->modules[i], h[i], r0[i + 1], rn[i + 1], &r0[i],
                &rn[i]);
  cur = malloc (((size_t) c[0] * rn[0] * w[0] + 1) * sizeof (float));
  if (cur == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for a band");
  status = read (read_data, r0[0], rn[0], cur, err);
  for (i = 0; i <= last && status == CFM_OK; i++)
    {
      Rows in = { cur, c[i], h[i], w[i], r0[i], rn[i] };

      next = malloc (((size_t) c[i + 1] * rn[i + 1] * w[i + 1] + 1)
                     * sizeof (float));
      if (next == NULL)
        status = cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for the "
                                "output of %s", net->modules[i].name);
      else
        status = run_module (&net->modules[i], &in, next, r0[i + 1],
                             rn[i + 1], w[i + 1], err);
      if (kept == 0 || outs[kept - 1] != cur)   /* not a wanted output */
        free (cur);
      cur = next;
      if (kept < n && want[kept] == i)
        outs[kept++] = cur;
    }
  if (status != CFM_OK)
    {
      for (j = 0; j < kept; j++)
        if (outs[j] != cur)
          free (outs[j]);
      free (cur);
      memset (outs, 0, (size_t) n * sizeof *outs);
    }
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

  if (status == CFM_OK)
    status = chain_sizes (net, last, cs, hs, ws, err);
  band_rows = band_rows < 1 ? 1 : band_rows;
  for (row0 = 0; status == CFM_OK && row0 < hs[last + 1]; row0 += band_rows)
    {
      int rows = hs[last + 1] - row0 < band_rows ? hs[last + 1] - row0
                                                 : band_rows;
      float *outs[CFM_NETWORK_FORWARD_MAX] = { NULL };

      status = forward_rows (net, want, n, cs, hs, ws, row0, rows, read,
                             read_data, outs, err);
      for (j = 0; j < n && status == CFM_OK; j++)
        status = output (data, want[j], outs[j], cs[want[j] + 1],
                         hs[want[j] + 1], ws[want[j] + 1], row0, rows, err);
      for (j = 0; j < n; j++)
        free (outs[j]);
    }
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

  for (i = 0; i <= last && status == CFM_OK; i++)
    {
      float *out = NULL;

      if (output == NULL && i < last)
        continue;
      status = forward_rows (net, &i, 1, cs, hs, ws, 0, hs[i + 1],
                             read_whole, &whole, &out, err);
      if (status == CFM_OK && output)
        status = output (data, i, out, cs[i + 1], hs[i + 1], ws[i + 1], err);
      free (out);
    }
  return status;
}

