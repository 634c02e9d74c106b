/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_graph_hand.c: the graph engine on graphs built by hand and on
 * torchvision's blocks (the fuzz seeds), no PyTorch needed: its refusals
 * (a cycle, an input nothing produces, a value written twice, a node that
 * cannot run, a node without input, channels last where they are not
 * taken), bands giving the whole image's numbers bit for bit, a
 * reflection's rows in bands, labels, and every refusal of print(model)
 * text with its message. */
#include "test_graph.h"
#include "cfm_labels.h"
/* ---- refusals, on graphs built by hand ---------------------------------- */

/* A node of op type TYPE reading values IN (names, NULL-ended) and
 * writing OUT. */
static void
hand_node (CfmGraph *g, const char *name, const char *type,
           const char *const *in, const char *out)
{
  CfmError err;
  int n = 0, k;
  CfmNode *node;

  while (in[n])
    n++;
  node = cfm_graph_add_node (g, n, 1, &err);
  node->op = cfm_op_for_onnx ((Buf) { (const unsigned char *) type,
                                      (const unsigned char *) type
                                      + strlen (type) });
  snprintf (node->name, sizeof node->name, "%s", name);
  snprintf (node->type, sizeof node->type, "%s", type);
  for (k = 0; k < n; k++)
    node->inputs[k] = cfm_graph_value (g, in[k], strlen (in[k]));
  g->nodes[g->n_nodes - 1].outputs[0] = cfm_graph_value (g, out, strlen (out));
}

static void
test_refusals (void)
{
  static const char *const x[] = { "x", NULL }, *const a[] = { "a", NULL };
  static const char *const b[] = { "b", NULL }, *const ax[] = { "a", "x",
                                                                NULL };
  static const char *const ghost[] = { "ghost", NULL }, *const none[] = {
    NULL };
  static const char *const t[] = { "t", NULL }, *const tx[] = { "t", "x",
                                                                NULL };
  static const char *const r[] = { "r", NULL };
  static const int64_t to_last[] = { 0, 2, 3, 1 }, to_first[] = { 0, 3, 1,
                                                                 2 };
  CfmGraph g;
  CfmError err;
  char why[CFM_ERROR_MAX];

  memset (&g, 0, sizeof g);
  g.input = cfm_graph_value (&g, "x", 1);
  hand_node (&g, "first", "Relu", b, "a");
  hand_node (&g, "second", "Relu", a, "b");
  CHECK (cfm_graph_finish (&g, &err) == CFM_ERR_PARSE, "a cycle refused");
  CHECK_MSG (err.message, "is on a cycle");
  cfm_graph_free (&g);

  memset (&g, 0, sizeof g);
  g.input = cfm_graph_value (&g, "x", 1);
  hand_node (&g, "reader", "Relu", ghost, "a");
  CHECK (cfm_graph_finish (&g, &err) == CFM_ERR_PARSE, "ghost input");
  CHECK_MSG (err.message, "node reader reads \"ghost\", which nothing "
             "produces");
  cfm_graph_free (&g);

  memset (&g, 0, sizeof g);
  g.input = cfm_graph_value (&g, "x", 1);
  hand_node (&g, "one", "Relu", x, "a");
  hand_node (&g, "two", "Relu", x, "a");
  CHECK (cfm_graph_finish (&g, &err) == CFM_ERR_PARSE, "written twice");
  CHECK_MSG (err.message, "node two writes \"a\", which has a value");
  cfm_graph_free (&g);

  /* out of order in the file: put in order; a node the core cannot run
   * stops only what depends on it */
  memset (&g, 0, sizeof g);
  g.input = cfm_graph_value (&g, "x", 1);
  hand_node (&g, "late", "Add", ax, "c");
  hand_node (&g, "odd", "Frobnicate", x, "a");
  CHECK (cfm_graph_finish (&g, &err) == CFM_OK, "%s", err.message);
  CHECK (strcmp (g.nodes[0].name, "odd") == 0, "order: %s first",
         g.nodes[0].name);
  CHECK (!cfm_graph_node_runs (&g, 1, why), "late cannot run");
  CHECK_MSG (why, "node odd (Frobnicate) cannot be run: the core has no "
             "such operator");
  cfm_graph_free (&g);

  /* a node whose file names no input: it and what reads it do not run */
  memset (&g, 0, sizeof g);
  g.input = cfm_graph_value (&g, "x", 1);
  hand_node (&g, "first", "Relu", x, "a");
  hand_node (&g, "empty", "Relu", none, "b");
  hand_node (&g, "after", "Relu", b, "c");
  CHECK (cfm_graph_finish (&g, &err) == CFM_OK, "%s", err.message);
  CHECK (cfm_graph_shapes (&g, 1, 5, 7, &err) == CFM_OK, "%s", err.message);
  CHECK (cfm_graph_node_runs (&g, 0, NULL), "first runs");
  CHECK (!cfm_graph_node_runs (&g, 2, why), "after a node without input");
  CHECK_MSG (why, "empty (Relu): it has no input");
  cfm_graph_free (&g);

  /* a map whose channels are last: pixel-wise steps keep it, the others
   * refuse it, and it does not meet a map laid out otherwise */
  memset (&g, 0, sizeof g);
  g.input = cfm_graph_value (&g, "x", 1);
  hand_node (&g, "to_last", "Transpose", x, "t");
  hand_node (&g, "flat", "Flatten", t, "f");
  hand_node (&g, "mixed", "Add", tx, "m");
  hand_node (&g, "relu", "Relu", t, "r");
  hand_node (&g, "back", "Transpose", r, "q");
  g.nodes[0].n_ints = g.nodes[4].n_ints = 4;
  memcpy (g.nodes[0].ints, to_last, sizeof to_last);
  memcpy (g.nodes[4].ints, to_first, sizeof to_first);
  CHECK (cfm_graph_finish (&g, &err) == CFM_OK, "%s", err.message);
  CHECK (cfm_graph_shapes (&g, 2, 5, 7, &err) == CFM_OK, "%s", err.message);
  CHECK (cfm_graph_node_runs (&g, cfm_graph_find_node (&g, "relu"), NULL)
         && g.values[cfm_graph_find_value (&g, "r")].channels_last
         && !g.values[cfm_graph_find_value (&g, "q")].channels_last,
         "a ReLU keeps the channels last, the Transpose back undoes it");
  CHECK (!cfm_graph_node_runs (&g, cfm_graph_find_node (&g, "flat"), why),
         "a Flatten of channels last");
  CHECK_MSG (why, "flat (Flatten): its input has its channels last (a "
             "permuted map), which it does not take");
  CHECK (!cfm_graph_node_runs (&g, cfm_graph_find_node (&g, "mixed"), why),
         "channels last added to channels first");
  CHECK_MSG (why, "mixed (Add): one input has its channels last and the "
             "other not");
  cfm_graph_free (&g);
}

/* ---- bands give the whole image's numbers ------------------------------- */

/* Every node that runs of the graph in FILE (a fuzz seed: torchvision's
 * blocks), for a 3-channel input of H x W, whole and in bands of 1 and 5
 * rows: the same numbers, bit for bit. */
static void
test_band_invariance (const char *file, int h, int w)
{
  CfmArray input = { 0 };
  CfmGraph g;
  CfmTensorSet ws;
  CfmError err;
  void *data;
  size_t len, i, n_in = (size_t) 3 * h * w;
  int want[64], n = 0, k, b;
  float *first[64] = { 0 };
  unsigned state = 7;

  if (cfm_file_read (fixture_path (file), (size_t) 1 << 24, &data, &len, &err)
      != CFM_OK || cfm_graph_read_onnx (data, len, &g, &ws, &err) != CFM_OK)
    {
      CHECK (0, "%s: %s", file, err.message);
      return;
    }
  input.ndim = 3;
  input.shape[0] = 3, input.shape[1] = (size_t) h, input.shape[2] = (size_t) w;
  input.count = n_in;
  input.data = malloc (n_in * sizeof (float));
  for (i = 0; i < n_in; i++)
    input.data[i] = test_random (&state);
  CHECK (cfm_graph_shapes (&g, 3, h, w, &err) == CFM_OK, "%s", err.message);
  for (k = 0; k < g.n_nodes && n < 64; k++)
    if (cfm_graph_node_runs (&g, k, NULL)
        && g.values[g.nodes[k].outputs[0]].kind == CFM_VALUE_MAP)
      want[n++] = g.nodes[k].outputs[0];
  CHECK (n > 0, "%s: no node runs", file);
  for (b = 0; b < 3; b++)
    {
      static const int bands[] = { 0, 1, 5 };
      Gathered got[64];
      Gather gt = { got, n, 1 };
      Source src = { &input };

      for (k = 0; k < n; k++)
        {
          const CfmValue *v = &g.values[want[k]];

          got[k] = (Gathered) { want[k], NULL, v->c, v->h, v->w, 0 };
          got[k].map = calloc ((size_t) v->c * v->h * v->w + 1,
                               sizeof (float));
        }
      CHECK (cfm_graph_run (&g, want, n, bands[b] ? bands[b] : h, read_rows,
                            &src, gather_rows, &gt, &err) == CFM_OK,
             "%s: %s", file, err.message);
      for (k = 0; k < n; k++)
        {
          size_t count = (size_t) got[k].c * got[k].h * got[k].w;

          if (b == 0)
            first[k] = got[k].map;
          else
            {
              CHECK (memcmp (first[k], got[k].map, count * sizeof (float))
                     == 0, "%s: \"%s\" in bands of %d differs from whole",
                     file, g.values[want[k]].name, bands[b]);
              free (got[k].map);
            }
        }
    }
  /* the last node alone: its convolutions then write their ReLU in the
   * same pass, never holding their own maps; the same numbers */
  if (n > 1)
    {
      const CfmValue *v = &g.values[want[n - 1]];
      Gathered last = { want[n - 1], NULL, v->c, v->h, v->w, 0 };
      Gather gt = { &last, 1, 1 };
      Source src = { &input };
      size_t count = (size_t) v->c * v->h * v->w;

      last.map = calloc (count + 1, sizeof (float));
      CHECK (cfm_graph_run (&g, &want[n - 1], 1, 3, read_rows, &src,
                            gather_rows, &gt, &err) == CFM_OK, "%s: %s", file,
             err.message);
      CHECK (memcmp (first[n - 1], last.map, count * sizeof (float)) == 0,
             "%s: \"%s\" alone differs", file, v->name);
      free (last.map);
    }
  for (k = 0; k < n; k++)
    free (first[k]);
  free (input.data);
  cfm_graph_free (&g);
  cfm_tensors_free (&ws);
  free (data);
}

/* A reflection's rows against NumPy's reflect rule worked out here, in
 * bands of 1, 2 and 5 rows: a padding reads back up (its top rows read
 * rows 3, 2, 1 before the body reads 0, 1...; its bottom ones read the
 * last rows again), so the rows a value keeps must not follow the next
 * output row alone. */
static void
test_reflection_rows (void)
{
  static const char *const x[] = { "x", NULL }, *const p[] = { "p", NULL };
  static const int64_t pads[8] = { 0, 0, 3, 2, 0, 0, 4, 1 };
  enum { C = 2, H = 6, W = 5, OH = H + 3 + 4, OW = W + 2 + 1 };
  static const int bands[] = { 1, 2, 5 };
  CfmArray input = { 0 };
  CfmGraph g;
  CfmError err;
  unsigned state = 5;
  size_t i;
  int b;

  memset (&g, 0, sizeof g);
  g.input = cfm_graph_value (&g, "x", 1);
  hand_node (&g, "pad", "Pad", x, "p");
  hand_node (&g, "relu", "Relu", p, "r");
  g.nodes[0].m.pad_mode = CFM_PAD_REFLECT;   /* what from_onnx reads */
  g.nodes[1].m.kind = CFM_MODULE_FUNCTION;
  g.nodes[1].m.fn = CFM_FN_RELU;
  g.nodes[0].n_ints = 8;
  memcpy (g.nodes[0].ints, pads, sizeof pads);
  CHECK (cfm_graph_finish (&g, &err) == CFM_OK, "%s", err.message);
  CHECK (cfm_graph_shapes (&g, C, H, W, &err) == CFM_OK, "%s", err.message);
  input.ndim = 3;
  input.shape[0] = C, input.shape[1] = H, input.shape[2] = W;
  input.count = C * H * W;
  input.data = malloc (input.count * sizeof (float));
  for (i = 0; i < input.count; i++)
    input.data[i] = test_random (&state);
  for (b = 0; b < 3; b++)
    {
      int want = cfm_graph_find_value (&g, "r"), ch, y, xx, bad = 0;
      Gathered got = { want, calloc (C * OH * OW, sizeof (float)), C, OH, OW,
                       0 };
      Gather gt = { &got, 1, 1 };
      Source src = { &input };

      CHECK (cfm_graph_run (&g, &want, 1, bands[b], read_rows, &src,
                            gather_rows, &gt, &err) == CFM_OK, "%s",
             err.message);
      for (ch = 0; ch < C; ch++)
        for (y = 0; y < OH; y++)
          for (xx = 0; xx < OW; xx++)
            {
              int sy = y - 3, sx = xx - 2;
              float v;

              sy = sy < 0 ? -sy : sy >= H ? 2 * (H - 1) - sy : sy;
              sx = sx < 0 ? -sx : sx >= W ? 2 * (W - 1) - sx : sx;
              v = input.data[(ch * H + sy) * W + sx];
              bad += got.map[(ch * OH + y) * OW + xx] != (v > 0 ? v : 0);
            }
      CHECK (bad == 0 && gt.in_order, "a reflection in bands of %d: %d "
             "values differ", bands[b], bad);
      free (got.map);
    }
  free (input.data);
  cfm_graph_free (&g);
}

static void
test_labels (void)
{
  char long_label[400];
  CfmLabels l;
  CfmError err;
  CfmClassScore top[2];
  static const float inf[] = { 1.0f, INFINITY };

  CHECK (cfm_labels_parse ("cat\r\n  dog \n\nbird", &l, &err) == CFM_OK,
         "%s", err.message);
  CHECK (l.n == 4 && strcmp (l.names[0], "cat") == 0
         && strcmp (l.names[1], "dog") == 0 && l.names[2][0] == '\0'
         && strcmp (l.names[3], "bird") == 0, "%d labels", l.n);
  cfm_labels_free (&l);
  CHECK (cfm_labels_parse ("a\nb\n", &l, &err) == CFM_OK && l.n == 2,
         "a final line break: %d labels", l.n);
  cfm_labels_free (&l);
  memset (long_label, 'x', sizeof long_label - 1);
  long_label[sizeof long_label - 1] = '\0';
  CHECK (cfm_labels_parse (long_label, &l, &err) == CFM_ERR_PARSE,
         "a label too long");
  CHECK_MSG (err.message, "label 1 is longer than 255 bytes");
  CHECK (cfm_classify (inf, 2, top, 2, &err) == CFM_ERR_VALUE, "inf logit");
  CHECK_MSG (err.message, "logit 1 is not a finite number");
}

/* ---- print(model) text ------------------------------------------------------ */

/* Adds tensor NAME of NDIM dimensions SHAPE to W, values 0.01 * i. */
static void
add_tensor (CfmTensorSet *w, const char *name, int ndim, int64_t d0,
            int64_t d1, int64_t d2, int64_t d3)
{
  int64_t shape[4] = { d0, d1, d2, d3 };
  float *data;
  CfmError err;
  size_t n = 1, i;
  int d;

  for (d = 0; d < ndim; d++)
    n *= (size_t) shape[d];
  CHECK (cfm_tensors_add (w, name, strlen (name), ndim, shape, &data, &err)
         == CFM_OK, "%s", err.message);
  for (i = 0; i < n; i++)
    data[i] = 0.01f * (float) (i % 17);
}

/* TEXT with the weights of a 3 -> 4 conv "conv", a 4 -> 2 "head" and
 * WRONG (a conv.weight of the wrong shape) read, sized for 3 x 9 x 9: the
 * graph's status; NODE's reason not to run into WHY ("" when it runs). */
static CfmStatus
read_text_case (const char *text, int wrong, const char *node, char *why,
                CfmError *err)
{
  CfmTensorSet w;
  CfmGraph g;
  CfmStatus status;
  int k;

  memset (&w, 0, sizeof w);
  add_tensor (&w, "conv.weight", 4, 4, wrong ? 4 : 3, 3, 3);
  add_tensor (&w, "conv.bias", 1, 4, 0, 0, 0);
  add_tensor (&w, "head.weight", 4, 2, 4, 1, 1);
  add_tensor (&w, "head.bias", 1, 2, 0, 0, 0);
  add_tensor (&w, "b.conv1.weight", 4, 4, 4, 3, 3);
  add_tensor (&w, "norm.weight", 1, 4, 0, 0, 0);
  add_tensor (&w, "norm.bias", 1, 4, 0, 0, 0);
  why[0] = '\0';
  status = cfm_graph_read_text (text, &w, &g, err);
  if (status == CFM_OK)
    {
      CHECK (cfm_graph_shapes (&g, 3, 9, 9, err) == CFM_OK, "%s",
             err->message);
      k = cfm_graph_find_node (&g, node);
      CHECK (k >= 0, "no node %s", node);
      if (k >= 0 && !cfm_graph_node_runs (&g, k, why))
        CHECK (why[0] != '\0', "%s cannot run, with no reason", node);
      cfm_graph_free (&g);
    }
  cfm_tensors_free (&w);
  return status;
}

/* Every way a text is refused, whole or from a node on, with its
 * message. */
static void
test_text_refusals (void)
{
  static const char conv[] = "  (conv): Conv2d(3, 4, kernel_size=(3, 3), "
    "stride=(1, 1), padding=(1, 1))\n";
  static const char head[] = "  (head): Conv2d(4, 2, kernel_size=(1, 1), "
    "stride=(1, 1))\n)\n";
  static const struct { const char *middle, *node, *message; } cases[] = {
    { "  (mine): MyBlock(\n    (c): Conv2d(4, 4, kernel_size=(1, 1), "
      "stride=(1, 1))\n  )\n", "head", "mine (MyBlock) is a block whose "
      "forward the core does not know from print(model) text: export the "
      "model to ONNX" },
    { "  (up): PixelShuffle(upscale_factor=2)\n",
      "head", "up (PixelShuffle) is a module the core does not read from "
      "print(model) text: export the model to ONNX" },
    { "  (norm): LayerNorm((4,), eps=1e-05, elementwise_affine=True)\n",
      "head", "(LayerNorm): it normalizes 4 channels along axis -1, its "
      "input is 4 x 9 x 9" },
    { "  (b): BasicBlock(\n    (conv1): Conv2d(4, 4, kernel_size=(3, 3), "
      "stride=(1, 1), padding=(1, 1), bias=False)\n  )\n", "head",
      "b (BasicBlock) has no module bn1, which its forward calls: export "
      "the model to ONNX" },
    { "  (act): Softplus(beta=2, threshold=20)\n", "head",
      "act (Softplus) has settings the core does not compute" },
    { "  (up): Upsample(scale_factor=2.0, mode=bicubic)\n", "head",
      "up (Upsample): mode bicubic is not computed" },
    { "  (pad): ReflectionPad2d((9, 9, 9, 9))\n", "head",
      "pad/ReflectionPad2d (Pad): a reflection wider than its input of 9 x "
      "9" },
    { "  (pool): AdaptiveAvgPool2d(output_size=(7, 7))\n", "head",
      "an adaptive pooling to 7 x 7, not 1 x 1" },
    { "  (pool): AdaptiveAvgPool2d(output_size=1)\n  (flat): Flatten("
      "start_dim=1, end_dim=-1)\n", "head", "takes maps, its input is a "
      "vector (where a module's forward is not its printed order, export "
      "the model to ONNX)" },
    { "  (act): ReLU(inplace=True)\n", "head", "" },
  };
  char text[1024], why[CFM_ERROR_MAX];
  CfmError err;
  size_t i;

  for (i = 0; i < sizeof cases / sizeof *cases; i++)
    {
      snprintf (text, sizeof text, "Net(\n%s%s%s", conv, cases[i].middle,
                head);
      CHECK (read_text_case (text, 0, cases[i].node, why, &err) == CFM_OK,
             "case %zu: %s", i, err.message);
      CHECK_MSG (why, cases[i].message);
      CHECK ((why[0] == '\0') == (cases[i].message[0] == '\0'),
             "case %zu: %s", i, why);
      CHECK (read_text_case (text, 0, "conv", why, &err) == CFM_OK
             && why[0] == '\0', "case %zu: conv, before it, does not run: "
             "%s", i, why);
    }
  snprintf (text, sizeof text, "Net(\n%s%s", conv, head);
  CHECK (read_text_case (text, 1, "conv", why, &err) == CFM_ERR_ARG,
         "a weight of the wrong shape");
  CHECK_MSG (err.message, "conv (Conv2d): conv.weight has shape 4x4x3x3 "
             "(first dimensions), the printed module needs 4x3x3x3");
  CHECK (read_text_case ("Net(\n  (x): Conv2d(3, 4, kernel_size=(1, 1), "
                         "stride=(1, 1))\n)\n", 0, "x", why, &err)
         == CFM_ERR_ARG, "a weight missing");
  CHECK_MSG (err.message, "x (Conv2d): the weights have no x.weight");
  CHECK (read_text_case ("Net(\n  conv 3 4\n)\n", 0, "conv", why, &err)
         == CFM_ERR_PARSE, "a line print(model) does not write");
  CHECK_MSG (err.message, "this line is not one print(model) writes");
  CHECK (read_text_case ("Net(\n)\n)\n", 0, "conv", why, &err)
         == CFM_ERR_PARSE, "too many closing lines");
  CHECK_MSG (err.message, "closes more modules than it opens");
  CHECK (read_text_case ("Net(\n)\n", 0, "conv", why, &err)
         == CFM_ERR_PARSE, "no module");
  CHECK_MSG (err.message, "the network text holds no module");
  CHECK (read_text_case ("Net(\n)\nNet(\n)\n", 0, "conv", why, &err)
         == CFM_ERR_PARSE, "two models");
  CHECK_MSG (err.message, "the text is not one model printed");
}

int
main (void)
{
  static const char *const seeds[] = {
    "basic_block", "bottleneck", "inverted_residual", "squeeze_excitation",
    "fire", "dense_block", "shuffle_unit", "cn_block", "decoder", "unet"
  };
  size_t i;

  test_refusals ();
  test_reflection_rows ();
  test_text_refusals ();
  test_labels ();
  for (i = 0; i < sizeof seeds / sizeof *seeds; i++)
    {
      char file[128];

      snprintf (file, sizeof file, "../fuzz/corpus/graph/%s.onnx", seeds[i]);
      test_band_invariance (file, strcmp (seeds[i], "unet") ? 21 : 24, 19);
    }
  return test_finish ("graph_hand");
}
