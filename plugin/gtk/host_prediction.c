/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_prediction.c: the dialogs' prediction label (its API:
 * host_prediction.h). */
#include "config.h"

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>
#include <string.h>

#include "host_prediction.h"
#include "cfm_i18n.h"

/* The pause after a change before a prediction starts, so that typing or
 * dragging a spin button starts none on the way, and how often a running
 * one is looked at. */
#define START_DELAY_MS 400
#define POLL_MS        100

static void
stop (HostPrediction *hp)
{
  if (hp->delay)
    g_source_remove (hp->delay);
  if (hp->poll)
    g_source_remove (hp->poll);
  hp->delay = hp->poll = 0;
  cfm_prediction_cancel (hp->running);
  hp->running = NULL;
}

static gboolean
poll_prediction (gpointer data)
{
  HostPrediction *hp = data;
  gchar *text;

  if (!cfm_prediction_done (hp->running, &text))
    return G_SOURCE_CONTINUE;
  gtk_label_set_markup (GTK_LABEL (hp->label), text);
  g_free (text);
  hp->poll = 0;
  return G_SOURCE_REMOVE;
}

static gboolean
start_prediction (gpointer data)
{
  HostPrediction *hp = data;
  gchar *text;

  hp->delay = 0;
  hp->running = cfm_prediction_start (hp->state);
  if (hp->running == NULL)
    return G_SOURCE_REMOVE;
  text = g_markup_printf_escaped (_("<b>Prediction</b>: computing..."));
  gtk_label_set_markup (GTK_LABEL (hp->label), text);
  g_free (text);
  hp->poll = g_timeout_add (POLL_MS, poll_prediction, hp);
  return G_SOURCE_REMOVE;
}

/* A class's link clicked: it becomes the class activation map's. */
static gboolean
class_clicked (GtkLabel *label, const gchar *uri, gpointer data)
{
  HostPrediction *hp = data;

  (void) label;
  if (!g_str_has_prefix (uri, CFM_DIALOG_CLASS_LINK))
    return FALSE;
  hp->choose (hp->choose_data,
              (gint) g_ascii_strtoll (uri + strlen (CFM_DIALOG_CLASS_LINK),
                                      NULL, 10));
  return TRUE;
}

void
host_prediction_init (HostPrediction *hp, GtkWidget *label,
                      CfmDialogState *state, HostChooseClass choose,
                      gpointer choose_data)
{
  hp->label = label;
  hp->state = state;
  hp->running = NULL;
  hp->delay = hp->poll = 0;
  hp->choose = choose;
  hp->choose_data = choose_data;
  gtk_widget_set_tooltip_text (label, _("Click a class to show its class "
                                        "activation map"));
  g_signal_connect (label, "activate-link", G_CALLBACK (class_clicked), hp);
}

void
host_prediction_restart (HostPrediction *hp)
{
  stop (hp);
  gtk_label_set_text (GTK_LABEL (hp->label), "");
  hp->delay = g_timeout_add (START_DELAY_MS, start_prediction, hp);
}

void
host_prediction_clear (HostPrediction *hp)
{
  stop (hp);
}
