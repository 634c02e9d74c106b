/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_layer_names.h: the "layer" field's completion, the same in both
 * GIMP APIs: the loaded model's node names that contain what is typed
 * (cfm_model_layer_names), so a layer of a ResNet-50 is found by a part
 * of its name. */
#ifndef HOST_LAYER_NAMES_H
#define HOST_LAYER_NAMES_H

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "cfm_dialog.h"

typedef struct
{
  GtkEntryCompletion *completion;
  GtkListStore       *store;
  gchar              *key;   /* the names in the store, joined */
} HostLayerNames;

/* Completion of ENTRY (a GtkEntry) from the names set below. */
void host_layer_names_init (HostLayerNames *ln, GtkWidget *entry);

/* The names of the model STATE has loaded (none when it has none). */
void host_layer_names_update (HostLayerNames *ln,
                              const CfmDialogState *state);

void host_layer_names_clear (HostLayerNames *ln);

#endif
