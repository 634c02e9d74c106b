/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_pth.c: PyTorch's .pth files: the zip archive of torch.save, its
 * data.pkl run by the pickle machine (cfm_pickle.c), and the tensors its
 * state dict holds, read from their storages (its API: cfm_tensors.h). */
#include "cfm_pickle.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_zip.h"

#define MAX_DICTS   4096        /* dicts holding tensors, nested or not */

/* ---- from the pickle's objects to tensors ------------------------------- */

typedef struct
{
  const CfmZip *zip;
  const char   *prefix;   /* the archive's top folder, with its '/' */
  size_t        prefix_len;
} Archive;

/* Element bytes of DTYPE (0: an integer storage, skipped). */
static int
element_size (Dtype d)
{
  return d == D_FLOAT32 ? 4 : d == D_FLOAT64 ? 8
         : d == D_FLOAT16 || d == D_BFLOAT16 ? 2 : 0;
}

static CfmDtype
dtype_of (Dtype d)
{
  return d == D_FLOAT32 ? CFM_DTYPE_FLOAT32 : d == D_FLOAT64 ? CFM_DTYPE_FLOAT64
         : d == D_FLOAT16 ? CFM_DTYPE_FLOAT16 : CFM_DTYPE_BFLOAT16;
}

/* The values of tensor view T (SIZE_MAX when that overflows); a state
 * dict's tensors never hold more than their storage. */
static size_t
view_count (const Value *t)
{
  size_t n = 1;
  int d;

  for (d = 0; d < t->ndim; d++)
    if (t->size[d] < 0 || !cfm_size_mul (n, (size_t) t->size[d], &n))
      return SIZE_MAX;
  return n;
}

/* Where tensor T's values lie in its storage (N elements at DATA): checked
 * to lie inside it, strided unless its strides are C order's. */
static CfmStatus
locate (const Value *t, Dtype d, const unsigned char *data, size_t n,
        const char *name, CfmTensorSource *src, CfmError *err)
{
  int64_t last = t->offset, contiguous = 1;
  int dim;

  memset (src, 0, sizeof *src);
  for (dim = t->ndim - 1; dim >= 0; dim--)
    {
      if (t->stride[dim] < 0 || t->size[dim] < 0
          || (t->size[dim] > 0 && t->stride[dim] > (INT64_MAX - last)
                                                  / t->size[dim]))
        return cfm_error_set (err, CFM_ERR_PARSE, ".pth: tensor \"%s\" has "
                              "odd strides", name);
      if (t->size[dim] > 0)
        last += (t->size[dim] - 1) * t->stride[dim];
      /* a dimension of size 1 may have any stride */
      src->strided |= t->size[dim] > 1 && t->stride[dim] != contiguous;
      src->stride[dim] = t->stride[dim];
      if (t->size[dim] > 0 && contiguous <= INT64_MAX / t->size[dim])
        contiguous *= t->size[dim];
    }
  if (view_count (t) > 0 && (uint64_t) last >= n)
    return cfm_error_set (err, CFM_ERR_PARSE, ".pth: tensor \"%s\" reaches "
                          "beyond its storage", name);
  src->bytes = data;
  src->dtype = dtype_of (d);
  src->offset = (size_t) t->offset;
  return CFM_OK;
}

/* Adds tensor value T as NAME, its storage found in the archive. */
static CfmStatus
add_tensor (const Machine *m, const Archive *a, const Value *t,
            const char *name, CfmTensorSet *set, CfmError *err)
{
  const Value *s = &m->values[t->storage];
  Dtype d = (Dtype) s->i;
  char entry_name[256];
  const CfmZipEntry *e;
  const unsigned char *data;
  size_t len;
  CfmTensorSource src;
  CfmStatus status;

  if (element_size (d) == 0)
    return CFM_OK;   /* integer buffers (num_batches_tracked) */
  snprintf (entry_name, sizeof entry_name, "%.*sdata/%.*s",
            (int) a->prefix_len, a->prefix, (int) s->len, m->p + s->at);
  e = cfm_zip_find (a->zip, entry_name);
  if (e == NULL)
    return cfm_error_set (err, CFM_ERR_PARSE, ".pth: the storage of \"%s\" "
                          "(%s) is missing", name, entry_name);
  status = cfm_zip_data (a->zip, e, &data, &len, err);
  if (status == CFM_OK && view_count (t) > len / (size_t) element_size (d))
    status = cfm_error_set (err, CFM_ERR_PARSE, ".pth: tensor \"%s\" has "
                            "more values than its storage", name);
  if (status == CFM_OK)
    status = locate (t, d, data, len / (size_t) element_size (d), name, &src,
                     err);
  if (status == CFM_OK)
    status = cfm_tensors_add_source (set, name, strlen (name), t->ndim,
                                     t->size, &src, err);
  return status;
}

/* A dict to walk, and the dotted name of where it is. */
typedef struct
{
  int  dict;
  char name[512];   /* at most 300 bytes are used */
} Pending;

/* Finds every tensor under the dict ROOT, however deep, named by its
 * dotted keys (without the name of a dict that holds the state dict, such
 * as a checkpoint's "state_dict"), with an explicit stack. */
static CfmStatus
collect (const Machine *m, const Archive *a, int root, CfmTensorSet *set,
         CfmError *err)
{
  Pending *todo = malloc (MAX_DICTS * sizeof *todo);
  size_t top = 0, k;
  CfmStatus status = CFM_OK;

  if (todo == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  todo[top].dict = root;
  todo[top++].name[0] = '\0';
  while (top > 0 && status == CFM_OK)
    {
      Pending p = todo[--top];
      const Value *dv = &m->values[p.dict];

      for (k = 0; k + 1 < dv->n && status == CFM_OK; k += 2)
        {
          const Value *key = &m->values[dv->items[k]];
          const Value *val = &m->values[dv->items[k + 1]];
          char name[1024];

          if (key->kind != V_STR || key->len > 200)
            continue;   /* "epoch": 3 and the like keep their int keys */
          snprintf (name, sizeof name, "%s%s%.*s", p.name,
                    p.name[0] ? "." : "", (int) key->len, m->p + key->at);
          if (val->kind == V_TENSOR)
            status = add_tensor (m, a, val, name, set, err);
          else if (val->kind == V_DICT && top == MAX_DICTS)
            status = cfm_error_set (err, CFM_ERR_SIZE, ".pth: too many "
                                    "dicts inside dicts");
          else if (val->kind == V_DICT && strlen (name) < 300)
            {
              todo[top].dict = dv->items[k + 1];
              /* a checkpoint's state dict is named as the model is */
              if (strcmp (name, "state_dict") == 0
                  || strcmp (name, "model_state_dict") == 0
                  || strcmp (name, "model") == 0)
                todo[top++].name[0] = '\0';
              else
                memcpy (todo[top++].name, name, strlen (name) + 1);
            }
        }
    }
  free (todo);
  return status;
}

/* The archive's data.pkl: "<folder>/data.pkl" for the only folder. */
static const CfmZipEntry *
find_pickle (const CfmZip *zip, Archive *a)
{
  size_t i;

  for (i = 0; i < zip->n; i++)
    {
      const char *n = zip->entries[i].name, *slash = strchr (n, '/');

      if (slash && strcmp (slash, "/data.pkl") == 0)
        {
          a->prefix = n;
          a->prefix_len = (size_t) (slash + 1 - n);
          return &zip->entries[i];
        }
    }
  return NULL;
}

/* PyTorch 2.x records the storages' byte order; they are read as
 * little-endian, the order of every machine PyTorch runs on but a few. */
static CfmStatus
check_byteorder (const Archive *a, CfmError *err)
{
  char name[256];
  const CfmZipEntry *e;
  const unsigned char *data;
  size_t len;

  snprintf (name, sizeof name, "%.*sbyteorder", (int) a->prefix_len,
            a->prefix);
  e = cfm_zip_find (a->zip, name);
  if (e == NULL || cfm_zip_data (a->zip, e, &data, &len, NULL) != CFM_OK
      || (len == 6 && memcmp (data, "little", 6) == 0))
    return CFM_OK;
  return cfm_error_set (err, CFM_ERR_PARSE, ".pth: the file was saved on a "
                        "big-endian machine; save it again on a "
                        "little-endian one");
}

CfmStatus
cfm_pth_read (const void *buf, size_t len, CfmTensorSet *set, CfmError *err)
{
  Machine m;
  Archive a = { NULL, "", 0 };
  CfmZip zip;
  const CfmZipEntry *pkl;
  CfmStatus status;
  int result = -1;

  memset (set, 0, sizeof *set);
  memset (&m, 0, sizeof m);
  m.err = err;
  status = cfm_zip_open (buf, len, &zip, err);
  if (status != CFM_OK)
    return status;
  a.zip = &zip;
  pkl = find_pickle (&zip, &a);
  if (pkl == NULL)
    status = cfm_error_set (err, CFM_ERR_PARSE, "not a PyTorch .pth file "
                            "(the archive has no data.pkl)");
  if (status == CFM_OK)
    status = check_byteorder (&a, err);
  if (status == CFM_OK)
    status = cfm_zip_data (&zip, pkl, &m.p, &m.len, err);
  if (status == CFM_OK)
    status = cfm_pickle_run (&m, &result);
  if (status == CFM_OK && m.values[result].kind != V_DICT)
    status = cfm_error_set (err, CFM_ERR_PARSE, "the .pth file holds no "
                            "dict of tensors: save model.state_dict()");
  if (status == CFM_OK)
    status = collect (&m, &a, result, set, err);
  if (status == CFM_OK && set->n == 0)
    status = cfm_error_set (err, CFM_ERR_PARSE, "the .pth file holds no "
                            "float tensors");
  if (status != CFM_OK)
    cfm_tensors_free (set);
  cfm_pickle_free (&m);
  cfm_zip_free (&zip);
  return status;
}
