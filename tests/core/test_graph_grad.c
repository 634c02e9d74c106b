/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_graph_grad.c: the operators' backward steps (CfmOp.backward, what a
 * class activation map's gradient pass takes) against finite differences:
 * for a one-node graph, the gradient of L = sum_k w_k y_k (W random) with
 * respect to its input, and to a broadcast constant, from the operator's
 * backward step equals (L(x + e) - L(x - e)) / 2e of the engine's own
 * forward pass, within 2e-3 and 2e-3 of its size.  Every activation,
 * Add / Sub / Mul / Div / PRelu of two maps and of a per-channel constant,
 * global average and max pooling, Flatten and Identity. */
#include "test_graph.h"

#define C 2
#define H 3
#define W 4
#define N (C * H * W)
#define STEP 1e-2
#define TOL 2e-3

/* A graph of input "x" (C x H x W) and one node of op TYPE reading it (and
 * constant "k" of C x 1 x 1 = K's values when K): the node to set up. */
static CfmNode *
one_node (CfmGraph *g, const char *type, CfmTensor *k)
{
  CfmError err;
  CfmNode *node;
  int out;

  memset (g, 0, sizeof *g);
  g->input = cfm_graph_value (g, "x", 1);
  node = cfm_graph_add_node (g, k ? 2 : 1, 1, &err);
  node->op = cfm_op_for_onnx ((Buf) { (const unsigned char *) type,
                                      (const unsigned char *) type
                                      + strlen (type) });
  snprintf (node->name, sizeof node->name, "%s", type);
  snprintf (node->type, sizeof node->type, "%s", type);
  node->inputs[0] = g->input;
  if (k)
    {
      int v = cfm_graph_value (g, "k", 1);

      g->values[v].kind = CFM_VALUE_CONST;
      g->values[v].tensor = k;
      g->nodes[0].inputs[1] = v;
    }
  out = cfm_graph_value (g, "y", 1);
  g->nodes[0].outputs[0] = out;
  g->outputs = malloc (sizeof *g->outputs);
  g->outputs[0] = out;
  g->n_outputs = 1;
  return &g->nodes[0];
}

/* The graph's output for input X: its values into Y (room for N); its
 * count. */
static int
forward (CfmGraph *g, const float *x, float *y)
{
  CfmArray in = { 3, { C, H, W }, N, (float *) x };
  Source src = { &in };
  int v = g->outputs[0], n;
  Gathered gd;
  Gather gt = { &gd, 1, 1 };
  CfmError err;

  CHECK (cfm_graph_shapes (g, C, H, W, &err) == CFM_OK, "%s", err.message);
  gd = (Gathered) { v, y, g->values[v].c, g->values[v].h, g->values[v].w,
                    0 };
  n = gd.c * gd.h * gd.w;
  CHECK (cfm_graph_run (g, &v, 1, H, read_rows, &src, gather_rows, &gt,
                        &err) == CFM_OK, "%s", err.message);
  return n;
}

/* L = sum of WT times the output for input X. */
static double
loss (CfmGraph *g, const float *x, const float *wt)
{
  float y[N];
  double l = 0.0;
  int i, n = forward (g, x, y);

  for (i = 0; i < n; i++)
    l += (double) wt[i] * y[i];
  return l;
}

/* Whether ANALYTIC[0 .. n) is the finite difference of L with respect to
 * the N values at P (the input's or the constant's), counting misses. */
static int
check_against_differences (CfmGraph *g, float *x, float *p, int n,
                           const float *wt, const float *analytic)
{
  int i, bad = 0;

  for (i = 0; i < n; i++)
    {
      float keep = p[i];
      double up, down, fd;

      p[i] = keep + (float) STEP;
      up = loss (g, x, wt);
      p[i] = keep - (float) STEP;
      down = loss (g, x, wt);
      p[i] = keep;
      fd = (up - down) / (2.0 * STEP);
      if (fabs (fd - analytic[i]) > TOL + TOL * fabs (fd))
        {
          if (bad++ == 0)
            fprintf (stderr, "  value %d: backward %g, differences %g\n", i,
                     analytic[i], fd);
        }
    }
  return bad;
}

/* Random values in [LO, HI], each at least 0.05 from every kink in KINKS
 * (NK of them), where a finite difference would straddle it. */
static void
fill (float *v, int n, float lo, float hi, const float *kinks, int nk,
      unsigned *seed)
{
  int i, k;

  for (i = 0; i < n; i++)
    {
      int near;

      do
        {
          *seed = *seed * 1103515245u + 12345u;
          v[i] = lo + (hi - lo) * (float) ((*seed >> 8) & 0xffff) / 65535.0f;
          near = 0;
          for (k = 0; k < nk; k++)
            near |= fabsf (v[i] - kinks[k]) < 0.05f;
        }
      while (near);
    }
}

/* The node's backward step with output gradient WT at input X (and
 * constant K): the input's gradient into GX, the constant's into GK
 * (or NULL). */
static void
backward (CfmGraph *g, const float *x, const CfmTensor *k, const float *wt,
          float *gx, float *gk)
{
  float y[N];
  const float *in[2] = { x, k ? k->data : NULL };
  float *grad_in[2] = { gx, gk };
  CfmOpGrad grad = { in, y, wt, grad_in, NULL };
  CfmError err;

  forward (g, x, y);
  memset (gx, 0, N * sizeof *gx);
  if (gk)
    memset (gk, 0, (size_t) C * sizeof *gk);
  CHECK (g->nodes[0].op->backward != NULL, "%s has a backward step",
         g->nodes[0].type);
  if (g->nodes[0].op->backward)
    CHECK (g->nodes[0].op->backward (g, &g->nodes[0], &grad, &err) == CFM_OK,
           "%s", err.message);
}

static void
test_activations (void)
{
  static const struct
  {
    CfmFunction fn;
    float       alpha, beta, lo, hi;
    const char *name;
  } fns[] = {
    { CFM_FN_RELU, 0, 0, 0, 0, "ReLU" },
    { CFM_FN_RELU6, 0, 0, 0, 6, "ReLU6" },
    { CFM_FN_LEAKY_RELU, 0.1f, 0, 0, 0, "LeakyReLU" },
    { CFM_FN_ELU, 1.0f, 0, 0, 0, "ELU" },
    { CFM_FN_GELU, 0, 0, 0, 0, "GELU" },
    { CFM_FN_GELU_TANH, 0, 0, 0, 0, "GELU (tanh)" },
    { CFM_FN_SILU, 0, 0, 0, 0, "SiLU" },
    { CFM_FN_SIGMOID, 0, 0, 0, 0, "Sigmoid" },
    { CFM_FN_TANH, 0, 0, 0, 0, "Tanh" },
    { CFM_FN_HARDTANH, 0, 0, -1, 1, "Hardtanh" },
    { CFM_FN_HARDSIGMOID, 1.0f / 6.0f, 0.5f, 0, 0, "Hardsigmoid" },
    { CFM_FN_HARDSWISH, 0, 0, 0, 0, "Hardswish" },
    { CFM_FN_SOFTPLUS, 0, 0, 0, 0, "Softplus" },
    { CFM_FN_MISH, 0, 0, 0, 0, "Mish" },
    { CFM_FN_ERF, 0, 0, 0, 0, "Erf" },
    { CFM_FN_ABS, 0, 0, 0, 0, "Abs" },
    { CFM_FN_SQRT, 0, 0, 0, 0, "Sqrt" },
  };
  static const float kinks[] = { -1.0f, 0.0f, 1.0f };
  unsigned seed = 7;
  size_t f;

  for (f = 0; f < sizeof fns / sizeof *fns; f++)
    {
      float x[N], wt[N], gx[N];
      CfmGraph g;
      CfmNode *node = one_node (&g, "Relu", NULL);

      node->m.kind = CFM_MODULE_FUNCTION;
      node->m.fn = fns[f].fn;
      node->m.alpha = fns[f].alpha;
      node->m.beta = fns[f].beta;
      node->m.lo = fns[f].lo;
      node->m.hi = fns[f].hi;
      CHECK (cfm_graph_finish (&g, NULL) == CFM_OK, "%s", fns[f].name);
      if (fns[f].fn == CFM_FN_SQRT)
        fill (x, N, 0.5f, 2.0f, kinks, 0, &seed);
      else
        fill (x, N, -2.0f, 2.0f, kinks, 3, &seed);
      fill (wt, N, -1.0f, 1.0f, kinks, 0, &seed);
      backward (&g, x, NULL, wt, gx, NULL);
      CHECK (check_against_differences (&g, x, x, N, wt, gx) == 0,
             "%s's backward step", fns[f].name);
      cfm_graph_free (&g);
    }
}

/* TYPE of the input and a per-channel constant: both gradients; and of
 * the input with itself (y = x op x): the two inputs' gradients added. */
static void
test_binary (const char *type)
{
  static const float kinks[] = { 0.0f };
  float x[N], wt[N], gx[N], gk[C], kv[C], gx2[N];
  CfmTensor k = { NULL, 3, { C, 1, 1 }, C, kv, NULL, { 0 }, 1 };
  unsigned seed = 11;
  CfmGraph g;
  int i;

  fill (x, N, -2.0f, 2.0f, kinks, 1, &seed);
  fill (kv, C, 0.5f, 1.5f, kinks, 0, &seed);
  fill (wt, N, -1.0f, 1.0f, kinks, 0, &seed);
  one_node (&g, type, &k);
  CHECK (cfm_graph_finish (&g, NULL) == CFM_OK, "%s", type);
  backward (&g, x, &k, wt, gx, gk);
  CHECK (check_against_differences (&g, x, x, N, wt, gx) == 0,
         "%s: the map's gradient", type);
  CHECK (check_against_differences (&g, x, kv, C, wt, gk) == 0,
         "%s: the per-channel constant's, summed over its maps", type);
  cfm_graph_free (&g);

  {   /* y = x op x: both slots of the backward step */
    const float *in[2] = { x, x };
    float *grad_in[2] = { gx, gx2 }, y[N];
    CfmOpGrad grad = { in, y, wt, grad_in, NULL };
    CfmNode *node = one_node (&g, type, NULL);
    CfmError err;

    node->n_inputs = 2;
    node->inputs[1] = g.input;
    CHECK (cfm_graph_finish (&g, NULL) == CFM_OK, "%s of x and x", type);
    forward (&g, x, y);
    memset (gx, 0, sizeof gx);
    memset (gx2, 0, sizeof gx2);
    CHECK (node->op->backward (&g, node, &grad, &err) == CFM_OK, "%s",
           err.message);
    for (i = 0; i < N; i++)
      gx[i] += gx2[i];
    CHECK (check_against_differences (&g, x, x, N, wt, gx) == 0,
           "%s of x and x: both inputs' gradients", type);
    cfm_graph_free (&g);
  }
}

static void
test_pools_and_copies (void)
{
  static const struct { const char *type; int max; } pools[] = {
    { "GlobalAveragePool", 0 }, { "GlobalMaxPool", 1 },
  };
  static const char *const copies[] = { "Flatten", "Identity" };
  float x[N], wt[N], gx[N];
  unsigned seed = 3;
  CfmGraph g;
  size_t i;

  for (i = 0; i < 2; i++)
    {
      CfmNode *node = one_node (&g, pools[i].type, NULL);

      node->axis = 1;
      node->m.kind = pools[i].max ? CFM_MODULE_MAXPOOL : CFM_MODULE_AVGPOOL;
      CHECK (cfm_graph_finish (&g, NULL) == CFM_OK, "%s", pools[i].type);
      fill (x, N, -2.0f, 2.0f, NULL, 0, &seed);
      fill (wt, N, -1.0f, 1.0f, NULL, 0, &seed);
      backward (&g, x, NULL, wt, gx, NULL);
      CHECK (check_against_differences (&g, x, x, N, wt, gx) == 0,
             "%s's backward step", pools[i].type);
      cfm_graph_free (&g);
    }
  for (i = 0; i < 2; i++)
    {
      CfmNode *node = one_node (&g, copies[i], NULL);

      node->axis = 1;
      CHECK (cfm_graph_finish (&g, NULL) == CFM_OK, "%s", copies[i]);
      fill (x, N, -2.0f, 2.0f, NULL, 0, &seed);
      fill (wt, N, -1.0f, 1.0f, NULL, 0, &seed);
      backward (&g, x, NULL, wt, gx, NULL);
      CHECK (check_against_differences (&g, x, x, N, wt, gx) == 0,
             "%s's backward step", copies[i]);
      cfm_graph_free (&g);
    }
}

int
main (void)
{
  static const char *const binaries[] = { "Add", "Sub", "Mul", "Div",
                                          "PRelu" };
  size_t i;

  test_activations ();
  for (i = 0; i < sizeof binaries / sizeof *binaries; i++)
    test_binary (binaries[i]);
  test_pools_and_copies ();
  return test_finish ("graph_grad");
}
