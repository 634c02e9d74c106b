/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_graph_text_tree.c: print(model)'s text read as a tree of modules,
 * their paths, children and argument text, and which blocks add their
 * input (its API: cfm_graph_text_tree.h). */
#include "cfm_graph_text_tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_network_text.h"

/* Most modules a text may print: as many as a graph may have nodes. */
#define MAX_MODULES CFM_GRAPH_MAX_NODES

void
cfm_text_tree_free (CfmTextTree *t)
{
  int i;

  for (i = 0; i < t->n; i++)
    free (t->m[i].args);
  free (t->m);
  t->m = NULL;
  t->n = 0;
}

/* Adds a module of TYPE named NAME under PARENT (-1: the top). */
static CfmStatus
tree_add (CfmTextTree *t, int parent, const char *name, const char *type,
          const char *args, CfmError *err)
{
  CfmTextModule *m;
  const char *under = parent >= 0 ? t->m[parent].path : "";

  if (t->n >= MAX_MODULES)
    return cfm_error_set (err, CFM_ERR_SIZE, "the network text has more "
                          "than %d modules", MAX_MODULES);
  if (strlen (type) >= sizeof m->type
      || strlen (under) + strlen (name ? name : "") + 2 > sizeof m->path)
    return cfm_error_set (err, CFM_ERR_PARSE, "a module's name or type is "
                          "too long");
  m = &t->m[t->n];
  memset (m, 0, sizeof *m);
  memcpy (m->type, type, strlen (type) + 1);
  snprintf (m->path, sizeof m->path, "%s%s%s", under,
            under[0] && name ? "." : "", name ? name : "");
  m->parent = parent;
  m->first = m->next = m->last = -1;
  m->end = t->n;
  if (args && (m->args = strdup (args)) == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  if (parent >= 0)
    {
      if (t->m[parent].last >= 0)
        t->m[t->m[parent].last].next = t->n;
      else
        t->m[parent].first = t->n;
      t->m[parent].last = t->n;
    }
  t->n++;
  return CFM_OK;
}

/* Reads print(model)'s TEXT into T, its top module at index 0. */
CfmStatus
cfm_text_tree_read (const char *text, CfmTextTree *t, CfmError *err)
{
  int open[CFM_TEXT_TREE_MAX_DEPTH], depth = 0, i;
  const char *p = text;
  CfmStatus status = CFM_OK;

  t->n = 0;
  t->m = calloc (MAX_MODULES, sizeof *t->m);
  if (t->m == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  while (*p && status == CFM_OK)
    {
      const char *nl = strchr (p, '\n');
      size_t len = nl ? (size_t) (nl - p) : strlen (p);
      char line[CFM_TEXT_LINE_MAX];
      CfmTextLine l;
      int kind, parent = depth > 0 ? open[depth - 1] : -1;

      p += len + (nl != NULL);
      if (len >= sizeof line)
        return cfm_error_set (err, CFM_ERR_PARSE, "a line of the network "
                              "text is too long");
      memcpy (line, p - len - (nl != NULL), len);
      line[len] = '\0';
      kind = cfm_text_split_line (line, &l);
      if (kind == 0)
        continue;
      if (kind < 0)
        return cfm_error_set (err, CFM_ERR_PARSE, "this line is not one "
                              "print(model) writes: %.60s", line);
      if (l.closes)
        {
          if (depth == 0)
            return cfm_error_set (err, CFM_ERR_PARSE, "the text closes "
                                  "more modules than it opens");
          depth--;
          continue;
        }
      if ((parent < 0) != (l.name == NULL) || (parent < 0 && t->n > 0))
        return cfm_error_set (err, CFM_ERR_PARSE, "the text is not one "
                              "model printed: %.60s", line);
      status = tree_add (t, parent, l.name, l.type, l.opens ? NULL : l.args,
                         err);
      if (status == CFM_OK && l.opens)
        {
          if (depth >= CFM_TEXT_TREE_MAX_DEPTH)
            return cfm_error_set (err, CFM_ERR_PARSE, "the modules nest too "
                                  "deep");
          open[depth++] = t->n - 1;
        }
    }
  if (status == CFM_OK && t->n == 0)
    return cfm_error_set (err, CFM_ERR_PARSE, "no network text");
  for (i = t->n - 1; status == CFM_OK && i > 0; i--)   /* children last */
    if (t->m[t->m[i].parent].end < t->m[i].end)
      t->m[t->m[i].parent].end = t->m[i].end;
  return status;
}

/* The child of MOD named NAME, or -1. */
int
cfm_text_tree_child (const CfmTextTree *t, int mod, const char *name, size_t len)
{
  int c;

  for (c = t->m[mod].first; c >= 0; c = t->m[c].next)
    {
      const char *dot = strrchr (t->m[c].path, '.');
      const char *own = dot ? dot + 1 : t->m[c].path;

      if (strlen (own) == len && strncmp (own, name, len) == 0)
        return c;
    }
  return -1;
}

/* Whether block MOD adds its input to its output, as torchvision's
 * use_res_connect says: no convolution inside strides, and its first
 * convolution takes the channels its last one gives. */
int
cfm_text_tree_adds_input (const CfmTextTree *t, int mod)
{
  int i, first_in = 0, last_out = -1;

  for (i = mod + 1; i <= t->m[mod].end; i++)
    {
      CfmModule m;
      char args[CFM_TEXT_LINE_MAX];
      int usable;
      CfmError err;

      if (t->m[i].args == NULL || strcmp (t->m[i].type, "Conv2d") != 0)
        continue;
      memset (&m, 0, sizeof m);
      snprintf (m.type, sizeof m.type, "Conv2d");
      snprintf (args, sizeof args, "%s", t->m[i].args);
      if (cfm_text_read_module (&m, args, &usable, &err) != CFM_OK
          || m.stride[0] != 1 || m.stride[1] != 1)
        return 0;
      if (first_in == 0)
        first_in = m.in_c;
      last_out = m.out_c;
    }
  return first_in == last_out;
}

