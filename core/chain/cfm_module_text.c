/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_module_text.c: a printed module's argument text ("3, 64,
 * kernel_size=(3, 3), stride=(1, 1)") read into a module, and the numbers,
 * tuples and words of it the graph's text reader asks for (its API:
 * cfm_network_text.h). */
#include "cfm_network_text.h"

#include <ctype.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_number.h"

#define LINE_MAX_LEN 4096   /* a printed line */
#define MAX_ARGS  16
#define MAX_SIDE  65536   /* kernels, strides, paddings, channels */

/* One argument of a printed module: KEY (NULL when positional) and up to
 * four numbers (a padding's) or a word. */
#define TUPLE_MAX 4
typedef struct
{
  char   key[32];
  int    n;           /* numbers read: 1, or 2 to 4 for a tuple */
  double v[TUPLE_MAX];
  char   word[32];    /* True, False, reflect, 'none', same... */
} Arg;

typedef struct
{
  Arg args[MAX_ARGS];
  int n;
} Args;

/* A number at P, or END == P. */
static double
read_number (const char *p, char **end)
{
  const char *e = p;
  double d = 0.0;

  if (!cfm_read_number (p, &d, &e))
    e = p;
  *end = (char *) e;
  return d;
}

/* Reads "(a, b)", "(a, b, c, d)" or "a" into A. */
static int
parse_value (const char *s, Arg *a)
{
  const char *p = s;
  char *end;
  double d;

  while (*p == ' ')
    p++;
  if (*p == '(')
    {
      p++;
      while (a->n < TUPLE_MAX && *p)
        {
          d = read_number (p, &end);
          if (end == p)
            return 0;
          a->v[a->n++] = d;
          p = end;
          while (*p == ' ' || *p == ',')
            p++;
          if (*p == ')')
            return 1;
        }
      return 0;
    }
  d = read_number (p, &end);
  if (end != p && (*end == '\0' || *end == ' '))
    {
      a->v[a->n++] = d;
      return 1;
    }
  while (*p == '\'' || *p == ' ')
    p++;
  snprintf (a->word, sizeof a->word, "%s", p);
  end = a->word + strlen (a->word);
  while (end > a->word && (end[-1] == '\'' || end[-1] == ' '))
    *--end = '\0';
  return 1;
}

/* Splits the argument text TEXT (inside the module's parentheses) at the
 * commas outside tuples. */
static int
parse_args (char *text, Args *args)
{
  char *p = text;

  args->n = 0;
  while (*p)
    {
      char *start = p, *eq;
      int depth = 0;
      Arg *a;

      while (*p && (depth > 0 || *p != ','))
        {
          depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
          p++;
        }
      if (*p == ',')
        *p++ = '\0';
      while (*start == ' ')
        start++;
      if (*start == '\0')
        continue;
      if (args->n >= MAX_ARGS)
        return 0;
      a = &args->args[args->n++];
      memset (a, 0, sizeof *a);
      eq = strchr (start, '=');
      if (eq && (!strchr (start, '(') || eq < strchr (start, '(')))
        {
          *eq = '\0';
          snprintf (a->key, sizeof a->key, "%s", start);
          start = eq + 1;
        }
      if (!parse_value (start, a))
        return 0;
    }
  return 1;
}

static const Arg *
find_arg (const Args *args, const char *key, int position)
{
  int i, pos = 0;

  for (i = 0; i < args->n; i++)
    {
      if (args->args[i].key[0] == '\0' && pos++ == position)
        return &args->args[i];
      if (key && strcmp (args->args[i].key, key) == 0)
        return &args->args[i];
    }
  return NULL;
}

/* A printed number as an int: out-of-range ones (and NaN) become values
 * the checks refuse. */
static int
to_int (double v)
{
  return v >= -1e9 && v <= 1e9 ? (int) v : -1;
}

/* A printed number as a float, clamped to the float range (NaN stays,
 * and the module is refused). */
static float
to_float (double v)
{
  return v > FLT_MAX ? FLT_MAX : v < -FLT_MAX ? -FLT_MAX : (float) v;
}

/* A pair (rows, columns) from argument KEY, DEF when absent. */
static void
pair (const Args *args, const char *key, int position, int def, int out[2])
{
  const Arg *a = find_arg (args, key, position);

  out[0] = out[1] = def;
  if (a && a->n > 2)
    out[0] = out[1] = -1;   /* not a pair: refused by the checks */
  else if (a && a->n >= 1)
    {
      out[0] = to_int (a->v[0]);
      out[1] = to_int (a->v[a->n - 1]);
    }
}

static int
flag (const Args *args, const char *key, int def)
{
  const Arg *a = find_arg (args, key, -1);

  return a ? strcmp (a->word, "True") == 0 || (a->n && a->v[0] != 0) : def;
}

static double
number (const Args *args, const char *key, int position, double def)
{
  const Arg *a = find_arg (args, key, position);

  return a && a->n ? a->v[0] : def;
}

/* Whether M's kernel, stride, padding and dilation are within reason. */
static int
window_ok (const CfmModule *m)
{
  int a;

  for (a = 0; a < 2; a++)
    if (m->k[a] < 1 || m->k[a] > MAX_SIDE || m->stride[a] < 1
        || m->stride[a] > MAX_SIDE || m->dil[a] < 1 || m->dil[a] > MAX_SIDE
        || m->pad[a] < 0 || m->pad[a] > MAX_SIDE)
      return 0;
  return 1;
}

static CfmStatus
read_conv (CfmModule *m, const Args *args, CfmError *err)
{
  const Arg *pad = find_arg (args, "padding", -1);
  const Arg *mode = find_arg (args, "padding_mode", -1);

  m->kind = CFM_MODULE_CONV;
  m->in_c = to_int (number (args, "in_channels", 0, 0));
  m->out_c = to_int (number (args, "out_channels", 1, 0));
  pair (args, "kernel_size", 2, 0, m->k);
  pair (args, "stride", 3, 1, m->stride);
  pair (args, "padding", 4, 0, m->pad);
  pair (args, "dilation", 5, 1, m->dil);
  m->groups = to_int (number (args, "groups", 6, 1));
  m->has_bias = flag (args, "bias", 1);
  m->pad_mode = CFM_PAD_ZEROS;
  if (mode && strcmp (mode->word, "reflect") == 0)
    m->pad_mode = CFM_PAD_REFLECT;
  else if (mode && strcmp (mode->word, "replicate") == 0)
    m->pad_mode = CFM_PAD_REPLICATE;
  else if (mode && strcmp (mode->word, "circular") == 0)
    m->pad_mode = CFM_PAD_CIRCULAR;
  else if (mode && strcmp (mode->word, "zeros") != 0)
    return cfm_error_set (err, CFM_ERR_PARSE, "%s: unknown padding_mode %s",
                          m->name, mode->word);
  if (pad && strcmp (pad->word, "same") == 0)
    {
      /* PyTorch pads (d (k - 1)) / 2 before and the rest after; an even
       * span would need uneven padding. */
      int i;

      for (i = 0; i < 2; i++)
        {
          if (m->dil[i] * (m->k[i] - 1) % 2)
            return cfm_error_set (err, CFM_ERR_PARSE, "%s: padding='same' "
                                  "with an even kernel span is not "
                                  "supported", m->name);
          m->pad[i] = m->dil[i] * (m->k[i] - 1) / 2;
        }
    }
  else if (pad && strcmp (pad->word, "valid") == 0)
    m->pad[0] = m->pad[1] = 0;
  if (m->in_c < 1 || m->out_c < 1 || m->groups < 1 || m->in_c % m->groups
      || m->out_c % m->groups || m->in_c > MAX_SIDE || m->out_c > MAX_SIDE
      || !window_ok (m))
    return cfm_error_set (err, CFM_ERR_PARSE, "%s: the Conv2d's settings do "
                          "not make sense", m->name);
  return CFM_OK;
}

static void
read_pool (CfmModule *m, const Args *args, CfmModuleKind kind)
{
  m->kind = kind;
  pair (args, "kernel_size", 0, 1, m->k);
  pair (args, "stride", 1, 0, m->stride);
  if (m->stride[0] == 0)
    m->stride[0] = m->k[0], m->stride[1] = m->k[1];
  pair (args, "padding", 2, 0, m->pad);
  pair (args, "dilation", kind == CFM_MODULE_MAXPOOL ? 3 : -1, 1, m->dil);
  m->ceil_mode = flag (args, "ceil_mode", 0);
  m->count_include_pad = flag (args, "count_include_pad", 1);
}

/* The activations, by printed name. */
static int
read_function (CfmModule *m, const Args *args)
{
  static const struct { const char *type; CfmFunction fn; } fns[] = {
    { "ReLU", CFM_FN_RELU }, { "ReLU6", CFM_FN_RELU6 },
    { "LeakyReLU", CFM_FN_LEAKY_RELU }, { "ELU", CFM_FN_ELU },
    { "GELU", CFM_FN_GELU }, { "SiLU", CFM_FN_SILU },
    { "Sigmoid", CFM_FN_SIGMOID }, { "Tanh", CFM_FN_TANH },
    { "Hardtanh", CFM_FN_HARDTANH }, { "Hardswish", CFM_FN_HARDSWISH },
    { "Hardsigmoid", CFM_FN_HARDSIGMOID }, { "Mish", CFM_FN_MISH },
    { "Softplus", CFM_FN_SOFTPLUS },
  };
  const Arg *approx = find_arg (args, "approximate", -1);
  size_t i;

  for (i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if (strcmp (m->type, fns[i].type) == 0)
      {
        m->kind = CFM_MODULE_FUNCTION;
        m->fn = fns[i].fn;
        m->alpha = to_float (number (args, m->fn == CFM_FN_ELU ? "alpha"
                                           : "negative_slope", 0,
                                     m->fn == CFM_FN_ELU ? 1.0 : 0.01));
        m->lo = to_float (number (args, "min_val", 0, -1.0));
        m->hi = to_float (number (args, "max_val", 1, 1.0));
        if (m->fn == CFM_FN_GELU && approx && strcmp (approx->word, "tanh") == 0)
          m->fn = CFM_FN_GELU_TANH;
        if (m->fn == CFM_FN_HARDSIGMOID)   /* relu6 (x + 3) / 6 */
          m->alpha = 1.0f / 6.0f, m->beta = 0.5f;
        /* Softplus (beta, threshold) other than (1, 20) is not computed */
        return m->fn != CFM_FN_SOFTPLUS
               || (number (args, "beta", 0, 1.0) == 1.0
                   && number (args, "threshold", 1, 20.0) == 20.0);
      }
  return 0;
}

CfmStatus
cfm_text_read_module (CfmModule *m, char *text, int *usable, CfmError *err)
{
  Args args;

  *usable = 1;
  if (!parse_args (text, &args))
    return cfm_error_set (err, CFM_ERR_PARSE, "%s: cannot read the "
                          "arguments of %s", m->name, m->type);
  if (strcmp (m->type, "Conv2d") == 0)
    return read_conv (m, &args, err);
  if (strcmp (m->type, "BatchNorm2d") == 0)
    {
      m->kind = CFM_MODULE_BATCHNORM;
      m->features = to_int (number (&args, "num_features", 0, 0));
      m->eps = to_float (number (&args, "eps", 1, 1e-5));
      if (!(m->eps >= 0.0f))
        return cfm_error_set (err, CFM_ERR_PARSE, "%s: eps must be a number "
                              "of at least 0", m->name);
      m->has_bias = flag (&args, "affine", 1);
      *usable = flag (&args, "track_running_stats", 1);
      return CFM_OK;
    }
  if (strcmp (m->type, "MaxPool2d") == 0)
    read_pool (m, &args, CFM_MODULE_MAXPOOL);
  else if (strcmp (m->type, "AvgPool2d") == 0)
    {
      read_pool (m, &args, CFM_MODULE_AVGPOOL);
      *usable = find_arg (&args, "divisor_override", -1) == NULL;
    }
  else if (strcmp (m->type, "Dropout") == 0
           || strcmp (m->type, "Dropout2d") == 0
           || strcmp (m->type, "Identity") == 0)
    m->kind = CFM_MODULE_IDENTITY;
  else
    *usable = read_function (m, &args);
  if ((m->kind == CFM_MODULE_MAXPOOL || m->kind == CFM_MODULE_AVGPOOL)
      && !window_ok (m))
    return cfm_error_set (err, CFM_ERR_PARSE, "%s: the %s's settings do not "
                          "make sense", m->name, m->type);
  return CFM_OK;
}

/* ARGS parsed from a copy of TEXT. */
static int
args_of (const char *text, Args *args, char *copy, size_t size)
{
  if (strlen (text) >= size)
    return 0;
  memcpy (copy, text, strlen (text) + 1);
  return parse_args (copy, args);
}

double
cfm_text_number (const char *text, const char *key, int position,
                 double def)
{
  char copy[LINE_MAX_LEN];
  Args args;

  return args_of (text, &args, copy, sizeof copy)
         ? number (&args, key, position, def) : def;
}

int
cfm_text_pair (const char *text, const char *key, int position, int def,
               int out[2])
{
  char copy[LINE_MAX_LEN];
  Args args;

  out[0] = out[1] = def;
  if (!args_of (text, &args, copy, sizeof copy))
    return 0;
  pair (&args, key, position, def, out);
  return find_arg (&args, key, position) != NULL;
}

int
cfm_text_flag (const char *text, const char *key, int def)
{
  char copy[LINE_MAX_LEN];
  Args args;

  return args_of (text, &args, copy, sizeof copy) ? flag (&args, key, def)
                                                   : def;
}

int
cfm_text_has (const char *text, const char *key)
{
  char copy[LINE_MAX_LEN];
  Args args;

  return args_of (text, &args, copy, sizeof copy)
         && find_arg (&args, key, -1) != NULL;
}

int
cfm_text_tuple (const char *text, const char *key, int position,
                double out[4])
{
  char copy[LINE_MAX_LEN];
  const Arg *a;
  Args args;
  int i;

  if (!args_of (text, &args, copy, sizeof copy)
      || (a = find_arg (&args, key, position)) == NULL)
    return 0;
  for (i = 0; i < a->n; i++)
    out[i] = a->v[i];
  return a->n;
}

int
cfm_text_word (const char *text, const char *key, int position, char *out,
               size_t size)
{
  char copy[LINE_MAX_LEN];
  const Arg *a;
  Args args;

  if (!args_of (text, &args, copy, sizeof copy)
      || (a = find_arg (&args, key, position)) == NULL || a->n)
    return 0;
  snprintf (out, size, "%s", a->word);
  return 1;
}
