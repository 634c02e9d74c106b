/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_layers.h: the tree of groups and layers a run makes, in the order
 * they go into the image.  Every item has a slot; a layer that GIMP loads
 * from the maps' file later gets its slot now and its item then.  Nothing
 * is in the image until cfm_layers_insert; a failure anywhere takes the
 * one roll-back path (cfm_layers_discard), which leaves the image as it
 * was. */
#ifndef CFM_LAYERS_H
#define CFM_LAYERS_H

#include "cfm_host.h"

typedef struct _CfmLayerTree CfmLayerTree;

/* The slot of the top group. */
#define CFM_LAYERS_ROOT 0

CfmLayerTree *cfm_layers_new (void);
void          cfm_layers_free (CfmLayerTree *tree);

/* Adds ITEM (NULL: to be filled in) inside the item of slot PARENT (-1:
 * above the source layer) at POSITION; returns its slot. */
gint cfm_layers_add (CfmLayerTree *tree, gpointer item, gint parent,
                     gint position);

/* Fills in the item of SLOT. */
void cfm_layers_fill (CfmLayerTree *tree, gint slot, gpointer item);

gpointer cfm_layers_item (const CfmLayerTree *tree, gint slot);

/* Puts every item into the image, children after their parent, and
 * attaches RECIPE to the top group as the parasite PARASITE.  When an
 * insertion fails, what went in comes out and the rest is discarded. */
gboolean cfm_layers_insert (CfmLayerTree *tree, CfmSink *sink,
                            const gchar *parasite, const gchar *recipe,
                            GError **error);

/* Deletes every item made (none is in the image). */
void cfm_layers_discard (CfmLayerTree *tree, CfmSink *sink);

#endif
