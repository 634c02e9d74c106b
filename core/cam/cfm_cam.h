/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_cam.h: class activation maps: where in the image a classifier finds
 * the evidence for a class, at any map value of its graph, by the methods
 * of the anchors (jacobgil/pytorch-grad-cam, frgfm/torch-cam): CAM,
 * Grad-CAM, Grad-CAM++ and Layer-CAM.  A map is the layer's channels
 * weighted (per channel, or per pixel for Layer-CAM) and summed, then a
 * ReLU: unscaled and at the layer's own size; scaling and upsampling are
 * the display's. */
#ifndef CFM_CAM_H
#define CFM_CAM_H

#include "cfm_graph_grad.h"

typedef enum
{
  CFM_CAM_NONE,
  CFM_CAM_CAM,            /* the last Linear's weights: no gradient */
  CFM_CAM_GRAD,           /* Grad-CAM: the gradient's mean per channel */
  CFM_CAM_GRAD_PLUS_PLUS, /* Grad-CAM++: its second-order weights */
  CFM_CAM_LAYER,          /* Layer-CAM: the positive gradient per pixel */
  CFM_CAM_METHODS
} CfmCamMethod;

/* The method's argument name ("grad-cam"). */
const char *cfm_cam_method_name (CfmCamMethod method);

/* The method NAME names; 0 when none does. */
int cfm_cam_method_parse (const char *name, CfmCamMethod *method);

/* One image's class activation maps at one value of a graph. */
typedef struct
{
  CfmCamMethod  method;
  const CfmGraph *g;
  int           at, scores;      /* the layer's value, the class scores' */
  int           k, h, w;         /* the layer's channels and size */
  const float  *a;               /* the layer's maps (K x H x W) */
  const float  *logits;          /* the class scores */
  int           n_classes;
  const float  *linear;          /* CAM: the last Linear's weights, class
                                    n's channel k at linear[n * ln + k *
                                    lk] */
  size_t        ln, lk;
  float         linear_scale;    /* its alpha */
  CfmGraphGrad  grad;            /* the gradient methods' pass */
  float        *kept;            /* CAM's own maps (A, then the scores) */
} CfmCam;

/* Where CAM's weights are: the Linear that makes SCORES from the global
 * average of maps of AT's channel count; a message suggesting a gradient
 * method when the network ends otherwise. */
CfmStatus cfm_cam_linear (const CfmGraph *g, int at, int scores,
                          CfmCam *cam, CfmError *err);

/* Whether METHOD can run at value AT of G (sized) with class scores
 * SCORES: CAM's Linear (cfm_cam_linear), the others' gradient pass
 * (cfm_graph_grad_check); else the message that says why. */
CfmStatus cfm_cam_check (const CfmGraph *g, CfmCamMethod method, int at,
                         int scores, CfmError *err);

/* Runs G (sized) on the input READ gives for METHOD at value AT, the
 * class scores being value SCORES (a vector): the forward pass, which
 * keeps what each class's map needs (cfm_graph_grad.h for the gradient
 * methods).  Refusals name the reason: no such Linear for CAM, a node
 * with no backward step, the memory limit (with the pass's size). */
CfmStatus cfm_cam_run (CfmCam *cam, const CfmGraph *g, CfmCamMethod method,
                       int at, int scores, CfmRowReader read,
                       void *read_data, CfmError *err);

/* Class CLS's map (H x W, unscaled, after the ReLU) into MAP; with
 * CONTRIB (K values, or NULL) each channel's weight (for Layer-CAM, the
 * mean of its per-pixel weights), whose product with the channel's maps
 * the map sums. */
CfmStatus cfm_cam_class (const CfmCam *cam, int cls, float *map,
                         float *contrib, CfmError *err);

/* Each channel's share of class CLS's map at pixel (I, J), before the
 * ReLU: its weight there times its activation there (CAM, Grad-CAM and
 * Grad-CAM++ weigh a channel alike everywhere, Layer-CAM by its positive
 * gradient at the pixel), into CONTRIB (K values); their sum, after the
 * ReLU, is the map's value there. */
CfmStatus cfm_cam_pixel (const CfmCam *cam, int cls, int i, int j,
                         float *contrib, CfmError *err);

/* The map of METHOD from the layer's maps A (K x H x W) and the class's
 * gradient G there (CAM: G is NULL, WEIGHTS its K weights), into MAP (H
 * x W); each channel's weight into CHANNEL_WEIGHTS (K, or NULL). */
void cfm_cam_combine (CfmCamMethod method, const float *a, const float *g,
                      const float *weights, int k, int h, int w, float *map,
                      float *channel_weights);

/* Rows [ROW0, ROW0 + ROWS) of MAP (H x W) upsampled to OUT_H x OUT_W as
 * the anchors lay a map over the image (F.interpolate's bilinear with
 * align_corners off, cv2.resize's INTER_LINEAR) into DST (ROWS x OUT_W). */
void cfm_cam_upsample (const float *map, int h, int w, int out_h, int out_w,
                       int row0, int rows, float *dst);

void cfm_cam_free (CfmCam *cam);

#endif
