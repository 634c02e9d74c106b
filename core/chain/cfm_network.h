/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_network.h: a trained network's chain of layers, read from the text
 * PyTorch prints for print(model), bound to the weights of its state dict
 * (cfm_tensors.h), and run on an image as model.eval () runs it.
 *
 * Module names are the dotted paths the text implies (features.0,
 * layer1.0.conv1), the state dict's key prefixes.  The chain is the
 * printed order; it ends at the first module it cannot follow (Linear,
 * Flatten, AdaptiveAvgPool2d, a block of another class such as ResNet's
 * BasicBlock, whose forward is not a chain), and the modules before it are
 * usable. */
#ifndef CFM_NETWORK_H
#define CFM_NETWORK_H

#include <stddef.h>

#include "cfm_error.h"
#include "cfm_geometry.h"
#include "cfm_module.h"
#include "cfm_tensors.h"

#define CFM_NETWORK_MAX_MODULES 4096

typedef struct
{
  CfmModule *modules;
  int        n;
  char       ended[CFM_ERROR_MAX];   /* why the chain stops there, or "" */
} CfmNetwork;

/* Reads print(model)'s TEXT into NET (its weights not yet bound). */
CfmStatus cfm_network_parse (const char *text, CfmNetwork *net,
                             CfmError *err);

void cfm_network_free (CfmNetwork *net);

/* Binds the modules' weights from WEIGHTS (which must outlive NET),
 * loading those tensors and no others, and checks every shape against the
 * printed one, naming the module. */
CfmStatus cfm_network_bind (CfmNetwork *net, CfmTensorSet *weights,
                            CfmError *err);

/* Binds one module's weights (a Conv2d's, a BatchNorm2d's) as
 * cfm_network_bind does, without the check against the module before it
 * (a graph's sizing checks its channels). */
CfmStatus cfm_module_bind (CfmModule *m, CfmTensorSet *weights,
                           CfmError *err);

/* Binds tensor M->name.FIELD of NDIM dimensions SHAPE to *DATA (loaded),
 * refusing one missing or of another shape with M's name. */
CfmStatus cfm_module_bind_tensor (const CfmModule *m, CfmTensorSet *weights,
                                  const char *field, int ndim,
                                  const int64_t *shape, const float **data,
                                  CfmError *err);

/* An ONNX model (its graph and initializers) into NET, its weights in
 * WEIGHTS, bound (the tensors of its chain loaded: BUF must outlive
 * WEIGHTS).  Modules are named by the module path the exporter's
 * scope names give (features.3), their node names too.  PyTorch's exporter
 * folds a BatchNorm into the Conv before it: that Conv gives the
 * BatchNorm's output.  Weights stored outside the file are refused: no
 * other file is opened. */
CfmStatus cfm_onnx_read (const void *buf, size_t len, CfmNetwork *net,
                         CfmTensorSet *weights, CfmError *err);

/* The index of module NAME (or ONNX node name), or -1. */
int cfm_network_find (const CfmNetwork *net, const char *name);

/* The input channels the first convolution takes (1 gray, 3 RGB...). */
int cfm_network_input_channels (const CfmNetwork *net);

/* Where the outputs of module LAST lie over the input: each output pixel
 * steps *STRIDE input pixels, and the receptive field of the first is
 * centred at input pixel *CENTRE (per axis: rows, columns). */
void cfm_network_geometry (const CfmNetwork *net, int last, int stride[2],
                           double centre[2]);

/* The receptive field of an output pixel of module LAST: FIELD[0] input
 * rows by FIELD[1] columns (padding included), the first output pixel's
 * starting at input row START[0], column START[1] (negative: in the
 * padding; START may be NULL); pixel (i, j)'s moves by the total stride. */
void cfm_network_field (const CfmNetwork *net, int last, int field[2],
                        int start[2]);

/* The input normalisation TEXT names for a network of C input channels,
 * as torchvision's Normalize after dividing by 255: "none" (mean 0, std
 * 1), "imagenet" (0.485, 0.456, 0.406 / 0.229, 0.224, 0.225) or
 * "M1,M2,M3/S1,S2,S3" (one pair for one channel), into MEAN and STD. */
CfmStatus cfm_normalize_parse (const char *text, int c, float *mean,
                               float *std, CfmError *err);

/* X[ch][i] = (X[ch][i] - MEAN[ch]) / STD[ch] over C planes of N values,
 * as torchvision computes it. */
void cfm_normalize_apply (float *x, int c, size_t n, const float *mean,
                          const float *std);

/* The output of one module during a forward pass: C planes of H x W. */
typedef CfmStatus (*CfmModuleOutput) (void *data, int module,
                                      const float *out, int c, int h, int w,
                                      CfmError *err);

/* Rows [ROW0, ROW0 + ROWS) of a module's output of C x H x W, at DATA
 * (C planes of ROWS x W). */
typedef CfmStatus (*CfmBandOutput) (void *data, int module, const float *out,
                                    int c, int h, int w, int row0, int rows,
                                    CfmError *err);

/* Most modules cfm_network_forward_bands gives at once. */
#define CFM_NETWORK_FORWARD_MAX 8

/* The outputs of modules WANT[0 .. N) (in the chain's order) for an
 * input of C x H x W, in bands of BAND_ROWS rows of the last of them, each
 * band from just the input rows READ gives for it, with whole-image
 * semantics: every layer's padding lies at the true image border, never
 * at a band's edge.  Each band's rows go to OUTPUT, module by module: the
 * last module's band, and of each module before it the rows computed
 * since (every module's rows come once and in order; rows that no band of
 * the last module reads, such as an odd height's last row before a 2/2
 * pooling, come from a short pass of their own).  Each layer keeps the
 * rows its successor reads again for the next band and computes only the
 * others, so every row of every layer is computed once; memory is a band
 * of each layer plus its kernel's rows, whatever the image height.  A
 * convolution followed by ReLU or LeakyReLU writes both in one pass, and
 * holds its own output only when it is wanted. */
CfmStatus cfm_network_forward_bands (const CfmNetwork *net, const int *want,
                                     int n, int c, int h, int w,
                                     int band_rows, CfmRowReader read,
                                     void *read_data, CfmBandOutput output,
                                     void *data, CfmError *err);

/* The output size of modules 0 .. LAST for an input of C x H x W: SHAPE[i]
 * is module i's channels, height and width, zeros from the first module
 * that cannot take its input (the message names it). */
CfmStatus cfm_network_shapes (const CfmNetwork *net, int last, int c, int h,
                              int w, int (*shape)[3], CfmError *err);

/* Runs modules 0 .. LAST on IN (C planes of H x W), handing each module's
 * output to OUTPUT (or NULL) and the last one's to it too. */
CfmStatus cfm_network_forward (const CfmNetwork *net, int last,
                               const float *in, int c, int h, int w,
                               CfmModuleOutput output, void *data,
                               CfmError *err);

#endif
