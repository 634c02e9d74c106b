/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_write.h: the write pass, and the one place that picks the format of
 * a layer's pixels.  Each band's maps become display values (as the range
 * pass found the ranges) and go to their layers, rendered on two threads
 * and sent in order: as 8-bit codes to the maps' file or to 8-bit
 * non-linear layers, else as floats. */
#ifndef CFM_WRITE_H
#define CFM_WRITE_H

#include "cfm_bands.h"
#include "cfm_host.h"
#include "cfm_layers.h"
#include "cfm_transfer.h"

/* The file's layers for PLAN's maps from SOURCE into SINK: 1 channel
 * (gray layers, or *INDEXED layers with the colormap's 256 colours) or 3
 * (RGB).  One byte a pixel where that can be: gray maps of a gray image;
 * gray and viridis maps of an RGB image as indices (GIMP makes them RGB as
 * it copies them in), or, where GIMP does that by a plain copy (2.10) and
 * the image has GIMP's built-in profile, gray maps as gray layers, faster
 * still.  Diverging maps are RGB. */
gint cfm_write_file_channels (const CfmPlan *plan, const CfmSource *source,
                              const CfmSink *sink, gboolean *indexed);

/* Writes N display values in 0..1 (CHANNELS a pixel) to RECT of BUFFER, a
 * layer's: as codes to an 8-bit non-linear layer (sparing babl a
 * conversion of every pixel; VALUES is overwritten), else as floats. */
void cfm_write_pixels (GeglBuffer *buffer, const GeglRectangle *rect,
                       gint channels, gfloat *values, gsize n);

typedef struct _CfmWriter CfmWriter;

/* A write pass of PLAN's maps with RANGES, into the file TRANSFER (or
 * NULL: into layers made by SINK). */
CfmWriter *cfm_writer_new (const CfmPlan *plan, const CfmRanges *ranges,
                           CfmTransfer *transfer, CfmSink *sink);
void       cfm_writer_free (CfmWriter *writer);

/* Makes the top group, a sub-group per filter and a layer per shown map
 * in TREE (layers of the file as slots to fill). */
gboolean cfm_writer_make_layers (CfmWriter *writer, CfmLayerTree *tree,
                                 GError **error);

/* The band function of the write pass (DATA: the writer). */
gboolean cfm_write_band (const CfmPlan *plan, const CfmBandMaps *band,
                         gpointer data, GError **error);

/* After the pass on the file route: has GIMP load the file and fills its
 * layers into their slots of TREE. */
gboolean cfm_writer_load (CfmWriter *writer, CfmLayerTree *tree,
                          GError **error);

/* Lets the layers filled through GEGL go (after the pass, or a failure). */
void cfm_writer_release (CfmWriter *writer);

/* Once the layers are in the image: scales the maps of stages the plan
 * lays over the photo at another scale ("input-size": CfmPlanStage's
 * shown_w) to their size there. */
gboolean cfm_writer_place_layers (CfmWriter *writer, GError **error);

/* Whether raw values outside 0..1 were clipped by an integer layer. */
gboolean cfm_writer_clipped (const CfmWriter *writer);

#endif
