/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_pad.c: Pad of rows and columns (F.pad, nn.ZeroPad2d,
 * nn.ReflectionPad2d, nn.ReplicationPad2d): a constant, reflect or edge;
 * and as PyTorch exports it before an AveragePool (the pool's padding) and
 * before a Conv of reflect or replicate padding: merged into that node. */
#include "cfm_op.h"

#include <stdlib.h>
#include <string.h>

#include "cfm_network_text.h"

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

static int
pad_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  const Attr *mode = attr (src, "mode");
  int64_t pads[8];
  int n = attr_ints (src, "pads", pads, 8), i;

  node->m.pad_mode = mode == NULL || buf_is (mode->s, "constant")
                     ? CFM_PAD_ZEROS : buf_is (mode->s, "reflect")
                     ? CFM_PAD_REFLECT : buf_is (mode->s, "edge")
                     ? CFM_PAD_REPLICATE : (CfmPadMode) -1;
  node->alpha = attr (src, "value") ? attr (src, "value")->f
                : cfm_onnx_scalar (src, w, 2, 0.0f);
  node->n_ints = -1;
  for (i = 0; i < n && n == 8; i++)   /* opset 2..10: an attribute */
    node->ints[i] = pads[i];
  node->n_ints = n == 8 ? 8 : -1;
  if ((int) node->m.pad_mode < 0)
    return cfm_op_refuse (node, "a padding mode the core does not compute");
  if (src->n_in > 3)
    return cfm_op_refuse (node, "its axes input is not read");
  return 1;
}

/* nn.ZeroPad2d, ConstantPad2d (padding, value), ReflectionPad2d and
 * ReplicationPad2d: PyTorch's (left, right, top, bottom), a single
 * number for all four, as ONNX's pads. */
static CfmStatus
pad_from_text (CfmNode *node, char *args, CfmTensorSet *w, CfmError *err)
{
  double p[4] = { 0 };
  int n = cfm_text_tuple (args, "padding", 0, p), i;
  const char *type = node->m.type;

  (void) w;
  if (n == 1)
    p[1] = p[2] = p[3] = p[0];
  for (i = 0; i < 4; i++)
    if (!(p[i] >= 0 && p[i] <= 1 << 16) || (n != 1 && n != 4))
      return cfm_error_set (err, CFM_ERR_PARSE, "%s: the %s's padding does "
                            "not make sense", node->m.name, type);
  node->m.pad_mode = strcmp (type, "ReflectionPad2d") == 0 ? CFM_PAD_REFLECT
                     : strcmp (type, "ReplicationPad2d") == 0
                     ? CFM_PAD_REPLICATE : CFM_PAD_ZEROS;
  node->alpha = (float) cfm_text_number (args, "value", 1, 0.0);
  memset (node->ints, 0, sizeof node->ints);
  node->ints[2] = (int64_t) p[2];   /* top */
  node->ints[3] = (int64_t) p[0];   /* left */
  node->ints[6] = (int64_t) p[3];   /* bottom */
  node->ints[7] = (int64_t) p[1];   /* right */
  node->n_ints = 8;
  return CFM_OK;
}

/* The rows and columns padded before and after: PAD[0] top, [1] left,
 * [2] bottom, [3] right; 0 when the pads are not those of rows and
 * columns alone, none negative. */
static int
pads_of (const CfmGraph *g, const CfmNode *node, int *pad)
{
  const CfmValue *v = cfm_op_input (g, node, 1);
  int64_t p[8];
  int i;

  if (node->n_ints == 8)
    for (i = 0; i < 8; i++)
      p[i] = node->ints[i];
  else if (v && v->kind == CFM_VALUE_CONST && v->tensor->count == 8)
    for (i = 0; i < 8; i++)
      p[i] = cfm_op_index (v->tensor->data[i]);
  else
    return 0;
  for (i = 0; i < 8; i++)
    if (p[i] < 0 || p[i] > 1 << 16)
      return 0;
  pad[0] = (int) p[2];
  pad[1] = (int) p[3];
  pad[2] = (int) p[6];
  pad[3] = (int) p[7];
  return p[0] == 0 && p[1] == 0 && p[4] == 0 && p[5] == 0;
}

static CfmStatus
pad_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  int *pad = node->splits;

  if (in->rank != 4 || !pads_of (g, node, pad))
    return cfm_error_set (err, CFM_ERR_ARG, "%s (Pad): only rows and columns "
                          "are padded, by constant pads none negative",
                          node->name);
  if (node->m.pad_mode == CFM_PAD_REFLECT
      && (pad[0] >= in->h || pad[2] >= in->h || pad[1] >= in->w
          || pad[3] >= in->w))
    return cfm_error_set (err, CFM_ERR_SIZE, "%s (Pad): a reflection wider "
                          "than its input of %d x %d", node->name, in->h,
                          in->w);
  cfm_op_set_shape (g, node, 0, 4, in->c, in->h + pad[0] + pad[2],
                    in->w + pad[1] + pad[3]);
  return CFM_OK;
}

/* The input row of output row Y (-1: the constant). */
static int
source_row (const CfmNode *node, int y, int h)
{
  return cfm_pad_index (y - node->splits[0], h, node->m.pad_mode);
}

static void
pad_rows (const CfmGraph *g, const CfmNode *node, int i, int o0, int on,
          int *r0, int *rn)
{
  int h = cfm_op_input (g, node, 0)->h, lo = h, hi = -1, y;

  if (i != 0)
    {
      cfm_op_same_rows (g, node, i, o0, on, r0, rn);
      return;
    }
  for (y = o0; y < o0 + on; y++)
    {
      int s = source_row (node, y, h);

      if (s >= 0)
        {
          lo = s < lo ? s : lo;
          hi = s > hi ? s : hi;
        }
    }
  /* a reflection reads back up: from the top padding on, rows as low as
   * 0 are still to come, and the bottom one reads the last rows again;
   * the first row kept must not pass what any later output row reads */
  if (node->m.pad_mode != CFM_PAD_ZEROS)
    {
      int body = o0 - node->splits[0];
      int bottom = h - 1 - (node->m.pad_mode == CFM_PAD_REFLECT
                            ? node->splits[2] : 0);

      lo = body < lo ? (body < 0 ? 0 : body) : lo;
      lo = node->splits[2] > 0 && bottom < lo ? (bottom < 0 ? 0 : bottom) : lo;
      hi = hi < lo ? lo : hi;
    }
  *r0 = hi >= 0 ? lo : 0;
  *rn = hi >= 0 ? hi - lo + 1 : 0;
}

static CfmStatus
pad_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
         CfmError *err)
{
  const CfmBand *in = &run->in[0];
  const CfmValue *out = &g->values[node->outputs[0]];
  int *col = malloc (((size_t) out->w + 1) * sizeof *col), x, y, ch;

  if (col == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  for (x = 0; x < out->w; x++)
    col[x] = cfm_pad_index (x - node->splits[1], in->w, node->m.pad_mode);
  for (y = run->o0; y < run->o0 + run->on; y++)
    {
      int s = source_row (node, y, in->h);

      for (ch = 0; ch < in->c; ch++)
        {
          const float *src = s < 0 ? NULL
                             : in->data + ch * cfm_band_plane (in)
                               + (size_t) (s - in->row0) * in->w;
          float *o = run->out[0] + ch * run->plane[0]
                     + (size_t) (y - run->o0) * out->w;

          for (x = 0; x < out->w; x++)
            o[x] = s >= 0 && col[x] >= 0 ? src[col[x]] : node->alpha;
        }
    }
  free (col);
  return CFM_OK;
}

/* The padding moves the map's origin up and left, its field unchanged. */
static void
pad_geometry (const CfmGraph *g, const CfmNode *node, CfmGraphGeometry *geo)
{
  (void) g;
  geo->centre[0] -= node->splits[0] * geo->stride[0];
  geo->centre[1] -= node->splits[1] * geo->stride[1];
}

/* Each output pixel's gradient to the input pixel it copies (a reflected
 * or replicated one gathers every place it was copied to); the constant's
 * pixels have none. */
static CfmStatus
pad_backward (const CfmGraph *g, const CfmNode *node, const CfmOpGrad *grad,
              CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  const CfmValue *out = &g->values[node->outputs[0]];
  size_t plane = (size_t) in->h * in->w, oplane = (size_t) out->h * out->w;
  int x, y, ch;

  (void) err;
  for (ch = 0; ch < in->c && grad->grad_in[0]; ch++)
    for (y = 0; y < out->h; y++)
      {
        int iy = source_row (node, y, in->h);

        for (x = 0; x < out->w && iy >= 0; x++)
          {
            int ix = cfm_pad_index (x - node->splits[1], in->w,
                                    node->m.pad_mode);

            if (ix >= 0)
              grad->grad_in[0][ch * plane + (size_t) iy * in->w + ix]
                += grad->grad_out[ch * oplane + (size_t) y * out->w + x];
          }
      }
  return CFM_OK;
}

static const char *const onnx_types[] = { "Pad", NULL };
static const char *const modules[] = { "ZeroPad2d", "ConstantPad2d",
                                       "ReflectionPad2d", "ReplicationPad2d",
                                       NULL };

const CfmOp cfm_op_pad = {
  .name = "Pad",
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = pad_from_onnx,
  .from_text = pad_from_text,
  .shape = pad_shape,
  .input_rows = pad_rows,
  .run = pad_run,
  .backward = pad_backward,
  .geometry = pad_geometry,
};
