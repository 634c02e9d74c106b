/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_grad.c: a class score's gradient at one value of a graph: the
 * nodes between the value and the scores, the forward pass that keeps
 * their maps whole, each class's backward pass (its API:
 * cfm_graph_grad.h). */
#include "cfm_graph_grad.h"

#include <stdlib.h>
#include <string.h>

#include "cfm_op.h"

static size_t
map_bytes (const CfmValue *v)
{
  return (size_t) v->c * v->h * v->w * sizeof (float);
}

/* Marks FROM_AT (the map values computed from AT, AT among them) and
 * ON_PATH (the nodes that read one and that SCORES depends on); 0 when
 * SCORES is not computed from AT. */
static int
mark_path (const CfmGraph *g, int at, int scores, unsigned char *from_at,
           unsigned char *on_path)
{
  unsigned char *needed = calloc ((size_t) g->n_values, 1);
  int i, k, reached;

  if (needed == NULL)
    return 0;
  from_at[at] = 1;
  for (i = 0; i < g->n_nodes; i++)
    {
      const CfmNode *n = &g->nodes[i];
      int reads = 0;

      for (k = 0; k < n->n_inputs; k++)
        reads |= n->inputs[k] >= 0 && from_at[n->inputs[k]];
      for (k = 0; k < n->n_outputs && reads; k++)
        from_at[n->outputs[k]] = g->values[n->outputs[k]].kind
                                 == CFM_VALUE_MAP;
    }
  needed[scores] = 1;
  for (i = g->n_nodes - 1; i >= 0; i--)
    {
      const CfmNode *n = &g->nodes[i];
      int feeds = 0, reads = 0;

      for (k = 0; k < n->n_outputs; k++)
        feeds |= needed[n->outputs[k]];
      for (k = 0; k < n->n_inputs; k++)
        reads |= n->inputs[k] >= 0 && from_at[n->inputs[k]];
      on_path[i] = feeds && reads;
      for (k = 0; k < n->n_inputs && on_path[i]; k++)
        if (n->inputs[k] >= 0)
          needed[n->inputs[k]] = 1;
    }
  reached = from_at[scores];
  free (needed);
  return reached;
}

/* Whether value V's map is kept: read or computed by a node on the path
 * (a constant's values are its tensor's). */
static int
kept (const CfmGraph *g, const unsigned char *on_path, int v)
{
  int i, k;

  if (g->values[v].kind != CFM_VALUE_MAP)
    return 0;
  for (i = 0; i < g->n_nodes; i++)
    {
      const CfmNode *n = &g->nodes[i];

      for (k = 0; k < n->n_inputs && on_path[i]; k++)
        if (n->inputs[k] == v)
          return 1;
      for (k = 0; k < n->n_outputs && on_path[i]; k++)
        if (n->outputs[k] == v)
          return 1;
    }
  return 0;
}

size_t
cfm_graph_grad_bytes (const CfmGraph *g, int at, int scores)
{
  unsigned char *from_at = calloc ((size_t) g->n_values, 1);
  unsigned char *on_path = calloc ((size_t) g->n_nodes + 1, 1);
  size_t bytes = 0;
  int v;

  if (from_at && on_path && mark_path (g, at, scores, from_at, on_path))
    for (v = 0; v < g->n_values; v++)
      if (kept (g, on_path, v))   /* its map, and its gradient */
        bytes += map_bytes (&g->values[v]) * (from_at[v] ? 2 : 1);
  free (from_at);
  free (on_path);
  return bytes;
}

/* Each wanted value's rows into its whole map. */
static CfmStatus
keep_rows (void *data, int value, const float *rows, size_t plane, int c,
           int h, int w, int row0, int nrows, CfmError *err)
{
  float *map = ((float **) data)[value];
  int ch;

  (void) err;
  for (ch = 0; ch < c && map; ch++)
    memcpy (map + ((size_t) ch * h + row0) * w, rows + ch * plane,
            (size_t) nrows * w * sizeof (float));
  return CFM_OK;
}

/* A refusal of the pass when a node on ON_PATH has no backward step. */
static CfmStatus
check_steps (const CfmGraph *g, const unsigned char *on_path, CfmError *err)
{
  int i;

  for (i = 0; i < g->n_nodes; i++)
    if (on_path[i] && (g->nodes[i].op == NULL
                       || g->nodes[i].op->backward == NULL))
      return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): the core has no "
                            "backward step for this operator, so no "
                            "gradient reaches the layer through it",
                            g->nodes[i].name, g->nodes[i].type);
  return CFM_OK;
}

/* The checks of cfm_graph_grad_check on FROM_AT and ON_PATH, marked. */
static CfmStatus
check_path (const CfmGraph *g, int at, int scores, unsigned char *from_at,
            unsigned char *on_path, CfmError *err)
{
  size_t bytes, limit = cfm_graph_memory_limit ();
  CfmStatus status;

  if (!mark_path (g, at, scores, from_at, on_path))
    return cfm_error_set (err, CFM_ERR_ARG, "the class scores do not "
                          "depend on %s", g->values[at].name);
  if ((status = check_steps (g, on_path, err)) != CFM_OK)
    return status;
  if ((bytes = cfm_graph_grad_bytes (g, at, scores)) > limit)
    return cfm_error_set (err, CFM_ERR_SIZE, "the gradient at %s holds %zu "
                          "MB of maps, past the memory limit of %zu MB",
                          g->values[at].name, bytes >> 20, limit >> 20);
  return CFM_OK;
}

CfmStatus
cfm_graph_grad_check (const CfmGraph *g, int at, int scores, CfmError *err)
{
  unsigned char *from_at = calloc ((size_t) g->n_values, 1);
  unsigned char *on_path = calloc ((size_t) g->n_nodes + 1, 1);
  CfmStatus status = from_at && on_path
                     ? check_path (g, at, scores, from_at, on_path, err)
                     : cfm_error_set (err, CFM_ERR_NOMEM, "no memory");

  free (from_at);
  free (on_path);
  return status;
}

/* Allocates the kept maps: the values wanted from the run into WANT;
 * their count, or -1. */
static int
alloc_maps (CfmGraphGrad *gg, int *want)
{
  int v, n = 1;

  want[0] = gg->at;   /* the first wanted value sets the pace */
  for (v = 0; v < gg->g->n_values; v++)
    if (kept (gg->g, gg->on_path, v))
      {
        gg->maps[v] = malloc (map_bytes (&gg->g->values[v]) + 1);
        if (gg->maps[v] == NULL)
          return -1;
        if (v != gg->at)
          want[n++] = v;
      }
  return n;
}

CfmStatus
cfm_graph_grad_forward (CfmGraphGrad *gg, const CfmGraph *g, int at,
                        int scores, CfmRowReader read, void *read_data,
                        CfmError *err)
{
  int *want = NULL, n;
  CfmStatus status;

  memset (gg, 0, sizeof *gg);
  gg->g = g;
  gg->at = at;
  gg->scores = scores;
  gg->on_path = calloc ((size_t) g->n_nodes + 1, 1);
  gg->from_at = calloc ((size_t) g->n_values, 1);
  gg->maps = calloc ((size_t) g->n_values, sizeof *gg->maps);
  want = malloc (((size_t) g->n_values + 1) * sizeof *want);
  if (!gg->on_path || !gg->from_at || !gg->maps || !want)
    status = cfm_error_set (err, CFM_ERR_NOMEM, "no memory for a gradient "
                            "pass");
  else if ((status = check_path (g, at, scores, gg->from_at, gg->on_path,
                                 err)) != CFM_OK)
    ;
  else if ((n = alloc_maps (gg, want)) < 0)
    status = cfm_error_set (err, CFM_ERR_NOMEM, "no memory for the maps "
                            "of a gradient pass");
  else
    status = cfm_graph_run (g, want, n, g->values[at].h, read, read_data,
                            keep_rows, gg->maps, err);
  free (want);
  return status;
}

/* Node I's backward step from the gradients GRADS (per value, NULL: none
 * reaches it). */
static CfmStatus
node_backward (const CfmGraphGrad *gg, int i, float **grads, CfmError *err)
{
  const CfmNode *n = &gg->g->nodes[i];
  const float *in[CFM_NODE_MAX_INPUTS], *outs[CFM_NODE_MAX_OUTPUTS] = { 0 };
  float *grad_in[CFM_NODE_MAX_INPUTS];
  CfmOpGrad grad;
  int k;

  for (k = 0; k < n->n_outputs; k++)
    if ((outs[k] = grads[n->outputs[k]]) == NULL)
      return CFM_OK;   /* fed by none: a Split's other part is 0 */
  for (k = 0; k < n->n_inputs; k++)
    {
      int v = n->inputs[k];
      const CfmValue *val = v >= 0 ? &gg->g->values[v] : NULL;

      in[k] = val == NULL ? NULL : val->kind == CFM_VALUE_CONST
              ? val->tensor->data : gg->maps[v];
      grad_in[k] = v >= 0 && gg->from_at[v] ? grads[v] : NULL;
    }
  grad = (CfmOpGrad) { in, gg->maps[n->outputs[0]], outs[0], grad_in,
                       n->n_outputs > 1 ? outs : NULL };
  return n->op->backward (gg->g, n, &grad, err);
}

/* Zeroed gradients of the values computed from AT that a node on the
 * path reads or writes. */
static int
alloc_grads (const CfmGraphGrad *gg, float **grads)
{
  int v;

  for (v = 0; v < gg->g->n_values; v++)
    if (gg->from_at[v] && gg->maps[v]
        && !(grads[v] = calloc (map_bytes (&gg->g->values[v]) + 1, 1)))
      return 0;
  return 1;
}

CfmStatus
cfm_graph_grad_class (const CfmGraphGrad *gg, int cls, float *grad,
                      CfmError *err)
{
  const CfmValue *s = &gg->g->values[gg->scores];
  float **grads = calloc ((size_t) gg->g->n_values, sizeof *grads);
  CfmStatus status = CFM_OK;
  int i;

  if (cls < 0 || cls >= s->c)
    status = cfm_error_set (err, CFM_ERR_ARG, "class %d of a classifier of "
                            "%d classes", cls, s->c);
  else if (grads == NULL || !alloc_grads (gg, grads))
    status = cfm_error_set (err, CFM_ERR_NOMEM, "no memory for a gradient "
                            "pass");
  else
    {
      grads[gg->scores][cls] = 1.0f;
      for (i = gg->g->n_nodes - 1; i >= 0 && status == CFM_OK; i--)
        if (gg->on_path[i])
          status = node_backward (gg, i, grads, err);
      if (status == CFM_OK)
        memcpy (grad, grads[gg->at], map_bytes (&gg->g->values[gg->at]));
    }
  for (i = 0; grads && i < gg->g->n_values; i++)
    free (grads[i]);
  free (grads);
  return status;
}

void
cfm_graph_grad_free (CfmGraphGrad *gg)
{
  int v;

  for (v = 0; gg->maps && v < gg->g->n_values; v++)
    free (gg->maps[v]);
  free (gg->maps);
  free (gg->on_path);
  free (gg->from_at);
  memset (gg, 0, sizeof *gg);
}
