/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_onnx.c: an ONNX model's graph as it is, every node: its
 * operator from the registry (attributes and weights read by the
 * operator's file), its values by name, its module path from the scope
 * names PyTorch's exporter gives (its API: cfm_graph.h). */
#include "cfm_graph_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_op.h"

/* The value named B: a constant when the weights hold a tensor of that
 * name (loaded), else a map; -1 for an empty name (an input left out). */
/* A value of its own for output K of node I that the file leaves unnamed
 * (a MaxPool's indices): nothing reads it, and every output of a node has
 * a value; -2 when memory runs out. */
static int
unnamed_output (CfmGraph *g, int i, int k, CfmError *err)
{
  char name[48];
  int v;

  snprintf (name, sizeof name, "\x01unnamed output %d of node %d", k, i);
  v = cfm_graph_value (g, name, strlen (name));
  if (v < 0)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory"), -2;
  return v;
}

static int
value_of (CfmGraph *g, Buf b, OnnxWeights *w, CfmError *err)
{
  int v;
  const CfmTensor *t;

  if (b.p == NULL || b.p == b.end)
    return -1;
  v = cfm_graph_value (g, (const char *) b.p, (size_t) (b.end - b.p));
  if (v < 0)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory"), -2;
  if (g->values[v].kind == CFM_VALUE_CONST || v == g->input)
    return v;
  t = cfm_onnx_tensor (w, b);
  if (w->status != CFM_OK)
    return -2;
  if (t != NULL)
    {
      g->values[v].kind = CFM_VALUE_CONST;
      g->values[v].tensor = t;
      g->values[v].integer = t->src.bytes && t->src.dtype == CFM_DTYPE_INT64;
    }
  return v;
}

/* Names node N (the I-th) and its module path. */
static void
name_node (CfmNode *node, const Node *n, int i)
{
  if (n->name.p && n->name.end > n->name.p)
    snprintf (node->name, sizeof node->name, "%.*s",
              (int) (n->name.end - n->name.p), n->name.p);
  if (node->name[0] == '\0')   /* no name, or one that starts with a NUL */
    snprintf (node->name, sizeof node->name, "%.*s_%d",
              (int) (n->op.end - n->op.p), n->op.p, i);
  snprintf (node->type, sizeof node->type, "%.*s",
            (int) (n->op.end - n->op.p), n->op.p);
  cfm_onnx_module_path (n->name, node->module, sizeof node->module);
  if (strcmp (node->module, node->name) == 0 || node->name[0] != '/')
    node->module[0] = '\0';
}

/* The scope of node name NAME: up to its last '/'. */
static Buf
scope_of (Buf name)
{
  Buf s = name;

  while (s.end > s.p && s.end[-1] != '/')
    s.end--;
  return s;
}

/* Whether node I of OG is a Pad whose one reader is node I + 1, a Conv or
 * an AveragePool of the same module that takes it as its padding (merged
 * into it: PyTorch exports a Conv2d's reflect padding and an AvgPool2d's
 * padding so).  A padding module of its own (nn.ReflectionPad2d) stays a
 * node, its maps its own. */
static int
pad_merges (const Graph *og, int i, const int *readers, const CfmGraph *g,
            OnnxWeights *w)
{
  const Node *pad = &og->nodes[i], *next;
  char name[CFM_GRAPH_NAME_MAX];
  CfmModule scratch;
  int id;

  if (!buf_is (pad->op, "Pad") || i + 1 >= og->n)
    return 0;
  next = &og->nodes[i + 1];
  if (!buf_eq (next->input[0], pad->output)
      || (!buf_is (next->op, "Conv") && !buf_is (next->op, "AveragePool"))
      || !buf_eq (scope_of (pad->name), scope_of (next->name)))
    return 0;
  snprintf (name, sizeof name, "%.*s",
            (int) (pad->output.end - pad->output.p), pad->output.p);
  id = cfm_graph_find_value (g, name);
  memset (&scratch, 0, sizeof scratch);
  return id >= 0 && readers[id] == 1
         && cfm_onnx_merge_pad (pad, next, w, &scratch);
}

/* Adds node N of OG (the I-th; a merged Pad before it: PAD) to G. */
static CfmStatus
add_node (CfmGraph *g, const Node *n, const Node *pad, int i,
          OnnxWeights *w, CfmError *err)
{
  Buf io[CFM_NODE_MAX_INPUTS];
  int n_in = cfm_onnx_node_io (n, 1, io, CFM_NODE_MAX_INPUTS);
  int n_out = cfm_onnx_node_io (n, 2, io, CFM_NODE_MAX_OUTPUTS), k, ok;
  CfmNode *node;

  if (n_in < 0 || n_out < 1)
    return cfm_error_set (err, CFM_ERR_PARSE, "onnx: node %d has %s", i,
                          n_out < 1 ? "no output" : "too many inputs");
  node = cfm_graph_add_node (g, n_in, n_out, err);
  if (node == NULL)
    return err->status;
  name_node (node, n, i);
  node->op = cfm_op_for_onnx (n->op);
  cfm_onnx_node_io (n, 2, io, CFM_NODE_MAX_OUTPUTS);
  for (k = 0; k < n_out; k++)
    {
      node->outputs[k] = value_of (g, io[k], w, err);
      if (node->outputs[k] == -1)   /* an optional output left unnamed */
        node->outputs[k] = unnamed_output (g, i, k, err);
      if (node->outputs[k] < -1)
        return w->status != CFM_OK ? w->status : err->status;
    }
  cfm_onnx_node_io (n, 1, io, CFM_NODE_MAX_INPUTS);
  if (pad)
    io[0] = pad->input[0];
  for (k = 0; k < n_in; k++)
    if ((node->inputs[k] = value_of (g, io[k], w, err)) < -1)
      return w->status != CFM_OK ? w->status : err->status;
  if (node->op == NULL)
    return CFM_OK;
  ok = pad ? cfm_onnx_merge_pad (pad, n, w, &node->m)
           : node->op->from_onnx (node, n, w);
  if (w->status != CFM_OK)
    return w->status;
  if (!ok)
    node->op = NULL;
  return CFM_OK;
}

/* How many nodes of OG read each of G's values (named as they are). */
static int *
count_readers (CfmGraph *g, const Graph *og, CfmError *err)
{
  Buf io[CFM_NODE_MAX_INPUTS];
  int *readers, i, k, n;

  for (i = 0; i < og->n; i++)
    {
      n = cfm_onnx_node_io (&og->nodes[i], 1, io, CFM_NODE_MAX_INPUTS);
      for (k = 0; k < n; k++)
        if (io[k].end > io[k].p
            && cfm_graph_value (g, (const char *) io[k].p,
                                (size_t) (io[k].end - io[k].p)) < 0)
          return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory"), NULL;
    }
  readers = calloc ((size_t) g->n_values + 1, sizeof *readers);
  if (readers == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory"), NULL;
  for (i = 0; i < og->n; i++)
    {
      n = cfm_onnx_node_io (&og->nodes[i], 1, io, CFM_NODE_MAX_INPUTS);
      for (k = 0; k < n; k++)
        if (io[k].end > io[k].p)
          readers[cfm_graph_value (g, (const char *) io[k].p,
                                   (size_t) (io[k].end - io[k].p))]++;
    }
  return readers;
}

/* Whether node N's output is among the weights (a Constant's tensor, an
 * Identity's of one: the reader keeps those of floats and int64). */
static int
constant_read (const Node *n, const CfmTensorSet *weights)
{
  char name[CFM_GRAPH_NAME_MAX];

  snprintf (name, sizeof name, "%.*s", (int) (n->output.end - n->output.p),
            n->output.p);
  return n->output.p != NULL && cfm_tensors_find (weights, name) != NULL;
}

static CfmStatus
build (CfmGraph *g, const Graph *og, CfmTensorSet *weights, CfmError *err)
{
  OnnxWeights w = { weights, err, CFM_OK };
  CfmStatus status = CFM_OK;
  int *readers, i, k;

  g->input = cfm_graph_value (g, (const char *) og->input.p,
                              (size_t) (og->input.end - og->input.p));
  if (g->input < 0)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  readers = count_readers (g, og, err);
  if (readers == NULL)
    return err->status;
  for (i = 0; i < og->n && status == CFM_OK; i++)
    {
      const Node *n = &og->nodes[i];

      if ((buf_is (n->op, "Constant") || buf_is (n->op, "Identity"))
          && constant_read (n, weights))
        continue;   /* its tensor is among the weights */
      if (pad_merges (og, i, readers, g, &w))
        {
          status = add_node (g, &og->nodes[i + 1], n, i + 1, &w, err);
          i++;
        }
      else
        status = add_node (g, n, NULL, i, &w, err);
    }
  free (readers);
  g->outputs = malloc (((size_t) og->n_outputs + 1) * sizeof *g->outputs);
  if (status == CFM_OK && g->outputs == NULL)
    status = cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  for (k = 0; k < og->n_outputs && status == CFM_OK; k++)
    {
      char name[CFM_GRAPH_NAME_MAX];

      snprintf (name, sizeof name, "%.*s",
                (int) (og->outputs[k].end - og->outputs[k].p),
                og->outputs[k].p);
      if ((g->outputs[g->n_outputs] = cfm_graph_find_value (g, name)) >= 0)
        g->n_outputs++;
    }
  return status == CFM_OK ? cfm_graph_finish (g, err) : status;
}

CfmStatus
cfm_graph_read_onnx (const void *buf, size_t len, CfmGraph *g,
                     CfmTensorSet *weights, CfmError *err)
{
  Graph og;
  CfmStatus status;

  memset (g, 0, sizeof *g);
  status = cfm_onnx_parse (buf, len, &og, weights, err);
  if (status == CFM_OK)
    status = build (g, &og, weights, err);
  free (og.nodes);
  if (status != CFM_OK)
    {
      cfm_graph_free (g);
      cfm_tensors_free (weights);
    }
  return status;
}
