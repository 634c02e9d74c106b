/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_gimp2_sink.c: the GIMP 2.10 side of a run: the drawable as a
 * source, and the layer sink (groups and layers made outside the image,
 * inserted, discarded; the maps' file loaded with GIMP's own XCF loader). */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>

#include "host_gimp2.h"
#include "cfm_i18n.h"
#include "cfm_render.h"


typedef struct
{
  gint32 image;
  gint32 drawable;
} Gimp2Sink;

static gpointer
gimp2_new_group (CfmSink *sink, const gchar *name, GError **error)
{
  Gimp2Sink *h = sink->self;
  gint32 group = gimp_layer_group_new (h->image);

  if (group < 0)
    {
      g_set_error (error, CFM_ERROR, 0, _("Could not add a layer group."));
      return NULL;
    }
  gimp_item_set_name (group, name);
  return GINT_TO_POINTER (group);
}

static GeglBuffer *
gimp2_new_layer (CfmSink *sink, const gchar *name, gint x, gint y,
                 gint width, gint height, gpointer *layer_out,
                 GError **error)
{
  Gimp2Sink *h = sink->self;
  gint32 layer;

  layer = gimp_layer_new (h->image, name, width, height,
                          sink->image_rgb ? GIMP_RGB_IMAGE : GIMP_GRAY_IMAGE,
                          100.0, GIMP_LAYER_MODE_NORMAL);
  if (layer < 0)
    {
      g_set_error (error, CFM_ERROR, 0, _("Could not add the layer %s."),
                   name);
      return NULL;
    }
  gimp_layer_set_offsets (layer, x, y);
  *layer_out = GINT_TO_POINTER (layer);
  return gimp_drawable_get_buffer (layer);
}

static void
gimp2_set_opacity (CfmSink *sink, gpointer layer, gdouble opacity)
{
  (void) sink;
  gimp_layer_set_opacity (GPOINTER_TO_INT (layer), opacity);
}

static void
gimp2_finish_layer (CfmSink *sink, gpointer layer, GeglBuffer *buffer)
{
  (void) sink;
  (void) layer;
  gegl_buffer_flush (buffer);
  g_object_unref (buffer);
}

static gboolean
gimp2_place_layer (CfmSink *sink, gpointer layer, gint x, gint y, gint width,
                   gint height, GError **error)
{
  gint32 id = GPOINTER_TO_INT (layer);
  gboolean ok;

  (void) sink;
  gimp_context_push ();
  gimp_context_set_interpolation (GIMP_INTERPOLATION_NONE);
  ok = gimp_layer_scale (id, width, height, FALSE)
       && gimp_layer_set_offsets (id, x, y);
  gimp_context_pop ();
  if (!ok)
    {
      gchar *name = gimp_item_get_name (id);

      g_set_error (error, CFM_ERROR, 0, _("Could not scale the layer %s."),
                   name);
      g_free (name);
    }
  return ok;
}

static gboolean
gimp2_insert (CfmSink *sink, gpointer item, gpointer parent, gint position,
              GError **error)
{
  Gimp2Sink *h = sink->self;
  gint32 in = GPOINTER_TO_INT (parent);

  if (parent == NULL)
    {
      in = gimp_item_get_parent (h->drawable);
      position = gimp_image_get_item_position (h->image, h->drawable);
    }
  if (!gimp_image_insert_layer (h->image, GPOINTER_TO_INT (item), in,
                                position))
    {
      gchar *name = gimp_item_get_name (GPOINTER_TO_INT (item));

      g_set_error (error, CFM_ERROR, 0, _("Could not add the layer %s."),
                   name);
      g_free (name);
      return FALSE;
    }
  return TRUE;
}

static void
gimp2_discard (CfmSink *sink, gpointer item)
{
  (void) sink;
  gimp_item_delete (GPOINTER_TO_INT (item));
}

static void
gimp2_remove (CfmSink *sink, gpointer item)
{
  Gimp2Sink *h = sink->self;

  gimp_image_remove_layer (h->image, GPOINTER_TO_INT (item));
}

static gboolean
gimp2_progress (CfmSink *sink, gdouble fraction)
{
  (void) sink;
  gimp_progress_update (fraction);
  return TRUE;
}

static void
gimp2_attach_parasite (CfmSink *sink, gpointer item, const gchar *name,
                       const gchar *text)
{
  GimpParasite *parasite = gimp_parasite_new (name, GIMP_PARASITE_PERSISTENT,
                                              strlen (text) + 1, text);

  (void) sink;
  gimp_item_attach_parasite (GPOINTER_TO_INT (item), parasite);
  gimp_parasite_free (parasite);
}

static void
gimp2_warning (CfmSink *sink, const gchar *message)
{
  (void) sink;
  g_message ("%s", message);
}

void
gimp2_drawable_facts (gint32 drawable, CfmDrawableFacts *facts)
{
  GeglRectangle *m = &facts->mask;
  gchar *name = gimp_item_get_name (drawable);   /* 2.10: a copy */

  g_strlcpy (facts->name, name ? name : "", sizeof facts->name);
  g_free (name);
  facts->indexed = gimp_image_base_type (gimp_item_get_image (drawable))
                   == GIMP_INDEXED;
  facts->group = gimp_item_is_group (drawable);
  facts->touched = gimp_drawable_mask_intersect (drawable, &m->x, &m->y,
                                                 &m->width, &m->height);
  facts->selection = !gimp_selection_is_empty (gimp_item_get_image
                                                 (drawable));
  facts->width = gimp_drawable_width (drawable);
  facts->height = gimp_drawable_height (drawable);
}

static gchar *
gimp2_temp_dir (CfmSink *sink)
{
  gchar *name = gimp_temp_name ("xcf");   /* a name in GIMP's folder */
  gchar *dir = g_path_get_dirname (name);

  (void) sink;
  g_free (name);
  return dir;
}

/* Loads the file with GIMP's own XCF loader (gimp-file-load-layers would
 * also list the file in the document history) and copies its layers. */
static gboolean
gimp2_load_layers (CfmSink *sink, const gchar *path, gint n, gchar **names,
                   gpointer *layers, GError **error)
{
  Gimp2Sink *h = sink->self;
  gint32 loaded = -1, *ids = NULL;
  gint nret = 0, got = 0, i;
  GimpParam *ret = gimp_run_procedure ("gimp-xcf-load", &nret,
                                       GIMP_PDB_INT32, GIMP_RUN_NONINTERACTIVE,
                                       GIMP_PDB_STRING, path,
                                       GIMP_PDB_STRING, path, GIMP_PDB_END);

  if (nret > 1 && ret[0].data.d_status == GIMP_PDB_SUCCESS)
    loaded = ret[1].data.d_image;
  gimp_destroy_params (ret, nret);
  if (loaded >= 0)
    ids = gimp_image_get_layers (loaded, &got);
  for (i = 0; i < n && got == n; i++)
    {
      gint32 layer = gimp_layer_new_from_drawable (ids[i], h->image);

      gimp_item_set_name (layer, names[i]);
      layers[i] = GINT_TO_POINTER (layer);
    }
  g_free (ids);
  if (loaded >= 0)
    gimp_image_delete (loaded);
  if (got != n)
    {
      g_set_error (error, CFM_ERROR, 0, _("GIMP could not load the maps "
                                          "from \"%s\"."), path);
      return FALSE;
    }
  return TRUE;
}

gboolean
gimp2_render_drawable (gint32 image, gint32 drawable,
                       const GeglRectangle *area, const CfmPlan *plan,
                       gchar **predictions, GError **error)
{
  Gimp2Sink h = { image, drawable };
  CfmSink sink = {
    .self = &h,
    .image_rgb = gimp_image_base_type (image) == GIMP_RGB,
    .new_group = gimp2_new_group,
    .new_layer = gimp2_new_layer,
    .finish_layer = gimp2_finish_layer,
    .set_opacity = gimp2_set_opacity,
    .insert = gimp2_insert,
    .place_layer = gimp2_place_layer,
    .discard = gimp2_discard,
    .remove = gimp2_remove,
    .progress = gimp2_progress,
    .attach_parasite = gimp2_attach_parasite,
    .warning = gimp2_warning,
    .temp_dir = gimp2_temp_dir,
    .load_layers = gimp2_load_layers,
    .gray_file_copies = TRUE,
  };
  CfmSource source = {
    .buffer = gimp_drawable_get_buffer (drawable),
    .area = *area,
    .origin_x = plan->origin_x,
    .origin_y = plan->origin_y,
    .image_rgb = sink.image_rgb,
    .icc_profile = cfm_host_icc (gimp_image_get_color_profile (image)),
    .tattoo = gimp_item_get_tattoo (drawable),
  };
  gboolean ok = cfm_render_run (plan, &source, &sink, predictions,
                                error);

  g_object_unref (source.buffer);
  if (source.icc_profile)
    g_bytes_unref (source.icc_profile);
  return ok;
}
