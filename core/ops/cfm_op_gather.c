/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_gather.c: Gather along axis 0 of a constant (a dimension taken
 * out of a Shape), computed before the run. */
#include "cfm_op.h"

static int
gather_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) w;
  node->axis = (int) attr_int (src, "axis", 0);
  if (node->axis != 0)
    return cfm_op_refuse (node, "a Gather along axis %d", node->axis);
  return 1;
}

static CfmStatus
gather_fold (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *data = cfm_op_input (g, node, 0);
  const CfmValue *index = cfm_op_input (g, node, 1);
  const CfmTensor *d, *ix;
  int64_t shape[CFM_TENSOR_MAX_DIMS];
  size_t row = 1, i;
  int ndim, k;
  float *out;
  CfmStatus status;

  if (index == NULL || !cfm_op_inputs_constant (g, node))
    return CFM_OK;
  d = data->tensor;
  ix = index->tensor;
  if (d->ndim < 1 || ix->ndim + d->ndim - 1 > CFM_TENSOR_MAX_DIMS)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (Gather): indices of %d "
                          "dimensions into %d", node->name, ix->ndim,
                          d->ndim);
  ndim = ix->ndim + d->ndim - 1;
  for (k = 0; k < ix->ndim; k++)
    shape[k] = ix->shape[k];
  for (k = 1; k < d->ndim; k++)
    {
      shape[ix->ndim + k - 1] = d->shape[k];
      row *= (size_t) d->shape[k];
    }
  status = cfm_op_fold_output (g, node, 0, ndim, shape, data->integer, &out,
                               err);
  for (i = 0; i < ix->count && status == CFM_OK; i++)
    {
      int64_t at = cfm_op_index (ix->data[i]);

      at = at < 0 ? at + d->shape[0] : at;
      if (at < 0 || at >= d->shape[0])
        return cfm_error_set (err, CFM_ERR_ARG, "%s (Gather): index %lld of "
                              "%lld", node->name, (long long) at,
                              (long long) d->shape[0]);
      for (k = 0; (size_t) k < row; k++)
        out[i * row + (size_t) k] = d->data[(size_t) at * row + (size_t) k];
    }
  return status;
}

static const char *const onnx_types[] = { "Gather", NULL };

const CfmOp cfm_op_gather = {
  .name = "Gather",
  .onnx = onnx_types,
  .from_onnx = gather_from_onnx,
  .fold = gather_fold,
};
