/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_model_summary.c: the table of a model's modules for the dialog: its
 * chain's, or for a network with branches (where the chain stops) its
 * whole graph's (its API: cfm_model_summary.h). */
#include "config.h"

#include <string.h>

#include "cfm_model_summary.h"
#include "cfm_i18n.h"

/* Rows of the table; a longer chain says how many more it has. */
#define SUMMARY_ROWS 48

/* "Conv2d(3, 64, 3/1, p1)": what a module is, in short. */
static gchar *
module_text (const CfmModule *m)
{
  if (m->kind == CFM_MODULE_CONV)
    return g_strdup_printf ("%s(%d, %d, k%dx%d/%d%s)", m->type, m->in_c,
                            m->out_c, m->k[0], m->k[1], m->stride[0],
                            m->groups > 1 ? ", groups" : "");
  if (m->kind == CFM_MODULE_MAXPOOL || m->kind == CFM_MODULE_AVGPOOL)
    return g_strdup_printf ("%s(%dx%d/%d)", m->type, m->k[0], m->k[1],
                            m->stride[0]);
  return g_strdup (m->type);
}

/* One row: the marker of the block's stages, name, type, output size. */
static void
append_row (GString *out, const CfmModule *m, const gint *shape,
            const gchar *mark)
{
  gchar *type = module_text (m);
  gchar *size = shape[0] ? g_strdup_printf ("%d x %d x %d", shape[0],
                                            shape[1], shape[2])
                         : g_strdup ("-");
  gchar *row = g_markup_printf_escaped ("%-2s %-18.40s %-26.40s %s\n", mark,
                                        m->name, type, size);

  g_string_append (out, row);
  g_free (row);
  g_free (type);
  g_free (size);
}

/* Rows of the graph's table; a longer one says how many more it has. */
#define GRAPH_SUMMARY_ROWS 400

/* "Conv 3x3/2", "Add", "Concat": node N's operator, in short. */
static gchar *
node_text (const CfmNode *n)
{
  if (g_str_has_prefix (n->type, "Conv") && n->op)
    return g_strdup_printf ("%s %dx%d/%d%s", n->type, n->m.k[0], n->m.k[1],
                            n->m.stride[0], n->m.groups > 1 ? " g" : "");
  return g_strdup (n->type);
}

/* One row of the graph's table: MARK, NAME indented by its depth, node
 * N's operator, its output's size (or why it cannot run) and how many
 * nodes read it where a branch leaves. */
static void
append_node_row (GString *out, const CfmGraph *g, gint n, const gchar *name,
                 const gchar *mark)
{
  const CfmNode *node = &g->nodes[n];
  const CfmValue *v = &g->values[node->outputs[0]];
  gchar why[CFM_ERROR_MAX], *type = node_text (node), *size, *row;
  gint depth = 0;
  const gchar *c;

  for (c = name; *c; c++)
    depth += *c == '.';
  if (!cfm_graph_node_runs (g, n, why))
    size = g_strdup_printf ("- (%s)", why);
  else if (v->rank == 2)
    size = g_strdup_printf ("%d", v->c);
  else
    size = g_strdup_printf ("%d x %d x %d%s", v->c, v->h, v->w,
                            v->consumers > 1 ? "  <" : "");
  row = g_markup_printf_escaped ("%-2s %*s%-*.60s %-18.30s %s\n", mark,
                                 2 * MIN (depth, 8), "",
                                 MAX (30 - 2 * MIN (depth, 8), 8), name,
                                 type, size);
  g_string_append (out, row);
  g_free (row);
  g_free (type);
  g_free (size);
}

/* The names of node N, added to NAMES: each module whose output it
 * computes (its own module path and the blocks it closes, innermost
 * first), or, for a node inside a module (a residual add), its node
 * name.  Each finds N as "layer". */
static void
node_names (const CfmGraph *g, gint n, GPtrArray *names)
{
  const CfmNode *node = &g->nodes[n];
  gchar path[CFM_GRAPH_NAME_MAX];
  guint had = names->len;
  gchar *dot;

  g_strlcpy (path, node->module, sizeof path);
  while (path[0])
    {
      if (cfm_graph_find_node (g, path) == n)
        g_ptr_array_add (names, g_strdup (path));
      dot = strrchr (path, '.');
      if (dot == NULL)
        break;
      *dot = '\0';
    }
  if (names->len == had)
    g_ptr_array_add (names, g_strdup (node->name));
}

/* The rows of node N, one per name. */
static gint
node_rows (GString *out, const CfmGraph *g, gint n, gint chosen)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  gint rows;
  guint k;

  node_names (g, n, names);
  for (k = 0; k < names->len; k++)
    append_node_row (out, g, n, names->pdata[k], n == chosen ? ">" : "");
  rows = (gint) names->len;
  g_ptr_array_free (names, TRUE);
  return rows;
}

/* Whether a map of G is read by more than one node. */
static gboolean
branches (const CfmGraph *g)
{
  gint i;

  for (i = 0; i < g->n_values; i++)
    if (g->values[i].kind == CFM_VALUE_MAP && g->values[i].consumers > 1)
      return TRUE;
  return FALSE;
}

/* The table of MODEL's whole graph for an input of WIDTH x HEIGHT: every
 * node that computes maps, in the order they run, LAYER's marked; a node
 * whose output branches ends in "<", joins show as Add or Concat. */
static void
graph_table (GString *out, const CfmModel *model, const gchar *layer,
             gint width, gint height)
{
  gint chosen = layer && *layer ? cfm_graph_find_node (&model->graph, layer)
                                : -1;
  gint rows = 0, i, more = 0;
  gchar *line;
  CfmGraph g;
  CfmError err;

  if (cfm_graph_copy (&model->graph, &g, &err) != CFM_OK)
    return;
  /* a node that cannot take its input is marked, the others sized */
  cfm_graph_shapes (&g, model->input_channels, height,
                    width, &err);
  line = g_markup_printf_escaped ("%-2s %-30s %-18s %s\n", "", _("Module"),
                                  _("Type"), _("Output (C x H x W)"));
  g_string_append (out, line);
  g_free (line);
  for (i = 0; i < g.n_nodes; i++)
    {
      if (g.nodes[i].n_outputs < 1 || g.nodes[i].outputs[0] < 0
          || g.values[g.nodes[i].outputs[0]].kind != CFM_VALUE_MAP)
        continue;   /* the shape arithmetic's constants */
      if (rows < GRAPH_SUMMARY_ROWS)
        rows += node_rows (out, &g, i, chosen);
      else
        more++;
    }
  if (more)
    {
      g_string_append_printf (out, _("... and %d more nodes"), more);
      g_string_append_c (out, '\n');
    }
  cfm_graph_free (&g);
}

/* Whether the chain's module NAME is a node of the chosen BLOCK. */
static gboolean
in_graph_block (const CfmGraph *g, const CfmGraphBlock *block,
                const gchar *name)
{
  gint k;

  for (k = 0; k < block->n; k++)
    if (strcmp (cfm_graph_node_label (g, block->nodes[k]), name) == 0)
      return TRUE;
  return FALSE;
}

gchar *
cfm_model_summary (const CfmModel *model, const gchar *layer, gint width,
                   gint height)
{
  const CfmNetwork *net = &model->net;
  gint (*shape)[3] = g_malloc0_n (MAX (net->n, 1), sizeof *shape);
  GString *out = g_string_new ("<tt>");
  CfmGraphBlock block = { .n = 0 };
  CfmError err;
  gint chosen;
  CfmStatus status = net->n ? cfm_network_shapes
                                (net, net->n - 1,
                                 cfm_network_input_channels (net), height,
                                 width, shape, &err)
                            : CFM_OK;
  gchar *line;
  gint i;

  if (branches (&model->graph))   /* the chain stops at the first one */
    {
      g_free (shape);
      graph_table (out, model, layer, width, height);
      g_string_append (out, "</tt>");
      return g_string_free (out, FALSE);
    }
  if (cfm_graph_layer (&model->graph, layer, &chosen, NULL) == CFM_OK)
    cfm_graph_layer_block (&model->graph, layer, chosen, &block);
  line = g_markup_printf_escaped ("%-2s %-18s %-26s %s\n", "",
                                  _("Module"), _("Type"),
                                  _("Output (C x H x W)"));
  g_string_append (out, line);
  g_free (line);
  for (i = 0; i < net->n && i < SUMMARY_ROWS; i++)
    {
      gboolean in_block = in_graph_block (&model->graph, &block,
                                          net->modules[i].name);

      append_row (out, &net->modules[i], shape[i], in_block ? ">" : "");
    }
  if (net->n > SUMMARY_ROWS)
    {
      g_string_append_printf (out, _("... and %d more modules"),
                              net->n - SUMMARY_ROWS);
      g_string_append_c (out, '\n');
    }
  g_string_append (out, "</tt>");
  if (status != CFM_OK)
    {
      line = g_markup_printf_escaped ("<span foreground=\"#c01c28\">%s"
                                      "</span>\n", err.message);
      g_string_append (out, line);
      g_free (line);
    }
  if (net->ended[0])
    {
      gchar *ended = g_strdup_printf (_("The maps stop there: %s."),
                                      net->ended);

      line = g_markup_printf_escaped ("<i>%s</i>\n", ended);
      g_free (ended);
      g_string_append (out, line);
      g_free (line);
    }
  g_free (shape);
  return g_string_free (out, FALSE);
}

gchar **
cfm_model_layer_names (const CfmModel *model)
{
  const CfmGraph *g = &model->graph;
  GPtrArray *names = g_ptr_array_new ();
  gint i;

  for (i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].n_outputs > 0 && g->nodes[i].outputs[0] >= 0
        && g->values[g->nodes[i].outputs[0]].kind == CFM_VALUE_MAP)
      node_names (g, i, names);
  g_ptr_array_add (names, NULL);
  return (gchar **) g_ptr_array_free (names, FALSE);
}
