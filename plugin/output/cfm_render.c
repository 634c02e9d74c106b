/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_render.c: a whole run put together from its parts, and GEGL's start-
 * up (its API: cfm_render.h). */
#include "config.h"

#include "cfm_render.h"
#include "cfm_predictions.h"
#include "cfm_bands.h"
#include "cfm_cam_layers.h"
#include "cfm_figures.h"
#include "cfm_i18n.h"
#include "cfm_kept_maps.h"
#include "cfm_layers.h"
#include "cfm_recipe.h"
#include "cfm_report.h"
#include "cfm_source.h"
#include "cfm_transfer.h"
#include "cfm_write.h"

/* Tiles are sent to GIMP band by band; a small cache keeps the plug-in's
 * memory at a few bands whatever the image size. */
#define TILE_CACHE_BYTES ((guint64) 32 << 20)

/* The progress the range pass takes; the write pass goes on to WRITTEN. */
#define RANGES_DONE 0.4
#define WRITTEN     0.95

void
cfm_render_init_gegl (void)
{
  /* GEGL loads every module on $GEGL_PATH (all its operations when unset:
   * 0.07 s of a 1 s run); a folder that does not exist gives it none. */
  gboolean had_path = g_getenv ("GEGL_PATH") != NULL;

  /* babl would load the fish cache GIMP keeps in the user's cache folder:
   * with GIMP 2.10's babl that takes some 330 MB for a moment, most of the
   * plug-in's memory, for the few conversions a run makes, which babl
   * finds as fast without it.  Kept set, so that babl never writes the
   * plug-in's few fishes over GIMP's cache either. */
  g_setenv ("BABL_INHIBIT_CACHE", "1", FALSE);
  if (!had_path)
    g_setenv ("GEGL_PATH", "/nonexistent/cnn-feature-maps", TRUE);
  gegl_init (NULL, NULL);
  if (!had_path)
    g_unsetenv ("GEGL_PATH");
}

static gboolean
sink_progress (gpointer data, gdouble fraction)
{
  CfmSink *sink = data;

  return sink->progress (sink, fraction);
}

/* The write pass into the layers of TREE, through the file or not: the
 * maps KEPT from the range pass, or else computed again from INPUT. */
static gboolean
write_maps (const CfmPlan *plan, CfmInput *input, const CfmKeptMaps *kept,
            CfmWriter *writer, CfmTransfer *transfer, CfmSink *sink,
            CfmLayerTree *tree, GError **error)
{
  CfmBandLoop loop = { cfm_write_band, writer, sink_progress, sink,
                       RANGES_DONE, WRITTEN };

  return cfm_writer_make_layers (writer, tree, error)
         && (transfer == NULL || cfm_transfer_open (transfer, error))
         && (kept ? cfm_kept_maps_replay (plan, kept, &loop, error)
                  : cfm_bands_run (plan, input, &loop, error))
         && (transfer == NULL || cfm_writer_load (writer, tree, error));
}

/* The figures the plan asks for. */
static gboolean
add_figures (const CfmPlan *plan, const CfmRanges *ranges, CfmSink *sink,
             CfmLayerTree *tree, GError **error)
{
  if (plan->vals.v[CFM_ARG_KERNEL_SWATCHES].i && plan->bank.n > 0
      && !cfm_figures_kernels (plan, sink, tree, error))
    return FALSE;
  return !plan->vals.v[CFM_ARG_LEGEND].i
         || cfm_figures_legends (plan, ranges, sink, tree, error);
}

gboolean
cfm_render_run (const CfmPlan *plan, const CfmSource *source, CfmSink *sink,
                gchar **predictions, GError **error)
{
  CfmInput *input = cfm_input_new (source, plan);
  CfmRanges *ranges = cfm_ranges_new (plan);
  CfmLayerTree *tree = cfm_layers_new ();
  CfmTransfer *transfer = NULL;
  CfmWriter *writer = NULL;
  CfmPredictions pred = { NULL, NULL };
  CfmKeptMaps *kept = cfm_kept_maps_new (plan);
  CfmReport report;
  gboolean ok;

  g_object_set (gegl_config (), "tile-cache-size", TILE_CACHE_BYTES, NULL);
  cfm_report_start (&report);
  if (kept == NULL)
    cfm_input_keep (input);
  ok = cfm_bands_ranges (plan, input, ranges,
                         kept ? cfm_kept_maps_add : NULL, kept,
                         sink_progress, sink, 0.0, RANGES_DONE, error);
  if (ok && ranges->logits)
    {
      ok = cfm_predictions_make (plan, ranges->logits, ranges->n_logits,
                                 &pred, error);
      ranges->top = g_strdup (pred.top);
    }
  if (ok)
    {
      cfm_report_mark (&report, CFM_PHASE_RANGES);
      cfm_input_replay (input);
      transfer = cfm_transfer_new (plan, source, sink);
      writer = cfm_writer_new (plan, ranges, transfer, sink);
      ok = write_maps (plan, input, kept, writer, transfer, sink, tree,
                       error);
      cfm_report_mark (&report, CFM_PHASE_MAPS);
      ok = ok && add_figures (plan, ranges, sink, tree, error);
      ok = ok && (plan->cam.method == CFM_CAM_NONE
                  || cfm_cam_layers (plan, input, sink, tree, error));
      /* maps of a model file that changed during the run are not shown */
      ok = ok && !(plan->model
                   && cfm_plan_model_changed (plan->model->model,
                                              plan->model->name, error));
      cfm_writer_release (writer);
      if (ok)
        {
          gchar *recipe = cfm_args_to_text (&plan->vals);
          gchar *record = cfm_recipe_source_text (source, &plan->patch);

          ok = cfm_layers_insert (tree, sink, CFM_PARASITE, recipe, error);
          if (ok && !cfm_writer_place_layers (writer, error))
            {
              sink->remove (sink, cfm_layers_item (tree, CFM_LAYERS_ROOT));
              ok = FALSE;
            }
          if (ok)
            sink->attach_parasite (sink, cfm_layers_item (tree,
                                                          CFM_LAYERS_ROOT),
                                   CFM_SOURCE_PARASITE, record);
          if (ok && pred.lines)
            sink->attach_parasite (sink, cfm_layers_item (tree,
                                                          CFM_LAYERS_ROOT),
                                   CFM_PREDICTIONS_PARASITE, pred.lines);
          g_free (recipe);
          g_free (record);
        }
      else
        cfm_layers_discard (tree, sink);
      cfm_report_mark (&report, CFM_PHASE_INSERT);
    }
  if (ok && cfm_writer_clipped (writer))
    sink->warning (sink, _("Raw values outside 0..1 were clipped: this "
                           "image stores integers. Convert it to 32-bit "
                           "floating point to keep every value."));
  cfm_report_finish (&report, transfer != NULL);
  if (ok && predictions)
    *predictions = g_strdup (pred.lines ? pred.lines : "");
  cfm_predictions_clear (&pred);
  cfm_kept_maps_free (kept);
  cfm_writer_free (writer);
  cfm_transfer_free (transfer);
  cfm_layers_free (tree);
  cfm_ranges_free (ranges);
  cfm_input_free (input);
  return ok;
}
