/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_transpose.c: Transpose of a channel-split map (ShuffleNet's
 * channel shuffle: N x G x C/G x H x W to N x C/G x G x H x W), the
 * channels reordered row by row. */
#include "cfm_op.h"

#include <string.h>

static int
transpose_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) w;
  node->n_ints = attr_ints (src, "perm", node->ints, 8);
  if (node->n_ints < 0)
    return cfm_op_refuse (node, "a Transpose without its permutation");
  return 1;
}

/* Whether NODE's permutation is PERM (N values). */
static int
perm_is (const CfmNode *node, const int64_t *perm, int n)
{
  int i;

  if (node->n_ints != n)
    return 0;
  for (i = 0; i < n; i++)
    if (node->ints[i] != perm[i])
      return 0;
  return 1;
}

static CfmStatus
transpose_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  static const int64_t shuffle[] = { 0, 2, 1, 3, 4 }, same[] = { 0, 1, 2, 3 };
  const CfmValue *in = cfm_op_input (g, node, 0);

  if (in->rank == 5 && perm_is (node, shuffle, 5))
    {
      cfm_op_set_shape (g, node, 0, 5, in->c, in->h, in->w);
      cfm_op_output (g, node, 0)->c_split = in->c / in->c_split;
      return CFM_OK;
    }
  if (in->rank == 4 && perm_is (node, same, 4))
    {
      cfm_op_set_shape (g, node, 0, 4, in->c, in->h, in->w);
      return CFM_OK;
    }
  return cfm_error_set (err, CFM_ERR_ARG, "%s (Transpose): only a channel "
                        "shuffle is taken", node->name);
}

static CfmStatus
transpose_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
               CfmError *err)
{
  const CfmBand *in = &run->in[0];
  const CfmValue *v = cfm_op_input (g, node, 0);
  int groups = v->rank == 5 ? v->c_split : 1, per = in->c / groups, i, j;

  (void) err;
  for (i = 0; i < groups; i++)
    for (j = 0; j < per; j++)   /* channel (i, j) goes to (j, i) */
      memcpy (run->out[0] + (size_t) (j * groups + i) * run->plane[0],
              in->data + (size_t) (i * per + j) * cfm_band_plane (in)
              + (size_t) (run->o0 - in->row0) * in->w,
              (size_t) run->on * in->w * sizeof (float));
  return CFM_OK;
}

static const char *const onnx_types[] = { "Transpose", NULL };

const CfmOp cfm_op_transpose = {
  .name = "Transpose",
  .onnx = onnx_types,
  .from_onnx = transpose_from_onnx,
  .shape = transpose_shape,
  .run = transpose_run,
};
