/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_probe_node.h: the probe on a node past a model's chain (a residual
 * block's add, a concatenation, any node of the graph): its pixel computed
 * again on a crop around its receptive field, with its own operator's
 * arithmetic: which inputs it reads there and their values. */
#ifndef CFM_PROBE_NODE_H
#define CFM_PROBE_NODE_H

#include "cfm_plan.h"

/* Reads the model's input (normalised as it was trained) for rows
 * [ROW0, ROW0 + ROWS) and columns [X0, X0 + W) of the plan's area into
 * DST, channels x ROWS x W. */
typedef void (*CfmProbeInput) (gpointer data, gint row0, gint rows, gint x0,
                               gint w, gfloat *dst);

/* The receptive field of a node of geometry GEO (in PLAN's graph) for its
 * map pixel I, J, in area coordinates (the whole area after a global
 * step). */
GeglRectangle cfm_probe_field (const CfmGraphGeometry *geo,
                               const CfmPlan *plan, gint i, gint j);

/* The crop that gives that node's pixels over FIELD their whole-image
 * values: FIELD and a margin of a field and two strides, its corner on
 * the grid of the node's stride S (the whole area after a global step). */
GeglRectangle cfm_probe_crop (const CfmGraphGeometry *geo,
                              const CfmPlan *plan,
                              const GeglRectangle *field, gint s);

/* PLAN's node's (plan->model->node) channel F at map pixel I, J: its
 * VALUE, its receptive FIELD (image coordinates, before clipping) and the
 * explanation appended to TEXT. */
gboolean cfm_probe_node (const CfmPlan *plan, CfmProbeInput read,
                         gpointer read_data, gint f, gint i, gint j,
                         GeglRectangle *field, gdouble *value, GString *text,
                         GError **error);

#endif
