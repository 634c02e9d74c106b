/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_softmax.c: Softmax over a vector (a classifier's probabilities),
 * as torch.softmax computes it: the largest value taken off first. */
#include "cfm_op.h"

#include <math.h>

static int
softmax_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) w;
  node->axis = (int) attr_int (src, "axis", -1);
  if (node->axis != 1 && node->axis != -1)
    return cfm_op_refuse (node, "a softmax over axis %d", node->axis);
  return 1;
}

static CfmStatus
softmax_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);

  if (in->rank != 2)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (Softmax) takes a vector",
                          node->name);
  cfm_op_set_shape (g, node, 0, 2, in->c, 1, 1);
  return CFM_OK;
}

static CfmStatus
softmax_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
             CfmError *err)
{
  const CfmBand *in = &run->in[0];
  size_t ip = cfm_band_plane (in);
  double sum = 0.0;
  float top = -INFINITY;
  int k;

  (void) g;
  (void) node;
  (void) err;
  for (k = 0; k < in->c; k++)
    top = in->data[k * ip] > top ? in->data[k * ip] : top;
  for (k = 0; k < in->c; k++)
    sum += exp ((double) in->data[k * ip] - top);
  for (k = 0; k < in->c; k++)
    run->out[0][k * run->plane[0]]
      = (float) (exp ((double) in->data[k * ip] - top) / sum);
  return CFM_OK;
}

static const char *const onnx_types[] = { "Softmax", NULL };
static const char *const modules[] = { "Softmax", NULL };

const CfmOp cfm_op_softmax = {
  .name = "Softmax",
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = softmax_from_onnx,
  .shape = softmax_shape,
  .run = softmax_run,
};
