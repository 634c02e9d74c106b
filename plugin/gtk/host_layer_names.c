/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_layer_names.c: the "layer" field's completion (its API:
 * host_layer_names.h). */
#include "config.h"

#include <string.h>

#include "host_layer_names.h"
#include "cfm_model_summary.h"

enum { NAME_COLUMN };

/* A name matches when it contains KEY (GTK gives it case-folded). */
static gboolean
name_contains (GtkEntryCompletion *completion, const gchar *key,
               GtkTreeIter *iter, gpointer data)
{
  GtkTreeModel *model = gtk_entry_completion_get_model (completion);
  gchar *name = NULL, *folded;
  gboolean found;

  (void) data;
  gtk_tree_model_get (model, iter, NAME_COLUMN, &name, -1);
  if (name == NULL)
    return FALSE;
  folded = g_utf8_casefold (name, -1);
  found = strstr (folded, key) != NULL;
  g_free (folded);
  g_free (name);
  return found;
}

void
host_layer_names_init (HostLayerNames *ln, GtkWidget *entry)
{
  memset (ln, 0, sizeof *ln);
  if (!GTK_IS_ENTRY (entry))
    return;
  ln->store = gtk_list_store_new (1, G_TYPE_STRING);
  ln->completion = gtk_entry_completion_new ();
  gtk_entry_completion_set_model (ln->completion,
                                  GTK_TREE_MODEL (ln->store));
  gtk_entry_completion_set_text_column (ln->completion, NAME_COLUMN);
  gtk_entry_completion_set_match_func (ln->completion, name_contains, NULL,
                                       NULL);
  gtk_entry_completion_set_minimum_key_length (ln->completion, 1);
  gtk_entry_set_completion (GTK_ENTRY (entry), ln->completion);
}

void
host_layer_names_update (HostLayerNames *ln, const CfmDialogState *state)
{
  gchar **names = state->loaded.model
                  ? cfm_model_layer_names (state->loaded.model)
                  : g_new0 (gchar *, 1);
  gchar *key = g_strjoinv ("\n", names);
  gint i;

  if (ln->store && g_strcmp0 (key, ln->key) != 0)
    {
      gtk_list_store_clear (ln->store);
      for (i = 0; names[i]; i++)
        gtk_list_store_insert_with_values (ln->store, NULL, -1, NAME_COLUMN,
                                           names[i], -1);
      g_free (ln->key);
      ln->key = key;
      key = NULL;
    }
  g_free (key);
  g_strfreev (names);
}

void
host_layer_names_clear (HostLayerNames *ln)
{
  if (ln->completion)
    g_object_unref (ln->completion);
  if (ln->store)
    g_object_unref (ln->store);
  g_free (ln->key);
  memset (ln, 0, sizeof *ln);
}
