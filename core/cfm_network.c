/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_network.c: a network's weights bound and checked, where its maps
 * lie, and its forward pass as model.eval () computes it (its API:
 * cfm_network.h; the text is read by cfm_network_text.c). */
#include "cfm_network.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_conv.h"
#include "cfm_number.h"

/* ---- binding -------------------------------------------------------------- */

/* The tensor MODULE.FIELD, or, for a file whose keys carry a prefix of
 * their own (Lightning's "model."), the one tensor whose name ends so. */
static const CfmTensor *
find_weight (const CfmTensorSet *w, const char *module, const char *field)
{
  char name[CFM_NETWORK_NAME_MAX + 32];
  const CfmTensor *found = NULL;
  size_t len, i;

  snprintf (name, sizeof name, "%s%s%s", module, module[0] ? "." : "",
            field);
  if ((found = cfm_tensors_find (w, name)))
    return found;
  len = strlen (name);
  for (i = 0; i < w->n; i++)
    {
      size_t n = strlen (w->tensors[i].name);

      if (n > len && w->tensors[i].name[n - len - 1] == '.'
          && strcmp (w->tensors[i].name + n - len, name) == 0)
        {
          if (found)
            return NULL;   /* ambiguous */
          found = &w->tensors[i];
        }
    }
  return found;
}

/* Binds MODULE.FIELD of shape SHAPE (NDIM dimensions) to *DATA. */
static CfmStatus
bind_one (const CfmTensorSet *w, const CfmModule *m, const char *field,
          int ndim, const int64_t *shape, const float **data, CfmError *err)
{
  const CfmTensor *t = find_weight (w, m->name, field);
  int d, same;

  if (t == NULL)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): the weights have no "
                          "%s%s%s", m->name, m->type, m->name,
                          m->name[0] ? "." : "", field);
  same = t->ndim == ndim;
  for (d = 0; same && d < ndim; d++)
    same = t->shape[d] == shape[d];
  if (!same)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): %s has shape "
                          "%lldx%lldx%lldx%lld (first dimensions), the "
                          "printed module needs %lldx%lldx%lldx%lld",
                          m->name, m->type, t->name,
                          (long long) (t->ndim > 0 ? t->shape[0] : 0),
                          (long long) (t->ndim > 1 ? t->shape[1] : 0),
                          (long long) (t->ndim > 2 ? t->shape[2] : 0),
                          (long long) (t->ndim > 3 ? t->shape[3] : 0),
                          (long long) shape[0],
                          (long long) (ndim > 1 ? shape[1] : 0),
                          (long long) (ndim > 2 ? shape[2] : 0),
                          (long long) (ndim > 3 ? shape[3] : 0));
  *data = t->data;
  return CFM_OK;
}

static CfmStatus
bind_module (CfmModule *m, const CfmTensorSet *w, int channels,
             CfmError *err)
{
  CfmStatus status = CFM_OK;

  if (m->kind == CFM_MODULE_CONV)
    {
      int64_t shape[4] = { m->out_c, m->in_c / m->groups, m->k[0], m->k[1] };

      if (channels > 0 && m->in_c != channels)
        return cfm_error_set (err, CFM_ERR_ARG, "%s (Conv2d) takes %d "
                              "channels but the module before it gives %d",
                              m->name, m->in_c, channels);
      status = bind_one (w, m, "weight", 4, shape, &m->weight, err);
      if (status == CFM_OK && m->has_bias)
        status = bind_one (w, m, "bias", 1, shape, &m->bias, err);
    }
  else if (m->kind == CFM_MODULE_BATCHNORM)
    {
      int64_t shape[1] = { m->features };

      if (m->features != channels)
        return cfm_error_set (err, CFM_ERR_ARG, "%s (BatchNorm2d) has %d "
                              "features but the module before it gives %d "
                              "channels", m->name, m->features, channels);
      status = bind_one (w, m, "running_mean", 1, shape, &m->mean, err);
      if (status == CFM_OK)
        status = bind_one (w, m, "running_var", 1, shape, &m->var, err);
      if (status == CFM_OK && m->has_bias)
        status = bind_one (w, m, "weight", 1, shape, &m->weight, err);
      if (status == CFM_OK && m->has_bias)
        status = bind_one (w, m, "bias", 1, shape, &m->bias, err);
    }
  return status;
}

CfmStatus
cfm_network_bind (CfmNetwork *net, const CfmTensorSet *w, CfmError *err)
{
  int i, channels = 0;
  CfmStatus status = CFM_OK;

  for (i = 0; i < net->n && status == CFM_OK; i++)
    {
      status = bind_module (&net->modules[i], w, channels, err);
      if (net->modules[i].kind == CFM_MODULE_CONV)
        channels = net->modules[i].out_c;
      else if (channels == 0 && net->modules[i].kind == CFM_MODULE_BATCHNORM)
        channels = net->modules[i].features;
    }
  return status;
}

int
cfm_network_find (const CfmNetwork *net, const char *name)
{
  int i;

  for (i = 0; i < net->n; i++)
    if (strcmp (net->modules[i].name, name) == 0
        || (net->modules[i].node[0] && strcmp (net->modules[i].node, name) == 0))
      return i;
  return -1;
}

int
cfm_network_input_channels (const CfmNetwork *net)
{
  int i;

  for (i = 0; i < net->n; i++)
    if (net->modules[i].kind == CFM_MODULE_CONV)
      return net->modules[i].in_c;
  return 0;
}

void
cfm_network_geometry (const CfmNetwork *net, int last, int stride[2],
                      double centre[2])
{
  int i, a;

  stride[0] = stride[1] = 1;
  centre[0] = centre[1] = 0.0;
  for (i = 0; i <= last && i < net->n; i++)
    {
      const CfmModule *m = &net->modules[i];

      if (m->kind != CFM_MODULE_CONV && m->kind != CFM_MODULE_MAXPOOL
          && m->kind != CFM_MODULE_AVGPOOL)
        continue;
      for (a = 0; a < 2; a++)
        {
          centre[a] += (m->dil[a] * (m->k[a] - 1) / 2.0 - m->pad[a])
                       * stride[a];
          stride[a] *= m->stride[a];
        }
    }
}

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

/* A convolution with the same stride, padding and dilation along both
 * axes, group by group on the core's convolution (the vector paths). */
static CfmStatus
conv_square (const CfmModule *m, const float *in, int h, int w, float *out,
             int oh, int ow, CfmError *err)
{
  int g, gin = m->in_c / m->groups, gout = m->out_c / m->groups;
  size_t wsize = (size_t) gout * gin * m->k[0] * m->k[1];
  CfmStatus status = CFM_OK;

  for (g = 0; g < m->groups && status == CFM_OK; g++)
    {
      CfmBank bank = { gout, gin, m->k[0], m->k[1],
                       (float *) m->weight + (size_t) g * wsize };
      CfmBand band = { in + (size_t) g * gin * h * w, gin, h, w, 0, h };
      CfmConvJob job = { 0 };

      job.bank = &bank;
      job.bias = m->bias ? m->bias + (size_t) g * gout : NULL;
      job.in = &band;
      job.params = (CfmConvParams) { m->stride[0], m->pad[0], m->dil[0],
                                     m->pad_mode };
      job.out_rows = oh;
      job.conv = out + (size_t) g * gout * oh * ow;
      job.plane_stride = (size_t) oh * ow;
      status = cfm_conv2d_run (&job, NULL, err);
    }
  return status;
}

/* Any convolution, a tap at a time (non-square strides, padding or
 * dilation). */
static void
conv_general (const CfmModule *m, const float *in, int h, int w, float *out,
              int oh, int ow)
{
  int gin = m->in_c / m->groups, gout = m->out_c / m->groups;
  int f, ch, ky, kx, y, x;

  for (f = 0; f < m->out_c; f++)
    {
      float *o = out + (size_t) f * oh * ow;
      int g = f / gout;

      for (y = 0; y < oh * ow; y++)
        o[y] = 0.0f;
      for (ch = 0; ch < gin; ch++)
        for (ky = 0; ky < m->k[0]; ky++)
          for (kx = 0; kx < m->k[1]; kx++)
            {
              float wt = m->weight[(((size_t) f * gin + ch) * m->k[0] + ky)
                                   * m->k[1] + kx];
              const float *plane = in + (size_t) (g * gin + ch) * h * w;

              for (y = 0; y < oh; y++)
                {
                  int iy = cfm_pad_index (y * m->stride[0] - m->pad[0]
                                          + ky * m->dil[0], h, m->pad_mode);

                  if (iy < 0)
                    continue;
                  for (x = 0; x < ow; x++)
                    {
                      int ix = cfm_pad_index (x * m->stride[1] - m->pad[1]
                                              + kx * m->dil[1], w,
                                              m->pad_mode);

                      if (ix >= 0)
                        o[(size_t) y * ow + x] += wt * plane[(size_t) iy * w
                                                             + ix];
                    }
                }
            }
      if (m->bias)   /* after the products, as PyTorch adds it */
        for (y = 0; y < oh * ow; y++)
          o[y] += m->bias[f];
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

/* Max or average pooling of C planes, as F.max_pool2d / F.avg_pool2d. */
static void
pool (const CfmModule *m, const float *in, int c, int h, int w, float *out,
      int oh, int ow)
{
  int ch, y, x, ky, kx;

  for (ch = 0; ch < c; ch++)
    for (y = 0; y < oh; y++)
      for (x = 0; x < ow; x++)
        {
          const float *plane = in + (size_t) ch * h * w;
          int y0 = y * m->stride[0] - m->pad[0];
          int x0 = x * m->stride[1] - m->pad[1];
          float acc = m->kind == CFM_MODULE_MAXPOOL ? -INFINITY : 0.0f;
          int y1 = y0 + m->k[0] < h + m->pad[0] ? y0 + m->k[0] : h + m->pad[0];
          int x1 = x0 + m->k[1] < w + m->pad[1] ? x0 + m->k[1] : w + m->pad[1];
          int size = (y1 - y0) * (x1 - x0), n = 0;

          for (ky = 0; ky < m->k[0]; ky++)
            for (kx = 0; kx < m->k[1]; kx++)
              {
                int iy = y0 + ky * m->dil[0], ix = x0 + kx * m->dil[1];
                float v;

                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                  continue;
                v = plane[(size_t) iy * w + ix];
                n++;
                if (m->kind == CFM_MODULE_AVGPOOL)
                  acc += v;
                else if (v > acc || isnan (v))
                  acc = v;
              }
          if (m->kind == CFM_MODULE_AVGPOOL)
            acc /= (float) (m->count_include_pad ? size : n);
          out[((size_t) ch * oh + y) * ow + x] = acc;
        }
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

/* Runs module M from IN into OUT (sizes from module_size). */
static CfmStatus
run_module (const CfmModule *m, const float *in, int c, int h, int w,
            float *out, int oh, int ow, CfmError *err)
{
  size_t n = (size_t) c * h * w, i;

  switch (m->kind)
    {
    case CFM_MODULE_CONV:
      if (m->stride[0] == m->stride[1] && m->pad[0] == m->pad[1]
          && m->dil[0] == m->dil[1])
        return conv_square (m, in, h, w, out, oh, ow, err);
      conv_general (m, in, h, w, out, oh, ow);
      return CFM_OK;
    case CFM_MODULE_BATCHNORM:
      memcpy (out, in, n * sizeof (float));
      batchnorm (m, out, (size_t) h * w);
      return CFM_OK;
    case CFM_MODULE_FUNCTION:
      for (i = 0; i < n; i++)
        out[i] = apply_function (m, in[i]);
      return CFM_OK;
    case CFM_MODULE_MAXPOOL:
    case CFM_MODULE_AVGPOOL:
      pool (m, in, c, h, w, out, oh, ow);
      return CFM_OK;
    case CFM_MODULE_IDENTITY:
    default:
      memcpy (out, in, n * sizeof (float));
      return CFM_OK;
    }
}

CfmStatus
cfm_network_forward (const CfmNetwork *net, int last, const float *in, int c,
                     int h, int w, CfmModuleOutput output, void *data,
                     CfmError *err)
{
  float *cur = NULL, *next = NULL;
  CfmStatus status = CFM_OK;
  int i;

  if (last < 0 || last >= net->n)
    return cfm_error_set (err, CFM_ERR_ARG, "no module %d", last);
  for (i = 0; i <= last && status == CFM_OK; i++)
    {
      const CfmModule *m = &net->modules[i];
      int oc, oh, ow;
      size_t count;

      status = module_size (m, c, h, w, &oc, &oh, &ow, err);
      if (status != CFM_OK)
        break;
      if (!cfm_size_mul ((size_t) oc * oh, (size_t) ow, &count)
          || (next = malloc ((count ? count : 1) * sizeof (float))) == NULL)
        {
          status = cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for "
                                  "the output of %s", m->name);
          break;
        }
      status = run_module (m, cur ? cur : in, c, h, w, next, oh, ow, err);
      free (cur);
      cur = next;
      next = NULL;
      c = oc;
      h = oh;
      w = ow;
      if (status == CFM_OK && output)
        status = output (data, i, cur, c, h, w, err);
    }
  free (cur);
  return status;
}

/* ---- input normalisation ------------------------------------------------- */

/* Reads up to MAX numbers separated by commas at *P into V. */
static int
read_list (const char **p, float *v, int max)
{
  int n = 0;

  do
    {
      double d;
      const char *end;

      while (**p == ' ')
        (*p)++;
      if (n == max || !cfm_read_number (*p, &d, &end) || !isfinite (d))
        return -1;
      v[n++] = (float) d;
      *p = end;
      while (**p == ' ')
        (*p)++;
    }
  while (**p == ',' && (*p)++);
  return n;
}

CfmStatus
cfm_normalize_parse (const char *text, int c, float *mean, float *std,
                     CfmError *err)
{
  static const float imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
  static const float imagenet_std[3] = { 0.229f, 0.224f, 0.225f };
  const char *p = text ? text : "none";
  int i, nm, ns;

  if (c < 1 || c > 64)
    return cfm_error_set (err, CFM_ERR_ARG, "a network input of %d channels",
                          c);
  if (strcmp (p, "none") == 0 || *p == '\0')
    {
      for (i = 0; i < c; i++)
        mean[i] = 0.0f, std[i] = 1.0f;
      return CFM_OK;
    }
  if (strcmp (p, "imagenet") == 0)
    {
      if (c != 3)
        return cfm_error_set (err, CFM_ERR_ARG, "input-normalize: imagenet "
                              "needs a network of 3 input channels, this one "
                              "takes %d", c);
      memcpy (mean, imagenet_mean, sizeof imagenet_mean);
      memcpy (std, imagenet_std, sizeof imagenet_std);
      return CFM_OK;
    }
  nm = read_list (&p, mean, c);
  if (nm == c && *p == '/')
    {
      p++;
      ns = read_list (&p, std, c);
      if (ns == c && *p == '\0')
        {
          for (i = 0; i < c; i++)
            if (!(std[i] > 0.0f))
              return cfm_error_set (err, CFM_ERR_ARG, "input-normalize: a "
                                    "standard deviation must be above 0");
          return CFM_OK;
        }
    }
  return cfm_error_set (err, CFM_ERR_ARG, "input-normalize: \"%s\" is not "
                        "none, imagenet or %d means, '/' and %d standard "
                        "deviations", text, c, c);
}

void
cfm_normalize_apply (float *x, int c, size_t n, const float *mean,
                     const float *std)
{
  size_t i;
  int ch;

  for (ch = 0; ch < c; ch++)
    for (i = 0; i < n; i++)
      x[(size_t) ch * n + i] = (x[(size_t) ch * n + i] - mean[ch]) / std[ch];
}
