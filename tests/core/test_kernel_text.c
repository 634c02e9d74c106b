/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_kernel_text.c: every kernel-text syntax, and every rejection with
 * its message. */
#include "test_util.h"

#include <locale.h>

#include "cfm_kernel_text.h"

static const float tutorial_bank[4][16] = {
  { -1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1 },
  { 1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1 },
  { -1, -1, -1, -1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1, 1, 1 },
  { 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1, -1 },
};

/* Parses TEXT and checks the shape and the first values. */
static void
expect_bank (const char *what, const char *text, int n, int c, int kh,
             int kw, const float *values, int count)
{
  CfmBank bank;
  CfmError err;
  int i, same = 1;

  cfm_error_clear (&err);
  if (cfm_kernel_text_parse (text, &bank, &err) != CFM_OK)
    {
      CHECK (0, "%s: refused: %s", what, err.message);
      return;
    }
  CHECK (bank.n == n && bank.c == c && bank.kh == kh && bank.kw == kw,
         "%s: shape (%d, %d, %d, %d), expected (%d, %d, %d, %d)", what,
         bank.n, bank.c, bank.kh, bank.kw, n, c, kh, kw);
  for (i = 0; i < count && i < (int) cfm_bank_kernel_size (&bank) * bank.n;
       i++)
    same &= bank.weights[i] == values[i];
  CHECK (same, "%s: values differ", what);
  cfm_bank_free (&bank);
}

static void
expect_error (const char *text, CfmStatus status, const char *needle)
{
  CfmBank bank;
  CfmError err;
  CfmStatus got;

  cfm_error_clear (&err);
  got = cfm_kernel_text_parse (text, &bank, &err);
  CHECK (got == status, "\"%s\": status %d, expected %d", text, got, status);
  CHECK_MSG (err.message, needle);
  CHECK (bank.weights == NULL, "\"%s\": a refused parse left weights", text);
}

static char *
read_text (const char *name)
{
  CfmError err;
  void *data;
  size_t len;
  char *text;

  if (cfm_file_read (fixture_path (name), 1 << 20, &data, &len, &err)
      != CFM_OK)
    {
      fprintf (stderr, "%s\n", err.message);
      exit (2);
    }
  text = realloc (data, len + 1);
  text[len] = '\0';
  return text;
}

static void
test_plain (void)
{
  static const float k22[] = { 1, 2, 3, 4 };
  static const float two[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  static const float fr[] = { 0.5f, -1.25f, 1e-3f, 2 };

  expect_bank ("rows on lines", "1 2\n3 4\n", 1, 1, 2, 2, k22, 4);
  expect_bank ("commas and semicolons", "1,2;3,4", 1, 1, 2, 2, k22, 4);
  expect_bank ("semicolon then newline", "1 2;\n3 4;\n", 1, 1, 2, 2, k22, 4);
  expect_bank ("blank line between kernels", "1 2\n3 4\n\n5 6\n7 8", 2, 1, 2,
               2, two, 8);
  expect_bank ("bar between kernels", "1 2; 3 4 | 5 6; 7 8", 2, 1, 2, 2,
               two, 8);
  expect_bank ("CRLF, tabs, comments", "# edge\r\n1\t2\r\n3 4 # row 2\r\n",
               1, 1, 2, 2, k22, 4);
  expect_bank ("decimals and exponents", "0.5 -1.25\n1e-3 2.", 1, 1, 2, 2,
               fr, 4);
  expect_bank ("one row", "1 2 3 4", 1, 1, 1, 4, k22, 4);
  expect_bank ("tutorial", "-1 -1 1 1\n-1 -1 1 1\n-1 -1 1 1\n-1 -1 1 1",
               1, 1, 4, 4, tutorial_bank[0], 16);
}

static void
test_brackets (void)
{
  static const float k22[] = { 1, 2, 3, 4 };
  static const float k3[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
  char *text;

  expect_bank ("python list", "[[1, 2], [3, 4]]", 1, 1, 2, 2, k22, 4);
  expect_bank ("numpy print", "[[1 2]\n [3 4]]", 1, 1, 2, 2, k22, 4);
  expect_bank ("numpy array repr", "array([[1., 2.],\n       [3., 4.]], "
               "dtype=float32)", 1, 1, 2, 2, k22, 4);
  expect_bank ("three levels", "[[[1,2],[3,4]],[[5,6],[7,8]],[[9,10],"
               "[11,12]]]", 3, 1, 2, 2, k3, 12);
  expect_bank ("four levels, 3 channels", "[[[[1,2],[3,4]],[[5,6],[7,8]],"
               "[[9,10],[11,12]]]]", 1, 3, 2, 2, k3, 12);
  expect_bank ("name before", "conv1.weight = [[1, 2], [3, 4]]", 1, 1, 2, 2,
               k22, 4);
  expect_bank ("one level", "[1, 2, 3, 4]", 1, 1, 1, 4, k22, 4);

  text = read_text ("torch_print.txt");
  expect_bank ("print(model.conv.weight)", text, 4, 1, 4, 4,
               &tutorial_bank[0][0], 64);
  free (text);
  text = read_text ("numpy_print.txt");
  expect_bank ("print(filters)", text, 4, 1, 4, 4, &tutorial_bank[0][0], 64);
  free (text);
  expect_bank ("tensor on cuda", "tensor([[[[1., 2.], [3., 4.]]]], "
               "device='cuda:0', grad_fn=<CopyBackwards>)", 1, 1, 2, 2, k22,
               4);
}

static void
test_rejections (void)
{
  expect_error ("", CFM_ERR_PARSE, "holds no numbers");
  expect_error ("  \n\n # only a comment\n", CFM_ERR_PARSE,
                "holds no numbers");
  expect_error ("1 2\n3", CFM_ERR_PARSE, "row 2 has 1 values but row 1 has 2");
  expect_error ("1 2\n3 4\n\n1 2 3", CFM_ERR_PARSE,
                "kernel 2 is 1x3 but kernel 1 is 2x2");
  expect_error ("1 x 2", CFM_ERR_PARSE, "line 1: unexpected \"x 2\"");
  expect_error ("1 2\n3 nan", CFM_ERR_VALUE, "value 4 is NaN");
  expect_error ("[[1, inf]]", CFM_ERR_VALUE, "value 2 is infinite");
  expect_error ("1e39 1", CFM_ERR_VALUE, "infinite or too large");
  expect_error ("[[1, 2], [3]]", CFM_ERR_PARSE, "ragged");
  expect_error ("[[1, 2], 3]", CFM_ERR_PARSE, "mix numbers and lists");
  expect_error ("[[1, 2]", CFM_ERR_PARSE, "never closed");
  expect_error ("[]", CFM_ERR_PARSE, "empty list");
  expect_error ("[[[[[1]]]]]", CFM_ERR_PARSE, "deeper than");
  expect_error ("[[1, 2]] [[3, 4]]", CFM_ERR_PARSE, "more than one");
  expect_error ("5 [[1, 2]]", CFM_ERR_PARSE, "numbers before the first");
  expect_error ("[[1, a]]", CFM_ERR_PARSE, "unexpected \"a]]\"");
  expect_error ("[[1.5.2]]", CFM_ERR_PARSE, "after a number");
  expect_error ("tensor([[ 1., 2., ..., 9.]])", CFM_ERR_PARSE,
                "abbreviated");
  /* 32 values in a row: wider than the largest kernel. */
  expect_error ("1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 "
                "1 1", CFM_ERR_SIZE, "beyond the limits");
}

static void
test_locale (void)
{
  static const float half[] = { 0.5f, 1.5f };

  /* A host that set a comma-decimal locale must still read "0.5". */
  if (setlocale (LC_NUMERIC, "de_DE.UTF-8") == NULL
      && setlocale (LC_NUMERIC, "fr_FR.UTF-8") == NULL)
    {
      printf ("(no comma-decimal locale installed; locale check skipped)\n");
      return;
    }
  expect_bank ("comma-decimal locale", "0.5 1.5", 1, 1, 1, 2, half, 2);
  setlocale (LC_NUMERIC, "C");
}

static void
test_files (void)
{
  static const float k22[] = { 1, 2, 3, 4 };
  CfmBank bank;
  CfmError err;
  FILE *f;
  const char *text_path = "kernel_text_test.txt";

  f = fopen (text_path, "w");
  fputs ("1 2\n3 4\n", f);
  fclose (f);
  CHECK (cfm_kernel_file_load (text_path, &bank, &err) == CFM_OK
         && bank.n == 1 && bank.kh == 2 && bank.weights[3] == k22[3],
         "text file: %s", err.message);
  cfm_bank_free (&bank);
  remove (text_path);

  CHECK (cfm_kernel_file_load (fixture_path ("npy/kernel_2d.npy"), &bank,
                               &err) == CFM_OK && bank.kh == 2
         && bank.kw == 2 && bank.weights[2] == 3.0f, "npy file: %s",
         err.message);
  cfm_bank_free (&bank);

  CHECK (cfm_kernel_file_load ("/nonexistent/k.npy", &bank, &err)
         == CFM_ERR_IO, "missing file");
  CHECK_MSG (err.message, "cannot open \"/nonexistent/k.npy\"");
  CHECK (cfm_kernel_file_load (".", &bank, &err) == CFM_ERR_IO,
         "a directory");
  CHECK_MSG (err.message, "cannot read");
  CHECK (cfm_kernel_file_load (fixture_path ("npy/f2.npy"), &bank, &err)
         == CFM_ERR_PARSE, "float16 file");
  CHECK_MSG (err.message, "unsupported dtype 'f2'");
  CHECK (cfm_kernel_file_load (fixture_path ("../data/chelsea.png"), &bank,
                               &err) == CFM_ERR_PARSE, "a PNG is no kernel");
  CHECK_MSG (err.message, "neither a .npy file nor kernel text");
  CHECK (cfm_kernel_file_load (fixture_path ("photo_rgb.npy"), &bank, &err)
         == CFM_ERR_SIZE, "a photo is no kernel");
  CHECK_MSG (err.message, "beyond the limits");
}

int
main (void)
{
  test_plain ();
  test_brackets ();
  test_rejections ();
  test_locale ();
  test_files ();
  return test_finish ("kernel_text");
}
