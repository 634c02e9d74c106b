/* cfm_render.h: from the procedure's arguments to layers.
 *
 * This is the one place that turns core results into layers, for both GIMP
 * APIs.  Pixels move through GEGL, which both APIs share; what differs (how
 * a layer or group is made and inserted, progress, messages) comes from the
 * host glue through CfmHost.  Everything the user can get wrong is checked
 * before the first layer is made.  The layers are filled before any of them
 * goes into the image, so an error, or GIMP closing the plug-in when the
 * user cancels, leaves the image as it was; maps are computed band by band
 * and written as they come, so the plug-in never holds a whole map. */
#ifndef CFM_RENDER_H
#define CFM_RENDER_H

#include <gegl.h>

#include "cfm_args.h"
#include "cfm_pipeline.h"

typedef struct _CfmHost CfmHost;

struct _CfmHost
{
  gpointer       self;
  GeglBuffer    *source;       /* the drawable's pixels */
  GeglRectangle  area;         /* the part to compute, buffer coordinates */
  gint           origin_x;     /* image position of the area's corner */
  gint           origin_y;
  gboolean       image_rgb;    /* the image's base type is RGB */

  /* Makes a layer group, not yet in the image. */
  gpointer    (*new_group)   (CfmHost *host, const gchar *name,
                              GError **error);
  /* Makes an opaque layer of the image's base type at X, Y, not yet in the
   * image, and returns the buffer to fill; *LAYER is the host's handle. */
  GeglBuffer *(*new_layer)   (CfmHost *host, const gchar *name, gint x,
                              gint y, gint width, gint height,
                              gpointer *layer, GError **error);
  /* Flushes a filled layer's buffer and lets it go. */
  void        (*finish_layer) (CfmHost *host, gpointer layer,
                               GeglBuffer *buffer);
  /* Puts ITEM into the image inside PARENT (NULL: directly above the
   * source layer) at POSITION (0: top). */
  gboolean    (*insert)      (CfmHost *host, gpointer item, gpointer parent,
                              gint position, GError **error);
  /* Deletes an item that was made but never put into the image. */
  void        (*discard)     (CfmHost *host, gpointer item);
  /* Takes an inserted item (with its children) out of the image again. */
  void        (*remove)      (CfmHost *host, gpointer item);
  /* Reports progress; returns FALSE when the user cancelled. */
  gboolean    (*progress)    (CfmHost *host, gdouble fraction);
  /* Attaches TEXT as the persistent parasite NAME of ITEM (a group). */
  void        (*attach_parasite) (CfmHost *host, gpointer item,
                                  const gchar *name, const gchar *text);
  /* A warning for the user (values clipped, and the like). */
  void        (*warning)     (CfmHost *host, const gchar *message);

  /* Optional, both or neither: 8-bit maps then reach GIMP as an XCF file
   * (see cfm_xcf.h).  TEMP_DIR is GIMP's temporary folder; LOAD_LAYERS
   * loads the N layers of the XCF file PATH as layers not yet in the
   * image, named NAMES, into LAYERS. */
  GBytes     *icc_profile;   /* the image's colour profile, or NULL */
  gchar      *(*temp_dir)    (CfmHost *host);
  gboolean    (*load_layers) (CfmHost *host, const gchar *path, gint n,
                              gchar **names, gpointer *layers,
                              GError **error);
  /* Whether gray layers from the file become RGB in an RGB image by a
   * plain copy (GIMP 2.10).  GIMP 3 converts them through its colour
   * management, a second for the tutorial's twelve 12-megapixel maps;
   * indexed layers are faster there. */
  gboolean    gray_file_copies;
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

/* What the dialogs show under the arguments, as Pango markup: the map sizes
 * for an input of WIDTH x HEIGHT (or what is wrong with the settings), and
 * the Script-Fu call and batch command that repeat the run in GIMP_MAJOR's
 * dialect. */
gchar *cfm_render_summary (const CfmArgValues *vals, gint width, gint height,
                           gboolean image_rgb, gint gimp_major);


/* Side of the dialogs' preview, in pixels. */
#define CFM_PREVIEW_SIZE 280

/* The dialogs' live preview: the map of FILTER (its number in the bank, as
 * layer names give it) at STAGE, where it lies over VIEW, a part of AREA of
 * SOURCE (buffer coordinates), drawn 1:1 as R'G'B' u8 into RGB (VIEW's
 * width x height x 3 bytes).  Only VIEW and a margin are computed, and only
 * the one filter (every shown filter when the stage shares a range), so
 * the map's values are those of the full run at a fraction of its cost.
 * Maps lie aligned over the input, whatever "align" says; the display
 * range is that of the visible part; input pixels no map pixel covers are
 * dark gray.  On an error RGB is all dark gray. */
gboolean cfm_render_preview (const CfmArgValues *vals, GeglBuffer *source,
                             const GeglRectangle *area, gboolean image_rgb,
                             const GeglRectangle *view, gint filter,
                             CfmStage stage, guchar *rgb, GError **error);

/* Starts GEGL for the plug-in, which uses its buffers and never one of its
 * operations, so without loading the operation modules. */
void cfm_render_init_gegl (void);

/* Runs the whole procedure on HOST's source and adds the layers. */
gboolean cfm_render_run (const CfmArgValues *vals, CfmHost *host,
                         GError **error);

#endif
