/* cfm_render.h: from the procedure's arguments to layers.
 *
 * This is the one place that turns core results into layers, for both GIMP
 * APIs.  Pixels move through GEGL, which both APIs share; what differs (how
 * a layer or group is made and inserted, progress, messages) comes from the
 * host glue through CfmHost.  Everything the user can get wrong is checked
 * before the first layer is made, so an error leaves the image untouched;
 * maps are computed band by band and written as they come, so the plug-in
 * never holds a whole map. */
#ifndef CFM_RENDER_H
#define CFM_RENDER_H

#include <gegl.h>

#include "cfm_args.h"

typedef struct _CfmHost CfmHost;

struct _CfmHost
{
  gpointer       self;
  GeglBuffer    *source;       /* the drawable's pixels */
  GeglRectangle  area;         /* the part to compute, buffer coordinates */
  gint           origin_x;     /* image position of the area's corner */
  gint           origin_y;
  gboolean       image_rgb;    /* the image's base type is RGB */

  /* Adds a layer group inside PARENT (NULL: the image's top level, above
   * the source) at POSITION (0: top). */
  gpointer    (*add_group)   (CfmHost *host, gpointer parent,
                              const gchar *name, gint position,
                              GError **error);
  /* Adds an opaque layer of the image's base type and returns the buffer
   * to fill; *LAYER is the host's handle for it. */
  GeglBuffer *(*add_layer)   (CfmHost *host, gpointer parent,
                              const gchar *name, gint x, gint y, gint width,
                              gint height, gint position, gpointer *layer,
                              GError **error);
  /* Flushes LAYER's buffer and shows it. */
  void        (*finish_layer) (CfmHost *host, gpointer layer,
                               GeglBuffer *buffer);
  /* Deletes a group made by this run, after an error or cancel. */
  void        (*remove_group) (CfmHost *host, gpointer group);
  /* Reports progress; returns FALSE when the user cancelled. */
  gboolean    (*progress)    (CfmHost *host, gdouble fraction);
  /* Attaches TEXT as the persistent parasite NAME of ITEM (a group). */
  void        (*attach_parasite) (CfmHost *host, gpointer item,
                                  const gchar *name, const gchar *text);
  /* A warning for the user (values clipped, and the like). */
  void        (*warning)     (CfmHost *host, const gchar *message);
};

/* The sizes a run will produce, for the dialog to show. */
typedef struct
{
  gint n_filters;
  gint in_width, in_height;
  gint conv_width, conv_height;
  gint pool_width, pool_height;   /* 0 when pooling is off */
  gint dropped_cols, dropped_rows;   /* input pixels no output covers */
} CfmRunShape;

/* Checks VALS against an input area of WIDTH x HEIGHT and fills SHAPE. */
gboolean cfm_render_plan (const CfmArgValues *vals, gint width, gint height,
                          gboolean image_rgb, CfmRunShape *shape,
                          GError **error);

/* Runs the whole procedure on HOST's source and adds the layers. */
gboolean cfm_render_run (const CfmArgValues *vals, CfmHost *host,
                         GError **error);

#endif
