/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_conv_fast.c: the vector path; see cfm_conv_fast.h.
 *
 * Each thread pads the input rows it reads into a few rows of its own as
 * it reaches them (the padding mode applied once per row), so the kernels
 * run without a branch per pixel.  Threads claim runs of output rows (or
 * parts of a run's filters) one after another, so a slower one takes
 * fewer.  Each window's activation rows are pooled as soon as they are
 * computed, while they are in cache.  Large maps are computed a row at a
 * time into a small buffer and streamed to memory from there (see
 * stream_*), which halves the memory traffic of writing them. */
#include "cfm_conv_fast.h"
#include "cfm_parallel.h"
#include "cfm_settings.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#endif

#define CFM_FAST_MAX_ROWS CFM_CONV_FAST_ROWS
#define CACHE_LINE_FLOATS 16
#define CFM_CAT_(a, b) a##_##b
#define CFM_CAT(a, b) CFM_CAT_ (a, b)
#define CFM_CAT3_(a, b, c) a##_##b##_##c
#define CFM_CAT3(a, b, c) CFM_CAT3_ (a, b, c)

typedef struct
{
  const float  *packed;       /* weights: group g0, tap t, filter f at
                                 packed[g0 * taps + t * group + f] */
  const float  *bias;         /* groups * group values */
  int           taps, group, groups, n;
  int           chunk_taps;   /* taps summed per pass over a row */
  int           col_vectors;  /* vectors of columns per block */
  int           c, kh, kw, dilation, padding, stride;
  const float  *band;         /* the input band's c planes */
  int           direct;       /* its rows are read where they are */
  const float  *zero_row;
  int           in_w, pw, pitch, band_row0, in_h, row0, out_w;
  size_t        band_plane;
  CfmPadMode    pad_mode;
  float        *conv, *act_out, *dummy;
  size_t        plane_stride;
  float         negative;     /* activation: v > 0 ? v : v * negative */
  int           stream;       /* outputs go through a buffer, streamed */
  const CfmPoolTarget *pool;  /* pool while in cache, or NULL */
  int           pool_size;    /* window side = stride; 1 without pooling */
} FastJob;

/* A slice's padded input rows: per channel KH slots of PW floats (PITCH
 * apart), and the band row each holds (-1: none). */
typedef struct
{
  float *rows;   /* channel ch's slot i at rows + (ch * kh + i) * pitch */
  int   *tag;
} RowCache;

/* The slot of TAG[0 .. N) that holds row Y, or -1. */
static int
find_slot (const int *tag, int n, int y)
{
  int i;

  for (i = 0; i < n; i++)
    if (tag[i] == y)
      return i;
  return -1;
}

/* A slot of TAG[0 .. N) that is empty or holds none of the rows NEED[0 ..
 * N) (negative: a row of zeros, held nowhere).  There is one: the row
 * wanted is needed and not held, and at most N rows are needed. */
static int
spare_slot (const int *tag, const int *need, int n)
{
  int i;

  for (i = 0; i < n; i++)
    if (tag[i] < 0 || find_slot (need, n, tag[i]) < 0)
      return i;
  return 0;
}

/* Points ROWS[ch * kh + ky] at the input rows output row R (job-relative)
 * reads: the band's own rows when they serve as they are, else CACHE's
 * padded copies, padding the rows it does not hold yet (in the interior
 * one a channel, the row the kernel reaches first). */
static void
fast_row_pointers (const FastJob *job, int r, RowCache *cache,
                   const float **rows)
{
  /* a trained model's kernel may be taller than a bank's: KH is bounded by
   * the vector path's kernel rows alone (C * KH) */
  int need[CFM_FAST_MAX_ROWS], ch, ky;

  for (ky = 0; ky < job->kh; ky++)
    need[ky] = cfm_pad_index ((job->row0 + r) * job->stride - job->padding
                              + ky * job->dilation, job->in_h,
                              job->pad_mode);
  for (ch = 0; ch < job->c; ch++)
    {
      const float *plane = job->band + (size_t) ch * job->band_plane;
      /* no cache when the band's rows are read where they are */
      int *tag = job->direct ? NULL : cache->tag + ch * job->kh;
      float *slots = job->direct ? NULL
                     : cache->rows + (size_t) ch * job->kh * job->pitch;

      for (ky = 0; ky < job->kh; ky++)
        {
          const float *src;
          int slot;

          if (need[ky] < 0)
            {
              rows[ch * job->kh + ky] = job->zero_row;
              continue;
            }
          src = plane + (size_t) (need[ky] - job->band_row0) * job->in_w;
          if (job->direct)
            {
              rows[ch * job->kh + ky] = src;
              continue;
            }
          slot = find_slot (tag, job->kh, need[ky]);
          if (slot < 0)
            {
              slot = spare_slot (tag, need, job->kh);
              cfm_pad_row (src, job->in_w, job->padding, job->pad_mode,
                           slots + (size_t) slot * job->pitch);
              tag[slot] = need[ky];
            }
          rows[ch * job->kh + ky] = slots + (size_t) slot * job->pitch;
        }
    }
}

#if defined(__GNUC__)
#define VL 4
#define SUFFIX portable
#define TARGET
#define CFM_STREAM_STORE(p, v) store_portable ((p), (v))
#include "cfm_conv_kernel.inc"
#undef VL
#undef SUFFIX
#undef TARGET
#undef CFM_STREAM_STORE

#if defined(__x86_64__) || defined(__i386__)
#define CFM_HAVE_X86 1
#define VL 8
#define SUFFIX avx2
#define TARGET __attribute__ ((target ("avx2,fma")))
#define CFM_STREAM_STORE(p, v) _mm256_stream_ps ((p), (__m256) (v))
#include "cfm_conv_kernel.inc"
#undef VL
#undef SUFFIX
#undef TARGET
#undef CFM_STREAM_STORE

#define VL 16
#define SUFFIX avx512
#define TARGET __attribute__ ((target ("avx512f,fma")))
#define CFM_STREAM_STORE(p, v) _mm512_stream_ps ((p), (__m512) (v))
#include "cfm_conv_kernel.inc"
#undef VL
#undef SUFFIX
#undef TARGET
#undef CFM_STREAM_STORE
#endif
#endif

int
cfm_conv_fast_eligible (const CfmBank *bank, const CfmConvParams *p,
                        int out_w, CfmPath path)
{
#if defined(__GNUC__)
  int block = (bank->n <= 4 ? 4 : 2) * cfm_path_vector_width (path);

  return p->stride == 1 && out_w >= block && bank->n <= CFM_FILTERS_MAX
         && bank->c * bank->kh <= CFM_FAST_MAX_ROWS;
#else
  (void) bank; (void) p; (void) out_w; (void) path;
  return 0;
#endif
}

typedef void (*RowFunc) (const FastJob *job, int r, int g0, int g1,
                         RowCache *cache, float *const *conv,
                         float *const *act, float *const *part);
typedef void (*StreamFunc) (float *dst, const float *src, size_t n);

/* Output rows shared out among threads a run at a time, so that a thread
 * slowed down (the machine is shared) takes fewer: run K (from 0) is the
 * job's part of rows [(first + K) * run, (first + K + 1) * run), counted
 * from the map's first row so that no pooling window is cut. */
typedef struct
{
  atomic_int next;
  int        first, run;
  int        rows;        /* the job's output rows */
  int        parts;       /* each run's filter groups in this many parts */
} RowClaim;

typedef struct
{
  const FastJob *job;
  CfmPath        path;
  int            r0, r1;      /* the rows of a thread alone, or */
  RowClaim      *claim;       /* runs of rows claimed one after another */
  int            ok;
} Slice;

/* The kernel and the copy of PATH (no kernel without GNU C vectors). */
static void
isa_functions (CfmPath path, RowFunc *row, StreamFunc *stream)
{
  *row = NULL;
  *stream = NULL;
#if defined(__GNUC__)
  *row = row_portable;
  *stream = stream_portable;
#if defined(CFM_HAVE_X86)
  if (path == CFM_PATH_AVX512)
    {
      *row = row_avx512;
      *stream = stream_avx512;
    }
  else if (path == CFM_PATH_AVX2)
    {
      *row = row_avx2;
      *stream = stream_avx2;
    }
#endif
#endif
  (void) path;
}

/* Row pointers for output row R (job-relative): the maps themselves, or
 * the slice's buffers when streaming (activation rows one per row of the
 * pooling window, so a window can be pooled from there). */
static void
out_pointers (const FastJob *job, int r, float *cbuf, float *abuf,
              float **conv, float **act)
{
  int nf = job->groups * job->group, k = (job->row0 + r) % job->pool_size;
  int f;

  for (f = 0; f < nf; f++)
    {
      size_t at = (size_t) f * job->plane_stride + (size_t) r * job->out_w;

      if (job->stream)
        {
          conv[f] = cbuf + (size_t) f * job->out_w;
          act[f] = job->act_out ? abuf + ((size_t) f * job->pool_size + k)
                                         * job->out_w
                                : NULL;
        }
      else if (f < job->n)
        {
          conv[f] = job->conv + at;
          act[f] = job->act_out ? job->act_out + at : NULL;
        }
      else
        {
          conv[f] = job->dummy;
          act[f] = job->act_out ? job->dummy : NULL;
        }
    }
}

/* Pools the window that ends at row R (job-relative) of every filter, when
 * it is one of the target's rows. */
static int
pool_window (const FastJob *job, int r, const float *abuf, float *pbuf,
             StreamFunc stream)
{
  const CfmPoolTarget *t = job->pool;
  int ps = job->pool_size, abs = job->row0 + r, p = abs / ps, f;

  if (t == NULL || abs % ps != ps - 1 || p < t->row0 || p >= t->row0 + t->rows)
    return 1;
  for (f = 0; f < job->n; f++)
    {
      const float *in = job->stream
        ? abuf + (size_t) f * ps * job->out_w
        : job->act_out + (size_t) f * job->plane_stride
          + (size_t) (r - ps + 1) * job->out_w;
      float *out = t->out + (size_t) f * t->plane_stride
                   + (size_t) (p - t->row0) * t->out_w;

      if (cfm_pool2d_forward (t->params, in, t->map_h, t->map_w, p * ps, ps,
                              p, 1, job->stream ? pbuf : out, NULL)
          != CFM_OK)
        return 0;
      if (job->stream)
        stream (out, pbuf, (size_t) t->out_w);
    }
  return 1;
}

/* Streams row R's buffers to the maps. */
static void
stream_row (const FastJob *job, int r, float *const *conv, float *const *act,
            StreamFunc stream)
{
  int f;

  for (f = 0; f < job->n; f++)
    {
      size_t at = (size_t) f * job->plane_stride + (size_t) r * job->out_w;

      stream (job->conv + at, conv[f], (size_t) job->out_w);
      if (act[f])
        stream (job->act_out + at, act[f], (size_t) job->out_w);
    }
}

/* The next rows of slice S, [*R0, *R1), and their filter groups [*G0,
 * *G1): its own the first time, or the next part of a run unclaimed; 0
 * when there are none. */
static int
next_rows (Slice *s, int *r0, int *r1, int *g0, int *g1)
{
  const FastJob *job = s->job;
  const RowClaim *c = s->claim;
  int u, k, p, a, b;

  *g0 = 0;
  *g1 = job->groups;
  if (c == NULL)
    {
      *r0 = s->r0;
      *r1 = s->r1;
      s->r0 = s->r1;
      return *r0 < *r1;
    }
  u = atomic_fetch_add (&s->claim->next, 1);
  k = u / c->parts + c->first;
  p = u % c->parts;
  a = k * c->run - job->row0;
  b = a + c->run;
  *r0 = a > 0 ? a : 0;
  *r1 = b < c->rows ? b : c->rows;
  *g0 = (int) ((long long) job->groups * p / c->parts);
  *g1 = (int) ((long long) job->groups * (p + 1) / c->parts);
  return *r0 < *r1;
}

static void
run_slice (Slice *s)
{
  const FastJob *job = s->job;
  int nf = job->groups * job->group, r;
  float *conv[CFM_FILTERS_MAX + 8], *act[CFM_FILTERS_MAX + 8];
  float *buf = NULL, *part[2] = { NULL, NULL };
  RowCache cache = { NULL, NULL };
  RowFunc row;
  StreamFunc stream;
  int i, r0, r1, g0, g1;

  isa_functions (s->path, &row, &stream);
  s->ok = row != NULL;
  if (!job->direct)
    {
      cache.rows = malloc (((size_t) job->c * job->kh * job->pitch + 1)
                           * sizeof (float));
      cache.tag = malloc ((size_t) job->c * job->kh * sizeof (int));
      s->ok = s->ok && cache.rows && cache.tag;
      for (i = 0; cache.tag && i < job->c * job->kh; i++)
        cache.tag[i] = -1;
    }
  if (job->chunk_taps < job->taps)
    {
      /* a row of partial sums per filter (see the kernel's row) */
      part[0] = malloc (((size_t) nf * job->out_w + 1) * sizeof (float));
      s->ok = s->ok && part[0] != NULL;
    }
  if (job->stream)
    {
      /* conv: a row per filter; activation: a window of rows per filter;
       * pooled: one row */
      buf = malloc (((size_t) nf * (1 + job->pool_size) + 1) * job->out_w
                    * sizeof (float));
      s->ok = s->ok && buf != NULL;
    }
  while (s->ok && next_rows (s, &r0, &r1, &g0, &g1))
    for (r = r0; s->ok && r < r1; r++)
      {
        float *abuf = buf ? buf + (size_t) nf * job->out_w : NULL;

        out_pointers (job, r, buf, abuf, conv, act);
        row (job, r, g0, g1, &cache, conv, act, part);
        if (job->stream)
          stream_row (job, r, conv, act, stream);
        s->ok = pool_window (job, r, abuf,
                             abuf ? abuf + (size_t) nf * job->pool_size
                                           * job->out_w : NULL,
                             stream);
      }
#if defined(__GNUC__) && defined(CFM_HAVE_X86)
  if (job->stream)
    _mm_sfence ();   /* streamed stores are seen before the thread ends */
#endif
  free (buf);
  free (part[0]);
  free (cache.rows);
  free (cache.tag);
}

/* The distance in floats between the rows of the padded copy of rows W
 * wide with PADDING: whole cache lines, an odd number of them, so that the
 * many input rows a block reads (48 kernel rows) fall in different sets of
 * the first-level cache, not in one (as rows 4 KB apart do). */
static int
copy_pitch (int w, int padding)
{
  int lines = (w + 2 * padding + CACHE_LINE_FLOATS - 1) / CACHE_LINE_FLOATS;

  return (lines | 1) * CACHE_LINE_FLOATS;
}

/* Whether rows W floats apart share the first-level cache's sets so much
 * (within four lines of a multiple of 2 KB) that the kernel reads padded
 * copies of them instead, even without padding. */
static int
rows_collide (int w)
{
  int off = (int) (((size_t) w * sizeof (float)) % 2048);

  return off < 4 * 64 || off > 2048 - 4 * 64;
}

/* Whether outputs go through a buffer and are streamed: for maps far larger
 * than the caches that are not READ_SOON ($CFM_STREAM "always" or "never"
 * decides instead). */
static int
use_stream (size_t out_bytes, int read_soon)
{
  int stream = cfm_settings ()->stream;

  if (stream >= 0)
    return stream;
  return !read_soon && out_bytes >= CFM_STREAM_BYTES;
}

/* Kernel rows (input channels times kernel height) summed in one pass
 * over an output row: a block's input rows (four cache lines of each) and
 * its filters' weights stay in the first-level cache while it sums them.
 * On VGG-16's 3x3 layers of 64 to 256 channels, in runs that alternated
 * 12, 24, 36, 48, 72, 96 and all rows at once, 48 was among the fastest
 * and all at once the slowest by 10 to 30%. */
#define CHUNK_KERNEL_ROWS 48

/* Input channels per pass for kernels KH high (at least one). */
static int
chunk_channels (int kh)
{
  return kh < CHUNK_KERNEL_ROWS ? CHUNK_KERNEL_ROWS / kh : 1;
}

static void
job_init (FastJob *job, const CfmBank *bank, const CfmBand *in,
          const CfmConvParams *p, int out_w, int row0, CfmPath path)
{
  memset (job, 0, sizeof *job);
  job->group = bank->n <= 4 ? 4 : 8;
  job->groups = (bank->n + job->group - 1) / job->group;
  /* Eight filters take three vectors of columns where the map is as wide,
   * 24 sums in registers: fewer loads per multiply-add than two. */
  job->col_vectors = job->group == 4 ? 4
                     : out_w >= 3 * cfm_path_vector_width (path) ? 3 : 2;
  job->n = bank->n;
  job->taps = bank->c * bank->kh * bank->kw;
  job->c = bank->c;
  job->kh = bank->kh;
  job->kw = bank->kw;
  job->chunk_taps = chunk_channels (bank->kh) * bank->kh * bank->kw;
  job->dilation = p->dilation;
  job->padding = p->padding;
  job->stride = p->stride;
  job->pad_mode = p->pad_mode;
  job->pw = in->w + 2 * p->padding;
  job->pitch = copy_pitch (in->w, p->padding);
  job->in_w = in->w;
  job->band = in->data;
  job->direct = p->padding == 0 && !rows_collide (in->w);
  job->band_row0 = in->row0;
  job->band_plane = cfm_band_plane (in);
  job->in_h = in->h;
  job->row0 = row0;
  job->out_w = out_w;
  job->pool_size = 1;
}

static void
run_slice_worker (void *data, int worker)
{
  run_slice ((Slice *) data + worker);
}

/* A job's rows go out in runs of its rows / (threads x RUNS_PER_THREAD),
 * at least RUN_ROWS_MIN, in whole pooling windows, and where that makes
 * fewer runs than RUNS_PER_THREAD a thread, each run's filter groups in
 * parts: the thread that ends last ends at most a short part after the
 * other.  On VGG-16's chain in bands of 4 rows on two threads, one thread
 * waited for the other 0.5 s of a 4.5 s run with a fixed half each, 0.3 s
 * with runs of rows, 0.12 s with the parts.  A thread's first row of a run
 * pads all its kernel's input rows, the others one row each; threads that
 * share a row's parts both pad it. */
#define RUN_ROWS_MIN 1
#define RUNS_PER_THREAD 16

/* Runs ROWS output rows on up to THREADS threads, which claim them a run
 * at a time, runs being whole pooling windows; returns 0 when a slice
 * failed (out of memory). */
static int
run_slices (const FastJob *job, CfmPath path, int threads, int rows)
{
  Slice slices[CFM_WORKERS_MAX];
  RowClaim claim;
  int nt = cfm_thread_count (threads, rows < CFM_WORKERS_MAX
                                      ? (rows > 0 ? rows : 1)
                                      : CFM_WORKERS_MAX);
  int ps = job->pool_size, run, i, ok = 1;

  run = (rows + nt * RUNS_PER_THREAD - 1) / (nt * RUNS_PER_THREAD);
  run = run < RUN_ROWS_MIN ? RUN_ROWS_MIN : run;
  run = (run + ps - 1) / ps * ps;
  atomic_init (&claim.next, 0);
  claim.first = job->row0 / run;
  claim.run = run;
  claim.rows = rows;
  /* Too few rows for the runs (a deep layer's band): each row's filter
   * groups go in parts too.  Not where rows are streamed or pooled here,
   * which take a row's filters together. */
  claim.parts = 1;
  if (!job->stream && job->pool == NULL)
    {
      int runs = (rows + run - 1) / run, units = nt * RUNS_PER_THREAD;

      claim.parts = runs >= units ? 1 : (units + runs - 1) / runs;
      claim.parts = claim.parts > job->groups ? job->groups : claim.parts;
    }
  for (i = 0; i < nt; i++)
    slices[i] = (Slice) { job, path, 0, nt == 1 ? rows : 0,
                          nt == 1 ? NULL : &claim, 1 };
  cfm_parallel_run (nt, run_slice_worker, slices);
  for (i = 0; i < nt; i++)
    ok = ok && slices[i].ok;
  return ok;
}

CfmStatus
cfm_conv_fast_run (const CfmConvJob *cj, int out_w, int fuse_pool,
                   CfmPath path, CfmError *err)
{
  const CfmBank *bank = cj->bank;
  const CfmBand *in = cj->in;
  const CfmConvParams *p = &cj->params;
  int rows = cj->out_rows;
  FastJob job;
  float *zero, *dummy;
  CfmConvPacked local = { 0 }, *pk = cj->packed ? cj->packed : &local;
  int ok;

  job_init (&job, bank, in, p, out_w, cj->out_row0, path);
  job.conv = cj->conv;
  job.act_out = cj->act;
  job.plane_stride = cj->plane_stride;
  job.negative = cfm_activation_negative_factor (cj->activation,
                                                 cj->negative_slope);
  job.pool = fuse_pool ? cj->pool : NULL;
  job.pool_size = job.pool ? job.pool->params->stride : 1;
  job.stream = use_stream ((size_t) bank->n * rows * out_w * sizeof (float)
                           * (cj->act ? 2 : 1), cj->read_soon);

  /* Each slice pads the input rows it reads as it reaches them (see
   * fast_row_pointers), so no padded copy of the band is made. */
  zero = calloc ((size_t) job.pw, sizeof (float));
  dummy = malloc ((size_t) out_w * sizeof (float));
  ok = zero && dummy && cfm_conv_pack (bank, cj->bias, job.group,
                                        job.groups, pk);
  if (ok)
    {
      job.zero_row = zero;
      job.dummy = dummy;
      job.packed = pk->packed;
      job.bias = pk->pbias;
      ok = run_slices (&job, path, cj->threads, rows);
    }
  free (zero);
  free (dummy);
  cfm_conv_packed_free (&local);
  if (!ok)
    return cfm_error_set (err, CFM_ERR_NOMEM,
                          "out of memory for a band of %d rows", in->rows);
  return CFM_OK;
}
