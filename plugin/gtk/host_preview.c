/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_preview.c: drawing the preview widget, the same in both GIMP APIs
 * (its API: host_preview.h). */
#include "config.h"

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "host_preview.h"

void
host_preview_draw (GimpPreview *preview, CfmDialogState *state,
                   GeglBuffer *buffer, gint filter, CfmStage stage,
                   GtkWidget *note)
{
  GeglRectangle visible;
  guchar *rgb;
  gchar *text;

  gimp_preview_get_position (preview, &visible.x, &visible.y);
  gimp_preview_get_size (preview, &visible.width, &visible.height);
  if (visible.width < 1 || visible.height < 1)
    return;
  rgb = g_malloc ((gsize) visible.width * visible.height * 3);
  text = cfm_dialog_preview (state, buffer, &visible, filter, stage, rgb);
  gimp_preview_area_draw (GIMP_PREVIEW_AREA (gimp_preview_get_area (preview)),
                          0, 0, visible.width, visible.height,
                          GIMP_RGB_IMAGE, rgb, visible.width * 3);
  gtk_label_set_text (GTK_LABEL (note), text ? text : "");
  g_free (text);
  g_free (rgb);
}
