/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_bank.c: built-in banks, bank generators, filter and bias lists. */
#include "cfm_bank.h"

#include <ctype.h>
#include "cfm_number.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const cfm_bank_builtin_names[] = {
  "tutorial", "sobel", "prewitt", "scharr", "laplacian", "gaussian",
  "sharpen", "emboss", "identity", NULL
};

typedef struct
{
  const char  *name;
  int          n, k;
  float        scale;     /* every weight is multiplied by this */
  const float *weights;   /* n * k * k */
} BuiltinBank;

/* The tutorial's filter_1 and the three variants it derives from it:
 * -filter_1, filter_1.T, -filter_1.T. */
static const float tutorial_w[] = {
  -1, -1, 1, 1,  -1, -1, 1, 1,  -1, -1, 1, 1,  -1, -1, 1, 1,
   1, 1, -1, -1,  1, 1, -1, -1,  1, 1, -1, -1,  1, 1, -1, -1,
  -1, -1, -1, -1,  -1, -1, -1, -1,  1, 1, 1, 1,  1, 1, 1, 1,
   1, 1, 1, 1,  1, 1, 1, 1,  -1, -1, -1, -1,  -1, -1, -1, -1,
};
static const float sobel_w[] = {
  -1, 0, 1,  -2, 0, 2,  -1, 0, 1,
  -1, -2, -1,  0, 0, 0,  1, 2, 1,
};
static const float prewitt_w[] = {
  -1, 0, 1,  -1, 0, 1,  -1, 0, 1,
  -1, -1, -1,  0, 0, 0,  1, 1, 1,
};
static const float scharr_w[] = {
  -3, 0, 3,  -10, 0, 10,  -3, 0, 3,
  -3, -10, -3,  0, 0, 0,  3, 10, 3,
};
static const float laplacian_w[] = {
  0, 1, 0,  1, -4, 1,  0, 1, 0,
  1, 1, 1,  1, -8, 1,  1, 1, 1,
};
static const float gaussian_w[] = {
  1, 2, 1,  2, 4, 2,  1, 2, 1,
};
static const float sharpen_w[] = {
  0, -1, 0,  -1, 5, -1,  0, -1, 0,
};
static const float emboss_w[] = {
  -2, -1, 0,  -1, 1, 1,  0, 1, 2,
};
static const float identity_w[] = {
  0, 0, 0,  0, 1, 0,  0, 0, 0,
};

static const BuiltinBank builtin_banks[] = {
  { "tutorial",  4, 4, 1.0f,         tutorial_w },
  { "sobel",     2, 3, 1.0f,         sobel_w },
  { "prewitt",   2, 3, 1.0f,         prewitt_w },
  { "scharr",    2, 3, 1.0f,         scharr_w },
  { "laplacian", 2, 3, 1.0f,         laplacian_w },
  { "gaussian",  1, 3, 1.0f / 16.0f, gaussian_w },
  { "sharpen",   1, 3, 1.0f,         sharpen_w },
  { "emboss",    1, 3, 1.0f,         emboss_w },
  { "identity",  1, 3, 1.0f,         identity_w },
};

CfmStatus
cfm_bank_init (CfmBank *bank, int n, int c, int kh, int kw, CfmError *err)
{
  size_t count;

  bank->n = bank->c = bank->kh = bank->kw = 0;
  bank->weights = NULL;
  if (n < 1 || n > CFM_FILTERS_MAX)
    return cfm_error_set (err, CFM_ERR_SIZE,
                          "a bank holds 1 to %d filters, not %d",
                          CFM_FILTERS_MAX, n);
  if (c < 1 || c > CFM_CHANNELS_MAX)
    return cfm_error_set (err, CFM_ERR_SIZE,
                          "a kernel has 1 to %d channels, not %d",
                          CFM_CHANNELS_MAX, c);
  if (kh < 1 || kh > CFM_KERNEL_MAX || kw < 1 || kw > CFM_KERNEL_MAX)
    return cfm_error_set (err, CFM_ERR_SIZE,
                          "a kernel is 1x1 to %dx%d, not %dx%d",
                          CFM_KERNEL_MAX, CFM_KERNEL_MAX, kh, kw);
  count = (size_t) n * (size_t) c * (size_t) kh * (size_t) kw;
  bank->weights = calloc (count, sizeof (float));
  if (bank->weights == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory for %d kernels",
                          n);
  bank->n = n;
  bank->c = c;
  bank->kh = kh;
  bank->kw = kw;
  return CFM_OK;
}

void
cfm_bank_free (CfmBank *bank)
{
  if (bank == NULL)
    return;
  free (bank->weights);
  bank->weights = NULL;
  bank->n = bank->c = bank->kh = bank->kw = 0;
}

size_t
cfm_bank_kernel_size (const CfmBank *bank)
{
  return (size_t) bank->c * (size_t) bank->kh * (size_t) bank->kw;
}

CfmStatus
cfm_bank_builtin (const char *name, CfmBank *bank, CfmError *err)
{
  size_t i, j;

  for (i = 0; i < sizeof builtin_banks / sizeof builtin_banks[0]; i++)
    {
      const BuiltinBank *b = &builtin_banks[i];
      size_t count = (size_t) b->n * (size_t) b->k * (size_t) b->k;
      CfmStatus status;

      if (strcmp (name, b->name) != 0)
        continue;
      status = cfm_bank_init (bank, b->n, 1, b->k, b->k, err);
      if (status != CFM_OK)
        return status;
      for (j = 0; j < count; j++)
        bank->weights[j] = b->weights[j] * b->scale;
      return CFM_OK;
    }
  return cfm_error_set (err, CFM_ERR_ARG, "unknown filter bank \"%s\"", name);
}

/* Writes kernel plane SRC (k x k) turned by the dihedral transform T into
 * DST: T 0-3 rotates by T quarter turns counter-clockwise (numpy.rot90),
 * T 4-7 mirrors left-right after those rotations, T 8 transposes. */
static void
transform_plane (const float *src, float *dst, int k, int t)
{
  int y, x;

  for (y = 0; y < k; y++)
    for (x = 0; x < k; x++)
      {
        int sy = y, sx = x, r, tmp;

        if (t == 8)
          {
            dst[y * k + x] = src[x * k + y];
            continue;
          }
        if (t >= 4)
          sx = k - 1 - sx;
        /* dst = rot90 (src, r): dst[y][x] = src[x][k-1-y], applied r times
         * backwards from the output position. */
        for (r = 0; r < t % 4; r++)
          {
            tmp = sy;
            sy = sx;
            sx = k - 1 - tmp;
          }
        dst[y * k + x] = src[sy * k + sx];
      }
}

static void
write_kernel (const CfmBank *in, int f, CfmBank *out, int g, int t,
              float sign)
{
  size_t plane = (size_t) in->kh * (size_t) in->kw;
  int ch;
  size_t i;

  for (ch = 0; ch < in->c; ch++)
    {
      const float *src = in->weights + ((size_t) f * in->c + ch) * plane;
      float *dst = out->weights + ((size_t) g * out->c + ch) * plane;

      if (t < 0)
        memcpy (dst, src, plane * sizeof (float));
      else
        transform_plane (src, dst, in->kh, t);
      for (i = 0; i < plane; i++)
        dst[i] = sign * dst[i] + 0.0f;   /* + 0 turns -0 into 0 */
    }
}

CfmStatus
cfm_bank_expand (const CfmBank *in, CfmExpand mode, CfmBank *out,
                 CfmError *err)
{
  static const int per_kernel[] = { 1, 2, 4, 8 };
  int grow, f, g = 0, t;
  CfmStatus status;

  if ((int) mode < 0 || (int) mode > CFM_EXPAND_ROTATIONS)
    return cfm_error_set (err, CFM_ERR_ARG, "unknown expand mode %d",
                          (int) mode);
  grow = per_kernel[mode];
  if ((mode == CFM_EXPAND_TUTORIAL || mode == CFM_EXPAND_ROTATIONS)
      && in->kh != in->kw)
    return cfm_error_set (err, CFM_ERR_ARG,
                          "transposing and rotating need square kernels, "
                          "these are %dx%d", in->kh, in->kw);
  if (in->n > CFM_FILTERS_MAX / grow)
    return cfm_error_set (err, CFM_ERR_SIZE,
                          "expanding %d filters %d-fold makes more than %d",
                          in->n, grow, CFM_FILTERS_MAX);
  status = cfm_bank_init (out, in->n * grow, in->c, in->kh, in->kw, err);
  if (status != CFM_OK)
    return status;
  for (f = 0; f < in->n; f++)
    switch (mode)
      {
      case CFM_EXPAND_NONE:
        write_kernel (in, f, out, g++, -1, 1.0f);
        break;
      case CFM_EXPAND_NEGATE:
        write_kernel (in, f, out, g++, -1, 1.0f);
        write_kernel (in, f, out, g++, -1, -1.0f);
        break;
      case CFM_EXPAND_TUTORIAL:
        write_kernel (in, f, out, g++, -1, 1.0f);
        write_kernel (in, f, out, g++, -1, -1.0f);
        write_kernel (in, f, out, g++, 8, 1.0f);
        write_kernel (in, f, out, g++, 8, -1.0f);
        break;
      case CFM_EXPAND_ROTATIONS:
        for (t = 0; t < 8; t++)
          write_kernel (in, f, out, g++, t, 1.0f);
        break;
      }
  return CFM_OK;
}

CfmStatus
cfm_bank_select (const CfmBank *in, const int *index, int count, CfmBank *out,
                 CfmError *err)
{
  size_t ks = cfm_bank_kernel_size (in);
  CfmStatus status;
  int i;

  for (i = 0; i < count; i++)
    if (index[i] < 0 || index[i] >= in->n)
      return cfm_error_set (err, CFM_ERR_ARG,
                            "filter %d does not exist: the bank has %d",
                            index[i] + 1, in->n);
  status = cfm_bank_init (out, count, in->c, in->kh, in->kw, err);
  if (status != CFM_OK)
    return status;
  for (i = 0; i < count; i++)
    memcpy (out->weights + (size_t) i * ks,
            in->weights + (size_t) index[i] * ks, ks * sizeof (float));
  return CFM_OK;
}

CfmStatus
cfm_bank_broadcast (const CfmBank *in, int channels, CfmBank *out,
                    CfmError *err)
{
  size_t plane = (size_t) in->kh * (size_t) in->kw;
  CfmStatus status;
  int f, ch;

  if (in->c != 1)
    return cfm_error_set (err, CFM_ERR_ARG,
                          "only single-channel kernels can be repeated over "
                          "channels; these have %d", in->c);
  status = cfm_bank_init (out, in->n, channels, in->kh, in->kw, err);
  if (status != CFM_OK)
    return status;
  for (f = 0; f < in->n; f++)
    for (ch = 0; ch < channels; ch++)
      memcpy (out->weights + ((size_t) f * channels + ch) * plane,
              in->weights + (size_t) f * plane, plane * sizeof (float));
  return CFM_OK;
}

static const char *
skip_space (const char *p)
{
  while (*p && isspace ((unsigned char) *p))
    p++;
  return p;
}

/* Reads a positive decimal at *P; returns -1 when there is none. */
static long
read_index (const char **p)
{
  const char *s = skip_space (*p);
  long v = 0;

  if (!isdigit ((unsigned char) *s))
    return -1;
  while (isdigit ((unsigned char) *s))
    {
      if (v < 100000)
        v = v * 10 + (*s - '0');
      s++;
    }
  *p = skip_space (s);
  return v;
}

CfmStatus
cfm_filter_list_parse (const char *text, int n, int *index, int *count,
                       CfmError *err)
{
  const char *p = skip_space (text ? text : "");
  int used = 0;

  *count = 0;
  if (*p == '\0' || strncmp (p, "all", 3) == 0)
    {
      if (*p && *skip_space (p + 3) != '\0')
        return cfm_error_set (err, CFM_ERR_PARSE,
                              "filters: \"%s\" is not a list such as "
                              "\"all\", \"2\" or \"1,3-4\"", text);
      for (used = 0; used < n; used++)
        index[used] = used;
      *count = n;
      return CFM_OK;
    }
  for (;;)
    {
      long a = read_index (&p), b, i;

      if (a < 0)
        return cfm_error_set (err, CFM_ERR_PARSE,
                              "filters: \"%s\" is not a list such as "
                              "\"all\", \"2\" or \"1,3-4\"", text);
      b = a;
      if (*p == '-')
        {
          p++;
          b = read_index (&p);
          if (b < 0)
            return cfm_error_set (err, CFM_ERR_PARSE,
                                  "filters: a range in \"%s\" has no end",
                                  text);
        }
      if (a < 1 || b > n || a > b)
        {
          if (a > b)
            return cfm_error_set (err, CFM_ERR_ARG,
                                  "filters: the range %ld-%ld runs backwards",
                                  a, b);
          return cfm_error_set (err, CFM_ERR_ARG,
                                "filters: the bank has filters 1 to %d, "
                                "\"%s\" asks for %ld", n, text,
                                a < 1 ? a : b);
        }
      for (i = a; i <= b; i++)
        {
          if (used >= n)
            return cfm_error_set (err, CFM_ERR_ARG,
                                  "filters: \"%s\" names more filters than "
                                  "the bank's %d", text, n);
          index[used++] = (int) (i - 1);
        }
      if (*p == '\0')
        break;
      if (*p != ',')
        return cfm_error_set (err, CFM_ERR_PARSE,
                              "filters: unexpected \"%c\" in \"%s\"", *p,
                              text);
      p++;
    }
  *count = used;
  return CFM_OK;
}

CfmStatus
cfm_bias_parse (const char *text, int n, float *bias, CfmError *err)
{
  const char *p = skip_space (text ? text : "");
  int got = 0, i;

  if (*p == '\0')
    {
      for (i = 0; i < n; i++)
        bias[i] = 0.0f;
      return CFM_OK;
    }
  for (;;)
    {
      const char *end;
      double v;

      if (!cfm_read_number (p, &v, &end))
        return cfm_error_set (err, CFM_ERR_PARSE,
                              "bias: \"%s\" is not a number or a "
                              "comma-separated list of numbers", text);
      if (!isfinite (v) || fabs (v) > 3.0e38)
        return cfm_error_set (err, CFM_ERR_VALUE,
                              "bias: values must be finite numbers");
      if (got < n)
        bias[got] = (float) v;
      got++;
      p = skip_space (end);
      if (*p == '\0')
        break;
      if (*p != ',')
        return cfm_error_set (err, CFM_ERR_PARSE,
                              "bias: unexpected \"%c\" in \"%s\"", *p, text);
      p = skip_space (p + 1);
    }
  if (got == 1)
    {
      for (i = 1; i < n; i++)
        bias[i] = bias[0];
      return CFM_OK;
    }
  if (got != n)
    return cfm_error_set (err, CFM_ERR_ARG,
                          "bias: %d values given for %d filters; give one "
                          "for all or one per filter", got, n);
  return CFM_OK;
}
