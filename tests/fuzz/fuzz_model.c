/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_model.c: libFuzzer target for a model as the plug-in opens it
 * (cfm_model_read): the input is the print(model) text, a NUL, then the
 * model file's bytes (.pth, safetensors, .npz or ONNX); the model's graph
 * is then sized and run as fuzz_graph.c does, and every node's name is
 * chosen as a layer, with its convolution block. */
#include <string.h>

#include "cfm_model.h"
#include "fuzz_graph_run.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Every node's label as "layer": it finds a node, and a block's stages
 * lie within the graph. */
static void
choose_every_layer (const CfmGraph *g)
{
  CfmGraphBlock block;
  CfmError err;
  int i, node, s;

  for (i = 0; i < g->n_nodes; i++)
    {
      const char *label = cfm_graph_node_label (g, i);

      if (cfm_graph_layer (g, label, &node, &err) != CFM_OK || node < 0
          || node >= g->n_nodes)
        abort ();
      if (cfm_graph_layer_block (g, label, node, &block))
        for (s = 0; s < CFM_BLOCK_STAGES; s++)
          if (block.stage[s] >= g->n_nodes || block.n < 1)
            abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const uint8_t *nul = memchr (data, 0, size);
  size_t text_len = nul ? (size_t) (nul - data) : size;
  size_t file_len = nul ? size - text_len - 1 : 0;
  char *text = malloc (text_len + 1);
  void *bytes = malloc (file_len + 1);
  CfmModel model;
  CfmError err;

  if (text == NULL || bytes == NULL)
    {
      free (text);
      free (bytes);
      return 0;
    }
  setenv ("CFM_MEMORY_LIMIT", "256", 0);   /* read once, at the first run */
  memcpy (text, data, text_len);
  text[text_len] = '\0';
  if (file_len)
    memcpy (bytes, nul + 1, file_len);
  err.message[0] = '\0';
  /* the file takes BYTES, and is closed with the model or at a refusal */
  if (cfm_model_read (cfm_file_wrap (bytes, file_len), "model.pth", text,
                      &model, &err) == CFM_OK)
    {
      choose_every_layer (&model.graph);
      run_all (&model.graph, model.input_channels > 0
                             ? model.input_channels : 1);
      cfm_model_free (&model);
    }
  else if (err.message[0] == '\0')
    abort ();
  free (text);
  return 0;
}
