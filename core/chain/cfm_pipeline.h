/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_pipeline.h: the tutorial's Conv2d -> activation -> pooling, in bands.
 *
 * A host describes the run once (cfm_pipeline_init checks every size), then
 * walks the bands cfm_pipeline_next_band plans: for each it reads the input
 * rows the plan names, calls cfm_pipeline_run_band, and writes out the new
 * conv and activation rows and the pooled rows.  Memory stays at one band
 * of each stage, whatever the image size; conv, activation and pooling of a
 * band run back to back while the band is in cache. */
#ifndef CFM_PIPELINE_H
#define CFM_PIPELINE_H

#include "cfm_bank.h"
#include "cfm_conv.h"
#include "cfm_error.h"

/* The stages a map can come from. */
typedef enum
{
  CFM_STAGE_CONV,
  CFM_STAGE_ACTIVATION,
  CFM_STAGE_POOL,
  CFM_N_STAGES
} CfmStage;

typedef struct
{
  const CfmBank *bank;
  const float   *bias;            /* bank->n values, or NULL */
  CfmConvParams  conv;
  CfmActivation  activation;
  float          negative_slope;
  int            pool_enabled;
  CfmPoolParams  pool;
  int            threads;         /* 0: all processors */
  CfmPath        path;            /* CFM_PATH_AUTO: the fastest */

  /* Derived by cfm_pipeline_init. */
  int in_c, in_h, in_w;
  int conv_h, conv_w;
  int pool_h, pool_w;             /* 0 when pooling is off */
} CfmPipeline;

typedef struct
{
  int in_row0, in_rows;       /* input rows the band reads */
  int conv_row0, conv_rows;   /* conv and activation rows it computes */
  int new_row0, new_rows;     /* of those, the rows no earlier band gave */
  int pool_row0, pool_rows;   /* pooled rows it computes */
} CfmBandPlan;

/* Fills in PL's derived sizes for an input of C x H x W and checks them:
 * the fields above "Derived" must be set first.  POOL_ENABLED off leaves
 * pool_h = pool_w = 0. */
CfmStatus cfm_pipeline_init (CfmPipeline *pl, int c, int h, int w,
                             CfmError *err);

/* Plans the next band of about MAX_ROWS conv rows.  *CONV_DONE and
 * *POOL_DONE start at 0 and are advanced; returns 0 when all rows are done. */
int cfm_pipeline_next_band (const CfmPipeline *pl, int max_rows,
                            int *conv_done, int *pool_done,
                            CfmBandPlan *plan);

/* Runs one planned band.  IN holds the plan's input rows.  CONV and ACT
 * receive n planes of plan->conv_rows x conv_w (plane stride conv_rows *
 * conv_w); POOL n planes of pool_rows x pool_w.  ACT may be NULL when
 * pooling is off and the activation is not wanted. */
CfmStatus cfm_pipeline_run_band (const CfmPipeline *pl,
                                 const CfmBandPlan *plan, const CfmBand *in,
                                 float *conv, float *act, float *pool,
                                 CfmError *err);

/* Where the maps of a stage lie over the input, in input pixels. */
typedef struct
{
  int map_w, map_h;   /* the map's own size (0 for pooling when it is off) */
  int scale;          /* input pixels per map pixel, along each axis */
  int x, y;           /* the map's top-left corner, relative to the input's */
} CfmPlacement;

/* The placement of STAGE's maps.  With ALIGN, a map pixel is centred on the
 * input pixels it read, as near as whole pixels allow (rounding toward the
 * top-left), and enlarged by its total stride; without, it has scale 1 at
 * the input's corner. */
void cfm_pipeline_place (const CfmPipeline *pl, CfmStage stage, int align,
                         CfmPlacement *placement);

/* The columns and rows at the right and bottom edges that no output reads
 * (no conv output, or with pooling no pooled output). */
void cfm_pipeline_dropped (const CfmPipeline *pl, int *cols, int *rows);

#endif
