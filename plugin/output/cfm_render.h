/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_render.h: a whole run, from a plan to layers in the image, for both
 * GIMP APIs, and GEGL's start-up.
 *
 * Pixels move through GEGL, which both APIs share; what differs comes from
 * the host as a CfmSource and a CfmSink.  Everything the user can get
 * wrong was checked when the plan was made.  The maps are computed band by
 * band (cfm_bands.h) twice: a range pass, then the write pass
 * (cfm_write.h), so the plug-in never holds a whole map.  The layers are
 * filled before any of them goes into the image (cfm_layers.h), so an
 * error, or GIMP closing the plug-in when the user cancels, leaves the
 * image as it was. */
#ifndef CFM_RENDER_H
#define CFM_RENDER_H

#include "cfm_host.h"
#include "cfm_plan.h"

/* Starts GEGL for the plug-in, which uses its buffers and never one of its
 * operations, so without loading the operation modules. */
void cfm_render_init_gegl (void);

/* Runs PLAN on SOURCE and adds the layers through SINK; PREDICTIONS, when
 * not NULL, gets the classifier's ranked lines (cfm_predictions.h), or ""
 * for a network without one (free with g_free). */
gboolean cfm_render_run (const CfmPlan *plan, const CfmSource *source,
                         CfmSink *sink, gchar **predictions, GError **error);

#endif
