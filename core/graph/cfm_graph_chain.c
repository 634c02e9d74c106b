/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_chain.c: a chain of modules (cfm_network.h) as a graph, a
 * node a module, and the chain's forward passes run by the graph engine,
 * the one engine every network runs on (its API: cfm_graph.h and
 * cfm_network.h). */
#include "cfm_graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_graph_build.h"
#include "cfm_network.h"

/* The ONNX op type whose operator runs a module of KIND. */
static const char *
module_op_type (CfmModuleKind kind)
{
  switch (kind)
    {
    case CFM_MODULE_CONV: return "Conv";
    case CFM_MODULE_BATCHNORM: return "BatchNormalization";
    case CFM_MODULE_FUNCTION: return "Relu";   /* the activation operator:
                                                  M's own function runs */
    case CFM_MODULE_MAXPOOL: return "MaxPool";
    case CFM_MODULE_AVGPOOL: return "AveragePool";
    default: return "Identity";
    }
}

CfmStatus
cfm_graph_from_chain (const CfmNetwork *net, int last, CfmGraph *g,
                      CfmError *err)
{
  CfmStatus status = CFM_OK;
  int i, prev;

  memset (g, 0, sizeof *g);
  if (last < 0 || last >= net->n)
    return cfm_error_set (err, CFM_ERR_ARG, "no module %d in the chain",
                          last);
  if ((g->input = cfm_graph_value (g, "input", 5)) < 0
      || (g->outputs = malloc (sizeof *g->outputs)) == NULL)
    status = cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  prev = g->input;
  for (i = 0; i <= last && status == CFM_OK; i++)
    {
      const CfmModule *m = &net->modules[i];
      CfmNode *node;

      status = cfm_graph_module_node (g, m->name, module_op_type (m->kind),
                                      prev, &node, err);
      if (status == CFM_OK)
        {
          node->m = *m;
          prev = node->outputs[0];
        }
    }
  if (status == CFM_OK)
    {
      g->outputs[0] = prev;
      g->n_outputs = 1;
      status = cfm_graph_finish (g, err);
    }
  if (status != CFM_OK)
    cfm_graph_free (g);
  return status;
}

/* A chain's pass on the engine: its graph sized for the input, and what
 * each wanted module's rows become. */
typedef struct
{
  CfmGraph      g;
  const int    *want;       /* modules */
  int           n;
  int           value[CFM_NETWORK_FORWARD_MAX];
  CfmBandOutput output;     /* by bands, or */
  float        *whole[CFM_NETWORK_FORWARD_MAX];   /* kept whole */
  float        *packed;     /* a band's channels one after another */
  size_t        packed_size;
  void         *data;
} ChainPass;

/* The graph of modules 0 .. the last wanted, sized for C x H x W, with
 * the value of each wanted module; a module that cannot take its input
 * is named. */
static CfmStatus
chain_pass_init (ChainPass *p, const CfmNetwork *net, const int *want, int n,
                 int c, int h, int w, CfmError *err)
{
  char why[CFM_ERROR_MAX];
  CfmStatus status;
  int i;

  if (n < 1 || n > CFM_NETWORK_FORWARD_MAX)
    return cfm_error_set (err, CFM_ERR_ARG, "%d modules wanted at once", n);
  p->want = want;
  p->n = n;
  for (i = 0; i < n; i++)
    if (want[i] < 0 || want[i] >= net->n)
      return cfm_error_set (err, CFM_ERR_ARG, "no module %d in the chain",
                            want[i]);
  for (i = 1; i < n; i++)
    if (want[i] > want[0])
      return cfm_error_set (err, CFM_ERR_ARG, "the last module wanted "
                            "comes first");
  status = cfm_graph_from_chain (net, want[0], &p->g, err);
  if (status == CFM_OK)
    status = cfm_graph_shapes (&p->g, c, h, w, err);
  for (i = 0; i < n && status == CFM_OK; i++)
    {
      if (strcmp (p->g.nodes[want[i]].name, net->modules[want[i]].name))
        return cfm_error_set (err, CFM_ERR_ARG, "%s: two modules of that "
                              "name", net->modules[want[i]].name);
      if (!cfm_graph_node_runs (&p->g, want[i], why))
        return cfm_error_set (err, CFM_ERR_SIZE, "%s", why);
      p->value[i] = p->g.nodes[want[i]].outputs[0];
    }
  return status;
}

/* Which wanted module VALUE is. */
static int
wanted_index (const ChainPass *p, int value)
{
  int j;

  for (j = 0; j < p->n && p->value[j] != value; j++)
    ;
  return j;
}

/* A wanted value's new rows: to the host as C planes of NROWS x W, or
 * into the module's whole map. */
static CfmStatus
chain_rows (void *data, int value, const float *rows, size_t plane, int c,
            int h, int w, int row0, int nrows, CfmError *err)
{
  ChainPass *p = data;
  size_t part = (size_t) nrows * w, need = part * c + 1;
  int j = wanted_index (p, value), ch;
  float *dst;

  if (p->output == NULL)
    {
      dst = p->whole[j] + (size_t) row0 * w;
      for (ch = 0; ch < c; ch++)
        memcpy (dst + (size_t) ch * h * w, rows + ch * plane,
                part * sizeof (float));
      return CFM_OK;
    }
  if (plane == part)
    return p->output (p->data, p->want[j], rows, c, h, w, row0, nrows, err);
  if (need > p->packed_size)
    {
      free (p->packed);
      p->packed = malloc (need * sizeof (float));
      p->packed_size = p->packed ? need : 0;
      if (p->packed == NULL)
        return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
    }
  for (ch = 0; ch < c; ch++)
    memcpy (p->packed + ch * part, rows + ch * plane, part * sizeof (float));
  return p->output (p->data, p->want[j], p->packed, c, h, w, row0, nrows,
                    err);
}

static void
chain_pass_free (ChainPass *p)
{
  int j;

  for (j = 0; j < CFM_NETWORK_FORWARD_MAX; j++)
    free (p->whole[j]);
  free (p->packed);
  cfm_graph_free (&p->g);
}

CfmStatus
cfm_network_forward_bands (const CfmNetwork *net, const int *want, int n,
                           int c, int h, int w, int band_rows,
                           CfmRowReader read, void *read_data,
                           CfmBandOutput output, void *data, CfmError *err)
{
  int order[CFM_NETWORK_FORWARD_MAX], i;
  ChainPass p;
  CfmStatus status;

  memset (&p, 0, sizeof p);
  if (n < 1 || n > CFM_NETWORK_FORWARD_MAX)
    return cfm_error_set (err, CFM_ERR_ARG, "%d modules wanted at once", n);
  for (i = 0; i < n; i++)   /* the last module first: it sets the pace */
    order[i] = want[n - 1 - i];
  for (i = 1; i < n; i++)
    if (order[i] >= order[i - 1])
      return cfm_error_set (err, CFM_ERR_ARG, "the modules wanted are not "
                            "in the chain's order");
  p.output = output;
  p.data = data;
  status = chain_pass_init (&p, net, order, n, c, h, w, err);
  if (status == CFM_OK)
    status = cfm_graph_run (&p.g, p.value, n, band_rows, read, read_data,
                            chain_rows, &p, err);
  chain_pass_free (&p);
  return status;
}

/* The rows of a whole input held in memory. */
typedef struct
{
  const float *in;
  int          c, h, w;
} WholeInput;

static CfmStatus
read_whole (void *data, int row0, int rows, float *dst, CfmError *err)
{
  const WholeInput *in = data;
  int ch;

  (void) err;
  for (ch = 0; ch < in->c; ch++)
    memcpy (dst + (size_t) ch * rows * in->w,
            in->in + ((size_t) ch * in->h + row0) * in->w,
            (size_t) rows * in->w * sizeof (float));
  return CFM_OK;
}

CfmStatus
cfm_network_forward (const CfmNetwork *net, int last, const float *in, int c,
                     int h, int w, CfmModuleOutput output, void *data,
                     CfmError *err)
{
  WholeInput whole = { in, c, h, w };
  int lo;

  /* each module's whole output (the last one's alone without OUTPUT), a
   * pass of the engine for at most CFM_NETWORK_FORWARD_MAX of them, the
   * last of them first */
  for (lo = output ? 0 : last; lo <= last; lo += CFM_NETWORK_FORWARD_MAX)
    {
      int want[CFM_NETWORK_FORWARD_MAX], n = 0, j;
      CfmStatus status;
      ChainPass p;

      memset (&p, 0, sizeof p);
      while (n < CFM_NETWORK_FORWARD_MAX && lo + n <= last)
        n++;
      for (j = 0; j < n; j++)
        want[j] = lo + n - 1 - j;
      status = chain_pass_init (&p, net, want, n, c, h, w, err);
      for (j = 0; j < n && status == CFM_OK; j++)
        {
          const CfmValue *v = &p.g.values[p.value[j]];

          p.whole[j] = malloc (((size_t) v->c * v->h * v->w + 1)
                               * sizeof (float));
          if (p.whole[j] == NULL)
            status = cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
        }
      if (status == CFM_OK)
        status = cfm_graph_run (&p.g, p.value, n, h, read_whole, &whole,
                                chain_rows, &p, err);
      for (j = n - 1; j >= 0 && status == CFM_OK && output; j--)
        {
          const CfmValue *v = &p.g.values[p.value[j]];

          status = output (data, want[j], p.whole[j], v->c, v->h, v->w, err);
        }
      chain_pass_free (&p);
      if (status != CFM_OK)
        return status;
    }
  return CFM_OK;
}
