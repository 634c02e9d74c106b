/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_names.c: the names of the groups and layers a run adds (its API:
 * cfm_names.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cfm_names.h"

/* The module of a model plan's STAGE: its node's label in the graph. */
static const gchar *
module_name (const CfmPlan *plan, CfmStage stage)
{
  const CfmPlanModel *pm = plan->model;
  gint n = pm->stage_node[stage] >= 0 ? pm->stage_node[stage]
                                      : pm->block.stage[stage];

  if (pm->node >= 0)   /* named as the user named it: a module path
                          names the node that computes its output, whose
                          own may be deeper (layer1.0's is its relu_1) */
    return stage == CFM_STAGE_CONV ? plan->vals.v[CFM_ARG_LAYER].s : "";
  return n >= 0 ? cfm_graph_node_label (&plan->graph, n) : "";
}

const gchar *
cfm_names_stage (const CfmPlan *plan, CfmStage stage)
{
  if (plan->model)
    return module_name (plan, stage);
  if (stage == CFM_STAGE_CONV)
    return "conv";
  if (stage == CFM_STAGE_ACTIVATION)
    return cfm_args_choice_nick (CFM_ARG_ACTIVATION,
                                 plan->vals.v[CFM_ARG_ACTIVATION].i);
  return plan->pl.pool.type == CFM_POOL_MAX ? "max-pool" : "avg-pool";
}

gchar *
cfm_names_group (const CfmPlan *plan, const gchar *top)
{
  gint bank = plan->vals.v[CFM_ARG_FILTER_BANK].i;
  const gchar *layer = plan->vals.v[CFM_ARG_LAYER].s;

  if (plan->model)
    return g_strdup_printf ("CNN Feature Maps (%s, %s)%s%s",
                            plan->model->name,
                            layer && *layer ? layer
                            : module_name (plan, CFM_STAGE_CONV),
                            top ? ": " : "", top ? top : "");
  return g_strdup_printf ("CNN Feature Maps (%s, %d filter%s)",
                          cfm_args_choice_nick (CFM_ARG_FILTER_BANK, bank),
                          plan->bank.n, plan->bank.n == 1 ? "" : "s");
}

gchar *
cfm_names_filter (const CfmPlan *plan, gint f)
{
  if (plan->model)
    return g_strdup_printf ("Channel %d", plan->numbers[f]);
  return g_strdup_printf ("Filter %d", plan->numbers[f]);
}

gchar *
cfm_names_map (const CfmPlan *plan, CfmStage stage, gint f,
               const CfmStats *stats)
{
  gchar lo[G_ASCII_DTOSTR_BUF_SIZE], hi[G_ASCII_DTOSTR_BUF_SIZE];
  const gchar *name = cfm_names_stage (plan, stage);

  g_ascii_formatd (lo, sizeof lo, "%.3g", stats->min);
  g_ascii_formatd (hi, sizeof hi, "%.3g", stats->max);
  if (plan->model && stage == CFM_STAGE_CONV)
    return g_strdup_printf ("%s map %d (%s .. %s)", name, plan->numbers[f],
                            lo, hi);
  if (plan->model)
    return g_strdup_printf ("%s map %d (%s .. %s, %d%% zero)", name,
                            plan->numbers[f], lo, hi,
                            (gint) floor (100.0 * stats->zeros
                                          / MAX (stats->count, 1) + 0.5));
  if (stage == CFM_STAGE_CONV)
    return g_strdup_printf ("Filter %d %s (%s .. %s)", plan->numbers[f],
                            name, lo, hi);
  return g_strdup_printf ("Filter %d %s (%s .. %s, %d%% zero)",
                          plan->numbers[f], name, lo, hi,
                          (gint) floor (100.0 * stats->zeros
                                        / MAX (stats->count, 1) + 0.5));
}

/* A map layer's name without its note. */
static gchar *
map_prefix (const CfmPlan *plan, CfmStage stage, gint f)
{
  if (plan->model)
    return g_strdup_printf ("%s map %d", cfm_names_stage (plan, stage),
                            plan->numbers[f]);
  return g_strdup_printf ("Filter %d %s", plan->numbers[f],
                          cfm_names_stage (plan, stage));
}

gboolean
cfm_names_parse_map (const CfmPlan *plan, const gchar *name, CfmStage *stage,
                     gint *f)
{
  const gchar *note = strstr (name, " (");
  gsize len = note ? (gsize) (note - name) : strlen (name);
  gint s, i;

  for (s = 0; s < CFM_N_STAGES; s++)
    for (i = 0; plan->stages[s].shown && i < plan->n_maps; i++)
      {
        gchar *prefix = map_prefix (plan, (CfmStage) s, i);
        gboolean same = strlen (prefix) == len
                        && strncmp (prefix, name, len) == 0;

        g_free (prefix);
        if (same)
          {
            *stage = (CfmStage) s;
            *f = i;
            return TRUE;
          }
      }
  return FALSE;
}

gchar *
cfm_names_kernel (const CfmPlan *plan, gint f)
{
  if (plan->model)
    return g_strdup_printf ("%s kernel %d",
                            module_name (plan, CFM_STAGE_CONV),
                            plan->numbers[f]);
  return g_strdup_printf ("Filter %d kernel", plan->numbers[f]);
}

gchar *
cfm_names_legend (const CfmPlan *plan, CfmStage stage)
{
  return g_strdup_printf ("%s legend", cfm_names_stage (plan, stage));
}

gchar *
cfm_names_cam (const CfmPlan *plan, gint cls)
{
  const gchar *method = cfm_cam_method_name (plan->cam.method);

  if (cls < plan->labels.n)
    return g_strdup_printf ("%s %s class %d (%s)", method, plan->cam.layer,
                            cls, plan->labels.names[cls]);
  return g_strdup_printf ("%s %s class %d", method, plan->cam.layer, cls);
}

gboolean
cfm_names_parse_cam (const CfmPlan *plan, const gchar *name, gint *cls)
{
  gchar *prefix, *end;
  gboolean ok = FALSE;
  gint64 k;

  if (plan->cam.method == CFM_CAM_NONE)
    return FALSE;
  prefix = g_strdup_printf ("%s %s class ",
                            cfm_cam_method_name (plan->cam.method),
                            plan->cam.layer);
  if (g_str_has_prefix (name, prefix)
      && g_ascii_isdigit (name[strlen (prefix)]))
    {
      k = g_ascii_strtoll (name + strlen (prefix), &end, 10);
      ok = (*end == '\0' || *end == ' ')
           && k < plan->graph.values[plan->logits].c;
      *cls = (gint) k;
    }
  g_free (prefix);
  return ok;
}

gchar *
cfm_names_cam_legend (const CfmPlan *plan)
{
  return g_strdup_printf ("%s %s legend",
                          cfm_cam_method_name (plan->cam.method),
                          plan->cam.layer);
}
