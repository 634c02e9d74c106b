/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_script.h: Script-Fu for running the procedure, in GIMP 3's dialect
 * (named arguments) and GIMP 2.10's (positional), made from the argument
 * table.  The batch command runs these programs; docs/usage.md and the dialog
 * show the calls. */
#ifndef CFM_SCRIPT_H
#define CFM_SCRIPT_H

#include <glib.h>

#include "cfm_args.h"

/* The procedure call with the variables image and layers (GIMP 3) or image
 * and drawable (2.10).  GIMP 3 calls name the arguments in SET (all when
 * SET is NULL); 2.10 calls give every argument in order. */
gchar *cfm_script_call (const CfmArgValues *vals, const gboolean *set,
                        gint gimp_major);

/* Marks in SET the arguments whose values differ from their defaults. */
void cfm_script_changed (const CfmArgValues *vals, gboolean *set);

/* "cnn-feature-maps-batch --set name=value ... IMAGE" for the arguments
 * that differ from their defaults, quoted for a POSIX shell. */
gchar *cfm_script_batch_line (const CfmArgValues *vals);

/* How many of a classifier's classes a program prints for each image. */
#define CFM_SCRIPT_TOP_CLASSES 5

/* A whole program: for each IMAGES[i], load it, run BEFORE expressions,
 * call the procedure, list the new layers ("CFM-LAYER\tname\tx\ty\tw\th"),
 * print the classifier's top classes ("CFM-PREDICTION\t<image>\t" and a
 * line of the procedure's predictions), export each map as
 * BASES[i]-maps/<layer>.png when PNG, save
 * BASES[i].xcf and print "CFM-DONE <xcf>"; a failure prints
 * "CFM-FAILED <image>\tlayers N" (N: the layers the image still has) and
 * goes on with the next image. */
gchar *cfm_script_program (const CfmArgValues *vals, const gboolean *set,
                           gint gimp_major, const gchar *const *images,
                           const gchar *const *bases, gboolean png,
                           const gchar *const *before);

#endif
