/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_shape.c: every value's size for an input size, node by node
 * in order, each by its operator's shape rule; sizes that overflow or pass
 * the stated limit are refused with the node's name (its API:
 * cfm_graph.h). */
#include "cfm_graph.h"

#include <stdlib.h>
#include <string.h>

#include "cfm_op.h"

/* A constant's shape, its last three dimensions as channels, rows and
 * columns (NumPy's broadcasting against N x C x H x W); 0 x 0 x 0 when it
 * has more dimensions that are not 1. */
static void
size_constant (CfmValue *v)
{
  const CfmTensor *t = v->tensor;
  int64_t d[3] = { 1, 1, 1 };
  int i;

  v->rank = 4;
  v->c = v->h = v->w = 0;
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

/* Forgets what the shape arithmetic computed for another input size. */
static void
unfold (CfmValue *v)
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
  unfold (v);
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
  size_constant (v);
  *data = t->owned;
  return CFM_OK;
}

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

      if (v->c < 1 || v->h < 1 || v->w < 1
          || !cfm_size_mul (bytes, (size_t) v->c, &bytes)
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
  return node->n_inputs > 0 && cfm_op_input (g, node, 0) != NULL
         && (cfm_op_input (g, node, 0)->c > 0
             || cfm_op_input (g, node, 0)->kind == CFM_VALUE_CONST);
}

CfmStatus
cfm_graph_shapes (CfmGraph *g, int c, int h, int w, CfmError *err)
{
  CfmStatus status = CFM_OK;
  int i, k;

  if (c < 1 || h < 1 || w < 1)
    return cfm_error_set (err, CFM_ERR_SIZE, "an input of %d x %d x %d", c,
                          h, w);
  for (i = 0; i < g->n_values; i++)
    {
      CfmValue *v = &g->values[i];

      unfold (v);
      if (v->kind == CFM_VALUE_CONST)
        size_constant (v);
      else
        v->rank = 4, v->c = v->h = v->w = 0, v->c_split = 0;
    }
  g->values[g->input].c = c;
  g->values[g->input].h = h;
  g->values[g->input].w = w;
  for (i = 0; i < g->n_nodes && status == CFM_OK; i++)
    {
      CfmNode *node = &g->nodes[i];

      if (node->op == NULL || !inputs_sized (g, node))
        continue;   /* it, or a node it depends on, cannot run */
      if (node->op->fold)
        {
          status = node->op->fold (g, node, err);
          if (status != CFM_OK || g->values[node->outputs[0]].folded)
            continue;
        }
      if (node->op->shape == NULL)
        continue;   /* shape arithmetic on what is not constant */
      status = node->op->shape (g, node, err);
      if (status == CFM_OK)
        status = check_outputs (g, node, err);
    }
  for (k = 0; k < g->n_values && status != CFM_OK; k++)
    g->values[k].c = g->values[k].h = g->values[k].w = 0;
  g->sized = status == CFM_OK;
  g->c = c;
  g->h = h;
  g->w = w;
  return status;
}
