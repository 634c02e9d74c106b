/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench_networks.c: the benchmark's trained-network tables: VGG-16's
 * second layer, and its chain to the third block in bands, against PyTorch
 * and onnxruntime in the same run (its API: bench.h). */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfm_network.h"
#include "cfm_npy.h"
#include "bench.h"

/* PyTorch's conv2d of 64 to 64 channels 3x3 (no padding) on 1024x1024, on
 * THREADS threads, through Debian's python3-torch; seconds, or -1. */
static double
time_torch_conv64 (int threads)
{
  char cmd[2048];
  double ms = -1;

  snprintf (cmd, sizeof cmd,
            "/usr/bin/python3 -c '\n"
            "import time, torch\n"
            "torch.set_num_threads(%d)\n"
            "x = torch.rand(1, 64, 1024, 1024)\n"
            "w = torch.rand(64, 64, 3, 3) - 0.5\n"
            "best = 1e9\n"
            "with torch.no_grad():\n"
            "    for r in range(3):\n"
            "        t = time.perf_counter()\n"
            "        torch.nn.functional.conv2d(x, w)\n"
            "        best = min(best, time.perf_counter() - t)\n"
            "print(best * 1000)' 2>/dev/null", threads);
  ms = python_ms (cmd);
  return ms < 0 ? -1 : ms / 1000.0;
}

/* The ONNX file PyTorch exports from the Python expression MODEL (an
 * nn.Module) taking C channels, into ONNX (a path of at least 32 bytes):
 * 1, or 0 when onnxruntime-node is not installed ($CFM_ORT_MODULES). */
static int
export_onnx (const char *model, int c, char *onnx)
{
  char cmd[4096];
  int fd;

  strcpy (onnx, "/tmp/cfm-bench-ort-XXXXXX");
  if (getenv ("CFM_ORT_MODULES") == NULL || getenv ("CFM_SOURCE_ROOT") == NULL
      || (fd = mkstemp (onnx)) < 0)
    return 0;
  close (fd);
  snprintf (cmd, sizeof cmd,
            "/usr/bin/python3 -c '\n"
            "import torch, torch.nn as nn\n"
            "m = %s\n"
            "torch.onnx.export(m.eval(), torch.zeros(1, %d, 32, 32), \"%s\",\n"
            "    opset_version=13, input_names=[\"input\"],\n"
            "    dynamic_axes={\"input\": {2: \"h\", 3: \"w\"}})\n"
            "print(0)' 2>/dev/null", model, c, onnx);
  if (python_ms (cmd) < 0)
    {
      unlink (onnx);
      return 0;
    }
  return 1;
}

/* onnxruntime's time for the model in ONNX on C x H x W, THREADS threads
 * (the best of three runs): seconds, or -1. */
static double
time_onnx_file (const char *onnx, int c, int h, int w, int threads)
{
  char cmd[4096];
  double ms;

  snprintf (cmd, sizeof cmd, "NODE_PATH=%s node %s/tests/bench/ort_time.js "
            "%s %d %d %d %d 2>/dev/null", getenv ("CFM_ORT_MODULES"),
            getenv ("CFM_SOURCE_ROOT"), onnx, c, h, w, threads);
  ms = python_ms (cmd);
  return ms < 0 ? -1 : ms / 1000.0;
}

/* onnxruntime's time for a model PyTorch exports from the Python
 * expression MODEL, on C x H x W, THREADS threads: seconds, or -1 when
 * onnxruntime-node is not installed. */
static double
time_onnxruntime (const char *model, int c, int h, int w, int threads)
{
  char onnx[64];
  double t;

  if (!export_onnx (model, c, onnx))
    return -1;
  t = time_onnx_file (onnx, c, h, w, threads);
  unlink (onnx);
  return t;
}

/* One row of table 3: LABEL's time T for MACS multiply-adds, the share of
 * PEAK its own multiply-adds (MACS x SHARE) take, and T against PyTorch's
 * (P) and onnxruntime's (O) times; figures that are missing (< 0) or do
 * not apply (SHARE 0, P or O 0) are left blank. */
static void
layer_row (const char *label, double t, double macs, double share,
           double peak, double p, double o)
{
  char of_peak[16] = "", vs_p[16] = "", vs_o[16] = "";

  if (share > 0 && peak > 0)
    snprintf (of_peak, sizeof of_peak, "%.1f%%", 100 * macs * share / t
                                                 / peak);
  if (p > 0)
    snprintf (vs_p, sizeof vs_p, "%.2fx", p / t);
  if (o > 0)
    snprintf (vs_o, sizeof vs_o, "%.2fx", o / t);
  printf ("| %-32s | %7.1f ms | %8.2f | %8s | %10s | %10s |\n", label,
          t * 1e3, t > 0 ? macs / t / 1e9 : 0, of_peak, vs_p, vs_o);
}

/* The 64-to-64-channel 3x3 convolution of VGG-16's second layer on
 * 1024x1024, direct and by the Winograd path (which does 4/9 of the
 * multiply-adds: 16 for a 2x2 block instead of 36), against PyTorch and
 * onnxruntime on one thread and on all. */
void
vgg_layer_table (double peak, long cpus)
{
  size_t n = (size_t) 64 * 1024 * 1024, i;
  float *x = malloc (n * sizeof (float));
  double macs, t1, tn, w1, wn, p1, pn, o1, on;
  char label[64];

  for (i = 0; i < n; i++)
    x[i] = (float) ((i * 2654435761u) % 1000) / 1000.0f;
  t1 = time_conv_path (x, 64, 1024, 1024, 64, 3, 3, 1, 0, &macs);
  w1 = time_conv_path (x, 64, 1024, 1024, 64, 3, 3, 1, 1, &macs);
  tn = time_conv_path (x, 64, 1024, 1024, 64, 3, 3, 0, 0, &macs);
  wn = time_conv_path (x, 64, 1024, 1024, 64, 3, 3, 0, 1, &macs);
  free (x);
  p1 = time_torch_conv64 (1);
  pn = time_torch_conv64 ((int) cpus);
  o1 = time_onnxruntime ("nn.Conv2d(64, 64, 3)", 64, 1024, 1024, 1);
  on = time_onnxruntime ("nn.Conv2d(64, 64, 3)", 64, 1024, 1024, (int) cpus);
  printf ("3. VGG-16's second layer: 64 to 64 channels 3x3 on 1024x1024 "
          "(%.2f GMAC; GMAC/s: a direct convolution's multiply-adds per "
          "second; of peak: the share of one core's FMA peak its own "
          "multiply-adds take, 4/9 of them by Winograd's F(2x2, 3x3))\n\n",
          macs / 1e9);
  printf ("| %-32s | %10s | %8s | %8s | %10s | %10s |\n", "", "time",
          "GMAC/s", "of peak", "vs PyTorch", "vs onnxrt");
  printf ("|----------------------------------|------------|----------|"
          "----------|------------|------------|\n");
  layer_row ("core direct, 1 thread", t1, macs, 1, peak, p1, o1);
  layer_row ("core Winograd, 1 thread", w1, macs, 4.0 / 9, peak, p1, o1);
  layer_row ("PyTorch 1 thread", p1, macs, 0, 0, 0, 0);
  layer_row ("onnxruntime 1 thread", o1, macs, 0, 0, 0, 0);
  snprintf (label, sizeof label, "core direct, %ld threads", cpus);
  layer_row (label, tn, macs, 0, 0, pn, on);
  snprintf (label, sizeof label, "core Winograd, %ld threads", cpus);
  layer_row (label, wn, macs, 0, 0, pn, on);
  snprintf (label, sizeof label, "PyTorch %ld threads", cpus);
  layer_row (label, pn, macs, 0, 0, 0, 0);
  snprintf (label, sizeof label, "onnxruntime %ld threads", cpus);
  layer_row (label, on, macs, 0, 0, 0, 0);
  printf ("\nThe core's direct path against onnxruntime: %.2fx on 1 thread, "
          "%.2fx on %ld; the Winograd path: %.2fx and %.2fx%s\n\n",
          o1 > 0 ? o1 / t1 : 0, on > 0 ? on / tn : 0, cpus,
          o1 > 0 ? o1 / w1 : 0, on > 0 ? on / wn : 0,
          o1 > 0 && on > 0 ? "" : " (-1 ms: onnxruntime-node is not "
                                  "installed)");
}

/* VGG-16 to its third block, as print(model) writes it. */
static const char vgg_text[] =
  "Sequential(\n"
  "  (0): Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
  "  (1): ReLU(inplace=True)\n"
  "  (2): Conv2d(64, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
  "  (3): ReLU(inplace=True)\n"
  "  (4): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
  "  (5): Conv2d(64, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
  "  (6): ReLU(inplace=True)\n"
  "  (7): Conv2d(128, 128, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
  "  (8): ReLU(inplace=True)\n"
  "  (9): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
  "  (10): Conv2d(128, 256, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
  "  (11): ReLU(inplace=True)\n"
  "  (12): Conv2d(256, 256, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
  "  (13): ReLU(inplace=True)\n"
  "  (14): Conv2d(256, 256, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
  "  (15): ReLU(inplace=True)\n"
  "  (16): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
  ")\n";

/* The VGG chain with made-up weights (WEIGHTS keeps them). */
static int
vgg_chain (CfmNetwork *net, CfmTensorSet *weights)
{
  CfmError err;
  int i;

  memset (weights, 0, sizeof *weights);
  if (cfm_network_parse (vgg_text, net, &err) != CFM_OK)
    return 0;
  for (i = 0; i < net->n; i++)
    {
      const CfmModule *m = &net->modules[i];
      int64_t wshape[4] = { m->out_c, m->in_c, 3, 3 }, bshape[1] = { m->out_c };
      char name[CFM_NETWORK_NAME_MAX + 16];
      float *w, *b;
      size_t k, n = (size_t) m->out_c * m->in_c * 9;

      if (m->kind != CFM_MODULE_CONV)
        continue;
      snprintf (name, sizeof name, "%s.weight", m->name);
      cfm_tensors_add (weights, name, strlen (name), 4, wshape, &w, &err);
      for (k = 0; k < n; k++)
        w[k] = ((float) ((k * 2654435761u) % 1000) / 1000.0f - 0.5f)
               / (float) (m->in_c * 3);
      snprintf (name, sizeof name, "%s.bias", m->name);
      cfm_tensors_add (weights, name, strlen (name), 1, bshape, &b, &err);
      for (k = 0; k < (size_t) m->out_c; k++)
        b[k] = 0.01f;
    }
  return cfm_network_bind (net, weights, &err) == CFM_OK;
}

typedef struct
{
  int w;
} ChainInput;

/* Made-up input rows, the same for every band that reads them. */
static CfmStatus
chain_rows (void *data, int row0, int rows, float *dst, CfmError *err)
{
  const ChainInput *in = data;
  size_t n = (size_t) rows * in->w, i;
  int ch;

  (void) err;
  for (ch = 0; ch < 3; ch++)
    for (i = 0; i < n; i++)
      dst[ch * n + i] = (float) (((size_t) row0 * in->w + i + ch) % 251)
                        / 251.0f;
  return CFM_OK;
}

static CfmStatus
chain_sink (void *data, int module, const float *out, int c, int h, int w,
            int row0, int rows, CfmError *err)
{
  (void) data; (void) module; (void) c; (void) h; (void) w; (void) row0;
  (void) err;
  sink = out[0];
  (void) rows;
  return CFM_OK;
}

/* Rows of the chain's last output per band: 32 rows of the first layer's,
 * whose bands share their rows with the next (computed once). */
#define CHAIN_BAND_ROWS 4

/* The VGG chain on W x H in bands of CHAIN_BAND_ROWS of its last rows,
 * by the Winograd path where WINOGRAD is set, else direct: seconds, and
 * in a child process of its own the whole process's peak memory in MB. */
static double
time_chain_path (int w, int h, int threads, int winograd, long *peak_mb)
{
  CfmNetwork net;
  CfmTensorSet weights;
  ChainInput in = { w };
  CfmError err;
  double t = -1;
  int fds[2];
  pid_t pid;
  char env[16];

  *peak_mb = -1;
  if (pipe (fds) != 0)
    return -1;
  pid = fork ();
  if (pid == 0)
    {
      long kb = -1;
      double t0;
      char line[256];
      FILE *status;

      snprintf (env, sizeof env, "%d", threads);
      setenv ("CFM_THREADS", env, 1);
      if (!winograd)
        setenv ("CFM_WINOGRAD", "never", 1);
      if (vgg_chain (&net, &weights))
        {
          int last = net.n - 1, run;

          /* the best of two runs, as PyTorch's below (onnxruntime's: of
           * three) */
          for (run = 0; run < 2; run++)
            {
              t0 = now ();
              if (cfm_network_forward_bands (&net, &last, 1, 3, h, w,
                                             CHAIN_BAND_ROWS, chain_rows,
                                             &in, chain_sink, NULL, &err)
                  != CFM_OK)
                break;
              t0 = now () - t0;
              t = t < 0 || t0 < t ? t0 : t;
            }
        }
      status = fopen ("/proc/self/status", "r");
      while (status && fgets (line, sizeof line, status))
        if (strncmp (line, "VmHWM:", 6) == 0)
          kb = strtol (line + 6, NULL, 10);
      if (status)
        fclose (status);
      dprintf (fds[1], "%f %ld\n", t, kb);
      _exit (0);
    }
  close (fds[1]);
  {
    FILE *f = fdopen (fds[0], "r");
    long kb = -1;

    if (f && fscanf (f, "%lf %ld", &t, &kb) == 2)
      *peak_mb = kb / 1024;
    if (f)
      fclose (f);
  }
  waitpid (pid, NULL, 0);
  return t;
}

/* The chain as the core runs a network (3x3 convolutions of many
 * channels by the Winograd path). */
static double
time_chain (int w, int h, int threads, long *peak_mb)
{
  return time_chain_path (w, h, threads, 1, peak_mb);
}

/* PyTorch's run of the same chain on W x H, THREADS threads: seconds. */
static double
time_torch_chain (int w, int h, int threads)
{
  char cmd[4096];
  double ms = -1;

  snprintf (cmd, sizeof cmd,
            "/usr/bin/python3 -c '\n"
            "import time, torch, torch.nn as nn\n"
            "torch.set_num_threads(%d)\n"
            "L = []\n"
            "c = 3\n"
            "for v in [64, 64, \"M\", 128, 128, \"M\", 256, 256, 256, \"M\"]:\n"
            "    if v == \"M\": L.append(nn.MaxPool2d(2, 2))\n"
            "    else: L += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(True)]; c = v\n"
            "m = nn.Sequential(*L).eval()\n"
            "x = torch.rand(1, 3, %d, %d)\n"
            "best = 1e9\n"
            "with torch.no_grad():\n"
            "    for r in range(2):\n"
            "        t = time.perf_counter(); m(x)\n"
            "        best = min(best, time.perf_counter() - t)\n"
            "print(best * 1000)' 2>/dev/null", threads, h, w);
  ms = python_ms (cmd);
  return ms < 0 ? -1 : ms / 1000.0;
}

/* VGG-16 to its third block on a 2-megapixel photo against PyTorch, and
 * the memory of the banded run at 2 and at 12 megapixels. */
/* Keeps the smaller of *BEST and T (T < 0: none). */
static void
keep_best (double *best, double t)
{
  if (t >= 0 && (*best < 0 || t < *best))
    *best = t;
}

/* One row of table 4: LABEL's time T against PyTorch's P and
 * onnxruntime's O (blank where 0 or missing). */
static void
chain_row (const char *label, double t, double p, double o)
{
  char vs_p[16] = "", vs_o[16] = "";

  if (p > 0)
    snprintf (vs_p, sizeof vs_p, "%.2fx", p / t);
  if (o > 0)
    snprintf (vs_o, sizeof vs_o, "%.2fx", o / t);
  printf ("| %-30s | %8.2f s | %10s | %10s |\n", label, t, vs_p, vs_o);
}

/* Rounds of the chain's runs: in each, the core and onnxruntime run one
 * after the other, so both meet the same moments of a shared machine (in
 * single runs the ratio between them moved from 0.65x to 0.97x); the
 * table keeps each one's best round. */
#define CHAIN_ROUNDS 3

void
vgg_chain_table (long cpus)
{
  long mem2, mem12, mem_wide, mem_n, mem_d;
  double t1 = -1, tn = -1, o1 = -1, on = -1, d1 = -1, dn = -1;
  double p1 = time_torch_chain (1632, 1224, 1);
  double pn = time_torch_chain (1632, 1224, (int) cpus);
  static const char vgg_py[] =
    "nn.Sequential(*[nn.MaxPool2d(2, 2) if v == 0 else nn.Sequential("
    "nn.Conv2d(c, v, 3, padding=1), nn.ReLU()) for c, v in [(3, 64), "
    "(64, 64), (0, 0), (64, 128), (128, 128), (0, 0), (128, 256), (256, "
    "256), (256, 256), (0, 0)]])";
  char onnx[64], label[64];
  int ort = export_onnx (vgg_py, 3, onnx), r;

  for (r = 0; r < CHAIN_ROUNDS; r++)
    {
      keep_best (&t1, time_chain (1632, 1224, 1, &mem2));
      keep_best (&d1, time_chain_path (1632, 1224, 1, 0, &mem_d));
      if (ort)
        keep_best (&o1, time_onnx_file (onnx, 3, 1224, 1632, 1));
      keep_best (&tn, time_chain (1632, 1224, (int) cpus, &mem_n));
      keep_best (&dn, time_chain_path (1632, 1224, (int) cpus, 0, &mem_d));
      if (ort)
        keep_best (&on, time_onnx_file (onnx, 3, 1224, 1632, (int) cpus));
    }
  if (ort)
    unlink (onnx);

  time_chain (4000, 3000, (int) cpus, &mem12);
  time_chain (4000, 500, (int) cpus, &mem_wide);
  printf ("4. VGG-16 to its third block (10 convolutions and pools), "
          "1632x1224 (2 MP), in bands of %d rows of its output (%d of "
          "its input); the core as it runs a network (its 3x3 "
          "convolutions of 16 channels or more by the Winograd path) and "
          "by its direct path alone; the core and onnxruntime: the best "
          "of %d rounds in turn\n\n", CHAIN_BAND_ROWS, CHAIN_BAND_ROWS * 8,
          CHAIN_ROUNDS);
  printf ("| %-30s | %10s | %10s | %10s |\n", "", "time", "vs PyTorch",
          "vs onnxrt");
  printf ("|--------------------------------|------------|------------|"
          "------------|\n");
  chain_row ("core, 1 thread", t1, p1, o1);
  chain_row ("core direct, 1 thread", d1, p1, o1);
  chain_row ("PyTorch, 1 thread", p1, 0, 0);
  chain_row ("onnxruntime, 1 thread", o1, 0, 0);
  snprintf (label, sizeof label, "core, %ld threads", cpus);
  chain_row (label, tn, pn, on);
  snprintf (label, sizeof label, "core direct, %ld threads", cpus);
  chain_row (label, dn, pn, on);
  snprintf (label, sizeof label, "PyTorch, %ld threads", cpus);
  chain_row (label, pn, 0, 0);
  snprintf (label, sizeof label, "onnxruntime, %ld threads", cpus);
  chain_row (label, on, 0, 0);
  printf ("\nThe core against onnxruntime: %.2fx on 1 thread, %.2fx on %ld "
          "(its direct path alone: %.2fx and %.2fx)\n",
          o1 > 0 ? o1 / t1 : 0, on > 0 ? on / tn : 0, cpus,
          o1 > 0 ? o1 / d1 : 0, on > 0 ? on / dn : 0);
  printf ("\nPeak memory of the whole process (banded): %ld MB at 2 MP, %ld "
          "MB at 12 MP (4000x3000), %ld MB at 2 MP as wide (4000x500)\n\n",
          mem2, mem12, mem_wide);
}

