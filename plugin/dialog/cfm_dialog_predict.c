/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_dialog_predict.c: the dialogs' prediction in a thread (its API:
 * cfm_dialog_predict.h). */
#include "config.h"

#include <string.h>

#include "cfm_dialog_predict.h"
#include "cfm_bands.h"
#include "cfm_i18n.h"
#include "cfm_predictions.h"
#include "cfm_source.h"

struct _CfmPrediction
{
  CfmPlan    *plan;
  CfmSource   source;       /* a copy of the area's pixels */
  GThread    *thread;
  gint        cancelled;    /* atomic */
  gint        done;         /* atomic: the thread is through */
  gchar      *text;         /* its result */
};

/* The progress callback of the range pass: FALSE stops it. */
static gboolean
still_wanted (gpointer data, gdouble fraction)
{
  CfmPrediction *p = data;

  (void) fraction;
  return !g_atomic_int_get (&p->cancelled);
}

/* "tabby 87.3%, tiger cat 5.1%, ..." from the ranked LINES, as Pango
 * markup: each label a link to its class (CFM_DIALOG_CLASS_LINK and its
 * index), which the dialogs make the class activation map's class. */
static gchar *
top_classes (const gchar *lines)
{
  gchar **rows = g_strsplit (lines, "\n", CFM_DIALOG_PREDICT_TOP + 1);
  GString *s = g_string_new (NULL);
  gint r;

  for (r = 0; r < CFM_DIALOG_PREDICT_TOP && rows[r] && *rows[r]; r++)
    {
      gchar **f = g_strsplit (rows[r], "\t", 4);

      if (g_strv_length (f) == 4)
        {
          gchar *label = g_markup_escape_text (f[3], -1);

          g_string_append_printf (s, "%s<a href=\"%s%s\">%s</a> %.1f%%",
                                  r ? ", " : "", CFM_DIALOG_CLASS_LINK, f[1],
                                  label,
                                  100.0 * g_ascii_strtod (f[2], NULL));
          g_free (label);
        }
      g_strfreev (f);
    }
  g_strfreev (rows);
  return g_string_free (s, FALSE);
}

/* The stand-in for markup passed through g_markup_printf_escaped, which
 * escapes every argument. */
#define TOP_CLASSES "@CFM-TOP-CLASSES@"

/* ESCAPED, markup from g_markup_printf_escaped with TOP_CLASSES for its
 * last argument, with MARKUP there (not escaped). */
static gchar *
with_markup (gchar *escaped, const gchar *markup)
{
  gchar **parts = g_strsplit (escaped, TOP_CLASSES, 2);
  gchar *text = g_strjoinv (markup, parts);

  g_strfreev (parts);
  g_free (escaped);
  return text;
}

/* The range pass to the classifier's logits, and their ranking. */
static gchar *
predict (CfmPrediction *p, GError **error)
{
  CfmInput *input = cfm_input_new (&p->source, p->plan);
  CfmRanges *ranges = cfm_ranges_new (p->plan);
  CfmPredictions pred = { NULL, NULL };
  gchar *top = NULL;

  if (cfm_bands_ranges (p->plan, input, ranges, NULL, NULL, still_wanted, p,
                        0.0, 1.0, error)
      && ranges->logits
      && cfm_predictions_make (p->plan, ranges->logits, ranges->n_logits,
                               &pred, error))
    top = top_classes (pred.lines);
  else if (error && *error == NULL)
    g_set_error (error, CFM_ERROR, 0, _("The classifier did not run."));
  cfm_predictions_clear (&pred);
  cfm_ranges_free (ranges);
  cfm_input_free (input);
  return top;
}

static gpointer
prediction_thread (gpointer data)
{
  CfmPrediction *p = data;
  GError *error = NULL;
  gchar *top = predict (p, &error);

  if (top)
    p->text = with_markup (g_markup_printf_escaped
                             (_("<b>Prediction</b> at %d x %d: %s"),
                              p->plan->width, p->plan->height, TOP_CLASSES),
                           top);
  else
    p->text = g_markup_printf_escaped (_("<b>Prediction</b>: %s"),
                                       error->message);
  g_free (top);
  g_clear_error (&error);
  g_atomic_int_set (&p->done, 1);
  return NULL;
}

/* A copy of the pixels of AREA of BUFFER, in the same coordinates. */
static GeglBuffer *
copy_area (GeglBuffer *buffer, const GeglRectangle *area)
{
  GeglBuffer *copy = gegl_buffer_new (area,
                                      gegl_buffer_get_format (buffer));

  gegl_buffer_copy (buffer, area, GEGL_ABYSS_NONE, copy, area);
  return copy;
}

CfmPrediction *
cfm_prediction_start (CfmDialogState *st)
{
  CfmPrediction *p;
  CfmPlan *plan;

  if (!st->has_vals || st->buffer == NULL || st->loaded.model == NULL
      || st->bank_error || st->area.width < 1 || st->area.height < 1)
    return NULL;
  plan = cfm_plan_new_on (&st->loaded, &st->vals, st->image_rgb,
                          st->area.width, st->area.height, 0, 0, NULL);
  if (plan == NULL || plan->logits < 0)
    {
      cfm_plan_free (plan);
      return NULL;
    }
  p = g_new0 (CfmPrediction, 1);
  p->plan = plan;
  p->source.buffer = copy_area (st->buffer, &st->area);
  p->source.area = st->area;
  p->source.image_rgb = st->image_rgb;
  p->thread = g_thread_new ("cfm-prediction", prediction_thread, p);
  return p;
}

gboolean
cfm_prediction_done (CfmPrediction *p, gchar **text)
{
  if (!g_atomic_int_get (&p->done))
    return FALSE;
  *text = g_strdup (p->text);
  return TRUE;
}

void
cfm_prediction_cancel (CfmPrediction *p)
{
  if (p == NULL)
    return;
  g_atomic_int_set (&p->cancelled, 1);
  g_thread_join (p->thread);
  g_object_unref (p->source.buffer);
  cfm_plan_free (p->plan);
  g_free (p->text);
  g_free (p);
}
