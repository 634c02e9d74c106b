/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_paths.c: every convolution path the processor supports against the
 * reference path, on inputs wide enough for the vector kernels: all
 * padding modes, dilations, filter counts around the kernels' filter
 * blocks, 1 and 3 channels, and channels enough for the kernel to sum
 * them in several passes (with a last, shorter one), a kernel taller than
 * a bank's (a trained model's), fused activations, 1 and several
 * threads.
 * Agreement within 1e-6 of each map's range. */
#include "test_util.h"

#include "cfm_conv.h"

/* Pooling done inside the convolution (max 2/2, average 3/3, for every
 * row but the first window) against pooling the reference activation. */
static void
check_pooled (CfmPath path, const CfmBank *bank, const float *bias,
              const CfmBand *in, const CfmConvParams *p, int oh, int ow,
              const float *ref_act, CfmActivation act, int threads)
{
  static const CfmPoolParams pools[] = { { CFM_POOL_MAX, 2, 2, 0 },
                                         { CFM_POOL_AVG, 3, 3, 0 } };
  size_t plane = (size_t) oh * ow;
  float *conv = malloc (plane * bank->n * sizeof (float));
  float *got_act = malloc (plane * bank->n * sizeof (float));
  int i, f, pooled, ph, pw;
  CfmError err;

  for (i = 0; i < 2; i++)
    {
      const CfmPoolParams *pp = &pools[i];
      CfmPoolTarget t;
      float *want, *got;

      cfm_pool2d_output_size (oh, pp, &ph, &err);
      cfm_pool2d_output_size (ow, pp, &pw, &err);
      want = malloc ((size_t) ph * pw * sizeof (float));
      got = calloc ((size_t) ph * pw * bank->n, sizeof (float));
      t = (CfmPoolTarget) { pp, oh, ow, 1, ph - 1, pw, got,
                            (size_t) (ph - 1) * pw };
      CfmConvJob job = { .bank = bank, .bias = bias, .in = in,
                         .params = *p, .out_rows = oh, .conv = conv,
                         .act = got_act, .plane_stride = plane,
                         .activation = act, .negative_slope = 0.1f,
                         .pool = &t, .path = path, .threads = threads };

      CHECK (cfm_conv2d_run (&job, &pooled, &err) == CFM_OK && pooled,
             "%s: not pooled", cfm_path_name (path));
      for (f = 0; f < bank->n; f++)
        {
          double d;

          cfm_pool2d_forward (pp, ref_act + f * plane, oh, ow, 0, oh, 1,
                              ph - 1, want, &err);
          d = max_rel_diff (got + f * t.plane_stride, want, t.plane_stride);
          CHECK (d <= 1e-6, "%s, %d filters, pool %d/%d, %d threads: "
                 "filter %d differs by %.3g", cfm_path_name (path), bank->n,
                 pp->size, pp->stride, threads, f + 1, d);
        }
      free (want);
      free (got);
    }
  free (conv);
  free (got_act);
}

static void
check_case (CfmPath path, int n, int c, int k, CfmPadMode mode, int pad,
            int dil, CfmActivation act, int threads)
{
  int h = 23, w = 150, oh, ow, f;
  CfmConvParams p = { 1, pad, dil, mode };
  CfmBank bank;
  CfmError err;
  unsigned seed = 12345u + (unsigned) (n * 31 + k * 7 + pad);
  size_t nx = (size_t) c * h * w, i, plane;
  float *x = malloc (nx * sizeof (float)), *bias = malloc (n * sizeof (float));
  float *ref, *ref_act, *got, *got_act;
  CfmBand in;
  CfmConvJob job;

  for (i = 0; i < nx; i++)
    x[i] = test_random (&seed);
  cfm_bank_init (&bank, n, c, k, k, &err);
  for (i = 0; i < (size_t) n * c * k * k; i++)
    bank.weights[i] = test_random (&seed);
  for (f = 0; f < n; f++)
    bias[f] = test_random (&seed);
  if (cfm_conv2d_shape (&bank, c, h, w, &p, &oh, &ow, &err) != CFM_OK)
    {
      CHECK (0, "%s", err.message);
      return;
    }
  plane = (size_t) oh * ow;
  ref = malloc (plane * n * sizeof (float));
  ref_act = malloc (plane * n * sizeof (float));
  got = malloc (plane * n * sizeof (float));
  got_act = malloc (plane * n * sizeof (float));
  in = (CfmBand) { x, c, h, w, 0, h, 0 };
  job = (CfmConvJob) { .bank = &bank, .bias = bias, .in = &in, .params = p,
                       .out_rows = oh, .conv = ref, .act = ref_act,
                       .plane_stride = plane, .activation = act,
                       .negative_slope = 0.1f, .path = CFM_PATH_REFERENCE,
                       .threads = 1 };
  cfm_conv2d_run (&job, NULL, &err);
  job.conv = got;
  job.act = got_act;
  job.path = path;
  job.threads = threads;
  CHECK (cfm_conv2d_run (&job, NULL, &err) == CFM_OK, "%s", err.message);
  for (f = 0; f < n; f++)
    {
      double dc = max_rel_diff (got + f * plane, ref + f * plane, plane);
      double da = max_rel_diff (got_act + f * plane, ref_act + f * plane,
                                plane);

      CHECK (dc <= 1e-6 && da <= 1e-6,
             "%s, %d filters x %d channels, %dx%d, %s pad %d, dilation %d, "
             "act %d, %d threads: filter %d differs by %.3g / %.3g",
             cfm_path_name (path), n, c, k, k,
             mode == CFM_PAD_ZEROS ? "zeros" : mode == CFM_PAD_REFLECT
             ? "reflect" : mode == CFM_PAD_REPLICATE ? "replicate"
             : "circular", pad, dil, act, threads, f + 1, dc, da);
    }
  check_pooled (path, &bank, bias, &in, &p, oh, ow, ref_act, act, threads);
  free (x);
  free (bias);
  free (ref);
  free (ref_act);
  free (got);
  free (got_act);
  cfm_bank_free (&bank);
}

/* A kernel taller than any bank may be (a trained model's, which the
 * network readers allow), of few channels so the vector path takes it,
 * against the reference path. */
static void
check_tall_kernel (CfmPath path)
{
  enum { N = 5, C = 2, KH = 41, KW = 3, H = 60, W = 70 };
  static float x[C * H * W], weights[N * C * KH * KW];
  float *ref, *got;
  CfmBank bank = { N, C, KH, KW, weights };
  CfmBand in = { x, C, H, W, 0, H, 0 };
  CfmConvParams p = { 1, 20, 1, CFM_PAD_REFLECT };
  unsigned seed = 777u;
  int oh, ow, f;
  size_t i;
  CfmError err;
  CfmConvJob job;

  for (i = 0; i < sizeof x / sizeof x[0]; i++)
    x[i] = test_random (&seed);
  for (i = 0; i < sizeof weights / sizeof weights[0]; i++)
    weights[i] = test_random (&seed);
  cfm_conv2d_shape (&bank, C, H, W, &p, &oh, &ow, &err);
  ref = malloc ((size_t) N * oh * ow * sizeof (float));
  got = malloc ((size_t) N * oh * ow * sizeof (float));
  job = (CfmConvJob) { .bank = &bank, .in = &in, .params = p,
                       .out_rows = oh, .conv = ref,
                       .plane_stride = (size_t) oh * ow,
                       .path = CFM_PATH_REFERENCE, .threads = 1 };
  cfm_conv2d_run (&job, NULL, &err);
  job.conv = got;
  job.path = path;
  job.threads = 2;
  CHECK (cfm_conv2d_run (&job, NULL, &err) == CFM_OK, "%s", err.message);
  for (f = 0; f < N; f++)
    CHECK (max_rel_diff (got + (size_t) f * oh * ow, ref + (size_t) f * oh * ow,
                         (size_t) oh * ow) <= 1e-6,
           "%s, a %dx%d kernel: filter %d differs", cfm_path_name (path), KH,
           KW, f + 1);
  free (ref);
  free (got);
}

int
main (void)
{
  static const int filters[] = { 1, 3, 4, 5, 8, 9, 16, 64 };
  static const int deep[][3] = { /* filters, channels, kernel side */
    { 8, 17, 3 }, { 9, 40, 5 }, { 16, 64, 3 }, { 24, 33, 1 }, { 5, 64, 7 } };
  CfmPath path;
  int tried = 0, fi, k, mode;

  for (path = CFM_PATH_PORTABLE; path <= CFM_PATH_AVX512; path++)
    {
      if (!test_path_runs (path))
        continue;
      tried++;
      for (fi = 0; fi < (int) (sizeof filters / sizeof filters[0]); fi++)
        for (k = 1; k <= 7; k += 2)
          for (mode = 0; mode < 4; mode++)
            check_case (path, filters[fi], filters[fi] % 2 ? 3 : 1,
                        k + (fi % 2), (CfmPadMode) mode, mode == 0 ? 0 : 2,
                        1 + (k == 3), (CfmActivation) (1 + (fi + mode) % 3),
                        1 + (fi % 3));
      for (fi = 0; fi < (int) (sizeof deep / sizeof deep[0]); fi++)
        check_case (path, deep[fi][0], deep[fi][1], deep[fi][2],
                    (CfmPadMode) (fi % 4), fi % 4 == 0 ? 0 : 2, 1 + fi % 2,
                    (CfmActivation) (1 + fi % 3), 1 + fi % 2);
      check_tall_kernel (path);
    }
  CHECK (tried >= 1, "no vector path");
  return test_finish ("paths");
}
