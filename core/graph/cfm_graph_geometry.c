/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_geometry.c: where each node's output pixels lie over the
 * graph's input (total stride as a fraction, centre, receptive field),
 * value by value in the nodes' order, each operator moving it as its
 * geometry rule says (its API: cfm_graph.h; the rules' helpers: cfm_op.h). */
#include "cfm_graph.h"

#include <stdlib.h>

#include "cfm_op.h"

/* Past this a stride's numerator or denominator stops growing: no real
 * network comes near, and the double STRIDE stays right. */
#define FRACTION_MAX (1LL << 40)

static long long
gcd (long long a, long long b)
{
  while (b)
    {
      long long t = a % b;

      a = b;
      b = t;
    }
  return a;
}

void
cfm_op_scale_stride (CfmGraphGeometry *geo, int a, long long num,
                     long long den)
{
  long long n = geo->stride_num[a], d = geo->stride_den[a], r;

  if (num < 1 || den < 1)
    return;
  geo->stride[a] = geo->stride[a] * (double) num / (double) den;
  r = gcd (n, den);
  n /= r;
  den /= r;
  r = gcd (num, d);
  num /= r;
  d /= r;
  if (n <= FRACTION_MAX / num && d <= FRACTION_MAX / den)
    {
      geo->stride_num[a] = n * num;
      geo->stride_den[a] = d * den;
    }
}

void
cfm_op_window_geometry (CfmGraphGeometry *geo, int a, int k, int s, int p,
                        int d)
{
  double reach = (double) d * (k - 1);   /* first tap to last, in inputs */

  geo->centre[a] += (reach / 2.0 - p) * geo->stride[a];
  geo->field[a] += reach * geo->stride[a];
  cfm_op_scale_stride (geo, a, s, 1);
}

static int
moves_pixels (const CfmModule *m)
{
  return m->kind == CFM_MODULE_CONV || m->kind == CFM_MODULE_MAXPOOL
         || m->kind == CFM_MODULE_AVGPOOL;
}

void
cfm_op_module_geometry (const CfmGraph *g, const CfmNode *node,
                        CfmGraphGeometry *geo)
{
  const CfmModule *m = &node->m;
  int a;

  (void) g;
  if (!moves_pixels (m))
    return;
  for (a = 0; a < 2; a++)
    cfm_op_window_geometry (geo, a, m->k[a], m->stride[a], m->pad[a],
                            m->dil[a]);
}

void
cfm_op_whole_geometry (const CfmGraph *g, const CfmNode *node,
                       CfmGraphGeometry *geo)
{
  const CfmValue *in = cfm_op_input (g, node, 0);

  if (in->rank == 4)
    {
      cfm_op_window_geometry (geo, 0, in->h, in->h, 0, 1);
      cfm_op_window_geometry (geo, 1, in->w, in->w, 0, 1);
    }
  geo->global = 1;
}

static void
identity (CfmGraphGeometry *geo)
{
  int a;

  for (a = 0; a < 2; a++)
    {
      geo->stride_num[a] = geo->stride_den[a] = 1;
      geo->stride[a] = 1.0;
      geo->centre[a] = 0.0;
      geo->field[a] = 1.0;
    }
  geo->global = 0;
}

/* Whether map value V is a global step's result broadcast over a map (a
 * gate of 1 x 1, or a vector). */
static int
is_gate (const CfmValue *v, const CfmGraphGeometry *geo)
{
  return geo->global && (v->rank != 4 || (v->h == 1 && v->w == 1));
}

/* The geometry NODE's output starts from: its widest map input's, gates
 * only where it has no other; GLOBAL when any input has it. */
static void
inputs_geometry (const CfmGraph *g, const CfmNode *node,
                 const CfmGraphGeometry *of, CfmGraphGeometry *geo)
{
  int k, best = -1, best_gate = 1, global = 0;

  identity (geo);
  for (k = 0; k < node->n_inputs; k++)
    {
      const CfmValue *v = cfm_op_input (g, node, k);
      int i = node->inputs[k], gate;

      if (v == NULL || v->kind != CFM_VALUE_MAP)
        continue;
      gate = is_gate (v, &of[i]);
      global |= of[i].global;
      if (best < 0 || (best_gate && !gate)
          || (gate == best_gate && of[i].field[0] + of[i].field[1]
              > of[best].field[0] + of[best].field[1]))
        {
          best = i;
          best_gate = gate;
        }
    }
  if (best >= 0)
    *geo = of[best];
  geo->global = global;
}

CfmStatus
cfm_graph_geometry (const CfmGraph *g, int node, CfmGraphGeometry *geo,
                    CfmError *err)
{
  char why[CFM_ERROR_MAX];
  CfmGraphGeometry *of;
  int i, k;

  if (node < 0 || node >= g->n_nodes || !g->sized)
    return cfm_error_set (err, CFM_ERR_ARG, "no such node, or the graph is "
                          "not sized");
  if (!cfm_graph_node_runs (g, node, why))
    return cfm_error_set (err, CFM_ERR_ARG, "%s", why);
  of = calloc ((size_t) g->n_values, sizeof *of);
  if (of == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for the "
                          "geometry of %d values", g->n_values);
  identity (&of[g->input]);
  for (i = 0; i <= node; i++)
    {
      const CfmNode *n = &g->nodes[i];
      CfmGraphGeometry out;

      inputs_geometry (g, n, of, &out);
      if (n->op && n->op->geometry && !n->unsized)
        n->op->geometry (g, n, &out);
      for (k = 0; k < n->n_outputs; k++)
        of[n->outputs[k]] = out;
    }
  *geo = of[g->nodes[node].outputs[0]];
  free (of);
  return CFM_OK;
}
