/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_cam_layers.c: a run's class activation maps as layers: each class's
 * map at the layer's own size, scaled as the maps are ("normalize",
 * "colormap"), or with "align" a heat map laid over the photo, upsampled
 * as the anchors do and half transparent; its legend (its API:
 * cfm_cam_layers.h). */
#include "config.h"

#include <string.h>

#include "cfm_bands.h"
#include "cfm_cam_layers.h"
#include "cfm_i18n.h"
#include "cfm_layers.h"
#include "cfm_names.h"
#include "cfm_swatch.h"
#include "cfm_write.h"

/* A heat map over the photo lets it show through as the anchors' overlay
 * does (pytorch-grad-cam's show_cam_on_image: half image, half map). */
#define HEAT_OPACITY 50.0
/* Rows of an upsampled map made and written at a time. */
#define BAND_ROWS    256
#define LEGEND_W     256
#define LEGEND_H     36
#define LEGEND_GAP   4    /* as the maps' legends (cfm_figures.c) */

/* One class's map and how it is shown. */
typedef struct
{
  gint    cls;
  gfloat *map;       /* the layer's h x w */
  gfloat  lo, hi;    /* the values shown as 0 and 1 */
} CamMap;

/* Each map's display range, as "normalize" says: its own minimum and
 * maximum, one range for all the classes, or the raw values. */
static void
display_ranges (const CfmPlan *plan, CamMap *maps, gint n, gsize count)
{
  gint normalize = plan->vals.v[CFM_ARG_NORMALIZE].i, i;
  gfloat all_lo = G_MAXFLOAT, all_hi = -G_MAXFLOAT;
  gsize k;

  for (i = 0; i < n; i++)
    {
      maps[i].lo = G_MAXFLOAT;
      maps[i].hi = -G_MAXFLOAT;
      for (k = 0; k < count; k++)
        {
          maps[i].lo = MIN (maps[i].lo, maps[i].map[k]);
          maps[i].hi = MAX (maps[i].hi, maps[i].map[k]);
        }
      all_lo = MIN (all_lo, maps[i].lo);
      all_hi = MAX (all_hi, maps[i].hi);
    }
  for (i = 0; i < n; i++)
    if (normalize == CFM_NORMALIZE_PER_STAGE)
      {
        maps[i].lo = all_lo;
        maps[i].hi = all_hi;
      }
    else if (normalize == CFM_NORMALIZE_NONE)
      {
        maps[i].lo = 0.0f;
        maps[i].hi = 1.0f;
      }
}

/* VALUES (N of them) as display values of M's range into PIX, coloured
 * (3 a pixel) when CHANNELS is 3. */
static void
colour_values (const CamMap *m, CfmColormap colormap, const gfloat *values,
               gsize n, gint channels, gfloat *pix)
{
  gfloat span = m->hi > m->lo ? m->hi - m->lo : 1.0f;
  gsize k;

  for (k = 0; k < n; k++)
    {
      gfloat t = CLAMP ((values[k] - m->lo) / span, 0.0f, 1.0f), rgb[3];

      cfm_colormap_color (colormap, t, rgb);
      memcpy (pix + k * channels, rgb, channels * sizeof (gfloat));
    }
}

/* Where a heat map goes in the run's group: under the figures' groups
 * (kernels, legends), which stay on top, and over the maps. */
static gint
below_figures (const CfmPlan *plan)
{
  return (plan->vals.v[CFM_ARG_KERNEL_SWATCHES].i && plan->bank.n > 0)
         + (plan->vals.v[CFM_ARG_LEGEND].i != 0);
}

/* Class map M as a layer of W x H at X, Y: the map itself (W x H its
 * size) or upsampled to it, a band of rows at a time. */
static gboolean
cam_layer (const CfmPlan *plan, const CamMap *m, CfmSink *sink,
           CfmLayerTree *tree, gint x, gint y, gint w, gint h,
           GError **error)
{
  const CfmValue *a = &plan->graph.values[plan->cam.at];
  gint channels = sink->image_rgb ? 3 : 1, row0;
  gchar *name = cfm_names_cam (plan, m->cls);
  gpointer layer;
  GeglBuffer *buf = sink->new_layer (sink, name, x, y, w, h, &layer, error);
  gfloat *values = g_new (gfloat, (gsize) BAND_ROWS * w);
  gfloat *pix = g_new (gfloat, (gsize) BAND_ROWS * w * channels);

  g_free (name);
  if (buf == NULL)
    {
      g_free (values);
      g_free (pix);
      return FALSE;
    }
  cfm_layers_add (tree, layer, CFM_LAYERS_ROOT, below_figures (plan));
  for (row0 = 0; row0 < h; row0 += BAND_ROWS)
    {
      gint rows = MIN (BAND_ROWS, h - row0);
      GeglRectangle rect = { 0, row0, w, rows };

      cfm_cam_upsample (m->map, a->h, a->w, h, w, row0, rows, values);
      colour_values (m, cfm_plan_cam_colormap (plan), values, (gsize) rows * w,
                     channels, pix);
      cfm_write_pixels (buf, &rect, channels, pix, (gsize) rows * w
                                                   * channels);
    }
  if (plan->vals.v[CFM_ARG_ALIGN].i)
    sink->set_opacity (sink, layer, HEAT_OPACITY);
  sink->finish_layer (sink, layer, buf);
  g_free (values);
  g_free (pix);
  return TRUE;
}

/* The colour bar of the first map's range, at the photo's bottom left
 * corner above the maps' legends (cfm_figures_legends). */
static gboolean
cam_legend (const CfmPlan *plan, const CamMap *m, CfmSink *sink,
            CfmLayerTree *tree, GError **error)
{
  gboolean per_map = plan->vals.v[CFM_ARG_NORMALIZE].i
                     == CFM_NORMALIZE_PER_MAP;
  gint channels = sink->image_rgb ? 3 : 1;
  gfloat *rgb = g_new (gfloat, LEGEND_W * LEGEND_H * 3);
  gchar left[32] = "min", right[32] = "max", *name;
  GeglRectangle rect = { 0, 0, LEGEND_W, LEGEND_H };
  gpointer layer;
  GeglBuffer *buf;
  CfmError err;
  gsize k, above;

  if (!per_map)
    {
      cfm_format_value (m->lo, left, sizeof left);
      cfm_format_value (m->hi, right, sizeof right);
    }
  if (cfm_legend_draw (cfm_plan_cam_colormap (plan), m->lo, m->hi, left, right, FALSE,
                       LEGEND_W, LEGEND_H, rgb, &err) != CFM_OK)
    {
      g_set_error_literal (error, CFM_ERROR, 0, err.message);
      g_free (rgb);
      return FALSE;
    }
  for (k = 0, above = 1; k < CFM_N_STAGES; k++)
    above += plan->stages[k].shown;
  name = cfm_names_cam_legend (plan);
  buf = sink->new_layer (sink, name, plan->origin_x, plan->origin_y
                         + plan->source_height
                         - (gint) above * (LEGEND_H + LEGEND_GAP), LEGEND_W,
                         LEGEND_H, &layer, error);
  g_free (name);
  if (buf)
    {
      cfm_layers_add (tree, layer, CFM_LAYERS_ROOT, 0);
      for (k = 0; channels == 1 && k < (gsize) LEGEND_W * LEGEND_H; k++)
        rgb[k] = rgb[k * 3];
      cfm_write_pixels (buf, &rect, channels, rgb,
                        (gsize) LEGEND_W * LEGEND_H * channels);
      sink->finish_layer (sink, layer, buf);
    }
  g_free (rgb);
  return buf != NULL;
}

gboolean
cfm_cam_layers (const CfmPlan *plan, CfmInput *input, CfmSink *sink,
                CfmLayerTree *tree, GError **error)
{
  const CfmValue *a = &plan->graph.values[plan->cam.at];
  gboolean align = plan->vals.v[CFM_ARG_ALIGN].i;
  gint n = plan->cam.n_classes, i;
  CamMap *maps = g_new0 (CamMap, n);
  gboolean ok;
  CfmCam cam;
  CfmError err;

  ok = cfm_bands_cam (plan, input, &cam, error);
  for (i = 0; ok && i < n; i++)
    {
      maps[i].cls = cfm_plan_cam_class (plan, cam.logits, cam.n_classes,
                                        i);
      maps[i].map = g_new (gfloat, (gsize) a->h * a->w);
      if (cfm_cam_class (&cam, maps[i].cls, maps[i].map, NULL, &err)
          != CFM_OK)
        {
          g_set_error (error, CFM_ERROR, 0, "cam: %s", err.message);
          ok = FALSE;
        }
    }
  cfm_cam_free (&cam);
  if (ok)
    display_ranges (plan, maps, n, (gsize) a->h * a->w);
  for (i = n - 1; ok && i >= 0; i--)   /* the first class on top */
    ok = cam_layer (plan, &maps[i], sink, tree, plan->origin_x,
                    plan->origin_y, align ? plan->source_width : a->w,
                    align ? plan->source_height : a->h, error);
  if (ok && plan->vals.v[CFM_ARG_LEGEND].i)
    ok = cam_legend (plan, &maps[0], sink, tree, error);
  for (i = 0; i < n; i++)
    g_free (maps[i].map);
  g_free (maps);
  return ok;
}
