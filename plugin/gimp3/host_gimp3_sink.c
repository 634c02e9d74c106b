/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_gimp3_sink.c: the GIMP 3 side of a run: the drawable as a source,
 * and the layer sink (groups and layers made outside the image, inserted,
 * discarded; the maps' file loaded with GIMP's own XCF loader). */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>

#include "host_gimp3.h"
#include "cfm_i18n.h"
#include "cfm_render.h"


typedef struct
{
  GimpImage    *image;
  GimpDrawable *drawable;
} Gimp3Sink;

static gpointer
gimp3_new_group (CfmSink *sink, const gchar *name, GError **error)
{
  Gimp3Sink *h = sink->self;
  GimpGroupLayer *group = gimp_group_layer_new (h->image, name);

  if (group == NULL)
    g_set_error (error, CFM_ERROR, 0, _("Could not add a layer group."));
  return group;
}

static GeglBuffer *
gimp3_new_layer (CfmSink *sink, const gchar *name, gint x, gint y,
                 gint width, gint height, gpointer *layer_out,
                 GError **error)
{
  Gimp3Sink *h = sink->self;
  GimpLayer *layer;

  layer = gimp_layer_new (h->image, name, width, height,
                          sink->image_rgb ? GIMP_RGB_IMAGE : GIMP_GRAY_IMAGE,
                          100.0, GIMP_LAYER_MODE_NORMAL);
  if (layer == NULL)
    {
      g_set_error (error, CFM_ERROR, 0, _("Could not add the layer %s."),
                   name);
      return NULL;
    }
  gimp_layer_set_offsets (layer, x, y);
  *layer_out = layer;
  return gimp_drawable_get_buffer (GIMP_DRAWABLE (layer));
}

static void
gimp3_set_opacity (CfmSink *sink, gpointer layer, gdouble opacity)
{
  (void) sink;
  gimp_layer_set_opacity (GIMP_LAYER (layer), opacity);
}

static void
gimp3_finish_layer (CfmSink *sink, gpointer layer, GeglBuffer *buffer)
{
  (void) sink;
  (void) layer;
  gegl_buffer_flush (buffer);
  g_object_unref (buffer);
}

static gboolean
gimp3_place_layer (CfmSink *sink, gpointer layer, gint x, gint y, gint width,
                   gint height, GError **error)
{
  GimpLayer *l = GIMP_LAYER (layer);
  gboolean ok;

  (void) sink;
  gimp_context_push ();
  gimp_context_set_interpolation (GIMP_INTERPOLATION_NONE);
  ok = gimp_layer_scale (l, width, height, FALSE)
       && gimp_layer_set_offsets (l, x, y);
  gimp_context_pop ();
  if (!ok)
    g_set_error (error, CFM_ERROR, 0, _("Could not scale the layer %s."),
                 gimp_item_get_name (GIMP_ITEM (l)));
  return ok;
}

static gboolean
gimp3_insert (CfmSink *sink, gpointer item, gpointer parent, gint position,
              GError **error)
{
  Gimp3Sink *h = sink->self;
  GimpLayer *in = GIMP_LAYER (parent);

  if (parent == NULL)
    {
      /* Directly above the source layer, in the same container. */
      in = GIMP_LAYER (gimp_item_get_parent (GIMP_ITEM (h->drawable)));
      position = gimp_image_get_item_position (h->image,
                                               GIMP_ITEM (h->drawable));
    }
  if (!gimp_image_insert_layer (h->image, GIMP_LAYER (item), in, position))
    {
      g_set_error (error, CFM_ERROR, 0, _("Could not add the layer %s."),
                   gimp_item_get_name (GIMP_ITEM (item)));
      return FALSE;
    }
  return TRUE;
}

static void
gimp3_discard (CfmSink *sink, gpointer item)
{
  (void) sink;
  gimp_item_delete (GIMP_ITEM (item));
}

static void
gimp3_remove (CfmSink *sink, gpointer item)
{
  Gimp3Sink *h = sink->self;

  gimp_image_remove_layer (h->image, GIMP_LAYER (item));
}

static gboolean
gimp3_progress (CfmSink *sink, gdouble fraction)
{
  (void) sink;
  gimp_progress_update (fraction);
  return TRUE;
}

static void
gimp3_attach_parasite (CfmSink *sink, gpointer item, const gchar *name,
                       const gchar *text)
{
  GimpParasite *parasite = gimp_parasite_new (name, GIMP_PARASITE_PERSISTENT,
                                              strlen (text) + 1, text);

  (void) sink;
  gimp_item_attach_parasite (GIMP_ITEM (item), parasite);
  gimp_parasite_free (parasite);
}

static void
gimp3_warning (CfmSink *sink, const gchar *message)
{
  (void) sink;
  gimp_message (message);
}

void
gimp3_drawable_facts (GimpDrawable *drawable, CfmDrawableFacts *facts)
{
  GimpImage *image = gimp_item_get_image (GIMP_ITEM (drawable));
  GeglRectangle *m = &facts->mask;

  g_strlcpy (facts->name, gimp_item_get_name (GIMP_ITEM (drawable)),
             sizeof facts->name);
  facts->indexed = gimp_image_get_base_type (image) == GIMP_INDEXED;
  facts->group = gimp_item_is_group (GIMP_ITEM (drawable));
  facts->touched = gimp_drawable_mask_intersect (drawable, &m->x, &m->y,
                                                 &m->width, &m->height);
  facts->selection = !gimp_selection_is_empty (image);
  facts->width = gimp_drawable_get_width (drawable);
  facts->height = gimp_drawable_get_height (drawable);
}

static gchar *
gimp3_temp_dir (CfmSink *sink)
{
  GFile *file = gimp_temp_file ("xcf");   /* a name in GIMP's folder */
  GFile *dir = g_file_get_parent (file);
  gchar *path = g_file_get_path (dir);

  (void) sink;
  g_object_unref (dir);
  g_object_unref (file);
  return path;
}

/* Loads the file with GIMP's own XCF loader (gimp_file_load_layers would
 * also list the file in the document history) and copies its layers. */
static gboolean
gimp3_load_layers (CfmSink *sink, const gchar *path, gint n, gchar **names,
                   gpointer *layers, GError **error)
{
  Gimp3Sink *h = sink->self;
  GFile *file = g_file_new_for_path (path);
  GimpProcedure *xcf_load = gimp_pdb_lookup_procedure (gimp_get_pdb (),
                                                       "gimp-xcf-load");
  GimpValueArray *ret = gimp_procedure_run (xcf_load,
                                            "run-mode",
                                            GIMP_RUN_NONINTERACTIVE,
                                            "file", file, NULL);
  GimpImage *loaded = NULL;
  GimpLayer **got = NULL;
  gint count = 0, i;

  if (GIMP_VALUES_GET_ENUM (ret, 0) == GIMP_PDB_SUCCESS)
    loaded = GIMP_VALUES_GET_IMAGE (ret, 1);
  if (loaded)
    {
      got = gimp_image_get_layers (loaded);
      count = (gint) gimp_core_object_array_get_length ((GObject **) got);
    }
  for (i = 0; i < n && count == n; i++)
    {
      GimpLayer *layer = gimp_layer_new_from_drawable (GIMP_DRAWABLE (got[i]),
                                                       h->image);

      gimp_item_set_name (GIMP_ITEM (layer), names[i]);
      layers[i] = layer;
    }
  g_free (got);
  if (loaded)
    gimp_image_delete (loaded);
  gimp_value_array_unref (ret);
  g_object_unref (file);
  if (count != n)
    {
      g_set_error (error, CFM_ERROR, 0, _("GIMP could not load the maps "
                                          "from \"%s\"."), path);
      return FALSE;
    }
  return TRUE;
}

gboolean
gimp3_render_drawable (GimpImage *image, GimpDrawable *drawable,
                       const GeglRectangle *area, const CfmPlan *plan,
                       gchar **predictions, GError **error)
{
  Gimp3Sink h = { image, drawable };
  CfmSink sink = {
    .self = &h,
    .image_rgb = gimp_image_get_base_type (image) == GIMP_RGB,
    .new_group = gimp3_new_group,
    .new_layer = gimp3_new_layer,
    .finish_layer = gimp3_finish_layer,
    .set_opacity = gimp3_set_opacity,
    .insert = gimp3_insert,
    .place_layer = gimp3_place_layer,
    .discard = gimp3_discard,
    .remove = gimp3_remove,
    .progress = gimp3_progress,
    .attach_parasite = gimp3_attach_parasite,
    .warning = gimp3_warning,
    .temp_dir = gimp3_temp_dir,
    .load_layers = gimp3_load_layers,
    .gray_file_copies = FALSE,
  };
  CfmSource source = {
    .buffer = gimp_drawable_get_buffer (drawable),
    .area = *area,
    .origin_x = plan->origin_x,
    .origin_y = plan->origin_y,
    .image_rgb = sink.image_rgb,
    .icc_profile = cfm_host_icc (gimp_image_get_color_profile (image)),
    .tattoo = gimp_item_get_tattoo (GIMP_ITEM (drawable)),
  };
  gboolean ok = cfm_render_run (plan, &source, &sink, predictions,
                                error);

  g_object_unref (source.buffer);
  if (source.icc_profile)
    g_bytes_unref (source.icc_profile);
  return ok;
}
