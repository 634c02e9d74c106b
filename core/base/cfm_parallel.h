/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_parallel.h: the one way the project runs work on several threads. */
#ifndef CFM_PARALLEL_H
#define CFM_PARALLEL_H

/* The work of worker WORKER (0 .. n - 1) of a parallel run. */
typedef void (*CfmWorkerFunc) (void *data, int worker);

/* Most workers of one run. */
#define CFM_WORKERS_MAX 64

/* Runs FUNC (DATA, w) for every w in [0, N_WORKERS) (at most
 * CFM_WORKERS_MAX) and returns when all are done.  Worker 0 runs on the
 * calling thread, so it alone may talk to a host that is not thread-safe;
 * the others get threads of their own, and a worker whose thread cannot be
 * started runs on the calling thread after worker 0. */
void cfm_parallel_run (int n_workers, CfmWorkerFunc func, void *data);

#endif
