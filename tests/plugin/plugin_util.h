/* SPDX-License-Identifier: GPL-3.0-or-later */
/* plugin_util.h: what the plug-in tests share: the sample photo as a GEGL
 * buffer, a model's arguments, the dialogs' preview. */
#ifndef PLUGIN_UTIL_H
#define PLUGIN_UTIL_H

#include <gegl.h>

#include "cfm_args.h"
#include "test_util.h"

/* PHOTO (rows x columns x 3 codes) as an 8-bit RGB buffer. */
GeglBuffer *photo_buffer (const CfmArray *photo);

/* VALS for the layer LAYER of the RGB, ImageNet-normalised model FILE
 * with its print(model) TEXT. */
void set_model (CfmArgValues *vals, const gchar *file, const gchar *text,
                const gchar *layer);

/* The dialogs' preview (cfm_dialog_preview) of VALS over VIEW of AREA of
 * BUF, FILTER's map at STAGE, into RGB; FALSE with its note in ERROR. */
gboolean render_preview (const CfmArgValues *vals, GeglBuffer *buf,
                         const GeglRectangle *area,
                         const GeglRectangle *view, gint filter,
                         CfmStage stage, guchar *rgb, GError **error);

#endif
