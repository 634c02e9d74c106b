/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_onnx_chain.c: an ONNX graph's chain of nodes as a network: Conv,
 * BatchNormalization, the activations, pooling, the Pad PyTorch's exporter
 * writes before an AveragePool and before a Conv of reflect or replicate
 * padding, Identity and Dropout, named by the module paths of their scope
 * names (its API: cfm_onnx_graph.h). */
#include "cfm_network.h"
#include "cfm_onnx_graph.h"
#include "cfm_op.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Follows G's chain of nodes from its input into NET, with the weights
 * SET (each loaded when a node of the chain reads it); the chain ends at
 * the first node it cannot follow. */
static CfmStatus
build_chain (const Graph *g, CfmTensorSet *set, CfmNetwork *net,
                      CfmError *err)
{
  OnnxWeights weights = { set, err, CFM_OK }, *w = &weights;
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
      cfm_onnx_module_path (n->name, m->name, sizeof m->name);
      snprintf (m->node, sizeof m->node, "%.*s", (int) (n->name.end - n->name.p),
                n->name.p);
      snprintf (m->type, sizeof m->type, "%.*s", (int) (n->op.end - n->op.p),
                n->op.p);
      if (readers (g, cur) > 1)
        ok = 0;   /* a branch: the chain cannot follow it */
      else if (buf_is (n->op, "Conv"))
        ok = !cfm_onnx_auto_pad (n) && cfm_onnx_conv (n, w, m);
      else if (buf_is (n->op, "BatchNormalization"))
        ok = cfm_onnx_batchnorm (n, w, m);
      else if (buf_is (n->op, "MaxPool") || buf_is (n->op, "AveragePool"))
        ok = !cfm_onnx_auto_pad (n) && cfm_onnx_pool (n, m);
      else if (buf_is (n->op, "Identity") || buf_is (n->op, "Dropout"))
        ok = 1, m->kind = CFM_MODULE_IDENTITY;
      else if (buf_is (n->op, "Pad") && i + 1 < g->n
               && buf_eq (g->nodes[i + 1].input[0], n->output))
        {
          const Node *next = &g->nodes[i + 1];

          ok = cfm_onnx_merge_pad (n, next, w, m);
          used = 2;
          snprintf (m->type, sizeof m->type, "%.*s",
                    (int) (next->op.end - next->op.p), next->op.p);
        }
      else
        ok = cfm_onnx_function (n, w, m);
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

CfmStatus
cfm_onnx_read (const void *buf, size_t len, CfmNetwork *net,
               CfmTensorSet *weights, CfmError *err)
{
  Graph g;
  CfmStatus status;

  memset (net, 0, sizeof *net);
  status = cfm_onnx_parse (buf, len, &g, weights, err);
  if (status == CFM_OK)
    {
      net->modules = calloc (CFM_NETWORK_MAX_MODULES, sizeof *net->modules);
      if (net->modules == NULL)
        status = cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
    }
  if (status == CFM_OK)
    status = build_chain (&g, weights, net, err);
  free (g.nodes);
  if (status != CFM_OK)
    {
      cfm_network_free (net);
      cfm_tensors_free (weights);
    }
  return status;
}
