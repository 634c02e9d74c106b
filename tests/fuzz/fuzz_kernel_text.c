/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_kernel_text.c: libFuzzer target for the kernel-text parser and the
 * filter and bias lists.  Any input must be refused with a message or give
 * a bank within the limits; sanitizers catch the rest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_bank.h"
#include "cfm_kernel_text.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = malloc (size + 1);
  CfmBank bank;
  CfmError err;
  int index[CFM_FILTERS_MAX], count;
  float bias[CFM_FILTERS_MAX];

  memcpy (text, data, size);
  text[size] = '\0';
  err.message[0] = '\0';
  if (cfm_kernel_text_parse (text, &bank, &err) == CFM_OK)
    {
      if (bank.n < 1 || bank.n > CFM_FILTERS_MAX || bank.kh < 1
          || bank.kh > CFM_KERNEL_MAX || bank.kw < 1
          || bank.kw > CFM_KERNEL_MAX || bank.c < 1
          || bank.c > CFM_CHANNELS_MAX)
        abort ();
      cfm_bank_free (&bank);
    }
  else if (err.message[0] == '\0')
    abort ();   /* every refusal says why */
  cfm_filter_list_parse (text, 1 + size % CFM_FILTERS_MAX, index, &count,
                         &err);
  cfm_bias_parse (text, 1 + size % CFM_FILTERS_MAX, bias, &err);
  free (text);
  return 0;
}
