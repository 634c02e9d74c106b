/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_probe.h: what both GIMP APIs' probes share: the dialog that shows
 * the arithmetic (GTK 2 and 3 alike), and the field clipped to the
 * source layer. */
#ifndef HOST_PROBE_H
#define HOST_PROBE_H

#include <libgimp/gimpui.h>

#include "cfm_probe.h"

/* Shows TEXT, the probe's explanation, until the user closes it. */
void host_probe_dialog (const gchar *text);

/* The point an interactive probe takes, the centre of the selection's
 * bounds X1, Y1 .. X2, Y2 (ANY: there is a selection), into *X, *Y; a
 * message asking for one otherwise. */
gboolean host_probe_point (gboolean any, gint x1, gint y1, gint x2, gint y2,
                           gint *x, gint *y, GError **error);

/* Whether the area and patch RECIPE records lie inside the source layer at
 * BOUNDS (image coordinates): a recipe read from a file is not trusted;
 * a message otherwise. */
gboolean host_probe_check_recipe (const CfmRecipe *recipe,
                                  const GeglRectangle *bounds,
                                  GError **error);

/* FIELD clipped to the layer at LAYER (image coordinates); FALSE when
 * they do not meet. */
gboolean host_probe_clip (const GeglRectangle *field,
                          const GeglRectangle *layer, GeglRectangle *clipped);

#endif
