/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_tensors.h: the named float tensors of a trained model's file (a
 * state dict), whatever the format it came in, and the readers: PyTorch's
 * .pth (cfm_pth.c), safetensors and .npz (cfm_weights.c).  Every reader
 * takes the file's bytes in memory and opens no other file. */
#ifndef CFM_TENSORS_H
#define CFM_TENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "cfm_error.h"

#define CFM_TENSOR_MAX_DIMS 8
/* Most values a model file may hold in all (4 G floats = 16 GB). */
#define CFM_TENSORS_MAX_VALUES ((size_t) 1 << 32)
#define CFM_TENSORS_MAX 100000

typedef struct
{
  char   *name;                        /* dotted, as the state dict's key */
  int     ndim;
  int64_t shape[CFM_TENSOR_MAX_DIMS];
  size_t  count;
  float  *data;                        /* count floats, C order */
} CfmTensor;

typedef struct
{
  CfmTensor *tensors;
  size_t     n, room;
  size_t     values;                   /* in all of them */
  /* names hashed: slot holds a tensor's index + 1, 0 when empty; at most
   * half the slots are used */
  size_t    *slots, n_slots;
} CfmTensorSet;

void cfm_tensors_free (CfmTensorSet *set);

/* The tensor named NAME, or NULL. */
const CfmTensor *cfm_tensors_find (const CfmTensorSet *set, const char *name);

/* Adds a tensor NAME of NDIM dimensions SHAPE; its data (uninitialised)
 * at *DATA.  Refuses a duplicate name, absurd shapes and too many values
 * in all. */
CfmStatus cfm_tensors_add (CfmTensorSet *set, const char *name,
                           size_t name_len, int ndim, const int64_t *shape,
                           float **data, CfmError *err);

/* Refuses NaN and infinite values, naming the tensor. */
CfmStatus cfm_tensors_check_finite (const CfmTensorSet *set, CfmError *err);

/* A PyTorch .pth/.pt file (torch.save of a state dict or of a dict that
 * holds one, the zip format of PyTorch 1.6 and later) into SET. */
CfmStatus cfm_pth_read (const void *buf, size_t len, CfmTensorSet *set,
                        CfmError *err);

/* A safetensors file into SET. */
CfmStatus cfm_safetensors_read (const void *buf, size_t len,
                                CfmTensorSet *set, CfmError *err);

/* A NumPy .npz file (numpy.savez, stored) into SET. */
CfmStatus cfm_npz_read (const void *buf, size_t len, CfmTensorSet *set,
                        CfmError *err);

/* Any of the three, told apart by their first bytes. */
CfmStatus cfm_weights_read (const void *buf, size_t len, CfmTensorSet *set,
                            CfmError *err);

/* Element conversions the readers share: N values of a little-endian
 * float16 or bfloat16 at SRC into DST. */
void cfm_half_to_float (const unsigned char *src, size_t n, float *dst);
void cfm_bfloat16_to_float (const unsigned char *src, size_t n, float *dst);

#endif
