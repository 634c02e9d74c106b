/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph.h: a network as a graph of nodes that read and write named
 * values, checked, sized for an input and run in bands by one engine.
 *
 * A value is a map of C channels by H rows by W columns (an NCHW tensor of
 * batch 1; a vector after Flatten is C x 1 x 1) computed by the node that
 * produces it, a constant (an initializer or a Constant node's tensor), or
 * the graph's input.  Each node runs one operator of the registry
 * (ops/cfm_op.h) on its inputs.  The nodes are kept in an order where
 * every input is computed before it is read; a graph that has no such
 * order, an input nothing produces and more than CFM_GRAPH_MAX_NODES nodes
 * are refused before anything runs.  No step follows the graph by
 * recursion: a file's depth never reaches the stack.
 *
 * Built from ONNX by cfm_graph_onnx.c; sized by cfm_graph_shape.c; run by
 * cfm_graph_run.c. */
#ifndef CFM_GRAPH_H
#define CFM_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "cfm_activation.h"
#include "cfm_bank.h"
#include "cfm_error.h"
#include "cfm_geometry.h"
#include "cfm_module.h"
#include "cfm_network.h"
#include "cfm_tensors.h"

#define CFM_GRAPH_MAX_NODES 65536
#define CFM_GRAPH_NAME_MAX  CFM_NETWORK_NAME_MAX   /* a module path */

/* The largest value (in bytes, the whole map at the input's size) a graph
 * may have: larger ones, and sizes that overflow, are refused with the
 * node's name before the run. */
#define CFM_GRAPH_MAX_VALUE_BYTES ((size_t) 16 << 30)

typedef struct CfmOp CfmOp;

typedef enum
{
  CFM_VALUE_MAP,     /* computed by a node, or the graph's input */
  CFM_VALUE_CONST    /* a tensor of the file */
} CfmValueKind;

typedef struct
{
  char             *name;
  CfmValueKind      kind;
  int               producer;    /* the node that computes it, or -1 */
  int               output;      /* which of the producer's outputs */
  const CfmTensor  *tensor;      /* a constant's values (loaded) */
  int               integer;     /* a constant of integers (shapes) */
  int               along_channels;   /* a constant of one dimension
                                         that runs along the channels (a
                                         printed PReLU's weight), not the
                                         columns as NumPy would have it */
  int               folded;      /* a constant the shape arithmetic
                                    computed for this input size (its
                                    tensor the graph's own) */
  int               rank;        /* 4: N x C x H x W; 2: N x C (a vector);
                                    5: N x C_SPLIT x C / C_SPLIT x H x W
                                    (a channel shuffle's view) */
  int               c, h, w;     /* for the graph's input size */
  int               c_split;
  int               channels_last;   /* the file's tensor is N x H x W x C
                                        (ConvNeXt's permuted maps), kept
                                        channel by channel as any map */
  int               consumers;   /* nodes that read it */
} CfmValue;

/* Most inputs and outputs a node has (a DenseNet block concatenates every
 * layer's output: DenseNet-201 has 49 in one Concat). */
#define CFM_NODE_MAX_INPUTS  256
#define CFM_NODE_MAX_OUTPUTS 64

typedef struct
{
  const CfmOp *op;        /* NULL: the core cannot run it (see type) */
  char         name[CFM_GRAPH_NAME_MAX];     /* the node's own name */
  char         module[CFM_GRAPH_NAME_MAX];   /* its module path, or "" */
  char         type[32];                     /* its ONNX op type */
  char         why[CFM_ERROR_MAX];   /* what keeps the core from running
                                       it, or "" */
  int          unsized;   /* its inputs' sizes are not ones it takes (why
                             says so) */
  int         *inputs;    /* value indices; -1: an optional one left out */
  int          n_inputs;
  int         *outputs;
  int          n_outputs;
  /* the operator's attributes and weights: a convolution's, a pooling's,
   * a BatchNorm's and a function's as a chain module holds them, and */
  CfmModule    m;
  int          axis;           /* Concat, Softmax, Flatten, Split */
  int          trans_a, trans_b;
  float        alpha, beta;    /* Gemm, HardSigmoid */
  int          splits[CFM_NODE_MAX_OUTPUTS];   /* Split: channels each */
  int          auto_pad;       /* ONNX's SAME_UPPER (1), SAME_LOWER (2):
                                  padding found while sizing */
  int64_t      ints[8];        /* an int list: perm, axes, starts... */
  int          n_ints;         /* -1: none given */
} CfmNode;

typedef struct
{
  CfmValue     *values;
  int           n_values, room_values;
  CfmNode      *nodes;      /* in an order where inputs come first */
  int           n_nodes, room_nodes;
  int           input;      /* the value the image goes in as */
  int           n_outputs;  /* the graph's outputs, by value index */
  int          *outputs;
  int           from_text;  /* built from print(model) text */
  int           sized;      /* the shapes below are for input c x h x w */
  int           c, h, w;
  size_t       *slots, n_slots;   /* value names hashed: index + 1 */
} CfmGraph;

void cfm_graph_free (CfmGraph *g);

/* DST, a graph of its own with SRC's nodes and values, to be sized and run
 * apart from SRC (a host's plans on one model, each at its own size).
 * Constants stay SRC's file's: SRC's weights must outlive DST. */
CfmStatus cfm_graph_copy (const CfmGraph *src, CfmGraph *dst,
                          CfmError *err);

/* An ONNX model's whole graph into G, its weights (initializers and
 * Constants) in WEIGHTS, those the nodes read loaded (BUF must outlive
 * WEIGHTS).  Every node is kept: one the core cannot run is marked so
 * (node->op NULL, node->why), and only nodes that depend on it are
 * refused.  Weights stored outside the file are refused: no other file
 * is opened. */
CfmStatus cfm_graph_read_onnx (const void *buf, size_t len, CfmGraph *g,
                               CfmTensorSet *weights, CfmError *err);

/* A graph from the text print(model) printed (TEXT) and the model's
 * WEIGHTS (a state dict; the tensors its nodes read loaded, checked
 * against the printed shapes with the module's name).  torchvision's
 * blocks (BasicBlock, Bottleneck, InvertedResidual, SqueezeExcitation,
 * MBConv, FusedMBConv, Fire, DenseNet's layers and blocks, RegNet's
 * blocks) run as their source's forward says, the models' heads with
 * their flatten and pooling; the top module of another class is followed
 * in printed order; a block of a class the core does not know, and a
 * module it does not read, become nodes that cannot run (the message
 * says to export ONNX), the nodes before them still run. */
CfmStatus cfm_graph_read_text (const char *text, CfmTensorSet *weights,
                               CfmGraph *g, CfmError *err);

/* A filter bank as a graph of three nodes: "conv" (BANK's filters, with
 * BIAS or none, under CONV's stride, padding and dilation), "activation"
 * (ACT, SLOPE for LeakyReLU; none for CFM_ACT_NONE) and "pool" (POOL, or
 * none for NULL).  BANK and BIAS are borrowed.  Its maps are the
 * tutorial's direct sums, bit for bit those of cfm_pipeline.h. */
CfmStatus cfm_graph_from_bank (const CfmBank *bank, const float *bias,
                               const CfmConvParams *conv, CfmActivation act,
                               float slope, const CfmPoolParams *pool,
                               CfmGraph *g, CfmError *err);

/* Modules 0 .. LAST of a chain (cfm_network.h) as a graph, node i module
 * i (named as it is, its attributes and weights borrowed), each reading
 * the one before.  The chain's forward passes (cfm_network_forward*) run
 * so, on the same engine as every graph. */
CfmStatus cfm_graph_from_chain (const CfmNetwork *net, int last, CfmGraph *g,
                                CfmError *err);

/* The index of the value NAME, or -1. */
int cfm_graph_find_value (const CfmGraph *g, const char *name);

/* The node named NAME: a module path (the last node of that module's
 * scope: layer2.1 is /layer2/layer2.1/relu_1/Relu), or a node's own name;
 * -1 when none is. */
int cfm_graph_find_node (const CfmGraph *g, const char *name);

/* The name a node's maps are given: its module path where it has one,
 * else its node name (unique within G). */
const char *cfm_graph_node_label (const CfmGraph *g, int node);

/* The stages of a convolution's block, as the plug-in shows them. */
typedef enum
{
  CFM_BLOCK_CONV,
  CFM_BLOCK_ACTIVATION,
  CFM_BLOCK_POOL,
  CFM_BLOCK_STAGES
} CfmBlockStage;

#define CFM_GRAPH_BLOCK_MAX 16

/* A convolution and the nodes after it while its maps take one path, each
 * value read by the next alone: BatchNorms, activations, windowed
 * poolings, Dropouts (a chain's Conv2d block, and a residual block's
 * first convolution with its BatchNorm and ReLU). */
typedef struct
{
  int stage[CFM_BLOCK_STAGES];     /* each stage's node, or -1: the
                                      convolution, the first activation
                                      after it, the first pooling */
  int nodes[CFM_GRAPH_BLOCK_MAX];  /* the block's nodes in order */
  int n;
} CfmGraphBlock;

/* The block NODE lies in (NODE a convolution or a node of its block):
 * 1, or 0 when NODE is in no convolution's block. */
int cfm_graph_block (const CfmGraph *g, int node, CfmGraphBlock *block);

/* The block of NODE, which LAYER chose (cfm_graph_layer), when LAYER names
 * NODE itself; 0 when LAYER names a module that holds NODE as its last
 * (a block whose output NODE computes: its output is what is shown). */
int cfm_graph_layer_block (const CfmGraph *g, const char *layer, int node,
                           CfmGraphBlock *block);

/* The node a layer name chooses: LAYER as cfm_graph_find_node finds it,
 * NULL or "" the first convolution; an unknown name gets a message that
 * lists the names there are. */
CfmStatus cfm_graph_layer (const CfmGraph *g, const char *layer, int *node,
                           CfmError *err);

/* Sizes every value for an input of C x H x W.  A node whose inputs it
 * cannot take, or whose output's size overflows or passes
 * CFM_GRAPH_MAX_VALUE_BYTES, is marked so (why names it) and left
 * unsized (0 x 0 x 0), with the nodes that depend on it and those that
 * cannot run: the others are sized.  Shape arithmetic (Shape, Gather,
 * Unsqueeze, Concat, Slice, Cast, Div, Mul... on constants and on the
 * maps' sizes) is computed here, its values becoming constants. */
CfmStatus cfm_graph_shapes (CfmGraph *g, int c, int h, int w, CfmError *err);

/* Whether NODE can be computed (after cfm_graph_shapes): it and every
 * node it depends on run, or its output is a constant of the shape
 * arithmetic.
 * When not, WHY (CFM_ERROR_MAX bytes, or NULL) says which node and
 * operator stop it. */
int cfm_graph_node_runs (const CfmGraph *g, int node, char *why);

/* Where a node's output pixels lie over the graph's input, per axis (0
 * rows, 1 columns): output pixel i's receptive field is centred at input
 * coordinate CENTRE + i * STRIDE (pixel centres at whole numbers) and
 * spans FIELD input pixels, padding included.  The stride is the fraction
 * STRIDE_NUM / STRIDE_DEN: below 1 after upsampling, not a whole number
 * after a resize by an odd ratio.  Where a branch joins, the input with the
 * widest field gives the output's.  GLOBAL: the output also depends on
 * every input pixel through a global step (a squeeze-excitation gate, a
 * classifier's pooling); FIELD stays the local one, and after the global
 * step itself it covers the whole input. */
typedef struct
{
  long long stride_num[2], stride_den[2];
  double    stride[2];
  double    centre[2];
  double    field[2];
  int       global;
} CfmGraphGeometry;

/* NODE's output geometry (after cfm_graph_shapes), or a message when NODE
 * cannot be computed. */
CfmStatus cfm_graph_geometry (const CfmGraph *g, int node,
                              CfmGraphGeometry *geo, CfmError *err);

/* Rows [ROW0, ROW0 + ROWS) of value VALUE (C x H x W), channel ch's row r
 * at DATA[ch * PLANE + (r - ROW0) * W]. */
typedef CfmStatus (*CfmGraphOutput) (void *data, int value, const float *rows,
                                     size_t plane, int c, int h, int w,
                                     int row0, int nrows, CfmError *err);

/* Computes values WANT[0 .. N) (sized by cfm_graph_shapes) for the input
 * READ gives (rows on demand, cfm_network.h), with whole-image semantics,
 * in bands: the first wanted value advances BAND_ROWS rows a step and the
 * others in proportion to their heights.  Every node computes each of its
 * rows once; each value keeps only the rows its consumers have not read
 * yet (a global step, such as a squeeze-excitation gate or a classifier's
 * pooling, reads its whole input, which its value then keeps).  Each
 * wanted value's rows go to OUTPUT once, in order. */
CfmStatus cfm_graph_run (const CfmGraph *g, const int *want, int n,
                         int band_rows, CfmRowReader read, void *read_data,
                         CfmGraphOutput output, void *data, CfmError *err);

/* The most memory (bytes) a run's values may hold at once; past it a run
 * stops with a message naming the value ($CFM_MEMORY_LIMIT in MB, read
 * once; default 8192). */
size_t cfm_graph_memory_limit (void);

#endif
