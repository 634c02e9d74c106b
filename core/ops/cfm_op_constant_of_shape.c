/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_constant_of_shape.c: ConstantOfShape: a constant of the shape its
 * input (shape arithmetic) gives, filled with its value, computed before
 * the run. */
#include "cfm_op.h"

static int
constant_of_shape_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  const Attr *value = attr (src, "value");

  (void) w;
  node->alpha = cfm_onnx_attr_scalar (value, 0.0f);
  return 1;
}

static CfmStatus
constant_of_shape_fold (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  int64_t shape[CFM_TENSOR_MAX_DIMS];
  float *out;
  size_t i;
  CfmStatus status;

  if (!cfm_op_inputs_constant (g, node))
    return CFM_OK;
  if (in->tensor->ndim != 1 || in->tensor->count > CFM_TENSOR_MAX_DIMS)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (ConstantOfShape): its input "
                          "is not a shape", node->name);
  for (i = 0; i < in->tensor->count; i++)
    shape[i] = cfm_op_index (in->tensor->data[i]);
  status = cfm_op_fold_output (g, node, 0, (int) in->tensor->count, shape, 0,
                               &out, err);
  for (i = 0; status == CFM_OK && i < cfm_op_output (g, node, 0)->tensor->count;
       i++)
    out[i] = node->alpha;
  return status;
}

static const char *const onnx_types[] = { "ConstantOfShape", NULL };

const CfmOp cfm_op_constant_of_shape = {
  .name = "ConstantOfShape",
  .onnx = onnx_types,
  .from_onnx = constant_of_shape_from_onnx,
  .fold = constant_of_shape_fold,
};
