/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_settings.c: the core's environment variables, read once (its API:
 * cfm_settings.h). */
#include "cfm_settings.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static CfmSettings settings;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The default memory limit, 8 GB. */
#define MEMORY_LIMIT_MB 8192

static void
read_settings (void)
{
  const char *threads = getenv ("CFM_THREADS");
  const char *stream = getenv ("CFM_STREAM");
  const char *winograd = getenv ("CFM_WINOGRAD");
  const char *memory = getenv ("CFM_MEMORY_LIMIT");
  long mb = memory ? strtol (memory, NULL, 10) : 0;

  settings.threads = threads ? atoi (threads) : 0;
  settings.path = getenv ("CFM_PATH");
  settings.stream = stream && strcmp (stream, "always") == 0 ? 1
                    : stream && strcmp (stream, "never") == 0 ? 0 : -1;
  settings.winograd = !(winograd && strcmp (winograd, "never") == 0);
  settings.memory_limit = (size_t) (mb > 0 ? mb : MEMORY_LIMIT_MB) << 20;
  settings.graph_profile = getenv ("CFM_GRAPH_PROFILE") != NULL;
}

const CfmSettings *
cfm_settings (void)
{
  pthread_once (&once, read_settings);
  return &settings;
}
