/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_bands.c: the band loop, its overlap with reading, the two-thread part
 * runner and the range pass (its API: cfm_bands.h). */
#include "config.h"

#include "cfm_bands.h"
#include "cfm_i18n.h"
#include "cfm_parallel.h"

#define BAND_BYTES ((gsize) 24 << 20)   /* working memory of one band */
#define BAND_ROWS_MIN 8
#define BAND_ROWS_MAX 1024

/* Rows per band so that one band's buffers stay near BAND_BYTES. */
static gint
band_rows (const CfmPlan *plan)
{
  gsize per_row = ((gsize) plan->n_maps * plan->pl.conv_w * 3
                   + (gsize) plan->channels * plan->width
                     * plan->pl.conv.stride * 4) * sizeof (gfloat);
  gsize rows = BAND_BYTES / (per_row ? per_row : 1);

  return (gint) CLAMP (rows, BAND_ROWS_MIN, BAND_ROWS_MAX);
}

/* The memory of the band loop, kept from band to band. */
typedef struct
{
  gfloat *in, *conv, *act, *pool;
} BandMemory;

static void
fetch_input (const CfmPlan *plan, CfmInput *input, const CfmBandPlan *bp,
             BandMemory *mem)
{
  mem->in = g_renew (gfloat, mem->in, (gsize) plan->channels * bp->in_rows
                                      * plan->width + 1);
  cfm_input_read (input, bp->in_row0, bp->in_rows, mem->in);
}

/* Runs the pipeline on the band BP describes (its input fetched) and
 * describes its maps in BAND. */
static gboolean
compute_band (const CfmPlan *plan, const CfmBandPlan *bp, BandMemory *mem,
              CfmBandMaps *band, GError **error)
{
  const CfmPipeline *pl = &plan->pl;
  gsize cn = (gsize) plan->n_maps * bp->conv_rows * pl->conv_w;
  gsize pn = (gsize) plan->n_maps * bp->pool_rows * pl->pool_w;
  CfmBand in_band = { mem->in, plan->channels, plan->height, plan->width,
                      bp->in_row0, bp->in_rows, 0 };
  CfmError err;
  gint s;

  mem->conv = g_renew (gfloat, mem->conv, cn + 1);
  mem->act = g_renew (gfloat, mem->act, cn + 1);
  mem->pool = g_renew (gfloat, mem->pool, pn + 1);
  if (cfm_pipeline_run_band (pl, bp, &in_band, mem->conv, mem->act,
                             mem->pool, &err) != CFM_OK)
    {
      g_set_error_literal (error, CFM_ERROR, 0, err.message);
      return FALSE;
    }
  band->maps[CFM_STAGE_CONV] = mem->conv;
  band->maps[CFM_STAGE_ACTIVATION] = mem->act;
  band->maps[CFM_STAGE_POOL] = mem->pool;
  for (s = CFM_STAGE_CONV; s <= CFM_STAGE_ACTIVATION; s++)
    {
      band->rows[s] = bp->conv_rows;
      band->new0[s] = bp->new_row0 - bp->conv_row0;
      band->new_rows[s] = bp->new_rows;
      band->map_row0[s] = bp->new_row0;
    }
  band->rows[CFM_STAGE_POOL] = band->new_rows[CFM_STAGE_POOL] = bp->pool_rows;
  band->new0[CFM_STAGE_POOL] = 0;
  band->map_row0[CFM_STAGE_POOL] = bp->pool_row0;
  return TRUE;
}

/* A band's work beside the reading of the next band's input. */
typedef struct
{
  const CfmPlan     *plan;
  const CfmBandLoop *loop;
  const CfmBandMaps *band;
  CfmInput          *input;
  const CfmBandPlan *next;
  BandMemory        *mem;
  GError            *error;
  gboolean           ok;
} Overlap;

/* Worker 0 (the calling thread, which may talk to GIMP) reads the next
 * band's input; worker 1 works on this band. */
static void
overlap_worker (gpointer data, gint worker)
{
  Overlap *o = data;

  if (worker == 0)
    fetch_input (o->plan, o->input, o->next, o->mem);
  else
    o->ok = o->loop->func (o->plan, o->band, o->loop->data, &o->error);
}

/* Hands BAND to the loop's function and reads NEXT's input (when MORE),
 * side by side where that can be. */
static gboolean
hand_on (const CfmPlan *plan, CfmInput *input, const CfmBandLoop *loop,
         const CfmBandMaps *band, gboolean more, const CfmBandPlan *next,
         BandMemory *mem, GError **error)
{
  Overlap o = { plan, loop, band, input, next, mem, NULL, TRUE };

  if (loop->pure && more && cfm_thread_count (plan->pl.threads, 2) > 1)
    cfm_parallel_run (2, overlap_worker, &o);
  else
    {
      o.ok = loop->func (plan, band, loop->data, &o.error);
      if (more && o.ok)
        fetch_input (plan, input, next, mem);
    }
  if (!o.ok)
    g_propagate_error (error, o.error);
  return o.ok;
}

gboolean
cfm_bands_run (const CfmPlan *plan, CfmInput *input, const CfmBandLoop *loop,
               GError **error)
{
  const CfmPipeline *pl = &plan->pl;
  gint conv_done = 0, pool_done = 0, max_rows;
  BandMemory mem = { NULL, NULL, NULL, NULL };
  gboolean ok = TRUE, more;
  CfmBandPlan bp, next;

  if (plan->model)
    return cfm_bands_run_model (plan, input, loop, error);
  max_rows = band_rows (plan);
  more = cfm_pipeline_next_band (pl, max_rows, &conv_done, &pool_done, &bp);
  if (more)
    fetch_input (plan, input, &bp, &mem);
  while (ok && more)
    {
      CfmBandMaps band;

      if (!compute_band (plan, &bp, &mem, &band, error))
        {
          ok = FALSE;
          break;
        }
      more = cfm_pipeline_next_band (pl, max_rows, &conv_done, &pool_done,
                                     &next);
      ok = hand_on (plan, input, loop, &band, more, &next, &mem, error);
      if (ok && loop->progress
          && !loop->progress (loop->progress_data,
                              loop->p0 + (loop->p1 - loop->p0) * conv_done
                                         / MAX (pl->conv_h, 1)))
        {
          g_set_error (error, CFM_ERROR, 1, _("Cancelled."));
          ok = FALSE;
        }
      if (more)
        bp = next;
    }
  g_free (mem.in);
  g_free (mem.conv);
  g_free (mem.act);
  g_free (mem.pool);
  return ok;
}

/* ---- map parts ---------------------------------------------------------- */

CfmMapPart *
cfm_band_parts (const CfmPlan *plan, const CfmBandMaps *band, gboolean shown,
                gint *n)
{
  CfmMapPart *parts = g_new0 (CfmMapPart, CFM_N_STAGES * plan->n_maps);
  gint s, f;

  *n = 0;
  for (s = 0; s < CFM_N_STAGES; s++)
    {
      const CfmPlanStage *st = &plan->stages[s];
      gsize plane = (gsize) band->rows[s] * st->map_w;

      if (band->new_rows[s] == 0 || !st->map_w || (shown && !st->shown))
        continue;
      for (f = 0; f < plan->n_maps; f++)
        {
          CfmMapPart *p = &parts[(*n)++];

          p->s = (CfmStage) s;
          p->f = f;
          p->values = band->maps[s] + f * plane
                      + (gsize) band->new0[s] * st->map_w;
          p->rows = band->new_rows[s];
          p->map_row0 = band->map_row0[s];
        }
    }
  return parts;
}

typedef struct
{
  const CfmPlan *plan;
  CfmMapPart    *parts;
  gint           n;
  CfmPartFunc    func;
  CfmPartSend    send;
  gpointer       data;
  gint           next;    /* the next part to take, atomic */
  gint          *done;    /* per part: 1 once FUNC is through, atomic */
  gint           sent;    /* parts sent, in order (calling thread) */
  gboolean       ok;
  GError        *error;
} PartsJob;

/* Sends the finished parts that are next in order. */
static void
send_ready (PartsJob *job)
{
  while (job->send && job->ok && job->sent < job->n
         && g_atomic_int_get (&job->done[job->sent]))
    job->ok = job->send (job->plan, &job->parts[job->sent++], job->data,
                         &job->error);
}

/* Takes parts in order until none is left; worker 0 also sends. */
static void
parts_worker (gpointer data, gint worker)
{
  PartsJob *job = data;
  gint i;

  while ((i = g_atomic_int_add (&job->next, 1)) < job->n)
    {
      job->func (job->plan, &job->parts[i], job->data);
      g_atomic_int_set (&job->done[i], 1);
      if (worker == 0)
        send_ready (job);
    }
}

gboolean
cfm_parts_run (const CfmPlan *plan, CfmMapPart *parts, gint n,
               CfmPartFunc func, CfmPartSend send, gpointer data,
               GError **error)
{
  PartsJob job = { plan, parts, n, func, send, data, 0, g_new0 (gint, n),
                   0, TRUE, NULL };

  cfm_parallel_run (n > 1 && cfm_thread_count (plan->pl.threads, 2) > 1
                    ? 2 : 1, parts_worker, &job);
  send_ready (&job);
  g_free (job.done);
  if (!job.ok)
    g_propagate_error (error, job.error);
  return job.ok;
}

/* ---- the range pass ----------------------------------------------------- */

CfmRanges *
cfm_ranges_new (const CfmPlan *plan)
{
  CfmRanges *r = g_new0 (CfmRanges, 1);
  gint s;

  for (s = 0; s < CFM_N_STAGES; s++)
    r->map[s] = g_new0 (CfmStats, plan->n_maps);
  return r;
}

void
cfm_ranges_free (CfmRanges *r)
{
  gint s;

  if (r == NULL)
    return;
  for (s = 0; s < CFM_N_STAGES; s++)
    g_free (r->map[s]);
  g_free (r);
}

static void
part_stats (const CfmPlan *plan, CfmMapPart *part, gpointer data)
{
  (void) data;
  cfm_stats_compute (part->values,
                     (gsize) part->rows * plan->stages[part->s].map_w,
                     &part->stats);
}

static gboolean
gather_stats (const CfmPlan *plan, const CfmBandMaps *band, gpointer data,
              GError **error)
{
  CfmRanges *ranges = data;
  gint n, i;
  CfmMapPart *parts = cfm_band_parts (plan, band, FALSE, &n);

  cfm_parts_run (plan, parts, n, part_stats, NULL, NULL, error);
  for (i = 0; i < n; i++)
    cfm_stats_merge (&ranges->map[parts[i].s][parts[i].f], &parts[i].stats);
  g_free (parts);
  return TRUE;
}

gboolean
cfm_bands_ranges (const CfmPlan *plan, CfmInput *input, CfmRanges *ranges,
                  CfmProgressFunc progress, gpointer progress_data,
                  gdouble p0, gdouble p1, GError **error)
{
  CfmBandLoop loop = { gather_stats, ranges, TRUE, progress, progress_data,
                       p0, p1 };
  gint s, f;

  if (!cfm_bands_run (plan, input, &loop, error))
    return FALSE;
  for (s = 0; s < CFM_N_STAGES; s++)
    for (f = 0; f < plan->n_maps; f++)
      cfm_stats_merge (&ranges->set[s], &ranges->map[s][f]);
  return TRUE;
}
