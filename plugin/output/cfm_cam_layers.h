/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_cam_layers.h: a run's class activation maps ("cam", "cam-class") as
 * layers of its group: one a class, named as cfm_names_cam says, and with
 * "legend" its colour bar. */
#ifndef CFM_CAM_LAYERS_H
#define CFM_CAM_LAYERS_H

#include "cfm_layers.h"
#include "cfm_plan.h"
#include "cfm_source.h"

/* Computes PLAN's class activation maps on INPUT and adds their layers
 * through SINK into TREE (nothing in the image yet). */
gboolean cfm_cam_layers (const CfmPlan *plan, CfmInput *input,
                         CfmSink *sink, CfmLayerTree *tree, GError **error);

#endif
