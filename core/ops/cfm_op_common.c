/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_common.c: what operators share: refusals, the rows a row-for-row
 * or a global operator reads, an ONNX window's attributes, and the
 * operators that run as a chain module does (their arithmetic:
 * cfm_module_run.c; their sizes: cfm_network_sizes.c). */
#include "cfm_op.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_module_run.h"
#include "cfm_network.h"
#include "cfm_network_text.h"

int
cfm_op_refuse (CfmNode *node, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (node->why, sizeof node->why, fmt, ap);
  va_end (ap);
  return 0;
}

void
cfm_op_same_rows (const CfmGraph *g, const CfmNode *node, int i, int o0,
                  int on, int *r0, int *rn)
{
  const CfmValue *v = cfm_op_input (g, node, i);

  if (v != NULL && v->h == 1)
    o0 = 0, on = 1;   /* broadcast along the rows */
  *r0 = o0;
  *rn = on;
}

void
cfm_op_all_rows (const CfmGraph *g, const CfmNode *node, int i, int o0,
                 int on, int *r0, int *rn)
{
  const CfmValue *v = cfm_op_input (g, node, i);

  (void) o0;
  (void) on;
  *r0 = 0;
  *rn = v ? v->h : 0;
}

/* Kernel, strides, pads (symmetric) and dilations of node N into M. */
int
cfm_onnx_window (const Node *n, CfmModule *m, const CfmTensor *weight)
{
  int64_t v[8];
  int k, a;

  m->k[0] = m->k[1] = 1;
  m->stride[0] = m->stride[1] = 1;
  m->dil[0] = m->dil[1] = 1;
  m->pad[0] = m->pad[1] = 0;
  if ((k = attr_ints (n, "kernel_shape", v, 8)) == 2)
    m->k[0] = (int) v[0], m->k[1] = (int) v[1];
  else if (weight && weight->ndim == 4)
    m->k[0] = (int) weight->shape[2], m->k[1] = (int) weight->shape[3];
  else
    return 0;
  if ((k = attr_ints (n, "strides", v, 8)) == 2)
    m->stride[0] = (int) v[0], m->stride[1] = (int) v[1];
  if ((k = attr_ints (n, "dilations", v, 8)) == 2)
    m->dil[0] = (int) v[0], m->dil[1] = (int) v[1];
  if ((k = attr_ints (n, "pads", v, 8)) == 4)
    {
      if (v[0] != v[2] || v[1] != v[3])
        return 0;   /* uneven padding */
      m->pad[0] = (int) v[0];
      m->pad[1] = (int) v[1];
    }
  for (a = 0; a < 2; a++)
    if (m->k[a] < 1 || m->k[a] > 1 << 16 || m->stride[a] < 1
        || m->stride[a] > 1 << 16 || m->dil[a] < 1 || m->dil[a] > 1 << 16
        || m->pad[a] < 0 || m->pad[a] > 1 << 16)
      return 0;
  {
    const Attr *ap = attr (n, "auto_pad");

    return ap == NULL || buf_is (ap->s, "NOTSET") || buf_is (ap->s, "VALID")
           || buf_is (ap->s, "SAME_UPPER") || buf_is (ap->s, "SAME_LOWER");
  }
}

int
cfm_onnx_auto_pad (const Node *n)
{
  const Attr *ap = attr (n, "auto_pad");

  return ap == NULL ? 0 : buf_is (ap->s, "SAME_UPPER") ? 1
         : buf_is (ap->s, "SAME_LOWER") ? 2 : 0;
}

/* ONNX's SAME padding of NODE for an input of H x W: the padding that
 * keeps ceil (in / stride) outputs, taken when it is even (the core pads
 * both sides alike). */
static CfmStatus
same_padding (CfmNode *node, int h, int w, CfmError *err)
{
  CfmModule *m = &node->m;
  int in[2] = { h, w }, a;

  for (a = 0; a < 2; a++)
    {
      long long out = (in[a] + (long long) m->stride[a] - 1) / m->stride[a];
      long long total = (out - 1) * m->stride[a]
                        + (long long) m->dil[a] * (m->k[a] - 1) + 1 - in[a];

      total = total > 0 ? total : 0;
      if (total % 2)
        return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): auto_pad SAME "
                              "pads one side more than the other here (%lld "
                              "in all), which the core does not compute",
                              node->name, node->type, total);
      m->pad[a] = (int) (total / 2);
    }
  return CFM_OK;
}

/* A scalar from input K of node N (a Constant or initializer), or DEF. */
float
cfm_onnx_scalar (const Node *n, OnnxWeights *w, int k, float def)
{
  const CfmTensor *t = k < n->n_in ? cfm_onnx_tensor (w, n->input[k]) : NULL;

  return t && t->count == 1 ? t->data[0] : def;
}

CfmStatus
cfm_op_module_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  int c, h, w;
  CfmStatus status;

  if (in->rank != 4)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s) takes maps, its input "
                          "is a vector", node->name, node->type);
  if (node->auto_pad
      && (status = same_padding (node, in->h, in->w, err)) != CFM_OK)
    return status;
  status = cfm_module_size (&node->m, in->c, in->h, in->w, &c, &h, &w, err);
  if (status == CFM_OK)
    cfm_op_set_shape (g, node, 0, 4, c, h, w);
  return status;
}

void
cfm_op_module_rows (const CfmGraph *g, const CfmNode *node, int i, int o0,
                    int on, int *r0, int *rn)
{
  cfm_module_input_rows (&node->m, cfm_op_input (g, node, i)->h, o0, on, r0,
                         rn);
}

CfmStatus
cfm_op_module_run (const CfmGraph *g, const CfmNode *node,
                   const CfmOpRun *run, CfmError *err)
{
  const CfmValue *out = &g->values[node->outputs[0]];
  CfmModuleDest dest = { run->out[0], NULL, run->plane[0], CFM_ACT_NONE,
                         0.0f, run->packed };

  if (run->then)   /* the activation alone where the maps go, or both */
    dest.act = run->then_out ? run->then_out : run->out[0];
  return cfm_module_run (&node->m, &run->in[0], &dest,
                         run->then ? &run->then->m : NULL, run->o0, run->on,
                         out->w, err);
}

CfmStatus
cfm_op_module_from_text (CfmNode *node, char *args, CfmTensorSet *w,
                         CfmError *err)
{
  int usable;
  CfmStatus status = cfm_text_read_module (&node->m, args, &usable, err);

  if (status != CFM_OK)
    return status;
  if (!usable)
    {
      cfm_op_refuse (node, "%s (%s) has settings the core does not compute",
                     node->m.name, node->m.type);
      return CFM_OK;
    }
  return cfm_module_bind (&node->m, w, err);
}

int
cfm_op_module_fuses (const CfmNode *node, const CfmNode *next)
{
  /* NEXT runs its module (an activation's function), not another
   * operator whose module fields a file may have filled */
  return next->op != NULL && next->op->run == cfm_op_module_run
         && next->n_outputs == 1 && cfm_module_fuses (&node->m, &next->m);
}

int
cfm_op_inputs_constant (const CfmGraph *g, const CfmNode *node)
{
  int k;

  for (k = 0; k < node->n_inputs; k++)
    {
      const CfmValue *v = cfm_op_input (g, node, k);

      if (v && v->kind != CFM_VALUE_CONST)
        return 0;
    }
  return 1;
}

int
cfm_op_dims (const CfmValue *v, int64_t *dims)
{
  int i;

  if (v->kind == CFM_VALUE_CONST)
    {
      for (i = 0; i < v->tensor->ndim; i++)
        dims[i] = v->tensor->shape[i];
      return v->tensor->ndim;
    }
  dims[0] = 1;
  if (v->rank == 2)
    {
      dims[1] = v->c;
      return 2;
    }
  if (v->rank == 5)
    {
      dims[1] = v->c_split;
      dims[2] = v->c / v->c_split;
      dims[3] = v->h;
      dims[4] = v->w;
      return 5;
    }
  if (v->channels_last)   /* N x H x W x C in the file's eyes */
    {
      dims[1] = v->h;
      dims[2] = v->w;
      dims[3] = v->c;
      return 4;
    }
  dims[1] = v->c;
  dims[2] = v->h;
  dims[3] = v->w;
  return 4;
}

CfmStatus
cfm_op_copy_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
                 CfmError *err)
{
  const CfmBand *in = &run->in[0];
  int k, ch;

  (void) g;
  (void) err;
  for (k = 0; k < node->n_outputs; k++)
    for (ch = 0; ch < in->c; ch++)
      memcpy (run->out[k] + ch * run->plane[k],
              in->data + ch * cfm_band_plane (in)
              + (size_t) (run->o0 - in->row0) * in->w,
              (size_t) run->on * in->w * sizeof (float));
  return CFM_OK;
}

CfmStatus
cfm_op_module_backward (const CfmGraph *g, const CfmNode *node,
                        const CfmOpGrad *grad, CfmError *err)
{
  const CfmValue *in = &g->values[node->inputs[0]];
  const CfmValue *out = &g->values[node->outputs[0]];
  CfmModuleGrad mg = { grad->in[0], in->c, in->h, in->w, grad->grad_out,
                       out->c, out->h, out->w, grad->grad_in[0] };

  if (grad->grad_in[0] == NULL)
    return CFM_OK;
  return cfm_module_backward (&node->m, &mg, err);
}

CfmStatus
cfm_op_copy_backward (const CfmGraph *g, const CfmNode *node,
                      const CfmOpGrad *grad, CfmError *err)
{
  const CfmValue *in = &g->values[node->inputs[0]];
  const CfmValue *out = &g->values[node->outputs[0]];
  size_t n = (size_t) in->c * in->h * in->w, i;

  /* a map whose channels are last, made a vector, is read in another
   * order than it is held */
  if (in->channels_last && out->rank != in->rank)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): no backward step for "
                          "a map whose channels are last", node->name,
                          node->type);
  if (grad->grad_in[0])
    for (i = 0; i < n; i++)
      grad->grad_in[0][i] += grad->grad_out[i];
  return CFM_OK;
}

CfmStatus
cfm_op_copy_fold (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);
  float *out;
  CfmStatus status;

  if (!cfm_op_inputs_constant (g, node))
    return CFM_OK;
  status = cfm_op_fold_output (g, node, 0, in->tensor->ndim,
                               in->tensor->shape, in->integer, &out, err);
  if (status == CFM_OK)
    memcpy (out, in->tensor->data, in->tensor->count * sizeof (float));
  return status;
}

void
cfm_op_size_constant (CfmValue *v)
{
  const CfmTensor *t = v->tensor;
  int64_t d[3] = { 1, 1, 1 };
  int i;

  v->rank = 4;
  v->c = v->h = v->w = 0;
  if (v->along_channels && t->ndim == 1 && t->shape[0] <= 1 << 24)
    {   /* a printed module's per-channel parameter (PReLU's weight) */
      v->c = (int) t->shape[0];
      v->h = v->w = 1;
      return;
    }
  for (i = 0; i < t->ndim - 3; i++)
    if (t->shape[i] != 1)
      return;
  for (i = 0; i < 3 && i < t->ndim; i++)
    d[2 - i] = t->shape[t->ndim - 1 - i];
  if (d[0] > 1 << 24 || d[1] > 1 << 24 || d[2] > 1 << 24)
    return;
  v->c = (int) d[0];
  v->h = (int) d[1];
  v->w = (int) d[2];
}

void
cfm_op_unfold (CfmValue *v)
{
  CfmTensor *t = (CfmTensor *) v->tensor;

  if (!v->folded)
    return;
  free (t->owned);
  free (t);
  v->tensor = NULL;
  v->folded = 0;
  v->integer = 0;
  v->kind = CFM_VALUE_MAP;
}

CfmStatus
cfm_op_fold_output (CfmGraph *g, const CfmNode *node, int k, int ndim,
                    const int64_t *shape, int integer, float **data,
                    CfmError *err)
{
  CfmValue *v = &g->values[node->outputs[k]];
  CfmTensor *t;
  size_t count = 1;
  int i;

  if (ndim < 0 || ndim > CFM_TENSOR_MAX_DIMS)
    return cfm_error_set (err, CFM_ERR_SIZE, "%s (%s): a constant of %d "
                          "dimensions", node->name, node->type, ndim);
  for (i = 0; i < ndim; i++)
    if (shape[i] < 0 || shape[i] > CFM_FOLD_MAX
        || !cfm_size_mul (count, (size_t) shape[i], &count)
        || count > CFM_FOLD_MAX)
      return cfm_error_set (err, CFM_ERR_SIZE, "%s (%s): a constant of more "
                            "than %d values", node->name, node->type,
                            CFM_FOLD_MAX);
  cfm_op_unfold (v);
  t = calloc (1, sizeof *t);
  if (t == NULL || (t->owned = calloc (count + 1, sizeof (float))) == NULL)
    {
      free (t);
      return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
    }
  t->ndim = ndim;
  for (i = 0; i < ndim; i++)
    t->shape[i] = shape[i];
  t->count = count;
  t->data = t->owned;
  t->loaded = 1;
  v->tensor = t;
  v->kind = CFM_VALUE_CONST;
  v->folded = 1;
  v->integer = integer;
  cfm_op_size_constant (v);
  *data = t->owned;
  return CFM_OK;
}

CfmStatus
cfm_op_vector_run (const CfmGraph *g, const CfmNode *node,
                   const CfmOpRun *run, CfmError *err)
{
  const CfmBand *in = &run->in[0];
  size_t k = 0;
  int ch, y, x;

  (void) g;
  (void) node;
  (void) err;
  for (ch = 0; ch < in->c; ch++)
    for (y = 0; y < in->h; y++)
      for (x = 0; x < in->w; x++)
        run->out[0][k++ * run->plane[0]]
          = in->data[ch * cfm_band_plane (in)
                     + (size_t) (y - in->row0) * in->w + x];
  return CFM_OK;
}

int64_t
cfm_op_index (float d)
{
  const int64_t limit = (int64_t) 1 << 40;

  return d != d ? 0 : d >= (float) limit ? limit
         : d <= -(float) limit ? -limit : (int64_t) d;
}
