/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_onnx.c: ONNX models: the protobuf wire format read by hand (varints,
 * length-delimited fields, packed and unpacked repeated fields), the
 * graph's nodes and its initializers as tensors (its API:
 * cfm_onnx_graph.h; the graph is built in graph/cfm_graph_onnx.c, the
 * chain of nodes followed in cfm_onnx_chain.c).  Messages nest only as ONNX's schema does
 * (model, graph, node, attribute, tensor), never as deep as a file says. */
#include "cfm_onnx_graph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* ONNX's TensorProto data types. */
enum { T_FLOAT = 1, T_INT64 = 7, T_FLOAT16 = 10, T_DOUBLE = 11,
       T_BFLOAT16 = 16 };


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
  n->raw = b;
  while ((r = next_field (&b, &f)) > 0)
    {
      if (f.wire != 2)
        continue;
      if (f.num == 1 && n->n_in < 8)
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


int
cfm_onnx_node_io (const Node *n, int field, Buf *out, int max)
{
  Buf b = n->raw;
  Field f;
  int k = 0;

  while (next_field (&b, &f) > 0)
    if (f.wire == 2 && f.num == (uint32_t) field)
      {
        if (k == max)
          return -1;
        out[k++] = f.sub;
      }
  return k;
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
  CfmTensorSource src;

  if (status != CFM_OK)
    return status;
  memset (&src, 0, sizeof src);
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
  src.bytes = raw.p;
  src.dtype = t.type == T_FLOAT ? CFM_DTYPE_FLOAT32
              : t.type == T_DOUBLE ? CFM_DTYPE_FLOAT64
              : t.type == T_FLOAT16 ? CFM_DTYPE_FLOAT16
              : t.type == T_BFLOAT16 ? CFM_DTYPE_BFLOAT16 : CFM_DTYPE_INT64;
  return cfm_tensors_add_source (set, (const char *) name.p,
                                 (size_t) (name.end - name.p), t.ndim,
                                 t.dims, &src, err);
}

float
cfm_onnx_attr_scalar (const Attr *a, float def)
{
  TensorFields t;
  CfmError err;

  if (a == NULL || a->t.p == NULL || tensor_fields (a->t, &t, &err) != CFM_OK)
    return def;
  if (t.raw.p && t.type == T_FLOAT && t.raw.end - t.raw.p >= 4)
    {
      uint32_t bits = (uint32_t) t.raw.p[0] | (uint32_t) t.raw.p[1] << 8
                      | (uint32_t) t.raw.p[2] << 16
                      | (uint32_t) t.raw.p[3] << 24;

      return as_float (bits);
    }
  if (t.raw.p && t.type == T_INT64 && t.raw.end - t.raw.p >= 8)
    {
      uint64_t v = 0;
      int i;

      for (i = 7; i >= 0; i--)
        v = v << 8 | t.raw.p[i];
      return (float) (int64_t) v;
    }
  return def;
}

/* The weights' tensor NAME, loaded when first read. */
const CfmTensor *
cfm_onnx_tensor (OnnxWeights *w, Buf name)
{
  char s[256];
  const CfmTensor *t;

  if (name.p == NULL || name.end - name.p >= (long) sizeof s)
    return NULL;
  snprintf (s, sizeof s, "%.*s", (int) (name.end - name.p), name.p);
  t = cfm_tensors_find (w->set, s);
  if (t == NULL || w->status != CFM_OK)
    return NULL;
  w->status = cfm_tensors_load (w->set, t, w->err);
  return w->status == CFM_OK ? t : NULL;
}

/* ---- the graph ---------------------------------------------------------------- */


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
      else if (f.num == 12 && g->n_outputs < 64)
        {
          Buf vb = f.sub;
          Field vf;

          while (next_field (&vb, &vf) > 0)
            if (vf.num == 1 && vf.wire == 2)
              g->outputs[g->n_outputs++] = vf.sub;
        }
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


/* The module path of node name NAME, built from its scope names
 * ("/features/features.1/conv/conv.0/Conv" -> "features.1.conv.0": a
 * Sequential's child is named with its parent's name in front), or the
 * node name itself when it has no scope. */
void
cfm_onnx_module_path (Buf name, char *out, size_t size)
{
  const unsigned char *p = name.p, *end = name.end, *op = end, *q;
  size_t len = 0, last = 0;

  for (q = p; q < end; q++)   /* the op's name, after the last '/' */
    if (*q == '/')
      op = q;
  out[0] = '\0';
  if (p == end || *p != '/' || op == p)
    {
      snprintf (out, size, "%.*s", (int) (end - p), p);
      return;
    }
  for (p++; p < op;)
    {
      size_t n = 0;

      while (p + n < op && p[n] != '/')
        n++;
      if (last > 0 && n > last && p[last] == '.' && len >= last
          && memcmp (p, out + len - last, last) == 0)
        len -= last;   /* "conv" then "conv.0": the child replaces it */
      else if (len > 0 && len + 1 < size)
        out[len++] = '.';
      if (len + n >= size)
        n = size - 1 - len;
      memcpy (out + len, p, n);
      len += n;
      out[len] = '\0';
      last = n;
      p += n + 1;
    }
}

/* Tensors that Identity nodes pass on under another name (PyTorch's
 * exporter shares one initializer among several Convs so): the same
 * values under the output's name too. */
static CfmStatus
alias_identities (const Graph *g, CfmTensorSet *weights, CfmError *err)
{
  CfmStatus status = CFM_OK;
  int i;

  for (i = 0; i < g->n && status == CFM_OK; i++)
    {
      const Node *n = &g->nodes[i];
      char in[256], out[256];
      const CfmTensor *t;

      if (!buf_is (n->op, "Identity") || n->n_in != 1 || n->output.p == NULL
          || n->input[0].end - n->input[0].p >= (long) sizeof in
          || n->output.end - n->output.p >= (long) sizeof out)
        continue;
      snprintf (in, sizeof in, "%.*s", (int) (n->input[0].end - n->input[0].p),
                n->input[0].p);
      snprintf (out, sizeof out, "%.*s", (int) (n->output.end - n->output.p),
                n->output.p);
      t = cfm_tensors_find (weights, in);
      if (t == NULL || cfm_tensors_find (weights, out) != NULL)
        continue;
      if (t->src.bytes != NULL)
        {
          CfmTensorSource src = t->src;
          int64_t shape[CFM_TENSOR_MAX_DIMS];
          int ndim = t->ndim;

          memcpy (shape, t->shape, sizeof shape);
          status = cfm_tensors_add_source (weights, out, strlen (out), ndim,
                                           shape, &src, err);
        }
      else if (t->data != NULL)
        {
          const float *data = t->data;   /* its own copy: it stays */
          int64_t shape[CFM_TENSOR_MAX_DIMS];
          size_t count = t->count;
          float *dst;

          memcpy (shape, t->shape, sizeof shape);
          status = cfm_tensors_add (weights, out, strlen (out), t->ndim, shape,
                                    &dst, err);
          if (status == CFM_OK)
            memcpy (dst, data, count * sizeof (float));
        }
    }
  return status;
}

CfmStatus
cfm_onnx_parse (const void *buf, size_t len, Graph *g, CfmTensorSet *weights,
                CfmError *err)
{
  Buf b = { buf, (const unsigned char *) buf + len }, graph = { NULL, NULL };
  Field f;
  CfmStatus status;
  int r;

  memset (g, 0, sizeof *g);
  memset (weights, 0, sizeof *weights);
  while ((r = next_field (&b, &f)) > 0)
    if (f.num == 7 && f.wire == 2)
      graph = f.sub;
  if (r < 0 || graph.p == NULL)
    return cfm_error_set (err, CFM_ERR_PARSE, "not an ONNX model (no graph "
                          "in its protobuf)");
  status = read_graph (graph, g, weights, err);
  return status == CFM_OK ? alias_identities (g, weights, err) : status;
}
