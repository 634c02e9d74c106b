/* cfm_conv_fast.h: the vectorised, threaded convolution path (internal to
 * the core; hosts call cfm_conv2d_forward_fused in cfm_conv.h). */
#ifndef CFM_CONV_FAST_H
#define CFM_CONV_FAST_H

#include "cfm_conv.h"

/* Whether the fast path handles this convolution (stride 1 and a map at
 * least one vector block wide). */
int cfm_conv_fast_eligible (const CfmBank *bank, const CfmConvParams *p,
                            int out_w, CfmPath path);

/* Outputs of at least this many bytes are streamed past the caches. */
#define CFM_STREAM_BYTES ((size_t) 16 << 20)

/* Conv (and, when ACT is not NULL, activation) output rows [row0, row0 +
 * rows), as cfm_conv2d_forward_pooled describes; POOL, when not NULL, has
 * windows as wide as their stride, no padding, and rows whose windows lie
 * in [row0, row0 + rows).  PATH is PORTABLE, AVX2 or AVX512 and
 * supported. */
CfmStatus cfm_conv_fast_forward (const CfmBank *bank, const float *bias,
                                 const CfmBand *in, const CfmConvParams *p,
                                 int out_w, int row0, int rows, float *conv,
                                 float *act, size_t plane_stride,
                                 CfmActivation activation, float slope,
                                 const CfmPoolTarget *pool, CfmPath path,
                                 int threads, CfmError *err);

#endif
