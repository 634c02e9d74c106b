/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_kernel_text.h: kernels from text a user types or pastes, and from
 * kernel files.
 *
 * Three syntaxes are read, chosen by the text itself:
 *  - plain: values separated by spaces or commas, rows on lines or separated
 *    by ';', kernels separated by a blank line or '|'; '#' starts a comment;
 *  - nested brackets as NumPy and Python print them, with or without
 *    commas, optionally wrapped in array(...);
 *  - PyTorch's print(conv.weight) pasted whole ("Parameter containing:",
 *    "tensor([[[[...]]]], requires_grad=True)").
 * In bracket syntax the nesting gives the shape: 2 levels (kh, kw), 3 levels
 * (n, kh, kw), 4 levels (n, c, kh, kw). */
#ifndef CFM_KERNEL_TEXT_H
#define CFM_KERNEL_TEXT_H

#include "cfm_bank.h"
#include "cfm_error.h"

CfmStatus cfm_kernel_text_parse (const char *text, CfmBank *bank,
                                 CfmError *err);

/* Loads kernels from a .npy file or, when the file does not start with the
 * .npy magic, from kernel text. */
CfmStatus cfm_kernel_file_load (const char *path, CfmBank *bank,
                                CfmError *err);

#endif
