/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_rows.c: the rows each value holds during a run, Halide's
 * sliding window: a buffer that keeps rows [lo, hi), lo the first row any
 * reader's next output row reads, grown or moved to its front as rows come
 * (its API: cfm_graph_engine.h). */
#include "cfm_graph_engine.h"

#include <stdlib.h>
#include <string.h>

/* The rows of input I that NODE's output rows [O0, O0 + ON) read. */
void
cfm_rows_read (const Run *r, const CfmNode *node, int i, int o0, int on,
               int *r0, int *rn)
{
  if (node->op->input_rows)
    node->op->input_rows (r->g, node, i, o0, on, r0, rn);
  else
    cfm_op_same_rows (r->g, node, i, o0, on, r0, rn);
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
      cfm_rows_read (r, node, r->readers[e].input, done, 1, &r0, &rn);
      lo = r0 < lo ? r0 : lo;
    }
  return lo;
}

/* Room in V's rows up to row HI, moving the rows held to the front or
 * into a larger buffer when they reach its end. */
CfmStatus
cfm_rows_reserve (Run *r, int v, int hi, CfmError *err)
{
  return cfm_rows_reserve_cap (r, v, hi, 0, err);
}

CfmStatus
cfm_rows_reserve_cap (Run *r, int v, int hi, size_t min_cap, CfmError *err)
{
  const CfmValue *val = &r->g->values[v];
  Held *h = &r->held[v];
  size_t plane_old = h->cap * (size_t) val->w, keep = (size_t) (h->hi - h->lo);
  size_t need = (size_t) (hi - h->lo), cap, bytes;
  float *buf;
  int ch;

  if (h->buf && (size_t) (hi - h->base) <= h->cap && h->cap >= min_cap)
    return CFM_OK;
  cap = h->buf && need <= h->cap ? h->cap : need + need / 4 + 2;
  if (cap > (size_t) val->h)
    cap = (size_t) val->h;
  if (cap < min_cap)
    cap = min_cap;
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
void
cfm_rows_release (Run *r, int v)
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
CfmBand
cfm_rows_band (const Run *r, int v, int r0, int rn)
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
  if (rn == 0)   /* no row read (a zero pad's border): no row's address */
    r0 = h->base;
  b.data = h->buf == NULL ? NULL : h->buf + (size_t) (r0 - h->base) * val->w;
  b.row0 = r0;
  b.rows = rn;
  b.plane = h->cap * (size_t) val->w;
  return b;
}
