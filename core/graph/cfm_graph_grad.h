/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_grad.h: a class score's gradient at one value of a graph (a
 * class activation map's backward pass): the forward pass keeps, whole,
 * every map the nodes between that value and the scores read, then each
 * class's backward pass runs those nodes' backward steps (CfmOp.backward)
 * in reverse order. */
#ifndef CFM_GRAPH_GRAD_H
#define CFM_GRAPH_GRAD_H

#include "cfm_graph.h"

typedef struct
{
  const CfmGraph *g;
  int             at;         /* the value whose gradient is wanted */
  int             scores;     /* the class scores' value (a vector) */
  unsigned char  *on_path;    /* per node: it reads AT, or a value computed
                                 from it, and the scores depend on it */
  unsigned char  *from_at;    /* per value: AT or computed from it */
  float         **maps;       /* per value: its whole map, or NULL */
} CfmGraphGrad;

/* The bytes a gradient pass at AT to SCORES holds at most (G sized): the
 * maps its nodes read, whole, and the gradients of those computed from
 * AT.  A pass past the memory limit is refused with this figure. */
size_t cfm_graph_grad_bytes (const CfmGraph *g, int at, int scores);

/* Whether a gradient pass at AT to SCORES can run (G sized): SCORES
 * depends on AT, every node between them has a backward step, and the
 * pass fits the memory limit (cfm_graph_memory_limit); else a message
 * naming what stops it. */
CfmStatus cfm_graph_grad_check (const CfmGraph *g, int at, int scores,
                                CfmError *err);

/* Runs G (sized) on the input READ gives, keeping every map the backward
 * passes from SCORES to AT read (AT's and the scores' among them:
 * GG->maps[AT], GG->maps[SCORES]).  Refused, with a message naming it,
 * when a node between them has no backward step, when SCORES does not
 * depend on AT, or when cfm_graph_grad_bytes passes the memory limit
 * (cfm_graph_memory_limit). */
CfmStatus cfm_graph_grad_forward (CfmGraphGrad *gg, const CfmGraph *g,
                                  int at, int scores, CfmRowReader read,
                                  void *read_data, CfmError *err);

/* The gradient of class CLS's score with respect to AT, into GRAD (AT's
 * c x h x w values). */
CfmStatus cfm_graph_grad_class (const CfmGraphGrad *gg, int cls, float *grad,
                                CfmError *err);

void cfm_graph_grad_free (CfmGraphGrad *gg);

#endif
