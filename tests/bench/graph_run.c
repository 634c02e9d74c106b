/* SPDX-License-Identifier: GPL-3.0-or-later */
/* graph_run.c: cfm-graph-run, a graph's nodes computed by the engine in a
 * process of its own, so that its memory is the whole process's:
 *   cfm-graph-run MODEL.onnx WIDTH HEIGHT BAND_ROWS NODE...
 *   cfm-graph-run --peak        one core's FMA peak, GMAC/s
 * reads the ONNX graph, sizes it for a made-up RGB input of WIDTH x
 * HEIGHT, runs it to each NODE (module paths or node names, all in one
 * pass) in bands of BAND_ROWS rows of the first, twice, and prints
 *   read s|best run s|process peak MB
 * (CFM_THREADS threads; CFM_GRAPH_PROFILE prints each kind of node's time;
 * tests/bench/graph_bench.py makes the models and the table). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfm_file.h"
#include "bench_process.h"
#include "cfm_graph.h"
#include "fma_peak.h"

#define FILE_MAX ((size_t) 4 << 30)
#define MAX_NODES 16

/* Sums the rows given, so that nothing is optimised away. */
static CfmStatus
take (void *data, int value, const float *r, size_t plane, int c, int h,
      int w, int row0, int nrows, CfmError *err)
{
  double *sum = data;

  (void) value, (void) h, (void) row0, (void) err;
  if (c > 0 && nrows > 0 && w > 0)
    *sum += r[0] + r[(size_t) (c - 1) * plane];
  return CFM_OK;
}

int
main (int argc, char **argv)
{
  CfmFile *file = NULL;
  CfmGraph g;
  CfmTensorSet weights;
  CfmError err;
  int want[MAX_NODES], n = 0, w, h, band, i, k;
  double t0, t_read, best = 1e30, sum = 0.0;

  if (argc == 2 && strcmp (argv[1], "--peak") == 0)
    {
      printf ("%.1f\n", bench_fma_peak (cfm_path_resolve (CFM_PATH_AUTO))
                        / 1e9);
      return 0;
    }
  if (argc < 6)
    {
      fprintf (stderr, "usage: cfm-graph-run MODEL.onnx WIDTH HEIGHT "
               "BAND_ROWS NODE...\n");
      return 2;
    }
  w = atoi (argv[2]);
  h = atoi (argv[3]);
  band = atoi (argv[4]);
  t0 = bench_now ();
  if (cfm_file_open (argv[1], FILE_MAX, &file, &err) != CFM_OK
      || cfm_graph_read_onnx (cfm_file_data (file), cfm_file_size (file), &g,
                              &weights, &err) != CFM_OK
      || cfm_graph_shapes (&g, 3, h, w, &err) != CFM_OK)
    {
      fprintf (stderr, "%s: %s\n", argv[1], err.message);
      return 1;
    }
  t_read = bench_now () - t0;
  for (i = 5; i < argc && n < MAX_NODES; i++)
    {
      int node = cfm_graph_find_node (&g, argv[i]);

      if (node < 0)
        {
          fprintf (stderr, "no node %s\n", argv[i]);
          return 1;
        }
      want[n++] = g.nodes[node].outputs[0];
    }
  for (k = 0; k < 2; k++)
    {
      t0 = bench_now ();
      if (cfm_graph_run (&g, want, n, band, bench_rows, &w, take, &sum, &err)
          != CFM_OK)
        {
          fprintf (stderr, "%s\n", err.message);
          return 1;
        }
      best = bench_now () - t0 < best ? bench_now () - t0 : best;
    }
  printf ("%.3f|%.4f|%.0f\n", t_read, best, bench_status_mb ("VmHWM"));
  fprintf (stderr, "(checksum %g)\n", sum);
  cfm_graph_free (&g);
  cfm_tensors_free (&weights);
  cfm_file_close (file);
  return 0;
}
