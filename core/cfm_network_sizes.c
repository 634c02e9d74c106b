/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_network_sizes.c: the size of every module's output and the input
 * rows a module reads for some of its output rows, as PyTorch's shape
 * rules give them (its API: cfm_network_sizes.h, and cfm_network_shapes
 * in cfm_network.h). */
#include "cfm_network_sizes.h"

#include <limits.h>
#include <stdint.h>

/* The output length of M along axis A for an input of IN; 0 with a
 * message when there is none. */
static int
out_length (const CfmModule *m, int a, int in, CfmError *err)
{
  long long span = (long long) m->dil[a] * (m->k[a] - 1) + 1, out;
  int s = m->stride[a], p = m->pad[a];

  if (m->kind == CFM_MODULE_CONV)
    {
      if ((m->pad_mode == CFM_PAD_REFLECT && p >= in)
          || (m->pad_mode == CFM_PAD_CIRCULAR && p > in))
        return cfm_error_set (err, CFM_ERR_SIZE, "%s: its padding of %d is "
                              "too wide for an input of %d", m->name, p,
                              in), 0;
      out = in + 2LL * p >= span ? (in + 2LL * p - span) / s + 1 : 0;
    }
  else
    {
      if (p > m->k[a] / 2)
        return cfm_error_set (err, CFM_ERR_ARG, "%s: padding %d is more "
                              "than half the window %d", m->name, p,
                              m->k[a]), 0;
      out = in + 2LL * p - span + (m->ceil_mode ? s - 1 : 0);
      out = out >= 0 ? out / s + 1 : 0;
      if (m->ceil_mode && out > 0 && (out - 1) * s >= in + p)
        out--;
    }
  if (out < 1 || out > INT32_MAX)
    return cfm_error_set (err, CFM_ERR_SIZE, "%s: an input of %d pixels "
                          "leaves no output pixel", m->name, in), 0;
  return (int) out;
}

CfmStatus
cfm_module_size (const CfmModule *m, int c, int h, int w, int *oc, int *oh,
             int *ow, CfmError *err)
{
  *oc = c;
  *oh = h;
  *ow = w;
  if (m->kind == CFM_MODULE_CONV)
    {
      if (m->in_c != c)
        return cfm_error_set (err, CFM_ERR_ARG, "%s takes %d channels, its "
                              "input has %d", m->name, m->in_c, c);
      *oc = m->out_c;
    }
  if (m->kind == CFM_MODULE_CONV || m->kind == CFM_MODULE_MAXPOOL
      || m->kind == CFM_MODULE_AVGPOOL)
    {
      *oh = out_length (m, 0, h, err);
      *ow = *oh ? out_length (m, 1, w, err) : 0;
      if (*oh == 0 || *ow == 0)
        return err ? err->status : CFM_ERR_SIZE;
    }
  if (m->kind == CFM_MODULE_BATCHNORM && m->features != c)
    return cfm_error_set (err, CFM_ERR_ARG, "%s has %d features, its input "
                          "%d channels", m->name, m->features, c);
  return CFM_OK;
}

/* The input rows module M reads for output rows [O0, O0 + ON), its input
 * being H rows: [*I0, *I0 + *IN). */
void
cfm_module_input_rows (const CfmModule *m, int h, int o0, int on,
                       int *i0, int *in)
{
  if (m->kind == CFM_MODULE_CONV)
    {
      CfmConvParams p = { m->stride[0], m->pad[0], m->dil[0], m->pad_mode };

      cfm_conv2d_input_rows (&p, m->k[0], h, o0, on, i0, in);
      return;
    }
  if (m->kind == CFM_MODULE_MAXPOOL || m->kind == CFM_MODULE_AVGPOOL)
    {
      int lo = o0 * m->stride[0] - m->pad[0];
      int hi = (o0 + on - 1) * m->stride[0] - m->pad[0]
               + m->dil[0] * (m->k[0] - 1) + 1;

      lo = lo < 0 ? 0 : lo;
      hi = hi > h ? h : hi;
      *i0 = lo;
      *in = hi > lo ? hi - lo : 0;
      return;
    }
  *i0 = o0;
  *in = on;
}

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

