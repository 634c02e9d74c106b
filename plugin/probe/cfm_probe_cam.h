/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_probe_cam.h: the probe of a class activation map's pixel: the map's
 * value there and the channels of the layer that contribute most to it
 * (each one's weight times its activation). */
#ifndef CFM_PROBE_CAM_H
#define CFM_PROBE_CAM_H

#include "cfm_plan.h"
#include "cfm_probe.h"

/* Probes class CLS's map layer NAME of PLAN (the run's, on SOURCE), lying
 * at LAYER, at image point X, Y into RES; refuses a layer that is not
 * where the run put it and a point outside it. */
gboolean cfm_probe_cam (const CfmPlan *plan, const CfmSource *source,
                        const gchar *name, gint cls,
                        const GeglRectangle *layer, gint x, gint y,
                        CfmProbeResult *res, GError **error);

#endif
