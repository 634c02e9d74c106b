/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_run.c: the engine: a graph's wanted values computed in bands
 * with whole-image numbers (its API: cfm_graph.h).
 *
 * Each step reads a band of input rows; then, in order, each node computes
 * every output row its inputs' rows now allow (its operator says which
 * input rows an output row reads), each row once.  A value keeps the rows
 * [lo, hi) that some consumer has yet to read (Halide's sliding window):
 * lo is the first row any consumer's next output row reads, so a residual's
 * short branch holds its rows until the long branch catches up, and the
 * input of a global step (which reads every row) is kept whole until that
 * step has run. */
#include "cfm_graph.h"

#include <stdlib.h>
#include <string.h>

#include "cfm_op.h"
#include "cfm_graph_engine.h"
#include "cfm_graph_profile.h"
#include "cfm_settings.h"

size_t
cfm_graph_memory_limit (void)
{
  return cfm_settings ()->memory_limit;
}

/* Whether NODE's output rows [DONE, END) can be computed from the rows
 * its inputs have. */
static int
computable (const Run *r, const CfmNode *node, int done, int end)
{
  int i, r0, rn;

  for (i = 0; i < node->n_inputs; i++)
    {
      int v = node->inputs[i];
      const CfmValue *val = v >= 0 ? &r->g->values[v] : NULL;

      if (val == NULL || val->kind == CFM_VALUE_CONST
          || r->held[v].hi >= val->h)
        continue;
      cfm_rows_read (r, node, i, done, end - done, &r0, &rn);
      if (r0 + rn > r->held[v].hi)
        return 0;
    }
  return 1;
}

/* The end of the output rows NODE can compute now (its rows done, else
 * more), found by halving: what an output row reads only grows with it. */
static int
rows_ready (const Run *r, int n)
{
  const CfmNode *node = &r->g->nodes[n];
  int lo = r->done[n], hi = r->g->values[node->outputs[0]].h;

  if (lo >= hi || !computable (r, node, lo, lo + 1))
    return lo;
  lo++;
  while (lo < hi)
    {
      int mid = lo + (hi - lo + 1) / 2;

      if (computable (r, node, r->done[n], mid))
        lo = mid;
      else
        hi = mid - 1;
    }
  return lo;
}

/* Hands rows [A, B) of wanted value V to the host. */
static CfmStatus
give (Run *r, int v, int a, int b, CfmError *err)
{
  const CfmValue *val = &r->g->values[v];
  CfmBand band = cfm_rows_band (r, v, a, b - a);

  return r->output (r->data, v, band.data, band.plane, val->c, val->h, val->w,
                    a, b - a, err);
}

/* Where node N's output K goes: its value, or, for a node that writes
 * the activation after it (fused), that activation's value. */
static int
written_value (const Run *r, int n, int k)
{
  int then = r->fused_next[n];

  return then >= 0 ? r->g->nodes[then].outputs[0] : r->g->nodes[n].outputs[k];
}

/* Whether node N writes the activation fused after it and also its own
 * output, which the host wants (a block's convolution and its ReLU, both
 * shown): the two then share one plane stride. */
static int
keeps_own (const Run *r, int n)
{
  return r->fused_next[n] >= 0
         && r->held[r->g->nodes[n].outputs[0]].wanted;
}

/* Rows [DONE, END) of node N's own output and of the activation fused
 * after it, room taken with one plane stride: *OWN and *THEN. */
static CfmStatus
reserve_both (Run *r, int n, int done, int end, float **own, float **then,
              size_t *plane, CfmError *err)
{
  int v = r->g->nodes[n].outputs[0], a = written_value (r, n, 0);
  CfmStatus status = cfm_rows_reserve (r, v, end, err);

  if (status == CFM_OK)
    status = cfm_rows_reserve_cap (r, a, end, r->held[v].cap, err);
  if (status == CFM_OK && r->held[a].cap > r->held[v].cap)
    status = cfm_rows_reserve_cap (r, v, end, r->held[a].cap, err);
  if (status != CFM_OK)
    return status;
  *own = r->held[v].buf
         + (size_t) (done - r->held[v].base) * r->g->values[v].w;
  *then = r->held[a].buf
          + (size_t) (done - r->held[a].base) * r->g->values[a].w;
  *plane = r->held[v].cap * (size_t) r->g->values[v].w;
  return CFM_OK;
}

/* Rows [DONE, END) of every value node N writes: room taken, pointers to
 * the first of them in OUT and PLANE. */
static CfmStatus
reserve_outputs (Run *r, int n, int done, int end, float **out,
                 size_t *plane, CfmError *err)
{
  const CfmNode *node = &r->g->nodes[n];
  CfmStatus status = CFM_OK;
  int k;

  for (k = 0; k < node->n_outputs && status == CFM_OK; k++)
    {
      int v = written_value (r, n, k);

      status = cfm_rows_reserve (r, v, end, err);
      if (status != CFM_OK)   /* past the memory limit: no room */
        break;
      out[k] = r->held[v].buf
               + (size_t) (done - r->held[v].base) * r->g->values[v].w;
      plane[k] = r->held[v].cap * (size_t) r->g->values[v].w;
    }
  return status;
}

/* Rows [DONE, END) of node N's values are there: to the host where
 * wanted, and the rows no reader needs any more dropped. */
static CfmStatus
rows_done (Run *r, int n, int done, int end, CfmError *err)
{
  const CfmNode *node = &r->g->nodes[n];
  CfmStatus status = CFM_OK;
  int i, k;

  r->done[n] = end;
  if (r->fused_next[n] >= 0)
    r->done[r->fused_next[n]] = end;
  if (keeps_own (r, n))
    {
      int v = node->outputs[0];

      r->held[v].hi = end;
      status = give (r, v, done, end, err);
      cfm_rows_release (r, v);
    }
  for (k = 0; k < node->n_outputs && status == CFM_OK; k++)
    {
      int v = written_value (r, n, k);

      r->held[v].hi = end;
      if (r->held[v].wanted)
        status = give (r, v, done, end, err);
    }
  for (i = 0; i < node->n_inputs; i++)
    if (node->inputs[i] >= 0 && r->g->values[node->inputs[i]].kind
                                == CFM_VALUE_MAP)
      cfm_rows_release (r, node->inputs[i]);
  for (k = 0; k < node->n_outputs; k++)
    cfm_rows_release (r, written_value (r, n, k));
  return status;
}

/* Computes node N's output rows up to END (and those of the activation
 * fused after it). */
static CfmStatus
run_node (Run *r, int n, int end, CfmError *err)
{
  const CfmNode *node = &r->g->nodes[n];
  float *out[CFM_NODE_MAX_OUTPUTS];
  size_t plane[CFM_NODE_MAX_OUTPUTS];
  int done = r->done[n], i, r0, rn;
  CfmOpRun run;
  CfmStatus status;
  double t0;

  for (i = 0; i < node->n_inputs; i++)
    if (node->inputs[i] >= 0)
      {
        cfm_rows_read (r, node, i, done, end - done, &r0, &rn);
        r->bands[i] = cfm_rows_band (r, node->inputs[i], r0, rn);
      }
    else
      memset (&r->bands[i], 0, sizeof r->bands[i]);
  run.then_out = NULL;
  status = keeps_own (r, n)
           ? reserve_both (r, n, done, end, &out[0], &run.then_out, &plane[0],
                           err)
           : reserve_outputs (r, n, done, end, out, plane, err);
  if (status != CFM_OK)
    return status;
  run.in = r->bands;
  run.n_in = node->n_inputs;
  run.out = out;
  run.plane = plane;
  run.o0 = done;
  run.on = end - done;
  run.packed = &r->packed[n];
  run.then = r->fused_next[n] >= 0 ? &r->g->nodes[r->fused_next[n]] : NULL;
  t0 = r->profile ? cfm_profile_now () : 0.0;
  status = node->op->run (r->g, node, &run, err);
  if (r->profile)
    cfm_profile_add (r->profile, r->g, node, end - done,
                     cfm_profile_now () - t0);
  return status == CFM_OK ? rows_done (r, n, done, end, err) : status;
}

/* Reads the input's rows up to END. */
static CfmStatus
read_input (Run *r, int end, CfmError *err)
{
  const CfmGraph *g = r->g;
  const CfmValue *in = &g->values[g->input];
  Held *h = &r->held[g->input];
  size_t rows = (size_t) (end - h->hi), n = rows * in->w * in->c;
  CfmStatus status;
  int ch;

  if (end <= h->hi)
    return CFM_OK;
  if (n > r->scratch_cap)
    {
      free (r->scratch);
      r->scratch = malloc ((n + 1) * sizeof (float));
      r->scratch_cap = r->scratch ? n : 0;
      if (r->scratch == NULL)
        return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for a band");
    }
  status = cfm_rows_reserve (r, g->input, end, err);
  if (status == CFM_OK)
    status = r->read (r->read_data, h->hi, (int) rows, r->scratch, err);
  for (ch = 0; ch < in->c && status == CFM_OK; ch++)
    memcpy (h->buf + ch * h->cap * in->w + (size_t) (h->hi - h->base) * in->w,
            r->scratch + ch * rows * in->w, rows * in->w * sizeof (float));
  if (status != CFM_OK)
    return status;
  h->hi = end;
  if (h->wanted)
    status = give (r, g->input, end - (int) rows, end, err);
  cfm_rows_release (r, g->input);
  return status;
}

/* Whether NODE reads one map, its first input, and constants besides
 * (a Clip's bounds). */
static int
one_map_input (const CfmGraph *g, const CfmNode *node)
{
  int k;

  for (k = 1; k < node->n_inputs; k++)
    if (node->inputs[k] >= 0
        && g->values[node->inputs[k]].kind == CFM_VALUE_MAP)
      return 0;
  return node->n_inputs >= 1;
}

/* Whether A and B hold maps of one shape and layout: a node writes the
 * activation after it in the activation's place only then. */
static int
same_shape (const CfmValue *a, const CfmValue *b)
{
  return a->c == b->c && a->h == b->h && a->w == b->w && a->rank == b->rank
         && a->channels_last == b->channels_last;
}

/* Pairs each node whose one reader is an activation it can write in the
 * same pass (a convolution and its ReLU) with that reader: its own output
 * is then never held, or, when it is wanted, written beside the
 * activation's in the same pass. */
static void
fuse (Run *r)
{
  const CfmGraph *g = r->g;
  int i;

  for (i = 0; i < g->n_nodes; i++)
    r->fused_next[i] = r->fused_into[i] = -1;
  for (i = 0; i < g->n_nodes; i++)
    {
      const CfmNode *node = &g->nodes[i];
      int v = node->outputs[0], j;

      if (!r->needed[i] || node->op->fuses == NULL || node->n_outputs != 1
          || r->first[v + 1] - r->first[v] != 1
          || g->values[v].kind != CFM_VALUE_MAP)
        continue;
      j = r->readers[r->first[v]].node;
      if (r->needed[j] && r->fused_next[j] < 0
          && g->nodes[j].outputs[0] >= 0
          && same_shape (&g->values[v], &g->values[g->nodes[j].outputs[0]])
          && r->readers[r->first[v]].input == 0
          && one_map_input (g, &g->nodes[j])
          && node->op->fuses (node, &g->nodes[j]))
        {
          r->fused_next[i] = j;
          r->fused_into[j] = i;
        }
    }
}

/* Marks the nodes on the way to the wanted values (backwards, in order)
 * and lists each value's needed readers. */
static CfmStatus
plan (Run *r, const int *want, int n, CfmError *err)
{
  const CfmGraph *g = r->g;
  int i, k, e = 0;

  for (i = 0; i < n; i++)
    {
      char why[CFM_ERROR_MAX];
      int p = g->values[want[i]].producer;

      r->held[want[i]].wanted = 1;
      if (p >= 0 && !cfm_graph_node_runs (g, p, why))
        return cfm_error_set (err, CFM_ERR_ARG, "%s", why);
      if (p < 0 && want[i] != g->input)
        return cfm_error_set (err, CFM_ERR_ARG, "\"%s\" is not computed",
                              g->values[want[i]].name);
      if (g->values[want[i]].kind != CFM_VALUE_MAP)
        return cfm_error_set (err, CFM_ERR_ARG, "\"%s\" is a constant of "
                              "the shape arithmetic, not maps",
                              g->values[want[i]].name);
    }
  for (i = g->n_nodes - 1; i >= 0; i--)
    {
      const CfmNode *node = &g->nodes[i];

      if (g->values[node->outputs[0]].kind == CFM_VALUE_CONST)
        continue;   /* shape arithmetic, computed while sizing */
      for (k = 0; k < node->n_outputs && !r->needed[i]; k++)
        {
          int v = node->outputs[k], x;

          r->needed[i] = r->held[v].wanted;
          for (x = r->first[v]; x < r->first[v + 1] && !r->needed[i]; x++)
            r->needed[i] = r->needed[r->readers[x].node];
        }
    }
  (void) e;
  fuse (r);
  return CFM_OK;
}

/* Each value's readers, grouped by value (first[v] .. first[v + 1]). */
static CfmStatus
list_readers (Run *r, CfmError *err)
{
  const CfmGraph *g = r->g;
  int i, k, edges = 0;
  int *at;

  for (i = 0; i < g->n_nodes; i++)
    edges += g->nodes[i].n_inputs;
  r->readers = malloc (((size_t) edges + 1) * sizeof *r->readers);
  at = calloc ((size_t) g->n_values + 1, sizeof *at);
  if (r->readers == NULL || at == NULL)
    return free (at), cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  for (i = 0; i < g->n_nodes; i++)
    for (k = 0; k < g->nodes[i].n_inputs; k++)
      if (g->nodes[i].inputs[k] >= 0)
        r->first[g->nodes[i].inputs[k] + 1]++;
  for (i = 0; i < g->n_values; i++)
    r->first[i + 1] += r->first[i];
  for (i = 0; i < g->n_nodes; i++)
    for (k = 0; k < g->nodes[i].n_inputs; k++)
      {
        int v = g->nodes[i].inputs[k];

        if (v >= 0)
          r->readers[r->first[v] + at[v]++] = (Reader) { i, k };
      }
  free (at);
  return CFM_OK;
}

static void
run_free (Run *r)
{
  int i;

  for (i = 0; r->held && i < r->g->n_values; i++)
    free (r->held[i].buf);
  for (i = 0; r->packed && i < r->g->n_nodes; i++)
    cfm_conv_packed_free (&r->packed[i]);
  free (r->held);
  free (r->done);
  free (r->fused_next);
  free (r->fused_into);
  free (r->needed);
  free (r->readers);
  free (r->first);
  free (r->packed);
  free (r->bands);
  free (r->scratch);
  if (r->profile)
    cfm_profile_print (r->profile);
  free (r->profile);
}

/* The most output rows node N computes in one step: twice its share of
 * the step's input rows (so it never falls behind), at least one.  After
 * a global step every row of its readers is ready at once; the quota
 * keeps them in bands all the same. */
static int
quota (const Run *r, int n, int per_step)
{
  const CfmGraph *g = r->g;
  long long h = g->values[g->nodes[n].outputs[0]].h;
  long long in_h = g->values[g->input].h;
  long long q = 2 * ((per_step * h + in_h - 1) / in_h);

  return q < 1 ? 1 : q > h ? (int) h : (int) q;
}

/* The fewest output pixels a node deeper than the pace (narrower than the
 * first wanted value: a classifier's layer4 after the maps of its layer3)
 * computes in one call, but for its last rows.  Its share of each step is
 * a row or two (ResNet-50's layer4 is 51 columns wide at 2 megapixels), a
 * call too small for its weights (2.4 million in a 3x3 convolution of 512
 * channels) and threads: waiting for this many pixels took ResNet-50's
 * layer3 and logits from 5.5 s to 4.2 s at 2 megapixels (from 24.8 s to
 * 22.4 s at 12, for 100 MB more).  The nodes up to
 * the pace keep their bands (more rows waiting in their wide values would
 * cost memory). */
#define STEP_PIXELS_MIN 1024

/* The fewest output rows node N computes in one call, but for its last. */
static int
batch_rows (const Run *r, int n)
{
  const CfmValue *out = &r->g->values[r->g->nodes[n].outputs[0]];
  int w = out->w > 0 ? out->w : 1;
  int rows = (STEP_PIXELS_MIN + w - 1) / w;

  if (out->h >= r->pace_h)
    return 1;
  return rows < out->h ? rows : out->h > 0 ? out->h : 1;
}

/* One step: the input up to row END, then every node as far as it can go
 * within its quota, in calls of batch_rows at least; *MOVED says whether
 * any row was computed. */
static CfmStatus
step (Run *r, int end, int per_step, int *moved, CfmError *err)
{
  int was = r->held[r->g->input].hi, i;
  CfmStatus status = read_input (r, end, err);

  *moved = r->held[r->g->input].hi > was;
  for (i = 0; i < r->g->n_nodes && status == CFM_OK; i++)
    if (r->needed[i] && r->fused_into[i] < 0)
      {
        int ready = rows_ready (r, i), batch = batch_rows (r, i);
        int q = quota (r, i, per_step);
        int most = r->done[i] + (q > batch ? q : batch);
        int h = r->g->values[r->g->nodes[i].outputs[0]].h;

        ready = ready < most ? ready : most;
        if (ready < h && ready - r->done[i] < batch)
          continue;   /* its inputs allow too few rows yet */
        if (ready > r->done[i])
          {
            status = run_node (r, i, ready, err);
            *moved = 1;
          }
      }
  return status;
}

/* Whether every wanted value has all its rows. */
static int
all_given (const Run *r, const int *want, int n)
{
  int i;

  for (i = 0; i < n; i++)
    if (r->held[want[i]].hi < r->g->values[want[i]].h)
      return 0;
  return 1;
}

CfmStatus
cfm_graph_run (const CfmGraph *g, const int *want, int n, int band_rows,
               CfmRowReader read, void *read_data, CfmGraphOutput output,
               void *data, CfmError *err)
{
  Run r;
  CfmStatus status;
  int in_h = g->values[g->input].h, first_h, per_step, end;

  if (!g->sized || n < 1 || band_rows < 1)
    return cfm_error_set (err, CFM_ERR_ARG, "the graph is not sized, or "
                          "nothing is wanted");
  for (end = 0; end < n; end++)
    if (want[end] < 0 || want[end] >= g->n_values
        || g->values[want[end]].kind != CFM_VALUE_MAP
        || g->values[want[end]].h < 1)
      return cfm_error_set (err, CFM_ERR_ARG, "a wanted value is not a map "
                            "the graph computes");
  memset (&r, 0, sizeof r);
  r.g = g;
  r.read = read;
  r.read_data = read_data;
  r.output = output;
  r.data = data;
  r.limit = cfm_graph_memory_limit ();
  r.held = calloc ((size_t) g->n_values + 1, sizeof *r.held);
  r.done = calloc ((size_t) g->n_nodes + 1, sizeof *r.done);
  r.fused_next = calloc ((size_t) g->n_nodes + 1, sizeof *r.fused_next);
  r.fused_into = calloc ((size_t) g->n_nodes + 1, sizeof *r.fused_into);
  r.needed = calloc ((size_t) g->n_nodes + 1, 1);
  r.first = calloc ((size_t) g->n_values + 2, sizeof *r.first);
  r.packed = calloc ((size_t) g->n_nodes + 1, sizeof *r.packed);
  r.bands = calloc (CFM_NODE_MAX_INPUTS, sizeof *r.bands);
  r.profile = cfm_settings ()->graph_profile
              ? calloc (CFM_PROFILE_KINDS, sizeof *r.profile) : NULL;
  status = r.held && r.done && r.needed && r.first && r.packed && r.bands
           && r.fused_next && r.fused_into
           ? list_readers (&r, err)
           : cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  if (status == CFM_OK)
    status = plan (&r, want, n, err);
  /* the input advances so the first wanted value gains BAND_ROWS rows */
  first_h = g->values[want[0]].h;
  r.pace_h = first_h;
  per_step = (int) (((long long) band_rows * in_h + first_h - 1) / first_h);
  for (end = 0; status == CFM_OK && !all_given (&r, want, n);)
    {
      int moved;

      end = per_step > in_h - end ? in_h : end + per_step;
      status = step (&r, end, per_step, &moved, err);
      if (status == CFM_OK && !moved)   /* never: every node can go on */
        status = cfm_error_set (err, CFM_ERR_ARG, "the graph stopped "
                                "before its wanted values were computed");
    }
  run_free (&r);
  return status;
}
