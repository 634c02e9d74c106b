/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_onnx.c: libFuzzer target for the ONNX reader (protobuf, tensors,
 * the chain of nodes). */
#include <stdint.h>
#include <stdlib.h>

#include "cfm_network.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  CfmNetwork net;
  CfmTensorSet weights;
  CfmError err;
  int stride[2];
  double centre[2];

  err.message[0] = '\0';
  if (cfm_onnx_read (data, size, &net, &weights, &err) != CFM_OK)
    {
      if (err.message[0] == '\0' || net.n != 0 || weights.n != 0)
        abort ();
      return 0;
    }
  if (net.n < 1)
    abort ();
  cfm_network_geometry (&net, net.n - 1, stride, centre);
  /* the tensors off the chain too, as views or converted */
  if (cfm_tensors_load_all (&weights, 0, &err) != CFM_OK
      && err.message[0] == '\0')
    abort ();
  cfm_network_free (&net);
  cfm_tensors_free (&weights);
  return 0;
}
