/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_profile.c: the time each kind of node took in a run, for the
 * benchmark (its API: cfm_graph_profile.h). */
#include "cfm_graph_profile.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cfm_op.h"

double
cfm_profile_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

void
cfm_profile_add (CfmProfile *profile, const CfmGraph *g, const CfmNode *node,
                 int rows, double seconds)
{
  const CfmModule *m = &node->m;
  const CfmValue *out = &g->values[node->outputs[0]];
  const char *kind = node->op->name;
  double macs = 0.0;
  int i;

  if (strcmp (kind, "Conv") == 0)
    {
      kind = m->groups == m->in_c && m->groups > 1 ? "Conv depthwise"
             : m->k[0] == 1 && m->k[1] == 1 ? "Conv 1x1" : "Conv";
      macs = (double) out->c * (m->in_c / m->groups) * m->k[0] * m->k[1]
             * rows * out->w;
    }
  for (i = 0; i < CFM_PROFILE_KINDS - 1 && profile[i].kind
                  && strcmp (profile[i].kind, kind) != 0; i++)
    ;
  profile[i].kind = kind;
  profile[i].seconds += seconds;
  profile[i].macs += macs;
}

void
cfm_profile_print (const CfmProfile *profile)
{
  int i;

  for (i = 0; i < CFM_PROFILE_KINDS && profile[i].kind; i++)
    fprintf (stderr, "profile|%s|%.4f|%.3f\n", profile[i].kind,
             profile[i].seconds, profile[i].macs * 1e-9);
}
