/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_network_text.c: libFuzzer target for the print(model) reader. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_network.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text = malloc (size + 1);
  CfmNetwork net;
  CfmError err;
  int stride[2];
  double centre[2];

  memcpy (text, data, size);
  text[size] = '\0';
  err.message[0] = '\0';
  if (cfm_network_parse (text, &net, &err) == CFM_OK)
    {
      if (net.n < 1)
        abort ();
      cfm_network_geometry (&net, net.n - 1, stride, centre);
      cfm_network_input_channels (&net);
      cfm_network_free (&net);
    }
  else if (err.message[0] == '\0')
    abort ();
  free (text);
  return 0;
}
