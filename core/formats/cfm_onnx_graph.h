/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_onnx_graph.h: what the two halves of the ONNX reader share (internal
 * to the core): byte spans, protobuf fields, the nodes and attributes read
 * from a graph, and the graph; cfm_onnx.c reads them from the file,
 * cfm_onnx_chain.c follows the graph's chain of nodes into a network. */
#ifndef CFM_ONNX_GRAPH_H
#define CFM_ONNX_GRAPH_H

#include <stdint.h>
#include <string.h>

#include "cfm_tensors.h"

#define MAX_NODES   65536
#define MAX_ATTRS   32

typedef struct
{
  const unsigned char *p, *end;
} Buf;

/* A field: its number, wire type and value (a varint, fixed bits, or a
 * length-delimited span). */
typedef struct
{
  uint32_t num;
  int      wire;
  uint64_t v;
  Buf      sub;
} Field;

typedef struct
{
  Buf      name;
  int      type;        /* AttributeProto.type: 1 float, 2 int, 3 string... */
  float    f;
  int64_t  i;
  Buf      s;
  int64_t  ints[8];     /* repeated int64, packed or not */
  int      n_ints;      /* -1: more than fit */
  int      has_ints;
  Buf      t;           /* a TensorProto */
} Attr;

typedef struct
{
  Buf   input[8];
  int   n_in;         /* of input[] (all inputs: cfm_onnx_node_io) */
  Buf   output;       /* the first output */
  Buf   raw;          /* the NodeProto's bytes */
  Buf   name, op;
  Attr  attrs[MAX_ATTRS];
  int   n_attrs;
} Node;

static inline int
buf_is (Buf b, const char *s)
{
  return (size_t) (b.end - b.p) == strlen (s) && memcmp (b.p, s, strlen (s)) == 0;
}

static inline int
buf_eq (Buf a, Buf b)
{
  return a.end - a.p == b.end - b.p && memcmp (a.p, b.p, (size_t) (a.end - a.p)) == 0;
}

static inline const Attr *
attr (const Node *n, const char *name)
{
  int i;

  for (i = 0; i < n->n_attrs; i++)
    if (buf_is (n->attrs[i].name, name))
      return &n->attrs[i];
  return NULL;
}

/* The int list of attribute NAME into OUT (at most MAX); its length, or
 * -1 when absent. */
static inline int
attr_ints (const Node *n, const char *name, int64_t *out, int max)
{
  const Attr *a = attr (n, name);

  if (a == NULL || !a->has_ints)
    return -1;
  if (a->n_ints < 0 || a->n_ints > max)
    return -2;
  memcpy (out, a->ints, (size_t) a->n_ints * sizeof *out);
  return a->n_ints;
}

static inline int64_t
attr_int (const Node *n, const char *name, int64_t def)
{
  const Attr *a = attr (n, name);

  return a ? a->i : def;
}

typedef struct
{
  Node *nodes;
  int   n, room;
  Buf   input;        /* the first graph input that is no initializer */
  Buf   outputs[64];  /* the graph's outputs */
  int   n_outputs;
} Graph;

/* The module path of node name NAME ("/features/features.3/Conv" ->
 * "features.3"), or the node name itself, into OUT (SIZE bytes). */
void cfm_onnx_module_path (Buf name, char *out, size_t size);

/* The first value of attribute A's tensor (a float or an int64 one, as
 * ConstantOfShape's value), or DEF. */
float cfm_onnx_attr_scalar (const Attr *a, float def);

/* The inputs (FIELD 1) or outputs (FIELD 2) of node N into OUT (room for
 * MAX); their number, or -1 when there are more. */
int cfm_onnx_node_io (const Node *n, int field, Buf *out, int max);

/* Reads the ONNX model in BUF: its graph into G (free G->nodes), its
 * initializers and Constants into WEIGHTS (recorded, not loaded). */
CfmStatus cfm_onnx_parse (const void *buf, size_t len, Graph *g,
                          CfmTensorSet *weights, CfmError *err);

/* The weights as a reader takes them: a tensor is loaded when a node reads
 * it, and the first that cannot be (a NaN) keeps its message. */
typedef struct
{
  CfmTensorSet *set;
  CfmError     *err;
  CfmStatus     status;
} OnnxWeights;

/* The tensor NAME, loaded, or NULL. */
const CfmTensor *cfm_onnx_tensor (OnnxWeights *w, Buf name);



#endif
