/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_graph_run.h: what the graph fuzz targets (fuzz_graph.c,
 * fuzz_graph_text.c, fuzz_model.c) do with a graph they read: size it for
 * a gray and a colour input, compute every node that runs in bands of 3
 * rows, work out every node's label and geometry, and where the graph
 * ends in class scores compute each class activation map method at its
 * first nodes that run (the backward steps); a refusal without a message
 * aborts. */
#ifndef FUZZ_GRAPH_RUN_H
#define FUZZ_GRAPH_RUN_H

#include <stdint.h>
#include <stdlib.h>

#include "cfm_cam.h"
#include "cfm_graph.h"

#define MAX_WANTED 64
/* Nodes a class activation map is computed at, each method's. */
#define MAX_CAM_NODES 4

static CfmStatus
read_rows (void *data, int row0, int rows, float *dst, CfmError *err)
{
  const int *c_w = data;
  size_t n = (size_t) c_w[0] * rows * c_w[1], i;

  (void) err;
  for (i = 0; i < n; i++)
    dst[i] = (float) ((i * 7 + (size_t) row0 * 3) % 11) - 5.0f;
  return CFM_OK;
}

static CfmStatus
ignore_rows (void *data, int value, const float *rows, size_t plane, int c,
             int h, int w, int row0, int nrows, CfmError *err)
{
  (void) data, (void) value, (void) rows, (void) plane, (void) c, (void) h;
  (void) w, (void) row0, (void) nrows, (void) err;
  return CFM_OK;
}

/* Each method's map for class 0 at NODE's output, and its shares at the
 * first pixel: a refusal says why. */
static void
cam_at (const CfmGraph *g, int node, int scores, int *c_w)
{
  int at = g->nodes[node].outputs[0], m;
  const CfmValue *a = &g->values[at];
  float *map = malloc ((size_t) a->c * a->h * a->w * sizeof (float) + 4);
  CfmError err;

  for (m = CFM_CAM_CAM; m < CFM_CAM_METHODS && map; m++)
    {
      CfmCam cam;
      CfmStatus status;

      err.message[0] = '\0';
      status = cfm_cam_run (&cam, g, (CfmCamMethod) m, at, scores, read_rows,
                            c_w, &err);
      if (status == CFM_OK && a->h > 0 && a->w > 0)
        status = cfm_cam_class (&cam, 0, map, NULL, &err) == CFM_OK
                 ? cfm_cam_pixel (&cam, 0, 0, 0, map, &err) : CFM_ERR_ARG;
      if (status != CFM_OK && err.message[0] == '\0')
        abort ();
      cfm_cam_free (&cam);
    }
  free (map);
}

/* Where G (sized) ends in class scores that run: class activation maps
 * at its first map nodes that run. */
static void
cam_all (const CfmGraph *g, int *c_w)
{
  int scores = g->n_outputs > 0 ? g->outputs[0] : -1, i, n = 0;

  if (scores < 0 || g->values[scores].rank != 2
      || g->values[scores].producer < 0 || g->values[scores].c < 1
      || !cfm_graph_node_runs (g, g->values[scores].producer, NULL))
    return;
  for (i = 0; i < g->n_nodes && n < MAX_CAM_NODES; i++)
    if (cfm_graph_node_runs (g, i, NULL)
        && g->values[g->nodes[i].outputs[0]].kind == CFM_VALUE_MAP
        && g->values[g->nodes[i].outputs[0]].rank == 4)
      {
        cam_at (g, i, scores, c_w);
        n++;
      }
}

/* Sizes G for C channels and runs every node it can. */
static void
run_all (CfmGraph *g, int c)
{
  int want[MAX_WANTED], n = 0, i, c_w[2] = { c, 17 };
  CfmError err;

  err.message[0] = '\0';
  if (cfm_graph_shapes (g, c, 13, 17, &err) != CFM_OK)
    {
      if (err.message[0] == '\0')
        abort ();
      return;
    }
  for (i = 0; i < g->n_nodes && n < MAX_WANTED; i++)
    if (cfm_graph_node_runs (g, i, NULL)
        && g->values[g->nodes[i].outputs[0]].kind == CFM_VALUE_MAP)
      want[n++] = g->nodes[i].outputs[0];
  err.message[0] = '\0';
  if (n > 0 && cfm_graph_run (g, want, n, 3, read_rows, c_w, ignore_rows,
                              NULL, &err) != CFM_OK
      && err.message[0] == '\0')
    abort ();
  cam_all (g, c_w);
  for (i = 0; i < g->n_nodes; i++)
    {
      CfmGraphGeometry geo;

      if (cfm_graph_node_label (g, i)[0] == '\0')
        abort ();
      err.message[0] = '\0';
      if (cfm_graph_geometry (g, i, &geo, &err) == CFM_OK
          ? !(geo.stride[0] > 0.0) || geo.stride_num[0] < 1
            || geo.stride_den[1] < 1 || !(geo.field[1] >= 1.0)
          : err.message[0] == '\0')
        abort ();
    }
}

#endif
