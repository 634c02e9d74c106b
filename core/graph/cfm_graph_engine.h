/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_engine.h: what a run of the engine holds (internal to the
 * core): each value's rows (cfm_graph_rows.c keeps them, a sliding
 * window), each node's progress, the readers of each value; the run
 * itself is cfm_graph_run.c. */
#ifndef CFM_GRAPH_ENGINE_H
#define CFM_GRAPH_ENGINE_H

#include "cfm_graph.h"
#include "cfm_graph_profile.h"
#include "cfm_op.h"

/* The rows a value holds: row r of channel ch at buf[ch * cap * w + (r -
 * base) * w]. */
typedef struct
{
  float  *buf;
  size_t  cap;         /* rows of room per plane */
  int     base, lo, hi;
  int     wanted;      /* its rows go to the host */
} Held;

/* A reader of a value: node NODE's input INPUT. */
typedef struct
{
  int node, input;
} Reader;

typedef struct
{
  const CfmGraph *g;
  Held           *held;       /* per value */
  int            *done;       /* per node: output rows computed */
  int            *fused_next; /* per node: the activation it writes, or -1 */
  int            *fused_into; /* per node: the node that writes it, or -1 */
  char           *needed;     /* per node: on the way to a wanted value */
  Reader         *readers;    /* per value, from first[v] to first[v + 1] */
  int            *first;
  CfmConvPacked  *packed;     /* per node */
  CfmBand        *bands;      /* a node's inputs, CFM_NODE_MAX_INPUTS */
  float          *scratch;    /* input rows as the reader gives them */
  size_t          scratch_cap, bytes, limit;
  CfmRowReader    read;
  void           *read_data;
  CfmGraphOutput  output;
  void           *data;
  CfmProfile     *profile;    /* or NULL */
  int             pace_h;     /* the height of the value whose bands
                                 pace the run (the first wanted) */
} Run;

/* Room in value V's rows up to row HI (its rows held moved to the front,
 * or into a larger buffer), within the run's memory limit. */
CfmStatus cfm_rows_reserve (Run *r, int v, int hi, CfmError *err);
/* The same, the buffer holding at least MIN_CAP rows (two values written
 * in one pass share one plane stride). */
CfmStatus cfm_rows_reserve_cap (Run *r, int v, int hi, size_t min_cap,
                                CfmError *err);

/* Drops the rows of V below what its readers still read; all of them
 * once none will. */
void cfm_rows_release (Run *r, int v);

/* The rows [R0, R0 + RN) of V (a map held, or a constant) as a band. */
CfmBand cfm_rows_band (const Run *r, int v, int r0, int rn);

/* The rows of input I that NODE's output rows [O0, O0 + ON) read. */
void cfm_rows_read (const Run *r, const CfmNode *node, int i, int o0, int on,
                    int *r0, int *rn);

#endif
