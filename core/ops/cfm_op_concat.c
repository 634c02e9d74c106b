/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_concat.c: Concat along the channels (torch.cat (..., 1): a
 * DenseNet block, a Fire module's two expands, a U-Net's skip). */
#include "cfm_op.h"

#include <string.h>

static int
concat_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) w;
  node->axis = (int) attr_int (src, "axis", 1);
  if (node->n_inputs < 1)
    return cfm_op_refuse (node, "it has no input");
  return 1;
}

static CfmStatus
concat_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *first = cfm_op_input (g, node, 0);
  long long c = 0;
  int i;

  if (node->axis != 1 && node->axis != -first->rank + 1)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (Concat): only channels are "
                          "concatenated, not axis %d", node->name,
                          node->axis);
  for (i = 0; i < node->n_inputs; i++)
    {
      const CfmValue *v = cfm_op_input (g, node, i);

      if (v == NULL || v->h != first->h || v->w != first->w
          || v->rank != first->rank)
        return cfm_error_set (err, CFM_ERR_ARG, "%s (Concat): input %d is "
                              "not %d x %d like the first", node->name, i + 1,
                              first->h, first->w);
      c += v->c;
    }
  if (c > 1 << 24)
    return cfm_error_set (err, CFM_ERR_SIZE, "%s (Concat): %lld channels",
                          node->name, c);
  cfm_op_set_shape (g, node, 0, first->rank, (int) c, first->h, first->w);
  return CFM_OK;
}

static CfmStatus
concat_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
            CfmError *err)
{
  size_t row = (size_t) g->values[node->outputs[0]].w;
  int i, ch, at = 0;

  (void) err;
  for (i = 0; i < run->n_in; i++)
    {
      const CfmBand *in = &run->in[i];

      for (ch = 0; ch < in->c; ch++, at++)
        memcpy (run->out[0] + at * run->plane[0],
                in->data + ch * cfm_band_plane (in)
                + (size_t) (run->o0 - in->row0) * row,
                (size_t) run->on * row * sizeof (float));
    }
  return CFM_OK;
}

static const char *const onnx_types[] = { "Concat", NULL };

const CfmOp cfm_op_concat = {
  "Concat", onnx_types, NULL, concat_from_onnx, concat_shape,
  cfm_op_same_rows, concat_run
};
