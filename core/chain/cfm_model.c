/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_model.c: a model file read whatever its format, and the blocks of
 * its chain (its API: cfm_model.h). */
#include "cfm_model.h"

#include <stdio.h>
#include <string.h>

/* An ONNX ModelProto opens with its ir_version (field 1, a varint: the
 * byte 0x08); a safetensors file whose header length starts so has '{'
 * at byte 8. */
#define ONNX_FIRST_BYTE 0x08
#define SAFETENSORS_JSON_AT 8

static int
is_onnx (const unsigned char *b, size_t len, const char *name)
{
  size_t n = name ? strlen (name) : 0;

  if (n >= 5 && strcmp (name + n - 5, ".onnx") == 0)
    return 1;
  return len > SAFETENSORS_JSON_AT && b[0] == ONNX_FIRST_BYTE
         && b[SAFETENSORS_JSON_AT] != '{';
}

static int
blank (const char *text)
{
  while (text && (*text == ' ' || *text == '\t' || *text == '\n'
                  || *text == '\r'))
    text++;
  return text == NULL || *text == '\0';
}

/* MODEL's chain and graph from print(model)'s TEXT.  A chain that
 * cannot start (MobileNet's features.0 is a block whose forward the chain
 * does not follow) leaves the graph alone, which runs any node; the
 * chain's message is the refusal only where the graph cannot be read
 * either. */
static CfmStatus
read_text (const char *text, CfmModel *model, CfmError *err)
{
  CfmError chain_err;
  CfmStatus chain = cfm_network_parse (text, &model->net, &chain_err);
  CfmStatus status = CFM_OK;

  if (chain == CFM_OK)
    chain = cfm_network_bind (&model->net, &model->weights, &chain_err);
  if (chain != CFM_OK)
    cfm_network_free (&model->net);
  status = cfm_graph_read_text (text, &model->weights, &model->graph, err);
  if (status != CFM_OK && chain != CFM_OK)
    {
      *err = chain_err;
      return chain;
    }
  return status;
}

/* The channels MODEL's input has: its chain's first convolution's or,
 * with no chain, its graph's first convolution's; 0 for none. */
static int
input_channels (const CfmModel *model)
{
  int c = cfm_network_input_channels (&model->net), i;

  for (i = 0; c == 0 && i < model->graph.n_nodes; i++)
    if (model->graph.nodes[i].op
        && model->graph.nodes[i].m.kind == CFM_MODULE_CONV)
      c = model->graph.nodes[i].m.in_c;
  return c;
}

CfmStatus
cfm_model_read (CfmFile *file, const char *name, const char *network_text,
                CfmModel *model, CfmError *err)
{
  const unsigned char *buf = cfm_file_data (file);
  size_t len = cfm_file_size (file);
  CfmStatus status;

  memset (model, 0, sizeof *model);
  model->file = file;
  if (is_onnx (buf, len, name))
    {
      model->onnx = 1;
      status = cfm_onnx_read (buf, len, &model->net, &model->weights, err);
      if (status == CFM_OK)
        status = cfm_graph_read_onnx (buf, len, &model->graph,
                                      &model->graph_weights, err);
    }
  else
    {
      status = cfm_weights_open (buf, len, &model->weights, err);
      if (status == CFM_OK && blank (network_text))
        status = cfm_error_set (err, CFM_ERR_ARG, "this file holds only "
                                "weights: paste the text print(model) "
                                "prints into \"network\" (or export the "
                                "model to ONNX)");
      if (status == CFM_OK)
        status = read_text (network_text, model, err);
    }
  model->input_channels = input_channels (model);
  if (status == CFM_OK && model->input_channels == 0)
    status = cfm_error_set (err, CFM_ERR_ARG, "the network has no "
                            "convolution before %s",
                            model->net.ended[0] ? model->net.ended
                                                : "its end");
  if (status != CFM_OK)
    cfm_model_free (model);
  return status;
}

CfmStatus
cfm_model_open (const char *path, size_t max_bytes, const char *network_text,
                CfmModel *model, CfmError *err)
{
  const char *slash = strrchr (path, '/');
  CfmFile *file;
  CfmStatus status = cfm_file_open (path, max_bytes, &file, err);

  if (status != CFM_OK)
    {
      memset (model, 0, sizeof *model);
      return status;
    }
  return cfm_model_read (file, slash ? slash + 1 : path, network_text, model,
                         err);
}

void
cfm_model_free (CfmModel *model)
{
  cfm_network_free (&model->net);
  cfm_graph_free (&model->graph);
  cfm_tensors_free (&model->graph_weights);
  cfm_tensors_free (&model->weights);
  cfm_file_close (model->file);
  memset (model, 0, sizeof *model);
}

static const char *
module_name (const void *net, int i)
{
  return ((const CfmNetwork *) net)->modules[i].name;
}

CfmStatus
cfm_model_block (const CfmNetwork *net, const char *layer, CfmBlock *block,
                 CfmError *err)
{
  int at = -1, i;

  memset (block, 0, sizeof *block);
  for (i = 0; i < net->n && at < 0; i++)
    if (net->modules[i].kind == CFM_MODULE_CONV)
      at = i;
  if (!blank (layer) && (at = cfm_network_find (net, layer)) < 0)
    return cfm_error_unknown_name (err, layer, net->n, module_name, net);
  while (at >= 0 && net->modules[at].kind != CFM_MODULE_CONV)
    at--;
  if (at < 0)
    return cfm_error_set (err, CFM_ERR_ARG, "\"%.64s\" comes before the "
                          "first convolution", layer);
  block->first = block->last = at;
  for (i = 0; i < CFM_BLOCK_STAGES; i++)
    block->module[i] = -1;
  block->module[CFM_BLOCK_CONV] = at;
  for (i = at + 1; i < net->n && net->modules[i].kind != CFM_MODULE_CONV; i++)
    {
      CfmModuleKind kind = net->modules[i].kind;

      block->last = i;
      if (kind == CFM_MODULE_FUNCTION && block->module[CFM_BLOCK_ACTIVATION] < 0)
        block->module[CFM_BLOCK_ACTIVATION] = i;
      if ((kind == CFM_MODULE_MAXPOOL || kind == CFM_MODULE_AVGPOOL)
          && block->module[CFM_BLOCK_POOL] < 0)
        block->module[CFM_BLOCK_POOL] = i;
    }
  return CFM_OK;
}
