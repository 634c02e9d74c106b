/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_reshape.c: Reshape: of a constant, computed before the run; of a
 * map, the views the networks use: channels split in two (ShuffleNet's
 * channel shuffle: N x G x C/G x H x W) and joined again, and a map made
 * a vector (x.view (N, -1), a global step).  The values keep their order,
 * so the rows are handed on as they are. */
#include "cfm_op.h"

#include <string.h>

static int
reshape_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) w;
  if (attr_int (src, "allowzero", 0))
    return cfm_op_refuse (node, "allowzero is not read");
  return 1;
}

/* The most values a shape may describe: more is refused (and no product
 * of dimensions overflows). */
#define SHAPE_VALUES_MAX ((int64_t) 1 << 40)

/* A times B, or -1 when that passes SHAPE_VALUES_MAX. */
static int64_t
times (int64_t a, int64_t b)
{
  return a < 0 || b < 0 || (b > 0 && a > SHAPE_VALUES_MAX / b) ? -1 : a * b;
}

/* The shape input's dimensions for input dimensions DIMS (0 copies one,
 * -1 takes the rest) into OUT; their number, or -1. */
static int
target_dims (const CfmValue *shape, const int64_t *dims, int ndim,
             int64_t *out)
{
  int64_t total = 1, known = 1;
  int n, i, infer = -1;

  if (shape == NULL || shape->kind != CFM_VALUE_CONST
      || shape->tensor->ndim != 1 || shape->tensor->count > CFM_TENSOR_MAX_DIMS)
    return -1;
  n = (int) shape->tensor->count;
  for (i = 0; i < ndim; i++)
    total = times (total, dims[i]);
  for (i = 0; i < n; i++)
    {
      out[i] = cfm_op_index (shape->tensor->data[i]);
      if (out[i] < -1 || out[i] > SHAPE_VALUES_MAX)
        return -1;
      if (out[i] == 0 && i < ndim)
        out[i] = dims[i];
      if (out[i] == -1 && infer < 0)
        infer = i;
      else if (out[i] < 1 || (known = times (known, out[i])) < 0)
        return -1;
    }
  if (total < 0)
    return -1;
  if (infer >= 0)
    out[infer] = known > 0 && total % known == 0 ? total / known : -1;
  for (i = 0, known = 1; i < n; i++)
    known = times (known, out[i]);
  return known == total ? n : -1;
}

static CfmStatus
reshape_fold (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  int64_t dims[CFM_TENSOR_MAX_DIMS], out_dims[CFM_TENSOR_MAX_DIMS];
  int ndim, n;
  float *out;
  CfmStatus status;

  if (!cfm_op_inputs_constant (g, node))
    return CFM_OK;
  ndim = cfm_op_dims (in, dims);
  n = target_dims (cfm_op_input (g, node, 1), dims, ndim, out_dims);
  if (n < 0)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (Reshape): a shape that "
                          "does not fit its input", node->name);
  status = cfm_op_fold_output (g, node, 0, n, out_dims, in->integer, &out,
                               err);
  if (status == CFM_OK)
    memcpy (out, in->tensor->data, in->tensor->count * sizeof (float));
  return status;
}

static CfmStatus
reshape_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  int64_t dims[CFM_TENSOR_MAX_DIMS], o[CFM_TENSOR_MAX_DIMS];
  int n = target_dims (cfm_op_input (g, node, 1), dims,
                       cfm_op_dims (in, dims), o);

  node->axis = 0;
  if (n == 5 && o[0] == 1 && o[3] == in->h && o[4] == in->w)
    {
      cfm_op_set_shape (g, node, 0, 5, in->c, in->h, in->w);
      cfm_op_output (g, node, 0)->c_split = (int) o[1];
      return CFM_OK;
    }
  if (n == 4 && o[0] == 1 && o[2] == in->h && o[3] == in->w)
    {
      cfm_op_set_shape (g, node, 0, 4, in->c, in->h, in->w);
      return CFM_OK;
    }
  if (n == 2 && o[0] == 1)
    {
      node->axis = 1;   /* a vector: every row first */
      cfm_op_set_shape (g, node, 0, 2, (int) o[1], 1, 1);
      return CFM_OK;
    }
  return cfm_error_set (err, CFM_ERR_ARG, "%s (Reshape): only a channel "
                        "split or join, or a vector, is taken from a map",
                        node->name);
}

static void
reshape_rows (const CfmGraph *g, const CfmNode *node, int i, int o0, int on,
              int *r0, int *rn)
{
  if (node->axis && i == 0)
    cfm_op_all_rows (g, node, i, o0, on, r0, rn);
  else
    cfm_op_same_rows (g, node, i, o0, on, r0, rn);
}

static CfmStatus
reshape_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
             CfmError *err)
{
  return node->axis ? cfm_op_vector_run (g, node, run, err)
                    : cfm_op_copy_run (g, node, run, err);
}

static const char *const onnx_types[] = { "Reshape", NULL };

const CfmOp cfm_op_reshape = {
  .name = "Reshape",
  .onnx = onnx_types,
  .from_onnx = reshape_from_onnx,
  .shape = reshape_shape,
  .input_rows = reshape_rows,
  .run = reshape_run,
  .fold = reshape_fold,
  .backward = cfm_op_copy_backward,
};
