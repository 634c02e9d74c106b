/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_state_dicts.c: ordinary state dicts through the model readers: the
 * pickle fuzz target's seed, whose tensors are rebuilt just as the pickle
 * machine's value array grows, and, given the folder make_state_dicts.py
 * wrote, every torchvision classifier's state dict and training checkpoint
 * (tests/core/run-state-dicts.sh), each read as PyTorch's manifest says,
 * then opened with its print(model) text or refused with a message.
 *   test_state_dicts [FOLDER] */
#include "test_util.h"
#include "test_manifest.h"

#include "cfm_model.h"

#define FILE_MAX ((size_t) 4 << 30)
#define SEED "../fuzz/corpus/weights/growth-steps.pth"

/* FILE's bytes, or NULL with a failed check. */
static void *
read_or_fail (const char *path, size_t *len)
{
  void *data = NULL;
  CfmError err;

  if (cfm_file_read (path, FILE_MAX, &data, len, &err) != CFM_OK)
    {
      CHECK (0, "%s", err.message);
      return NULL;
    }
  return data;
}

/* The seed: tensors t0, t1, ... holding 0.25 times their index. */
static void
check_seed (void)
{
  CfmTensorSet set;
  CfmError err;
  size_t len, i, wrong = 0;
  void *data = read_or_fail (fixture_path (SEED), &len);

  if (data == NULL)
    return;
  CHECK (cfm_weights_read (data, len, &set, &err) == CFM_OK, "%s: %s", SEED,
         err.message);
  for (i = 0; i < set.n; i++)
    {
      char name[32];
      const CfmTensor *t;

      snprintf (name, sizeof name, "t%zu", i);
      t = cfm_tensors_find (&set, name);
      wrong += t == NULL || t->count != 1 || t->data[0] != 0.25f * (float) i;
    }
  CHECK (set.n > 1000 && wrong == 0, "%s: %zu tensors, %zu of them wrong",
         SEED, set.n, wrong);
  printf ("%s: %zu tensors read\n", SEED, set.n);
  cfm_tensors_free (&set);
  free (data);
}

/* DIR/NAME.txt as a string, or NULL. */
static char *
read_text (const char *dir, const char *name)
{
  char path[4096];
  size_t len;
  char *text, *z;

  snprintf (path, sizeof path, "%s/%s.txt", dir, name);
  text = read_or_fail (path, &len);
  if (text == NULL)
    return NULL;
  z = malloc (len + 1);
  memcpy (z, text, len);
  z[len] = '\0';
  free (text);
  return z;
}

/* DIR/FILE, a state dict of classifier NAME: its tensors as the manifest
 * says; with the print(model) text, a network or a refusal with a
 * message.  One check, passed or failed, for the file. */
static void
check_file (const char *dir, const char *name, const char *file,
            const char *text)
{
  int passed = test_passed, failed = test_failed;
  char path[4096], manifest[4096];
  CfmTensorSet set;
  CfmModel model;
  CfmError err;
  CfmStatus status;
  size_t len, n_tensors;
  void *data;

  snprintf (path, sizeof path, "%s/%s", dir, file);
  snprintf (manifest, sizeof manifest, "%s/%s-weights.txt", dir, name);
  if ((data = read_or_fail (path, &len)) == NULL)
    return;
  status = cfm_weights_read (data, len, &set, &err);
  CHECK (status == CFM_OK, "%s: %s", file, err.message);
  if (status == CFM_OK)
    check_manifest (manifest, file, &set, 1e-5);
  n_tensors = set.n;
  cfm_tensors_free (&set);
  err.message[0] = '\0';
  status = cfm_model_open (path, FILE_MAX, text, &model, &err);
  CHECK (status == CFM_OK || err.message[0] != '\0', "%s: refused with no "
         "message", file);
  if (status == CFM_OK)
    {
      const CfmNetwork *net = &model.net;

      /* a text whose first module the chain cannot take opens on its
       * graph alone */
      CHECK (net->n > 0 || model.graph.n_nodes > 0, "%s: neither a chain "
             "nor a graph", file);
      if (net->n > 0)
        printf ("%s: %zu tensors read; %d modules, %s to %s%s%s\n", file,
                n_tensors, net->n, net->modules[0].name,
                net->modules[net->n - 1].name, net->ended[0] ? ": " : "",
                net->ended);
      else
        printf ("%s: %zu tensors read; no chain (%s), a graph of %d "
                "nodes\n", file, n_tensors, net->ended, model.graph.n_nodes);
      cfm_model_free (&model);
    }
  else
    printf ("%s: %zu tensors read; the network refused: %s\n", file,
            n_tensors, err.message);
  free (data);
  test_passed = passed + (test_failed == failed);
}

/* Every classifier index.txt in DIR names. */
static void
check_folder (const char *dir)
{
  char path[4096], line[1024], name[256], kind[16];
  int files = 0;
  FILE *index;

  snprintf (path, sizeof path, "%s/index.txt", dir);
  index = fopen (path, "r");
  if (index == NULL)
    {
      CHECK (0, "no %s: run tests/fixtures/make_state_dicts.py %s", path,
             dir);
      return;
    }
  while (fgets (line, sizeof line, index))
    {
      char file[300], *text;

      if (sscanf (line, "%255s %15s", name, kind) != 2)
        continue;
      if ((text = read_text (dir, name)) == NULL)
        continue;
      snprintf (file, sizeof file, "%s.pth", name);
      check_file (dir, name, file, text);
      snprintf (file, sizeof file, "%s-checkpoint.pth", name);
      check_file (dir, name, file, text);
      files += 2;
      free (text);
    }
  fclose (index);
  CHECK (files > 0, "%s names no classifier", path);
}

int
main (int argc, char **argv)
{
  check_seed ();
  if (argc > 1)
    check_folder (argv[1]);
  return test_finish ("state_dicts");
}
