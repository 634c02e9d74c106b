/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_display.c: display mapping, checked with hand arithmetic. */
#include "test_util.h"

#include "cfm_colormap.h"
#include "cfm_display.h"

#include <stdint.h>

/* cfm_stats_compute on the first N of V against a loop over them. */
static void
check_stats (const float *v, size_t n)
{
  float lo = INFINITY, hi = -INFINITY;
  size_t zeros = 0, i;
  CfmStats st;

  for (i = 0; i < n; i++)
    if (isfinite (v[i]))
      {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
        zeros += v[i] == 0.0f;
      }
  cfm_stats_compute (v, n, &st);
  CHECK (st.min == (lo <= hi ? lo : 0.0f) && st.max == (lo <= hi ? hi : 0.0f)
         && st.zeros == zeros && st.count == n,
         "stats of %zu values: %g..%g with %zu zeros, not %g..%g with %zu",
         n, st.min, st.max, st.zeros, lo, hi, zeros);
}

/* The level by its definition, computed here: matplotlib's Normalize in
 * double, clamped, then round (255 t) or min (int (256 t), 255). */
static int
expected_level (float v, float lo, float hi, CfmLevelKind kind)
{
  float t;
  int i;

  if (v != v || !(hi > lo))
    return 0;
  t = lo == 0.0f && hi == 1.0f ? v
      : (float) (((double) v - lo) / ((double) hi - lo));
  t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
  if (kind == CFM_LEVELS_CODE)
    return (int) (t * 255.0f + 0.5f);
  i = (int) (t * 256.0f);
  return i > 255 ? 255 : i;
}

/* cfm_display_levels against the definition over the range [LO, HI]: random
 * values, the values next to every level's threshold and special ones. */
static void
check_levels (float lo, float hi, CfmLevelKind kind, uint32_t seed)
{
  static float v[4096];
  static unsigned char got[4096];
  double span = (double) hi - lo;
  int n = 0, k, i, bad = -1;

  for (k = 0; k < 256 && n + 8 < 4096; k++)
    {
      /* around where level k starts, a few floats either side */
      double t = kind == CFM_LEVELS_CODE ? (k - 0.5) / 255.0 : k / 256.0;
      float x = (float) (lo + t * (span > 0 ? span : 1.0));

      v[n++] = x;
      v[n++] = nextafterf (x, INFINITY);
      v[n++] = nextafterf (x, -INFINITY);
      v[n++] = nextafterf (nextafterf (x, INFINITY), INFINITY);
      v[n++] = nextafterf (nextafterf (x, -INFINITY), -INFINITY);
    }
  v[n++] = lo;
  v[n++] = hi;
  v[n++] = nextafterf (lo, -INFINITY);
  v[n++] = nextafterf (hi, INFINITY);
  v[n++] = NAN;
  v[n++] = INFINITY;
  v[n++] = -INFINITY;
  v[n++] = -0.0f;
  v[n++] = 0.0f;
  v[n++] = 3e38f;
  v[n++] = -3e38f;
  while (n < 4096)
    {
      seed = seed * 1664525u + 1013904223u;
      v[n++] = (float) (lo + (seed >> 8) / 16777216.0 * 1.2 * (span > 0 ? span
                                                                   : 1.0)
                        - 0.1 * span);
    }
  cfm_display_levels (v, (size_t) n, lo, hi, kind, got);
  for (i = 0; i < n && bad < 0; i++)
    if (got[i] != expected_level (v[i], lo, hi, kind)
        || got[i] != cfm_level_of (v[i], lo, hi, kind))
      bad = i;
  CHECK (bad < 0, "levels %s over [%g, %g]: value %.9g is level %d, not %d",
         kind == CFM_LEVELS_CODE ? "code" : "index", lo, hi,
         bad < 0 ? 0.0 : v[bad], bad < 0 ? 0 : got[bad],
         bad < 0 ? 0 : expected_level (v[bad], lo, hi, kind));
}

int
main (void)
{
  const float a[] = { -2.0f, 0.0f, 2.0f, 6.0f };
  const float b[] = { 1.0f, 3.0f };
  const float flat[] = { 0.7f, 0.7f, 0.7f };
  float out[4], lo, hi, rgb[3];
  CfmStats sa, sb, set;

  cfm_stats_compute (a, 4, &sa);
  CHECK (sa.min == -2.0f && sa.max == 6.0f && sa.zeros == 1, "stats");
  cfm_stats_compute (b, 2, &sb);
  set = sa;
  cfm_stats_merge (&set, &sb);
  CHECK (set.min == -2.0f && set.max == 6.0f && set.count == 6, "merge");

  /* Per map: min to 0, max to 1, as matplotlib's imshow. */
  cfm_display_range (CFM_RANGE_PER_MAP, 0, &sb, &set, 0, 0, &lo, &hi);
  CHECK (lo == 1.0f && hi == 3.0f, "per-map range %g..%g", lo, hi);
  cfm_display_map (b, out, 2, lo, hi, 1);
  CHECK (out[0] == 0.0f && out[1] == 1.0f, "per-map values");

  /* Shared: b on a's scale. */
  cfm_display_range (CFM_RANGE_SHARED, 0, &sb, &set, 0, 0, &lo, &hi);
  cfm_display_map (b, out, 2, lo, hi, 1);
  CHECK (lo == -2.0f && hi == 6.0f && out[0] == 0.375f && out[1] == 0.625f,
         "shared range");

  /* Symmetric: 0 in the middle. */
  cfm_display_range (CFM_RANGE_PER_MAP, 1, &sa, &set, 0, 0, &lo, &hi);
  cfm_display_map (a, out, 4, lo, hi, 1);
  CHECK (lo == -6.0f && hi == 6.0f && out[1] == 0.5f
         && fabsf (out[0] - 1.0f / 3.0f) < 1e-7f && out[3] == 1.0f,
         "symmetric");

  /* Fixed, with clamping outside. */
  cfm_display_range (CFM_RANGE_FIXED, 0, &sa, &set, 0.0f, 4.0f, &lo, &hi);
  cfm_display_map (a, out, 4, lo, hi, 1);
  CHECK (out[0] == 0.0f && out[2] == 0.5f && out[3] == 1.0f, "fixed");

  /* None: raw values, clamped only when asked. */
  cfm_display_range (CFM_RANGE_NONE, 1, &sa, &set, 0, 0, &lo, &hi);
  CHECK (lo == 0.0f && hi == 1.0f, "none range");
  cfm_display_map (a, out, 4, lo, hi, 0);
  CHECK (out[0] == -2.0f && out[3] == 6.0f, "none raw");
  cfm_display_map (a, out, 4, lo, hi, 1);
  CHECK (out[0] == 0.0f && out[3] == 1.0f, "none clamped");

  /* A constant map must not divide by zero. */
  cfm_stats_compute (flat, 3, &sa);
  cfm_display_range (CFM_RANGE_PER_MAP, 0, &sa, &sa, 0, 0, &lo, &hi);
  cfm_display_map (flat, out, 3, lo, hi, 1);
  CHECK (out[0] == 0.0f && out[2] == 0.0f, "constant map");
  cfm_stats_compute (NULL, 0, &sa);
  CHECK (sa.min == 0.0f && sa.max == 0.0f, "empty stats");

  /* Colormaps at their ends and middle. */
  cfm_colormap_color (CFM_COLORMAP_DIVERGING, 0.0f, rgb);
  CHECK (rgb[0] == 0.0f && rgb[2] == 1.0f, "diverging blue");
  cfm_colormap_color (CFM_COLORMAP_DIVERGING, 0.5f, rgb);
  CHECK (rgb[0] == 1.0f && rgb[1] == 1.0f && rgb[2] == 1.0f, "white");
  cfm_colormap_color (CFM_COLORMAP_DIVERGING, 1.0f, rgb);
  CHECK (rgb[0] == 1.0f && rgb[1] == 0.0f, "diverging red");
  /* matplotlib's viridis: #440154 at 0, #fde725 at 1. */
  cfm_colormap_color (CFM_COLORMAP_VIRIDIS, 0.0f, rgb);
  CHECK (fabsf (rgb[0] * 255 - 0x44) < 0.6f && fabsf (rgb[2] * 255 - 0x54)
         < 0.6f, "viridis 0");
  cfm_colormap_color (CFM_COLORMAP_VIRIDIS, 1.0f, rgb);
  CHECK (fabsf (rgb[0] * 255 - 0xfd) < 0.6f && fabsf (rgb[1] * 255 - 0xe7)
         < 0.6f, "viridis 1");

  /* Statistics over several lanes and a tail, with values that are not
   * finite (left out of the range) and zeros in both. */
  {
    float v[53];
    size_t i, n;

    for (i = 0; i < 53; i++)
      v[i] = (float) ((i * 37) % 23) - 11.5f;
    v[5] = NAN;
    v[20] = INFINITY;
    v[50] = -INFINITY;
    v[33] = -INFINITY;   /* and one of each in the lanes */
    v[27] = NAN;
    v[3] = v[19] = v[48] = 0.0f;
    v[41] = -20.25f;   /* the minimum, in a lane past the first */
    v[52] = 30.5f;     /* the maximum, in the tail */
    for (n = 1; n <= 53; n++)
      check_stats (v, n);
  }

  /* 8-bit levels from a guess, the same as one value at a time. */
  {
    static const float ranges[][2] = {
      { -3.2f, 3.7f }, { 0.0f, 1.0f }, { 0.0f, 4.0f }, { -1.0f, 1.0f },
      { 0.1f, 0.1000001f }, { 1e-30f, 2e-30f }, { -1e30f, 1e30f },
      { -3e38f, 3e38f }, { 5.0f, 5.0f }, { 2.0f, -2.0f }, { 0.3f, 0.7f },
      { -0.0f, 0.0f }, { 12345.6f, 12399.1f }, { -7.0f, -6.5f },
    };
    size_t r;

    for (r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
      {
        check_levels (ranges[r][0], ranges[r][1], CFM_LEVELS_CODE,
                      (uint32_t) r + 1);
        check_levels (ranges[r][0], ranges[r][1], CFM_LEVELS_INDEX,
                      (uint32_t) r + 101);
      }
  }
  return test_finish ("display");
}
