/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_display.c: map statistics, display ranges, and display values and
 * 8-bit levels from map values (its API: cfm_display.h). */
#include "cfm_display.h"

#include <float.h>
#include <math.h>
#include <string.h>


/* The range and zeros of finite values, folded into *LO, *HI, *ZEROS. */
static void
stats_scalar (const float *v, size_t n, float *lo, float *hi, size_t *zeros)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      if (fabsf (v[i]) <= FLT_MAX)
        {
          *lo = v[i] < *lo ? v[i] : *lo;
          *hi = v[i] > *hi ? v[i] : *hi;
        }
      *zeros += v[i] == 0.0f;
    }
}

#if defined(__GNUC__)
typedef float StatsVec __attribute__ ((vector_size (16)));
typedef int StatsMask __attribute__ ((vector_size (16)));

#define STATS_VECS 4                   /* independent accumulators */
#define STATS_BLOCK ((size_t) 1 << 28)  /* values per count of zeros */

/* The statistics of N values, a multiple of 4 * STATS_VECS, in vectors
 * (written out, since compilers differ in which loops they vectorise).
 * Values that are not finite take part as each reduction's identity. */
static void
stats_vector (const float *v, size_t n, float *lo, float *hi, size_t *zeros)
{
  const StatsMask magnitude = { 0x7fffffff, 0x7fffffff, 0x7fffffff,
                                0x7fffffff };
  const StatsMask largest = { 0x7f7fffff, 0x7f7fffff, 0x7f7fffff,
                              0x7f7fffff };   /* FLT_MAX */
  const StatsVec inf = { INFINITY, INFINITY, INFINITY, INFINITY };
  StatsVec l[STATS_VECS], h[STATS_VECS];
  StatsMask z[STATS_VECS];
  size_t i;
  int k, j;

  for (k = 0; k < STATS_VECS; k++)
    {
      l[k] = inf;
      h[k] = -inf;
      z[k] = (StatsMask) { 0 };
    }
  for (i = 0; i < n; i += 4 * STATS_VECS)
    {
      for (k = 0; k < STATS_VECS; k++)
        {
          StatsVec x;
          StatsMask bits, finite, m;

          memcpy (&x, v + i + 4 * k, sizeof x);
          bits = (StatsMask) x;
          finite = (bits & magnitude) <= largest;
          m = finite & ((StatsVec) (bits & finite) < l[k]);
          l[k] = (StatsVec) ((bits & m) | ((StatsMask) l[k] & ~m));
          m = finite & ((StatsVec) (bits & finite) > h[k]);
          h[k] = (StatsVec) ((bits & m) | ((StatsMask) h[k] & ~m));
          z[k] -= x == (StatsVec) { 0 };   /* -1 where zero */
        }
      if ((i + 4 * STATS_VECS) % STATS_BLOCK == 0 || i + 4 * STATS_VECS == n)
        for (k = 0; k < STATS_VECS; k++)
          for (j = 0; j < 4; j++)
            {
              *zeros += (size_t) z[k][j];
              z[k][j] = 0;
            }
    }
  for (k = 0; k < STATS_VECS; k++)
    for (j = 0; j < 4; j++)
      {
        *lo = l[k][j] < *lo ? l[k][j] : *lo;
        *hi = h[k][j] > *hi ? h[k][j] : *hi;
      }
}
#endif

void
cfm_stats_compute (const float *v, size_t n, CfmStats *stats)
{
  float lo = INFINITY, hi = -INFINITY;
  size_t zeros = 0, done = 0;

#if defined(__GNUC__)
  done = n - n % (4 * STATS_VECS);
  stats_vector (v, done, &lo, &hi, &zeros);
#endif
  if (n > done)   /* V may be NULL when N is 0 */
    stats_scalar (v + done, n - done, &lo, &hi, &zeros);
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
