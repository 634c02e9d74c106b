/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_layers.c: the tree of items a run makes, its insertion and its one
 * roll-back (its API: cfm_layers.h). */
#include "config.h"

#include "cfm_layers.h"

typedef struct
{
  gpointer item;
  gint     parent;     /* a slot before this one, or -1 */
  gint     position;
} Node;

struct _CfmLayerTree
{
  GArray *nodes;
};

CfmLayerTree *
cfm_layers_new (void)
{
  CfmLayerTree *tree = g_new0 (CfmLayerTree, 1);

  tree->nodes = g_array_new (FALSE, FALSE, sizeof (Node));
  return tree;
}

void
cfm_layers_free (CfmLayerTree *tree)
{
  if (tree == NULL)
    return;
  g_array_free (tree->nodes, TRUE);
  g_free (tree);
}

gint
cfm_layers_add (CfmLayerTree *tree, gpointer item, gint parent,
                gint position)
{
  Node node = { item, parent, position };

  g_array_append_val (tree->nodes, node);
  return (gint) tree->nodes->len - 1;
}

void
cfm_layers_fill (CfmLayerTree *tree, gint slot, gpointer item)
{
  g_array_index (tree->nodes, Node, slot).item = item;
}

gpointer
cfm_layers_item (const CfmLayerTree *tree, gint slot)
{
  return slot < (gint) tree->nodes->len
         ? g_array_index (tree->nodes, Node, slot).item : NULL;
}

/* Discards the items of slots [FROM, end), children before their group. */
static void
discard_from (CfmLayerTree *tree, CfmSink *sink, guint from)
{
  guint i;

  for (i = tree->nodes->len; i > from; i--)
    if (g_array_index (tree->nodes, Node, i - 1).item)
      sink->discard (sink, g_array_index (tree->nodes, Node, i - 1).item);
}

void
cfm_layers_discard (CfmLayerTree *tree, CfmSink *sink)
{
  discard_from (tree, sink, 0);
}

gboolean
cfm_layers_insert (CfmLayerTree *tree, CfmSink *sink, const gchar *parasite,
                   const gchar *recipe, GError **error)
{
  guint i;

  for (i = 0; i < tree->nodes->len; i++)
    {
      Node *n = &g_array_index (tree->nodes, Node, i);
      gpointer parent = n->parent < 0 ? NULL
                                      : cfm_layers_item (tree, n->parent);

      if (!sink->insert (sink, n->item, parent, n->position, error))
        {
          /* What went in comes out with the top group, what did not is
           * deleted. */
          discard_from (tree, sink, i);
          if (i > 0)
            sink->remove (sink, cfm_layers_item (tree, CFM_LAYERS_ROOT));
          return FALSE;
        }
    }
  sink->attach_parasite (sink, cfm_layers_item (tree, CFM_LAYERS_ROOT),
                         parasite, recipe);
  return TRUE;
}
