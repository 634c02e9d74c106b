/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_conv_pack.c: a bank's weights packed for the vector kernel, kept
 * from call to call, and what a CfmConvPacked holds (its API:
 * cfm_conv_fast.h, cfm_conv_packed_free in cfm_conv.h). */
#include "cfm_conv_fast.h"

#include <stdlib.h>
#include <string.h>

int
cfm_conv_packed_holds (const CfmConvPacked *p, const CfmBank *bank,
                       const float *bias)
{
  return p->weights == bank->weights && p->bias == bias && p->n == bank->n
         && p->c == bank->c && p->kh == bank->kh && p->kw == bank->kw;
}

void
cfm_conv_packed_name (CfmConvPacked *p, const CfmBank *bank,
                      const float *bias)
{
  p->weights = bank->weights;
  p->bias = bias;
  p->n = bank->n;
  p->c = bank->c;
  p->kh = bank->kh;
  p->kw = bank->kw;
}

int
cfm_conv_pack (const CfmBank *bank, const float *bias, int group,
               int groups, CfmConvPacked *p)
{
  int nf = groups * group, f, t;
  size_t taps = (size_t) bank->c * bank->kh * bank->kw;

  if (p->packed && cfm_conv_packed_holds (p, bank, bias) && p->group == group)
    return 1;
  cfm_conv_packed_free (p);
  p->packed = calloc ((size_t) nf * taps, sizeof (float));
  p->pbias = calloc ((size_t) nf, sizeof (float));
  if (!p->packed || !p->pbias)
    return 0;
  for (f = 0; f < bank->n; f++)
    {
      int g0 = f / group * group;

      for (t = 0; (size_t) t < taps; t++)
        p->packed[(size_t) g0 * taps + (size_t) t * group + (f - g0)]
          = bank->weights[(size_t) f * taps + t];
      p->pbias[f] = bias ? bias[f] : 0.0f;
    }
  cfm_conv_packed_name (p, bank, bias);
  p->group = group;
  return 1;
}

void
cfm_conv_packed_free (CfmConvPacked *packed)
{
  free (packed->packed);
  free (packed->pbias);
  free (packed->wino);
  memset (packed, 0, sizeof *packed);
}
