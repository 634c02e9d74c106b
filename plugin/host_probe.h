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

/* FIELD clipped to the layer at LAYER (image coordinates); FALSE when
 * they do not meet. */
gboolean host_probe_clip (const GeglRectangle *field,
                          const GeglRectangle *layer, GeglRectangle *clipped);

#endif
