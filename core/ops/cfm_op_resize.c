/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_resize.c: Resize and Upsample of rows and columns (nn.Upsample,
 * F.interpolate): nearest and linear, with ONNX's coordinate
 * transformation modes, by scales or by sizes (constants, or the shape
 * arithmetic's). */
#include "cfm_op.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_network_text.h"

enum { NEAREST, LINEAR };
enum { HALF_PIXEL, PYTORCH_HALF_PIXEL, ALIGN_CORNERS, ASYMMETRIC };
enum { ROUND_PREFER_FLOOR, ROUND_PREFER_CEIL, FLOOR, CEIL };

/* The index of S among NAMES (NULL-ended), or -1. */
static int
choice (Buf s, const char *const *names)
{
  int i;

  for (i = 0; names[i]; i++)
    if (buf_is (s, names[i]))
      return i;
  return -1;
}

static int
resize_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  static const char *const modes[] = { "nearest", "linear", NULL };
  static const char *const ctms[] = { "half_pixel", "pytorch_half_pixel",
                                      "align_corners", "asymmetric", NULL };
  static const char *const rounds[] = { "round_prefer_floor",
                                        "round_prefer_ceil", "floor", "ceil",
                                        NULL };
  const Attr *mode = attr (src, "mode"), *ctm;
  const Attr *round = attr (src, "nearest_mode");
  int upsample = buf_is (src->op, "Upsample");

  (void) w;
  ctm = attr (src, "coordinate_transformation_mode");
  node->ints[0] = mode ? choice (mode->s, modes) : NEAREST;
  node->ints[1] = upsample ? ASYMMETRIC : ctm ? choice (ctm->s, ctms)
                                              : HALF_PIXEL;
  node->ints[2] = upsample ? FLOOR : round ? choice (round->s, rounds)
                                           : ROUND_PREFER_FLOOR;
  node->ints[3] = upsample;
  node->n_ints = 4;
  if (node->ints[0] < 0)
    return cfm_op_refuse (node, "mode %.*s is not computed",
                          (int) (mode->s.end - mode->s.p), mode->s.p);
  if (node->ints[1] < 0)
    return cfm_op_refuse (node, "coordinate transformation %.*s is not "
                          "computed", (int) (ctm->s.end - ctm->s.p),
                          ctm->s.p);
  if (node->ints[2] < 0)
    return cfm_op_refuse (node, "nearest_mode %.*s is not computed",
                          (int) (round->s.end - round->s.p), round->s.p);
  if (attr_int (src, "antialias", 0) || attr (src, "axes"))
    return cfm_op_refuse (node, "antialias and axes are not read");
  return 1;
}

/* nn.Upsample (size or scale_factor, mode), UpsamplingNearest2d and
 * UpsamplingBilinear2d, as F.interpolate computes them: nearest is
 * ONNX's asymmetric, floored; bilinear is PyTorch's half pixel, or its
 * corners aligned for UpsamplingBilinear2d.  Upsample's align_corners is
 * not printed: read as False, its default.  The scales (NODE->alpha,
 * beta) or sizes (NODE->splits) are kept on the node. */
static CfmStatus
resize_from_text (CfmNode *node, char *args, CfmTensorSet *w, CfmError *err)
{
  double scale[4] = { 0 }, size[4] = { 0 };
  int n_scale = cfm_text_tuple (args, "scale_factor", -1, scale);
  int n_size = cfm_text_tuple (args, "size", -1, size);
  char mode[32] = "nearest";

  (void) w;
  cfm_text_word (args, "mode", -1, mode, sizeof mode);
  node->ints[0] = strcmp (mode, "nearest") == 0 ? NEAREST : LINEAR;
  node->ints[1] = node->ints[0] == NEAREST ? ASYMMETRIC
                  : strcmp (node->m.type, "UpsamplingBilinear2d") == 0
                  ? ALIGN_CORNERS : PYTORCH_HALF_PIXEL;
  node->ints[2] = FLOOR;
  node->ints[3] = 0;
  node->ints[4] = 1;   /* its sizes on the node, not in inputs */
  node->n_ints = 5;
  node->alpha = (float) scale[0];
  node->beta = (float) scale[n_scale > 1 ? 1 : 0];
  node->splits[0] = size[0] >= 1 && size[0] <= 1 << 24 ? (int) size[0] : 0;
  node->splits[1] = n_size > 1 && size[1] >= 1 && size[1] <= 1 << 24
                    ? (int) size[1] : node->splits[0];
  if (strcmp (mode, "nearest") != 0 && strcmp (mode, "bilinear") != 0)
    cfm_op_refuse (node, "%s (%s): mode %s is not computed", node->m.name,
                   node->m.type, mode);
  else if ((n_scale > 0) == (n_size > 0) || n_scale > 2 || n_size > 2
           || (n_scale && !(node->alpha > 0.0f && node->beta > 0.0f
                            && node->alpha < 1 << 16
                            && node->beta < 1 << 16))
           || (n_size && node->splits[0] == 0))
    return cfm_error_set (err, CFM_ERR_PARSE, "%s: the %s's size or scale "
                          "does not make sense", node->m.name, node->m.type);
  return CFM_OK;
}

/* Whether NODE keeps its scales or sizes itself (read from text). */
static int
sized_by_node (const CfmNode *node)
{
  return node->n_ints == 5 && node->ints[4];
}

/* The output size *H x *W for an input of IN_H x IN_W, from the node's
 * own scale or size, and the scales its coordinates use. */
static void
node_size (CfmNode *node, int in_h, int in_w, double *h, double *w)
{
  if (node->splits[0] > 0)
    {
      *h = node->splits[0];
      *w = node->splits[1];
      node->alpha = (float) (*h / in_h);
      node->beta = (float) (*w / in_w);
    }
  else
    {
      *h = floor (in_h * (double) node->alpha);
      *w = floor (in_w * (double) node->beta);
    }
}

/* The constant input I as N floats, or NULL. */
static const CfmTensor *
constant (const CfmGraph *g, const CfmNode *node, int i, size_t n)
{
  const CfmValue *v = cfm_op_input (g, node, i);

  return v && v->kind == CFM_VALUE_CONST && v->tensor->count == n
         ? v->tensor : NULL;
}

static CfmStatus
resize_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  const CfmTensor *scales = constant (g, node, node->ints[3] ? 1 : 2, 4);
  const CfmTensor *sizes = constant (g, node, 3, 4);
  double h, w;

  if (sized_by_node (node) && in->rank == 4)
    {
      node_size (node, in->h, in->w, &h, &w);
      if (!(h >= 1.0) || !(w >= 1.0) || h > 1 << 24 || w > 1 << 24)
        return cfm_error_set (err, CFM_ERR_SIZE, "%s (%s): an output of "
                              "%.0f x %.0f", node->name, node->type, h, w);
      cfm_op_set_shape (g, node, 0, 4, in->c, (int) h, (int) w);
      return CFM_OK;
    }
  if (in->rank != 4 || (scales == NULL && sizes == NULL)
      || (scales && (scales->data[0] != 1.0f || scales->data[1] != 1.0f
                     || !(scales->data[2] > 0.0f) || !(scales->data[3] > 0.0f)))
      || (!scales && (sizes->data[0] != 1.0f || sizes->data[1] != in->c)))
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): only rows and columns "
                          "are resized, by constant scales or sizes",
                          node->name, node->type);
  h = scales ? floor (in->h * (double) scales->data[2]) : sizes->data[2];
  w = scales ? floor (in->w * (double) scales->data[3]) : sizes->data[3];
  if (!(h >= 1.0) || !(w >= 1.0) || h > 1 << 24 || w > 1 << 24)
    return cfm_error_set (err, CFM_ERR_SIZE, "%s (%s): an output of %.0f x "
                          "%.0f", node->name, node->type, h, w);
  node->alpha = scales ? scales->data[2] : (float) (h / in->h);
  node->beta = scales ? scales->data[3] : (float) (w / in->w);
  cfm_op_set_shape (g, node, 0, 4, in->c, (int) h, (int) w);
  return CFM_OK;
}

/* Where output index X (of OUT along an axis of IN, scale SCALE) lies
 * in the input, as NODE's coordinate transformation says. */
static double
source (const CfmNode *node, int x, int in, int out, double scale)
{
  switch (node->ints[1])
    {
    case PYTORCH_HALF_PIXEL:
      return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case ALIGN_CORNERS:   /* the length as scaled, before it is floored */
      return in * scale > 1.0 ? x * (double) (in - 1) / (in * scale - 1.0)
                              : 0.0;
    case ASYMMETRIC:
      return x / scale;
    default:
      return (x + 0.5) / scale - 0.5;
    }
}

/* Where output index X reads: its first input index *I0, the second *I1
 * and the second's weight *T (nearest: *I0 alone). */
static void
taps (const CfmNode *node, int x, int in, int out, double scale, int *i0,
      int *i1, float *t)
{
  double s = source (node, x, in, out, scale);

  if (node->ints[0] == NEAREST)
    {
      double r = node->ints[2] == FLOOR ? floor (s)
                 : node->ints[2] == CEIL ? ceil (s)
                 : node->ints[2] == ROUND_PREFER_CEIL ? floor (s + 0.5)
                 : ceil (s - 0.5);

      *i0 = *i1 = r < 0 ? 0 : r > in - 1 ? in - 1 : (int) r;
      *t = 0.0f;
      return;
    }
  s = s < 0.0 ? 0.0 : s > in - 1 ? in - 1 : s;
  *i0 = (int) floor (s);
  *i1 = *i0 + 1 < in ? *i0 + 1 : *i0;
  *t = (float) (s - *i0);
}

static void
resize_rows (const CfmGraph *g, const CfmNode *node, int i, int o0, int on,
             int *r0, int *rn)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  const CfmValue *out = &g->values[node->outputs[0]];
  int a0, a1, b0, b1;
  float t;

  if (i != 0)
    {
      cfm_op_same_rows (g, node, i, o0, on, r0, rn);
      return;
    }
  taps (node, o0, in->h, out->h, node->alpha, &a0, &a1, &t);
  taps (node, o0 + on - 1, in->h, out->h, node->alpha, &b0, &b1, &t);
  *r0 = a0;
  *rn = (b1 > b0 ? b1 : b0) - a0 + 1;
}

static CfmStatus
resize_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
            CfmError *err)
{
  const CfmBand *in = &run->in[0];
  const CfmValue *out = &g->values[node->outputs[0]];
  int *x0 = malloc (((size_t) out->w + 1) * 2 * sizeof (int)), *x1;
  float *tx = malloc (((size_t) out->w + 1) * sizeof (float));
  int x, y, ch;

  if (x0 == NULL || tx == NULL)
    {
      free (x0);
      free (tx);
      return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
    }
  x1 = x0 + out->w + 1;
  for (x = 0; x < out->w; x++)
    taps (node, x, in->w, out->w, node->beta, &x0[x], &x1[x], &tx[x]);
  for (y = run->o0; y < run->o0 + run->on; y++)
    {
      int y0, y1;
      float ty;

      taps (node, y, in->h, out->h, node->alpha, &y0, &y1, &ty);
      for (ch = 0; ch < in->c; ch++)
        {
          const float *plane = in->data + ch * cfm_band_plane (in);
          const float *a = plane + (size_t) (y0 - in->row0) * in->w;
          const float *b = plane + (size_t) (y1 - in->row0) * in->w;
          float *o = run->out[0] + ch * run->plane[0]
                     + (size_t) (y - run->o0) * out->w;

          for (x = 0; x < out->w; x++)
            {
              float top = a[x0[x]] + tx[x] * (a[x1[x]] - a[x0[x]]);
              float bottom = b[x0[x]] + tx[x] * (b[x1[x]] - b[x0[x]]);

              o[x] = top + ty * (bottom - top);
            }
        }
    }
  free (x0);
  free (tx);
  return CFM_OK;
}

/* The largest step (or inverse) taken as a whole number. */
#define WHOLE_MAX 1e12

/* Along axis A: output pixel 0 lies at the input's SOURCE (0) and each
 * next one a step further (a fraction of whole numbers where the scale or
 * its inverse is one, else IN / OUT); linear taps reach one pixel more. */
static void
resize_geometry_axis (const CfmNode *node, CfmGraphGeometry *geo, int a,
                      int in, int out, double scale)
{
  double x0 = source (node, 0, in, out, scale);
  double step = out > 1 ? source (node, 1, in, out, scale) - x0 : in;
  double inverse, stride;

  if (!(step > 0.0))   /* one input pixel read by all: the sizes' ratio */
    step = (double) in / out;
  inverse = 1.0 / step;
  stride = geo->stride[a] * step;

  geo->centre[a] += x0 * geo->stride[a];
  if (node->ints[0] != NEAREST)
    geo->field[a] += geo->stride[a];
  if (inverse < WHOLE_MAX && fabs (inverse - floor (inverse + 0.5)) < 1e-9)
    cfm_op_scale_stride (geo, a, 1, (long long) floor (inverse + 0.5));
  else if (step < WHOLE_MAX && fabs (step - floor (step + 0.5)) < 1e-9)
    cfm_op_scale_stride (geo, a, (long long) floor (step + 0.5), 1);
  else if (node->ints[1] == ALIGN_CORNERS)
    cfm_op_scale_stride (geo, a, in - 1, out - 1);
  else
    cfm_op_scale_stride (geo, a, in, out);
  geo->stride[a] = stride;   /* the step itself, where the fraction is near */
}

static void
resize_geometry (const CfmGraph *g, const CfmNode *node,
                 CfmGraphGeometry *geo)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  const CfmValue *out = &g->values[node->outputs[0]];

  resize_geometry_axis (node, geo, 0, in->h, out->h, node->alpha);
  resize_geometry_axis (node, geo, 1, in->w, out->w, node->beta);
}

/* Each output pixel's gradient to the (up to four) input pixels it was
 * interpolated from, by their weights (nearest: to the one it copies). */
static CfmStatus
resize_backward (const CfmGraph *g, const CfmNode *node,
                 const CfmOpGrad *grad, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  const CfmValue *out = &g->values[node->outputs[0]];
  size_t plane = (size_t) in->h * in->w, oplane = (size_t) out->h * out->w;
  int x, y, ch;

  (void) err;
  for (y = 0; y < out->h && grad->grad_in[0]; y++)
    {
      int y0, y1;
      float ty;

      taps (node, y, in->h, out->h, node->alpha, &y0, &y1, &ty);
      for (x = 0; x < out->w; x++)
        {
          int x0, x1;
          float tx;

          taps (node, x, in->w, out->w, node->beta, &x0, &x1, &tx);
          for (ch = 0; ch < in->c; ch++)
            {
              float go = grad->grad_out[ch * oplane + (size_t) y * out->w + x];
              float *gi = grad->grad_in[0] + ch * plane;

              gi[(size_t) y0 * in->w + x0] += go * (1.0f - ty) * (1.0f - tx);
              gi[(size_t) y0 * in->w + x1] += go * (1.0f - ty) * tx;
              gi[(size_t) y1 * in->w + x0] += go * ty * (1.0f - tx);
              gi[(size_t) y1 * in->w + x1] += go * ty * tx;
            }
        }
    }
  return CFM_OK;
}

static const char *const onnx_types[] = { "Resize", "Upsample", NULL };
static const char *const modules[] = { "Upsample", "UpsamplingNearest2d",
                                       "UpsamplingBilinear2d", NULL };

const CfmOp cfm_op_resize = {
  .name = "Resize",
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = resize_from_onnx,
  .from_text = resize_from_text,
  .shape = resize_shape,
  .input_rows = resize_rows,
  .run = resize_run,
  .backward = resize_backward,
  .geometry = resize_geometry,
};
