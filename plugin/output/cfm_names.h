/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_names.h: the names of the groups and layers a run adds.
 *
 * The prefixes are a contract that scripts rely on (the README and
 * docs/usage.md show them):
 *   group        "CNN Feature Maps (<bank>, <N> filter[s])"
 *   filter group "Filter <n>"
 *   map layer    "Filter <n> conv", "Filter <n> <activation>" (relu,
 *                leaky-relu, abs, none), "Filter <n> max-pool" or
 *                "... avg-pool", then " (" and a note: the map's range and,
 *                after the activation, its share of zeros
 *   kernels      group "Kernels", layers "Filter <n> kernel"
 *   legends      group "Legends", layers "<stage> legend"
 * n is the filter's 1-based number in its (expanded) bank.  A trained
 * model's layer (the filter bank "model"):
 *   group        "CNN Feature Maps (<model file>, <layer>)", and where the
 *                network ends in a classifier ": <top class> <percent>%"
 *   channel group "Channel <n>"
 *   map layer    "<module> map <n>" (features.3 map 5: the module whose
 *                output it is), then " (" and the range and share of zeros
 *   kernels      "<conv module> kernel <n>"; legends "<module> legend"
 * n is the channel's 1-based number in the module's output.  A class
 * activation map ("cam"):
 *   layer        "<method> <layer> class <index>", then " (<label>)"
 *                where the classes have labels (grad-cam layer4 class
 *                281 (tabby)); index 0-based, as PyTorch numbers them
 *   legend       "<method> <layer> legend" */
#ifndef CFM_NAMES_H
#define CFM_NAMES_H

#include "cfm_plan.h"

#define CFM_NAME_KERNELS "Kernels"
#define CFM_NAME_LEGENDS "Legends"

/* "conv", the activation's nick, "max-pool" or "avg-pool". */
const gchar *cfm_names_stage (const CfmPlan *plan, CfmStage stage);

/* The run's group; TOP, a classifier's top class ("tabby 87.3%"), or
 * NULL. */
gchar *cfm_names_group (const CfmPlan *plan, const gchar *top);

/* The sub-group of the plan's filter F. */
gchar *cfm_names_filter (const CfmPlan *plan, gint f);

/* The map layer of filter F at STAGE, whose map has STATS. */
gchar *cfm_names_map (const CfmPlan *plan, CfmStage stage, gint f,
                      const CfmStats *stats);

/* The stage and the plan's filter index of the map layer named NAME (its
 * note may follow), or FALSE when PLAN makes no such layer. */
gboolean cfm_names_parse_map (const CfmPlan *plan, const gchar *name,
                              CfmStage *stage, gint *f);

/* The kernel figure of filter F, and the legend of STAGE. */
gchar *cfm_names_kernel (const CfmPlan *plan, gint f);
gchar *cfm_names_legend (const CfmPlan *plan, CfmStage stage);

/* The class activation map of class CLS, and its legend. */
gchar *cfm_names_cam (const CfmPlan *plan, gint cls);

/* The class of the class activation map layer named NAME (its label may
 * follow), or FALSE when PLAN makes no such layer. */
gboolean cfm_names_parse_cam (const CfmPlan *plan, const gchar *name,
                              gint *cls);
gchar *cfm_names_cam_legend (const CfmPlan *plan);

#endif
