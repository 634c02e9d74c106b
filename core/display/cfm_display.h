/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_display.h: from float maps to display values in [0, 1].
 *
 * Per map, a map's minimum goes to 0 and its maximum to 1, as matplotlib's
 * imshow shows it; SHARED gives a set of maps one range so they can be
 * compared; FIXED uses the caller's range; NONE passes values through
 * (clamped only by the host's storage).  The signed variant makes the
 * range symmetric about zero, so 0 sits at 0.5 (for diverging colormaps).
 * A constant map (min == max) maps to 0, as matplotlib draws it. */
#ifndef CFM_DISPLAY_H
#define CFM_DISPLAY_H

#include <stddef.h>

typedef enum
{
  CFM_RANGE_PER_MAP,
  CFM_RANGE_SHARED,
  CFM_RANGE_FIXED,
  CFM_RANGE_NONE
} CfmRangeMode;

typedef struct
{
  float  min, max;   /* of the finite values; 0, 0 when there are none */
  size_t zeros;      /* values exactly 0 */
  size_t count;
} CfmStats;

/* Statistics of N values. */
void cfm_stats_compute (const float *v, size_t n, CfmStats *stats);

/* Folds B into A (for shared ranges computed band by band or map by map). */
void cfm_stats_merge (CfmStats *a, const CfmStats *b);

/* The range [*lo, *hi] that MODE uses for a map with statistics MAP_STATS,
 * given the statistics of its whole set (SHARED) or a fixed range (FIXED).
 * With SYMMETRIC the range becomes [-m, m], m the larger magnitude. */
void cfm_display_range (CfmRangeMode mode, int symmetric,
                        const CfmStats *map_stats, const CfmStats *set_stats,
                        float fixed_lo, float fixed_hi, float *lo, float *hi);

/* OUT[i] = (IN[i] - lo) / (hi - lo) clamped to [0, 1]; 0 when hi <= lo.
 * With MODE NONE pass LO = 0 and HI = 1 and it copies (clamped when CLAMP). */
void cfm_display_map (const float *in, float *out, size_t n, float lo,
                      float hi, int clamp);

/* Display values as 8-bit levels: CODE is the code round (255 t) of an
 * 8-bit layer (0 and 255 outside [0, 1]), INDEX the entry min (int (256 t),
 * 255) of a 256-colour map such as viridis, where t is cfm_display_map's
 * clamped value; NaN, and every value when hi <= lo, is level 0. */
typedef enum
{
  CFM_LEVELS_CODE,
  CFM_LEVELS_INDEX
} CfmLevelKind;

/* The level of one value. */
int cfm_level_of (float v, float lo, float hi, CfmLevelKind kind);

/* OUT[i] = cfm_level_of (IN[i], ...), from one multiply-add per value
 * wherever that is certain to give the same level: everywhere but within
 * a thousandth of a level's edge, where cfm_level_of decides. */
void cfm_display_levels (const float *in, size_t n, float lo, float hi,
                         CfmLevelKind kind, unsigned char *out);

#endif
