/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_kernel_text.c: kernels parsed from typed or pasted text, and kernel
 * files (its API: cfm_kernel_text.h). */
#include "cfm_kernel_text.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_file.h"
#include "cfm_npy.h"
#include "cfm_number.h"

#define MAX_VALUES \
  ((size_t) CFM_FILTERS_MAX * CFM_CHANNELS_MAX * CFM_KERNEL_MAX * CFM_KERNEL_MAX)
#define MAX_FILE_BYTES ((size_t) 256 << 20)

typedef struct
{
  float  *v;
  size_t  n, cap;
} Values;

static CfmStatus
values_push (Values *vals, double v, CfmError *err)
{
  if (!isfinite (v) || fabs (v) > 3.4e38)
    return cfm_error_set (err, CFM_ERR_VALUE,
                          "kernel value %zu is %s: kernels must hold finite "
                          "numbers", vals->n + 1,
                          isnan (v) ? "NaN" : "infinite or too large");
  if (vals->n == MAX_VALUES)
    return cfm_error_set (err, CFM_ERR_SIZE,
                          "more than %zu kernel values", MAX_VALUES);
  if (vals->n == vals->cap)
    {
      size_t cap = vals->cap ? vals->cap * 2 : 64;
      float *grown = realloc (vals->v, cap * sizeof (float));

      if (grown == NULL)
        return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
      vals->v = grown;
      vals->cap = cap;
    }
  vals->v[vals->n++] = (float) v;
  return CFM_OK;
}

/* Copies VALS, shaped (n, c, kh, kw), into BANK. */
static CfmStatus
values_to_bank (const Values *vals, size_t n, size_t c, size_t kh, size_t kw,
                CfmBank *bank, CfmError *err)
{
  CfmStatus status;

  if (n > CFM_FILTERS_MAX || c > CFM_CHANNELS_MAX || kh > CFM_KERNEL_MAX
      || kw > CFM_KERNEL_MAX)
    return cfm_error_set (err, CFM_ERR_SIZE,
                          "kernels of shape (%zu, %zu, %zu, %zu) are beyond "
                          "the limits: 1-%d filters, 1-%d channels, sides "
                          "1-%d", n, c, kh, kw, CFM_FILTERS_MAX,
                          CFM_CHANNELS_MAX, CFM_KERNEL_MAX);
  status = cfm_bank_init (bank, (int) n, (int) c, (int) kh, (int) kw, err);
  if (status == CFM_OK)
    memcpy (bank->weights, vals->v, vals->n * sizeof (float));
  return status;
}

/* ---- nested brackets ---------------------------------------------------- */

typedef struct
{
  const char *p;
  int         leaf_level;       /* nesting level of the numbers, -1 unknown */
  size_t      dims[5];          /* length of the lists at each level */
  Values      vals;
} Brackets;

static void
skip_separators (Brackets *b)
{
  while (*b->p && (isspace ((unsigned char) *b->p) || *b->p == ','))
    b->p++;
}

static CfmStatus
set_dim (Brackets *b, int level, size_t count, CfmError *err)
{
  if (b->dims[level] == 0)
    b->dims[level] = count;
  else if (b->dims[level] != count)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "the brackets are ragged: a list at depth %d has %zu"
                          " entries where an earlier one has %zu", level + 1,
                          count, b->dims[level]);
  return CFM_OK;
}

static CfmStatus
parse_list (Brackets *b, int level, CfmError *err)
{
  size_t count = 0;
  CfmStatus status;

  if (level >= 4)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "brackets nest deeper than (n, c, kh, kw)");
  b->p++;   /* '[' */
  skip_separators (b);
  while (*b->p != ']')
    {
      if (*b->p == '\0')
        return cfm_error_set (err, CFM_ERR_PARSE, "a '[' is never closed");
      if (*b->p == '[')
        {
          if (b->leaf_level >= 0 && b->leaf_level <= level)
            return cfm_error_set (err, CFM_ERR_PARSE,
                                  "the brackets mix numbers and lists");
          status = parse_list (b, level + 1, err);
          if (status != CFM_OK)
            return status;
        }
      else
        {
          double v;
          const char *end;

          if (b->leaf_level >= 0 && b->leaf_level != level)
            return cfm_error_set (err, CFM_ERR_PARSE,
                                  "the brackets mix numbers and lists");
          if (!cfm_read_number (b->p, &v, &end))
            return cfm_error_set (err, CFM_ERR_PARSE,
                                  "unexpected \"%.12s\" inside the brackets",
                                  b->p);
          b->leaf_level = level;
          status = values_push (&b->vals, v, err);
          if (status != CFM_OK)
            return status;
          b->p = end;
          if (*b->p && !isspace ((unsigned char) *b->p) && *b->p != ','
              && *b->p != ']')
            return cfm_error_set (err, CFM_ERR_PARSE,
                                  "unexpected \"%.12s\" after a number",
                                  b->p);
        }
      count++;
      skip_separators (b);
    }
  b->p++;   /* ']' */
  if (count == 0)
    return cfm_error_set (err, CFM_ERR_PARSE, "an empty list \"[]\"");
  return set_dim (b, level, count, err);
}

static CfmStatus
parse_brackets (const char *text, const char *open, CfmBank *bank,
                CfmError *err)
{
  Brackets b;
  const char *q;
  size_t shape[4] = { 1, 1, 1, 1 };
  int depth, i;
  CfmStatus status;

  /* Digits inside names ("conv1.weight =") are fine, numbers are not. */
  for (q = text; q < open; q++)
    if (isdigit ((unsigned char) *q)
        && (q == text || !(isalnum ((unsigned char) q[-1]) || q[-1] == '_'
                           || q[-1] == '.')))
      return cfm_error_set (err, CFM_ERR_PARSE,
                            "numbers before the first '[': write kernels "
                            "either in brackets or as plain rows");
  memset (&b, 0, sizeof b);
  b.p = open;
  b.leaf_level = -1;
  status = parse_list (&b, 0, err);
  if (status == CFM_OK && strchr (b.p, '[') != NULL)
    status = cfm_error_set (err, CFM_ERR_PARSE,
                            "more than one bracketed array: put all kernels "
                            "in one outer [ ]");
  if (status != CFM_OK)
    {
      free (b.vals.v);
      return status;
    }
  depth = b.leaf_level + 1;
  /* 1 level is one row; 2 (kh, kw); 3 (n, kh, kw); 4 (n, c, kh, kw). */
  for (i = 0; i < depth; i++)
    shape[4 - depth + i] = b.dims[i];
  if (depth == 3)
    {
      shape[0] = shape[1];
      shape[1] = 1;
    }
  status = values_to_bank (&b.vals, shape[0], shape[1], shape[2], shape[3],
                           bank, err);
  free (b.vals.v);
  return status;
}

/* ---- plain rows --------------------------------------------------------- */

typedef struct
{
  Values vals;
  size_t kernels, kh, kw;      /* shape of the first kernel */
  size_t rows, row_len, cur;   /* the kernel being read */
} Plain;

static CfmStatus
end_row (Plain *pl, CfmError *err)
{
  if (pl->cur == 0)
    return CFM_OK;
  if (pl->rows > 0 && pl->cur != pl->row_len)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "kernel %zu: row %zu has %zu values but row 1 has "
                          "%zu", pl->kernels + 1, pl->rows + 1, pl->cur,
                          pl->row_len);
  pl->row_len = pl->cur;
  pl->rows++;
  pl->cur = 0;
  return CFM_OK;
}

static CfmStatus
end_kernel (Plain *pl, CfmError *err)
{
  CfmStatus status = end_row (pl, err);

  if (status != CFM_OK || pl->rows == 0)
    return status;
  if (pl->kernels == 0)
    {
      pl->kh = pl->rows;
      pl->kw = pl->row_len;
    }
  else if (pl->rows != pl->kh || pl->row_len != pl->kw)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "kernel %zu is %zux%zu but kernel 1 is %zux%zu: "
                          "the kernels of a bank share one size",
                          pl->kernels + 1, pl->rows, pl->row_len, pl->kh,
                          pl->kw);
  pl->kernels++;
  pl->rows = 0;
  return CFM_OK;
}

static CfmStatus
parse_plain (const char *text, CfmBank *bank, CfmError *err)
{
  Plain pl;
  const char *p = text;
  int line = 1, newline_ended_row = 0;
  CfmStatus status = CFM_OK;

  memset (&pl, 0, sizeof pl);
  while (status == CFM_OK && *p)
    {
      double v;
      const char *end;

      if (*p == '\n')
        {
          /* A line with no values after a line break is a blank line. */
          if (pl.cur == 0 && newline_ended_row)
            status = end_kernel (&pl, err);
          else
            status = end_row (&pl, err);
          newline_ended_row = 1;
          line++;
          p++;
        }
      else if (*p == ';')
        {
          status = end_row (&pl, err);
          newline_ended_row = 0;
          p++;
        }
      else if (*p == '|')
        {
          status = end_kernel (&pl, err);
          newline_ended_row = 0;
          p++;
        }
      else if (*p == '#')
        while (*p && *p != '\n')
          p++;
      else if (isspace ((unsigned char) *p) || *p == ',')
        p++;
      else if (cfm_read_number (p, &v, &end))
        {
          status = values_push (&pl.vals, v, err);
          pl.cur++;
          p = end;
        }
      else
        status = cfm_error_set (err, CFM_ERR_PARSE,
                                "line %d: unexpected \"%.12s\" in kernel "
                                "text", line, p);
    }
  if (status == CFM_OK)
    status = end_kernel (&pl, err);
  if (status == CFM_OK && pl.kernels == 0)
    status = cfm_error_set (err, CFM_ERR_PARSE,
                            "the kernel text holds no numbers");
  if (status == CFM_OK)
    status = values_to_bank (&pl.vals, pl.kernels, 1, pl.kh, pl.kw, bank,
                             err);
  free (pl.vals.v);
  return status;
}

CfmStatus
cfm_kernel_text_parse (const char *text, CfmBank *bank, CfmError *err)
{
  const char *open;

  memset (bank, 0, sizeof *bank);
  if (text == NULL)
    text = "";
  if (strstr (text, "...") != NULL)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "the text is abbreviated with \"...\"; print the "
                          "whole tensor (torch.set_printoptions(profile="
                          "\"full\") or numpy.set_printoptions(threshold="
                          "sys.maxsize)) and paste it again");
  open = strchr (text, '[');
  if (open != NULL)
    return parse_brackets (text, open, bank, err);
  return parse_plain (text, bank, err);
}

CfmStatus
cfm_kernel_file_load (const char *path, CfmBank *bank, CfmError *err)
{
  void *data;
  size_t len;
  CfmStatus status;

  memset (bank, 0, sizeof *bank);
  status = cfm_file_read (path, MAX_FILE_BYTES, &data, &len, err);
  if (status != CFM_OK)
    return status;
  if (len >= 6 && memcmp (data, "\x93NUMPY", 6) == 0)
    {
      CfmArray array;

      status = cfm_npy_parse (data, len, MAX_VALUES, &array, err);
      if (status == CFM_OK)
        status = cfm_bank_from_array (&array, bank, err);
      cfm_array_free (&array);
    }
  else if (len == 0 || memchr (data, '\0', len) != NULL)
    status = cfm_error_set (err, CFM_ERR_PARSE,
                            "\"%s\" is neither a .npy file nor kernel text",
                            path);
  else
    {
      char *text = realloc (data, len + 1);

      if (text == NULL)
        status = cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
      else
        {
          data = text;
          text[len] = '\0';
          status = cfm_kernel_text_parse (text, bank, err);
        }
    }
  free (data);
  return status;
}
