/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_cpu.c: which convolution paths the processor supports, and the thread
 * count (its API: cfm_cpu.h). */
#include "cfm_cpu.h"

#include "cfm_settings.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
cfm_thread_count (int requested, int max_useful)
{
  long cpus;

  if (requested <= 0)
    requested = cfm_settings ()->threads;
  if (requested <= 0)
    {
      cpus = sysconf (_SC_NPROCESSORS_ONLN);
      requested = cpus > 0 ? (int) cpus : 1;
    }
  if (requested > max_useful)
    requested = max_useful;
  return requested > 0 ? requested : 1;
}

static const char *const path_names[] = {
  "auto", "reference", "portable", "avx2", "avx512"
};

const char *
cfm_path_name (CfmPath path)
{
  return (int) path >= 0 && path <= CFM_PATH_AVX512 ? path_names[path]
                                                    : "unknown";
}

int
cfm_path_supported (CfmPath path)
{
  switch (path)
    {
    case CFM_PATH_AUTO:
    case CFM_PATH_REFERENCE:
      return 1;
#if defined(__GNUC__)
    case CFM_PATH_PORTABLE:
      return 1;
#if defined(__x86_64__) || defined(__i386__)
    case CFM_PATH_AVX2:
      __builtin_cpu_init ();
      return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
    case CFM_PATH_AVX512:
      __builtin_cpu_init ();
      return __builtin_cpu_supports ("avx512f")
             && __builtin_cpu_supports ("fma");
#endif
#endif
    default:
      return 0;
    }
}

CfmPath
cfm_path_resolve (CfmPath path)
{
  const char *env = cfm_settings ()->path;
  int i;

  if (path != CFM_PATH_AUTO)
    return cfm_path_supported (path) ? path : CFM_PATH_REFERENCE;
  if (env != NULL)
    for (i = CFM_PATH_REFERENCE; i <= CFM_PATH_AVX512; i++)
      if (strcmp (env, path_names[i]) == 0 && cfm_path_supported (i))
        return (CfmPath) i;
  for (i = CFM_PATH_AVX512; i > CFM_PATH_REFERENCE; i--)
    if (cfm_path_supported (i))
      return (CfmPath) i;
  return CFM_PATH_REFERENCE;
}

int
cfm_path_vector_width (CfmPath path)
{
  return path == CFM_PATH_AVX512 ? 16 : path == CFM_PATH_AVX2 ? 8 : 4;
}
