/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_network_text.c: a network's chain of modules from the text
 * print(model) writes (its API: cfm_network.h), and its lines split for
 * the graph's reader (cfm_network_text.h).  Line by line, with the
 * containers' names on an explicit stack, so no text can drive a
 * recursion; each leaf's arguments are read by cfm_module_text.c. */
#include "cfm_network.h"
#include "cfm_network_text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define LINE_MAX_LEN 4096   /* a printed line */

/* The containers whose forward is their children in order. */
static int
is_chain (const char *type, int top)
{
  return top || strcmp (type, "Sequential") == 0
         || strcmp (type, "ModuleList") == 0;
}

typedef struct
{
  char names[MAX_DEPTH][CFM_NETWORK_NAME_MAX];
  int  depth;
} Path;

/* The dotted name of child NAME under PATH. */
static int
dotted (const Path *path, const char *name, char *out)
{
  size_t at = 0;
  int i;

  out[0] = '\0';
  for (i = 1; i < path->depth; i++)   /* the top container has no name */
    {
      size_t n = strlen (path->names[i]) + 1;

      if (at + n >= CFM_NETWORK_NAME_MAX)
        return 0;   /* a path longer than a name holds */
      snprintf (out + at, CFM_NETWORK_NAME_MAX - at, "%s.", path->names[i]);
      at += n;
    }
  return at + strlen (name) < CFM_NETWORK_NAME_MAX
         && snprintf (out + at, CFM_NETWORK_NAME_MAX - at, "%s", name) > 0;
}

/* Splits a line "(name): Type(args)" / "(name): Type(" / "Type(" / ")". */
static int
split_line (char *line, char **name, char **type, char **args, int *opens)
{
  char *p = line, *paren, *end;

  *name = NULL;
  while (*p == ' ')
    p++;
  if (*p == '(')
    {
      *name = p + 1;
      p = strstr (p, "): ");
      if (p == NULL)
        return 0;
      *p = '\0';
      p += 3;
    }
  *type = p;
  paren = strchr (p, '(');
  if (paren == NULL)
    return 0;
  *paren = '\0';
  *args = paren + 1;
  end = *args + strlen (*args);
  while (end > *args && (end[-1] == ' ' || end[-1] == '\r'))
    *--end = '\0';
  *opens = end == *args;
  if (!*opens)
    {
      if (end[-1] != ')')
        return 0;
      end[-1] = '\0';
    }
  for (p = *type; *p; p++)
    if (!isalnum ((unsigned char) *p) && *p != '_')
      return 0;
  return 1;
}

static CfmStatus
add_leaf (CfmNetwork *net, const Path *path, const char *name,
          const char *type, char *args, CfmError *err)
{
  CfmModule *m;
  int usable;
  CfmStatus status;

  if (net->n >= CFM_NETWORK_MAX_MODULES)
    return cfm_error_set (err, CFM_ERR_SIZE, "the network has more than %d "
                          "modules", CFM_NETWORK_MAX_MODULES);
  m = &net->modules[net->n];
  memset (m, 0, sizeof *m);
  if (!dotted (path, name ? name : "", m->name))
    return cfm_error_set (err, CFM_ERR_PARSE, "a module's name is too long");
  if (strlen (type) >= sizeof m->type)
    return cfm_error_set (err, CFM_ERR_PARSE, "a module type is too long");
  memcpy (m->type, type, strlen (type) + 1);
  status = cfm_text_read_module (m, args, &usable, err);
  if (status != CFM_OK)
    return status;
  if (!usable)
    {
      snprintf (net->ended, sizeof net->ended, "the chain ends at %s (%s), "
                "which cannot be followed", m->name, m->type);
      return CFM_OK;
    }
  net->n++;
  return CFM_OK;
}

/* Reads one line of the text. */
static CfmStatus
read_line (CfmNetwork *net, Path *path, char *line, CfmError *err)
{
  char *name, *type, *args, *p = line;
  int opens;

  while (*p == ' ')
    p++;
  if (*p == '\0')
    return CFM_OK;
  if (*p == ')')
    {
      if (path->depth == 0)
        return cfm_error_set (err, CFM_ERR_PARSE, "the text closes more "
                              "modules than it opens");
      path->depth--;
      return CFM_OK;
    }
  if (!split_line (line, &name, &type, &args, &opens))
    return cfm_error_set (err, CFM_ERR_PARSE, "this line is not one "
                          "print(model) writes: %.60s", p);
  if (!opens)
    return add_leaf (net, path, name, type, args, err);
  if (path->depth >= MAX_DEPTH)
    return cfm_error_set (err, CFM_ERR_PARSE, "the modules nest too deep");
  if (!is_chain (type, path->depth == 0))
    {
      char full[CFM_NETWORK_NAME_MAX];

      dotted (path, name ? name : "", full);
      snprintf (net->ended, sizeof net->ended, "the chain ends at %s (%.40s), "
                "a block whose forward is not its modules in order", full,
                type);
    }
  snprintf (path->names[path->depth++], CFM_NETWORK_NAME_MAX, "%s",
            name ? name : "");
  return CFM_OK;
}

CfmStatus
cfm_network_parse (const char *text, CfmNetwork *net, CfmError *err)
{
  Path path;
  const char *p = text;
  CfmStatus status = CFM_OK;

  memset (net, 0, sizeof *net);
  path.depth = 0;
  if (text == NULL)
    return cfm_error_set (err, CFM_ERR_PARSE, "no network text");
  net->modules = calloc (CFM_NETWORK_MAX_MODULES, sizeof *net->modules);
  if (net->modules == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  while (*p && status == CFM_OK && net->ended[0] == '\0')
    {
      const char *nl = strchr (p, '\n');
      size_t len = nl ? (size_t) (nl - p) : strlen (p);
      char line[LINE_MAX_LEN];

      if (len >= sizeof line)
        status = cfm_error_set (err, CFM_ERR_PARSE, "a line of the network "
                                "text is too long");
      else
        {
          memcpy (line, p, len);
          line[len] = '\0';
          status = read_line (net, &path, line, err);
        }
      p += len + (nl != NULL);
    }
  if (status == CFM_OK && net->n == 0)
    status = cfm_error_set (err, CFM_ERR_PARSE, "the network text holds no "
                            "module the chain can use%s%s",
                            net->ended[0] ? ": " : "", net->ended);
  if (status != CFM_OK)
    cfm_network_free (net);
  return status;
}

void
cfm_network_free (CfmNetwork *net)
{
  free (net->modules);
  net->modules = NULL;
  net->n = 0;
}

/* ---- what the graph's text reader shares ------------------------------- */

int
cfm_text_split_line (char *line, CfmTextLine *out)
{
  char *p = line;

  memset (out, 0, sizeof *out);
  while (*p == ' ')
    p++;
  if (*p == '\0')
    return 0;
  if (*p == ')')
    {
      out->closes = 1;
      return 1;
    }
  return split_line (line, &out->name, &out->type, &out->args, &out->opens)
         ? 1 : -1;
}
