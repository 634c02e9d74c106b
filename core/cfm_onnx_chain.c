/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_onnx_chain.c: an ONNX graph's chain of nodes as a network: Conv,
 * BatchNormalization, the activations, pooling, the Pad PyTorch's exporter
 * writes before an AveragePool and before a Conv of reflect or replicate
 * padding, Identity and Dropout, named by the module paths of their scope
 * names (its API: cfm_onnx_graph.h). */
#include "cfm_onnx_graph.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The weights as the chain reads them: a tensor is loaded when a node of
 * the chain reads it, and the first tensor that cannot be loaded (a NaN)
 * ends the chain with its message. */
typedef struct
{
  CfmTensorSet *set;
  CfmError     *err;
  CfmStatus     status;
} Weights;

/* The tensor NAME, loaded, or NULL. */
static const CfmTensor *
tensor_of (Weights *w, Buf name)
{
  char s[256];
  const CfmTensor *t;

  if (name.p == NULL || name.end - name.p >= (long) sizeof s)
    return NULL;
  snprintf (s, sizeof s, "%.*s", (int) (name.end - name.p), name.p);
  t = cfm_tensors_find (w->set, s);
  if (t == NULL || w->status != CFM_OK)
    return NULL;
  w->status = cfm_tensors_load (w->set, t, w->err);
  return w->status == CFM_OK ? t : NULL;
}

/* The module path of node name NAME ("/features/features.3/Conv" ->
 * "features.3"), or the node name itself. */
static void
module_path (Buf name, char *out)
{
  const unsigned char *last = NULL, *before = NULL, *q;

  for (q = name.p; q < name.end; q++)
    if (*q == '/')
      {
        before = last;
        last = q;
      }
  if (before && last > before + 1)
    snprintf (out, CFM_NETWORK_NAME_MAX, "%.*s", (int) (last - before - 1),
              before + 1);
  else
    snprintf (out, CFM_NETWORK_NAME_MAX, "%.*s", (int) (name.end - name.p),
              name.p);
}

/* Kernel, strides, pads (symmetric) and dilations of node N into M. */
static int
window (const Node *n, CfmModule *m, const CfmTensor *weight)
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

    return ap == NULL || buf_is (ap->s, "NOTSET") || buf_is (ap->s, "VALID");
  }
}

static int
make_conv (const Node *n, Weights *w, CfmModule *m)
{
  const CfmTensor *weight = tensor_of (w, n->input[1]);
  const CfmTensor *bias = n->n_in > 2 ? tensor_of (w, n->input[2]) : NULL;
  int64_t group = attr_int (n, "group", 1);

  if (weight == NULL || weight->ndim != 4 || group < 1 || group > 1 << 16
      || !window (n, m, weight) || weight->shape[2] != m->k[0]
      || weight->shape[3] != m->k[1] || weight->shape[0] % group
      || weight->shape[0] < 1 || weight->shape[1] < 1
      || weight->shape[0] > 1 << 20 || weight->shape[1] > 1 << 20
      || (bias && (bias->ndim != 1 || bias->shape[0] != weight->shape[0])))
    return 0;
  m->kind = CFM_MODULE_CONV;
  m->groups = (int) group;
  m->out_c = (int) weight->shape[0];
  m->in_c = (int) weight->shape[1] * m->groups;
  m->weight = weight->data;
  m->bias = bias ? bias->data : NULL;
  m->has_bias = bias != NULL;
  m->pad_mode = CFM_PAD_ZEROS;
  return 1;
}

static int
make_batchnorm (const Node *n, Weights *w, CfmModule *m)
{
  const CfmTensor *t[4];
  int i;

  if (n->n_in < 5 && n->n_in != 4)
    return 0;
  for (i = 0; i < 4; i++)
    {
      t[i] = i + 1 < n->n_in ? tensor_of (w, n->input[i + 1]) : NULL;
      if (t[i] == NULL || t[i]->ndim != 1 || t[i]->shape[0] != t[0]->shape[0])
        return 0;
    }
  m->kind = CFM_MODULE_BATCHNORM;
  m->features = (int) t[0]->shape[0];
  m->weight = t[0]->data;
  m->bias = t[1]->data;
  m->mean = t[2]->data;
  m->var = t[3]->data;
  m->has_bias = 1;
  {
    const Attr *e = attr (n, "epsilon");

    m->eps = e ? e->f : 1e-5f;
  }
  return m->eps >= 0.0f;
}

/* A scalar Clip bound from input K (a Constant or initializer), or DEF. */
static float
clip_bound (const Node *n, Weights *w, int k, float def)
{
  const CfmTensor *t = k < n->n_in ? tensor_of (w, n->input[k]) : NULL;

  return t && t->count == 1 ? t->data[0] : def;
}

static int
make_function (const Node *n, Weights *w, CfmModule *m)
{
  const Attr *a = attr (n, "alpha");

  m->kind = CFM_MODULE_FUNCTION;
  if (buf_is (n->op, "Relu"))
    m->fn = CFM_FN_RELU;
  else if (buf_is (n->op, "LeakyRelu"))
    m->fn = CFM_FN_LEAKY_RELU, m->alpha = a ? a->f : 0.01f;
  else if (buf_is (n->op, "Elu"))
    m->fn = CFM_FN_ELU, m->alpha = a ? a->f : 1.0f;
  else if (buf_is (n->op, "Sigmoid"))
    m->fn = CFM_FN_SIGMOID;
  else if (buf_is (n->op, "Tanh"))
    m->fn = CFM_FN_TANH;
  else if (buf_is (n->op, "Clip"))
    {
      const Attr *lo = attr (n, "min"), *hi = attr (n, "max");

      m->lo = lo ? lo->f : clip_bound (n, w, 1, -INFINITY);
      m->hi = hi ? hi->f : clip_bound (n, w, 2, INFINITY);
      m->fn = m->lo == 0.0f && m->hi == 6.0f ? CFM_FN_RELU6 : CFM_FN_HARDTANH;
    }
  else
    return 0;
  return 1;
}

static int
make_pool (const Node *n, CfmModule *m)
{
  m->kind = buf_is (n->op, "MaxPool") ? CFM_MODULE_MAXPOOL
                                      : CFM_MODULE_AVGPOOL;
  m->ceil_mode = attr_int (n, "ceil_mode", 0) != 0;
  m->count_include_pad = attr_int (n, "count_include_pad", 0) != 0;
  return window (n, m, NULL) && (m->kind == CFM_MODULE_MAXPOOL
                                 || (m->dil[0] == 1 && m->dil[1] == 1));
}

/* The padding mode of Pad node PAD (a constant one of zeros, "reflect" or
 * "edge"), or -1. */
static int
pad_mode (const Node *pad, Weights *w)
{
  const Attr *mode = attr (pad, "mode");

  if (mode == NULL || buf_is (mode->s, "constant"))
    return clip_bound (pad, w, 2, 0.0f) == 0.0f ? CFM_PAD_ZEROS : -1;
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
static int
merge_pad (const Node *pad, const Node *next, Weights *w,
           CfmModule *m)
{
  const CfmTensor *pads = pad->n_in > 1 ? tensor_of (w, pad->input[1]) : NULL;
  int mode = pad_mode (pad, w);

  if (pads == NULL || pads->count != 8 || mode < 0
      || pads->data[0] || pads->data[1] || pads->data[4] || pads->data[5]
      || pads->data[2] != pads->data[6] || pads->data[3] != pads->data[7]
      || pads->data[2] < 0 || pads->data[3] < 0 || pads->data[2] > 1 << 16
      || pads->data[3] > 1 << 16)
    return 0;
  if (buf_is (next->op, "Conv"))
    {
      if (!make_conv (next, w, m) || m->pad[0] || m->pad[1])
        return 0;
      m->pad_mode = (CfmPadMode) mode;
    }
  else if (!make_pool (next, m) || m->kind != CFM_MODULE_AVGPOOL
           || m->pad[0] || m->pad[1] || mode != CFM_PAD_ZEROS)
    return 0;
  else
    m->count_include_pad = 1;
  m->pad[0] = (int) pads->data[2];
  m->pad[1] = (int) pads->data[3];
  return 1;
}

/* How many nodes read the tensor NAME. */
static int
readers (const Graph *g, Buf name)
{
  int i, k, n = 0;

  for (i = 0; i < g->n; i++)
    for (k = 0; k < g->nodes[i].n_in; k++)
      n += buf_eq (g->nodes[i].input[k], name);
  return n;
}

CfmStatus
cfm_onnx_build_chain (const Graph *g, CfmTensorSet *set, CfmNetwork *net,
                      CfmError *err)
{
  Weights weights = { set, err, CFM_OK }, *w = &weights;
  Buf cur = g->input;
  int i;

  for (i = 0; i < g->n && net->ended[0] == '\0'; i++)
    {
      const Node *n = &g->nodes[i];
      CfmModule *m = &net->modules[net->n];
      int ok = 0, used = 1;

      if (n->n_in == 0 || !buf_eq (n->input[0], cur))
        continue;   /* Constants, and nodes off the chain */
      memset (m, 0, sizeof *m);
      module_path (n->name, m->name);
      snprintf (m->node, sizeof m->node, "%.*s", (int) (n->name.end - n->name.p),
                n->name.p);
      snprintf (m->type, sizeof m->type, "%.*s", (int) (n->op.end - n->op.p),
                n->op.p);
      if (readers (g, cur) > 1)
        ok = 0;   /* a branch: the chain cannot follow it */
      else if (buf_is (n->op, "Conv"))
        ok = make_conv (n, w, m);
      else if (buf_is (n->op, "BatchNormalization"))
        ok = make_batchnorm (n, w, m);
      else if (buf_is (n->op, "MaxPool") || buf_is (n->op, "AveragePool"))
        ok = make_pool (n, m);
      else if (buf_is (n->op, "Identity") || buf_is (n->op, "Dropout"))
        ok = 1, m->kind = CFM_MODULE_IDENTITY;
      else if (buf_is (n->op, "Pad") && i + 1 < g->n
               && buf_eq (g->nodes[i + 1].input[0], n->output))
        {
          const Node *next = &g->nodes[i + 1];

          ok = merge_pad (n, next, w, m);
          used = 2;
          snprintf (m->type, sizeof m->type, "%.*s",
                    (int) (next->op.end - next->op.p), next->op.p);
        }
      else
        ok = make_function (n, w, m);
      if (w->status != CFM_OK)
        return w->status;
      if (!ok)
        {
          snprintf (net->ended, sizeof net->ended, "the chain ends at node "
                    "%s (%s), which cannot be followed", m->node, m->type);
          break;
        }
      if (net->n == CFM_NETWORK_MAX_MODULES)
        return cfm_error_set (err, CFM_ERR_SIZE, "onnx: too many modules");
      net->n++;
      cur = g->nodes[i + used - 1].output;
      i += used - 1;
    }
  if (net->n == 0)
    return cfm_error_set (err, CFM_ERR_PARSE, "onnx: no node of the graph "
                          "can start a chain%s%s", net->ended[0] ? ": " : "",
                          net->ended);
  return CFM_OK;
}
