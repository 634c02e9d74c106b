/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_conv_fast.h: the vectorised, threaded convolution path (internal to
 * the core; callers use cfm_conv2d_run). */
#ifndef CFM_CONV_FAST_H
#define CFM_CONV_FAST_H

#include "cfm_conv.h"

/* Whether the fast path handles this convolution (stride 1, a map at
 * least one vector block wide, at most CFM_FILTERS_MAX filters, and at
 * most CFM_CHANNELS_MAX x CFM_KERNEL_MAX kernel rows). */
int cfm_conv_fast_eligible (const CfmBank *bank, const CfmConvParams *p,
                            int out_w, CfmPath path);

/* Outputs of at least this many bytes are streamed past the caches. */
#define CFM_STREAM_BYTES ((size_t) 16 << 20)

/* JOB's conv (and, when JOB->act is set, activation) rows of width OUT_W,
 * on PATH (PORTABLE, AVX2 or AVX512, supported); JOB is checked by the
 * caller.  With FUSE_POOL, JOB->pool is pooled too: the caller has checked
 * that cfm_pool_target_fusable holds. */
CfmStatus cfm_conv_fast_run (const CfmConvJob *job, int out_w, int fuse_pool,
                             CfmPath path, CfmError *err);

/* Packs BANK's weights into P for the kernel, GROUPS groups of GROUP
 * filters (the last padded with zeros), filter-group-major and tap-minor:
 * group g0, tap t, filter f at packed[g0 * taps + t * GROUP + f]; unless P
 * holds them already.  0 when out of memory. */
int cfm_conv_pack (const CfmBank *bank, const float *bias, int group,
                   int groups, CfmConvPacked *p);

/* Whether P holds BANK's weights with BIAS (packed by some path), and
 * P named as holding them. */
int cfm_conv_packed_holds (const CfmConvPacked *p, const CfmBank *bank,
                           const float *bias);
void cfm_conv_packed_name (CfmConvPacked *p, const CfmBank *bank,
                           const float *bias);

#endif
