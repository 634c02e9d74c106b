/* host_gimp2_dialog.h: the GIMP 2.10 dialog, by hand in GTK 2, with the
 * same groups, sensitivity and map-size line as the GIMP 3 one. */
#ifndef HOST_GIMP2_DIALOG_H
#define HOST_GIMP2_DIALOG_H

#include <libgimp/gimp.h>

#include "cfm_args.h"

/* Shows the dialog with VALS; on OK stores the user's choices in VALS. */
gboolean cfm_dialog_run (CfmArgValues *vals, gint32 image, gint32 drawable);

#endif
