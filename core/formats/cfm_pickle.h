/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_pickle.h: the pickle machine that reads a .pth file's data.pkl
 * (internal to the core's .pth reader, cfm_pth.c): it knows only what a
 * saved state dict needs, as torch.load (weights_only=True) allows, and
 * refuses every other Python global before anything is called.  Values
 * live in one array and refer to each other by index, so no file can drive
 * a recursion.  The array moves whenever it grows, which making a value
 * may do: code names a value by its index and holds no pointer into the
 * array across a call that may make one. */
#ifndef CFM_PICKLE_H
#define CFM_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "cfm_error.h"
#include "cfm_tensors.h"

typedef enum
{
  V_NONE, V_BOOL, V_INT, V_FLOAT, V_STR, V_TUPLE, V_LIST, V_DICT, V_MARK,
  V_GLOBAL, V_STORAGE, V_TENSOR
} Kind;

/* The globals a state dict may name. */
typedef enum
{
  G_ORDERED_DICT, G_REBUILD_TENSOR, G_REBUILD_PARAMETER, G_STORAGE
} Global;

typedef enum
{
  D_FLOAT32, D_FLOAT64, D_FLOAT16, D_BFLOAT16, D_INTEGER
} Dtype;

typedef struct
{
  Kind     kind;
  int64_t  i;            /* INT, BOOL; GLOBAL: a Global; STORAGE: a Dtype */
  double   f;
  size_t   at, len;      /* STR: bytes in the pickle; STORAGE: key */
  int     *items;        /* TUPLE, LIST, DICT (key, value pairs) */
  size_t   n, room;
  int      storage;      /* TENSOR: its storage value */
  int64_t  offset;       /* TENSOR: in elements */
  int      ndim;
  int64_t  size[CFM_TENSOR_MAX_DIMS], stride[CFM_TENSOR_MAX_DIMS];
} Value;

typedef struct
{
  const unsigned char *p;
  size_t               len, pos;
  Value               *values;
  size_t               n_values, room_values;
  int                 *stack, *memo;
  size_t               sp, memo_room, memo_count;
  CfmError            *err;
} Machine;

/* Runs the pickle M->p[0..M->len) (the rest of M zeroed, M->err set); the
 * result is value *RESULT. */
CfmStatus cfm_pickle_run (Machine *m, int *result);

void cfm_pickle_free (Machine *m);

#endif
