/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_onnx_cases.c: ONNX's own operator cases (the folder
 * tests/fixtures/make_onnx_cases.py writes): every case the core computes
 * against ONNX's reference within 1e-4 of each output's range, the others
 * refused with the words tests/core/onnx_cases_refused.txt lists. */
#include "test_graph.h"

/* Output K of case NAME (graph G, computed for INPUT) against ONNX's
 * reference, within 1e-4 of its range. */
static void
check_case_output (const char *dir, const char *name, const CfmGraph *g,
                   int k, const CfmArray *input)
{
  char file[600];
  CfmArray ref = { 0 };
  const CfmValue *v = &g->values[g->outputs[k]];
  Gathered got = { g->outputs[k], NULL, v->c, v->h, v->w, 0 };
  Gather gt = { &got, 1, 1 };
  Source src = { input };
  const float *values;
  size_t count = (size_t) v->c * v->h * v->w;
  CfmError err;

  snprintf (file, sizeof file, "%s-out-%d.npy", name, k);
  if (!load_npy (dir, file, &ref))
    return;
  if (v->kind == CFM_VALUE_CONST)   /* the shape arithmetic's */
    {
      values = v->tensor->data;
      count = v->tensor->count;
    }
  else
    {
      got.map = calloc (count + 1, sizeof (float));
      CHECK (cfm_graph_run (g, &got.value, 1, 2, read_rows, &src, gather_rows,
                            &gt, &err) == CFM_OK, "%s: %s", name, err.message);
      values = got.map;
    }
  CHECK (count == ref.count, "%s output %d: %zu values, ONNX's %zu", name, k,
         count, ref.count);
  if (count == ref.count)
    {
      double d = max_rel_diff (values, ref.data, ref.count);

      CHECK (d <= 1e-4, "%s output %d: off by %.3g of its range", name, k, d);
    }
  free (got.map);
  cfm_array_free (&ref);
}

/* The cases the core refuses, and the words of each message
 * (tests/core/onnx_cases_refused.txt). */
#define MAX_REFUSED 256

typedef struct
{
  char name[128], why[400];
} Refused;

static Refused refused_cases[MAX_REFUSED];
static int n_refused_cases;

static void
load_refused (void)
{
  char line[700];
  FILE *f = fopen (fixture_path ("../core/onnx_cases_refused.txt"), "r");

  CHECK (f != NULL, "cannot open onnx_cases_refused.txt");
  while (f && fgets (line, sizeof line, f) && n_refused_cases < MAX_REFUSED)
    {
      Refused *r = &refused_cases[n_refused_cases];
      char *tab = strchr (line, '\t');

      if (line[0] == '#' || tab == NULL)
        continue;
      *tab = '\0';
      tab[strcspn (tab + 1, "\n") + 1] = '\0';
      snprintf (r->name, sizeof r->name, "%.127s", line);
      snprintf (r->why, sizeof r->why, "%.399s", tab + 1);
      n_refused_cases++;
    }
  if (f)
    fclose (f);
}

static const Refused *
refused_case (const char *name)
{
  int i;

  for (i = 0; i < n_refused_cases; i++)
    if (strcmp (refused_cases[i].name, name) == 0)
      return &refused_cases[i];
  return NULL;
}

/* Case NAME of K outputs: computed as ONNX's reference does, or refused
 * as onnx_cases_refused.txt says (the cases outside what the core
 * computes). */
static int
test_case (const char *dir, const char *name, int k)
{
  char path[4096], file[600], why[CFM_ERROR_MAX] = "";
  CfmArray input = { 0 };
  CfmGraph g;
  CfmTensorSet w;
  CfmError err;
  void *data = NULL;
  size_t len;
  int i, ran = 0;

  snprintf (path, sizeof path, "%s/%s.onnx", dir, name);
  snprintf (file, sizeof file, "%s-in.npy", name);
  if (!load_npy (dir, file, &input))
    return 0;
  if (cfm_file_read (path, (size_t) 1 << 30, &data, &len, &err) != CFM_OK
      || cfm_graph_read_onnx (data, len, &g, &w, &err) != CFM_OK)
    snprintf (why, sizeof why, "%s", err.message);
  else
    {
      if (cfm_graph_shapes (&g, (int) input.shape[0], (int) input.shape[1],
                            (int) input.shape[2], &err) != CFM_OK)
        snprintf (why, sizeof why, "%s", err.message);
      for (i = 0; !why[0] && i < g.n_nodes; i++)
        cfm_graph_node_runs (&g, i, why);
      CHECK (why[0] || g.n_outputs == k, "%s: %d outputs of %d", name,
             g.n_outputs, k);
      for (i = 0; !why[0] && i < g.n_outputs; i++)
        check_case_output (dir, name, &g, i, &input);
      ran = !why[0];
      cfm_graph_free (&g);
      cfm_tensors_free (&w);
    }
  free (data);
  if (!ran)
    {
      const Refused *r = refused_case (name);

      printf ("refused %s: %s\n", name, why);
      CHECK (r != NULL, "%s is refused, and not listed as refused", name);
      if (r)
        CHECK_MSG (why, r->why);
    }
  else
    CHECK (refused_case (name) == NULL, "%s is listed as refused, and runs",
           name);
  cfm_array_free (&input);
  return ran;
}

static void
test_cases (const char *dir)
{
  char path[4096], line[1024], name[512];
  int k, ran = 0, refused = 0;
  FILE *f;

  snprintf (path, sizeof path, "%s/cases.txt", dir);
  f = fopen (path, "r");
  CHECK (f != NULL, "cannot open %s", path);
  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "case %511s %d", name, &k) == 2)
      {
        if (test_case (dir, name, k))
          ran++;
        else
          refused++;
      }
  printf ("ONNX's cases: %d computed, %d refused\n", ran, refused);
  if (f)
    fclose (f);
}

int
main (int argc, char **argv)
{
  load_refused ();
  CHECK (n_refused_cases > 0, "no refused case listed");
  if (argc > 2 && strcmp (argv[1], "--onnx-cases") == 0)
    test_cases (argv[2]);
  return test_finish ("onnx_cases");
}
