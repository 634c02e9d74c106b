/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench_process.h: what the benchmark's one-process programs share
 * (cfm-model-open, cfm-graph-run): a clock, the process's memory as
 * /proc/self/status gives it, and a made-up RGB input a band at a time. */
#ifndef BENCH_PROCESS_H
#define BENCH_PROCESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfm_error.h"

static inline double
bench_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* FIELD of /proc/self/status (VmRSS, VmHWM) in MB. */
static inline double
bench_status_mb (const char *field)
{
  char line[256];
  double kb = -1;
  FILE *f = fopen ("/proc/self/status", "r");

  while (f && fgets (line, sizeof line, f))
    if (strncmp (line, field, strlen (field)) == 0)
      kb = atof (line + strlen (field) + 1);
  if (f)
    fclose (f);
  return kb / 1024.0;
}

/* Rows [ROW0, ROW0 + N) of a made-up RGB input *DATA columns wide (a
 * CfmRowReader). */
static inline CfmStatus
bench_rows (void *data, int row0, int n, float *dst, CfmError *err)
{
  int w = *(const int *) data, ch;
  size_t count = (size_t) n * w, i;

  (void) err;
  for (ch = 0; ch < 3; ch++)
    for (i = 0; i < count; i++)
      dst[ch * count + i] = (float) (((size_t) row0 * w + i + ch) % 251)
                            / 251.0f - 0.5f;
  return CFM_OK;
}

#endif
