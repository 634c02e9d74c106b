/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_op_activation.c: the elementwise activations, one row of a table
 * each: the ONNX op type, its PyTorch module, its function (the arithmetic
 * is cfm_module_run.c's) and its parameters' defaults. */
#include "cfm_op.h"
#include "cfm_module_run.h"

#include <math.h>

typedef struct
{
  const char  *onnx;
  const char  *module;
  CfmFunction  fn;
  float        alpha, beta;   /* defaults of the ONNX attributes */
} Activation;

static const Activation activations[] = {
  { "Relu",        "ReLU",        CFM_FN_RELU,        0.0f,  0.0f },
  { "LeakyRelu",   "LeakyReLU",   CFM_FN_LEAKY_RELU,  0.01f, 0.0f },
  { "Elu",         "ELU",         CFM_FN_ELU,         1.0f,  0.0f },
  { "Sigmoid",     "Sigmoid",     CFM_FN_SIGMOID,     0.0f,  0.0f },
  { "Tanh",        "Tanh",        CFM_FN_TANH,        0.0f,  0.0f },
  { "HardSigmoid", "Hardsigmoid", CFM_FN_HARDSIGMOID, 0.2f,  0.5f },
  { "HardSwish",   "Hardswish",   CFM_FN_HARDSWISH,   0.0f,  0.0f },
  { "Softplus",    "Softplus",    CFM_FN_SOFTPLUS,    0.0f,  0.0f },
  { "Mish",        "Mish",        CFM_FN_MISH,        0.0f,  0.0f },
  { "Erf",         NULL,          CFM_FN_ERF,         0.0f,  0.0f },
  { "Gelu",        "GELU",        CFM_FN_GELU,        0.0f,  0.0f },
  { "Clip",        "Hardtanh",    CFM_FN_HARDTANH,    0.0f,  0.0f },
  { "Abs",         NULL,          CFM_FN_ABS,         0.0f,  0.0f },
  { "Sqrt",        NULL,          CFM_FN_SQRT,        0.0f,  0.0f },
};

static const Activation *
activation_of (Buf type)
{
  size_t i;

  for (i = 0; i < sizeof activations / sizeof *activations; i++)
    if (buf_is (type, activations[i].onnx))
      return &activations[i];
  return NULL;
}

int
cfm_onnx_function (const Node *n, OnnxWeights *w, CfmModule *m)
{
  const Activation *act = activation_of (n->op);
  const Attr *a = attr (n, "alpha"), *b = attr (n, "beta");

  if (act == NULL)
    return 0;
  m->kind = CFM_MODULE_FUNCTION;
  m->fn = act->fn;
  m->alpha = a ? a->f : act->alpha;
  m->beta = b ? b->f : act->beta;
  if (act->fn == CFM_FN_GELU)
    {
      const Attr *approx = attr (n, "approximate");

      if (approx && buf_is (approx->s, "tanh"))
        m->fn = CFM_FN_GELU_TANH;
    }
  if (act->fn == CFM_FN_HARDTANH)
    {
      const Attr *lo = attr (n, "min"), *hi = attr (n, "max");

      m->lo = lo ? lo->f : cfm_onnx_scalar (n, w, 1, -INFINITY);
      m->hi = hi ? hi->f : cfm_onnx_scalar (n, w, 2, INFINITY);
      if (m->lo == 0.0f && m->hi == 6.0f)
        m->fn = CFM_FN_RELU6;
    }
  return 1;
}

static int
activation_from_onnx (CfmNode *node, const Node *src, OnnxWeights *w)
{
  if (!cfm_onnx_function (src, w, &node->m))
    return cfm_op_refuse (node, "its parameters are not read");
  return 1;
}

static CfmStatus
activation_shape (CfmGraph *g, CfmNode *node, CfmError *err)
{
  const CfmValue *in = cfm_op_input (g, node, 0);

  (void) err;
  cfm_op_set_shape (g, node, 0, in->rank, in->c, in->h, in->w);
  cfm_op_output (g, node, 0)->c_split = in->c_split;
  return CFM_OK;
}

/* The gradient through the function, at its input's values. */
static CfmStatus
activation_backward (const CfmGraph *g, const CfmNode *node,
                     const CfmOpGrad *grad, CfmError *err)
{
  const CfmValue *in = &g->values[node->inputs[0]];

  (void) err;
  if (grad->grad_in[0])
    cfm_module_function_grad (&node->m, grad->in[0], grad->grad_out,
                              grad->grad_in[0],
                              (size_t) in->c * in->h * in->w);
  return CFM_OK;
}

static const char *const onnx_types[] = {
  "Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish",
  "Softplus", "Mish", "Erf", "Gelu", "Clip", "Abs", "Sqrt", NULL
};
static const char *const modules[] = {
  "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Hardsigmoid", "Hardswish",
  "Softplus", "Mish", "GELU", "Hardtanh", "ReLU6", "SiLU", NULL
};

const CfmOp cfm_op_activation = {
  .name = "Activation",
  .channels_last = CFM_LAYOUT_KEPT,
  .onnx = onnx_types,
  .modules = modules,
  .from_onnx = activation_from_onnx,
  .from_text = cfm_op_module_from_text,
  .shape = activation_shape,
  .run = cfm_op_module_run,
  .backward = activation_backward,
};
