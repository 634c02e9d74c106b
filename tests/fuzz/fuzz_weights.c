/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_weights.c: libFuzzer target for the model readers: PyTorch .pth
 * (zip and pickle), safetensors and .npz, told apart as the plug-in tells
 * them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_tensors.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  CfmTensorSet set;
  CfmError err;
  size_t i, k, count;

  err.message[0] = '\0';
  if (cfm_weights_read (data, size, &set, &err) != CFM_OK)
    {
      if (err.message[0] == '\0' || set.n != 0)
        abort ();
      return 0;
    }
  for (i = 0; i < set.n; i++)
    {
      const CfmTensor *t = &set.tensors[i];

      for (k = 0, count = 1; k < (size_t) t->ndim; k++)
        count *= (size_t) t->shape[k];
      if (count != t->count)
        abort ();
      for (k = 0; k < t->count; k++)   /* every value readable */
        if (t->data[k] != t->data[k])
          abort ();   /* readers refuse NaN */
    }
  cfm_tensors_free (&set);
  return 0;
}
