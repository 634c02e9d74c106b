/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_activation.h: the activations a map can go through (PyTorch's ReLU,
 * LeakyReLU, an absolute value, or none). */
#ifndef CFM_ACTIVATION_H
#define CFM_ACTIVATION_H

#include <stddef.h>

typedef enum
{
  CFM_ACT_NONE,
  CFM_ACT_RELU,
  CFM_ACT_LEAKY_RELU,
  CFM_ACT_ABS
} CfmActivation;

/* Applies ACT to N values (IN and OUT may be the same). */
void cfm_activation_apply (CfmActivation act, float negative_slope,
                           const float *in, float *out, size_t n);

/* The factor of negative values under ACT, for branch-free kernels that
 * compute v > 0 ? v : v * factor (0 for ReLU, the slope for leaky ReLU, -1
 * for abs, 1 for none). */
float cfm_activation_negative_factor (CfmActivation act,
                                      float negative_slope);

#endif
