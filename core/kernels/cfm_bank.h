/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_bank.h: filter banks, the kernels a convolution runs.
 *
 * A bank holds N kernels of C channels, each KH x KW, in PyTorch's weight
 * layout (n, c, kh, kw), row-major: weight[((f * c + ch) * kh + y) * kw + x].
 * Built-in banks, the generators that grow a bank from one kernel, and the
 * parsing of a filter selection ("1,3-4") and of a bias list live here.
 */
#ifndef CFM_BANK_H
#define CFM_BANK_H

#include "cfm_error.h"

#define CFM_KERNEL_MAX   31   /* largest kernel side */
#define CFM_FILTERS_MAX  256  /* most filters in one bank */
#define CFM_CHANNELS_MAX 64   /* most input channels of one kernel */

typedef struct
{
  int    n, c, kh, kw;
  float *weights;   /* n * c * kh * kw floats, owned by the bank */
} CfmBank;

typedef enum
{
  CFM_EXPAND_NONE,
  CFM_EXPAND_NEGATE,     /* k1, -k1, k2, -k2, ... */
  CFM_EXPAND_TUTORIAL,   /* k, -k, k transposed, -(k transposed), per kernel */
  CFM_EXPAND_ROTATIONS   /* the 8 rotations and flips of each kernel */
} CfmExpand;

/* Allocates an all-zero bank of the given shape, checking every limit. */
CfmStatus cfm_bank_init (CfmBank *bank, int n, int c, int kh, int kw,
                         CfmError *err);
void cfm_bank_free (CfmBank *bank);
size_t cfm_bank_kernel_size (const CfmBank *bank);   /* c * kh * kw */

/* Fills BANK with a named built-in bank: "tutorial", "sobel", "prewitt",
 * "scharr" (x then y), "laplacian", "gaussian", "sharpen", "emboss",
 * "identity".  Kernels are single-channel. */
CfmStatus cfm_bank_builtin (const char *name, CfmBank *bank, CfmError *err);

/* Names of the built-in banks, NULL-terminated, in the order above. */
extern const char *const cfm_bank_builtin_names[];

/* Writes into OUT the bank that MODE grows from IN (a copy for NONE). */
CfmStatus cfm_bank_expand (const CfmBank *in, CfmExpand mode, CfmBank *out,
                           CfmError *err);

/* Writes the kernel of each filter of IN listed in INDEX (0-based) to OUT. */
CfmStatus cfm_bank_select (const CfmBank *in, const int *index, int count,
                           CfmBank *out, CfmError *err);

/* Repeats a single-channel bank over CHANNELS channels, so a 2-D kernel is
 * applied to each channel and the responses summed. */
CfmStatus cfm_bank_broadcast (const CfmBank *in, int channels, CfmBank *out,
                              CfmError *err);

/* Parses a 1-based filter selection of a bank of N filters: "all", "2",
 * "1,3-4".  Writes 0-based indices to INDEX (room for N) and their count. */
CfmStatus cfm_filter_list_parse (const char *text, int n, int *index,
                                 int *count, CfmError *err);

/* Parses a bias list for N filters: one number for all, or N numbers
 * separated by commas.  Writes N floats to BIAS. */
CfmStatus cfm_bias_parse (const char *text, int n, float *bias,
                          CfmError *err);

#endif
