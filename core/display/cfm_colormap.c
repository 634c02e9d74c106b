/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_colormap.c: the gray, diverging, viridis, turbo and jet colours of
 * display values, and their 8-bit level tables (its API:
 * cfm_colormap.h). */
#include "cfm_colormap.h"

#include "cfm_jet.inc"
#include "cfm_turbo.inc"
#include "cfm_viridis.inc"

/* The entry table of a colormap matplotlib lists, or NULL. */
static const float (*
lut_of (CfmColormap map))[3]
{
  switch (map)
    {
    case CFM_COLORMAP_VIRIDIS: return cfm_viridis_lut;
    case CFM_COLORMAP_TURBO: return cfm_turbo_lut;
    case CFM_COLORMAP_JET: return cfm_jet_lut;
    default: return NULL;
    }
}

static void
listed (const float (*lut)[3], float t, float rgb[3])
{
  int i;

  t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
  /* matplotlib picks entry int(t * N), the last one for t == 1. */
  i = (int) (t * 256.0f);
  i = i > 255 ? 255 : i;
  rgb[0] = lut[i][0];
  rgb[1] = lut[i][1];
  rgb[2] = lut[i][2];
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
  if (lut_of (map))
    {
      listed (lut_of (map), t, rgb);
      return;
    }
  switch (map)
    {
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
  *kind = lut_of (map) ? CFM_LEVELS_INDEX : CFM_LEVELS_CODE;
  for (i = 0; i < 256; i++)
    {
      float color[3];

      /* a listed entry's colour, or a gray level's own code */
      cfm_colormap_color (map, lut_of (map) ? (i + 0.5f) / 256.0f
                                            : (float) i / 255.0f, color);
      for (c = 0; c < 3; c++)
        codes[i][c] = lut_of (map) ? cfm_code_of (color[c])
                                   : (unsigned char) i;
    }
  return 1;
}
