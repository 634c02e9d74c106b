/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_weights.c: the safetensors and .npz readers, and the reader that
 * tells the formats apart (its API: cfm_tensors.h; .pth is cfm_pth.c, the
 * tensor set cfm_tensors.c). */
#include "cfm_tensors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_npy.h"
#include "cfm_zip.h"

/* ---- safetensors -------------------------------------------------------- */

#define SAFETENSORS_MAX_HEADER ((size_t) 100 << 20)

/* A small reader of the header's JSON: objects of objects of strings,
 * numbers and arrays of numbers, as safetensors writes it; nothing is
 * recursive. */
typedef struct
{
  const char *p, *end;
} Json;

static void
json_space (Json *j)
{
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r'
                           || *j->p == '\t'))
    j->p++;
}

static int
json_char (Json *j, char c)
{
  json_space (j);
  if (j->p < j->end && *j->p == c)
    {
      j->p++;
      return 1;
    }
  return 0;
}

/* A string without escapes (safetensors' names and dtypes have none; an
 * escaped one is refused); *S points into the header. */
static int
json_string (Json *j, const char **s, size_t *len)
{
  const char *q;

  if (!json_char (j, '"'))
    return 0;
  for (q = j->p; q < j->end && *q != '"'; q++)
    if (*q == '\\' || (unsigned char) *q < 0x20)
      return 0;
  if (q >= j->end)
    return 0;
  *s = j->p;
  *len = (size_t) (q - j->p);
  j->p = q + 1;
  return 1;
}

static int
json_uint (Json *j, uint64_t *v)
{
  int digits = 0;

  json_space (j);
  *v = 0;
  while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
    {
      if (*v > (UINT64_MAX - 9) / 10)
        return 0;
      *v = *v * 10 + (uint64_t) (*j->p++ - '0');
      digits++;
    }
  return digits > 0;
}

/* Skips one value that is a string or an object of strings (the
 * metadata). */
static int
json_skip_metadata (Json *j)
{
  const char *s;
  size_t len;

  if (!json_char (j, '{'))
    return json_string (j, &s, &len);
  if (json_char (j, '}'))
    return 1;
  do
    if (!json_string (j, &s, &len) || !json_char (j, ':')
        || !json_string (j, &s, &len))
      return 0;
  while (json_char (j, ','));
  return json_char (j, '}');
}

typedef struct
{
  const char *dtype;
  size_t      dtype_len;
  int         ndim;
  int64_t     shape[CFM_TENSOR_MAX_DIMS];
  uint64_t    begin, end;
  int         has_shape, has_offsets;
} Entry;

static int
json_uint_array (Json *j, uint64_t *v, int max, int *n)
{
  *n = 0;
  if (!json_char (j, '['))
    return 0;
  if (json_char (j, ']'))
    return 1;
  do
    if (*n >= max || !json_uint (j, &v[(*n)++]))
      return 0;
  while (json_char (j, ','));
  return json_char (j, ']');
}

/* One tensor's description: {"dtype": .., "shape": [..],
 * "data_offsets": [b, e]}. */
static int
json_entry (Json *j, Entry *e)
{
  const char *key;
  size_t len;

  memset (e, 0, sizeof *e);
  if (!json_char (j, '{'))
    return 0;
  do
    {
      uint64_t v[CFM_TENSOR_MAX_DIMS];
      int n, d;

      if (!json_string (j, &key, &len) || !json_char (j, ':'))
        return 0;
      if (len == 5 && memcmp (key, "dtype", 5) == 0)
        {
          if (!json_string (j, &e->dtype, &e->dtype_len))
            return 0;
        }
      else if (len == 5 && memcmp (key, "shape", 5) == 0)
        {
          if (!json_uint_array (j, v, CFM_TENSOR_MAX_DIMS, &n))
            return 0;
          for (d = 0; d < n; d++)
            e->shape[d] = v[d] > INT64_MAX ? -1 : (int64_t) v[d];
          e->ndim = n;
          e->has_shape = 1;
        }
      else if (len == 12 && memcmp (key, "data_offsets", 12) == 0)
        {
          if (!json_uint_array (j, v, 2, &n) || n != 2)
            return 0;
          e->begin = v[0];
          e->end = v[1];
          e->has_offsets = 1;
        }
      else
        return 0;
    }
  while (json_char (j, ','));
  return json_char (j, '}') && e->dtype && e->has_shape && e->has_offsets;
}

/* Bytes a value of safetensors dtype NAME takes, or 0 when the core cannot
 * read it; *FLOAT says whether it is a float kept as a tensor, of *DTYPE. */
static int
dtype_size (const char *name, size_t len, int *is_float, CfmDtype *dtype)
{
  static const struct
  {
    const char *name;
    int size, is_float;
    CfmDtype dtype;
  } types[] = {
    { "F32", 4, 1, CFM_DTYPE_FLOAT32 }, { "F64", 8, 1, CFM_DTYPE_FLOAT64 },
    { "F16", 2, 1, CFM_DTYPE_FLOAT16 }, { "BF16", 2, 1, CFM_DTYPE_BFLOAT16 },
    { "I64", 8, 0, CFM_DTYPE_INT64 }, { "I32", 4, 0, CFM_DTYPE_INT64 },
    { "I16", 2, 0, CFM_DTYPE_INT64 }, { "I8", 1, 0, CFM_DTYPE_INT64 },
    { "U8", 1, 0, CFM_DTYPE_INT64 }, { "BOOL", 1, 0, CFM_DTYPE_INT64 },
  };
  size_t i;

  for (i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strlen (types[i].name) == len && memcmp (types[i].name, name, len) == 0)
      {
        *is_float = types[i].is_float;
        *dtype = types[i].dtype;
        return types[i].size;
      }
  return 0;
}

/* Adds the tensor NAME that E describes, its data in DATA[0..DATA_LEN). */
static CfmStatus
add_safetensor (CfmTensorSet *set, const char *name, size_t name_len,
                const Entry *e, const unsigned char *data, size_t data_len,
                CfmError *err)
{
  CfmTensorSource src = { data + e->begin, CFM_DTYPE_FLOAT32, 0, 0, { 0 } };
  int is_float, size = dtype_size (e->dtype, e->dtype_len, &is_float,
                                   &src.dtype), d;
  size_t count = 1;

  if (size == 0)
    return cfm_error_set (err, CFM_ERR_PARSE, "safetensors: tensor \"%.*s\" "
                          "has the unknown dtype %.*s", (int) name_len, name,
                          (int) e->dtype_len, e->dtype);
  for (d = 0; d < e->ndim; d++)
    if (e->shape[d] < 0 || !cfm_size_mul (count, (size_t) e->shape[d], &count))
      return cfm_error_set (err, CFM_ERR_SIZE, "safetensors: tensor \"%.*s\" "
                            "has an absurd shape", (int) name_len, name);
  /* As the reference implementation: offsets in order, inside the data,
   * and exactly the bytes the shape and dtype need. */
  if (e->begin > e->end || e->end > data_len
      || !cfm_size_mul (count, (size_t) size, &count)
      || e->end - e->begin != count)
    return cfm_error_set (err, CFM_ERR_PARSE, "safetensors: the data "
                          "offsets of \"%.*s\" do not match its shape or lie "
                          "outside the file", (int) name_len, name);
  if (!is_float)
    return CFM_OK;   /* integer buffers (num_batches_tracked) are not weights */
  return cfm_tensors_add_source (set, name, name_len, e->ndim, e->shape,
                                 &src, err);
}

CfmStatus
cfm_safetensors_read (const void *buf, size_t len, CfmTensorSet *set,
                      CfmError *err)
{
  const unsigned char *b = buf;
  uint64_t header_len = 0;
  CfmStatus status = CFM_OK;
  Json j;
  int i;

  memset (set, 0, sizeof *set);
  if (len < 8)
    return cfm_error_set (err, CFM_ERR_PARSE, "not a safetensors file (too "
                          "short)");
  for (i = 7; i >= 0; i--)
    header_len = header_len << 8 | b[i];
  if (header_len > len - 8 || header_len > SAFETENSORS_MAX_HEADER
      || header_len < 2 || b[8] != '{')
    return cfm_error_set (err, CFM_ERR_PARSE, "not a safetensors file (its "
                          "header length does not fit the file)");
  j.p = (const char *) b + 8;
  j.end = j.p + header_len;
  if (!json_char (&j, '{'))
    return cfm_error_set (err, CFM_ERR_PARSE, "safetensors: bad header");
  if (!json_char (&j, '}'))
    do
      {
        const char *name;
        size_t name_len;
        Entry e;

        if (!json_string (&j, &name, &name_len) || !json_char (&j, ':'))
          status = cfm_error_set (err, CFM_ERR_PARSE,
                                  "safetensors: bad header");
        else if (name_len == 12 && memcmp (name, "__metadata__", 12) == 0)
          {
            if (!json_skip_metadata (&j))
              status = cfm_error_set (err, CFM_ERR_PARSE, "safetensors: bad "
                                      "__metadata__");
          }
        else if (!json_entry (&j, &e))
          status = cfm_error_set (err, CFM_ERR_PARSE, "safetensors: bad "
                                  "description of \"%.*s\"", (int) name_len,
                                  name);
        else
          status = add_safetensor (set, name, name_len, &e,
                                   b + 8 + header_len,
                                   len - 8 - (size_t) header_len, err);
      }
    while (status == CFM_OK && json_char (&j, ','));
  if (status == CFM_OK && !json_char (&j, '}'))
    status = cfm_error_set (err, CFM_ERR_PARSE, "safetensors: bad header");
  if (status != CFM_OK)
    cfm_tensors_free (set);
  return status;
}

/* ---- .npz ----------------------------------------------------------------- */

/* Whether the .npy header in DATA describes floats ('descr': '<f4' and
 * the like); a header too odd to tell is left to cfm_npy_parse. */
static int
npy_holds_floats (const unsigned char *data, size_t len)
{
  size_t n = len < 256 ? len : 256, k;
  static const char key[] = "'descr': '";

  for (k = 0; k + sizeof key + 1 < n; k++)
    if (memcmp (data + k, key, sizeof key - 1) == 0)
      {
        unsigned char c = data[k + sizeof key - 1];

        if (c == '<' || c == '>' || c == '|' || c == '=')
          c = data[k + sizeof key];
        return c == 'f';
      }
  return 1;
}

static CfmStatus
add_npy (CfmTensorSet *set, const CfmZipEntry *e, const unsigned char *data,
         size_t data_len, CfmError *err)
{
  size_t name_len = strlen (e->name);
  int64_t shape[CFM_TENSOR_MAX_DIMS];
  CfmArray array;
  CfmStatus status;
  float *dst;
  int d;

  if (name_len < 4 || strcmp (e->name + name_len - 4, ".npy") != 0
      || !npy_holds_floats (data, data_len))
    return CFM_OK;   /* not an array, or integers (num_batches_tracked) */
  status = cfm_npy_parse (data, data_len, CFM_TENSORS_MAX_VALUES, &array,
                          err);
  if (status != CFM_OK)
    return cfm_error_prefix (err, status, e->name);
  for (d = 0; d < array.ndim; d++)
    shape[d] = (int64_t) array.shape[d];
  status = cfm_tensors_add (set, e->name, name_len - 4, array.ndim, shape,
                            &dst, err);
  if (status == CFM_OK)
    memcpy (dst, array.data, array.count * sizeof (float));
  cfm_array_free (&array);
  return status;
}

CfmStatus
cfm_npz_read (const void *buf, size_t len, CfmTensorSet *set, CfmError *err)
{
  CfmZip zip;
  CfmStatus status;
  size_t i;

  memset (set, 0, sizeof *set);
  status = cfm_zip_open (buf, len, &zip, err);
  for (i = 0; status == CFM_OK && i < zip.n; i++)
    {
      const unsigned char *data;
      size_t data_len;

      status = cfm_zip_data (&zip, &zip.entries[i], &data, &data_len, err);
      if (status == CFM_OK)
        status = add_npy (set, &zip.entries[i], data, data_len, err);
    }
  if (status == CFM_OK)
    cfm_zip_free (&zip);
  if (status != CFM_OK)
    {
      cfm_zip_free (&zip);
      cfm_tensors_free (set);
    }
  return status;
}

CfmStatus
cfm_weights_open (const void *buf, size_t len, CfmTensorSet *set,
                  CfmError *err)
{
  static const unsigned char legacy[10] = {
    0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20
  };
  const unsigned char *b = buf;
  CfmZip zip;
  int is_pth;

  memset (set, 0, sizeof *set);
  if (len >= sizeof legacy && memcmp (b, legacy, sizeof legacy) == 0)
    return cfm_error_set (err, CFM_ERR_PARSE, "this .pth file is in PyTorch's "
                          "legacy format (before 1.6); load it in PyTorch and "
                          "save it again with torch.save(model.state_dict(), "
                          "path), which writes the zip format");
  if (len >= 4 && b[0] == 'P' && b[1] == 'K')
    {
      if (cfm_zip_open (buf, len, &zip, err) != CFM_OK)
        return err ? err->status : CFM_ERR_PARSE;
      is_pth = zip.n > 0 && strstr (zip.entries[0].name, "data.pkl") != NULL;
      for (size_t i = 0; !is_pth && i < zip.n; i++)
        is_pth = strlen (zip.entries[i].name) >= 8
                 && strcmp (zip.entries[i].name + strlen (zip.entries[i].name)
                            - 8, "data.pkl") == 0;
      cfm_zip_free (&zip);
      return is_pth ? cfm_pth_read (buf, len, set, err)
                    : cfm_npz_read (buf, len, set, err);
    }
  return cfm_safetensors_read (buf, len, set, err);
}

CfmStatus
cfm_weights_read (const void *buf, size_t len, CfmTensorSet *set,
                  CfmError *err)
{
  CfmStatus status = cfm_weights_open (buf, len, set, err);

  if (status == CFM_OK)
    status = cfm_tensors_load_all (set, 1, err);
  if (status != CFM_OK)
    cfm_tensors_free (set);
  return status;
}
