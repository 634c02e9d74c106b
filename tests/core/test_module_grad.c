/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_module_grad.c: the backward steps of the operators that hold
 * weights or windows, through the graph's gradient pass
 * (cfm_graph_grad.h), against finite differences of the engine's own
 * forward pass.  Each case is a network read from print(model) text:
 * Dropout, the module under test, Flatten and a Linear of one output with
 * random weights (so its score is L = sum_k w_k y_k of the module's
 * output); the pass's gradient at the Dropout's output, which is the
 * input, must equal (L(x + e) - L(x - e)) / 2e for every input value,
 * within 2e-3 and 2e-3 of its size, or one side's difference where a
 * ReLU's kink lies within the step on the other.  Convolutions strided, grouped,
 * depthwise, dilated, reflected and 1x1, of few filters and of eight or
 * more (the matrix product's path); BatchNorm; max and average
 * pooling (padding, ceil_mode, count_include_pad); Linear; LayerNorm on
 * permuted maps; transposed convolutions; bilinear and nearest
 * upsampling; reflected, replicated and constant borders; a channel
 * shuffle; a residual block (Add fanning out). */
#include "test_graph.h"

#include "cfm_graph_grad.h"

#define STEP 1e-2
#define TOL 2e-3

typedef struct
{
  const char *name;
  int         ndim;
  int64_t     shape[4];
} Tensor;

typedef struct
{
  const char   *what;
  const char   *modules;       /* the text between the Dropout and Flatten */
  int           c, h, w;       /* the input's size */
  Tensor        tensors[12];
  float         spacing;       /* > 0: input values this far apart (a
                                  pooling's winners stay winners) */
} Case;

static unsigned seed = 5;

static float
random_in (float lo, float hi)
{
  seed = seed * 1103515245u + 12345u;
  return lo + (hi - lo) * (float) ((seed >> 8) & 0xffff) / 65535.0f;
}

/* The case's tensors, random (a variance above 0), and the Linear's
 * weights of N inputs. */
static void
make_tensors (const Case *tc, int n, CfmTensorSet *w)
{
  CfmError err;
  int t;

  memset (w, 0, sizeof *w);
  for (t = 0; t <= 12; t++)
    {
      Tensor fc = { "fc.weight", 2, { 1, n } }, bias = { "fc.bias", 1, { 1 } };
      const Tensor *s = t == 12 ? &fc : &tc->tensors[t];
      size_t count = 1, i;
      float *data;
      int d;

      if (s->name == NULL)
        continue;
      for (d = 0; d < s->ndim; d++)
        count *= (size_t) s->shape[d];
      CHECK (cfm_tensors_add (w, s->name, strlen (s->name), s->ndim, s->shape,
                              &data, &err) == CFM_OK, "%s", err.message);
      for (i = 0; i < count; i++)
        data[i] = strstr (s->name, "var") ? random_in (0.5f, 2.0f)
                                          : random_in (-1.0f, 1.0f);
      if (t == 12)
        {
          CHECK (cfm_tensors_add (w, bias.name, strlen (bias.name), 1,
                                  bias.shape, &data, &err) == CFM_OK, "%s",
                 err.message);
          data[0] = 0.25f;
        }
    }
}

/* The case's network, its Linear reading N values (0: none yet). */
static int
read_case (const Case *tc, int n, CfmTensorSet *w, CfmGraph *g)
{
  char text[2048], fc[160] = "";
  CfmError err;
  int ok;

  if (n > 0)
    snprintf (fc, sizeof fc, "  (flat): Flatten(start_dim=1, end_dim=-1)\n"
              "  (fc): Linear(in_features=%d, out_features=1, bias=True)\n",
              n);
  snprintf (text, sizeof text, "Net(\n  (pre): Dropout(p=0.5, inplace=False)"
            "\n%s%s)\n", tc->modules, fc);
  make_tensors (tc, n > 0 ? n : 1, w);
  ok = cfm_graph_read_text (text, w, g, &err) == CFM_OK
       && cfm_graph_shapes (g, tc->c, tc->h, tc->w, &err) == CFM_OK;
  CHECK (ok, "%s: %s", tc->what, err.message);
  return ok;
}

/* The score for input X. */
static double
score (const CfmGraph *g, const float *x, int c, int h, int w)
{
  CfmArray in = { 3, { c, h, w }, (size_t) c * h * w, (float *) x };
  Source src = { &in };
  float y = 0.0f;
  Gathered gd = { g->outputs[0], &y, 1, 1, 1, 0 };
  Gather gt = { &gd, 1, 1 };
  int v = g->outputs[0];
  CfmError err;

  CHECK (cfm_graph_run (g, &v, 1, 1, read_rows, &src, gather_rows, &gt,
                        &err) == CFM_OK, "%s", err.message);
  return y;
}

/* The module's output size: the last value of the case without its
 * Linear. */
static int
output_size (const Case *tc)
{
  CfmTensorSet w;
  CfmGraph g;
  int n = 0;

  if (read_case (tc, 0, &w, &g))
    {
      const CfmValue *v = &g.values[g.nodes[g.n_nodes - 1].outputs[0]];

      n = v->c * v->h * v->w;
      cfm_graph_free (&g);
    }
  cfm_tensors_free (&w);
  return n;
}

/* Random input values, SPACING apart when it is above 0. */
static void
fill_input (const Case *tc, float *x, int n)
{
  int i;

  for (i = 0; i < n; i++)
    x[i] = random_in (-2.0f, 2.0f);
  if (tc->spacing > 0.0f)
    for (i = 0; i < n; i++)   /* a shuffle of 0, s, 2s... */
      {
        int j = (int) (random_in (0.0f, 0.999f) * (float) (i + 1));

        x[i] = x[j];
        x[j] = tc->spacing * (float) i - tc->spacing * (float) n / 2.0f;
      }
}

/* Whether ANALYTIC is the finite difference FD, within TOL and TOL of
 * its size. */
static int
near (double analytic, double fd)
{
  return fabs (fd - analytic) <= TOL + TOL * fabs (fd);
}

static void
check_case (const Case *tc)
{
  int n_out = output_size (tc), n = tc->c * tc->h * tc->w, i, bad = 0;
  float *x = malloc ((size_t) n * sizeof *x), *grad = malloc ((size_t) n
                                                              * sizeof *grad);
  CfmArray in = { 3, { tc->c, tc->h, tc->w }, (size_t) n, x };
  Source src = { &in };
  CfmGraphGrad gg;
  CfmTensorSet w;
  CfmGraph g;
  CfmError err;
  int at;

  if (n_out == 0 || !read_case (tc, n_out, &w, &g))
    goto done;
  fill_input (tc, x, n);
  at = g.nodes[0].outputs[0];
  CHECK (cfm_graph_grad_forward (&gg, &g, at, g.outputs[0], read_rows, &src,
                                 &err) == CFM_OK
         && cfm_graph_grad_class (&gg, 0, grad, &err) == CFM_OK,
         "%s: %s", tc->what, err.message);
  cfm_graph_grad_free (&gg);
  for (i = 0; i < n; i++)
    {
      float keep = x[i];
      double up, down, mid, fd;

      x[i] = keep + (float) STEP;
      up = score (&g, x, tc->c, tc->h, tc->w);
      x[i] = keep - (float) STEP;
      down = score (&g, x, tc->c, tc->h, tc->w);
      x[i] = keep;
      mid = score (&g, x, tc->c, tc->h, tc->w);
      fd = (up - down) / (2.0 * STEP);
      /* a ReLU's kink within the step on one side (deep in a residual
       * block, a step of the input moves its inputs by more): the
       * gradient is then the other side's slope */
      if (!near (grad[i], fd) && !near (grad[i], (up - mid) / STEP)
          && !near (grad[i], (mid - down) / STEP) && bad++ == 0)
        fprintf (stderr, "  %s, value %d: backward %g, differences %g\n",
                 tc->what, i, grad[i], fd);
    }
  CHECK (bad == 0, "%s: %d of %d gradients", tc->what, bad, n);
  cfm_graph_free (&g);
done:
  cfm_tensors_free (&w);
  free (x);
  free (grad);
}

#define CONV(args) "  (op): Conv2d(" args ")\n"
#define W4(name, a, b, c, d) { name, 4, { a, b, c, d } }
#define V1(name, a) { name, 1, { a } }
#define NO_TENSORS { { NULL, 0, { 0 } } }

static const Case cases[] = {
  { "a 3x3 convolution", CONV ("3, 4, kernel_size=(3, 3), stride=(1, 1), "
    "padding=(1, 1)"), 3, 6, 7, { W4 ("op.weight", 4, 3, 3, 3),
    V1 ("op.bias", 4) }, 0 },
  { "a strided convolution", CONV ("3, 4, kernel_size=(3, 3), stride=(2, 2), "
    "padding=(1, 1), bias=False"), 3, 7, 8, { W4 ("op.weight", 4, 3, 3, 3) },
    0 },
  { "a strided convolution, no padding", CONV ("2, 3, kernel_size=(3, 3), "
    "stride=(2, 2), bias=False"), 2, 8, 9, { W4 ("op.weight", 3, 2, 3, 3) },
    0 },
  { "a 1x1 strided convolution", CONV ("4, 6, kernel_size=(1, 1), stride=(2, "
    "2), bias=False"), 4, 5, 6, { W4 ("op.weight", 6, 4, 1, 1) }, 0 },
  { "a grouped convolution", CONV ("4, 6, kernel_size=(3, 3), stride=(1, 1), "
    "padding=(1, 1), groups=2, bias=False"), 4, 5, 5,
    { W4 ("op.weight", 6, 2, 3, 3) }, 0 },
  { "a depthwise strided convolution", CONV ("4, 4, kernel_size=(3, 3), "
    "stride=(2, 2), padding=(1, 1), groups=4, bias=False"), 4, 7, 6,
    { W4 ("op.weight", 4, 1, 3, 3) }, 0 },
  { "a dilated convolution", CONV ("2, 3, kernel_size=(3, 3), stride=(1, 1), "
    "padding=(2, 2), dilation=(2, 2), bias=False"), 2, 7, 7,
    { W4 ("op.weight", 3, 2, 3, 3) }, 0 },
  { "a convolution of a reflected border", CONV ("2, 3, kernel_size=(3, 3), "
    "stride=(1, 1), padding=(1, 1), bias=False, padding_mode=reflect"), 2, 5,
    6, { W4 ("op.weight", 3, 2, 3, 3) }, 0 },
  { "a convolution of other kernel sides", CONV ("2, 3, kernel_size=(1, 3), "
    "stride=(1, 2), padding=(0, 1), bias=False"), 2, 5, 7,
    { W4 ("op.weight", 3, 2, 1, 3) }, 0 },
  /* eight filters and more: the backward step's matrix product and fold */
  { "a strided convolution of eight filters", CONV ("3, 8, kernel_size=(3, "
    "3), stride=(2, 2), padding=(1, 1), bias=False"), 3, 7, 6,
    { W4 ("op.weight", 8, 3, 3, 3) }, 0 },
  { "a dilated convolution of nine filters", CONV ("2, 9, kernel_size=(3, "
    "3), stride=(1, 1), padding=(2, 2), dilation=(2, 2), bias=False"), 2, 6,
    5, { W4 ("op.weight", 9, 2, 3, 3) }, 0 },
  { "a 1x1 strided convolution of eight filters", CONV ("3, 8, kernel_size="
    "(1, 1), stride=(2, 2), bias=False"), 3, 5, 7,
    { W4 ("op.weight", 8, 3, 1, 1) }, 0 },
  { "BatchNorm", "  (op): BatchNorm2d(3, eps=1e-05, momentum=0.1, "
    "affine=True, track_running_stats=True)\n", 3, 4, 5,
    { V1 ("op.weight", 3), V1 ("op.bias", 3), V1 ("op.running_mean", 3),
      V1 ("op.running_var", 3) }, 0 },
  { "max pooling", "  (op): MaxPool2d(kernel_size=3, stride=2, padding=1, "
    "dilation=1, ceil_mode=False)\n", 2, 7, 8, NO_TENSORS, 0.05f },
  { "max pooling, ceil_mode", "  (op): MaxPool2d(kernel_size=2, stride=2, "
    "padding=0, dilation=1, ceil_mode=True)\n", 2, 5, 7, NO_TENSORS,
    0.05f },
  { "average pooling", "  (op): AvgPool2d(kernel_size=2, stride=2, "
    "padding=0)\n", 3, 6, 6, NO_TENSORS, 0 },
  { "average pooling, padding not counted", "  (op): AvgPool2d(kernel_size="
    "3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)\n", 2,
    6, 7, NO_TENSORS, 0 },
  { "a Linear on a vector", "  (gap): AdaptiveAvgPool2d(output_size=(1, 1))\n"
    "  (f0): Flatten(start_dim=1, end_dim=-1)\n  (op): Linear(in_features=3, "
    "out_features=5, bias=True)\n", 3, 4, 4, { { "op.weight", 2, { 5, 3 } },
    V1 ("op.bias", 5) }, 0 },
  { "a LayerNorm and a Linear on permuted maps", "  (p0): Permute()\n"
    "  (op): LayerNorm((3,), eps=1e-06, elementwise_affine=True)\n"
    "  (lin): Linear(in_features=3, out_features=4, bias=True)\n"
    "  (p1): Permute()\n", 3, 3, 4, { V1 ("op.weight", 3), V1 ("op.bias", 3),
    { "lin.weight", 2, { 4, 3 } }, V1 ("lin.bias", 4) }, 0 },
  { "a transposed convolution", "  (op): ConvTranspose2d(3, 4, kernel_size="
    "(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))\n", 3, 4,
    5, { W4 ("op.weight", 3, 4, 3, 3), V1 ("op.bias", 4) }, 0 },
  { "a grouped transposed convolution", "  (op): ConvTranspose2d(4, 4, "
    "kernel_size=(2, 2), stride=(2, 2), groups=2, bias=False)\n", 4, 3, 4,
    { W4 ("op.weight", 4, 2, 2, 2) }, 0 },
  { "a bilinear upsampling", "  (op): Upsample(scale_factor=2.0, "
    "mode=bilinear)\n", 2, 4, 5, NO_TENSORS, 0 },
  { "a bilinear upsampling to a size, corners aligned", "  (op): "
    "UpsamplingBilinear2d(size=(7, 9), mode=bilinear)\n", 2, 4, 5,
    NO_TENSORS, 0 },
  { "a nearest upsampling", "  (op): UpsamplingNearest2d(scale_factor=2.0, "
    "mode=nearest)\n", 2, 3, 4, NO_TENSORS, 0 },
  { "a reflected border", "  (op): ReflectionPad2d((1, 2, 2, 1))\n", 2, 4,
    5, NO_TENSORS, 0 },
  { "a replicated border", "  (op): ReplicationPad2d((2, 1, 1, 2))\n", 2, 4,
    5, NO_TENSORS, 0 },
  { "a constant border", "  (op): ConstantPad2d(padding=(1, 0, 2, 1), "
    "value=0.5)\n", 2, 4, 5, NO_TENSORS, 0 },
  { "a channel shuffle", "  (op): ChannelShuffle(groups=2)\n", 6, 2, 3,
    NO_TENSORS, 0 },
  { "a residual block", "  (op): BasicBlock(\n    (conv1): Conv2d(3, 3, "
    "kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n"
    "    (bn1): BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, "
    "track_running_stats=True)\n    (relu): ReLU(inplace=True)\n"
    "    (conv2): Conv2d(3, 3, kernel_size=(3, 3), stride=(1, 1), "
    "padding=(1, 1), bias=False)\n    (bn2): BatchNorm2d(3, eps=1e-05, "
    "momentum=0.1, affine=True, track_running_stats=True)\n  )\n", 3, 4, 5,
    { W4 ("op.conv1.weight", 3, 3, 3, 3), W4 ("op.conv2.weight", 3, 3, 3, 3),
      V1 ("op.bn1.weight", 3), V1 ("op.bn1.bias", 3),
      V1 ("op.bn1.running_mean", 3), V1 ("op.bn1.running_var", 3),
      V1 ("op.bn2.weight", 3), V1 ("op.bn2.bias", 3),
      V1 ("op.bn2.running_mean", 3), V1 ("op.bn2.running_var", 3) }, 0 },
};

int
main (void)
{
  size_t i;

  for (i = 0; i < sizeof cases / sizeof *cases; i++)
    check_case (&cases[i]);
  return test_finish ("module_grad");
}
