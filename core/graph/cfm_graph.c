/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph.c: the graph itself: values by name (hashed), nodes, the
 * checks and the order in which its nodes run (Kahn's, without
 * recursion), and the names a host finds nodes by (its API: cfm_graph.h,
 * cfm_graph_build.h). */
#include "cfm_graph_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_op.h"

void
cfm_graph_free (CfmGraph *g)
{
  int i;

  for (i = 0; i < g->n_values; i++)
    {
      if (g->values[i].folded)
        {
          free (((CfmTensor *) g->values[i].tensor)->owned);
          free ((CfmTensor *) g->values[i].tensor);
        }
      free (g->values[i].name);
    }
  for (i = 0; i < g->n_nodes; i++)
    {
      free (g->nodes[i].inputs);
      free (g->nodes[i].outputs);
    }
  free (g->values);
  free (g->nodes);
  free (g->outputs);
  free (g->slots);
  memset (g, 0, sizeof *g);
}

/* A copy of constant tensor T that the graph computed (no name). */
static CfmTensor *
copy_folded (const CfmTensor *t)
{
  CfmTensor *c = malloc (sizeof *c);

  if (c == NULL)
    return NULL;
  *c = *t;
  c->owned = malloc ((t->count + 1) * sizeof (float));
  if (c->owned == NULL)
    {
      free (c);
      return NULL;
    }
  memcpy (c->owned, t->data, t->count * sizeof (float));
  c->data = c->owned;
  return c;
}

/* Node K of SRC into DST's room for it, with its own input and output
 * lists. */
static int
copy_node (const CfmNode *src, CfmNode *dst)
{
  *dst = *src;
  dst->inputs = malloc ((size_t) (src->n_inputs + 1) * sizeof *dst->inputs);
  dst->outputs = malloc ((size_t) (src->n_outputs + 1)
                         * sizeof *dst->outputs);
  if (dst->inputs == NULL || dst->outputs == NULL)
    {
      free (dst->inputs);
      free (dst->outputs);
      dst->inputs = dst->outputs = NULL;
      return 0;
    }
  memcpy (dst->inputs, src->inputs, (size_t) src->n_inputs
                                    * sizeof *dst->inputs);
  memcpy (dst->outputs, src->outputs, (size_t) src->n_outputs
                                      * sizeof *dst->outputs);
  return 1;
}

CfmStatus
cfm_graph_copy (const CfmGraph *src, CfmGraph *dst, CfmError *err)
{
  int ok;
  int i;

  memset (dst, 0, sizeof *dst);
  *dst = *src;
  dst->values = calloc ((size_t) src->room_values + 1, sizeof *dst->values);
  dst->nodes = calloc ((size_t) src->room_nodes + 1, sizeof *dst->nodes);
  dst->outputs = malloc ((size_t) (src->n_outputs + 1)
                         * sizeof *dst->outputs);
  dst->slots = malloc ((src->n_slots + 1) * sizeof *dst->slots);
  dst->n_values = dst->n_nodes = 0;
  ok = dst->values && dst->nodes && dst->outputs && dst->slots;
  if (ok)
    {
      memcpy (dst->outputs, src->outputs, (size_t) src->n_outputs
                                          * sizeof *dst->outputs);
      memcpy (dst->slots, src->slots, src->n_slots * sizeof *dst->slots);
    }
  for (i = 0; ok && i < src->n_values; i++, dst->n_values++)
    {
      CfmValue *v = &dst->values[i];

      *v = src->values[i];
      v->folded = 0;
      v->name = malloc (strlen (src->values[i].name) + 1);
      if (v->name == NULL)
        ok = 0;
      else
        strcpy (v->name, src->values[i].name);
      if (ok && src->values[i].folded)
        {
          ok = (v->tensor = copy_folded (src->values[i].tensor)) != NULL;
          v->folded = ok;
        }
    }
  for (i = 0; ok && i < src->n_nodes; i++, dst->n_nodes++)
    ok = copy_node (&src->nodes[i], &dst->nodes[i]);
  if (ok)
    return CFM_OK;
  cfm_graph_free (dst);
  return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
}

static size_t
hash (const char *s, size_t len)
{
  size_t h = 2166136261u, i;

  for (i = 0; i < len; i++)
    h = (h ^ (unsigned char) s[i]) * 16777619u;
  return h;
}

/* The slot where NAME is, or the empty one where it would go. */
static size_t
slot_of (const CfmGraph *g, const char *name, size_t len)
{
  size_t i = hash (name, len) & (g->n_slots - 1);

  while (g->slots[i])
    {
      const char *v = g->values[g->slots[i] - 1].name;

      if (strlen (v) == len && memcmp (v, name, len) == 0)
        break;
      i = (i + 1) & (g->n_slots - 1);
    }
  return i;
}

/* Room for one more value, the slots at most half full. */
static int
grow_values (CfmGraph *g)
{
  int i;

  if (g->n_values == g->room_values)
    {
      int room = g->room_values ? 2 * g->room_values : 64;
      CfmValue *v = realloc (g->values, (size_t) room * sizeof *v);

      if (v == NULL)
        return 0;
      g->values = v;
      g->room_values = room;
    }
  if ((size_t) (g->n_values + 1) * 2 > g->n_slots)
    {
      size_t n = g->n_slots ? 2 * g->n_slots : 256;

      free (g->slots);
      g->slots = calloc (n, sizeof *g->slots);
      if (g->slots == NULL)
        return 0;
      g->n_slots = n;
      for (i = 0; i < g->n_values; i++)
        g->slots[slot_of (g, g->values[i].name, strlen (g->values[i].name))]
          = (size_t) i + 1;
    }
  return 1;
}

int
cfm_graph_value (CfmGraph *g, const char *name, size_t len)
{
  CfmValue *v;
  size_t s;

  len = strnlen (name, len);   /* a name ends at a NUL, as C reads it */
  if (g->n_slots)
    {
      s = slot_of (g, name, len);
      if (g->slots[s])
        return (int) g->slots[s] - 1;
    }
  if (!grow_values (g))
    return -1;
  v = &g->values[g->n_values];
  memset (v, 0, sizeof *v);
  v->name = malloc (len + 1);
  if (v->name == NULL)
    return -1;
  memcpy (v->name, name, len);
  v->name[len] = '\0';
  v->producer = -1;
  v->kind = CFM_VALUE_MAP;
  v->rank = 4;
  g->slots[slot_of (g, name, len)] = (size_t) g->n_values + 1;
  return g->n_values++;
}

int
cfm_graph_find_value (const CfmGraph *g, const char *name)
{
  size_t s;

  if (g->n_slots == 0)
    return -1;
  s = slot_of (g, name, strlen (name));
  return g->slots[s] ? (int) g->slots[s] - 1 : -1;
}

CfmNode *
cfm_graph_add_node (CfmGraph *g, int n_in, int n_out, CfmError *err)
{
  CfmNode *n;
  int i;

  if (g->n_nodes == CFM_GRAPH_MAX_NODES)
    return cfm_error_set (err, CFM_ERR_SIZE, "the graph has more than %d "
                          "nodes", CFM_GRAPH_MAX_NODES), NULL;
  if (g->n_nodes == g->room_nodes)
    {
      int room = g->room_nodes ? 2 * g->room_nodes : 64;
      CfmNode *nodes = realloc (g->nodes, (size_t) room * sizeof *nodes);

      if (nodes == NULL)
        return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory"), NULL;
      g->nodes = nodes;
      g->room_nodes = room;
    }
  n = &g->nodes[g->n_nodes];
  memset (n, 0, sizeof *n);
  n->inputs = malloc ((size_t) (n_in + 1) * sizeof *n->inputs);
  n->outputs = malloc ((size_t) (n_out + 1) * sizeof *n->outputs);
  if (n->inputs == NULL || n->outputs == NULL)
    {
      free (n->inputs);
      free (n->outputs);
      return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory"), NULL;
    }
  for (i = 0; i < n_in; i++)
    n->inputs[i] = -1;
  for (i = 0; i < n_out; i++)
    n->outputs[i] = -1;
  n->n_inputs = n_in;
  n->n_outputs = n_out;
  n->n_ints = -1;
  g->n_nodes++;
  return n;
}

CfmStatus
cfm_graph_module_node (CfmGraph *g, const char *name, const char *type,
                       int in, CfmNode **node_out, CfmError *err)
{
  Buf op = { (const unsigned char *) type,
             (const unsigned char *) type + strlen (type) };
  CfmNode *node = cfm_graph_add_node (g, 1, 1, err);
  int out;

  if (node == NULL)
    return err ? err->status : CFM_ERR_NOMEM;
  node->op = cfm_op_for_onnx (op);
  node->inputs[0] = in;
  snprintf (node->name, sizeof node->name, "%s", name);
  snprintf (node->module, sizeof node->module, "%s", name);
  snprintf (node->type, sizeof node->type, "%s", type);
  snprintf (node->m.name, sizeof node->m.name, "%s", name);
  out = cfm_graph_value (g, name, strlen (name));
  if (out < 0)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  *node_out = &g->nodes[g->n_nodes - 1];
  (*node_out)->outputs[0] = out;
  return CFM_OK;
}

/* Marks each value with the node that produces it, refusing a value
 * produced twice or the input produced at all. */
static CfmStatus
mark_producers (CfmGraph *g, CfmError *err)
{
  int i, k;

  for (i = 0; i < g->n_values; i++)
    g->values[i].producer = -1, g->values[i].consumers = 0;
  for (i = 0; i < g->n_nodes; i++)
    for (k = 0; k < g->nodes[i].n_outputs; k++)
      {
        CfmValue *v = &g->values[g->nodes[i].outputs[k]];

        if (v->producer >= 0 || v->kind == CFM_VALUE_CONST
            || g->nodes[i].outputs[k] == g->input)
          return cfm_error_set (err, CFM_ERR_PARSE, "node %s writes \"%s\", "
                                "which has a value already",
                                g->nodes[i].name, v->name);
        v->producer = i;
        v->output = k;
      }
  for (i = 0; i < g->n_nodes; i++)
    for (k = 0; k < g->nodes[i].n_inputs; k++)
      {
        int id = g->nodes[i].inputs[k];
        CfmValue *v = id >= 0 ? &g->values[id] : NULL;

        if (v == NULL)
          continue;
        if (v->producer < 0 && v->kind == CFM_VALUE_MAP && id != g->input)
          return cfm_error_set (err, CFM_ERR_PARSE, "node %s reads \"%s\", "
                                "which nothing produces", g->nodes[i].name,
                                v->name);
        v->consumers++;
      }
  return CFM_OK;
}

/* ORDER: the nodes such that each comes after the producers of its
 * inputs (Kahn's algorithm, a queue, no recursion); a cycle is refused
 * naming a node on it. */
static CfmStatus
sort_nodes (CfmGraph *g, int *order, CfmError *err)
{
  int n = g->n_nodes, *waiting = calloc ((size_t) n + 1, sizeof (int));
  int *first = calloc ((size_t) g->n_values + 1, sizeof (int));
  int *next = NULL, head = 0, tail = 0, i, k, e = 0, edges = 0;
  int *edge_node = NULL;

  for (i = 0; i < n; i++)
    edges += g->nodes[i].n_inputs;
  next = malloc (((size_t) edges + 1) * sizeof (int));
  edge_node = malloc (((size_t) edges + 1) * sizeof (int));
  if (waiting == NULL || first == NULL || next == NULL || edge_node == NULL)
    {
      free (waiting), free (first), free (next), free (edge_node);
      return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
    }
  /* each value's readers as a list: first[v] - 1, then next[] */
  for (i = 0; i < n; i++)
    for (k = 0; k < g->nodes[i].n_inputs; k++)
      {
        int v = g->nodes[i].inputs[k];

        if (v < 0 || g->values[v].producer < 0)
          continue;
        waiting[i]++;
        edge_node[e] = i;
        next[e] = first[v] - 1;
        first[v] = ++e;
      }
  for (i = 0; i < n; i++)
    if (waiting[i] == 0)
      order[tail++] = i;
  while (head < tail)
    {
      const CfmNode *node = &g->nodes[order[head++]];

      for (k = 0; k < node->n_outputs; k++)
        for (e = first[node->outputs[k]] - 1; e >= 0; e = next[e])
          if (--waiting[edge_node[e]] == 0)
            order[tail++] = edge_node[e];
    }
  for (i = 0; tail < n && i < n; i++)
    if (waiting[i] > 0)
      break;
  free (first), free (next), free (edge_node), free (waiting);
  if (tail < n)
    return cfm_error_set (err, CFM_ERR_PARSE, "node %s is on a cycle: the "
                          "graph has no order to run in", g->nodes[i].name);
  return CFM_OK;
}

/* Whether every node already comes after the producers of its inputs
 * (the file's own order, kept then: a module's last node stays last). */
static int
in_order (const CfmGraph *g)
{
  int i, k;

  for (i = 0; i < g->n_nodes; i++)
    for (k = 0; k < g->nodes[i].n_inputs; k++)
      if (g->nodes[i].inputs[k] >= 0
          && g->values[g->nodes[i].inputs[k]].producer >= i)
        return 0;
  return 1;
}

CfmStatus
cfm_graph_finish (CfmGraph *g, CfmError *err)
{
  int *order = malloc (((size_t) g->n_nodes + 1) * sizeof (int)), i;
  CfmNode *sorted = malloc (((size_t) g->n_nodes + 1) * sizeof *sorted);
  CfmStatus status = order && sorted ? mark_producers (g, err)
    : cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");

  if (status == CFM_OK && !in_order (g))
    status = sort_nodes (g, order, err);
  else
    for (i = 0; i < g->n_nodes; i++)
      order[i] = i;
  if (status == CFM_OK)
    {
      for (i = 0; i < g->n_nodes; i++)
        sorted[i] = g->nodes[order[i]];
      memcpy (g->nodes, sorted, (size_t) g->n_nodes * sizeof *sorted);
      status = mark_producers (g, err);
    }
  free (order);
  free (sorted);
  return status;
}

/* Whether a node of module path MODULE lies in the scope of module NAME:
 * NAME itself, a call after the first (NAME_1), or a module inside. */
static int
in_scope (const char *module, const char *name)
{
  size_t n = strlen (name);

  if (strncmp (module, name, n) != 0)
    return 0;
  module += n;
  if (*module == '_' && module[1] >= '0' && module[1] <= '9')
    {
      module++;
      while (*module >= '0' && *module <= '9')
        module++;
    }
  return *module == '\0' || *module == '.';
}

int
cfm_graph_find_node (const CfmGraph *g, const char *name)
{
  int i;

  if (name[0] == '\0')
    return -1;
  for (i = 0; i < g->n_nodes; i++)
    if (strcmp (g->nodes[i].name, name) == 0)
      return i;
  for (i = g->n_nodes - 1; i >= 0; i--)   /* the last node of its scope */
    if (g->nodes[i].module[0] && in_scope (g->nodes[i].module, name))
      return i;
  return -1;
}

const char *
cfm_graph_node_label (const CfmGraph *g, int node)
{
  const CfmNode *n = &g->nodes[node];

  return n->module[0] && cfm_graph_find_node (g, n->module) == node
         ? n->module : n->name;
}

/* Whether NODE's operator runs on maps (not only shape arithmetic). */
static int
node_computes (const CfmGraph *g, const CfmNode *node)
{
  return node->op != NULL && !node->unsized
         && (node->op->run != NULL
             || g->values[node->outputs[0]].kind == CFM_VALUE_CONST);
}

int
cfm_graph_node_runs (const CfmGraph *g, int node, char *why)
{
  /* nodes are in order: a node runs when it and its inputs' producers do,
   * worked out forwards up to NODE */
  char *runs = calloc ((size_t) node + 1, 1);
  int i, k, stop = -1, ok;

  if (runs == NULL)
    return 0;
  for (i = 0; i <= node; i++)
    {
      const CfmNode *n = &g->nodes[i];
      int blocked = node_computes (g, n) ? -1 : i;

      for (k = 0; k < n->n_inputs && blocked < 0; k++)
        {
          int v = n->inputs[k], p = v >= 0 ? g->values[v].producer : -1;

          if (p >= 0 && !runs[p] && g->values[v].kind == CFM_VALUE_MAP)
            blocked = p;
        }
      if (g->values[n->outputs[0]].kind == CFM_VALUE_CONST)
        blocked = -1;   /* shape arithmetic, computed already */
      runs[i] = blocked < 0;
      if (i == node && blocked >= 0)
        stop = blocked;
    }
  /* the first node that cannot run on the way */
  while (stop >= 0 && node_computes (g, &g->nodes[stop]))
    {
      const CfmNode *n = &g->nodes[stop];
      int p = -1;

      for (k = 0; k < n->n_inputs && p < 0; k++)
        {
          int v = n->inputs[k];

          p = v >= 0 && g->values[v].producer >= 0
              && g->values[v].kind == CFM_VALUE_MAP
              && !runs[g->values[v].producer] ? g->values[v].producer : -1;
        }
      stop = p;
    }
  ok = runs[node];
  if (!ok && why && stop >= 0)
    snprintf (why, CFM_ERROR_MAX,
              "node %.160s (%.31s) cannot be run: %.280s",
              g->nodes[stop].name, g->nodes[stop].type,
              g->nodes[stop].why[0] ? g->nodes[stop].why
              : "the core has no such operator");
  free (runs);
  return ok;
}
