/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_onnx.c: ONNX models: the protobuf wire format read by hand (varints,
 * length-delimited fields, packed and unpacked repeated fields), the
 * graph's initializers as tensors, and its chain of nodes as a network
 * (its API: cfm_network.h).  Messages nest only as ONNX's schema does
 * (model, graph, node, attribute, tensor), never as deep as a file says. */
#include "cfm_network.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NODES   65536
#define MAX_ATTRS   32

/* ONNX's TensorProto data types. */
enum { T_FLOAT = 1, T_INT64 = 7, T_FLOAT16 = 10, T_DOUBLE = 11,
       T_BFLOAT16 = 16 };

typedef struct
{
  const unsigned char *p, *end;
} Buf;

/* A field: its number, wire type and value (a varint, fixed bits, or a
 * length-delimited span). */
typedef struct
{
  uint32_t num;
  int      wire;
  uint64_t v;
  Buf      sub;
} Field;

static int
varint (Buf *b, uint64_t *v)
{
  int shift = 0;

  *v = 0;
  while (b->p < b->end && shift < 64)
    {
      unsigned char c = *b->p++;

      *v |= (uint64_t) (c & 0x7f) << shift;
      if (!(c & 0x80))
        return 1;
      shift += 7;
    }
  return 0;
}

/* The next field of B; 0 at its end, -1 when the bytes are not protobuf. */
static int
next_field (Buf *b, Field *f)
{
  uint64_t key, len;

  f->v = 0;
  f->sub.p = f->sub.end = NULL;
  if (b->p >= b->end)
    return 0;
  if (!varint (b, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX)
    return -1;
  f->num = (uint32_t) (key >> 3);
  f->wire = (int) (key & 7);
  switch (f->wire)
    {
    case 0:
      return varint (b, &f->v) ? 1 : -1;
    case 1:
    case 5:
      {
        size_t n = f->wire == 1 ? 8 : 4, i;

        if ((size_t) (b->end - b->p) < n)
          return -1;
        f->v = 0;
        for (i = n; i-- > 0;)
          f->v = f->v << 8 | b->p[i];
        b->p += n;
        return 1;
      }
    case 2:
      if (!varint (b, &len) || len > (uint64_t) (b->end - b->p))
        return -1;
      f->sub.p = b->p;
      f->sub.end = b->p + len;
      b->p += len;
      return 1;
    default:
      return -1;   /* groups (3, 4) are not in ONNX */
    }
}

static float
as_float (uint64_t bits)
{
  uint32_t b32 = (uint32_t) bits;
  float f;

  memcpy (&f, &b32, 4);
  return f;
}

/* ---- the messages ONNX uses ------------------------------------------------ */

typedef struct
{
  Buf      name;
  int      type;        /* AttributeProto.type: 1 float, 2 int, 3 string... */
  float    f;
  int64_t  i;
  Buf      s;
  int64_t  ints[8];     /* repeated int64, packed or not */
  int      n_ints;      /* -1: more than fit */
  int      has_ints;
  Buf      t;           /* a TensorProto */
} Attr;

typedef struct
{
  Buf   input[4];
  int   n_in;
  Buf   output;
  Buf   name, op;
  Attr  attrs[MAX_ATTRS];
  int   n_attrs;
} Node;

static int
buf_is (Buf b, const char *s)
{
  return (size_t) (b.end - b.p) == strlen (s) && memcmp (b.p, s, strlen (s)) == 0;
}

static int
buf_eq (Buf a, Buf b)
{
  return a.end - a.p == b.end - b.p && memcmp (a.p, b.p, (size_t) (a.end - a.p)) == 0;
}

static int
read_attr (Buf b, Attr *a)
{
  Field f;
  int r;

  memset (a, 0, sizeof *a);
  while ((r = next_field (&b, &f)) > 0)
    switch (f.num)
      {
      case 1: a->name = f.sub; break;
      case 2: a->f = f.wire == 5 ? as_float (f.v) : 0.0f; break;
      case 3: a->i = (int64_t) f.v; break;
      case 4: a->s = f.sub; break;
      case 5: a->t = f.sub; break;
      case 8:
        a->has_ints = 1;
        if (f.wire == 2)   /* packed */
          {
            Buf d = f.sub;
            uint64_t v;

            while (d.p < d.end && a->n_ints >= 0)
              if (!varint (&d, &v))
                return 0;
              else if (a->n_ints < 8)
                a->ints[a->n_ints++] = (int64_t) v;
              else
                a->n_ints = -1;
          }
        else if (a->n_ints >= 0 && a->n_ints < 8)
          a->ints[a->n_ints++] = (int64_t) f.v;
        else
          a->n_ints = -1;
        break;
      case 20: a->type = (int) f.v; break;
      default: break;
      }
  return r == 0;
}

static int
read_node (Buf b, Node *n)
{
  Field f;
  int r;

  memset (n, 0, sizeof *n);
  while ((r = next_field (&b, &f)) > 0)
    {
      if (f.wire != 2)
        continue;
      if (f.num == 1 && n->n_in < 4)
        n->input[n->n_in++] = f.sub;
      else if (f.num == 2 && n->output.p == NULL)
        n->output = f.sub;
      else if (f.num == 3)
        n->name = f.sub;
      else if (f.num == 4)
        n->op = f.sub;
      else if (f.num == 5 && n->n_attrs < MAX_ATTRS)
        {
          if (!read_attr (f.sub, &n->attrs[n->n_attrs++]))
            return 0;
        }
    }
  return r == 0;
}

static const Attr *
attr (const Node *n, const char *name)
{
  int i;

  for (i = 0; i < n->n_attrs; i++)
    if (buf_is (n->attrs[i].name, name))
      return &n->attrs[i];
  return NULL;
}

/* The int list of attribute NAME into OUT (at most MAX); its length, or
 * -1 when absent. */
static int
attr_ints (const Node *n, const char *name, int64_t *out, int max)
{
  const Attr *a = attr (n, name);

  if (a == NULL || !a->has_ints)
    return -1;
  if (a->n_ints < 0 || a->n_ints > max)
    return -2;
  memcpy (out, a->ints, (size_t) a->n_ints * sizeof *out);
  return a->n_ints;
}

static int64_t
attr_int (const Node *n, const char *name, int64_t def)
{
  const Attr *a = attr (n, name);

  return a ? a->i : def;
}

/* ---- tensors ------------------------------------------------------------------ */

/* Adds tensor NAME whose COUNT float_data values are fields of their own
 * in the TensorProto B. */
static CfmStatus
unpacked_floats (Buf b, Buf name, int ndim, const int64_t *dims, size_t count,
                 size_t fields, CfmTensorSet *set, CfmError *err)
{
  Field f;
  float *dst;
  size_t k = 0;
  CfmStatus status;

  if (fields != count)
    return cfm_error_set (err, CFM_ERR_PARSE, "onnx: the data of tensor "
                          "\"%.*s\" does not match its shape",
                          (int) (name.end - name.p), name.p);
  status = cfm_tensors_add (set, (const char *) name.p,
                            (size_t) (name.end - name.p), ndim, dims, &dst,
                            err);
  while (status == CFM_OK && next_field (&b, &f) > 0)
    if (f.num == 4 && f.wire == 5 && k < count)
      dst[k++] = as_float (f.v);
  return status;
}

/* What a TensorProto holds. */
typedef struct
{
  int64_t dims[CFM_TENSOR_MAX_DIMS];
  int     ndim, type, external;
  Buf     name, raw, floats;
  size_t  unpacked;   /* float_data values in fields of their own */
} TensorFields;

/* Reads dims (packed or not) of field F into T; 0 when too many. */
static int
tensor_dims (const Field *f, TensorFields *t)
{
  Buf d = f->sub;
  uint64_t v;

  if (f->wire != 2)
    {
      if (t->ndim == CFM_TENSOR_MAX_DIMS)
        return 0;
      t->dims[t->ndim++] = (int64_t) f->v;
      return 1;
    }
  while (d.p < d.end)
    {
      if (t->ndim == CFM_TENSOR_MAX_DIMS || !varint (&d, &v))
        return 0;
      t->dims[t->ndim++] = (int64_t) v;
    }
  return 1;
}

static CfmStatus
tensor_fields (Buf b, TensorFields *t, CfmError *err)
{
  Field f;
  int r;

  memset (t, 0, sizeof *t);
  while ((r = next_field (&b, &f)) > 0)
    switch (f.num)
      {
      case 1:
        if (!tensor_dims (&f, t))
          return cfm_error_set (err, CFM_ERR_PARSE, "onnx: a tensor has too "
                                "many dimensions");
        break;
      case 2: t->type = (int) f.v; break;
      case 4:
        if (f.wire == 2)
          t->floats = f.sub;
        else if (f.wire == 5)
          t->unpacked++;
        break;
      case 8: if (f.wire == 2) t->name = f.sub; break;
      case 9: if (f.wire == 2) t->raw = f.sub; break;
      case 13: t->external = 1; break;
      case 14: t->external |= f.v == 1; break;
      default: break;
      }
  return r < 0 ? cfm_error_set (err, CFM_ERR_PARSE, "onnx: a tensor is "
                                "damaged") : CFM_OK;
}

/* COUNT little-endian values of TYPE (SIZE bytes each) at RAW into DST. */
static void
tensor_values (const unsigned char *raw, int type, size_t size, size_t count,
               float *dst)
{
  size_t i, k;

  for (i = 0; i < count; i++)
    {
      const unsigned char *q = raw + i * size;
      uint64_t bits = 0;
      double d;

      if (type == T_FLOAT16)
        cfm_half_to_float (q, 1, &dst[i]);
      else if (type == T_BFLOAT16)
        cfm_bfloat16_to_float (q, 1, &dst[i]);
      else
        {
          for (k = size; k-- > 0;)
            bits = bits << 8 | q[k];
          if (type == T_FLOAT)
            dst[i] = as_float (bits);
          else if (type == T_INT64)
            dst[i] = (float) (int64_t) bits;
          else
            {
              memcpy (&d, &bits, 8);
              dst[i] = (float) d;
            }
        }
    }
}

/* Adds the TensorProto B (an initializer, or a Constant's value) to SET,
 * named AS when it is not NULL (a Constant's output), else by its own
 * name. */
static CfmStatus
read_tensor (Buf b, const Buf *as, CfmTensorSet *set, CfmError *err)
{
  TensorFields t;
  size_t count = 1, i, size;
  CfmStatus status = tensor_fields (b, &t, err);
  Buf name, raw;
  float *dst;

  if (status != CFM_OK)
    return status;
  name = as ? *as : t.name;
  raw = t.raw;
  if (name.p == NULL || name.p == name.end)
    return CFM_OK;   /* nothing can refer to it */
  if (t.external)
    return cfm_error_set (err, CFM_ERR_PARSE, "onnx: tensor \"%.*s\" keeps "
                          "its data in another file, which is not opened: "
                          "export the model with its weights inside",
                          (int) (name.end - name.p), name.p);
  if (t.type != T_FLOAT && t.type != T_DOUBLE && t.type != T_FLOAT16
      && t.type != T_BFLOAT16 && t.type != T_INT64)
    return CFM_OK;   /* not weights */
  size = t.type == T_DOUBLE || t.type == T_INT64 ? 8
         : t.type == T_FLOAT ? 4 : 2;
  for (i = 0; i < (size_t) t.ndim; i++)
    if (t.dims[i] < 0 || !cfm_size_mul (count, (size_t) t.dims[i], &count))
      return cfm_error_set (err, CFM_ERR_SIZE, "onnx: a tensor has an absurd "
                            "shape");
  if (raw.p == NULL && t.floats.p != NULL && t.type == T_FLOAT)
    raw = t.floats;   /* packed float_data: the same little-endian bytes */
  if (raw.p == NULL && t.unpacked > 0 && t.type == T_FLOAT)
    return unpacked_floats (b, name, t.ndim, t.dims, count, t.unpacked, set,
                            err);
  if (raw.p == NULL || (size_t) (raw.end - raw.p) / size != count
      || (size_t) (raw.end - raw.p) % size)
    return cfm_error_set (err, CFM_ERR_PARSE, "onnx: the data of tensor "
                          "\"%.*s\" does not match its shape",
                          (int) (name.end - name.p), name.p);
  status = cfm_tensors_add (set, (const char *) name.p,
                            (size_t) (name.end - name.p), t.ndim, t.dims,
                            &dst, err);
  if (status == CFM_OK)
    tensor_values (raw.p, t.type, size, count, dst);
  return status;
}

/* ---- the graph ---------------------------------------------------------------- */

typedef struct
{
  Node *nodes;
  int   n, room;
  Buf   input;        /* the first graph input that is no initializer */
} Graph;

/* Reads the graph's nodes, its initializers and Constants into WEIGHTS,
 * and its input. */
static CfmStatus
read_graph (Buf b, Graph *g, CfmTensorSet *weights, CfmError *err)
{
  Buf inputs[64];
  int n_inputs = 0, r, i;
  Field f;
  CfmStatus status = CFM_OK;

  while (status == CFM_OK && (r = next_field (&b, &f)) > 0)
    {
      if (f.wire != 2)
        continue;
      if (f.num == 1)
        {
          if (g->n == MAX_NODES)
            return cfm_error_set (err, CFM_ERR_SIZE, "onnx: the graph has "
                                  "more than %d nodes", MAX_NODES);
          if (g->n == g->room)
            {
              int room = g->room ? 2 * g->room : 64;
              Node *grown = realloc (g->nodes, (size_t) room * sizeof *grown);

              if (grown == NULL)
                return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
              g->nodes = grown;
              g->room = room;
            }
          if (!read_node (f.sub, &g->nodes[g->n]))
            return cfm_error_set (err, CFM_ERR_PARSE, "onnx: node %d is "
                                  "damaged", g->n);
          g->n++;
        }
      else if (f.num == 5)
        status = read_tensor (f.sub, NULL, weights, err);
      else if (f.num == 11 && n_inputs < 64)
        {
          Buf vb = f.sub;
          Field vf;

          while (next_field (&vb, &vf) > 0)
            if (vf.num == 1 && vf.wire == 2)
              inputs[n_inputs++] = vf.sub;
        }
    }
  if (status != CFM_OK)
    return status;
  if (r < 0)
    return cfm_error_set (err, CFM_ERR_PARSE, "onnx: the graph is damaged");
  for (i = 0; i < g->n && status == CFM_OK; i++)
    if (buf_is (g->nodes[i].op, "Constant"))
      {
        const Attr *v = attr (&g->nodes[i], "value");

        if (v && v->t.p && g->nodes[i].output.p)
          status = read_tensor (v->t, &g->nodes[i].output, weights, err);
      }
  for (i = 0; i < n_inputs && g->input.p == NULL; i++)
    {
      char name[256];

      snprintf (name, sizeof name, "%.*s", (int) (inputs[i].end - inputs[i].p),
                inputs[i].p);
      if (cfm_tensors_find (weights, name) == NULL)
        g->input = inputs[i];
    }
  if (status == CFM_OK && g->input.p == NULL)
    return cfm_error_set (err, CFM_ERR_PARSE, "onnx: the graph has no input");
  return status;
}

static const CfmTensor *
tensor_of (const CfmTensorSet *w, Buf name)
{
  char s[256];

  if (name.p == NULL || name.end - name.p >= (long) sizeof s)
    return NULL;
  snprintf (s, sizeof s, "%.*s", (int) (name.end - name.p), name.p);
  return cfm_tensors_find (w, s);
}

/* The module path of node name NAME ("/features/features.3/Conv" ->
 * "features.3"), or the node name itself. */
static void
module_path (Buf name, char *out)
{
  const unsigned char *last = NULL, *before = NULL, *q;

  for (q = name.p; q < name.end; q++)
    if (*q == '/')
      {
        before = last;
        last = q;
      }
  if (before && last > before + 1)
    snprintf (out, CFM_NETWORK_NAME_MAX, "%.*s", (int) (last - before - 1),
              before + 1);
  else
    snprintf (out, CFM_NETWORK_NAME_MAX, "%.*s", (int) (name.end - name.p),
              name.p);
}

/* Kernel, strides, pads (symmetric) and dilations of node N into M. */
static int
window (const Node *n, CfmModule *m, const CfmTensor *weight)
{
  int64_t v[8];
  int k, a;

  m->k[0] = m->k[1] = 1;
  m->stride[0] = m->stride[1] = 1;
  m->dil[0] = m->dil[1] = 1;
  m->pad[0] = m->pad[1] = 0;
  if ((k = attr_ints (n, "kernel_shape", v, 8)) == 2)
    m->k[0] = (int) v[0], m->k[1] = (int) v[1];
  else if (weight && weight->ndim == 4)
    m->k[0] = (int) weight->shape[2], m->k[1] = (int) weight->shape[3];
  else
    return 0;
  if ((k = attr_ints (n, "strides", v, 8)) == 2)
    m->stride[0] = (int) v[0], m->stride[1] = (int) v[1];
  if ((k = attr_ints (n, "dilations", v, 8)) == 2)
    m->dil[0] = (int) v[0], m->dil[1] = (int) v[1];
  if ((k = attr_ints (n, "pads", v, 8)) == 4)
    {
      if (v[0] != v[2] || v[1] != v[3])
        return 0;   /* uneven padding */
      m->pad[0] = (int) v[0];
      m->pad[1] = (int) v[1];
    }
  for (a = 0; a < 2; a++)
    if (m->k[a] < 1 || m->k[a] > 1 << 16 || m->stride[a] < 1
        || m->stride[a] > 1 << 16 || m->dil[a] < 1 || m->dil[a] > 1 << 16
        || m->pad[a] < 0 || m->pad[a] > 1 << 16)
      return 0;
  {
    const Attr *ap = attr (n, "auto_pad");

    return ap == NULL || buf_is (ap->s, "NOTSET") || buf_is (ap->s, "VALID");
  }
}

static int
make_conv (const Node *n, const CfmTensorSet *w, CfmModule *m)
{
  const CfmTensor *weight = tensor_of (w, n->input[1]);
  const CfmTensor *bias = n->n_in > 2 ? tensor_of (w, n->input[2]) : NULL;
  int64_t group = attr_int (n, "group", 1);

  if (weight == NULL || weight->ndim != 4 || group < 1 || group > 1 << 16
      || !window (n, m, weight) || weight->shape[2] != m->k[0]
      || weight->shape[3] != m->k[1] || weight->shape[0] % group
      || weight->shape[0] < 1 || weight->shape[1] < 1
      || weight->shape[0] > 1 << 20 || weight->shape[1] > 1 << 20
      || (bias && (bias->ndim != 1 || bias->shape[0] != weight->shape[0])))
    return 0;
  m->kind = CFM_MODULE_CONV;
  m->groups = (int) group;
  m->out_c = (int) weight->shape[0];
  m->in_c = (int) weight->shape[1] * m->groups;
  m->weight = weight->data;
  m->bias = bias ? bias->data : NULL;
  m->has_bias = bias != NULL;
  m->pad_mode = CFM_PAD_ZEROS;
  return 1;
}

static int
make_batchnorm (const Node *n, const CfmTensorSet *w, CfmModule *m)
{
  const CfmTensor *t[4];
  int i;

  if (n->n_in < 5 && n->n_in != 4)
    return 0;
  for (i = 0; i < 4; i++)
    {
      t[i] = i + 1 < n->n_in ? tensor_of (w, n->input[i + 1]) : NULL;
      if (t[i] == NULL || t[i]->ndim != 1 || t[i]->shape[0] != t[0]->shape[0])
        return 0;
    }
  m->kind = CFM_MODULE_BATCHNORM;
  m->features = (int) t[0]->shape[0];
  m->weight = t[0]->data;
  m->bias = t[1]->data;
  m->mean = t[2]->data;
  m->var = t[3]->data;
  m->has_bias = 1;
  {
    const Attr *e = attr (n, "epsilon");

    m->eps = e ? e->f : 1e-5f;
  }
  return m->eps >= 0.0f;
}

/* A scalar Clip bound from input K (a Constant or initializer), or DEF. */
static float
clip_bound (const Node *n, const CfmTensorSet *w, int k, float def)
{
  const CfmTensor *t = k < n->n_in ? tensor_of (w, n->input[k]) : NULL;

  return t && t->count == 1 ? t->data[0] : def;
}

static int
make_function (const Node *n, const CfmTensorSet *w, CfmModule *m)
{
  const Attr *a = attr (n, "alpha");

  m->kind = CFM_MODULE_FUNCTION;
  if (buf_is (n->op, "Relu"))
    m->fn = CFM_FN_RELU;
  else if (buf_is (n->op, "LeakyRelu"))
    m->fn = CFM_FN_LEAKY_RELU, m->alpha = a ? a->f : 0.01f;
  else if (buf_is (n->op, "Elu"))
    m->fn = CFM_FN_ELU, m->alpha = a ? a->f : 1.0f;
  else if (buf_is (n->op, "Sigmoid"))
    m->fn = CFM_FN_SIGMOID;
  else if (buf_is (n->op, "Tanh"))
    m->fn = CFM_FN_TANH;
  else if (buf_is (n->op, "Clip"))
    {
      const Attr *lo = attr (n, "min"), *hi = attr (n, "max");

      m->lo = lo ? lo->f : clip_bound (n, w, 1, -INFINITY);
      m->hi = hi ? hi->f : clip_bound (n, w, 2, INFINITY);
      m->fn = m->lo == 0.0f && m->hi == 6.0f ? CFM_FN_RELU6 : CFM_FN_HARDTANH;
    }
  else
    return 0;
  return 1;
}

static int
make_pool (const Node *n, CfmModule *m)
{
  m->kind = buf_is (n->op, "MaxPool") ? CFM_MODULE_MAXPOOL
                                      : CFM_MODULE_AVGPOOL;
  m->ceil_mode = attr_int (n, "ceil_mode", 0) != 0;
  m->count_include_pad = attr_int (n, "count_include_pad", 0) != 0;
  return window (n, m, NULL) && (m->kind == CFM_MODULE_MAXPOOL
                                 || (m->dil[0] == 1 && m->dil[1] == 1));
}

/* A Pad of zeros before an AveragePool, as PyTorch exports AvgPool2d's
 * padding: the pool's padding, counted in the divisor. */
static int
merge_pad (const Node *pad, const Node *pool, const CfmTensorSet *w,
           CfmModule *m)
{
  const CfmTensor *pads = pad->n_in > 1 ? tensor_of (w, pad->input[1]) : NULL;
  const Attr *mode = attr (pad, "mode");
  float value = clip_bound (pad, w, 2, 0.0f);

  if (pads == NULL || pads->count != 8 || value != 0.0f
      || (mode && !buf_is (mode->s, "constant")) || !make_pool (pool, m)
      || m->kind != CFM_MODULE_AVGPOOL || m->pad[0] || m->pad[1]
      || pads->data[0] || pads->data[1] || pads->data[4] || pads->data[5]
      || pads->data[2] != pads->data[6] || pads->data[3] != pads->data[7]
      || pads->data[2] < 0 || pads->data[3] < 0 || pads->data[2] > 1 << 16
      || pads->data[3] > 1 << 16)
    return 0;
  m->pad[0] = (int) pads->data[2];
  m->pad[1] = (int) pads->data[3];
  m->count_include_pad = 1;
  return 1;
}

/* How many nodes read the tensor NAME. */
static int
readers (const Graph *g, Buf name)
{
  int i, k, n = 0;

  for (i = 0; i < g->n; i++)
    for (k = 0; k < g->nodes[i].n_in; k++)
      n += buf_eq (g->nodes[i].input[k], name);
  return n;
}

/* Builds the chain from the graph's input. */
static CfmStatus
build_chain (const Graph *g, const CfmTensorSet *w, CfmNetwork *net,
             CfmError *err)
{
  Buf cur = g->input;
  int i;

  for (i = 0; i < g->n && net->ended[0] == '\0'; i++)
    {
      const Node *n = &g->nodes[i];
      CfmModule *m = &net->modules[net->n];
      int ok = 0, used = 1;

      if (n->n_in == 0 || !buf_eq (n->input[0], cur))
        continue;   /* Constants, and nodes off the chain */
      memset (m, 0, sizeof *m);
      module_path (n->name, m->name);
      snprintf (m->node, sizeof m->node, "%.*s", (int) (n->name.end - n->name.p),
                n->name.p);
      snprintf (m->type, sizeof m->type, "%.*s", (int) (n->op.end - n->op.p),
                n->op.p);
      if (readers (g, cur) > 1)
        ok = 0;   /* a branch: the chain cannot follow it */
      else if (buf_is (n->op, "Conv"))
        ok = make_conv (n, w, m);
      else if (buf_is (n->op, "BatchNormalization"))
        ok = make_batchnorm (n, w, m);
      else if (buf_is (n->op, "MaxPool") || buf_is (n->op, "AveragePool"))
        ok = make_pool (n, m);
      else if (buf_is (n->op, "Identity") || buf_is (n->op, "Dropout"))
        ok = 1, m->kind = CFM_MODULE_IDENTITY;
      else if (buf_is (n->op, "Pad") && i + 1 < g->n
               && buf_eq (g->nodes[i + 1].input[0], n->output))
        {
          ok = merge_pad (n, &g->nodes[i + 1], w, m);
          used = 2;
          snprintf (m->type, sizeof m->type, "AveragePool");
        }
      else
        ok = make_function (n, w, m);
      if (!ok)
        {
          snprintf (net->ended, sizeof net->ended, "the chain ends at node "
                    "%s (%s), which cannot be followed", m->node, m->type);
          break;
        }
      if (net->n == CFM_NETWORK_MAX_MODULES)
        return cfm_error_set (err, CFM_ERR_SIZE, "onnx: too many modules");
      net->n++;
      cur = g->nodes[i + used - 1].output;
      i += used - 1;
    }
  if (net->n == 0)
    return cfm_error_set (err, CFM_ERR_PARSE, "onnx: no node of the graph "
                          "can start a chain%s%s", net->ended[0] ? ": " : "",
                          net->ended);
  return CFM_OK;
}

CfmStatus
cfm_onnx_read (const void *buf, size_t len, CfmNetwork *net,
               CfmTensorSet *weights, CfmError *err)
{
  Buf b = { buf, (const unsigned char *) buf + len }, graph = { NULL, NULL };
  Graph g = { NULL, 0, 0, { NULL, NULL } };
  Field f;
  CfmStatus status = CFM_OK;
  int r;

  memset (net, 0, sizeof *net);
  memset (weights, 0, sizeof *weights);
  while ((r = next_field (&b, &f)) > 0)
    if (f.num == 7 && f.wire == 2)
      graph = f.sub;
  if (r < 0 || graph.p == NULL)
    return cfm_error_set (err, CFM_ERR_PARSE, "not an ONNX model (no graph "
                          "in its protobuf)");
  net->modules = calloc (CFM_NETWORK_MAX_MODULES, sizeof *net->modules);
  if (net->modules == NULL)
    status = cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  if (status == CFM_OK)
    status = read_graph (graph, &g, weights, err);
  if (status == CFM_OK)
    status = cfm_tensors_check_finite (weights, err);
  if (status == CFM_OK)
    status = build_chain (&g, weights, net, err);
  free (g.nodes);
  if (status != CFM_OK)
    {
      cfm_network_free (net);
      cfm_tensors_free (weights);
    }
  return status;
}
