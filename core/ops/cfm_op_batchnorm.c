/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_batchnorm.c: BatchNormalization (nn.BatchNorm2d in eval mode,
 * with its running statistics). */
#include "cfm_op.h"

int
cfm_onnx_batchnorm (const Node *n, OnnxWeights *w, CfmModule *m)
{
  const CfmTensor *t[4];
  int i;

  if (n->n_in < 5 && n->n_in != 4)
    return 0;
  for (i = 0; i < 4; i++)
    {
      t[i] = i + 1 < n->n_in ? cfm_onnx_tensor (w, n->input[i + 1]) : NULL;
      if (t[i] == NULL || t[i]->ndim != 1 || t[i]->shape[0] != t[0]->shape[0])
        return 0;
    }
  m->kind = CFM_MODULE_BATCHNORM;
  m->features = (int) t[0]->shape[0];
  m->weight = t[0]->data;
  m->bias = t[1]->data;
  m->mean = t[2]->data;
  m->var = t[3]->data;
  m->has_bias = 1;
  {
    const Attr *e = attr (n, "epsilon");

    m->eps = e ? e->f : 1e-5f;
  }
  return m->eps >= 0.0f;
}


static int
batchnorm_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  if (!cfm_onnx_batchnorm (src, w, &node->m))
    return cfm_op_refuse (node, "its scale, bias, mean and variance are not "
                          "four vectors of one length");
  return 1;
}

static const char *const onnx_types[] = { "BatchNormalization", NULL };
static const char *const modules[] = { "BatchNorm2d", NULL };

const CfmOp cfm_op_batchnorm = {
  .name = "BatchNormalization",
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = batchnorm_from_onnx,
  .from_text = cfm_op_module_from_text,
  .shape = cfm_op_module_shape,
  .run = cfm_op_module_run,
  .backward = cfm_op_module_backward,
};
