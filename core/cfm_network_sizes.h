/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_network_sizes.h: module output sizes and the input rows a module
 * reads (internal to the core; the forward pass, cfm_forward.c, plans its
 * bands with them). */
#ifndef CFM_NETWORK_SIZES_H
#define CFM_NETWORK_SIZES_H

#include "cfm_network.h"

/* The sizes of every module's output up to LAST for an input of C x H x
 * W: C[i + 1], H[i + 1], W[i + 1] are module i's (index 0: the input). */
CfmStatus cfm_chain_sizes (const CfmNetwork *net, int last, int *c, int *h,
                           int *w, CfmError *err);

/* The output size *OC x *OH x *OW of module M on C x H x W, or a
 * refusal naming it. */
CfmStatus cfm_module_size (const CfmModule *m, int c, int h, int w, int *oc,
                           int *oh, int *ow, CfmError *err);

/* The input rows module M reads for output rows [O0, O0 + ON), its input
 * being H rows: [*I0, *I0 + *IN). */
void cfm_module_input_rows (const CfmModule *m, int h, int o0, int on,
                            int *i0, int *in);

#endif
