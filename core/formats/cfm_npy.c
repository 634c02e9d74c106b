/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_npy.c: NumPy .npy arrays read from memory or a file (its API:
 * cfm_npy.h). */
#include "cfm_npy.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  char   kind;        /* 'f', 'i' or 'u' */
  int    size;        /* bytes per value */
  int    big_endian;
  int    fortran;
  int    ndim;
  size_t shape[CFM_NPY_MAX_DIMS];
} NpyHeader;

static int
host_is_big_endian (void)
{
  const uint16_t one = 1;
  unsigned char first;

  memcpy (&first, &one, 1);
  return first == 0;
}

/* Finds the value after 'KEY': in the header dictionary. */
static const char *
find_key (const char *h, const char *key)
{
  char quoted[32];
  const char *p;

  snprintf (quoted, sizeof quoted, "'%s'", key);
  p = strstr (h, quoted);
  if (p == NULL)
    {
      snprintf (quoted, sizeof quoted, "\"%s\"", key);
      p = strstr (h, quoted);
    }
  if (p == NULL)
    return NULL;
  p += strlen (quoted);
  while (*p == ' ')
    p++;
  if (*p != ':')
    return NULL;
  p++;
  while (*p == ' ')
    p++;
  return p;
}

static CfmStatus
parse_descr (const char *p, NpyHeader *h, CfmError *err)
{
  char q = *p, order, kind;
  int size = 0;

  if (q != '\'' && q != '"')
    return cfm_error_set (err, CFM_ERR_PARSE,
                          ".npy: only plain numeric arrays are supported, "
                          "not structured ones");
  order = p[1];
  if (order != '<' && order != '>' && order != '|' && order != '=')
    return cfm_error_set (err, CFM_ERR_PARSE, ".npy: malformed dtype");
  kind = p[2];   /* p[1] is a character, so p[2] is at most the '\0' */
  if (kind == '\0')
    return cfm_error_set (err, CFM_ERR_PARSE, ".npy: malformed dtype");
  p += 3;
  while (*p >= '0' && *p <= '9' && size < 100)
    size = size * 10 + (*p++ - '0');
  if (*p != q)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          ".npy: unsupported dtype (use float32, float64 or "
                          "an integer type)");
  if (!((kind == 'f' && (size == 4 || size == 8))
        || ((kind == 'i' || kind == 'u')
            && (size == 1 || size == 2 || size == 4 || size == 8))))
    return cfm_error_set (err, CFM_ERR_PARSE,
                          ".npy: unsupported dtype '%c%d' (use float32, "
                          "float64 or an integer type)", kind, size);
  h->kind = kind;
  h->size = size;
  h->big_endian = order == '>' || (order == '=' && host_is_big_endian ());
  return CFM_OK;
}

static CfmStatus
parse_shape (const char *p, NpyHeader *h, CfmError *err)
{
  if (*p++ != '(')
    return cfm_error_set (err, CFM_ERR_PARSE, ".npy: malformed shape");
  h->ndim = 0;
  for (;;)
    {
      size_t v = 0;
      int digits = 0;

      while (*p == ' ')
        p++;
      if (*p == ')')
        break;
      while (*p >= '0' && *p <= '9')
        {
          if (v > (SIZE_MAX - 9) / 10)
            return cfm_error_set (err, CFM_ERR_SIZE,
                                  ".npy: a dimension is absurdly large");
          v = v * 10 + (size_t) (*p++ - '0');
          digits++;
        }
      if (digits == 0)
        return cfm_error_set (err, CFM_ERR_PARSE, ".npy: malformed shape");
      if (h->ndim == CFM_NPY_MAX_DIMS)
        return cfm_error_set (err, CFM_ERR_SIZE,
                              ".npy: more than %d dimensions",
                              CFM_NPY_MAX_DIMS);
      h->shape[h->ndim++] = v;
      while (*p == ' ' || *p == 'L')
        p++;
      if (*p == ',')
        p++;
      else if (*p != ')')
        return cfm_error_set (err, CFM_ERR_PARSE, ".npy: malformed shape");
    }
  return CFM_OK;
}

static CfmStatus
parse_header (const char *text, NpyHeader *h, CfmError *err)
{
  const char *descr = find_key (text, "descr");
  const char *fortran = find_key (text, "fortran_order");
  const char *shape = find_key (text, "shape");
  CfmStatus status;

  if (descr == NULL || fortran == NULL || shape == NULL)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          ".npy: the header lacks descr, fortran_order or "
                          "shape");
  status = parse_descr (descr, h, err);
  if (status != CFM_OK)
    return status;
  if (strncmp (fortran, "True", 4) == 0)
    h->fortran = 1;
  else if (strncmp (fortran, "False", 5) == 0)
    h->fortran = 0;
  else
    return cfm_error_set (err, CFM_ERR_PARSE,
                          ".npy: malformed fortran_order");
  return parse_shape (shape, h, err);
}

static double
read_value (const unsigned char *src, const NpyHeader *h)
{
  unsigned char b[8];
  uint64_t u = 0;
  int i;

  for (i = 0; i < h->size; i++)
    b[i] = src[h->big_endian ? h->size - 1 - i : i];   /* to little-endian */
  for (i = h->size - 1; i >= 0; i--)
    u = (u << 8) | b[i];
  if (h->kind == 'f' && h->size == 4)
    {
      uint32_t u32 = (uint32_t) u;
      float f;

      memcpy (&f, &u32, 4);
      return f;
    }
  if (h->kind == 'f')
    {
      double d;

      memcpy (&d, &u, 8);
      return d;
    }
  if (h->kind == 'u')
    return (double) u;
  if (h->size < 8 && (u >> (8 * h->size - 1)) & 1)
    u |= ~UINT64_C (0) << (8 * h->size);   /* sign-extend */
  return (double) (int64_t) u;
}

/* The C-order position of the value stored at Fortran-order position I. */
static size_t
fortran_to_c (size_t i, const NpyHeader *h)
{
  size_t idx[CFM_NPY_MAX_DIMS], c = 0;
  int d;

  for (d = 0; d < h->ndim; d++)
    {
      idx[d] = i % h->shape[d];
      i /= h->shape[d];
    }
  for (d = 0; d < h->ndim; d++)
    c = c * h->shape[d] + idx[d];
  return c;
}

/* Reads the magic, version and header dictionary of the .npy file in
 * B (LEN bytes) into H; *DATA is where the values start. */
static CfmStatus
read_header (const unsigned char *b, size_t len, NpyHeader *h, size_t *data,
             CfmError *err)
{
  size_t header_len, offset;
  CfmStatus status;
  char *text;

  if (len < 10 || memcmp (b, "\x93NUMPY", 6) != 0)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "not a .npy file (the magic \\x93NUMPY is missing)");
  if (b[6] < 1 || b[6] > 3)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          ".npy: format version %d is not supported (1-3)",
                          b[6]);
  if (b[6] == 1)
    {
      header_len = (size_t) b[8] | (size_t) b[9] << 8;
      offset = 10;
    }
  else
    {
      if (len < 12)
        return cfm_error_set (err, CFM_ERR_PARSE, ".npy: truncated header");
      header_len = (size_t) b[8] | (size_t) b[9] << 8
                   | (size_t) b[10] << 16 | (size_t) b[11] << 24;
      offset = 12;
    }
  if (header_len > len - offset || header_len > 1 << 20)
    return cfm_error_set (err, CFM_ERR_PARSE, ".npy: truncated header");
  text = malloc (header_len + 1);
  if (text == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  memcpy (text, b + offset, header_len);
  text[header_len] = '\0';
  status = parse_header (text, h, err);
  free (text);
  *data = offset + header_len;
  return status;
}

CfmStatus
cfm_npy_parse (const void *buf, size_t len, size_t max_values,
               CfmArray *array, CfmError *err)
{
  const unsigned char *b = buf;
  size_t offset = 0, count = 1, bytes, i;
  NpyHeader h;
  CfmStatus status;
  int d;

  memset (array, 0, sizeof *array);
  memset (&h, 0, sizeof h);
  status = read_header (b, len, &h, &offset, err);
  if (status != CFM_OK)
    return status;
  for (d = 0; d < h.ndim; d++)
    if (!cfm_size_mul (count, h.shape[d], &count))
      return cfm_error_set (err, CFM_ERR_SIZE, ".npy: the shape overflows");
  if (count > max_values)
    return cfm_error_set (err, CFM_ERR_SIZE,
                          ".npy: %zu values are more than the %zu allowed",
                          count, max_values);
  if (!cfm_size_mul (count, (size_t) h.size, &bytes) || bytes > len - offset)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          ".npy: truncated: the header promises %zu values "
                          "but the file holds %zu bytes of data", count,
                          len - offset);
  array->data = malloc ((count ? count : 1) * sizeof (float));
  if (array->data == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for %zu values",
                          count);
  for (i = 0; i < count; i++)
    {
      size_t to = h.fortran ? fortran_to_c (i, &h) : i;

      array->data[to] = (float) read_value (b + offset + i * (size_t) h.size,
                                            &h);
    }
  array->ndim = h.ndim;
  memcpy (array->shape, h.shape, sizeof h.shape);
  array->count = count;
  return CFM_OK;
}

void
cfm_array_free (CfmArray *array)
{
  if (array == NULL)
    return;
  free (array->data);
  memset (array, 0, sizeof *array);
}

CfmStatus
cfm_bank_from_array (const CfmArray *a, CfmBank *bank, CfmError *err)
{
  size_t n = 1, c = 1, kh, kw, i;
  CfmStatus status;

  if (a->ndim < 2 || a->ndim > 4)
    return cfm_error_set (err, CFM_ERR_SIZE,
                          "kernels have shape (kh, kw), (n, kh, kw) or "
                          "(n, c, kh, kw); this array has %d dimension%s",
                          a->ndim, a->ndim == 1 ? "" : "s");
  kh = a->shape[a->ndim - 2];
  kw = a->shape[a->ndim - 1];
  if (a->ndim >= 3)
    n = a->shape[0];
  if (a->ndim == 4)
    c = a->shape[1];
  if (n < 1 || n > CFM_FILTERS_MAX || c < 1 || c > CFM_CHANNELS_MAX
      || kh < 1 || kh > CFM_KERNEL_MAX || kw < 1 || kw > CFM_KERNEL_MAX)
    return cfm_error_set (err, CFM_ERR_SIZE,
                          "kernels of shape (%zu, %zu, %zu, %zu) are beyond "
                          "the limits: 1-%d filters, 1-%d channels, sides "
                          "1-%d", n, c, kh, kw, CFM_FILTERS_MAX,
                          CFM_CHANNELS_MAX, CFM_KERNEL_MAX);
  for (i = 0; i < a->count; i++)
    if (!isfinite (a->data[i]))
      return cfm_error_set (err, CFM_ERR_VALUE,
                            "kernel value %zu is %s: kernels must hold "
                            "finite numbers", i + 1,
                            isnan (a->data[i]) ? "NaN" : "infinite");
  status = cfm_bank_init (bank, (int) n, (int) c, (int) kh, (int) kw, err);
  if (status != CFM_OK)
    return status;
  memcpy (bank->weights, a->data, a->count * sizeof (float));
  return CFM_OK;
}
