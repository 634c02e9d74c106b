/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_plan_node.c: a plan on any node of a model's graph that its chain
 * does not reach (a residual block, a concatenation, a squeeze-excitation
 * product, an upsampling): the node's output as the plan's one stage, its
 * channels selected, where its maps lie over the image (its API:
 * cfm_plan.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cfm_plan.h"
#include "cfm_i18n.h"

/* The plan's own copy of the model's graph, sized for the input, and
 * NODE's output as the CONV stage's value; NULL with a message when NODE
 * cannot be computed for this input. */
static const CfmValue *
node_value (CfmPlan *plan, gint node, GError **error)
{
  const gchar *label = cfm_graph_node_label (&plan->model->model->graph,
                                             node);
  gchar why[CFM_ERROR_MAX];
  const CfmValue *v;

  if (!cfm_plan_size_graph (plan, label, error))
    return NULL;
  if (!cfm_graph_node_runs (&plan->graph, node, why))
    {
      g_set_error (error, CFM_ERROR, 0, "%s", why);
      return NULL;
    }
  v = &plan->graph.values[plan->graph.nodes[node].outputs[0]];
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

/* Where NODE's maps (V) lie: with "align", a map pixel is a block of its
 * total stride's photo pixels centred on its receptive field, as a
 * convolution block's; a node whose pixels do not step a whole number of
 * photo pixels, or step rows and columns differently, cannot be laid so. */
static gboolean
node_place (CfmPlan *plan, gint node, const CfmValue *v, const gchar *label,
            GError **error)
{
  CfmPlanStage *st = &plan->stages[CFM_STAGE_CONV];
  gboolean align = plan->vals.v[CFM_ARG_ALIGN].i;
  CfmGraphGeometry geo;
  CfmError err;

  st->shown = TRUE;
  st->map_w = v->w;
  st->map_h = v->h;
  st->scale = 1;
  st->x = plan->origin_x;
  st->y = plan->origin_y;
  if (!align)
    return TRUE;
  if (cfm_graph_geometry (&plan->graph, node, &geo, &err) != CFM_OK)
    {
      g_set_error (error, CFM_ERROR, 0, "%s: %s", label, err.message);
      return FALSE;
    }
  if (geo.stride_den[0] != 1 || geo.stride_den[1] != 1
      || geo.stride_num[0] != geo.stride_num[1])
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

gboolean
cfm_plan_node (CfmPlan *plan, gint node, GError **error)
{
  const gchar *label = cfm_graph_node_label (&plan->model->model->graph,
                                             node);
  const CfmValue *v;
  gint s;

  plan->model->node = node;
  for (s = 0; s < CFM_N_STAGES; s++)
    plan->model->module[s] = plan->model->block.module[s] = -1;
  plan->model->block.first = plan->model->block.last = -1;
  v = node_value (plan, node, error);
  return v && node_channels (plan, v, label, error)
         && node_place (plan, node, v, label, error);
}
