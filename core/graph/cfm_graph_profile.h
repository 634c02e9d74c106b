/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_profile.h: the time each kind of node took, for the benchmark
 * ($CFM_GRAPH_PROFILE set: printed to stderr after each run, internal to
 * the core): convolutions by kernel (1x1, depthwise, others) with their
 * multiply-adds, and each other operator. */
#ifndef CFM_GRAPH_PROFILE_H
#define CFM_GRAPH_PROFILE_H

#include "cfm_graph.h"

#define CFM_PROFILE_KINDS 32

typedef struct
{
  const char *kind;
  double      seconds, macs;
} CfmProfile;

/* A monotonic clock, in seconds. */
double cfm_profile_now (void);

/* Adds SECONDS of node NODE's output rows ROWS to PROFILE
 * (CFM_PROFILE_KINDS entries). */
void cfm_profile_add (CfmProfile *profile, const CfmGraph *g,
                      const CfmNode *node, int rows, double seconds);

void cfm_profile_print (const CfmProfile *profile);

#endif
