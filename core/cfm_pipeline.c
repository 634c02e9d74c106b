/* cfm_pipeline.c: see cfm_pipeline.h. */
#include "cfm_pipeline.h"

#include <pthread.h>
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
  int                f0, f1;
  CfmStatus          status;
  CfmError           err;
} PoolJob;

/* Pools filters [f0, f1) of a band. */
static void *
pool_filters (void *data)
{
  PoolJob *job = data;
  const CfmPipeline *pl = job->pl;
  size_t plane = (size_t) job->plan->conv_rows * pl->conv_w;
  size_t pool_plane = (size_t) job->plan->pool_rows * pl->pool_w;
  int f;

  job->status = CFM_OK;
  for (f = job->f0; f < job->f1 && job->status == CFM_OK; f++)
    job->status = cfm_pool2d_forward (&pl->pool, job->act + f * plane,
                                      pl->conv_h, pl->conv_w,
                                      job->plan->conv_row0,
                                      job->plan->conv_rows,
                                      job->plan->pool_row0,
                                      job->plan->pool_rows,
                                      job->pool + f * pool_plane,
                                      &job->err);
  return NULL;
}

CfmStatus
cfm_pipeline_run_band (const CfmPipeline *pl, const CfmBandPlan *plan,
                       const CfmBand *in, float *conv, float *act,
                       float *pool, CfmError *err)
{
  size_t plane = (size_t) plan->conv_rows * pl->conv_w;
  CfmPoolTarget target = { &pl->pool, pl->conv_h, pl->conv_w,
                           plan->pool_row0, plan->pool_rows, pl->pool_w,
                           pool, (size_t) plan->pool_rows * pl->pool_w };
  PoolJob jobs[16];
  pthread_t tids[16];
  CfmStatus status;
  int nt, i, pooled = 0;

  status = cfm_conv2d_forward_pooled (pl->bank, pl->bias, in, &pl->conv,
                                      plan->conv_row0, plan->conv_rows, conv,
                                      act, plane, pl->activation,
                                      pl->negative_slope, pl->path,
                                      pl->threads,
                                      pl->pool_enabled ? &target : NULL,
                                      &pooled, err);
  if (status != CFM_OK || act == NULL || plan->pool_rows == 0 || pooled)
    return status;
  /* Threads take whole maps: pooling reads only its own map. */
  nt = cfm_thread_count (pl->threads, pl->bank->n < 16 ? pl->bank->n : 16);
  for (i = 0; i < nt; i++)
    {
      jobs[i] = (PoolJob) { pl, plan, act, pool, pl->bank->n * i / nt,
                            pl->bank->n * (i + 1) / nt, CFM_OK, { 0 } };
      if (i == 0 || pthread_create (&tids[i], NULL, pool_filters, &jobs[i]))
        {
          tids[i] = pthread_self ();
          if (i > 0)
            pool_filters (&jobs[i]);
        }
    }
  pool_filters (&jobs[0]);
  for (i = 1; i < nt; i++)
    if (!pthread_equal (tids[i], pthread_self ()))
      pthread_join (tids[i], NULL);
  for (i = 0; i < nt; i++)
    if (jobs[i].status != CFM_OK)
      {
        if (err)
          *err = jobs[i].err;
        return jobs[i].status;
      }
  return CFM_OK;
}
