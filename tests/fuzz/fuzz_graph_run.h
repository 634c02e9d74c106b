/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz_graph_run.h: what the graph fuzz targets (fuzz_graph.c,
 * fuzz_graph_text.c) do with a graph they read: size it for a gray and a
 * colour input, compute every node that runs in bands of 3 rows, and
 * work out every node's label and geometry; a refusal without a message
 * aborts. */
#ifndef FUZZ_GRAPH_RUN_H
#define FUZZ_GRAPH_RUN_H

#include <stdint.h>
#include <stdlib.h>

#include "cfm_graph.h"

#define MAX_WANTED 64

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
