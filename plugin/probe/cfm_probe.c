/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_probe.c: one map pixel worked out again and explained: a filter
 * bank's from its kernel and the input patch; a trained model's by
 * cfm_probe_block.c (a convolution's block) or cfm_probe_node.c (any other
 * node) from a crop of the input around its receptive field; a class
 * activation map's by cfm_probe_cam.c (its API: cfm_probe.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cfm_probe.h"
#include "cfm_i18n.h"
#include "cfm_names.h"
#include "cfm_plan.h"
#include "cfm_probe_block.h"
#include "cfm_probe_cam.h"
#include "cfm_probe_node.h"
#include "cfm_source.h"

/* The arithmetic is written out weight by weight up to this many
 * products; a larger kernel gets its sum per input channel. */
#define PRODUCTS_SHOWN 256

typedef struct
{
  const CfmPlan *plan;
  CfmInput      *input;
  gfloat       **rows;   /* input rows read so far, by row */
  GString       *text;
} Probe;

static gint
floor_div (gint a, gint b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Input row R, every channel (channel c's pixel x at [c * width + x]). */
static const gfloat *
input_row (Probe *p, gint r)
{
  if (p->rows[r] == NULL)
    {
      p->rows[r] = g_new (gfloat, (gsize) p->plan->channels
                                  * p->plan->width);
      cfm_input_read (p->input, r, 1, p->rows[r]);
    }
  return p->rows[r];
}

/* Input channel C at padded position IY, IX (0 in zero padding). */
static gfloat
input_at (Probe *p, gint c, gint iy, gint ix)
{
  const CfmConvParams *cp = &p->plan->pl.conv;
  gint y = cfm_pad_index (iy, p->plan->height, cp->pad_mode);
  gint x = cfm_pad_index (ix, p->plan->width, cp->pad_mode);

  return y < 0 || x < 0 ? 0.0f
                        : input_row (p, y)[(gsize) c * p->plan->width + x];
}

/* Writes channel C's patch, kernel and products of filter F at conv
 * pixel CI, CJ. */
static void
explain_channel (Probe *p, gint f, gint c, gint ci, gint cj)
{
  const CfmBank *b = &p->plan->bank;
  const CfmConvParams *cp = &p->plan->pl.conv;
  gint ky, kx;

  g_string_append_printf (p->text, _("input channel %d: patch | kernel | "
                                     "products\n"), c + 1);
  for (ky = 0; ky < b->kh; ky++)
    {
      GString *patch = g_string_new (NULL), *kernel = g_string_new (NULL);
      GString *prod = g_string_new (NULL);

      for (kx = 0; kx < b->kw; kx++)
        {
          gfloat v = input_at (p, c, ci * cp->stride - cp->padding
                                     + ky * cp->dilation,
                               cj * cp->stride - cp->padding
                               + kx * cp->dilation);
          gfloat w = b->weights[(((gsize) f * b->c + c) * b->kh + ky) * b->kw
                                + kx];

          g_string_append_printf (patch, " %6.4f", v);
          g_string_append_printf (kernel, " %5.3g", w);
          g_string_append_printf (prod, " %7.4f", v * w);
        }
      g_string_append_printf (p->text, " %s |%s |%s\n", patch->str,
                              kernel->str, prod->str);
      g_string_free (patch, TRUE);
      g_string_free (kernel, TRUE);
      g_string_free (prod, TRUE);
    }
}

/* Filter F's convolution at conv pixel CI, CJ, written out when EXPLAIN. */
static gdouble
conv_at (Probe *p, gint f, gint ci, gint cj, gboolean explain)
{
  const CfmBank *b = &p->plan->bank;
  const CfmConvParams *cp = &p->plan->pl.conv;
  gboolean products = explain && b->c * b->kh * b->kw <= PRODUCTS_SHOWN;
  gdouble sum = 0.0;
  gint c, ky, kx;

  for (c = 0; c < b->c; c++)
    {
      gdouble part = 0.0;

      for (ky = 0; ky < b->kh; ky++)
        for (kx = 0; kx < b->kw; kx++)
          part += (gdouble) b->weights[(((gsize) f * b->c + c) * b->kh + ky)
                                       * b->kw + kx]
                  * input_at (p, c, ci * cp->stride - cp->padding
                                    + ky * cp->dilation,
                              cj * cp->stride - cp->padding
                              + kx * cp->dilation);
      if (products)
        explain_channel (p, f, c, ci, cj);
      else if (explain)
        g_string_append_printf (p->text, _("input channel %d: the products "
                                           "sum to %.6g\n"), c + 1, part);
      sum += part;
    }
  if (explain)
    g_string_append_printf (p->text, _("sum of the products %.6g + bias "
                                       "%.6g = %.6g\n"), sum,
                            p->plan->bias[f], sum + p->plan->bias[f]);
  return sum + p->plan->bias[f];
}

static gdouble
activate (const Probe *p, gdouble v)
{
  gfloat in = (gfloat) v, out;

  cfm_activation_apply (p->plan->pl.activation, p->plan->pl.negative_slope,
                        &in, &out, 1);
  return out;
}

/* The pooled value at PI, PJ of filter F: every activation in its window,
 * and which was taken (max) or their mean. */
static gdouble
pool_at (Probe *p, gint f, gint pi, gint pj)
{
  const CfmPoolParams *pp = &p->plan->pl.pool;
  gdouble best = -G_MAXDOUBLE, sum = 0.0;
  gint a, c, wa = 0, wc = 0;

  g_string_append_printf (p->text, _("%s window of %d x %d activations at "
                                     "their map's rows %d..%d, columns "
                                     "%d..%d:\n"),
                          cfm_names_stage (p->plan, CFM_STAGE_POOL),
                          pp->size, pp->size, pi * pp->stride,
                          pi * pp->stride + pp->size - 1, pj * pp->stride,
                          pj * pp->stride + pp->size - 1);
  for (a = 0; a < pp->size; a++)
    {
      for (c = 0; c < pp->size; c++)
        {
          gdouble v = activate (p, conv_at (p, f, pi * pp->stride + a,
                                            pj * pp->stride + c, FALSE));

          g_string_append_printf (p->text, " %9.5g", v);
          sum += v;
          if (v > best)   /* the first largest, as PyTorch takes it */
            {
              best = v;
              wa = a;
              wc = c;
            }
        }
      g_string_append_c (p->text, '\n');
    }
  if (pp->type == CFM_POOL_MAX)
    {
      g_string_append_printf (p->text, _("the largest: %.6g, at row %d, "
                                         "column %d\n"), best,
                              pi * pp->stride + wa, pj * pp->stride + wc);
      return best;
    }
  sum /= (gdouble) pp->size * pp->size;
  g_string_append_printf (p->text, _("their mean: %.6g\n"), sum);
  return sum;
}

/* A filter bank's map pixel I, J of filter F at STAGE, with its field. */
static gdouble
probe_bank (Probe *p, CfmStage stage, gint f, gint i, gint j,
            GeglRectangle *field)
{
  const CfmPlan *plan = p->plan;
  const CfmConvParams *cp = &plan->pl.conv;
  const CfmPoolParams *pp = &plan->pl.pool;
  gint pool = stage == CFM_STAGE_POOL ? pp->stride : 1;
  gint span = stage == CFM_STAGE_POOL ? pp->size - 1 : 0;
  gdouble v;

  field->x = plan->origin_x + j * pool * cp->stride - cp->padding;
  field->y = plan->origin_y + i * pool * cp->stride - cp->padding;
  field->width = span * cp->stride + cp->dilation * (plan->bank.kw - 1) + 1;
  field->height = span * cp->stride + cp->dilation * (plan->bank.kh - 1)
                  + 1;
  if (stage == CFM_STAGE_POOL)
    return pool_at (p, f, i, j);
  v = conv_at (p, f, i, j, TRUE);
  if (stage == CFM_STAGE_CONV)
    return v;
  g_string_append_printf (p->text, "%s (%.6g) = %.6g\n",
                          cfm_names_stage (plan, CFM_STAGE_ACTIVATION), v,
                          activate (p, v));
  return activate (p, v);
}

/* A CfmProbeInput: the model's input over a crop of the area, normalised
 * as it was trained, from the rows read. */
static void
model_input (gpointer data, gint row0, gint rows, gint x0, gint w,
             gfloat *dst)
{
  Probe *p = data;
  const CfmPlan *plan = p->plan;
  gint r, ch;

  for (r = 0; r < rows; r++)
    {
      const gfloat *row = input_row (p, row0 + r);

      for (ch = 0; ch < plan->channels; ch++)
        {
          gfloat *d = dst + ((gsize) ch * rows + r) * w;

          memcpy (d, row + (gsize) ch * plan->width + x0,
                  (gsize) w * sizeof (gfloat));
          cfm_normalize_apply (d, 1, (gsize) w, &plan->model->mean[ch],
                               &plan->model->std[ch]);
        }
    }
}

/* A trained model's map pixel I, J of the plan's channel F at STAGE. */
static gboolean
probe_model (Probe *p, CfmStage stage, gint f, gint i, gint j,
             GeglRectangle *field, gdouble *value, GError **error)
{
  if (p->plan->model->node >= 0)
    return cfm_probe_node (p->plan, model_input, p, f, i, j, field, value,
                           p->text, error);
  return cfm_probe_block (p->plan, model_input, p, stage, f, i, j, field,
                          value, p->text, error);
}

/* The run's plan again; the filter bank "selection" from its patch. */
static CfmPlan *
probe_plan (const CfmRecipe *r, const CfmSource *source, GError **error)
{
  CfmLoaded loaded;
  CfmPlan *plan = NULL;

  if (cfm_plan_load_on (&r->vals, source->buffer, source->image_rgb,
                        &r->patch, &loaded, error))
    plan = cfm_plan_new_on (&loaded, &r->vals, source->image_rgb,
                            r->area.width, r->area.height, r->area.x,
                            r->area.y, error);
  cfm_loaded_clear (&loaded);
  return plan;
}

/* The map pixel of the layer NAME at LAYER under X, Y: its stage, the
 * plan's filter index and its row and column. */
static gboolean
locate (const CfmPlan *plan, const gchar *name, const GeglRectangle *layer,
        gint x, gint y, CfmStage *stage, gint *f, gint *i, gint *j,
        GError **error)
{
  const CfmPlanStage *st;

  if (!cfm_names_parse_map (plan, name, stage, f))
    {
      g_set_error (error, CFM_ERROR, 0, _("\"%s\" is not a map layer of "
                                          "this run."), name);
      return FALSE;
    }
  if (plan->width != plan->source_width
      || plan->height != plan->source_height)
    {
      g_set_error (error, CFM_ERROR, 0, _("The probe explains maps of the "
                                          "image at its own size; these "
                                          "were computed on it resized "
                                          "(input size %d)."),
                   plan->vals.v[CFM_ARG_INPUT_SIZE].i);
      return FALSE;
    }
  st = &plan->stages[*stage];
  if (layer->x != st->x || layer->y != st->y
      || layer->width != st->map_w * st->scale
      || layer->height != st->map_h * st->scale)
    {
      g_set_error (error, CFM_ERROR, 0, _("The layer \"%s\" was moved or "
                                          "resized after the run; run CNN "
                                          "Feature Maps again to probe it."),
                   name);
      return FALSE;
    }
  *j = floor_div (x - st->x, st->scale);
  *i = floor_div (y - st->y, st->scale);
  if (*i < 0 || *j < 0 || *i >= st->map_h || *j >= st->map_w)
    {
      g_set_error (error, CFM_ERROR, 0, _("The point %d, %d lies outside "
                                          "the map \"%s\"."), x, y, name);
      return FALSE;
    }
  return TRUE;
}

/* How many pixels of FIELD lie outside AREA. */
static gint
outside (const GeglRectangle *field, const GeglRectangle *area)
{
  GeglRectangle in;

  if (!gegl_rectangle_intersect (&in, field, area))
    in.width = in.height = 0;
  return field->width * field->height - in.width * in.height;
}

gboolean
cfm_probe_run (const CfmRecipe *r, const CfmSource *source,
               const gchar *name, const GeglRectangle *layer, gint x, gint y,
               CfmProbeResult *res, GError **error)
{
  CfmPlan *plan;
  Probe p = { 0 };
  CfmStage stage;
  gint f, i, j, row;
  gboolean ok = TRUE;

  memset (res, 0, sizeof *res);
  if (cfm_recipe_hash (source) != r->hash)
    {
      g_set_error (error, CFM_ERROR, 0, _("The layer these maps were "
                                          "computed from has changed since "
                                          "the run; run CNN Feature Maps "
                                          "again to probe them."));
      return FALSE;
    }
  plan = probe_plan (r, source, error);
  if (plan && cfm_names_parse_cam (plan, name, &f))
    {
      ok = cfm_probe_cam (plan, source, name, f, layer, x, y, res, error);
      cfm_plan_free (plan);
      return ok;
    }
  if (plan == NULL || !locate (plan, name, layer, x, y, &stage, &f, &i, &j,
                               error))
    {
      cfm_plan_free (plan);
      return FALSE;
    }
  p = (Probe) { plan, cfm_input_new (source, plan),
                g_new0 (gfloat *, plan->height), g_string_new (NULL) };
  g_string_append_printf (p.text, _("%s\nmap row %d, column %d (from 0, "
                                    "as PyTorch indexes it), under image "
                                    "point %d, %d\n"), name, i, j, x, y);
  if (plan->model)
    ok = probe_model (&p, stage, f, i, j, &res->field, &res->value, error);
  else
    res->value = probe_bank (&p, stage, f, i, j, &res->field);
  res->outside = outside (&res->field, &r->area);
  g_string_append_printf (p.text, _("value %.6g\nreceptive field x %d..%d, "
                                    "y %d..%d: %d x %d input pixels, %d of "
                                    "them in the padding\n"), res->value,
                          res->field.x, res->field.x + res->field.width - 1,
                          res->field.y, res->field.y + res->field.height - 1,
                          res->field.width, res->field.height,
                          res->outside);
  for (row = 0; row < plan->height; row++)
    g_free (p.rows[row]);
  g_free (p.rows);
  cfm_input_free (p.input);
  cfm_plan_free (plan);
  res->explanation = g_string_free (p.text, !ok);
  return ok;
}

void
cfm_probe_result_clear (CfmProbeResult *res)
{
  g_free (res->explanation);
  res->explanation = NULL;
}
