/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_probe_block.h: the probe on a convolution block's pixel (a
 * convolution, its BatchNorm, activation and pooling): each of the block's
 * nodes up to the stage's computed again on a crop around the pixel's
 * receptive field, their values there and a pooling's window. */
#ifndef CFM_PROBE_BLOCK_H
#define CFM_PROBE_BLOCK_H

#include "cfm_plan.h"
#include "cfm_probe_node.h"

/* PLAN's block's STAGE, channel F at map pixel I, J: its VALUE, its
 * receptive FIELD (image coordinates, before clipping) and the
 * explanation appended to TEXT; READ gives the model's input. */
gboolean cfm_probe_block (const CfmPlan *plan, CfmProbeInput read,
                          gpointer read_data, CfmStage stage, gint f, gint i,
                          gint j, GeglRectangle *field, gdouble *value,
                          GString *text, GError **error);

#endif
