/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_batch.c: cnn-feature-maps-batch, the plug-in from the command line.
 *
 * Runs plug-in-cnn-feature-maps on each image through gimp-console (GIMP 3
 * or 2.10, whichever is found), with any argument set by name, and writes an
 * XCF per image with the stacked layers and, on request, every map as a PNG
 * named after its layer.  gimp-console exits 0 even when a command failed,
 * so the generated script prints a line per finished image and this program
 * checks for it, exiting non-zero with GIMP's message otherwise. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cfm_args.h"
#include "cfm_i18n.h"
#include "cfm_script.h"

typedef struct
{
  CfmArgValues  vals;
  gboolean      set[CFM_N_ARGS];
  gchar        *gimp;
  gchar        *output;
  gchar        *predictions;   /* --predictions FILE, or NULL */
  gchar       **before;
  gboolean      png;
  gboolean      print_script;
  gboolean      print_call;
  gboolean      quiet;
  gboolean      markdown;
  gchar       **sets;      /* --set NAME=VALUE, as given */
  gchar       **images;
} Options;

static gchar *
find_gimp (void)
{
  static const gchar *const names[] = {
    "gimp-console-3.2", "gimp-console-3.0", "gimp-console-3",
    "gimp-console-2.10",
    "gimp-console", NULL
  };
  gint i;

  for (i = 0; names[i]; i++)
    {
      gchar *path = g_find_program_in_path (names[i]);

      if (path)
        return path;
    }
  return NULL;
}

/* 3 for GIMP 3, 2 for GIMP 2.10, from "gimp-console --version". */
static gint
gimp_major (const gchar *gimp, GError **error)
{
  const gchar *argv[] = { gimp, "--version", NULL };
  gchar *out = NULL;
  gint major = 0;

  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, &out, NULL, NULL, error))
    return 0;
  if (strstr (out, "version 3."))
    major = 3;
  else if (strstr (out, "version 2."))
    major = 2;
  else
    g_set_error (error, CFM_ERROR, 0, _("%s does not say which GIMP it is"),
                 gimp);
  g_free (out);
  return major;
}

/* Picks GIMP's error messages out of its output, line by line: the line
 * after "Calling error for procedure '...':" (GIMP 3 and 2.10), or the rest
 * of an "Error: " line.  Returns the newest message seen so far. */
static void
note_error (gchar **lines, gint i, gchar **message)
{
  const gchar *l = lines[i], *p;

  if (g_str_has_suffix (l, "':") && strstr (l, "error for procedure '")
      && lines[i + 1] && *lines[i + 1])
    p = lines[i + 1];
  else if ((p = strstr (l, "Error: ")) != NULL)
    p += 7;
  else
    return;
  g_free (*message);
  *message = g_strdup (p);
}

/* The error message the script appends to a CFM-FAILED line ("IMAGE\t
 * layers N\tMESSAGE"), cut off LINE; without the words GIMP puts before
 * a failed procedure's own message. */
static const gchar *
split_error (gchar *line)
{
  gchar *layers = strstr (line, "\tlayers "), *tab, *own;

  tab = layers ? strchr (layers + 1, '\t') : NULL;
  if (tab == NULL)
    return "";
  *tab = '\0';
  own = strstr (tab + 1, " failed: ");
  return own ? own + 9 : tab + 1;
}

/* Prints an image's failure, LINE being what follows "CFM-FAILED ", with
 * the MESSAGE GIMP printed (or NULL) or the one the script caught. */
static void
report_failure (const gchar *line, const gchar *message)
{
  gchar *failed = g_strdup (line);
  const gchar *said = split_error (failed);

  g_printerr (_("%s: %s\n"), failed,
              message ? message : *said ? said : _("GIMP gave no message"));
  g_free (failed);
}

/* VALUE; for a text argument given as @FILE, the file's text; for a file
 * argument, its absolute path (GIMP runs elsewhere). */
static gchar *
set_value (const gchar *name, const gchar *value, GError **error)
{
  gchar *text = NULL;
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    {
      if (strcmp (cfm_arg_specs[i].name, name) != 0)
        continue;
      if (cfm_arg_specs[i].type == CFM_TYPE_STRING && value[0] == '@')
        return g_file_get_contents (value + 1, &text, NULL, error) ? text
                                                                   : NULL;
      if (cfm_arg_specs[i].type == CFM_TYPE_FILE && value[0] != '\0')
        return g_canonicalize_filename (value, NULL);
    }
  return g_strdup (value);
}

static gboolean
parse_set (Options *o, const gchar *arg, GError **error)
{
  gchar **kv = g_strsplit (arg, "=", 2);
  gboolean ok = FALSE;
  gint i;

  if (kv[0] && kv[1])
    {
      gchar *value = set_value (kv[0], kv[1], error);

      ok = value && cfm_args_set_from_string (&o->vals, kv[0], value, error);
      g_free (value);
      for (i = 0; ok && i < CFM_N_ARGS; i++)
        if (strcmp (cfm_arg_specs[i].name, kv[0]) == 0)
          o->set[i] = TRUE;
    }
  else
    g_set_error (error, CFM_ERROR, 0, _("--set needs NAME=VALUE, not \"%s\""),
                 arg);
  g_strfreev (kv);
  return ok;
}

/* GIMP 3 refuses a file argument that does not exist before the plug-in
 * runs, with a message that names no file; say it clearly here. */
static gboolean
check_file (const Options *o, gint bank, CfmArgId id, GError **error)
{
  const gchar *path = o->vals.v[id].s;

  if (o->vals.v[CFM_ARG_FILTER_BANK].i != bank || path == NULL
      || *path == '\0' || g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  g_set_error (error, CFM_ERROR, 0, _("%s: cannot open \"%s\": no such "
                                      "file"), cfm_arg_specs[id].name, path);
  return FALSE;
}

static gchar *
output_base (const Options *o, const gchar *image)
{
  gchar *base = g_path_get_basename (image);
  gchar *dot = strrchr (base, '.');
  gchar *dir = o->output ? g_strdup (o->output) : g_path_get_dirname (image);
  gchar *path;

  if (dot && dot != base)
    *dot = '\0';
  path = g_build_filename (dir, base, NULL);
  g_free (base);
  g_free (dir);
  return path;
}

/* The header of the --predictions file; its rows are the script's
 * CFM-PREDICTION lines. */
#define PREDICTIONS_HEADER "image\trank\tclass\tprobability\tlabel\n"

/* Writes the predictions ROWS (image<TAB>a line of the procedure's
 * predictions) to O's --predictions file, with a header. */
static gboolean
write_predictions (const Options *o, const GString *rows)
{
  gchar *text = g_strconcat (PREDICTIONS_HEADER, rows->str, NULL);
  GError *error = NULL;
  gboolean ok = g_file_set_contents (o->predictions, text, -1, &error);

  if (!ok)
    {
      g_printerr ("%s\n", error->message);
      g_clear_error (&error);
    }
  else if (rows->len == 0)
    g_printerr (_("%s: no predictions: the network has no classifier\n"),
                o->predictions);
  g_free (text);
  return ok;
}

/* Runs the script; returns how many images failed, or -1. */
static gint
run_gimp (const Options *o, const gchar *script, gint major, gint n_images)
{
  const gchar *argv3[] = { o->gimp, "-i", "--batch-interpreter",
                           "plug-in-script-fu-eval", "-b", script, "--quit",
                           NULL };
  const gchar *argv2[] = { o->gimp, "-i", "-d", "-f", "-b", script, "-b",
                           "(gimp-quit 0)", NULL };
  gchar *out = NULL, *err = NULL, *all, **lines, *message = NULL;
  GString *predictions = g_string_new (NULL);
  GError *error = NULL;
  gint done = 0, failed = 0, i;

  if (!g_spawn_sync (NULL, (gchar **) (major == 3 ? argv3 : argv2), NULL,
                     G_SPAWN_DEFAULT, NULL, NULL, &out, &err, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      g_clear_error (&error);
      return -1;
    }
  all = g_strconcat (out, "\n", err, NULL);
  lines = g_strsplit (all, "\n", -1);
  for (i = 0; lines[i]; i++)
    {
      const gchar *l = strstr (lines[i], "CFM-");

      if (l == NULL)
        {
          /* The plug-in's own warnings (values clipped, and the like). */
          if (strstr (lines[i], "CNN Feature Maps-Warning: "))
            g_printerr ("%s\n", strstr (lines[i], "CNN Feature Maps-"));
          note_error (lines, i, &message);
          continue;
        }
      if (g_str_has_prefix (l, "CFM-DONE "))
        {
          done++;
          if (!o->quiet)
            g_print (_("wrote %s\n"), l + 9);
        }
      else if (g_str_has_prefix (l, "CFM-LAYER\t") && !o->quiet)
        g_print ("%s\n", l + 4);
      else if (g_str_has_prefix (l, "CFM-PREDICTION\t"))
        {
          if (!o->quiet)
            g_print ("%s\n", l + 4);
          g_string_append_printf (predictions, "%s\n",
                                  l + strlen ("CFM-PREDICTION\t"));
        }
      else if (g_str_has_prefix (l, "CFM-FAILED "))
        {
          report_failure (l + 11, message);
          g_clear_pointer (&message, g_free);
          failed++;
        }
    }
  if (done + failed < n_images)
    {
      g_printerr (_("GIMP stopped early: %s\n"),
                  message ? message : _("GIMP gave no message"));
      failed = n_images - done;
    }
  if (o->predictions && !write_predictions (o, predictions) && failed == 0)
    failed = n_images;
  g_string_free (predictions, TRUE);
  g_free (message);
  g_strfreev (lines);
  g_free (all);
  g_free (out);
  g_free (err);
  return failed;
}

/* The argument table as docs/usage.md shows it, made from cfm_arg_specs. */
static void
print_markdown (void)
{
  static const gchar *const types[] = {
    "choice", "string", "file (a path in 2.10)", "int", "double", "boolean"
  };
  gint i;

  g_print ("| # | name | type | default | meaning |\n"
           "|---|---|---|---|---|\n");
  for (i = 0; i < CFM_N_ARGS; i++)
    {
      const CfmArgSpec *spec = &cfm_arg_specs[i];
      gchar *described = cfm_args_describe (spec, TRUE);
      GString *def = g_string_new (NULL), *help = g_string_new (described);

      g_free (described);
      switch (spec->type)
        {
        case CFM_TYPE_CHOICE:
          g_string_append_printf (def, "`%s`",
                                  cfm_choice_nick (spec, (gint) spec->def));
          break;
        case CFM_TYPE_STRING:
        case CFM_TYPE_FILE:
          if (spec->def_str && *spec->def_str)
            g_string_append_printf (def, "`%s`", spec->def_str);
          else
            g_string_append (def, "empty");
          break;
        case CFM_TYPE_BOOLEAN:
          g_string_append (def, spec->def ? "TRUE" : "FALSE");
          break;
        default:
          g_string_append_printf (def, "%g", spec->def);
          break;
        }
      g_string_replace (help, "|", "\\|", 0);
      g_print ("| %d | `%s` | %s | %s | %s |\n", i + 4, spec->name,
               types[spec->type], def->str, help->str);
      g_string_free (def, TRUE);
      g_string_free (help, TRUE);
    }
}

/* Parses the command line into O; FALSE with a message in ERROR. */
static gboolean
parse_command_line (Options *o, gint *argc, gchar ***argv, GError **error)
{
  GOptionEntry entries[] = {
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &o->sets,
      N_("Set an argument of the procedure, e.g. filter-bank=sobel"),
      N_("NAME=VALUE") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output,
      N_("Folder for the results (default: beside each image)"),
      N_("DIR") },
    { "predictions", 0, 0, G_OPTION_ARG_FILENAME, &o->predictions,
      N_("Write the classifier's top classes for every image to FILE, "
         "tab-separated"), N_("FILE") },
    { "png", 'p', 0, G_OPTION_ARG_NONE, &o->png,
      N_("Also write every map as a PNG named after its layer"), NULL },
    { "gimp", 'g', 0, G_OPTION_ARG_FILENAME, &o->gimp,
      N_("The gimp-console to run (default: the newest found)"),
      N_("PATH") },
    { "before", 'b', 0, G_OPTION_ARG_STRING_ARRAY, &o->before,
      N_("A Script-Fu expression run on each image before the procedure; "
         "'image' and 'layers' are bound"), N_("EXPR") },
    { "print-script", 0, 0, G_OPTION_ARG_NONE, &o->print_script,
      N_("Print the Script-Fu program instead of running it"), NULL },
    { "print-call", 0, 0, G_OPTION_ARG_NONE, &o->print_call,
      N_("Print the procedure call for these settings and exit"), NULL },
    { "arguments-markdown", 0, 0, G_OPTION_ARG_NONE, &o->markdown,
      N_("Print the procedure's arguments as a Markdown table and exit"),
      NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet,
      N_("Print only errors"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->images,
      NULL, N_("IMAGE...") },
    { NULL }
  };
  GOptionContext *ctx = g_option_context_new (_("IMAGE... - add CNN feature "
                                                "maps to images with GIMP"));
  gboolean ok;
  gint i;

  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  ok = g_option_context_parse (ctx, argc, argv, error);
  g_option_context_free (ctx);
  for (i = 0; ok && o->sets && o->sets[i]; i++)
    ok = parse_set (o, o->sets[i], error);
  return ok && cfm_args_check (&o->vals, error)
         && check_file (o, CFM_BANK_FILE, CFM_ARG_KERNEL_FILE, error)
         && check_file (o, CFM_BANK_MODEL, CFM_ARG_MODEL_FILE, error);
}

static void
print_call (const Options *o)
{
  gchar *call3 = cfm_script_call (&o->vals, o->set, 3);
  gchar *call2 = cfm_script_call (&o->vals, o->set, 2);

  g_print ("GIMP 3:    %s\nGIMP 2.10: %s\n", call3, call2);
  g_free (call3);
  g_free (call2);
}

/* Runs the procedure on every image with GIMP MAJOR (or prints the
 * program); the exit status. */
static gint
run_images (Options *o, gint major)
{
  gint n_images = (gint) g_strv_length (o->images), failed, i;
  gchar **bases = g_new0 (gchar *, n_images + 1);
  gchar *script;

  for (i = 0; i < n_images; i++)
    bases[i] = output_base (o, o->images[i]);
  script = cfm_script_program (&o->vals, o->set, major,
                               (const gchar * const *) o->images,
                               (const gchar * const *) bases, o->png,
                               (const gchar * const *) o->before);
  if (o->print_script)
    {
      g_print ("%s\n", script);
      failed = 0;
    }
  else
    {
      if (o->output)
        g_mkdir_with_parents (o->output, 0755);
      for (i = 0; o->png && i < n_images; i++)
        {
          gchar *dir = g_strconcat (bases[i], "-maps", NULL);

          g_mkdir_with_parents (dir, 0755);
          g_free (dir);
        }
      failed = run_gimp (o, script, major, n_images);
    }
  g_free (script);
  g_strfreev (bases);
  return failed == 0 ? 0 : 1;
}

/* The exit status of a command line that asks for nothing to be run. */
#define EXIT_USAGE 2

int
main (int argc, char **argv)
{
  Options o = { 0 };
  GError *error = NULL;
  gint major = 3, status = 0;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  cfm_args_init (&o.vals);
  if (!parse_command_line (&o, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      status = EXIT_USAGE;
    }
  else if (o.markdown)
    print_markdown ();
  else if (o.print_call)
    print_call (&o);
  else
    {
      if (o.gimp == NULL)
        o.gimp = find_gimp ();
      if (o.gimp)
        major = gimp_major (o.gimp, &error);
      if (o.images == NULL || o.images[0] == NULL)
        {
          g_printerr (_("No image given. Usage: %s [--set NAME=VALUE]... "
                        "IMAGE...\n"), g_get_prgname ());
          status = EXIT_USAGE;
        }
      else if (o.gimp == NULL || major == 0)
        {
          g_printerr (_("No usable gimp-console found%s%s\n"),
                      error ? ": " : "", error ? error->message : "");
          status = EXIT_USAGE;
        }
      else
        status = run_images (&o, major);
    }
  g_strfreev (o.sets);
  g_strfreev (o.images);
  g_strfreev (o.before);
  g_free (o.gimp);
  g_free (o.output);
  g_free (o.predictions);
  g_clear_error (&error);
  cfm_args_clear (&o.vals);
  return status;
}
