/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_dialog.h: what both dialogs share: their frames and which argument
 * goes grey when (as data), the summary under the arguments, and the
 * preview's drawing, all on the dialog's current values, whose kernels are
 * loaded once per change of what names them. */
#ifndef CFM_DIALOG_H
#define CFM_DIALOG_H

#include "cfm_args.h"
#include "cfm_host.h"
#include "cfm_plan.h"

/* A frame of the dialog and the column it stands in. */
typedef struct
{
  const gchar *title;    /* the arguments' group (translatable) */
  gint         column;   /* 0: left, 1: right (the preview is left of both) */
} CfmDialogGroup;

#define CFM_DIALOG_N_GROUPS 6
extern const CfmDialogGroup cfm_dialog_groups[CFM_DIALOG_N_GROUPS];

/* Argument ARG is sensitive only while argument WHEN has VALUE (a choice's
 * value; TRUE for a boolean), or with UNLESS, only while it has not. */
typedef struct
{
  CfmArgId arg;
  CfmArgId when;
  gint     value;
  gboolean unless;
} CfmSensitivity;

#define CFM_DIALOG_N_RULES 25
extern const CfmSensitivity cfm_dialog_rules[CFM_DIALOG_N_RULES];

/* Whether some rule governs ARG, and whether all of them let it be
 * sensitive with VALS. */
gboolean cfm_dialog_has_rule (CfmArgId arg);
gboolean cfm_dialog_sensitive (CfmArgId arg, const CfmArgValues *vals);

/* Whether ARG is text of many lines (a text view, not an entry). */
gboolean cfm_dialog_text_view (CfmArgId arg);

typedef struct
{
  CfmArgValues  vals;
  gboolean      has_vals;
  GeglRectangle area;        /* the selected part of the drawable */
  GeglBuffer   *buffer;      /* the drawable's, for the filter bank
                                "selection" (or NULL) */
  GeglRectangle whole;       /* the drawable */
  gboolean      image_rgb;
  gchar        *bank_key;    /* what named the loaded kernels */
  CfmLoaded     loaded;      /* the kernels or model, loaded */
  GError       *bank_error;  /* or why they could not be */
} CfmDialogState;

void cfm_dialog_init  (CfmDialogState *st, const GeglRectangle *area,
                       gboolean image_rgb);
void cfm_dialog_clear (CfmDialogState *st);

/* The drawable's pixels (BUFFER, referenced) and size: the filter bank
 * "selection" takes its kernel from the selected part of them and maps
 * the whole drawable. */
void cfm_dialog_set_drawable (CfmDialogState *st, GeglBuffer *buffer,
                              gint width, gint height);

/* Makes VALS the dialog's values; the kernels are loaded again only when
 * the bank, kernel text, kernel file or expansion changed. */
void cfm_dialog_set_values (CfmDialogState *st, const CfmArgValues *vals);

/* Pango markup for under the arguments: the map sizes for the area (or
 * what is wrong with the settings), and the Script-Fu call and batch
 * command that repeat the run in GIMP_MAJOR's dialect. */
gchar *cfm_dialog_summary (CfmDialogState *st, gint gimp_major);

/* Draws the preview (cfm_preview_draw) of VIEW of BUFFER into RGB;
 * returns what keeps it empty, or NULL. */
gchar *cfm_dialog_preview (CfmDialogState *st, GeglBuffer *buffer,
                           const GeglRectangle *view, gint filter,
                           CfmStage stage, guchar *rgb);

#endif
