/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_source.h: the network's input, read row by row from the source.
 *
 * 8-bit images are read as codes, so that luma is OpenCV's integer
 * conversion and code / 255 is numpy's; others as floats.  A run reads its
 * input twice (the range pass, then the write pass): the codes of the
 * first can be kept (cfm_input_keep) and replayed in the second
 * (cfm_input_replay) instead of being read from GIMP again. */
#ifndef CFM_SOURCE_H
#define CFM_SOURCE_H

#include "cfm_host.h"
#include "cfm_plan.h"

typedef struct _CfmInput CfmInput;

/* Reads SOURCE's area as PLAN's input (both must outlive it). */
CfmInput *cfm_input_new (const CfmSource *source, const CfmPlan *plan);
void      cfm_input_free (CfmInput *input);

/* Keeps the codes read from now on when they are codes and fit (up to
 * 256 MB: reading them from GIMP again takes as long as computing the maps
 * twice); call before the first read. */
void cfm_input_keep (CfmInput *input);

/* From now on, reads come from the kept codes when every row was kept. */
void cfm_input_replay (CfmInput *input);

/* Reads the source's rows [ROW0, ROW0 + ROWS) as the network's planar
 * input into DST (channels x ROWS x the plan's source_width floats):
 * before any "input-size" resize (cfm_bands.c resizes). */
void cfm_input_read (CfmInput *input, gint row0, gint rows, gfloat *dst);

#endif
