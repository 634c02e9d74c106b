/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plugin_util.c: what the plug-in tests share (its API: plugin_util.h). */
#include "config.h"

#include "plugin_util.h"

#include "cfm_dialog.h"

GeglBuffer *
photo_buffer (const CfmArray *photo)
{
  size_t h = photo->shape[0], w = photo->shape[1], i;
  GeglRectangle r = { 0, 0, (gint) w, (gint) h };
  GeglBuffer *buf = gegl_buffer_new (&r, babl_format ("R'G'B' u8"));
  guchar *px = g_malloc (h * w * 3);

  for (i = 0; i < h * w * 3; i++)
    px[i] = (guchar) photo->data[i];
  gegl_buffer_set (buf, &r, 0, babl_format ("R'G'B' u8"), px,
                   GEGL_AUTO_ROWSTRIDE);
  g_free (px);
  return buf;
}

void
set_model (CfmArgValues *vals, const gchar *file, const gchar *text,
           const gchar *layer)
{
  cfm_args_set_from_string (vals, "filter-bank", "model", NULL);
  cfm_args_set_from_string (vals, "model-file", file, NULL);
  cfm_args_set_from_string (vals, "network", text, NULL);
  cfm_args_set_from_string (vals, "layer", layer, NULL);
  cfm_args_set_from_string (vals, "input", "rgb", NULL);
  cfm_args_set_from_string (vals, "input-normalize", "imagenet", NULL);
}

gboolean
render_preview (const CfmArgValues *vals, GeglBuffer *buf,
                const GeglRectangle *area, const GeglRectangle *view,
                gint filter, CfmStage stage, guchar *rgb, GError **error)
{
  CfmDialogState st;
  gchar *note;

  cfm_dialog_init (&st, area, TRUE);
  cfm_dialog_set_values (&st, vals);
  note = cfm_dialog_preview (&st, buf, view, filter, stage, rgb);
  if (note)
    g_set_error_literal (error, CFM_ERROR, 0, note);
  g_free (note);
  cfm_dialog_clear (&st);
  return note == NULL;
}
