/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_network_sizes.c: the size of every module's output along a chain
 * (its API: cfm_network_sizes.h, and cfm_network_shapes in cfm_network.h;
 * a module's own: cfm_module.c). */
#include "cfm_network_sizes.h"

/* The sizes of every module's output up to LAST for an input of C x H x
 * W: C[i + 1], H[i + 1], W[i + 1] are module i's (index 0: the input). */
CfmStatus
cfm_chain_sizes (const CfmNetwork *net, int last, int *c, int *h, int *w,
                 CfmError *err)
{
  int i;
  CfmStatus status = CFM_OK;

  if (last < 0 || last >= net->n)
    return cfm_error_set (err, CFM_ERR_ARG, "no module %d", last);
  for (i = 0; i <= last && status == CFM_OK; i++)
    status = cfm_module_size (&net->modules[i], c[i], h[i], w[i], &c[i + 1],
                          &h[i + 1], &w[i + 1], err);
  return status;
}

CfmStatus
cfm_network_shapes (const CfmNetwork *net, int last, int c, int h, int w,
                    int (*shape)[3], CfmError *err)
{
  CfmStatus status = CFM_OK;
  int i;

  if (last < 0 || last >= net->n)
    return cfm_error_set (err, CFM_ERR_ARG, "no module %d", last);
  for (i = 0; i <= last; i++)
    {
      if (status == CFM_OK)
        status = cfm_module_size (&net->modules[i], c, h, w, &c, &h, &w, err);
      shape[i][0] = status == CFM_OK ? c : 0;
      shape[i][1] = status == CFM_OK ? h : 0;
      shape[i][2] = status == CFM_OK ? w : 0;
    }
  return status;
}

