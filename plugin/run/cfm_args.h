/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_args.h: the procedure's arguments, in one table.
 *
 * Both GIMP registrations, both dialogs, the batch command and docs/usage.md's
 * argument table are made from cfm_arg_specs, so the builds cannot drift
 * apart.  Arguments are only ever appended: their order is the positional
 * interface of GIMP 2.10 scripts. */
#ifndef CFM_ARGS_H
#define CFM_ARGS_H

#include <glib.h>

#include "cfm_activation.h"
#include "cfm_bank.h"
#include "cfm_cam.h"
#include "cfm_colormap.h"
#include "cfm_geometry.h"
#include "cfm_pipeline.h"

#define CFM_PROC_NAME   "plug-in-cnn-feature-maps"
#define CFM_PLUGIN_NAME "cnn-feature-maps"
#define CFM_PARASITE    "cnn-feature-maps-args"
/* The run's source for the probe (cfm_recipe.h). */
#define CFM_SOURCE_PARASITE "cnn-feature-maps-source"

/* The largest "input-size": a shorter side of 4096 pixels is past any
 * classifier's training size, and keeps the resized input's own memory
 * within what the run already allows for the photo. */
#define CFM_INPUT_SIZE_MAX 4096

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
  gint         value;   /* what the code sees: an enum of the core or
                           below */
} CfmChoice;

#ifndef N_
#define N_(String) (String)   /* as gi18n-lib.h marks text to translate */
#endif

/* The dialog frames arguments are grouped in (translatable). */
#define CFM_GROUP_FILTERS    N_("Filters")
#define CFM_GROUP_CONV       N_("Convolution")
#define CFM_GROUP_ACTIVATION N_("Activation")
#define CFM_GROUP_POOLING    N_("Pooling")
#define CFM_GROUP_DISPLAY    N_("Display")
#define CFM_GROUP_MODEL      N_("Trained model")

typedef struct
{
  const gchar     *name;      /* kebab-case, as GIMP names arguments */
  CfmArgType       type;
  const gchar     *label;     /* translatable, with mnemonic */
  const gchar     *help;      /* translatable */
  const gchar     *group;     /* dialog frame: translatable */
  gdouble          min, max, def;   /* def of a CHOICE: its value */
  const gchar     *def_str;   /* default of STRING and FILE arguments */
  const CfmChoice *choices;   /* NULL-terminated, CHOICE only */
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
  CFM_ARG_MODEL_FILE,
  CFM_ARG_NETWORK,
  CFM_ARG_LAYER,
  CFM_ARG_INPUT_NORMALIZE,
  CFM_ARG_LABELS,
  CFM_ARG_INPUT_SIZE,
  CFM_ARG_CAM,
  CFM_ARG_CAM_CLASS,
  CFM_N_ARGS
} CfmArgId;

/* The values of the choices the core has no enum for.  Padding modes,
 * activations, pool types, colormaps, expansions and stages take the
 * core's own (CfmPadMode, CfmActivation, ...). */
typedef enum
{
  CFM_BANK_TUTORIAL,
  CFM_BANK_SOBEL,
  CFM_BANK_PREWITT,
  CFM_BANK_SCHARR,
  CFM_BANK_LAPLACIAN,
  CFM_BANK_GAUSSIAN,
  CFM_BANK_SHARPEN,
  CFM_BANK_EMBOSS,
  CFM_BANK_IDENTITY,
  CFM_BANK_CUSTOM,   /* kernel text */
  CFM_BANK_FILE,     /* a kernel file */
  CFM_BANK_MODEL,    /* a trained model's block */
  CFM_BANK_SELECTION /* the selected patch, a matched filter */
} CfmBankChoice;

typedef enum
{
  CFM_INPUT_LUMA,        /* OpenCV's Rec.601 conversion of the codes */
  CFM_INPUT_LUMINANCE,   /* GIMP's own */
  CFM_INPUT_RED,
  CFM_INPUT_GREEN,
  CFM_INPUT_BLUE,
  CFM_INPUT_RGB          /* three input channels */
} CfmInputKind;

typedef enum
{
  CFM_NORMALIZE_PER_MAP,
  CFM_NORMALIZE_PER_STAGE,
  CFM_NORMALIZE_NONE
} CfmNormalize;

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

/* The highest filter or channel number the preview takes. */
#define CFM_PREVIEW_CHANNELS_MAX 65536

typedef union
{
  gint     i;   /* CHOICE (its value), INT, BOOLEAN */
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
/* A deep copy of SRC into DST (cleared with cfm_args_clear). */
void cfm_args_copy (CfmArgValues *dst, const CfmArgValues *src);

/* The nick of the choice of SPEC with VALUE, or NULL. */
const gchar *cfm_choice_nick (const CfmArgSpec *spec, gint value);
/* The value of the choice of SPEC named NICK into *VALUE; FALSE when
 * there is none. */
gboolean cfm_choice_value (const CfmArgSpec *spec, const gchar *nick,
                           gint *value);
/* Where the choice with VALUE stands in SPEC's list (for combo boxes), or
 * -1; and the value of the choice at POSITION. */
gint cfm_choice_position (const CfmArgSpec *spec, gint value);
gint cfm_choice_at (const CfmArgSpec *spec, gint position);

/* cfm_choice_nick of argument ID. */
const gchar *cfm_args_choice_nick (CfmArgId id, gint value);

/* SPEC's help with what it takes: its choices' nicks, or its range, as the
 * PDB (MARKDOWN FALSE: "... {a, b}", "(1..16)", "(TRUE or FALSE)") or the
 * argument table in docs/usage.md (MARKDOWN TRUE: "...: `a`, `b`"). */
gchar *cfm_args_describe (const CfmArgSpec *spec, gboolean markdown);

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
