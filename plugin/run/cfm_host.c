/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_host.c: the checks of a drawable both hosts share, and the ICC
 * profile as bytes (its API: cfm_host.h). */
#include "config.h"

/* libgimpcolor's header wants these first in both GIMP APIs. */
#include <gio/gio.h>
#include <cairo.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gegl.h>
#include <libgimpcolor/gimpcolor.h>

#include "cfm_host.h"
#include "cfm_args.h"
#include "cfm_i18n.h"

gboolean
cfm_host_check_drawable (const CfmDrawableFacts *facts, GeglRectangle *area,
                         GError **error)
{
  if (facts->indexed)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("Indexed images are not supported: convert the image "
                     "to RGB or grayscale (Image > Mode) first."));
      return FALSE;
    }
  if (facts->group)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("\"%s\" is a layer group; select a layer."),
                   facts->name);
      return FALSE;
    }
  if (!facts->touched || facts->mask.width < 1 || facts->mask.height < 1)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("The selection does not touch \"%s\"."), facts->name);
      return FALSE;
    }
  *area = facts->mask;
  return TRUE;
}

gboolean
cfm_host_plan_area (gint bank, const CfmDrawableFacts *facts,
                    GeglRectangle *area, GeglRectangle *patch,
                    GError **error)
{
  *patch = (GeglRectangle) { 0, 0, 0, 0 };
  if (!cfm_host_check_drawable (facts, area, error))
    return FALSE;
  if (bank != CFM_BANK_SELECTION)
    return TRUE;
  if (!facts->selection)
    {
      g_set_error (error, CFM_ERROR, 0, _("The filter bank \"selection\" "
                                          "takes its kernel from the "
                                          "selection: select a patch of at "
                                          "most %d x %d pixels."),
                   CFM_PATCH_MAX, CFM_PATCH_MAX);
      return FALSE;
    }
  if (area->width > CFM_PATCH_MAX || area->height > CFM_PATCH_MAX)
    {
      g_set_error (error, CFM_ERROR, 0, _("The selected patch is %d x %d "
                                          "pixels; the filter bank "
                                          "\"selection\" takes at most "
                                          "%d x %d."), area->width,
                   area->height, CFM_PATCH_MAX, CFM_PATCH_MAX);
      return FALSE;
    }
  *patch = *area;
  *area = (GeglRectangle) { 0, 0, facts->width, facts->height };
  return TRUE;
}

GBytes *
cfm_host_icc (struct _GimpColorProfile *profile)
{
  const guint8 *data;
  GBytes *bytes;
  gsize n;

  if (profile == NULL)
    return NULL;
  data = gimp_color_profile_get_icc_profile (profile, &n);
  bytes = g_bytes_new (data, n);
  g_object_unref (profile);
  return bytes;
}
