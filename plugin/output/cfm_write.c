/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_write.c: the write pass, and the one place that picks a layer's pixel
 * format (its API: cfm_write.h). */
#include "config.h"

#include <string.h>

#include "cfm_write.h"
#include "cfm_names.h"
#include "cfm_raster.h"

/* Where one map goes. */
typedef struct
{
  gint        slot;         /* in the layer tree */
  gpointer    layer;        /* the tile route: the layer, */
  GeglBuffer *buffer;       /* filled through GEGL */
  gint        file_layer;   /* the file route: its index in the file */
} MapTarget;

struct _CfmWriter
{
  const CfmPlan   *plan;
  const CfmRanges *ranges;
  CfmTransfer     *transfer;
  CfmSink         *sink;
  gint             channels;          /* of the layers' pixels */
  MapTarget       *targets[CFM_N_STAGES];   /* per filter */
  guint8          *scratch;           /* the rendering's memory, kept */
  gsize            scratch_size;
  gboolean         clipped;
};

gint
cfm_write_file_channels (const CfmPlan *plan, const CfmSource *source,
                         const CfmSink *sink, gboolean *indexed)
{
  CfmColormap map = (CfmColormap) plan->vals.v[CFM_ARG_COLORMAP].i;
  guint8 codes[256][3];
  CfmLevelKind kind;
  gboolean levels = source->image_rgb
                    && cfm_colormap_levels (map, codes, &kind);
  gboolean gray = !source->image_rgb
                  || (map == CFM_COLORMAP_GRAY && !source->icc_profile
                      && sink->gray_file_copies);

  *indexed = levels && !gray;
  return gray || levels ? 1 : 3;
}

/* The float format of BUFFER's encoding (linear, perceptual or
 * non-linear) in its space. */
static const Babl *
float_format (GeglBuffer *buffer, gboolean rgb)
{
  const Babl *lf = gegl_buffer_get_format (buffer);
  const gchar *enc = babl_format_get_encoding (lf);
  const gchar *name;

  if (strchr (enc, '~'))
    name = rgb ? "R~G~B~ float" : "Y~ float";
  else if (strchr (enc, '\''))
    name = rgb ? "R'G'B' float" : "Y' float";
  else
    name = rgb ? "RGB float" : "Y float";
  return babl_format_with_space (name, lf);
}

/* The 8-bit format of a layer that stores 8-bit non-linear codes, or
 * NULL. */
static const Babl *
codes_format (GeglBuffer *buffer, gint channels)
{
  const Babl *lf = gegl_buffer_get_format (buffer);

  return lf == babl_format_with_space (channels == 3 ? "R'G'B' u8" : "Y' u8",
                                       lf) ? lf : NULL;
}

static gboolean
is_integer (GeglBuffer *buffer)
{
  const Babl *t = babl_format_get_type (gegl_buffer_get_format (buffer), 0);

  return t != babl_type ("float") && t != babl_type ("half")
         && t != babl_type ("double");
}

void
cfm_write_pixels (GeglBuffer *buffer, const GeglRectangle *rect,
                  gint channels, gfloat *values, gsize n)
{
  const Babl *codes = codes_format (buffer, channels);

  if (codes)
    {
      cfm_raster_floats_to_codes (values, n);
      gegl_buffer_set (buffer, rect, 0, codes, values, GEGL_AUTO_ROWSTRIDE);
    }
  else
    gegl_buffer_set (buffer, rect, 0, float_format (buffer, channels == 3),
                     values, GEGL_AUTO_ROWSTRIDE);
}

CfmWriter *
cfm_writer_new (const CfmPlan *plan, const CfmRanges *ranges,
                CfmTransfer *transfer, CfmSink *sink)
{
  CfmWriter *w = g_new0 (CfmWriter, 1);
  gint s;

  w->plan = plan;
  w->ranges = ranges;
  w->transfer = transfer;
  w->sink = sink;
  w->channels = transfer ? cfm_transfer_channels (transfer)
                         : sink->image_rgb ? 3 : 1;
  for (s = 0; s < CFM_N_STAGES; s++)
    w->targets[s] = g_new0 (MapTarget, plan->n_maps);
  return w;
}

void
cfm_writer_free (CfmWriter *w)
{
  gint s;

  if (w == NULL)
    return;
  cfm_writer_release (w);
  for (s = 0; s < CFM_N_STAGES; s++)
    g_free (w->targets[s]);
  g_free (w->scratch);
  g_free (w);
}

/* Makes the layer of map F of STAGE inside the filter's group SUB. */
static gboolean
make_map_layer (CfmWriter *w, CfmLayerTree *tree, gint sub, CfmStage s,
                gint f, GError **error)
{
  const CfmPlanStage *st = &w->plan->stages[s];
  MapTarget *t = &w->targets[s][f];
  gchar *name = cfm_names_map (w->plan, s, f, &w->ranges->map[s][f]);
  gint width = st->map_w * st->scale, height = st->map_h * st->scale;

  if (w->transfer)
    {
      /* The layer comes from the file once it is written. */
      t->file_layer = cfm_transfer_add_layer (w->transfer, name, st->x,
                                              st->y, width, height);
      t->slot = cfm_layers_add (tree, NULL, sub, 0);
      g_free (name);
      return TRUE;
    }
  t->buffer = w->sink->new_layer (w->sink, name, st->x, st->y, width,
                                  height, &t->layer, error);
  g_free (name);
  if (t->buffer == NULL)
    return FALSE;
  t->slot = cfm_layers_add (tree, t->layer, sub, 0);
  return TRUE;
}

gboolean
cfm_writer_make_layers (CfmWriter *w, CfmLayerTree *tree, GError **error)
{
  const CfmPlan *plan = w->plan;
  gchar *name = cfm_names_group (plan, w->ranges->top);
  gpointer group = w->sink->new_group (w->sink, name, error);
  gint f, s;

  g_free (name);
  if (group == NULL)
    return FALSE;
  cfm_layers_add (tree, group, -1, 0);
  for (f = 0; f < plan->n_maps; f++)
    {
      gpointer sub;
      gint slot;

      name = cfm_names_filter (plan, f);
      sub = w->sink->new_group (w->sink, name, error);
      g_free (name);
      if (sub == NULL)
        return FALSE;
      slot = cfm_layers_add (tree, sub, CFM_LAYERS_ROOT, f);
      for (s = 0; s < CFM_N_STAGES; s++)
        if (plan->stages[s].shown
            && !make_map_layer (w, tree, slot, (CfmStage) s, f, error))
          return FALSE;
    }
  return TRUE;
}

/* The layer pixels of PART's rows: 8-bit codes for the file and for 8-bit
 * non-linear layers, else floats. */
static void
part_render (const CfmPlan *plan, CfmMapPart *part, gpointer data)
{
  CfmWriter *w = data;
  const CfmPlanStage *st = &plan->stages[part->s];
  CfmColormap map = (CfmColormap) plan->vals.v[CFM_ARG_COLORMAP].i;
  gfloat lo, hi;

  cfm_plan_display_range (plan, &w->ranges->map[part->s][part->f],
                          &w->ranges->set[part->s], &lo, &hi);
  if (w->transfer || part->codes)
    cfm_raster_codes (part->values, part->rows, st->map_w, lo, hi, map,
                      w->channels, st->scale, part->tmp, part->out);
  else
    cfm_raster_floats (part->values, part->rows, st->map_w, lo, hi,
                       part->clamp, map, w->channels, st->scale, part->tmp,
                       part->out);
}

/* Writes PART's rendered rows to its layer, or to the file. */
static gboolean
part_send (const CfmPlan *plan, const CfmMapPart *part, gpointer data,
           GError **error)
{
  CfmWriter *w = data;
  const CfmPlanStage *st = &plan->stages[part->s];
  const CfmStats *stats = &w->ranges->map[part->s][part->f];
  MapTarget *t = &w->targets[part->s][part->f];
  GeglRectangle rect = { 0, part->map_row0 * st->scale,
                         st->map_w * st->scale, part->rows * st->scale };

  if (part->clamp
      && plan->vals.v[CFM_ARG_NORMALIZE].i == CFM_NORMALIZE_NONE
      && (stats->min < 0.0f || stats->max > 1.0f))
    w->clipped = TRUE;
  if (w->transfer)
    return cfm_transfer_write_rows (w->transfer, t->file_layer, rect.y,
                                    rect.height, part->out, error);
  gegl_buffer_set (t->buffer, &rect, 0,
                   part->codes ? part->codes
                               : float_format (t->buffer, w->channels == 3),
                   part->out, GEGL_AUTO_ROWSTRIDE);
  return TRUE;
}

/* The scratch and pixel bytes of PART, rounded up to 16. */
static gsize
part_bytes (const CfmWriter *w, const CfmMapPart *part)
{
  const CfmPlanStage *st = &w->plan->stages[part->s];
  gsize pixels = (gsize) part->rows * st->scale * st->map_w * st->scale;
  gsize n = (gsize) part->rows * st->map_w * sizeof (gfloat)
            + pixels * w->channels * (w->transfer || part->codes
                                      ? 1 : sizeof (gfloat));

  return (n + 15) & ~(gsize) 15;   /* the next part's floats aligned */
}

/* Gives every part its layer's format and its share of the scratch
 * memory, one block kept from band to band: fresh memory for each band
 * would cost a page fault every 4 KB. */
static void
prepare_parts (CfmWriter *w, CfmMapPart *parts, gint n)
{
  gsize need = 0, at = 0;
  gint i;

  for (i = 0; i < n; i++)
    {
      MapTarget *t = &w->targets[parts[i].s][parts[i].f];

      parts[i].codes = w->transfer ? NULL
                                   : codes_format (t->buffer, w->channels);
      parts[i].clamp = w->transfer || is_integer (t->buffer);
      need += part_bytes (w, &parts[i]);
    }
  if (need > w->scratch_size)
    {
      g_free (w->scratch);
      w->scratch = g_malloc (need);
      w->scratch_size = need;
    }
  for (i = 0; i < n; i++)
    {
      const CfmPlanStage *st = &w->plan->stages[parts[i].s];

      parts[i].tmp = (gfloat *) (w->scratch + at);
      parts[i].out = w->scratch + at
                     + (gsize) parts[i].rows * st->map_w * sizeof (gfloat);
      at += part_bytes (w, &parts[i]);
    }
}

gboolean
cfm_write_band (const CfmPlan *plan, const CfmBandMaps *band, gpointer data,
                GError **error)
{
  CfmWriter *w = data;
  gint n;
  CfmMapPart *parts = cfm_band_parts (plan, band, TRUE, &n);
  gboolean ok;

  prepare_parts (w, parts, n);
  ok = cfm_parts_run (plan, parts, n, part_render, part_send, w, error);
  g_free (parts);
  return ok;
}

gboolean
cfm_writer_load (CfmWriter *w, CfmLayerTree *tree, GError **error)
{
  const CfmPlan *plan = w->plan;
  gint n = 0, s, f;
  gpointer *layers;
  gboolean ok;

  for (s = 0; s < CFM_N_STAGES; s++)
    n += plan->stages[s].shown ? plan->n_maps : 0;
  layers = g_new0 (gpointer, n);
  ok = cfm_transfer_load (w->transfer, w->sink, layers, error);
  for (s = 0; ok && s < CFM_N_STAGES; s++)
    for (f = 0; f < plan->n_maps; f++)
      if (plan->stages[s].shown)
        {
          MapTarget *t = &w->targets[s][f];

          t->layer = layers[t->file_layer];
          cfm_layers_fill (tree, t->slot, t->layer);
        }
  g_free (layers);
  return ok;
}

void
cfm_writer_release (CfmWriter *w)
{
  gint s, f;

  for (s = 0; s < CFM_N_STAGES; s++)
    for (f = 0; f < w->plan->n_maps; f++)
      if (w->targets[s][f].buffer)
        {
          w->sink->finish_layer (w->sink, w->targets[s][f].layer,
                                 w->targets[s][f].buffer);
          w->targets[s][f].buffer = NULL;
        }
}

gboolean
cfm_writer_place_layers (CfmWriter *w, GError **error)
{
  const CfmPlan *plan = w->plan;
  gint s, f;

  for (s = 0; s < CFM_N_STAGES; s++)
    {
      const CfmPlanStage *st = &plan->stages[s];

      if (!st->shown || st->shown_w == 0)
        continue;
      for (f = 0; f < plan->n_maps; f++)
        if (!w->sink->place_layer (w->sink, w->targets[s][f].layer, st->x,
                                   st->y, st->shown_w, st->shown_h, error))
          return FALSE;
    }
  return TRUE;
}

gboolean
cfm_writer_clipped (const CfmWriter *w)
{
  return w->clipped;
}
