/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_swatch.c: the kernel figure and the legend, checked pixel by pixel
 * against hand arithmetic. */
#include "test_util.h"

#include <locale.h>

#include "cfm_colormap.h"
#include "cfm_display.h"
#include "cfm_swatch.h"

/* Pixels of cell (cy, cx) whose value is V (within 1e-6). */
static int
count_in_cell (const float *img, int w, int cell, int cy, int cx, float v)
{
  int y, x, n = 0;

  for (y = 0; y < cell; y++)
    for (x = 0; x < cell; x++)
      n += fabsf (img[(size_t) (cy * cell + y) * w + cx * cell + x] - v)
           < 1e-6f;
  return n;
}

int
main (void)
{
  /* The tutorial's filter_1 and a kernel of three values. */
  const float k1[16] = { -1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1,
                         -1, -1, 1, 1 };
  const float k2[3] = { -2, 0, 6 };
  float img[28 * 28 * 16], rgb[256 * 36 * 3], c[3];
  char buf[32];
  int w, h, cx, zx;
  CfmError err;

  cfm_swatch_size (4, 4, 28, &w, &h);
  CHECK (w == 112 && h == 112, "swatch size %dx%d", w, h);
  cfm_swatch_draw (k1, 4, 4, 28, -1.0f, 1.0f, img);
  for (cx = 0; cx < 4; cx++)
    {
      float shade = cx < 2 ? 0.0f : 1.0f, ink = cx < 2 ? 1.0f : 0.0f;

      /* The cell's corner has its shade; its value is written in ink. */
      CHECK (img[(size_t) 1 * w + cx * 28 + 1] == shade, "cell %d shade",
             cx);
      CHECK (count_in_cell (img, w, 28, 0, cx, ink) > 20,
             "cell %d has no text", cx);
      CHECK (count_in_cell (img, w, 28, 0, cx, shade)
             + count_in_cell (img, w, 28, 0, cx, ink) == 28 * 28,
             "cell %d holds other values", cx);
    }
  /* Gray between the bank's extremes: 0 sits at 0.25 of -2 .. 6. */
  cfm_swatch_draw (k2, 1, 3, 28, -2.0f, 6.0f, img);
  CHECK (img[1 * 84 + 28 + 1] == 0.25f, "middle cell %g", img[85 + 28]);
  CHECK (count_in_cell (img, 84, 28, 0, 1, 0.0f) > 10, "0 is written");

  /* Numbers with '.' in any locale. */
  cfm_format_value (-0.0625f, buf, sizeof buf);
  CHECK (strcmp (buf, "-0.0625") == 0 || strcmp (buf, "-0.062") == 0
         || strcmp (buf, "-0.0625") == 0, "format %s", buf);
  if (setlocale (LC_NUMERIC, "de_DE.UTF-8"))
    {
      cfm_format_value (1.5f, buf, sizeof buf);
      CHECK (strcmp (buf, "1.5") == 0, "format in de_DE: %s", buf);
      setlocale (LC_NUMERIC, "C");
    }

  /* The legend: the colormap's ends at the bar's ends, zero marked. */
  CHECK (cfm_legend_draw (2, -1.0f, 3.0f, "-1", "3", 1, 256, 36, rgb, &err)
         == CFM_OK, "%s", err.message);
  cfm_colormap_color (CFM_COLORMAP_VIRIDIS, 0.0f, c);
  CHECK (rgb[0] == c[0] && rgb[2] == c[2], "viridis left end");
  cfm_colormap_color (CFM_COLORMAP_VIRIDIS, 1.0f, c);
  CHECK (rgb[255 * 3] == c[0] && rgb[255 * 3 + 1] == c[1],
         "viridis right end");
  zx = (int) lrintf (1.0f / 4.0f * 255.0f);
  CHECK (rgb[(size_t) 2 * 256 * 3 + zx * 3] == 0.0f, "zero marked at %d", zx);
  CHECK (cfm_legend_draw (0, 0, 1, "a", "b", 0, 20, 10, rgb, &err)
         == CFM_ERR_SIZE, "tiny legend");
  return test_finish ("swatch");
}
