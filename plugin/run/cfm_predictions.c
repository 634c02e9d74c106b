/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_predictions.c: a classifier's logits as the run's predictions (its
 * API: cfm_predictions.h). */
#include "config.h"

#include "cfm_predictions.h"

/* The name of class K: its label, or "class K". */
static gchar *
class_name (const CfmPlan *plan, gint k)
{
  if (plan->labels.n > k)
    return g_strdup (plan->labels.names[k]);
  return g_strdup_printf ("class %d", k);
}

gboolean
cfm_predictions_make (const CfmPlan *plan, const gfloat *logits, gint n,
                      CfmPredictions *pred, GError **error)
{
  CfmClassScore *ranked = g_new (CfmClassScore, MAX (n, 1));
  GString *lines = g_string_new (NULL);
  gchar num[G_ASCII_DTOSTR_BUF_SIZE];
  CfmError err;
  gint r;

  cfm_predictions_clear (pred);
  if (n < 1 || cfm_classify (logits, n, ranked, n, &err) != CFM_OK)
    {
      g_set_error (error, CFM_ERROR, 0, "%s",
                   n < 1 ? "no logits" : err.message);
      g_free (ranked);
      g_string_free (lines, TRUE);
      return FALSE;
    }
  for (r = 0; r < n; r++)
    {
      gchar *name = class_name (plan, ranked[r].index);

      g_ascii_formatd (num, sizeof num, "%.8g", ranked[r].probability);
      g_string_append_printf (lines, "%d\t%d\t%s\t%s\n", r + 1,
                              ranked[r].index, num, name);
      if (r == 0)
        {
          g_ascii_formatd (num, sizeof num, "%.1f",
                           100.0 * ranked[r].probability);
          pred->top = g_strdup_printf ("%s %s%%", name, num);
        }
      g_free (name);
    }
  pred->lines = g_string_free (lines, FALSE);
  g_free (ranked);
  return TRUE;
}

void
cfm_predictions_clear (CfmPredictions *pred)
{
  g_free (pred->lines);
  g_free (pred->top);
  pred->lines = pred->top = NULL;
}
