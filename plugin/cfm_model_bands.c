/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_model_bands.c: the band loop of a trained model's block.  Its
 * stages (a Conv2d, its BatchNorm and activation, the pooling) come from
 * one forward pass in bands of the last stage's rows; each band of each
 * stage goes to the loop's function as a band of that stage alone (its
 * API: cfm_bands.h). */
#include "config.h"

#include <string.h>

#include "cfm_bands.h"
#include "cfm_i18n.h"

/* Working memory of one band of the whole chain up to the block.  A band
 * computes only rows no band before it did, so small bands cost no
 * arithmetic; on VGG-16's first three blocks bands of 16 to 128 rows of
 * the first layer took the same time, and larger ones more (their buffers
 * are pages the system must first clear, and leave the caches). */
#define MODEL_BAND_BYTES ((gsize) 32 << 20)
#define MODEL_BAND_ROWS_MIN 2
#define MODEL_BAND_ROWS_MAX 1024

typedef struct
{
  const CfmPlan     *plan;
  CfmInput          *input;
  const CfmBandLoop *loop;
  gint               stage_of[CFM_NETWORK_FORWARD_MAX];   /* per wanted */
  const gint        *want;
  gint               n_want;
  gfloat            *picked;     /* the selected channels of a band */
  gsize              picked_size;
  gdouble            done, total;   /* rows, for the progress */
  GError            *error;
} ModelPass;

static CfmStatus
read_rows (gpointer data, gint row0, gint rows, gfloat *dst, CfmError *err)
{
  ModelPass *mp = data;
  const CfmPlan *plan = mp->plan;

  (void) err;
  cfm_input_read (mp->input, row0, rows, dst);
  cfm_normalize_apply (dst, plan->channels, (gsize) rows * plan->width,
                       plan->model->mean, plan->model->std);
  return CFM_OK;
}

/* One band of one module's output: its selected channels as a band of
 * that stage alone. */
static CfmStatus
hand_band (gpointer data, gint module, const gfloat *out, gint c, gint h,
           gint w, gint row0, gint rows, CfmError *err)
{
  ModelPass *mp = data;
  const CfmPlan *plan = mp->plan;
  const CfmBandLoop *loop = mp->loop;
  gsize plane = (gsize) rows * w, need = plane * plan->n_maps + 1;
  CfmBandMaps band;
  gint j, f, s;

  (void) c;
  for (j = 0; j < mp->n_want && mp->want[j] != module; j++)
    ;
  s = mp->stage_of[j];
  if (need > mp->picked_size)
    {
      mp->picked = g_renew (gfloat, mp->picked, need);
      mp->picked_size = need;
    }
  for (f = 0; f < plan->n_maps; f++)
    memcpy (mp->picked + plane * f,
            out + plane * (plan->numbers[f] - 1), plane * sizeof (gfloat));
  memset (&band, 0, sizeof band);
  band.maps[s] = mp->picked;
  band.rows[s] = band.new_rows[s] = rows;
  band.map_row0[s] = row0;
  if (!loop->func (plan, &band, loop->data, &mp->error))
    return cfm_error_set (err, CFM_ERR_ARG, "%s", mp->error->message);
  if (j < mp->n_want - 1)
    return CFM_OK;
  mp->done += rows;
  if (loop->progress
      && !loop->progress (loop->progress_data,
                          loop->p0 + (loop->p1 - loop->p0) * mp->done
                                     / MAX (mp->total, 1.0)))
    {
      g_set_error (&mp->error, CFM_ERROR, 1, _("Cancelled."));
      return cfm_error_set (err, CFM_ERR_ARG, "cancelled");
    }
  (void) h;
  return CFM_OK;
}

/* Rows of MODULE's output a band may have for MODEL_BAND_BYTES: every
 * module before it holds its rows for them. */
static gint
model_band_rows (const CfmPlan *plan, gint module)
{
  const CfmNetwork *net = &plan->model->model->net;
  gint (*shape)[3] = g_malloc0_n (module + 1, sizeof *shape);
  gdouble per_row = (gdouble) plan->channels * plan->width * plan->height;
  gsize rows;
  gint i;

  cfm_network_shapes (net, module, plan->channels, plan->height, plan->width,
                      shape, NULL);
  for (i = 0; i <= module; i++)
    per_row += 2.0 * shape[i][0] * shape[i][1] * shape[i][2];
  per_row = per_row * sizeof (gfloat) / MAX (shape[module][1], 1);
  g_free (shape);
  rows = (gsize) (MODEL_BAND_BYTES / MAX (per_row, 1.0));
  return (gint) CLAMP (rows, MODEL_BAND_ROWS_MIN, MODEL_BAND_ROWS_MAX);
}

/* The shown stages in chain order: how many. */
static gint
sorted_stages (const CfmPlan *plan, gint *stages)
{
  const CfmPlanModel *pm = plan->model;
  gint n = 0, i, s;

  for (s = 0; s < CFM_N_STAGES; s++)
    if (pm->module[s] >= 0)
      {
        for (i = n; i > 0 && pm->module[stages[i - 1]] > pm->module[s]; i--)
          stages[i] = stages[i - 1];
        stages[i] = s;
        n++;
      }
  return n;
}

gboolean
cfm_bands_run_model (const CfmPlan *plan, CfmInput *input,
                     const CfmBandLoop *loop, GError **error)
{
  const CfmPlanModel *pm = plan->model;
  gint stages[CFM_N_STAGES], want[CFM_N_STAGES], i;
  ModelPass mp = { plan, input, loop, { 0 }, want, 0, NULL, 0, 0.0, 0.0,
                   NULL };
  CfmStatus status;
  CfmError err;

  mp.n_want = sorted_stages (plan, stages);
  if (mp.n_want == 0)
    return TRUE;
  for (i = 0; i < mp.n_want; i++)
    {
      mp.stage_of[i] = stages[i];
      want[i] = pm->module[stages[i]];
    }
  /* progress: the rows of the last stage, which set the bands */
  mp.total = plan->stages[stages[mp.n_want - 1]].map_h;
  status = cfm_network_forward_bands (&pm->model->net, want, mp.n_want,
                                      plan->channels, plan->height,
                                      plan->width,
                                      model_band_rows (plan,
                                                       want[mp.n_want - 1]),
                                      read_rows, &mp, hand_band, &mp, &err);
  g_free (mp.picked);
  if (status == CFM_OK)
    return TRUE;
  if (mp.error)
    g_propagate_error (error, mp.error);
  else
    g_set_error_literal (error, CFM_ERROR, 0, err.message);
  return FALSE;
}
