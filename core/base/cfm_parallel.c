/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_parallel.c: runs workers on threads, worker 0 on the calling thread
 * (its API: cfm_parallel.h). */
#include "cfm_parallel.h"

#include <pthread.h>

typedef struct
{
  CfmWorkerFunc func;
  void         *data;
  int           worker;
} Worker;

static void *
run_worker (void *arg)
{
  Worker *w = arg;

  w->func (w->data, w->worker);
  return NULL;
}

void
cfm_parallel_run (int n_workers, CfmWorkerFunc func, void *data)
{
  Worker workers[CFM_WORKERS_MAX];
  pthread_t threads[CFM_WORKERS_MAX];
  int started[CFM_WORKERS_MAX];
  int i;

  if (n_workers > CFM_WORKERS_MAX)
    n_workers = CFM_WORKERS_MAX;
  for (i = 1; i < n_workers; i++)
    {
      workers[i] = (Worker) { func, data, i };
      started[i] = pthread_create (&threads[i], NULL, run_worker,
                                   &workers[i]) == 0;
    }
  if (n_workers > 0)
    func (data, 0);
  for (i = 1; i < n_workers; i++)
    if (!started[i])
      func (data, i);
  for (i = 1; i < n_workers; i++)
    if (started[i])
      pthread_join (threads[i], NULL);
}
