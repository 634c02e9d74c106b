/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_bank.c: built-in banks, generators against numpy, filter and bias
 * lists. */
#include "test_util.h"

#include "cfm_bank.h"

static void
test_builtins (void)
{
  CfmBank b;
  CfmError err;
  int i;
  float sum;

  for (i = 0; cfm_bank_builtin_names[i] != NULL; i++)
    {
      CHECK (cfm_bank_builtin (cfm_bank_builtin_names[i], &b, &err) == CFM_OK,
             "%s: %s", cfm_bank_builtin_names[i], err.message);
      CHECK (b.c == 1 && b.n >= 1 && b.kh == b.kw, "%s shape",
             cfm_bank_builtin_names[i]);
      cfm_bank_free (&b);
    }
  CHECK (i == 9, "%d built-in banks", i);

  /* The tutorial's filter_1 and its three variants, written out. */
  cfm_bank_builtin ("tutorial", &b, &err);
  CHECK (b.n == 4 && b.kh == 4, "tutorial shape");
  for (i = 0; i < 16; i++)
    {
      int y = i / 4, x = i % 4;
      float f1 = x < 2 ? -1.0f : 1.0f, f3 = y < 2 ? -1.0f : 1.0f;

      CHECK (b.weights[i] == f1 && b.weights[16 + i] == -f1
             && b.weights[32 + i] == f3 && b.weights[48 + i] == -f3,
             "tutorial weight %d", i);
    }
  cfm_bank_free (&b);

  cfm_bank_builtin ("sobel", &b, &err);
  CHECK (b.n == 2 && b.weights[3] == -2.0f && b.weights[5] == 2.0f
         && b.weights[9 + 1] == -2.0f && b.weights[9 + 7] == 2.0f,
         "sobel x then y");
  cfm_bank_free (&b);
  cfm_bank_builtin ("gaussian", &b, &err);
  for (sum = 0, i = 0; i < 9; i++)
    sum += b.weights[i];
  CHECK (sum == 1.0f && b.weights[4] == 0.25f, "gaussian sums to 1");
  cfm_bank_free (&b);
  cfm_bank_builtin ("scharr", &b, &err);
  CHECK (b.weights[3] == -10.0f, "scharr");
  cfm_bank_free (&b);

  CHECK (cfm_bank_builtin ("gabor", &b, &err) == CFM_ERR_ARG, "unknown");
  CHECK_MSG (err.message, "unknown filter bank \"gabor\"");
}

static void
expect_expand (CfmExpand mode, const char *fixture)
{
  CfmArray base, ref;
  CfmBank in, out;
  CfmError err;
  size_t i;
  int same = 1;

  load_fixture ("expand_base.npy", &base);
  load_fixture (fixture, &ref);
  cfm_bank_from_array (&base, &in, &err);
  CHECK (cfm_bank_expand (&in, mode, &out, &err) == CFM_OK, "%s: %s",
         fixture, err.message);
  CHECK ((size_t) out.n == ref.shape[0] && out.kh == 5, "%s: %d kernels",
         fixture, out.n);
  for (i = 0; i < ref.count && (size_t) out.n == ref.shape[0]; i++)
    same &= out.weights[i] == ref.data[i];
  CHECK (same, "%s: kernels differ from numpy's", fixture);
  cfm_bank_free (&in);
  cfm_bank_free (&out);
  cfm_array_free (&base);
  cfm_array_free (&ref);
}

static void
test_expand (void)
{
  CfmBank in, out;
  CfmError err;

  expect_expand (CFM_EXPAND_NEGATE, "expand_negate.npy");
  expect_expand (CFM_EXPAND_TUTORIAL, "expand_tutorial.npy");
  expect_expand (CFM_EXPAND_ROTATIONS, "expand_rotations.npy");

  /* The tutorial builds its bank from filter_1 exactly this way. */
  cfm_bank_builtin ("tutorial", &in, &err);
  cfm_bank_init (&out, 1, 1, 4, 4, &err);
  memcpy (out.weights, in.weights, 16 * sizeof (float));
  {
    CfmBank grown;
    int same;

    cfm_bank_expand (&out, CFM_EXPAND_TUTORIAL, &grown, &err);
    same = memcmp (grown.weights, in.weights, 64 * sizeof (float)) == 0;
    CHECK (grown.n == 4 && same, "tutorial expansion of filter_1");
    cfm_bank_free (&grown);
  }
  cfm_bank_free (&out);
  cfm_bank_free (&in);

  cfm_bank_init (&in, 1, 1, 2, 3, &err);
  CHECK (cfm_bank_expand (&in, CFM_EXPAND_ROTATIONS, &out, &err)
         == CFM_ERR_ARG, "non-square rotation");
  CHECK_MSG (err.message, "need square kernels, these are 2x3");
  cfm_bank_free (&in);
  cfm_bank_init (&in, 40, 1, 3, 3, &err);
  CHECK (cfm_bank_expand (&in, CFM_EXPAND_ROTATIONS, &out, &err)
         == CFM_ERR_SIZE, "too many");
  CHECK_MSG (err.message, "more than 256");
  cfm_bank_free (&in);
}

static void
expect_list (const char *text, int n, const int *want, int want_count)
{
  int index[256], count, i, same;
  CfmError err;

  CHECK (cfm_filter_list_parse (text, n, index, &count, &err) == CFM_OK,
         "\"%s\": %s", text, err.message);
  same = count == want_count;
  for (i = 0; same && i < count; i++)
    same = index[i] == want[i];
  CHECK (same, "\"%s\" gave %d filters", text, count);
}

static void
expect_list_error (const char *text, int n, const char *needle)
{
  int index[256], count;
  CfmError err;

  cfm_error_clear (&err);
  CHECK (cfm_filter_list_parse (text, n, index, &count, &err) != CFM_OK,
         "\"%s\" accepted", text);
  CHECK_MSG (err.message, needle);
}

static void
test_lists (void)
{
  static const int all4[] = { 0, 1, 2, 3 }, two[] = { 1 };
  static const int some[] = { 0, 2, 3 };
  float bias[4];
  CfmError err;

  expect_list ("all", 4, all4, 4);
  expect_list ("", 4, all4, 4);
  expect_list (" 2 ", 4, two, 1);
  expect_list ("1,3-4", 4, some, 3);
  expect_list ("1, 3 - 4", 4, some, 3);
  expect_list_error ("0", 4, "filters 1 to 4");
  expect_list_error ("5-2", 4, "runs backwards");
  expect_list_error ("x", 4, "not a list");
  expect_list_error ("5", 4, "asks for 5");
  expect_list_error ("1,", 4, "not a list");
  expect_list_error ("2-", 4, "no end");
  expect_list_error ("1;2", 4, "unexpected \";\"");
  expect_list_error ("allx", 4, "not a list");
  expect_list_error ("1-4,1-4", 4, "more filters than");

  CHECK (cfm_bias_parse ("0.5", 4, bias, &err) == CFM_OK && bias[0] == 0.5f
         && bias[3] == 0.5f, "one bias for all");
  CHECK (cfm_bias_parse ("1, -2, 3e-1, 4", 4, bias, &err) == CFM_OK
         && bias[1] == -2.0f && bias[2] == 0.3f, "a bias each");
  CHECK (cfm_bias_parse ("", 4, bias, &err) == CFM_OK && bias[2] == 0.0f,
         "empty bias");
  CHECK (cfm_bias_parse ("1,2", 4, bias, &err) == CFM_ERR_ARG, "2 of 4");
  CHECK_MSG (err.message, "2 values given for 4 filters");
  CHECK (cfm_bias_parse ("1,,2", 4, bias, &err) == CFM_ERR_PARSE, "empty");
  CHECK (cfm_bias_parse ("nan", 4, bias, &err) == CFM_ERR_VALUE, "nan");
  CHECK_MSG (err.message, "finite");
  CHECK (cfm_bias_parse ("1 2", 4, bias, &err) == CFM_ERR_PARSE, "space");
}

static void
test_select_broadcast (void)
{
  CfmBank b, s, r;
  CfmError err;
  int idx[2] = { 3, 0 }, bad = 4;

  cfm_bank_builtin ("tutorial", &b, &err);
  CHECK (cfm_bank_select (&b, idx, 2, &s, &err) == CFM_OK && s.n == 2
         && memcmp (s.weights, b.weights + 48, 16 * sizeof (float)) == 0,
         "select 4,1");
  CHECK (cfm_bank_select (&b, &bad, 1, &r, &err) == CFM_ERR_ARG,
         "select 5");
  CHECK (cfm_bank_broadcast (&s, 3, &r, &err) == CFM_OK && r.c == 3
         && memcmp (r.weights + 32, s.weights, 16 * sizeof (float)) == 0
         && memcmp (r.weights + 48, s.weights + 16, 16 * sizeof (float))
            == 0, "broadcast over RGB");
  cfm_bank_free (&r);
  cfm_bank_free (&s);
  cfm_bank_free (&b);
  CHECK (cfm_bank_init (&b, 1, 1, 32, 3, &err) == CFM_ERR_SIZE, "32 rows");
  CHECK_MSG (err.message, "1x1 to 31x31, not 32x3");
  CHECK (cfm_bank_init (&b, 257, 1, 3, 3, &err) == CFM_ERR_SIZE, "257");
}

int
main (void)
{
  test_builtins ();
  test_expand ();
  test_lists ();
  test_select_broadcast ();
  return test_finish ("bank");
}
