/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_preview.h: drawing the dialogs' preview widget, the same in both
 * GIMP APIs (GimpPreview and GTK 2 or 3 alike). */
#ifndef HOST_PREVIEW_H
#define HOST_PREVIEW_H

#include <libgimp/gimpui.h>

#include "cfm_dialog.h"

/* Draws the map of FILTER at STAGE (cfm_dialog_preview) over the part of
 * BUFFER that PREVIEW shows, and writes what keeps it empty into the label
 * NOTE. */
void host_preview_draw (GimpPreview *preview, CfmDialogState *state,
                        GeglBuffer *buffer, gint filter, CfmStage stage,
                        GtkWidget *note);

#endif
