/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_probe_cam.c: a class activation map's pixel explained: the layer's
 * pixel under the point, the map's value there, the channels that give
 * most of it (its API: cfm_probe_cam.h). */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "cfm_bands.h"
#include "cfm_i18n.h"
#include "cfm_probe_cam.h"

/* The channels named one by one; the rest are summed. */
#define CHANNELS_SHOWN 8

/* The map pixel (*I, *J) under image point X, Y of the layer at LAYER:
 * the map itself, or (with "align") its upsampling over the area, whose
 * pixel there draws most from that map pixel. */
static gboolean
map_pixel (const CfmPlan *plan, const gchar *name, const GeglRectangle *layer,
           gint x, gint y, gint *i, gint *j, GError **error)
{
  const CfmValue *a = &plan->graph.values[plan->cam.at];
  gboolean align = plan->vals.v[CFM_ARG_ALIGN].i;
  gint w = align ? plan->source_width : a->w;
  gint h = align ? plan->source_height : a->h;

  if (layer->x != plan->origin_x || layer->y != plan->origin_y
      || layer->width != w || layer->height != h)
    {
      g_set_error (error, CFM_ERROR, 0, _("The layer \"%s\" was moved or "
                                          "resized after the run; run CNN "
                                          "Feature Maps again to probe it."),
                   name);
      return FALSE;
    }
  if (x < layer->x || y < layer->y || x >= layer->x + w || y >= layer->y + h)
    {
      g_set_error (error, CFM_ERROR, 0, _("The point %d, %d lies outside "
                                          "the map \"%s\"."), x, y, name);
      return FALSE;
    }
  *j = (gint) (((gint64) (x - layer->x) * a->w) / w);
  *i = (gint) (((gint64) (y - layer->y) * a->h) / h);
  return TRUE;
}

typedef struct
{
  gint   channel;
  gfloat share;
} Share;

static gint
by_share (const void *a, const void *b)
{
  gfloat sa = ((const Share *) a)->share, sb = ((const Share *) b)->share;

  return sa < sb ? 1 : sa > sb ? -1 : 0;
}

/* The shares CONTRIB of the K channels, the largest first, with A's
 * value at the pixel (AT in each plane of N), into TEXT; their sum. */
static gdouble
explain_shares (const CfmCam *cam, const gfloat *contrib, gsize at,
                GString *text)
{
  gsize n = (gsize) cam->h * cam->w;
  Share *s = g_new (Share, cam->k);
  gdouble sum = 0.0, rest = 0.0;
  gint k;

  for (k = 0; k < cam->k; k++)
    {
      s[k] = (Share) { k, contrib[k] };
      sum += contrib[k];
    }
  qsort (s, cam->k, sizeof *s, by_share);
  g_string_append_printf (text, _("the channels that contribute most "
                                  "(weight x activation):\n"));
  for (k = 0; k < cam->k; k++)
    {
      gfloat act = cam->a[(gsize) s[k].channel * n + at];

      if (k >= CHANNELS_SHOWN)
        rest += s[k].share;
      else
        g_string_append_printf (text, _("  channel %d: %.6g x %.6g = "
                                        "%.6g\n"), s[k].channel + 1,
                                act != 0.0f ? s[k].share / act : 0.0,
                                act, s[k].share);
    }
  if (cam->k > CHANNELS_SHOWN)
    g_string_append_printf (text, _("  the other %d channels: %.6g\n"),
                            cam->k - CHANNELS_SHOWN, rest);
  g_free (s);
  return sum;
}

gboolean
cfm_probe_cam (const CfmPlan *plan, const CfmSource *source,
               const gchar *name, gint cls, const GeglRectangle *layer,
               gint x, gint y, CfmProbeResult *res, GError **error)
{
  CfmInput *input;
  GString *text;
  gfloat *contrib;
  gint i, j;
  gdouble sum;
  CfmCam cam;
  CfmError err;
  gboolean ok;

  if (!map_pixel (plan, name, layer, x, y, &i, &j, error))
    return FALSE;
  input = cfm_input_new (source, plan);
  ok = cfm_bands_cam (plan, input, &cam, error);
  contrib = g_new (gfloat, MAX (cam.k, 1));
  if (ok && cfm_cam_pixel (&cam, cls, i, j, contrib, &err) != CFM_OK)
    {
      g_set_error (error, CFM_ERROR, 0, "cam: %s", err.message);
      ok = FALSE;
    }
  if (ok)
    {
      text = g_string_new (NULL);
      g_string_append_printf (text, _("%s\nthe layer's row %d, column %d "
                                      "(from 0, as PyTorch indexes it), "
                                      "under image point %d, %d\n"), name,
                              i, j, x, y);
      sum = explain_shares (&cam, contrib, (gsize) i * cam.w + j, text);
      res->value = MAX (sum, 0.0);
      g_string_append_printf (text, _("value %.6g: the sum of the %d "
                                      "channels' shares, %.6g, after the "
                                      "ReLU\n"), res->value, cam.k, sum);
      /* the class's score reads every pixel: the whole input */
      res->field = (GeglRectangle) { plan->origin_x, plan->origin_y,
                                     plan->source_width,
                                     plan->source_height };
      res->explanation = g_string_free (text, FALSE);
    }
  g_free (contrib);
  cfm_cam_free (&cam);
  cfm_input_free (input);
  return ok;
}
