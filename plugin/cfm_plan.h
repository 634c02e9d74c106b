/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_plan.h: a run's plan, made once from the arguments: the bank loaded,
 * expanded and selected, the bias, the pipeline, each stage's size and
 * place, and the shape the dialogs show.  The run, the dialogs' summary
 * and the preview all take a plan; nothing parses kernels again. */
#ifndef CFM_PLAN_H
#define CFM_PLAN_H

#include "cfm_args.h"
#include "cfm_display.h"
#include "cfm_pipeline.h"

/* One stage's maps as layers. */
typedef struct
{
  gboolean shown;
  gint     map_w, map_h;
  gint     scale;      /* layer pixels per map pixel */
  gint     x, y;       /* the layer's position in the image */
} CfmPlanStage;

typedef struct
{
  CfmArgValues  vals;       /* the run's arguments, the plan's own copy */
  CfmBank       full;       /* the bank loaded and expanded */
  CfmBank       bank;       /* the selected filters, input channels set */
  gint         *numbers;    /* their 1-based numbers in the full bank */
  gfloat       *bias;       /* one per selected filter */
  CfmPipeline   pl;         /* on bank and bias */
  CfmPlanStage  stages[CFM_N_STAGES];
  gint          width, height, channels;   /* the network's input */
  gint          origin_x, origin_y;        /* the input's image position */
  gboolean      image_rgb;
} CfmPlan;

/* The sizes a run will produce, for the dialog to show. */
typedef struct
{
  gint n_filters;
  gint in_width, in_height;
  gint conv_width, conv_height;
  gint pool_width, pool_height;   /* 0 when pooling is off */
  gint dropped_cols, dropped_rows;   /* input pixels no output covers */
} CfmRunShape;

/* Checks VALS and plans a run on an input of WIDTH x HEIGHT at image
 * position ORIGIN_X, ORIGIN_Y of an RGB (IMAGE_RGB) or gray image; NULL
 * with a message for the user when something is wrong. */
CfmPlan *cfm_plan_new (const CfmArgValues *vals, gboolean image_rgb,
                       gint width, gint height, gint origin_x, gint origin_y,
                       GError **error);

/* The kernels VALS name (after checking VALS), loaded and expanded into
 * FULL: the part of a plan that parses kernel text or reads a file. */
gboolean cfm_plan_load_bank (const CfmArgValues *vals, CfmBank *full,
                             GError **error);

/* cfm_plan_new on kernels FULL that cfm_plan_load_bank loaded for the
 * same bank, kernel text or file and expansion as VALS name (a plan for a
 * second drawable, the dialog's plans). */
CfmPlan *cfm_plan_new_on_bank (const CfmBank *full, const CfmArgValues *vals,
                               gboolean image_rgb, gint width, gint height,
                               gint origin_x, gint origin_y, GError **error);

void cfm_plan_free (CfmPlan *plan);

void cfm_plan_shape (const CfmPlan *plan, CfmRunShape *shape);

/* The index among the plan's filters of filter NUMBER, or -1. */
gint cfm_plan_filter_index (const CfmPlan *plan, gint number);

/* The display range of a map with statistics MAP in a stage with
 * statistics SET, as the plan's normalize and colormap say. */
void cfm_plan_display_range (const CfmPlan *plan, const CfmStats *map,
                             const CfmStats *set, gfloat *lo, gfloat *hi);

#endif
