/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_registry.c: the operators the core runs, one line each. */
#include "cfm_op.h"

#include <string.h>

extern const CfmOp cfm_op_activation, cfm_op_batchnorm, cfm_op_binary,
  cfm_op_cast, cfm_op_concat, cfm_op_constant_of_shape, cfm_op_conv,
  cfm_op_conv_transpose, cfm_op_flatten, cfm_op_gather, cfm_op_gemm,
  cfm_op_global_pool, cfm_op_identity, cfm_op_layer_norm, cfm_op_pad,
  cfm_op_pool, cfm_op_reshape, cfm_op_resize, cfm_op_shape, cfm_op_slice,
  cfm_op_softmax, cfm_op_transpose, cfm_op_unsqueeze;

static const CfmOp *const registry[] = {
  &cfm_op_conv,
  &cfm_op_conv_transpose,
  &cfm_op_resize,
  &cfm_op_batchnorm,
  &cfm_op_layer_norm,
  &cfm_op_activation,
  &cfm_op_pool,
  &cfm_op_global_pool,
  &cfm_op_binary,
  &cfm_op_concat,
  &cfm_op_flatten,
  &cfm_op_gemm,
  &cfm_op_softmax,
  &cfm_op_identity,
  &cfm_op_slice,
  &cfm_op_pad,
  &cfm_op_reshape,
  &cfm_op_transpose,
  &cfm_op_cast,
  &cfm_op_shape,
  &cfm_op_gather,
  &cfm_op_unsqueeze,
  &cfm_op_constant_of_shape,
};

const CfmOp *
cfm_op_for_module (const char *type)
{
  size_t i;
  int k;

  for (i = 0; i < sizeof registry / sizeof *registry; i++)
    for (k = 0; registry[i]->modules && registry[i]->modules[k]; k++)
      if (strcmp (type, registry[i]->modules[k]) == 0)
        return registry[i];
  return NULL;
}

const CfmOp *
cfm_op_for_onnx (Buf type)
{
  size_t i;
  int k;

  for (i = 0; i < sizeof registry / sizeof *registry; i++)
    for (k = 0; registry[i]->onnx[k]; k++)
      if (buf_is (type, registry[i]->onnx[k]))
        return registry[i];
  return NULL;
}
