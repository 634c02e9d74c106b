/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_swatch.c: kernel figures and legends drawn with a built-in bitmap
 * font (its API: cfm_swatch.h). */
#include "cfm_swatch.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cfm_colormap.h"

/* 5x7 glyphs, one byte a row, bit 4 the leftmost pixel. */
typedef struct
{
  char          c;
  unsigned char rows[7];
} Glyph;

static const Glyph font[] = {
  { '0', { 0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e } },
  { '1', { 0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e } },
  { '2', { 0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f } },
  { '3', { 0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e } },
  { '4', { 0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02 } },
  { '5', { 0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e } },
  { '6', { 0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e } },
  { '7', { 0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08 } },
  { '8', { 0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e } },
  { '9', { 0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c } },
  { '-', { 0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00 } },
  { '+', { 0x00, 0x04, 0x04, 0x1f, 0x04, 0x04, 0x00 } },
  { '.', { 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c } },
  { 'e', { 0x00, 0x00, 0x0e, 0x11, 0x1f, 0x10, 0x0e } },
  { 'm', { 0x00, 0x00, 0x1a, 0x15, 0x15, 0x11, 0x11 } },
  { 'i', { 0x04, 0x00, 0x0c, 0x04, 0x04, 0x04, 0x0e } },
  { 'n', { 0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11 } },
  { 'a', { 0x00, 0x00, 0x0e, 0x01, 0x0f, 0x11, 0x0f } },
  { 'x', { 0x00, 0x00, 0x11, 0x0a, 0x04, 0x0a, 0x11 } },
};

static const Glyph *
find_glyph (char c)
{
  size_t i;

  for (i = 0; i < sizeof font / sizeof font[0]; i++)
    if (font[i].c == c)
      return &font[i];
  return NULL;   /* drawn as a space */
}

void
cfm_format_value (float v, char *buf, int size)
{
  const char *point = localeconv ()->decimal_point;
  char *p;

  snprintf (buf, (size_t) size, "%.3g", v == 0.0f ? 0.0 : (double) v);
  if (point[0] != '.' && (p = strstr (buf, point)) != NULL)
    {
      size_t plen = strlen (point);

      *p = '.';
      memmove (p + 1, p + plen, strlen (p + plen) + 1);
    }
}

/* Width in pixels of TEXT at SCALE: 6 columns a glyph, less the last gap. */
static int
text_width (const char *text, int scale)
{
  int n = (int) strlen (text);

  return n > 0 ? (6 * n - 1) * scale : 0;
}

/* Draws TEXT with its top-left corner at X, Y into a STRIDE-wide image of
 * CHANNELS floats a pixel, clipped to W x H, in COLOR. */
static void
draw_text (const char *text, int x, int y, int scale, const float *color,
           int channels, float *img, int w, int h)
{
  int i, gy, gx, sy, sx, ch;

  for (i = 0; text[i]; i++)
    {
      const Glyph *g = find_glyph (text[i]);

      for (gy = 0; g && gy < 7; gy++)
        for (gx = 0; gx < 5; gx++)
          {
            if (!(g->rows[gy] & (0x10 >> gx)))
              continue;
            for (sy = 0; sy < scale; sy++)
              for (sx = 0; sx < scale; sx++)
                {
                  int px = x + (i * 6 + gx) * scale + sx;
                  int py = y + gy * scale + sy;

                  if (px < 0 || py < 0 || px >= w || py >= h)
                    continue;
                  for (ch = 0; ch < channels; ch++)
                    img[((size_t) py * w + px) * channels + ch] = color[ch];
                }
          }
    }
}

void
cfm_swatch_size (int kh, int kw, int cell, int *width, int *height)
{
  *width = kw * cell;
  *height = kh * cell;
}

void
cfm_swatch_draw (const float *k, int kh, int kw, int cell, float lo,
                 float hi, float *gray)
{
  int w = kw * cell, h = kh * cell, y, x, cy, cx;

  for (y = 0; y < kh; y++)
    for (x = 0; x < kw; x++)
      {
        float v = k[y * kw + x], shade, ink;
        char text[16];
        int scale, tw;

        cfm_display_map (&v, &shade, 1, lo, hi, 1);
        for (cy = 0; cy < cell; cy++)
          for (cx = 0; cx < cell; cx++)
            gray[(size_t) (y * cell + cy) * w + x * cell + cx] = shade;
        cfm_format_value (v, text, sizeof text);
        ink = v < 0.0f ? 1.0f : 0.0f;
        for (scale = 3; scale > 1 && text_width (text, scale) > cell - 4;
             scale--)
          ;
        tw = text_width (text, scale);
        if (tw > cell - 2 || 7 * scale > cell - 2)
          continue;   /* too small to write on */
        draw_text (text, x * cell + (cell - tw) / 2,
                   y * cell + (cell - 7 * scale) / 2, scale, &ink, 1, gray,
                   w, h);
      }
}

CfmStatus
cfm_legend_draw (CfmColormap colormap, float lo, float hi, const char *left,
                 const char *right, int mark_zero, int width, int height,
                 float *rgb, CfmError *err)
{
  const float white[3] = { 1, 1, 1 }, black[3] = { 0, 0, 0 };
  int bar = height - 7 * 2 - 6, x, y;

  if (width < 64 || bar < 4)
    return cfm_error_set (err, CFM_ERR_SIZE, "a legend needs at least 64x24 "
                          "pixels, not %dx%d", width, height);
  for (y = 0; y < height; y++)
    for (x = 0; x < width; x++)
      memcpy (rgb + ((size_t) y * width + x) * 3, white, sizeof white);
  for (x = 0; x < width; x++)
    {
      float t = (float) x / (float) (width - 1), c[3];

      cfm_colormap_color (colormap, t, c);
      for (y = 0; y < bar; y++)
        memcpy (rgb + ((size_t) y * width + x) * 3, c, sizeof c);
    }
  draw_text (left, 1, bar + 3, 2, black, 3, rgb, width, height);
  draw_text (right, width - 1 - text_width (right, 2), bar + 3, 2, black, 3,
             rgb, width, height);
  if (mark_zero && lo < 0.0f && hi > 0.0f)
    {
      int zx = (int) lrintf (-lo / (hi - lo) * (float) (width - 1));
      int tx = zx - text_width ("0", 2) / 2;

      for (y = 0; y < bar + 2; y++)
        memcpy (rgb + ((size_t) y * width + zx) * 3, black, sizeof black);
      if (tx > text_width (left, 2) + 4
          && tx + text_width ("0", 2) < width - text_width (right, 2) - 4)
        draw_text ("0", tx, bar + 3, 2, black, 3, rgb, width, height);
    }
  return CFM_OK;
}
