/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_names.c: the names of the groups and layers a run adds (its API:
 * cfm_names.h). */
#include "config.h"

#include <math.h>

#include "cfm_names.h"

const gchar *
cfm_names_stage (const CfmPlan *plan, CfmStage stage)
{
  if (stage == CFM_STAGE_CONV)
    return "conv";
  if (stage == CFM_STAGE_ACTIVATION)
    return cfm_args_choice_nick (CFM_ARG_ACTIVATION,
                                 plan->vals.v[CFM_ARG_ACTIVATION].i);
  return plan->pl.pool.type == CFM_POOL_MAX ? "max-pool" : "avg-pool";
}

gchar *
cfm_names_group (const CfmPlan *plan)
{
  gint bank = plan->vals.v[CFM_ARG_FILTER_BANK].i;

  return g_strdup_printf ("CNN Feature Maps (%s, %d filter%s)",
                          cfm_args_choice_nick (CFM_ARG_FILTER_BANK, bank),
                          plan->bank.n, plan->bank.n == 1 ? "" : "s");
}

gchar *
cfm_names_filter (const CfmPlan *plan, gint f)
{
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
  if (stage == CFM_STAGE_CONV)
    return g_strdup_printf ("Filter %d %s (%s .. %s)", plan->numbers[f],
                            name, lo, hi);
  return g_strdup_printf ("Filter %d %s (%s .. %s, %d%% zero)",
                          plan->numbers[f], name, lo, hi,
                          (gint) floor (100.0 * stats->zeros
                                        / MAX (stats->count, 1) + 0.5));
}

gchar *
cfm_names_kernel (const CfmPlan *plan, gint f)
{
  return g_strdup_printf ("Filter %d kernel", plan->numbers[f]);
}

gchar *
cfm_names_legend (const CfmPlan *plan, CfmStage stage)
{
  return g_strdup_printf ("%s legend", cfm_names_stage (plan, stage));
}
