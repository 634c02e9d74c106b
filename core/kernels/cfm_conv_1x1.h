/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_conv_1x1.h: a 1x1 convolution of stride 1 over many channels (36
 * of ResNet-50's 53 convolutions, a MobileNet's expansions and
 * projections) as the matrix product it is: filters by channels times
 * channels by pixels (internal to the core; cfm_module_conv.c calls it). */
#ifndef CFM_CONV_1X1_H
#define CFM_CONV_1X1_H

#include <stddef.h>

#include "cfm_conv.h"

/* Filter f's map at OUT + f * OUT_STRIDE (N_PX pixels): BIAS[f] (or 0)
 * plus the sum over channels c of the bank's weight (f, c) times channel
 * c's pixels at IN + c * IN_STRIDE, added in channel order as the
 * convolution's other paths add them; with ACT, the activation too.  The
 * bank's packed weights are kept in PACKED (or NULL). */
typedef struct
{
  const CfmBank *bank;        /* N filters of C channels, 1 x 1 */
  const float   *bias;
  const float   *in;
  size_t         in_stride, n_px;
  float         *out, *act;
  size_t         out_stride;
  CfmActivation  activation;
  float          slope;
  CfmConvPacked *packed;
  int            transposed;  /* the bank's weights are held as their
                                 transpose: filter f's weight for channel
                                 c at weights[c * n + f] (a convolution's
                                 own weights, read for its backward step) */
} CfmConv1x1;

/* Whether the matrix product takes BANK (1 x 1, enough channels) on this
 * processor's paths. */
int cfm_conv_1x1_takes (const CfmBank *bank);

CfmStatus cfm_conv_1x1 (const CfmConv1x1 *job, CfmError *err);

#endif
