/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fma_peak.h: the fused multiply-add peak of one core (fma_peak.c). */
#ifndef FMA_PEAK_H
#define FMA_PEAK_H

#include "cfm_cpu.h"

/* Multiply-adds a second on one core on PATH's vectors (AVX2, AVX-512),
 * the best of five runs of independent chains; 0 on other paths. */
double bench_fma_peak (CfmPath path);

#endif
