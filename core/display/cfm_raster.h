/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_raster.h: rows of map values to layer pixels: display values in a
 * colormap, as floats or 8-bit codes, each map pixel enlarged to SCALE x
 * SCALE layer pixels.  Pure arithmetic, for any host. */
#ifndef CFM_RASTER_H
#define CFM_RASTER_H

#include <stddef.h>

#include "cfm_colormap.h"

/* ROWS x W values to float pixels of CHANNELS (1: gray, 3: RGB) in MAP,
 * through cfm_display_map with range [LO, HI] (clamped when CLAMP or when
 * MAP is not gray), enlarged by SCALE into OUT (ROWS * SCALE rows of W *
 * SCALE pixels).  TMP has room for ROWS x W floats. */
void cfm_raster_floats (const float *values, int rows, int w, float lo,
                        float hi, int clamp, CfmColormap map, int channels,
                        int scale, float *tmp, float *out);

/* The same as 8-bit codes (what cfm_code_of makes of cfm_raster_floats'
 * values, clamped): a quarter of the bytes.  Gray and viridis go through
 * 8-bit levels (cfm_display_levels), which spares a division per value;
 * single-channel output holds the levels themselves (codes for gray,
 * indices into the colormap for viridis).  TMP has room for ROWS x W
 * floats. */
void cfm_raster_codes (const float *values, int rows, int w, float lo,
                       float hi, CfmColormap map, int channels, int scale,
                       float *tmp, unsigned char *out);

/* Float pixels in 0..1 to their codes, in place (the first N bytes of
 * VALUES). */
void cfm_raster_floats_to_codes (float *values, size_t n);

/* N gray values to RGB, in place (VALUES has room for 3 N). */
void cfm_raster_gray_to_rgb (float *values, size_t n);

#endif
