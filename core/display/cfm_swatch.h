/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_swatch.h: pictures that explain the maps: the tutorial's kernel
 * figure (each weight a gray cell with its value written on it) and a
 * legend (the colour bar and the numbers it stands for).
 *
 * Text is drawn with a small built-in bitmap font (digits, sign, point,
 * exponent and the letters of "min", "max"), so the pictures are the same
 * in every host and need no font machinery. */
#ifndef CFM_SWATCH_H
#define CFM_SWATCH_H

#include "cfm_colormap.h"
#include "cfm_error.h"

/* Size of the picture of one KH x KW kernel plane with CELL-pixel cells. */
void cfm_swatch_size (int kh, int kw, int cell, int *width, int *height);

/* Draws kernel plane K (KH x KW, row-major) into GRAY (width x height from
 * cfm_swatch_size, values 0..1): each cell gray from LO (black) to HI
 * (white), its value written in white on negative weights and black on the
 * others, as the tutorial draws its filters. */
void cfm_swatch_draw (const float *k, int kh, int kw, int cell, float lo,
                      float hi, float *gray);

/* A legend of WIDTH x HEIGHT RGB pixels (0..1, 3 floats a pixel): the bar of
 * COLORMAP from LO to HI on top, and under
 * it the labels LEFT and RIGHT at its ends and, when MARK_ZERO and LO < 0 <
 * HI, "0" under zero.  Returns CFM_ERR_SIZE when it is too small. */
CfmStatus cfm_legend_draw (CfmColormap colormap, float lo, float hi,
                           const char *left, const char *right,
                           int mark_zero, int width, int height, float *rgb,
                           CfmError *err);

/* Writes V with 3 significant digits, with '.' whatever the locale. */
void cfm_format_value (float v, char *buf, int size);

#endif
