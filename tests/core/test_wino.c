/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_wino.c: the Winograd path (a network's 3x3 convolutions of many
 * channels) against the reference path's direct sums, on every vector
 * path the processor supports: channel counts on and off the vector
 * widths, filters around the 8-filter groups, maps narrower than a
 * vector and wider than several chunks of blocks, every padding mode,
 * fused activations and the activation alone, 1 and 2 threads.  Whole
 * maps agree within 1e-5 of each map's range; bands that start and end
 * in the middle of a 2x2 block give the whole map's values bit for bit;
 * which jobs take the path. */
#include "test_util.h"

#include "cfm_conv.h"
#include "cfm_conv_wino.h"

typedef struct
{
  int n, c, h, w, pad;
  CfmPadMode mode;
  CfmActivation act;
  int threads;
} Case;

/* Output rows [R0, R0 + RN) of JOB's convolution from a band holding only
 * the input rows they need, on PATH: each filter's rows, compared with
 * WHOLE's (the same path over the whole map) bit for bit. */
static void
check_band (const CfmConvJob *whole_job, const float *x, CfmPath path,
            int r0, int rn, int oh, int ow, const float *whole,
            const float *whole_act)
{
  const CfmBand *in = whole_job->in;
  int need0, need_rows, f, ch;
  size_t plane = (size_t) rn * ow;
  float *band_x, *conv, *act;
  CfmBand band;
  CfmConvJob job = *whole_job;
  CfmError err;

  cfm_conv2d_input_rows (&job.params, 3, in->h, r0, rn, &need0, &need_rows);
  band_x = malloc ((size_t) in->c * need_rows * in->w * sizeof (float) + 4);
  conv = malloc (plane * job.bank->n * sizeof (float));
  act = malloc (plane * job.bank->n * sizeof (float));
  for (ch = 0; ch < in->c; ch++)
    memcpy (band_x + (size_t) ch * need_rows * in->w,
            x + ((size_t) ch * in->h + need0) * in->w,
            (size_t) need_rows * in->w * sizeof (float));
  band = (CfmBand) { band_x, in->c, in->h, in->w, need0, need_rows, 0 };
  job.in = &band;
  job.out_row0 = r0;
  job.out_rows = rn;
  job.conv = conv;
  job.act = act;
  job.plane_stride = plane;
  job.path = path;
  CHECK (cfm_conv2d_run (&job, NULL, &err) == CFM_OK, "%s", err.message);
  for (f = 0; f < job.bank->n; f++)
    {
      size_t at = (size_t) f * oh * ow + (size_t) r0 * ow;

      CHECK (memcmp (conv + f * plane, whole + at, plane * sizeof (float)) == 0
             && memcmp (act + f * plane, whole_act + at,
                        plane * sizeof (float)) == 0,
             "%s, rows %d..%d of %d, filter %d: not the whole map's values",
             cfm_path_name (path), r0, r0 + rn - 1, oh, f);
    }
  free (band_x);
  free (conv);
  free (act);
}

static void
check_case (CfmPath path, const Case *k)
{
  CfmConvParams p = { 1, k->pad, 1, k->mode };
  unsigned seed = 777u + (unsigned) (k->n * 131 + k->c * 17 + k->w);
  size_t nx = (size_t) k->c * k->h * k->w, plane, i;
  float *x = malloc (nx * sizeof (float));
  float *bias = malloc ((size_t) k->n * sizeof (float));
  float *ref, *ref_act, *got, *got_act, *alone;
  int oh, ow, f, r0;
  CfmBank bank;
  CfmBand in;
  CfmConvJob job;
  CfmError err;

  for (i = 0; i < nx; i++)
    x[i] = test_random (&seed);
  bank = (CfmBank) { k->n, k->c, 3, 3,
                     malloc ((size_t) k->n * k->c * 9 * sizeof (float)) };
  for (i = 0; i < (size_t) k->n * k->c * 9; i++)
    bank.weights[i] = test_random (&seed);
  for (f = 0; f < k->n; f++)
    bias[f] = test_random (&seed);
  cfm_conv2d_shape (&bank, k->c, k->h, k->w, &p, &oh, &ow, &err);
  plane = (size_t) oh * ow;
  ref = malloc (plane * k->n * sizeof (float));
  ref_act = malloc (plane * k->n * sizeof (float));
  got = malloc (plane * k->n * sizeof (float));
  got_act = malloc (plane * k->n * sizeof (float));
  alone = malloc (plane * k->n * sizeof (float));
  in = (CfmBand) { x, k->c, k->h, k->w, 0, k->h, 0 };
  job = (CfmConvJob) { .bank = &bank, .bias = bias, .in = &in, .params = p,
                       .out_rows = oh, .conv = ref, .act = ref_act,
                       .plane_stride = plane, .activation = k->act,
                       .negative_slope = 0.1f, .path = CFM_PATH_REFERENCE,
                       .threads = 1 };
  cfm_conv2d_run (&job, NULL, &err);
  job.conv = got;
  job.act = got_act;
  job.path = path;
  job.threads = k->threads;
  job.winograd = 1;
  CHECK (cfm_conv_wino_eligible (&job, ow, path), "%s, %d channels: not "
         "taken", cfm_path_name (path), k->c);
  CHECK (cfm_conv2d_run (&job, NULL, &err) == CFM_OK, "%s", err.message);
  for (f = 0; f < k->n; f++)
    {
      double dc = max_rel_diff (got + f * plane, ref + f * plane, plane);
      double da = max_rel_diff (got_act + f * plane, ref_act + f * plane,
                                plane);

      CHECK (dc <= 1e-5 && da <= 1e-5,
             "%s, %d filters x %d channels, %dx%d, pad %d mode %d, act %d, "
             "%d threads: filter %d differs by %g / %g of its range",
             cfm_path_name (path), k->n, k->c, k->h, k->w, k->pad, k->mode,
             k->act, k->threads, f + 1, dc, da);
    }
  /* the activation alone, written where the convolution's maps would be */
  job.conv = alone;
  job.act = alone;
  CHECK (cfm_conv2d_run (&job, NULL, &err) == CFM_OK, "%s", err.message);
  CHECK (memcmp (alone, got_act, plane * k->n * sizeof (float)) == 0,
         "%s: the activation alone differs", cfm_path_name (path));
  /* bands starting on odd and even rows, one row and several */
  job.conv = got;
  job.act = got_act;
  for (r0 = 0; r0 < oh; r0 += 3)
    check_band (&job, x, path, r0, r0 % 2 ? 1 : (oh - r0 < 4 ? oh - r0 : 4),
                oh, ow, got, got_act);
  free (x);
  free (bias);
  free (bank.weights);
  free (ref);
  free (ref_act);
  free (got);
  free (got_act);
  free (alone);
}

/* Which jobs the path takes. */
static void
check_eligible (CfmPath path)
{
  float w[1] = { 0 };
  CfmBank b = { 8, 16, 3, 3, w };
  CfmBand in = { w, 16, 8, 8, 0, 8, 0 };
  CfmConvJob job = { .bank = &b, .in = &in, .params = { 1, 1, 1,
                                                        CFM_PAD_ZEROS },
                     .winograd = 1 };

  CHECK (cfm_conv_wino_eligible (&job, 8, path), "16 channels 3x3");
  job.winograd = 0;
  CHECK (!cfm_conv_wino_eligible (&job, 8, path), "a bank's job");
  job.winograd = 1;
  b.c = CFM_WINO_CHANNELS_MIN - 1;
  CHECK (!cfm_conv_wino_eligible (&job, 8, path), "too few channels");
  b.c = 16;
  job.params.stride = 2;
  CHECK (!cfm_conv_wino_eligible (&job, 8, path), "stride 2");
  job.params.stride = 1;
  job.params.dilation = 2;
  CHECK (!cfm_conv_wino_eligible (&job, 8, path), "dilation 2");
  job.params.dilation = 1;
  b.kh = b.kw = 5;
  CHECK (!cfm_conv_wino_eligible (&job, 8, path), "5x5");
}

int
main (void)
{
  static const Case cases[] = {
    { 8, 16, 9, 40, 1, CFM_PAD_ZEROS, CFM_ACT_RELU, 1 },
    { 9, 17, 10, 37, 2, CFM_PAD_REFLECT, CFM_ACT_LEAKY_RELU, 2 },
    { 24, 40, 7, 101, 0, CFM_PAD_ZEROS, CFM_ACT_NONE, 1 },
    { 5, 64, 6, 3, 1, CFM_PAD_REPLICATE, CFM_ACT_ABS, 2 },
    { 16, 33, 8, 130, 1, CFM_PAD_CIRCULAR, CFM_ACT_RELU, 2 },
    { 1, 16, 5, 4, 0, CFM_PAD_ZEROS, CFM_ACT_RELU, 1 },
    { 64, 64, 12, 66, 1, CFM_PAD_ZEROS, CFM_ACT_RELU, 2 },
  };
  CfmPath path;
  int tried = 0;
  size_t i;

  for (path = CFM_PATH_PORTABLE; path <= CFM_PATH_AVX512; path++)
    {
      if (!test_path_runs (path))
        continue;
      tried++;
      check_eligible (path);
      for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case (path, &cases[i]);
    }
  CHECK (tried >= 1, "no vector path");
  return test_finish ("wino");
}
