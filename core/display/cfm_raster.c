/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_raster.c: map rows to layer pixels in a colormap, as floats or 8-bit
 * codes, enlarged (its API: cfm_raster.h). */
#include "cfm_raster.h"

#include <string.h>

void
cfm_raster_floats (const float *values, int rows, int w, float lo, float hi,
                   int clamp, CfmColormap map, int channels, int scale,
                   float *tmp, float *out)
{
  size_t out_w = (size_t) w * scale;
  int r, x, k, c, dy;

  cfm_display_map (values, tmp, (size_t) rows * w, lo, hi,
                   clamp || map != CFM_COLORMAP_GRAY);
  for (r = 0; r < rows; r++)
    {
      float *row = out + (size_t) r * scale * out_w * channels;

      for (x = 0; x < w; x++)
        {
          float px[3];

          cfm_colormap_color (map, tmp[(size_t) r * w + x], px);
          for (k = 0; k < scale; k++)
            for (c = 0; c < channels; c++)
              row[((size_t) x * scale + k) * channels + c] = px[c];
        }
      for (dy = 1; dy < scale; dy++)
        memcpy (row + (size_t) dy * out_w * channels, row,
                out_w * channels * sizeof (float));
    }
}

/* Single-channel 8-bit pixels hold levels: codes of gray layers, or indices
 * into the colormap of an indexed image (viridis is the only other
 * colormap one channel can show).  Enlarged by SCALE into OUT; TMP has
 * room for ROWS x W bytes. */
static void
raster_levels (const float *values, int rows, int w, float lo, float hi,
               CfmLevelKind kind, int scale, unsigned char *tmp,
               unsigned char *out)
{
  size_t out_w = (size_t) w * scale;
  int r, x, k, dy;

  if (scale == 1)
    {
      cfm_display_levels (values, (size_t) rows * w, lo, hi, kind, out);
      return;
    }
  cfm_display_levels (values, (size_t) rows * w, lo, hi, kind, tmp);
  for (r = 0; r < rows; r++)
    {
      unsigned char *row = out + (size_t) r * scale * out_w;

      for (x = 0; x < w; x++)
        for (k = 0; k < scale; k++)
          row[x * scale + k] = tmp[(size_t) r * w + x];
      for (dy = 1; dy < scale; dy++)
        memcpy (row + (size_t) dy * out_w, row, out_w);
    }
}

/* One RGB pixel of value T (a display value) or level LV. */
static void
code_pixel (CfmColormap map, int has_levels, unsigned char codes[256][3],
            unsigned char lv, float t, unsigned char px[3])
{
  float color[3];
  int c;

  if (has_levels)
    {
      memcpy (px, codes[lv], 3);
      return;
    }
  cfm_colormap_color (map, t, color);
  for (c = 0; c < 3; c++)
    px[c] = cfm_code_of (color[c]);
}

void
cfm_raster_codes (const float *values, int rows, int w, float lo, float hi,
                  CfmColormap map, int channels, int scale, float *tmp,
                  unsigned char *out)
{
  size_t out_w = (size_t) w * scale * channels;
  unsigned char codes[256][3];
  unsigned char *level = (unsigned char *) tmp;
  CfmLevelKind kind = CFM_LEVELS_CODE;
  int has_levels = cfm_colormap_levels (map, codes, &kind);
  int r, x, k, dy;

  if (channels == 1)
    {
      raster_levels (values, rows, w, lo, hi, kind, scale, level, out);
      return;
    }
  if (has_levels)
    cfm_display_levels (values, (size_t) rows * w, lo, hi, kind, level);
  else
    cfm_display_map (values, tmp, (size_t) rows * w, lo, hi, 1);
  for (r = 0; r < rows; r++)
    {
      unsigned char *row = out + (size_t) r * scale * out_w;
      const unsigned char *lv = level + (size_t) r * w;
      const float *t = tmp + (size_t) r * w;

      if (has_levels && scale == 1)
        for (x = 0; x < w; x++)
          {
            row[3 * x] = codes[lv[x]][0];
            row[3 * x + 1] = codes[lv[x]][1];
            row[3 * x + 2] = codes[lv[x]][2];
          }
      else
        for (x = 0; x < w; x++)
          {
            unsigned char px[3];

            code_pixel (map, has_levels, codes, has_levels ? lv[x] : 0,
                        has_levels ? 0.0f : t[x], px);
            for (k = 0; k < scale; k++)
              memcpy (row + ((size_t) x * scale + k) * 3, px, 3);
          }
      for (dy = 1; dy < scale; dy++)
        memcpy (row + (size_t) dy * out_w, row, out_w);
    }
}

void
cfm_raster_floats_to_codes (float *values, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)   /* in place: 1 byte per float, front to back */
    ((unsigned char *) values)[i] = cfm_code_of (values[i]);
}

void
cfm_raster_gray_to_rgb (float *values, size_t n)
{
  size_t i;

  for (i = n; i-- > 0;)
    values[i * 3] = values[i * 3 + 1] = values[i * 3 + 2] = values[i];
}
