/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_input.c: the network's input from pixels: OpenCV's luma (its API:
 * cfm_input.h). */
#include "cfm_input.h"

/* OpenCV's RGB2Gray fixed-point weights: round (w * 2^14). */
enum { LUMA_SHIFT = 14, LUMA_R = 4899, LUMA_G = 9617, LUMA_B = 1868 };

static unsigned
luma_code (const uint8_t *rgb)
{
  return (rgb[0] * LUMA_R + rgb[1] * LUMA_G + rgb[2] * LUMA_B
          + (1u << (LUMA_SHIFT - 1))) >> LUMA_SHIFT;
}

void
cfm_luma_from_rgb8 (const uint8_t *rgb, size_t step, size_t n, float *out)
{
  size_t i;

  for (i = 0; i < n; i++, rgb += step)
    out[i] = (float) luma_code (rgb) / 255.0f;
}

void
cfm_luma_codes_from_rgb8 (const uint8_t *rgb, size_t step, size_t n,
                          uint8_t *out)
{
  size_t i;

  for (i = 0; i < n; i++, rgb += step)
    out[i] = (uint8_t) luma_code (rgb);
}

void
cfm_luma_from_rgbf (const float *rgb, size_t step, size_t n, float *out)
{
  size_t i;

  for (i = 0; i < n; i++, rgb += step)
    out[i] = 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
}
