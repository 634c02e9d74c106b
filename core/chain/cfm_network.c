/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_network.c: a network's weights bound and checked, where its maps
 * lie, and its input normalisation (its API: cfm_network.h; the text is
 * read by cfm_network_text.c, its forward passes run on the graph engine:
 * cfm_graph_chain.c). */
#include "cfm_network.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_conv.h"
#include "cfm_number.h"

/* ---- binding -------------------------------------------------------------- */

/* The tensor MODULE.FIELD, or, for a file whose keys carry a prefix of
 * their own (Lightning's "model."), the one tensor whose name ends so. */
static const CfmTensor *
find_weight (const CfmTensorSet *w, const char *module, const char *field)
{
  char name[CFM_NETWORK_NAME_MAX + 32];
  const CfmTensor *found = NULL;
  size_t len, i;

  snprintf (name, sizeof name, "%s%s%s", module, module[0] ? "." : "",
            field);
  if ((found = cfm_tensors_find (w, name)))
    return found;
  len = strlen (name);
  for (i = 0; i < w->n; i++)
    {
      size_t n = strlen (w->tensors[i].name);

      if (n > len && w->tensors[i].name[n - len - 1] == '.'
          && strcmp (w->tensors[i].name + n - len, name) == 0)
        {
          if (found)
            return NULL;   /* ambiguous */
          found = &w->tensors[i];
        }
    }
  return found;
}

/* Binds MODULE.FIELD of shape SHAPE (NDIM dimensions) to *DATA. */
static CfmStatus
bind_one (CfmTensorSet *w, const CfmModule *m, const char *field,
          int ndim, const int64_t *shape, const float **data, CfmError *err)
{
  const CfmTensor *t = find_weight (w, m->name, field);
  int d, same;
  CfmStatus status;

  if (t == NULL)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): the weights have no "
                          "%s%s%s", m->name, m->type, m->name,
                          m->name[0] ? "." : "", field);
  same = t->ndim == ndim;
  for (d = 0; same && d < ndim; d++)
    same = t->shape[d] == shape[d];
  if (!same)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): %s has shape "
                          "%lldx%lldx%lldx%lld (first dimensions), the "
                          "printed module needs %lldx%lldx%lldx%lld",
                          m->name, m->type, t->name,
                          (long long) (t->ndim > 0 ? t->shape[0] : 0),
                          (long long) (t->ndim > 1 ? t->shape[1] : 0),
                          (long long) (t->ndim > 2 ? t->shape[2] : 0),
                          (long long) (t->ndim > 3 ? t->shape[3] : 0),
                          (long long) shape[0],
                          (long long) (ndim > 1 ? shape[1] : 0),
                          (long long) (ndim > 2 ? shape[2] : 0),
                          (long long) (ndim > 3 ? shape[3] : 0));
  status = cfm_tensors_load (w, t, err);   /* only what the chain uses */
  *data = t->data;
  return status;
}

static CfmStatus
bind_module (CfmModule *m, CfmTensorSet *w, int channels,
             CfmError *err)
{
  CfmStatus status = CFM_OK;

  if (m->kind == CFM_MODULE_CONV)
    {
      int64_t shape[4] = { m->out_c, m->in_c / m->groups, m->k[0], m->k[1] };

      if (channels > 0 && m->in_c != channels)
        return cfm_error_set (err, CFM_ERR_ARG, "%s (Conv2d) takes %d "
                              "channels but the module before it gives %d",
                              m->name, m->in_c, channels);
      status = bind_one (w, m, "weight", 4, shape, &m->weight, err);
      if (status == CFM_OK && m->has_bias)
        status = bind_one (w, m, "bias", 1, shape, &m->bias, err);
    }
  else if (m->kind == CFM_MODULE_BATCHNORM)
    {
      int64_t shape[1] = { m->features };

      if (channels > 0 && m->features != channels)
        return cfm_error_set (err, CFM_ERR_ARG, "%s (BatchNorm2d) has %d "
                              "features but the module before it gives %d "
                              "channels", m->name, m->features, channels);
      status = bind_one (w, m, "running_mean", 1, shape, &m->mean, err);
      if (status == CFM_OK)
        status = bind_one (w, m, "running_var", 1, shape, &m->var, err);
      if (status == CFM_OK && m->has_bias)
        status = bind_one (w, m, "weight", 1, shape, &m->weight, err);
      if (status == CFM_OK && m->has_bias)
        status = bind_one (w, m, "bias", 1, shape, &m->bias, err);
    }
  return status;
}

CfmStatus
cfm_module_bind_tensor (const CfmModule *m, CfmTensorSet *w,
                        const char *field, int ndim, const int64_t *shape,
                        const float **data, CfmError *err)
{
  return bind_one (w, m, field, ndim, shape, data, err);
}

CfmStatus
cfm_module_bind (CfmModule *m, CfmTensorSet *w, CfmError *err)
{
  return bind_module (m, w, 0, err);
}

CfmStatus
cfm_network_bind (CfmNetwork *net, CfmTensorSet *w, CfmError *err)
{
  int i, channels = 0;
  CfmStatus status = CFM_OK;

  for (i = 0; i < net->n && status == CFM_OK; i++)
    {
      status = bind_module (&net->modules[i], w, channels, err);
      if (net->modules[i].kind == CFM_MODULE_CONV)
        channels = net->modules[i].out_c;
      else if (channels == 0 && net->modules[i].kind == CFM_MODULE_BATCHNORM)
        channels = net->modules[i].features;
    }
  return status;
}

int
cfm_network_find (const CfmNetwork *net, const char *name)
{
  int i;

  for (i = 0; i < net->n; i++)
    if (strcmp (net->modules[i].name, name) == 0
        || (net->modules[i].node[0] && strcmp (net->modules[i].node, name) == 0))
      return i;
  return -1;
}

int
cfm_network_input_channels (const CfmNetwork *net)
{
  int i;

  for (i = 0; i < net->n; i++)
    if (net->modules[i].kind == CFM_MODULE_CONV)
      return net->modules[i].in_c;
  return 0;
}

/* Whether M has a window, stride and padding (a convolution, a pooling). */
static int
moves_pixels (const CfmModule *m)
{
  return m->kind == CFM_MODULE_CONV || m->kind == CFM_MODULE_MAXPOOL
         || m->kind == CFM_MODULE_AVGPOOL;
}

void
cfm_network_geometry (const CfmNetwork *net, int last, int stride[2],
                      double centre[2])
{
  int i, a;

  stride[0] = stride[1] = 1;
  centre[0] = centre[1] = 0.0;
  for (i = 0; i <= last && i < net->n; i++)
    {
      const CfmModule *m = &net->modules[i];

      if (!moves_pixels (m))
        continue;
      for (a = 0; a < 2; a++)
        {
          centre[a] += ((double) m->dil[a] * (m->k[a] - 1) / 2.0 - m->pad[a])
                       * stride[a];
          /* saturating: no real chain comes near */
          stride[a] = stride[a] > INT_MAX / m->stride[a]
                      ? INT_MAX : stride[a] * m->stride[a];
        }
    }
}

void
cfm_network_field (const CfmNetwork *net, int last, int field[2],
                   int start[2])
{
  long long size[2] = { 1, 1 }, jump[2] = { 1, 1 }, first[2] = { 0, 0 };
  int i, a;

  for (i = 0; i <= last && i < net->n; i++)
    {
      const CfmModule *m = &net->modules[i];

      if (!moves_pixels (m))
        continue;
      for (a = 0; a < 2; a++)
        {
          /* saturating, as the geometry does */
          first[a] -= m->pad[a] * jump[a];
          first[a] = first[a] < INT_MIN ? INT_MIN : first[a];
          size[a] += (long long) m->dil[a] * (m->k[a] - 1) * jump[a];
          size[a] = size[a] > INT_MAX ? INT_MAX : size[a];
          jump[a] = jump[a] * m->stride[a] > INT_MAX ? INT_MAX
                                                    : jump[a] * m->stride[a];
        }
    }
  field[0] = (int) size[0];
  field[1] = (int) size[1];
  if (start)
    {
      start[0] = (int) first[0];
      start[1] = (int) first[1];
    }
}

/* ---- input normalisation ------------------------------------------------- */

/* Reads up to MAX numbers separated by commas at *P into V. */
static int
read_list (const char **p, float *v, int max)
{
  int n = 0;

  do
    {
      double d;
      const char *end;

      while (**p == ' ')
        (*p)++;
      if (n == max || !cfm_read_number (*p, &d, &end) || !isfinite (d))
        return -1;
      v[n++] = (float) d;
      *p = end;
      while (**p == ' ')
        (*p)++;
    }
  while (**p == ',' && (*p)++);
  return n;
}

CfmStatus
cfm_normalize_parse (const char *text, int c, float *mean, float *std,
                     CfmError *err)
{
  static const float imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
  static const float imagenet_std[3] = { 0.229f, 0.224f, 0.225f };
  const char *p = text ? text : "none";
  int i, nm, ns;

  if (c < 1 || c > 64)
    return cfm_error_set (err, CFM_ERR_ARG, "a network input of %d channels",
                          c);
  if (strcmp (p, "none") == 0 || *p == '\0')
    {
      for (i = 0; i < c; i++)
        mean[i] = 0.0f, std[i] = 1.0f;
      return CFM_OK;
    }
  if (strcmp (p, "imagenet") == 0)
    {
      if (c != 3)
        return cfm_error_set (err, CFM_ERR_ARG, "input-normalize: imagenet "
                              "needs a network of 3 input channels, this one "
                              "takes %d", c);
      memcpy (mean, imagenet_mean, sizeof imagenet_mean);
      memcpy (std, imagenet_std, sizeof imagenet_std);
      return CFM_OK;
    }
  nm = read_list (&p, mean, c);
  if (nm == c && *p == '/')
    {
      p++;
      ns = read_list (&p, std, c);
      if (ns == c && *p == '\0')
        {
          for (i = 0; i < c; i++)
            if (!(std[i] > 0.0f))
              return cfm_error_set (err, CFM_ERR_ARG, "input-normalize: a "
                                    "standard deviation must be above 0");
          return CFM_OK;
        }
    }
  return cfm_error_set (err, CFM_ERR_ARG, "input-normalize: \"%s\" is not "
                        "none, imagenet or %d means, '/' and %d standard "
                        "deviations", text, c, c);
}

void
cfm_normalize_apply (float *x, int c, size_t n, const float *mean,
                     const float *std)
{
  size_t i;
  int ch;

  for (ch = 0; ch < c; ch++)
    for (i = 0; i < n; i++)
      x[(size_t) ch * n + i] = (x[(size_t) ch * n + i] - mean[ch]) / std[ch];
}
