/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_tutorial.c: the tutorial's whole pipeline on the sample photo,
 * against what PyTorch computed (tests/fixtures/make_fixtures.py). */
#include "test_util.h"

#include <stdint.h>

#include "cfm_bank.h"
#include "cfm_input.h"
#include "cfm_pipeline.h"
#include "test_pipeline.h"

/* Each map of OURS (n planes of h x w) within TOL of the range of REF. */
static void
check_maps (const char *stage, const float *ours, const CfmArray *ref,
            double tol)
{
  size_t plane = ref->shape[1] * ref->shape[2], f;

  for (f = 0; f < ref->shape[0]; f++)
    {
      double d = max_rel_diff (ours + f * plane, ref->data + f * plane,
                               plane);

      CHECK (d <= tol, "%s map %zu differs by %.3g of its range", stage,
             f + 1, d);
    }
}

int
main (void)
{
  CfmArray rgb, gray_ref, conv_ref, relu_ref, pool_ref;
  CfmPipeline pl;
  CfmBank bank;
  CfmError err;
  int h, w, i, exact = 1, bands[] = { 1, 3, 64, 100000 };
  size_t n, k;
  uint8_t *rgb8;
  float *gray;

  load_fixture ("photo_rgb.npy", &rgb);
  load_fixture ("photo_gray_u8.npy", &gray_ref);
  load_fixture ("tutorial_conv.npy", &conv_ref);
  load_fixture ("tutorial_relu.npy", &relu_ref);
  load_fixture ("tutorial_pool.npy", &pool_ref);
  h = (int) rgb.shape[0];
  w = (int) rgb.shape[1];
  n = (size_t) h * w;

  /* Step 1: OpenCV's gray conversion, bit for bit. */
  rgb8 = malloc (n * 3);
  gray = malloc (n * sizeof (float));
  for (k = 0; k < n * 3; k++)
    rgb8[k] = (uint8_t) rgb.data[k];
  cfm_luma_from_rgb8 (rgb8, 3, n, gray);
  for (k = 0; k < n; k++)
    if (gray[k] != gray_ref.data[k] / 255.0f)
      exact = 0;
  CHECK (exact, "luma differs from cv2.cvtColor (BGR2GRAY) / 255");

  /* Steps 2-3: the tutorial's bank, Conv2d, ReLU, MaxPool2d (2, 2). */
  CHECK (cfm_bank_builtin ("tutorial", &bank, &err) == CFM_OK, "%s",
         err.message);
  memset (&pl, 0, sizeof pl);
  pl.bank = &bank;
  pl.conv = (CfmConvParams) { 1, 0, 1, CFM_PAD_ZEROS };
  pl.activation = CFM_ACT_RELU;
  pl.pool_enabled = 1;
  pl.pool = (CfmPoolParams) { CFM_POOL_MAX, 2, 2, 0 };
  CHECK (cfm_pipeline_init (&pl, 1, h, w, &err) == CFM_OK, "%s",
         err.message);
  CHECK (pl.conv_h == h - 3 && pl.conv_w == w - 3, "conv size %dx%d",
         pl.conv_w, pl.conv_h);
  CHECK ((size_t) pl.conv_h == conv_ref.shape[1]
         && (size_t) pl.pool_h == pool_ref.shape[1]
         && (size_t) pl.pool_w == pool_ref.shape[2], "shapes differ");

  /* Every band height on every path the processor supports. */
  for (i = 0; i < (int) (sizeof bands / sizeof bands[0]) * 4; i++)
    {
      pl.path = (CfmPath) (CFM_PATH_REFERENCE + i / 4);
      if (!cfm_path_supported (pl.path))
        continue;
      float *conv = calloc (conv_ref.count, sizeof (float));
      float *act = calloc (relu_ref.count, sizeof (float));
      float *pool = calloc (pool_ref.count, sizeof (float));

      run_banded (&pl, gray, bands[i % 4], conv, act, pool);
      check_maps ("conv", conv, &conv_ref, 1e-5);
      check_maps ("relu", act, &relu_ref, 1e-5);
      check_maps ("pool", pool, &pool_ref, 1e-5);
      free (conv);
      free (act);
      free (pool);
    }

  free (rgb8);
  free (gray);
  cfm_bank_free (&bank);
  cfm_array_free (&rgb);
  cfm_array_free (&gray_ref);
  cfm_array_free (&conv_ref);
  cfm_array_free (&relu_ref);
  cfm_array_free (&pool_ref);
  return test_finish ("tutorial");
}
