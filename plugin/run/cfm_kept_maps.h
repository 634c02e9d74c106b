/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_kept_maps.h: the range pass's maps kept for the write pass.  A run
 * needs every map's range before it writes a pixel, so it computes its
 * maps twice; where the shown maps are small (a deep layer's: ResNet-50's
 * layer3 over 12 megapixels holds 190 MB), the range pass keeps them and
 * the write pass reads them back instead of running the network again. */
#ifndef CFM_KEPT_MAPS_H
#define CFM_KEPT_MAPS_H

#include "cfm_bands.h"

/* The most the kept maps may hold: past it, the network runs twice. */
#define CFM_KEPT_MAPS_BYTES ((gsize) 256 << 20)

typedef struct _CfmKeptMaps CfmKeptMaps;

/* Room for PLAN's shown maps, or NULL when they would pass
 * CFM_KEPT_MAPS_BYTES (or the memory is not there, or the environment
 * says CFM_PASSES=two: the tests compare both ways). */
CfmKeptMaps *cfm_kept_maps_new (const CfmPlan *plan);
void         cfm_kept_maps_free (CfmKeptMaps *kept);

/* A CfmBandFunc for the range pass: keeps BAND's rows of every map in
 * KEPT (a CfmKeptMaps). */
gboolean cfm_kept_maps_add (const CfmPlan *plan, const CfmBandMaps *band,
                            gpointer kept, GError **error);

/* Hands every kept map to LOOP in bands, stage by stage, as
 * cfm_bands_run would. */
gboolean cfm_kept_maps_replay (const CfmPlan *plan, const CfmKeptMaps *kept,
                               const CfmBandLoop *loop, GError **error);

#endif
