/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench.c: the benchmark program (meson benchmark "cfm-bench").
 *
 * Prints one table, every figure measured in this run on the same data:
 *  1. the tutorial's pipeline (4 filters 4x4, ReLU, max-pool 2/2) on a
 *     4000x3000 gray image: the core on 1 thread and on all threads, its
 *     reference path, OpenCV's filter2D four times on 1 thread (through
 *     python3-opencv) and GEGL's gegl:convolution-matrix four times;
 *  2. conv alone for kernel sizes 3, 5, 7, 11 (4 filters) and a 64x3x7x7
 *     bank on a 1024x1024 RGB image: GMAC/s and the share of the fused
 *     multiply-add peak of one core, which the program measures itself;
 *  3. and 4. a VGG-16 layer and chain against PyTorch and onnxruntime
 *     (bench_networks.c);
 *  5. end to end in GIMP, when tests/bench/gimp_e2e.py finds a GIMP.
 * Times are the best of several runs; ratios compare figures of this run. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfm_bank.h"
#include "cfm_conv.h"
#include "cfm_input.h"
#include "cfm_network.h"
#include "cfm_file.h"
#include "cfm_graph.h"
#include "cfm_npy.h"
#include "cfm_pipeline.h"
#include "bench.h"
#include "fma_peak.h"

/* Where results go so that the compiler keeps the work. */
volatile float sink;

#ifdef HAVE_GEGL
#include <gegl.h>
#endif

#define W 4000
#define H 3000

double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The sample photo's luma, enlarged to w x h (nearest neighbour). */
static float *
photo_luma (const char *fixtures, int w, int h, int channels)
{
  char path[4096];
  CfmArray a;
  CfmError err;
  void *data;
  size_t len;
  float *out = malloc ((size_t) w * h * channels * sizeof (float));
  int x, y, ch, pw, ph;

  snprintf (path, sizeof path, "%s/photo_rgb.npy", fixtures);
  if (cfm_file_read (path, 1 << 28, &data, &len, &err) != CFM_OK
      || cfm_npy_parse (data, len, 1 << 28, &a, &err) != CFM_OK)
    {
      fprintf (stderr, "%s\n", err.message);
      exit (1);
    }
  free (data);
  ph = (int) a.shape[0];
  pw = (int) a.shape[1];
  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++)
      {
        const float *px = a.data + ((size_t) (y * ph / h) * pw
                                    + (size_t) (x * pw / w)) * 3;

        if (channels == 1)
          out[(size_t) y * w + x] = (0.299f * px[0] + 0.587f * px[1]
                                     + 0.114f * px[2]) / 255.0f;
        else
          for (ch = 0; ch < 3; ch++)
            out[((size_t) ch * h + y) * w + x] = px[ch] / 255.0f;
      }
  cfm_array_free (&a);
  return out;
}

/* The tutorial pipeline over the whole image as one band, into full-size
 * conv, activation and pooled maps; returns the best time of REPS. */
static double
time_pipeline (const float *gray, CfmPath path, int threads, int reps)
{
  CfmBank bank;
  CfmPipeline pl;
  CfmBandPlan plan;
  CfmError err;
  CfmBand band = { gray, 1, H, W, 0, H, 0 };
  float *conv, *act, *pool;
  double best = INFINITY;
  int conv_done = 0, pool_done = 0, r;

  cfm_bank_builtin ("tutorial", &bank, &err);
  memset (&pl, 0, sizeof pl);
  pl.bank = &bank;
  pl.conv = (CfmConvParams) { 1, 0, 1, CFM_PAD_ZEROS };
  pl.activation = CFM_ACT_RELU;
  pl.pool_enabled = 1;
  pl.pool = (CfmPoolParams) { CFM_POOL_MAX, 2, 2, 0 };
  pl.threads = threads;
  pl.path = path;
  cfm_pipeline_init (&pl, 1, H, W, &err);
  cfm_pipeline_next_band (&pl, H, &conv_done, &pool_done, &plan);
  conv = malloc ((size_t) 4 * pl.conv_h * pl.conv_w * sizeof (float));
  act = malloc ((size_t) 4 * pl.conv_h * pl.conv_w * sizeof (float));
  pool = malloc ((size_t) 4 * pl.pool_h * pl.pool_w * sizeof (float));
  for (r = 0; r < reps; r++)
    {
      double t0 = now ();

      if (cfm_pipeline_run_band (&pl, &plan, &band, conv, act, pool, &err)
          != CFM_OK)
        {
          fprintf (stderr, "%s\n", err.message);
          exit (1);
        }
      t0 = now () - t0;
      best = t0 < best ? t0 : best;
    }
  free (conv);
  free (act);
  free (pool);
  cfm_bank_free (&bank);
  return best;
}

/* The input rows of the graph's run (the photo, GRAY). */
static CfmStatus
gray_rows (void *data, int row0, int rows, float *dst, CfmError *err)
{
  (void) err;
  memcpy (dst, (const float *) data + (size_t) row0 * W,
          (size_t) rows * W * sizeof (float));
  return CFM_OK;
}

/* The band's rows as the plug-in takes them: each map's last new row
 * read, so nothing is optimised away. */
static CfmStatus
touch_rows (void *data, int value, const float *rows, size_t plane, int c,
            int h, int w, int row0, int nrows, CfmError *err)
{
  int ch;

  (void) value;
  (void) h;
  (void) row0;
  (void) err;
  for (ch = 0; ch < c; ch++)
    *(volatile float *) data = rows[ch * plane + (size_t) (nrows - 1) * w];
  return CFM_OK;
}

/* The same pipeline as the plug-in runs it: the bank's graph
 * (cfm_graph_from_bank) on the graph engine, its three values wanted, in
 * bands of BAND_ROWS convolution rows, on the core's threads
 * ($CFM_THREADS, or all); returns the best time of REPS. */
static double
time_bank_graph (const float *gray, int band_rows, int reps)
{
  static const char *const stages[] = { "conv", "activation", "pool" };
  CfmConvParams conv = { 1, 0, 1, CFM_PAD_ZEROS };
  CfmPoolParams pool = { CFM_POOL_MAX, 2, 2, 0 };
  float bias[4] = { 0 }, last = 0.0f;
  double best = INFINITY;
  CfmBank bank;
  CfmGraph g;
  CfmError err;
  int want[3], r;

  cfm_bank_builtin ("tutorial", &bank, &err);
  if (cfm_graph_from_bank (&bank, bias, &conv, CFM_ACT_RELU, 0.0f, &pool, &g,
                           &err) != CFM_OK
      || cfm_graph_shapes (&g, 1, H, W, &err) != CFM_OK)
    {
      fprintf (stderr, "%s\n", err.message);
      exit (1);
    }
  for (r = 0; r < 3; r++)
    want[r] = cfm_graph_find_value (&g, stages[r]);
  for (r = 0; r < reps; r++)
    {
      double t0 = now ();

      if (cfm_graph_run (&g, want, 3, band_rows, gray_rows, (void *) gray,
                         touch_rows, &last, &err) != CFM_OK)
        {
          fprintf (stderr, "%s\n", err.message);
          exit (1);
        }
      t0 = now () - t0;
      best = t0 < best ? t0 : best;
    }
  cfm_graph_free (&g);
  cfm_bank_free (&bank);
  return best;
}

/* Conv alone on THREADS threads (0: all), by the Winograd path where
 * WINOGRAD is set and the job is one it takes: returns the best time;
 * *macs gets the work (a direct convolution's multiply-adds). */
double
time_conv_path (const float *x, int c, int h, int w, int n, int k, int reps,
                int threads, int winograd, double *macs)
{
  CfmBank bank;
  CfmError err;
  CfmConvParams p = { 1, 0, 1, CFM_PAD_ZEROS };
  CfmBand band = { x, c, h, w, 0, h, 0 };
  double best = INFINITY;
  int oh, ow, r;
  size_t i;
  float *out;

  cfm_bank_init (&bank, n, c, k, k, &err);
  for (i = 0; i < (size_t) n * c * k * k; i++)
    bank.weights[i] = (float) ((i * 7919) % 17) / 8.0f - 1.0f;
  cfm_conv2d_shape (&bank, c, h, w, &p, &oh, &ow, &err);
  out = malloc ((size_t) n * oh * ow * sizeof (float));
  for (r = 0; r < reps; r++)
    {
      double t0 = now ();

      CfmConvJob job = { .bank = &bank, .in = &band, .params = p,
                         .out_rows = oh, .conv = out,
                         .plane_stride = (size_t) oh * ow,
                         .path = CFM_PATH_AUTO, .threads = threads,
                         .winograd = winograd };

      cfm_conv2d_run (&job, NULL, &err);
      t0 = now () - t0;
      best = t0 < best ? t0 : best;
    }
  *macs = (double) n * c * k * k * oh * ow;
  free (out);
  cfm_bank_free (&bank);
  return best;
}

double
time_conv_threads (const float *x, int c, int h, int w, int n, int k,
                   int reps, int threads, double *macs)
{
  return time_conv_path (x, c, h, w, n, k, reps, threads, 0, macs);
}

double
time_conv (const float *x, int c, int h, int w, int n, int k, int reps,
           double *macs)
{
  return time_conv_threads (x, c, h, w, n, k, reps, 1, macs);
}


/* Runs the Python program CMD, which prints milliseconds; those, or -1. */
double
python_ms (const char *cmd)
{
  FILE *p = popen (cmd, "r");
  double ms = -1;

  if (p)
    {
      if (fscanf (p, "%lf", &ms) != 1)
        ms = -1;
      pclose (p);
    }
  return ms;
}

/* OpenCV's filter2D four times, 1 thread, through python3-opencv. */
static double
time_opencv (const float *gray)
{
  char npy[] = "/tmp/cfm-bench-XXXXXX";
  int fd = mkstemp (npy);
  char cmd[8192], header[128];
  FILE *f;
  double ms = -1;
  int hl;

  if (fd < 0)
    return -1;
  f = fdopen (fd, "wb");
  hl = snprintf (header, sizeof header, "{'descr': '<f4', 'fortran_order': "
                 "False, 'shape': (%d, %d), }", H, W);
  while ((10 + hl + 1) % 64)
    header[hl++] = ' ';
  header[hl++] = '\n';
  fwrite ("\x93NUMPY\x01\x00", 1, 8, f);
  fputc (hl & 0xff, f);
  fputc (hl >> 8, f);
  fwrite (header, 1, hl, f);
  fwrite (gray, sizeof (float), (size_t) W * H, f);
  fclose (f);
  snprintf (cmd, sizeof cmd,
            "/usr/bin/python3 -c '\n"
            "import time, numpy as np, cv2\n"
            "cv2.setNumThreads(1)\n"
            "x = np.load(\"%s\")\n"
            "k = np.array([[-1, -1, 1, 1]] * 4, np.float32)\n"
            "ks = [k, -k, k.T.copy(), -k.T]\n"
            "best = 1e9\n"
            "for r in range(5):\n"
            "    t = time.perf_counter()\n"
            "    for kk in ks: cv2.filter2D(x, cv2.CV_32F, kk)\n"
            "    best = min(best, time.perf_counter() - t)\n"
            "print(best * 1000)' 2>/dev/null", npy);
  ms = python_ms (cmd);
  unlink (npy);
  return ms < 0 ? -1 : ms / 1000.0;
}

/* GEGL's gegl:convolution-matrix four times on an RGBA float image, as
 * GIMP 3 runs Convolution Matrix, on 1 thread. */
static double
time_gegl (const float *gray)
{
#ifdef HAVE_GEGL
  GeglRectangle rect = { 0, 0, W, H };
  GeglBuffer *src, *dst;
  GeglNode *graph, *in, *op, *out;
  float *rgba = malloc ((size_t) W * H * 4 * sizeof (float));
  double best = INFINITY;
  static const char *const names[] = { "a", "b", "c", "d", "e" };
  size_t i;
  int r, k, y, x;

  for (i = 0; i < (size_t) W * H; i++)
    {
      rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = gray[i];
      rgba[i * 4 + 3] = 1.0f;
    }
  g_object_set (gegl_config (), "threads", 1, NULL);
  src = gegl_buffer_new (&rect, babl_format ("RGBA float"));
  dst = gegl_buffer_new (&rect, babl_format ("RGBA float"));
  gegl_buffer_set (src, &rect, 0, babl_format ("RGBA float"), rgba,
                   GEGL_AUTO_ROWSTRIDE);
  for (r = 0; r < 3; r++)
    {
      double t0 = now ();

      for (k = 0; k < 4; k++)
        {
          graph = gegl_node_new ();
          in = gegl_node_new_child (graph, "operation", "gegl:buffer-source",
                                    "buffer", src, NULL);
          op = gegl_node_new_child (graph, "operation",
                                    "gegl:convolution-matrix", "divisor",
                                    1.0, "normalize", FALSE, NULL);
          for (y = 0; y < 5; y++)
            for (x = 0; x < 5; x++)
              {
                char prop[4];
                double v = y < 4 && x < 4 ? (x < 2 ? -1.0 : 1.0) : 0.0;

                snprintf (prop, sizeof prop, "%s%d", names[x], y + 1);
                gegl_node_set (op, prop, k % 2 ? -v : v, NULL);
              }
          out = gegl_node_new_child (graph, "operation", "gegl:write-buffer",
                                     "buffer", dst, NULL);
          gegl_node_link_many (in, op, out, NULL);
          gegl_node_process (out);
          g_object_unref (graph);
        }
      t0 = now () - t0;
      best = t0 < best ? t0 : best;
    }
  g_object_unref (src);
  g_object_unref (dst);
  free (rgba);
  return best;
#else
  (void) gray;
  return -1;
#endif
}

static void
row (const char *what, double seconds, double opencv)
{
  if (seconds < 0)
    {
      printf ("| %-52s | %10s | %14s |\n", what, "n/a", "");
      return;
    }
  if (opencv > 0)
    printf ("| %-52s | %8.1f ms | %11.2fx |\n", what, seconds * 1e3,
            opencv / seconds);
  else
    printf ("| %-52s | %8.1f ms | %14s |\n", what, seconds * 1e3, "");
}

/* Part 3, through tests/bench/gimp_e2e.py, for each GIMP it finds:
 * CFM_SOURCE_ROOT and CFM_BUILD_ROOT name the tree and this build, and
 * CFM_GIMP3_BUILD and CFM_GIMP3_ROOT a GIMP 3 build in its Debian 13 root. */
static void
gimp_end_to_end (void)
{
  const char *src = getenv ("CFM_SOURCE_ROOT"), *build = getenv ("CFM_BUILD_ROOT");
  const char *b3 = getenv ("CFM_GIMP3_BUILD"), *r3 = getenv ("CFM_GIMP3_ROOT");
  char cmd[8192], line[512];
  FILE *p;
  int rows = 0;

  if (src == NULL || build == NULL)
    {
      printf ("5. End to end in GIMP: skipped (run through meson, which sets "
              "CFM_SOURCE_ROOT and CFM_BUILD_ROOT)\n");
      return;
    }
  snprintf (cmd, sizeof cmd, "/usr/bin/python3 %s/tests/bench/gimp_e2e.py "
            "--gimp2-build %s%s%s%s%s 2>/dev/null", src, build,
            b3 && r3 ? " --gimp3-build " : "", b3 && r3 ? b3 : "",
            b3 && r3 ? " --gimp3-root " : "", b3 && r3 ? r3 : "");
  printf ("5. End to end in GIMP, 4000x3000 photo, tutorial settings "
          "(12 layers), without start-up and loading\n\n");
  printf ("| %-9s | %14s | %26s | %8s | %17s | %17s |\n", "", "plug-in",
          "Convolution Matrix x4", "ratio", "plug-in peak mem",
          "100 MP peak mem");
  printf ("|-----------|----------------|----------------------------|"
          "----------|-------------------|-------------------|\n");
  fflush (stdout);
  p = popen (cmd, "r");
  while (p && fgets (line, sizeof line, p))
    {
      char gimp[32];
      double tp, tc;
      char mem[32], mem100[32];

      if (sscanf (line, "e2e|%31[^|]|%lf|%lf|%31[^|]|%31s", gimp, &tp, &tc,
                  mem, mem100) != 5)
        continue;
      printf ("| %-9s | %12.2f s | %24.2f s | %7.2fx | %14s MB | %14s MB |\n",
              gimp, tp, tc, tc / tp, mem, mem100);
      rows++;
    }
  if (p)
    pclose (p);
  if (rows == 0)
    printf ("| (no GIMP found) | | | | | |\n");
  printf ("\n");
}

int
main (int argc, char **argv)
{
  const char *fixtures = getenv ("CFM_FIXTURES");
  CfmPath best = cfm_path_resolve (CFM_PATH_AUTO);
  double t1, tn, tref, tcv, tgegl, peak;
  long cpus = sysconf (_SC_NPROCESSORS_ONLN);
  float *gray, *rgb;
  int sizes[] = { 3, 5, 7, 11 }, i;
  char line[256];

  if (fixtures == NULL)
    fixtures = "tests/fixtures";
  gray = photo_luma (fixtures, W, H, 1);
#ifdef HAVE_GEGL
  gegl_init (&argc, &argv);
#else
  (void) argc;
  (void) argv;
#endif

  printf ("Machine: %ld processors, vector path %s\n\n", cpus,
          cfm_path_name (best));
  printf ("1. Tutorial pipeline (4 filters 4x4, ReLU, max-pool 2/2), "
          "4000x3000 gray\n\n");
  printf ("| %-52s | %11s | %14s |\n", "", "time", "vs OpenCV");
  printf ("|%s|%s|%s|\n", "------------------------------------------------------",
          "-------------", "----------------");
  t1 = time_pipeline (gray, CFM_PATH_AUTO, 1, 7);
  tn = time_pipeline (gray, CFM_PATH_AUTO, 0, 7);
  tref = time_pipeline (gray, CFM_PATH_REFERENCE, 1, 3);
  tcv = time_opencv (gray);
  tgegl = time_gegl (gray);
  row ("OpenCV filter2D x4, 1 thread (conv only)", tcv, tcv);
  row ("GEGL gegl:convolution-matrix x4, 1 thread (conv only)", tgegl, tcv);
  row ("core reference path, 1 thread (conv+ReLU+pool)", tref, tcv);
  snprintf (line, sizeof line, "core %s, 1 thread (conv+ReLU+pool)",
            cfm_path_name (best));
  row (line, t1, tcv);
  snprintf (line, sizeof line, "core %s, %ld threads (conv+ReLU+pool)",
            cfm_path_name (best), cpus);
  row (line, tn, tcv);
  snprintf (line, sizeof line, "graph engine (the plug-in's), %ld threads, "
            "bands of 64", cpus);
  row (line, time_bank_graph (gray, 64, 7), tcv);
  printf ("\nAll threads vs 1 thread: %.2fx\n\n", t1 / tn);

  peak = bench_fma_peak (best);
  printf ("2. Conv alone, 1 thread, %s path; FMA peak of one core measured "
          "here: %.1f GMAC/s\n\n", cfm_path_name (best), peak / 1e9);
  printf ("| %-36s | %10s | %8s | %8s |\n", "", "time", "GMAC/s", "of peak");
  printf ("|--------------------------------------|------------|----------|----------|\n");
  for (i = 0; i < 4; i++)
    {
      double macs, t = time_conv (gray, 1, H, W, 4, sizes[i], 3, &macs);

      snprintf (line, sizeof line, "4 filters %dx%d, 4000x3000 gray",
                sizes[i], sizes[i]);
      printf ("| %-36s | %7.1f ms | %8.2f | %7.1f%% |\n", line, t * 1e3,
              macs / t / 1e9, peak > 0 ? 100 * macs / t / peak : 0);
    }
  rgb = photo_luma (fixtures, 1024, 1024, 3);
  {
    double macs, t = time_conv (rgb, 3, 1024, 1024, 64, 7, 3, &macs);

    printf ("| %-36s | %7.1f ms | %8.2f | %7.1f%% |\n",
            "64 filters 3x7x7, 1024x1024 RGB", t * 1e3, macs / t / 1e9,
            peak > 0 ? 100 * macs / t / peak : 0);
  }
  printf ("\n");
  fflush (stdout);
  free (gray);
  free (rgb);
  vgg_layer_table (peak, cpus);
  fflush (stdout);
  if (getenv ("CFM_BENCH_CHAIN") == NULL || strcmp (getenv ("CFM_BENCH_CHAIN"), "no"))
    vgg_chain_table (cpus);
  fflush (stdout);
  gimp_end_to_end ();
  return 0;
}
