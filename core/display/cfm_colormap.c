/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_colormap.c: the gray, diverging and viridis colours of display
 * values, and their 8-bit level tables (its API: cfm_colormap.h). */
#include "cfm_colormap.h"

#include "cfm_viridis.inc"

static void
viridis (float t, float rgb[3])
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

static void
diverging (float t, float rgb[3])
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

void
cfm_colormap_color (CfmColormap map, float t, float rgb[3])
{
  switch (map)
    {
    case CFM_COLORMAP_VIRIDIS:
      viridis (t, rgb);
      break;
    case CFM_COLORMAP_DIVERGING:
      diverging (t, rgb);
      break;
    case CFM_COLORMAP_GRAY:
    default:
      rgb[0] = rgb[1] = rgb[2] = t;
      break;
    }
}

int
cfm_colormap_levels (CfmColormap map, unsigned char codes[256][3],
                     CfmLevelKind *kind)
{
  int i, c;

  if (map == CFM_COLORMAP_DIVERGING)
    return 0;
  *kind = map == CFM_COLORMAP_VIRIDIS ? CFM_LEVELS_INDEX : CFM_LEVELS_CODE;
  for (i = 0; i < 256; i++)
    {
      float color[3];

      /* a viridis entry's colour, or a gray level's own code */
      cfm_colormap_color (map, map == CFM_COLORMAP_VIRIDIS
                               ? (i + 0.5f) / 256.0f : (float) i / 255.0f,
                          color);
      for (c = 0; c < 3; c++)
        codes[i][c] = map == CFM_COLORMAP_VIRIDIS ? cfm_code_of (color[c])
                                                  : (unsigned char) i;
    }
  return 1;
}
