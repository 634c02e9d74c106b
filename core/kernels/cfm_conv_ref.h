/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_conv_ref.h: the reference convolution path (internal to the core;
 * callers use cfm_conv2d_run). */
#ifndef CFM_CONV_REF_H
#define CFM_CONV_REF_H

#include "cfm_conv.h"

/* JOB's conv rows (of width OUT_W) and, when JOB->act is set, their
 * activation; JOB is checked by the caller.  Never pools. */
CfmStatus cfm_conv_ref_run (const CfmConvJob *job, int out_w,
                            CfmError *err);

#endif
