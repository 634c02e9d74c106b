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

#endif
