/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_labels.c: a classifier's ranked classes and its class names (its
 * API: cfm_labels.h; the ImageNet-1k names: cfm_imagenet.inc). */
#include "cfm_labels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const imagenet[] = {
#include "cfm_imagenet.inc"
};

/* Higher probability first, then the lower index. */
static int
by_rank (const void *a, const void *b)
{
  const CfmClassScore *x = a, *y = b;

  if (x->probability != y->probability)
    return x->probability < y->probability ? 1 : -1;
  return x->index - y->index;
}

CfmStatus
cfm_classify (const float *logits, int n, CfmClassScore *top, int k,
              CfmError *err)
{
  CfmClassScore *all;
  double largest = -INFINITY, sum = 0.0;
  int i;

  if (n < 1 || n > CFM_LABELS_MAX || k < 1 || k > n)
    return cfm_error_set (err, CFM_ERR_ARG, "%d classes, %d of them asked "
                          "for", n, k);
  for (i = 0; i < n; i++)
    {
      if (!isfinite (logits[i]))
        return cfm_error_set (err, CFM_ERR_VALUE, "logit %d is not a "
                              "finite number", i);
      largest = logits[i] > largest ? logits[i] : largest;
    }
  all = malloc ((size_t) n * sizeof *all);
  if (all == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  for (i = 0; i < n; i++)
    {
      all[i].index = i;
      all[i].probability = exp ((double) logits[i] - largest);
      sum += all[i].probability;
    }
  for (i = 0; i < n; i++)
    all[i].probability /= sum;
  qsort (all, (size_t) n, sizeof *all, by_rank);
  memcpy (top, all, (size_t) k * sizeof *top);
  free (all);
  return CFM_OK;
}

/* A copy of bytes [A, B) of a label, its surrounding spaces dropped. */
static char *
label_copy (const char *a, const char *b)
{
  char *s;

  while (a < b && (*a == ' ' || *a == '\t'))
    a++;
  while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
    b--;
  s = malloc ((size_t) (b - a) + 1);
  if (s)
    {
      memcpy (s, a, (size_t) (b - a));
      s[b - a] = '\0';
    }
  return s;
}

CfmStatus
cfm_labels_parse (const char *text, CfmLabels *labels, CfmError *err)
{
  const char *p = text, *end = text + strlen (text);
  int lines = 0, i = 0;

  memset (labels, 0, sizeof *labels);
  for (p = text; p < end; p++)
    lines += *p == '\n';
  lines += end > text && end[-1] != '\n';
  if (lines > CFM_LABELS_MAX)
    return cfm_error_set (err, CFM_ERR_SIZE, "more than %d labels",
                          CFM_LABELS_MAX);
  labels->names = calloc ((size_t) lines + 1, sizeof *labels->names);
  if (labels->names == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  for (p = text; p < end && i < lines; i++)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      const char *b = nl ? nl : end;

      if (b - p >= CFM_LABEL_MAX)
        {
          labels->n = i;
          cfm_labels_free (labels);
          return cfm_error_set (err, CFM_ERR_PARSE, "label %d is longer "
                                "than %d bytes", i + 1, CFM_LABEL_MAX - 1);
        }
      labels->names[i] = label_copy (p, b);
      labels->n = i + 1;
      if (labels->names[i] == NULL)
        {
          cfm_labels_free (labels);
          return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
        }
      p = nl ? nl + 1 : end;
    }
  return CFM_OK;
}

CfmStatus
cfm_labels_imagenet (CfmLabels *labels, CfmError *err)
{
  int n = (int) (sizeof imagenet / sizeof *imagenet), i;

  labels->n = 0;
  labels->names = calloc ((size_t) n, sizeof *labels->names);
  if (labels->names == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  for (i = 0; i < n; i++)
    {
      labels->names[i] = label_copy (imagenet[i],
                                     imagenet[i] + strlen (imagenet[i]));
      labels->n = i + 1;
      if (labels->names[i] == NULL)
        {
          cfm_labels_free (labels);
          return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
        }
    }
  return CFM_OK;
}

void
cfm_labels_free (CfmLabels *labels)
{
  int i;

  for (i = 0; labels->names && i < labels->n; i++)
    free (labels->names[i]);
  free (labels->names);
  memset (labels, 0, sizeof *labels);
}
