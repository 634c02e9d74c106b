/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_conv_wino.c: the Winograd path (its API: cfm_conv_wino.h): the
 * kernels' transform, kept from band to band, and threads claiming chunks
 * of pairs of output rows; the arithmetic is cfm_conv_wino_kernel.inc's. */
#include "cfm_conv_wino.h"
#include "cfm_conv_fast.h"
#include "cfm_parallel.h"
#include "cfm_settings.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define WINO_GROUP 8     /* filters summed together in registers */
#define WINO_VECTORS 3   /* vectors of 2x2 blocks summed together */
#define CACHE_LINE_FLOATS 16

/* Lanes LIST (constants) of vectors a and b: clang's and GCC 12's builtin,
 * or older GCC's. */
#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define WINO_SHUFFLE(a, b, list) __builtin_shufflevector (a, b, list)
#endif
#endif
#ifndef WINO_SHUFFLE
#define WINO_SHUFFLE(a, b, list) __builtin_shuffle (a, b, (IVEC) { list })
#endif

#define CFM_CAT_(a, b) a##_##b
#define CFM_CAT(a, b) CFM_CAT_ (a, b)

typedef struct
{
  const float   *u;          /* transformed kernels: group g, element xi,
                                channel ch, filter f at u[((g * 16 + xi)
                                * c + ch) * WINO_GROUP + f] */
  const float   *bias;       /* n values, or NULL */
  int            c, n, groups;
  const CfmBand *in;
  int            pad;
  CfmPadMode     pad_mode;
  int            out_w, tiles;   /* the map's width; 2x2 blocks across it */
  int            row0, rows;     /* the job's output rows */
  float         *conv, *act;     /* as CfmConvJob's */
  size_t         plane_stride;
  float          negative;       /* activation: v > 0 ? v : v * negative */
} WinoJob;

/* The offsets in a channel's plane of the input rows of the 2x2 blocks
 * whose first output row is 2K: ROWS[i] for the patch's row i, -1 where it
 * is padding or a row the band does not hold (then only a row of the pair
 * outside the job reads it). */
static void
wino_patch_rows (const WinoJob *job, int k, long *rows)
{
  const CfmBand *in = job->in;
  int i;

  for (i = 0; i < 4; i++)
    {
      int p = 2 * k + i;   /* a row of the padded map */
      int y = p >= 0 && p < in->h + 2 * job->pad
              ? cfm_pad_index (p - job->pad, in->h, job->pad_mode) : -1;

      rows[i] = y >= in->row0 && y < in->row0 + in->rows
                ? (long) (y - in->row0) * in->w : -1;
    }
}

#if defined(__GNUC__)
#define VL 4
#define SUFFIX portable
#define TARGET
#include "cfm_conv_wino_kernel.inc"
#undef VL
#undef SUFFIX
#undef TARGET

#if defined(__x86_64__) || defined(__i386__)
#define CFM_WINO_X86 1
#define VL 8
#define SUFFIX avx2
#define TARGET __attribute__ ((target ("avx2,fma")))
#include "cfm_conv_wino_kernel.inc"
#undef VL
#undef SUFFIX
#undef TARGET

#define VL 16
#define SUFFIX avx512
#define TARGET __attribute__ ((target ("avx512f,fma")))
#include "cfm_conv_wino_kernel.inc"
#undef VL
#undef SUFFIX
#undef TARGET
#endif
#endif

typedef void (*PairFunc) (const WinoJob *job, int k, int t0, float *buf);

/* The kernel of PATH and its vector width, or NULL. */
static PairFunc
pair_function (CfmPath path, int *vl)
{
  *vl = 4;
#if defined(__GNUC__)
#if defined(CFM_WINO_X86)
  if (path == CFM_PATH_AVX512)
    {
      *vl = 16;
      return pair_avx512;
    }
  if (path == CFM_PATH_AVX2)
    {
      *vl = 8;
      return pair_avx2;
    }
#endif
  (void) path;
  return pair_portable;
#else
  (void) path;
  return NULL;
#endif
}

/* Floats of a thread's buffer: V, M, the padded rows, Y (see pair_*). */
static size_t
wino_buffer_floats (int c, int vl)
{
  size_t tb = (size_t) WINO_VECTORS * vl;

  return 16 * (size_t) c * tb + 16 * (size_t) WINO_GROUP * tb
         + 8 * (tb + vl) + 4 * tb;
}

int
cfm_conv_wino_eligible (const CfmConvJob *job, int out_w, CfmPath path)
{
  const CfmBank *b = job->bank;
  int vl;

  return job->winograd && cfm_settings ()->winograd
         && b->kh == 3 && b->kw == 3 && job->params.stride == 1
         && job->params.dilation == 1 && b->c >= CFM_WINO_CHANNELS_MIN
         && pair_function (path, &vl) != NULL && out_w >= 1;
}

/* U = G g G^T of every kernel g, in double, as WinoJob.u lays them out
 * (the filters past the last group's end zero), into P->wino unless it
 * holds them already. */
static int
wino_pack (const CfmBank *bank, const float *bias, CfmConvPacked *p)
{
  static const double G[4][3] = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 },
                                  { 0.5, -0.5, 0.5 }, { 0, 0, 1 } };
  int groups = (bank->n + WINO_GROUP - 1) / WINO_GROUP, f, ch, i, j, a, b;

  if (p->wino && cfm_conv_packed_holds (p, bank, bias))
    return 1;
  cfm_conv_packed_free (p);
  p->wino = calloc ((size_t) groups * 16 * bank->c * WINO_GROUP,
                    sizeof (float));
  if (p->wino == NULL)
    return 0;
  for (f = 0; f < bank->n; f++)
    for (ch = 0; ch < bank->c; ch++)
      {
        const float *g = bank->weights + ((size_t) f * bank->c + ch) * 9;
        double gt[4][3];   /* G g */

        for (i = 0; i < 4; i++)
          for (b = 0; b < 3; b++)
            {
              gt[i][b] = 0;
              for (a = 0; a < 3; a++)
                gt[i][b] += G[i][a] * g[a * 3 + b];
            }
        for (i = 0; i < 4; i++)
          for (j = 0; j < 4; j++)
            {
              double s = 0;

              for (b = 0; b < 3; b++)
                s += gt[i][b] * G[j][b];
              p->wino[(((size_t) (f / WINO_GROUP) * 16 + i * 4 + j)
                       * bank->c + ch) * WINO_GROUP + f % WINO_GROUP]
                = (float) s;
            }
      }
  cfm_conv_packed_name (p, bank, bias);
  return 1;
}

/* Chunks of a pair of output rows (WINO_VECTORS vectors of 2x2 blocks,
 * every filter) claimed one after another: a chunk's patches are
 * transformed once, by the thread that claims it. */
typedef struct
{
  const WinoJob *job;
  PairFunc       pair;
  int            vl;
  atomic_int     next;
  int            k0, pairs, chunks;
} PairClaim;

typedef struct
{
  PairClaim *claim;
  int        ok;
} WinoSlice;

static void
wino_worker (void *data, int worker)
{
  WinoSlice *s = (WinoSlice *) data + worker;
  PairClaim *c = s->claim;
  const WinoJob *job = c->job;
  size_t floats = wino_buffer_floats (job->c, c->vl);
  /* whole cache lines, so every V row starts on one (TB is too) */
  float *buf = aligned_alloc (64, (floats * sizeof (float) + 63) / 64 * 64);
  int u;

  s->ok = buf != NULL;
  while (s->ok && (u = atomic_fetch_add (&c->next, 1)) < c->pairs * c->chunks)
    c->pair (job, c->k0 + u / c->chunks, u % c->chunks * WINO_VECTORS * c->vl,
             buf);
  free (buf);
}

CfmStatus
cfm_conv_wino_run (const CfmConvJob *cj, int out_w, CfmPath path,
                   CfmError *err)
{
  CfmConvPacked local = { 0 }, *pk = cj->packed ? cj->packed : &local;
  WinoSlice slices[CFM_WORKERS_MAX];
  PairClaim claim;
  WinoJob job;
  int nt, i, ok = 1, units;

  if (cj->out_rows == 0)
    return CFM_OK;
  if (!wino_pack (cj->bank, cj->bias, pk))
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for the "
                          "transformed kernels");
  job = (WinoJob) { pk->wino, cj->bias, cj->bank->c, cj->bank->n,
                    (cj->bank->n + WINO_GROUP - 1) / WINO_GROUP, cj->in,
                    cj->params.padding, cj->params.pad_mode, out_w,
                    (out_w + 1) / 2, cj->out_row0, cj->out_rows, cj->conv,
                    cj->act, cj->plane_stride,
                    cfm_activation_negative_factor (cj->activation,
                                                    cj->negative_slope) };
  claim.job = &job;
  claim.pair = pair_function (path, &claim.vl);
  atomic_init (&claim.next, 0);
  claim.k0 = cj->out_row0 / 2;
  claim.pairs = (cj->out_row0 + cj->out_rows - 1) / 2 - claim.k0 + 1;
  claim.chunks = (job.tiles + WINO_VECTORS * claim.vl - 1)
                 / (WINO_VECTORS * claim.vl);
  units = claim.pairs * claim.chunks;
  nt = cfm_thread_count (cj->threads, units < CFM_WORKERS_MAX
                                      ? units : CFM_WORKERS_MAX);
  for (i = 0; i < nt; i++)
    slices[i] = (WinoSlice) { &claim, 1 };
  cfm_parallel_run (nt, wino_worker, slices);
  for (i = 0; i < nt; i++)
    ok = ok && slices[i].ok;
  cfm_conv_packed_free (&local);
  if (!ok)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for a band of "
                          "%d rows", cj->in->rows);
  return CFM_OK;
}
