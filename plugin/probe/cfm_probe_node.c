/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_probe_node.c: the probe on any node of a model's graph (its API:
 * cfm_probe_node.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cfm_probe_node.h"
#include "cfm_i18n.h"

/* A node's output and its inputs, computed over a crop of the area. */
typedef struct
{
  CfmProbeInput  read;
  gpointer       read_data;
  GeglRectangle  crop;          /* area coordinates */
  gint          *want;          /* the values kept */
  gint           n_want;
  gfloat       **data;          /* per wanted value: C x H x W */
  gint          *c, *h, *w;
} NodeCrop;

static CfmStatus
crop_input (gpointer data, gint row0, gint rows, gfloat *dst, CfmError *err)
{
  NodeCrop *nc = data;

  (void) err;
  nc->read (nc->read_data, nc->crop.y + row0, rows, nc->crop.x,
            nc->crop.width, dst);
  return CFM_OK;
}

static CfmStatus
keep_rows (gpointer data, gint value, const gfloat *rows, gsize plane,
           gint c, gint h, gint w, gint row0, gint nrows, CfmError *err)
{
  NodeCrop *nc = data;
  gint k, ch;

  (void) err;
  for (k = 0; k < nc->n_want && nc->want[k] != value; k++)
    ;
  if (k == nc->n_want)
    return CFM_OK;
  if (nc->data[k] == NULL)
    {
      nc->data[k] = g_new0 (gfloat, (gsize) c * h * w);
      nc->c[k] = c, nc->h[k] = h, nc->w[k] = w;
    }
  for (ch = 0; ch < c; ch++)
    memcpy (nc->data[k] + ((gsize) ch * h + row0) * w,
            rows + (gsize) ch * plane, (gsize) nrows * w * sizeof (gfloat));
  return CFM_OK;
}

/* Value K's channel CH at output pixel I, J of the node (crop
 * coordinates); a vector or a broadcast constant's one pixel where it has
 * one; NAN where it lies on another grid. */
static gdouble
value_at (const NodeCrop *nc, gint k, gint ch, gint i, gint j, gint out_h,
          gint out_w)
{
  gint c = nc->c[k], h = nc->h[k], w = nc->w[k];

  if (c == 1)
    ch = 0;
  if (h == 1 && w == 1)
    i = j = 0;
  else if (h != out_h || w != out_w)
    return NAN;
  return ch < c ? nc->data[k][((gsize) ch * h + i) * w + j] : NAN;
}

GeglRectangle
cfm_probe_field (const CfmGraphGeometry *geo, const CfmPlan *plan, gint i, gint j)
{
  gdouble x = geo->centre[1] + j * geo->stride[1] - (geo->field[1] - 1) / 2;
  gdouble y = geo->centre[0] + i * geo->stride[0] - (geo->field[0] - 1) / 2;

  if (geo->global)
    return (GeglRectangle) { 0, 0, plan->width, plan->height };
  return (GeglRectangle) { (gint) floor (x + 0.5), (gint) floor (y + 0.5),
                           (gint) ceil (geo->field[1]),
                           (gint) ceil (geo->field[0]) };
}

GeglRectangle
cfm_probe_crop (const CfmGraphGeometry *geo, const CfmPlan *plan,
           const GeglRectangle *field, gint s)
{
  gint margin = (gint) ceil (MAX (geo->field[0], geo->field[1])) + 2 * s;
  gint x0 = MAX (0, field->x - margin), y0 = MAX (0, field->y - margin);
  gint x1 = MIN (plan->width, field->x + field->width + margin);
  gint y1 = MIN (plan->height, field->y + field->height + margin);

  if (geo->global)
    return (GeglRectangle) { 0, 0, plan->width, plan->height };
  x0 -= x0 % s;
  y0 -= y0 % s;
  return (GeglRectangle) { x0, y0, x1 - x0, y1 - y0 };
}

/* The node's output and its computed inputs over NC's crop. */
static gboolean
run_crop (const CfmPlan *plan, const CfmNode *node, NodeCrop *nc,
          GError **error)
{
  CfmGraph g;
  CfmError err;
  CfmStatus status;
  gint k;

  nc->want = g_new (gint, node->n_inputs + 1);
  nc->want[nc->n_want++] = node->outputs[0];
  for (k = 0; k < node->n_inputs; k++)
    if (node->inputs[k] >= 0
        && plan->graph.values[node->inputs[k]].producer >= 0)
      nc->want[nc->n_want++] = node->inputs[k];
  nc->data = g_new0 (gfloat *, nc->n_want);
  nc->c = g_new0 (gint, 3 * nc->n_want);
  nc->h = nc->c + nc->n_want;
  nc->w = nc->h + nc->n_want;
  status = cfm_graph_copy (&plan->graph, &g, &err);
  if (status == CFM_OK)
    status = cfm_graph_shapes (&g, plan->channels, nc->crop.height,
                               nc->crop.width, &err);
  if (status == CFM_OK)
    status = cfm_graph_run (&g, nc->want, nc->n_want, nc->crop.height,
                            crop_input, nc, keep_rows, nc, &err);
  cfm_graph_free (&g);
  if (status == CFM_OK)
    return TRUE;
  g_set_error_literal (error, CFM_ERROR, 0, err.message);
  return FALSE;
}

/* The symbol of an elementwise operator of two inputs, or NULL. */
static const gchar *
binary_symbol (const gchar *type)
{
  static const gchar *const ops[][2] = {
    { "Add", "+" }, { "Sub", "-" }, { "Mul", "x" }, { "Div", "/" },
  };
  gsize k;

  for (k = 0; k < G_N_ELEMENTS (ops); k++)
    if (strcmp (type, ops[k][0]) == 0)
      return ops[k][1];
  return NULL;
}

/* The name of the node that computes value V, or the value's own. */
static const gchar *
value_name (const CfmGraph *g, gint v)
{
  return g->values[v].producer >= 0
         ? cfm_graph_node_label (g, g->values[v].producer)
         : g->values[v].name;
}

/* Writes the node's arithmetic at crop pixel I, J of channel CH. */
static void
explain (const CfmPlan *plan, const CfmNode *node, const NodeCrop *nc,
         gint ch, gint i, gint j, gdouble out, GString *text)
{
  const CfmGraph *g = &plan->graph;
  const gchar *symbol = binary_symbol (node->type);
  gint k, offset = 0;

  g_string_append_printf (text, _("%s (%s), channel %d, reads:\n"),
                          cfm_graph_node_label (g, plan->model->node),
                          node->type, ch + 1);
  for (k = 1; k < nc->n_want; k++)
    {
      gint in_ch = ch;
      gdouble v;

      if (strcmp (node->type, "Concat") == 0)
        {
          /* output channel CH is input K's when it falls in its part */
          in_ch = ch - offset;
          offset += nc->c[k];
          if (in_ch < 0 || in_ch >= nc->c[k])
            {
              g_string_append_printf (text, _("  %s: channels %d..%d "
                                              "(not this one)\n"),
                                      value_name (g, nc->want[k]),
                                      offset - nc->c[k] + 1, offset);
              continue;
            }
        }
      v = value_at (nc, k, in_ch, i, j, nc->h[0], nc->w[0]);
      if (isnan (v))
        g_string_append_printf (text, _("  %s: %d x %d x %d, on another "
                                        "grid\n"), value_name (g, nc->want[k]),
                                nc->c[k], nc->h[k], nc->w[k]);
      else
        g_string_append_printf (text, _("  %s, channel %d: %.6g\n"),
                                value_name (g, nc->want[k]), in_ch + 1, v);
    }
  if (symbol && nc->n_want == 3)
    g_string_append_printf (text, "%.6g %s %.6g = %.6g\n",
                            value_at (nc, 1, ch, i, j, nc->h[0], nc->w[0]),
                            symbol,
                            value_at (nc, 2, ch, i, j, nc->h[0], nc->w[0]),
                            out);
  else
    g_string_append_printf (text, _("%s gives %.6g\n"), node->type, out);
}

gboolean
cfm_probe_node (const CfmPlan *plan, CfmProbeInput read, gpointer read_data,
                gint f, gint i, gint j, GeglRectangle *field, gdouble *value,
                GString *text, GError **error)
{
  const CfmNode *node = &plan->graph.nodes[plan->model->node];
  CfmGraphGeometry geo;
  CfmError err;
  NodeCrop nc = { read, read_data };
  GeglRectangle local;
  gint s, ch = plan->channel[f], ci, cj, k;
  gboolean ok;

  if (cfm_graph_geometry (&plan->graph, plan->model->node, &geo, &err)
      != CFM_OK)
    {
      g_set_error_literal (error, CFM_ERROR, 0, err.message);
      return FALSE;
    }
  if (geo.stride_den[0] != 1 || geo.stride_den[1] != 1
      || geo.stride_num[0] != geo.stride_num[1])
    {
      g_set_error (error, CFM_ERROR, 0, _("The probe explains pixels that "
                                          "step whole photo pixels alike "
                                          "across and down; %s does not."),
                   cfm_graph_node_label (&plan->graph, plan->model->node));
      return FALSE;
    }
  s = (gint) geo.stride_num[1];
  local = cfm_probe_field (&geo, plan, i, j);
  *field = (GeglRectangle) { plan->origin_x + local.x,
                             plan->origin_y + local.y, local.width,
                             local.height };
  nc.crop = cfm_probe_crop (&geo, plan, &local, s);
  ok = run_crop (plan, node, &nc, error);
  ci = i - nc.crop.y / s;
  cj = j - nc.crop.x / s;
  if (ok)
    {
      *value = value_at (&nc, 0, ch, ci, cj, nc.h[0], nc.w[0]);
      explain (plan, node, &nc, ch, ci, cj, *value, text);
      if (geo.global)
        g_string_append (text, _("After a global step: every input pixel "
                                 "counts.\n"));
    }
  for (k = 0; k < nc.n_want; k++)
    g_free (nc.data[k]);
  g_free (nc.data);
  g_free (nc.c);
  g_free (nc.want);
  return ok;
}
