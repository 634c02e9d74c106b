/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cam_run.c: cfm-cam-run, one class activation map computed by the core
 * in a process of its own:
 *   cfm-cam-run MODEL.onnx WIDTH HEIGHT LAYER METHOD
 * reads the ONNX graph, sizes it for a made-up RGB input of WIDTH x
 * HEIGHT, and three times runs METHOD (cam, grad-cam, ...) at LAYER (a
 * module path) for the most probable class: the forward pass that keeps
 * what the map needs (cfm_cam_run), then the class's backward pass and map
 * (cfm_cam_class).  Prints the best of each:
 *   forward s|backward s|process peak MB
 * (CFM_THREADS threads; tests/bench/cam_bench.py makes the model and the
 * table). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_process.h"
#include "cfm_cam.h"
#include "cfm_file.h"

#define FILE_MAX ((size_t) 4 << 30)
#define RUNS 3

/* The most probable of CAM's classes. */
static int
top_class (const CfmCam *cam)
{
  int k, best = 0;

  for (k = 1; k < cam->n_classes; k++)
    if (cam->logits[k] > cam->logits[best])
      best = k;
  return best;
}

int
main (int argc, char **argv)
{
  CfmFile *file = NULL;
  CfmGraph g;
  CfmTensorSet weights;
  CfmCamMethod method;
  CfmError err;
  double forward = 1e30, backward = 1e30, sum = 0.0;
  int w, h, node, k;

  if (argc != 6 || !cfm_cam_method_parse (argv[5], &method))
    {
      fprintf (stderr, "usage: cfm-cam-run MODEL.onnx WIDTH HEIGHT LAYER "
               "METHOD\n");
      return 2;
    }
  w = atoi (argv[2]);
  h = atoi (argv[3]);
  if (cfm_file_open (argv[1], FILE_MAX, &file, &err) != CFM_OK
      || cfm_graph_read_onnx (cfm_file_data (file), cfm_file_size (file), &g,
                              &weights, &err) != CFM_OK
      || cfm_graph_shapes (&g, 3, h, w, &err) != CFM_OK
      || cfm_graph_layer (&g, argv[4], &node, &err) != CFM_OK)
    {
      fprintf (stderr, "%s: %s\n", argv[1], err.message);
      return 1;
    }
  for (k = 0; k < RUNS; k++)
    {
      const CfmValue *a = &g.values[g.nodes[node].outputs[0]];
      float *map = malloc ((size_t) a->h * a->w * sizeof *map + 1);
      double t0 = bench_now (), t1;
      CfmCam cam;

      if (cfm_cam_run (&cam, &g, method, g.nodes[node].outputs[0],
                       g.outputs[0], bench_rows, &w, &err) != CFM_OK)
        {
          fprintf (stderr, "%s\n", err.message);
          return 1;
        }
      t1 = bench_now ();
      if (cfm_cam_class (&cam, top_class (&cam), map, NULL, &err) != CFM_OK)
        {
          fprintf (stderr, "%s\n", err.message);
          return 1;
        }
      backward = bench_now () - t1 < backward ? bench_now () - t1 : backward;
      forward = t1 - t0 < forward ? t1 - t0 : forward;
      sum += map[0];
      cfm_cam_free (&cam);
      free (map);
    }
  printf ("%.4f|%.4f|%.0f\n", forward, backward, bench_status_mb ("VmHWM"));
  fprintf (stderr, "(checksum %g)\n", sum);
  cfm_graph_free (&g);
  cfm_tensors_free (&weights);
  cfm_file_close (file);
  return 0;
}
