/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_gimp3.c: the GIMP 3 plug-in: the procedure's registration from the
 * argument table, its arguments from the config, and its run.  The layer
 * sink is in host_gimp3_sink.c, the dialog in host_gimp3_dialog.c;
 * everything else is shared with the GIMP 2.10 build. */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "host_gimp3.h"
#include "cfm_i18n.h"
#include "cfm_predictions.h"
#include "cfm_probe.h"
#include "cfm_render.h"

typedef struct _CfmPlugIn      CfmPlugIn;
typedef struct _CfmPlugInClass CfmPlugInClass;

struct _CfmPlugIn
{
  GimpPlugIn parent_instance;
};

struct _CfmPlugInClass
{
  GimpPlugInClass parent_class;
};

#define CFM_TYPE_PLUG_IN (cfm_plug_in_get_type ())
GType cfm_plug_in_get_type (void) G_GNUC_CONST;

static GList          *cfm_query_procedures (GimpPlugIn *plug_in);
static GimpProcedure  *cfm_create_procedure (GimpPlugIn *plug_in,
                                             const gchar *name);
static gboolean        cfm_set_i18n         (GimpPlugIn *plug_in,
                                             const gchar *procedure_name,
                                             gchar **gettext_domain,
                                             gchar **catalog_dir);
static GimpValueArray *cfm_run              (GimpProcedure *procedure,
                                             GimpRunMode run_mode,
                                             GimpImage *image,
                                             GimpDrawable **drawables,
                                             GimpProcedureConfig *config,
                                             gpointer run_data);

G_DEFINE_TYPE (CfmPlugIn, cfm_plug_in, GIMP_TYPE_PLUG_IN)

GIMP_MAIN (CFM_TYPE_PLUG_IN)

static void
cfm_plug_in_class_init (CfmPlugInClass *klass)
{
  GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS (klass);

  plug_in_class->query_procedures = cfm_query_procedures;
  plug_in_class->create_procedure = cfm_create_procedure;
  plug_in_class->set_i18n = cfm_set_i18n;
}

static void
cfm_plug_in_init (CfmPlugIn *plug_in)
{
  (void) plug_in;
}

static GList *
cfm_query_procedures (GimpPlugIn *plug_in)
{
  (void) plug_in;
  return g_list_append (g_list_append (NULL, g_strdup (CFM_PROC_NAME)),
                        g_strdup (CFM_PROBE_PROC_NAME));
}

static gboolean
cfm_set_i18n (GimpPlugIn *plug_in, const gchar *procedure_name,
              gchar **gettext_domain, gchar **catalog_dir)
{
  (void) plug_in;
  (void) procedure_name;
  *gettext_domain = g_strdup (GETTEXT_PACKAGE);
  *catalog_dir = NULL;   /* the plug-in folder's locale/ */
  return TRUE;
}

/* SPEC's choices, their ids the choices' values. */
static GimpChoice *
choice_of (const CfmArgSpec *spec)
{
  GimpChoice *choice = gimp_choice_new ();
  gint i;

  for (i = 0; spec->choices[i].nick; i++)
    gimp_choice_add (choice, spec->choices[i].nick, spec->choices[i].value,
                     _(spec->choices[i].label), NULL);
  return choice;
}

/* Declares one argument of the table. */
static void
add_argument (GimpProcedure *procedure, const CfmArgSpec *spec)
{
  GParamFlags flags = G_PARAM_READWRITE;

  switch (spec->type)
    {
    case CFM_TYPE_CHOICE:
      gimp_procedure_add_choice_argument (procedure, spec->name,
                                          _(spec->label), _(spec->help),
                                          choice_of (spec),
                                          cfm_choice_nick (spec,
                                                           (gint) spec->def),
                                          flags);
      break;
    case CFM_TYPE_STRING:
      gimp_procedure_add_string_argument (procedure, spec->name,
                                          _(spec->label), _(spec->help),
                                          spec->def_str, flags);
      break;
    case CFM_TYPE_FILE:
      gimp_procedure_add_file_argument (procedure, spec->name, _(spec->label),
                                        _(spec->help),
                                        GIMP_FILE_CHOOSER_ACTION_OPEN, TRUE,
                                        NULL, flags);
      break;
    case CFM_TYPE_INT:
      gimp_procedure_add_int_argument (procedure, spec->name, _(spec->label),
                                       _(spec->help), (gint) spec->min,
                                       (gint) spec->max, (gint) spec->def,
                                       flags);
      break;
    case CFM_TYPE_DOUBLE:
      gimp_procedure_add_double_argument (procedure, spec->name,
                                          _(spec->label), _(spec->help),
                                          spec->min, spec->max, spec->def,
                                          flags);
      break;
    case CFM_TYPE_BOOLEAN:
      gimp_procedure_add_boolean_argument (procedure, spec->name,
                                           _(spec->label), _(spec->help),
                                           spec->def != 0, flags);
      break;
    }
}

/* What the dialog's preview shows: kept with the dialog's last values,
 * not part of the procedure's arguments. */
static void
add_preview_arguments (GimpProcedure *procedure)
{
  const CfmArgSpec *filter = &cfm_preview_specs[CFM_PREVIEW_FILTER];
  const CfmArgSpec *stage = &cfm_preview_specs[CFM_PREVIEW_STAGE];

  gimp_procedure_add_int_aux_argument (procedure, filter->name,
                                       _(filter->label), _(filter->help),
                                       (gint) filter->min, (gint) filter->max,
                                       (gint) filter->def, G_PARAM_READWRITE);
  gimp_procedure_add_choice_aux_argument (procedure, stage->name,
                                          _(stage->label), _(stage->help),
                                          choice_of (stage),
                                          cfm_choice_nick (stage,
                                                           (gint) stage->def),
                                          G_PARAM_READWRITE);
}

static GimpProcedure *
cfm_create_procedure (GimpPlugIn *plug_in, const gchar *name)
{
  GimpProcedure *procedure;
  gint i;

  if (strcmp (name, CFM_PROBE_PROC_NAME) == 0)
    return gimp3_probe_procedure_new (plug_in);
  if (strcmp (name, CFM_PROC_NAME) != 0)
    return NULL;
  procedure = gimp_image_procedure_new (plug_in, name,
                                        GIMP_PDB_PROC_TYPE_PLUGIN, cfm_run,
                                        NULL, NULL);
  gimp_procedure_set_image_types (procedure, "RGB*, GRAY*");
  gimp_procedure_set_sensitivity_mask (procedure,
                                       GIMP_PROCEDURE_SENSITIVE_DRAWABLE
                                       | GIMP_PROCEDURE_SENSITIVE_DRAWABLES);
  gimp_procedure_set_menu_label (procedure, _("CNN _Feature Maps..."));
  gimp_procedure_add_menu_path (procedure, "<Image>/Filters/Generic");
  gimp_procedure_set_documentation
    (procedure, _("Show what a CNN's first layer sees"),
     _("Runs a bank of convolution filters, an activation and pooling "
       "exactly as PyTorch's Conv2d, ReLU and MaxPool2d do, and adds every "
       "output map as a layer aligned over the image."), name);
  gimp_procedure_set_attribution (procedure, "CNN Feature Maps authors",
                                  "CNN Feature Maps authors", "2026");
  for (i = 0; i < CFM_N_ARGS; i++)
    add_argument (procedure, &cfm_arg_specs[i]);
  add_preview_arguments (procedure);
  gimp_procedure_add_string_return_value (procedure, CFM_PREDICTIONS_RETURN,
                                          "Predictions", CFM_PREDICTIONS_BLURB,
                                          "", G_PARAM_READWRITE);
  return procedure;
}

/* ---- config to argument values ------------------------------------------ */

void
gimp3_values_from_config (GimpProcedureConfig *config, CfmArgValues *vals)
{
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    {
      const CfmArgSpec *spec = &cfm_arg_specs[i];
      CfmArgValue *v = &vals->v[i];
      GFile *file = NULL;
      gdouble d;

      switch (spec->type)
        {
        case CFM_TYPE_CHOICE:
          v->i = gimp_procedure_config_get_choice_id (config, spec->name);
          break;
        case CFM_TYPE_STRING:
          g_free (v->s);
          g_object_get (config, spec->name, &v->s, NULL);
          break;
        case CFM_TYPE_FILE:
          g_object_get (config, spec->name, &file, NULL);
          g_free (v->s);
          v->s = file ? g_file_get_path (file) : NULL;
          g_clear_object (&file);
          break;
        case CFM_TYPE_DOUBLE:
          g_object_get (config, spec->name, &d, NULL);
          v->d = d;
          break;
        default:
          g_object_get (config, spec->name, &v->i, NULL);
          break;
        }
    }
}

/* What VALS name, loaded; the filter bank "selection" from PATCH of
 * DRAWABLE. */
static gboolean
load_kernels (GimpDrawable *drawable, const CfmArgValues *vals,
              const GeglRectangle *patch, CfmLoaded *loaded, GError **error)
{
  GeglBuffer *buffer = gimp_drawable_get_buffer (drawable);
  gboolean ok = cfm_plan_load_on (vals, buffer,
                                  gimp_image_get_base_type
                                    (gimp_item_get_image (GIMP_ITEM
                                                          (drawable)))
                                  == GIMP_RGB, patch, loaded, error);

  g_object_unref (buffer);
  return ok;
}

/* Plans the run on every drawable, checking all before any layer is made;
 * the filter bank "selection" takes the first drawable's patch. */
static CfmPlan **
plan_drawables (GimpImage *image, GimpDrawable **drawables, gint n,
                const CfmArgValues *vals, GeglRectangle *areas,
                GError **error)
{
  CfmPlan **plans = g_new0 (CfmPlan *, n);
  gboolean rgb = gimp_image_get_base_type (image) == GIMP_RGB;
  CfmLoaded loaded = { 0 };
  GeglRectangle patch;
  gint i = 0, ox, oy;

  for (i = 0; i < n; i++)
    {
      CfmDrawableFacts facts;

      gimp3_drawable_facts (drawables[i], &facts);
      gimp_drawable_get_offsets (drawables[i], &ox, &oy);
      if (!cfm_host_plan_area (vals->v[CFM_ARG_FILTER_BANK].i, &facts,
                               &areas[i], &patch, error)
          || (i == 0 && !load_kernels (drawables[0], vals, &patch, &loaded,
                                       error)))
        break;
      plans[i] = cfm_plan_new_on (&loaded, vals, rgb, areas[i].width,
                                  areas[i].height, ox + areas[i].x,
                                  oy + areas[i].y, error);
      if (plans[i] == NULL)
        break;
    }
  cfm_loaded_clear (&loaded);
  if (i == n)
    return plans;
  while (i-- > 0)
    cfm_plan_free (plans[i]);
  g_free (plans);
  return NULL;
}

static GimpValueArray *
cfm_run (GimpProcedure *procedure, GimpRunMode run_mode, GimpImage *image,
         GimpDrawable **drawables, GimpProcedureConfig *config,
         gpointer run_data)
{
  CfmArgValues vals;
  GError *error = NULL;
  GeglRectangle *areas;
  CfmPlan **plans;
  GimpValueArray *values;
  gchar *predictions = NULL;
  gboolean ok = TRUE;
  gint n, i;

  (void) run_data;
  cfm_render_init_gegl ();
  n = gimp_core_object_array_get_length ((GObject **) drawables);
  if (n < 1)
    {
      g_set_error (&error, CFM_ERROR, 0, _("No layer is selected."));
      return gimp_procedure_new_return_values (procedure,
                                               GIMP_PDB_CALLING_ERROR, error);
    }
  if (run_mode == GIMP_RUN_INTERACTIVE
      && !gimp3_dialog_run (procedure, config, image, drawables[0]))
    return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL,
                                             NULL);

  cfm_args_init (&vals);
  gimp3_values_from_config (config, &vals);
  areas = g_new (GeglRectangle, n);
  plans = plan_drawables (image, drawables, n, &vals, areas, &error);
  ok = plans != NULL;
  if (ok)
    {
      gimp_progress_init (_("Computing CNN feature maps"));
      gimp_image_undo_group_start (image);
      /* the first layer's predictions are the procedure's; each group
       * keeps its own */
      for (i = 0; ok && i < n; i++)
        ok = gimp3_render_drawable (image, drawables[i], &areas[i], plans[i],
                                    i == 0 ? &predictions : NULL, &error);
      gimp_image_undo_group_end (image);
      gimp_progress_end ();
      for (i = 0; i < n; i++)
        cfm_plan_free (plans[i]);
      g_free (plans);
    }
  g_free (areas);
  cfm_args_clear (&vals);
  if (!ok)
    {
      g_free (predictions);
      if (run_mode == GIMP_RUN_INTERACTIVE)
        gimp_message (error->message);
      return gimp_procedure_new_return_values (procedure,
                                               GIMP_PDB_EXECUTION_ERROR,
                                               error);
    }
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  values = gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS,
                                             NULL);
  GIMP_VALUES_SET_STRING (values, 1, predictions);
  g_free (predictions);
  return values;
}
