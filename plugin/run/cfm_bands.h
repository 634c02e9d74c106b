/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_bands.h: the band loop.  A run computes its maps in bands of rows
 * (the plan's graph, cfm_graph_run), so it holds a band of each value,
 * never whole maps.  Also the range pass, and the runner that works on a
 * band's maps on two threads. */
#ifndef CFM_BANDS_H
#define CFM_BANDS_H

#include "cfm_plan.h"
#include "cfm_source.h"

/* One band of one stage's maps: rows [MAP_ROW0, MAP_ROW0 + ROWS) of its
 * value as the engine holds them (channel ch's row r at VALUES[ch * PLANE +
 * r * map_w], read only); the plan's map f is channel plan->channel[f].
 * Maps kept from the range pass (cfm_kept_maps.h) come as MAPS instead:
 * map f's first row of the band at MAPS[f]. */
typedef struct
{
  CfmStage             s;
  const gfloat        *values;
  gsize                plane;
  gint                 rows;
  gint                 map_row0;
  const gfloat *const *maps;     /* or NULL */
} CfmBandMaps;

/* The first row of the plan's map F in BAND. */
const gfloat *cfm_band_map (const CfmPlan *plan, const CfmBandMaps *band,
                            gint f);

/* What is done with each band; DATA is the caller's. */
typedef gboolean (*CfmBandFunc) (const CfmPlan *plan, const CfmBandMaps *band,
                                 gpointer data, GError **error);

/* Progress from 0 to 1; FALSE when the user cancelled. */
typedef gboolean (*CfmProgressFunc) (gpointer data, gdouble fraction);

typedef struct
{
  CfmBandFunc     func;
  gpointer        data;
  CfmProgressFunc progress;   /* or NULL */
  gpointer        progress_data;
  gdouble         p0, p1;     /* the progress this loop covers */
} CfmBandLoop;

/* The forward pass of PLAN's class activation maps (plan->cam) on INPUT,
 * resized and normalised as the band loop's, into CAM (cfm_cam_run: its
 * maps for cfm_cam_class). */
gboolean cfm_bands_cam (const CfmPlan *plan, CfmInput *input, CfmCam *cam,
                        GError **error);

/* Computes every band of PLAN from INPUT and hands each to LOOP->func. */
gboolean cfm_bands_run (const CfmPlan *plan, CfmInput *input,
                        const CfmBandLoop *loop, GError **error);

/* The ranges and zeros of every map, and of every stage's set of maps;
 * where the network ends in a classifier, the pass takes it to its end
 * for the logits. */
typedef struct
{
  CfmStats *map[CFM_N_STAGES];   /* per filter */
  CfmStats  set[CFM_N_STAGES];
  gfloat   *logits;              /* a classifier's, from the same pass
                                    (plan->logits), or NULL */
  gint      n_logits;
  gchar    *top;                 /* its top class, as the group says it
                                    (cfm_predictions.h), or NULL */
} CfmRanges;

CfmRanges *cfm_ranges_new (const CfmPlan *plan);
void       cfm_ranges_free (CfmRanges *ranges);

/* The range pass: fills RANGES from every band, and hands each band to
 * ALSO (with ALSO_DATA) too, where it is not NULL (the maps kept,
 * cfm_kept_maps.h). */
gboolean cfm_bands_ranges (const CfmPlan *plan, CfmInput *input,
                           CfmRanges *ranges, CfmBandFunc also,
                           gpointer also_data, CfmProgressFunc progress,
                           gpointer progress_data, gdouble p0, gdouble p1,
                           GError **error);

/* The new rows of one map in a band, and what is made of them. */
typedef struct
{
  CfmStage      s;
  gint          f;
  const gfloat *values;
  gint          rows, map_row0;
  CfmStats      stats;   /* what the range pass finds */
  /* What the write pass makes of it (cfm_write.c). */
  const Babl   *codes;   /* the layer's 8-bit format, or NULL */
  gboolean      clamp;   /* the layer keeps only 0..1 */
  gfloat       *tmp;     /* scratch */
  gpointer      out;     /* the layer's pixels: codes or floats */
} CfmMapPart;

/* The parts of BAND: its stage's maps (none when SHOWN and the stage is
 * not shown), in filter order; *N of them. */
CfmMapPart *cfm_band_parts (const CfmPlan *plan, const CfmBandMaps *band,
                            gboolean shown, gint *n);

/* What is done to one part, on any thread. */
typedef void (*CfmPartFunc) (const CfmPlan *plan, CfmMapPart *part,
                             gpointer data);
/* What is done with a finished part on the calling thread, in order. */
typedef gboolean (*CfmPartSend) (const CfmPlan *plan, const CfmMapPart *part,
                                 gpointer data, GError **error);

/* FUNC on every part, on a second thread as well when the run may use two
 * (the statistics and the rendering of the maps take longer than
 * computing them), and SEND (or NULL) on each part in order, on this
 * thread, as soon as it is done. */
gboolean cfm_parts_run (const CfmPlan *plan, CfmMapPart *parts, gint n,
                        CfmPartFunc func, CfmPartSend send, gpointer data,
                        GError **error);

#endif
