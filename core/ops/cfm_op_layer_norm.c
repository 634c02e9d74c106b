/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_layer_norm.c: LayerNormalization over each pixel's channels
 * (ConvNeXt's nn.LayerNorm on its permuted maps, torchvision's
 * LayerNorm2d, a LayerNorm over a vector): the channels' mean and
 * variance, then the scale and bias per channel. */
#include "cfm_op.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_network.h"
#include "cfm_network_text.h"

static int
layer_norm_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  const CfmTensor *scale = src->n_in > 1 ? cfm_onnx_tensor (w, src->input[1])
                                         : NULL;
  const CfmTensor *bias = src->n_in > 2 ? cfm_onnx_tensor (w, src->input[2])
                                        : NULL;
  const Attr *eps = attr (src, "epsilon");

  node->axis = (int) attr_int (src, "axis", -1);
  node->m.eps = eps ? eps->f : 1e-5f;
  if (scale == NULL || scale->ndim != 1 || scale->shape[0] > 1 << 24
      || (bias && (bias->ndim != 1 || bias->shape[0] != scale->shape[0])))
    return cfm_op_refuse (node, "its scale and bias are not vectors of one "
                          "length");
  if (!(node->m.eps >= 0.0f))
    return cfm_op_refuse (node, "its epsilon is not a number of 0 or more");
  node->m.features = (int) scale->shape[0];
  node->m.weight = scale->data;
  node->m.bias = bias ? bias->data : NULL;
  return 1;
}

/* nn.LayerNorm ((C,), eps, elementwise_affine) on a map whose channels
 * are last, and torchvision's LayerNorm2d, which moves them there itself:
 * its weight and bias of C values. */
static CfmStatus
layer_norm_from_text (CfmNode *node, char *args, CfmTensorSet *w,
                      CfmError *err)
{
  CfmModule *m = &node->m;
  double c = cfm_text_number (args, "normalized_shape", 0, 0);
  int64_t shape[1];
  CfmStatus status = CFM_OK;

  m->eps = (float) cfm_text_number (args, "eps", -1, 1e-5);
  if (!(c >= 1 && c <= 1 << 24) || !(m->eps >= 0.0f))
    return cfm_error_set (err, CFM_ERR_PARSE, "%s: the %s's settings do not "
                          "make sense", m->name, m->type);
  node->axis = -1;
  m->features = (int) c;
  shape[0] = m->features;
  if (cfm_text_flag (args, "elementwise_affine", 1))
    status = cfm_module_bind_tensor (m, w, "weight", 1, shape, &m->weight,
                                     err);
  if (status == CFM_OK && cfm_text_flag (args, "elementwise_affine", 1))
    status = cfm_module_bind_tensor (m, w, "bias", 1, shape, &m->bias, err);
  return status;
}

static CfmStatus
layer_norm_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  int last = node->axis == -1 || node->axis == in->rank - 1;
  int over_channels = strcmp (node->type, "LayerNorm2d") == 0
                      || (in->rank == 4 && in->channels_last && last)
                      || (in->rank == 2 && last);

  if (!over_channels || in->c != node->m.features)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): it normalizes %d "
                          "channels along axis %d, its input is %d x %d x %d"
                          "%s", node->name, node->type, node->m.features,
                          node->axis, in->c, in->h, in->w,
                          in->channels_last ? " (channels last)" : "");
  cfm_op_set_shape (g, node, 0, in->rank, in->c, in->h, in->w);
  cfm_op_output (g, node, 0)->channels_last = in->channels_last;
  return CFM_OK;
}

static CfmStatus
layer_norm_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
                CfmError *err)
{
  const CfmBand *in = &run->in[0];
  const CfmModule *m = &node->m;
  size_t count = (size_t) run->on * g->values[node->outputs[0]].w, i;
  size_t row = (size_t) (run->o0 - in->row0) * in->w;
  size_t ip = cfm_band_plane (in);
  double *mean = calloc (2 * count + 1, sizeof *mean), *var = mean + count;
  int c;

  if (mean == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  for (c = 0; c < m->features; c++)
    for (i = 0; i < count; i++)
      mean[i] += in->data[c * ip + row + i];
  for (i = 0; i < count; i++)
    mean[i] /= m->features;
  for (c = 0; c < m->features; c++)
    for (i = 0; i < count; i++)
      {
        double d = in->data[c * ip + row + i] - mean[i];

        var[i] += d * d;
      }
  for (i = 0; i < count; i++)   /* var becomes 1 / sqrt (var + eps) */
    var[i] = 1.0 / sqrt (var[i] / m->features + m->eps);
  for (c = 0; c < m->features; c++)
    {
      float scale = m->weight ? m->weight[c] : 1.0f;
      float shift = m->bias ? m->bias[c] : 0.0f;
      float *o = run->out[0] + c * run->plane[0];

      for (i = 0; i < count; i++)
        o[i] = (float) ((in->data[c * ip + row + i] - mean[i]) * var[i])
               * scale + shift;
    }
  free (mean);
  return CFM_OK;
}

/* Each pixel's gradient through its normalization: with x^ its
 * normalized channels and d = the output's gradient times the scale,
 * (d - mean (d) - x^ mean (d x^)) / sqrt (var + eps). */
static CfmStatus
layer_norm_backward (const CfmGraph *g, const CfmNode *node,
                     const CfmOpGrad *grad, CfmError *err)
{
  const CfmValue *v = cfm_op_input (g, node, 0);
  const CfmModule *m = &node->m;
  size_t plane = (size_t) v->h * v->w, p;
  int c, n = m->features;

  (void) err;
  for (p = 0; p < plane && grad->grad_in[0]; p++)
    {
      double mean = 0.0, var = 0.0, md = 0.0, mdx = 0.0, inv;

      for (c = 0; c < n; c++)
        mean += grad->in[0][c * plane + p];
      mean /= n;
      for (c = 0; c < n; c++)
        {
          double d = grad->in[0][c * plane + p] - mean;

          var += d * d;
        }
      inv = 1.0 / sqrt (var / n + m->eps);
      for (c = 0; c < n; c++)
        {
          double d = grad->grad_out[c * plane + p]
                     * (m->weight ? m->weight[c] : 1.0f);

          md += d;
          mdx += d * (grad->in[0][c * plane + p] - mean) * inv;
        }
      md /= n;
      mdx /= n;
      for (c = 0; c < n; c++)
        {
          double d = grad->grad_out[c * plane + p]
                     * (m->weight ? m->weight[c] : 1.0f);
          double xh = (grad->in[0][c * plane + p] - mean) * inv;

          grad->grad_in[0][c * plane + p] += (float) ((d - md - xh * mdx)
                                                      * inv);
        }
    }
  return CFM_OK;
}

static const char *const onnx_types[] = { "LayerNormalization", NULL };
static const char *const modules[] = { "LayerNorm", "LayerNorm2d", NULL };

const CfmOp cfm_op_layer_norm = {
  .name = "LayerNormalization",
  .channels_last = CFM_LAYOUT_OWN,
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = layer_norm_from_onnx,
  .from_text = layer_norm_from_text,
  .shape = layer_norm_shape,
  .run = layer_norm_run,
  .backward = layer_norm_backward,
};
