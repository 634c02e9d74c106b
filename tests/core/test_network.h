/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_network.h: what the network tests share: a fixture network's
 * print(model) text, weights, input and PyTorch's outputs loaded, and a
 * module's maps compared with PyTorch's. */
#ifndef TEST_NETWORK_H
#define TEST_NETWORK_H

#include "test_util.h"

#include "cfm_network.h"
#include "cfm_tensors.h"

static inline char *
read_text (const char *rel)
{
  void *data;
  size_t len;
  CfmError err;
  char *text;

  if (cfm_file_read (fixture_path (rel), (size_t) 1 << 20, &data, &len, &err)
      != CFM_OK)
    {
      fprintf (stderr, "%s: %s\n", rel, err.message);
      exit (2);
    }
  text = malloc (len + 1);
  memcpy (text, data, len);
  text[len] = '\0';
  free (data);
  return text;
}

/* Parses the print(model) text of fixture REL into NET. */
static inline void
parse_fixture (const char *rel, CfmNetwork *net)
{
  char *text = read_text (rel);
  CfmError err;

  CHECK (cfm_network_parse (text, net, &err) == CFM_OK, "%s: %s", rel,
         err.message);
  free (text);
}

static inline void
read_set (const char *rel, CfmTensorSet *set)
{
  void *data;
  size_t len;
  CfmError err;

  if (cfm_file_read (fixture_path (rel), (size_t) 1 << 30, &data, &len, &err)
      != CFM_OK || cfm_weights_read (data, len, set, &err) != CFM_OK)
    {
      fprintf (stderr, "%s: %s\n", rel, err.message);
      exit (2);
    }
  free (data);
}

typedef struct
{
  const CfmNetwork   *net;
  const CfmTensorSet *want;
  const char         *label;
  int                 compared;
} Compare;

static inline CfmStatus
compare_output (void *data, int module, const float *out, int c, int h,
                int w, CfmError *err)
{
  Compare *cmp = data;
  const char *name = cmp->net->modules[module].name;
  const CfmTensor *t = cfm_tensors_find (cmp->want, name);
  double d;

  (void) err;
  if (t == NULL)
    return CFM_OK;   /* PyTorch recorded no 4-D output there */
  CHECK (t->ndim == 3 && t->shape[0] == c && t->shape[1] == h
         && t->shape[2] == w, "%s %s: output %dx%dx%d, PyTorch %lldx%lldx%lld",
         cmp->label, name, c, h, w, (long long) t->shape[0],
         (long long) t->shape[1], (long long) t->shape[2]);
  if (t->ndim != 3 || t->count != (size_t) c * h * w)
    return CFM_OK;
  d = max_rel_diff (out, t->data, t->count);
  CHECK (d <= 1e-4, "%s %s (%s): differs from PyTorch by %.3g of its range",
         cmp->label, name, cmp->net->modules[module].type, d);
  cmp->compared++;
  return CFM_OK;
}

/* NET's modules run on its input match PyTorch's, read from WEIGHTS
 * (their outputs from OUTPUTS, "" for NET's own). */
/* Fixture network NAME: its print(model) text bound to the weights of
 * WEIGHTS, its input, and PyTorch's output of every module from
 * OUTPUTS (a folder of the fixtures, or ""). */
static inline void
load_network (const char *name, const char *weights, const char *outputs,
              CfmNetwork *net, CfmTensorSet *w, CfmArray *input,
              CfmTensorSet *want)
{
  char rel[256];
  CfmError err;

  snprintf (rel, sizeof rel, "networks/%s.txt", name);
  parse_fixture (rel, net);
  snprintf (rel, sizeof rel, "networks/%s", weights);
  read_set (rel, w);
  CHECK (cfm_network_bind (net, w, &err) == CFM_OK, "%s: %s", name,
         err.message);
  snprintf (rel, sizeof rel, "networks/%s-input.npy", name);
  load_fixture (rel, input);
  snprintf (rel, sizeof rel, "networks/%s%s-out.npz", outputs, name);
  read_set (rel, want);
}

static inline void
free_network (CfmNetwork *net, CfmTensorSet *w, CfmArray *input,
              CfmTensorSet *want)
{
  cfm_array_free (input);
  cfm_tensors_free (want);
  cfm_tensors_free (w);
  cfm_network_free (net);
}

#endif
