/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_model.h: a trained model as a user hands it over, one file
 * (.pth/.pt, .safetensors, .npz or .onnx) and, for the files that hold
 * only weights, the text print(model) printed; and the block of the layer
 * the user picks: its Conv2d with the activation and pooling after it. */
#ifndef CFM_MODEL_H
#define CFM_MODEL_H

#include <stddef.h>

#include "cfm_error.h"
#include "cfm_file.h"
#include "cfm_graph.h"
#include "cfm_network.h"
#include "cfm_tensors.h"

typedef struct
{
  CfmFile     *file;      /* the bytes the weights are views into */
  CfmTensorSet weights;   /* only the network's loaded */
  CfmNetwork   net;       /* bound to WEIGHTS */
  CfmGraph     graph;     /* the whole network, unsized: each run sizes a
                             copy (cfm_graph_copy) */
  CfmTensorSet graph_weights;   /* an ONNX graph's own (a text's graph
                                   reads WEIGHTS) */
  int          onnx;      /* read from an ONNX graph */
  int          input_channels;   /* what its first convolution takes */
} CfmModel;

/* Reads FILE (NAME, its file name, tells an ONNX graph by its extension
 * where its first bytes do not) into MODEL, which takes FILE (closed with
 * the model, or at once when it is refused); for a weights-only file,
 * NETWORK_TEXT gives the layers (ignored for ONNX).  Only the tensors the
 * network binds are loaded.  The message says what is wrong and, for a
 * missing text, what to paste. */
CfmStatus cfm_model_read (CfmFile *file, const char *name,
                          const char *network_text, CfmModel *model,
                          CfmError *err);

/* cfm_model_read of the file at PATH (at most MAX_BYTES), mapped. */
CfmStatus cfm_model_open (const char *path, size_t max_bytes,
                          const char *network_text, CfmModel *model,
                          CfmError *err);

void cfm_model_free (CfmModel *model);

/* A Conv2d and the modules after it up to the next Conv2d. */
typedef struct
{
  int first, last;                   /* its modules */
  int module[CFM_BLOCK_STAGES];      /* each stage's module, or -1: the
                                        Conv2d, the first activation after
                                        it, the first pooling */
} CfmBlock;

/* The block of module LAYER (a module path such as features.3, or an ONNX
 * node name; NULL or "": the first convolution's).  A module that is not a
 * convolution gives the block it lies in.  An unknown name gets a message
 * that lists the names there are. */
CfmStatus cfm_model_block (const CfmNetwork *net, const char *layer,
                           CfmBlock *block, CfmError *err);

#endif
