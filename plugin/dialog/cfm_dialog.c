/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_dialog.c: what both dialogs share: frames, greying out, the summary,
 * the preview's values (its API: cfm_dialog.h). */
#include "config.h"

#include <string.h>

#include "cfm_dialog.h"
#include "cfm_i18n.h"
#include "cfm_model_summary.h"
#include "cfm_resize.h"
#include "cfm_plan.h"
#include "cfm_preview.h"
#include "cfm_script.h"

const CfmDialogGroup cfm_dialog_groups[CFM_DIALOG_N_GROUPS] = {
  { CFM_GROUP_FILTERS, 0 },
  { CFM_GROUP_CONV, 0 },
  { CFM_GROUP_MODEL, 1 },
  { CFM_GROUP_ACTIVATION, 1 },
  { CFM_GROUP_POOLING, 1 },
  { CFM_GROUP_DISPLAY, 1 },
};

/* A model's own convolution, activation and pooling rule: their arguments
 * go grey for it. */
#define UNLESS_MODEL(arg) { arg, CFM_ARG_FILTER_BANK, CFM_BANK_MODEL, TRUE }
#define FOR_MODEL(arg)    { arg, CFM_ARG_FILTER_BANK, CFM_BANK_MODEL, FALSE }

const CfmSensitivity cfm_dialog_rules[CFM_DIALOG_N_RULES] = {
  { CFM_ARG_KERNELS, CFM_ARG_FILTER_BANK, CFM_BANK_CUSTOM, FALSE },
  { CFM_ARG_KERNEL_FILE, CFM_ARG_FILTER_BANK, CFM_BANK_FILE, FALSE },
  { CFM_ARG_NEGATIVE_SLOPE, CFM_ARG_ACTIVATION, CFM_ACT_LEAKY_RELU, FALSE },
  { CFM_ARG_POOL_TYPE, CFM_ARG_SHOW_POOL, TRUE, FALSE },
  { CFM_ARG_POOL_SIZE, CFM_ARG_SHOW_POOL, TRUE, FALSE },
  { CFM_ARG_POOL_STRIDE, CFM_ARG_SHOW_POOL, TRUE, FALSE },
  FOR_MODEL (CFM_ARG_MODEL_FILE),
  FOR_MODEL (CFM_ARG_NETWORK),
  FOR_MODEL (CFM_ARG_LAYER),
  FOR_MODEL (CFM_ARG_INPUT_NORMALIZE),
  FOR_MODEL (CFM_ARG_LABELS),
  FOR_MODEL (CFM_ARG_INPUT_SIZE),
  FOR_MODEL (CFM_ARG_CAM),
  FOR_MODEL (CFM_ARG_CAM_CLASS),
  UNLESS_MODEL (CFM_ARG_BIAS),
  UNLESS_MODEL (CFM_ARG_STRIDE),
  UNLESS_MODEL (CFM_ARG_PADDING),
  UNLESS_MODEL (CFM_ARG_PADDING_MODE),
  UNLESS_MODEL (CFM_ARG_DILATION),
  UNLESS_MODEL (CFM_ARG_ACTIVATION),
  UNLESS_MODEL (CFM_ARG_NEGATIVE_SLOPE),
  UNLESS_MODEL (CFM_ARG_POOL_TYPE),
  UNLESS_MODEL (CFM_ARG_POOL_SIZE),
  UNLESS_MODEL (CFM_ARG_POOL_STRIDE),
  UNLESS_MODEL (CFM_ARG_EXPAND),
};

static gboolean
rule_holds (const CfmSensitivity *rule, const CfmArgValues *vals)
{
  gboolean has = cfm_arg_specs[rule->when].type == CFM_TYPE_BOOLEAN
                 ? (vals->v[rule->when].i != 0) == (rule->value != 0)
                 : vals->v[rule->when].i == rule->value;

  return rule->unless ? !has : has;
}

gboolean
cfm_dialog_has_rule (CfmArgId arg)
{
  gint i;

  for (i = 0; i < CFM_DIALOG_N_RULES; i++)
    if (cfm_dialog_rules[i].arg == arg)
      return TRUE;
  return FALSE;
}

gboolean
cfm_dialog_sensitive (CfmArgId arg, const CfmArgValues *vals)
{
  gint i;

  for (i = 0; i < CFM_DIALOG_N_RULES; i++)
    if (cfm_dialog_rules[i].arg == arg
        && !rule_holds (&cfm_dialog_rules[i], vals))
      return FALSE;
  return TRUE;
}

gboolean
cfm_dialog_text_view (CfmArgId arg)
{
  return arg == CFM_ARG_KERNELS || arg == CFM_ARG_NETWORK;
}

void
cfm_dialog_init (CfmDialogState *st, const GeglRectangle *area,
                 gboolean image_rgb)
{
  memset (st, 0, sizeof *st);
  st->area = *area;
  st->image_rgb = image_rgb;
}

void
cfm_dialog_set_drawable (CfmDialogState *st, GeglBuffer *buffer, gint width,
                         gint height)
{
  g_clear_object (&st->buffer);
  st->buffer = g_object_ref (buffer);
  st->whole = (GeglRectangle) { 0, 0, width, height };
}

/* The part of the drawable a run maps. */
static const GeglRectangle *
mapped_area (const CfmDialogState *st)
{
  return st->has_vals && st->buffer
         && st->vals.v[CFM_ARG_FILTER_BANK].i == CFM_BANK_SELECTION
         ? &st->whole : &st->area;
}

void
cfm_dialog_clear (CfmDialogState *st)
{
  g_clear_object (&st->buffer);
  if (st->has_vals)
    cfm_args_clear (&st->vals);
  g_free (st->bank_key);
  cfm_loaded_clear (&st->loaded);
  g_clear_error (&st->bank_error);
}

/* The arguments that name the kernels, as one text. */
static gchar *
bank_key (const CfmArgValues *vals)
{
  static const CfmArgId naming[] = {
    CFM_ARG_FILTER_BANK, CFM_ARG_KERNELS, CFM_ARG_KERNEL_FILE, CFM_ARG_EXPAND,
    CFM_ARG_MODEL_FILE, CFM_ARG_NETWORK
  };
  GString *key = g_string_new (NULL);
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (naming); i++)
    {
      gchar *text = cfm_args_value_text (vals, naming[i]);

      g_string_append_printf (key, "%s\n%s\n", cfm_arg_specs[naming[i]].name,
                              text);
      g_free (text);
    }
  return g_string_free (key, FALSE);
}

void
cfm_dialog_set_values (CfmDialogState *st, const CfmArgValues *vals)
{
  gchar *key = bank_key (vals);

  if (st->has_vals)
    cfm_args_clear (&st->vals);
  cfm_args_copy (&st->vals, vals);
  st->has_vals = TRUE;
  /* A file's contents can change under the same name: a kernel file is
   * read anew, a model kept while its file's size and time stay (a change
   * of layer, channel or input reads nothing). */
  if (st->bank_key && strcmp (key, st->bank_key) == 0
      && vals->v[CFM_ARG_FILTER_BANK].i != CFM_BANK_FILE
      && !(st->loaded.model && cfm_file_changed (st->loaded.model->file)))
    {
      g_free (key);
      return;
    }
  g_free (st->bank_key);
  st->bank_key = key;
  cfm_loaded_clear (&st->loaded);
  g_clear_error (&st->bank_error);
  if (vals->v[CFM_ARG_FILTER_BANK].i == CFM_BANK_SELECTION && st->buffer
      && (st->area.width > CFM_PATCH_MAX || st->area.height > CFM_PATCH_MAX))
    g_set_error (&st->bank_error, CFM_ERROR, 0,
                 _("The filter bank \"selection\" takes its kernel from the "
                   "selection: select a patch of at most %d x %d pixels."),
                 CFM_PATCH_MAX, CFM_PATCH_MAX);
  else
    cfm_plan_load_on (vals, st->buffer, st->image_rgb, &st->area,
                      &st->loaded, &st->bank_error);
}

/* The dialog's plan for its area, or NULL with ERROR. */
static CfmPlan *
dialog_plan (CfmDialogState *st, GError **error)
{
  const GeglRectangle *area = mapped_area (st);

  if (st->bank_error)
    {
      *error = g_error_copy (st->bank_error);
      return NULL;
    }
  return cfm_plan_new_on (&st->loaded, &st->vals, st->image_rgb,
                          area->width, area->height, 0, 0, error);
}

/* "Input W x H: N filters, maps W x H, pooled W x H" and the dropped
 * edges. */
static gchar *
sizes_text (const CfmRunShape *shape)
{
  gchar *pool = shape->pool_width
    ? g_strdup_printf (_(", pooled %d x %d"), shape->pool_width,
                       shape->pool_height)
    : g_strdup ("");
  gchar *dropped = shape->dropped_cols || shape->dropped_rows
    ? g_strdup_printf (_("\n%d columns and %d rows at the right and "
                         "bottom edges reach no output."),
                       shape->dropped_cols, shape->dropped_rows)
    : g_strdup ("");
  gchar *text = g_strdup_printf (_("Input %d x %d: %d filters, maps %d x %d"
                                   "%s%s"),
                                 shape->in_width, shape->in_height,
                                 shape->n_filters, shape->conv_width,
                                 shape->conv_height, pool, dropped);

  g_free (pool);
  g_free (dropped);
  return text;
}

/* The texts of many lines a call names instead of giving them: each
 * argument, how the Script-Fu call names it and the file the batch command
 * reads it from. */
static const struct
{
  CfmArgId     arg;
  const gchar *in_call, *file;
} long_texts[] = {
  { CFM_ARG_NETWORK, N_("(the network text)"), "@network.txt" },
  { CFM_ARG_LABELS, N_("(the labels)"), "@labels.txt" },
};

/* VALS with the texts of many lines in long_texts replaced by their
 * names in the call (IN_CALL) or their files. */
static void
shorten_texts (CfmArgValues *vals, gboolean in_call)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (long_texts); i++)
    {
      gchar **text = &vals->v[long_texts[i].arg].s;

      if (*text == NULL || strchr (*text, '\n') == NULL)
        continue;
      g_free (*text);
      *text = g_strdup (in_call ? _(long_texts[i].in_call)
                                : long_texts[i].file);
    }
}

/* The Script-Fu call and the batch line that repeat a run of VALS; a
 * network text or labels of many lines stand in them by name (the batch
 * command reads them from a file). */
static void
calls (const CfmArgValues *vals, gint gimp_major, gchar **call, gchar **line)
{
  gboolean set[CFM_N_ARGS];
  CfmArgValues short_vals;

  cfm_script_changed (vals, set);
  cfm_args_copy (&short_vals, vals);
  shorten_texts (&short_vals, TRUE);
  *call = cfm_script_call (&short_vals, set, gimp_major);
  cfm_args_clear (&short_vals);
  cfm_args_copy (&short_vals, vals);
  shorten_texts (&short_vals, FALSE);
  *line = cfm_script_batch_line (&short_vals);
  cfm_args_clear (&short_vals);
}

/* "Block features.3 .. features.6: 8 channels shown of 8; maps 451 x
 * 300 (features.3, features.5), 225 x 150 (features.6)". */
static gchar *
block_text (const CfmPlan *plan)
{
  const CfmPlanModel *pm = plan->model;
  const CfmGraph *g = &plan->graph;
  gint conv = pm->block.stage[CFM_BLOCK_CONV];
  GString *maps;
  gchar *text;
  gint s;

  if (pm->node >= 0)
    return g_strdup_printf (_("Node %s: %d of %d channels, maps %d x %d"),
                            cfm_graph_node_label (g, pm->node),
                            plan->n_maps,
                            g->values[plan->value[CFM_STAGE_CONV]].c,
                            plan->stages[CFM_STAGE_CONV].map_w,
                            plan->stages[CFM_STAGE_CONV].map_h);
  maps = g_string_new (NULL);
  for (s = 0; s < CFM_N_STAGES; s++)
    if (pm->stage_node[s] >= 0)
      g_string_append_printf (maps, "%s%s: %d x %d", maps->len ? ", " : "",
                              cfm_graph_node_label (g, pm->stage_node[s]),
                              plan->stages[s].map_w, plan->stages[s].map_h);
  text = g_strdup_printf (_("Block %s .. %s: %d of %d channels, maps %s"),
                          cfm_graph_node_label (g, conv),
                          cfm_graph_node_label (g, pm->block.nodes
                                                       [pm->block.n - 1]),
                          plan->n_maps, g->nodes[conv].m.out_c, maps->str);
  g_string_free (maps, TRUE);
  return text;
}

/* torchvision's classifiers' training size, which the summary suggests
 * as "input-size" for a classifier run at the image's own size. */
#define TRAINED_SIDE 224

/* What a model's input is: resized, or the image's own size with a hint
 * for a classifier; "" for neither. */
static gchar *
input_text (const CfmPlan *plan)
{
  gint side = plan->vals.v[CFM_ARG_INPUT_SIZE].i;

  if (side > 0)
    return g_strdup_printf (_("\nInput %d x %d: the image's %d x %d "
                              "resized to a shorter side of %d."),
                            plan->width, plan->height, plan->source_width,
                            plan->source_height, side);
  if (plan->logits >= 0
      && MIN (plan->source_width, plan->source_height) != TRAINED_SIDE)
    return g_strdup_printf (_("\nA classifier sees best at the size it was "
                              "trained at: torchvision's were trained on "
                              "photos resized to %d pixels (Input size "
                              "%d); at %d x %d it may see another class."),
                            TRAINED_SIDE, TRAINED_SIDE, plan->source_width,
                            plan->source_height);
  return g_strdup ("");
}

/* The model's summary table for the dialog's area, as the network sees it
 * (resized where "input-size" says). */
static gchar *
model_table (const CfmDialogState *st)
{
  gint side = st->vals.v[CFM_ARG_INPUT_SIZE].i;
  gint w = st->area.width, h = st->area.height;

  if (st->loaded.model == NULL)
    return g_strdup ("");
  if (side > 0 && cfm_resize_size (st->area.height, st->area.width, side,
                                   &h, &w, NULL) != CFM_OK)
    w = st->area.width, h = st->area.height;
  return cfm_model_summary (st->loaded.model, st->vals.v[CFM_ARG_LAYER].s,
                            w, h);
}

gchar *
cfm_dialog_summary (CfmDialogState *st, gint gimp_major)
{
  GError *error = NULL;
  CfmPlan *plan = dialog_plan (st, &error);
  gchar *sizes, *call, *line, *text, *table;
  CfmRunShape shape;

  table = model_table (st);
  if (plan == NULL)
    {
      text = g_markup_printf_escaped ("<span foreground=\"#c01c28\">%s"
                                      "</span>\n", error->message);
      g_clear_error (&error);
      line = g_strconcat (table, text, NULL);
      g_free (text);
      g_free (table);
      return line;
    }
  cfm_plan_shape (plan, &shape);
  if (plan->model)
    {
      gchar *block = block_text (plan), *input = input_text (plan);

      sizes = g_strconcat (block, input, NULL);
      g_free (block);
      g_free (input);
    }
  else
    sizes = sizes_text (&shape);
  cfm_plan_free (plan);
  calls (&st->vals, gimp_major, &call, &line);
  text = g_markup_printf_escaped ("%s\n<small><tt>%s\n%s</tt></small>",
                                  sizes, call, line);
  g_free (sizes);
  g_free (call);
  g_free (line);
  line = g_strconcat (table, text, NULL);
  g_free (text);
  g_free (table);
  return line;
}

gchar *
cfm_dialog_preview (CfmDialogState *st, GeglBuffer *buffer,
                    const GeglRectangle *view, gint filter, CfmStage stage,
                    guchar *rgb)
{
  CfmSource source = { buffer, *mapped_area (st), 0, 0, st->image_rgb, NULL,
                       0 };
  GError *error = NULL;
  gchar *note;

  if (st->bank_error)
    {
      memset (rgb, CFM_PREVIEW_EMPTY, (gsize) view->width * view->height * 3);
      return g_strdup (st->bank_error->message);
    }
  if (cfm_preview_draw (&st->loaded, &st->vals, &source, view, filter, stage,
                        rgb, &error))
    return NULL;
  note = g_strdup (error->message);
  g_clear_error (&error);
  return note;
}
