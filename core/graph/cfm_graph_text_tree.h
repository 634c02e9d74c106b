/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_text_tree.h: print(model)'s text read as a tree of modules
 * (internal to the core: the graph's text reader, cfm_graph_text.c, builds
 * its nodes from it). */
#ifndef CFM_GRAPH_TEXT_TREE_H
#define CFM_GRAPH_TEXT_TREE_H

#include "cfm_graph.h"

/* Deepest nesting of printed modules read. */
#define CFM_TEXT_TREE_MAX_DEPTH 64

typedef struct
{
  char  type[32];
  char  path[CFM_GRAPH_NAME_MAX];
  int   parent, first, next, last;   /* children, in printed order */
  int   end;                         /* its last descendant */
  char *args;                        /* a leaf's argument text, or NULL */
  int   calls;                       /* times the forward called it */
} CfmTextModule;

typedef struct
{
  CfmTextModule *m;
  int            n;
} CfmTextTree;

void cfm_text_tree_free (CfmTextTree *t);

/* Reads print(model)'s TEXT into T, its top module at index 0, each
 * module's children in printed order. */
CfmStatus cfm_text_tree_read (const char *text, CfmTextTree *t,
                              CfmError *err);

/* The child of MOD named NAME (LEN bytes), or -1. */
int cfm_text_tree_child (const CfmTextTree *t, int mod, const char *name,
                         size_t len);

/* Whether block MOD adds its input to its output, as torchvision's
 * use_res_connect says. */
int cfm_text_tree_adds_input (const CfmTextTree *t, int mod);

#endif
