/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_shape.c: every value's size for an input size, node by node
 * in order, each by its operator's shape rule; sizes that overflow or pass
 * the stated limit are refused with the node's name (its API:
 * cfm_graph.h). */
#include "cfm_graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_op.h"

/* Refuses output values of NODE whose whole size overflows or passes
 * CFM_GRAPH_MAX_VALUE_BYTES. */
static CfmStatus
check_outputs (const CfmGraph *g, const CfmNode *node, CfmError *err)
{
  int k;

  for (k = 0; k < node->n_outputs; k++)
    {
      const CfmValue *v = &g->values[node->outputs[k]];
      size_t bytes = sizeof (float);

      if (v->c < 1 || v->h < 1 || v->w < 1)
        return cfm_error_set (err, CFM_ERR_SIZE, "%s (%s): its output %d is "
                              "not sized", node->name, node->type, k + 1);
      if (!cfm_size_mul (bytes, (size_t) v->c, &bytes)
          || !cfm_size_mul (bytes, (size_t) v->h, &bytes)
          || !cfm_size_mul (bytes, (size_t) v->w, &bytes)
          || bytes > CFM_GRAPH_MAX_VALUE_BYTES)
        return cfm_error_set (err, CFM_ERR_SIZE, "%s (%s): its output of %d x "
                              "%d x %d is more than %zu GB", node->name,
                              node->type, v->c, v->h, v->w,
                              CFM_GRAPH_MAX_VALUE_BYTES >> 30);
    }
  return CFM_OK;
}

/* Whether NODE names its first input. */
static int
has_input (const CfmGraph *g, const CfmNode *node)
{
  return node->n_inputs > 0 && cfm_op_input (g, node, 0) != NULL;
}

/* Whether every map input of NODE is sized (its producer ran). */
static int
inputs_sized (const CfmGraph *g, const CfmNode *node)
{
  int k;

  for (k = 0; k < node->n_inputs; k++)
    {
      const CfmValue *v = cfm_op_input (g, node, k);

      if (v && v->kind == CFM_VALUE_MAP && v->c == 0)
        return 0;
    }
  return cfm_op_input (g, node, 0)->c > 0
         || cfm_op_input (g, node, 0)->kind == CFM_VALUE_CONST;
}

/* Whether a map input of NODE has its channels last. */
static int
channels_last (const CfmGraph *g, const CfmNode *node)
{
  int k;

  for (k = 0; k < node->n_inputs; k++)
    {
      const CfmValue *v = cfm_op_input (g, node, k);

      if (v && v->kind == CFM_VALUE_MAP && v->channels_last)
        return 1;
    }
  return 0;
}

/* Sizes NODE's outputs: computed as constants when they are shape
 * arithmetic, else by its operator's rule, and checked. */
static CfmStatus
size_node (CfmGraph *g, CfmNode *node, CfmError *err)
{
  CfmStatus status = CFM_OK;
  int last, k;

  if (!has_input (g, node))   /* a file may leave it out */
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): it has no input",
                          node->name, node->type);
  if (node->op->fold)
    {
      status = node->op->fold (g, node, err);
      if (status != CFM_OK || g->values[node->outputs[0]].folded)
        return status;
    }
  if (node->op->shape == NULL)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): it computes only from "
                          "constants and sizes, and its input is a map",
                          node->name, node->type);
  last = channels_last (g, node);
  if (last && node->op->channels_last == CFM_LAYOUT_REFUSED)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): its input has its "
                          "channels last (a permuted map), which it does not "
                          "take", node->name, node->type);
  status = node->op->shape (g, node, err);
  for (k = 0; status == CFM_OK && k < node->n_outputs; k++)
    if (node->op->channels_last == CFM_LAYOUT_KEPT)
      cfm_op_output (g, node, k)->channels_last = last;
  return status == CFM_OK ? check_outputs (g, node, err) : status;
}

CfmStatus
cfm_graph_shapes (CfmGraph *g, int c, int h, int w, CfmError *err)
{
  int i, k;

  if (c < 1 || h < 1 || w < 1)
    return cfm_error_set (err, CFM_ERR_SIZE, "an input of %d x %d x %d", c,
                          h, w);
  for (i = 0; i < g->n_values; i++)
    {
      CfmValue *v = &g->values[i];

      cfm_op_unfold (v);
      if (v->kind == CFM_VALUE_CONST)
        cfm_op_size_constant (v);
      else
        v->rank = 4, v->c = v->h = v->w = 0, v->c_split = 0;
      v->channels_last = 0;
    }
  g->values[g->input].c = c;
  g->values[g->input].h = h;
  g->values[g->input].w = w;
  for (i = 0; i < g->n_nodes; i++)
    {
      CfmNode *node = &g->nodes[i];

      if (node->unsized)
        node->why[0] = '\0', node->unsized = 0;
      if (node->op == NULL
          || (has_input (g, node) && !inputs_sized (g, node)))
        continue;   /* it, or a node it depends on, cannot run */
      if (size_node (g, node, err) == CFM_OK)
        continue;
      node->unsized = 1;   /* it, and what depends on it, cannot run */
      snprintf (node->why, sizeof node->why, "%s", err->message);
      if (g->from_text)   /* a class followed in printed order, perhaps */
        {
          size_t used = strlen (node->why);

          snprintf (node->why + used, sizeof node->why - used, "%s",
                    " (where a module's forward is not its printed order, "
                    "export the model to ONNX)");
        }
      for (k = 0; k < node->n_outputs; k++)
        {
          CfmValue *v = &g->values[node->outputs[k]];

          cfm_op_unfold (v);
          v->c = v->h = v->w = 0;
        }
    }
  cfm_error_clear (err);
  g->sized = 1;
  g->c = c;
  g->h = h;
  g->w = w;
  return CFM_OK;
}
