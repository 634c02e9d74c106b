/* cfm_display.c: see cfm_display.h. */
#include "cfm_display.h"

#include <math.h>

#include "cfm_viridis.inc"

void
cfm_stats_compute (const float *v, size_t n, CfmStats *stats)
{
  float lo = INFINITY, hi = -INFINITY;
  size_t zeros = 0, i;

  for (i = 0; i < n; i++)
    {
      float x = v[i];

      if (!isfinite (x))
        continue;
      lo = x < lo ? x : lo;
      hi = x > hi ? x : hi;
      zeros += x == 0.0f;
    }
  stats->min = lo <= hi ? lo : 0.0f;
  stats->max = lo <= hi ? hi : 0.0f;
  stats->zeros = zeros;
  stats->count = n;
}

void
cfm_stats_merge (CfmStats *a, const CfmStats *b)
{
  if (b->count == 0)
    return;
  if (a->count == 0)
    {
      *a = *b;
      return;
    }
  a->min = b->min < a->min ? b->min : a->min;
  a->max = b->max > a->max ? b->max : a->max;
  a->zeros += b->zeros;
  a->count += b->count;
}

void
cfm_display_range (CfmRangeMode mode, int symmetric,
                   const CfmStats *map_stats, const CfmStats *set_stats,
                   float fixed_lo, float fixed_hi, float *lo, float *hi)
{
  switch (mode)
    {
    case CFM_RANGE_SHARED:
      *lo = set_stats->min;
      *hi = set_stats->max;
      break;
    case CFM_RANGE_FIXED:
      *lo = fixed_lo;
      *hi = fixed_hi;
      break;
    case CFM_RANGE_NONE:
      *lo = 0.0f;
      *hi = 1.0f;
      return;   /* raw values: no symmetric widening */
    case CFM_RANGE_PER_MAP:
    default:
      *lo = map_stats->min;
      *hi = map_stats->max;
      break;
    }
  if (symmetric)
    {
      float m = fabsf (*lo) > fabsf (*hi) ? fabsf (*lo) : fabsf (*hi);

      *lo = -m;
      *hi = m;
    }
}

void
cfm_display_map (const float *in, float *out, size_t n, float lo, float hi,
                 int clamp)
{
  size_t i;

  if (!(hi > lo))
    {
      for (i = 0; i < n; i++)
        out[i] = 0.0f;
      return;
    }
  if (lo == 0.0f && hi == 1.0f)
    {
      for (i = 0; i < n; i++)
        {
          float v = in[i];

          out[i] = clamp ? (v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v) : v;
        }
      return;
    }
  for (i = 0; i < n; i++)
    {
      /* The same arithmetic as matplotlib's Normalize, in double. */
      float v = (float) (((double) in[i] - lo) / ((double) hi - lo));

      out[i] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    }
}

void
cfm_viridis (float t, float rgb[3])
{
  int i;

  t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
  /* matplotlib picks entry int(t * N), the last one for t == 1. */
  i = (int) (t * 256.0f);
  i = i > 255 ? 255 : i;
  rgb[0] = cfm_viridis_lut[i][0];
  rgb[1] = cfm_viridis_lut[i][1];
  rgb[2] = cfm_viridis_lut[i][2];
}

void
cfm_diverging (float t, float rgb[3])
{
  t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
  if (t < 0.5f)
    {
      rgb[0] = rgb[1] = 2.0f * t;
      rgb[2] = 1.0f;
    }
  else
    {
      rgb[0] = 1.0f;
      rgb[1] = rgb[2] = 2.0f * (1.0f - t);
    }
}
