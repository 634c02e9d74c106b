/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_pool.h: max and average pooling, as F.max_pool2d / F.avg_pool2d with
 * ceil_mode off and, for average pooling, padding counted in the divisor
 * (PyTorch's default), on a band of map rows. */
#ifndef CFM_POOL_H
#define CFM_POOL_H

#include "cfm_geometry.h"

/* Pools one map of H x W whose rows [in_row0, in_row0 + in_rows) are in IN
 * (row stride W) into output rows [out_row0, out_row0 + out_rows) of width
 * OUT_W at OUT. */
CfmStatus cfm_pool2d_forward (const CfmPoolParams *p, const float *in, int h,
                              int w, int in_row0, int in_rows, int out_row0,
                              int out_rows, float *out, CfmError *err);

/* Where pooled rows go when the convolution pools them itself. */
typedef struct
{
  const CfmPoolParams *params;
  int                  map_h, map_w;   /* the whole activation map */
  int                  row0, rows;     /* the pooled rows wanted */
  int                  out_w;          /* pooled width */
  float               *out;            /* filter f's pooled row p at out[f *
                                          plane_stride + (p - row0) * out_w] */
  size_t               plane_stride;
} CfmPoolTarget;

/* Whether TARGET can be pooled inside the convolution of activation rows
 * [row0, row0 + rows): windows as wide as their stride, no padding, and
 * every window of its rows among those rows. */
int cfm_pool_target_fusable (const CfmPoolTarget *target, int row0,
                             int rows);

#endif
