/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_pad.c: Pad, as PyTorch exports it before an AveragePool (the
 * pool's padding) and before a Conv of reflect or replicate padding: merged
 * into that node. */
#include "cfm_op.h"

/* The padding mode of Pad node PAD (a constant one of zeros, "reflect" or
 * "edge"), or -1. */
static int
pad_mode (const Node *pad, OnnxWeights *w)
{
  const Attr *mode = attr (pad, "mode");

  if (mode == NULL || buf_is (mode->s, "constant"))
    return cfm_onnx_scalar (pad, w, 2, 0.0f) == 0.0f ? CFM_PAD_ZEROS : -1;
  if (buf_is (mode->s, "reflect"))
    return CFM_PAD_REFLECT;
  if (buf_is (mode->s, "edge"))
    return CFM_PAD_REPLICATE;
  return -1;
}

/* A Pad before the node NEXT: before an AveragePool, zeros, as PyTorch
 * exports AvgPool2d's padding (the pool's padding, counted in the
 * divisor); before a Conv without padding of its own, as PyTorch exports
 * Conv2d's reflect and replicate padding modes.  The rows and columns
 * padded alike on both sides, the batch and channels not. */
int
cfm_onnx_merge_pad (const Node *pad, const Node *next, OnnxWeights *w,
                    CfmModule *m)
{
  const CfmTensor *pads = pad->n_in > 1 ? cfm_onnx_tensor (w, pad->input[1]) : NULL;
  int mode = pad_mode (pad, w);

  if (pads == NULL || pads->count != 8 || mode < 0
      || pads->data[0] || pads->data[1] || pads->data[4] || pads->data[5]
      || pads->data[2] != pads->data[6] || pads->data[3] != pads->data[7]
      || pads->data[2] < 0 || pads->data[3] < 0 || pads->data[2] > 1 << 16
      || pads->data[3] > 1 << 16)
    return 0;
  if (buf_is (next->op, "Conv"))
    {
      if (!cfm_onnx_conv (next, w, m) || m->pad[0] || m->pad[1])
        return 0;
      m->pad_mode = (CfmPadMode) mode;
    }
  else if (!cfm_onnx_pool (next, m) || m->kind != CFM_MODULE_AVGPOOL
           || m->pad[0] || m->pad[1] || mode != CFM_PAD_ZEROS)
    return 0;
  else
    m->count_include_pad = 1;
  m->pad[0] = (int) pads->data[2];
  m->pad[1] = (int) pads->data[3];
  return 1;
}

