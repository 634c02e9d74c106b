/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_plan_model.c: a plan on a trained model: its file read, the input
 * it takes, the chosen layer's node (cfm_plan_node.c plans its stages),
 * the classifier and its labels (its API: cfm_plan.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cfm_plan.h"
#include "cfm_i18n.h"

/* The largest model file read (VGG-16's weights are 528 MB). */
#define MODEL_FILE_MAX_BYTES ((gsize) 4 << 30)

static gboolean
core_error (const gchar *what, const CfmError *err, GError **error)
{
  g_set_error (error, CFM_ERROR, 0, "%s: %s", what, err->message);
  return FALSE;
}

gboolean
cfm_plan_load_model (const CfmArgValues *vals, CfmLoaded *loaded,
                     GError **error)
{
  const gchar *path = vals->v[CFM_ARG_MODEL_FILE].s;
  CfmModel *model;
  CfmError err;
  gchar *name;

  if (path == NULL || *path == '\0')
    {
      g_set_error (error, CFM_ERROR, 0, _("The filter bank \"model\" needs "
                                          "a \"model-file\"."));
      return FALSE;
    }
  name = g_path_get_basename (path);
  model = g_rc_box_new0 (CfmModel);
  /* mapped: only the pages of the tensors the network binds are read */
  if (cfm_model_open (path, MODEL_FILE_MAX_BYTES, vals->v[CFM_ARG_NETWORK].s,
                      model, &err) != CFM_OK)
    {
      core_error (name, &err, error);
      g_free (name);
      g_rc_box_release (model);
      return FALSE;
    }
  loaded->model = model;
  loaded->model_name = name;
  return TRUE;
}

gboolean
cfm_plan_model_changed (const CfmModel *model, const gchar *name,
                        GError **error)
{
  if (model == NULL || !cfm_file_changed (model->file))
    return FALSE;
  g_set_error (error, CFM_ERROR, 0, _("%s: the model file changed while it "
                                      "was in use; run again."), name);
  return TRUE;
}

static void
clear_model (gpointer data)
{
  cfm_model_free (data);
}

void
cfm_plan_model_release (CfmModel *model)
{
  if (model)
    g_rc_box_release_full (model, clear_model);
}

void
cfm_plan_model_free (CfmPlanModel *pm)
{
  if (pm == NULL)
    return;
  cfm_plan_model_release (pm->model);
  g_free (pm->name);
  g_free (pm);
}

/* The input the first convolution takes, and its normalisation. */
static gboolean
plan_input (CfmPlan *plan, GError **error)
{
  gint want = plan->model->model->input_channels;
  CfmError err;

  plan->channels = plan->vals.v[CFM_ARG_INPUT].i == CFM_INPUT_RGB ? 3 : 1;
  if (want != plan->channels)
    {
      if (want == 3)
        g_set_error (error, CFM_ERROR, 0, _("The model's first convolution "
                                            "takes 3 channels: choose the "
                                            "input \"rgb\"."));
      else if (want == 1)
        g_set_error (error, CFM_ERROR, 0, _("The model's first convolution "
                                            "takes 1 channel: choose the "
                                            "input \"luma\", \"luminance\", "
                                            "\"red\", \"green\" or "
                                            "\"blue\"."));
      else
        g_set_error (error, CFM_ERROR, 0, _("The model's first convolution "
                                            "takes %d channels; an image "
                                            "gives 1 (gray) or 3 (rgb)."),
                     want);
      return FALSE;
    }
  if (cfm_normalize_parse (plan->vals.v[CFM_ARG_INPUT_NORMALIZE].s,
                           plan->channels, plan->model->mean,
                           plan->model->std, &err) != CFM_OK)
    return core_error ("input-normalize", &err, error);
  return TRUE;
}

gboolean
cfm_plan_size_graph (CfmPlan *plan, const gchar *what, GError **error)
{
  CfmError err;

  if (cfm_graph_copy (&plan->model->model->graph, &plan->graph, &err)
      != CFM_OK
      || cfm_graph_shapes (&plan->graph, plan->channels, plan->height,
                           plan->width, &err) != CFM_OK)
    return core_error (what, &err, error);
  return TRUE;
}

gboolean
cfm_plan_classifier (CfmPlan *plan, GError **error)
{
  const CfmGraph *g = &plan->graph;
  const gchar *labels = plan->vals.v[CFM_ARG_LABELS].s;
  gint out = g->n_outputs > 0 ? g->outputs[0] : -1;
  CfmStatus status = CFM_OK;
  CfmError err;

  plan->logits = -1;
  if (out < 0 || g->values[out].rank != 2 || g->values[out].producer < 0
      || !cfm_graph_node_runs (g, g->values[out].producer, NULL))
    return TRUE;   /* no classifier: no prediction */
  plan->logits = out;
  if (labels == NULL || *labels == '\0')
    return TRUE;
  if (strcmp (labels, "imagenet") == 0)
    status = cfm_labels_imagenet (&plan->labels, &err);
  else
    status = cfm_labels_parse (labels, &plan->labels, &err);
  if (status != CFM_OK)
    return core_error ("labels", &err, error);
  if (plan->labels.n != g->values[out].c)
    {
      g_set_error (error, CFM_ERROR, 0, _("labels: %d labels for a "
                                          "classifier of %d classes."),
                   plan->labels.n, g->values[out].c);
      return FALSE;
    }
  return TRUE;
}

gboolean
cfm_plan_model (CfmPlan *plan, const CfmLoaded *loaded, GError **error)
{
  const CfmArgValues *vals = &plan->vals;
  CfmError err;
  gint node;

  if (loaded->model == NULL)
    {
      g_set_error (error, CFM_ERROR, 0, _("No model is loaded."));
      return FALSE;
    }
  plan->model = g_new0 (CfmPlanModel, 1);
  plan->model->model = g_rc_box_acquire (loaded->model);
  plan->model->name = g_strdup (loaded->model_name);
  if (!cfm_plan_check_colormap (plan, error))
    return FALSE;
  if (cfm_graph_layer (&loaded->model->graph, vals->v[CFM_ARG_LAYER].s,
                       &node, &err) != CFM_OK)
    return core_error ("layer", &err, error);
  return plan_input (plan, error) && cfm_plan_node (plan, node, error)
         && cfm_plan_classifier (plan, error)
         && cfm_plan_cam (plan, node, error);
}
