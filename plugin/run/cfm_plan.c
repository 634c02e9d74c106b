/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_plan.c: a run's plan: kernels loaded, expanded and selected, bias,
 * pipeline, places (its API: cfm_plan.h). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cfm_plan.h"
#include "cfm_i18n.h"
#include "cfm_kernel_text.h"
#include "cfm_resize.h"
#include "cfm_source.h"

static gboolean
core_error (const CfmError *err, GError **error)
{
  g_set_error_literal (error, CFM_ERROR, 0, err->message);
  return FALSE;
}

static gboolean
load_custom (const CfmArgValues *vals, CfmBank *bank, GError **error)
{
  const gchar *text = vals->v[CFM_ARG_KERNELS].s;
  const gchar *c = text;
  CfmError err;

  while (c && g_ascii_isspace (*c))
    c++;
  if (c == NULL || *c == '\0')
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("The custom filter bank needs kernel text in "
                     "\"kernels\"."));
      return FALSE;
    }
  if (cfm_kernel_text_parse (text, bank, &err) != CFM_OK)
    {
      g_set_error (error, CFM_ERROR, 0, _("kernels: %s"), err.message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_file (const CfmArgValues *vals, CfmBank *bank, GError **error)
{
  const gchar *path = vals->v[CFM_ARG_KERNEL_FILE].s;
  CfmError err;

  if (path == NULL || *path == '\0')
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("The file filter bank needs a \"kernel-file\"."));
      return FALSE;
    }
  if (cfm_kernel_file_load (path, bank, &err) != CFM_OK)
    {
      g_set_error (error, CFM_ERROR, 0, _("kernel-file: %s"), err.message);
      return FALSE;
    }
  return TRUE;
}

/* Grows FULL as VALS's expansion says. */
static gboolean
expand_bank (const CfmArgValues *vals, CfmBank *full, GError **error)
{
  CfmExpand expand = (CfmExpand) vals->v[CFM_ARG_EXPAND].i;
  CfmBank grown;
  CfmError err;

  if (expand == CFM_EXPAND_NONE)
    return TRUE;
  if (cfm_bank_expand (full, expand, &grown, &err) != CFM_OK)
    {
      cfm_bank_free (full);
      g_set_error (error, CFM_ERROR, 0, _("expand: %s"), err.message);
      return FALSE;
    }
  cfm_bank_free (full);
  *full = grown;
  return TRUE;
}

/* Loads the bank VALS name and expands it, before filter selection. */
static gboolean
load_bank (const CfmArgValues *vals, CfmBank *full, GError **error)
{
  gint choice = vals->v[CFM_ARG_FILTER_BANK].i;
  CfmError err;

  if (choice == CFM_BANK_CUSTOM)
    {
      if (!load_custom (vals, full, error))
        return FALSE;
    }
  else if (choice == CFM_BANK_FILE)
    {
      if (!load_file (vals, full, error))
        return FALSE;
    }
  else if (choice == CFM_BANK_SELECTION)
    {
      g_set_error (error, CFM_ERROR, 0, _("The filter bank \"selection\" "
                                          "needs a selected patch."));
      return FALSE;
    }
  else if (cfm_bank_builtin (cfm_args_choice_nick (CFM_ARG_FILTER_BANK,
                                                   choice), full, &err)
           != CFM_OK)
    return core_error (&err, error);
  return expand_bank (vals, full, error);
}

gboolean
cfm_plan_load_patch (const CfmArgValues *vals, const CfmSource *source,
                     const GeglRectangle *patch, CfmLoaded *loaded,
                     GError **error)
{
  CfmPlan reader = { 0 };
  CfmSource part = *source;
  CfmInput *input;
  gsize n, i;
  gdouble mean = 0.0, norm = 0.0;
  gfloat *k;

  memset (loaded, 0, sizeof *loaded);
  if (!cfm_args_check (vals, error))
    return FALSE;
  /* The patch read as the network's input, through a plan of its size. */
  reader.vals = *vals;
  reader.channels = vals->v[CFM_ARG_INPUT].i == CFM_INPUT_RGB ? 3 : 1;
  reader.width = reader.source_width = patch->width;
  reader.height = reader.source_height = patch->height;
  part.area = *patch;
  n = (gsize) reader.channels * patch->width * patch->height;
  k = g_new (gfloat, n + 1);
  input = cfm_input_new (&part, &reader);
  cfm_input_read (input, 0, patch->height, k);
  cfm_input_free (input);
  for (i = 0; i < n; i++)
    mean += k[i] / (gdouble) n;
  for (i = 0; i < n; i++)
    norm += (k[i] - mean) * (k[i] - mean);
  norm = sqrt (norm);
  if (norm < 1e-6)
    {
      g_free (k);
      g_set_error (error, CFM_ERROR, 0, _("The selected patch is one flat "
                                          "value: select a patch with some "
                                          "variation."));
      return FALSE;
    }
  /* Zero mean and unit norm: the convolution becomes a matched filter. */
  for (i = 0; i < n; i++)
    k[i] = (gfloat) ((k[i] - mean) / norm);
  loaded->full = (CfmBank) { 1, reader.channels, patch->height, patch->width,
                             k };
  loaded->patch = *patch;
  return expand_bank (vals, &loaded->full, error);
}

/* Gives the selected filters the input's channels. */
static gboolean
shape_channels (CfmPlan *plan, CfmBank *picked, GError **error)
{
  CfmError err;

  if (picked->c == plan->channels)
    {
      plan->bank = *picked;
      picked->weights = NULL;
      return TRUE;
    }
  if (picked->c == 1)
    {
      if (cfm_bank_broadcast (picked, plan->channels, &plan->bank, &err)
          != CFM_OK)
        return core_error (&err, error);
      return TRUE;
    }
  g_set_error (error, CFM_ERROR, 0,
               _("The kernels have %d input channels; choose the input "
                 "\"rgb\" for 3-channel kernels."), picked->c);
  return FALSE;
}

/* Selects the filters, shapes them to the input and parses the bias. */
static gboolean
select_filters (CfmPlan *plan, GError **error)
{
  const CfmArgValues *vals = &plan->vals;
  CfmBank picked = { 0 };
  gint index[CFM_FILTERS_MAX], count, i;
  CfmError err;
  gboolean ok = FALSE;

  if (cfm_filter_list_parse (vals->v[CFM_ARG_FILTERS].s, plan->full.n, index,
                             &count, &err) != CFM_OK
      || cfm_bank_select (&plan->full, index, count, &picked, &err) != CFM_OK)
    return core_error (&err, error);
  plan->channels = vals->v[CFM_ARG_INPUT].i == CFM_INPUT_RGB ? 3 : 1;
  if (!shape_channels (plan, &picked, error))
    goto out;
  plan->n_maps = count;
  plan->numbers = g_new (gint, count);
  for (i = 0; i < count; i++)
    plan->numbers[i] = index[i] + 1;
  plan->bias = g_new (gfloat, count);
  if (cfm_bias_parse (vals->v[CFM_ARG_BIAS].s, count, plan->bias, &err)
      != CFM_OK)
    {
      core_error (&err, error);
      goto out;
    }
  ok = TRUE;
out:
  cfm_bank_free (&picked);
  return ok;
}

/* Sets up the pipeline and each stage's size and place. */
static gboolean
plan_pipeline (CfmPlan *plan, GError **error)
{
  const CfmArgValues *vals = &plan->vals;
  CfmPipeline *pl = &plan->pl;
  static const CfmArgId shown[CFM_N_STAGES] = {
    [CFM_STAGE_CONV] = CFM_ARG_SHOW_CONV,
    [CFM_STAGE_ACTIVATION] = CFM_ARG_SHOW_ACTIVATION,
    [CFM_STAGE_POOL] = CFM_ARG_SHOW_POOL,
  };
  CfmError err;
  gint s;

  memset (pl, 0, sizeof *pl);
  pl->bank = &plan->bank;
  pl->bias = plan->bias;
  pl->conv.stride = vals->v[CFM_ARG_STRIDE].i;
  pl->conv.padding = vals->v[CFM_ARG_PADDING].i;
  pl->conv.dilation = vals->v[CFM_ARG_DILATION].i;
  pl->conv.pad_mode = (CfmPadMode) vals->v[CFM_ARG_PADDING_MODE].i;
  pl->activation = (CfmActivation) vals->v[CFM_ARG_ACTIVATION].i;
  pl->negative_slope = (gfloat) vals->v[CFM_ARG_NEGATIVE_SLOPE].d;
  pl->pool_enabled = vals->v[CFM_ARG_SHOW_POOL].i;
  pl->pool.type = (CfmPoolType) vals->v[CFM_ARG_POOL_TYPE].i;
  pl->pool.size = vals->v[CFM_ARG_POOL_SIZE].i;
  pl->pool.stride = vals->v[CFM_ARG_POOL_STRIDE].i;
  pl->pool.padding = 0;
  if (cfm_pipeline_init (pl, plan->channels, plan->height, plan->width, &err)
      != CFM_OK)
    return core_error (&err, error);
  for (s = 0; s < CFM_N_STAGES; s++)
    {
      CfmPlanStage *st = &plan->stages[s];
      CfmPlacement place;

      cfm_pipeline_place (pl, (CfmStage) s, vals->v[CFM_ARG_ALIGN].i,
                          &place);
      st->shown = vals->v[shown[s]].i;
      st->map_w = place.map_w;
      st->map_h = place.map_h;
      st->scale = place.scale;
      st->x = plan->origin_x + place.x;
      st->y = plan->origin_y + place.y;
    }
  return TRUE;
}

gboolean
cfm_plan_check_colormap (const CfmPlan *plan, GError **error)
{
  gint colormap = plan->vals.v[CFM_ARG_COLORMAP].i;

  if (plan->image_rgb || colormap == CFM_COLORMAP_GRAY)
    return TRUE;
  g_set_error (error, CFM_ERROR, 0,
               _("The colormap \"%s\" needs an RGB image; convert the "
                 "image to RGB or choose \"gray\"."),
               cfm_args_choice_nick (CFM_ARG_COLORMAP, colormap));
  return FALSE;
}

/* The bank's graph (cfm_graph.h: its convolution, activation and
 * pooling), the engine every plan runs on, sized for the input. */
static gboolean
plan_bank_graph (CfmPlan *plan, GError **error)
{
  const CfmPipeline *pl = &plan->pl;
  CfmError err;
  gint f;

  if (cfm_graph_from_bank (&plan->bank, plan->bias, &pl->conv,
                           pl->activation, pl->negative_slope,
                           pl->pool_enabled ? &pl->pool : NULL, &plan->graph,
                           &err) != CFM_OK
      || cfm_graph_shapes (&plan->graph, plan->channels, plan->height,
                           plan->width, &err) != CFM_OK)
    return core_error (&err, error);
  plan->value[CFM_STAGE_CONV] = cfm_graph_find_value (&plan->graph, "conv");
  plan->value[CFM_STAGE_ACTIVATION]
    = pl->activation == CFM_ACT_NONE
      ? plan->value[CFM_STAGE_CONV]
      : cfm_graph_find_value (&plan->graph, "activation");
  plan->value[CFM_STAGE_POOL]
    = pl->pool_enabled ? cfm_graph_find_value (&plan->graph, "pool") : -1;
  plan->channel = g_new (gint, plan->n_maps);
  for (f = 0; f < plan->n_maps; f++)
    plan->channel[f] = f;
  return TRUE;
}

/* Everything after the bank is loaded, in the order the user is told. */
static gboolean
plan_rest (CfmPlan *plan, GError **error)
{
  if (!select_filters (plan, error))
    return FALSE;
  if (!cfm_plan_check_colormap (plan, error))
    return FALSE;
  if (!plan_pipeline (plan, error) || !plan_bank_graph (plan, error))
    return FALSE;
  if (!plan->stages[CFM_STAGE_CONV].shown
      && !plan->stages[CFM_STAGE_ACTIVATION].shown
      && !plan->stages[CFM_STAGE_POOL].shown)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("Nothing to show: turn on the convolution, activation "
                     "or pooled maps."));
      return FALSE;
    }
  return TRUE;
}

gboolean
cfm_plan_load (const CfmArgValues *vals, CfmLoaded *loaded, GError **error)
{
  memset (loaded, 0, sizeof *loaded);
  if (!cfm_args_check (vals, error))
    return FALSE;
  if (vals->v[CFM_ARG_FILTER_BANK].i == CFM_BANK_MODEL)
    return cfm_plan_load_model (vals, loaded, error);
  return load_bank (vals, &loaded->full, error);
}

gboolean
cfm_plan_load_on (const CfmArgValues *vals, GeglBuffer *buffer,
                  gboolean image_rgb, const GeglRectangle *patch,
                  CfmLoaded *loaded, GError **error)
{
  CfmSource source = { .buffer = buffer, .image_rgb = image_rgb };

  if (vals->v[CFM_ARG_FILTER_BANK].i != CFM_BANK_SELECTION)
    return cfm_plan_load (vals, loaded, error);
  return cfm_plan_load_patch (vals, &source, patch, loaded, error);
}

void
cfm_loaded_clear (CfmLoaded *loaded)
{
  cfm_bank_free (&loaded->full);
  cfm_plan_model_release (loaded->model);
  g_free (loaded->model_name);
  memset (loaded, 0, sizeof *loaded);
}

/* The plan's own copy of the kernels LOADED holds. */
static gboolean
copy_bank (CfmPlan *plan, const CfmBank *full, GError **error)
{
  gint all[CFM_FILTERS_MAX], i;
  CfmError err;

  for (i = 0; i < full->n; i++)
    all[i] = i;
  if (cfm_bank_select (full, all, full->n, &plan->full, &err) != CFM_OK)
    return core_error (&err, error);
  return TRUE;
}

/* A model's input resized as "input-size" asks: the network's input
 * size (torchvision's Resize (N)). */
static gboolean
resize_input (CfmPlan *plan, GError **error)
{
  gint shorter = plan->vals.v[CFM_ARG_INPUT_SIZE].i;
  CfmError err;

  if (shorter == 0)
    return TRUE;
  if (cfm_resize_size (plan->source_height, plan->source_width, shorter,
                       &plan->height, &plan->width, &err) != CFM_OK)
    return core_error (&err, error);
  return TRUE;
}

/* With a resized input and "align", each stage's layer is written at its
 * maps' own size and then scaled over the photo: a map pixel covers its
 * total stride times the photo's pixels per input pixel, a fraction in
 * general, and its place is the resized input's scaled the same way. */
static void
place_over_photo (CfmPlan *plan)
{
  gdouble sx = (gdouble) plan->source_width / plan->width;
  gdouble sy = (gdouble) plan->source_height / plan->height;
  gint s;

  if (plan->width == plan->source_width
      && plan->height == plan->source_height)
    return;
  for (s = 0; s < CFM_N_STAGES; s++)
    {
      CfmPlanStage *st = &plan->stages[s];

      if (!plan->vals.v[CFM_ARG_ALIGN].i)
        continue;   /* the maps at their own size at the input's corner */
      st->shown_w = MAX (1, (gint) lround (st->map_w * st->scale * sx));
      st->shown_h = MAX (1, (gint) lround (st->map_h * st->scale * sy));
      st->x = plan->origin_x
              + (gint) floor ((st->x - plan->origin_x) * sx + 0.5);
      st->y = plan->origin_y
              + (gint) floor ((st->y - plan->origin_y) * sy + 0.5);
      st->scale = 1;
    }
}

CfmPlan *
cfm_plan_new_on (const CfmLoaded *loaded, const CfmArgValues *vals,
                 gboolean image_rgb, gint width, gint height, gint origin_x,
                 gint origin_y, GError **error)
{
  CfmPlan *plan = g_new0 (CfmPlan, 1);
  gboolean ok;

  plan->logits = -1;
  cfm_args_copy (&plan->vals, vals);
  plan->patch = loaded->patch;
  plan->image_rgb = image_rgb;
  plan->width = plan->source_width = width;
  plan->height = plan->source_height = height;
  plan->origin_x = origin_x;
  plan->origin_y = origin_y;
  ok = cfm_args_check (vals, error);
  if (ok && vals->v[CFM_ARG_FILTER_BANK].i == CFM_BANK_MODEL)
    {
      ok = resize_input (plan, error) && cfm_plan_model (plan, loaded, error);
      if (ok)
        place_over_photo (plan);
    }
  else if (ok && vals->v[CFM_ARG_CAM].i != CFM_CAM_NONE)
    {
      g_set_error (error, CFM_ERROR, 0, _("cam: class activation maps need "
                                          "a trained classifier: choose the "
                                          "filter bank \"model\"."));
      ok = FALSE;
    }
  else if (ok)
    ok = copy_bank (plan, &loaded->full, error) && plan_rest (plan, error);
  if (ok)
    return plan;
  cfm_plan_free (plan);
  return NULL;
}

CfmPlan *
cfm_plan_new (const CfmArgValues *vals, gboolean image_rgb, gint width,
              gint height, gint origin_x, gint origin_y, GError **error)
{
  CfmLoaded loaded;
  CfmPlan *plan = NULL;

  if (cfm_plan_load (vals, &loaded, error))
    plan = cfm_plan_new_on (&loaded, vals, image_rgb, width, height,
                            origin_x, origin_y, error);
  cfm_loaded_clear (&loaded);
  return plan;
}

void
cfm_plan_free (CfmPlan *plan)
{
  if (plan == NULL)
    return;
  cfm_args_clear (&plan->vals);
  cfm_bank_free (&plan->full);
  cfm_bank_free (&plan->bank);
  g_free (plan->numbers);
  g_free (plan->channel);
  cfm_labels_free (&plan->labels);
  cfm_graph_free (&plan->graph);
  g_free (plan->bias);
  cfm_plan_model_free (plan->model);
  cfm_plan_cam_clear (&plan->cam);
  g_free (plan);
}

void
cfm_plan_shape (const CfmPlan *plan, CfmRunShape *shape)
{
  const CfmPlanStage *conv = &plan->stages[CFM_STAGE_CONV];
  const CfmPlanStage *pool = &plan->stages[CFM_STAGE_POOL];

  memset (shape, 0, sizeof *shape);
  shape->n_filters = plan->n_maps;
  shape->in_width = plan->width;
  shape->in_height = plan->height;
  shape->conv_width = conv->map_w;
  shape->conv_height = conv->map_h;
  shape->pool_width = pool->map_w;
  shape->pool_height = pool->map_h;
  if (plan->model == NULL)
    cfm_pipeline_dropped (&plan->pl, &shape->dropped_cols,
                          &shape->dropped_rows);
}

gint
cfm_plan_filter_index (const CfmPlan *plan, gint number)
{
  gint f;

  for (f = 0; f < plan->n_maps; f++)
    if (plan->numbers[f] == number)
      return f;
  return -1;
}

void
cfm_plan_display_range (const CfmPlan *plan, const CfmStats *map,
                        const CfmStats *set, gfloat *lo, gfloat *hi)
{
  gint norm = plan->vals.v[CFM_ARG_NORMALIZE].i;
  gboolean diverging = plan->vals.v[CFM_ARG_COLORMAP].i
                       == CFM_COLORMAP_DIVERGING;
  CfmRangeMode mode = norm == CFM_NORMALIZE_PER_MAP ? CFM_RANGE_PER_MAP
                      : norm == CFM_NORMALIZE_PER_STAGE ? CFM_RANGE_SHARED
                      : diverging ? CFM_RANGE_FIXED : CFM_RANGE_NONE;

  cfm_display_range (mode, diverging, map, set, -1.0f, 1.0f, lo, hi);
}
