/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_graph_cam.c: class activation maps (cfm_cam.h) against PyTorch's
 * autograd, for every classifier family of the graph fixtures
 * (make_graph_fixtures.py's "cam METHOD LAYER CLASS FILE" lines): each
 * method at two layers for two classes, from each ONNX export and from
 * the state dict with its print(model) text, within 1e-4 of the map's
 * range (a map all 0, where random weights leave a class no evidence,
 * within 1e-6), and each channel's share of a pixel summing to it; CAM refused, with its message, at a layer whose channels the
 * Linear does not read.
 *
 *     test_graph_cam DIR     (DIR: the graph fixtures; none: nothing
 *                            checked, as test_graph) */
#include "test_graph.h"

#include "cfm_cam.h"

#define MAX_CAMS 64
#define TOL 1e-4
#define FLAT_TOL 1e-6   /* a map PyTorch's ReLU made all 0 */

typedef struct
{
  char     method[32], layer[160];
  int      cls;
  CfmArray ref;
} Cam;

/* OURS (H x W) against THEIRS: within TOL of THEIRS' range. */
static void
check_map (const char *label, const float *ours, const CfmArray *theirs,
           int h, int w)
{
  float lo = 0.0f, hi = 0.0f, worst = 0.0f;
  size_t i, n = (size_t) h * w;

  CHECK (theirs->ndim == 2 && theirs->shape[0] == (size_t) h
         && theirs->shape[1] == (size_t) w,
         "%s: %d x %d, PyTorch's %zu x %zu", label, h, w,
         (size_t) theirs->shape[0], (size_t) theirs->shape[1]);
  if (theirs->count != n)
    return;
  for (i = 0; i < n; i++)
    {
      float d = fabsf (ours[i] - theirs->data[i]);

      lo = theirs->data[i] < lo ? theirs->data[i] : lo;
      hi = theirs->data[i] > hi ? theirs->data[i] : hi;
      worst = d > worst ? d : worst;
    }
  if (hi == lo)   /* no evidence for the class there: 0 everywhere */
    CHECK (worst <= FLAT_TOL, "%s: off by %.3g of PyTorch's 0", label,
           worst);
  else
    CHECK (worst <= TOL * (hi - lo), "%s: off by %.3g of its range %.3g",
           label, worst / (hi - lo), hi - lo);
}

/* The channels' shares at the map's middle pixel (cfm_cam_pixel): their
 * sum after the ReLU is MAP's value there. */
static void
check_pixel (const char *label, const CfmCam *cam, int cls, const float *map)
{
  float *contrib = malloc ((size_t) cam->k * sizeof *contrib);
  int i = cam->h / 2, j = cam->w / 2, ch;
  double sum = 0.0, scale = 0.0;
  CfmError err;

  CHECK (cfm_cam_pixel (cam, cls, i, j, contrib, &err) == CFM_OK, "%s: %s",
         label, err.message);
  for (ch = 0; ch < cam->k; ch++)
    {
      sum += contrib[ch];
      scale += fabs (contrib[ch]);
    }
  CHECK (fabs ((sum > 0.0 ? sum : 0.0) - map[(size_t) i * cam->w + j])
         <= 1e-5 * (scale + 1e-12), "%s: the channels' shares at %d, %d "
         "sum to %g, the map holds %g", label, i, j, sum,
         (double) map[(size_t) i * cam->w + j]);
  free (contrib);
}

/* Every map of CAMS at LAYER of graph G for INPUT. */
static void
check_layer (const char *file, CfmGraph *g, const char *layer, Cam *cams,
             int n, const CfmArray *input)
{
  Source src = { input };
  CfmError err;
  int node, m, i, has_cam = 0;

  CHECK (cfm_graph_layer (g, layer, &node, &err) == CFM_OK, "%s: %s", file,
         err.message);
  if (node < 0)
    return;
  for (m = CFM_CAM_CAM; m < CFM_CAM_METHODS; m++)
    {
      const CfmValue *a = &g->values[g->nodes[node].outputs[0]];
      float *map = malloc ((size_t) a->h * a->w * sizeof *map + 1);
      int at = g->nodes[node].outputs[0], ran = 0;
      CfmCam cam;

      for (i = 0; i < n; i++)
        {
          char label[512];

          if (strcmp (cams[i].layer, layer) != 0
              || strcmp (cams[i].method, cfm_cam_method_name (m)) != 0)
            continue;
          if (!ran)
            CHECK (cfm_cam_run (&cam, g, m, at, g->outputs[0], read_rows,
                                &src, &err) == CFM_OK, "%s %s %s: %s", file,
                   cams[i].method, layer, err.message);
          ran = 1;
          snprintf (label, sizeof label, "%s %s at %s, class %d", file,
                    cams[i].method, layer, cams[i].cls);
          CHECK (cfm_cam_class (&cam, cams[i].cls, map, NULL, &err)
                 == CFM_OK, "%s: %s", label, err.message);
          check_map (label, map, &cams[i].ref, a->h, a->w);
          check_pixel (label, &cam, cams[i].cls, map);
        }
      has_cam |= ran && m == CFM_CAM_CAM;
      if (ran)
        cfm_cam_free (&cam);
      free (map);
    }
  for (i = 0; i < n && !has_cam; i++)   /* the family's CAM is elsewhere */
    if (strcmp (cams[i].method, "cam") == 0)
      {
        CfmCam cam;

        CHECK (cfm_cam_run (&cam, g, CFM_CAM_CAM, g->nodes[node].outputs[0],
                            g->outputs[0], read_rows, &src, &err)
               == CFM_ERR_ARG, "%s: cam at %s is refused", file, layer);
        CHECK_MSG (err.message, "choose the layer before the pooling, or "
                   "grad-cam");
        cfm_cam_free (&cam);
        break;
      }
}

/* Every layer of CAMS from model FILE (TEXT: its print(model) text). */
static void
check_export (const char *dir, const char *file, const char *text,
              Cam *cams, int n, const CfmArray *input)
{
  CfmGraph g;
  CfmTensorSet w;
  CfmError err;
  void *data = NULL;
  int i, j;

  if (read_graph (dir, file, text, &g, &w, &data, &err) != CFM_OK)
    {
      CHECK (0, "%s: %s", file, err.message);
      free (data);
      return;
    }
  CHECK (cfm_graph_shapes (&g, (int) input->shape[0], (int) input->shape[1],
                           (int) input->shape[2], &err) == CFM_OK, "%s: %s",
         file, err.message);
  for (i = 0; i < n; i++)
    {
      for (j = 0; j < i && strcmp (cams[j].layer, cams[i].layer); j++)
        ;
      if (j == i)   /* each layer once */
        check_layer (file, &g, cams[i].layer, cams, n, input);
    }
  printf ("%s: %d maps\n", file, n);
  cfm_graph_free (&g);
  cfm_tensors_free (&w);
  free (data);
}

static void
test_family (const char *dir, const char *manifest)
{
  char path[4096], line[1024], a[512], b[512], c[512];
  Cam *cams = calloc (MAX_CAMS, sizeof *cams);
  CfmArray input = { 0 };
  int n = 0, cls, runs, i;
  FILE *f;

  snprintf (path, sizeof path, "%s/%s", dir, manifest);
  f = fopen (path, "r");
  CHECK (f != NULL, "cannot open %s", path);
  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "input %511s", a) == 1)
      load_npy (dir, a, &input);
    else if (sscanf (line, "cam %31s %159s %d %511s", a, b, &cls, c) == 4
             && n < MAX_CAMS && load_npy (dir, c, &cams[n].ref))
      {
        snprintf (cams[n].method, sizeof cams[n].method, "%.31s", a);
        snprintf (cams[n].layer, sizeof cams[n].layer, "%.159s", b);
        cams[n++].cls = cls;
      }
    else if (n > 0 && sscanf (line, "onnx %511s", a) == 1)
      check_export (dir, a, NULL, cams, n, &input);
    else if (n > 0 && sscanf (line, "text %511s %511s %d", a, b, &runs) == 3)
      check_export (dir, a, b, cams, n, &input);
  for (i = 0; i < n; i++)
    cfm_array_free (&cams[i].ref);
  cfm_array_free (&input);
  free (cams);
  if (f)
    fclose (f);
}

int
main (int argc, char **argv)
{
  char path[4096], name[512];
  FILE *index;

  if (argc < 2)   /* the fixtures come from run-graph-fixtures.sh */
    return test_finish ("graph_cam");
  snprintf (path, sizeof path, "%s/index.txt", argv[1]);
  index = fopen (path, "r");
  CHECK (index != NULL, "cannot open %s", path);
  while (index && fscanf (index, "%511s", name) == 1)
    test_family (argv[1], name);
  if (index)
    fclose (index);
  return test_finish ("graph_cam");
}
