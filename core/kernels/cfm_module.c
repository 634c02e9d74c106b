/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_module.c: a module's output size and the input rows a band of its
 * output reads, as PyTorch's shape rules give them (its API:
 * cfm_module.h). */
#include "cfm_module.h"

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
      if (p >= m->k[a])   /* ONNX's rule: every window meets the map
                             (PyTorch's, at most half the window, is
                             stricter) */
        return cfm_error_set (err, CFM_ERR_ARG, "%s: padding %d is not "
                              "smaller than the window %d", m->name, p,
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
