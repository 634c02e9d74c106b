/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_gimp2.h: what the files of the GIMP 2.10 build give each other:
 * host_gimp2.c (registration, positional arguments, last values and the
 * run), host_gimp2_sink.c (the source and the layer sink),
 * host_gimp2_dialog.c (the GTK 2 dialog) and host_gimp2_probe.c (the
 * probe procedure). */
#ifndef HOST_GIMP2_H
#define HOST_GIMP2_H

#include <libgimp/gimp.h>

#include "cfm_args.h"
#include "cfm_host.h"
#include "cfm_plan.h"

/* DRAWABLE's facts for cfm_host_check_drawable. */
void gimp2_drawable_facts (gint32 drawable, CfmDrawableFacts *facts);

/* Runs PLAN on AREA of DRAWABLE of IMAGE, adding the layers; PREDICTIONS
 * as cfm_render_run gives them. */
gboolean gimp2_render_drawable (gint32 image, gint32 drawable,
                                const GeglRectangle *area,
                                const CfmPlan *plan, gchar **predictions,
                                GError **error);

/* The probe procedure: its registration and its run. */
void gimp2_probe_query (void);
void gimp2_probe_run (gint nparams, const GimpParam *param,
                      gint *nreturn_vals, GimpParam **return_vals);

/* Shows the dialog with VALS; on OK stores the user's choices in VALS. */
gboolean gimp2_dialog_run (CfmArgValues *vals, gint32 image,
                           gint32 drawable);

#endif
