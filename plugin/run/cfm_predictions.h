/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_predictions.h: what a classifier thinks the image is, as a run
 * gives it: one line per class, the most probable first,
 * "rank<TAB>class<TAB>probability<TAB>label" (rank from 1, the class
 * 0-based as PyTorch numbers its outputs, the softmax's probability to 8
 * significant digits, the label from "labels" or "class N"), and the top
 * class as the run's group names it. */
#ifndef CFM_PREDICTIONS_H
#define CFM_PREDICTIONS_H

#include "cfm_plan.h"

#define CFM_PREDICTIONS_PARASITE "cnn-feature-maps-predictions"

/* The procedure's first return value, in both GIMP APIs. */
#define CFM_PREDICTIONS_RETURN "predictions"
#define CFM_PREDICTIONS_BLURB \
  "What a classifier network thinks the image is: one line per class, the " \
  "most probable first, rank<TAB>class<TAB>probability<TAB>label; empty " \
  "for a network without a classifier"

typedef struct
{
  gchar *lines;   /* every class, or "" for a network without classifier */
  gchar *top;     /* "<label> <percent>%", or NULL */
} CfmPredictions;

/* PLAN's classifier's N LOGITS ranked into PRED (cleared first); FALSE
 * with a message for logits that are not finite. */
gboolean cfm_predictions_make (const CfmPlan *plan, const gfloat *logits,
                               gint n, CfmPredictions *pred, GError **error);

void cfm_predictions_clear (CfmPredictions *pred);

#endif
