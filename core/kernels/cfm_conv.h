/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_conv.h: the convolution, as torch.nn.functional.conv2d computes it,
 * and the one entry point that runs it (choosing its path).
 *
 * conv2d is cross-correlation (the kernel is not flipped) in float32 over
 * planar, channels-first data, with stride, padding, dilation, a bias per
 * filter and nn.Conv2d's padding modes.  Every stage works on a band of
 * output rows, so a host can stream a large image: it asks which input rows
 * a band needs (cfm_conv2d_input_rows), hands over just those rows as a
 * CfmBand, and gets the band's output rows.  The activation of each value
 * can be written while it is still in a register, and the activation
 * pooled while its rows are in cache.
 *
 * This file dispatches; the paths are cfm_conv_ref.c (plain C),
 * cfm_conv_fast.c (vectors, threads) and cfm_conv_wino.c (Winograd's
 * F(2x2, 3x3) on vectors and threads), which call nothing back. */
#ifndef CFM_CONV_H
#define CFM_CONV_H

#include <stddef.h>

#include "cfm_activation.h"
#include "cfm_bank.h"
#include "cfm_cpu.h"
#include "cfm_error.h"
#include "cfm_geometry.h"
#include "cfm_pool.h"

/* The vector path takes kernels of at most this many rows in all (input
 * channels times kernel height) and at most CFM_FILTERS_MAX filters; the
 * reference path takes any. */
#define CFM_CONV_FAST_ROWS (CFM_CHANNELS_MAX * CFM_KERNEL_MAX)

/* A bank's weights as the vector path reads them, kept by a caller that
 * runs the same bank band after band (zero it first; cfm_conv_packed_free
 * frees it).  It names what it holds, so another bank is packed anew. */
typedef struct
{
  const float *weights, *bias;   /* the bank's weights and bias packed */
  int          n, c, kh, kw;
  int          group;     /* filters packed together */
  float       *packed, *pbias;
  float       *wino;   /* the Winograd path's transformed kernels, or NULL */
} CfmConvPacked;

void cfm_conv_packed_free (CfmConvPacked *packed);

/* One convolution of a band. */
typedef struct
{
  const CfmBank       *bank;
  const float         *bias;        /* bank->n values, or NULL */
  const CfmBand       *in;          /* the rows cfm_conv2d_input_rows names */
  CfmConvParams        params;
  int                  out_row0, out_rows;
  float               *conv;        /* filter f's row r at conv[f *
                                       plane_stride + r * out_w] */
  float               *act;         /* the activation, laid out as conv, or
                                       NULL; it may be conv itself, which
                                       then holds the activation alone */
  size_t               plane_stride;
  CfmActivation        activation;
  float                negative_slope;
  const CfmPoolTarget *pool;        /* pool ACT here when it can, or NULL */
  CfmPath              path;        /* CFM_PATH_AUTO: the fastest */
  int                  threads;     /* 0: every processor ($CFM_THREADS) */
  CfmConvPacked       *packed;      /* the packed weights kept, or NULL:
                                       packed for this run alone */
  int                  read_soon;   /* the maps are read again at once
                                       (the next layer's input): never
                                       streamed past the caches */
  int                  winograd;    /* a 3x3 kernel of many channels may go
                                       the Winograd path (cfm_conv_wino.h):
                                       a network's; a bank's maps stay the
                                       direct sums */
} CfmConvJob;

/* Runs JOB.  With JOB->pool, *POOLED (which may be NULL otherwise) says
 * whether the windows were pooled here: on the vector paths, for windows
 * as wide as their stride without padding whose rows are all among the
 * computed ones.  If not, pool ACT afterwards.  The reference path runs on
 * one thread. */
CfmStatus cfm_conv2d_run (const CfmConvJob *job, int *pooled, CfmError *err);

#endif
