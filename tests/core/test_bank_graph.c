/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_bank_graph.c: a filter bank run as a three-node graph by the
 * network engine gives the maps of the tutorial's pipeline
 * (cfm_pipeline.h) bit for bit: convolution, activation and pooling, for
 * the built-in banks and random ones under every stride, padding mode,
 * dilation, activation and pooling, whole and in bands. */
#include "test_graph.h"
#include "test_pipeline.h"

#include "cfm_bank.h"

/* One bank's run: its settings and the photo's channels and size. */
typedef struct
{
  const char    *bank;   /* a built-in bank, or NULL: N random filters */
  int            n, c, k, h, w;   /* K: the kernels' side */
  CfmConvParams  conv;
  CfmActivation  act;
  float          slope;
  int            pooled;
  CfmPoolParams  pool;
  int            bias;
} Case;

static const Case cases[] = {
  { "tutorial", 4, 1, 4, 37, 41, { 1, 0, 1, CFM_PAD_ZEROS }, CFM_ACT_RELU,
    0.0f, 1, { CFM_POOL_MAX, 2, 2, 0 }, 0 },
  { "sobel", 2, 3, 3, 29, 33, { 1, 1, 1, CFM_PAD_REFLECT },
    CFM_ACT_ABS, 0.0f, 1, { CFM_POOL_AVG, 3, 2, 1 }, 0 },
  { NULL, 9, 3, 3, 31, 27, { 2, 1, 1, CFM_PAD_REPLICATE },
    CFM_ACT_LEAKY_RELU, 0.1f, 1, { CFM_POOL_MAX, 3, 1, 1 }, 1 },
  { NULL, 5, 1, 5, 26, 30, { 1, 2, 2, CFM_PAD_CIRCULAR }, CFM_ACT_NONE,
    0.0f, 0, { CFM_POOL_MAX, 2, 2, 0 }, 1 },
  { NULL, 16, 3, 4, 40, 23, { 3, 0, 1, CFM_PAD_ZEROS }, CFM_ACT_RELU, 0.0f,
    1, { CFM_POOL_AVG, 2, 2, 0 }, 0 },
};

/* The pipeline's maps of CASE's bank on X, whole: conv, act, pool. */
static void
pipeline_maps (const CfmPipeline *pl, const float *x, float **maps)
{
  size_t cplane = (size_t) pl->conv_h * pl->conv_w * pl->bank->n;
  size_t pplane = (size_t) pl->pool_h * pl->pool_w * pl->bank->n;

  maps[0] = calloc (cplane + 1, sizeof (float));
  maps[1] = calloc (cplane + 1, sizeof (float));
  maps[2] = calloc (pplane + 1, sizeof (float));
  run_banded (pl, x, pl->conv_h, maps[0], maps[1], maps[2]);
}

/* Node NAME's total stride and receptive field in G, against the bank's
 * own arithmetic: the convolution's span, then the pooling's windows of
 * convolution outputs. */
static void
check_geometry (const Case *cs, const CfmGraph *g, const char *name,
                int stage)
{
  int span = cs->conv.dilation * (cs->k - 1) + 1;
  int stride = cs->conv.stride * (stage == 2 ? cs->pool.stride : 1);
  int field = span + (stage == 2 ? (cs->pool.size - 1) * cs->conv.stride
                                 : 0);
  CfmGraphGeometry geo;
  CfmError err;

  CHECK (cfm_graph_geometry (g, cfm_graph_find_node (g, name), &geo, &err)
         == CFM_OK, "%s", err.message);
  CHECK (geo.stride[0] == stride && geo.stride[1] == stride
         && geo.field[0] == field && geo.field[1] == field,
         "%s: stride %g, field %g; the bank's %d and %d", name, geo.stride[0],
         geo.field[0], stride, field);
}

/* The graph's maps of every node, in bands of BAND_ROWS, against MAPS. */
static void
check_graph (const Case *cs, const CfmPipeline *pl, const CfmArray *input,
             float **maps, int band_rows)
{
  static const char *const names[] = { "conv", "activation", "pool" };
  Gathered got[3];
  Gather gt = { got, 0, 1 };
  Source src = { input };
  int want[3], k;
  CfmGraph g;
  CfmError err;

  CHECK (cfm_graph_from_bank (pl->bank, pl->bias, &pl->conv, cs->act,
                              cs->slope, cs->pooled ? &cs->pool : NULL, &g,
                              &err) == CFM_OK, "%s", err.message);
  CHECK (cfm_graph_shapes (&g, cs->c, cs->h, cs->w, &err) == CFM_OK, "%s",
         err.message);
  for (k = 0; k < 3; k++)
    {
      int v = cfm_graph_find_value (&g, names[k]);
      const CfmValue *val;

      if (v < 0)
        continue;
      val = &g.values[v];
      want[gt.n] = v;
      got[gt.n] = (Gathered) { v, NULL, val->c, val->h, val->w, 0 };
      got[gt.n].map = calloc ((size_t) val->c * val->h * val->w + 1,
                              sizeof (float));
      gt.n++;
    }
  CHECK (gt.n == 1 + (cs->act != CFM_ACT_NONE) + cs->pooled, "%d nodes",
         gt.n);
  CHECK (cfm_graph_run (&g, want, gt.n, band_rows, read_rows, &src,
                        gather_rows, &gt, &err) == CFM_OK, "%s", err.message);
  for (k = 0; k < gt.n; k++)
    {
      const char *name = g.values[got[k].value].name;
      int stage = strcmp (name, "conv") == 0 ? 0
                  : strcmp (name, "activation") == 0 ? 1 : 2;
      int h = stage == 2 ? pl->pool_h : pl->conv_h;
      int w = stage == 2 ? pl->pool_w : pl->conv_w;

      check_geometry (cs, &g, name, stage);
      CHECK (got[k].c == pl->bank->n && got[k].h == h && got[k].w == w,
             "%s: %s is %dx%dx%d, the pipeline's %dx%dx%d",
             cs->bank ? cs->bank : "random", name, got[k].c, got[k].h,
             got[k].w, pl->bank->n, h, w);
      if (got[k].h == h && got[k].w == w)
        CHECK (memcmp (got[k].map, maps[stage], (size_t) got[k].c * h * w
                       * sizeof (float)) == 0,
               "%s: %s in bands of %d differs from the pipeline's",
               cs->bank ? cs->bank : "random", name, band_rows);
      free (got[k].map);
    }
  cfm_graph_free (&g);
}

/* CASE through the pipeline, then the graph in bands of 1, 5 and all. */
static void
test_case (const Case *cs)
{
  CfmBank bank;
  CfmPipeline pl = { 0 };
  CfmArray input = { 0 };
  CfmError err;
  float *maps[3], *bias = NULL;
  unsigned state = 11;
  size_t i, n_in = (size_t) cs->c * cs->h * cs->w;

  if (cs->bank)
    {
      CfmBank built;

      CHECK (cfm_bank_builtin (cs->bank, &built, &err) == CFM_OK, "%s",
             err.message);
      CHECK (cfm_bank_broadcast (&built, cs->c, &bank, &err) == CFM_OK, "%s",
             err.message);
      cfm_bank_free (&built);
    }
  else
    {
      CHECK (cfm_bank_init (&bank, cs->n, cs->c, cs->k, cs->k, &err)
             == CFM_OK, "%s", err.message);
      for (i = 0; i < (size_t) cs->n * cfm_bank_kernel_size (&bank); i++)
        bank.weights[i] = test_random (&state);
    }
  if (cs->bias)
    {
      bias = malloc ((size_t) bank.n * sizeof (float));
      for (i = 0; i < (size_t) bank.n; i++)
        bias[i] = test_random (&state);
    }
  input.ndim = 3;
  input.shape[0] = (size_t) cs->c, input.shape[1] = (size_t) cs->h;
  input.shape[2] = (size_t) cs->w;
  input.count = n_in;
  input.data = malloc (n_in * sizeof (float));
  for (i = 0; i < n_in; i++)
    input.data[i] = test_random (&state);
  pl.bank = &bank;
  pl.bias = bias;
  pl.conv = cs->conv;
  pl.activation = cs->act;
  pl.negative_slope = cs->slope;
  pl.pool_enabled = cs->pooled;
  pl.pool = cs->pool;
  CHECK (cfm_pipeline_init (&pl, cs->c, cs->h, cs->w, &err) == CFM_OK, "%s",
         err.message);
  pipeline_maps (&pl, input.data, maps);
  check_graph (cs, &pl, &input, maps, 1);
  check_graph (cs, &pl, &input, maps, 5);
  check_graph (cs, &pl, &input, maps, cs->h);
  for (i = 0; i < 3; i++)
    free (maps[i]);
  free (input.data);
  free (bias);
  cfm_bank_free (&bank);
}

int
main (void)
{
  size_t i;

  for (i = 0; i < sizeof cases / sizeof *cases; i++)
    test_case (&cases[i]);
  return test_finish ("bank_graph");
}
