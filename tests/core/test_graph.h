/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_graph.h: what the graph tests share (test_graph.c,
 * test_onnx_cases.c, test_graph_cam.c): an input given a band of rows at
 * a time, a wanted value's rows gathered into one map, a fixture folder's
 * .npy files and models. */
#ifndef TEST_GRAPH_H
#define TEST_GRAPH_H

#include <stdint.h>

#include "cfm_graph.h"
#include "cfm_graph_build.h"
#include "cfm_op.h"
#include "test_util.h"

/* A wanted value's rows gathered into one map. */
typedef struct
{
  int    value;
  float *map;
  int    c, h, w, rows_seen;
} Gathered;

typedef struct
{
  Gathered *g;
  int       n;
  int       in_order;   /* every value's rows came once, in order */
} Gather;

typedef struct
{
  const CfmArray *input;
} Source;

static inline CfmStatus
read_rows (void *data, int row0, int rows, float *dst, CfmError *err)
{
  const Source *s = data;
  size_t c = s->input->shape[0], h = s->input->shape[1];
  size_t w = s->input->shape[2], ch;

  (void) err;
  for (ch = 0; ch < c; ch++)
    memcpy (dst + ch * rows * w, s->input->data + (ch * h + row0) * w,
            (size_t) rows * w * sizeof (float));
  return CFM_OK;
}

static inline CfmStatus
gather_rows (void *data, int value, const float *rows, size_t plane, int c,
             int h, int w, int row0, int nrows, CfmError *err)
{
  Gather *gt = data;
  int i, ch;

  (void) err;
  for (i = 0; i < gt->n; i++)
    {
      Gathered *g = &gt->g[i];

      if (g->value != value)
        continue;
      if (row0 != g->rows_seen || c != g->c || h != g->h || w != g->w)
        gt->in_order = 0;
      for (ch = 0; ch < c && row0 + nrows <= h; ch++)
        memcpy (g->map + ((size_t) ch * h + row0) * w, rows + ch * plane,
                (size_t) nrows * w * sizeof (float));
      g->rows_seen = row0 + nrows;
    }
  return CFM_OK;
}

static inline int
load_npy (const char *dir, const char *name, CfmArray *a)
{
  char path[4096];
  CfmError err;
  void *data;
  size_t len;
  int ok;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  ok = cfm_file_read (path, (size_t) 1 << 30, &data, &len, &err) == CFM_OK;
  ok = ok && cfm_npy_parse (data, len, (size_t) 1 << 28, a, &err) == CFM_OK;
  if (ok)
    free (data);
  CHECK (ok, "%s: %s", name, err.message);
  return ok;
}

/* The graph of FILE in DIR: an ONNX export, or (TEXT not NULL) a state
 * dict with its print(model) text.  *DATA holds the file's bytes. */
static inline CfmStatus
read_graph (const char *dir, const char *file, const char *text, CfmGraph *g,
            CfmTensorSet *w, void **data, CfmError *err)
{
  char path[4096];
  void *printed;
  size_t len, text_len;
  CfmStatus status;

  snprintf (path, sizeof path, "%s/%s", dir, file);
  if ((status = cfm_file_read (path, (size_t) 1 << 30, data, &len, err))
      != CFM_OK)
    return status;
  if (text == NULL)
    return cfm_graph_read_onnx (*data, len, g, w, err);
  snprintf (path, sizeof path, "%s/%s", dir, text);
  if ((status = cfm_file_read (path, (size_t) 1 << 24, &printed, &text_len,
                               err)) != CFM_OK)
    return status;
  printed = realloc (printed, text_len + 1);
  ((char *) printed)[text_len] = '\0';
  status = cfm_weights_open (*data, len, w, err);
  if (status == CFM_OK)
    status = cfm_graph_read_text (printed, w, g, err);
  if (status != CFM_OK)
    cfm_tensors_free (w);
  free (printed);
  return status;
}

#endif
