/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_module.h: one layer as PyTorch's modules define it (a convolution,
 * BatchNorm, an activation, a pooling, one that passes rows on): its
 * attributes and weights, its output size and the input rows a band of its
 * output reads (cfm_module.c); run on a band by cfm_module_run.c.  The
 * chain (cfm_network.h) and the graph's operators (ops/) hold them. */
#ifndef CFM_MODULE_H
#define CFM_MODULE_H

#include "cfm_error.h"
#include "cfm_geometry.h"

#define CFM_NETWORK_NAME_MAX    160

typedef enum
{
  CFM_MODULE_CONV,        /* Conv2d */
  CFM_MODULE_BATCHNORM,   /* BatchNorm2d, with running statistics */
  CFM_MODULE_FUNCTION,    /* an elementwise activation */
  CFM_MODULE_MAXPOOL,     /* MaxPool2d */
  CFM_MODULE_AVGPOOL,     /* AvgPool2d */
  CFM_MODULE_IDENTITY     /* Dropout, Dropout2d, Identity: nothing in eval */
} CfmModuleKind;

typedef enum
{
  CFM_FN_RELU, CFM_FN_RELU6, CFM_FN_LEAKY_RELU, CFM_FN_ELU, CFM_FN_GELU,
  CFM_FN_GELU_TANH, CFM_FN_SILU, CFM_FN_SIGMOID, CFM_FN_TANH, CFM_FN_HARDTANH,
  CFM_FN_HARDSIGMOID, CFM_FN_HARDSWISH, CFM_FN_SOFTPLUS, CFM_FN_MISH,
  CFM_FN_ERF, CFM_FN_ABS, CFM_FN_SQRT
} CfmFunction;

typedef struct
{
  char          name[CFM_NETWORK_NAME_MAX];   /* features.3 */
  char          node[CFM_NETWORK_NAME_MAX];   /* ONNX: /features/features.3/
                                                 Conv, as Netron shows it */
  char          type[32];                     /* Conv2d, as printed */
  CfmModuleKind kind;
  /* Conv2d: channels, kernel, stride, padding, dilation (rows, columns) */
  int           in_c, out_c, groups, has_bias;
  int           k[2], stride[2], pad[2], dil[2];
  CfmPadMode    pad_mode;
  int           direct;   /* a filter bank's: the direct sums, as the
                             tutorial's maps, never the Winograd path */
  /* pools: kernel, stride, padding, dilation as above, and */
  int           ceil_mode, count_include_pad;
  /* BatchNorm2d */
  int           features;
  float         eps;
  /* functions: which, and its parameter(s) */
  CfmFunction   fn;
  float         alpha, beta, lo, hi;
  /* weights, bound from the state dict (borrowed) */
  const float  *weight, *bias, *mean, *var;
} CfmModule;

/* The output size *OC x *OH x *OW of module M on C x H x W, or a
 * refusal naming it. */
CfmStatus cfm_module_size (const CfmModule *m, int c, int h, int w, int *oc,
                           int *oh, int *ow, CfmError *err);

/* The input rows module M reads for output rows [O0, O0 + ON), its input
 * being H rows: [*I0, *I0 + *IN). */
void cfm_module_input_rows (const CfmModule *m, int h, int o0, int on,
                            int *i0, int *in);

#endif
