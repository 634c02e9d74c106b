/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_model.c: model files of every format read into networks, the block
 * of a chosen layer, and a block's stages computed together in bands,
 * against the outputs PyTorch's forward hooks recorded. */
#include "test_util.h"

#include "cfm_model.h"

static void *
read_bytes (const char *rel, size_t *len)
{
  void *data;
  CfmError err;

  if (cfm_file_read (fixture_path (rel), (size_t) 1 << 30, &data, len, &err)
      != CFM_OK)
    {
      fprintf (stderr, "%s: %s\n", rel, err.message);
      exit (2);
    }
  return data;
}

/* Opens the fixture FILE with the print(model) text of NAME. */
static CfmStatus
read_model (const char *name, const char *file, CfmModel *model,
            CfmError *err)
{
  char rel[256];
  size_t text_len;
  void *text;
  char *z;
  CfmStatus status;

  snprintf (rel, sizeof rel, "networks/%s.txt", name);
  text = read_bytes (rel, &text_len);
  z = malloc (text_len + 1);
  memcpy (z, text, text_len);
  z[text_len] = '\0';
  snprintf (rel, sizeof rel, "networks/%s", file);
  status = cfm_model_open (fixture_path (rel), (size_t) 1 << 30, z, model,
                           err);
  free (text);
  free (z);
  return status;
}

/* cfm_model_read of fixture REL's bytes, held in memory, as NAME. */
static CfmStatus
read_model_bytes (const char *rel, const char *name, const char *text,
                  CfmModel *model, CfmError *err)
{
  size_t len;
  void *data = read_bytes (rel, &len);

  return cfm_model_read (cfm_file_wrap (data, len), name, text, model, err);
}

/* A band's rows of each wanted module, gathered into whole maps. */
typedef struct
{
  const CfmArray *input;
  const int      *want;
  int             n;
  float          *maps[CFM_NETWORK_FORWARD_MAX];
  int             rows_seen[CFM_NETWORK_FORWARD_MAX];
} Gather;

static CfmStatus
read_rows (void *data, int row0, int rows, float *dst, CfmError *err)
{
  const Gather *g = data;
  size_t w = g->input->shape[2], h = g->input->shape[1], ch;

  (void) err;
  for (ch = 0; ch < g->input->shape[0]; ch++)
    memcpy (dst + ch * rows * w,
            g->input->data + (ch * h + (size_t) row0) * w,
            (size_t) rows * w * sizeof (float));
  return CFM_OK;
}

/* A graph value's rows (planes PLANE apart), kept whole. */
static CfmStatus
gather_value (void *data, int value, const float *rows, size_t plane, int c,
              int h, int w, int row0, int nrows, CfmError *err)
{
  Gather *g = data;
  int j, ch;

  (void) err;
  for (j = 0; j < g->n && g->want[j] != value; j++)
    ;
  CHECK (j < g->n && row0 == g->rows_seen[j], "value %d, row %d", value,
         row0);
  if (j == g->n)
    return CFM_ERR_ARG;
  if (g->maps[j] == NULL)
    g->maps[j] = calloc ((size_t) c * h * w, sizeof (float));
  for (ch = 0; ch < c; ch++)
    memcpy (g->maps[j] + ((size_t) ch * h + row0) * w, rows + ch * plane,
            (size_t) nrows * w * sizeof (float));
  g->rows_seen[j] = row0 + nrows;
  return CFM_OK;
}

/* A module's rows (C planes of ROWS x W), kept whole. */
static CfmStatus
gather (void *data, int module, const float *out, int c, int h, int w,
        int row0, int rows, CfmError *err)
{
  return gather_value (data, module, out, (size_t) rows * w, c, h, w, row0,
                       rows, err);
}

/* The same stages from the model's graph, as a host runs it: a copy of
 * its own, sized for the input, each module found by its name; how many
 * differ from PyTorch's OUT. */
static int
compare_graph_stages (const CfmModel *model, const int *modules, int n,
                      const CfmArray *input, const CfmTensorSet *out,
                      int band_rows, int *compared)
{
  int want[CFM_NETWORK_FORWARD_MAX];
  Gather g = { input, want, n, { NULL }, { 0 } };
  CfmGraph graph;
  CfmError err;
  int j, bad = 0;

  CHECK (cfm_graph_copy (&model->graph, &graph, &err) == CFM_OK
         && cfm_graph_shapes (&graph, (int) input->shape[0],
                              (int) input->shape[1], (int) input->shape[2],
                              &err) == CFM_OK, "%s", err.message);
  for (j = 0; j < n; j++)
    {
      int node = cfm_graph_find_node (&graph,
                                      model->net.modules[modules[j]].name);

      CHECK (node >= 0, "%s is not in the graph",
             model->net.modules[modules[j]].name);
      want[j] = node >= 0 ? graph.nodes[node].outputs[0] : graph.input;
    }
  CHECK (cfm_graph_run (&graph, want, n, band_rows, read_rows, &g,
                        gather_value, &g, &err) == CFM_OK, "%s",
         err.message);
  for (j = 0; j < n; j++)
    {
      const char *name = model->net.modules[modules[j]].name;
      const CfmTensor *t = cfm_tensors_find (out, name);

      *compared += t != NULL;
      if (t && (g.maps[j] == NULL || g.rows_seen[j] != (int) t->shape[1]
                || max_rel_diff (g.maps[j], t->data, t->count) > 1e-4))
        {
          bad++;
          fprintf (stderr, "%s differs in the graph\n", name);
        }
      free (g.maps[j]);
    }
  cfm_graph_free (&graph);
  return bad;
}

/* Runs WANT[0 .. N) of MODEL together in bands of BAND_ROWS and compares
 * each with PyTorch's OUT; returns how many differ. */
static int
compare_stages (const CfmModel *model, const int *want, int n,
                const CfmArray *input, const CfmTensorSet *out, int band_rows,
                int *compared)
{
  Gather g = { input, want, n, { NULL }, { 0 } };
  CfmError err;
  int j, bad = 0;

  CHECK (cfm_network_forward_bands (&model->net, want, n,
                                    (int) input->shape[0],
                                    (int) input->shape[1],
                                    (int) input->shape[2], band_rows,
                                    read_rows, &g, gather, &g, &err)
         == CFM_OK, "%s", err.message);
  for (j = 0; j < n; j++)
    {
      const CfmTensor *t = cfm_tensors_find (out,
                                             model->net.modules[want[j]].name);

      *compared += t != NULL;
      if (t && (g.maps[j] == NULL || g.rows_seen[j] != (int) t->shape[1]
                || max_rel_diff (g.maps[j], t->data, t->count) > 1e-4))
        {
          bad++;
          fprintf (stderr, "%s differs\n", model->net.modules[want[j]].name);
        }
      free (g.maps[j]);
    }
  return bad;
}

/* Every block of NAME's FILE: its conv and activation together, its pool
 * on its own, in bands of 5 rows, and all three in one pass, by the chain
 * and by the model's graph, equal PyTorch's outputs (for ONNX, whose Conv holds the BatchNorm folded in,
 * the activation and pool). */
static void
check_blocks (const char *name, const char *file)
{
  char rel[256];
  CfmModel model;
  CfmTensorSet out;
  CfmArray input;
  CfmError err;
  void *data;
  size_t len;
  int i, blocks = 0, bad = 0, compared = 0;

  CHECK (read_model (name, file, &model, &err) == CFM_OK, "%s: %s", file,
         err.message);
  snprintf (rel, sizeof rel, "networks/%s-input.npy", name);
  load_fixture (rel, &input);
  snprintf (rel, sizeof rel, "networks/%s-out.npz", name);
  data = read_bytes (rel, &len);
  CHECK (cfm_npz_read (data, len, &out, &err) == CFM_OK, "%s", err.message);
  free (data);
  for (i = 0; i < model.net.n; i++)
    {
      CfmBlock b;
      int want[3], n = 0;

      if (model.net.modules[i].kind != CFM_MODULE_CONV)
        continue;
      CHECK (cfm_model_block (&model.net, model.net.modules[i].name, &b,
                              &err) == CFM_OK, "%s", err.message);
      if (!model.onnx || b.module[CFM_BLOCK_ACTIVATION] < 0)
        want[n++] = b.module[CFM_BLOCK_CONV];
      if (b.module[CFM_BLOCK_ACTIVATION] >= 0
          && (b.module[CFM_BLOCK_POOL] < 0
              || b.module[CFM_BLOCK_ACTIVATION] < b.module[CFM_BLOCK_POOL]))
        want[n++] = b.module[CFM_BLOCK_ACTIVATION];
      bad += compare_stages (&model, want, n, &input, &out, 5, &compared);
      if (b.module[CFM_BLOCK_POOL] >= 0)
        {
          bad += compare_stages (&model, &b.module[CFM_BLOCK_POOL], 1,
                                 &input, &out, 5, &compared);
          /* and the whole block in one pass, the pool's bands setting the
           * pace: 1 and 3 of its rows */
          want[n++] = b.module[CFM_BLOCK_POOL];
          bad += compare_stages (&model, want, n, &input, &out, 1,
                                 &compared);
          bad += compare_stages (&model, want, n, &input, &out, 3,
                                 &compared);
        }
      bad += compare_graph_stages (&model, want, n, &input, &out, 3,
                                   &compared);
      blocks++;
    }
  CHECK (blocks > 0 && compared >= blocks && bad == 0, "%s: %d blocks, %d "
         "stages compared, %d differ", file, blocks, compared, bad);
  cfm_tensors_free (&out);
  cfm_array_free (&input);
  cfm_model_free (&model);
}

/* Which block a layer name gives, and the names that fail. */
static void
check_block_names (void)
{
  CfmModel model;
  CfmBlock b;
  CfmError err;

  CHECK (read_model ("vgg_bn", "vgg_bn.pth", &model, &err) == CFM_OK, "%s",
         err.message);
  CHECK (cfm_model_block (&model.net, "", &b, &err) == CFM_OK
         && b.first == 0 && b.last == 2 && b.module[CFM_BLOCK_ACTIVATION] == 2
         && b.module[CFM_BLOCK_POOL] == -1, "the first block: %d..%d",
         b.first, b.last);
  /* features.5 is the second ReLU: the block of features.3, with the
   * pool after it */
  CHECK (cfm_model_block (&model.net, "5", &b, &err) == CFM_OK
         && b.first == 3 && b.module[CFM_BLOCK_ACTIVATION] == 5
         && b.module[CFM_BLOCK_POOL] == 6 && b.last == 6,
         "the block of a ReLU: %d..%d", b.first, b.last);
  CHECK (cfm_model_block (&model.net, "features.9", &b, &err) != CFM_OK,
         "an unknown name");
  CHECK_MSG (err.message, "no module \"features.9\"");
  CHECK_MSG (err.message, "its modules: 0, 1, 2, 3");
  {
    int want[2] = { 7, 3 };

    CHECK (cfm_network_forward_bands (&model.net, want, 2, 3, 32, 32, 8,
                                      read_rows, NULL, gather, NULL, &err)
           == CFM_ERR_ARG, "stages out of order");
    CHECK_MSG (err.message, "not in the chain's order");
  }
  cfm_model_free (&model);
}

/* The node label of block B's stage S, or "-". */
static const char *
stage_label (const CfmGraph *g, const CfmGraphBlock *b, CfmBlockStage s)
{
  return b->stage[s] >= 0 ? cfm_graph_node_label (g, b->stage[s]) : "-";
}

/* The same blocks from the model's graph, as the plug-in plans them; and
 * in a residual network, a convolution's block stops where its maps
 * branch or join. */
static void
check_graph_blocks (void)
{
  CfmModel model;
  CfmGraphBlock b;
  CfmError err;
  int node;

  CHECK (read_model ("vgg_bn", "vgg_bn.pth", &model, &err) == CFM_OK, "%s",
         err.message);
  CHECK (cfm_graph_layer (&model.graph, "", &node, &err) == CFM_OK
         && cfm_graph_block (&model.graph, node, &b)
         && strcmp (stage_label (&model.graph, &b, CFM_BLOCK_CONV), "0") == 0
         && strcmp (stage_label (&model.graph, &b, CFM_BLOCK_ACTIVATION),
                    "2") == 0
         && b.stage[CFM_BLOCK_POOL] < 0 && b.n == 3, "the first block");
  CHECK (cfm_graph_layer (&model.graph, "5", &node, &err) == CFM_OK
         && cfm_graph_block (&model.graph, node, &b)
         && strcmp (stage_label (&model.graph, &b, CFM_BLOCK_CONV), "3") == 0
         && strcmp (stage_label (&model.graph, &b, CFM_BLOCK_POOL), "6") == 0
         && b.n == 4, "the block of a ReLU");
  CHECK (cfm_graph_layer (&model.graph, "features.9", &node, &err)
         != CFM_OK, "an unknown name");
  CHECK_MSG (err.message, "its modules: 0, 1, 2, 3");
  cfm_model_free (&model);

  CHECK (read_model ("texture_resnet", "texture_resnet.pth", &model, &err)
         == CFM_OK, "%s", err.message);
  CHECK (cfm_graph_layer (&model.graph, "stem.2", &node, &err) == CFM_OK
         && cfm_graph_block (&model.graph, node, &b)
         && strcmp (stage_label (&model.graph, &b, CFM_BLOCK_CONV), "stem.0")
            == 0
         && strcmp (stage_label (&model.graph, &b, CFM_BLOCK_POOL), "stem.3")
            == 0, "the stem's block");
  /* the stem's pool feeds layer1.0's two paths: its block ends there */
  CHECK (cfm_graph_layer (&model.graph, "layer1.0.conv1", &node, &err)
         == CFM_OK && cfm_graph_block (&model.graph, node, &b)
         && b.stage[CFM_BLOCK_ACTIVATION] >= 0
         && b.stage[CFM_BLOCK_POOL] < 0 && b.n == 3,
         "a residual block's first convolution: %d nodes", b.n);
  /* conv2's BatchNorm meets the shortcut in the add: no activation */
  CHECK (cfm_graph_layer (&model.graph, "layer1.0.conv2", &node, &err)
         == CFM_OK && cfm_graph_block (&model.graph, node, &b)
         && b.stage[CFM_BLOCK_ACTIVATION] < 0 && b.n == 2,
         "a convolution before an add: %d nodes", b.n);
  CHECK (cfm_graph_layer (&model.graph, "layer1.0", &node, &err) == CFM_OK
         && !cfm_graph_block (&model.graph, node, &b),
         "a residual block's output is in no convolution's block");
  /* a BatchNorm named as itself gives its convolution's block; the
   * module that holds the two (downsample) gives its own output */
  CHECK (cfm_graph_layer (&model.graph, "layer2.0.bn2", &node, &err)
         == CFM_OK && cfm_graph_layer_block (&model.graph, "layer2.0.bn2",
                                             node, &b),
         "a BatchNorm named itself: its convolution's block");
  CHECK (cfm_graph_layer (&model.graph, "layer2.0.downsample", &node, &err)
         == CFM_OK && cfm_graph_block (&model.graph, node, &b)
         && !cfm_graph_layer_block (&model.graph, "layer2.0.downsample",
                                    node, &b),
         "a module holding a node: no block");
  cfm_model_free (&model);
}

static void
check_refusals (void)
{
  CfmModel model;
  CfmError err;

  CHECK (read_model_bytes ("networks/lenet.pth", "lenet.pth", "  \n",
                           &model, &err) != CFM_OK,
         "weights without a network text");
  CHECK_MSG (err.message, "print(model)");
  CHECK (read_model_bytes ("networks/lenet.pth", "lenet.pth",
                           "Sequential(\n  (0): Conv2d(3, 6, kernel_size=(5, "
                           "5), stride=(1, 1))\n)\n", &model, &err)
         != CFM_OK, "a text that does not match the weights");
  CHECK (read_model_bytes ("networks/refuse-whole-model.pth", "m.pth", "x",
                           &model, &err) != CFM_OK, "a whole saved model");
  CHECK_MSG (err.message, "state_dict");
}

int
main (void)
{
  static const char *names[] = { "vgg_bn", "lenet", "resnet_stem",
                                 "depthwise", "pools", "wide" };
  static const char *kinds[] = { ".pth", "-checkpoint.pth", ".safetensors",
                                 ".npz", ".onnx" };
  size_t i, k;
  char file[256];

  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
      {
        snprintf (file, sizeof file, "%s%s", names[i], kinds[k]);
        check_blocks (names[i], file);
      }
  check_blocks ("texture", "texture.pth");
  check_blocks ("texture", "texture.onnx");
  check_block_names ();
  check_graph_blocks ();
  check_refusals ();
  return test_finish ("model");
}
