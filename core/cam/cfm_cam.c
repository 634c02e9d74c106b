/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_cam.c: class activation maps: the methods' names, CAM's Linear, the
 * forward pass each method needs, each class's map (its API: cfm_cam.h). */
#include "cfm_cam.h"

#include <stdlib.h>
#include <string.h>

#include "cfm_op.h"

static const char *const method_names[CFM_CAM_METHODS] = {
  "none", "cam", "grad-cam", "grad-cam-plus-plus", "layer-cam"
};

/* Grad-CAM++'s term in its weights' denominator that keeps a gradient
 * near 0 from dividing by 0, as pytorch-grad-cam has it. */
#define PLUS_PLUS_EPS 1e-6

const char *
cfm_cam_method_name (CfmCamMethod method)
{
  return method >= 0 && method < CFM_CAM_METHODS ? method_names[method]
                                                 : "";
}

int
cfm_cam_method_parse (const char *name, CfmCamMethod *method)
{
  int m;

  for (m = 0; m < CFM_CAM_METHODS && name; m++)
    if (strcmp (name, method_names[m]) == 0)
      {
        *method = (CfmCamMethod) m;
        return 1;
      }
  return 0;
}

/* The node whose output V is, or NULL. */
static const CfmNode *
producer (const CfmGraph *g, int v)
{
  return v >= 0 && g->values[v].producer >= 0
         ? &g->nodes[g->values[v].producer] : NULL;
}

/* Whether node N passes its one map input on as it is for CAM's walk: a
 * Dropout or Identity, a Flatten or Reshape of the pooled channels. */
static int
passes_on (const CfmNode *n)
{
  return n->op && (strcmp (n->op->name, "Identity") == 0
                   || strcmp (n->op->name, "Flatten") == 0
                   || strcmp (n->op->name, "Reshape") == 0);
}

CfmStatus
cfm_cam_linear (const CfmGraph *g, int at, int scores, CfmCam *cam,
                CfmError *err)
{
  const CfmNode *fc = producer (g, scores), *n;
  int v;

  if (fc == NULL || fc->op == NULL || strcmp (fc->op->name, "Gemm") != 0
      || g->values[fc->inputs[0]].rank != 2)
    return cfm_error_set (err, CFM_ERR_ARG, "cam needs a network whose "
                          "scores come from one Linear after a global "
                          "average pooling; this one's come from %s (%s): "
                          "try grad-cam", fc ? fc->name : "its input",
                          fc ? fc->type : "none");
  for (v = fc->inputs[0], n = producer (g, v); n && passes_on (n);
       n = producer (g, v))
    v = n->inputs[0];
  if (n == NULL || n->op == NULL || strcmp (n->op->name, "GlobalPool") != 0
      || n->m.kind == CFM_MODULE_MAXPOOL || n->n_ints == 1)
    return cfm_error_set (err, CFM_ERR_ARG, "cam needs a network whose "
                          "Linear %s reads a global average pooling; try "
                          "grad-cam", fc->name);
  if (g->values[at].c != fc->m.in_c)
    return cfm_error_set (err, CFM_ERR_ARG, "cam weighs the %d channels the "
                          "Linear %s reads; %s has %d: choose the layer "
                          "before the pooling, or grad-cam", fc->m.in_c,
                          fc->name, g->values[at].name, g->values[at].c);
  cam->linear = fc->m.weight;
  cam->ln = fc->trans_b ? (size_t) fc->m.in_c : 1;
  cam->lk = fc->trans_b ? 1 : (size_t) fc->m.out_c;
  cam->linear_scale = fc->alpha;
  return CFM_OK;
}

CfmStatus
cfm_cam_check (const CfmGraph *g, CfmCamMethod method, int at, int scores,
               CfmError *err)
{
  CfmCam cam;

  if (method == CFM_CAM_CAM)
    return cfm_cam_linear (g, at, scores, &cam, err);
  return cfm_graph_grad_check (g, at, scores, err);
}

typedef struct
{
  int    at, scores;
  float *a, *s;
} Kept;

/* The layer's and the scores' rows into CAM's maps. */
static CfmStatus
keep_two (void *data, int value, const float *rows, size_t plane, int c,
          int h, int w, int row0, int nrows, CfmError *err)
{
  Kept *k = data;
  float *map = value == k->at ? k->a : k->s;
  int ch;

  (void) err;
  for (ch = 0; ch < c; ch++)
    memcpy (map + ((size_t) ch * h + row0) * w, rows + ch * plane,
            (size_t) nrows * w * sizeof (float));
  return CFM_OK;
}

/* CAM's forward pass: the layer's maps and the scores, nothing kept for a
 * backward pass. */
static CfmStatus
run_cam (CfmCam *cam, CfmRowReader read, void *read_data, CfmError *err)
{
  size_t na = (size_t) cam->k * cam->h * cam->w;
  int want[2] = { cam->at, cam->scores };
  Kept k;

  cam->kept = malloc ((na + (size_t) cam->n_classes) * sizeof (float));
  if (cam->kept == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "no memory for the layer's "
                          "maps");
  k = (Kept) { cam->at, cam->scores, cam->kept, cam->kept + na };
  cam->a = k.a;
  cam->logits = k.s;
  return cfm_graph_run (cam->g, want, 2, cam->h, read, read_data, keep_two,
                        &k, err);
}

CfmStatus
cfm_cam_run (CfmCam *cam, const CfmGraph *g, CfmCamMethod method, int at,
             int scores, CfmRowReader read, void *read_data, CfmError *err)
{
  CfmStatus status;

  memset (cam, 0, sizeof *cam);
  cam->method = method;
  cam->g = g;
  cam->at = at;
  cam->scores = scores;
  cam->k = g->values[at].c;
  cam->h = g->values[at].h;
  cam->w = g->values[at].w;
  cam->n_classes = g->values[scores].c;
  if (method <= CFM_CAM_NONE || method >= CFM_CAM_METHODS)
    return cfm_error_set (err, CFM_ERR_ARG, "no class activation map method "
                          "%d", (int) method);
  if (method == CFM_CAM_CAM)
    {
      status = cfm_cam_linear (g, at, scores, cam, err);
      return status == CFM_OK ? run_cam (cam, read, read_data, err) : status;
    }
  status = cfm_graph_grad_forward (&cam->grad, g, at, scores, read, read_data,
                                   err);
  cam->a = cam->grad.maps ? cam->grad.maps[at] : NULL;
  cam->logits = cam->grad.maps ? cam->grad.maps[scores] : NULL;
  return status;
}

/* Grad-CAM++'s weight of one channel: its gradient G and maps A over N
 * pixels. */
static double
plus_plus_weight (const float *a, const float *g, size_t n)
{
  double sum_a = 0.0, weight = 0.0;
  size_t i;

  for (i = 0; i < n; i++)
    sum_a += a[i];
  for (i = 0; i < n; i++)
    {
      double g2 = (double) g[i] * g[i], g3 = g2 * g[i];

      if (g[i] > 0.0f)   /* relu (g) * aij; aij is 0 where g is */
        weight += g[i] * g2 / (2.0 * g2 + sum_a * g3 + PLUS_PLUS_EPS);
    }
  return weight;
}

/* Channel weights for the methods that weigh whole channels. */
static double
channel_weight (CfmCamMethod method, const float *a, const float *g,
                size_t n)
{
  double sum = 0.0;
  size_t i;

  if (method == CFM_CAM_GRAD_PLUS_PLUS)
    return plus_plus_weight (a, g, n);
  for (i = 0; i < n; i++)   /* Grad-CAM's mean; Layer-CAM's, for show */
    sum += method == CFM_CAM_LAYER ? (g[i] > 0.0f ? g[i] : 0.0f) : g[i];
  return sum / (double) n;
}

void
cfm_cam_combine (CfmCamMethod method, const float *a, const float *g,
                 const float *weights, int k, int h, int w, float *map,
                 float *channel_weights)
{
  size_t n = (size_t) h * w, i;
  double *sum = calloc (n + 1, sizeof *sum);
  int ch;

  for (ch = 0; ch < k && sum; ch++)
    {
      const float *ac = a + ch * n, *gc = g ? g + ch * n : NULL;
      double wt = g ? channel_weight (method, ac, gc, n) : weights[ch];

      if (channel_weights)
        channel_weights[ch] = (float) wt;
      if (method == CFM_CAM_LAYER)
        for (i = 0; i < n; i++)
          sum[i] += (gc[i] > 0.0f ? (double) gc[i] : 0.0) * ac[i];
      else
        for (i = 0; i < n; i++)
          sum[i] += wt * ac[i];
    }
  for (i = 0; i < n; i++)
    map[i] = sum && sum[i] > 0.0 ? (float) sum[i] : 0.0f;
  free (sum);
}

/* Class CLS's channel weights (CAM: the Linear's row) into *WEIGHTS, or
 * its gradient at the layer into *G (the gradient methods); the other
 * NULL. */
static CfmStatus
class_terms (const CfmCam *cam, int cls, float **weights, float **g,
             CfmError *err)
{
  size_t na = (size_t) cam->k * cam->h * cam->w;
  int ch;

  *weights = *g = NULL;
  if (cls < 0 || cls >= cam->n_classes)
    return cfm_error_set (err, CFM_ERR_ARG, "class %d of a classifier of %d "
                          "classes", cls, cam->n_classes);
  if (cam->method == CFM_CAM_CAM)
    {
      if ((*weights = malloc ((size_t) cam->k * sizeof **weights)) == NULL)
        return cfm_error_set (err, CFM_ERR_NOMEM, "no memory for a class "
                              "activation map");
      for (ch = 0; ch < cam->k; ch++)
        (*weights)[ch] = cam->linear_scale
                         * cam->linear[(size_t) cls * cam->ln
                                       + (size_t) ch * cam->lk];
      return CFM_OK;
    }
  if ((*g = malloc (na * sizeof **g)) == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "no memory for a class "
                          "activation map");
  return cfm_graph_grad_class (&cam->grad, cls, *g, err);
}

CfmStatus
cfm_cam_class (const CfmCam *cam, int cls, float *map, float *contrib,
               CfmError *err)
{
  float *weights, *g;
  CfmStatus status = class_terms (cam, cls, &weights, &g, err);

  if (status == CFM_OK)
    cfm_cam_combine (cam->method, cam->a, g, weights, cam->k, cam->h, cam->w,
                     map, contrib);
  free (weights);
  free (g);
  return status;
}

CfmStatus
cfm_cam_pixel (const CfmCam *cam, int cls, int i, int j, float *contrib,
               CfmError *err)
{
  size_t n = (size_t) cam->h * cam->w, at = (size_t) i * cam->w + j;
  float *weights, *g;
  CfmStatus status;
  int ch;

  if (i < 0 || j < 0 || i >= cam->h || j >= cam->w)
    return cfm_error_set (err, CFM_ERR_ARG, "pixel %d, %d of a map of %d x "
                          "%d", i, j, cam->h, cam->w);
  status = class_terms (cam, cls, &weights, &g, err);
  for (ch = 0; ch < cam->k && status == CFM_OK; ch++)
    {
      const float *gc = g ? g + ch * n : NULL;
      double wt = weights ? weights[ch]
                  : cam->method == CFM_CAM_LAYER
                  ? (gc[at] > 0.0f ? gc[at] : 0.0f)
                  : channel_weight (cam->method, cam->a + ch * n, gc, n);

      contrib[ch] = (float) (wt * cam->a[ch * n + at]);
    }
  free (weights);
  free (g);
  return status;
}

/* Output coordinate I's source pixels *I0, *I1 and weight *T of *I1 along
 * an axis of N pixels made OUT: pixel centres matched, clamped at 0. */
static void
source_of (int i, int n, int out, int *i0, int *i1, float *t)
{
  double src = ((double) i + 0.5) * n / out - 0.5;

  src = src < 0.0 ? 0.0 : src;
  *i0 = (int) src;
  *i0 = *i0 > n - 1 ? n - 1 : *i0;
  *i1 = *i0 + 1 < n ? *i0 + 1 : n - 1;
  *t = (float) (src - *i0);
}

void
cfm_cam_upsample (const float *map, int h, int w, int out_h, int out_w,
                  int row0, int rows, float *dst)
{
  int y, x;

  for (y = 0; y < rows; y++)
    {
      int y0, y1;
      float ty;

      source_of (row0 + y, h, out_h, &y0, &y1, &ty);
      for (x = 0; x < out_w; x++)
        {
          const float *r0 = map + (size_t) y0 * w, *r1 = map + (size_t) y1 * w;
          int x0, x1;
          float tx, top, bottom;

          source_of (x, w, out_w, &x0, &x1, &tx);
          top = r0[x0] + (r0[x1] - r0[x0]) * tx;
          bottom = r1[x0] + (r1[x1] - r1[x0]) * tx;
          dst[(size_t) y * out_w + x] = top + (bottom - top) * ty;
        }
    }
}

void
cfm_cam_free (CfmCam *cam)
{
  if (cam->g)
    cfm_graph_grad_free (&cam->grad);
  free (cam->kept);
  memset (cam, 0, sizeof *cam);
}
