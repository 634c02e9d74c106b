/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op.h: the operator descriptor (internal to the core).  Each operator
 * (or family) is one file of ops/ with one CfmOp: the ONNX op types and
 * PyTorch modules it runs, how it reads its attributes and weights, its
 * output shape, the input rows a band of its output rows reads, and its
 * band kernel.  cfm_op_registry.c lists them; adding an operator is its
 * file and one line there. */
#ifndef CFM_OP_H
#define CFM_OP_H

#include "cfm_conv.h"
#include "cfm_graph.h"
#include "cfm_onnx_graph.h"

/* One band of a node's run: output rows [O0, O0 + ON) of each output k at
 * OUT[k] (channel ch's row o0 + r at OUT[k][ch * PLANE[k] + r * w]), from
 * IN[i], the rows of input i that input_rows named (a constant: its whole
 * broadcast shape; plane stride IN[i].plane). */
typedef struct
{
  const CfmBand  *in;
  int             n_in;
  float *const   *out;
  const size_t   *plane;
  int             o0, on;
  CfmConvPacked  *packed;   /* the node's packed weights, kept per run */
  const CfmNode  *then;     /* the activation fused after it (its fuses
                               said so): OUT[0] is that node's output, */
  float          *then_out; /* or, when the node's own output is wanted
                               too, OUT[0] is its own and THEN's goes here
                               (plane PLANE[0]) */
} CfmOpRun;

/* One node's backward step on whole maps: IN[i] input i's forward values
 * (its value's c x h x w, or a constant's broadcast shape), OUT the
 * output's, GRAD_OUT the gradient of some number (a class's logit) with
 * respect to the output; GRAD_IN[i], of input i's size, receives that
 * number's gradient with respect to input i, added to what it holds
 * (NULL: input i needs none, a constant).  A node of several outputs
 * (Split) has output k's gradient at GRAD_OUTS[k] (GRAD_OUTS[0] is
 * GRAD_OUT; NULL for a node of one). */
typedef struct
{
  const float *const *in;
  const float        *out;
  const float        *grad_out;
  float *const       *grad_in;
  const float *const *grad_outs;
} CfmOpGrad;

/* What an operator does with a map whose channels are last. */
typedef enum
{
  CFM_LAYOUT_REFUSED,   /* it is refused with the node's name */
  CFM_LAYOUT_KEPT,      /* taken, its output laid out as its input (a
                           pixel-wise step) */
  CFM_LAYOUT_OWN        /* taken, its shape rule sets its output's */
} CfmLayoutRule;

struct CfmOp
{
  const char        *name;
  CfmLayoutRule      channels_last;
  const char *const *onnx;      /* ONNX op types, NULL-terminated */
  const char *const *modules;   /* PyTorch modules, NULL-terminated */
  /* Reads NODE's attributes and weights from ONNX node SRC; 0 with
   * NODE->why set when the core cannot run it as it is. */
  int (*from_onnx) (CfmNode *node, const Node *src, OnnxWeights *w);
  /* Reads NODE's attributes and weights from its printed module (its
   * name and type in NODE->m, its argument text ARGS, changed in place)
   * and the state dict W, loading the tensors it reads; NULL: the core
   * does not read it from text.  A module it cannot run so: NODE->why
   * set, CFM_OK; weights that do not fit: an error naming it. */
  CfmStatus (*from_text) (CfmNode *node, char *args, CfmTensorSet *w,
                          CfmError *err);
  /* Sizes NODE's outputs from its inputs (G's values), or refuses. */
  CfmStatus (*shape) (CfmGraph *g, CfmNode *node, CfmError *err);
  /* The rows of input I that output rows [O0, O0 + ON) read; NULL: the
   * same rows (row 0 alone of an input one row high). */
  void (*input_rows) (const CfmGraph *g, const CfmNode *node, int i, int o0,
                      int on, int *r0, int *rn);
  CfmStatus (*run) (const CfmGraph *g, const CfmNode *node,
                    const CfmOpRun *run, CfmError *err);
  /* Whether NODE can write the output of NEXT, its output's one reader,
   * in the same pass (a convolution and the ReLU after it); NULL: no. */
  int (*fuses) (const CfmNode *node, const CfmNode *next);
  /* Where NODE's output pixels lie over the graph's input, from GEO, the
   * widest of its map inputs' (cfm_graph_geometry); NULL: as its input's
   * (a pixel-wise step). */
  void (*geometry) (const CfmGraph *g, const CfmNode *node,
                    CfmGraphGeometry *geo);
  /* Computes NODE's outputs as constants (cfm_op_fold_output) before the
   * run, where its inputs are constants or the sizes it reads are known
   * (shape arithmetic); NULL, or CFM_OK with no output folded: it runs. */
  CfmStatus (*fold) (CfmGraph *g, CfmNode *node, CfmError *err);
  /* Where the gradient of NODE's output goes (CfmOpGrad): a class
   * activation map's backward pass; NULL: the core has no backward for it
   * yet, and a backward pass through it is refused. */
  CfmStatus (*backward) (const CfmGraph *g, const CfmNode *node,
                         const CfmOpGrad *grad, CfmError *err);
};

/* The backward step of a node that runs its module (cfm_module_backward):
 * a convolution, BatchNorm, a pooling. */
CfmStatus cfm_op_module_backward (const CfmGraph *g, const CfmNode *node,
                                  const CfmOpGrad *grad, CfmError *err);

/* The backward step of a node whose output is its input, value for value
 * (Identity, Dropout, Flatten, Reshape): the gradient passes on. */
CfmStatus cfm_op_copy_backward (const CfmGraph *g, const CfmNode *node,
                                const CfmOpGrad *grad, CfmError *err);

/* Output K of NODE as a constant of NDIM dimensions SHAPE (integers or
 * not): its room at *DATA.  At most CFM_FOLD_MAX values. */
#define CFM_FOLD_MAX (1 << 20)
CfmStatus cfm_op_fold_output (CfmGraph *g, const CfmNode *node, int k,
                              int ndim, const int64_t *shape, int integer,
                              float **data, CfmError *err);

/* V's channels, rows and columns as a constant's last three dimensions
 * (NumPy's broadcasting against N x C x H x W); 0 x 0 x 0 when it has more
 * dimensions that are not 1. */
void cfm_op_size_constant (CfmValue *v);

/* A constant's value D as an index, a size or an axis: clamped to
 * +-2^40 (ONNX's INT64 limits mean "to the end"), NaN read as 0, so no
 * cast or sum of such values overflows. */
int64_t cfm_op_index (float d);

/* Forgets what the shape arithmetic computed into V for another input
 * size: a map again. */
void cfm_op_unfold (CfmValue *v);

/* Whether every input of NODE is a constant. */
int cfm_op_inputs_constant (const CfmGraph *g, const CfmNode *node);

/* The dimensions of value V as ONNX sees them (N first) into DIMS; their
 * number. */
int cfm_op_dims (const CfmValue *v, int64_t *dims);

/* The operator that runs PyTorch module TYPE (as printed), or NULL. */
const CfmOp *cfm_op_for_module (const char *type);

/* A printed module that runs as a chain module does (NODE->m): read by
 * the chain's text reader, its weights bound (a convolution's, a
 * BatchNorm's). */
CfmStatus cfm_op_module_from_text (CfmNode *node, char *args,
                                   CfmTensorSet *w, CfmError *err);

/* The operator that runs ONNX op type TYPE, or NULL. */
const CfmOp *cfm_op_for_onnx (Buf type);

/* Row for row: the rows [O0, O0 + ON), or row 0 of an input one row high
 * (broadcast). */
void cfm_op_same_rows (const CfmGraph *g, const CfmNode *node, int i, int o0,
                       int on, int *r0, int *rn);

/* Every row of input I: what a global step reads. */
void cfm_op_all_rows (const CfmGraph *g, const CfmNode *node, int i, int o0,
                      int on, int *r0, int *rn);

/* Sets NODE->why (printf-style) and returns 0. */
int cfm_op_refuse (CfmNode *node, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

/* The value of NODE's input I (NULL when left out). */
static inline const CfmValue *
cfm_op_input (const CfmGraph *g, const CfmNode *node, int i)
{
  return i < node->n_inputs && node->inputs[i] >= 0
         ? &g->values[node->inputs[i]] : NULL;
}

static inline CfmValue *
cfm_op_output (CfmGraph *g, const CfmNode *node, int k)
{
  return &g->values[node->outputs[k]];
}

/* Gives output K of NODE the shape C x H x W of rank RANK. */
static inline void
cfm_op_set_shape (CfmGraph *g, const CfmNode *node, int k, int rank, int c,
                  int h, int w)
{
  CfmValue *v = cfm_op_output (g, node, k);

  v->rank = rank;
  v->channels_last = 0;
  v->c = c;
  v->h = h;
  v->w = w;
}

/* Kernel, strides, even pads and dilations of ONNX node N into M (the
 * kernel from WEIGHT's shape when N has none); 0 when they are not. */
int cfm_onnx_window (const Node *n, CfmModule *m, const CfmTensor *weight);

/* ONNX node N's auto_pad: SAME_UPPER 1, SAME_LOWER 2, else 0. */
int cfm_onnx_auto_pad (const Node *n);

/* A scalar from input K of node N (a Constant or initializer), or DEF. */
float cfm_onnx_scalar (const Node *n, OnnxWeights *w, int k, float def);

/* A Pad node PAD merged into NEXT, the Conv or AveragePool it feeds. */
int cfm_onnx_merge_pad (const Node *pad, const Node *next, OnnxWeights *w,
                        CfmModule *m);

/* The operators that run as a chain module (NODE->m) does: its size, the
 * input rows it reads, its band. */
CfmStatus cfm_op_module_shape (CfmGraph *g, CfmNode *node, CfmError *err);
void cfm_op_module_rows (const CfmGraph *g, const CfmNode *node, int i,
                         int o0, int on, int *r0, int *rn);
CfmStatus cfm_op_module_run (const CfmGraph *g, const CfmNode *node,
                             const CfmOpRun *run, CfmError *err);
int cfm_op_module_fuses (const CfmNode *node, const CfmNode *next);

/* GEO after a window of side K, stride S, padding P (before) and
 * dilation D along axis A. */
void cfm_op_window_geometry (CfmGraphGeometry *geo, int a, int k, int s,
                             int p, int d);

/* GEO's stride along axis A times NUM / DEN (a resize, a transposed
 * convolution). */
void cfm_op_scale_stride (CfmGraphGeometry *geo, int a, long long num,
                          long long den);

/* The geometry of a chain module's window (a convolution, a pooling). */
void cfm_op_module_geometry (const CfmGraph *g, const CfmNode *node,
                             CfmGraphGeometry *geo);

/* A step that reads its input's whole map (a global pooling, a Flatten):
 * its one output pixel's field is all of it. */
void cfm_op_whole_geometry (const CfmGraph *g, const CfmNode *node,
                            CfmGraphGeometry *geo);

/* Hands input 0's rows on to every output (Identity, Cast, a Reshape
 * that keeps the values' order). */
CfmStatus cfm_op_copy_run (const CfmGraph *g, const CfmNode *node,
                           const CfmOpRun *run, CfmError *err);

/* Input 0's whole map as one vector, channel by channel, row by row
 * (torch.flatten (x, 1)). */
CfmStatus cfm_op_vector_run (const CfmGraph *g, const CfmNode *node,
                             const CfmOpRun *run, CfmError *err);

/* The same for a constant input, before the run. */
CfmStatus cfm_op_copy_fold (CfmGraph *g, CfmNode *node, CfmError *err);

/* The chain modules' ONNX readers (a node into a module), shared by the
 * chain (cfm_onnx_chain.c) and the graph. */
int cfm_onnx_conv (const Node *n, OnnxWeights *w, CfmModule *m);
int cfm_onnx_batchnorm (const Node *n, OnnxWeights *w, CfmModule *m);
int cfm_onnx_pool (const Node *n, CfmModule *m);
int cfm_onnx_function (const Node *n, OnnxWeights *w, CfmModule *m);

#endif
