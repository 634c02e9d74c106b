/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_kept_maps.c: the range pass's maps kept for the write pass (its
 * API: cfm_kept_maps.h). */
#include "config.h"

#include <string.h>

#include "cfm_kept_maps.h"
#include "cfm_i18n.h"

/* Rows a replayed band has: the write pass's own work per band (the
 * rendering on two threads, the tiles) is what a band pays for. */
#define REPLAY_ROWS 64

struct _CfmKeptMaps
{
  gfloat **map[CFM_N_STAGES];   /* per shown stage, per map: map_h x map_w */
  gint     n_maps;
};

/* The bytes PLAN's shown maps take. */
static gdouble
shown_bytes (const CfmPlan *plan)
{
  gdouble bytes = 0;
  gint s;

  for (s = 0; s < CFM_N_STAGES; s++)
    if (plan->stages[s].shown)
      bytes += (gdouble) plan->n_maps * plan->stages[s].map_w
               * plan->stages[s].map_h * sizeof (gfloat);
  return bytes;
}

CfmKeptMaps *
cfm_kept_maps_new (const CfmPlan *plan)
{
  const gchar *env = g_getenv ("CFM_PASSES");
  CfmKeptMaps *kept;
  gint s, f;

  if (shown_bytes (plan) > (gdouble) CFM_KEPT_MAPS_BYTES
      || (env && strcmp (env, "two") == 0))
    return NULL;
  kept = g_new0 (CfmKeptMaps, 1);
  kept->n_maps = plan->n_maps;
  for (s = 0; s < CFM_N_STAGES; s++)
    {
      const CfmPlanStage *st = &plan->stages[s];

      if (!st->shown)
        continue;
      kept->map[s] = g_new0 (gfloat *, plan->n_maps);
      for (f = 0; f < plan->n_maps; f++)
        {
          kept->map[s][f] = g_try_malloc ((gsize) st->map_w * st->map_h
                                          * sizeof (gfloat));
          if (kept->map[s][f] == NULL)
            {
              cfm_kept_maps_free (kept);   /* the network runs twice */
              return NULL;
            }
        }
    }
  return kept;
}

void
cfm_kept_maps_free (CfmKeptMaps *kept)
{
  gint s, f;

  if (kept == NULL)
    return;
  for (s = 0; s < CFM_N_STAGES; s++)
    {
      for (f = 0; kept->map[s] && f < kept->n_maps; f++)
        g_free (kept->map[s][f]);
      g_free (kept->map[s]);
    }
  g_free (kept);
}

gboolean
cfm_kept_maps_add (const CfmPlan *plan, const CfmBandMaps *band,
                   gpointer data, GError **error)
{
  CfmKeptMaps *kept = data;
  gint w = plan->stages[band->s].map_w, f;

  (void) error;
  if (kept->map[band->s] == NULL)
    return TRUE;
  for (f = 0; f < plan->n_maps; f++)
    memcpy (kept->map[band->s][f] + (gsize) band->map_row0 * w,
            cfm_band_map (plan, band, f),
            (gsize) band->rows * w * sizeof (gfloat));
  return TRUE;
}

gboolean
cfm_kept_maps_replay (const CfmPlan *plan, const CfmKeptMaps *kept,
                      const CfmBandLoop *loop, GError **error)
{
  const gfloat **rows = g_new0 (const gfloat *, plan->n_maps);
  gdouble done = 0, total = 0;
  gboolean ok = TRUE;
  gint s, f, row0;

  for (s = 0; s < CFM_N_STAGES; s++)
    if (kept->map[s])
      total += plan->stages[s].map_h;
  for (s = 0; ok && s < CFM_N_STAGES; s++)
    for (row0 = 0; ok && kept->map[s] && row0 < plan->stages[s].map_h;
         row0 += REPLAY_ROWS)
      {
        const CfmPlanStage *st = &plan->stages[s];
        CfmBandMaps band = { (CfmStage) s, NULL, 0,
                             MIN (REPLAY_ROWS, st->map_h - row0), row0,
                             rows };

        for (f = 0; f < plan->n_maps; f++)
          rows[f] = kept->map[s][f] + (gsize) row0 * st->map_w;
        ok = loop->func (plan, &band, loop->data, error);
        done += band.rows;
        if (ok && loop->progress
            && !loop->progress (loop->progress_data,
                                loop->p0 + (loop->p1 - loop->p0) * done
                                           / MAX (total, 1.0)))
          {
            g_set_error (error, CFM_ERROR, 1, _("Cancelled."));
            ok = FALSE;
          }
      }
  g_free (rows);
  return ok;
}
