/* cfm_args.h: the procedure's arguments, in one table.
 *
 * Both GIMP registrations, both dialogs, the batch command and the README's
 * argument table are made from cfm_arg_specs, so the builds cannot drift
 * apart.  Arguments are only ever appended: their order is the positional
 * interface of GIMP 2.10 scripts. */
#ifndef CFM_ARGS_H
#define CFM_ARGS_H

#include <glib.h>

#include "cfm_colormap.h"

#define CFM_PROC_NAME   "plug-in-cnn-feature-maps"
#define CFM_PLUGIN_NAME "cnn-feature-maps"
#define CFM_PARASITE    "cnn-feature-maps-args"

typedef enum
{
  CFM_TYPE_CHOICE,
  CFM_TYPE_STRING,
  CFM_TYPE_FILE,      /* a GFile in GIMP 3, a path string in 2.10 */
  CFM_TYPE_INT,
  CFM_TYPE_DOUBLE,
  CFM_TYPE_BOOLEAN
} CfmArgType;

typedef struct
{
  const gchar *nick;    /* what scripts pass */
  const gchar *label;   /* translatable */
} CfmChoice;

typedef struct
{
  const gchar     *name;      /* kebab-case, as GIMP names arguments */
  CfmArgType       type;
  const gchar     *label;     /* translatable, with mnemonic */
  const gchar     *help;      /* translatable */
  const gchar     *group;     /* dialog frame: translatable */
  gdouble          min, max, def;
  const gchar     *def_str;   /* default of STRING and FILE arguments */
  const CfmChoice *choices;   /* NULL-terminated, CHOICE only; the default
                                 is choices[def] */
} CfmArgSpec;

/* Indices into cfm_arg_specs and CfmArgValues.v, in procedure order. */
typedef enum
{
  CFM_ARG_FILTER_BANK,
  CFM_ARG_FILTERS,
  CFM_ARG_KERNELS,
  CFM_ARG_KERNEL_FILE,
  CFM_ARG_BIAS,
  CFM_ARG_INPUT,
  CFM_ARG_STRIDE,
  CFM_ARG_PADDING,
  CFM_ARG_PADDING_MODE,
  CFM_ARG_DILATION,
  CFM_ARG_SHOW_CONV,
  CFM_ARG_ACTIVATION,
  CFM_ARG_NEGATIVE_SLOPE,
  CFM_ARG_SHOW_ACTIVATION,
  CFM_ARG_POOL_TYPE,
  CFM_ARG_POOL_SIZE,
  CFM_ARG_POOL_STRIDE,
  CFM_ARG_SHOW_POOL,
  CFM_ARG_NORMALIZE,
  CFM_ARG_COLORMAP,
  CFM_ARG_ALIGN,
  CFM_ARG_EXPAND,
  CFM_ARG_KERNEL_SWATCHES,
  CFM_ARG_LEGEND,
  CFM_N_ARGS
} CfmArgId;

/* Choice values, in the order of their tables. */
enum { CFM_BANK_CUSTOM = 9, CFM_BANK_FILE = 10 };
enum { CFM_INPUT_LUMA, CFM_INPUT_LUMINANCE, CFM_INPUT_RED, CFM_INPUT_GREEN,
       CFM_INPUT_BLUE, CFM_INPUT_RGB };
enum { CFM_NORMALIZE_PER_MAP, CFM_NORMALIZE_PER_STAGE, CFM_NORMALIZE_NONE };

extern const CfmArgSpec cfm_arg_specs[CFM_N_ARGS];

/* The dialogs' own settings: what the live preview shows (a filter by its
 * number in the bank, a stage as CfmStage).  Not procedure arguments; GIMP
 * 3 keeps them as auxiliary arguments, the 2.10 build with its last
 * values. */
typedef enum
{
  CFM_PREVIEW_FILTER,
  CFM_PREVIEW_STAGE,
  CFM_N_PREVIEW_ARGS
} CfmPreviewArgId;

extern const CfmArgSpec cfm_preview_specs[CFM_N_PREVIEW_ARGS];

typedef union
{
  gint     i;   /* CHOICE (index), INT, BOOLEAN */
  gdouble  d;   /* DOUBLE */
  gchar   *s;   /* STRING, FILE (a path, or NULL) */
} CfmArgValue;

typedef struct
{
  CfmArgValue v[CFM_N_ARGS];
} CfmArgValues;

/* Sets every argument to its default (strings are g_strdup'ed). */
void cfm_args_init (CfmArgValues *vals);
void cfm_args_clear (CfmArgValues *vals);

/* The index of NICK among the choices of argument ID, or -1. */
gint cfm_args_choice_index (CfmArgId id, const gchar *nick);
const gchar *cfm_args_choice_nick (CfmArgId id, gint index);

/* Checks ranges and choice indices; the message names the argument. */
gboolean cfm_args_check (const CfmArgValues *vals, GError **error);

/* Argument ID's value as text, as --set NAME=VALUE takes it: a choice's
 * nick, a string as it is, "true"/"false", a number with '.'. */
gchar *cfm_args_value_text (const CfmArgValues *vals, CfmArgId id);

/* Every argument as "name=value" lines (strings escaped as C strings),
 * for last values and for the parasite the layer group carries. */
gchar *cfm_args_to_text (const CfmArgValues *vals);

/* Reads such lines back; unknown names and bad values are skipped. */
void cfm_args_from_text (CfmArgValues *vals, const gchar *text);

/* Sets argument NAME from TEXT ("sobel", "3", "true", "0.1"), as the batch
 * command's --set NAME=VALUE does. */
gboolean cfm_args_set_from_string (CfmArgValues *vals, const gchar *name,
                                   const gchar *text, GError **error);

GQuark cfm_error_quark (void);
#define CFM_ERROR (cfm_error_quark ())

#endif
