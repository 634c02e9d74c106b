/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_graph_text.c: libFuzzer target for the graph read from print(model)
 * text and a weights file: the input is the text, a NUL, then the weights
 * (.pth, safetensors or .npz); the graph is then sized, run and its
 * geometry worked out as fuzz_graph.c does. */
#include <string.h>

#include "fuzz_graph_run.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const uint8_t *nul = memchr (data, 0, size);
  size_t text_len = nul ? (size_t) (nul - data) : size;
  char *text = malloc (text_len + 1);
  CfmTensorSet weights;
  CfmGraph g;
  CfmError err;
  CfmStatus status;

  if (text == NULL)
    return 0;
  setenv ("CFM_MEMORY_LIMIT", "256", 0);   /* read once, at the first run */
  memcpy (text, data, text_len);
  text[text_len] = '\0';
  memset (&weights, 0, sizeof weights);
  err.message[0] = '\0';
  status = nul ? cfm_weights_open (nul + 1, size - text_len - 1, &weights,
                                   &err) : CFM_OK;
  if (status == CFM_OK)
    {
      err.message[0] = '\0';
      status = cfm_graph_read_text (text, &weights, &g, &err);
      if (status == CFM_OK)
        {
          run_all (&g, 1);
          run_all (&g, 3);
          cfm_graph_free (&g);
        }
      else if (g.n_nodes != 0)
        abort ();
    }
  if (status != CFM_OK && err.message[0] == '\0')
    abort ();
  cfm_tensors_free (&weights);
  free (text);
  return 0;
}
