/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_unsqueeze.c: Unsqueeze and Squeeze of constants (shape
 * arithmetic): the same values with dimensions of 1 put in or taken out,
 * computed before the run. */
#include "cfm_op.h"

#include <string.h>

static int
unsqueeze_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) w;
  node->n_ints = attr_ints (src, "axes", node->ints, 8);
  node->axis = buf_is (src->op, "Squeeze");
  if (node->n_ints == -2)
    return cfm_op_refuse (node, "too many axes");
  return 1;
}

/* The axes: the attribute, else input 1 (opset 13); their number, or -1
 * (Squeeze without axes: every dimension of 1). */
static int
axes_of (const CfmGraph *g, const CfmNode *node, int64_t *axes)
{
  const CfmValue *v = cfm_op_input (g, node, 1);
  size_t i;

  if (node->n_ints >= 0)
    {
      memcpy (axes, node->ints, sizeof node->ints);
      return node->n_ints;
    }
  if (v == NULL || v->tensor->count > 8)
    return -1;
  for (i = 0; i < v->tensor->count; i++)
    axes[i] = cfm_op_index (v->tensor->data[i]);
  return (int) v->tensor->count;
}

static CfmStatus
unsqueeze_fold (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  int64_t axes[8], dims[CFM_TENSOR_MAX_DIMS], out_dims[CFM_TENSOR_MAX_DIMS];
  int n_axes, ndim, out_n = 0, i, k, j = 0;
  size_t count;
  float *out;
  CfmStatus status;

  if (!cfm_op_inputs_constant (g, node))
    return CFM_OK;
  n_axes = axes_of (g, node, axes);
  ndim = cfm_op_dims (in, dims);
  out_n = node->axis ? ndim - (n_axes < 0 ? 0 : n_axes) : ndim + n_axes;
  if (n_axes < 0 && node->axis)
    for (i = 0, out_n = 0; i < ndim; i++)
      out_n += dims[i] != 1;
  if (n_axes < 0 && !node->axis)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (Unsqueeze): no axes",
                          node->name);
  if (out_n < 0 || out_n > CFM_TENSOR_MAX_DIMS)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): %d dimensions",
                          node->name, node->type, out_n);
  for (k = 0; k < n_axes; k++)
    axes[k] += axes[k] < 0 ? (node->axis ? ndim : out_n) : 0;
  for (i = 0; i < (node->axis ? ndim : out_n); i++)
    {
      int listed = n_axes < 0 && node->axis ? dims[i] == 1 : 0;

      for (k = 0; k < n_axes; k++)
        listed |= axes[k] == i;
      if (node->axis && !listed)
        out_dims[j++] = dims[i];
      else if (!node->axis)
        out_dims[i] = listed ? 1 : dims[j++];
    }
  for (i = 0, count = 1; i < out_n; i++)
    count *= out_dims[i] >= 0 ? (size_t) out_dims[i] : 0;
  if (count != in->tensor->count)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): its axes do not fit "
                          "its input", node->name, node->type);
  status = cfm_op_fold_output (g, node, 0, out_n, out_dims, in->integer, &out,
                               err);
  if (status == CFM_OK)
    memcpy (out, in->tensor->data, in->tensor->count * sizeof (float));
  return status;
}

static const char *const onnx_types[] = { "Unsqueeze", "Squeeze", NULL };

const CfmOp cfm_op_unsqueeze = {
  .name = "Unsqueeze",
  .onnx = onnx_types,
  .from_onnx = unsqueeze_from_onnx,
  .fold = unsqueeze_fold,
};
