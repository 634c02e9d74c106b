/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_network_bands.c: every fixture network in bands of 1, 7 and 64 rows
 * against PyTorch's outputs over the whole image: one module at a time
 * (no band reads more input rows than it needs) and several at once (each
 * module's rows once and in order). */
#include "test_network.h"

/* The rows bands hand over, gathered into whole maps. */
typedef struct
{
  const CfmArray *input;
  float          *map;
  int             rows_seen, max_read;
} Gather;

static CfmStatus
read_input_rows (void *data, int row0, int rows, float *dst, CfmError *err)
{
  Gather *g = data;
  const CfmArray *in = g->input;
  size_t w = in->shape[2], h = in->shape[1], ch;

  (void) err;
  if (rows > g->max_read)
    g->max_read = rows;
  for (ch = 0; ch < in->shape[0]; ch++)
    memcpy (dst + ch * rows * w, in->data + (ch * h + (size_t) row0) * w,
            (size_t) rows * w * sizeof (float));
  return CFM_OK;
}

static CfmStatus
gather_rows (void *data, int module, const float *out, int c, int h, int w,
             int row0, int rows, CfmError *err)
{
  Gather *g = data;
  int ch;

  (void) module;
  (void) err;
  CHECK (row0 == g->rows_seen, "bands out of order: row %d after %d", row0,
         g->rows_seen);
  if (g->map == NULL)
    g->map = calloc ((size_t) c * h * w, sizeof (float));
  for (ch = 0; ch < c; ch++)
    memcpy (g->map + ((size_t) ch * h + row0) * w,
            out + (size_t) ch * rows * w, (size_t) rows * w * sizeof (float));
  g->rows_seen = row0 + rows;
  return CFM_OK;
}

/* Every module of NAME computed in bands of 1, 7 and 64 rows equals
 * PyTorch's output of it over the whole image. */
static void
check_bands (const char *name)
{
  static const int bands[] = { 1, 7, 64 };
  CfmNetwork net;
  CfmTensorSet w, want;
  CfmArray input;
  CfmError err;
  size_t b;
  int i, bad = 0, compared = 0;
  char weights[64];

  snprintf (weights, sizeof weights, "%s.pth", name);
  load_network (name, weights, "", &net, &w, &input, &want);
  for (b = 0; b < sizeof bands / sizeof bands[0]; b++)
    for (i = 0; i < net.n; i++)
      {
        const CfmTensor *t = cfm_tensors_find (&want, net.modules[i].name);
        Gather g = { &input, NULL, 0, 0 };

        if (t == NULL)
          continue;
        CHECK (cfm_network_forward_bands (&net, &i, 1, (int) input.shape[0],
                                          (int) input.shape[1],
                                          (int) input.shape[2], bands[b],
                                          read_input_rows, &g, gather_rows,
                                          &g, &err) == CFM_OK, "%s: %s",
               name, err.message);
        compared++;
        if (g.map == NULL || g.rows_seen != (int) t->shape[1]
            || max_rel_diff (g.map, t->data, t->count) > 1e-4)
          {
            bad++;
            fprintf (stderr, "%s %s in bands of %d differs\n", name,
                     net.modules[i].name, bands[b]);
          }
        /* (circular padding wraps a band round to the far edge: the rows
         * between come with it) */
        if (bands[b] == 1 && i == net.n - 1 && strcmp (name, "depthwise"))
          CHECK (g.max_read < (int) input.shape[1], "%s: a band of one row "
                 "read all %d input rows", name, g.max_read);
        free (g.map);
      }
  CHECK (bad == 0 && compared == 3 * net.n, "%s: %d of %d banded maps "
         "differ", name, bad, compared);
  free_network (&net, &w, &input, &want);
}

/* The rows of several modules at once, each gathered into its map. */
typedef struct
{
  const CfmArray *input;
  const int      *want;
  int             n;
  Gather          maps[CFM_NETWORK_FORWARD_MAX];
} GatherMany;

static CfmStatus
read_many_rows (void *data, int row0, int rows, float *dst, CfmError *err)
{
  GatherMany *g = data;

  return read_input_rows (&g->maps[0], row0, rows, dst, err);
}

static CfmStatus
gather_many (void *data, int module, const float *out, int c, int h, int w,
             int row0, int rows, CfmError *err)
{
  GatherMany *g = data;
  int j;

  for (j = 0; j < g->n && g->want[j] != module; j++)
    ;
  CHECK (j < g->n, "module %d was not wanted", module);
  return j < g->n ? gather_rows (&g->maps[j], module, out, c, h, w, row0,
                                 rows, err)
                  : CFM_ERR_ARG;
}

/* Modules of NAME eight at a time (pools and strides between them), in
 * bands of 1, 7 and 64 rows of the last, each equal to PyTorch's output
 * of it over the whole image, every row once and in order. */
static void
check_bands_together (const char *name)
{
  static const int bands[] = { 1, 7, 64 };
  CfmNetwork net;
  CfmTensorSet w, want;
  CfmArray input;
  CfmError err;
  size_t b;
  int first, j, bad = 0, compared = 0;
  char weights[64];

  snprintf (weights, sizeof weights, "%s.pth", name);
  load_network (name, weights, "", &net, &w, &input, &want);
  for (b = 0; b < sizeof bands / sizeof bands[0]; b++)
    for (first = 0; first < net.n; first += CFM_NETWORK_FORWARD_MAX / 2)
      {
        int modules[CFM_NETWORK_FORWARD_MAX], n = 0;
        GatherMany g;

        memset (&g, 0, sizeof g);
        for (j = first; j < net.n && n < CFM_NETWORK_FORWARD_MAX; j++)
          modules[n++] = j;
        g.input = &input;
        g.want = modules;
        g.n = n;
        g.maps[0].input = &input;
        CHECK (cfm_network_forward_bands (&net, modules, n,
                                          (int) input.shape[0],
                                          (int) input.shape[1],
                                          (int) input.shape[2], bands[b],
                                          read_many_rows, &g, gather_many,
                                          &g, &err) == CFM_OK, "%s: %s",
               name, err.message);
        for (j = 0; j < n; j++)
          {
            const CfmTensor *t = cfm_tensors_find (&want,
                                                   net.modules[modules[j]]
                                                   .name);

            if (t == NULL)
              continue;
            compared++;
            if (g.maps[j].map == NULL
                || g.maps[j].rows_seen != (int) t->shape[1]
                || max_rel_diff (g.maps[j].map, t->data, t->count) > 1e-4)
              {
                bad++;
                fprintf (stderr, "%s %s with %d after it, bands of %d, "
                         "differs\n", name, net.modules[modules[j]].name,
                         n - 1 - j, bands[b]);
              }
            free (g.maps[j].map);
          }
      }
  CHECK (bad == 0 && compared > 0, "%s: %d of %d maps given together "
         "differ", name, bad, compared);
  free_network (&net, &w, &input, &want);
}

/* print() of torchvision's models: the chain ends where they branch or
 * leave the maps. */

int
main (void)
{
  check_bands ("vgg_bn");
  check_bands ("lenet");
  check_bands ("resnet_stem");
  check_bands ("depthwise");
  check_bands ("pools");
  check_bands ("wide");
  check_bands ("skips");
  check_bands ("winograd");
  check_bands_together ("vgg_bn");
  check_bands_together ("lenet");
  check_bands_together ("resnet_stem");
  check_bands_together ("depthwise");
  check_bands_together ("pools");
  check_bands_together ("skips");   /* rows no band reads, between and after */
  check_bands_together ("winograd");
  return test_finish ("network-bands");
}
