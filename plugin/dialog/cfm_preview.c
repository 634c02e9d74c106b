/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_preview.c: the dialogs' live preview of one map over the visible part
 * (its API: cfm_preview.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cfm_preview.h"
#include "cfm_bands.h"
#include "cfm_i18n.h"
#include "cfm_names.h"
#include "cfm_source.h"

typedef struct
{
  CfmStage  stage;
  gint      filter;            /* index in the preview plan's bank */
  gint      j0, j1, i0, i1;    /* visible map columns and rows, half-open */
  gfloat   *map;               /* the visible part of the filter's map */
  CfmStats  own, set;          /* of the visible parts */
} Preview;

static gint
floor_div (gint a, gint b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Keeps the visible part of the previewed map, and the statistics of the
 * visible parts of every map of its stage. */
static gboolean
keep_band (const CfmPlan *plan, const CfmBandMaps *band, gpointer data,
           GError **error)
{
  Preview *p = data;
  gint w = p->j1 - p->j0, r, f;

  (void) error;
  if (band->s != p->stage)
    return TRUE;
  for (r = 0; r < band->rows; r++)
    {
      gint i = band->map_row0 + r;

      if (i < p->i0 || i >= p->i1)
        continue;
      for (f = 0; f < plan->n_maps; f++)
        {
          const gfloat *row = cfm_band_map (plan, band, f)
                              + (gsize) r * plan->stages[band->s].map_w
                              + p->j0;
          CfmStats part;

          cfm_stats_compute (row, w, &part);
          cfm_stats_merge (&p->set, &part);
          if (f != p->filter)
            continue;
          cfm_stats_merge (&p->own, &part);
          memcpy (p->map + (gsize) (i - p->i0) * w, row, w * sizeof (gfloat));
        }
    }
  return TRUE;
}

/* VIEW and MARGIN around it within AREA, its corner on a grid of GRID_X
 * by GRID_Y (area coordinates). */
static GeglRectangle
crop_around (const GeglRectangle *area, const GeglRectangle *view,
             gint margin, gint grid_x, gint grid_y)
{
  gint x0 = MAX (0, view->x - area->x - margin);
  gint y0 = MAX (0, view->y - area->y - margin);
  gint x1 = MIN (area->width, view->x - area->x + view->width + margin);
  gint y1 = MIN (area->height, view->y - area->y + view->height + margin);

  x0 -= x0 % grid_x;
  y0 -= y0 % grid_y;
  return (GeglRectangle) { x0, y0, x1 - x0, y1 - y0 };
}

/* The part of AREA to compute for VIEW: VIEW and a margin wide enough that
 * every map pixel over VIEW reads the pixels the full run gives it, its
 * corner on the full run's grid of strides (area coordinates). */
static GeglRectangle
preview_crop (const CfmArgValues *vals, const GeglRectangle *area,
              const GeglRectangle *view, gint kernel_size)
{
  gint stride = vals->v[CFM_ARG_STRIDE].i;
  gint grid = stride * vals->v[CFM_ARG_POOL_STRIDE].i;
  gint margin = vals->v[CFM_ARG_DILATION].i * kernel_size
                + 2 * vals->v[CFM_ARG_PADDING].i
                + 2 * stride * vals->v[CFM_ARG_POOL_SIZE].i + 2 * grid;

  return crop_around (area, view, margin, grid, grid);
}

/* The same for a model's layer: a margin of the receptive field of its
 * last node (the block's last, or the node shown), the grid of its total
 * stride (a whole number: the preview's plan is aligned); the whole area
 * for a node after a global step (a squeeze-excitation gate reads every
 * pixel). */
static GeglRectangle
model_crop (const CfmPlan *plan, const GeglRectangle *area,
            const GeglRectangle *view)
{
  const CfmPlanModel *pm = plan->model;
  gint last = pm->node >= 0 ? pm->node : pm->block.nodes[pm->block.n - 1];
  CfmGraphGeometry geo;
  gint grid;

  if (cfm_graph_geometry (&plan->graph, last, &geo, NULL) != CFM_OK
      || geo.global)
    return (GeglRectangle) { 0, 0, area->width, area->height };
  grid = (gint) MAX (geo.stride_num[1], 1);
  return crop_around (area, view,
                      (gint) ceil (MAX (geo.field[0], geo.field[1]))
                      + 2 * grid, grid, grid);
}

/* VALS as the preview runs them: only the previewed filter (every shown
 * filter when the stage shares one range), maps aligned, its stage on. */
static void
preview_values (const CfmArgValues *vals, gint filter, CfmStage stage,
                CfmArgValues *pv)
{
  static const CfmArgId shown[CFM_N_STAGES] = {
    [CFM_STAGE_CONV] = CFM_ARG_SHOW_CONV,
    [CFM_STAGE_ACTIVATION] = CFM_ARG_SHOW_ACTIVATION,
    [CFM_STAGE_POOL] = CFM_ARG_SHOW_POOL,
  };

  cfm_args_copy (pv, vals);
  if (vals->v[CFM_ARG_NORMALIZE].i != CFM_NORMALIZE_PER_STAGE)
    {
      g_free (pv->v[CFM_ARG_FILTERS].s);
      pv->v[CFM_ARG_FILTERS].s = g_strdup_printf ("%d", filter);
    }
  pv->v[CFM_ARG_ALIGN].i = TRUE;
  pv->v[shown[stage]].i = TRUE;
  pv->v[CFM_ARG_KERNEL_SWATCHES].i = FALSE;
  pv->v[CFM_ARG_LEGEND].i = FALSE;
}

/* Finds the previewed filter in PLAN and the map part over VIEW. */
static gboolean
preview_locate (const CfmPlan *plan, gint filter, const GeglRectangle *view,
                Preview *p, GError **error)
{
  const CfmPlanStage *st = &plan->stages[p->stage];

  p->filter = cfm_plan_filter_index (plan, filter);
  if (plan->model && plan->vals.v[CFM_ARG_INPUT_SIZE].i > 0)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("The preview computes the visible part at the image's "
                     "own size; with an input size the run resizes the "
                     "whole image first, and only its layers show that."));
      return FALSE;
    }
  if (plan->model && plan->value[p->stage] < 0)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("The block of %s has no such stage."),
                   cfm_names_stage (plan, CFM_STAGE_CONV));
      return FALSE;
    }
  if (p->filter < 0)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("Filter %d is not among the filters to show."), filter);
      return FALSE;
    }
  /* VIEW in the plan's coordinates, where the stage's layer lies at x, y. */
  p->j0 = CLAMP (floor_div (view->x - st->x, st->scale), 0, st->map_w);
  p->j1 = CLAMP (floor_div (view->x + view->width - 1 - st->x, st->scale) + 1,
                 p->j0, st->map_w);
  p->i0 = CLAMP (floor_div (view->y - st->y, st->scale), 0, st->map_h);
  p->i1 = CLAMP (floor_div (view->y + view->height - 1 - st->y, st->scale)
                 + 1, p->i0, st->map_h);
  p->map = g_new0 (gfloat, (gsize) (p->j1 - p->j0) * (p->i1 - p->i0) + 1);
  return TRUE;
}

/* Draws the kept map part over VIEW (plan coordinates) into RGB. */
static void
preview_paint (const CfmPlan *plan, const Preview *p,
               const GeglRectangle *view, guchar *rgb)
{
  const CfmPlanStage *st = &plan->stages[p->stage];
  CfmColormap map = (CfmColormap) plan->vals.v[CFM_ARG_COLORMAP].i;
  gint x, y, c;
  gfloat lo, hi;

  cfm_plan_display_range (plan, &p->own, &p->set, &lo, &hi);
  for (y = 0; y < view->height; y++)
    for (x = 0; x < view->width; x++)
      {
        gint i = floor_div (view->y + y - st->y, st->scale);
        gint j = floor_div (view->x + x - st->x, st->scale);
        guchar *px = rgb + ((gsize) y * view->width + x) * 3;
        gfloat v, t, color[3];

        if (i < p->i0 || i >= p->i1 || j < p->j0 || j >= p->j1)
          {
            px[0] = px[1] = px[2] = CFM_PREVIEW_EMPTY;
            continue;
          }
        v = p->map[(gsize) (i - p->i0) * (p->j1 - p->j0) + j - p->j0];
        cfm_display_map (&v, &t, 1, lo, hi, TRUE);
        cfm_colormap_color (map, t, color);
        for (c = 0; c < 3; c++)
          px[c] = (guchar) (CLAMP (color[c], 0.0f, 1.0f) * 255.0f + 0.5f);
      }
}

/* Computes the crop of SOURCE that PLAN describes and paints VIEW. */
static gboolean
preview_run (const CfmPlan *plan, const CfmSource *source,
             const GeglRectangle *view, gint filter, CfmStage stage,
             guchar *rgb, GError **error)
{
  Preview p = { 0 };
  CfmInput *input = cfm_input_new (source, plan);
  CfmBandLoop loop = { keep_band, &p, NULL, NULL, 0.0, 1.0 };
  gboolean ok;

  p.stage = stage;
  ok = preview_locate (plan, filter, view, &p, error)
       && cfm_bands_run (plan, input, &loop, error);
  if (ok)
    preview_paint (plan, &p, view, rgb);
  g_free (p.map);
  cfm_input_free (input);
  return ok;
}

gboolean
cfm_preview_draw (const CfmLoaded *loaded, const CfmArgValues *vals,
                  const CfmSource *source, const GeglRectangle *view,
                  gint filter, CfmStage stage, guchar *rgb, GError **error)
{
  const GeglRectangle *area = &source->area;
  CfmArgValues pv;
  GeglRectangle crop = { 0, 0, 0, 0 }, v;
  CfmSource part = *source;
  CfmPlan *plan;
  gboolean ok = FALSE;

  memset (rgb, CFM_PREVIEW_EMPTY, (gsize) view->width * view->height * 3);
  if (vals->v[CFM_ARG_FILTER_BANK].i == CFM_BANK_MODEL
      && vals->v[CFM_ARG_CAM].i != CFM_CAM_NONE)
    return cfm_preview_cam (loaded, vals, source, view, rgb, error);
  preview_values (vals, filter, stage, &pv);
  /* The whole area's plan first, so that what is wrong with the settings
   * for it is said as the run would say it; then the crop's. */
  plan = cfm_plan_new_on (loaded, &pv, source->image_rgb, area->width,
                          area->height, 0, 0, error);
  if (plan)
    {
      crop = plan->model
             ? model_crop (plan, area, view)
             : preview_crop (&pv, area, view,
                             MAX (loaded->full.kw, loaded->full.kh));
      cfm_plan_free (plan);
      plan = cfm_plan_new_on (loaded, &pv, source->image_rgb, crop.width,
                              crop.height, crop.x, crop.y, error);
    }
  cfm_args_clear (&pv);
  if (plan == NULL)
    return FALSE;
  part.area = (GeglRectangle) { area->x + crop.x, area->y + crop.y,
                                crop.width, crop.height };
  v = (GeglRectangle) { view->x - area->x, view->y - area->y, view->width,
                        view->height };
  /* a node past the chain has one stage, whichever is asked for */
  if (plan->model && plan->model->node >= 0)
    stage = CFM_STAGE_CONV;
  ok = preview_run (plan, &part, &v, filter, stage, rgb, error);
  cfm_plan_free (plan);
  return ok;
}
