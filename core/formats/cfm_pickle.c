/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_pickle.c: the pickle machine for .pth files' data.pkl (its API:
 * cfm_pickle.h). */
#include "cfm_pickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES  (1 << 20)   /* objects one pickle may make */
#define MAX_MEMO    (1 << 22)
#define MAX_STACK   (1 << 16)

static CfmStatus
bad (Machine *m, const char *what)
{
  return cfm_error_set (m->err, CFM_ERR_PARSE, ".pth: %s (at byte %zu of "
                        "data.pkl)", what, m->pos);
}

/* A new value of KIND; its index, or -1 when there is no room. */
static int
new_value (Machine *m, Kind kind)
{
  if (m->n_values == m->room_values)
    {
      size_t room = m->room_values ? 2 * m->room_values : 256;
      Value *grown;

      if (room > MAX_VALUES)
        return -1;
      grown = realloc (m->values, room * sizeof *grown);
      if (grown == NULL)
        return -1;
      m->values = grown;
      m->room_values = room;
    }
  memset (&m->values[m->n_values], 0, sizeof (Value));
  m->values[m->n_values].kind = kind;
  return (int) m->n_values++;
}

static CfmStatus
push (Machine *m, int v)
{
  if (v < 0)
    return cfm_error_set (m->err, CFM_ERR_NOMEM, ".pth: the pickle makes "
                          "too many objects");
  if (m->sp >= MAX_STACK)
    return bad (m, "the pickle's stack is too deep");
  m->stack[m->sp++] = v;
  return CFM_OK;
}

static int
pop (Machine *m)
{
  return m->sp ? m->stack[--m->sp] : -1;
}

/* Appends V to the items of container C. */
static CfmStatus
append (Machine *m, int c, int v)
{
  Value *cv = &m->values[c];

  if (cv->n == cv->room)
    {
      size_t room = cv->room ? 2 * cv->room : 8;
      int *grown = room > MAX_VALUES ? NULL
                   : realloc (cv->items, room * sizeof *grown);

      if (grown == NULL)
        return cfm_error_set (m->err, CFM_ERR_NOMEM, ".pth: a container "
                              "holds too many items");
      cv->items = grown;
      cv->room = room;
    }
  cv->items[cv->n++] = v;
  return CFM_OK;
}

/* The values above the topmost mark, as a new TUPLE or appended to C. */
static CfmStatus
collect_to_mark (Machine *m, Kind kind, int into, int *made)
{
  size_t mark = m->sp, k;
  int c = into;
  CfmStatus status = CFM_OK;

  while (mark > 0 && m->values[m->stack[mark - 1]].kind != V_MARK)
    mark--;
  if (mark == 0)
    return bad (m, "a MARK is missing");
  if (c < 0 && (c = new_value (m, kind)) < 0)
    return push (m, -1);
  for (k = mark; k < m->sp && status == CFM_OK; k++)
    status = append (m, c, m->stack[k]);
  m->sp = mark - 1;
  *made = c;
  return status;
}

/* A tuple of the top N values. */
static CfmStatus
tuple_of (Machine *m, size_t n)
{
  int t = new_value (m, V_TUPLE);
  size_t k;
  CfmStatus status = CFM_OK;

  if (t < 0 || m->sp < n)
    return t < 0 ? push (m, -1) : bad (m, "the stack is too short");
  for (k = m->sp - n; k < m->sp && status == CFM_OK; k++)
    status = append (m, t, m->stack[k]);
  m->sp -= n;
  return status == CFM_OK ? push (m, t) : status;
}

static int
str_is (const Machine *m, const Value *v, const char *s)
{
  return v->kind == V_STR && v->len == strlen (s)
         && memcmp (m->p + v->at, s, v->len) == 0;
}

/* GLOBAL "module\nname\n": only what a state dict names. */
static CfmStatus
op_global (Machine *m)
{
  static const struct { const char *name; Global g; Dtype d; } allowed[] = {
    { "collections\nOrderedDict\n", G_ORDERED_DICT, D_INTEGER },
    { "torch._utils\n_rebuild_tensor_v2\n", G_REBUILD_TENSOR, D_INTEGER },
    { "torch._utils\n_rebuild_parameter\n", G_REBUILD_PARAMETER, D_INTEGER },
    { "torch\nFloatStorage\n", G_STORAGE, D_FLOAT32 },
    { "torch\nDoubleStorage\n", G_STORAGE, D_FLOAT64 },
    { "torch\nHalfStorage\n", G_STORAGE, D_FLOAT16 },
    { "torch\nBFloat16Storage\n", G_STORAGE, D_BFLOAT16 },
    { "torch\nLongStorage\n", G_STORAGE, D_INTEGER },
    { "torch\nIntStorage\n", G_STORAGE, D_INTEGER },
    { "torch\nShortStorage\n", G_STORAGE, D_INTEGER },
    { "torch\nCharStorage\n", G_STORAGE, D_INTEGER },
    { "torch\nByteStorage\n", G_STORAGE, D_INTEGER },
    { "torch\nBoolStorage\n", G_STORAGE, D_INTEGER },
  };
  const unsigned char *start = m->p + m->pos, *nl1, *nl2;
  size_t left = m->len - m->pos, k, len;
  int v;

  nl1 = memchr (start, '\n', left);
  nl2 = nl1 ? memchr (nl1 + 1, '\n', left - (size_t) (nl1 + 1 - start)) : NULL;
  if (nl2 == NULL)
    return bad (m, "a GLOBAL is cut short");
  len = (size_t) (nl2 + 1 - start);
  m->pos += len;
  for (k = 0; k < sizeof allowed / sizeof allowed[0]; k++)
    if (strlen (allowed[k].name) == len
        && memcmp (allowed[k].name, start, len) == 0)
      {
        v = new_value (m, V_GLOBAL);
        if (v >= 0)
          {
            m->values[v].i = allowed[k].g;
            m->values[v].f = allowed[k].d;
          }
        return push (m, v);
      }
  return cfm_error_set (m->err, CFM_ERR_PARSE, "the .pth file names the "
                        "Python object %.*s.%.*s, which a saved state dict "
                        "does not: it holds a whole model or other Python "
                        "objects, which are not read.  Save the weights with "
                        "torch.save(model.state_dict(), path) instead",
                        (int) (nl1 - start), start,
                        (int) (nl2 - nl1 - 1), nl1 + 1);
}

/* Reads an int tuple's items into OUT (at most MAX). */
static int
int_items (const Machine *m, int t, int64_t *out, int max)
{
  const Value *tv = &m->values[t];
  size_t k;

  if (tv->kind != V_TUPLE || tv->n > (size_t) max)
    return -1;
  for (k = 0; k < tv->n; k++)
    {
      const Value *x = &m->values[tv->items[k]];

      if (x->kind != V_INT)
        return -1;
      out[k] = x->i;
    }
  return (int) tv->n;
}

/* _rebuild_tensor_v2 (storage, offset, size, stride, ...), its arguments
 * the tuple value ARGS.  Values are named by index only: new_value may
 * move the array, so no pointer into it is held across that call. */
static CfmStatus
rebuild_tensor (Machine *m, int args)
{
  int storage, offset, size, stride, t, nsize, nstride;
  Value *tv;

  if (m->values[args].n < 4)
    return bad (m, "a tensor is described oddly");
  storage = m->values[args].items[0];
  offset = m->values[args].items[1];
  size = m->values[args].items[2];
  stride = m->values[args].items[3];
  if (m->values[storage].kind != V_STORAGE || m->values[offset].kind != V_INT)
    return bad (m, "a tensor is described oddly");
  t = new_value (m, V_TENSOR);
  if (t < 0)
    return push (m, -1);
  tv = &m->values[t];   /* valid until the next new_value */
  tv->storage = storage;
  tv->offset = m->values[offset].i;
  nsize = int_items (m, size, tv->size, CFM_TENSOR_MAX_DIMS);
  nstride = int_items (m, stride, tv->stride, CFM_TENSOR_MAX_DIMS);
  if (nsize < 0 || nsize != nstride || tv->offset < 0)
    return bad (m, "a tensor's size or stride is not a tuple of ints");
  tv->ndim = nsize;
  return push (m, t);
}

static CfmStatus
op_reduce (Machine *m)
{
  int args = pop (m), callable = pop (m), param;

  if (args < 0 || callable < 0)
    return bad (m, "the stack is too short");
  if (m->values[callable].kind != V_GLOBAL
      || m->values[args].kind != V_TUPLE)
    return bad (m, "REDUCE calls something that is not allowed");
  switch ((Global) m->values[callable].i)
    {
    case G_ORDERED_DICT:
      return push (m, new_value (m, V_DICT));
    case G_REBUILD_TENSOR:
      return rebuild_tensor (m, args);
    case G_REBUILD_PARAMETER:
      param = m->values[args].n < 1 ? -1 : m->values[args].items[0];
      if (param < 0 || m->values[param].kind != V_TENSOR)
        return bad (m, "a parameter holds no tensor");
      return push (m, param);
    default:
      return bad (m, "REDUCE calls something that is not allowed");
    }
}

/* BINPERSID: ("storage", type, key, location, numel). */
static CfmStatus
op_persid (Machine *m)
{
  int pid = pop (m), type, key, s;

  if (pid < 0 || m->values[pid].kind != V_TUPLE || m->values[pid].n < 3)
    return bad (m, "a persistent id is not a storage");
  type = m->values[pid].items[1];
  key = m->values[pid].items[2];
  if (!str_is (m, &m->values[m->values[pid].items[0]], "storage")
      || m->values[type].kind != V_GLOBAL || m->values[type].i != G_STORAGE
      || m->values[key].kind != V_STR || m->values[key].len > 64)
    return bad (m, "a persistent id is not a storage");
  s = new_value (m, V_STORAGE);
  if (s >= 0)
    {
      m->values[s].i = (int64_t) m->values[type].f;
      m->values[s].at = m->values[key].at;
      m->values[s].len = m->values[key].len;
    }
  return push (m, s);
}

/* Reads an N-byte little-endian unsigned argument. */
static int
arg (Machine *m, size_t n, uint64_t *v)
{
  size_t k;

  if (m->len - m->pos < n)
    return 0;
  *v = 0;
  for (k = n; k-- > 0;)
    *v = *v << 8 | m->p[m->pos + k];
  m->pos += n;
  return 1;
}

static CfmStatus
op_string (Machine *m, size_t len_bytes)
{
  uint64_t len;
  int v;

  if (!arg (m, len_bytes, &len) || len > m->len - m->pos)
    return bad (m, "a string is cut short");
  v = new_value (m, V_STR);
  if (v >= 0)
    {
      m->values[v].at = m->pos;
      m->values[v].len = (size_t) len;
    }
  m->pos += (size_t) len;
  return push (m, v);
}

static CfmStatus
op_int (Machine *m, size_t n, int is_signed)
{
  uint64_t u;
  int v;

  if (!arg (m, n, &u))
    return bad (m, "an int is cut short");
  v = new_value (m, V_INT);
  if (v >= 0)
    m->values[v].i = is_signed && n == 4 ? (int64_t) (int32_t) (uint32_t) u
                                         : (int64_t) u;
  return push (m, v);
}

/* LONG1: a little-endian two's complement int of up to 8 bytes. */
static CfmStatus
op_long1 (Machine *m)
{
  uint64_t n, u;
  int v;

  if (!arg (m, 1, &n) || n > 8 || !arg (m, (size_t) n, &u))
    return bad (m, "a long int is cut short or too long");
  v = new_value (m, V_INT);
  if (v >= 0)
    {
      if (n > 0 && n < 8 && (u >> (8 * n - 1) & 1))
        u |= ~(uint64_t) 0 << (8 * n);
      m->values[v].i = (int64_t) u;
    }
  return push (m, v);
}

static CfmStatus
op_memo (Machine *m, int get, size_t n_bytes)
{
  uint64_t k;

  if (!arg (m, n_bytes, &k) || k >= MAX_MEMO)
    return bad (m, "a memo index is out of range");
  if (get)
    return k < m->memo_room && m->memo[k] >= 0 ? push (m, m->memo[k])
                                                : bad (m, "a memo entry "
                                                       "is missing");
  return CFM_OK;
}

/* Stores the top of the stack at memo index K. */
static CfmStatus
memo_put (Machine *m, uint64_t k)
{
  if (m->sp == 0 || k >= MAX_MEMO)
    return bad (m, "a memo index is out of range");
  if (k >= m->memo_room)
    {
      size_t room = m->memo_room ? m->memo_room : 256, i;
      int *grown;

      while (room <= k)
        room *= 2;
      grown = realloc (m->memo, room * sizeof *grown);
      if (grown == NULL)
        return cfm_error_set (m->err, CFM_ERR_NOMEM, "out of memory");
      for (i = m->memo_room; i < room; i++)
        grown[i] = -1;
      m->memo = grown;
      m->memo_room = room;
    }
  if (m->memo[k] < 0)
    m->memo_count++;
  m->memo[k] = m->stack[m->sp - 1];
  return CFM_OK;
}

static CfmStatus
op_setitems (Machine *m, int many)
{
  int made, d;
  size_t k;
  CfmStatus status;

  if (!many)
    {
      int value = pop (m), key = pop (m);

      d = m->sp ? m->stack[m->sp - 1] : -1;
      if (value < 0 || key < 0 || d < 0 || m->values[d].kind != V_DICT)
        return bad (m, "SETITEM needs a dict");
      status = append (m, d, key);
      return status == CFM_OK ? append (m, d, value) : status;
    }
  status = collect_to_mark (m, V_TUPLE, -1, &made);
  d = m->sp ? m->stack[m->sp - 1] : -1;
  if (status != CFM_OK || d < 0 || m->values[d].kind != V_DICT
      || m->values[made].n % 2)
    return status != CFM_OK ? status : bad (m, "SETITEMS needs a dict");
  for (k = 0; k < m->values[made].n && status == CFM_OK; k++)
    status = append (m, d, m->values[made].items[k]);
  return status;
}

/* One opcode. *DONE on STOP. */
static CfmStatus
step (Machine *m, int *done)
{
  unsigned char op = m->p[m->pos++];
  uint64_t u;
  int v;

  switch (op)
    {
    case 0x80: return arg (m, 1, &u) ? CFM_OK : bad (m, "cut short"); /* PROTO */
    case 0x95: return arg (m, 8, &u) ? CFM_OK : bad (m, "cut short"); /* FRAME */
    case '.': *done = 1; return CFM_OK;                               /* STOP */
    case '(': return push (m, new_value (m, V_MARK));                 /* MARK */
    case 'N': return push (m, new_value (m, V_NONE));
    case 0x88: case 0x89:                                 /* NEWTRUE, NEWFALSE */
      v = new_value (m, V_BOOL);
      if (v >= 0)
        m->values[v].i = op == 0x88;
      return push (m, v);
    case 'K': return op_int (m, 1, 0);                              /* BININT1 */
    case 'M': return op_int (m, 2, 0);                              /* BININT2 */
    case 'J': return op_int (m, 4, 1);                               /* BININT */
    case 0x8a: return op_long1 (m);                                   /* LONG1 */
    case 'G':                                                      /* BINFLOAT */
      if (!arg (m, 8, &u))
        return bad (m, "a float is cut short");
      v = new_value (m, V_FLOAT);
      if (v >= 0)
        {
          uint64_t be = 0;
          int b;

          for (b = 0; b < 8; b++)
            be = be << 8 | (u >> (8 * b) & 0xff);
          memcpy (&m->values[v].f, &be, 8);
        }
      return push (m, v);
    case 'X': return op_string (m, 4);                           /* BINUNICODE */
    case 0x8c: return op_string (m, 1);                    /* SHORT_BINUNICODE */
    case 'T': return op_string (m, 4);                            /* BINSTRING */
    case 'U': return op_string (m, 1);                      /* SHORT_BINSTRING */
    case 'c': return op_global (m);                                  /* GLOBAL */
    case ')': return push (m, new_value (m, V_TUPLE));          /* EMPTY_TUPLE */
    case ']': return push (m, new_value (m, V_LIST));            /* EMPTY_LIST */
    case '}': return push (m, new_value (m, V_DICT));            /* EMPTY_DICT */
    case 0x85: return tuple_of (m, 1);                               /* TUPLE1 */
    case 0x86: return tuple_of (m, 2);                               /* TUPLE2 */
    case 0x87: return tuple_of (m, 3);                               /* TUPLE3 */
    case 't':                                                         /* TUPLE */
      {
        CfmStatus status = collect_to_mark (m, V_TUPLE, -1, &v);

        return status == CFM_OK ? push (m, v) : status;
      }
    case 'a':                                                        /* APPEND */
      v = pop (m);
      if (v < 0 || m->sp == 0
          || m->values[m->stack[m->sp - 1]].kind != V_LIST)
        return bad (m, "APPEND needs a list");
      return append (m, m->stack[m->sp - 1], v);
    case 'e':                                                       /* APPENDS */
      {
        int made;
        size_t k;
        CfmStatus status = collect_to_mark (m, V_TUPLE, -1, &made);

        if (status != CFM_OK || m->sp == 0
            || m->values[m->stack[m->sp - 1]].kind != V_LIST)
          return status != CFM_OK ? status : bad (m, "APPENDS needs a list");
        for (k = 0; k < m->values[made].n && status == CFM_OK; k++)
          status = append (m, m->stack[m->sp - 1], m->values[made].items[k]);
        return status;
      }
    case 's': return op_setitems (m, 0);                            /* SETITEM */
    case 'u': return op_setitems (m, 1);                           /* SETITEMS */
    case 'b':                             /* BUILD: OrderedDict's _metadata */
      if (pop (m) < 0 || m->sp == 0)
        return bad (m, "BUILD needs an object");
      return CFM_OK;
    case 'R': return op_reduce (m);                                  /* REDUCE */
    case 'Q': return op_persid (m);                               /* BINPERSID */
    case 'h': return op_memo (m, 1, 1);                              /* BINGET */
    case 'j': return op_memo (m, 1, 4);                         /* LONG_BINGET */
    case 'q':                                                        /* BINPUT */
      return arg (m, 1, &u) ? memo_put (m, u) : bad (m, "cut short");
    case 'r':                                                   /* LONG_BINPUT */
      return arg (m, 4, &u) ? memo_put (m, u) : bad (m, "cut short");
    case 0x94:                                                      /* MEMOIZE */
      return memo_put (m, m->memo_count);
    case '0': return pop (m) < 0 ? bad (m, "POP on an empty stack") : CFM_OK;
    default:
      m->pos--;
      return cfm_error_set (m->err, CFM_ERR_PARSE, ".pth: the pickle uses "
                            "opcode 0x%02x, which a saved state dict does not "
                            "(at byte %zu)", op, m->pos);
    }
}

/* Runs the pickle P[0..LEN); the result is the value *RESULT. */
CfmStatus
cfm_pickle_run (Machine *m, int *result)
{
  CfmStatus status = CFM_OK;
  int done = 0;

  m->stack = malloc (MAX_STACK * sizeof *m->stack);
  if (m->stack == NULL)
    return cfm_error_set (m->err, CFM_ERR_NOMEM, "out of memory");
  while (status == CFM_OK && !done)
    status = m->pos < m->len ? step (m, &done)
                             : bad (m, "the pickle ends before STOP");
  if (status == CFM_OK && m->sp != 1)
    status = bad (m, "the pickle leaves no single object");
  if (status == CFM_OK)
    *result = m->stack[0];
  return status;
}

void
cfm_pickle_free (Machine *m)
{
  size_t i;

  for (i = 0; i < m->n_values; i++)
    free (m->values[i].items);
  free (m->values);
  free (m->stack);
  free (m->memo);
}
