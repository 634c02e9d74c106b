/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_build.h: how a reader builds a graph (internal to the core):
 * values by name, nodes, then the checks and the order. */
#ifndef CFM_GRAPH_BUILD_H
#define CFM_GRAPH_BUILD_H

#include "cfm_graph.h"

/* The value named NAME (LEN bytes), added as a map nothing produces yet
 * when it is new; -1 when memory runs out. */
int cfm_graph_value (CfmGraph *g, const char *name, size_t len);

/* A new node of N_IN inputs and N_OUT outputs (room, filled with -1), or
 * NULL (with ERR) past CFM_GRAPH_MAX_NODES or out of memory.  The pointer
 * lasts until the next node is added. */
CfmNode *cfm_graph_add_node (CfmGraph *g, int n_in, int n_out,
                             CfmError *err);

/* A node of operator TYPE (an ONNX op type) named NAME (its module path
 * too) reading value IN, its output the new value NAME, into *NODE (which
 * lasts until the next node is added); its module's attributes are the
 * caller's to set. */
CfmStatus cfm_graph_module_node (CfmGraph *g, const char *name,
                                 const char *type, int in, CfmNode **node,
                                 CfmError *err);

/* Checks G (every input produced, no value produced twice, no cycle) and
 * puts its nodes in an order where every input comes first. */
CfmStatus cfm_graph_finish (CfmGraph *g, CfmError *err);

#endif
