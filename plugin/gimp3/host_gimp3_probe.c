/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_gimp3_probe.c: the probe procedure in GIMP 3: its registration,
 * the recipe found on the map layer's group, the source by its tattoo, the
 * receptive field selected, and the return values. */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "host_gimp3.h"
#include "host_probe.h"
#include "cfm_i18n.h"
#include "cfm_render.h"

/* The parasite NAME of the run that made ITEM: its group's. */
static gchar *
parasite_text (GimpItem *item, const gchar *name)
{
  for (; item; item = GIMP_ITEM (gimp_item_get_parent (item)))
    {
      GimpParasite *parasite = gimp_item_get_parasite (item, name);

      if (parasite)
        {
          guint32 size = 0;
          const gchar *data = gimp_parasite_get_data (parasite, &size);
          gchar *text = g_strndup (data, size);

          gimp_parasite_free (parasite);
          return text;
        }
    }
  return NULL;
}

/* The probe of DRAWABLE at X, Y into RESULT, its field selected. */
static gboolean
probe (GimpImage *image, GimpDrawable *drawable, gint x, gint y,
       CfmProbeResult *result, GError **error)
{
  gchar *text = parasite_text (GIMP_ITEM (drawable), CFM_PARASITE);
  gchar *record = parasite_text (GIMP_ITEM (drawable), CFM_SOURCE_PARASITE);
  CfmRecipe recipe;
  GimpLayer *layer;
  CfmSource source = { 0 };
  GeglRectangle at, bounds, clipped;
  gint ox, oy;
  gboolean ok;

  if (text == NULL)
    {
      g_free (record);
      g_set_error (error, CFM_ERROR, 0, _("\"%s\" is not a map layer of CNN "
                                          "Feature Maps."),
                   gimp_item_get_name (GIMP_ITEM (drawable)));
      return FALSE;
    }
  ok = cfm_recipe_parse (text, record, &recipe, error);
  g_free (text);
  g_free (record);
  layer = ok ? gimp_image_get_layer_by_tattoo (image, recipe.source_tattoo)
             : NULL;
  if (ok && layer == NULL)
    {
      g_set_error (error, CFM_ERROR, 0, _("The layer these maps were "
                                          "computed from is gone."));
      ok = FALSE;
    }
  if (ok)
    {
      gimp_drawable_get_offsets (GIMP_DRAWABLE (layer), &ox, &oy);
      bounds = (GeglRectangle) { ox, oy,
                                 gimp_drawable_get_width (GIMP_DRAWABLE (layer)),
                                 gimp_drawable_get_height (GIMP_DRAWABLE (layer)) };
      ok = host_probe_check_recipe (&recipe, &bounds, error);
    }
  if (ok)
    {
      source.buffer = gimp_drawable_get_buffer (GIMP_DRAWABLE (layer));
      source.area = (GeglRectangle) { recipe.area.x - ox, recipe.area.y - oy,
                                      recipe.area.width, recipe.area.height };
      source.origin_x = recipe.area.x;
      source.origin_y = recipe.area.y;
      source.image_rgb = gimp_image_get_base_type (image) == GIMP_RGB;
      source.tattoo = recipe.source_tattoo;
      gimp_drawable_get_offsets (drawable, &at.x, &at.y);
      at.width = gimp_drawable_get_width (drawable);
      at.height = gimp_drawable_get_height (drawable);
      ok = cfm_probe_run (&recipe, &source, gimp_item_get_name
                                              (GIMP_ITEM (drawable)),
                          &at, x, y, result, error);
      g_object_unref (source.buffer);
    }
  if (ok && host_probe_clip (&result->field, &bounds, &clipped))
    gimp_image_select_rectangle (image, GIMP_CHANNEL_OP_REPLACE, clipped.x,
                                 clipped.y, clipped.width, clipped.height);
  cfm_recipe_clear (&recipe);
  return ok;
}

/* The point an interactive probe takes: the selection's centre. */
static gboolean
selected_point (GimpImage *image, gint *x, gint *y, GError **error)
{
  gboolean any = FALSE;
  gint x1 = 0, y1 = 0, x2 = 0, y2 = 0;

  gimp_selection_bounds (image, &any, &x1, &y1, &x2, &y2);
  return host_probe_point (any, x1, y1, x2, y2, x, y, error);
}

static GimpValueArray *
probe_run (GimpProcedure *procedure, GimpRunMode run_mode, GimpImage *image,
           GimpDrawable **drawables, GimpProcedureConfig *config,
           gpointer run_data)
{
  CfmProbeResult result = { 0 };
  GimpValueArray *values;
  GError *error = NULL;
  gint x, y;
  gboolean ok;

  (void) run_data;
  cfm_render_init_gegl ();
  g_object_get (config, "x", &x, "y", &y, NULL);
  ok = gimp_core_object_array_get_length ((GObject **) drawables) == 1;
  if (!ok)
    g_set_error (&error, CFM_ERROR, 0, _("Choose one map layer to probe."));
  if (ok && run_mode == GIMP_RUN_INTERACTIVE)
    ok = selected_point (image, &x, &y, &error);
  if (ok)
    {
      gimp_image_undo_group_start (image);
      ok = probe (image, drawables[0], x, y, &result, &error);
      gimp_image_undo_group_end (image);
    }
  if (!ok)
    {
      if (run_mode == GIMP_RUN_INTERACTIVE)
        gimp_message (error->message);
      return gimp_procedure_new_return_values (procedure,
                                               GIMP_PDB_EXECUTION_ERROR,
                                               error);
    }
  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      gimp_ui_init (PLUG_IN_BINARY);
      gimp_displays_flush ();
      host_probe_dialog (result.explanation);
    }
  values = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS,
                                             NULL);
  GIMP_VALUES_SET_DOUBLE (values, 1, result.value);
  GIMP_VALUES_SET_INT (values, 2, result.field.x);
  GIMP_VALUES_SET_INT (values, 3, result.field.y);
  GIMP_VALUES_SET_INT (values, 4, result.field.width);
  GIMP_VALUES_SET_INT (values, 5, result.field.height);
  GIMP_VALUES_SET_STRING (values, 6, result.explanation);
  cfm_probe_result_clear (&result);
  return values;
}

GimpProcedure *
gimp3_probe_procedure_new (GimpPlugIn *plug_in)
{
  GimpProcedure *procedure = gimp_image_procedure_new
    (plug_in, CFM_PROBE_PROC_NAME, GIMP_PDB_PROC_TYPE_PLUGIN, probe_run, NULL,
     NULL);
  GParamFlags flags = G_PARAM_READWRITE;

  gimp_procedure_set_image_types (procedure, "RGB*, GRAY*");
  gimp_procedure_set_sensitivity_mask (procedure,
                                       GIMP_PROCEDURE_SENSITIVE_DRAWABLE);
  gimp_procedure_set_menu_label (procedure, _("CNN Feature Maps _Probe..."));
  gimp_procedure_add_menu_path (procedure, "<Image>/Filters/Generic");
  gimp_procedure_add_menu_path (procedure, "<Layers>");
  gimp_procedure_set_documentation
    (procedure, _("Explain one pixel of a CNN feature map"),
     _("Works out the value of one pixel of a map layer that CNN Feature "
       "Maps made, from just the input pixels it reads, shows the "
       "arithmetic and selects its receptive field on the source layer."),
     CFM_PROBE_PROC_NAME);
  gimp_procedure_set_attribution (procedure, "CNN Feature Maps authors",
                                  "CNN Feature Maps authors", "2026");
  gimp_procedure_add_int_argument (procedure, "x", _("_X"),
                                   _("The point to probe, in image "
                                     "coordinates"), G_MININT32, G_MAXINT32,
                                   0, flags);
  gimp_procedure_add_int_argument (procedure, "y", _("_Y"),
                                   _("The point to probe, in image "
                                     "coordinates"), G_MININT32, G_MAXINT32,
                                   0, flags);
  gimp_procedure_add_double_return_value (procedure, "value", "Value",
                                          "The raw map value", -G_MAXDOUBLE,
                                          G_MAXDOUBLE, 0.0, flags);
  gimp_procedure_add_int_return_value (procedure, "field-x", "Field x",
                                       "The receptive field, before "
                                       "clipping", G_MININT32, G_MAXINT32, 0,
                                       flags);
  gimp_procedure_add_int_return_value (procedure, "field-y", "Field y",
                                       "The receptive field", G_MININT32,
                                       G_MAXINT32, 0, flags);
  gimp_procedure_add_int_return_value (procedure, "field-width",
                                       "Field width", "The receptive field",
                                       0, G_MAXINT32, 0, flags);
  gimp_procedure_add_int_return_value (procedure, "field-height",
                                       "Field height", "The receptive field",
                                       0, G_MAXINT32, 0, flags);
  gimp_procedure_add_string_return_value (procedure, "explanation",
                                          "Explanation",
                                          "The arithmetic, as the dialog "
                                          "shows it", "", flags);
  return procedure;
}
