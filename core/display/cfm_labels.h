/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_labels.h: what a classifier thinks an image is: its logits' softmax
 * ranked, the most probable first, and the names of its classes (a text
 * of one label a line, or the built-in ImageNet-1k names in torchvision's
 * order). */
#ifndef CFM_LABELS_H
#define CFM_LABELS_H

#include "cfm_error.h"

/* Most classes a classifier may have, and bytes of one label. */
#define CFM_LABELS_MAX     100000
#define CFM_LABEL_MAX      256

typedef struct
{
  int    index;         /* 0-based, as PyTorch numbers the outputs */
  double probability;   /* the softmax's */
} CfmClassScore;

/* The softmax of N LOGITS (computed in double, the largest taken off
 * first, as torch.softmax) ranked: the K most probable into TOP (K <= N),
 * ties in index order.  Refuses NaN and infinite logits. */
CfmStatus cfm_classify (const float *logits, int n, CfmClassScore *top, int k,
                        CfmError *err);

typedef struct
{
  char **names;
  int    n;
} CfmLabels;

/* TEXT as one label a line (a final line break, CR LF line ends and
 * surrounding spaces ignored; an empty line is an empty label). */
CfmStatus cfm_labels_parse (const char *text, CfmLabels *labels,
                            CfmError *err);

/* The ImageNet-1k names, 1,000 of them, in torchvision's order. */
CfmStatus cfm_labels_imagenet (CfmLabels *labels, CfmError *err);

void cfm_labels_free (CfmLabels *labels);

#endif
