/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fma_peak.c: the fused multiply-add peak of one core, measured, for the
 * benchmark's shares of peak (its API: fma_peak.h). */
#include "fma_peak.h"

#include <time.h>

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* The fused multiply-add peak of one core: independent FMA chains. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
typedef float v16 __attribute__ ((vector_size (64)));
typedef float v8 __attribute__ ((vector_size (32)));

#define PEAK_LOOP(V, LANES)                                                  \
  {                                                                          \
    V a[12], b = { 0 }, c = { 0 };                                           \
    long i;                                                                  \
    int j;                                                                   \
    b += 0.999999f;                                                          \
    c += 1e-7f;                                                              \
    for (j = 0; j < 12; j++)                                                 \
      a[j] = (V) { 0 } + (float) j;                                          \
    for (i = 0; i < iters; i++)                                              \
      for (j = 0; j < 12; j++)                                               \
        a[j] = a[j] * b + c;                                                 \
    for (j = 1; j < 12; j++)                                                 \
      a[0] += a[j];                                                          \
    peak_sink = a[0][0];                                                          \
    return (double) iters * 12 * LANES;                                      \
  }

static volatile float peak_sink;

__attribute__ ((target ("avx512f,fma"))) static double
peak_avx512 (long iters)
PEAK_LOOP (v16, 16)

__attribute__ ((target ("avx2,fma"))) static double
peak_avx2 (long iters)
PEAK_LOOP (v8, 8)
#endif

double
bench_fma_peak (CfmPath path)
{
  double best = 0;
  int r;

  for (r = 0; r < 5; r++)
    {
      double t0 = now (), macs = 0;

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
      if (path == CFM_PATH_AVX512)
        macs = peak_avx512 (20000000);
      else if (path == CFM_PATH_AVX2)
        macs = peak_avx2 (20000000);
#endif
      if (macs == 0)
        return 0;
      t0 = now () - t0;
      best = macs / t0 > best ? macs / t0 : best;
    }
  return best;
}
