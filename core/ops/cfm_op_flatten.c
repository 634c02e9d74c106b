/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_flatten.c: Flatten from axis 1 (torch.flatten (x, 1), nn.Flatten):
 * maps into one vector, channel by channel, row by row. */
#include "cfm_op.h"
#include "cfm_network_text.h"

static int
flatten_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) w;
  node->axis = (int) attr_int (src, "axis", 1);
  if (node->axis != 1)
    return cfm_op_refuse (node, "it flattens from axis %d, not 1",
                          node->axis);
  return 1;
}

static CfmStatus
flatten_from_text (CfmNode *node, char *args, CfmTensorSet *w,
                   CfmError *err)
{
  (void) w, (void) err;
  node->axis = (int) cfm_text_number (args, "start_dim", 0, 1);
  if (node->axis != 1 || cfm_text_number (args, "end_dim", 1, -1) != -1)
    cfm_op_refuse (node, "it flattens other dimensions than all from 1");
  return CFM_OK;
}

static CfmStatus
flatten_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  long long n = (long long) in->c * in->h * in->w;

  if (n > 1 << 28)
    return cfm_error_set (err, CFM_ERR_SIZE, "%s (Flatten): a vector of %lld "
                          "values", node->name, n);
  cfm_op_set_shape (g, node, 0, 2, (int) n, 1, 1);
  return CFM_OK;
}

static const char *const onnx_types[] = { "Flatten", NULL };
static const char *const modules[] = { "Flatten", NULL };

const CfmOp cfm_op_flatten = {
  .name = "Flatten",
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = flatten_from_onnx,
  .from_text = flatten_from_text,
  .shape = flatten_shape,
  .input_rows = cfm_op_all_rows,
  .run = cfm_op_vector_run,
  .backward = cfm_op_copy_backward,
  .geometry = cfm_op_whole_geometry,
};
