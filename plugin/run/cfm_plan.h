/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_plan.h: a run's plan, made once from the arguments: the bank loaded,
 * expanded and selected, the bias, the pipeline, each stage's size and
 * place, and the shape the dialogs show.  The run, the dialogs' summary
 * and the preview all take a plan; nothing parses kernels again. */
#ifndef CFM_PLAN_H
#define CFM_PLAN_H

#include "cfm_args.h"
#include "cfm_display.h"
#include "cfm_labels.h"
#include "cfm_host.h"
#include "cfm_model.h"
#include "cfm_pipeline.h"

/* One stage's maps as layers. */
typedef struct
{
  gboolean shown;
  gint     map_w, map_h;
  gint     scale;      /* layer pixels per map pixel, as written */
  gint     x, y;       /* the layer's position in the image */
  gint     shown_w, shown_h;   /* the layer's size once scaled over the
                                  photo ("input-size" with "align"), or 0:
                                  as written */
} CfmPlanStage;

/* What a plan's maps come from, loaded once (for plans on several
 * drawables, and the dialog's plans): a bank's kernels, expanded, or a
 * trained model read from its file. */
typedef struct
{
  CfmBank   full;
  CfmModel *model;        /* shared by the plans made on it (a GRcBox), or
                             NULL */
  gchar    *model_name;   /* the model file's name */
  GeglRectangle patch;    /* the filter bank "selection": the patch, in
                             its drawable's buffer coordinates */
} CfmLoaded;

/* A trained model's part of a plan (cfm_plan_model.c). */
typedef struct
{
  CfmModel *model;                   /* a reference */
  gchar    *name;                    /* its file's name */
  CfmGraphBlock block;               /* the chosen layer's convolution
                                        block in the model's graph
                                        (block.n 0: none) */
  gint      stage_node[CFM_N_STAGES];   /* each shown stage's node, or -1 */
  gint      node;                    /* a layer in no convolution's block:
                                        the node whose output is shown (as
                                        the CONV stage), else -1 */
  gfloat    mean[3], std[3];         /* the input normalisation */
} CfmPlanModel;

/* A run's class activation maps (cfm_plan_cam.c). */
typedef struct
{
  CfmCamMethod  method;     /* CFM_CAM_NONE: none */
  gint          at;         /* the layer's value in the plan's graph */
  gchar        *layer;      /* the layer's name, as the layers say it */
  gint         *classes;    /* each map's class; -1: the most probable */
  gint          n_classes;
} CfmPlanCam;

typedef struct
{
  CfmArgValues  vals;       /* the run's arguments, the plan's own copy */
  CfmBank       full;       /* the bank loaded and expanded */
  CfmBank       bank;       /* the selected filters, input channels set (a
                               model: the block's kernels of the selected
                               channels) */
  gint          n_maps;     /* maps a stage: filters or channels selected */
  gint         *numbers;    /* their 1-based numbers in the full bank, or
                               the channels' in the block */
  gfloat       *bias;       /* one per selected filter */
  CfmPipeline   pl;         /* on bank and bias (not for a model) */
  CfmPlanModel *model;      /* a trained model's block, or NULL */
  CfmGraph      graph;      /* what computes the maps, sized for the
                               input: the bank's three nodes, or the
                               model's network (the plan's own copy) */
  gint          value[CFM_N_STAGES];   /* each stage's value in GRAPH, or
                                          -1 */
  gint         *channel;    /* each map's channel in its value */
  gint          logits;     /* a classifier's output in GRAPH (a vector
                               of its classes' logits), or -1 */
  CfmPlanCam    cam;        /* "cam" and "cam-class" */
  CfmLabels     labels;     /* their names ("labels"), or none */
  GeglRectangle patch;      /* LOADED's patch (the filter bank
                               "selection"), or empty */
  CfmPlanStage  stages[CFM_N_STAGES];
  gint          width, height, channels;   /* the network's input */
  gint          source_width, source_height;   /* the area read from the
                                                  drawable: the input's
                                                  size before "input-size"
                                                  resizes it */
  gint          origin_x, origin_y;        /* the input's image position */
  gboolean      image_rgb;
} CfmPlan;

/* The sizes a run will produce, for the dialog to show. */
typedef struct
{
  gint n_filters;
  gint in_width, in_height;
  gint conv_width, conv_height;
  gint pool_width, pool_height;   /* 0 when pooling is off */
  gint dropped_cols, dropped_rows;   /* input pixels no output covers */
} CfmRunShape;

/* Checks VALS and plans a run on an input of WIDTH x HEIGHT at image
 * position ORIGIN_X, ORIGIN_Y of an RGB (IMAGE_RGB) or gray image; NULL
 * with a message for the user when something is wrong. */
CfmPlan *cfm_plan_new (const CfmArgValues *vals, gboolean image_rgb,
                       gint width, gint height, gint origin_x, gint origin_y,
                       GError **error);

/* What VALS name (after checking VALS), loaded into LOADED: the kernels,
 * expanded, or the model; the part of a plan that parses text or reads a
 * file. */
gboolean cfm_plan_load (const CfmArgValues *vals, CfmLoaded *loaded,
                        GError **error);
void     cfm_loaded_clear (CfmLoaded *loaded);

/* The filter bank "selection": the rectangle PATCH of SOURCE's buffer
 * (buffer coordinates) read as the network's input (VALS's "input") and
 * made zero-mean and of unit norm, then expanded, into LOADED. */
gboolean cfm_plan_load_patch (const CfmArgValues *vals,
                              const CfmSource *source,
                              const GeglRectangle *patch, CfmLoaded *loaded,
                              GError **error);

/* cfm_plan_load, or for the filter bank "selection" cfm_plan_load_patch
 * on PATCH of BUFFER (a drawable's) of an RGB (IMAGE_RGB) or gray image. */
gboolean cfm_plan_load_on (const CfmArgValues *vals, GeglBuffer *buffer,
                           gboolean image_rgb, const GeglRectangle *patch,
                           CfmLoaded *loaded, GError **error);

/* cfm_plan_new on what cfm_plan_load loaded for the same bank, kernel
 * text or file, expansion, model and network as VALS name (a plan for a
 * second drawable, the dialog's plans). */
CfmPlan *cfm_plan_new_on (const CfmLoaded *loaded, const CfmArgValues *vals,
                          gboolean image_rgb, gint width, gint height,
                          gint origin_x, gint origin_y, GError **error);

/* The part of PLAN for NODE of the model's graph (cfm_plan_node.c): a
 * convolution's block as its stages, any other node's output as the
 * plan's one stage. */
gboolean cfm_plan_node (CfmPlan *plan, gint node, GError **error);

/* PLAN's own copy of its model's graph, sized for its input; a message
 * naming WHAT when the model's graph cannot be sized (cfm_plan_model.c). */
gboolean cfm_plan_size_graph (CfmPlan *plan, const gchar *what,
                              GError **error);

/* Where PLAN's sized graph ends in a classifier: its logits' value (the
 * network's output, a vector whose producer runs) and the "labels" for
 * it, refused when their count is not its classes' (cfm_plan_model.c). */
gboolean cfm_plan_classifier (CfmPlan *plan, GError **error);

/* The class activation maps of PLAN at NODE of its model's graph, from
 * "cam" and "cam-class": refused with a message when the network has no
 * classifier, a class is not one of its classes, the method cannot run
 * there, or its pass would pass the memory limit (cfm_plan_cam.c). */
gboolean cfm_plan_cam (CfmPlan *plan, gint node, GError **error);
void     cfm_plan_cam_clear (CfmPlanCam *cam);

/* The colormap of PLAN's class activation maps: the maps' own, but a
 * heat map over the photo ("align") is never gray (jet, the anchors'
 * default, instead), and a gray image's maps are. */
CfmColormap cfm_plan_cam_colormap (const CfmPlan *plan);

/* The class of PLAN's map I: "cam-class"'s, or the most probable of the N
 * LOGITS. */
gint cfm_plan_cam_class (const CfmPlan *plan, const gfloat *logits, gint n,
                         gint i);

/* The model part of PLAN, on LOADED's model (cfm_plan_model.c). */
gboolean cfm_plan_model (CfmPlan *plan, const CfmLoaded *loaded,
                         GError **error);
void     cfm_plan_model_free (CfmPlanModel *model);
/* Lets a reference to MODEL go (NULL: nothing). */
void     cfm_plan_model_release (CfmModel *model);

/* Refuses a colormap other than gray on a gray image. */
gboolean cfm_plan_check_colormap (const CfmPlan *plan, GError **error);

/* Opens the model file and network VALS name into LOADED (the file
 * mapped, only the network's tensors read). */
gboolean cfm_plan_load_model (const CfmArgValues *vals, CfmLoaded *loaded,
                              GError **error);

/* Whether MODEL's file (NAME) changed on disk since it was opened (written,
 * replaced, resized, or shrunk under its mapping), with ERROR saying so:
 * what was computed from it is to be discarded. */
gboolean cfm_plan_model_changed (const CfmModel *model, const gchar *name,
                                 GError **error);

void cfm_plan_free (CfmPlan *plan);

void cfm_plan_shape (const CfmPlan *plan, CfmRunShape *shape);

/* The index among the plan's filters of filter NUMBER, or -1. */
gint cfm_plan_filter_index (const CfmPlan *plan, gint number);

/* The display range of a map with statistics MAP in a stage with
 * statistics SET, as the plan's normalize and colormap say. */
void cfm_plan_display_range (const CfmPlan *plan, const CfmStats *map,
                             const CfmStats *set, gfloat *lo, gfloat *hi);

#endif
