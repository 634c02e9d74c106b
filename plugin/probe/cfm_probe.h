/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_probe.h: the probe: one map pixel's value worked out again from
 * just the input pixels it reads, with the arithmetic written out (the
 * patch, the kernel, the products and their sum, the bias, the
 * activation, the pooling window and its winner), and its receptive
 * field. */
#ifndef CFM_PROBE_H
#define CFM_PROBE_H

#include "cfm_host.h"
#include "cfm_recipe.h"

#define CFM_PROBE_PROC_NAME "plug-in-cnn-feature-maps-probe"

typedef struct
{
  gdouble       value;        /* the raw map value */
  GeglRectangle field;        /* image coordinates, before clipping */
  gint          outside;      /* pixels of the field outside the source */
  gchar        *explanation;
} CfmProbeResult;

/* Probes the map layer NAME, lying at LAYER (image coordinates), of the
 * run RECIPE describes, at image point X, Y; SOURCE is the recipe's
 * source layer (its area: the recipe's).  Refuses a source whose pixels
 * changed, a layer that is not where the run put it and a point outside
 * the map. */
gboolean cfm_probe_run (const CfmRecipe *recipe, const CfmSource *source,
                        const gchar *name, const GeglRectangle *layer,
                        gint x, gint y, CfmProbeResult *result,
                        GError **error);

void cfm_probe_result_clear (CfmProbeResult *result);

#endif
