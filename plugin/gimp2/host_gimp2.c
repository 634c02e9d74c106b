/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_gimp2.c: the GIMP 2.10 plug-in: registration with positional
 * arguments from the argument table, last values, and the run.  The layer
 * sink is in host_gimp2_sink.c, the dialog in host_gimp2_dialog.c;
 * everything else is shared with the GIMP 3 build. */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "host_gimp2.h"
#include "cfm_i18n.h"
#include "cfm_predictions.h"
#include "cfm_probe.h"
#include "cfm_render.h"

#define N_FIXED_PARAMS 3   /* run-mode, image, drawable */

static void query (void);
static void run   (const gchar *name, gint nparams, const GimpParam *param,
                   gint *nreturn_vals, GimpParam **return_vals);

const GimpPlugInInfo PLUG_IN_INFO = { NULL, NULL, query, run };

/* The catalogs sit in locale/ beside the plug-in, wherever it is installed,
 * as GIMP 3 finds them. */
static gchar *locale_dir;

int
main (int argc, char *argv[])
{
  gchar *dir = g_path_get_dirname (argv[0]);

  locale_dir = g_build_filename (dir, "locale", NULL);
  g_free (dir);
  return gimp_main (&PLUG_IN_INFO, argc, argv);
}

static GimpPDBArgType
pdb_type (CfmArgType type)
{
  switch (type)
    {
    case CFM_TYPE_INT:
    case CFM_TYPE_BOOLEAN:
      return GIMP_PDB_INT32;
    case CFM_TYPE_DOUBLE:
      return GIMP_PDB_FLOAT;
    default:
      return GIMP_PDB_STRING;   /* choices by nick, files by path */
    }
}

static void
query (void)
{
  GimpParamDef args[N_FIXED_PARAMS + CFM_N_ARGS] = {
    { GIMP_PDB_INT32, (gchar *) "run-mode", (gchar *) "The run mode" },
    { GIMP_PDB_IMAGE, (gchar *) "image", (gchar *) "Input image" },
    { GIMP_PDB_DRAWABLE, (gchar *) "drawable", (gchar *) "Input drawable" },
  };
  static const GimpParamDef returns[] = {
    { GIMP_PDB_STRING, (gchar *) CFM_PREDICTIONS_RETURN,
      (gchar *) CFM_PREDICTIONS_BLURB },
  };
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    {
      args[N_FIXED_PARAMS + i].type = pdb_type (cfm_arg_specs[i].type);
      args[N_FIXED_PARAMS + i].name = (gchar *) cfm_arg_specs[i].name;
      args[N_FIXED_PARAMS + i].description
        = cfm_args_describe (&cfm_arg_specs[i], FALSE);
    }
  gimp_plugin_domain_register (GETTEXT_PACKAGE, locale_dir);
  gimp_install_procedure (CFM_PROC_NAME,
                          N_("Show what a CNN's first layer sees"),
                          "Runs a bank of convolution filters, an activation "
                          "and pooling exactly as PyTorch's Conv2d, ReLU and "
                          "MaxPool2d do, and adds every output map as a "
                          "layer aligned over the image.",
                          "CNN Feature Maps authors",
                          "CNN Feature Maps authors", "2026",
                          N_("CNN _Feature Maps..."), "RGB*, GRAY*",
                          GIMP_PLUGIN, G_N_ELEMENTS (args),
                          G_N_ELEMENTS (returns), args, returns);
  gimp_plugin_menu_register (CFM_PROC_NAME, "<Image>/Filters/Generic");
  for (i = 0; i < CFM_N_ARGS; i++)
    g_free (args[N_FIXED_PARAMS + i].description);
  gimp2_probe_query ();
}

/* ---- positional parameters and last values ------------------------------ */

static gboolean
values_from_params (const GimpParam *param, CfmArgValues *vals,
                    GError **error)
{
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    {
      const CfmArgSpec *spec = &cfm_arg_specs[i];
      const GimpParam *p = &param[N_FIXED_PARAMS + i];

      switch (spec->type)
        {
        case CFM_TYPE_CHOICE:
          if (!cfm_args_set_from_string (vals, spec->name,
                                         p->data.d_string ? p->data.d_string
                                                          : "", error))
            return FALSE;
          break;
        case CFM_TYPE_STRING:
        case CFM_TYPE_FILE:
          g_free (vals->v[i].s);
          vals->v[i].s = g_strdup (p->data.d_string);
          break;
        case CFM_TYPE_DOUBLE:
          vals->v[i].d = p->data.d_float;
          break;
        case CFM_TYPE_BOOLEAN:
          vals->v[i].i = p->data.d_int32 != 0;
          break;
        default:
          vals->v[i].i = p->data.d_int32;
          break;
        }
    }
  return TRUE;
}

/* Last values are kept as cfm_args_to_text makes them. */
static void
save_last_values (const CfmArgValues *vals)
{
  gchar *text = cfm_args_to_text (vals);

  gimp_set_data (CFM_PROC_NAME, text, strlen (text) + 1);
  g_free (text);
}

static void
load_last_values (CfmArgValues *vals)
{
  gint size = gimp_get_data_size (CFM_PROC_NAME);
  gchar *data;

  if (size <= 0)
    return;
  data = g_malloc0 (size + 1);
  gimp_get_data (CFM_PROC_NAME, data);
  cfm_args_from_text (vals, data);
  g_free (data);
}

/* The procedure's values for a non-interactive call's NPARAMS PARAM. */
static gboolean
values_from_call (gint nparams, const GimpParam *param, CfmArgValues *vals,
                  GError **error)
{
  if (nparams != N_FIXED_PARAMS + CFM_N_ARGS)
    {
      g_set_error (error, CFM_ERROR, 0, _("%s takes %d arguments, not %d."),
                   CFM_PROC_NAME, N_FIXED_PARAMS + CFM_N_ARGS, nparams);
      return FALSE;
    }
  return values_from_params (param, vals, error);
}

/* Plans the run on DRAWABLE and runs it as one undo step. */
static gboolean
render (gint32 image, gint32 drawable, const CfmArgValues *vals,
        gchar **predictions, GError **error)
{
  gboolean rgb = gimp_image_base_type (image) == GIMP_RGB;
  CfmDrawableFacts facts;
  CfmLoaded loaded = { 0 };
  GeglRectangle area, patch;
  GeglBuffer *buffer;
  CfmPlan *plan = NULL;
  gint ox, oy;
  gboolean ok;

  gimp2_drawable_facts (drawable, &facts);
  gimp_drawable_offsets (drawable, &ox, &oy);
  if (!cfm_host_plan_area (vals->v[CFM_ARG_FILTER_BANK].i, &facts, &area,
                           &patch, error))
    return FALSE;
  buffer = gimp_drawable_get_buffer (drawable);
  ok = cfm_plan_load_on (vals, buffer, rgb, &patch, &loaded, error);
  g_object_unref (buffer);
  if (ok)
    plan = cfm_plan_new_on (&loaded, vals, rgb, area.width, area.height,
                            ox + area.x, oy + area.y, error);
  cfm_loaded_clear (&loaded);
  if (plan == NULL)
    return FALSE;
  gimp_progress_init (_("Computing CNN feature maps"));
  gimp_image_undo_group_start (image);
  ok = gimp2_render_drawable (image, drawable, &area, plan, predictions,
                              error);
  gimp_image_undo_group_end (image);
  cfm_plan_free (plan);
  return ok;
}

static void
run (const gchar *name, gint nparams, const GimpParam *param,
     gint *nreturn_vals, GimpParam **return_vals)
{
  /* GIMP reads the values after run returns: they outlive it */
  static GimpParam values[2];
  static gchar *text = NULL;
  GimpRunMode run_mode = param[0].data.d_int32;
  gint32 image = param[1].data.d_image;
  gint32 drawable = param[2].data.d_drawable;
  CfmArgValues vals;
  GError *error = NULL;
  gboolean ok = TRUE;

  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  if (strcmp (name, CFM_PROBE_PROC_NAME) == 0)
    {
      gimp2_probe_run (nparams, param, nreturn_vals, return_vals);
      return;
    }
  cfm_render_init_gegl ();
  *nreturn_vals = 1;
  *return_vals = values;
  values[0].type = GIMP_PDB_STATUS;
  values[0].data.d_status = GIMP_PDB_SUCCESS;
  g_clear_pointer (&text, g_free);

  cfm_args_init (&vals);
  if (run_mode == GIMP_RUN_NONINTERACTIVE)
    ok = values_from_call (nparams, param, &vals, &error);
  else
    {
      load_last_values (&vals);
      if (run_mode == GIMP_RUN_INTERACTIVE
          && !gimp2_dialog_run (&vals, image, drawable))
        {
          values[0].data.d_status = GIMP_PDB_CANCEL;
          cfm_args_clear (&vals);
          return;
        }
    }
  ok = ok && render (image, drawable, &vals, &text, &error);
  if (ok && run_mode == GIMP_RUN_INTERACTIVE)
    save_last_values (&vals);
  cfm_args_clear (&vals);
  if (!ok)
    {
      text = g_strdup (error->message);
      if (run_mode == GIMP_RUN_INTERACTIVE)
        g_message ("%s", text);
      g_clear_error (&error);
      values[0].data.d_status = GIMP_PDB_EXECUTION_ERROR;
    }
  else if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  /* the error's message, or the first return value */
  values[1].type = GIMP_PDB_STRING;
  values[1].data.d_string = text;
  *nreturn_vals = 2;
}
