/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_resize.h: the network's input resized as torchvision's Resize (N)
 * does on a tensor: its shorter side N pixels, bilinear and antialiased
 * (torch.nn.functional.interpolate (mode="bilinear", antialias=True,
 * align_corners=False)), given to the engine a band of rows at a time. */
#ifndef CFM_RESIZE_H
#define CFM_RESIZE_H

#include "cfm_error.h"
#include "cfm_geometry.h"

/* The most pixels a side may have after the resize. */
#define CFM_RESIZE_MAX_SIDE (1 << 16)

/* The size Resize (SHORTER) gives an image of H x W: its shorter side
 * SHORTER, the other SHORTER * long / short with the fraction dropped, as
 * torchvision computes it; refused past CFM_RESIZE_MAX_SIDE. */
CfmStatus cfm_resize_size (int h, int w, int shorter, int *out_h,
                           int *out_w, CfmError *err);

/* One axis's taps: output pixel i reads input pixels first[i] ..
 * first[i] + count[i] - 1 with weights weight[i * taps ..]. */
typedef struct
{
  int    *first, *count;
  float  *weight;
  int     taps;   /* the most any output pixel reads */
} CfmResizeAxis;

/* A row reader (CfmRowReader) of the resized input: each band it is asked
 * for reads the source rows those rows need from READ, resized along the
 * rows (columns first, as PyTorch does). */
typedef struct
{
  CfmRowReader   read;
  void          *read_data;
  int            c, h, w;       /* the source */
  int            out_h, out_w;
  CfmResizeAxis  rows, cols;
  float         *source, *across;   /* a band's source rows, and them
                                       resized along the columns */
  int            room;              /* rows those two have room for */
} CfmResizer;

/* Prepares R to resize C planes of H x W read by READ to OUT_H x OUT_W. */
CfmStatus cfm_resizer_init (CfmResizer *r, int c, int h, int w, int out_h,
                            int out_w, CfmRowReader read, void *read_data,
                            CfmError *err);

/* A CfmRowReader: rows [ROW0, ROW0 + ROWS) of the resized input (DATA a
 * CfmResizer) into DST, C planes of ROWS x OUT_W. */
CfmStatus cfm_resizer_read (void *data, int row0, int rows, float *dst,
                            CfmError *err);

void cfm_resizer_free (CfmResizer *r);

#endif
