/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_cpu.h: what the processor offers: the convolution paths it supports
 * (chosen at run time, $CFM_PATH forcing one) and how many threads to use
 * ($CFM_THREADS, else every processor). */
#ifndef CFM_CPU_H
#define CFM_CPU_H

/* How the convolution is computed.  All paths give the same maps within
 * 1e-6 of each map's range; REFERENCE is the plain C loop nest, PORTABLE
 * the vector kernel in the compiler's generic vectors, AVX2 and AVX512 the
 * same kernel for those instruction sets.  AUTO takes the path named by the
 * environment variable CFM_PATH (reference, portable, avx2, avx512) when it
 * is set and supported, else the fastest the processor supports. */
typedef enum
{
  CFM_PATH_AUTO,
  CFM_PATH_REFERENCE,
  CFM_PATH_PORTABLE,
  CFM_PATH_AVX2,
  CFM_PATH_AVX512
} CfmPath;

int         cfm_path_supported (CfmPath path);
CfmPath     cfm_path_resolve   (CfmPath path);
const char *cfm_path_name      (CfmPath path);

/* Floats in one vector of PATH (4 for the portable path). */
int cfm_path_vector_width (CfmPath path);

/* The threads to use when the caller asks for REQUESTED (0: $CFM_THREADS,
 * else every processor), at most MAX_USEFUL and at least 1. */
int cfm_thread_count (int requested, int max_useful);

#endif
