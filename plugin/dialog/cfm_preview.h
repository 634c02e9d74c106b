/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_preview.h: the dialogs' live preview: one map, 1:1 over the part of
 * the source the preview shows. */
#ifndef CFM_PREVIEW_H
#define CFM_PREVIEW_H

#include "cfm_host.h"
#include "cfm_plan.h"

/* Side of the dialogs' preview, in pixels. */
#define CFM_PREVIEW_SIZE 280

/* What the preview paints where no map pixel lies (the edges a valid
 * convolution drops), and everywhere on an error. */
#define CFM_PREVIEW_EMPTY 64

/* Draws the map of FILTER (its number in the bank, as layer names give it)
 * at STAGE, where it lies over VIEW, a part of SOURCE's area (buffer
 * coordinates), 1:1 as R'G'B' u8 into RGB (VIEW's width x height x 3
 * bytes), for the dialog's values VALS and the kernels or model LOADED
 * that cfm_plan_load loaded for them.  The preview plans its own runs from
 * them (one filter, its stage on, aligned, on a crop).  Only VIEW and a
 * margin are computed, and only the one filter (every shown filter when
 * the stage shares a range), so the map's values are those of the full
 * run at a fraction of its cost.  Maps lie aligned over the input,
 * whatever "align" says; the display range is that of the visible part.
 * On an error RGB is all CFM_PREVIEW_EMPTY and ERROR says why. */
gboolean cfm_preview_draw (const CfmLoaded *loaded, const CfmArgValues *vals,
                           const CfmSource *source, const GeglRectangle *view,
                           gint filter, CfmStage stage, guchar *rgb,
                           GError **error);

/* The preview of a class activation map ("cam" not none): the first
 * class's heat map, computed on the whole of SOURCE's area (at "input-size"
 * where that is set) as the run computes it, laid over the photo's pixels
 * under VIEW into RGB as cfm_preview_draw paints (cfm_preview_cam.c). */
gboolean cfm_preview_cam (const CfmLoaded *loaded, const CfmArgValues *vals,
                          const CfmSource *source, const GeglRectangle *view,
                          guchar *rgb, GError **error);

#endif
