/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_conv_transpose.c: ConvTranspose (nn.ConvTranspose2d: a U-Net's
 * upsampling): stride, padding, output padding, dilation, groups.  Each
 * output pixel gathers the input pixels whose strided kernel reaches it,
 * so a band of output rows reads only the input rows under it. */
#include "cfm_op.h"

#include <string.h>

#include "cfm_network.h"
#include "cfm_network_text.h"

static int
conv_transpose_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  const CfmTensor *weight = src->n_in > 1 ? cfm_onnx_tensor (w, src->input[1])
                                          : NULL;
  const CfmTensor *bias = src->n_in > 2 ? cfm_onnx_tensor (w, src->input[2])
                                        : NULL;
  CfmModule *m = &node->m;
  int64_t group = attr_int (src, "group", 1), v[8];
  const Attr *ap = attr (src, "auto_pad");

  if (weight == NULL || weight->ndim != 4 || group < 1 || group > 1 << 16
      || weight->shape[0] % group || weight->shape[0] > 1 << 20
      || weight->shape[1] > 1 << 20 || weight->shape[0] < 1
      || weight->shape[1] < 1 || !cfm_onnx_window (src, m, weight)
      || weight->shape[2] != m->k[0] || weight->shape[3] != m->k[1])
    return cfm_op_refuse (node, "its weights or attributes are not those of "
                          "a 2-D transposed convolution with even padding");
  if (ap && !buf_is (ap->s, "NOTSET"))
    return cfm_op_refuse (node, "auto_pad is not read");
  if (attr (src, "output_shape"))
    return cfm_op_refuse (node, "output_shape is not read");
  m->groups = (int) group;
  m->in_c = (int) weight->shape[0];
  m->out_c = (int) weight->shape[1] * m->groups;
  m->weight = weight->data;
  m->bias = bias && bias->count == (size_t) m->out_c ? bias->data : NULL;
  node->ints[0] = node->ints[1] = 0;   /* output padding */
  if (attr_ints (src, "output_padding", v, 8) == 2)
    node->ints[0] = v[0], node->ints[1] = v[1];
  node->n_ints = 2;
  if (bias && m->bias == NULL)
    return cfm_op_refuse (node, "its bias is not one value per output");
  return 1;
}

/* nn.ConvTranspose2d (in, out, kernel_size, stride, padding, dilation,
 * output_padding, groups, bias): its weight IN x OUT / GROUPS x KH x KW
 * and bias bound from the state dict. */
static CfmStatus
conv_transpose_from_text (CfmNode *node, char *args, CfmTensorSet *w,
                          CfmError *err)
{
  CfmModule *m = &node->m;
  double in = cfm_text_number (args, "in_channels", 0, 0);
  double out = cfm_text_number (args, "out_channels", 1, 0);
  double groups = cfm_text_number (args, "groups", -1, 1);
  int out_pad[2], a;
  int64_t shape[4];
  CfmStatus status = CFM_OK;
  char mode[32] = "zeros";

  cfm_text_pair (args, "kernel_size", 2, 0, m->k);
  cfm_text_pair (args, "stride", 3, 1, m->stride);
  cfm_text_pair (args, "padding", 4, 0, m->pad);
  cfm_text_pair (args, "output_padding", 5, 0, out_pad);
  cfm_text_pair (args, "dilation", -1, 1, m->dil);
  cfm_text_word (args, "padding_mode", -1, mode, sizeof mode);
  if (!(in >= 1 && in <= 1 << 20 && out >= 1 && out <= 1 << 20
        && groups >= 1 && groups <= in && (int) in % (int) groups == 0
        && (int) out % (int) groups == 0))
    return cfm_error_set (err, CFM_ERR_PARSE, "%s: the ConvTranspose2d's "
                          "channels and groups do not make sense", m->name);
  for (a = 0; a < 2; a++)
    if (m->k[a] < 1 || m->k[a] > 1 << 16 || m->stride[a] < 1
        || m->stride[a] > 1 << 16 || m->pad[a] < 0 || m->pad[a] > 1 << 16
        || m->dil[a] < 1 || m->dil[a] > 1 << 16 || out_pad[a] < 0)
      return cfm_error_set (err, CFM_ERR_PARSE, "%s: the ConvTranspose2d's "
                            "window does not make sense", m->name);
  if (strcmp (mode, "zeros") != 0)
    {
      cfm_op_refuse (node, "%s (ConvTranspose2d) has settings the core does "
                     "not compute", m->name);
      return CFM_OK;
    }
  m->in_c = (int) in;
  m->out_c = (int) out;
  m->groups = (int) groups;
  node->ints[0] = out_pad[0];
  node->ints[1] = out_pad[1];
  node->n_ints = 2;
  shape[0] = m->in_c;
  shape[1] = m->out_c / m->groups;
  shape[2] = m->k[0];
  shape[3] = m->k[1];
  status = cfm_module_bind_tensor (m, w, "weight", 4, shape, &m->weight,
                                   err);
  shape[0] = m->out_c;
  if (status == CFM_OK && cfm_text_flag (args, "bias", 1))
    status = cfm_module_bind_tensor (m, w, "bias", 1, shape, &m->bias, err);
  return status;
}

/* The output length along axis A for an input of IN. */
static long long
out_length (const CfmNode *node, int a, int in)
{
  const CfmModule *m = &node->m;

  return (long long) (in - 1) * m->stride[a] - 2LL * m->pad[a]
         + (long long) m->dil[a] * (m->k[a] - 1) + node->ints[a] + 1;
}

static CfmStatus
conv_transpose_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  long long h = out_length (node, 0, in->h), w = out_length (node, 1, in->w);

  if (in->rank != 4 || in->c != node->m.in_c)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (ConvTranspose) takes %d "
                          "channels, its input has %d", node->name,
                          node->m.in_c, in->c);
  if (h < 1 || w < 1 || h > 1 << 24 || w > 1 << 24
      || node->ints[0] >= node->m.stride[0]
      || node->ints[1] >= node->m.stride[1])
    return cfm_error_set (err, CFM_ERR_SIZE, "%s (ConvTranspose): an output "
                          "of %lld x %lld", node->name, h, w);
  cfm_op_set_shape (g, node, 0, 4, node->m.out_c, (int) h, (int) w);
  return CFM_OK;
}

/* The input rows that output rows [O0, O0 + ON) gather from. */
static void
conv_transpose_rows (const CfmGraph *g, const CfmNode *node, int i, int o0,
                     int on, int *r0, int *rn)
{
  const CfmModule *m = &node->m;
  int h = cfm_op_input (g, node, i)->h, s = m->stride[0];
  long long lo = (long long) o0 + m->pad[0] - (long long) m->dil[0]
                 * (m->k[0] - 1);
  long long hi = (long long) o0 + on - 1 + m->pad[0];

  lo = lo <= 0 ? 0 : (lo + s - 1) / s;
  hi = hi < 0 ? -1 : hi / s;
  hi = hi >= h ? h - 1 : hi;
  *r0 = (int) (lo < h ? lo : h);
  *rn = hi >= lo ? (int) (hi - lo + 1) : 0;
}

/* Output row Y of filter F (in group G) into OUT: the bias, then every
 * input pixel its kernel reaches it from. */
static void
transpose_row (const CfmNode *node, const CfmBand *in, int f, int y,
               int out_w, float *out)
{
  const CfmModule *m = &node->m;
  int gin = m->in_c / m->groups, gout = m->out_c / m->groups;
  int g = f / gout, fl = f % gout, c, ky, kx, x;

  for (x = 0; x < out_w; x++)
    out[x] = 0.0f;
  for (c = 0; c < gin; c++)
    for (ky = 0; ky < m->k[0]; ky++)
      {
        int t = y + m->pad[0] - ky * m->dil[0], iy = t / m->stride[0];
        const float *row;
        const float *wrow = m->weight + (((size_t) (g * gin + c) * gout + fl)
                                         * m->k[0] + ky) * m->k[1];

        if (t < 0 || t % m->stride[0] || iy >= in->h)
          continue;
        row = in->data + (size_t) (g * gin + c) * cfm_band_plane (in)
              + (size_t) (iy - in->row0) * in->w;
        for (kx = 0; kx < m->k[1]; kx++)
          for (x = 0; x < out_w; x++)
            {
              int u = x + m->pad[1] - kx * m->dil[1], ix = u / m->stride[1];

              if (u >= 0 && u % m->stride[1] == 0 && ix < in->w)
                out[x] += wrow[kx] * row[ix];
            }
      }
  if (m->bias)
    for (x = 0; x < out_w; x++)
      out[x] += m->bias[f];
}

static CfmStatus
conv_transpose_run (const CfmGraph *g, const CfmNode *node,
                    const CfmOpRun *run, CfmError *err)
{
  const CfmValue *out = &g->values[node->outputs[0]];
  int f, y;

  (void) err;
  for (f = 0; f < out->c; f++)
    for (y = run->o0; y < run->o0 + run->on; y++)
      transpose_row (node, &run->in[0], f, y, out->w,
                     run->out[0] + f * run->plane[0]
                     + (size_t) (y - run->o0) * out->w);
  return CFM_OK;
}

/* Each input pixel's gradient: the output's at every pixel its strided
 * kernel reaches, by the tap's weight (the adjoint of transpose_row). */
static CfmStatus
conv_transpose_backward (const CfmGraph *g, const CfmNode *node,
                         const CfmOpGrad *grad, CfmError *err)
{
  const CfmModule *m = &node->m;
  const CfmValue *in = cfm_op_input (g, node, 0);
  const CfmValue *out = &g->values[node->outputs[0]];
  int gin = m->in_c / m->groups, gout = m->out_c / m->groups;
  int c, fl, ky, kx, iy, ix;

  (void) err;
  for (c = 0; c < m->in_c && grad->grad_in[0]; c++)
    for (fl = 0; fl < gout; fl++)
      for (ky = 0; ky < m->k[0]; ky++)
        for (kx = 0; kx < m->k[1]; kx++)
          {
            int f = c / gin * gout + fl;
            float wt = m->weight[(((size_t) c * gout + fl) * m->k[0] + ky)
                                 * m->k[1] + kx];
            const float *go = grad->grad_out + (size_t) f * out->h * out->w;
            float *gi = grad->grad_in[0] + (size_t) c * in->h * in->w;

            for (iy = 0; iy < in->h; iy++)
              {
                int y = iy * m->stride[0] - m->pad[0] + ky * m->dil[0];

                for (ix = 0; ix < in->w && y >= 0 && y < out->h; ix++)
                  {
                    int x = ix * m->stride[1] - m->pad[1] + kx * m->dil[1];

                    if (x >= 0 && x < out->w)
                      gi[(size_t) iy * in->w + ix]
                        += wt * go[(size_t) y * out->w + x];
                  }
              }
          }
  return CFM_OK;
}

/* Output pixel o gathers input pixels i with i * s = o + p - d * t for the
 * kernel's taps t: centred at (o + p - d (k - 1) / 2) / s, reaching
 * d (k - 1) / s input pixels; each output pixel steps 1 / s of one. */
static void
conv_transpose_geometry (const CfmGraph *g, const CfmNode *node,
                         CfmGraphGeometry *geo)
{
  const CfmModule *m = &node->m;
  int a;

  (void) g;
  for (a = 0; a < 2; a++)
    {
      double reach = (double) m->dil[a] * (m->k[a] - 1);

      geo->centre[a] += (m->pad[a] - reach / 2.0) / m->stride[a]
                        * geo->stride[a];
      geo->field[a] += reach / m->stride[a] * geo->stride[a];
      cfm_op_scale_stride (geo, a, 1, m->stride[a]);
    }
}

static const char *const onnx_types[] = { "ConvTranspose", NULL };
static const char *const modules[] = { "ConvTranspose2d", NULL };

const CfmOp cfm_op_conv_transpose = {
  .name = "ConvTranspose",
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = conv_transpose_from_onnx,
  .from_text = conv_transpose_from_text,
  .shape = conv_transpose_shape,
  .input_rows = conv_transpose_rows,
  .run = conv_transpose_run,
  .backward = conv_transpose_backward,
  .geometry = conv_transpose_geometry,
};
