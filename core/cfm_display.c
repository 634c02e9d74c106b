/* cfm_display.c: see cfm_display.h. */
#include "cfm_display.h"

#include <float.h>
#include <math.h>

#include "cfm_viridis.inc"

/* Lanes of cfm_stats_compute's partial results. */
#define STATS_LANES 16

void
cfm_stats_compute (const float *v, size_t n, CfmStats *stats)
{
  float lo[STATS_LANES], hi[STATS_LANES], l = INFINITY, h = -INFINITY;
  unsigned zeros[STATS_LANES];
  size_t total = 0, i = 0;
  int k;

  for (k = 0; k < STATS_LANES; k++)
    {
      lo[k] = INFINITY;
      hi[k] = -INFINITY;
      zeros[k] = 0;
    }
  /* Lane k takes values k, k + 16, ... without a branch, so that the loop
   * is vectorised; values that are not finite take part as the identity
   * of each reduction.  (A lane's count of zeros stays below 2^32 for
   * maps of up to 2^36 values.) */
  for (; i + STATS_LANES <= n; i += STATS_LANES)
    for (k = 0; k < STATS_LANES; k++)
      {
        float x = v[i + k];
        int finite = fabsf (x) <= FLT_MAX;
        float low = finite ? x : INFINITY, high = finite ? x : -INFINITY;

        lo[k] = low < lo[k] ? low : lo[k];
        hi[k] = high > hi[k] ? high : hi[k];
        zeros[k] += x == 0.0f;
      }
  for (k = 0; i + k < n; k++)
    {
      float x = v[i + k];

      if (fabsf (x) <= FLT_MAX)
        {
          lo[k] = x < lo[k] ? x : lo[k];
          hi[k] = x > hi[k] ? x : hi[k];
        }
      zeros[k] += x == 0.0f;
    }
  for (k = 0; k < STATS_LANES; k++)
    {
      l = lo[k] < l ? lo[k] : l;
      h = hi[k] > h ? hi[k] : h;
      total += zeros[k];
    }
  stats->min = l <= h ? l : 0.0f;
  stats->max = l <= h ? h : 0.0f;
  stats->zeros = total;
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

/* cfm_display_map of one value, clamped, with hi > lo. */
static inline float
display_value (float v, float lo, float hi)
{
  if (!(lo == 0.0f && hi == 1.0f))
    /* The same arithmetic as matplotlib's Normalize, in double. */
    v = (float) (((double) v - lo) / ((double) hi - lo));
  return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
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
  if (lo == 0.0f && hi == 1.0f && !clamp)
    {
      for (i = 0; i < n; i++)
        out[i] = in[i];
      return;
    }
  for (i = 0; i < n; i++)
    out[i] = display_value (in[i], lo, hi);
}

int
cfm_level_of (float v, float lo, float hi, CfmLevelKind kind)
{
  float t;
  int i;

  if (isnan (v) || !(hi > lo))
    return 0;
  t = display_value (v, lo, hi);
  if (kind == CFM_LEVELS_CODE)
    return t <= 0.0f ? 0 : t >= 1.0f ? 255 : (int) (t * 255.0f + 0.5f);
  i = (int) (t * 256.0f);
  return i > 255 ? 255 : i;
}

/* Values per chunk of cfm_display_levels: a chunk with a value near a
 * level's edge is done again one value at a time. */
#define LEVEL_CHUNK 16

void
cfm_display_levels (const float *in, size_t n, float lo, float hi,
                    CfmLevelKind kind, unsigned char *out)
{
  float top = kind == CFM_LEVELS_CODE ? 255.0f : 256.0f;
  float scale = (float) (top / ((double) hi - lo));
  float offset = kind == CFM_LEVELS_CODE ? 0.5f : 0.0f;
  /* The guess below is within 1e-4 of the exact arithmetic's (float
   * roundings of values near 256); the margin is ten times that. */
  const float eps = 1e-3f;
  size_t i = 0, j;

  if (hi > lo && isfinite (scale) && fabsf (lo) <= 1e30f
      && fabsf (hi) <= 1e30f)
    for (; i + LEVEL_CHUNK <= n; i += LEVEL_CHUNK)
      {
        int level[LEVEL_CHUNK], unsure = 0;

        /* Without a branch, so that the loop is vectorised.  NaN fails the
         * first test and is level 0, as it should be. */
        for (j = 0; j < LEVEL_CHUNK; j++)
          {
            float f = (in[i + j] - lo) * scale + offset, d;

            f = f > 0.5f ? f : 0.5f;
            f = f < 255.5f ? f : 255.5f;
            level[j] = (int) f;
            d = f - (float) level[j];
            unsure |= (d < eps) | (d > 1.0f - eps);
          }
        for (j = 0; j < LEVEL_CHUNK; j++)
          out[i + j] = (unsigned char) level[j];
        if (unsure)
          for (j = i; j < i + LEVEL_CHUNK; j++)
            out[j] = (unsigned char) cfm_level_of (in[j], lo, hi, kind);
      }
  for (; i < n; i++)   /* the tail, and ranges the guess cannot serve */
    out[i] = (unsigned char) cfm_level_of (in[i], lo, hi, kind);
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
