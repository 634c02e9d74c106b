/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_concat.c: Concat along the channels (torch.cat (..., 1): a
 * DenseNet block, a Fire module's two expands, a U-Net's skip). */
#include "cfm_op.h"

#include <string.h>

static int
concat_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) w;
  node->axis = (int) attr_int (src, "axis", 1);
  if (node->n_inputs < 1)
    return cfm_op_refuse (node, "it has no input");
  return 1;
}

static CfmStatus
concat_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *first = cfm_op_input (g, node, 0);
  long long c = 0;
  int i;

  if (node->axis != 1 && node->axis != -first->rank + 1)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (Concat): only channels are "
                          "concatenated, not axis %d", node->name,
                          node->axis);
  for (i = 0; i < node->n_inputs; i++)
    {
      const CfmValue *v = cfm_op_input (g, node, i);

      if (v == NULL || v->h != first->h || v->w != first->w
          || v->rank != first->rank)
        return cfm_error_set (err, CFM_ERR_ARG, "%s (Concat): input %d is "
                              "not %d x %d like the first", node->name, i + 1,
                              first->h, first->w);
      c += v->c;
    }
  if (c > 1 << 24)
    return cfm_error_set (err, CFM_ERR_SIZE, "%s (Concat): %lld channels",
                          node->name, c);
  cfm_op_set_shape (g, node, 0, first->rank, (int) c, first->h, first->w);
  return CFM_OK;
}

static CfmStatus
concat_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
            CfmError *err)
{
  size_t row = (size_t) g->values[node->outputs[0]].w;
  int i, ch, at = 0;

  (void) err;
  for (i = 0; i < run->n_in; i++)
    {
      const CfmBand *in = &run->in[i];

      for (ch = 0; ch < in->c; ch++, at++)
        memcpy (run->out[0] + at * run->plane[0],
                in->data + ch * cfm_band_plane (in)
                + (size_t) (run->o0 - in->row0) * row,
                (size_t) run->on * row * sizeof (float));
    }
  return CFM_OK;
}

/* Each input's channels' share of the output's gradient. */
static CfmStatus
concat_backward (const CfmGraph *g, const CfmNode *node,
                 const CfmOpGrad *grad, CfmError *err)
{
  const CfmValue *out = &g->values[node->outputs[0]];
  size_t plane = (size_t) out->h * out->w, at = 0, n, j;
  int i;

  (void) err;
  for (i = 0; i < node->n_inputs; i++, at += n)
    {
      n = (size_t) g->values[node->inputs[i]].c * plane;
      for (j = 0; j < n && grad->grad_in[i]; j++)
        grad->grad_in[i][j] += grad->grad_out[at + j];
    }
  return CFM_OK;
}

/* Constants (shape arithmetic) along any axis, before the run. */
static CfmStatus
concat_fold (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmTensor *first = cfm_op_input (g, node, 0)->tensor;
  int64_t dims[CFM_TENSOR_MAX_DIMS];
  int axis = node->axis < 0 ? node->axis + first->ndim : node->axis, i, d;
  int integer = 1;
  size_t outer = 1, inner = 1, o, at = 0;
  float *out;
  CfmStatus status;

  if (!cfm_op_inputs_constant (g, node))
    return CFM_OK;
  if (axis < 0 || axis >= first->ndim)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (Concat): axis %d of %d "
                          "dimensions", node->name, node->axis, first->ndim);
  memcpy (dims, first->shape, sizeof dims);
  dims[axis] = 0;
  for (i = 0; i < node->n_inputs; i++)
    {
      const CfmValue *v = cfm_op_input (g, node, i);

      for (d = 0; v && d < first->ndim; d++)
        if (v->tensor->ndim != first->ndim
            || (d != axis && v->tensor->shape[d] != first->shape[d]))
          v = NULL;
      if (v == NULL)
        return cfm_error_set (err, CFM_ERR_ARG, "%s (Concat): constants of "
                              "other shapes", node->name);
      dims[axis] += v->tensor->shape[axis];
      integer &= v->integer;
    }
  for (d = 0; d < axis; d++)
    outer *= (size_t) first->shape[d];
  for (d = axis + 1; d < first->ndim; d++)
    inner *= (size_t) first->shape[d];
  status = cfm_op_fold_output (g, node, 0, first->ndim, dims, integer, &out,
                               err);
  for (o = 0; o < outer && status == CFM_OK; o++)
    for (i = 0; i < node->n_inputs; i++)
      {
        const CfmTensor *t = cfm_op_input (g, node, i)->tensor;
        size_t n = (size_t) t->shape[axis] * inner;

        memcpy (out + at, t->data + o * n, n * sizeof (float));
        at += n;
      }
  return status;
}

static const char *const onnx_types[] = { "Concat", NULL };

const CfmOp cfm_op_concat = {
  .name = "Concat",
  .onnx = onnx_types,
  .from_onnx = concat_from_onnx,
  .shape = concat_shape,
  .input_rows = cfm_op_same_rows,
  .run = concat_run,
  .fold = concat_fold,
  .backward = concat_backward,
};
