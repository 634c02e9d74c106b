/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_plan_model.c: a plan on a trained model: its file read, the chosen
 * layer's block, the input it takes, the channels selected, and where each
 * stage's maps lie over the image (its API: cfm_plan.h). */
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

/* The channels selected, and their kernels as the plan's bank. */
static gboolean
plan_channels (CfmPlan *plan, GError **error)
{
  const CfmModule *conv = &plan->model->model->net.modules
                             [plan->model->block.module[CFM_BLOCK_CONV]];
  gint *index = g_new (gint, conv->out_c), count, i;
  gsize kernel = (gsize) conv->in_c / conv->groups * conv->k[0] * conv->k[1];
  CfmError err;

  if (cfm_filter_list_parse (plan->vals.v[CFM_ARG_FILTERS].s, conv->out_c,
                             index, &count, &err) != CFM_OK)
    {
      g_free (index);
      return core_error (conv->name, &err, error);
    }
  plan->n_maps = count;
  plan->numbers = g_new (gint, count);
  plan->bank.n = count;
  plan->bank.c = conv->in_c / conv->groups;
  plan->bank.kh = conv->k[0];
  plan->bank.kw = conv->k[1];
  plan->bank.weights = g_new (gfloat, kernel * count + 1);
  for (i = 0; i < count; i++)
    {
      plan->numbers[i] = index[i] + 1;
      memcpy (plan->bank.weights + kernel * i,
              conv->weight + kernel * index[i], kernel * sizeof (gfloat));
    }
  g_free (index);
  return TRUE;
}

/* Stage S's layer: the map of module M, of SHAPE, with ALIGN, over the
 * image: a map pixel's block of layer pixels centred on its receptive
 * field's centre, rounding toward the top-left. */
static gboolean
place_stage (CfmPlan *plan, gint s, gint m, const gint *shape,
             gboolean align, GError **error)
{
  const CfmNetwork *net = &plan->model->model->net;
  CfmPlanStage *st = &plan->stages[s];
  gint stride[2];
  gdouble centre[2];

  cfm_network_geometry (net, m, stride, centre);
  if (align && stride[0] != stride[1])
    {
      g_set_error (error, CFM_ERROR, 0, _("%s steps %d rows but %d "
                                          "columns: turn \"align\" off to "
                                          "see its maps."),
                   net->modules[m].name, stride[0], stride[1]);
      return FALSE;
    }
  st->map_h = shape[1];
  st->map_w = shape[2];
  st->scale = align ? stride[1] : 1;
  st->x = plan->origin_x
          + (align ? (gint) floor (centre[1] - (stride[1] - 1) / 2.0) : 0);
  st->y = plan->origin_y
          + (align ? (gint) floor (centre[0] - (stride[0] - 1) / 2.0) : 0);
  return TRUE;
}

/* Each stage's module, size and place. */
static gboolean
plan_stages (CfmPlan *plan, GError **error)
{
  static const CfmArgId shown[CFM_N_STAGES] = {
    [CFM_STAGE_CONV] = CFM_ARG_SHOW_CONV,
    [CFM_STAGE_ACTIVATION] = CFM_ARG_SHOW_ACTIVATION,
    [CFM_STAGE_POOL] = CFM_ARG_SHOW_POOL,
  };
  CfmPlanModel *pm = plan->model;
  const CfmNetwork *net = &pm->model->net;
  gint (*shape)[3] = g_malloc0_n (pm->block.last + 1, sizeof *shape);
  gboolean ok = TRUE, any = FALSE;
  CfmError err;
  gint s;

  if (cfm_network_shapes (net, pm->block.last, plan->channels, plan->height,
                          plan->width, shape, &err) != CFM_OK)
    {
      g_set_error (error, CFM_ERROR, 0, _("The image or selection is too "
                                          "small for this layer: %s"),
                   err.message);
      ok = FALSE;
    }
  for (s = 0; ok && s < CFM_N_STAGES; s++)
    {
      gint m = pm->block.module[s];

      pm->module[s] = plan->vals.v[shown[s]].i ? m : -1;
      plan->stages[s].shown = pm->module[s] >= 0;
      any = any || plan->stages[s].shown;
      if (m >= 0)
        ok = place_stage (plan, s, m, shape[m], plan->vals.v[CFM_ARG_ALIGN].i,
                          error);
    }
  g_free (shape);
  if (ok && !any)
    {
      g_set_error (error, CFM_ERROR, 0, _("Nothing to show: the block of %s "
                                          "has no such stage; turn on its "
                                          "convolution maps."),
                   net->modules[pm->block.first].name);
      ok = FALSE;
    }
  return ok;
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

/* The plan's own copy of the model's graph, sized for the input, and
 * the value each stage's module computes there. */
static gboolean
plan_graph (CfmPlan *plan, GError **error)
{
  const CfmPlanModel *pm = plan->model;
  const CfmNetwork *net = &pm->model->net;
  gint s, f;

  if (!cfm_plan_size_graph (plan, "layer", error))
    return FALSE;
  for (s = 0; s < CFM_N_STAGES; s++)
    {
      gint m = pm->block.module[s], node;
      gchar why[CFM_ERROR_MAX];

      plan->value[s] = -1;
      if (m < 0)
        continue;
      node = cfm_graph_find_node (&plan->graph, net->modules[m].name);
      if (node < 0 || !cfm_graph_node_runs (&plan->graph, node, why))
        {
          g_set_error (error, CFM_ERROR, 0, "%s: %s", net->modules[m].name,
                       node < 0 ? "not in the network's graph" : why);
          return FALSE;
        }
      plan->value[s] = plan->graph.nodes[node].outputs[0];
    }
  plan->channel = g_new (gint, plan->n_maps);
  for (f = 0; f < plan->n_maps; f++)
    plan->channel[f] = plan->numbers[f] - 1;
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
  plan->model->node = -1;
  if (cfm_model_block (&loaded->model->net, vals->v[CFM_ARG_LAYER].s,
                       &plan->model->block, &err) != CFM_OK)
    {
      /* a layer past the chain: any node of the graph */
      gint node = cfm_graph_find_node (&loaded->model->graph,
                                       vals->v[CFM_ARG_LAYER].s);

      if (node < 0)
        return core_error ("layer", &err, error);
      return plan_input (plan, error) && cfm_plan_node (plan, node, error)
             && cfm_plan_classifier (plan, error);
    }
  return plan_input (plan, error) && plan_channels (plan, error)
         && plan_stages (plan, error) && plan_graph (plan, error)
         && cfm_plan_classifier (plan, error);
}
