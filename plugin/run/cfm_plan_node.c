/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_plan_node.c: the chosen layer's nodes of a model's graph as the
 * plan's stages: a convolution's block (its own output, the activation
 * after it, the pooling, as "show-*" choose), or any other node's output
 * (a residual block, a concatenation, a squeeze-excitation product, an
 * upsampling) as the one stage; their channels selected, where their
 * maps lie over the image (its API: cfm_plan.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cfm_plan.h"
#include "cfm_i18n.h"

/* Whether NODE cannot run because a node it depends on got an input
 * smaller than it takes (the image or selection is too small for it). */
static gboolean
input_too_small (const CfmGraph *g, gint node)
{
  gboolean *needed = g_new0 (gboolean, node + 1), small = FALSE;
  gint i, k;

  needed[node] = TRUE;
  for (i = node; i >= 0 && !small; i--)
    if (needed[i])
      {
        small = g->nodes[i].unsized;
        for (k = 0; k < g->nodes[i].n_inputs; k++)
          {
            gint v = g->nodes[i].inputs[k];

            if (v >= 0 && g->values[v].producer >= 0)
              needed[g->values[v].producer] = TRUE;
          }
      }
  g_free (needed);
  return small;
}

/* NODE's output in the plan's graph, or NULL with a message when it
 * cannot be computed for this input. */
static const CfmValue *
runs_here (CfmPlan *plan, gint node, GError **error)
{
  const gchar *label = cfm_graph_node_label (&plan->graph, node);
  gchar why[CFM_ERROR_MAX];

  if (cfm_graph_node_runs (&plan->graph, node, why))
    return &plan->graph.values[plan->graph.nodes[node].outputs[0]];
  if (input_too_small (&plan->graph, node))
    g_set_error (error, CFM_ERROR, 0, _("The image or selection is too "
                                        "small for this layer: %s"), why);
  else
    g_set_error (error, CFM_ERROR, 0, "%s: %s", label, why);
  return NULL;
}

/* NODE's output as the CONV stage's value; NULL with a message when it
 * cannot be computed for this input or is not maps. */
static const CfmValue *
node_value (CfmPlan *plan, gint node, GError **error)
{
  const gchar *label = cfm_graph_node_label (&plan->graph, node);
  const CfmValue *v = runs_here (plan, node, error);

  if (v == NULL)
    return NULL;
  if (v->rank == 2)
    {
      g_set_error (error, CFM_ERROR, 0, _("%s gives a vector of %d values, "
                                          "not maps: choose a layer before "
                                          "the network's flatten."),
                   label, v->c);
      return NULL;
    }
  if (v->rank != 4)
    {
      g_set_error (error, CFM_ERROR, 0, _("%s is a channel shuffle's view "
                                          "of its maps: choose the node "
                                          "after it."), label);
      return NULL;
    }
  plan->value[CFM_STAGE_CONV] = plan->graph.nodes[node].outputs[0];
  plan->value[CFM_STAGE_ACTIVATION] = plan->value[CFM_STAGE_POOL] = -1;
  return v;
}

/* The channels of V the "filters" argument selects. */
static gboolean
node_channels (CfmPlan *plan, const CfmValue *v, const gchar *label,
               GError **error)
{
  gint *index = g_new (gint, v->c), count, f;
  CfmError err;

  if (cfm_filter_list_parse (plan->vals.v[CFM_ARG_FILTERS].s, v->c, index,
                             &count, &err) != CFM_OK)
    {
      g_free (index);
      g_set_error (error, CFM_ERROR, 0, "%s: %s", label, err.message);
      return FALSE;
    }
  plan->n_maps = count;
  plan->numbers = g_new (gint, count);
  plan->channel = g_new (gint, count);
  for (f = 0; f < count; f++)
    {
      plan->numbers[f] = index[f] + 1;
      plan->channel[f] = index[f];
    }
  g_free (index);
  return TRUE;
}

/* Where stage S, NODE's maps (V), lie: with "align", a map pixel is a
 * block of its total stride's photo pixels centred on its receptive
 * field; a node whose pixels do not step a whole number of photo pixels,
 * or step rows and columns differently, cannot be laid so. */
static gboolean
place_stage (CfmPlan *plan, CfmStage s, gint node, const CfmValue *v,
             GError **error)
{
  const gchar *label = cfm_graph_node_label (&plan->graph, node);
  CfmPlanStage *st = &plan->stages[s];
  CfmGraphGeometry geo;
  CfmError err;

  st->map_w = v->w;
  st->map_h = v->h;
  st->scale = 1;
  st->x = plan->origin_x;
  st->y = plan->origin_y;
  if (!plan->vals.v[CFM_ARG_ALIGN].i)
    return TRUE;
  if (cfm_graph_geometry (&plan->graph, node, &geo, &err) != CFM_OK)
    {
      g_set_error (error, CFM_ERROR, 0, "%s: %s", label, err.message);
      return FALSE;
    }
  if (geo.stride_den[0] == 1 && geo.stride_den[1] == 1
      && geo.stride_num[0] != geo.stride_num[1])
    {
      g_set_error (error, CFM_ERROR, 0, _("%s steps %d rows but %d "
                                          "columns: turn \"align\" off to "
                                          "see its maps."),
                   label, (gint) geo.stride_num[0], (gint) geo.stride_num[1]);
      return FALSE;
    }
  if (geo.stride_den[0] != 1 || geo.stride_den[1] != 1)
    {
      g_set_error (error, CFM_ERROR, 0, _("A pixel of %s steps %g photo "
                                          "rows and %g columns: not a "
                                          "block of whole photo pixels. "
                                          "Turn \"align\" off to see its "
                                          "maps at their own size."),
                   label, geo.stride[0], geo.stride[1]);
      return FALSE;
    }
  st->scale = (gint) geo.stride_num[1];
  st->x += (gint) floor (geo.centre[1] - (st->scale - 1) / 2.0);
  st->y += (gint) floor (geo.centre[0] - (st->scale - 1) / 2.0);
  return TRUE;
}

/* The kernels of the selected channels of the block's convolution CONV,
 * as the plan's bank (the kernel figures). */
static void
block_kernels (CfmPlan *plan, const CfmModule *conv)
{
  gsize kernel = (gsize) conv->in_c / conv->groups * conv->k[0] * conv->k[1];
  gint f;

  plan->bank.n = plan->n_maps;
  plan->bank.c = conv->in_c / conv->groups;
  plan->bank.kh = conv->k[0];
  plan->bank.kw = conv->k[1];
  plan->bank.weights = g_new (gfloat, kernel * plan->n_maps + 1);
  for (f = 0; f < plan->n_maps; f++)
    memcpy (plan->bank.weights + kernel * f,
            conv->weight + kernel * plan->channel[f],
            kernel * sizeof (gfloat));
}

/* The stages of the convolution block BLOCK: each present one placed,
 * the shown ones ("show-*") computed. */
static gboolean
plan_block (CfmPlan *plan, const CfmGraphBlock *block, GError **error)
{
  static const CfmArgId shown[CFM_N_STAGES] = {
    [CFM_STAGE_CONV] = CFM_ARG_SHOW_CONV,
    [CFM_STAGE_ACTIVATION] = CFM_ARG_SHOW_ACTIVATION,
    [CFM_STAGE_POOL] = CFM_ARG_SHOW_POOL,
  };
  gint conv = block->stage[CFM_BLOCK_CONV], s;
  const gchar *label = cfm_graph_node_label (&plan->graph, conv);
  const CfmValue *v = runs_here (plan, conv, error);
  gboolean any = FALSE;

  if (v == NULL || !node_channels (plan, v, label, error))
    return FALSE;
  block_kernels (plan, &plan->graph.nodes[conv].m);
  for (s = 0; s < CFM_N_STAGES; s++)
    {
      gint n = block->stage[s];

      plan->value[s] = plan->model->stage_node[s] = -1;
      plan->stages[s].shown = FALSE;
      if (n < 0)
        continue;
      if ((v = runs_here (plan, n, error)) == NULL
          || !place_stage (plan, s, n, v, error))
        return FALSE;
      if (!plan->vals.v[shown[s]].i)
        continue;
      plan->model->stage_node[s] = n;
      plan->value[s] = plan->graph.nodes[n].outputs[0];
      plan->stages[s].shown = any = TRUE;
    }
  if (!any)
    g_set_error (error, CFM_ERROR, 0, _("Nothing to show: the block of %s "
                                        "has no such stage; turn on its "
                                        "convolution maps."), label);
  return any;
}

gboolean
cfm_plan_node (CfmPlan *plan, gint node, GError **error)
{
  CfmPlanModel *pm = plan->model;
  const CfmValue *v;
  gint s;

  pm->node = -1;
  for (s = 0; s < CFM_N_STAGES; s++)
    pm->stage_node[s] = -1;
  if (!cfm_plan_size_graph (plan, cfm_graph_node_label (&pm->model->graph,
                                                        node), error))
    return FALSE;
  if (cfm_graph_layer_block (&plan->graph, plan->vals.v[CFM_ARG_LAYER].s,
                             node, &pm->block))
    return plan_block (plan, &pm->block, error);
  pm->node = pm->stage_node[CFM_STAGE_CONV] = node;
  v = node_value (plan, node, error);
  plan->stages[CFM_STAGE_CONV].shown = TRUE;
  return v && node_channels (plan, v, cfm_graph_node_label (&plan->graph,
                                                             node), error)
         && place_stage (plan, CFM_STAGE_CONV, node, v, error);
}
