/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_colormap.h: the colour of a display value, the one definition used
 * by layers, the preview, legends and the 8-bit level tables. */
#ifndef CFM_COLORMAP_H
#define CFM_COLORMAP_H

#include "cfm_display.h"

typedef enum
{
  CFM_COLORMAP_GRAY,
  CFM_COLORMAP_DIVERGING,   /* blue at 0, white at 0.5, red at 1 */
  CFM_COLORMAP_VIRIDIS,     /* as matplotlib computes it */
  CFM_COLORMAP_TURBO,       /* matplotlib's (Google's turbo) */
  CFM_COLORMAP_JET          /* matplotlib's: the heat maps of class
                               activation maps, as the anchors draw them */
} CfmColormap;

/* The colour of display value T in MAP.  The colour maps clamp T to
 * [0, 1]; gray passes it through, so raw values reach float layers. */
void cfm_colormap_color (CfmColormap map, float t, float rgb[3]);

/* A display value as an 8-bit code, round (255 v) clamped, as babl makes
 * it. */
static inline unsigned char
cfm_code_of (float v)
{
  return v <= 0.0f ? 0 : v >= 1.0f ? 255 : (unsigned char) (v * 255.0f + 0.5f);
}

/* How MAP's colours come from 8-bit levels (cfm_display_levels): *KIND and
 * the 8-bit codes of every level into CODES[level][channel] (gray: the
 * level is the code; viridis, turbo, jet: the entry's colour).  Returns 0 for a
 * colormap without levels (diverging), whose colours need the value. */
int cfm_colormap_levels (CfmColormap map, unsigned char codes[256][3],
                         CfmLevelKind *kind);

#endif
