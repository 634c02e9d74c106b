/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_shape.c: Shape (x.shape, x.size ()): the dimensions of a map for
 * the input size at hand, a constant computed before the run. */
#include "cfm_op.h"

static int
shape_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) w;
  node->ints[0] = attr_int (src, "start", 0);
  node->ints[1] = attr_int (src, "end", INT64_MAX);
  node->n_ints = 2;
  return 1;
}

/* I clamped into [0, N] as ONNX's start and end are. */
static int64_t
clamp_axis (int64_t i, int n)
{
  i = i < 0 ? i + n : i;
  return i < 0 ? 0 : i > n ? n : i;
}

static CfmStatus
shape_fold (CfmGraph *g, CfmNode *node, CfmError *err)
{
  int64_t dims[CFM_TENSOR_MAX_DIMS], n;
  int ndim = cfm_op_dims (cfm_op_input (g, node, 0), dims), i;
  int64_t a = clamp_axis (node->ints[0], ndim);
  int64_t b = clamp_axis (node->ints[1], ndim);
  float *out;
  CfmStatus status;

  n = b > a ? b - a : 0;
  status = cfm_op_fold_output (g, node, 0, 1, &n, 1, &out, err);
  for (i = 0; i < n && status == CFM_OK; i++)
    out[i] = (float) dims[a + i];
  return status;
}

static const char *const onnx_types[] = { "Shape", NULL };

const CfmOp cfm_op_shape = {
  .name = "Shape",
  .onnx = onnx_types,
  .from_onnx = shape_from_onnx,
  .fold = shape_fold,
};
