/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_dialog_predict.h: the dialogs' prediction before OK: what a
 * classifier thinks the image is at the chosen input size, computed in a
 * thread of its own (the plan's range pass, the logits only kept) and
 * abandoned when the settings change. */
#ifndef CFM_DIALOG_PREDICT_H
#define CFM_DIALOG_PREDICT_H

#include "cfm_dialog.h"

/* How many classes the dialog names. */
#define CFM_DIALOG_PREDICT_TOP 5

/* The links of the classes it names: this, then the 0-based index. */
#define CFM_DIALOG_CLASS_LINK "cam-class:"

typedef struct _CfmPrediction CfmPrediction;

/* Starts the prediction for ST's values on its area; NULL when there is
 * nothing to predict (no model, settings the summary refuses, or a network
 * without a classifier).  The area's pixels are copied first, so the
 * thread never reads GIMP's buffer. */
CfmPrediction *cfm_prediction_start (CfmDialogState *st);

/* Whether P is finished; then *TEXT (free with g_free) is the top classes
 * as one line of Pango markup, each a link (CFM_DIALOG_CLASS_LINK), or
 * why there are none. */
gboolean cfm_prediction_done (CfmPrediction *p, gchar **text);

/* Stops P (at the next band) and frees it once its thread is through. */
void cfm_prediction_cancel (CfmPrediction *p);

#endif
