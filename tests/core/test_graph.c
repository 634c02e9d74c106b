/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_graph.c: the graph engine against PyTorch: given the folder
 * tests/fixtures/make_graph_fixtures.py writes, torchvision's branching
 * families from their ONNX exports and their print(model) text with state
 * dicts against PyTorch's module outputs, every module at once, whole and
 * in bands of 1, 7 and 64 rows, within 1e-4 of each map's range, the
 * logits and the ranked softmax; each node's geometry; torchvision's
 * Resize (N).  Graphs built by hand, torchvision's blocks in bands and
 * the refusals: test_graph_hand.c; ONNX's own operator cases:
 * test_onnx_cases.c. */
#include "test_graph.h"
#include "cfm_labels.h"
#include "cfm_resize.h"

#define MAX_MAPS 2048

/* ---- the PyTorch fixtures --------------------------------------------------- */

/* The reference's C x H x W (a vector: F x 1 x 1); a map whose channels
 * are last (CHANNELS_LAST: ConvNeXt's permuted maps, H x W x C in
 * PyTorch) also moved to C x H x W into *PLANAR (to be freed), else
 * *PLANAR is NULL. */
static void
ref_shape (const CfmArray *a, int channels_last, int *c, int *h, int *w,
           float **planar)
{
  size_t y, x, ch;

  *planar = NULL;
  *c = (int) a->shape[0];
  *h = a->ndim == 3 ? (int) a->shape[1] : 1;
  *w = a->ndim == 3 ? (int) a->shape[2] : 1;
  if (!channels_last || a->ndim != 3)
    return;
  *h = (int) a->shape[0], *w = (int) a->shape[1], *c = (int) a->shape[2];
  *planar = malloc (a->count * sizeof (float) + 1);
  for (y = 0; y < a->shape[0]; y++)
    for (x = 0; x < a->shape[1]; x++)
      for (ch = 0; ch < a->shape[2]; ch++)
        (*planar)[(ch * a->shape[0] + y) * a->shape[1] + x]
          = a->data[(y * a->shape[1] + x) * a->shape[2] + ch];
}

typedef struct
{
  char     path[CFM_GRAPH_NAME_MAX];
  CfmArray ref;
  int      node;
} Map;

/* Runs the maps that run, in bands of BAND rows, against their
 * references. */
static void
run_maps (const CfmGraph *g, Map *maps, int n, const CfmArray *logits,
          const CfmArray *input, int band, const char *label)
{
  Gathered *got = calloc ((size_t) n + 1, sizeof *got);
  int *want = calloc ((size_t) n + 1, sizeof *want), k = 0, i;
  Gather gt = { got, 0, 1 };
  Source src = { input };
  CfmError err;
  CfmStatus status;

  for (i = 0; i < n; i++)
    if (maps[i].node >= 0 && cfm_graph_node_runs (g, maps[i].node, NULL))
      {
        const CfmValue *v = &g->values[g->nodes[maps[i].node].outputs[0]];

        got[k].value = g->nodes[maps[i].node].outputs[0];
        got[k].c = v->c, got[k].h = v->h, got[k].w = v->w;
        got[k].map = calloc ((size_t) v->c * v->h * v->w + 1, sizeof (float));
        want[k] = got[k].value;
        k++;
      }
  if (logits && g->n_outputs > 0)
    {
      const CfmValue *v = &g->values[g->outputs[0]];

      got[k].value = g->outputs[0];
      got[k].c = v->c, got[k].h = v->h, got[k].w = v->w;
      got[k].map = calloc ((size_t) v->c * v->h * v->w + 1, sizeof (float));
      want[k] = got[k].value;
      k++;
    }
  gt.n = k;
  status = cfm_graph_run (g, want, k, band, read_rows, &src, gather_rows, &gt,
                          &err);
  CHECK (status == CFM_OK, "%s: %s", label, err.message);
  CHECK (gt.in_order, "%s: rows out of order", label);
  for (i = 0, k = 0; i < n && status == CFM_OK; i++)
    if (maps[i].node >= 0 && cfm_graph_node_runs (g, maps[i].node, NULL))
      {
        Gathered *m = &got[k++];
        int c, h, w;
        float *planar;
        double d;

        ref_shape (&maps[i].ref, g->values[m->value].channels_last, &c, &h,
                   &w, &planar);
        CHECK (c == m->c && h == m->h && w == m->w, "%s %s: %d x %d x %d, "
               "PyTorch's %d x %d x %d", label, maps[i].path, m->c, m->h,
               m->w, c, h, w);
        if (c == m->c && h == m->h && w == m->w)
          {
            CHECK (m->rows_seen == h, "%s %s: %d rows of %d", label,
                   maps[i].path, m->rows_seen, h);
            d = max_rel_diff (m->map, planar ? planar : maps[i].ref.data,
                              maps[i].ref.count);
            CHECK (d <= 1e-4, "%s %s: off by %.3g of its range", label,
                   maps[i].path, d);
          }
        free (planar);
      }
  if (logits && g->n_outputs > 0 && status == CFM_OK)
    {
      Gathered *m = &got[k];
      double d = max_rel_diff (m->map, logits->data, logits->count);

      CHECK ((size_t) m->c * m->h * m->w == logits->count && d <= 1e-4,
             "%s output: %d x %d x %d for %zu, off by %.3g", label, m->c,
             m->h, m->w, logits->count, d);
    }
  for (i = 0; i < gt.n; i++)
    free (got[i].map);
  free (got);
  free (want);
}

/* One export of a family (ONNX; or weights with TEXT) and its maps. */
static void
test_export (const char *dir, const char *onnx, const char *text, Map *maps,
             int n, int runs, const CfmArray *input, const CfmArray *logits)
{
  static const int bands[] = { 0, 1, 7, 64 };
  char label[512];
  CfmGraph g;
  CfmTensorSet w;
  CfmError err;
  void *data = NULL;
  size_t b;
  int i, ran = 0, refused = 0;

  if (read_graph (dir, onnx, text, &g, &w, &data, &err) != CFM_OK)
    {
      CHECK (0, "%s: %s", onnx, err.message);
      free (data);
      return;
    }
  CHECK (cfm_graph_shapes (&g, (int) input->shape[0], (int) input->shape[1],
                           (int) input->shape[2], &err) == CFM_OK,
         "%s: %s", onnx, err.message);
  for (i = 0; i < n; i++)
    {
      char why[CFM_ERROR_MAX] = "";

      maps[i].node = cfm_graph_find_node (&g, maps[i].path);
      /* where a block cannot be read from text, the modules inside it
       * are not nodes */
      CHECK (maps[i].node >= 0 || (!runs && text), "%s: no node for "
             "module %s", onnx, maps[i].path);
      if (maps[i].node < 0)
        continue;
      if (cfm_graph_node_runs (&g, maps[i].node, why))
        ran++;
      else
        {
          refused++;
          CHECK (!runs, "%s: %s: %s", onnx, maps[i].path, why);
          CHECK_MSG (why, "cannot be run");
        }
    }
  for (b = 0; b < sizeof bands / sizeof *bands; b++)
    {
      snprintf (label, sizeof label, "%s (bands of %d)", onnx, bands[b]);
      run_maps (&g, maps, n, runs ? logits : NULL, input,
                bands[b] ? bands[b] : (int) input->shape[1], label);
    }
  /* the output alone: no module's maps held, convolutions and their
   * ReLUs in one pass */
  snprintf (label, sizeof label, "%s (its output alone)", onnx);
  if (runs)
    run_maps (&g, maps, 0, logits, input, 7, label);
  printf ("%s: %d modules computed, %d refused\n", onnx, ran, refused);
  cfm_graph_free (&g);
  cfm_tensors_free (&w);
  free (data);
}

/* The ranked softmax of LOGITS against PyTorch's PROBS: the order, and
 * each probability within 1e-6 of its own size (float32's rounding of
 * PyTorch's double). */
static void
check_classes (const char *name, const CfmArray *logits,
               const CfmArray *probs)
{
  int n = (int) logits->count, k = n < 5 ? n : 5, i;
  CfmClassScore *top = calloc ((size_t) n, sizeof *top);
  CfmError err;

  CHECK (cfm_classify (logits->data, n, top, n, &err) == CFM_OK, "%s: %s",
         name, err.message);
  for (i = 0; i < n; i++)
    {
      float want = probs->data[top[i].index];

      CHECK (fabs (top[i].probability - want) <= 1e-6 * want + 1e-12,
             "%s class %d: %.9g, PyTorch's %.9g", name, top[i].index,
             top[i].probability, want);
      CHECK (i == 0 || probs->data[top[i - 1].index] >= want,
             "%s: rank %d out of order", name, i);
    }
  CHECK (cfm_classify (logits->data, n, top, k, &err) == CFM_OK, "%s",
         err.message);
  free (top);
}

static void
test_family (const char *dir, const char *manifest)
{
  char path[4096], line[1024], a[512], b[512], onnx[512] = "";
  char text[512] = "";
  int section_runs = 1, text_runs;
  CfmArray input = { 0 }, logits = { 0 }, probs = { 0 };
  Map *maps = calloc (MAX_MAPS, sizeof *maps);
  int n = 0, runs = 1, i;
  FILE *f;

  snprintf (path, sizeof path, "%s/%s", dir, manifest);
  f = fopen (path, "r");
  CHECK (f != NULL, "cannot open %s", path);
  while (f && fgets (line, sizeof line, f))
    {
      if (sscanf (line, "family %511s %d", a, &runs) == 2)
        continue;
      if (sscanf (line, "input %511s", a) == 1)
        load_npy (dir, a, &input);
      else if (sscanf (line, "output %511s", a) == 1)
        load_npy (dir, a, &logits);
      else if (sscanf (line, "probabilities %511s", a) == 1
               && load_npy (dir, a, &probs))
        check_classes (manifest, &logits, &probs);
      else if (sscanf (line, "onnx %511s", a) == 1
               || sscanf (line, "text %511s %511s %d", a, b, &text_runs) == 3)
        {
          if (onnx[0])
            test_export (dir, onnx, text[0] ? text : NULL, maps, n,
                         section_runs, &input, &logits);
          for (i = 0; i < n; i++)
            cfm_array_free (&maps[i].ref);
          n = 0;
          snprintf (onnx, sizeof onnx, "%s", a);
          text[0] = '\0';
          section_runs = runs;
          if (strncmp (line, "text ", 5) == 0)
            {
              snprintf (text, sizeof text, "%s", b);
              section_runs = text_runs;
            }
        }
      else if (sscanf (line, "map %159s %511s", a, b) == 2 && n < MAX_MAPS)
        {
          snprintf (maps[n].path, sizeof maps[n].path, "%.159s", a);
          if (load_npy (dir, b, &maps[n].ref))
            n++;
        }
    }
  if (onnx[0])
    test_export (dir, onnx, text[0] ? text : NULL, maps, n, section_runs,
                 &input, &logits);
  for (i = 0; i < n; i++)
    cfm_array_free (&maps[i].ref);
  cfm_array_free (&input);
  cfm_array_free (&logits);
  cfm_array_free (&probs);
  free (maps);
  if (f)
    fclose (f);
}

/* The built-in ImageNet names against torchvision's (DIR/imagenet.txt),
 * read by the labels' own parser. */
static void
test_imagenet (const char *dir)
{
  char path[4096];
  CfmLabels ours, theirs;
  CfmError err;
  void *data;
  size_t len;
  int i;

  snprintf (path, sizeof path, "%s/imagenet.txt", dir);
  CHECK (cfm_labels_imagenet (&ours, &err) == CFM_OK, "%s", err.message);
  if (cfm_file_read (path, (size_t) 1 << 20, &data, &len, &err) != CFM_OK)
    {
      CHECK (0, "%s", err.message);
      cfm_labels_free (&ours);
      return;
    }
  data = realloc (data, len + 1);
  ((char *) data)[len] = '\0';
  CHECK (cfm_labels_parse (data, &theirs, &err) == CFM_OK, "%s", err.message);
  CHECK (ours.n == 1000 && theirs.n == 1000, "%d and %d names", ours.n,
         theirs.n);
  for (i = 0; i < ours.n && i < theirs.n; i++)
    CHECK (strcmp (ours.names[i], theirs.names[i]) == 0, "class %d: %s, "
           "torchvision's %s", i, ours.names[i], theirs.names[i]);
  cfm_labels_free (&ours);
  cfm_labels_free (&theirs);
  free (data);
}

/* Labels one a line: line ends, spaces, empty lines; a label too long. */
/* ---- where a node's pixels lie over the input ------------------------------ */

static void
check_geometry (const CfmGraph *g, const char *module, long long num,
                long long den, double centre, double field, int global)
{
  int node = cfm_graph_find_node (g, module), a;
  CfmGraphGeometry geo;
  CfmError err;

  CHECK (node >= 0, "no node %s", module);
  if (node < 0)
    return;
  CHECK (cfm_graph_geometry (g, node, &geo, &err) == CFM_OK, "%s: %s",
         module, err.message);
  for (a = 0; a < 2; a++)
    {
      CHECK (geo.stride_num[a] == num && geo.stride_den[a] == den
             && fabs (geo.stride[a] - (double) num / den) < 1e-12,
             "%s axis %d: stride %lld/%lld (%g), want %lld/%lld", module, a,
             geo.stride_num[a], geo.stride_den[a], geo.stride[a], num, den);
      CHECK (fabs (geo.centre[a] - centre) < 1e-9
             && fabs (geo.field[a] - field) < 1e-9, "%s axis %d: centre %g "
             "field %g, want %g and %g", module, a, geo.centre[a],
             geo.field[a], centre, field);
    }
  CHECK (geo.global == global, "%s: global %d", module, geo.global);
}

/* Value WANT's map for INPUT (C x H x W), whole. */
static float *
run_whole (const CfmGraph *g, int want, const CfmArray *input)
{
  const CfmValue *v = &g->values[want];
  Gathered got = { want, NULL, v->c, v->h, v->w, 0 };
  Gather gt = { &got, 1, 1 };
  Source src = { input };
  CfmError err;

  got.map = calloc ((size_t) v->c * v->h * v->w + 1, sizeof (float));
  CHECK (cfm_graph_run (g, &want, 1, 16, read_rows, &src, gather_rows, &gt,
                        &err) == CFM_OK, "%s", err.message);
  return got.map;
}

/* An input pixel outside a pixel's receptive field leaves it as it was;
 * one inside moves it (ResNet-18's layer2 at 128 x 128: field 99, stride
 * 8, so output row 4 reads input rows -17 .. 81). */
static void
check_field_by_change (const CfmGraph *g)
{
  int node = cfm_graph_find_node (g, "layer2"), value, c, ch;
  CfmArray input = { 0 };
  float *before, *after;
  unsigned state = 11;
  size_t i, n = (size_t) 3 * 128 * 128, plane;

  if (node < 0)
    return;
  value = g->nodes[node].outputs[0];
  input.ndim = 3;
  input.shape[0] = 3, input.shape[1] = 128, input.shape[2] = 128;
  input.count = n;
  input.data = malloc (n * sizeof (float));
  for (i = 0; i < n; i++)
    input.data[i] = test_random (&state);
  before = run_whole (g, value, &input);
  for (ch = 0; ch < 3; ch++)   /* row 82, column 32: outside (4, 4)'s */
    input.data[((size_t) ch * 128 + 82) * 128 + 32] += 5.0f;
  after = run_whole (g, value, &input);
  c = g->values[value].c;
  plane = (size_t) g->values[value].h * g->values[value].w;
  for (ch = 0; ch < c; ch++)
    CHECK (before[ch * plane + 4 * 16 + 4] == after[ch * plane + 4 * 16 + 4],
           "layer2 (4, 4) channel %d moved with a pixel outside its field",
           ch);
  for (ch = 0, i = 0; ch < c; ch++)   /* (10, 4) is centred on row 80 */
    i += before[ch * plane + 10 * 16 + 4] != after[ch * plane + 10 * 16 + 4];
  CHECK (i > 0, "layer2 (10, 4) did not move with a pixel inside its field");
  free (before);
  free (after);
  free (input.data);
}

/* Total strides, centres and receptive fields worked out by hand from the
 * modules (comments), for ResNet-18 and the fixture script's U-Net. */
static void
test_geometry (const char *dir)
{
  static const char *const files[] = { "resnet18-opset13.onnx",
                                       "unet-opset13.onnx" };
  size_t f;

  for (f = 0; f < 2; f++)
    {
      char path[4096];
      CfmGraph g;
      CfmTensorSet w;
      CfmError err;
      void *data;
      size_t len;

      snprintf (path, sizeof path, "%s/%s", dir, files[f]);
      if (cfm_file_read (path, (size_t) 1 << 30, &data, &len, &err) != CFM_OK
          || cfm_graph_read_onnx (data, len, &g, &w, &err) != CFM_OK)
        {
          CHECK (0, "%s: %s", files[f], err.message);
          continue;
        }
      /* the U-Net at its fixture's size: its export keeps the sizes its
       * skip connections were traced at */
      CHECK (cfm_graph_shapes (&g, 3, f ? 68 : 128, f ? 84 : 128, &err)
             == CFM_OK, "%s", err.message);
      if (f == 0)
        {
          /* conv1 7x7/2 pad 3: field 7; maxpool 3x3/2: 7 + 2 * 2 = 11,
           * stride 4; each 3x3 adds 2 strides: layer1 11 + 4 * 2 * 4 = 43;
           * layer2 43 + 2 * 4 + 3 * 2 * 8 = 99; layer3 99 + 2 * 8
           * + 3 * 2 * 16 = 211; layer4 211 + 2 * 16 + 3 * 2 * 32 = 435;
           * padding keeps every centre at 0 */
          check_geometry (&g, "maxpool", 4, 1, 0.0, 11.0, 0);
          check_geometry (&g, "layer1", 4, 1, 0.0, 43.0, 0);
          check_geometry (&g, "layer2.0.downsample.0", 8, 1, 0.0, 43.0, 0);
          check_geometry (&g, "layer2", 8, 1, 0.0, 99.0, 0);
          check_geometry (&g, "layer3", 16, 1, 0.0, 211.0, 0);
          check_geometry (&g, "layer4", 32, 1, 0.0, 435.0, 0);
          /* layer4 is 4 x 4: its pooling spans 435 + 3 * 32, centred on
           * its middle, 1.5 strides in */
          check_geometry (&g, "avgpool", 128, 1, 48.0, 531.0, 1);
          check_geometry (&g, "fc", 128, 1, 48.0, 531.0, 1);
          check_field_by_change (&g);
        }
      else
        {
          /* enc1 two 3x3: 5; pool 2x2/2: centre 0.5, field 6, stride 2;
           * enc2 6 + 2 * 2 * 2 = 14; pool: centre 0.5 + 0.5 * 2 = 1.5,
           * 16, stride 4; enc3 16 + 2 * 2 * 4 = 32; up2 (3x3, stride 2,
           * pad 1): centre 1.5 + (1 - 1) / 2 * 4, field 32 + 2 / 2 * 4 =
           * 36, stride 2, wider than the skip's 14; dec2 36 + 2 * 2 * 2 =
           * 44; the bilinear resize x2 (half pixel): output 0 at input
           * -0.25, centre 1.5 - 0.25 * 2 = 1, field 44 + 2, stride 1;
           * dec1 46 + 2 * 2 = 50; up0 (nearest x2, asymmetric): stride
           * 1/2, the head 1x1 */
          check_geometry (&g, "enc2", 2, 1, 0.5, 14.0, 0);
          check_geometry (&g, "enc3", 4, 1, 1.5, 32.0, 0);
          check_geometry (&g, "up2", 2, 1, 1.5, 36.0, 0);
          check_geometry (&g, "dec2", 2, 1, 1.5, 44.0, 0);
          check_geometry (&g, "dec1", 1, 1, 1.0, 50.0, 0);
          check_geometry (&g, "head", 1, 2, 1.0, 50.0, 0);
        }
      cfm_graph_free (&g);
      cfm_tensors_free (&w);
      free (data);
    }
}

/* ---- torchvision's Resize (N) ------------------------------------------------ */

/* The resized photo read whole and in bands of 7 rows against
 * torchvision's (the sizes its own, the values within 1e-5). */
static void
check_resize (const CfmArray *photo, int n, const CfmArray *want)
{
  int c = (int) photo->shape[0], h = (int) photo->shape[1];
  int w = (int) photo->shape[2], oh = 0, ow = 0, band;
  Source src = { photo };
  CfmResizer r;
  CfmError err;

  CHECK (cfm_resize_size (h, w, n, &oh, &ow, &err) == CFM_OK, "%s",
         err.message);
  CHECK (want->ndim == 3 && (size_t) oh == want->shape[1]
         && (size_t) ow == want->shape[2], "Resize (%d): %d x %d, "
         "torchvision's %zu x %zu", n, oh, ow, want->shape[1],
         want->shape[2]);
  if ((size_t) oh != want->shape[1] || (size_t) ow != want->shape[2]
      || cfm_resizer_init (&r, c, h, w, oh, ow, read_rows, &src, &err)
         != CFM_OK)
    return;
  for (band = 7; band <= oh; band = band == oh ? oh + 1 : oh)
    {
      float *got = malloc (want->count * sizeof (float));
      float *rows = malloc ((size_t) c * band * ow * sizeof (float));
      int y, ch, k;
      double worst = 0.0;
      size_t i;

      for (y = 0; y < oh; y += band)
        {
          k = y + band <= oh ? band : oh - y;
          CHECK (cfm_resizer_read (&r, y, k, rows, &err) == CFM_OK, "%s",
                 err.message);
          for (ch = 0; ch < c; ch++)
            memcpy (got + ((size_t) ch * oh + y) * ow,
                    rows + (size_t) ch * k * ow,
                    (size_t) k * ow * sizeof (float));
        }
      for (i = 0; i < want->count; i++)
        worst = fmax (worst, fabs ((double) got[i] - want->data[i]));
      CHECK (worst <= 1e-5, "Resize (%d) in bands of %d: off by %.3g", n,
             band, worst);
      free (got);
      free (rows);
    }
  CHECK (cfm_resizer_read (&r, oh - 1, 2, NULL, &err) == CFM_ERR_ARG,
         "rows past the end");
  cfm_resizer_free (&r);
}

static void
test_resize (const char *dir)
{
  char path[4096], line[256], file[200];
  CfmArray photo = { 0 };
  CfmError err;
  int n, h, w, checked = 0;
  FILE *f;

  CHECK (cfm_resize_size (300, 451, 1 << 17, &h, &w, &err) == CFM_ERR_SIZE,
         "a side past the limit");
  CHECK_MSG (err.message, "wider than 65536 pixels");
  CHECK (cfm_resize_size (451, 300, 224, &h, &w, &err) == CFM_OK && h == 336
         && w == 224, "portrait: %d x %d", w, h);
  snprintf (path, sizeof path, "%s/resize.txt", dir);
  f = fopen (path, "r");
  CHECK (f != NULL && load_npy (dir, "resize-photo.npy", &photo),
         "cannot open %s", path);
  while (f && photo.data && fgets (line, sizeof line, f))
    {
      CfmArray want = { 0 };

      if (sscanf (line, "resize %d %199s", &n, file) == 2
          && load_npy (dir, file, &want))
        {
          check_resize (&photo, n, &want);
          checked++;
          cfm_array_free (&want);
        }
    }
  CHECK (checked == 4, "%d resizes checked", checked);
  cfm_array_free (&photo);
  if (f)
    fclose (f);
}

int
main (int argc, char **argv)
{
  if (argc > 1)
    {
      char path[4096], name[512];
      FILE *index;

      test_imagenet (argv[1]);
      test_geometry (argv[1]);
      test_resize (argv[1]);
      snprintf (path, sizeof path, "%s/index.txt", argv[1]);
      index = fopen (path, "r");
      CHECK (index != NULL, "cannot open %s", path);
      while (index && fscanf (index, "%511s", name) == 1)
        test_family (argv[1], name);
      if (index)
        fclose (index);
    }
  return test_finish ("graph");
}
