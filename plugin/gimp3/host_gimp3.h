/* SPDX-License-Identifier: GPL-3.0-or-later */
/* host_gimp3.h: what the files of the GIMP 3 build give each other:
 * host_gimp3.c (registration and run), host_gimp3_sink.c (the source and
 * the layer sink), host_gimp3_dialog.c (the dialog) and
 * host_gimp3_probe.c (the probe procedure). */
#ifndef HOST_GIMP3_H
#define HOST_GIMP3_H

#include <libgimp/gimp.h>

#include "cfm_args.h"
#include "cfm_host.h"
#include "cfm_plan.h"

#define PLUG_IN_BINARY CFM_PLUGIN_NAME
#define PLUG_IN_ROLE   "gimp-cnn-feature-maps"

/* The arguments CONFIG holds, into VALS (initialised). */
void gimp3_values_from_config (GimpProcedureConfig *config,
                               CfmArgValues *vals);

/* DRAWABLE's facts for cfm_host_check_drawable. */
void gimp3_drawable_facts (GimpDrawable *drawable, CfmDrawableFacts *facts);

/* Runs PLAN on AREA of DRAWABLE of IMAGE, adding the layers; PREDICTIONS
 * as cfm_render_run gives them. */
gboolean gimp3_render_drawable (GimpImage *image, GimpDrawable *drawable,
                                const GeglRectangle *area,
                                const CfmPlan *plan, gchar **predictions,
                                GError **error);

/* The probe procedure, registered and run. */
GimpProcedure *gimp3_probe_procedure_new (GimpPlugIn *plug_in);

/* The dialog; FALSE when the user cancelled. */
gboolean gimp3_dialog_run (GimpProcedure *procedure,
                           GimpProcedureConfig *config, GimpImage *image,
                           GimpDrawable *drawable);

#endif
