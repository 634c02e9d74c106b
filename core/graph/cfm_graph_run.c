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

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfm_op.h"
#include "cfm_settings.h"

/* The time each kind of node took, for the benchmark ($CFM_GRAPH_PROFILE
 * set: printed to stderr after each run): convolutions by kernel (1x1,
 * depthwise, others) with their multiply-adds, and each other operator. */
#define PROFILE_KINDS 32

typedef struct
{
  const char *kind;
  double      seconds, macs;
} Profile;

static int
profiling (void)
{
  return cfm_settings ()->graph_profile;
}

static double
seconds_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* Adds SECONDS of node NODE's output rows ROWS to PROFILE. */
static void
profile_add (Profile *profile, const CfmGraph *g, const CfmNode *node,
             int rows, double seconds)
{
  const CfmModule *m = &node->m;
  const CfmValue *out = &g->values[node->outputs[0]];
  const char *kind = node->op->name;
  double macs = 0.0;
  int i;

  if (strcmp (kind, "Conv") == 0)
    {
      kind = m->groups == m->in_c && m->groups > 1 ? "Conv depthwise"
             : m->k[0] == 1 && m->k[1] == 1 ? "Conv 1x1" : "Conv";
      macs = (double) out->c * (m->in_c / m->groups) * m->k[0] * m->k[1]
             * rows * out->w;
    }
  for (i = 0; i < PROFILE_KINDS - 1 && profile[i].kind
                  && strcmp (profile[i].kind, kind) != 0; i++)
    ;
  profile[i].kind = kind;
  profile[i].seconds += seconds;
  profile[i].macs += macs;
}

static void
profile_print (const Profile *profile)
{
  int i;

  for (i = 0; i < PROFILE_KINDS && profile[i].kind; i++)
    fprintf (stderr, "profile|%s|%.4f|%.3f\n", profile[i].kind,
             profile[i].seconds, profile[i].macs * 1e-9);
}

/* The rows a value holds: row r of channel ch at buf[ch * cap * w + (r -
 * base) * w]. */
typedef struct
{
  float  *buf;
  size_t  cap;         /* rows of room per plane */
  int     base, lo, hi;
  int     wanted;      /* its rows go to the host */
} Held;

/* A reader of a value: node NODE's input INPUT. */
typedef struct
{
  int node, input;
} Reader;

typedef struct
{
  const CfmGraph *g;
  Held           *held;       /* per value */
  int            *done;       /* per node: output rows computed */
  int            *fused_next; /* per node: the activation it writes, or -1 */
  int            *fused_into; /* per node: the node that writes it, or -1 */
  char           *needed;     /* per node: on the way to a wanted value */
  Reader         *readers;    /* per value, from first[v] to first[v + 1] */
  int            *first;
  CfmConvPacked  *packed;     /* per node */
  CfmBand        *bands;      /* a node's inputs, CFM_NODE_MAX_INPUTS */
  float          *scratch;    /* input rows as the reader gives them */
  size_t          scratch_cap, bytes, limit;
  CfmRowReader    read;
  void           *read_data;
  CfmGraphOutput  output;
  void           *data;
  Profile        *profile;    /* or NULL */
} Run;

size_t
cfm_graph_memory_limit (void)
{
  return cfm_settings ()->memory_limit;
}

/* The row of value V that no reader needs any more: the first row any
 * needed reader's next output row reads (H when none will read again). */
static int
first_row_read (const Run *r, int v)
{
  const CfmGraph *g = r->g;
  int lo = g->values[v].h, e;

  for (e = r->first[v]; e < r->first[v + 1]; e++)
    {
      const CfmNode *node = &g->nodes[r->readers[e].node];
      int done = r->done[r->readers[e].node], r0, rn;
      int out_h = g->values[node->outputs[0]].h;

      if (!r->needed[r->readers[e].node] || done >= out_h)
        continue;
      if (node->op->input_rows)
        node->op->input_rows (g, node, r->readers[e].input, done, 1, &r0, &rn);
      else
        cfm_op_same_rows (g, node, r->readers[e].input, done, 1, &r0, &rn);
      lo = r0 < lo ? r0 : lo;
    }
  return lo;
}

/* Room in V's rows up to row HI, moving the rows held to the front or
 * into a larger buffer when they reach its end. */
static CfmStatus
reserve_rows (Run *r, int v, int hi, CfmError *err)
{
  const CfmValue *val = &r->g->values[v];
  Held *h = &r->held[v];
  size_t plane_old = h->cap * (size_t) val->w, keep = (size_t) (h->hi - h->lo);
  size_t need = (size_t) (hi - h->lo), cap, bytes;
  float *buf;
  int ch;

  if (h->buf && (size_t) (hi - h->base) <= h->cap)
    return CFM_OK;
  cap = h->buf && need <= h->cap ? h->cap : need + need / 4 + 2;
  if (cap > (size_t) val->h)
    cap = (size_t) val->h;
  bytes = cap * (size_t) val->w * (size_t) val->c * sizeof (float);
  if (cap != h->cap || h->buf == NULL)
    {
      size_t old = h->cap * (size_t) val->w * (size_t) val->c * sizeof (float);

      if (r->bytes - old + bytes > r->limit)
        return cfm_error_set (err, CFM_ERR_NOMEM, "%s: holding %zu rows of "
                              "\"%s\" (%d x %d x %d) would pass the memory "
                              "limit of %zu MB ($CFM_MEMORY_LIMIT)",
                              val->producer >= 0
                              ? r->g->nodes[val->producer].name : "input",
                              need, val->name, val->c, val->h, val->w,
                              r->limit >> 20);
      buf = malloc (bytes + sizeof (float));
      if (buf == NULL)
        return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for \"%s\"",
                              val->name);
      r->bytes = r->bytes - old + bytes;
    }
  else
    buf = h->buf;
  for (ch = 0; ch < val->c && keep > 0; ch++)
    memmove (buf + ch * cap * val->w,
             h->buf + ch * plane_old + (size_t) (h->lo - h->base) * val->w,
             keep * val->w * sizeof (float));
  if (buf != h->buf)
    free (h->buf);
  h->buf = buf;
  h->cap = cap;
  h->base = h->lo;
  return CFM_OK;
}

/* Drops the rows of V below what its readers still read; all of them
 * once none will. */
static void
release (Run *r, int v)
{
  Held *h = &r->held[v];
  int lo = first_row_read (r, v);

  if (lo > h->hi)
    lo = h->hi;
  if (lo > h->lo)
    h->lo = lo;
  if (h->lo == h->hi && h->hi == r->g->values[v].h && h->buf)
    {
      r->bytes -= h->cap * (size_t) r->g->values[v].w
                  * (size_t) r->g->values[v].c * sizeof (float);
      free (h->buf);
      h->buf = NULL;
      h->cap = 0;
    }
}

/* The rows of V (a map held, or a constant) that a band reads. */
static CfmBand
band_of (const Run *r, int v, int r0, int rn)
{
  const CfmValue *val = &r->g->values[v];
  const Held *h = &r->held[v];
  CfmBand b;

  b.c = val->c;
  b.h = val->h;
  b.w = val->w;
  if (val->kind == CFM_VALUE_CONST)
    {
      b.data = val->tensor->data;
      b.row0 = 0;
      b.rows = val->h;
      b.plane = (size_t) val->h * val->w;
      return b;
    }
  b.data = h->buf + (size_t) (r0 - h->base) * val->w;
  b.row0 = r0;
  b.rows = rn;
  b.plane = h->cap * (size_t) val->w;
  return b;
}

/* The rows of input I that NODE's output rows [O0, O0 + ON) read. */
static void
rows_read (const Run *r, const CfmNode *node, int i, int o0, int on, int *r0,
           int *rn)
{
  if (node->op->input_rows)
    node->op->input_rows (r->g, node, i, o0, on, r0, rn);
  else
    cfm_op_same_rows (r->g, node, i, o0, on, r0, rn);
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
      rows_read (r, node, i, done, end - done, &r0, &rn);
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
  CfmBand band = band_of (r, v, a, b - a);

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

      status = reserve_rows (r, v, end, err);
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
      release (r, node->inputs[i]);
  for (k = 0; k < node->n_outputs; k++)
    release (r, written_value (r, n, k));
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
        rows_read (r, node, i, done, end - done, &r0, &rn);
        r->bands[i] = band_of (r, node->inputs[i], r0, rn);
      }
    else
      memset (&r->bands[i], 0, sizeof r->bands[i]);
  status = reserve_outputs (r, n, done, end, out, plane, err);
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
  t0 = r->profile ? seconds_now () : 0.0;
  status = node->op->run (r->g, node, &run, err);
  if (r->profile)
    profile_add (r->profile, r->g, node, end - done, seconds_now () - t0);
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
  status = reserve_rows (r, g->input, end, err);
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
  release (r, g->input);
  return status;
}

/* Pairs each node whose one reader is an activation it can write in the
 * same pass (a convolution and its ReLU) with that reader, when its own
 * output is not wanted: that output is then never held. */
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
          || r->held[v].wanted || r->first[v + 1] - r->first[v] != 1
          || g->values[v].kind != CFM_VALUE_MAP)
        continue;
      j = r->readers[r->first[v]].node;
      if (r->needed[j] && r->fused_next[j] < 0
          && r->readers[r->first[v]].input == 0 && g->nodes[j].n_inputs == 1
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
    profile_print (r->profile);
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

/* One step: the input up to row END, then every node as far as it can go
 * within its quota; *MOVED says whether any row was computed. */
static CfmStatus
step (Run *r, int end, int per_step, int *moved, CfmError *err)
{
  int was = r->held[r->g->input].hi, i;
  CfmStatus status = read_input (r, end, err);

  *moved = r->held[r->g->input].hi > was;
  for (i = 0; i < r->g->n_nodes && status == CFM_OK; i++)
    if (r->needed[i] && r->fused_into[i] < 0)
      {
        int ready = rows_ready (r, i), most = r->done[i] + quota (r, i,
                                                                   per_step);

        ready = ready < most ? ready : most;
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
  r.profile = profiling () ? calloc (PROFILE_KINDS, sizeof *r.profile)
                           : NULL;
  status = r.held && r.done && r.needed && r.first && r.packed && r.bands
           && r.fused_next && r.fused_into
           ? list_readers (&r, err)
           : cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  if (status == CFM_OK)
    status = plan (&r, want, n, err);
  /* the input advances so the first wanted value gains BAND_ROWS rows */
  first_h = g->values[want[0]].h;
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
