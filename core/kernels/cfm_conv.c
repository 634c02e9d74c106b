/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_conv.c: checks a convolution job and dispatches it to the reference,
 * the vector or the Winograd path (its API: cfm_conv.h). */
#include "cfm_conv.h"
#include "cfm_conv_fast.h"
#include "cfm_conv_ref.h"
#include "cfm_conv_wino.h"

/* Checks JOB's sizes and rows; gives the map width. */
static CfmStatus
check_job (const CfmConvJob *job, int *out_w, CfmError *err)
{
  const CfmBand *in = job->in;
  int out_h, need0, need_rows;
  CfmStatus status;

  status = cfm_conv2d_shape (job->bank, in->c, in->h, in->w, &job->params,
                             &out_h, out_w, err);
  if (status != CFM_OK)
    return status;
  if (job->out_row0 < 0 || job->out_rows < 0
      || job->out_row0 > out_h - job->out_rows)
    return cfm_error_set (err, CFM_ERR_ARG,
                          "output rows %d..%d lie outside the map's %d rows",
                          job->out_row0, job->out_row0 + job->out_rows - 1,
                          out_h);
  cfm_conv2d_input_rows (&job->params, job->bank->kh, in->h, job->out_row0,
                         job->out_rows, &need0, &need_rows);
  if (need_rows > 0
      && (need0 < in->row0 || need0 + need_rows > in->row0 + in->rows))
    return cfm_error_set (err, CFM_ERR_ARG,
                          "the band holds input rows %d..%d but rows %d..%d "
                          "are needed", in->row0, in->row0 + in->rows - 1,
                          need0, need0 + need_rows - 1);
  if (job->plane_stride < (size_t) job->out_rows * *out_w)
    return cfm_error_set (err, CFM_ERR_ARG, "output planes overlap");
  return CFM_OK;
}

CfmStatus
cfm_conv2d_run (const CfmConvJob *job, int *pooled, CfmError *err)
{
  CfmPath path = cfm_path_resolve (job->path);
  int out_w, fuse;
  CfmStatus status;

  if (pooled)
    *pooled = 0;
  status = check_job (job, &out_w, err);
  if (status != CFM_OK)
    return status;
  if (path != CFM_PATH_REFERENCE && cfm_conv_wino_eligible (job, out_w, path))
    return cfm_conv_wino_run (job, out_w, path, err);
  if (path == CFM_PATH_REFERENCE
      || !cfm_conv_fast_eligible (job->bank, &job->params, out_w, path))
    return cfm_conv_ref_run (job, out_w, err);
  fuse = pooled && job->act
         && cfm_pool_target_fusable (job->pool, job->out_row0,
                                     job->out_rows);
  status = cfm_conv_fast_run (job, out_w, fuse, path, err);
  if (status == CFM_OK && fuse)
    *pooled = 1;
  return status;
}
