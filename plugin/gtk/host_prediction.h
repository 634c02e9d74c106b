/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_prediction.h: the dialogs' prediction label, the same in both GIMP
 * APIs: a change of the settings abandons the running prediction and,
 * after a pause, starts the next (cfm_dialog_predict.h). */
#ifndef HOST_PREDICTION_H
#define HOST_PREDICTION_H

#include <libgimp/gimpui.h>

#include "cfm_dialog_predict.h"

/* Makes class CLS the class activation map's (a dialog's own way of
 * setting "cam" and "cam-class"). */
typedef void (*HostChooseClass) (gpointer data, gint cls);

typedef struct
{
  GtkWidget      *label;
  CfmDialogState *state;
  CfmPrediction  *running;
  guint           delay, poll;   /* their timeouts' sources, or 0 */
  HostChooseClass choose;
  gpointer        choose_data;
} HostPrediction;

/* A prediction shown in LABEL for the settings in STATE; a click on one of
 * its classes calls CHOOSE with CHOOSE_DATA. */
void host_prediction_init (HostPrediction *hp, GtkWidget *label,
                           CfmDialogState *state, HostChooseClass choose,
                           gpointer choose_data);

/* The settings changed: what was shown and computed goes. */
void host_prediction_restart (HostPrediction *hp);

/* Stops everything (the dialog closes). */
void host_prediction_clear (HostPrediction *hp);

#endif
