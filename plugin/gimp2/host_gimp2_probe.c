/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_gimp2_probe.c: the probe procedure in GIMP 2.10: its registration
 * with positional arguments and return values, the recipe found on the map
 * layer's group, the source by its tattoo, the receptive field selected. */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "host_gimp2.h"
#include "host_probe.h"
#include "cfm_i18n.h"
#include "cfm_render.h"

#define N_PROBE_RETURNS 7   /* status, value, the field, explanation */

void
gimp2_probe_query (void)
{
  static const GimpParamDef args[] = {
    { GIMP_PDB_INT32, (gchar *) "run-mode", (gchar *) "The run mode" },
    { GIMP_PDB_IMAGE, (gchar *) "image", (gchar *) "Input image" },
    { GIMP_PDB_DRAWABLE, (gchar *) "drawable", (gchar *) "A map layer" },
    { GIMP_PDB_INT32, (gchar *) "x",
      (gchar *) "The point to probe, in image coordinates" },
    { GIMP_PDB_INT32, (gchar *) "y", (gchar *) "" },
  };
  static const GimpParamDef returns[] = {
    { GIMP_PDB_FLOAT, (gchar *) "value", (gchar *) "The raw map value" },
    { GIMP_PDB_INT32, (gchar *) "field-x",
      (gchar *) "The receptive field, before clipping" },
    { GIMP_PDB_INT32, (gchar *) "field-y", (gchar *) "" },
    { GIMP_PDB_INT32, (gchar *) "field-width", (gchar *) "" },
    { GIMP_PDB_INT32, (gchar *) "field-height", (gchar *) "" },
    { GIMP_PDB_STRING, (gchar *) "explanation",
      (gchar *) "The arithmetic, as the dialog shows it" },
  };

  gimp_install_procedure (CFM_PROBE_PROC_NAME,
                          N_("Explain one pixel of a CNN feature map"),
                          "Works out the value of one pixel of a map layer "
                          "that CNN Feature Maps made, from just the input "
                          "pixels it reads, shows the arithmetic and selects "
                          "its receptive field on the source layer.",
                          "CNN Feature Maps authors",
                          "CNN Feature Maps authors", "2026",
                          N_("CNN Feature Maps _Probe..."), "RGB*, GRAY*",
                          GIMP_PLUGIN, G_N_ELEMENTS (args),
                          G_N_ELEMENTS (returns), args, returns);
  gimp_plugin_menu_register (CFM_PROBE_PROC_NAME, "<Image>/Filters/Generic");
  gimp_plugin_menu_register (CFM_PROBE_PROC_NAME, "<Layers>");
}

/* The parasite NAME of the run that made ITEM: its group's. */
static gchar *
parasite_text (gint32 item, const gchar *name)
{
  for (; item > 0; item = gimp_item_get_parent (item))
    {
      GimpParasite *parasite = gimp_item_get_parasite (item, name);

      if (parasite)
        {
          gchar *text = g_strndup (gimp_parasite_data (parasite),
                                   gimp_parasite_data_size (parasite));

          gimp_parasite_free (parasite);
          return text;
        }
    }
  return NULL;
}

/* The probe of DRAWABLE at X, Y into RESULT, its field selected. */
static gboolean
probe (gint32 image, gint32 drawable, gint x, gint y, CfmProbeResult *result,
       GError **error)
{
  gchar *text = parasite_text (drawable, CFM_PARASITE), *name;
  gchar *record = parasite_text (drawable, CFM_SOURCE_PARASITE);
  CfmRecipe recipe;
  CfmSource source = { 0 };
  GeglRectangle at, bounds, clipped;
  gint32 layer = -1;
  gint ox, oy;
  gboolean ok;

  if (text == NULL)
    {
      g_free (record);
      name = gimp_item_get_name (drawable);
      g_set_error (error, CFM_ERROR, 0, _("\"%s\" is not a map layer of CNN "
                                          "Feature Maps."), name);
      g_free (name);
      return FALSE;
    }
  ok = cfm_recipe_parse (text, record, &recipe, error);
  g_free (text);
  g_free (record);
  if (ok && (layer = gimp_image_get_layer_by_tattoo
                       (image, recipe.source_tattoo)) <= 0)
    {
      g_set_error (error, CFM_ERROR, 0, _("The layer these maps were "
                                          "computed from is gone."));
      ok = FALSE;
    }
  if (ok)
    {
      gimp_drawable_offsets (layer, &ox, &oy);
      bounds = (GeglRectangle) { ox, oy, gimp_drawable_width (layer),
                                 gimp_drawable_height (layer) };
      ok = host_probe_check_recipe (&recipe, &bounds, error);
    }
  if (ok)
    {
      source.buffer = gimp_drawable_get_buffer (layer);
      source.area = (GeglRectangle) { recipe.area.x - ox, recipe.area.y - oy,
                                      recipe.area.width, recipe.area.height };
      source.origin_x = recipe.area.x;
      source.origin_y = recipe.area.y;
      source.image_rgb = gimp_image_base_type (image) == GIMP_RGB;
      source.tattoo = recipe.source_tattoo;
      gimp_drawable_offsets (drawable, &at.x, &at.y);
      at.width = gimp_drawable_width (drawable);
      at.height = gimp_drawable_height (drawable);
      name = gimp_item_get_name (drawable);
      ok = cfm_probe_run (&recipe, &source, name, &at, x, y, result, error);
      g_free (name);
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
selected_point (gint32 image, gint *x, gint *y, GError **error)
{
  gboolean any = FALSE;
  gint x1 = 0, y1 = 0, x2 = 0, y2 = 0;

  gimp_selection_bounds (image, &any, &x1, &y1, &x2, &y2);
  return host_probe_point (any, x1, y1, x2, y2, x, y, error);
}

void
gimp2_probe_run (gint nparams, const GimpParam *param, gint *nreturn_vals,
                 GimpParam **return_vals)
{
  static GimpParam values[N_PROBE_RETURNS];
  static CfmProbeResult result = { 0 };
  static gchar *message = NULL;
  GimpRunMode run_mode = param[0].data.d_int32;
  GError *error = NULL;
  gint x = nparams > 4 ? param[3].data.d_int32 : 0;
  gint y = nparams > 4 ? param[4].data.d_int32 : 0;
  gboolean ok = TRUE;

  cfm_render_init_gegl ();
  cfm_probe_result_clear (&result);
  *return_vals = values;
  *nreturn_vals = 1;
  values[0].type = GIMP_PDB_STATUS;
  if (run_mode == GIMP_RUN_INTERACTIVE)
    ok = selected_point (param[1].data.d_image, &x, &y, &error);
  if (ok)
    {
      gimp_image_undo_group_start (param[1].data.d_image);
      ok = probe (param[1].data.d_image, param[2].data.d_drawable, x, y,
                  &result, &error);
      gimp_image_undo_group_end (param[1].data.d_image);
    }
  if (!ok)
    {
      g_free (message);
      message = g_strdup (error->message);
      if (run_mode == GIMP_RUN_INTERACTIVE)
        g_message ("%s", message);
      g_clear_error (&error);
      values[0].data.d_status = GIMP_PDB_EXECUTION_ERROR;
      values[1].type = GIMP_PDB_STRING;
      values[1].data.d_string = message;
      *nreturn_vals = 2;
      return;
    }
  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      gimp_ui_init (CFM_PLUGIN_NAME, FALSE);
      gimp_displays_flush ();
      host_probe_dialog (result.explanation);
    }
  values[0].data.d_status = GIMP_PDB_SUCCESS;
  values[1].type = GIMP_PDB_FLOAT;
  values[1].data.d_float = result.value;
  values[2].type = values[3].type = values[4].type = values[5].type
    = GIMP_PDB_INT32;
  values[2].data.d_int32 = result.field.x;
  values[3].data.d_int32 = result.field.y;
  values[4].data.d_int32 = result.field.width;
  values[5].data.d_int32 = result.field.height;
  values[6].type = GIMP_PDB_STRING;
  values[6].data.d_string = result.explanation;
  *nreturn_vals = N_PROBE_RETURNS;
}
