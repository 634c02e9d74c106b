/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_pipeline.h: running a CfmPipeline band by band in a test. */
#ifndef TEST_PIPELINE_H
#define TEST_PIPELINE_H

#include "test_util.h"
#include "cfm_pipeline.h"

/* Runs PL on X (in_c planes of in_h x in_w) in bands of MAX_ROWS conv
 * rows, assembling full conv, activation and pooled maps (n planes each)
 * from each band's new rows. */
static inline void
run_banded (const CfmPipeline *pl, const float *x, int max_rows,
            float *conv, float *act, float *pool)
{
  size_t cplane = (size_t) pl->conv_h * pl->conv_w;
  size_t pplane = (size_t) pl->pool_h * pl->pool_w;
  int conv_done = 0, pool_done = 0, f, ch;
  CfmBandPlan plan;
  CfmError err;

  while (cfm_pipeline_next_band (pl, max_rows, &conv_done, &pool_done,
                                 &plan))
    {
      size_t bc = (size_t) plan.conv_rows * pl->conv_w;
      size_t bi = (size_t) plan.in_rows * pl->in_w;
      float *bin = malloc ((bi * pl->in_c + 1) * sizeof (float));
      float *bconv = malloc (bc * pl->bank->n * sizeof (float));
      float *bact = malloc (bc * pl->bank->n * sizeof (float));
      float *bpool = malloc (((size_t) plan.pool_rows * pl->pool_w + 1)
                             * pl->bank->n * sizeof (float));
      CfmBand band = { bin, pl->in_c, pl->in_h, pl->in_w, plan.in_row0,
                       plan.in_rows, 0 };

      for (ch = 0; ch < pl->in_c; ch++)
        memcpy (bin + ch * bi,
                x + ((size_t) ch * pl->in_h + plan.in_row0) * pl->in_w,
                bi * sizeof (float));
      CHECK (cfm_pipeline_run_band (pl, &plan, &band, bconv, bact, bpool,
                                    &err) == CFM_OK, "%s", err.message);
      for (f = 0; f < pl->bank->n; f++)
        {
          size_t skip = (size_t) (plan.new_row0 - plan.conv_row0)
                        * pl->conv_w;
          size_t rows = (size_t) plan.new_rows * pl->conv_w;

          memcpy (conv + f * cplane + (size_t) plan.new_row0 * pl->conv_w,
                  bconv + f * bc + skip, rows * sizeof (float));
          memcpy (act + f * cplane + (size_t) plan.new_row0 * pl->conv_w,
                  bact + f * bc + skip, rows * sizeof (float));
          if (pplane)
            memcpy (pool + f * pplane + (size_t) plan.pool_row0 * pl->pool_w,
                    bpool + (size_t) f * plan.pool_rows * pl->pool_w,
                    (size_t) plan.pool_rows * pl->pool_w * sizeof (float));
        }
      free (bin);
      free (bconv);
      free (bact);
      free (bpool);
    }
}

#endif
