/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_probe_block.c: the probe on a convolution block's pixel (its API:
 * cfm_probe_block.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cfm_probe_block.h"
#include "cfm_i18n.h"

typedef struct
{
  const CfmPlan *plan;
  CfmProbeInput  read;
  gpointer       read_data;
  GString       *text;
} Probe;

/* The values of NODE's output channel CHANNEL over a crop of the input
 * (rows and columns [Y0, Y0 + H), [X0, X0 + W) of the area) computed as
 * the whole image there; OUT_W is its width. */
typedef struct
{
  Probe  *p;
  gint    x0, y0, w, channel;
  gfloat *out;
  gint    out_w;
  gsize   out_len;
} Crop;

static CfmStatus
crop_rows (gpointer data, gint row0, gint rows, gfloat *dst, CfmError *err)
{
  Crop *c = data;

  (void) err;
  c->p->read (c->p->read_data, c->y0 + row0, rows, c->x0, c->w, dst);
  return CFM_OK;
}

static CfmStatus
crop_output (gpointer data, gint value, const gfloat *rows, gsize plane,
             gint ch, gint h, gint w, gint row0, gint nrows, CfmError *err)
{
  Crop *c = data;

  (void) value;
  (void) ch;
  (void) err;
  if (c->out == NULL)
    {
      c->out = g_new0 (gfloat, (gsize) h * w);
      c->out_len = (gsize) h * w;
    }
  memcpy (c->out + (gsize) row0 * w, rows + (gsize) c->channel * plane,
          (gsize) nrows * w * sizeof (gfloat));
  c->out_w = w;
  return CFM_OK;
}

/* NODE's output channel CHANNEL over the crop CROP of the area (its
 * corner on the grid of the block's total stride), into C: the model's
 * graph sized for the crop. */
static gboolean
node_map (Probe *p, const GeglRectangle *crop, gint node, gint channel,
          Crop *c, GError **error)
{
  CfmGraph g;
  CfmError err;
  CfmStatus status;
  gint value;

  *c = (Crop) { p, crop->x, crop->y, crop->width, channel, NULL, 0, 0 };
  status = cfm_graph_copy (&p->plan->model->model->graph, &g, &err);
  if (status == CFM_OK)
    status = cfm_graph_shapes (&g, p->plan->channels, crop->height,
                               crop->width, &err);
  if (status == CFM_OK)
    {
      value = g.nodes[node].outputs[0];
      status = cfm_graph_run (&g, &value, 1, crop->height, crop_rows, c,
                              crop_output, c, &err);
    }
  cfm_graph_free (&g);
  if (status == CFM_OK)
    return TRUE;
  g_free (c->out);
  g_set_error_literal (error, CFM_ERROR, 0, err.message);
  return FALSE;
}

/* The greatest common factor of A and B (both positive). */
static gint
common_factor (gint a, gint b)
{
  while (b)
    {
      gint t = a % b;

      a = b;
      b = t;
    }
  return a;
}

/* NODE's geometry over the input, and its total stride (rows, columns). */
static void
node_grid (const Probe *p, gint node, CfmGraphGeometry *geo, gint stride[2])
{
  gint a;

  if (cfm_graph_geometry (&p->plan->graph, node, geo, NULL) != CFM_OK)
    memset (geo, 0, sizeof *geo);
  for (a = 0; a < 2; a++)
    stride[a] = (gint) MAX (geo->stride_num[a], 1);
}

/* NODE's value at its map pixel I, J from its map C over CROP. */
static gfloat
map_value (const Probe *p, const Crop *c, const GeglRectangle *crop,
           gint node, gint i, gint j)
{
  CfmGraphGeometry geo;
  gint stride[2];

  node_grid (p, node, &geo, stride);
  return c->out[(gsize) (i - crop->y / stride[0]) * c->out_w
                + (j - crop->x / stride[1])];
}

/* Pooling node PN's window at its pixel I, J over the map C of the node
 * before it (BEFORE): every value in it and the largest. */
static void
explain_window (Probe *p, const Crop *c, const GeglRectangle *crop, gint pn,
                gint before, gint i, gint j)
{
  const CfmGraph *g = &p->plan->graph;
  const CfmModule *pool = &g->nodes[pn].m;
  CfmGraphGeometry geo;
  gint stride[2], a, b;
  gdouble best = -G_MAXDOUBLE;

  node_grid (p, before, &geo, stride);
  g_string_append_printf (p->text, _("%s (%s %dx%d/%d) window over %s:\n"),
                          cfm_graph_node_label (g, pn), g->nodes[pn].type,
                          pool->k[0], pool->k[1], pool->stride[0],
                          cfm_graph_node_label (g, before));
  for (a = 0; a < pool->k[0]; a++)
    {
      for (b = 0; b < pool->k[1]; b++)
        {
          gint y = i * pool->stride[0] - pool->pad[0] + a * pool->dil[0];
          gint x = j * pool->stride[1] - pool->pad[1] + b * pool->dil[1];
          gint cy = y - crop->y / stride[0], cx = x - crop->x / stride[1];

          if (y < 0 || x < 0 || cx >= c->out_w || cy < 0 || cx < 0
              || (gsize) cy * c->out_w + cx >= c->out_len)
            {
              g_string_append (p->text, "   padding");
              continue;
            }
          best = MAX (best, c->out[(gsize) cy * c->out_w + cx]);
          g_string_append_printf (p->text, " %9.5g",
                                  c->out[(gsize) cy * c->out_w + cx]);
        }
      g_string_append_c (p->text, '\n');
    }
  if (pool->kind == CFM_MODULE_MAXPOOL)
    g_string_append_printf (p->text, _("the largest: %.6g\n"), best);
}

/* The values of the block's nodes up to the stage's node M at the
 * pixel's place: those on M's grid (the convolution, its BatchNorm and
 * activation) at the pixel, and a pooling's window over the node before
 * it. */
static gboolean
explain_block (Probe *p, const GeglRectangle *crop, gint m, gint f, gint i,
               gint j, gdouble *value, GError **error)
{
  const CfmGraphBlock *block = &p->plan->model->block;
  const CfmGraph *g = &p->plan->graph;
  gint channel = p->plan->channel[f], k, sm[2], sk[2];
  CfmGraphGeometry geo;
  Crop c;

  node_grid (p, m, &geo, sm);
  for (k = 0; k < block->n; k++)
    {
      gint n = block->nodes[k];
      gint next = k + 1 < block->n && n != m ? block->nodes[k + 1] : -1;
      gboolean pooled = next >= 0
                        && (g->nodes[next].m.kind == CFM_MODULE_MAXPOOL
                            || g->nodes[next].m.kind == CFM_MODULE_AVGPOOL);

      node_grid (p, n, &geo, sk);
      if ((sk[0] != sm[0] || sk[1] != sm[1]) && !pooled)
        continue;
      if (!node_map (p, crop, n, channel, &c, error))
        return FALSE;
      if (sk[0] == sm[0] && sk[1] == sm[1])
        g_string_append_printf (p->text, "%s (%s): %.6g\n",
                                cfm_graph_node_label (g, n),
                                g->nodes[n].type,
                                map_value (p, &c, crop, n, i, j));
      else
        explain_window (p, &c, crop, next, n, i, j);
      if (n == m)
        *value = map_value (p, &c, crop, n, i, j);
      g_free (c.out);
      if (n == m)
        break;
    }
  return TRUE;
}

gboolean
cfm_probe_block (const CfmPlan *plan, CfmProbeInput read,
                 gpointer read_data, CfmStage stage, gint f, gint i, gint j,
                 GeglRectangle *field, gdouble *value, GString *text,
                 GError **error)
{
  Probe probe = { plan, read, read_data, text }, *p = &probe;
  const CfmGraphBlock *block = &plan->model->block;
  gint m = plan->model->stage_node[stage], stride[2];
  CfmGraphGeometry geo;
  GeglRectangle local, crop;

  node_grid (p, m, &geo, stride);
  local = cfm_probe_field (&geo, plan, i, j);
  *field = local;
  field->x += plan->origin_x;
  field->y += plan->origin_y;
  /* the crop that gives the block's last node its whole-image values,
   * its corner on the grid of both its strides */
  node_grid (p, block->nodes[block->n - 1], &geo, stride);
  crop = cfm_probe_crop (&geo, plan, &local,
                         stride[0] * stride[1] / common_factor (stride[0],
                                                                stride[1]));
  g_string_append_printf (p->text, _("The block of %s, channel %d:\n"),
                          cfm_graph_node_label (&plan->graph,
                                                plan->model->block.stage
                                                [CFM_BLOCK_CONV]),
                          plan->numbers[f]);
  return explain_block (p, &crop, m, f, i, j, value, error);
}
