/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_figures.c: kernel figures and legends as layers (its API:
 * cfm_figures.h). */
#include "config.h"

#include <string.h>

#include "cfm_figures.h"
#include "cfm_names.h"
#include "cfm_raster.h"
#include "cfm_swatch.h"
#include "cfm_write.h"

#define SWATCH_CELL   28   /* pixels of one weight's cell */
#define CHANNEL_GAP   2    /* between the channels of one kernel */
#define KERNEL_GAP    6    /* between two kernels */
/* A deep layer's kernel shows its first input channels, side by side. */
#define KERNEL_CHANNELS_SHOWN 16
#define LEGEND_W      256
#define LEGEND_H      36
#define LEGEND_GAP    4

/* Makes and fills a layer of W x H display values (gray or RGB floats as
 * the image), added inside slot PARENT of TREE at the top. */
static gboolean
picture_layer (CfmSink *sink, CfmLayerTree *tree, gint parent,
               const gchar *name, gint x, gint y, gint w, gint h,
               gfloat *pixels, GError **error)
{
  gint channels = sink->image_rgb ? 3 : 1;
  gpointer layer;
  GeglBuffer *buf = sink->new_layer (sink, name, x, y, w, h, &layer, error);
  GeglRectangle rect = { 0, 0, w, h };

  if (buf == NULL)
    return FALSE;
  cfm_layers_add (tree, layer, parent, 0);
  cfm_write_pixels (buf, &rect, channels, pixels, (gsize) w * h * channels);
  sink->finish_layer (sink, layer, buf);
  return TRUE;
}

/* Draws filter F's kernel, its first CHANNELS channels side by side, into
 * PIX (W x ONE_H gray values); ONE is room for one channel's picture. */
static void
draw_kernel (const CfmBank *b, gint f, gint channels, gint one_w, gint one_h,
             gfloat lo, gfloat hi, gint w, gfloat *one, gfloat *pix)
{
  gsize plane = (gsize) b->kh * b->kw, i;
  gint ch, y;

  for (i = 0; i < (gsize) w * one_h; i++)
    pix[i] = 1.0f;
  for (ch = 0; ch < channels; ch++)
    {
      cfm_swatch_draw (b->weights + ((gsize) f * b->c + ch) * plane, b->kh,
                       b->kw, SWATCH_CELL, lo, hi, one);
      for (y = 0; y < one_h; y++)
        memcpy (pix + (gsize) y * w + ch * (one_w + CHANNEL_GAP),
                one + (gsize) y * one_w, one_w * sizeof (gfloat));
    }
}

/* Draws filter F's kernel over the 3 channels of an RGB network as one
 * colour picture of W x H (cells of CELL pixels, RGB values), each weight
 * from LO to HI, as pictures of AlexNet's first layer show it. */
static void
draw_kernel_rgb (const CfmBank *b, gint f, gint cell, gfloat lo, gfloat hi,
                 gint w, gint h, gfloat *rgb)
{
  gsize plane = (gsize) b->kh * b->kw;
  gint x, y, ch;

  for (y = 0; y < h; y++)
    for (x = 0; x < w; x++)
      for (ch = 0; ch < 3; ch++)
        {
          gfloat v = b->weights[((gsize) f * 3 + ch) * plane
                                + (gsize) (y / cell) * b->kw + x / cell];

          rgb[((gsize) y * w + x) * 3 + ch] = hi > lo ? (v - lo) / (hi - lo)
                                                      : 0.5f;
        }
}

/* Whether filter kernels are drawn as colour pictures. */
static gboolean
kernels_in_colour (const CfmPlan *plan, const CfmSink *sink)
{
  return plan->model && plan->bank.c == 3 && sink->image_rgb;
}

gboolean
cfm_figures_kernels (const CfmPlan *plan, CfmSink *sink, CfmLayerTree *tree,
                     GError **error)
{
  const CfmBank *b = &plan->bank;
  gint channels = MIN (b->c, KERNEL_CHANNELS_SHOWN);
  gboolean colour = kernels_in_colour (plan, sink);
  gsize i;
  gint one_w, one_h, w, f, sub;
  gfloat lo = b->weights[0], hi = b->weights[0], *pix, *one;
  gpointer group = sink->new_group (sink, CFM_NAME_KERNELS, error);
  gboolean ok = TRUE;

  if (group == NULL)
    return FALSE;
  sub = cfm_layers_add (tree, group, CFM_LAYERS_ROOT, 0);
  /* One gray scale for the whole bank. */
  for (i = 0; i < cfm_bank_kernel_size (b) * b->n; i++)
    {
      lo = MIN (lo, b->weights[i]);
      hi = MAX (hi, b->weights[i]);
    }
  cfm_swatch_size (b->kh, b->kw, SWATCH_CELL, &one_w, &one_h);
  if (colour)
    {
      one_w = b->kw * SWATCH_CELL;
      one_h = b->kh * SWATCH_CELL;
      channels = 1;
    }
  w = (one_w + CHANNEL_GAP) * channels - CHANNEL_GAP;
  pix = g_new (gfloat, (gsize) (one_w + CHANNEL_GAP) * channels * one_h * 3);
  one = g_new (gfloat, (gsize) one_w * one_h);
  for (f = 0; ok && f < b->n; f++)
    {
      gchar *name = cfm_names_kernel (plan, f);

      if (colour)
        draw_kernel_rgb (b, f, SWATCH_CELL, lo, hi, w, one_h, pix);
      else
        draw_kernel (b, f, channels, one_w, one_h, lo, hi, w, one, pix);
      if (sink->image_rgb && !colour)
        cfm_raster_gray_to_rgb (pix, (gsize) w * one_h);
      ok = picture_layer (sink, tree, sub, name,
                          plan->origin_x + f * (w + KERNEL_GAP),
                          plan->origin_y, w, one_h, pix, error);
      g_free (name);
    }
  g_free (one);
  g_free (pix);
  return ok;
}

/* Draws STAGE's legend into RGB (LEGEND_W x LEGEND_H RGB floats). */
static gboolean
draw_legend (const CfmPlan *plan, const CfmRanges *ranges, CfmStage s,
             gfloat *rgb, GError **error)
{
  gboolean per_map = plan->vals.v[CFM_ARG_NORMALIZE].i
                     == CFM_NORMALIZE_PER_MAP;
  gchar left[32], right[32];
  gfloat lo, hi;
  CfmError err;

  cfm_plan_display_range (plan, &ranges->map[s][0], &ranges->set[s], &lo,
                          &hi);
  if (per_map)
    {
      g_strlcpy (left, "min", sizeof left);
      g_strlcpy (right, "max", sizeof right);
    }
  else
    {
      cfm_format_value (lo, left, sizeof left);
      cfm_format_value (hi, right, sizeof right);
    }
  if (cfm_legend_draw ((CfmColormap) plan->vals.v[CFM_ARG_COLORMAP].i, lo,
                       hi, left, right, !per_map, LEGEND_W, LEGEND_H, rgb,
                       &err) != CFM_OK)
    {
      g_set_error_literal (error, CFM_ERROR, 0, err.message);
      return FALSE;
    }
  return TRUE;
}

gboolean
cfm_figures_legends (const CfmPlan *plan, const CfmRanges *ranges,
                     CfmSink *sink, CfmLayerTree *tree, GError **error)
{
  gfloat *rgb = g_new (gfloat, LEGEND_W * LEGEND_H * 3);
  gpointer group = sink->new_group (sink, CFM_NAME_LEGENDS, error);
  gboolean ok = group != NULL;
  gint s, k = 0, sub = -1;

  if (ok)
    sub = cfm_layers_add (tree, group, CFM_LAYERS_ROOT, 0);
  for (s = 0; ok && s < CFM_N_STAGES; s++)
    {
      gchar *name;
      gsize i;

      if (!plan->stages[s].shown)
        continue;
      ok = draw_legend (plan, ranges, (CfmStage) s, rgb, error);
      if (!ok)
        break;
      if (!sink->image_rgb)
        for (i = 0; i < (gsize) LEGEND_W * LEGEND_H; i++)
          rgb[i] = rgb[i * 3];
      name = cfm_names_legend (plan, (CfmStage) s);
      ok = picture_layer (sink, tree, sub, name, plan->origin_x,
                          plan->origin_y + plan->source_height
                          - (++k) * (LEGEND_H + LEGEND_GAP), LEGEND_W,
                          LEGEND_H, rgb, error);
      g_free (name);
    }
  g_free (rgb);
  return ok;
}
