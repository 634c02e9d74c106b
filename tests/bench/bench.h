/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench.h: what the benchmark program's two files share: the clock, the
 * Python runner, the core's convolution timed, and the trained-network
 * tables of bench_networks.c. */
#ifndef CFM_BENCH_H
#define CFM_BENCH_H

#include "cfm_conv.h"

/* Seconds on a monotonic clock. */
double now (void);

/* Runs CMD (a python3 program printing milliseconds); its figure, or -1. */
double python_ms (const char *cmd);

/* The core's best time of REPS runs of N filters KxK over X (C x H x W)
 * on THREADS threads (0: all; time_conv: one); *MACS gets the work. */
double time_conv_threads (const float *x, int c, int h, int w, int n, int k,
                          int reps, int threads, double *macs);
double time_conv (const float *x, int c, int h, int w, int n, int k,
                  int reps, double *macs);

/* The same by the Winograd path where WINOGRAD is set (a network's 3x3
 * convolutions of many channels take it); *MACS: a direct convolution's. */
double time_conv_path (const float *x, int c, int h, int w, int n, int k,
                       int reps, int threads, int winograd, double *macs);

/* Where results are written, so that the compiler keeps the work. */
extern volatile float sink;

/* Tables 3 and 4: VGG-16's second layer against PyTorch and onnxruntime
 * (PEAK: the FMA peak in GFLOP/s, CPUS processors), and the chain to its
 * third block in bands with its peak memory. */
void vgg_layer_table (double peak, long cpus);
void vgg_chain_table (long cpus);

#endif
