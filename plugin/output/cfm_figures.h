/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_figures.h: the pictures that explain the maps, as layers: the
 * kernels drawn as the tutorial draws its filters (a "Kernels" group at the
 * area's top-left corner) and a legend per stage (a "Legends" group at its
 * bottom-left corner). */
#ifndef CFM_FIGURES_H
#define CFM_FIGURES_H

#include "cfm_bands.h"
#include "cfm_host.h"
#include "cfm_layers.h"

/* Adds the kernel figures inside the top group of TREE. */
gboolean cfm_figures_kernels (const CfmPlan *plan, CfmSink *sink,
                              CfmLayerTree *tree, GError **error);

/* Adds a legend per shown stage, for the maps' RANGES. */
gboolean cfm_figures_legends (const CfmPlan *plan, const CfmRanges *ranges,
                              CfmSink *sink, CfmLayerTree *tree,
                              GError **error);

#endif
