/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_pool.c: MaxPool and AveragePool (nn.MaxPool2d, nn.AvgPool2d):
 * ceil_mode, padding, count_include_pad. */
#include "cfm_op.h"

int
cfm_onnx_pool (const Node *n, CfmModule *m)
{
  m->kind = buf_is (n->op, "MaxPool") ? CFM_MODULE_MAXPOOL
                                      : CFM_MODULE_AVGPOOL;
  m->ceil_mode = attr_int (n, "ceil_mode", 0) != 0;
  m->count_include_pad = attr_int (n, "count_include_pad", 0) != 0;
  return cfm_onnx_window (n, m, NULL) && (m->kind == CFM_MODULE_MAXPOOL
                                 || (m->dil[0] == 1 && m->dil[1] == 1));
}


static int
pool_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) w;
  if (node->n_outputs > 1)
    return cfm_op_refuse (node, "its indices output is not computed");
  node->auto_pad = cfm_onnx_auto_pad (src);
  if (!cfm_onnx_pool (src, &node->m))
    return cfm_op_refuse (node, "its window is not a 2-D one with even "
                          "padding (or an average one with dilation)");
  return 1;
}

static const char *const onnx_types[] = { "MaxPool", "AveragePool", NULL };
static const char *const modules[] = { "MaxPool2d", "AvgPool2d", NULL };

const CfmOp cfm_op_pool = {
  .name = "Pool",
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = pool_from_onnx,
  .from_text = cfm_op_module_from_text,
  .shape = cfm_op_module_shape,
  .input_rows = cfm_op_module_rows,
  .geometry = cfm_op_module_geometry,
  .run = cfm_op_module_run,
  .backward = cfm_op_module_backward,
};
