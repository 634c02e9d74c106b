/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_i18n.h: gettext for the plug-in's own catalog. */
#ifndef CFM_I18N_H
#define CFM_I18N_H

#include <glib/gi18n-lib.h>

#endif
