/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_module_depthwise.c: a depthwise convolution module (a MobileNet's,
 * an EfficientNet's, a ShuffleNet's) on a band of rows, filter by filter
 * on the threads: the general path tap by tap for any stride, dilation
 * and padding mode, and the fast path for square kernels of up to 7 taps
 * at stride 1 or 2 with zero padding (its API: cfm_module_run.h). */
#include "cfm_module_run.h"

#include "cfm_cpu.h"
#include "cfm_parallel.h"

#include <stdlib.h>

typedef CfmBand Rows;
typedef CfmModuleDest Dest;

/* Output row Y (absolute) of depthwise filter F into ROW (width OW): its
 * channel's rows under each tap, the columns where the tap lies inside the
 * row in one loop (vectorised at stride 1), the padding mode's columns at
 * the edges; the bias after the products. */
static void
depthwise_row (const CfmModule *m, const Rows *in, int f, int y, int ow,
               float *row)
{
  int c = f / (m->out_c / m->groups), s = m->stride[1], ky, kx, x;
  const float *w = m->weight + (size_t) f * m->k[0] * m->k[1];
  const float *plane = in->data + c * cfm_band_plane (in);

  for (x = 0; x < ow; x++)
    row[x] = 0.0f;
  for (ky = 0; ky < m->k[0]; ky++)
    {
      int iy = cfm_pad_index (y * m->stride[0] - m->pad[0] + ky * m->dil[0],
                              in->h, m->pad_mode);
      const float *src = iy < 0 ? NULL
                         : plane + (size_t) (iy - in->row0) * in->w;

      for (kx = 0; iy >= 0 && kx < m->k[1]; kx++)
        {
          float wt = w[ky * m->k[1] + kx];
          int off = kx * m->dil[1] - m->pad[1];
          int x0 = off < 0 ? (-off + s - 1) / s : 0;   /* x s + off >= 0 */
          int x1 = in->w - off > 0 ? (in->w - off + s - 1) / s : 0;

          x1 = x1 < ow ? x1 : ow;
          if (s == 1)
            for (x = x0; x < x1; x++)
              row[x] += wt * src[x + off];
          else
            for (x = x0; x < x1; x++)
              row[x] += wt * src[x * s + off];
          for (x = 0; x < ow; x++)   /* the edges alone */
            {
              int ix;

              if (x == x0 && x1 > x0)
                x = x1;
              if (x >= ow)
                break;
              ix = cfm_pad_index (x * s + off, in->w, m->pad_mode);
              if (ix >= 0)
                row[x] += wt * src[ix];
            }
        }
    }
  if (m->bias)
    for (x = 0; x < ow; x++)
      row[x] += m->bias[f];
}

/* The most taps a row of a depthwise kernel has on the fast path. */
#define DEPTHWISE_FAST_K 7

/* Whether depthwise M takes the fast path: a square kernel of at most
 * DEPTHWISE_FAST_K taps a side, no dilation, zero padding, stride 1 or 2
 * along both axes (a MobileNet's, an EfficientNet's, a ShuffleNet's). */
static int
depthwise_fast (const CfmModule *m)
{
  return m->k[0] == m->k[1] && m->k[0] <= DEPTHWISE_FAST_K
         && m->dil[0] == 1 && m->dil[1] == 1 && m->pad_mode == CFM_PAD_ZEROS
         && m->stride[0] == m->stride[1]
         && (m->stride[1] == 1 || m->stride[1] == 2);
}

#define CFM_CAT_(a, b) a##_##b
#define CFM_CAT(a, b) CFM_CAT_ (a, b)

/* The fast path's taps, once in the compiler's baseline and once for
 * AVX2 with fused multiply-adds. */
#define SUFFIX base
#define TARGET
#include "cfm_depthwise_taps.inc"
#undef SUFFIX
#undef TARGET
#if defined(__x86_64__) || defined(__i386__)
#define SUFFIX avx2
#define TARGET __attribute__ ((target ("avx2,fma")))
#include "cfm_depthwise_taps.inc"
#undef SUFFIX
#undef TARGET
#endif

typedef void (*DepthwiseTaps) (const float *w, int k, int s, int pad,
                               const float *restrict src,
                               const float *restrict even,
                               const float *restrict odd, int x0, int x1,
                               float *restrict row);

/* The taps for the path the processor runs ($CFM_PATH may force one). */
static DepthwiseTaps
depthwise_taps_for_path (void)
{
#if defined(__x86_64__) || defined(__i386__)
  CfmPath path = cfm_path_resolve (CFM_PATH_AUTO);

  if (path == CFM_PATH_AVX2 || path == CFM_PATH_AVX512)
    return depthwise_taps_avx2;
#endif
  return depthwise_taps_base;
}

/* Output row Y of depthwise filter F on the fast path, into ROW (width
 * OW); SCRATCH holds a row's even and odd columns at stride 2.  The same
 * sums as depthwise_row, tap by tap in the same order. */
static void
depthwise_row_fast (const CfmModule *m, const Rows *in, int f, int y,
                    int ow, float *row, float *scratch, DepthwiseTaps taps)
{
  int c = f / (m->out_c / m->groups), s = m->stride[1], k = m->k[1];
  int pad = m->pad[1], half = (in->w + 1) / 2, ky, kx, x;
  int x0 = (pad + s - 1) / s;   /* the first column all of whose taps */
  int x1 = (in->w - k + pad) / s + 1;   /* lie inside, and past the last */
  const float *w = m->weight + (size_t) f * k * k;
  const float *plane = in->data + c * cfm_band_plane (in);

  x0 = x0 < ow ? x0 : ow;
  x1 = in->w - k + pad < 0 ? x0 : x1 < x0 ? x0 : x1 > ow ? ow : x1;
  for (x = 0; x < ow; x++)
    row[x] = 0.0f;
  for (ky = 0; ky < k; ky++)
    {
      int iy = y * m->stride[0] - m->pad[0] + ky;
      const float *src;

      if (iy < 0 || iy >= in->h)
        continue;   /* a row of the zero padding */
      src = plane + (size_t) (iy - in->row0) * in->w;
      if (s == 2)   /* the even columns, then the odd ones */
        {
          for (x = 0; x < half; x++)
            scratch[x] = src[2 * x];
          for (x = 0; x < in->w / 2; x++)
            scratch[half + x] = src[2 * x + 1];
        }
      for (kx = 0; kx < k; kx++)   /* the edges: taps partly outside */
        for (x = 0; x < ow; x++)
          {
            int ix;

            if (x == x0 && x1 > x0)
              x = x1;
            if (x >= ow)
              break;
            ix = x * s + kx - pad;
            if (ix >= 0 && ix < in->w)
              row[x] += w[ky * k + kx] * src[ix];
          }
      taps (w + ky * k, k, s, pad, src, scratch, scratch + half, x0, x1,
            row);
    }
  if (m->bias)
    for (x = 0; x < ow; x++)
      row[x] += m->bias[f];
}

/* A depthwise convolution's filters, shared out among workers. */
typedef struct
{
  const CfmModule *m;
  const Rows      *in;
  const Dest      *out;
  int              o0, on, ow, workers;
} Depthwise;

static void
depthwise_worker (void *data, int worker)
{
  const Depthwise *d = data;
  int f0 = (int) ((long long) d->m->out_c * worker / d->workers);
  int f1 = (int) ((long long) d->m->out_c * (worker + 1) / d->workers);
  int fast = depthwise_fast (d->m), f, y;
  DepthwiseTaps taps = depthwise_taps_for_path ();
  float *scratch = fast ? malloc (((size_t) d->in->w + 2) * sizeof *scratch)
                        : NULL;

  fast = fast && scratch != NULL;   /* else the general path, slower */
  for (f = f0; f < f1; f++)
    for (y = 0; y < d->on; y++)
      {
        size_t at = f * d->out->stride + (size_t) y * d->ow;

        if (fast)
          depthwise_row_fast (d->m, d->in, f, d->o0 + y, d->ow,
                              d->out->conv + at, scratch, taps);
        else
          depthwise_row (d->m, d->in, f, d->o0 + y, d->ow,
                         d->out->conv + at);
        if (d->out->act)
          cfm_activation_apply (d->out->activation, d->out->slope,
                                d->out->conv + at, d->out->act + at,
                                (size_t) d->ow);
      }
  free (scratch);
}

int
cfm_module_is_depthwise (const CfmModule *m)
{
  return m->groups > 1 && m->groups == m->in_c;
}

void
cfm_module_depthwise (const CfmModule *m, const CfmBand *in,
                      const CfmModuleDest *out, int o0, int on, int ow)
{
  Depthwise d = { m, in, out, o0, on, ow, 1 };

  d.workers = cfm_thread_count (0, m->out_c < CFM_WORKERS_MAX
                                   ? m->out_c : CFM_WORKERS_MAX);
  cfm_parallel_run (d.workers, depthwise_worker, &d);
}
