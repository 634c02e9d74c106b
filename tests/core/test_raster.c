/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_raster.c: map rows to layer pixels (cfm_raster), where maps lie
 * (cfm_pipeline_place, cfm_pipeline_dropped) and the parallel-for, each
 * against arithmetic done here from the definitions. */
#include "test_util.h"

#include <pthread.h>

#include "cfm_colormap.h"
#include "cfm_parallel.h"
#include "cfm_pipeline.h"
#include "cfm_raster.h"

#define W 5
#define ROWS 3

/* Values at the centres of gray levels over [-1, 3]: level k at
 * -1 + 4 k / 255, so round (255 t) is k without doubt. */
static void
level_values (float *v, int *level)
{
  int i;

  for (i = 0; i < W * ROWS; i++)
    {
      level[i] = (i * 37) % 256;
      v[i] = (float) (-1.0 + 4.0 * level[i] / 255.0);
    }
}

/* The pixel of map pixel (R, X) at its K-th copy across and DY-th down. */
static size_t
at (int r, int x, int scale, int dy, int k, int channels)
{
  size_t out_w = (size_t) W * scale;

  return (((size_t) r * scale + dy) * out_w + (size_t) x * scale + k)
         * channels;
}

static void
check_gray_codes (int scale, int channels)
{
  float v[W * ROWS], tmp[W * ROWS];
  int level[W * ROWS], r, x, dy, k, c, bad = 0;
  unsigned char *out = malloc ((size_t) W * ROWS * scale * scale * channels);

  level_values (v, level);
  cfm_raster_codes (v, ROWS, W, -1.0f, 3.0f, CFM_COLORMAP_GRAY, channels,
                    scale, tmp, out);
  for (r = 0; r < ROWS; r++)
    for (x = 0; x < W; x++)
      for (dy = 0; dy < scale; dy++)
        for (k = 0; k < scale; k++)
          for (c = 0; c < channels; c++)
            bad += out[at (r, x, scale, dy, k, channels) + c]
                   != level[r * W + x];
  CHECK (bad == 0, "gray codes, scale %d, %d channels: %d wrong", scale,
         channels, bad);
  free (out);
}

/* The diverging colour of T as the README defines it, as 8-bit codes. */
static void
diverging_codes (double t, unsigned char px[3])
{
  double rgb[3];
  int c;

  if (t < 0.5)
    rgb[0] = rgb[1] = 2.0 * t, rgb[2] = 1.0;
  else
    rgb[0] = 1.0, rgb[1] = rgb[2] = 2.0 * (1.0 - t);
  for (c = 0; c < 3; c++)
    px[c] = (unsigned char) floor (255.0 * rgb[c] + 0.5);
}

static void
check_colour_codes (void)
{
  /* Display values that are exact in binary, away from rounding edges. */
  static const float v[W] = { 0.0f, 0.125f, 0.5f, 0.625f, 1.0f };
  float tmp[W * 4];
  unsigned char out[W * 4 * 3], lv[W * 4], want[3];
  int x, c, bad = 0;

  cfm_raster_codes (v, 1, W, 0.0f, 1.0f, CFM_COLORMAP_DIVERGING, 3, 2, tmp,
                    out);
  for (x = 0; x < W; x++)
    {
      diverging_codes (v[x], want);
      for (c = 0; c < 3; c++)
        bad += out[at (0, x, 2, 1, 1, 3) + c] != want[c];
    }
  CHECK (bad == 0, "diverging codes: %d wrong", bad);
  /* One channel of viridis holds entries: min (int (256 t), 255). */
  cfm_raster_codes (v, 1, W, 0.0f, 1.0f, CFM_COLORMAP_VIRIDIS, 1, 1, tmp, lv);
  bad = 0;
  for (x = 0; x < W; x++)
    bad += lv[x] != (v[x] >= 1.0f ? 255 : (int) (256.0 * v[x]));
  CHECK (bad == 0, "viridis entries: %d wrong", bad);
}

static void
check_floats (void)
{
  static const float v[W] = { -0.5f, 0.0f, 0.25f, 1.0f, 1.5f };
  float tmp[W], out[W * 2 * 2 * 3];
  int x, c, bad = 0;

  /* Raw values (range 0..1, no clamping) pass through a gray float layer. */
  cfm_raster_floats (v, 1, W, 0.0f, 1.0f, 0, CFM_COLORMAP_GRAY, 1, 1, tmp,
                     out);
  for (x = 0; x < W; x++)
    bad += out[x] != v[x];
  CHECK (bad == 0, "raw floats changed: %d", bad);
  /* An integer layer clamps; RGB repeats each value, enlarged by 2. */
  cfm_raster_floats (v, 1, W, 0.0f, 1.0f, 1, CFM_COLORMAP_GRAY, 3, 2, tmp,
                     out);
  bad = 0;
  for (x = 0; x < W; x++)
    for (c = 0; c < 3; c++)
      bad += out[at (0, x, 2, 1, 0, 3) + c]
             != (v[x] < 0.0f ? 0.0f : v[x] > 1.0f ? 1.0f : v[x]);
  CHECK (bad == 0, "clamped RGB floats: %d wrong", bad);
}

static void
check_conversions (void)
{
  float v[6] = { -1.0f, 0.0f, 0.5f, 0.25f, 1.0f, 2.0f };
  float g[6] = { 0.25f, 0.75f, 0, 0, 0, 0 };
  const unsigned char want[6] = { 0, 0, 128, 64, 255, 255 };
  int i, bad = 0;

  cfm_raster_floats_to_codes (v, 6);
  for (i = 0; i < 6; i++)
    bad += ((unsigned char *) v)[i] != want[i];
  CHECK (bad == 0, "floats to codes: %d wrong", bad);
  cfm_raster_gray_to_rgb (g, 2);
  CHECK (g[0] == 0.25f && g[2] == 0.25f && g[3] == 0.75f && g[5] == 0.75f,
         "gray to RGB");
}

/* PyTorch's geometry: output j of a conv reads inputs j s - p .. j s - p +
 * d (k - 1); its layer pixel of S x S is centred on them, rounding toward
 * the top-left. */
static void
check_place (int k, int s, int p, int d, int pool, int pool_stride)
{
  CfmBank bank;
  CfmPipeline pl = { 0 };
  CfmPlacement conv, pooled;
  CfmError err;
  int w = 40, h = 30, cols, rows, span = d * (k - 1) + 1, ow, oh;
  int want_x = -p + (span - s) / 2, last, want_cols;

  cfm_bank_init (&bank, 1, 1, k, k, &err);
  pl.bank = &bank;
  pl.conv = (CfmConvParams) { s, p, d, CFM_PAD_ZEROS };
  pl.pool_enabled = pool > 0;
  pl.pool = (CfmPoolParams) { CFM_POOL_MAX, pool, pool_stride, 0 };
  CHECK (cfm_pipeline_init (&pl, 1, h, w, &err) == CFM_OK, "%s",
         err.message);
  cfm_pipeline_place (&pl, CFM_STAGE_CONV, 1, &conv);
  CHECK (conv.x == want_x && conv.y == want_x && conv.scale == s
         && conv.map_w == pl.conv_w, "k %d s %d p %d d %d: conv at %d, %d "
         "scale %d, not %d", k, s, p, d, conv.x, conv.y, conv.scale, want_x);
  ow = (w + 2 * p - span) / s + 1;
  oh = (h + 2 * p - span) / s + 1;
  /* Columns of the padded input, right of the last one read. */
  last = (ow - 1) * s - p + span;   /* one past the last input read */
  want_cols = w + p - last;
  if (pool > 0)
    {
      int pw = (ow - pool) / pool_stride + 1;

      cfm_pipeline_place (&pl, CFM_STAGE_POOL, 1, &pooled);
      CHECK (pooled.scale == s * pool_stride && pooled.map_w == pw
             && pooled.x == want_x + s * ((pool - pool_stride) / 2),
             "pool %d/%d: at %d scale %d", pool, pool_stride, pooled.x,
             pooled.scale);
      /* the last conv column a window reads, one past */
      want_cols = w + p
                  - ((((pw - 1) * pool_stride + pool) - 1) * s - p + span);
    }
  cfm_pipeline_dropped (&pl, &cols, &rows);
  CHECK (cols == want_cols && oh > 0, "k %d s %d p %d d %d pool %d: %d "
         "columns dropped, not %d", k, s, p, d, pool, cols, want_cols);
  cfm_pipeline_place (&pl, CFM_STAGE_CONV, 0, &conv);
  CHECK (conv.x == 0 && conv.y == 0 && conv.scale == 1, "align off");
  cfm_bank_free (&bank);
}

typedef struct
{
  pthread_t caller;
  int       runs[8];
  int       zero_on_caller;
} Counts;

static void
count_worker (void *data, int worker)
{
  Counts *c = data;

  __atomic_add_fetch (&c->runs[worker], 1, __ATOMIC_SEQ_CST);
  if (worker == 0)
    c->zero_on_caller = pthread_equal (pthread_self (), c->caller);
}

static void
check_parallel (void)
{
  Counts c = { pthread_self (), { 0 }, 0 };
  int i, once = 1;

  cfm_parallel_run (8, count_worker, &c);
  for (i = 0; i < 8; i++)
    once = once && c.runs[i] == 1;
  CHECK (once && c.zero_on_caller, "every worker once, worker 0 on the "
         "calling thread");
}

int
main (void)
{
  int scale, channels;

  for (scale = 1; scale <= 3; scale++)
    for (channels = 1; channels <= 3; channels += 2)
      check_gray_codes (scale, channels);
  check_colour_codes ();
  check_floats ();
  check_conversions ();
  check_place (4, 1, 0, 1, 2, 2);   /* the tutorial */
  check_place (3, 2, 2, 1, 0, 1);
  check_place (5, 3, 1, 2, 3, 2);
  check_place (2, 1, 0, 3, 2, 1);
  check_place (7, 2, 3, 1, 2, 2);
  check_parallel ();
  return test_finish ("raster");
}
