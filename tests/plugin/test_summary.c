/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_summary.c: the dialogs' table of a model's modules.  A chain's
 * (vgg_bn, its block marked) and, for a network whose chain stops at its
 * first branch, its whole graph's: ResNet-18 of the graph fixtures (from
 * its state dict and print(model) text), every module with the size
 * PyTorch's forward hooks recorded for the fixtures' input size, the
 * chosen block marked (">", markup's "&gt;"), the residual adds and the
 * classifier listed, a branch's start ("<"), and
 * the blocks whose output a node computes named as modules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "cfm_model_summary.h"

/* The row of NAME in TABLE (a line whose name column is NAME), or NULL. */
static const char *
row_of (const char *table, const char *name)
{
  const char *line = table;

  while (line && *line)
    {
      const char *end = strchr (line, '\n');
      /* past the mark column: "&gt;" (">" as markup) or blanks */
      const char *p = line + (strncmp (line, "&gt;", 4) == 0 ? 4 : 2);

      while (*p == ' ')
        p++;
      if (strncmp (p, name, strlen (name)) == 0 && p[strlen (name)] == ' ')
        return line;
      line = end ? end + 1 : NULL;
    }
  return NULL;
}

/* Whether ROW (up to its line's end) holds TEXT. */
static int
row_has (const char *row, const char *text)
{
  const char *end = row ? strchr (row, '\n') : NULL;
  const char *at = row ? strstr (row, text) : NULL;

  return at && (end == NULL || at < end);
}

/* The graph fixture FAMILY's model from its state dict and print(model)
 * text, into MODEL; FALSE (a failure under CI) where the fixtures are
 * missing. */
static gboolean
open_graph_fixture (const char *family, CfmModel *model)
{
  const char *dir = getenv ("CFM_GRAPH_FIXTURES");
  char pth[512], text_path[512];
  CfmError err;
  gchar *text = NULL;
  gboolean ok;

  dir = dir ? dir : "/var/cache/cnn-feature-maps/graph-fixtures";
  snprintf (pth, sizeof pth, "%s/%s.pth", dir, family);
  snprintf (text_path, sizeof text_path, "%s/%s-model.txt", dir, family);
  if (!g_file_get_contents (text_path, &text, NULL, NULL))
    {
      CHECK (getenv ("CI") == NULL, "graph fixtures missing in %s", dir);
      return FALSE;
    }
  ok = cfm_model_open (pth, (size_t) 1 << 30, text, model, &err) == CFM_OK;
  CHECK (ok, "%s from its state dict: %s", family, err.message);
  g_free (text);
  return ok;
}

static void
check_graph_table (void)
{
  CfmModel model;
  gchar *table;

  if (!open_graph_fixture ("resnet18", &model))
    return;
  table = cfm_model_summary (&model, "layer1.0", 83, 67);
  CHECK (row_of (table, "conv1") && row_has (row_of (table, "conv1"),
                                             "64 x 34 x 42"),
         "conv1's row: %s", table);
  CHECK (row_has (row_of (table, "layer1.0"), "&gt;")
         && row_has (row_of (table, "layer1.0"), "64 x 17 x 21"),
         "the chosen block marked, its size");
  CHECK (!row_has (row_of (table, "layer1.1"), "&gt;"), "only it marked");
  CHECK (row_has (row_of (table, "layer2"), "128 x 9 x 11"),
         "a stage's row: layer2");
  CHECK (row_has (row_of (table, "layer4"), "512 x 3 x 3"),
         "the last stage: layer4");
  CHECK (row_has (row_of (table, "fc"), " 10"),
         "the classifier: fc, 10 classes");
  CHECK (strstr (table, "Add") != NULL, "the residual adds listed");
  CHECK (row_has (row_of (table, "maxpool"), "&lt;"),
         "where a branch leaves: maxpool's output read twice");
  if (getenv ("CFM_SUMMARY_PRINT"))
    printf ("%s\n", table);
  g_free (table);
  cfm_model_free (&model);
}

static void
check_chain_table (void)
{
  CfmModel model;
  CfmError err;
  gchar *text = NULL, *table;

  CHECK (g_file_get_contents (fixture_path ("networks/vgg_bn.txt"), &text,
                              NULL, NULL), "vgg_bn.txt");
  CHECK (cfm_model_open (fixture_path ("networks/vgg_bn.pth"),
                         (size_t) 1 << 30, text, &model, &err) == CFM_OK,
         "%s", err.message);
  g_free (text);
  table = cfm_model_summary (&model, "3", 96, 72);
  CHECK (row_has (row_of (table, "3"), "&gt;")
         && row_has (row_of (table, "3"), "Conv2d"),
         "a chain's block marked: %s", table);
  CHECK (!row_has (row_of (table, "0"), "&gt;"), "only its block");
  g_free (table);
  cfm_model_free (&model);
}

/* A state dict whose printed text starts with a block the chain does
 * not follow (MobileNetV2's features.0, a Conv2dNormActivation): the
 * model opens on its graph alone, takes 3 channels, and its summary is
 * the graph's table. */
static void
check_graph_only (void)
{
  CfmModel model;
  gchar *table;

  if (!open_graph_fixture ("mobilenet_v2", &model))
    return;
  CHECK (model.net.n == 0 && model.input_channels == 3,
         "no chain, the graph's 3 input channels: %d modules, %d",
         model.net.n, model.input_channels);
  table = cfm_model_summary (&model, "features.3", 83, 67);
  CHECK (row_has (row_of (table, "features.3"), "&gt;")
         && row_has (row_of (table, "features.3"), "x 17 x 21"),
         "features.3 marked, its size: %s", table);
  g_free (table);
  cfm_model_free (&model);
}

/* The position of NAME in NAMES, or -1. */
static gint
name_at (gchar **names, const gchar *name)
{
  gint i;

  for (i = 0; names[i]; i++)
    if (strcmp (names[i], name) == 0)
      return i;
  return -1;
}

/* The names the "layer" field completes: ResNet-18's modules and the
 * blocks they close (layer1.1, then layer1), each once, in forward order,
 * each one a layer the plan finds. */
static void
check_layer_names (void)
{
  CfmModel model;
  gchar **names;
  gint i, j, n;

  if (!open_graph_fixture ("resnet18", &model))
    return;
  names = cfm_model_layer_names (&model);
  n = (gint) g_strv_length (names);
  CHECK (name_at (names, "conv1") == 0, "conv1 first");
  CHECK (name_at (names, "layer1.0.conv1") > name_at (names, "maxpool")
         && name_at (names, "layer1.0") > name_at (names, "layer1.0.conv2")
         && name_at (names, "layer4.1") > name_at (names, "layer3.1")
         && name_at (names, "layer1") == name_at (names, "layer1.1") + 1
         && name_at (names, "fc") == n - 1, "in forward order (%d names)", n);
  for (i = 0; i < n; i++)
    {
      gint node = -1;
      CfmError err;

      for (j = i + 1; j < n; j++)
        CHECK (strcmp (names[i], names[j]) != 0, "%s twice", names[i]);
      CHECK (cfm_graph_layer (&model.graph, names[i], &node, &err) == CFM_OK,
             "%s finds its node", names[i]);
    }
  g_strfreev (names);
  cfm_model_free (&model);
}

int
main (void)
{
  check_layer_names ();
  check_chain_table ();
  check_graph_table ();
  check_graph_only ();
  return test_finish ("summary");
}
