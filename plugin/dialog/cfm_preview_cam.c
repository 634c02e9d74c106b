/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_preview_cam.c: the dialogs' preview of a class activation map: the
 * first class's heat map over the visible part of the photo, computed on
 * the whole area (the class is the whole image's) as the run computes it
 * (its API: cfm_preview.h). */
#include "config.h"

#include <string.h>

#include "cfm_bands.h"
#include "cfm_i18n.h"
#include "cfm_preview.h"

/* The heat map's share of each pixel, as the layer's opacity over the
 * photo (cfm_cam_layers.c). */
#define HEAT_SHARE 0.5f

/* The first class's map of PLAN on SOURCE into *MAP (the layer's h x w,
 * freed by the caller). */
static gboolean
first_map (const CfmPlan *plan, const CfmSource *source, gfloat **map,
           GError **error)
{
  const CfmValue *a = &plan->graph.values[plan->cam.at];
  CfmInput *input = cfm_input_new (source, plan);
  gboolean ok;
  CfmCam cam;
  CfmError err;

  *map = g_new (gfloat, (gsize) a->h * a->w);
  ok = cfm_bands_cam (plan, input, &cam, error);
  if (ok && cfm_cam_class (&cam, cfm_plan_cam_class (plan, cam.logits,
                                                     cam.n_classes, 0),
                           *map, NULL, &err) != CFM_OK)
    {
      g_set_error (error, CFM_ERROR, 0, "cam: %s", err.message);
      ok = FALSE;
    }
  cfm_cam_free (&cam);
  cfm_input_free (input);
  return ok;
}

/* MAP upsampled over the whole area, its rows and columns under VIEW
 * (area coordinates) coloured and laid over the photo's pixels PHOTO
 * (R'G'B' u8, as RGB) into RGB. */
static void
paint (const CfmPlan *plan, const gfloat *map, const GeglRectangle *view,
       const guchar *photo, guchar *rgb)
{
  const CfmValue *a = &plan->graph.values[plan->cam.at];
  gsize n = (gsize) a->h * a->w, k;
  gfloat lo = map[0], hi = map[0], span;
  gfloat *row = g_new (gfloat, plan->width);
  gint x, y, c;

  for (k = 1; k < n; k++)
    {
      lo = MIN (lo, map[k]);
      hi = MAX (hi, map[k]);
    }
  span = hi > lo ? hi - lo : 1.0f;
  for (y = 0; y < view->height; y++)
    {
      cfm_cam_upsample (map, a->h, a->w, plan->source_height,
                        plan->source_width, view->y + y, 1, row);
      for (x = 0; x < view->width; x++)
        {
          gsize at = ((gsize) y * view->width + x) * 3;
          gfloat color[3];

          cfm_colormap_color (cfm_plan_cam_colormap (plan),
                              (row[view->x + x] - lo) / span, color);
          for (c = 0; c < 3; c++)
            rgb[at + c] = (guchar) (HEAT_SHARE * 255.0f
                                    * CLAMP (color[c], 0.0f, 1.0f)
                                    + (1.0f - HEAT_SHARE) * photo[at + c]
                                    + 0.5f);
        }
    }
  g_free (row);
}

gboolean
cfm_preview_cam (const CfmLoaded *loaded, const CfmArgValues *vals,
                 const CfmSource *source, const GeglRectangle *view,
                 guchar *rgb, GError **error)
{
  const GeglRectangle *area = &source->area;
  GeglRectangle v = { view->x - area->x, view->y - area->y, view->width,
                      view->height };
  CfmArgValues pv;
  CfmPlan *plan;
  gfloat *map = NULL;
  gboolean ok;

  cfm_args_copy (&pv, vals);
  pv.v[CFM_ARG_ALIGN].i = TRUE;
  plan = cfm_plan_new_on (loaded, &pv, source->image_rgb, area->width,
                          area->height, 0, 0, error);
  cfm_args_clear (&pv);
  if (plan == NULL)
    return FALSE;
  ok = first_map (plan, source, &map, error);
  if (ok)
    {
      guchar *photo = g_new (guchar, (gsize) view->width * view->height * 3);

      gegl_buffer_get (source->buffer, view, 1.0,
                       babl_format ("R'G'B' u8"), photo,
                       GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
      paint (plan, map, &v, photo, rgb);
      g_free (photo);
    }
  g_free (map);
  cfm_plan_free (plan);
  return ok;
}
