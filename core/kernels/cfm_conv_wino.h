/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_conv_wino.h: the Winograd path, F(2x2, 3x3), for a network's 3x3
 * convolutions of many channels (internal to the core; callers use
 * cfm_conv2d_run with CfmConvJob.winograd set).
 *
 * Each 2x2 block of output pixels is computed from its 4x4 input patch with
 * 16 multiplications per input channel and filter instead of 36: the
 * patch and the kernel are transformed (Lavin and Gray, "Fast Algorithms
 * for Convolutional Neural Networks", 2016), multiplied element by element
 * and summed over the channels (16 matrix products, on the same register
 * blocks as the direct kernel), and transformed back.  The sums are
 * rounded differently from the direct path's, within a few units in the
 * last place of the inputs' magnitude.  Blocks start at even rows and
 * columns of the whole map, so a pixel's value does not depend on the
 * band it is computed in, and a block's first row (column) reads only the
 * patch's first three rows (columns): a block that straddles a band's
 * edge is computed whole and only its rows in the band are written. */
#ifndef CFM_CONV_WINO_H
#define CFM_CONV_WINO_H

#include "cfm_conv.h"

/* Fewest input channels for which the path is taken: below it, the
 * transforms cost more than the multiplications they save. */
#define CFM_WINO_CHANNELS_MIN 16

/* Whether JOB (a map OUT_W wide) goes the Winograd path on PATH: it asks
 * for it, its kernels are 3x3 with stride and dilation 1, it has at least
 * CFM_WINO_CHANNELS_MIN channels, and $CFM_WINOGRAD is not "never". */
int cfm_conv_wino_eligible (const CfmConvJob *job, int out_w, CfmPath path);

/* Runs JOB (checked by the caller, eligible) on PATH; never pools. */
CfmStatus cfm_conv_wino_run (const CfmConvJob *job, int out_w, CfmPath path,
                             CfmError *err);

#endif
