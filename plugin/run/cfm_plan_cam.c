/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_plan_cam.c: a run's class activation maps planned: the method at
 * the layer, the classes "cam-class" names, every refusal before anything
 * runs (its API: cfm_plan.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfm_i18n.h"
#include "cfm_plan.h"

/* Class ITEM (an index or a label; "" the most probable) of PLAN's
 * classifier of N classes into *CLS. */
static gboolean
parse_class (const CfmPlan *plan, const gchar *item, gint n, gint *cls,
             GError **error)
{
  gchar *end;
  gint64 index;
  gint i;

  *cls = -1;
  if (*item == '\0')
    return TRUE;
  index = g_ascii_strtoll (item, &end, 10);
  if (*end == '\0' && g_ascii_isdigit (*item))
    {
      if (index >= n)
        {
          g_set_error (error, CFM_ERROR, 0, _("cam-class: class %s is past "
                                              "the classifier's %d classes "
                                              "(0 to %d)."), item, n, n - 1);
          return FALSE;
        }
      *cls = (gint) index;
      return TRUE;
    }
  for (i = 0; i < plan->labels.n && *cls < 0; i++)
    if (strcmp (plan->labels.names[i], item) == 0)
      *cls = i;
  for (i = 0; i < plan->labels.n && *cls < 0; i++)
    if (g_ascii_strcasecmp (plan->labels.names[i], item) == 0)
      *cls = i;
  if (*cls >= 0)
    return TRUE;
  if (plan->labels.n == 0)
    g_set_error (error, CFM_ERROR, 0, _("cam-class: \"%s\" is not a class "
                                        "index, and no labels are given."),
                 item);
  else
    g_set_error (error, CFM_ERROR, 0, _("cam-class: no class is labelled "
                                        "\"%s\"."), item);
  return FALSE;
}

/* "cam-class" as PLAN's classes. */
static gboolean
parse_classes (CfmPlan *plan, GError **error)
{
  const gchar *text = plan->vals.v[CFM_ARG_CAM_CLASS].s;
  gchar **items = g_strsplit (text ? text : "", ",", -1);
  gint n = plan->graph.values[plan->logits].c, i;
  gboolean ok = TRUE;

  plan->cam.n_classes = MAX (1, (gint) g_strv_length (items));
  plan->cam.classes = g_new (gint, plan->cam.n_classes);
  plan->cam.classes[0] = -1;
  for (i = 0; ok && items[i]; i++)
    ok = parse_class (plan, g_strstrip (items[i]), n, &plan->cam.classes[i],
                      error);
  g_strfreev (items);
  return ok;
}

/* A refusal by the core, with what the user can do about its memory. */
static gboolean
refuse (const CfmError *err, GError **error)
{
  if (err->status == CFM_ERR_SIZE)
    g_set_error (error, CFM_ERROR, 0, _("cam: %s. Set input-size (224 for "
                                        "torchvision's classifiers) to "
                                        "compute it on a smaller copy of "
                                        "the image."), err->message);
  else
    g_set_error (error, CFM_ERROR, 0, "cam: %s.", err->message);
  return FALSE;
}

gboolean
cfm_plan_cam (CfmPlan *plan, gint node, GError **error)
{
  const gchar *layer = plan->vals.v[CFM_ARG_LAYER].s;
  CfmError err;

  plan->cam.method = (CfmCamMethod) plan->vals.v[CFM_ARG_CAM].i;
  if (plan->cam.method == CFM_CAM_NONE)
    return TRUE;
  if (plan->logits < 0)
    {
      g_set_error (error, CFM_ERROR, 0, _("cam: the network has no "
                                          "classifier (its output is not a "
                                          "vector of class scores), so "
                                          "there is no class to map."));
      return FALSE;
    }
  plan->cam.at = plan->graph.nodes[node].outputs[0];
  plan->cam.layer = g_strdup (layer && *layer
                              ? layer
                              : cfm_graph_node_label (&plan->graph, node));
  if (cfm_cam_check (&plan->graph, plan->cam.method, plan->cam.at,
                     plan->logits, &err) != CFM_OK)
    return refuse (&err, error);
  return parse_classes (plan, error);
}

CfmColormap
cfm_plan_cam_colormap (const CfmPlan *plan)
{
  CfmColormap map = (CfmColormap) plan->vals.v[CFM_ARG_COLORMAP].i;

  if (!plan->image_rgb)
    return CFM_COLORMAP_GRAY;
  if (plan->vals.v[CFM_ARG_ALIGN].i && map == CFM_COLORMAP_GRAY)
    return CFM_COLORMAP_JET;
  return map;
}

gint
cfm_plan_cam_class (const CfmPlan *plan, const gfloat *logits, gint n,
                    gint i)
{
  gint cls = plan->cam.classes[i], k;

  if (cls >= 0)
    return cls;
  for (k = 1, cls = 0; k < n; k++)
    if (logits[k] > logits[cls])
      cls = k;
  return cls;
}

void
cfm_plan_cam_clear (CfmPlanCam *cam)
{
  g_free (cam->layer);
  g_free (cam->classes);
  memset (cam, 0, sizeof *cam);
}
