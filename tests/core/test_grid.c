/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_grid.c: conv, activation and pooling over a grid of options, against
 * PyTorch (tests/fixtures/grid, made by make_fixtures.py).  Each case is
 * computed whole and again one output row at a time from the fewest input
 * rows, as a host streaming bands would. */
#include "test_util.h"
#include "test_pipeline.h"

#include "cfm_bank.h"
#include "cfm_conv.h"

typedef struct
{
  char id[8], mode[16], act[16], pool[8];
  int cin, n, kh, kw, h, w, stride, pad, dil, bias, psize, pstride, ppad;
  int conv_h, conv_w, pool_h, pool_w;
  double slope;
} Case;

static int
parse_mode (const char *s)
{
  static const char *const names[] = { "zeros", "reflect", "replicate",
                                       "circular" };
  int i;

  for (i = 0; i < 4; i++)
    if (strcmp (s, names[i]) == 0)
      return i;
  return -1;
}

static CfmActivation
parse_act (const char *s)
{
  if (strcmp (s, "relu") == 0)
    return CFM_ACT_RELU;
  if (strcmp (s, "leaky-relu") == 0)
    return CFM_ACT_LEAKY_RELU;
  if (strcmp (s, "abs") == 0)
    return CFM_ACT_ABS;
  return CFM_ACT_NONE;
}

/* Conv output computed one row at a time from a band of just the rows that
 * row needs, copied out so that reading outside it would be caught. */
static void
conv_by_rows (const CfmBank *bank, const float *bias, const float *x,
              const Case *c, const CfmConvParams *p, float *out)
{
  size_t plane = (size_t) c->conv_h * c->conv_w;
  int r, ch;
  CfmError err;

  for (r = 0; r < c->conv_h; r++)
    {
      int r0, rows;
      float *band;
      CfmBand in;
      CfmConvJob job;

      cfm_conv2d_input_rows (p, c->kh, c->h, r, 1, &r0, &rows);
      band = malloc (((size_t) c->cin * rows * c->w + 1) * sizeof (float));
      for (ch = 0; ch < c->cin; ch++)
        memcpy (band + (size_t) ch * rows * c->w,
                x + ((size_t) ch * c->h + r0) * c->w,
                (size_t) rows * c->w * sizeof (float));
      in = (CfmBand) { band, c->cin, c->h, c->w, r0, rows, 0 };
      job = (CfmConvJob) { .bank = bank, .bias = bias, .in = &in,
                           .params = *p, .out_row0 = r, .out_rows = 1,
                           .conv = out + (size_t) r * c->conv_w,
                           .plane_stride = plane };
      CHECK (cfm_conv2d_run (&job, NULL, &err) == CFM_OK,
             "case %s row %d: %s", c->id, r, err.message);
      free (band);
    }
}

/* The whole pipeline (conv, activation fused on the vector paths, pooling
 * fused where windows do not overlap) on every path, in bands of 3 rows
 * and in one band, against PyTorch's three stages (REF: conv, act, pool
 * planes one after the other). */
static void
check_pipeline (const Case *c, const CfmBank *bank, const float *bias,
                const CfmConvParams *p, const CfmPoolParams *pp,
                const float *x, const float *ref)
{
  size_t plane = (size_t) c->conv_h * c->conv_w;
  size_t pplane = (size_t) c->pool_h * c->pool_w;
  float *conv = malloc (plane * c->n * sizeof (float));
  float *act = malloc (plane * c->n * sizeof (float));
  float *pool = malloc ((pplane + 1) * c->n * sizeof (float));
  CfmPipeline pl;
  CfmError err;
  int path, rows, f;

  for (path = CFM_PATH_REFERENCE; path <= CFM_PATH_AVX512; path++)
    for (rows = 3; rows <= c->conv_h + 3; rows += c->conv_h)
      {
        if (!cfm_path_supported ((CfmPath) path))
          continue;
        memset (&pl, 0, sizeof pl);
        pl.bank = bank;
        pl.bias = bias;
        pl.conv = *p;
        pl.activation = parse_act (c->act);
        pl.negative_slope = (float) c->slope;
        pl.pool_enabled = 1;
        pl.pool = *pp;
        pl.path = (CfmPath) path;
        CHECK (cfm_pipeline_init (&pl, c->cin, c->h, c->w, &err) == CFM_OK,
               "case %s: %s", c->id, err.message);
        run_banded (&pl, x, rows, conv, act, pool);
        for (f = 0; f < c->n; f++)
          {
            double dc = max_rel_diff (conv + f * plane, ref + f * plane,
                                      plane);
            double da = max_rel_diff (act + f * plane,
                                      ref + (c->n + f) * plane, plane);
            double dp = max_rel_diff (pool + f * pplane,
                                      ref + 2 * c->n * plane + f * pplane,
                                      pplane);

            CHECK (dc <= 1e-5 && da <= 1e-5 && dp <= 1e-5,
                   "case %s, pipeline on %s in bands of %d: filter %d: "
                   "conv %.3g act %.3g pool %.3g", c->id,
                   cfm_path_name ((CfmPath) path), rows, f + 1, dc, da, dp);
          }
      }
  free (conv);
  free (act);
  free (pool);
}

static void
run_case (const Case *c)
{
  CfmArray a;
  CfmBank bank;
  CfmError err;
  CfmConvParams p = { c->stride, c->pad, c->dil, parse_mode (c->mode) };
  CfmPoolParams pp = { strcmp (c->pool, "max") == 0 ? CFM_POOL_MAX
                                                    : CFM_POOL_AVG,
                       c->psize, c->pstride, c->ppad };
  size_t nx = (size_t) c->cin * c->h * c->w;
  size_t nw = (size_t) c->n * c->cin * c->kh * c->kw;
  size_t plane = (size_t) c->conv_h * c->conv_w;
  size_t pplane = (size_t) c->pool_h * c->pool_w;
  const float *x, *wt, *b, *conv_ref, *act_ref, *pool_ref;
  float *conv, *conv_rows, *act, *pool;
  int oh, ow, f;
  CfmBand in;
  CfmConvJob job;
  char path[64];

  snprintf (path, sizeof path, "grid/%s.npy", c->id);
  load_fixture (path, &a);
  x = a.data;
  wt = x + nx;
  b = wt + nw;
  conv_ref = b + c->n;
  act_ref = conv_ref + plane * c->n;
  pool_ref = act_ref + plane * c->n;
  CHECK (a.count == nx + nw + c->n + 2 * plane * c->n + pplane * c->n,
         "case %s: fixture size", c->id);

  cfm_bank_init (&bank, c->n, c->cin, c->kh, c->kw, &err);
  memcpy (bank.weights, wt, nw * sizeof (float));
  CHECK (cfm_conv2d_shape (&bank, c->cin, c->h, c->w, &p, &oh, &ow, &err)
         == CFM_OK && oh == c->conv_h && ow == c->conv_w,
         "case %s: conv size %dx%d, PyTorch %dx%d (%s)", c->id, ow, oh,
         c->conv_w, c->conv_h, err.message);

  conv = malloc (plane * c->n * sizeof (float));
  conv_rows = malloc (plane * c->n * sizeof (float));
  act = malloc (plane * c->n * sizeof (float));
  pool = malloc ((pplane + 1) * c->n * sizeof (float));
  in = (CfmBand) { x, c->cin, c->h, c->w, 0, c->h, 0 };
  job = (CfmConvJob) { .bank = &bank, .bias = c->bias ? b : NULL,
                       .in = &in, .params = p, .out_rows = c->conv_h,
                       .conv = conv, .plane_stride = plane };
  CHECK (cfm_conv2d_run (&job, NULL, &err) == CFM_OK, "case %s: %s", c->id,
         err.message);
  conv_by_rows (&bank, c->bias ? b : NULL, x, c, &p, conv_rows);
  cfm_activation_apply (parse_act (c->act), (float) c->slope, conv, act,
                        plane * c->n);
  for (f = 0; f < c->n; f++)
    {
      double dc = max_rel_diff (conv + f * plane, conv_ref + f * plane,
                                plane);
      double db = max_rel_diff (conv_rows + f * plane, conv_ref + f * plane,
                                plane);
      double da = max_rel_diff (act + f * plane, act_ref + f * plane, plane);
      double dp;

      CHECK (cfm_pool2d_forward (&pp, act + f * plane, c->conv_h, c->conv_w,
                                 0, c->conv_h, 0, c->pool_h,
                                 pool + f * pplane, &err) == CFM_OK,
             "case %s: %s", c->id, err.message);
      dp = max_rel_diff (pool + f * pplane, pool_ref + f * pplane, pplane);
      CHECK (dc <= 1e-5 && db <= 1e-5 && da <= 1e-5 && dp <= 1e-5,
             "case %s (%s, k %dx%d, s %d, p %d, d %d, %s, %s %d/%d/%d) "
             "filter %d: conv %.3g rows %.3g act %.3g pool %.3g", c->id,
             c->mode, c->kh, c->kw, c->stride, c->pad, c->dil, c->act,
             c->pool, c->psize, c->pstride, c->ppad, f + 1, dc, db, da, dp);
    }
  check_pipeline (c, &bank, c->bias ? b : NULL, &p, &pp, x, conv_ref);
  free (conv);
  free (conv_rows);
  free (act);
  free (pool);
  cfm_bank_free (&bank);
  cfm_array_free (&a);
}

int
main (void)
{
  FILE *f = fopen (fixture_path ("grid/manifest.txt"), "r");
  char line[512];
  int cases = 0;

  if (f == NULL)
    {
      fprintf (stderr, "no grid manifest at %s\n",
               fixture_path ("grid/manifest.txt"));
      return 2;
    }
  while (fgets (line, sizeof line, f))
    {
      Case c;

      if (line[0] == '#')
        continue;
      memset (&c, 0, sizeof c);
      if (sscanf (line, "%7s %d %d %d %d %d %d %d %d %d %15s %d %15s %lf "
                  "%7s %d %d %d %d %d %d %d", c.id, &c.cin, &c.n, &c.kh,
                  &c.kw, &c.h, &c.w, &c.stride, &c.pad, &c.dil, c.mode,
                  &c.bias, c.act, &c.slope, c.pool, &c.psize, &c.pstride,
                  &c.ppad, &c.conv_h, &c.conv_w, &c.pool_h, &c.pool_w) != 22)
        {
          CHECK (0, "malformed manifest line: %s", line);
          continue;
        }
      run_case (&c);
      cases++;
    }
  fclose (f);
  CHECK (cases >= 70, "only %d grid cases", cases);
  return test_finish ("grid");
}
