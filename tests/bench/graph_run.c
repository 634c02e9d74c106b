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
#include "cfm_graph.h"
#include "fma_peak.h"

#define FILE_MAX ((size_t) 4 << 30)
#define MAX_NODES 16

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* The process's peak resident memory (VmHWM) in MB. */
static double
peak_mb (void)
{
  char line[256];
  double kb = -1;
  FILE *f = fopen ("/proc/self/status", "r");

  while (f && fgets (line, sizeof line, f))
    if (strncmp (line, "VmHWM:", 6) == 0)
      kb = atof (line + 6);
  if (f)
    fclose (f);
  return kb / 1024.0;
}

static CfmStatus
rows (void *data, int row0, int n, float *dst, CfmError *err)
{
  int w = *(const int *) data, ch;
  size_t count = (size_t) n * w, i;

  (void) err;
  for (ch = 0; ch < 3; ch++)
    for (i = 0; i < count; i++)
      dst[ch * count + i] = (float) (((size_t) row0 * w + i + ch) % 251)
                            / 251.0f - 0.5f;
  return CFM_OK;
}

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
  t0 = now ();
  if (cfm_file_open (argv[1], FILE_MAX, &file, &err) != CFM_OK
      || cfm_graph_read_onnx (cfm_file_data (file), cfm_file_size (file), &g,
                              &weights, &err) != CFM_OK
      || cfm_graph_shapes (&g, 3, h, w, &err) != CFM_OK)
    {
      fprintf (stderr, "%s: %s\n", argv[1], err.message);
      return 1;
    }
  t_read = now () - t0;
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
      t0 = now ();
      if (cfm_graph_run (&g, want, n, band, rows, &w, take, &sum, &err)
          != CFM_OK)
        {
          fprintf (stderr, "%s\n", err.message);
          return 1;
        }
      best = now () - t0 < best ? now () - t0 : best;
    }
  printf ("%.3f|%.4f|%.0f\n", t_read, best, peak_mb ());
  fprintf (stderr, "(checksum %g)\n", sum);
  cfm_graph_free (&g);
  cfm_tensors_free (&weights);
  cfm_file_close (file);
  return 0;
}
