/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_global_pool.c: GlobalAveragePool, GlobalMaxPool and ReduceMean
 * over rows and columns (nn.AdaptiveAvgPool2d (1), a squeeze-excitation's
 * mean, a classifier's pooling): a global step, which reads its whole
 * input before its one output row exists; and ReduceMean over each
 * pixel's channels when they are last, a pixel-wise one. */
#include "cfm_op.h"

#include <string.h>

#include "cfm_network_text.h"

#include <math.h>

static int
global_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  int64_t axes[8];
  int n = attr_ints (src, "axes", axes, 8);

  node->axis = 1;   /* keep the rows and columns as 1 x 1 */
  node->m.kind = buf_is (src->op, "GlobalMaxPool") ? CFM_MODULE_MAXPOOL
                                                    : CFM_MODULE_AVGPOOL;
  if (!buf_is (src->op, "ReduceMean"))
    return 1;
  if (n < 0 && src->n_in > 1)   /* opset 18: the axes as an input */
    {
      const CfmTensor *t = cfm_onnx_tensor (w, src->input[1]);
      size_t i;

      n = -2;
      for (i = 0; t && t->count <= 8 && i < t->count; i++)
        axes[i] = cfm_op_index (t->data[i]);
      if (t && t->count <= 8)
        n = (int) t->count;
    }
  node->axis = attr_int (src, "keepdims", 1) != 0;
  if (n == 1 && (axes[0] == -1 || axes[0] == 3) && node->axis)
    {   /* each pixel's channels, when they are last */
      node->ints[0] = axes[0];
      node->n_ints = 1;
      return 1;
    }
  if (n != 2 || !((axes[0] == 2 && axes[1] == 3) || (axes[0] == -2
                                                     && axes[1] == -1)))
    return cfm_op_refuse (node, "a mean over other axes than the rows and "
                          "columns, or the last of channels last");
  return 1;
}

/* Whether NODE is a mean over each pixel's channels (a map whose channels
 * are last: ConvNeXt's LayerNorm as opset 13 exports it), a pixel-wise
 * step, rather than a global one. */
static int
over_channels (const CfmNode *node)
{
  return node->n_ints == 1;
}

/* nn.AdaptiveAvgPool2d (1) and (1, 1): the global pooling, its maps
 * kept 1 x 1. */
static CfmStatus
global_from_text (CfmNode *node, char *args, CfmTensorSet *w, CfmError *err)
{
  int size[2];

  (void) w, (void) err;
  node->axis = 1;
  node->m.kind = strcmp (node->m.type, "AdaptiveMaxPool2d") == 0
                 ? CFM_MODULE_MAXPOOL : CFM_MODULE_AVGPOOL;
  cfm_text_pair (args, "output_size", 0, 0, size);
  if (size[0] != 1 || size[1] != 1)
    cfm_op_refuse (node, "an adaptive pooling to %d x %d, not 1 x 1",
                   size[0], size[1]);
  return CFM_OK;
}

static CfmStatus
global_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);

  if (in->rank != 4)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s) takes maps, its input "
                          "is a vector", node->name, node->type);
  if (over_channels (node) != in->channels_last)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): a mean over %s of a "
                          "map whose channels are %s", node->name,
                          node->type, over_channels (node) ? "the last axis"
                          : "the rows and columns", in->channels_last
                          ? "last" : "first");
  if (over_channels (node))
    {
      cfm_op_set_shape (g, node, 0, 4, 1, in->h, in->w);
      cfm_op_output (g, node, 0)->channels_last = 1;
      return CFM_OK;
    }
  cfm_op_set_shape (g, node, 0, node->axis ? 4 : 2, in->c, 1, 1);
  return CFM_OK;
}

/* The rows a band reads: all of them for a global step, else its own. */
static void
global_rows (const CfmGraph *g, const CfmNode *node, int i, int o0, int on,
             int *r0, int *rn)
{
  if (over_channels (node))
    cfm_op_same_rows (g, node, i, o0, on, r0, rn);
  else
    cfm_op_all_rows (g, node, i, o0, on, r0, rn);
}

static void
global_geometry (const CfmGraph *g, const CfmNode *node,
                 CfmGraphGeometry *geo)
{
  if (!over_channels (node))   /* else each pixel stays where it was */
    cfm_op_whole_geometry (g, node, geo);
}

/* Rows [O0, O0 + ON) of the mean of each pixel's channels. */
static void
channel_mean_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run)
{
  const CfmBand *in = &run->in[0];
  size_t count = (size_t) run->on * g->values[node->outputs[0]].w, i;
  size_t row = (size_t) (run->o0 - in->row0) * in->w;
  float *out = run->out[0];
  int ch;

  for (i = 0; i < count; i++)
    {
      double sum = 0.0;

      for (ch = 0; ch < in->c; ch++)
        sum += in->data[ch * cfm_band_plane (in) + row + i];
      out[i] = (float) (sum / in->c);
    }
}

static CfmStatus
global_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
            CfmError *err)
{
  const CfmBand *in = &run->in[0];
  size_t n = (size_t) in->h * in->w, i;
  int max = node->m.kind == CFM_MODULE_MAXPOOL, ch, y;

  (void) err;
  if (over_channels (node))
    {
      channel_mean_run (g, node, run);
      return CFM_OK;
    }
  for (ch = 0; ch < in->c; ch++)
    {
      double sum = 0.0;
      float best = -INFINITY;

      for (y = 0; y < in->h; y++)
        {
          const float *row = in->data + ch * cfm_band_plane (in)
                             + (size_t) (y - in->row0) * in->w;

          for (i = 0; i < (size_t) in->w; i++)
            {
              sum += row[i];
              best = row[i] > best || row[i] != row[i] ? row[i] : best;
            }
        }
      run->out[0][ch * run->plane[0]] = max ? best : (float) (sum / n);
    }
  return CFM_OK;
}

/* The mean's gradient spread evenly over its map (over a pixel's
 * channels for a mean along the last axis); the maximum's to the first
 * pixel that holds it, as PyTorch's index of it. */
static CfmStatus
global_backward (const CfmGraph *g, const CfmNode *node,
                 const CfmOpGrad *grad, CfmError *err)
{
  const CfmValue *in = &g->values[node->inputs[0]];
  size_t n = (size_t) in->h * in->w, i;
  int ch;

  (void) err;
  if (over_channels (node))   /* each pixel's mean: 1 / C to each channel */
    {
      for (ch = 0; ch < in->c && grad->grad_in[0]; ch++)
        for (i = 0; i < n; i++)
          grad->grad_in[0][ch * n + i] += grad->grad_out[i] / (float) in->c;
      return CFM_OK;
    }
  for (ch = 0; ch < in->c && grad->grad_in[0]; ch++)
    {
      const float *x = grad->in[0] + ch * n;
      float *gx = grad->grad_in[0] + ch * n, go = grad->grad_out[ch];
      size_t best = 0;

      if (node->m.kind != CFM_MODULE_MAXPOOL)
        {
          for (i = 0; i < n; i++)
            gx[i] += go / (float) n;
          continue;
        }
      for (i = 1; i < n; i++)
        if (x[i] > x[best] || (x[i] != x[i] && x[best] == x[best]))
          best = i;
      gx[best] += go;
    }
  return CFM_OK;
}

static const char *const onnx_types[] = { "GlobalAveragePool",
                                          "GlobalMaxPool", "ReduceMean",
                                          NULL };
static const char *const modules[] = { "AdaptiveAvgPool2d",
                                       "AdaptiveMaxPool2d", NULL };

const CfmOp cfm_op_global_pool = {
  .name = "GlobalPool",
  .channels_last = CFM_LAYOUT_OWN,
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = global_from_onnx,
  .from_text = global_from_text,
  .shape = global_shape,
  .input_rows = global_rows,
  .run = global_run,
  .backward = global_backward,
  .geometry = global_geometry,
};
