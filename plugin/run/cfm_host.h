/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_host.h: what a GIMP host gives the run (a source: the pixels, the
 * area, where it lies, the image's kind and profile) and what it takes (a
 * layer sink: groups and layers made outside the image, filled, inserted
 * or discarded; progress; warnings), and the checks both hosts share.
 * Each GIMP API implements the sink in host_gimp3_sink.c or
 * host_gimp2_sink.c. */
#ifndef CFM_HOST_H
#define CFM_HOST_H

#include <gegl.h>

struct _GimpColorProfile;   /* libgimpcolor's, in both GIMP APIs */

typedef struct
{
  GeglBuffer    *buffer;       /* the drawable's pixels */
  GeglRectangle  area;         /* the part to compute, buffer coordinates */
  gint           origin_x;     /* image position of the area's corner */
  gint           origin_y;
  gboolean       image_rgb;    /* the image's base type is RGB */
  GBytes        *icc_profile;  /* the image's colour profile, or NULL */
  guint          tattoo;       /* the drawable's, for the recipe */
} CfmSource;

typedef struct _CfmSink CfmSink;

struct _CfmSink
{
  gpointer     self;
  gboolean     image_rgb;     /* layers are RGB, else gray */

  /* Makes a layer group, not yet in the image. */
  gpointer    (*new_group)   (CfmSink *sink, const gchar *name,
                              GError **error);
  /* Makes an opaque layer of the image's base type at X, Y, not yet in the
   * image, and returns the buffer to fill; *LAYER is the host's handle. */
  GeglBuffer *(*new_layer)   (CfmSink *sink, const gchar *name, gint x,
                              gint y, gint width, gint height,
                              gpointer *layer, GError **error);
  /* Sets LAYER's opacity (0..100): a heat map over the photo. */
  void        (*set_opacity) (CfmSink *sink, gpointer layer,
                              gdouble opacity);
  /* Flushes a filled layer's buffer and lets it go. */
  void        (*finish_layer) (CfmSink *sink, gpointer layer,
                               GeglBuffer *buffer);
  /* Puts ITEM into the image inside PARENT (NULL: directly above the
   * source layer) at POSITION (0: top). */
  gboolean    (*insert)      (CfmSink *sink, gpointer item, gpointer parent,
                              gint position, GError **error);
  /* Deletes an item that was made but never put into the image. */
  void        (*discard)     (CfmSink *sink, gpointer item);
  /* Takes an inserted item (with its children) out of the image again. */
  void        (*remove)      (CfmSink *sink, gpointer item);
  /* Reports progress; returns FALSE when the user cancelled. */
  gboolean    (*progress)    (CfmSink *sink, gdouble fraction);
  /* Attaches TEXT as the persistent parasite NAME of ITEM (a group). */
  void        (*attach_parasite) (CfmSink *sink, gpointer item,
                                  const gchar *name, const gchar *text);
  /* Scales an inserted LAYER to WIDTH x HEIGHT, each pixel a block (no
   * interpolation), and moves it to X, Y. */
  gboolean    (*place_layer) (CfmSink *sink, gpointer layer, gint x, gint y,
                              gint width, gint height, GError **error);
  /* A warning for the user (values clipped, and the like). */
  void        (*warning)     (CfmSink *sink, const gchar *message);

  /* Optional, both or neither: 8-bit maps then reach GIMP as an XCF file
   * (cfm_transfer.h).  TEMP_DIR is GIMP's temporary folder; LOAD_LAYERS
   * loads the N layers of the XCF file PATH as layers not yet in the
   * image, named NAMES, into LAYERS. */
  gchar      *(*temp_dir)    (CfmSink *sink);
  gboolean    (*load_layers) (CfmSink *sink, const gchar *path, gint n,
                              gchar **names, gpointer *layers,
                              GError **error);
  /* Whether gray layers from the file become RGB in an RGB image by a
   * plain copy (GIMP 2.10).  GIMP 3 converts them through its colour
   * management, a second for the tutorial's twelve 12-megapixel maps;
   * indexed layers are faster there. */
  gboolean    gray_file_copies;
};

/* What a host knows of the drawable the user chose. */
typedef struct
{
  gchar        name[256];  /* for messages (a long name is cut short) */
  gboolean     indexed;    /* the image is indexed */
  gboolean     group;      /* the drawable is a layer group */
  gboolean     touched;    /* the selection meets it: MASK is that part */
  GeglRectangle mask;      /* drawable coordinates */
  gboolean     selection;  /* the image has a selection */
  gint         width, height;   /* the drawable's */
} CfmDrawableFacts;

/* Checks what must hold before anything is made and gives the area to
 * compute; a message for the user otherwise. */
gboolean cfm_host_check_drawable (const CfmDrawableFacts *facts,
                                  GeglRectangle *area, GError **error);

/* The largest patch the filter bank "selection" takes. */
#define CFM_PATCH_MAX 31

/* cfm_host_check_drawable for VALS: with the filter bank "selection", the
 * whole drawable as AREA and the selected rectangle as *PATCH (drawable
 * coordinates; a message when there is none or it is too large), else
 * the selection's part as AREA and *PATCH empty. */
gboolean cfm_host_plan_area (gint bank, const CfmDrawableFacts *facts,
                             GeglRectangle *area, GeglRectangle *patch,
                             GError **error);

/* The ICC data of PROFILE (NULL: the image has none, and so is the
 * result), for CfmSource.icc_profile; PROFILE is unreferenced. */
GBytes *cfm_host_icc (struct _GimpColorProfile *profile);

#endif
