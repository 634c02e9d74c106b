/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_cast.c: Cast: of a constant, computed before the run (to an
 * integer type: truncated); of a map, to float, half or bfloat16, its rows
 * handed on in float (the core computes in float throughout). */
#include "cfm_op.h"

#include <math.h>

/* ONNX's TensorProto types that are integers. */
static int
integer_type (int64_t to)
{
  return (to >= 2 && to <= 7) || to == 9 || to == 12 || to == 13;
}

static int
cast_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) w;
  node->axis = (int) attr_int (src, "to", 1);
  node->m.kind = CFM_MODULE_IDENTITY;
  return 1;
}

static CfmStatus
cast_fold (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  int integer = integer_type (node->axis);
  float *out;
  size_t i;
  CfmStatus status;

  if (!cfm_op_inputs_constant (g, node))
    return CFM_OK;
  status = cfm_op_fold_output (g, node, 0, in->tensor->ndim,
                               in->tensor->shape, integer, &out, err);
  for (i = 0; i < in->tensor->count && status == CFM_OK; i++)
    out[i] = integer ? truncf (in->tensor->data[i]) : in->tensor->data[i];
  return status;
}

static CfmStatus
cast_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);

  if (integer_type (node->axis))
    return cfm_error_set (err, CFM_ERR_ARG, "%s (Cast): a map cast to "
                          "integers", node->name);
  cfm_op_set_shape (g, node, 0, in->rank, in->c, in->h, in->w);
  cfm_op_output (g, node, 0)->c_split = in->c_split;
  return CFM_OK;
}

static const char *const onnx_types[] = { "Cast", NULL };

const CfmOp cfm_op_cast = {
  .name = "Cast",
  .channels_last = CFM_LAYOUT_KEPT,
  .onnx = onnx_types,
  .from_onnx = cast_from_onnx,
  .shape = cast_shape,
  .run = cfm_op_copy_run,
  .fold = cast_fold,
};
