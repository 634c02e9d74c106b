/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_transpose.c: Transpose of a channel-split map (ShuffleNet's
 * channel shuffle: N x G x C/G x H x W to N x C/G x G x H x W) and
 * nn.ChannelShuffle (G) itself (ShuffleNet's channel_shuffle, read from
 * print(model) text), the channels reordered row by row; a map's channels
 * moved last and back (ConvNeXt's permute, and torchvision's Permute
 * module), its values as they are. */
#include "cfm_op.h"

#include <stdio.h>
#include <string.h>

#include "cfm_network_text.h"

static int
transpose_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) w;
  node->n_ints = attr_ints (src, "perm", node->ints, 8);
  if (node->n_ints < 0)
    return cfm_op_refuse (node, "a Transpose without its permutation");
  return 1;
}

/* nn.ChannelShuffle (groups): its groups in NODE->axis. */
static CfmStatus
shuffle_from_text (CfmNode *node, char *args, CfmTensorSet *w,
                   CfmError *err)
{
  double groups = cfm_text_number (args, "groups", 0, 0);

  (void) w;
  if (!(groups >= 1 && groups <= 1 << 16))
    return cfm_error_set (err, CFM_ERR_PARSE, "%s: the ChannelShuffle's "
                          "groups do not make sense", node->m.name);
  snprintf (node->type, sizeof node->type, "ChannelShuffle");
  node->axis = (int) groups;
  return CFM_OK;
}

/* torchvision's Permute (), whose dimensions print(model) does not show:
 * in a ConvNeXt block it moves the channels last, then back. */
static CfmStatus
transpose_from_text (CfmNode *node, char *args, CfmTensorSet *w,
                     CfmError *err)
{
  if (strcmp (node->m.type, "Permute") == 0)
    return CFM_OK;
  return shuffle_from_text (node, args, w, err);
}

static int
is_shuffle (const CfmNode *node)
{
  return strcmp (node->type, "ChannelShuffle") == 0;
}

static int
is_permute (const CfmNode *node)
{
  return strcmp (node->type, "Permute") == 0;
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
  static const int64_t to_last[] = { 0, 2, 3, 1 }, to_first[] = { 0, 3, 1, 2 };
  const CfmValue *in = cfm_op_input (g, node, 0);

  if (is_shuffle (node))
    {
      if (in->rank != 4 || in->c % node->axis)
        return cfm_error_set (err, CFM_ERR_ARG, "%s (ChannelShuffle): %d "
                              "channels in %d groups", node->name, in->c,
                              node->axis);
      cfm_op_set_shape (g, node, 0, 4, in->c, in->h, in->w);
      return CFM_OK;
    }
  if (in->rank == 4 && is_permute (node))
    {
      cfm_op_set_shape (g, node, 0, 4, in->c, in->h, in->w);
      cfm_op_output (g, node, 0)->channels_last = !in->channels_last;
      return CFM_OK;
    }
  if (in->rank == 5 && perm_is (node, shuffle, 5))
    {
      cfm_op_set_shape (g, node, 0, 5, in->c, in->h, in->w);
      cfm_op_output (g, node, 0)->c_split = in->c / in->c_split;
      return CFM_OK;
    }
  if (in->rank == 4 && perm_is (node, same, 4))
    {
      cfm_op_set_shape (g, node, 0, 4, in->c, in->h, in->w);
      cfm_op_output (g, node, 0)->channels_last = in->channels_last;
      return CFM_OK;
    }
  if (in->rank == 4 && perm_is (node, in->channels_last ? to_first : to_last,
                                4))
    {   /* the same numbers, read along other axes: ConvNeXt's permute */
      cfm_op_set_shape (g, node, 0, 4, in->c, in->h, in->w);
      cfm_op_output (g, node, 0)->channels_last = !in->channels_last;
      return CFM_OK;
    }
  return cfm_error_set (err, CFM_ERR_ARG, "%s (Transpose): only a channel "
                        "shuffle and moving the channels last and back are "
                        "taken", node->name);
}

static CfmStatus
transpose_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
               CfmError *err)
{
  const CfmBand *in = &run->in[0];
  const CfmValue *v = cfm_op_input (g, node, 0);
  int groups = is_shuffle (node) ? node->axis
               : v->rank == 5 ? v->c_split : 1;
  int per = in->c / groups, i, j;

  (void) err;
  for (i = 0; i < groups; i++)
    for (j = 0; j < per; j++)   /* channel (i, j) goes to (j, i) */
      memcpy (run->out[0] + (size_t) (j * groups + i) * run->plane[0],
              in->data + (size_t) (i * per + j) * cfm_band_plane (in)
              + (size_t) (run->o0 - in->row0) * in->w,
              (size_t) run->on * in->w * sizeof (float));
  return CFM_OK;
}

/* The gradient of output channel (j, i) back to input channel (i, j). */
static CfmStatus
transpose_backward (const CfmGraph *g, const CfmNode *node,
                    const CfmOpGrad *grad, CfmError *err)
{
  const CfmValue *v = cfm_op_input (g, node, 0);
  int groups = is_shuffle (node) ? node->axis
               : v->rank == 5 ? v->c_split : 1;
  int per = v->c / groups, i, j;
  size_t plane = (size_t) v->h * v->w, k;

  (void) err;
  for (i = 0; i < groups && grad->grad_in[0]; i++)
    for (j = 0; j < per; j++)
      {
        float *gi = grad->grad_in[0] + (size_t) (i * per + j) * plane;
        const float *go = grad->grad_out + (size_t) (j * groups + i) * plane;

        for (k = 0; k < plane; k++)
          gi[k] += go[k];
      }
  return CFM_OK;
}

/* A constant transposed (shape arithmetic, before the run: F.pad's pads
 * reordered by its export). */
static CfmStatus
transpose_fold (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  const CfmTensor *t = in->tensor;
  int64_t dims[CFM_TENSOR_MAX_DIMS], stride[CFM_TENSOR_MAX_DIMS];
  int64_t at[CFM_TENSOR_MAX_DIMS] = { 0 };
  int n = t ? t->ndim : 0, d, seen = 0;
  float *out;
  size_t i;
  CfmStatus status;

  if (!cfm_op_inputs_constant (g, node))
    return CFM_OK;
  for (d = 0; d < n && node->n_ints == n; d++)
    if (node->ints[d] >= 0 && node->ints[d] < n)
      seen |= 1 << node->ints[d];
  if (node->n_ints != n || seen != (1 << n) - 1)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (Transpose): a permutation "
                          "that does not fit its constant", node->name);
  for (d = n - 1; d >= 0; d--)   /* the input's strides, C order */
    stride[d] = d == n - 1 ? 1 : stride[d + 1] * t->shape[d + 1];
  for (d = 0; d < n; d++)
    dims[d] = t->shape[node->ints[d]];
  status = cfm_op_fold_output (g, node, 0, n, dims, in->integer, &out, err);
  for (i = 0; status == CFM_OK && i < t->count; i++)
    {
      int64_t src = 0;

      for (d = 0; d < n; d++)
        src += at[d] * stride[node->ints[d]];
      out[i] = t->data[src];
      for (d = n - 1; d >= 0 && ++at[d] == dims[d]; d--)
        at[d] = 0;   /* the next output index, C order */
    }
  return status;
}

static const char *const onnx_types[] = { "Transpose", NULL };
static const char *const modules[] = { "ChannelShuffle", "Permute", NULL };

const CfmOp cfm_op_transpose = {
  .name = "Transpose",
  .channels_last = CFM_LAYOUT_OWN,
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = transpose_from_onnx,
  .from_text = transpose_from_text,
  .shape = transpose_shape,
  .run = transpose_run,
  .fold = transpose_fold,
  .backward = transpose_backward,
};
