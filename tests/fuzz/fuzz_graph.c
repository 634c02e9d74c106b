/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_graph.c: libFuzzer target for the graph reader (every node of an
 * ONNX graph, the order and its checks), the sizing with its shape
 * arithmetic, each node's geometry, and the engine: every node that runs,
 * in bands of 3 rows, for a gray and a colour input. */
#include "fuzz_graph_run.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  CfmGraph g;
  CfmTensorSet weights;
  CfmError err;

  setenv ("CFM_MEMORY_LIMIT", "256", 0);   /* read once, at the first run */
  err.message[0] = '\0';
  if (cfm_graph_read_onnx (data, size, &g, &weights, &err) != CFM_OK)
    {
      if (err.message[0] == '\0' || g.n_nodes != 0 || weights.n != 0)
        abort ();
      return 0;
    }
  run_all (&g, 1);
  run_all (&g, 3);
  cfm_graph_free (&g);
  cfm_tensors_free (&weights);
  return 0;
}
