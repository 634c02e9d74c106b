/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_gimp2_dialog.c: the GIMP 2.10 dialog, by hand in GTK 2 from the
 * argument table, with the same frames, greying out, summary and preview
 * as the GIMP 3 one (cfm_dialog.h). */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "host_gimp2.h"
#include "cfm_dialog.h"
#include "cfm_i18n.h"
#include "cfm_preview.h"
#include "host_layer_names.h"
#include "host_prediction.h"
#include "host_preview.h"

/* What the preview shows, kept between runs as the arguments are. */
typedef struct
{
  gint filter;   /* its number in the bank */
  gint stage;    /* CfmStage */
} PreviewPick;

#define PREVIEW_DATA CFM_PROC_NAME "-preview"

typedef struct
{
  CfmArgValues *vals;
  GtkWidget    *widgets[CFM_N_ARGS];
  GtkWidget    *shape_label;
  GtkWidget    *summary_scroll;   /* the label's scrolled window */
  GtkWidget    *preview, *filter_spin, *stage_combo, *preview_note;
  gint32        drawable;
  CfmDialogState state;
  HostPrediction prediction;
  HostLayerNames layer_names;
} Dialog;

/* Puts W in row ROW of TABLE after a label LABEL (with a mnemonic). */
static void
attach_labelled (GtkWidget *table, gint row, const gchar *label,
                 GtkWidget *w)
{
  GtkWidget *l = gtk_label_new_with_mnemonic (label);

  gtk_label_set_mnemonic_widget (GTK_LABEL (l), w);
  gtk_misc_set_alignment (GTK_MISC (l), 0.0, 0.5);
  gtk_table_attach (GTK_TABLE (table), l, 0, 1, row, row + 1, GTK_FILL,
                    GTK_FILL, 0, 0);
  gtk_table_attach (GTK_TABLE (table), w, 1, 2, row, row + 1,
                    GTK_EXPAND | GTK_FILL, GTK_FILL, 0, 0);
}

static GtkWidget *
make_widget (const CfmArgSpec *spec, const CfmArgValue *v)
{
  GtkWidget *w = NULL;
  gint i;

  switch (spec->type)
    {
    case CFM_TYPE_CHOICE:
      w = gtk_combo_box_text_new ();
      for (i = 0; spec->choices[i].nick; i++)
        gtk_combo_box_text_append_text (GTK_COMBO_BOX_TEXT (w),
                                        _(spec->choices[i].label));
      gtk_combo_box_set_active (GTK_COMBO_BOX (w),
                                cfm_choice_position (spec, v->i));
      break;
    case CFM_TYPE_STRING:
      if (cfm_dialog_text_view ((CfmArgId) (spec - cfm_arg_specs)))
        {
          w = gtk_text_view_new ();
          gtk_text_buffer_set_text (gtk_text_view_get_buffer
                                    (GTK_TEXT_VIEW (w)), v->s ? v->s : "",
                                    -1);
          gtk_widget_set_size_request (w, 260, 80);
        }
      else
        {
          w = gtk_entry_new ();
          gtk_entry_set_text (GTK_ENTRY (w), v->s ? v->s : "");
        }
      break;
    case CFM_TYPE_FILE:
      w = gtk_file_chooser_button_new (_(spec->label),
                                       GTK_FILE_CHOOSER_ACTION_OPEN);
      if (v->s && *v->s)
        gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (w), v->s);
      break;
    case CFM_TYPE_INT:
    case CFM_TYPE_DOUBLE:
      w = gtk_spin_button_new_with_range (spec->min, spec->max,
                                          spec->type == CFM_TYPE_INT ? 1
                                                                     : 0.01);
      gtk_spin_button_set_digits (GTK_SPIN_BUTTON (w),
                                  spec->type == CFM_TYPE_INT ? 0 : 3);
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (w),
                                 spec->type == CFM_TYPE_INT ? v->i : v->d);
      break;
    case CFM_TYPE_BOOLEAN:
      w = gtk_check_button_new_with_mnemonic (_(spec->label));
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (w), v->i);
      break;
    }
  gimp_help_set_help_data (w, _(spec->help), NULL);
  return w;
}

/* A class of the prediction clicked: the class activation map's class,
 * with Grad-CAM where no method was chosen. */
static void
choose_class (gpointer data, gint cls)
{
  Dialog *d = data;
  const CfmArgSpec *cam = &cfm_arg_specs[CFM_ARG_CAM];
  GtkComboBox *method = GTK_COMBO_BOX (d->widgets[CFM_ARG_CAM]);
  gchar *text = g_strdup_printf ("%d", cls);

  if (gtk_combo_box_get_active (method)
      == cfm_choice_position (cam, CFM_CAM_NONE))
    gtk_combo_box_set_active (method,
                              cfm_choice_position (cam, CFM_CAM_GRAD));
  gtk_entry_set_text (GTK_ENTRY (d->widgets[CFM_ARG_CAM_CLASS]), text);
  g_free (text);
}

/* The summary's most height: a network's table beyond it scrolls; the
 * viewport's frame and the wrapped label's last line around it. */
#define SUMMARY_MAX_HEIGHT 360
#define SUMMARY_FRAME 24

/* The summary's scrolled window as tall as its text, up to
 * SUMMARY_MAX_HEIGHT (GTK 2's scrolled windows ask for no height of their
 * own). */
static void
fit_summary (Dialog *d)
{
  GtkRequisition req;

  gtk_widget_size_request (d->shape_label, &req);
  gtk_widget_set_size_request (d->summary_scroll, -1,
                               MIN (req.height + SUMMARY_FRAME,
                                    SUMMARY_MAX_HEIGHT));
}

/* Reads every widget back into the values. */
static void
read_widgets (Dialog *d)
{
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    {
      const CfmArgSpec *spec = &cfm_arg_specs[i];
      GtkWidget *w = d->widgets[i];
      CfmArgValue *v = &d->vals->v[i];
      GtkTextIter a, b;

      switch (spec->type)
        {
        case CFM_TYPE_CHOICE:
          v->i = cfm_choice_at (spec,
                                gtk_combo_box_get_active (GTK_COMBO_BOX (w)));
          break;
        case CFM_TYPE_STRING:
          g_free (v->s);
          if (GTK_IS_TEXT_VIEW (w))
            {
              GtkTextBuffer *buf = gtk_text_view_get_buffer
                                     (GTK_TEXT_VIEW (w));

              gtk_text_buffer_get_bounds (buf, &a, &b);
              v->s = gtk_text_buffer_get_text (buf, &a, &b, FALSE);
            }
          else
            v->s = g_strdup (gtk_entry_get_text (GTK_ENTRY (w)));
          break;
        case CFM_TYPE_FILE:
          g_free (v->s);
          v->s = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (w));
          break;
        case CFM_TYPE_INT:
          v->i = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (w));
          break;
        case CFM_TYPE_DOUBLE:
          v->d = gtk_spin_button_get_value (GTK_SPIN_BUTTON (w));
          break;
        case CFM_TYPE_BOOLEAN:
          v->i = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (w));
          break;
        }
    }
}

static void
update (GtkWidget *changed, Dialog *d)
{
  gchar *text;
  gint i;

  (void) changed;
  read_widgets (d);
  for (i = 0; i < CFM_N_ARGS; i++)
    if (cfm_dialog_has_rule ((CfmArgId) i))
      gtk_widget_set_sensitive (d->widgets[i],
                                cfm_dialog_sensitive ((CfmArgId) i, d->vals));
  cfm_dialog_set_values (&d->state, d->vals);
  text = cfm_dialog_summary (&d->state, 2);
  gtk_label_set_markup (GTK_LABEL (d->shape_label), text);
  g_free (text);
  fit_summary (d);
  host_layer_names_update (&d->layer_names, &d->state);
  host_prediction_restart (&d->prediction);
  if (d->preview)
    gimp_preview_invalidate (GIMP_PREVIEW (d->preview));
}

/* Draws the chosen map over the part of the drawable the preview shows. */
static void
draw_preview (GimpPreview *preview, Dialog *d)
{
  const CfmArgSpec *stage = &cfm_preview_specs[CFM_PREVIEW_STAGE];
  GeglBuffer *source = gimp_drawable_get_buffer (d->drawable);

  read_widgets (d);
  cfm_dialog_set_values (&d->state, d->vals);
  host_preview_draw (preview, &d->state, source,
                     gtk_spin_button_get_value_as_int
                       (GTK_SPIN_BUTTON (d->filter_spin)),
                     (CfmStage) cfm_choice_at
                       (stage, gtk_combo_box_get_active
                                 (GTK_COMBO_BOX (d->stage_combo))),
                     d->preview_note);
  g_object_unref (source);
}

/* The preview, what it shows, and a line for what keeps it empty. */
static GtkWidget *
make_preview_column (Dialog *d, const PreviewPick *pick)
{
  GtkWidget *box = gtk_vbox_new (FALSE, 6);
  GtkWidget *table = gtk_table_new (2, 2, FALSE);
  CfmArgValue filter, stage;

  d->preview = gimp_drawable_preview_new_from_drawable_id (d->drawable);
  /* GimpPreview fills the room it is given, square. */
  gtk_widget_set_size_request (d->preview, CFM_PREVIEW_SIZE,
                               CFM_PREVIEW_SIZE);
  gtk_box_pack_start (GTK_BOX (box), d->preview, FALSE, FALSE, 0);
  g_signal_connect (d->preview, "invalidated", G_CALLBACK (draw_preview), d);

  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 4);
  gtk_box_pack_start (GTK_BOX (box), table, FALSE, FALSE, 0);
  filter.i = pick->filter;
  stage.i = pick->stage;
  d->filter_spin = make_widget (&cfm_preview_specs[CFM_PREVIEW_FILTER],
                                &filter);
  d->stage_combo = make_widget (&cfm_preview_specs[CFM_PREVIEW_STAGE],
                                &stage);
  attach_labelled (table, 0, _(cfm_preview_specs[CFM_PREVIEW_FILTER].label),
                   d->filter_spin);
  attach_labelled (table, 1, _(cfm_preview_specs[CFM_PREVIEW_STAGE].label),
                   d->stage_combo);
  g_signal_connect_swapped (d->filter_spin, "value-changed",
                            G_CALLBACK (gimp_preview_invalidate), d->preview);
  g_signal_connect_swapped (d->stage_combo, "changed",
                            G_CALLBACK (gimp_preview_invalidate), d->preview);

  d->preview_note = gtk_label_new (NULL);
  gtk_misc_set_alignment (GTK_MISC (d->preview_note), 0.0, 0.5);
  gtk_label_set_line_wrap (GTK_LABEL (d->preview_note), TRUE);
  gtk_widget_set_size_request (d->preview_note, CFM_PREVIEW_SIZE, -1);
  gtk_box_pack_start (GTK_BOX (box), d->preview_note, FALSE, FALSE, 0);
  return box;
}

static void
connect_changes (GtkWidget *w, Dialog *d)
{
  if (GTK_IS_TEXT_VIEW (w))
    g_signal_connect (gtk_text_view_get_buffer (GTK_TEXT_VIEW (w)),
                      "changed", G_CALLBACK (update), d);
  else if (GTK_IS_COMBO_BOX (w))
    g_signal_connect (w, "changed", G_CALLBACK (update), d);
  else if (GTK_IS_FILE_CHOOSER (w))
    g_signal_connect (w, "file-set", G_CALLBACK (update), d);
  else if (GTK_IS_SPIN_BUTTON (w))
    g_signal_connect (w, "value-changed", G_CALLBACK (update), d);
  else if (GTK_IS_TOGGLE_BUTTON (w))
    g_signal_connect (w, "toggled", G_CALLBACK (update), d);
  else
    g_signal_connect (w, "changed", G_CALLBACK (update), d);
}

/* One frame per group, a row per argument. */
static GtkWidget *
make_group (Dialog *d, const gchar *group)
{
  GtkWidget *frame = gimp_frame_new (_(group));
  GtkWidget *table = gtk_table_new (1, 2, FALSE);
  gint i, row = 0;

  gtk_table_set_col_spacings (GTK_TABLE (table), 6);
  gtk_table_set_row_spacings (GTK_TABLE (table), 4);
  gtk_container_add (GTK_CONTAINER (frame), table);
  for (i = 0; i < CFM_N_ARGS; i++)
    {
      const CfmArgSpec *spec = &cfm_arg_specs[i];
      GtkWidget *w;

      if (strcmp (spec->group, group) != 0)
        continue;
      w = d->widgets[i] = make_widget (spec, &d->vals->v[i]);
      if (spec->type == CFM_TYPE_BOOLEAN)
        gtk_table_attach (GTK_TABLE (table), w, 0, 2, row, row + 1,
                          GTK_FILL, GTK_FILL, 0, 0);
      else
        attach_labelled (table, row, _(spec->label), w);
      connect_changes (w, d);
      row++;
    }
  return frame;
}

/* The label under the arguments that shows the summary. */
static GtkWidget *
summary_label (void)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_line_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_size_request (label, 860, -1);
  return label;
}

/* The preview column and the frames in two columns, as cfm_dialog_groups
 * says, the summary under them. */
static void
fill_columns (Dialog *d, GtkWidget *dialog, const PreviewPick *pick)
{
  GtkWidget *columns = gtk_hbox_new (FALSE, 12), *column[2];
  gsize i;

  gtk_container_set_border_width (GTK_CONTAINER (columns), 12);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area
                               (GTK_DIALOG (dialog))), columns, TRUE, TRUE,
                      0);
  gtk_box_pack_start (GTK_BOX (columns), make_preview_column (d, pick),
                      FALSE, FALSE, 0);
  for (i = 0; i < G_N_ELEMENTS (column); i++)
    {
      column[i] = gtk_vbox_new (FALSE, 12);
      gtk_box_pack_start (GTK_BOX (columns), column[i], TRUE, TRUE, 0);
    }
  for (i = 0; i < CFM_DIALOG_N_GROUPS; i++)
    gtk_box_pack_start (GTK_BOX (column[cfm_dialog_groups[i].column]),
                        make_group (d, cfm_dialog_groups[i].title), FALSE,
                        FALSE, 0);
  d->prediction.label = summary_label ();
  gtk_misc_set_padding (GTK_MISC (d->prediction.label), 12, 0);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area
                               (GTK_DIALOG (dialog))), d->prediction.label,
                      FALSE, FALSE, 0);
  host_prediction_init (&d->prediction, d->prediction.label, &d->state,
                        choose_class, d);
  d->shape_label = summary_label ();
  gtk_misc_set_padding (GTK_MISC (d->shape_label), 12, 0);
  d->summary_scroll = gtk_scrolled_window_new (NULL, NULL);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (d->summary_scroll),
                                  GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_add_with_viewport
    (GTK_SCROLLED_WINDOW (d->summary_scroll), d->shape_label);
  gtk_box_pack_start (GTK_BOX (gtk_dialog_get_content_area
                               (GTK_DIALOG (dialog))), d->summary_scroll,
                      FALSE, FALSE, 0);
}

gboolean
gimp2_dialog_run (CfmArgValues *vals, gint32 image, gint32 drawable)
{
  Dialog d = { 0 };
  PreviewPick pick = {
    (gint) cfm_preview_specs[CFM_PREVIEW_FILTER].def,
    (gint) cfm_preview_specs[CFM_PREVIEW_STAGE].def
  };
  GtkWidget *dialog;
  GeglRectangle area = { 0, 0, 0, 0 };
  gboolean ok;

  gimp_ui_init (CFM_PLUGIN_NAME, FALSE);
  gimp_get_data (PREVIEW_DATA, &pick);
  d.vals = vals;
  d.drawable = drawable;
  if (!gimp_drawable_mask_intersect (drawable, &area.x, &area.y, &area.width,
                                     &area.height))
    area.width = area.height = 0;
  cfm_dialog_init (&d.state, &area,
                   gimp_image_base_type (image) == GIMP_RGB);
  {
    GeglBuffer *buffer = gimp_drawable_get_buffer (drawable);

    cfm_dialog_set_drawable (&d.state, buffer, gimp_drawable_width (drawable),
                             gimp_drawable_height (drawable));
    g_object_unref (buffer);
  }
  dialog = gimp_dialog_new (_("CNN Feature Maps"), "gimp-cnn-feature-maps",
                            NULL, 0, gimp_standard_help_func, CFM_PROC_NAME,
                            _("_Cancel"), GTK_RESPONSE_CANCEL,
                            _("_OK"), GTK_RESPONSE_OK, NULL);
  fill_columns (&d, dialog, &pick);
  host_layer_names_init (&d.layer_names, d.widgets[CFM_ARG_LAYER]);
  update (NULL, &d);
  gtk_widget_show_all (dialog);

  ok = gimp_dialog_run (GIMP_DIALOG (dialog)) == GTK_RESPONSE_OK;
  if (ok)
    {
      read_widgets (&d);
      pick.filter = gtk_spin_button_get_value_as_int
                      (GTK_SPIN_BUTTON (d.filter_spin));
      pick.stage = cfm_choice_at (&cfm_preview_specs[CFM_PREVIEW_STAGE],
                                  gtk_combo_box_get_active
                                    (GTK_COMBO_BOX (d.stage_combo)));
      gimp_set_data (PREVIEW_DATA, &pick, sizeof pick);
    }
  host_prediction_clear (&d.prediction);
  host_layer_names_clear (&d.layer_names);
  gtk_widget_destroy (dialog);
  cfm_dialog_clear (&d.state);
  return ok;
}
