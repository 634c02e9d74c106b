/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_slice.c: Slice and Split along the channels (x.chunk (2, 1): a
 * ShuffleNet unit's two halves), and Slice of a constant along one axis
 * (shape arithmetic, computed before the run: F.pad's pads reversed). */
#include "cfm_op.h"

#include <string.h>

static int
slice_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  (void) w;
  node->axis = (int) attr_int (src, "axis", 0);
  node->n_ints = buf_is (src->op, "Split")
                 ? attr_ints (src, "split", node->ints, 8) : -1;
  if (node->n_ints == -2 || attr (src, "starts"))
    return cfm_op_refuse (node, "a Slice or Split of opset 9 or more than "
                          "8 parts");
  return 1;
}

static int
is_split (const CfmNode *node)
{
  return strcmp (node->type, "Split") == 0;
}

/* Past any length: an end left out. */
#define INDEX_LIMIT ((int64_t) 1 << 40)

/* The value of constant input I at J (cfm_op_index), or DEF when it is
 * left out. */
static int64_t
input_at (const CfmGraph *g, const CfmNode *node, int i, size_t j,
          int64_t def)
{
  const CfmValue *v = cfm_op_input (g, node, i);

  if (v == NULL || v->kind != CFM_VALUE_CONST || j >= v->tensor->count)
    return def;
  return cfm_op_index (v->tensor->data[j]);
}

/* Slice's [*START, *END) by *STEP along its one axis of length N. */
static int
slice_range (const CfmGraph *g, const CfmNode *node, int64_t n, int *axis,
             int64_t *start, int64_t *end, int64_t *step)
{
  const CfmValue *starts = cfm_op_input (g, node, 1);

  if (starts == NULL || starts->kind != CFM_VALUE_CONST
      || starts->tensor->count != 1)
    return 0;
  *axis = (int) input_at (g, node, 3, 0, 0);
  *step = input_at (g, node, 4, 0, 1);
  *start = input_at (g, node, 1, 0, 0);
  *end = input_at (g, node, 2, 0, INDEX_LIMIT);
  if (*step == 0)
    return 0;
  *start += *start < 0 ? n : 0;
  *end += *end < 0 ? n : 0;
  if (*step > 0)
    {
      *start = *start < 0 ? 0 : *start > n ? n : *start;
      *end = *end < 0 ? 0 : *end > n ? n : *end;
    }
  else
    {
      *start = *start < 0 ? -1 : *start > n - 1 ? n - 1 : *start;
      *end = *end < -1 ? -1 : *end > n - 1 ? n - 1 : *end;
    }
  return 1;
}

static CfmStatus
slice_fold (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  const CfmTensor *t = in->tensor;
  int64_t start, end, step, n, i, dims[CFM_TENSOR_MAX_DIMS];
  size_t outer = 1, inner = 1, o, k;
  int axis = 0, d;
  float *out;
  CfmStatus status;

  if (is_split (node) || !cfm_op_inputs_constant (g, node))
    return CFM_OK;
  axis = (int) input_at (g, node, 3, 0, 0);
  axis += axis < 0 ? t->ndim : 0;
  if (t->ndim < 1 || axis < 0 || axis >= t->ndim
      || !slice_range (g, node, t->shape[axis], &axis, &start, &end, &step))
    return cfm_error_set (err, CFM_ERR_ARG, "%s (Slice): a constant sliced "
                          "along one axis is taken", node->name);
  axis += axis < 0 ? t->ndim : 0;
  n = step > 0 ? (end > start ? (end - start + step - 1) / step : 0)
               : (start > end ? (start - end - step - 1) / -step : 0);
  for (d = 0; d < t->ndim; d++)   /* a constant's dims: within the limit */
    {
      dims[d] = d == axis ? n : t->shape[d];
      if (d < axis)
        outer *= (size_t) t->shape[d];
      else if (d > axis)
        inner *= (size_t) t->shape[d];
    }
  status = cfm_op_fold_output (g, node, 0, t->ndim, dims, in->integer, &out,
                               err);
  for (o = 0; o < outer && status == CFM_OK; o++)   /* start + i * step */
    for (i = 0; i < n; i++)                         /* stays in range */
      for (k = 0; k < inner; k++)
        out[(o * (size_t) n + (size_t) i) * inner + k]
          = t->data[(o * (size_t) t->shape[axis]
                     + (size_t) (start + i * step)) * inner + k];
  return status;
}

/* Split's parts: the attribute, input 1, or equal parts. */
static CfmStatus
split_parts (const CfmGraph *g, CfmNode *node, int c, CfmError *err)
{
  int k, total = 0;

  for (k = 0; k < node->n_outputs; k++)
    {
      int64_t part = node->n_ints >= 0 ? (k < node->n_ints ? node->ints[k] : 0)
                     : input_at (g, node, 1, (size_t) k,
                                 c / node->n_outputs);

      if (part < 0 || part > c)
        part = -1;
      node->splits[k] = (int) part;
      total += part < 0 ? c + 1 : (int) part;
    }
  if (total != c)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (Split): its parts do not "
                          "add up to its %d channels", node->name, c);
  return CFM_OK;
}

static CfmStatus
slice_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  int64_t start, end, step;
  int axis, k;
  CfmStatus status;

  if (in->rank != 4)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s) takes maps", node->name,
                          node->type);
  if (is_split (node))
    {
      if (node->axis != 1 && node->axis != -3)
        return cfm_error_set (err, CFM_ERR_ARG, "%s (Split): only channels "
                              "are split, not axis %d", node->name,
                              node->axis);
      status = split_parts (g, node, in->c, err);
      for (k = 0; k < node->n_outputs && status == CFM_OK; k++)
        cfm_op_set_shape (g, node, k, 4, node->splits[k], in->h, in->w);
      return status;
    }
  if (!slice_range (g, node, in->c, &axis, &start, &end, &step)
      || (axis != 1 && axis != -3) || step != 1 || end <= start)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (Slice): only a range of "
                          "channels is sliced from a map", node->name);
  node->splits[0] = (int) start;
  cfm_op_set_shape (g, node, 0, 4, (int) (end - start), in->h, in->w);
  return CFM_OK;
}

static CfmStatus
slice_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
           CfmError *err)
{
  const CfmBand *in = &run->in[0];
  size_t row = (size_t) in->w, off = (size_t) (run->o0 - in->row0) * row;
  int k, ch, first = is_split (node) ? 0 : node->splits[0];

  (void) err;
  for (k = 0; k < node->n_outputs; k++)
    {
      int n = g->values[node->outputs[k]].c;

      for (ch = 0; ch < n; ch++)
        memcpy (run->out[k] + ch * run->plane[k],
                in->data + (size_t) (first + ch) * cfm_band_plane (in) + off,
                (size_t) run->on * row * sizeof (float));
      first += n;
    }
  return CFM_OK;
}

/* Each part's gradient to the channels it took. */
static CfmStatus
slice_backward (const CfmGraph *g, const CfmNode *node,
                const CfmOpGrad *grad, CfmError *err)
{
  const CfmValue *in = &g->values[node->inputs[0]];
  size_t plane = (size_t) in->h * in->w, j;
  int k, first = is_split (node) ? 0 : node->splits[0];

  (void) err;
  for (k = 0; k < node->n_outputs; k++)
    {
      const float *go = grad->grad_outs ? grad->grad_outs[k] : grad->grad_out;
      size_t n = (size_t) g->values[node->outputs[k]].c * plane;
      float *gi = grad->grad_in[0] ? grad->grad_in[0] + first * plane : NULL;

      for (j = 0; j < n && gi && go; j++)
        gi[j] += go[j];
      first += g->values[node->outputs[k]].c;
    }
  return CFM_OK;
}

static const char *const onnx_types[] = { "Slice", "Split", NULL };

const CfmOp cfm_op_slice = {
  .name = "Slice",
  .onnx = onnx_types,
  .from_onnx = slice_from_onnx,
  .shape = slice_shape,
  .run = slice_run,
  .fold = slice_fold,
  .backward = slice_backward,
};
