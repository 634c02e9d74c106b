/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_probe.c: the probe's dialog and field, the same in both GIMP APIs
 * (its API: host_probe.h). */
#include "config.h"

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "host_probe.h"
#include "cfm_i18n.h"

#define PROBE_DIALOG_WIDTH  860
#define PROBE_DIALOG_HEIGHT 420

void
host_probe_dialog (const gchar *text)
{
  GtkWidget *dialog = gimp_dialog_new (_("CNN Feature Maps Probe"),
                                       "cnn-feature-maps-probe", NULL, 0,
                                       gimp_standard_help_func,
                                       CFM_PROBE_PROC_NAME, _("_Close"),
                                       GTK_RESPONSE_CLOSE, NULL);
  GtkWidget *scroll = gtk_scrolled_window_new (NULL, NULL);
  GtkWidget *label = gtk_label_new (NULL);
  gchar *markup = g_markup_printf_escaped ("<tt>%s</tt>", text);

  gtk_label_set_markup (GTK_LABEL (label), markup);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
#if GTK_CHECK_VERSION (3, 16, 0)
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_yalign (GTK_LABEL (label), 0.0);
#else
  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.0);
#endif
  gtk_container_set_border_width (GTK_CONTAINER (scroll), 12);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll),
                                  GTK_POLICY_AUTOMATIC, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_size_request (scroll, PROBE_DIALOG_WIDTH,
                               PROBE_DIALOG_HEIGHT);
#if GTK_CHECK_VERSION (3, 8, 0)
  gtk_container_add (GTK_CONTAINER (scroll), label);
#else
  gtk_scrolled_window_add_with_viewport (GTK_SCROLLED_WINDOW (scroll), label);
#endif
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area
                               (GTK_DIALOG (dialog))), scroll, TRUE, TRUE, 0);
  gtk_widget_show_all (dialog);
  gimp_dialog_run (GIMP_DIALOG (dialog));
  gtk_widget_destroy (dialog);
  g_free (markup);
}

gboolean
host_probe_point (gboolean any, gint x1, gint y1, gint x2, gint y2, gint *x,
                  gint *y, GError **error)
{
  if (!any)
    {
      g_set_error (error, CFM_ERROR, 0, _("Select the pixel of a map layer "
                                          "to probe (a one-pixel rectangle) "
                                          "and run the probe again."));
      return FALSE;
    }
  *x = (x1 + x2 - 1) / 2;
  *y = (y1 + y2 - 1) / 2;
  return TRUE;
}

gboolean
host_probe_check_recipe (const CfmRecipe *recipe, const GeglRectangle *bounds,
                         GError **error)
{
  GeglRectangle layer = { 0, 0, bounds->width, bounds->height };
  const GeglRectangle *p = &recipe->patch;

  if (recipe->area.width > 0 && recipe->area.height > 0
      && gegl_rectangle_contains (bounds, &recipe->area)
      && (p->width == 0 || (p->width > 0 && p->height > 0
                            && gegl_rectangle_contains (&layer, p))))
    return TRUE;
  g_set_error (error, CFM_ERROR, 0, _("The layer these maps were computed "
                                      "from has changed since the run; run "
                                      "CNN Feature Maps again to probe "
                                      "them."));
  return FALSE;
}

gboolean
host_probe_clip (const GeglRectangle *field, const GeglRectangle *layer,
                 GeglRectangle *clipped)
{
  return gegl_rectangle_intersect (clipped, field, layer);
}
