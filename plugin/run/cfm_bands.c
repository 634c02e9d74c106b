/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_bands.c: the band loop (the plan's graph run in bands, each wanted
 * stage's rows handed on), the two-thread part runner and the range pass
 * (its API: cfm_bands.h). */
#include "config.h"

#include "cfm_bands.h"
#include "cfm_i18n.h"
#include "cfm_parallel.h"
#include "cfm_resize.h"

/* Working memory of one band: every value the run computes holds about
 * this much.  A band computes only rows no band before it did, so small
 * bands cost no arithmetic; on VGG-16's first three blocks bands of 16 to
 * 128 rows of the first layer took the same time, and larger ones more
 * (their buffers are pages the system must first clear, and leave the
 * caches). */
#define BAND_BYTES ((gsize) 32 << 20)
#define BAND_ROWS_MIN 2
#define BAND_ROWS_MAX 1024

/* Rows of value FIRST a band may have for BAND_BYTES: each value computed
 * up to the last wanted one holds rows in proportion to its height. */
static gint
band_rows (const CfmPlan *plan, gint first, gint last_node)
{
  const CfmGraph *g = &plan->graph;
  const CfmValue *f = &g->values[first];
  gdouble per_row = (gdouble) plan->channels * plan->width * plan->height;
  gsize rows;
  gint i;

  for (i = 0; i <= last_node; i++)
    {
      gint out = g->nodes[i].outputs[0];

      if (out >= 0)
        per_row += 2.0 * g->values[out].c * g->values[out].h
                   * g->values[out].w;
    }
  per_row = per_row * sizeof (gfloat) / MAX (f->h, 1);
  rows = (gsize) (BAND_BYTES / MAX (per_row, 1.0));
  return (gint) CLAMP (rows, BAND_ROWS_MIN, BAND_ROWS_MAX);
}

/* One run of the plan's graph: the stages it hands on and how far it
 * is. */
typedef struct
{
  const CfmPlan     *plan;
  CfmInput          *input;
  const CfmBandLoop *loop;
  gint               want[CFM_N_STAGES + 1], n_want;   /* and the
                                                          logits */
  gint               paced;      /* the value the progress counts */
  gdouble            done, total;   /* rows, for the progress */
  gfloat           **logits;     /* where a classifier's logits go, or
                                    NULL: none wanted */
  gint              *n_logits;
  CfmResizer        *resizer;    /* "input-size": the source resized, or
                                    NULL */
  GError            *error;
} GraphPass;

/* The source's own rows, for the resizer. */
static CfmStatus
read_source (gpointer data, gint row0, gint rows, gfloat *dst, CfmError *err)
{
  GraphPass *gp = data;

  (void) err;
  cfm_input_read (gp->input, row0, rows, dst);
  return CFM_OK;
}

/* The input rows the graph asks for, resized where "input-size" says: a
 * model's normalised as it was trained. */
static CfmStatus
read_rows (gpointer data, gint row0, gint rows, gfloat *dst, CfmError *err)
{
  GraphPass *gp = data;
  const CfmPlan *plan = gp->plan;

  if (gp->resizer == NULL)
    cfm_input_read (gp->input, row0, rows, dst);
  else if (cfm_resizer_read (gp->resizer, row0, rows, dst, err) != CFM_OK)
    return err->status;
  if (plan->model)
    cfm_normalize_apply (dst, plan->channels, (gsize) rows * plan->width,
                         plan->model->mean, plan->model->std);
  return CFM_OK;
}

/* Stage S's new rows to the loop's function. */
static gboolean
hand_stage (GraphPass *gp, gint s, const gfloat *rows, gsize plane,
            gint row0, gint nrows)
{
  CfmBandMaps band = { (CfmStage) s, rows, plane, nrows, row0, NULL };

  return gp->loop->func (gp->plan, &band, gp->loop->data, &gp->error);
}

/* The graph's rows of one wanted value: to every stage it is, then the
 * progress (by the last wanted value's rows). */
static CfmStatus
hand_rows (gpointer data, gint value, const gfloat *rows, gsize plane, gint c,
           gint h, gint w, gint row0, gint nrows, CfmError *err)
{
  GraphPass *gp = data;
  const CfmPlan *plan = gp->plan;
  const CfmBandLoop *loop = gp->loop;
  gint s;

  (void) h;
  (void) w;
  if (gp->logits && value == plan->logits)
    {   /* a vector: one row of C channels, a plane apart */
      gint k;

      g_free (*gp->logits);
      *gp->logits = g_new (gfloat, c);
      *gp->n_logits = c;
      for (k = 0; k < c; k++)
        (*gp->logits)[k] = rows[(gsize) k * plane];
    }
  for (s = 0; s < CFM_N_STAGES; s++)
    if (plan->stages[s].shown && plan->value[s] == value
        && !hand_stage (gp, s, rows, plane, row0, nrows))
      return cfm_error_set (err, CFM_ERR_ARG, "%s", gp->error->message);
  if (value != gp->paced)
    return CFM_OK;
  gp->done += nrows;
  if (loop->progress
      && !loop->progress (loop->progress_data,
                          loop->p0 + (loop->p1 - loop->p0) * gp->done
                                     / MAX (gp->total, 1.0)))
    {
      g_set_error (&gp->error, CFM_ERROR, 1, _("Cancelled."));
      return cfm_error_set (err, CFM_ERR_ARG, "cancelled");
    }
  return CFM_OK;
}

/* The values of the shown stages, each once, in stage order; the last
 * node that computes one. */
static gint
wanted_values (const CfmPlan *plan, gint *want, gint *last_node)
{
  gint n = 0, s, i;

  *last_node = 0;
  for (s = 0; s < CFM_N_STAGES; s++)
    {
      gint v = plan->value[s];

      if (!plan->stages[s].shown || v < 0)
        continue;
      for (i = 0; i < n && want[i] != v; i++)
        ;
      if (i == n)
        want[n++] = v;
      *last_node = MAX (*last_node, plan->graph.values[v].producer);
    }
  return n;
}

/* GP's input resized, into RESIZER, where the plan's input is not its
 * source's size ("input-size"). */
static CfmStatus
resize_source (const CfmPlan *plan, GraphPass *gp, CfmResizer *resizer,
               CfmError *err)
{
  CfmStatus status;

  if (plan->width == plan->source_width
      && plan->height == plan->source_height)
    return CFM_OK;
  status = cfm_resizer_init (resizer, plan->channels, plan->source_height,
                             plan->source_width, plan->height, plan->width,
                             read_source, gp, err);
  if (status == CFM_OK)
    gp->resizer = resizer;
  return status;
}

/* The plan's graph run in bands for LOOP, and where LOGITS is given the
 * classifier's logits too. */
static gboolean
run_graph (const CfmPlan *plan, CfmInput *input, const CfmBandLoop *loop,
           gfloat **logits, gint *n_logits, GError **error)
{
  GraphPass gp = { plan, input, loop, { 0 }, 0, -1, 0.0, 0.0, NULL, NULL,
                   NULL, NULL };
  CfmResizer resizer;
  gint last_node;
  CfmStatus status;
  CfmError err;

  gp.n_want = wanted_values (plan, gp.want, &last_node);
  if (gp.n_want == 0)
    return TRUE;
  gp.paced = gp.want[gp.n_want - 1];
  if (logits && plan->logits >= 0)
    {
      gp.logits = logits;
      gp.n_logits = n_logits;
      gp.want[gp.n_want++] = plan->logits;
      last_node = plan->graph.values[plan->logits].producer;
    }
  gp.total = plan->graph.values[gp.paced].h;
  status = resize_source (plan, &gp, &resizer, &err);
  if (status == CFM_OK)
    status = cfm_graph_run (&plan->graph, gp.want, gp.n_want,
                            band_rows (plan, gp.want[0], last_node),
                            read_rows, &gp, hand_rows, &gp, &err);
  if (gp.resizer)
    cfm_resizer_free (gp.resizer);
  if (status == CFM_OK)
    return TRUE;
  if (gp.error)
    g_propagate_error (error, gp.error);
  else
    g_set_error_literal (error, CFM_ERROR, 0, err.message);
  return FALSE;
}

gboolean
cfm_bands_cam (const CfmPlan *plan, CfmInput *input, CfmCam *cam,
               GError **error)
{
  GraphPass gp = { plan, input, NULL, { 0 }, 0, -1, 0.0, 0.0, NULL, NULL,
                   NULL, NULL };
  CfmResizer resizer;
  CfmStatus status;
  CfmError err;

  status = resize_source (plan, &gp, &resizer, &err);
  if (status == CFM_OK)
    status = cfm_cam_run (cam, &plan->graph, plan->cam.method, plan->cam.at,
                          plan->logits, read_rows, &gp, &err);
  if (gp.resizer)
    cfm_resizer_free (gp.resizer);
  if (status != CFM_OK)
    g_set_error (error, CFM_ERROR, 0, "cam: %s", err.message);
  return status == CFM_OK;
}

gboolean
cfm_bands_run (const CfmPlan *plan, CfmInput *input, const CfmBandLoop *loop,
               GError **error)
{
  return run_graph (plan, input, loop, NULL, NULL, error);
}

/* ---- map parts ---------------------------------------------------------- */

const gfloat *
cfm_band_map (const CfmPlan *plan, const CfmBandMaps *band, gint f)
{
  if (band->maps)
    return band->maps[f];
  return band->values + band->plane * (gsize) plan->channel[f];
}

CfmMapPart *
cfm_band_parts (const CfmPlan *plan, const CfmBandMaps *band, gboolean shown,
                gint *n)
{
  CfmMapPart *parts = g_new0 (CfmMapPart, plan->n_maps);
  gint f;

  *n = 0;
  if (band->rows == 0 || (shown && !plan->stages[band->s].shown))
    return parts;
  for (f = 0; f < plan->n_maps; f++)
    {
      CfmMapPart *p = &parts[(*n)++];

      p->s = band->s;
      p->f = f;
      p->values = cfm_band_map (plan, band, f);
      p->rows = band->rows;
      p->map_row0 = band->map_row0;
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
  g_free (r->logits);
  g_free (r->top);
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

/* The range pass's work on a band: the statistics, and the caller's. */
typedef struct
{
  CfmRanges   *ranges;
  CfmBandFunc  also;
  gpointer     also_data;
} RangePass;

static gboolean
gather_stats (const CfmPlan *plan, const CfmBandMaps *band, gpointer data,
              GError **error)
{
  RangePass *rp = data;
  CfmRanges *ranges = rp->ranges;
  gint n, i;
  CfmMapPart *parts;

  if (rp->also && !rp->also (plan, band, rp->also_data, error))
    return FALSE;
  parts = cfm_band_parts (plan, band, FALSE, &n);

  cfm_parts_run (plan, parts, n, part_stats, NULL, NULL, error);
  for (i = 0; i < n; i++)
    cfm_stats_merge (&ranges->map[parts[i].s][parts[i].f], &parts[i].stats);
  g_free (parts);
  return TRUE;
}

gboolean
cfm_bands_ranges (const CfmPlan *plan, CfmInput *input, CfmRanges *ranges,
                  CfmBandFunc also, gpointer also_data,
                  CfmProgressFunc progress, gpointer progress_data,
                  gdouble p0, gdouble p1, GError **error)
{
  RangePass rp = { ranges, also, also_data };
  CfmBandLoop loop = { gather_stats, &rp, progress, progress_data, p0,
                       p1 };
  gint s, f;

  if (!run_graph (plan, input, &loop, &ranges->logits, &ranges->n_logits,
                  error))
    return FALSE;
  for (s = 0; s < CFM_N_STAGES; s++)
    for (f = 0; f < plan->n_maps; f++)
      cfm_stats_merge (&ranges->set[s], &ranges->map[s][f]);
  return TRUE;
}
