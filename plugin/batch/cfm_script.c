/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_script.c: the Script-Fu calls and programs for both GIMP dialects,
 * and the batch line (its API: cfm_script.h). */
#include "config.h"

#include <string.h>

#include "cfm_script.h"

/* GIMP 2.10's Script-Fu reads no string literal longer than 1024 bytes;
 * longer text (a print(model) text) goes in pieces joined by
 * string-append. */
#define LITERAL_BYTES_MAX 512

/* A Scheme string literal of the bytes [P, END), escaped. */
static void
append_literal (GString *s, const gchar *p, const gchar *end)
{
  g_string_append_c (s, '"');
  for (; p < end; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

/* TEXT as a Scheme string: a literal, or pieces of one, cut between
 * UTF-8 characters. */
static void
append_string (GString *s, const gchar *text)
{
  const gchar *p = text ? text : "", *end = p + strlen (p);

  if (end - p <= LITERAL_BYTES_MAX)
    {
      append_literal (s, p, end);
      return;
    }
  g_string_append (s, "(string-append");
  while (p < end)
    {
      const gchar *cut = end - p > LITERAL_BYTES_MAX ? p + LITERAL_BYTES_MAX
                                                     : end;

      while (cut < end && ((guchar) *cut & 0xC0) == 0x80)
        cut--;
      g_string_append_c (s, ' ');
      append_literal (s, p, cut);
      p = cut;
    }
  g_string_append_c (s, ')');
}

static void
append_value (GString *s, gint i, const CfmArgValue *v, gint gimp_major)
{
  const CfmArgSpec *spec = &cfm_arg_specs[i];
  gchar num[G_ASCII_DTOSTR_BUF_SIZE];

  switch (spec->type)
    {
    case CFM_TYPE_CHOICE:
      append_string (s, cfm_args_choice_nick ((CfmArgId) i, v->i));
      break;
    case CFM_TYPE_STRING:
    case CFM_TYPE_FILE:
      append_string (s, v->s);
      break;
    case CFM_TYPE_INT:
      g_string_append_printf (s, "%d", v->i);
      break;
    case CFM_TYPE_DOUBLE:
      g_ascii_formatd (num, sizeof num, "%.17g", v->d);
      g_string_append (s, num);
      if (!strpbrk (num, ".eEn"))
        g_string_append (s, ".0");
      break;
    case CFM_TYPE_BOOLEAN:
      if (gimp_major == 3)
        g_string_append (s, v->i ? "#t" : "#f");
      else
        g_string_append (s, v->i ? "TRUE" : "FALSE");
      break;
    }
}

void
cfm_script_changed (const CfmArgValues *vals, gboolean *set)
{
  CfmArgValues defaults;
  gint i;

  cfm_args_init (&defaults);
  for (i = 0; i < CFM_N_ARGS; i++)
    {
      const CfmArgValue *a = &vals->v[i], *b = &defaults.v[i];

      switch (cfm_arg_specs[i].type)
        {
        case CFM_TYPE_STRING:
        case CFM_TYPE_FILE:
          set[i] = g_strcmp0 (a->s ? a->s : "", b->s ? b->s : "") != 0;
          break;
        case CFM_TYPE_DOUBLE:
          set[i] = a->d != b->d;
          break;
        default:
          set[i] = a->i != b->i;
          break;
        }
    }
  cfm_args_clear (&defaults);
}

gchar *
cfm_script_batch_line (const CfmArgValues *vals)
{
  GString *s = g_string_new ("cnn-feature-maps-batch");
  gboolean set[CFM_N_ARGS];
  gint i;

  cfm_script_changed (vals, set);
  for (i = 0; i < CFM_N_ARGS; i++)
    {
      const CfmArgSpec *spec = &cfm_arg_specs[i];
      gchar *value, *arg, *quoted;

      if (!set[i])
        continue;
      value = cfm_args_value_text (vals, (CfmArgId) i);
      arg = g_strdup_printf ("%s=%s", spec->name, value);
      quoted = g_shell_quote (arg);
      g_string_append_printf (s, " --set %s", quoted);
      g_free (value);
      g_free (arg);
      g_free (quoted);
    }
  g_string_append (s, " IMAGE");
  return g_string_free (s, FALSE);
}

gchar *
cfm_script_call (const CfmArgValues *vals, const gboolean *set,
                 gint gimp_major)
{
  GString *s = g_string_new ("(" CFM_PROC_NAME);
  gint i;

  if (gimp_major == 3)
    g_string_append (s, " #:run-mode RUN-NONINTERACTIVE #:image image"
                        " #:drawables layers");
  else
    g_string_append (s, " RUN-NONINTERACTIVE image drawable");
  for (i = 0; i < CFM_N_ARGS; i++)
    {
      if (gimp_major == 3 && set && !set[i])
        continue;
      if (cfm_arg_specs[i].type == CFM_TYPE_FILE && gimp_major == 3
          && (vals->v[i].s == NULL || *vals->v[i].s == '\0'))
        continue;   /* GIMP 3 takes "no file" as the default only */
      g_string_append_c (s, ' ');
      if (gimp_major == 3)
        g_string_append_printf (s, "#:%s ", cfm_arg_specs[i].name);
      append_value (s, i, &vals->v[i], gimp_major);
    }
  g_string_append_c (s, ')');
  return g_string_free (s, FALSE);
}

/* Helpers of the program, in each dialect: printing a line, exporting a
 * layer to PNG, and listing (and exporting) the maps of a group. */
/* Printing a line (as a message on the console, in order with GIMP's own
 * error messages), a layer's name without its note, and the message of the
 * last error (GIMP 3.2 prints none of a call that fails under catch), in
 * both dialects. */
static const gchar prelude_common[] =
  "(define cfm-error \"\")\n"
  "(define cfm-predictions \"\")\n"
  "(define (cfm-print-lines prefix text n)\n"
  "  (let loop ((start 0) (i 0) (n n))\n"
  "    (cond ((or (= n 0) (>= i (string-length text))) #t)\n"
  "          ((char=? (string-ref text i) #\\newline)\n"
  "           (cfm-print prefix (substring text start i))\n"
  "           (loop (+ i 1) (+ i 1) (- n 1)))\n"
  "          (else (loop start (+ i 1) n)))))\n"
  "(define (cfm-error-hook . x)\n"
  "  (set! cfm-error (if (and (pair? x) (string? (car x))) (car x) \"\"))\n"
  "  (apply throw x))\n"
  "(define (cfm-print . items)\n"
  "  (gimp-message (apply string-append\n"
  "    (map (lambda (x) (if (number? x) (number->string x) x)) items))))\n"
  "(define (cfm-file-name name)\n"
  "  (let loop ((i 0))\n"
  "    (cond ((>= i (string-length name)) name)\n"
  "          ((and (char=? (string-ref name i) #\\()\n"
  "                (> i 0)) (substring name 0 (- i 1)))\n"
  "          (else (loop (+ i 1))))))\n"
;

static const gchar head3[] =
  "(script-fu-use-v3)\n"
  "(gimp-message-set-handler CONSOLE)\n";

static const gchar head2[] = "(gimp-message-set-handler 1)\n";

static const gchar prelude3[] =
  "(define (cfm-export image layer path)\n"
  "  (let* ((img (gimp-image-new (gimp-drawable-get-width layer)\n"
  "                              (gimp-drawable-get-height layer)\n"
  "                              (gimp-image-get-base-type image))))\n"
  "    (if (not (= (gimp-image-get-precision img)\n"
  "                (gimp-image-get-precision image)))\n"
  "        (gimp-image-convert-precision img\n"
  "                                      (gimp-image-get-precision image)))\n"
  "    (let ((copy (gimp-layer-new-from-drawable layer img)))\n"
  "      (gimp-image-insert-layer img copy 0 0)\n"
  "      (gimp-layer-set-offsets copy 0 0)\n"
  "      (gimp-file-save RUN-NONINTERACTIVE img path)\n"
  "      (gimp-image-delete img))))\n"
  "(define (cfm-dump image item dir)\n"
  "  (if (gimp-item-is-group item)\n"
  "      (for-each (lambda (c) (cfm-dump image c dir))\n"
  "                (vector->list (gimp-item-get-children item)))\n"
  "      (let ((name (gimp-item-get-name item))\n"
  "            (offsets (gimp-drawable-get-offsets item)))\n"
  "        (cfm-print \"CFM-LAYER\t\" name \"\t\" (car offsets) \"\t\"\n"
  "                   (cadr offsets) \"\t\" (gimp-drawable-get-width item)\n"
  "                   \"\t\" (gimp-drawable-get-height item))\n"
  "        (if (> (string-length dir) 0)\n"
  "            (cfm-export image item (string-append dir \"/\"\n"
  "                                    (cfm-file-name name) \".png\"))))))\n"
  "(define (cfm-new-groups image)\n"
  "  (let loop ((items (vector->list (gimp-image-get-layers image))))\n"
  "    (cond ((null? items) '())\n"
  "          ((and (gimp-item-is-group (car items))\n"
  "                (>= (string-length (gimp-item-get-name (car items))) 16)\n"
  "                (string=? (substring (gimp-item-get-name (car items)) 0 16)\n"
  "                          \"CNN Feature Maps\"))\n"
  "           (cons (car items) (loop (cdr items))))\n"
  "          (else (loop (cdr items))))))\n";

static const gchar prelude2[] =
  "(define (cfm-export image layer path)\n"
  "  (let* ((img (car (gimp-image-new (car (gimp-drawable-width layer))\n"
  "                                   (car (gimp-drawable-height layer))\n"
  "                                   (car (gimp-image-base-type image))))))\n"
  "    (if (not (= (car (gimp-image-get-precision img))\n"
  "                (car (gimp-image-get-precision image))))\n"
  "        (gimp-image-convert-precision img\n"
  "                                (car (gimp-image-get-precision image))))\n"
  "    (let ((copy (car (gimp-layer-new-from-drawable layer img))))\n"
  "      (gimp-image-insert-layer img copy 0 0)\n"
  "      (gimp-layer-set-offsets copy 0 0)\n"
  "      (file-png-save2 RUN-NONINTERACTIVE img copy path path\n"
  "                      0 9 0 0 0 0 0 0 0)\n"
  "      (gimp-image-delete img))))\n"
  "(define (cfm-dump image item dir)\n"
  "  (if (= (car (gimp-item-is-group item)) TRUE)\n"
  "      (for-each (lambda (c) (cfm-dump image c dir))\n"
  "                (vector->list (cadr (gimp-item-get-children item))))\n"
  "      (let ((name (car (gimp-item-get-name item)))\n"
  "            (offsets (gimp-drawable-offsets item)))\n"
  "        (cfm-print \"CFM-LAYER\t\" name \"\t\" (car offsets) \"\t\"\n"
  "                   (cadr offsets) \"\t\"\n"
  "                   (car (gimp-drawable-width item)) \"\t\"\n"
  "                   (car (gimp-drawable-height item)))\n"
  "        (if (> (string-length dir) 0)\n"
  "            (cfm-export image item (string-append dir \"/\"\n"
  "                                    (cfm-file-name name) \".png\"))))))\n"
  "(define (cfm-new-groups image)\n"
  "  (let loop ((items (vector->list (cadr (gimp-image-get-layers image)))))\n"
  "    (cond ((null? items) '())\n"
  "          ((and (= (car (gimp-item-is-group (car items))) TRUE)\n"
  "                (>= (string-length (car (gimp-item-get-name (car items))))\n"
  "                    16)\n"
  "                (string=? (substring (car (gimp-item-get-name (car items)))\n"
  "                                     0 16) \"CNN Feature Maps\"))\n"
  "           (cons (car items) (loop (cdr items))))\n"
  "          (else (loop (cdr items))))))\n";

static void
append_image (GString *s, const gchar *call, gint major, const gchar *image,
              const gchar *base, gboolean png, const gchar *const *before)
{
  gchar *xcf = g_strconcat (base, ".xcf", NULL);
  gchar *dir = png ? g_strconcat (base, "-maps", NULL) : g_strdup ("");
  gint i;

  g_string_append (s, "(catch (cfm-print \"CFM-FAILED \" ");
  append_string (s, image);
  g_string_append (s, ")\n (let* ((image ");
  if (major == 3)
    {
      g_string_append (s, "(gimp-file-load RUN-NONINTERACTIVE ");
      append_string (s, image);
      g_string_append (s, "))\n        (layers (gimp-image-get-selected-layers"
                          " image)))\n");
    }
  else
    {
      g_string_append (s, "(car (gimp-file-load RUN-NONINTERACTIVE ");
      append_string (s, image);
      g_string_append_c (s, ' ');
      append_string (s, image);
      g_string_append (s, ")))\n        (drawable (car "
                          "(gimp-image-get-active-drawable image)))\n"
                          "        (layers (vector drawable)))\n");
    }
  for (i = 0; before && before[i]; i++)
    g_string_append_printf (s, "  %s\n", before[i]);
  /* A failed call leaves the image as it was: say how many layers it has,
   * so that can be checked, and go on with the next image. */
  g_string_append_printf (s, "  (set! cfm-error \"\")\n"
                          "  (set! cfm-predictions \"\")\n"
                          "  (set! *error-hook* cfm-error-hook)\n"
                          "  (if (catch #f (begin (set! cfm-predictions %s%s%s)"
                          " #t))\n   (begin\n",
                          major == 3 ? "" : "(car ", call,
                          major == 3 ? "" : ")");
  g_string_append (s, "  (for-each (lambda (g) (cfm-dump image g ");
  append_string (s, dir);
  g_string_append (s, ")) (cfm-new-groups image))\n");
  /* the classifier's most probable classes, a line each */
  g_string_append (s, "  (cfm-print-lines (string-append \"CFM-PREDICTION\\t\" ");
  append_string (s, image);
  g_string_append_printf (s, " \"\\t\") cfm-predictions %d)\n",
                          CFM_SCRIPT_TOP_CLASSES);
  if (major == 3)
    g_string_append (s, "  (gimp-xcf-save RUN-NONINTERACTIVE image ");
  else
    g_string_append (s, "  (gimp-xcf-save RUN-NONINTERACTIVE image "
                        "(car (gimp-image-get-active-drawable image)) ");
  append_string (s, xcf);
  if (major != 3)
    {
      g_string_append_c (s, ' ');
      append_string (s, xcf);
    }
  g_string_append (s, ")\n  (cfm-print \"CFM-DONE \" ");
  append_string (s, xcf);
  g_string_append (s, "))\n   (cfm-print \"CFM-FAILED \" ");
  append_string (s, image);
  g_string_append_printf (s, " \"\\tlayers \" %s \"\\t\" cfm-error))\n"
                          "  (gimp-image-delete image)))\n",
                          major == 3
                          ? "(vector-length (gimp-image-get-layers image))"
                          : "(car (gimp-image-get-layers image))");
  g_free (xcf);
  g_free (dir);
}

gchar *
cfm_script_program (const CfmArgValues *vals, const gboolean *set,
                    gint gimp_major, const gchar *const *images,
                    const gchar *const *bases, gboolean png,
                    const gchar *const *before)
{
  GString *s = g_string_new (gimp_major == 3 ? head3 : head2);
  gchar *call = cfm_script_call (vals, set, gimp_major);
  gint i;

  g_string_append (s, prelude_common);
  g_string_append (s, gimp_major == 3 ? prelude3 : prelude2);
  for (i = 0; images[i]; i++)
    append_image (s, call, gimp_major, images[i], bases[i], png, before);
  g_free (call);
  return g_string_free (s, FALSE);
}
