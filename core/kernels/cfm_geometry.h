/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_geometry.h: the sizes and rows of convolution and pooling, as
 * PyTorch computes them: output sizes, padding modes, and which input rows
 * a band of output rows reads.  No arithmetic on pixel values. */
#ifndef CFM_GEOMETRY_H
#define CFM_GEOMETRY_H

#include <stddef.h>

#include "cfm_bank.h"
#include "cfm_error.h"

typedef enum
{
  CFM_PAD_ZEROS,
  CFM_PAD_REFLECT,     /* mirror without repeating the edge: PyTorch reflect */
  CFM_PAD_REPLICATE,   /* repeat the edge pixel */
  CFM_PAD_CIRCULAR     /* wrap around */
} CfmPadMode;

typedef struct
{
  int        stride;     /* 1.. */
  int        padding;    /* 0.., on all four sides */
  int        dilation;   /* 1.. */
  CfmPadMode pad_mode;
} CfmConvParams;

typedef enum
{
  CFM_POOL_MAX,
  CFM_POOL_AVG
} CfmPoolType;

typedef struct
{
  CfmPoolType type;
  int         size;      /* window side, 1.. */
  int         stride;    /* 1.. */
  int         padding;   /* 0 .. size / 2 */
} CfmPoolParams;

/* Rows [row0, row0 + rows) of a planar image of C channels, H x W.
 * Channel ch, band row r, column x is data[ch * plane + r * w + x]; PLANE
 * 0 means rows * w (the planes one after another). */
typedef struct
{
  const float *data;
  int          c, h, w;
  int          row0, rows;
  size_t       plane;
} CfmBand;

/* The distance between B's planes, in floats. */
static inline size_t
cfm_band_plane (const CfmBand *b)
{
  return b->plane ? b->plane : (size_t) b->rows * b->w;
}

/* Output length of a conv along one axis of length IN for kernel side K:
 * floor((IN + 2p - d(K-1) - 1) / s) + 1.  Reports an error when the kernel
 * does not fit the padded input, or the padding is too wide for the mode
 * (reflect needs p < IN, circular p <= IN, as in PyTorch). */
CfmStatus cfm_conv2d_output_size (int in, int k, const CfmConvParams *p,
                                  int *out, CfmError *err);

/* Checks a bank against an input of C x H x W and gives the map size. */
CfmStatus cfm_conv2d_shape (const CfmBank *bank, int c, int h, int w,
                            const CfmConvParams *p, int *out_h, int *out_w,
                            CfmError *err);

/* Maps index I of a padded axis (it may lie outside [0, N)) to an index of
 * the image, or -1 where it falls on zero padding.  The size checks of
 * cfm_conv2d_output_size guarantee that one reflection or wrap is enough. */
int cfm_pad_index (int i, int n, CfmPadMode mode);

/* Writes columns -pad .. w + pad - 1 of image row SRC into DST (w + 2 pad
 * floats), the padding filled as MODE says. */
void cfm_pad_row (const float *src, int w, int pad, CfmPadMode mode,
                  float *dst);

/* The input rows that output rows [out_row0, out_row0 + out_rows) read,
 * after the padding mode has mapped them into the image: [*in_row0,
 * *in_row0 + *in_rows).  *in_rows may be 0 with zero padding.  *in_row0
 * never passes the first row any later output row reads, so it grows
 * with OUT_ROW0. */
void cfm_conv2d_input_rows (const CfmConvParams *p, int kh, int h,
                            int out_row0, int out_rows, int *in_row0,
                            int *in_rows);

/* Pooled length along an axis of length IN; an error when no window fits or
 * the padding exceeds half the window (PyTorch's rule). */
CfmStatus cfm_pool2d_output_size (int in, const CfmPoolParams *p, int *out,
                                  CfmError *err);

/* The map rows that pooled rows [out_row0, out_row0 + out_rows) read,
 * clipped to the map's H rows. */
void cfm_pool2d_input_rows (const CfmPoolParams *p, int h, int out_row0,
                            int out_rows, int *in_row0, int *in_rows);

/* Reads input rows [ROW0, ROW0 + ROWS) into DST (C planes of ROWS x W). */
typedef CfmStatus (*CfmRowReader) (void *data, int row0, int rows,
                                   float *dst, CfmError *err);

#endif
