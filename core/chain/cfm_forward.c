/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_forward.c: a network's forward pass as model.eval () computes it,
 * whole or in bands of rows that share the rows they both need (its API:
 * cfm_network.h; each module's arithmetic: cfm_module_run.c; the sizes:
 * cfm_network_sizes.c). */
#include "cfm_network.h"

#include <stdlib.h>
#include <string.h>

#include "cfm_module_run.h"
#include "cfm_network_sizes.h"
#include "cfm_parallel.h"

/* Whether module M hands on each input row as an output row. */
static int
keeps_rows (const CfmModule *m)
{
  return m->kind == CFM_MODULE_BATCHNORM || m->kind == CFM_MODULE_FUNCTION
         || m->kind == CFM_MODULE_IDENTITY;
}

/* What one layer of a banded pass holds: rows [row0, row0 + rows) of its
 * C planes (plane stride rows x W) in buf; the rows the next band needs
 * too are moved, not computed again (into a new buffer only when the
 * number of rows changes).  A convolution's output that only its fused
 * activation reads is never held: its rows are counted, its buf stays
 * NULL, and the convolution writes the activation's layer alone. */
typedef struct
{
  float  *buf;
  size_t  cap;       /* floats it holds */
  int     row0, rows;
  int     elided;    /* rows counted, none held */
} Held;

/* The layers of a banded pass: Held[0] the input, Held[i + 1] module i's
 * output, and the sizes of each. */
typedef struct
{
  const CfmNetwork *net;
  int               last;
  const int        *c, *h, *w;
  Held             *held;      /* last + 2 of them */
  float            *scratch;   /* input rows as READ gives them */
  size_t            scratch_cap;
  CfmConvPacked    *packed;    /* per module, last + 1 of them */
  int              *plan;      /* a band's rows per layer (plan_rows) */
  CfmRowReader      read;
  void             *read_data;
} Stream;

/* *BUF with room for N floats. */
static int
reserve (float **buf, size_t *cap, size_t n)
{
  float *p;

  if (n <= *cap)
    return 1;
  p = realloc (*buf, (n + 1) * sizeof (float));
  if (p == NULL)
    return 0;
  *buf = p;
  *cap = n;
  return 1;
}

static void
stream_free (Stream *s)
{
  int i;

  for (i = 0; s->held && i <= s->last + 1; i++)
    free (s->held[i].buf);
  free (s->scratch);
  for (i = 0; s->packed && i <= s->last; i++)
    cfm_conv_packed_free (&s->packed[i]);
  free (s->held);
  free (s->packed);
  free (s->plan);
}

/* Computes rows [A, B) of layer I (module I - 1's output, or the input
 * for I = 0) into DST, whose planes are STRIDE floats apart; the layer
 * below already holds the rows they need.  With ACT_DST, module I's
 * activation goes there too (see fuses_next). */
static CfmStatus
compute_rows (Stream *s, int i, int a, int b, float *dst, size_t stride,
              float *act_dst, CfmError *err)
{
  int w = s->w[i], ch;

  if (i == 0)
    {
      CfmStatus status;

      if (!reserve (&s->scratch, &s->scratch_cap, (size_t) s->c[0] * (b - a)
                                                  * w))
        return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for a band");
      status = s->read (s->read_data, a, b - a, s->scratch, err);
      for (ch = 0; ch < s->c[0] && status == CFM_OK; ch++)
        memcpy (dst + ch * stride, s->scratch + (size_t) ch * (b - a) * w,
                (size_t) (b - a) * w * sizeof (float));
      return status;
    }
  {
    const Held *below = &s->held[i - 1];
    const CfmModule *m = &s->net->modules[i - 1];
    CfmBand in = { below->buf, s->c[i - 1], s->h[i - 1],
                   s->w[i - 1], below->row0, below->rows, 0 };
    CfmModuleDest d = { dst, act_dst, stride, CFM_ACT_NONE, 0.0f,
                        &s->packed[i - 1] };
    return cfm_module_run (m, &in, &d,
                           i <= s->last ? &s->net->modules[i] : NULL, a,
                           b - a, w, err);
  }
}

/* Whether layer I's module (a convolution the vector path takes at once)
 * also gives the next module's output, an activation it can fuse. */
static int
fuses_next (const Stream *s, int i)
{
  return i >= 1 && i <= s->last
         && cfm_module_fuses (&s->net->modules[i - 1], &s->net->modules[i]);
}

/* Of rows [R0, R0 + RN), how many at their start HD already holds. */
static int
kept_rows (const Held *hd, int r0, int rn)
{
  int kept;

  if (hd->rows <= 0 || r0 < hd->row0 || r0 >= hd->row0 + hd->rows)
    return 0;
  kept = hd->row0 + hd->rows - r0;
  return kept < rn ? kept : rn;
}

/* The rows each layer holds for output rows [O0, O0 + ON) of module LAST:
 * [R0[i], R0[i] + RN[i]), of which KEPT[i] it held already.  A layer holds
 * what its successor reads for its new rows (its kernel's rows, not the
 * whole chain's field), or, below a row-for-row module, what that holds. */
static void
plan_rows (const Stream *s, int o0, int on, int *r0, int *rn, int *kept)
{
  int i;

  r0[s->last + 1] = o0;
  rn[s->last + 1] = on;
  kept[s->last + 1] = kept_rows (&s->held[s->last + 1], o0, on);
  for (i = s->last; i >= 0; i--)
    {
      const CfmModule *m = &s->net->modules[i];
      int fresh = rn[i + 1] - kept[i + 1];

      if (keeps_rows (m))
        {
          r0[i] = r0[i + 1];
          rn[i] = rn[i + 1];
        }
      else if (fresh > 0)
        cfm_module_input_rows (m, s->h[i], r0[i + 1] + kept[i + 1], fresh, &r0[i],
                    &rn[i]);
      else   /* nothing new above: hold what it holds */
        {
          r0[i] = s->held[i].row0;
          rn[i] = s->held[i].rows;
        }
      kept[i] = kept_rows (&s->held[i], r0[i], rn[i]);
    }
}

/* A copy of N floats of each of C planes, shared among workers. */
typedef struct
{
  float       *dst;
  const float *src;
  size_t       dst_stride, src_stride, n;
  int          c, workers;
} PlaneCopy;

static void
copy_worker (void *data, int worker)
{
  const PlaneCopy *p = data;
  int c0 = (int) ((long long) p->c * worker / p->workers);
  int c1 = (int) ((long long) p->c * (worker + 1) / p->workers), ch;

  for (ch = c0; ch < c1; ch++)
    memmove (p->dst + ch * p->dst_stride, p->src + ch * p->src_stride,
             p->n * sizeof (float));
}

/* Copies N floats of each of C planes (within a plane they may overlap)
 * on the threads cfm_thread_count gives. */
static void
copy_planes (float *dst, size_t dst_stride, const float *src,
             size_t src_stride, size_t n, int c)
{
  PlaneCopy run = { dst, src, dst_stride, src_stride, n, c, 1 };

  if (n == 0)
    return;
  run.workers = cfm_thread_count (0, c < CFM_WORKERS_MAX ? c
                                                         : CFM_WORKERS_MAX);
  cfm_parallel_run (run.workers, copy_worker, &run);
}

/* Moves layer I's held rows on to [R0, R0 + RN), the KEPT rows it held at
 * their start: in place when the number of rows stays (the planes keep
 * their stride), else into a buffer of the new size that replaces the
 * old one. */
static CfmStatus
shift_layer (Stream *s, int i, int r0, int rn, int kept, CfmError *err)
{
  Held *hd = &s->held[i];
  int w = s->w[i];
  size_t stride = (size_t) rn * w, skip = (size_t) (r0 - hd->row0) * w;
  float *to = hd->buf;
  size_t cap = hd->cap;

  if (hd->elided)
    {
      hd->row0 = r0;
      hd->rows = rn;
      return CFM_OK;
    }
  if (rn != hd->rows || to == NULL)
    {
      to = NULL;
      cap = 0;
      if (!reserve (&to, &cap, (size_t) s->c[i] * stride))
        return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for the "
                              "rows of %s", i == 0 ? "the input"
                              : s->net->modules[i - 1].name);
    }
  if (kept > 0)
    copy_planes (to, stride, hd->buf + skip, (size_t) hd->rows * w,
                 (size_t) kept * w, s->c[i]);
  if (to != hd->buf)
    free (hd->buf);
  *hd = (Held) { to, cap, r0, rn, 0 };
  return CFM_OK;
}

/* Computes layer I's rows after its KEPT ones, into the next layer's
 * rows too when the layer's convolution gives them (*FUSED: whether it
 * did); with FUSED_IN set, the layer below computed them already. */
static CfmStatus
fill_layer (Stream *s, int i, int kept, int fused_in, int *fused,
            CfmError *err)
{
  Held *hd = &s->held[i];
  size_t stride = (size_t) hd->rows * s->w[i], at = (size_t) kept * s->w[i];
  float *conv, *act = NULL;

  *fused = 0;
  if (kept >= hd->rows || fused_in)
    return CFM_OK;
  conv = hd->elided ? NULL : hd->buf + at;
  /* a row-for-row successor holds the same rows as this layer */
  if (fuses_next (s, i))
    {
      act = s->held[i + 1].buf + at;
      *fused = 1;
      if (hd->elided)   /* the activation alone (cfm_conv.h) */
        conv = act;
    }
  return compute_rows (s, i, hd->row0 + kept, hd->row0 + hd->rows, conv,
                       stride, act, err);
}

/* Moves every layer on to the rows output rows [O0, O0 + ON) of module
 * LAST need, computing only the rows the layer did not hold: first every
 * layer's kept rows move to the start of its planes, then the new rows
 * are computed from the input up. */
static CfmStatus
stream_advance (Stream *s, int o0, int on, CfmError *err)
{
  int n = s->last + 2, *r0 = s->plan, *rn = r0 + n, *kept = rn + n;
  int fused = 0, i;
  CfmStatus status = CFM_OK;

  plan_rows (s, o0, on, r0, rn, kept);
  for (i = 0; i <= s->last + 1 && status == CFM_OK; i++)
    if (kept[i] < rn[i] || r0[i] != s->held[i].row0
        || rn[i] != s->held[i].rows)
      status = shift_layer (s, i, r0[i], rn[i], kept[i], err);
  for (i = 0; i <= s->last + 1 && status == CFM_OK; i++)
    status = fill_layer (s, i, kept[i], fused, &fused, err);
  return status;
}

/* Checks that WANT[0 .. N) are modules in order. */
static CfmStatus
check_wanted (const CfmNetwork *net, const int *want, int n, CfmError *err)
{
  int i;

  if (n < 1 || n > CFM_NETWORK_FORWARD_MAX)
    return cfm_error_set (err, CFM_ERR_ARG, "%d modules wanted at once", n);
  for (i = 0; i < n; i++)
    if (want[i] < 0 || want[i] >= net->n || (i > 0 && want[i] <= want[i - 1]))
      return cfm_error_set (err, CFM_ERR_ARG, "the modules wanted are not "
                            "in the chain's order");
  return CFM_OK;
}

typedef struct
{
  const float *in;
  int          c, h, w;
} WholeInput;

static CfmStatus
read_whole (void *data, int row0, int rows, float *dst, CfmError *err)
{
  const WholeInput *in = data;
  int ch;

  (void) err;
  for (ch = 0; ch < in->c; ch++)
    memcpy (dst + (size_t) ch * rows * in->w,
            in->in + ((size_t) ch * in->h + row0) * in->w,
            (size_t) rows * in->w * sizeof (float));
  return CFM_OK;
}

/* Starts a banded pass of modules 0 .. LAST on sizes C, H, W that gives
 * modules WANT[0 .. N) (when it fails, stream_free still frees S). */
static CfmStatus
stream_init (Stream *s, const CfmNetwork *net, int last, const int *c,
             const int *h, const int *w, const int *want, int n,
             CfmRowReader read, void *read_data, CfmError *err)
{
  int i, j;

  memset (s, 0, sizeof *s);
  s->net = net;
  s->last = last;
  s->c = c;
  s->h = h;
  s->w = w;
  s->read = read;
  s->read_data = read_data;
  s->held = calloc ((size_t) last + 2, sizeof *s->held);
  s->packed = calloc ((size_t) last + 1, sizeof *s->packed);
  s->plan = calloc (3 * ((size_t) last + 2), sizeof *s->plan);
  if (s->held == NULL || s->packed == NULL || s->plan == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for a pass of "
                          "%d modules", last + 1);
  /* a fused convolution's own output, when nobody wants it, is not held */
  for (i = 1; i <= last; i++)
    {
      s->held[i].elided = fuses_next (s, i);
      for (j = 0; j < n; j++)
        if (want[j] == i - 1)
          s->held[i].elided = 0;
    }
  return CFM_OK;
}

/* What a banded pass hands on: the wanted modules' rows, each module's
 * in order and once. */
typedef struct
{
  const int    *want;
  int           next[CFM_NETWORK_FORWARD_MAX];   /* first row not handed on */
  CfmBandOutput output;
  void         *data;
  float        *rows;       /* a part of a layer's rows, planes together */
  size_t        rows_cap;
} Handing;

/* Hands on rows [R0, R0 + RN) of wanted module J, held in HD's rows from
 * the one past those already handed on. */
static CfmStatus
hand_rows (Handing *hg, int j, const Held *hd, const Stream *s, int r0,
           int rn, CfmError *err)
{
  int m = hg->want[j], from = hg->next[j] > r0 ? hg->next[j] : r0, ch;
  size_t w = (size_t) s->w[m + 1], n = (size_t) (r0 + rn - from) * w;
  const float *out = hd->buf;

  if (from >= r0 + rn)
    return CFM_OK;
  if (from != hd->row0 || r0 + rn != hd->row0 + hd->rows)
    {
      /* the callback takes planes of just the rows it is given */
      if (!reserve (&hg->rows, &hg->rows_cap, n * s->c[m + 1]))
        return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for the "
                              "rows of %s", s->net->modules[m].name);
      for (ch = 0; ch < s->c[m + 1]; ch++)
        memcpy (hg->rows + ch * n, hd->buf + ch * (size_t) hd->rows * w
                                   + (size_t) (from - hd->row0) * w,
                n * sizeof (float));
      out = hg->rows;
    }
  hg->next[j] = r0 + rn;
  return hg->output (hg->data, m, out, s->c[m + 1], s->h[m + 1], (int) w,
                     from, r0 + rn - from, err);
}

static CfmStatus forward_rows (const CfmNetwork *net, int module, int c,
                               int h, int w, int row0, int rows,
                               int band_rows, CfmRowReader read,
                               void *read_data, Handing *hg, int j,
                               CfmError *err);

/* Hands on what wanted module J (one before the last) holds after a band,
 * from its first row not yet handed on: rows before the ones it holds (a
 * module after it that skips rows) come from a pass of their own first. */
static CfmStatus
hand_earlier (const Stream *s, Handing *hg, int j, CfmRowReader read,
              void *read_data, CfmError *err)
{
  const Held *hd = &s->held[hg->want[j] + 1];
  CfmStatus status = CFM_OK;

  if (hg->next[j] < hd->row0)
    status = forward_rows (s->net, hg->want[j], s->c[0], s->h[0], s->w[0],
                           hg->next[j], hd->row0 - hg->next[j], hd->rows,
                           read, read_data, hg, j, err);
  if (status == CFM_OK)
    status = hand_rows (hg, j, hd, s, hd->row0, hd->rows, err);
  return status;
}

/* Rows [ROW0, ROW0 + ROWS) of module LAST (ROWS < 0: to its last row),
 * the last of HG's WANT[0 .. J], in bands of BAND_ROWS, and those of the
 * modules before it in HG after each band. */
static CfmStatus
forward_rows (const CfmNetwork *net, int last, int c, int h, int w,
              int row0, int rows, int band_rows, CfmRowReader read,
              void *read_data, Handing *hg, int j, CfmError *err)
{
  /* (the sizes on the heap: the pass may call itself, for rows it skips) */
  int *cs = malloc (3 * ((size_t) last + 2) * sizeof *cs), *hs, *ws;
  int end, k;
  CfmStatus status;
  Stream s;

  if (cs == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for a pass of "
                          "%d modules", last + 1);
  hs = cs + last + 2;
  ws = hs + last + 2;
  cs[0] = c;
  hs[0] = h;
  ws[0] = w;
  status = cfm_chain_sizes (net, last, cs, hs, ws, err);
  if (status != CFM_OK)
    {
      free (cs);
      return status;
    }
  end = rows < 0 ? hs[last + 1] : row0 + rows;
  status = stream_init (&s, net, last, cs, hs, ws, hg->want, j + 1, read,
                        read_data, err);
  band_rows = band_rows < 1 ? 1 : band_rows;
  for (; status == CFM_OK && row0 < end; row0 += band_rows)
    {
      int n = end - row0 < band_rows ? end - row0 : band_rows;

      status = stream_advance (&s, row0, n, err);
      for (k = 0; k < j && status == CFM_OK; k++)
        status = hand_earlier (&s, hg, k, read, read_data, err);
      if (status == CFM_OK)
        status = hand_rows (hg, j, &s.held[last + 1], &s, row0, n, err);
    }
  /* at the end, the rows of the earlier modules no band of this one
   * reads (the last row of an odd height before a 2/2 pooling) */
  for (k = 0; k < j && status == CFM_OK && end == hs[last + 1]; k++)
    if (hg->next[k] < hs[hg->want[k] + 1])
      status = forward_rows (net, hg->want[k], c, h, w, hg->next[k],
                             hs[hg->want[k] + 1] - hg->next[k], band_rows,
                             read, read_data, hg, k, err);
  stream_free (&s);
  free (cs);
  return status;
}

CfmStatus
cfm_network_forward_bands (const CfmNetwork *net, const int *want, int n,
                           int c, int h, int w, int band_rows,
                           CfmRowReader read, void *read_data,
                           CfmBandOutput output, void *data, CfmError *err)
{
  Handing hg = { want, { 0 }, output, data, NULL, 0 };
  CfmStatus status = check_wanted (net, want, n, err);

  if (status == CFM_OK)
    status = forward_rows (net, want[n - 1], c, h, w, 0, -1, band_rows,
                           read, read_data, &hg, n - 1, err);
  free (hg.rows);
  return status;
}

CfmStatus
cfm_network_forward (const CfmNetwork *net, int last, const float *in, int c,
                     int h, int w, CfmModuleOutput output, void *data,
                     CfmError *err)
{
  int cs[CFM_NETWORK_MAX_MODULES + 1] = { c }, hs[CFM_NETWORK_MAX_MODULES + 1]
    = { h }, ws[CFM_NETWORK_MAX_MODULES + 1] = { w };
  WholeInput whole = { in, c, h, w };
  CfmStatus status = cfm_chain_sizes (net, last, cs, hs, ws, err);
  int i;

  /* each module's whole output, from a pass of its own */
  for (i = output ? 0 : last; i <= last && status == CFM_OK; i++)
    {
      Stream s;

      status = stream_init (&s, net, i, cs, hs, ws, &i, 1, read_whole,
                            &whole, err);
      if (status == CFM_OK)
        status = stream_advance (&s, 0, hs[i + 1], err);
      if (status == CFM_OK && output)
        status = output (data, i, s.held[i + 1].buf, cs[i + 1], hs[i + 1],
                         ws[i + 1], err);
      stream_free (&s);
    }
  return status;
}
