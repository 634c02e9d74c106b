/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_gimp3_dialog.c: the GIMP 3 dialog, made by GimpProcedureDialog from
 * the procedure's arguments, framed and greyed out as cfm_dialog.h says,
 * with the live preview in a column of its own. */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "host_gimp3.h"
#include "cfm_dialog.h"
#include "cfm_i18n.h"
#include "cfm_preview.h"
#include "host_layer_names.h"
#include "host_prediction.h"
#include "host_preview.h"


typedef struct
{
  GimpProcedureDialog *dialog;
  GtkWidget           *label;
  GtkWidget           *preview_note;
  GimpProcedureConfig *config;
  GimpDrawable        *drawable;
  CfmDialogState       state;
  HostPrediction       prediction;
  HostLayerNames       layer_names;
} ShapeView;

/* Hands the config's values to the shared dialog state. */
static void
read_config (ShapeView *view)
{
  CfmArgValues vals;

  cfm_args_init (&vals);
  gimp3_values_from_config (view->config, &vals);
  cfm_dialog_set_values (&view->state, &vals);
  cfm_args_clear (&vals);
}

/* Draws the chosen map over the part of the drawable the preview shows. */
static void
draw_preview (GimpPreview *preview, ShapeView *view)
{
  GeglBuffer *source = gimp_drawable_get_buffer (view->drawable);
  gint filter;

  read_config (view);
  g_object_get (view->config, cfm_preview_specs[CFM_PREVIEW_FILTER].name,
                &filter, NULL);
  host_preview_draw (preview, &view->state, source, filter,
                     (CfmStage) gimp_procedure_config_get_choice_id
                       (view->config,
                        cfm_preview_specs[CFM_PREVIEW_STAGE].name),
                     view->preview_note);
  g_object_unref (source);
}

/* The preview with its two choices and a line for what keeps it empty,
 * in a column of their own. */
static GtkWidget *
make_preview_column (GimpProcedureDialog *dialog, ShapeView *view,
                     GtkWidget **column)
{
  GtkWidget *preview = gimp_drawable_preview_new_from_drawable (view->drawable);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  /* GimpPreview fills the room it is given, square. */
  gtk_widget_set_size_request (preview, CFM_PREVIEW_SIZE, CFM_PREVIEW_SIZE);
  gtk_widget_set_valign (box, GTK_ALIGN_START);
  gtk_box_pack_start (GTK_BOX (box), preview, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box),
                      gimp_procedure_dialog_get_widget
                        (dialog, cfm_preview_specs[CFM_PREVIEW_FILTER].name,
                         G_TYPE_NONE),
                      FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box),
                      gimp_procedure_dialog_get_widget
                        (dialog, cfm_preview_specs[CFM_PREVIEW_STAGE].name,
                         G_TYPE_NONE),
                      FALSE, FALSE, 0);
  view->preview_note = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (view->preview_note), 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (view->preview_note), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (view->preview_note), 30);
  gtk_box_pack_start (GTK_BOX (box), view->preview_note, FALSE, FALSE, 0);
  gtk_widget_show_all (box);
  g_signal_connect (preview, "invalidated", G_CALLBACK (draw_preview), view);
  g_signal_connect_swapped (view->config, "notify",
                            G_CALLBACK (gimp_preview_invalidate), preview);
  *column = box;
  return preview;
}

static void apply_rules (ShapeView *view);

static void
update_shape (GObject *config, GParamSpec *pspec, ShapeView *view)
{
  gchar *text;

  (void) config;
  (void) pspec;
  read_config (view);
  apply_rules (view);
  text = cfm_dialog_summary (&view->state, 3);
  gtk_label_set_markup (GTK_LABEL (view->label), text);
  g_free (text);
  host_layer_names_update (&view->layer_names, &view->state);
  host_prediction_restart (&view->prediction);
}

/* Makes one titled frame holding every argument of GROUP. */
static gchar *
fill_group_frame (GimpProcedureDialog *dialog, const gchar *group)
{
  gchar *title = g_strconcat (group, "-title", NULL);
  gchar *box = g_strconcat (group, "-box", NULL);
  gchar *frame = g_strconcat (group, "-frame", NULL);
  GList *props = NULL;
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    if (strcmp (cfm_arg_specs[i].group, group) == 0)
      props = g_list_append (props,
                             cfm_dialog_text_view ((CfmArgId) i)
                             ? g_strconcat (cfm_arg_specs[i].name, "-box",
                                            NULL)
                             : g_strdup (cfm_arg_specs[i].name));
  gimp_procedure_dialog_get_label (dialog, title, _(group), FALSE, FALSE);
  gimp_procedure_dialog_fill_box_list (dialog, box, props);
  gimp_procedure_dialog_fill_frame (dialog, frame, title, FALSE, box);
  g_list_free_full (props, g_free);
  g_free (title);
  g_free (box);
  return frame;
}

/* Greys out the arguments the rules of cfm_dialog.h say for the current
 * values (GimpProcedureDialog's own bindings take one rule an argument). */
static void
apply_rules (ShapeView *view)
{
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    if (cfm_dialog_has_rule ((CfmArgId) i))
      gtk_widget_set_sensitive
        (gimp_procedure_dialog_get_widget (view->dialog,
                                           cfm_arg_specs[i].name,
                                           G_TYPE_NONE),
         cfm_dialog_sensitive ((CfmArgId) i, &view->state.vals));
}

/* A text argument's view, scrolled past this size. */
#define TEXT_VIEW_WIDTH  280
#define TEXT_VIEW_HEIGHT 90

/* A text view for argument ID with its label above it (a text view has
 * none of its own), as the box "<name>-box". */
static void
text_view_box (GimpProcedureDialog *dialog, CfmArgId id)
{
  const gchar *name = cfm_arg_specs[id].name;
  gchar *label = g_strconcat (name, "-label", NULL);
  gchar *box = g_strconcat (name, "-box", NULL);
  GtkWidget *text = gimp_procedure_dialog_get_widget (dialog, name,
                                                      GTK_TYPE_TEXT_VIEW);
  GtkWidget *scrolled = gtk_scrolled_window_new (NULL, NULL), *filled;

  /* a network's text is long: the view scrolls rather than growing */
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled),
                                  GTK_POLICY_AUTOMATIC, GTK_POLICY_AUTOMATIC);
  gtk_widget_set_size_request (scrolled, TEXT_VIEW_WIDTH, TEXT_VIEW_HEIGHT);
  gtk_container_add (GTK_CONTAINER (scrolled), text);
  gimp_procedure_dialog_get_label (dialog, label,
                                   _(cfm_arg_specs[id].label), FALSE, TRUE);
  filled = gimp_procedure_dialog_fill_box (dialog, box, label, NULL);
  gtk_box_pack_start (GTK_BOX (filled), scrolled, TRUE, TRUE, 0);
  gtk_widget_show_all (scrolled);
  g_free (label);
  g_free (box);
}

/* The frames, laid out as cfm_dialog_groups says, the preview left of
 * them. */
static void
fill_columns (GimpProcedureDialog *dialog, GtkWidget *preview_column)
{
  static const gchar *const column_ids[] = { "left-column", "right-column" };
  GList *column[G_N_ELEMENTS (column_ids)] = { NULL, NULL };
  gchar *frames[CFM_DIALOG_N_GROUPS];
  GtkWidget *columns;
  gsize i;

  for (i = 0; i < CFM_DIALOG_N_GROUPS; i++)
    {
      frames[i] = fill_group_frame (dialog, cfm_dialog_groups[i].title);
      column[cfm_dialog_groups[i].column]
        = g_list_append (column[cfm_dialog_groups[i].column], frames[i]);
    }
  for (i = 0; i < G_N_ELEMENTS (column_ids); i++)
    {
      gimp_procedure_dialog_fill_box_list (dialog, column_ids[i], column[i]);
      g_list_free (column[i]);
    }
  columns = gimp_procedure_dialog_fill_box (dialog, "columns", "left-column",
                                            "right-column", NULL);
  gtk_box_pack_start (GTK_BOX (columns), preview_column, FALSE, FALSE, 0);
  gtk_box_reorder_child (GTK_BOX (columns), preview_column, 0);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (columns),
                                  GTK_ORIENTATION_HORIZONTAL);
  gtk_box_set_spacing (GTK_BOX (columns), 12);
  gimp_procedure_dialog_fill (dialog, "columns", NULL);
  for (i = 0; i < CFM_DIALOG_N_GROUPS; i++)
    g_free (frames[i]);
}

/* The summary's most height: a network's table beyond it scrolls. */
#define SUMMARY_MAX_HEIGHT 360

/* The label under the arguments that shows the summary, in a scrolled
 * window as tall as the text up to SUMMARY_MAX_HEIGHT. */
static GtkWidget *
summary_label (GimpProcedureDialog *dialog)
{
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *scrolled = gtk_scrolled_window_new (NULL, NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_line_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 80);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled),
                                  GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height
    (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled),
                                              SUMMARY_MAX_HEIGHT);
  gtk_container_add (GTK_CONTAINER (scrolled), label);
  gtk_box_pack_end (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (dialog))),
                    scrolled, FALSE, FALSE, 6);
  gtk_widget_show_all (scrolled);
  return label;
}

/* The label above the summary that shows the prediction. */
static GtkWidget *
prediction_label (GimpProcedureDialog *dialog)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 80);
  gtk_box_pack_end (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (dialog))),
                    label, FALSE, FALSE, 0);
  gtk_widget_show (label);
  return label;
}

/* A class of the prediction clicked: the class activation map's class,
 * with Grad-CAM where no method was chosen. */
static void
choose_class (gpointer data, gint cls)
{
  ShapeView *view = data;
  gchar *text = g_strdup_printf ("%d", cls);

  if (gimp_procedure_config_get_choice_id (view->config,
                                           cfm_arg_specs[CFM_ARG_CAM].name)
      == CFM_CAM_NONE)
    g_object_set (view->config, cfm_arg_specs[CFM_ARG_CAM].name,
                  cfm_cam_method_name (CFM_CAM_GRAD), NULL);
  g_object_set (view->config, cfm_arg_specs[CFM_ARG_CAM_CLASS].name, text,
                NULL);
  g_free (text);
}

/* The entry of the "layer" field (a GimpLabelEntry's), or NULL. */
static GtkWidget *
layer_entry (GimpProcedureDialog *dialog)
{
  GtkWidget *w = gimp_procedure_dialog_get_widget
                   (dialog, cfm_arg_specs[CFM_ARG_LAYER].name, G_TYPE_NONE);

  return GIMP_IS_LABEL_ENTRY (w) ? gimp_label_entry_get_entry
                                     (GIMP_LABEL_ENTRY (w))
                                 : w;
}

gboolean
gimp3_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config,
                  GimpImage *image, GimpDrawable *drawable)
{
  GimpProcedureDialog *dialog;
  ShapeView view = { 0 };
  GeglRectangle area = { 0, 0, 0, 0 };
  GtkWidget *preview, *preview_column;
  gsize i;
  gboolean ok;

  gimp_ui_init (PLUG_IN_BINARY);
  dialog = GIMP_PROCEDURE_DIALOG (gimp_procedure_dialog_new (procedure,
                                  config, _("CNN Feature Maps")));
  for (i = 0; i < CFM_N_ARGS; i++)
    if (cfm_dialog_text_view ((CfmArgId) i))
      text_view_box (dialog, (CfmArgId) i);
  view.dialog = dialog;
  view.config = config;
  view.drawable = drawable;
  if (!gimp_drawable_mask_intersect (drawable, &area.x, &area.y, &area.width,
                                     &area.height))
    area.width = area.height = 0;
  cfm_dialog_init (&view.state, &area,
                   gimp_image_get_base_type (image) == GIMP_RGB);
  {
    GeglBuffer *buffer = gimp_drawable_get_buffer (drawable);

    cfm_dialog_set_drawable (&view.state, buffer,
                             gimp_drawable_get_width (drawable),
                             gimp_drawable_get_height (drawable));
    g_object_unref (buffer);
  }
  preview = make_preview_column (dialog, &view, &preview_column);
  fill_columns (dialog, preview_column);

  view.label = summary_label (dialog);
  host_prediction_init (&view.prediction, prediction_label (dialog),
                        &view.state, choose_class, &view);
  host_layer_names_init (&view.layer_names, layer_entry (dialog));
  g_signal_connect (config, "notify", G_CALLBACK (update_shape), &view);
  update_shape (G_OBJECT (config), NULL, &view);

  ok = gimp_procedure_dialog_run (dialog);
  g_signal_handlers_disconnect_by_func (config, update_shape, &view);
  g_signal_handlers_disconnect_by_func (config, gimp_preview_invalidate,
                                        preview);
  host_prediction_clear (&view.prediction);
  host_layer_names_clear (&view.layer_names);
  gtk_widget_destroy (GTK_WIDGET (dialog));
  cfm_dialog_clear (&view.state);
  return ok;
}
