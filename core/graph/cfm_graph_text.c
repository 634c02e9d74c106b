/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_text.c: a graph from the text print(model) prints and the
 * model's weights (a state dict): torchvision's blocks known by their
 * class name, each with the forward its source defines (a program below),
 * the models' heads with what their forward does without a printed module
 * (ResNet's flatten, DenseNet's final ReLU and pooling), and any other
 * container followed in printed order (its API: cfm_graph.h).  The text is
 * read into a tree line by line and the tree is followed with an explicit
 * stack: no text drives a recursion. */
#include "cfm_graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_graph_build.h"
#include "cfm_graph_text_tree.h"
#include "cfm_network_text.h"
#include "cfm_op.h"

#define MAX_DEPTH CFM_TEXT_TREE_MAX_DEPTH

/* ---- what each block's forward does ---------------------------------- */

/* A block's forward, step by step: "D=CHILD(R)" calls child CHILD on
 * register R into register D (x the block's input, a its result, b and s
 * two more); "CHILD?" a child that may be missing (then D = R);
 * "CHILD!" one called only when the block adds its input; "@add(R,R)",
 * "@mul", "@cat" join two registers; "@residual(a,x)" adds x when the
 * block adds its input (cfm_text_tree_adds_input); "@flatten", "@gap" (a global average
 * pooling), "@mean" (the same, to a vector), "@relu", "@chunk" (halves
 * of the channels: the first into D, the second into b) and "@shuffle"
 * (channel_shuffle (x, 2)) are a forward's functions with no module of
 * their own. */
typedef struct
{
  const char *type;
  const char *has;        /* the class's variant with this child, or NULL */
  const char *program;    /* NULL: the children in printed order; "dense":
                             DenseNet's block */
} Forward;

static const Forward forwards[] = {
  { "BasicBlock", NULL, "a=conv1(x) a=bn1(a) a=relu(a) a=conv2(a) a=bn2(a) "
    "b=downsample?(x) a=@add(a,b) a=relu(a)" },
  { "Bottleneck", NULL, "a=conv1(x) a=bn1(a) a=relu(a) a=conv2(a) a=bn2(a) "
    "a=relu(a) a=conv3(a) a=bn3(a) b=downsample?(x) a=@add(a,b) a=relu(a)" },
  { "InvertedResidual", "conv", "a=conv(x) a=@residual(a,x)" },
  { "InvertedResidual", "block", "a=block(x) a=@residual(a,x)" },
  /* ShuffleNetV2's unit: both branches when it strides, else half the
   * channels through branch2; then channel_shuffle (x, 2) */
  { "InvertedResidual", "branch1", "s=branch1(x) b=branch2(x) a=@cat(s,b) "
    "a=@shuffle(a)" },
  { "InvertedResidual", "branch2", "s=@chunk(x) b=branch2(b) a=@cat(s,b) "
    "a=@shuffle(a)" },
  { "SqueezeExcitation", NULL, "s=avgpool(x) s=fc1(s) s=activation(s) "
    "s=fc2(s) s=scale_activation(s) a=@mul(x,s)" },
  { "MBConv", NULL, "a=block(x) a=stochastic_depth!(a) a=@residual(a,x)" },
  { "FusedMBConv", NULL, "a=block(x) a=stochastic_depth!(a) "
    "a=@residual(a,x)" },
  { "Fire", NULL, "s=squeeze(x) s=squeeze_activation(s) a=expand1x1(s) "
    "a=expand1x1_activation(a) b=expand3x3(s) b=expand3x3_activation(b) "
    "a=@cat(a,b)" },
  { "_DenseLayer", NULL, "a=norm1(x) a=relu1(a) a=conv1(a) a=norm2(a) "
    "a=relu2(a) a=conv2(a)" },
  { "_DenseBlock", NULL, "dense" },
  { "ResBottleneckBlock", NULL, "b=proj?(x) a=f(x) a=@add(a,b) "
    "a=activation(a)" },
  /* its layer_scale is a parameter, not a printed module */
  { "CNBlock", NULL, "a=block(x) a=@layer_scale(a) a=stochastic_depth!(a) "
    "a=@add(a,x)" },
  { "Sequential", NULL, NULL },
  { "ModuleList", NULL, NULL },
  { "Conv2dNormActivation", NULL, NULL },
  { "ConvNormActivation", NULL, NULL },
  { "_Transition", NULL, NULL },
  { "BottleneckTransform", NULL, NULL },
  { "SimpleStemIN", NULL, NULL },
  { "AnyStage", NULL, NULL },
  /* the models, with their forward's functions */
  { "ResNet", NULL, "a=conv1(x) a=bn1(a) a=relu(a) a=maxpool(a) "
    "a=layer1(a) a=layer2(a) a=layer3(a) a=layer4(a) a=avgpool(a) "
    "a=@flatten(a) a=fc(a)" },
  { "MobileNetV2", NULL, "a=features(x) a=@gap(a) a=@flatten(a) "
    "a=classifier(a)" },
  { "MobileNetV3", NULL, "a=features(x) a=avgpool(a) a=@flatten(a) "
    "a=classifier(a)" },
  { "EfficientNet", NULL, "a=features(x) a=avgpool(a) a=@flatten(a) "
    "a=classifier(a)" },
  { "DenseNet", NULL, "a=features(x) a=@relu(a) a=@gap(a) a=@flatten(a) "
    "a=classifier(a)" },
  { "SqueezeNet", NULL, "a=features(x) a=classifier(a) a=@flatten(a)" },
  { "RegNet", NULL, "a=stem(x) a=trunk_output(a) a=avgpool(a) "
    "a=@flatten(a) a=fc(a)" },
  { "ShuffleNetV2", NULL, "a=conv1(x) a=maxpool(a) a=stage2(a) a=stage3(a) "
    "a=stage4(a) a=conv5(a) a=@mean(a) a=fc(a)" },
  { "ConvNeXt", NULL, "a=features(x) a=avgpool(a) a=classifier(a)" },
  { "VGG", NULL, "a=features(x) a=avgpool(a) a=@flatten(a) "
    "a=classifier(a)" },
  { "AlexNet", NULL, "a=features(x) a=avgpool(a) a=@flatten(a) "
    "a=classifier(a)" },
};

/* Whether module C exists and is not an empty container (ShuffleNet's
 * "(branch1): Sequential()" where its unit does not stride). */
static int
has_modules (const CfmTextTree *t, int c)
{
  return c >= 0 && !(t->m[c].args && t->m[c].args[0] == '\0'
                     && strcmp (t->m[c].type, "Sequential") == 0);
}

/* MOD's forward; NULL when the core does not know its class (the top
 * one is followed in printed order, as the chain does). */
static const Forward *
forward_of (const CfmTextTree *t, int mod)
{
  static const Forward in_order = { "", NULL, NULL };
  size_t i;

  for (i = 0; i < sizeof forwards / sizeof *forwards; i++)
    if (strcmp (forwards[i].type, t->m[mod].type) == 0
        && (forwards[i].has == NULL
            || has_modules (t, cfm_text_tree_child (t, mod, forwards[i].has,
                                      strlen (forwards[i].has)))))
      return &forwards[i];
  return mod == 0 ? &in_order : NULL;
}

/* ---- building the nodes ------------------------------------------------ */

enum { REG_X, REG_A, REG_B, REG_S, REGS };

typedef struct
{
  int          mod;
  const Forward *fwd;
  const char  *pc;        /* the next step of the program */
  int          next;      /* in printed order: the next child */
  int          reg[REGS];
  int          dst;       /* the caller's register the result goes to */
  int          residual;  /* the block adds its input */
  int         *dense;     /* a DenseNet block's outputs so far */
  int          n_dense;
} Frame;

typedef struct
{
  CfmGraph     *g;
  CfmTensorSet *w;
  CfmTextTree          t;
  Frame         stack[MAX_DEPTH + 1];
  int           depth;
} Builder;

/* A node of operator OP (TYPE as an ONNX op type names it) in module
 * MODULE on inputs IN [0 .. N_IN): the index of its output value, or -1
 * (ERR set).  *NODE is the node until the next one is added. */
static int
add_node_outputs (Builder *b, const CfmOp *op, const char *type,
                  const char *module, const int *in, int n_in, int n_out,
                  CfmNode **node, CfmError *err)
{
  char name[CFM_GRAPH_NAME_MAX];
  CfmNode *n;
  int k, v = -1, copy = 0;

  do   /* unique value (and node) names: module/Type, then _1, _2... */
    {
      char tail[24] = "";

      if (copy)
        snprintf (tail, sizeof tail, "_%d", copy);
      if ((size_t) snprintf (name, sizeof name, "%s%s%s%s", module,
                             module[0] ? "/" : "", type, tail)
          >= sizeof name)
        return cfm_error_set (err, CFM_ERR_PARSE, "a module's name is too "
                              "long"), -1;
      copy++;
    }
  while (cfm_graph_find_value (b->g, name) >= 0);
  if ((n = cfm_graph_add_node (b->g, n_in, n_out, err)) == NULL)
    return -1;
  for (k = n_out - 1; k >= 0; k--)   /* name, name:1, name:2... */
    {
      char out[CFM_GRAPH_NAME_MAX + 16];
      int len = k ? snprintf (out, sizeof out, "%s:%d", name, k)
                  : snprintf (out, sizeof out, "%s", name);

      if ((v = cfm_graph_value (b->g, out, (size_t) len)) < 0)
        return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory"), -1;
      n->outputs[k] = v;
    }
  n->op = op;
  snprintf (n->name, sizeof n->name, "%s", name);
  snprintf (n->module, sizeof n->module, "%s", module);
  snprintf (n->type, sizeof n->type, "%s", type);
  n->n_ints = -1;
  for (k = 0; k < n_in; k++)
    n->inputs[k] = in[k];
  *node = n;
  return v;
}

static int
add_node (Builder *b, const CfmOp *op, const char *type, const char *module,
          const int *in, int n_in, CfmNode **node, CfmError *err)
{
  return add_node_outputs (b, op, type, module, in, n_in, 1, node, err);
}

/* A node the core cannot run, for what WHY says: the nodes after it are
 * refused with it, those before still run. */
static int
blocked (Builder *b, const char *type, const char *module, int in,
         const char *why, CfmError *err)
{
  CfmNode *n;
  int v = add_node (b, NULL, type, module, &in, 1, &n, err);

  if (v >= 0)
    snprintf (n->why, sizeof n->why, "%s", why);
  return v;
}

/* A node of ONNX type TYPE on value IN and module MOD's parameter FIELD
 * (a tensor of the state dict: ConvNeXt's layer_scale, which print(model)
 * does not show, or a PReLU's weight, ALONG_CHANNELS). */
static int
parameter_node (Builder *b, int mod, const char *field, const char *type,
                int along_channels, int in, CfmError *err)
{
  const CfmTextModule *m = &b->t.m[mod];
  char name[CFM_GRAPH_NAME_MAX + 32];
  Buf op = { (const unsigned char *) type,
             (const unsigned char *) type + strlen (type) };
  const CfmTensor *t;
  CfmNode *node;
  int inputs[2];

  snprintf (name, sizeof name, "%s%s%s", m->path, m->path[0] ? "." : "",
            field);
  t = b->w ? cfm_tensors_find (b->w, name) : NULL;
  if (t == NULL)
    return cfm_error_set (err, CFM_ERR_ARG, "%s (%s): the weights have no "
                          "%s", m->path, m->type, name), -1;
  if (cfm_tensors_load (b->w, t, err) != CFM_OK)
    return -1;
  inputs[0] = in;
  inputs[1] = cfm_graph_value (b->g, name, strlen (name));
  if (inputs[1] < 0)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory"), -1;
  b->g->values[inputs[1]].kind = CFM_VALUE_CONST;
  b->g->values[inputs[1]].tensor = t;
  b->g->values[inputs[1]].along_channels = along_channels;
  return add_node (b, cfm_op_for_onnx (op), along_channels ? m->type : type,
                   m->path, inputs, 2, &node, err);
}

/* Printed module MOD called on value IN (its CALLS-th call). */
static int
leaf_node (Builder *b, int mod, int in, CfmError *err)
{
  CfmTextModule *m = &b->t.m[mod];
  const CfmOp *op = cfm_op_for_module (m->type);
  char module[CFM_GRAPH_NAME_MAX], why[CFM_ERROR_MAX];
  char args[CFM_TEXT_LINE_MAX];
  CfmNode *n;
  int v;

  if (strcmp (m->type, "PReLU") == 0)   /* its weight, a second input */
    return parameter_node (b, mod, "weight", "PRelu", 1, in, err);
  snprintf (module, sizeof module, "%s", m->path);
  if (m->calls > 0 && strlen (m->path) + 12 < sizeof module)
    snprintf (module, sizeof module, "%s_%d", m->path, m->calls);
  m->calls++;
  if (op == NULL || op->from_text == NULL)
    {
      snprintf (why, sizeof why, "%s (%s) is a module the core does not "
                "read from print(model) text: export the model to ONNX",
                m->path, m->type);
      return blocked (b, m->type, module, in, why, err);
    }
  v = add_node (b, op, m->type, module, &in, 1, &n, err);
  if (v < 0)
    return v;
  snprintf (n->m.name, sizeof n->m.name, "%s", m->path);
  snprintf (n->m.type, sizeof n->m.type, "%s", m->type);
  snprintf (args, sizeof args, "%s", m->args ? m->args : "");
  if (op->from_text (n, args, b->w, err) != CFM_OK)
    return -1;
  if (n->why[0])   /* settings its operator does not compute */
    n->op = NULL;
  return v;
}

/* A function of a forward with no module of its own (@add, @flatten...)
 * in block MOD on registers IN [0 .. N); *SECOND: a chunk's second half
 * (may be NULL otherwise). */
static int
function_node (Builder *b, int mod, const char *fn, size_t len,
               const int *in, int n, int *second, CfmError *err)
{
  static const struct
  {
    const char   *fn, *type;
    int           axis, outputs;
    CfmModuleKind kind;
  } fns[] = {
    { "add", "Add", 0, 1, CFM_MODULE_FUNCTION },
    { "mul", "Mul", 0, 1, CFM_MODULE_FUNCTION },
    { "cat", "Concat", 1, 1, CFM_MODULE_FUNCTION },
    { "flatten", "Flatten", 1, 1, CFM_MODULE_FUNCTION },
    { "gap", "GlobalAveragePool", 1, 1, CFM_MODULE_AVGPOOL },
    { "mean", "ReduceMean", 0, 1, CFM_MODULE_AVGPOOL },
    { "relu", "Relu", 0, 1, CFM_MODULE_FUNCTION },
    { "chunk", "Split", 1, 2, CFM_MODULE_FUNCTION },   /* x.chunk (2, 1) */
    { "shuffle", "ChannelShuffle", 2, 1, CFM_MODULE_FUNCTION },
  };
  size_t i;

  for (i = 0; i < sizeof fns / sizeof *fns; i++)
    if (strlen (fns[i].fn) == len && strncmp (fns[i].fn, fn, len) == 0)
      {
        const char *onnx = strcmp (fns[i].type, "ChannelShuffle") == 0
                           ? "Transpose" : fns[i].type;
        Buf type = { (const unsigned char *) onnx,
                     (const unsigned char *) onnx + strlen (onnx) };
        CfmNode *node;
        int v = add_node_outputs (b, cfm_op_for_onnx (type), fns[i].type,
                                  b->t.m[mod].path, in, n, fns[i].outputs,
                                  &node, err);

        if (v >= 0)
          {
            node->axis = fns[i].axis;
            node->m.kind = fns[i].kind;
            node->m.fn = CFM_FN_RELU;
            if (second)
              *second = node->outputs[fns[i].outputs - 1];
          }
        return v;
      }
  return cfm_error_set (err, CFM_ERR_ARG, "no function @%.*s", (int) len,
                        fn), -1;
}

/* Puts value V in the calling frame's register DST, or makes it the
 * network's output when no frame is left. */
static void
deliver (Builder *b, int v, int dst, int *output)
{
  if (b->depth > 0)
    b->stack[b->depth - 1].reg[dst] = v;
  else
    *output = v;
}

/* Starts container MOD on value IN, its result for register DST of the
 * frame that calls it.  A class whose forward the core does not know
 * becomes a node that cannot run. */
static CfmStatus
push (Builder *b, int mod, int in, int dst, int *output, CfmError *err)
{
  const Forward *fwd = forward_of (&b->t, mod);
  Frame *f;
  int r, v;

  if (fwd == NULL)
    {
      char why[CFM_ERROR_MAX];

      snprintf (why, sizeof why, "%s (%s) is a block whose forward the core "
                "does not know from print(model) text: export the model to "
                "ONNX to see inside and past it", b->t.m[mod].path,
                b->t.m[mod].type);
      v = blocked (b, b->t.m[mod].type, b->t.m[mod].path, in, why, err);
      if (v < 0)
        return CFM_ERR_ARG;
      deliver (b, v, dst, output);
      return CFM_OK;
    }
  if (b->depth > MAX_DEPTH)
    return cfm_error_set (err, CFM_ERR_PARSE, "the modules nest too deep");
  f = &b->stack[b->depth++];
  memset (f, 0, sizeof *f);
  f->mod = mod;
  f->fwd = fwd;
  f->pc = fwd->program;
  f->next = b->t.m[mod].first;
  for (r = 0; r < REGS; r++)
    f->reg[r] = in;
  f->dst = dst;
  f->residual = cfm_text_tree_adds_input (&b->t, mod);
  if (fwd->program && strcmp (fwd->program, "dense") == 0)
    {
      int n = 1, c;

      for (c = b->t.m[mod].first; c >= 0; c = b->t.m[c].next)
        n++;
      if ((f->dense = malloc ((size_t) n * sizeof *f->dense)) == NULL)
        return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
      f->dense[f->n_dense++] = in;
    }
  return CFM_OK;
}

/* Calls child C on value IN, its result for register DST of the frame
 * on top. */
static CfmStatus
call (Builder *b, int c, int in, int dst, int *output, CfmError *err)
{
  const CfmTextModule *m = &b->t.m[c];
  const Forward *fwd;
  int v;

  if (m->args == NULL)
    return push (b, c, in, dst, output, err);
  fwd = forward_of (&b->t, c);
  if (fwd && fwd->program == NULL && m->args[0] == '\0')
    v = in;   /* an empty Sequential () */
  else if ((v = leaf_node (b, c, in, err)) < 0)
    return CFM_ERR_ARG;
  deliver (b, v, dst, output);
  return CFM_OK;
}

static int
reg_of (char c)
{
  return c == 'x' ? REG_X : c == 'a' ? REG_A : c == 'b' ? REG_B : REG_S;
}

/* Runs the step of frame F's program at F->pc. */
static CfmStatus
step (Builder *b, Frame *f, int *output, CfmError *err)
{
  const char *p = f->pc, *name = p + 2, *end = strchr (name, '(');
  size_t len = (size_t) (end - name);
  int dst = reg_of (p[0]), in[2], n_in = 0, c, v;
  char mark = name[len - 1];

  for (p = end + 1; *p && *p != ')'; p++)
    if (*p != ',' && n_in < 2)
      in[n_in++] = f->reg[reg_of (*p)];
  f->pc = p[0] && p[1] ? p + 2 : p + 1;   /* past ") " */
  if (mark == '?' || mark == '!')
    len--;
  if (name[0] == '@')
    {
      if (len == 9 && strncmp (name, "@residual", 9) == 0)
        v = f->residual ? function_node (b, f->mod, "add", 3, in, 2, NULL, err)
                        : in[0];
      else if (len == 12 && strncmp (name, "@layer_scale", 12) == 0)
        v = parameter_node (b, f->mod, "layer_scale", "Mul", 0, in[0], err);
      else
        v = function_node (b, f->mod, name + 1, len - 1, in, n_in,
                           &f->reg[REG_B], err);
      if (v < 0)
        return CFM_ERR_ARG;
      f->reg[dst] = v;   /* a chunk: its first half; the second is b */
      return CFM_OK;
    }
  c = cfm_text_tree_child (&b->t, f->mod, name, len);
  if ((mark == '!' && !f->residual) || (c < 0 && mark == '?'))
    {
      f->reg[dst] = in[0];
      return CFM_OK;
    }
  if (c < 0)
    {
      char why[CFM_ERROR_MAX];

      snprintf (why, sizeof why, "%s (%s) has no module %.*s, which its "
                "forward calls: export the model to ONNX",
                b->t.m[f->mod].path, b->t.m[f->mod].type, (int) len, name);
      v = blocked (b, b->t.m[f->mod].type, b->t.m[f->mod].path, in[0], why,
                   err);
      if (v < 0)
        return CFM_ERR_ARG;
      f->reg[REG_A] = v;   /* the block ends there */
      f->pc += strlen (f->pc);
      return CFM_OK;
    }
  return call (b, c, in[0], dst, output, err);
}

/* The concatenation of a DenseNet block's values so far (one: itself). */
static int
dense_input (Builder *b, Frame *f, CfmError *err)
{
  return f->n_dense == 1 ? f->dense[0]
         : function_node (b, f->mod, "cat", 3, f->dense, f->n_dense, NULL,
                          err);
}

/* Advances the frame on top by one step, or ends it. */
static CfmStatus
advance (Builder *b, int *output, CfmError *err)
{
  Frame *f = &b->stack[b->depth - 1];
  int c, v, dst;

  if (f->dense && f->reg[REG_B] != f->dense[0])   /* a layer gave it */
    {
      f->dense[f->n_dense++] = f->reg[REG_B];
      f->reg[REG_B] = f->dense[0];
    }
  if (f->fwd->program == NULL || f->dense)
    {
      if ((c = f->next) >= 0)
        {
          f->next = b->t.m[c].next;
          v = f->dense ? dense_input (b, f, err) : f->reg[REG_A];
          return v < 0 ? CFM_ERR_ARG
                       : call (b, c, v, f->dense ? REG_B : REG_A, output,
                               err);
        }
    }
  else if (*f->pc)
    return step (b, f, output, err);
  /* the frame is done: its result to its caller */
  v = f->dense ? dense_input (b, f, err) : f->reg[REG_A];
  dst = f->dst;
  free (f->dense);
  f->dense = NULL;
  b->depth--;
  if (v < 0)
    return CFM_ERR_ARG;
  deliver (b, v, dst, output);
  return CFM_OK;
}

CfmStatus
cfm_graph_read_text (const char *text, CfmTensorSet *weights, CfmGraph *g,
                     CfmError *err)
{
  Builder b;
  CfmStatus status;
  int output = -1;

  memset (g, 0, sizeof *g);
  memset (&b, 0, sizeof b);
  b.g = g;
  b.w = weights;
  if (text == NULL)
    return cfm_error_set (err, CFM_ERR_PARSE, "no network text");
  status = cfm_text_tree_read (text, &b.t, err);
  if (status == CFM_OK
      && (g->input = cfm_graph_value (g, "input", 5)) < 0)
    status = cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  if (status == CFM_OK)
    status = push (&b, 0, g->input, REG_A, &output, err);
  while (status == CFM_OK && b.depth > 0)
    status = advance (&b, &output, err);
  while (b.depth > 0)
    free (b.stack[--b.depth].dense);
  if (status == CFM_OK && (output < 0 || output == g->input))
    status = cfm_error_set (err, CFM_ERR_PARSE, "the network text holds no "
                            "module");
  if (status == CFM_OK
      && (g->outputs = malloc (sizeof *g->outputs)) == NULL)
    status = cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  if (status == CFM_OK)
    {
      g->outputs[0] = output;
      g->n_outputs = 1;
      g->from_text = 1;
      status = cfm_graph_finish (g, err);
    }
  cfm_text_tree_free (&b.t);
  if (status != CFM_OK)
    cfm_graph_free (g);
  return status;
}
