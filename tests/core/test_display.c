/* test_display.c: display mapping, checked with hand arithmetic. */
#include "test_util.h"

#include "cfm_display.h"

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
  cfm_diverging (0.0f, rgb);
  CHECK (rgb[0] == 0.0f && rgb[2] == 1.0f, "diverging blue");
  cfm_diverging (0.5f, rgb);
  CHECK (rgb[0] == 1.0f && rgb[1] == 1.0f && rgb[2] == 1.0f, "white");
  cfm_diverging (1.0f, rgb);
  CHECK (rgb[0] == 1.0f && rgb[1] == 0.0f, "diverging red");
  /* matplotlib's viridis: #440154 at 0, #fde725 at 1. */
  cfm_viridis (0.0f, rgb);
  CHECK (fabsf (rgb[0] * 255 - 0x44) < 0.6f && fabsf (rgb[2] * 255 - 0x54)
         < 0.6f, "viridis 0");
  cfm_viridis (1.0f, rgb);
  CHECK (fabsf (rgb[0] * 255 - 0xfd) < 0.6f && fabsf (rgb[1] * 255 - 0xe7)
         < 0.6f, "viridis 1");
  return test_finish ("display");
}
