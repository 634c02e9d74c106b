/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_model_summary.h: a trained model as the dialog's summary shows it: a
 * table of its modules with their output sizes for the image or selection
 * (as torchinfo's summary prints them), the chosen block marked, and where
 * the chain ends. */
#ifndef CFM_MODEL_SUMMARY_H
#define CFM_MODEL_SUMMARY_H

#include "cfm_plan.h"

/* Pango markup of MODEL's table for an input of WIDTH x HEIGHT, the block
 * of LAYER marked (none when LAYER names no module). */
gchar *cfm_model_summary (const CfmModel *model, const gchar *layer,
                          gint width, gint height);

/* The names "layer" takes on MODEL, in forward order: every node that
 * computes maps, as the graph's table names it (its module path and the
 * blocks it closes), a NULL-terminated list for g_strfreev. */
gchar **cfm_model_layer_names (const CfmModel *model);

#endif
