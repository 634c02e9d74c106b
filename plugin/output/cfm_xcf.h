/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_xcf.h: map layers written as an XCF file for GIMP to load.
 *
 * A plug-in hands pixels to GIMP one 64x64 tile at a time, each a round
 * trip between the two processes; twelve 12-megapixel layers are some
 * 35,000 of them.  GIMP reads XCF files inside its own process, so the
 * maps are written into one (8-bit, uncompressed, every offset known in
 * advance, so rows go to the file as they are computed) and GIMP loads it
 * with gimp-xcf-load (cfm_transfer.c), whose layers are then copied.  Only what that needs is written:
 * plain opaque layers with a name and an offset, and the image's colour
 * profile so that GIMP converts nothing. */
#ifndef CFM_XCF_H
#define CFM_XCF_H

#include <glib.h>

typedef struct _CfmXcf CfmXcf;

/* A writer for layers of CHANNELS (1 gray, 3 RGB) 8-bit channels; ICC,
 * when not NULL, is the colour profile to carry. */
CfmXcf  *cfm_xcf_new        (gint channels, GBytes *icc);

/* A writer for indexed layers (one 8-bit index a pixel) with the
 * N_COLORS RGB entries of COLORMAP. */
CfmXcf  *cfm_xcf_new_indexed (const guint8 *colormap, gint n_colors,
                              GBytes *icc);

/* Adds a layer of W x H at X, Y; returns its index.  All layers are added
 * before cfm_xcf_open. */
gint     cfm_xcf_add_layer  (CfmXcf *xcf, const gchar *name, gint x, gint y,
                             gint w, gint h);

/* Creates PATH and writes everything but the pixels. */
gboolean cfm_xcf_open       (CfmXcf *xcf, const gchar *path, GError **error);

/* Rows [ROW0, ROW0 + ROWS) of layer LAYER, W * channels bytes each; each
 * layer's rows come in order. */
gboolean cfm_xcf_write_rows (CfmXcf *xcf, gint layer, gint row0, gint rows,
                             const guint8 *pixels, GError **error);

/* Closes the file; every layer must be complete (each strip goes out
 * with its last row). */
gboolean cfm_xcf_close      (CfmXcf *xcf, GError **error);

void     cfm_xcf_free       (CfmXcf *xcf);

#endif
