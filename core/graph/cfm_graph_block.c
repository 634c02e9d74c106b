/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_block.c: a convolution's block in a graph (its stages as the
 * plug-in shows them) and the node a layer name chooses (API:
 * cfm_graph.h). */
#include "cfm_graph.h"

#include <string.h>

#include "cfm_op.h"

static int
op_is (const CfmNode *node, const char *name)
{
  return node->op != NULL && strcmp (node->op->name, name) == 0;
}

/* Whether NODE may follow a convolution within its block: a BatchNorm, an
 * activation, a windowed pooling, a Dropout (an Identity). */
static int
in_tail (const CfmNode *node)
{
  return op_is (node, "BatchNormalization") || op_is (node, "Activation")
         || op_is (node, "Pool") || op_is (node, "Identity");
}

/* The one node that reads value V, or -1 (none, several, or the graph's
 * output: its maps leave the block). */
static int
only_reader (const CfmGraph *g, int v)
{
  int i, k;

  if (v < 0 || g->values[v].consumers != 1)
    return -1;
  for (k = 0; k < g->n_outputs; k++)
    if (g->outputs[k] == v)
      return -1;
  for (i = g->values[v].producer + 1; i < g->n_nodes; i++)
    for (k = 0; k < g->nodes[i].n_inputs; k++)
      if (g->nodes[i].inputs[k] == v)
        return i;
  return -1;
}

/* The convolution whose block NODE lies in, or -1. */
static int
block_conv (const CfmGraph *g, int node)
{
  while (node >= 0 && !op_is (&g->nodes[node], "Conv"))
    {
      int v;

      if (!in_tail (&g->nodes[node]) || g->nodes[node].n_inputs < 1)
        return -1;
      v = g->nodes[node].inputs[0];
      if (v < 0 || only_reader (g, v) != node)
        return -1;
      node = g->values[v].producer;
    }
  return node;
}

int
cfm_graph_block (const CfmGraph *g, int node, CfmGraphBlock *block)
{
  int conv = block_conv (g, node), n, s;

  for (s = 0; s < CFM_BLOCK_STAGES; s++)
    block->stage[s] = -1;
  block->n = 0;
  if (conv < 0)
    return 0;
  block->stage[CFM_BLOCK_CONV] = conv;
  block->nodes[block->n++] = conv;
  for (n = only_reader (g, g->nodes[conv].outputs[0]);
       n >= 0 && in_tail (&g->nodes[n]) && block->n < CFM_GRAPH_BLOCK_MAX;
       n = only_reader (g, g->nodes[n].outputs[0]))
    {
      if (op_is (&g->nodes[n], "Activation")
          && block->stage[CFM_BLOCK_ACTIVATION] < 0)
        block->stage[CFM_BLOCK_ACTIVATION] = n;
      if (op_is (&g->nodes[n], "Pool") && block->stage[CFM_BLOCK_POOL] < 0)
        block->stage[CFM_BLOCK_POOL] = n;
      block->nodes[block->n++] = n;
    }
  return 1;
}

static const char *
node_label (const void *g, int i)
{
  return cfm_graph_node_label (g, i);
}

CfmStatus
cfm_graph_layer (const CfmGraph *g, const char *layer, int *node,
                 CfmError *err)
{
  int i;

  *node = -1;
  if (layer != NULL && *layer != '\0')
    {
      *node = cfm_graph_find_node (g, layer);
      return *node >= 0 ? CFM_OK
                        : cfm_error_unknown_name (err, layer, g->n_nodes,
                                                  node_label, g);
    }
  for (i = 0; i < g->n_nodes && *node < 0; i++)
    if (op_is (&g->nodes[i], "Conv"))
      *node = i;
  return *node >= 0 ? CFM_OK
                    : cfm_error_set (err, CFM_ERR_ARG, "the network has no "
                                     "convolution: name its layer");
}

int
cfm_graph_layer_block (const CfmGraph *g, const char *layer, int node,
                       CfmGraphBlock *block)
{
  const CfmNode *n = &g->nodes[node];
  int s;

  if (layer == NULL || *layer == '\0' || strcmp (layer, n->module) == 0
      || strcmp (layer, n->name) == 0)
    return cfm_graph_block (g, node, block);
  for (s = 0; s < CFM_BLOCK_STAGES; s++)   /* a module holding NODE */
    block->stage[s] = -1;
  block->n = 0;
  return 0;
}
