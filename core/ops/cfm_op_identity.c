/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_identity.c: Identity and Dropout (nothing in eval mode): the rows
 * handed on. */
#include "cfm_op.h"

#include <string.h>

static int
identity_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) src;
  (void) w;
  node->m.kind = CFM_MODULE_IDENTITY;
  return 1;
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

static CfmStatus
identity_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
              CfmError *err)
{
  const CfmBand *in = &run->in[0];
  int k, ch;

  (void) g;
  (void) node;
  (void) err;
  for (k = 0; k < node->n_outputs; k++)
    for (ch = 0; ch < in->c; ch++)
      memcpy (run->out[k] + ch * run->plane[k],
              in->data + ch * cfm_band_plane (in)
              + (size_t) (run->o0 - in->row0) * in->w,
              (size_t) run->on * in->w * sizeof (float));
  return CFM_OK;
}

static const char *const onnx_types[] = { "Identity", "Dropout", NULL };
static const char *const modules[] = { "Identity", "Dropout", "Dropout2d",
                                       NULL };

const CfmOp cfm_op_identity = {
  "Identity", onnx_types, modules, identity_from_onnx, identity_shape,
  cfm_op_same_rows, identity_run
};
