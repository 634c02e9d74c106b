/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_network_sizes.h: the sizes along a chain (internal to the core;
 * cfm_network_shapes gives them to hosts). */
#ifndef CFM_NETWORK_SIZES_H
#define CFM_NETWORK_SIZES_H

#include "cfm_network.h"

/* The sizes of every module's output up to LAST for an input of C x H x
 * W: C[i + 1], H[i + 1], W[i + 1] are module i's (index 0: the input). */
CfmStatus cfm_chain_sizes (const CfmNetwork *net, int last, int *c, int *h,
                           int *w, CfmError *err);

#endif
