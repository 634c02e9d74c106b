/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_module_run.h: one module of a network on a band of rows (internal to
 * the core; the graph's operators run their modules with it). */
#ifndef CFM_MODULE_RUN_H
#define CFM_MODULE_RUN_H

#include "cfm_conv.h"
#include "cfm_module.h"

/* Where a module's rows go: channel f's row r at conv[f * stride + r *
 * out width], a convolution's fused activation (or NULL) laid out the
 * same; a convolution's packed weights kept from band to band. */
typedef struct
{
  float         *conv, *act;
  size_t         stride;
  CfmActivation  activation;
  float          slope;
  CfmConvPacked *packed;   /* the module's packed weights, or NULL */
} CfmModuleDest;

/* Runs module M on IN (the rows of its input it reads) into output rows
 * [O0, O0 + ON) of width OW at OUT; a convolution writes its fused
 * activation to OUT->act as well when that is not NULL (NEXT, the module
 * after it, being one cfm_module_fuses accepts). */
CfmStatus cfm_module_run (const CfmModule *m, const CfmBand *in,
                          const CfmModuleDest *out, const CfmModule *next,
                          int o0, int on, int ow, CfmError *err);

/* Convolution module M on IN (the rows of its input it reads) into output
 * rows [O0, O0 + ON) of width OW at OUT, and its activation too when
 * OUT->act is set and cfm_module_conv_fuses (M) (cfm_module_conv.c). */
CfmStatus cfm_module_conv (const CfmModule *m, const CfmBand *in,
                           const CfmModuleDest *out, int o0, int on, int ow,
                           CfmError *err);

/* Whether convolution M is depthwise: one input channel a filter. */
int cfm_module_is_depthwise (const CfmModule *m);

/* Depthwise convolution M on IN into output rows [O0, O0 + ON) of width
 * OW at OUT, its fused activation too (cfm_module_depthwise.c). */
void cfm_module_depthwise (const CfmModule *m, const CfmBand *in,
                           const CfmModuleDest *out, int o0, int on, int ow);

/* Whether convolution M writes a fused activation in the same pass. */
int cfm_module_conv_fuses (const CfmModule *m);

/* Whether convolution CONV can write NEXT's output in the same pass: a
 * ReLU, LeakyReLU or Abs its kernels apply as they store, or any other
 * function on the rows it has just written (ReLU6, SiLU...). */
int cfm_module_fuses (const CfmModule *conv, const CfmModule *next);

/* Adds to GRAD_IN[i] the gradient GRAD_OUT[i] of function module M's
 * output times its derivative at its input IN[i], for N values. */
void cfm_module_function_grad (const CfmModule *m, const float *in,
                               const float *grad_out, float *grad_in,
                               size_t n);

/* A module's backward step on whole maps: IN its input's values (C x H x
 * W), GRAD_OUT the gradient of some number with respect to its output (OC
 * x OH x OW); GRAD_IN (C x H x W) receives the gradient with respect to
 * its input, added to what it holds. */
typedef struct
{
  const float *in;
  int          c, h, w;
  const float *grad_out;
  int          oc, oh, ow;
  float       *grad_in;
} CfmModuleGrad;

/* Module M's backward step (cfm_module_grad.c): a convolution's (any
 * stride, groups, dilation, padding mode), BatchNorm's, a pooling's, a
 * function's, a module that passes its input on. */
CfmStatus cfm_module_backward (const CfmModule *m, const CfmModuleGrad *gr,
                               CfmError *err);

#endif
