/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_settings.h: the environment variables the core reads, each read once
 * (the first time any is asked for) and kept. */
#ifndef CFM_SETTINGS_H
#define CFM_SETTINGS_H

#include <stddef.h>

typedef struct
{
  int         threads;        /* CFM_THREADS, or 0: every processor */
  const char *path;           /* CFM_PATH: reference, portable, avx2,
                                 avx512, or NULL */
  int         stream;         /* CFM_STREAM: 1 always, 0 never, -1 by size */
  int         winograd;       /* CFM_WINOGRAD: 0 when "never" */
  size_t      memory_limit;   /* CFM_MEMORY_LIMIT (MB), in bytes; default
                                 8 GB */
  int         graph_profile;  /* CFM_GRAPH_PROFILE set */
} CfmSettings;

const CfmSettings *cfm_settings (void);

#endif
