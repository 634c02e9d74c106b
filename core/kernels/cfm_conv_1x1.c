/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_conv_1x1.c: a 1x1 convolution as a matrix product (its API:
 * cfm_conv_1x1.h; the micro-kernel: cfm_conv_1x1_kernel.inc).  The pixels
 * are shared out among the threads in tiles (and, where there are fewer
 * tiles than threads, a tile's filters too); each tile's channels are
 * copied side by side once (every filter block then reads them from the
 * caches), and each block of FB filters by a few vectors of pixels is
 * summed in registers over all channels. */
#include "cfm_conv_1x1.h"

#include <stdlib.h>
#include <string.h>

#include "cfm_conv_fast.h"
#include "cfm_parallel.h"

#define FB 6          /* filters of a block: 12 accumulators in 16 AVX2
                         registers, with the 2 inputs and a weight */
#define TILE_PX 96    /* pixels of a tile: its channels stay in L2 */
/* Fewest filter blocks a thread takes of a tile shared out. */
#define FILTER_PART_MIN 4
/* Fewest channels worth the product's copies (fewer go the direct path,
 * as a filter bank's do). */
#define MIN_CHANNELS 8

typedef struct
{
  const float   *packed, *bias;   /* FB filters a channel; bias padded */
  const float   *direct;     /* or the bank's weights held as their
                                transpose, read as they are (FB filters a
                                channel, N apart), but for */
  const float   *tail;       /* the last block's when it is not whole,
                                packed (FB a channel) */
  int            n, c;
  const float   *in;
  size_t         in_stride, n_px;
  float         *out, *act;
  size_t         out_stride;
  float          negative;   /* the activation's factor below zero */
  CfmPath        path;
  int            workers;
  int            parts;      /* each tile's filters in this many parts */
  float         *tiles;      /* a tile's channels per worker */
} Gemm;

/* The weights of the block of filters from FB: their first and the
 * distance between two channels' (*WSTRIDE). */
static inline const float *
gemm_block_weights (const Gemm *g, int fb, size_t *wstride)
{
  if (g->direct == NULL)
    {
      *wstride = FB;
      return g->packed + (size_t) fb * g->c;
    }
  if (fb + FB > g->n)
    {
      *wstride = FB;
      return g->tail;
    }
  *wstride = (size_t) g->n;
  return g->direct + fb;
}

#define CFM_CAT_(a, b) a##_##b
#define CFM_CAT(a, b) CFM_CAT_ (a, b)

#define VL 4
#define XB 4
#define SUFFIX portable
#define TARGET
#include "cfm_conv_1x1_kernel.inc"
#undef VL
#undef XB
#undef SUFFIX
#undef TARGET

#if defined(__x86_64__) || defined(__i386__)
#define VL 8
#define XB 2
#define SUFFIX avx2
#define TARGET __attribute__ ((target ("avx2,fma")))
#include "cfm_conv_1x1_kernel.inc"
#undef VL
#undef XB
#undef SUFFIX
#undef TARGET

#define VL 16
#define XB 2
#define SUFFIX avx512
#define TARGET __attribute__ ((target ("avx512f,fma")))
#include "cfm_conv_1x1_kernel.inc"
#undef VL
#undef XB
#undef SUFFIX
#undef TARGET
#endif

/* Worker W's share of the units (a tile's part of the filters), each
 * tile's channels copied into a buffer of its own first. */
static void
gemm_worker (void *data, int w)
{
  const Gemm *g = data;
  size_t tiles = (g->n_px + TILE_PX - 1) / TILE_PX;
  size_t units = tiles * (size_t) g->parts;
  size_t u0 = units * (size_t) w / (size_t) g->workers;
  size_t u1 = units * (size_t) (w + 1) / (size_t) g->workers, u;
  size_t copied = (size_t) -1;
  int blocks = (g->n + FB - 1) / FB;
  float *tile = g->tiles + (size_t) w * g->c * TILE_PX;
  int c;

  for (u = u0; u < u1; u++)
    {
      size_t t = u / (size_t) g->parts, p0 = t * TILE_PX;
      int q = (int) (u % (size_t) g->parts);
      int np = (int) (g->n_px - p0 < TILE_PX ? g->n_px - p0 : TILE_PX);
      int f0 = blocks * q / g->parts * FB;
      int f1 = blocks * (q + 1) / g->parts * FB;

      f1 = f1 < g->n ? f1 : g->n;
      for (c = 0; c < g->c && t != copied; c++)
        {
          memcpy (tile + (size_t) c * TILE_PX, g->in + c * g->in_stride + p0,
                  (size_t) np * sizeof (float));
          memset (tile + (size_t) c * TILE_PX + np, 0,
                  (size_t) (TILE_PX - np) * sizeof (float));
        }
      copied = t;
#if defined(__x86_64__) || defined(__i386__)
      if (g->path == CFM_PATH_AVX512)
        tile_avx512 (g, tile, TILE_PX, p0, np, f0, f1);
      else if (g->path == CFM_PATH_AVX2)
        tile_avx2 (g, tile, TILE_PX, p0, np, f0, f1);
      else
#endif
        tile_portable (g, tile, TILE_PX, p0, np, f0, f1);
    }
}

int
cfm_conv_1x1_takes (const CfmBank *bank)
{
  CfmPath path = cfm_path_resolve (CFM_PATH_AUTO);

  return bank->kh == 1 && bank->kw == 1 && bank->c >= MIN_CHANNELS
         && path != CFM_PATH_REFERENCE;
}

/* The transposed bank's last block, packed, and a bias padded to whole
 * blocks, into G (job->transposed: the rest is read where it is). */
static int
direct_weights (const CfmConv1x1 *job, int groups, Gemm *g, float **tail,
                float **bias)
{
  const CfmBank *b = job->bank;
  int last = b->n / FB * FB, c, f;

  *tail = calloc ((size_t) b->c * FB + 1, sizeof (float));
  *bias = calloc ((size_t) groups * FB + 1, sizeof (float));
  if (*tail == NULL || *bias == NULL)
    return 0;
  for (c = 0; c < b->c; c++)
    for (f = last; f < b->n; f++)
      (*tail)[(size_t) c * FB + f - last] = b->weights[(size_t) c * b->n + f];
  for (f = 0; f < b->n && job->bias; f++)
    (*bias)[f] = job->bias[f];
  g->direct = b->weights;
  g->tail = *tail;
  g->bias = *bias;
  g->packed = NULL;
  return 1;
}

CfmStatus
cfm_conv_1x1 (const CfmConv1x1 *job, CfmError *err)
{
  CfmConvPacked local = { 0 }, *packed = job->packed ? job->packed : &local;
  int groups = (job->bank->n + FB - 1) / FB, ok;
  size_t tiles = (job->n_px + TILE_PX - 1) / TILE_PX;
  float *tail = NULL, *bias = NULL;
  Gemm g;

  memset (&g, 0, sizeof g);
  /* fewer tiles than threads (a deep layer's 7 x 7 maps at 224): each
   * tile's filters shared out as well, a few blocks at least a part */
  g.parts = 1;
  g.workers = cfm_thread_count (0, CFM_WORKERS_MAX);
  if (tiles < (size_t) g.workers)
    {
      g.parts = groups / FILTER_PART_MIN + 1;
      g.parts = g.parts < g.workers ? g.parts : g.workers;
    }
  g.workers = cfm_thread_count (0, tiles * (size_t) g.parts < CFM_WORKERS_MAX
                                   ? (int) tiles * g.parts
                                   : CFM_WORKERS_MAX);
  g.tiles = malloc ((size_t) g.workers * job->bank->c * TILE_PX
                    * sizeof (float) + 64);
  ok = g.tiles != NULL;
  if (ok && job->transposed)
    ok = direct_weights (job, groups, &g, &tail, &bias);
  else if (ok && cfm_conv_pack (job->bank, job->bias, FB, groups, packed))
    {
      g.packed = packed->packed;
      g.bias = packed->pbias;
    }
  else
    ok = 0;
  if (ok)
    {
      g.n = job->bank->n;
      g.c = job->bank->c;
      g.in = job->in;
      g.in_stride = job->in_stride;
      g.n_px = job->n_px;
      g.out = job->out;
      g.act = job->act;
      g.out_stride = job->out_stride;
      g.negative = cfm_activation_negative_factor (job->activation,
                                                   job->slope);
      g.path = cfm_path_resolve (CFM_PATH_AUTO);
      cfm_parallel_run (g.workers, gemm_worker, &g);
    }
  free (g.tiles);
  free (tail);
  free (bias);
  cfm_conv_packed_free (&local);
  if (!ok)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for a 1x1 "
                          "convolution of %d channels", job->bank->c);
  return CFM_OK;
}
