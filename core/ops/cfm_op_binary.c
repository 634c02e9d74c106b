/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_binary.c: Add, Sub, Mul, Div and Pow of two maps with broadcasting
 * as NumPy's rules give it over channels, rows and columns (a residual
 * add, a squeeze-excitation gate per channel, a scalar), and PRelu, whose
 * slopes broadcast so too. */
#include "cfm_op.h"

#include <math.h>
#include <string.h>

typedef enum { ADD, SUB, MUL, DIV, PRELU, POW } Arith;

static Arith
arith_of (const CfmNode *node)
{
  static const struct { const char *type; Arith op; } ops[] = {
    { "Add", ADD }, { "Sub", SUB }, { "Mul", MUL }, { "PRelu", PRELU },
    { "PReLU", PRELU }, { "Pow", POW },
  };
  size_t i;

  for (i = 0; i < sizeof ops / sizeof *ops; i++)
    if (strcmp (node->type, ops[i].type) == 0)
      return ops[i].op;
  return DIV;
}

static int
binary_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) src;
  (void) w;
  if (node->n_inputs != 2 || node->inputs[0] < 0 || node->inputs[1] < 0)
    return cfm_op_refuse (node, "it has %d inputs, not 2", node->n_inputs);
  return 1;
}

/* The broadcast of lengths A and B, or -1. */
static int
broadcast (int a, int b)
{
  return a == b || b == 1 ? a : a == 1 ? b : -1;
}

/* Whether constant tensor T has one dimension past 1, its last. */
static int
along_last (const CfmTensor *t)
{
  int i;

  for (i = 0; i + 1 < t->ndim; i++)
    if (t->shape[i] != 1)
      return 0;
  return t->count <= 1 << 24;
}

/* A constant beside a vector or a map whose channels are last: its last
 * dimension along their channels (NumPy aligns the last dimensions). */
static void
align_constant (CfmValue *v, const CfmValue *other)
{
  const CfmTensor *t = v->tensor;

  if (v->kind != CFM_VALUE_CONST
      || !(other->rank == 2 || (other->rank == 4 && other->channels_last))
      || t->ndim > (other->rank == 2 ? 2 : 4) || !along_last (t))
    return;
  v->rank = 2;
  v->c = (int) t->count;
  v->h = v->w = 1;
}

static CfmStatus
binary_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  CfmValue *a = &g->values[node->inputs[0]], *b = &g->values[node->inputs[1]];
  int c, h;
  int w;

  if (a->kind == CFM_VALUE_MAP && b->kind == CFM_VALUE_MAP
      && a->channels_last != b->channels_last)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): one input has its "
                          "channels last and the other not", node->name,
                          node->type);
  align_constant (a, b);
  align_constant (b, a);
  c = broadcast (a->c, b->c);
  h = broadcast (a->h, b->h);
  w = broadcast (a->w, b->w);
  if (c < 0 || h < 0 || w < 0)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): inputs of %d x %d x %d "
                          "and %d x %d x %d do not broadcast", node->name,
                          node->type, a->c, a->h, a->w, b->c, b->h, b->w);
  cfm_op_set_shape (g, node, 0, a->rank > b->rank ? a->rank : b->rank, c, h,
                    w);
  return CFM_OK;
}

/* Row Y of channel CH of input BAND (broadcast along what it has one
 * of). */
static const float *
row_of (const CfmBand *band, int ch, int y)
{
  return band->data + (size_t) (band->c == 1 ? 0 : ch) * cfm_band_plane (band)
         + (size_t) ((band->h == 1 ? 0 : y) - band->row0) * band->w;
}

#define ROW_LOOP(EXPR)                                                      \
  for (x = 0; x < w; x++)                                                   \
    {                                                                       \
      float u = a[sa * x], v = b[sb * x];                                   \
      o[x] = EXPR;                                                          \
    }

static CfmStatus
binary_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
            CfmError *err)
{
  const CfmValue *out = &g->values[node->outputs[0]];
  const CfmBand *ia = &run->in[0], *ib = &run->in[1];
  int sa = ia->w == 1 ? 0 : 1, sb = ib->w == 1 ? 0 : 1, w = out->w;
  Arith op = arith_of (node);
  int ch, y, x;

  (void) err;
  for (ch = 0; ch < out->c; ch++)
    for (y = run->o0; y < run->o0 + run->on; y++)
      {
        const float *a = row_of (ia, ch, y), *b = row_of (ib, ch, y);
        float *o = run->out[0] + ch * run->plane[0]
                   + (size_t) (y - run->o0) * w;

        switch (op)
          {
          case ADD: ROW_LOOP (u + v); break;
          case SUB: ROW_LOOP (u - v); break;
          case MUL: ROW_LOOP (u * v); break;
          case PRELU: ROW_LOOP (u > 0.0f ? u : u * v); break;
          case POW: ROW_LOOP (v == 2.0f ? u * u : powf (u, v)); break;
          default: ROW_LOOP (u / v); break;
          }
      }
  return CFM_OK;
}

/* Constants A and B broadcast against each other (NumPy's rule, the last
 * dimensions aligned) into OUT's NDIM dimensions; 0 when they do not. */
static int
broadcast_dims (const CfmTensor *a, const CfmTensor *b, int64_t *out,
                int *ndim)
{
  int i;

  *ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
  for (i = 0; i < *ndim; i++)
    {
      int64_t da = i < *ndim - a->ndim ? 1 : a->shape[i - (*ndim - a->ndim)];
      int64_t db = i < *ndim - b->ndim ? 1 : b->shape[i - (*ndim - b->ndim)];

      if (da != db && da != 1 && db != 1)
        return 0;
      out[i] = da == 1 ? db : da;
    }
  return 1;
}

/* The index into T (broadcast into NDIM dimensions DIMS) of the output's
 * value I. */
static size_t
broadcast_index (const CfmTensor *t, const int64_t *dims, int ndim, size_t i)
{
  size_t at = 0, stride = 1;
  int d;

  for (d = ndim - 1; d >= 0; d--)
    {
      int td = d - (ndim - t->ndim);
      size_t coord = i % (size_t) dims[d];

      i /= (size_t) dims[d];
      if (td >= 0)
        {
          at += (t->shape[td] == 1 ? 0 : coord) * stride;
          stride *= (size_t) t->shape[td];
        }
    }
  return at;
}

/* Two constants (shape arithmetic), before the run: integers divide
 * whole, as ONNX's integer Div. */
static CfmStatus
binary_fold (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *va = cfm_op_input (g, node, 0);
  const CfmValue *vb = cfm_op_input (g, node, 1);
  int64_t dims[CFM_TENSOR_MAX_DIMS];
  int ndim, integer;
  Arith op = arith_of (node);
  float *out;
  size_t i;
  CfmStatus status;

  if (!cfm_op_inputs_constant (g, node))
    return CFM_OK;
  if (!broadcast_dims (va->tensor, vb->tensor, dims, &ndim))
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): constants that do not "
                          "broadcast", node->name, node->type);
  integer = va->integer && vb->integer;
  status = cfm_op_fold_output (g, node, 0, ndim, dims, integer, &out, err);
  for (i = 0; status == CFM_OK && i < cfm_op_output (g, node, 0)->tensor->count;
       i++)
    {
      double u = va->tensor->data[broadcast_index (va->tensor, dims, ndim, i)];
      double v = vb->tensor->data[broadcast_index (vb->tensor, dims, ndim, i)];
      double r = op == ADD ? u + v : op == SUB ? u - v : op == MUL ? u * v
                 : op == PRELU ? (u > 0.0 ? u : u * v)
                 : op == POW ? pow (u, v)
                 : v != 0.0 ? u / v : 0.0;

      out[i] = (float) (integer && op == DIV ? trunc (r) : r);
    }
  return status;
}

/* Where output value (CH, Y, X) reads value V (broadcast along what it has
 * one of), in V's whole maps. */
static size_t
whole_index (const CfmValue *v, int ch, int y, int x)
{
  return ((size_t) (v->c == 1 ? 0 : ch) * v->h + (v->h == 1 ? 0 : y))
         * v->w + (v->w == 1 ? 0 : x);
}

/* The gradient of U op V with respect to U (*DU) and to V (*DV). */
static void
partials (Arith op, float u, float v, float *du, float *dv)
{
  switch (op)
    {
    case ADD: *du = 1.0f; *dv = 1.0f; break;
    case SUB: *du = 1.0f; *dv = -1.0f; break;
    case MUL: *du = v; *dv = u; break;
    case PRELU: *du = u > 0.0f ? 1.0f : v; *dv = u > 0.0f ? 0.0f : u; break;
    case POW:
      *du = v * powf (u, v - 1.0f);
      *dv = u > 0.0f ? powf (u, v) * logf (u) : 0.0f;
      break;
    default: *du = 1.0f / v; *dv = -u / (v * v); break;
    }
}

/* Each output value's gradient to the input values it read: summed over
 * what an input was broadcast along (a squeeze-excitation gate's channel
 * gathers its whole map's).  Maps whose channels are last are held as
 * any map, a constant beside them sized along their channels
 * (align_constant), so they index alike. */
static CfmStatus
binary_backward (const CfmGraph *g, const CfmNode *node,
                 const CfmOpGrad *grad, CfmError *err)
{
  const CfmValue *out = &g->values[node->outputs[0]];
  const CfmValue *va = &g->values[node->inputs[0]];
  const CfmValue *vb = &g->values[node->inputs[1]];
  Arith op = arith_of (node);
  size_t k = 0;
  int ch, y, x;

  (void) err;
  for (ch = 0; ch < out->c; ch++)
    for (y = 0; y < out->h; y++)
      for (x = 0; x < out->w; x++, k++)
        {
          size_t ia = whole_index (va, ch, y, x), ib = whole_index (vb, ch, y,
                                                                    x);
          float du, dv;

          partials (op, grad->in[0][ia], grad->in[1][ib], &du, &dv);
          if (grad->grad_in[0])
            grad->grad_in[0][ia] += grad->grad_out[k] * du;
          if (grad->grad_in[1])
            grad->grad_in[1][ib] += grad->grad_out[k] * dv;
        }
  return CFM_OK;
}

static const char *const onnx_types[] = { "Add", "Sub", "Mul", "Div",
                                          "PRelu", "Pow", NULL };
static const char *const modules[] = { "PReLU", NULL };

const CfmOp cfm_op_binary = {
  .name = "Binary",
  .channels_last = CFM_LAYOUT_KEPT,
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = binary_from_onnx,
  .shape = binary_shape,
  .input_rows = cfm_op_same_rows,
  .run = binary_run,
  .fold = binary_fold,
  .backward = binary_backward,
};
