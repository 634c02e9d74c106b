/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_npy.c: the .npy reader against files numpy wrote, and every
 * rejection.  The fixtures hold value i - 60 at C-order position i. */
#include "test_util.h"

#include <stdint.h>

#include "cfm_file.h"
#include "cfm_npy.h"

static void
expect_array (const char *name, float offset)
{
  CfmArray a;
  CfmError err;
  void *data;
  size_t len, i;
  int ok = 1;

  cfm_file_read (fixture_path (name), 1 << 20, &data, &len, &err);
  if (cfm_npy_parse (data, len, 1000, &a, &err) != CFM_OK)
    {
      CHECK (0, "%s: %s", name, err.message);
      free (data);
      return;
    }
  CHECK (a.ndim == 4 && a.shape[0] == 2 && a.shape[1] == 3 && a.shape[2] == 4
         && a.shape[3] == 5 && a.count == 120, "%s: shape", name);
  for (i = 0; i < a.count; i++)
    ok &= a.data[i] == (float) i - 60.0f + offset;
  CHECK (ok, "%s: values", name);
  cfm_array_free (&a);
  free (data);
}

/* Parses LEN bytes of BUF and checks the error. */
static void
expect_error (const char *what, const void *buf, size_t len, size_t max,
              CfmStatus status, const char *needle)
{
  CfmArray a;
  CfmError err;
  CfmStatus got;

  cfm_error_clear (&err);
  got = cfm_npy_parse (buf, len, max, &a, &err);
  CHECK (got == status, "%s: status %d, expected %d", what, got, status);
  CHECK_MSG (err.message, needle);
  CHECK (a.data == NULL, "%s: a refused parse left data", what);
}

/* A version 1 header with DICT, padded as numpy pads it, then DATA. */
static size_t
make_npy (unsigned char *out, const char *dict, const void *data,
          size_t data_len)
{
  size_t dl = strlen (dict), total = 10 + dl + 1, pad = (64 - total % 64) % 64;
  size_t hl = dl + pad + 1;

  memcpy (out, "\x93NUMPY\x01\x00", 8);
  out[8] = (unsigned char) (hl & 0xff);
  out[9] = (unsigned char) (hl >> 8);
  memcpy (out + 10, dict, dl);
  memset (out + 10 + dl, ' ', pad);
  out[10 + dl + pad] = '\n';
  memcpy (out + 10 + hl, data, data_len);
  return 10 + hl + data_len;
}

static void
test_rejections (void)
{
  unsigned char buf[512];
  float four[4] = { 1, 2, 3, 4 };
  size_t n;
  CfmArray a;
  CfmBank bank;
  CfmError err;

  expect_error ("empty", "", 0, 100, CFM_ERR_PARSE, "not a .npy file");
  expect_error ("text", "1 2 3 4 5 6 7 8 9 10", 20, 100, CFM_ERR_PARSE,
                "magic");
  n = make_npy (buf, "{'descr': '<f4', 'fortran_order': False, 'shape': "
                "(2, 2), }", four, 16);
  buf[6] = 4;
  expect_error ("version 4", buf, n, 100, CFM_ERR_PARSE, "version 4");
  buf[6] = 1;
  expect_error ("truncated data", buf, n - 1, 100, CFM_ERR_PARSE,
                "truncated: the header promises 4 values");
  expect_error ("truncated header", buf, 40, 100, CFM_ERR_PARSE,
                "truncated header");
  expect_error ("too many values", buf, n, 3, CFM_ERR_SIZE,
                "4 values are more than the 3 allowed");
  n = make_npy (buf, "{'descr': '<f2', 'fortran_order': False, 'shape': "
                "(2, 2), }", four, 8);
  expect_error ("float16", buf, n, 100, CFM_ERR_PARSE, "unsupported dtype 'f2'");
  n = make_npy (buf, "{'descr': '<c8', 'fortran_order': False, 'shape': "
                "(2,), }", four, 16);
  expect_error ("complex", buf, n, 100, CFM_ERR_PARSE, "unsupported dtype");
  n = make_npy (buf, "{'descr': [('a', '<f4')], 'fortran_order': False, "
                "'shape': (2,), }", four, 8);
  expect_error ("structured", buf, n, 100, CFM_ERR_PARSE, "structured");
  n = make_npy (buf, "{'descr': '<f4', 'fortran_order': False, 'shape': "
                "(99999999999, 99999999999, 99999999999), }", four, 16);
  expect_error ("overflowing shape", buf, n, (size_t) -1, CFM_ERR_SIZE,
                "overflows");
  n = make_npy (buf, "{'descr': '<f4', 'fortran_order': False, 'shape': "
                "(999999999999999999999999), }", four, 16);
  expect_error ("absurd dimension", buf, n, 100, CFM_ERR_SIZE,
                "absurdly large");
  n = make_npy (buf, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': "
                "(2, 2), }", four, 16);
  expect_error ("bad fortran_order", buf, n, 100, CFM_ERR_PARSE,
                "fortran_order");
  n = make_npy (buf, "{'descr': '<f4', 'shape': (2, 2), }", four, 16);
  expect_error ("missing key", buf, n, 100, CFM_ERR_PARSE, "lacks");
  n = make_npy (buf, "{'descr': '<f4', 'fortran_order': False, 'shape': "
                "(2, x), }", four, 16);
  expect_error ("malformed shape", buf, n, 100, CFM_ERR_PARSE,
                "malformed shape");

  /* A header that ends inside the dtype (found by fuzzing). */
  {
    static const char dict[] = "{'fortran_order': False, 'shape': (2,), "
                               "'descr': '";

    memcpy (buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = sizeof dict - 1;
    buf[9] = 0;
    memcpy (buf + 10, dict, sizeof dict - 1);
    expect_error ("header ends in the dtype", buf, 10 + sizeof dict - 1, 100,
                  CFM_ERR_PARSE, "malformed dtype");
  }

  /* Arrays that parse but are no kernels. */
  load_fixture ("npy/shape_5d.npy", &a);
  CHECK (cfm_bank_from_array (&a, &bank, &err) == CFM_ERR_SIZE,
         "5-D kernels accepted");
  CHECK_MSG (err.message, "this array has 5 dimensions");
  cfm_array_free (&a);
  load_fixture ("npy/nan.npy", &a);
  CHECK (cfm_bank_from_array (&a, &bank, &err) == CFM_ERR_VALUE,
         "NaN kernels accepted");
  CHECK_MSG (err.message, "kernel value 2 is NaN");
  cfm_array_free (&a);
}

static void
test_scalar (void)
{
  unsigned char buf[256];
  float one = 3.5f;
  size_t n = make_npy (buf, "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (), }", &one, 4);
  CfmArray a;
  CfmError err;

  CHECK (cfm_npy_parse (buf, n, 10, &a, &err) == CFM_OK && a.ndim == 0
         && a.count == 1 && a.data[0] == 3.5f, "scalar: %s", err.message);
  cfm_array_free (&a);
}

int
main (void)
{
  static const char *const same[] = {
    "npy/le_f4.npy", "npy/be_f4.npy", "npy/le_f8.npy", "npy/be_f8.npy",
    "npy/le_i2.npy", "npy/be_i4.npy", "npy/le_i8.npy", "npy/na_i1.npy",
    "npy/fortran.npy", "npy/v2.npy", "npy/v3.npy",
  };
  size_t i;

  for (i = 0; i < sizeof same / sizeof same[0]; i++)
    expect_array (same[i], 0.0f);
  expect_array ("npy/le_u1.npy", 60.0f);
  test_rejections ();
  test_scalar ();
  return test_finish ("npy");
}
