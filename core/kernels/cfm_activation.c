/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_activation.c: ReLU, leaky ReLU, abs and none over a run of values
 * (its API: cfm_activation.h). */
#include "cfm_activation.h"

#include <math.h>
#include <string.h>

void
cfm_activation_apply (CfmActivation act, float negative_slope,
                      const float *in, float *out, size_t n)
{
  size_t i;

  switch (act)
    {
    case CFM_ACT_RELU:
      for (i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
      break;
    case CFM_ACT_LEAKY_RELU:
      for (i = 0; i < n; i++)
        out[i] = in[i] > 0.0f ? in[i] : in[i] * negative_slope;
      break;
    case CFM_ACT_ABS:
      for (i = 0; i < n; i++)
        out[i] = fabsf (in[i]);
      break;
    case CFM_ACT_NONE:
    default:
      if (out != in)
        memmove (out, in, n * sizeof (float));
      break;
    }
}

float
cfm_activation_negative_factor (CfmActivation act, float negative_slope)
{
  switch (act)
    {
    case CFM_ACT_RELU:
      return 0.0f;
    case CFM_ACT_LEAKY_RELU:
      return negative_slope;
    case CFM_ACT_ABS:
      return -1.0f;
    case CFM_ACT_NONE:
    default:
      return 1.0f;
    }
}
