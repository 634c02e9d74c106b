/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_gemm.c: Gemm and MatMul of a vector by a weight matrix (nn.Linear:
 * a classifier's logits), alpha A B + beta C, and of every pixel's
 * channels when they are last (ConvNeXt's Linear layers). */
#include "cfm_op.h"
#include "cfm_network.h"
#include "cfm_network_text.h"

/* The weights' matrix: N outputs of K inputs, output n's input k at
 * w[n * sn + k * sk]. */
typedef struct
{
  const float *w, *bias;
  int          n, k;
  size_t       sn, sk;
} Matrix;

static int
gemm_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  const CfmTensor *b = src->n_in > 1 ? cfm_onnx_tensor (w, src->input[1])
                                     : NULL;
  const CfmTensor *c = src->n_in > 2 ? cfm_onnx_tensor (w, src->input[2])
                                     : NULL;
  int matmul = buf_is (src->op, "MatMul");

  node->trans_a = (int) attr_int (src, "transA", 0);
  node->trans_b = matmul ? 0 : (int) attr_int (src, "transB", 0);
  node->alpha = matmul ? 1.0f : attr (src, "alpha") ? attr (src, "alpha")->f
                                                   : 1.0f;
  node->beta = matmul ? 0.0f : attr (src, "beta") ? attr (src, "beta")->f
                                                 : 1.0f;
  if (b == NULL || b->ndim != 2 || node->trans_a)
    return cfm_op_refuse (node, "its second input is not a weight matrix");
  node->m.weight = b->data;
  node->m.out_c = (int) b->shape[node->trans_b ? 0 : 1];
  node->m.in_c = (int) b->shape[node->trans_b ? 1 : 0];
  node->m.bias = NULL;
  if (c && c->count == (size_t) node->m.out_c)
    node->m.bias = c->data;
  else if (c)
    return cfm_op_refuse (node, "its bias is not one value per output");
  return 1;
}

/* nn.Linear (in_features, out_features, bias): its weight OUT x IN,
 * transposed as the exporter's Gemm takes it. */
static CfmStatus
gemm_from_text (CfmNode *node, char *args, CfmTensorSet *w, CfmError *err)
{
  CfmModule *m = &node->m;
  double in = cfm_text_number (args, "in_features", 0, 0);
  double out = cfm_text_number (args, "out_features", 1, 0);
  int64_t shape[2];
  CfmStatus status;

  if (!(in >= 1 && in <= 1 << 24 && out >= 1 && out <= 1 << 24))
    return cfm_error_set (err, CFM_ERR_PARSE, "%s: the Linear's settings do "
                          "not make sense", m->name);
  m->in_c = (int) in;
  m->out_c = (int) out;
  node->trans_b = 1;
  node->alpha = node->beta = 1.0f;
  shape[0] = m->out_c;
  shape[1] = m->in_c;
  status = cfm_module_bind_tensor (m, w, "weight", 2, shape, &m->weight,
                                   err);
  if (status == CFM_OK && cfm_text_flag (args, "bias", 1))
    status = cfm_module_bind_tensor (m, w, "bias", 1, shape, &m->bias, err);
  return status;
}

static CfmStatus
gemm_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);

  if (in->rank == 4 && in->channels_last && in->c == node->m.in_c)
    {   /* nn.Linear on every pixel's channels: ConvNeXt's blocks */
      cfm_op_set_shape (g, node, 0, 4, node->m.out_c, in->h, in->w);
      cfm_op_output (g, node, 0)->channels_last = 1;
      return CFM_OK;
    }
  if (in->rank != 2 || in->c != node->m.in_c)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s) takes a vector of %d "
                          "values, its input is %d x %d x %d", node->name,
                          node->type, node->m.in_c, in->c, in->h, in->w);
  cfm_op_set_shape (g, node, 0, 2, node->m.out_c, 1, 1);
  return CFM_OK;
}

/* Rows [O0, O0 + ON) of every pixel's channels by the weights: output
 * channel n is the sum of input channels k times weight (n, k), a row at
 * a time (a 1x1 convolution). */
static void
pixels_run (const CfmNode *node, const CfmOpRun *run, int w)
{
  const CfmBand *in = &run->in[0];
  const CfmModule *m = &node->m;
  size_t sn = node->trans_b ? (size_t) m->in_c : 1;
  size_t sk = node->trans_b ? 1 : (size_t) m->out_c, ip = cfm_band_plane (in);
  size_t row = (size_t) (run->o0 - in->row0) * w;
  size_t count = (size_t) run->on * w, i;
  int n, k;

  for (n = 0; n < m->out_c; n++)
    {
      float *o = run->out[0] + n * run->plane[0];
      float bias = m->bias ? node->beta * m->bias[n] : 0.0f;

      for (i = 0; i < count; i++)
        o[i] = 0.0f;
      for (k = 0; k < m->in_c; k++)
        {
          const float *x = in->data + k * ip + row;
          float weight = m->weight[n * sn + k * sk];

          for (i = 0; i < count; i++)
            o[i] += x[i] * weight;
        }
      for (i = 0; i < count; i++)
        o[i] = node->alpha * o[i] + bias;
    }
}

static CfmStatus
gemm_run (const CfmGraph *g, const CfmNode *node, const CfmOpRun *run,
          CfmError *err)
{
  const CfmBand *in = &run->in[0];
  const CfmModule *m = &node->m;
  size_t sn = node->trans_b ? (size_t) m->in_c : 1;
  size_t sk = node->trans_b ? 1 : (size_t) m->out_c, ip = cfm_band_plane (in);
  int n, k;

  (void) err;
  if (cfm_op_input (g, node, 0)->channels_last)
    {
      pixels_run (node, run, g->values[node->outputs[0]].w);
      return CFM_OK;
    }
  for (n = 0; n < m->out_c; n++)
    {
      double sum = 0.0;

      for (k = 0; k < m->in_c; k++)
        sum += (double) in->data[k * ip] * m->weight[n * sn + k * sk];
      run->out[0][n * run->plane[0]]
        = (float) (node->alpha * sum
                   + (m->bias ? (double) node->beta * m->bias[n] : 0.0));
    }
  return CFM_OK;
}

/* The input's gradient: the output's by the weights transposed (every
 * pixel's channels alike when they are last). */
static CfmStatus
gemm_backward (const CfmGraph *g, const CfmNode *node, const CfmOpGrad *grad,
               CfmError *err)
{
  const CfmModule *m = &node->m;
  const CfmValue *out = &g->values[node->outputs[0]];
  size_t sn = node->trans_b ? (size_t) m->in_c : 1;
  size_t sk = node->trans_b ? 1 : (size_t) m->out_c;
  size_t plane = (size_t) out->h * out->w, i;
  int n, k;

  (void) err;
  if (grad->grad_in[0] == NULL)
    return CFM_OK;
  for (n = 0; n < m->out_c; n++)   /* a weight row read in its order */
    {
      const float *go = grad->grad_out + n * plane;

      for (k = 0; k < m->in_c; k++)
        {
          float *gi = grad->grad_in[0] + k * plane;
          float weight = node->alpha * m->weight[n * sn + k * sk];

          for (i = 0; i < plane; i++)
            gi[i] += go[i] * weight;
        }
    }
  return CFM_OK;
}

static const char *const onnx_types[] = { "Gemm", "MatMul", NULL };
static const char *const modules[] = { "Linear", NULL };

const CfmOp cfm_op_gemm = {
  .name = "Gemm",
  .channels_last = CFM_LAYOUT_OWN,
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = gemm_from_onnx,
  .from_text = gemm_from_text,
  .shape = gemm_shape,
  .run = gemm_run,
  .backward = gemm_backward,
};
