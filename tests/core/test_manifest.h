/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_manifest.h: a tensor set checked against the manifest PyTorch wrote
 * beside a model file (make_network_fixtures.py, make_state_dicts.py: a
 * line per float tensor with its name, shape, sum and first values). */
#ifndef TEST_MANIFEST_H
#define TEST_MANIFEST_H

#include "test_util.h"

#include "cfm_tensors.h"

/* Checks SET, read from FILE, against the manifest at PATH: every float
 * tensor there, with its shape, sum and first values within TOL, and no
 * other tensor. */
static void
check_manifest (const char *path, const char *file, const CfmTensorSet *set,
                double tol)
{
  char line[1024], name[256], shape[64];
  double sum, first[3];
  FILE *f;
  int rows = 0;

  f = fopen (path, "r");
  if (f == NULL)
    {
      CHECK (0, "no manifest %s", path);
      return;
    }
  /* a line at a time: a tensor of fewer than three values has fewer */
  while (fgets (line, sizeof line, f)
         && sscanf (line, "%255s %63s %lf %lf %lf %lf", name, shape, &sum,
                    &first[0], &first[1], &first[2]) >= 4)
    {
      const CfmTensor *t = cfm_tensors_find (set, name);
      char got[64] = "";
      double s = 0.0, scale = 0.0;
      size_t k;
      int d;

      rows++;
      CHECK (t != NULL, "%s: no tensor %s", file, name);
      if (t == NULL)
        continue;
      for (d = 0; d < t->ndim; d++)
        snprintf (got + strlen (got), sizeof got - strlen (got), "%s%lld",
                  d ? "x" : "", (long long) t->shape[d]);
      CHECK (strcmp (got, t->ndim ? shape : "") == 0
             || (t->ndim == 0 && strcmp (shape, "1") == 0),
             "%s: %s has shape %s, not %s", file, name, got, shape);
      for (k = 0; k < t->count; k++)
        {
          s += t->data[k];
          scale += fabs (t->data[k]);
        }
      CHECK (fabs (s - sum) <= tol * (scale + 1e-12), "%s: %s sums to %.9g, "
             "PyTorch %.9g", file, name, s, sum);
      for (k = 0; k < 3 && k < t->count; k++)
        CHECK (fabs (t->data[k] - first[k]) <= tol * (fabs (first[k]) + 1e-6),
               "%s: %s[%zu] is %.9g, PyTorch %.9g", file, name, k,
               (double) t->data[k], first[k]);
    }
  fclose (f);
  CHECK (rows > 0 && (size_t) rows == set->n, "%s: %zu tensors read, the "
         "manifest has %d", file, set->n, rows);
}


#endif
