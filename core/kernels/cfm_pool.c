/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_pool.c: max and average pooling of a band of map rows (its API:
 * cfm_pool.h). */
#include "cfm_pool.h"

#include <float.h>
#include <stddef.h>

/* The tutorial's MaxPool2d (2, 2): no window crosses an edge, so the
 * loop needs no bounds and compilers vectorise it. */
static void
max_pool_2x2 (const float *in, int w, int in_row0, int out_row0,
              int out_rows, int out_w, float *out)
{
  int oy, ox;

  for (oy = 0; oy < out_rows; oy++)
    {
      const float *a = in + (size_t) (2 * (out_row0 + oy) - in_row0) * w;
      const float *b = a + w;
      float *o = out + (size_t) oy * out_w;

      for (ox = 0; ox < out_w; ox++)
        {
          float t = a[2 * ox] > a[2 * ox + 1] ? a[2 * ox] : a[2 * ox + 1];
          float u = b[2 * ox] > b[2 * ox + 1] ? b[2 * ox] : b[2 * ox + 1];

          o[ox] = t > u ? t : u;
        }
    }
}

/* The window of output pixel (OX, OY) (absolute rows) of a map of H x W
 * whose rows from IN_ROW0 are in IN: its maximum, or its mean with the
 * padding counted. */
static float
pool_window (const CfmPoolParams *p, const float *in, int h, int w,
             int in_row0, int oy, int ox)
{
  int y0 = oy * p->stride - p->padding, y1 = y0 + p->size;
  int x0 = ox * p->stride - p->padding, x1 = x0 + p->size, x, y;
  float acc = p->type == CFM_POOL_MAX ? -FLT_MAX : 0.0f;

  y0 = y0 < 0 ? 0 : y0;
  y1 = y1 > h ? h : y1;
  x0 = x0 < 0 ? 0 : x0;
  x1 = x1 > w ? w : x1;
  for (y = y0; y < y1; y++)
    {
      const float *row = in + (size_t) (y - in_row0) * w;

      if (p->type == CFM_POOL_MAX)
        for (x = x0; x < x1; x++)
          acc = row[x] > acc ? row[x] : acc;
      else
        for (x = x0; x < x1; x++)
          acc += row[x];
    }
  return p->type == CFM_POOL_MAX ? acc
                                 : acc / ((float) p->size * (float) p->size);
}

CfmStatus
cfm_pool2d_forward (const CfmPoolParams *p, const float *in, int h, int w,
                    int in_row0, int in_rows, int out_row0, int out_rows,
                    float *out, CfmError *err)
{
  int out_h, out_w, need0, need_rows, oy, ox;
  CfmStatus status;

  status = cfm_pool2d_output_size (h, p, &out_h, err);
  if (status == CFM_OK)
    status = cfm_pool2d_output_size (w, p, &out_w, err);
  if (status != CFM_OK)
    return status;
  if (out_row0 < 0 || out_rows < 0 || out_row0 > out_h - out_rows)
    return cfm_error_set (err, CFM_ERR_ARG,
                          "pooled rows %d..%d lie outside the %d rows",
                          out_row0, out_row0 + out_rows - 1, out_h);
  cfm_pool2d_input_rows (p, h, out_row0, out_rows, &need0, &need_rows);
  if (need_rows > 0
      && (need0 < in_row0 || need0 + need_rows > in_row0 + in_rows))
    return cfm_error_set (err, CFM_ERR_ARG,
                          "the band holds map rows %d..%d but rows %d..%d "
                          "are needed", in_row0, in_row0 + in_rows - 1,
                          need0, need0 + need_rows - 1);
  if (p->type == CFM_POOL_MAX && p->size == 2 && p->stride == 2
      && p->padding == 0)
    max_pool_2x2 (in, w, in_row0, out_row0, out_rows, out_w, out);
  else
    for (oy = 0; oy < out_rows; oy++)
      for (ox = 0; ox < out_w; ox++)
        out[(size_t) oy * out_w + ox] = pool_window (p, in, h, w, in_row0,
                                                     out_row0 + oy, ox);
  return CFM_OK;
}

int
cfm_pool_target_fusable (const CfmPoolTarget *target, int row0, int rows)
{
  const CfmPoolParams *pp;

  if (target == NULL || target->rows <= 0)
    return 0;
  pp = target->params;
  return pp->size == pp->stride && pp->padding == 0
         && target->row0 * pp->stride >= row0
         && (target->row0 + target->rows) * pp->stride <= row0 + rows;
}
