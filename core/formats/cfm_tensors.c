/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_tensors.c: the tensor set: tensors added by the readers where their
 * values lie, found by name, and loaded when a run needs them, as views
 * into the file or converted copies (its API: cfm_tensors.h). */
#include "cfm_tensors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
cfm_tensors_free (CfmTensorSet *set)
{
  size_t i;

  for (i = 0; set->tensors && i < set->n; i++)
    {
      free (set->tensors[i].name);
      free (set->tensors[i].owned);
    }
  free (set->tensors);
  free (set->slots);
  memset (set, 0, sizeof *set);
}

/* FNV-1a of NAME: files hold thousands of tensors, each looked up as it
 * is added (a duplicate is refused) and as modules bind. */
static size_t
name_hash (const char *name)
{
  uint64_t h = 14695981039346656037u;

  for (; *name; name++)
    h = (h ^ (unsigned char) *name) * 1099511628211u;
  return (size_t) h;
}

/* The slot of NAME in SET's table: its tensor's, or the empty one where it
 * would go. */
static size_t
slot_of (const CfmTensorSet *set, const char *name)
{
  size_t mask = set->n_slots - 1, k = name_hash (name) & mask;

  while (set->slots[k] != 0
         && strcmp (set->tensors[set->slots[k] - 1].name, name) != 0)
    k = (k + 1) & mask;
  return k;
}

const CfmTensor *
cfm_tensors_find (const CfmTensorSet *set, const char *name)
{
  size_t k;

  if (set->n_slots == 0)
    return NULL;
  k = slot_of (set, name);
  return set->slots[k] ? &set->tensors[set->slots[k] - 1] : NULL;
}

/* Room in SET's table for one more name (rehashing into a table twice as
 * large when half would be used); 0 when out of memory. */
static int
reserve_slot (CfmTensorSet *set)
{
  CfmTensorSet grown = *set;
  size_t i;

  if (2 * (set->n + 1) <= set->n_slots)
    return 1;
  grown.n_slots = set->n_slots ? 2 * set->n_slots : 64;
  grown.slots = calloc (grown.n_slots, sizeof *grown.slots);
  if (grown.slots == NULL)
    return 0;
  for (i = 0; i < set->n; i++)
    grown.slots[slot_of (&grown, set->tensors[i].name)] = i + 1;
  free (set->slots);
  set->slots = grown.slots;
  set->n_slots = grown.n_slots;
  return 1;
}

/* Checks SHAPE and gives its number of values. */
static CfmStatus
shape_count (const char *name, int ndim, const int64_t *shape, size_t *count,
             CfmError *err)
{
  int d;

  *count = 1;
  if (ndim < 0 || ndim > CFM_TENSOR_MAX_DIMS)
    return cfm_error_set (err, CFM_ERR_SIZE, "tensor \"%s\" has %d "
                          "dimensions (at most %d)", name, ndim,
                          CFM_TENSOR_MAX_DIMS);
  for (d = 0; d < ndim; d++)
    if (shape[d] < 0 || !cfm_size_mul (*count, (size_t) shape[d], count)
        || *count > CFM_TENSORS_MAX_VALUES)
      return cfm_error_set (err, CFM_ERR_SIZE, "tensor \"%s\" has an absurd "
                            "shape", name);
  return CFM_OK;
}

/* A new tensor NAME of SHAPE at the end of SET, zeroed but for its name,
 * shape and count. */
static CfmStatus
append (CfmTensorSet *set, const char *name, size_t name_len, int ndim,
        const int64_t *shape, CfmTensor **out, CfmError *err)
{
  CfmTensor *t;
  char *copy;
  size_t count;
  CfmStatus status;

  copy = malloc (name_len + 1);
  if (copy == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  memcpy (copy, name, name_len);
  copy[name_len] = '\0';
  status = shape_count (copy, ndim, shape, &count, err);
  if (status == CFM_OK && cfm_tensors_find (set, copy))
    status = cfm_error_set (err, CFM_ERR_PARSE, "the tensor name \"%s\" "
                            "appears twice", copy);
  if (status == CFM_OK && (set->n >= CFM_TENSORS_MAX
                           || count > CFM_TENSORS_MAX_VALUES - set->values))
    status = cfm_error_set (err, CFM_ERR_SIZE, "the file holds more tensors "
                            "or values than a model can have");
  if (status == CFM_OK && set->n == set->room)
    {
      size_t room = set->room ? 2 * set->room : 16;
      CfmTensor *grown = realloc (set->tensors, room * sizeof *grown);

      if (grown == NULL)
        status = cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
      else
        set->tensors = grown, set->room = room;
    }
  if (status == CFM_OK && !reserve_slot (set))
    status = cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  if (status != CFM_OK)
    {
      free (copy);
      return status;
    }
  t = &set->tensors[set->n];
  memset (t, 0, sizeof *t);
  t->name = copy;
  t->ndim = ndim;
  memcpy (t->shape, shape, (size_t) ndim * sizeof *shape);
  t->count = count;
  set->slots[slot_of (set, copy)] = ++set->n;
  set->values += count;
  *out = t;
  return CFM_OK;
}

CfmStatus
cfm_tensors_add_source (CfmTensorSet *set, const char *name,
                        size_t name_len, int ndim, const int64_t *shape,
                        const CfmTensorSource *src, CfmError *err)
{
  CfmTensor *t;
  CfmStatus status = append (set, name, name_len, ndim, shape, &t, err);

  if (status == CFM_OK)
    t->src = *src;
  return status;
}

CfmStatus
cfm_tensors_add (CfmTensorSet *set, const char *name, size_t name_len,
                 int ndim, const int64_t *shape, float **data, CfmError *err)
{
  CfmTensor *t;
  CfmStatus status = append (set, name, name_len, ndim, shape, &t, err);

  if (status != CFM_OK)
    return status;
  t->owned = malloc ((t->count ? t->count : 1) * sizeof (float));
  if (t->owned == NULL)
    {
      /* the set keeps the tensor, without values: it is freed with them */
      return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for tensor "
                            "\"%.*s\"", (int) name_len, name);
    }
  t->data = t->owned;
  *data = t->owned;
  return CFM_OK;
}

/* ---- loading ------------------------------------------------------------ */

static size_t
dtype_bytes (CfmDtype d)
{
  return d == CFM_DTYPE_FLOAT16 || d == CFM_DTYPE_BFLOAT16 ? 2
         : d == CFM_DTYPE_FLOAT32 ? 4 : 8;
}

/* Element I of little-endian BYTES of DTYPE as a float. */
static float
element (const unsigned char *bytes, CfmDtype d, size_t i)
{
  size_t size = dtype_bytes (d), k;
  const unsigned char *q = bytes + i * size;
  uint64_t bits = 0;
  uint32_t b32;
  float f;
  double x;

  if (d == CFM_DTYPE_FLOAT16 || d == CFM_DTYPE_BFLOAT16)
    {
      (d == CFM_DTYPE_FLOAT16 ? cfm_half_to_float
                              : cfm_bfloat16_to_float) (q, 1, &f);
      return f;
    }
  for (k = size; k-- > 0;)
    bits = bits << 8 | q[k];
  if (d == CFM_DTYPE_FLOAT32)
    {
      b32 = (uint32_t) bits;
      memcpy (&f, &b32, 4);
      return f;
    }
  if (d == CFM_DTYPE_INT64)
    return (float) (int64_t) bits;
  memcpy (&x, &bits, 8);
  return (float) x;
}

/* Whether T's values can be read where they lie: float32 in this
 * machine's order (little-endian), contiguous and aligned. */
static int
viewable (const CfmTensor *t)
{
  const uint32_t one = 1;
  const unsigned char *first = t->src.bytes + t->src.offset * 4;

  return t->src.dtype == CFM_DTYPE_FLOAT32 && !t->src.strided
         && *(const unsigned char *) &one == 1
         && (uintptr_t) first % _Alignof (float) == 0;
}

/* Converts T's values, honouring its strides, into DST. */
static void
convert (const CfmTensor *t, float *dst)
{
  int64_t index[CFM_TENSOR_MAX_DIMS] = { 0 };
  size_t k;
  int d;

  if (!t->src.strided)
    {
      for (k = 0; k < t->count; k++)
        dst[k] = element (t->src.bytes, t->src.dtype, t->src.offset + k);
      return;
    }
  for (k = 0; k < t->count; k++)
    {
      int64_t at = (int64_t) t->src.offset;

      for (d = 0; d < t->ndim; d++)
        at += index[d] * t->src.stride[d];
      dst[k] = element (t->src.bytes, t->src.dtype, (size_t) at);
      for (d = t->ndim - 1; d >= 0 && ++index[d] == t->shape[d]; d--)
        index[d] = 0;
    }
}

/* Loads T, a copy of its own with OWN. */
static CfmStatus
load (CfmTensor *t, int own, CfmError *err)
{
  size_t k;

  if (t->data == NULL && t->src.bytes == NULL)   /* its room was not had */
    return cfm_error_set (err, CFM_ERR_NOMEM, "tensor \"%s\" has no "
                          "values", t->name);
  if (t->data == NULL && !own && viewable (t))
    t->data = (const float *) (const void *) (t->src.bytes
                                              + t->src.offset * 4);
  else if ((t->data == NULL || own) && t->owned == NULL)
    {
      t->owned = malloc ((t->count ? t->count : 1) * sizeof (float));
      if (t->owned == NULL)
        return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for "
                              "tensor \"%s\"", t->name);
      if (t->data)
        memcpy (t->owned, t->data, t->count * sizeof (float));
      else
        convert (t, t->owned);
      t->data = t->owned;
    }
  if (t->loaded)
    return CFM_OK;
  for (k = 0; k < t->count; k++)
    if (!isfinite (t->data[k]))
      return cfm_error_set (err, CFM_ERR_VALUE, "tensor \"%s\" holds a "
                            "value that is not finite (NaN or infinite)",
                            t->name);
  t->loaded = 1;
  return CFM_OK;
}

CfmStatus
cfm_tensors_load (CfmTensorSet *set, const CfmTensor *t, CfmError *err)
{
  return load (&set->tensors[t - set->tensors], 0, err);
}

CfmStatus
cfm_tensors_load_all (CfmTensorSet *set, int own, CfmError *err)
{
  size_t i;
  CfmStatus status = CFM_OK;

  for (i = 0; i < set->n && status == CFM_OK; i++)
    status = load (&set->tensors[i], own, err);
  return status;
}

void
cfm_half_to_float (const unsigned char *src, size_t n, float *dst)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      unsigned h = (unsigned) src[2 * i] | (unsigned) src[2 * i + 1] << 8;
      int e = (int) (h >> 10 & 31), m = (int) (h & 1023);
      float v = e == 0 ? ldexpf ((float) m, -24)
                : e == 31 ? (m ? NAN : INFINITY)
                : ldexpf ((float) (m | 1024), e - 25);

      dst[i] = h & 0x8000 ? -v : v;
    }
}

void
cfm_bfloat16_to_float (const unsigned char *src, size_t n, float *dst)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      uint32_t bits = (uint32_t) src[2 * i] << 16
                      | (uint32_t) src[2 * i + 1] << 24;

      memcpy (&dst[i], &bits, sizeof bits);
    }
}

