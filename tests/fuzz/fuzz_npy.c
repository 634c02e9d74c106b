/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_npy.c: libFuzzer target for the .npy reader and the conversion of
 * arrays to banks. */
#include <stdint.h>
#include <stdlib.h>

#include "cfm_npy.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  CfmArray array;
  CfmBank bank;
  CfmError err;
  size_t i, count = 1;

  err.message[0] = '\0';
  if (cfm_npy_parse (data, size, (size_t) 1 << 20, &array, &err) != CFM_OK)
    {
      if (err.message[0] == '\0')
        abort ();
      return 0;
    }
  for (i = 0; i < (size_t) array.ndim; i++)
    count *= array.shape[i];
  if (count != array.count)
    abort ();
  if (cfm_bank_from_array (&array, &bank, &err) == CFM_OK)
    cfm_bank_free (&bank);
  cfm_array_free (&array);
  return 0;
}
