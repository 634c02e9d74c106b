/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_bank.c: a filter bank as a graph of three nodes (its
 * convolution, the activation, the pooling) for the engine every network
 * runs on; the maps are the tutorial's, bit for bit (its API:
 * cfm_graph.h). */
#include "cfm_graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_graph_build.h"
#include "cfm_op.h"

/* The convolution node: BANK (with BIAS, or none) as Conv2d's weights,
 * computed as the tutorial computes it; *LAST its output. */
static CfmStatus
conv_node (CfmGraph *g, const CfmBank *bank, const float *bias,
           const CfmConvParams *conv, int *last, CfmError *err)
{
  CfmNode *node;
  CfmModule *m;

  if (cfm_graph_module_node (g, "conv", "Conv", g->input, &node, err)
      != CFM_OK)
    return CFM_ERR_NOMEM;
  m = &node->m;
  snprintf (m->type, sizeof m->type, "Conv2d");
  m->kind = CFM_MODULE_CONV;
  m->in_c = bank->c;
  m->out_c = bank->n;
  m->groups = 1;
  m->has_bias = bias != NULL;
  m->k[0] = bank->kh;
  m->k[1] = bank->kw;
  m->stride[0] = m->stride[1] = conv->stride;
  m->pad[0] = m->pad[1] = conv->padding;
  m->dil[0] = m->dil[1] = conv->dilation;
  m->pad_mode = conv->pad_mode;
  m->direct = 1;
  m->weight = bank->weights;
  m->bias = bias;
  *last = node->outputs[0];
  return CFM_OK;
}

/* The activation node after value *LAST, which becomes its output. */
static CfmStatus
activation_node (CfmGraph *g, CfmActivation act, float slope, int *last,
                 CfmError *err)
{
  static const struct
  {
    CfmActivation act;
    const char   *type, *module;
    CfmFunction   fn;
  } acts[] = {
    { CFM_ACT_RELU, "Relu", "ReLU", CFM_FN_RELU },
    { CFM_ACT_LEAKY_RELU, "LeakyRelu", "LeakyReLU", CFM_FN_LEAKY_RELU },
    { CFM_ACT_ABS, "Abs", "Abs", CFM_FN_ABS },
  };
  size_t i;

  for (i = 0; i < sizeof acts / sizeof *acts; i++)
    if (acts[i].act == act)
      {
        CfmNode *node;

        if (cfm_graph_module_node (g, "activation", acts[i].type, *last, &node, err)
            != CFM_OK)
          return CFM_ERR_NOMEM;
        snprintf (node->m.type, sizeof node->m.type, "%s", acts[i].module);
        node->m.kind = CFM_MODULE_FUNCTION;
        node->m.fn = acts[i].fn;
        node->m.alpha = slope;
        *last = node->outputs[0];
        return CFM_OK;
      }
  return cfm_error_set (err, CFM_ERR_ARG, "unknown activation %d",
                        (int) act);
}

/* The pooling node after value *LAST, which becomes its output. */
static CfmStatus
pool_node (CfmGraph *g, const CfmPoolParams *pool, int *last, CfmError *err)
{
  int max = pool->type == CFM_POOL_MAX;
  CfmNode *node;
  CfmModule *m;

  if (cfm_graph_module_node (g, "pool", max ? "MaxPool" : "AveragePool", *last, &node,
                 err) != CFM_OK)
    return CFM_ERR_NOMEM;
  m = &node->m;
  snprintf (m->type, sizeof m->type, "%s", max ? "MaxPool2d" : "AvgPool2d");
  m->kind = max ? CFM_MODULE_MAXPOOL : CFM_MODULE_AVGPOOL;
  m->k[0] = m->k[1] = pool->size;
  m->stride[0] = m->stride[1] = pool->stride;
  m->pad[0] = m->pad[1] = pool->padding;
  m->dil[0] = m->dil[1] = 1;
  m->count_include_pad = 1;   /* PyTorch's default, the tutorial's */
  *last = node->outputs[0];
  return CFM_OK;
}

CfmStatus
cfm_graph_from_bank (const CfmBank *bank, const float *bias,
                     const CfmConvParams *conv, CfmActivation act,
                     float slope, const CfmPoolParams *pool, CfmGraph *g,
                     CfmError *err)
{
  CfmStatus status = CFM_OK;
  int last = -1;

  memset (g, 0, sizeof *g);
  if (bank == NULL || bank->weights == NULL || bank->n < 1 || bank->c < 1)
    return cfm_error_set (err, CFM_ERR_ARG, "no kernels to run");
  if ((g->input = cfm_graph_value (g, "input", 5)) < 0
      || (g->outputs = malloc (sizeof *g->outputs)) == NULL)
    status = cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  if (status == CFM_OK)
    status = conv_node (g, bank, bias, conv, &last, err);
  if (status == CFM_OK && act != CFM_ACT_NONE)
    status = activation_node (g, act, slope, &last, err);
  if (status == CFM_OK && pool != NULL)
    status = pool_node (g, pool, &last, err);
  if (status == CFM_OK)
    {
      g->outputs[0] = last;
      g->n_outputs = 1;
      status = cfm_graph_finish (g, err);
    }
  if (status != CFM_OK)
    cfm_graph_free (g);
  return status;
}
