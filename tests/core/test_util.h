/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_util.h: a small harness for the core tests.
 *
 * CHECK records a failure and goes on; each test program prints
 * "N passed, N failed" and exits non-zero when anything failed.  Fixtures
 * are found under CFM_FIXTURES (set by meson). */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_cpu.h"
#include "cfm_file.h"
#include "cfm_npy.h"

static int test_passed, test_failed;

#define CHECK(cond, ...)                                                    \
  do                                                                        \
    {                                                                       \
      if (cond)                                                             \
        test_passed++;                                                      \
      else                                                                  \
        {                                                                   \
          test_failed++;                                                    \
          fprintf (stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, \
                   #cond);                                                  \
          fprintf (stderr, __VA_ARGS__);                                    \
          fputc ('\n', stderr);                                             \
        }                                                                   \
    }                                                                       \
  while (0)

/* Checks that MESSAGE contains NEEDLE. */
#define CHECK_MSG(message, needle)                                          \
  CHECK (strstr ((message), (needle)) != NULL,                              \
         "message \"%s\" lacks \"%s\"", (message), (needle))

/* A fixed pseudo-random sequence in [-1, 1). */
static inline float
test_random (unsigned *state)
{
  *state = *state * 1664525u + 1013904223u;
  return (float) (*state >> 8) / (float) (1u << 23) - 1.0f;
}

/* Whether vector path PATH runs on this processor (saying so when not). */
static inline int
test_path_runs (CfmPath path)
{
  if (cfm_path_supported (path))
    return 1;
  printf ("(path %s: not supported by this processor)\n",
          cfm_path_name (path));
  return 0;
}

static inline int
test_finish (const char *name)
{
  printf ("%s: %d passed, %d failed\n", name, test_passed, test_failed);
  return test_failed ? 1 : 0;
}

static inline const char *
fixture_path (const char *name)
{
  static char path[4096];
  const char *dir = getenv ("CFM_FIXTURES");

  snprintf (path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", name);
  return path;
}

/* Loads fixture NAME or exits: a missing fixture is a broken checkout. */
static inline void
load_fixture (const char *name, CfmArray *array)
{
  CfmError err;
  void *data;
  size_t len;

  if (cfm_file_read (fixture_path (name), (size_t) 1 << 30, &data, &len,
                     &err) != CFM_OK
      || cfm_npy_parse (data, len, (size_t) 1 << 28, array, &err) != CFM_OK)
    {
      fprintf (stderr, "fixture %s: %s\n", name, err.message);
      exit (2);
    }
  free (data);
}

/* Largest |a - b| over N values, relative to the range of B. */
static inline double
max_rel_diff (const float *a, const float *b, size_t n)
{
  double lo = INFINITY, hi = -INFINITY, worst = 0.0, range;
  size_t i;

  for (i = 0; i < n; i++)
    {
      lo = b[i] < lo ? b[i] : lo;
      hi = b[i] > hi ? b[i] : hi;
    }
  range = hi - lo > 1e-12 ? hi - lo : 1.0;
  for (i = 0; i < n; i++)
    {
      double d = fabs ((double) a[i] - (double) b[i]);

      worst = d > worst ? d : worst;
    }
  return worst / range;
}

#endif
