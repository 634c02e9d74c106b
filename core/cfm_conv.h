/* cfm_conv.h: convolution, activation and pooling as PyTorch computes them.
 *
 * conv2d is torch.nn.functional.conv2d: cross-correlation (the kernel is not
 * flipped) in float32 over planar, channels-first data, with stride,
 * padding, dilation, a bias per filter and nn.Conv2d's padding modes.
 * Pooling is F.max_pool2d / F.avg_pool2d with ceil_mode off and, for
 * average pooling, padding counted in the divisor (PyTorch's default).
 *
 * Every stage works on a band of output rows, so a host can stream a large
 * image: it asks which input rows a band needs (cfm_conv2d_input_rows),
 * hands over just those rows as a CfmBand, and gets the band's output rows.
 */
#ifndef CFM_CONV_H
#define CFM_CONV_H

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
  CFM_ACT_NONE,
  CFM_ACT_RELU,
  CFM_ACT_LEAKY_RELU,
  CFM_ACT_ABS
} CfmActivation;

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
 * Channel ch, band row r, column x is data[((size_t) ch * rows + r) * w + x]. */
typedef struct
{
  const float *data;
  int          c, h, w;
  int          row0, rows;
} CfmBand;

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

/* The threads to use when the caller asks for REQUESTED (0: $CFM_THREADS,
 * else every processor), at most MAX_USEFUL and at least 1. */
int cfm_thread_count (int requested, int max_useful);

/* The input rows that output rows [out_row0, out_row0 + out_rows) read,
 * after the padding mode has mapped them into the image: [*in_row0,
 * *in_row0 + *in_rows).  *in_rows may be 0 with zero padding. */
void cfm_conv2d_input_rows (const CfmConvParams *p, int kh, int h,
                            int out_row0, int out_rows, int *in_row0,
                            int *in_rows);

/* Computes conv output rows [out_row0, out_row0 + out_rows) of every filter
 * of BANK from IN, which must hold the rows cfm_conv2d_input_rows names.
 * BIAS has bank->n values or is NULL.  Filter f's row r goes to
 * out[f * plane_stride + r * out_w]. */
CfmStatus cfm_conv2d_forward (const CfmBank *bank, const float *bias,
                              const CfmBand *in, const CfmConvParams *p,
                              int out_row0, int out_rows, float *out,
                              size_t plane_stride, CfmError *err);

/* How the convolution is computed.  All paths give the same maps within
 * 1e-6 of each map's range; REFERENCE is the plain C loop nest, PORTABLE
 * the vector kernel in the compiler's generic vectors, AVX2 and AVX512 the
 * same kernel for those instruction sets.  AUTO takes the path named by the
 * environment variable CFM_PATH (reference, portable, avx2, avx512) when it
 * is set and supported, else the fastest the processor supports. */
typedef enum
{
  CFM_PATH_AUTO,
  CFM_PATH_REFERENCE,
  CFM_PATH_PORTABLE,
  CFM_PATH_AVX2,
  CFM_PATH_AVX512
} CfmPath;

int         cfm_path_supported (CfmPath path);
CfmPath     cfm_path_resolve   (CfmPath path);
const char *cfm_path_name      (CfmPath path);

/* cfm_conv2d_forward, writing the activation of each value to ACT as well
 * (when ACT is not NULL) while it is still in a register.  THREADS 0 uses
 * every processor (or $CFM_THREADS); the reference path runs on one. */
CfmStatus cfm_conv2d_forward_fused (const CfmBank *bank, const float *bias,
                                    const CfmBand *in,
                                    const CfmConvParams *p, int out_row0,
                                    int out_rows, float *conv, float *act,
                                    size_t plane_stride,
                                    CfmActivation activation,
                                    float negative_slope, CfmPath path,
                                    int threads, CfmError *err);

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

/* cfm_conv2d_forward_fused that also pools the activation into POOL, a
 * window as soon as its rows are computed and still in cache, when it can:
 * on the vector paths, for windows as wide as their stride without
 * padding whose rows are all among the computed ones.  *POOLED says
 * whether it did; if not, pool ACT afterwards. */
CfmStatus cfm_conv2d_forward_pooled (const CfmBank *bank, const float *bias,
                                     const CfmBand *in,
                                     const CfmConvParams *p, int out_row0,
                                     int out_rows, float *conv, float *act,
                                     size_t plane_stride,
                                     CfmActivation activation,
                                     float negative_slope, CfmPath path,
                                     int threads, const CfmPoolTarget *pool,
                                     int *pooled, CfmError *err);

/* Applies ACT to N values (IN and OUT may be the same). */
void cfm_activation_apply (CfmActivation act, float negative_slope,
                           const float *in, float *out, size_t n);

/* Pooled length along an axis of length IN; an error when no window fits or
 * the padding exceeds half the window (PyTorch's rule). */
CfmStatus cfm_pool2d_output_size (int in, const CfmPoolParams *p, int *out,
                                  CfmError *err);

/* The map rows that pooled rows [out_row0, out_row0 + out_rows) read,
 * clipped to the map's H rows. */
void cfm_pool2d_input_rows (const CfmPoolParams *p, int h, int out_row0,
                            int out_rows, int *in_row0, int *in_rows);

/* Pools one map of H x W whose rows [in_row0, in_row0 + in_rows) are in IN
 * (row stride W) into output rows [out_row0, out_row0 + out_rows) of width
 * OUT_W at OUT. */
CfmStatus cfm_pool2d_forward (const CfmPoolParams *p, const float *in, int h,
                              int w, int in_row0, int in_rows, int out_row0,
                              int out_rows, float *out, CfmError *err);

#endif
