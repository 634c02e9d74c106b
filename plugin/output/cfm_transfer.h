/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_transfer.h: how the maps of 8-bit images reach GIMP: written into a
 * temporary XCF file (cfm_xcf.h) in GIMP's temporary folder, which GIMP
 * loads inside its own process, instead of tile by tile over the plug-in
 * pipe.  Here: when that route is taken, the file's name, the sweep of the
 * files of killed runs, and the loading. */
#ifndef CFM_TRANSFER_H
#define CFM_TRANSFER_H

#include "cfm_host.h"
#include "cfm_plan.h"

typedef struct _CfmTransfer CfmTransfer;

/* The file route for PLAN's maps, or NULL for the tile route: the file is
 * used when SINK can load one, SOURCE is 8-bit non-linear (what the file
 * holds), the maps fit in its format and in its folder, and $CFM_TRANSFER
 * is not "tiles".  Deletes the files of runs whose process is gone. */
CfmTransfer *cfm_transfer_new (const CfmPlan *plan, const CfmSource *source,
                               CfmSink *sink);

/* Deletes the file (loaded, or never to be). */
void cfm_transfer_free (CfmTransfer *transfer);

/* The channels of the file's layers: 1 (gray or indexed) or 3 (RGB). */
gint cfm_transfer_channels (const CfmTransfer *transfer);

/* Adds a layer NAME of W x H at X, Y; returns its index in the file. */
gint cfm_transfer_add_layer (CfmTransfer *transfer, const gchar *name,
                             gint x, gint y, gint w, gint h);

/* Creates the file once every layer is added. */
gboolean cfm_transfer_open (CfmTransfer *transfer, GError **error);

/* Rows [ROW0, ROW0 + ROWS) of layer LAYER, in order. */
gboolean cfm_transfer_write_rows (CfmTransfer *transfer, gint layer,
                                  gint row0, gint rows, gconstpointer pixels,
                                  GError **error);

/* Closes the file and has GIMP load its layers, named as added, into
 * LAYERS (one per layer, in order), not yet in the image. */
gboolean cfm_transfer_load (CfmTransfer *transfer, CfmSink *sink,
                            gpointer *layers, GError **error);

#endif
