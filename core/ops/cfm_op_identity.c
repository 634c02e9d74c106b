/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_identity.c: Identity and Dropout (nothing in eval mode): the rows
 * handed on. */
#include "cfm_op.h"

static int
identity_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) src;
  (void) w;
  node->m.kind = CFM_MODULE_IDENTITY;
  return 1;
}

static CfmStatus
identity_from_text (CfmNode *node, char *args, CfmTensorSet *w,
                    CfmError *err)
{
  (void) args, (void) w, (void) err;
  node->m.kind = CFM_MODULE_IDENTITY;
  return CFM_OK;
}

static CfmStatus
identity_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  int k;

  (void) err;
  for (k = 0; k < node->n_outputs; k++)   /* Dropout's mask: never read */
    cfm_op_set_shape (g, node, k, in->rank, in->c, in->h, in->w);
  return CFM_OK;
}

static const char *const onnx_types[] = { "Identity", "Dropout", NULL };
/* torchvision's StochasticDepth: nothing in eval mode either */
static const char *const modules[] = { "Identity", "Dropout", "Dropout2d",
                                       "StochasticDepth", NULL };

const CfmOp cfm_op_identity = {
  .name = "Identity",
  .channels_last = CFM_LAYOUT_KEPT,
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = identity_from_onnx,
  .from_text = identity_from_text,
  .shape = identity_shape,
  .input_rows = cfm_op_same_rows,
  .run = cfm_op_copy_run,
  .backward = cfm_op_copy_backward,
  .fold = cfm_op_copy_fold,
};
