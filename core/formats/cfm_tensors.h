/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_tensors.h: the named float tensors of a trained model's file (a
 * state dict), whatever the format it came in, and the readers: PyTorch's
 * .pth (cfm_pth.c), safetensors and .npz (cfm_weights.c); the set itself
 * is cfm_tensors.c.  Every reader takes the file's bytes in memory (mapped:
 * cfm_file.h) and opens no other file.
 *
 * A reader only records where each tensor's values lie in those bytes
 * (checked to lie inside them); a tensor's values are taken when it is
 * loaded (cfm_tensors_load), as a view into the bytes where they are
 * already float32 in the machine's order, contiguous and aligned, else as
 * a converted copy.  A model thus touches only the tensors its run uses:
 * VGG's classifier, most of its file, is never read for a feature map. */
#ifndef CFM_TENSORS_H
#define CFM_TENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "cfm_error.h"

#define CFM_TENSOR_MAX_DIMS 8
/* Most values a model file may hold in all (4 G floats = 16 GB). */
#define CFM_TENSORS_MAX_VALUES ((size_t) 1 << 32)
#define CFM_TENSORS_MAX 100000

/* How a file stores a tensor's elements, little-endian. */
typedef enum
{
  CFM_DTYPE_FLOAT32,
  CFM_DTYPE_FLOAT64,
  CFM_DTYPE_FLOAT16,
  CFM_DTYPE_BFLOAT16,
  CFM_DTYPE_INT64
} CfmDtype;

/* Where a tensor's values lie: element OFFSET of the storage at BYTES on,
 * in C order, or at STRIDE (in elements) per dimension when STRIDED.  The
 * reader has checked that every element lies inside the file. */
typedef struct
{
  const unsigned char *bytes;
  CfmDtype             dtype;
  size_t               offset;
  int                  strided;
  int64_t              stride[CFM_TENSOR_MAX_DIMS];
} CfmTensorSource;

typedef struct
{
  char           *name;                /* dotted, as the state dict's key */
  int             ndim;
  int64_t         shape[CFM_TENSOR_MAX_DIMS];
  size_t          count;
  const float    *data;                /* count floats, C order, once
                                          loaded (NULL before, but for
                                          values a reader computed) */
  float          *owned;               /* the copy DATA is, or NULL: DATA
                                          is a view into the file */
  CfmTensorSource src;                 /* bytes NULL: computed values */
  int             loaded;              /* and checked to be finite */
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

/* Adds a tensor NAME of NDIM dimensions SHAPE whose values lie as SRC
 * says, loaded only when asked.  Refuses a duplicate name, absurd shapes
 * and too many values in all. */
CfmStatus cfm_tensors_add_source (CfmTensorSet *set, const char *name,
                                  size_t name_len, int ndim,
                                  const int64_t *shape,
                                  const CfmTensorSource *src, CfmError *err);

/* The same for values the reader computes itself: their room (C order,
 * uninitialised) at *DATA, loaded once they are written. */
CfmStatus cfm_tensors_add (CfmTensorSet *set, const char *name,
                           size_t name_len, int ndim, const int64_t *shape,
                           float **data, CfmError *err);

/* Loads tensor T of SET (a view or a converted copy; once), refusing NaN
 * and infinite values with the tensor's name. */
CfmStatus cfm_tensors_load (CfmTensorSet *set, const CfmTensor *t,
                            CfmError *err);

/* Loads every tensor of SET; with OWN, each as a copy of its own, so the
 * file's bytes may go. */
CfmStatus cfm_tensors_load_all (CfmTensorSet *set, int own, CfmError *err);

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

/* Any of the three, told apart by their first bytes; its tensors are not
 * yet loaded, so BUF must outlive SET. */
CfmStatus cfm_weights_open (const void *buf, size_t len, CfmTensorSet *set,
                            CfmError *err);

/* cfm_weights_open, then every tensor loaded as a copy of its own, so BUF
 * may go. */
CfmStatus cfm_weights_read (const void *buf, size_t len, CfmTensorSet *set,
                            CfmError *err);

/* Element conversions: N values of a little-endian float16 or bfloat16 at
 * SRC into DST. */
void cfm_half_to_float (const unsigned char *src, size_t n, float *dst);
void cfm_bfloat16_to_float (const unsigned char *src, size_t n, float *dst);

#endif
