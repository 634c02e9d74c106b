/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_npy.h: reading NumPy .npy arrays.
 *
 * Format versions 1 to 3; float32, float64 and 8- to 64-bit signed and
 * unsigned integers, little- or big-endian; C or Fortran order (the result
 * is always C order).  Values arrive as float.  The parser reads from
 * memory so it can be fuzzed and used on data that is not a file. */
#ifndef CFM_NPY_H
#define CFM_NPY_H

#include <stddef.h>

#include "cfm_bank.h"
#include "cfm_error.h"

#define CFM_NPY_MAX_DIMS 8

typedef struct
{
  int    ndim;
  size_t shape[CFM_NPY_MAX_DIMS];
  size_t count;      /* product of shape */
  float *data;       /* count floats in C order, owned by the array */
} CfmArray;

/* Parses the .npy bytes BUF[0..LEN) into ARRAY, refusing arrays of more
 * than MAX_VALUES values before allocating them. */
CfmStatus cfm_npy_parse (const void *buf, size_t len, size_t max_values,
                         CfmArray *array, CfmError *err);

void cfm_array_free (CfmArray *array);

/* Turns an array of shape (kh, kw), (n, kh, kw) or (n, c, kh, kw) into a
 * bank, refusing NaN, infinite values and shapes beyond the bank limits. */
CfmStatus cfm_bank_from_array (const CfmArray *array, CfmBank *bank,
                               CfmError *err);


#endif
