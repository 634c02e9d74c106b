/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_conv.c: Conv (nn.Conv2d): groups, depthwise, dilation, the
 * padding modes; run by the core's convolution (cfm_conv.h) through the
 * chain module's runner. */
#include "cfm_op.h"

#include <string.h>

int
cfm_onnx_conv (const Node *n, OnnxWeights *w, CfmModule *m)
{
  const CfmTensor *weight = cfm_onnx_tensor (w, n->input[1]);
  const CfmTensor *bias = n->n_in > 2 ? cfm_onnx_tensor (w, n->input[2]) : NULL;
  int64_t group = attr_int (n, "group", 1);

  if (weight == NULL || weight->ndim != 4 || group < 1 || group > 1 << 16
      || !cfm_onnx_window (n, m, weight) || weight->shape[2] != m->k[0]
      || weight->shape[3] != m->k[1] || weight->shape[0] % group
      || weight->shape[0] < 1 || weight->shape[1] < 1
      || weight->shape[0] > 1 << 20 || weight->shape[1] > 1 << 20
      || (bias && (bias->ndim != 1 || bias->shape[0] != weight->shape[0])))
    return 0;
  m->kind = CFM_MODULE_CONV;
  m->groups = (int) group;
  m->out_c = (int) weight->shape[0];
  m->in_c = (int) weight->shape[1] * m->groups;
  m->weight = weight->data;
  m->bias = bias ? bias->data : NULL;
  m->has_bias = bias != NULL;
  m->pad_mode = CFM_PAD_ZEROS;
  return 1;
}


static int
conv_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  node->auto_pad = cfm_onnx_auto_pad (src);
  if (!cfm_onnx_conv (src, w, &node->m))
    return cfm_op_refuse (node, "its weights or attributes are not those "
                          "of a 2-D convolution with even padding");
  return 1;
}

static const char *const onnx_types[] = { "Conv", NULL };
static const char *const modules[] = { "Conv2d", NULL };

const CfmOp cfm_op_conv = {
  .name = "Conv",
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = conv_from_onnx,
  .from_text = cfm_op_module_from_text,
  .shape = cfm_op_module_shape,
  .input_rows = cfm_op_module_rows,
  .geometry = cfm_op_module_geometry,
  .run = cfm_op_module_run,
  .backward = cfm_op_module_backward,
  .fuses = cfm_op_module_fuses,
};
