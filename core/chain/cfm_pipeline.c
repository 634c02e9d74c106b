/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_pipeline.c: Conv2d -> activation -> pooling planned and run in bands;
 * where maps lie (its API: cfm_pipeline.h). */
#include "cfm_pipeline.h"
#include "cfm_parallel.h"

#include <stddef.h>

CfmStatus
cfm_pipeline_init (CfmPipeline *pl, int c, int h, int w, CfmError *err)
{
  CfmStatus status;
  size_t pixels;

  pl->in_c = c;
  pl->in_h = h;
  pl->in_w = w;
  pl->conv_h = pl->conv_w = pl->pool_h = pl->pool_w = 0;
  if (pl->bank == NULL || pl->bank->weights == NULL)
    return cfm_error_set (err, CFM_ERR_ARG, "no kernels to run");
  if (!cfm_size_mul ((size_t) h, (size_t) w, &pixels)
      || pixels > ((size_t) 1 << 40))
    return cfm_error_set (err, CFM_ERR_SIZE, "the input of %dx%d pixels is "
                          "too large", w, h);
  status = cfm_conv2d_shape (pl->bank, c, h, w, &pl->conv, &pl->conv_h,
                             &pl->conv_w, err);
  if (status != CFM_OK)
    return status;
  if ((int) pl->activation < 0 || (int) pl->activation > CFM_ACT_ABS)
    return cfm_error_set (err, CFM_ERR_ARG, "unknown activation %d",
                          (int) pl->activation);
  if (!pl->pool_enabled)
    return CFM_OK;
  status = cfm_pool2d_output_size (pl->conv_h, &pl->pool, &pl->pool_h, err);
  if (status == CFM_OK)
    status = cfm_pool2d_output_size (pl->conv_w, &pl->pool, &pl->pool_w,
                                     err);
  return status;
}

int
cfm_pipeline_next_band (const CfmPipeline *pl, int max_rows, int *conv_done,
                        int *pool_done, CfmBandPlan *plan)
{
  int conv_end;

  if (max_rows < 1)
    max_rows = 1;
  plan->pool_row0 = *pool_done;
  plan->pool_rows = 0;
  if (pl->pool_enabled && *pool_done < pl->pool_h)
    {
      int rows = max_rows / pl->pool.stride, a0, an;

      rows = rows < 1 ? 1 : rows;
      if (rows > pl->pool_h - *pool_done)
        rows = pl->pool_h - *pool_done;
      cfm_pool2d_input_rows (&pl->pool, pl->conv_h, *pool_done, rows, &a0,
                             &an);
      plan->pool_rows = rows;
      plan->conv_row0 = a0 < *conv_done ? a0 : *conv_done;
      conv_end = a0 + an > *conv_done ? a0 + an : *conv_done;
      if (*pool_done + rows == pl->pool_h)
        conv_end = pl->conv_h;   /* rows no pool window reads come last */
    }
  else
    {
      if (*conv_done >= pl->conv_h)
        return 0;
      plan->conv_row0 = *conv_done;
      conv_end = *conv_done + max_rows;
      conv_end = conv_end > pl->conv_h ? pl->conv_h : conv_end;
    }
  plan->conv_rows = conv_end - plan->conv_row0;
  plan->new_row0 = *conv_done;
  plan->new_rows = conv_end - *conv_done;
  cfm_conv2d_input_rows (&pl->conv, pl->bank->kh, pl->in_h, plan->conv_row0,
                         plan->conv_rows, &plan->in_row0, &plan->in_rows);
  *conv_done = conv_end;
  *pool_done += plan->pool_rows;
  return 1;
}

typedef struct
{
  const CfmPipeline *pl;
  const CfmBandPlan *plan;
  const float       *act;
  float             *pool;
  int                workers;
  CfmStatus          status[CFM_WORKERS_MAX];
  CfmError           err[CFM_WORKERS_MAX];
} PoolJob;

/* Pools worker W's share of the band's filters: whole maps, since pooling
 * reads only its own map. */
static void
pool_filters (void *data, int w)
{
  PoolJob *job = data;
  const CfmPipeline *pl = job->pl;
  size_t plane = (size_t) job->plan->conv_rows * pl->conv_w;
  size_t pool_plane = (size_t) job->plan->pool_rows * pl->pool_w;
  int f0 = pl->bank->n * w / job->workers;
  int f1 = pl->bank->n * (w + 1) / job->workers, f;

  job->status[w] = CFM_OK;
  for (f = f0; f < f1 && job->status[w] == CFM_OK; f++)
    job->status[w] = cfm_pool2d_forward (&pl->pool, job->act + f * plane,
                                         pl->conv_h, pl->conv_w,
                                         job->plan->conv_row0,
                                         job->plan->conv_rows,
                                         job->plan->pool_row0,
                                         job->plan->pool_rows,
                                         job->pool + f * pool_plane,
                                         &job->err[w]);
}

CfmStatus
cfm_pipeline_run_band (const CfmPipeline *pl, const CfmBandPlan *plan,
                       const CfmBand *in, float *conv, float *act,
                       float *pool, CfmError *err)
{
  CfmPoolTarget target = { &pl->pool, pl->conv_h, pl->conv_w,
                           plan->pool_row0, plan->pool_rows, pl->pool_w,
                           pool, (size_t) plan->pool_rows * pl->pool_w };
  CfmConvJob job = { pl->bank, pl->bias, in, pl->conv, plan->conv_row0,
                     plan->conv_rows, conv, act,
                     (size_t) plan->conv_rows * pl->conv_w, pl->activation,
                     pl->negative_slope, pl->pool_enabled ? &target : NULL,
                     pl->path, pl->threads, NULL, 0, 0 };
  PoolJob pj = { pl, plan, act, pool, 1, { CFM_OK }, { { CFM_OK, "" } } };
  CfmStatus status;
  int i, pooled = 0;

  status = cfm_conv2d_run (&job, &pooled, err);
  if (status != CFM_OK || act == NULL || plan->pool_rows == 0 || pooled)
    return status;
  pj.workers = cfm_thread_count (pl->threads,
                                 pl->bank->n < 16 ? pl->bank->n : 16);
  cfm_parallel_run (pj.workers, pool_filters, &pj);
  for (i = 0; i < pj.workers; i++)
    if (pj.status[i] != CFM_OK)
      {
        if (err)
          *err = pj.err[i];
        return pj.status[i];
      }
  return CFM_OK;
}

void
cfm_pipeline_place (const CfmPipeline *pl, CfmStage stage, int align,
                    CfmPlacement *placement)
{
  const CfmConvParams *c = &pl->conv;
  int s = c->stride, pool_off = 0;
  /* A map pixel is centred on the input pixels it read, as near as whole
   * pixels allow, rounding toward the top-left. */
  int off_y = -c->padding + (c->dilation * (pl->bank->kh - 1) + 1 - s) / 2;
  int off_x = -c->padding + (c->dilation * (pl->bank->kw - 1) + 1 - s) / 2;

  if (stage == CFM_STAGE_POOL)
    {
      placement->map_w = pl->pool_w;
      placement->map_h = pl->pool_h;
      placement->scale = s * pl->pool.stride;
      pool_off = s * ((pl->pool.size - pl->pool.stride) / 2
                      - pl->pool.padding);
    }
  else
    {
      placement->map_w = pl->conv_w;
      placement->map_h = pl->conv_h;
      placement->scale = s;
    }
  placement->x = align ? off_x + pool_off : 0;
  placement->y = align ? off_y + pool_off : 0;
  if (!align)
    placement->scale = 1;
}

void
cfm_pipeline_dropped (const CfmPipeline *pl, int *cols, int *rows)
{
  const CfmConvParams *c = &pl->conv;
  int span_w = c->dilation * (pl->bank->kw - 1) + 1;
  int span_h = c->dilation * (pl->bank->kh - 1) + 1;

  *cols = pl->in_w + 2 * c->padding - ((pl->conv_w - 1) * c->stride + span_w);
  *rows = pl->in_h + 2 * c->padding - ((pl->conv_h - 1) * c->stride + span_h);
  if (pl->pool_enabled)
    {
      *cols += c->stride * (pl->conv_w - ((pl->pool_w - 1) * pl->pool.stride
                                          + pl->pool.size));
      *rows += c->stride * (pl->conv_h - ((pl->pool_h - 1) * pl->pool.stride
                                          + pl->pool.size));
    }
}
