/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_model.h: a trained model as a user hands it over, one file's bytes
 * (.pth/.pt, .safetensors, .npz or .onnx) and, for the files that hold
 * only weights, the text print(model) printed; and the block of the layer
 * the user picks: its Conv2d with the activation and pooling after it. */
#ifndef CFM_MODEL_H
#define CFM_MODEL_H

#include <stddef.h>

#include "cfm_error.h"
#include "cfm_network.h"
#include "cfm_tensors.h"

typedef struct
{
  CfmTensorSet weights;
  CfmNetwork   net;       /* bound to WEIGHTS */
  int          onnx;      /* read from an ONNX graph */
} CfmModel;

/* Reads the file BUF of LEN bytes (NAME, its file name, tells an ONNX
 * graph by its extension where its first bytes do not) into MODEL; for a
 * weights-only file, NETWORK_TEXT gives the layers (ignored for ONNX).
 * The message says what is wrong and, for a missing text, what to paste. */
CfmStatus cfm_model_read (const void *buf, size_t len, const char *name,
                          const char *network_text, CfmModel *model,
                          CfmError *err);

void cfm_model_free (CfmModel *model);

/* The stages of a block, as the plug-in shows them. */
typedef enum
{
  CFM_BLOCK_CONV,
  CFM_BLOCK_ACTIVATION,
  CFM_BLOCK_POOL,
  CFM_BLOCK_STAGES
} CfmBlockStage;

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
