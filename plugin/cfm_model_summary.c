/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_model_summary.c: the table of a model's modules for the dialog (its
 * API: cfm_model_summary.h). */
#include "config.h"

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

gchar *
cfm_model_summary (const CfmModel *model, const gchar *layer, gint width,
                   gint height)
{
  const CfmNetwork *net = &model->net;
  gint (*shape)[3] = g_malloc0_n (MAX (net->n, 1), sizeof *shape);
  GString *out = g_string_new ("<tt>");
  CfmBlock block;
  CfmError err;
  gboolean has_block = cfm_model_block (net, layer, &block, NULL) == CFM_OK;
  CfmStatus status = net->n ? cfm_network_shapes
                                (net, net->n - 1,
                                 cfm_network_input_channels (net), height,
                                 width, shape, &err)
                            : CFM_OK;
  gchar *line;
  gint i;

  line = g_markup_printf_escaped ("%-2s %-18s %-26s %s\n", "",
                                  _("Module"), _("Type"),
                                  _("Output (C x H x W)"));
  g_string_append (out, line);
  g_free (line);
  for (i = 0; i < net->n && i < SUMMARY_ROWS; i++)
    {
      gboolean in_block = has_block && i >= block.first && i <= block.last;

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
