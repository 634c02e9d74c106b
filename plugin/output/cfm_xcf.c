/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_xcf.c: the XCF file of the maps; see cfm_xcf.h.
 *
 * The file is version 1 of the format (8-bit, 32-bit offsets; version 0
 * with the colormap of indexed images stored as GIMP reads it), laid out
 * front to back as GIMP's loader reads it: the image header with its
 * layer table, then per layer its header, hierarchy, level (the tile
 * table) and tiles, uncompressed, row of tiles after row of tiles. */
#define _POSIX_C_SOURCE 200809L   /* fileno, posix_fallocate */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#ifdef G_OS_UNIX
#include <fcntl.h>
#endif

#include "cfm_xcf.h"
#include "cfm_args.h"
#include "cfm_i18n.h"

#define TILE 64

enum
{
  PROP_END = 0,
  PROP_COLORMAP = 1,
  PROP_OPACITY = 6,
  PROP_VISIBLE = 8,
  PROP_OFFSETS = 15,
  PROP_COMPRESSION = 17,
  PROP_PARASITES = 21
};

typedef struct
{
  gchar   *name;
  gint     x, y, w, h;
  guint64  start;       /* the layer header */
  guint64  tiles;       /* the first tile */
  gint     next_row;    /* rows before it are in the strip or the file */
  guint8  *strip;       /* TILE rows in tile order, filled from the top */
} Layer;

struct _CfmXcf
{
  gint     channels;
  guint8  *colormap;    /* indexed: n_colors RGB entries, else NULL */
  gint     n_colors;
  GBytes  *icc;
  GArray  *layers;
  guint64  size;
  FILE    *file;
  gchar   *path;
};

CfmXcf *
cfm_xcf_new (gint channels, GBytes *icc)
{
  CfmXcf *xcf = g_new0 (CfmXcf, 1);

  xcf->channels = channels;
  xcf->icc = icc ? g_bytes_ref (icc) : NULL;
  xcf->layers = g_array_new (FALSE, TRUE, sizeof (Layer));
  return xcf;
}

CfmXcf *
cfm_xcf_new_indexed (const guint8 *colormap, gint n_colors, GBytes *icc)
{
  CfmXcf *xcf = cfm_xcf_new (1, icc);

  xcf->colormap = g_memdup2 (colormap, (gsize) n_colors * 3);
  xcf->n_colors = n_colors;
  return xcf;
}

gint
cfm_xcf_add_layer (CfmXcf *xcf, const gchar *name, gint x, gint y, gint w,
                   gint h)
{
  Layer l = { g_strdup (name), x, y, w, h, 0, 0, 0, NULL };

  g_array_append_val (xcf->layers, l);
  return (gint) xcf->layers->len - 1;
}

static gint
tiles_across (gint n)
{
  return (n + TILE - 1) / TILE;
}

static guint64
header_size (const CfmXcf *xcf)
{
  guint64 n = 14 + 12 + 8 + 1 + 8;   /* magic, size, type, compression, end */

  if (xcf->icc)
    n += 8 + 4 + sizeof "icc-profile" + 8 + g_bytes_get_size (xcf->icc);
  if (xcf->colormap)
    n += 8 + 4 + 3 * (guint64) xcf->n_colors;
  return n + 4 * ((guint64) xcf->layers->len + 1) + 4;
}

static guint64
layer_header_size (const Layer *l)
{
  /* size, type, name, offsets, opacity, visible, end, two pointers */
  return 12 + 4 + strlen (l->name) + 1 + 16 + 12 + 12 + 8 + 8;
}

/* Places every layer and returns the file's size. */
static guint64
lay_out (CfmXcf *xcf)
{
  guint64 at = header_size (xcf);
  guint i;

  for (i = 0; i < xcf->layers->len; i++)
    {
      Layer *l = &g_array_index (xcf->layers, Layer, i);
      guint64 ntiles = (guint64) tiles_across (l->w) * tiles_across (l->h);

      l->start = at;
      at += layer_header_size (l) + 20 + 8 + 4 * (ntiles + 1);
      l->tiles = at;
      at += (guint64) l->w * l->h * xcf->channels;
    }
  return at;
}

/* ---- writing ------------------------------------------------------------ */

static void
put32 (GByteArray *b, guint32 v)
{
  guint8 be[4] = { v >> 24, v >> 16, v >> 8, v };

  g_byte_array_append (b, be, 4);
}

static void
put_string (GByteArray *b, const gchar *s)
{
  put32 (b, (guint32) strlen (s) + 1);
  g_byte_array_append (b, (const guint8 *) s, (guint) strlen (s) + 1);
}

static void
put_header (CfmXcf *xcf, GByteArray *b)
{
  guint8 none = 0;
  gint w = 1, h = 1;
  guint i;

  for (i = 0; i < xcf->layers->len; i++)
    {
      const Layer *l = &g_array_index (xcf->layers, Layer, i);

      w = MAX (w, l->x + l->w);
      h = MAX (h, l->y + l->h);
    }
  g_byte_array_append (b, (const guint8 *) "gimp xcf v001", 14);
  put32 (b, (guint32) w);
  put32 (b, (guint32) h);
  put32 (b, xcf->colormap ? 2 : xcf->channels == 3 ? 0 : 1);
                                             /* INDEXED, RGB or GRAY */
  if (xcf->colormap)
    {
      put32 (b, PROP_COLORMAP);
      put32 (b, (guint32) (4 + 3 * xcf->n_colors));
      put32 (b, (guint32) xcf->n_colors);
      g_byte_array_append (b, xcf->colormap, (guint) (3 * xcf->n_colors));
    }
  put32 (b, PROP_COMPRESSION);
  put32 (b, 1);
  g_byte_array_append (b, &none, 1);
  if (xcf->icc)
    {
      gsize n = g_bytes_get_size (xcf->icc);

      put32 (b, PROP_PARASITES);
      put32 (b, (guint32) (4 + sizeof "icc-profile" + 8 + n));
      put_string (b, "icc-profile");
      put32 (b, 3);                                /* persistent, undoable */
      put32 (b, (guint32) n);
      g_byte_array_append (b, g_bytes_get_data (xcf->icc, NULL), (guint) n);
    }
  put32 (b, PROP_END);
  put32 (b, 0);
  for (i = 0; i < xcf->layers->len; i++)
    put32 (b, (guint32) g_array_index (xcf->layers, Layer, i).start);
  put32 (b, 0);
  put32 (b, 0);                                    /* no channels */
}

/* The layer's header, hierarchy and tile table. */
static void
put_layer (CfmXcf *xcf, const Layer *l, GByteArray *b)
{
  guint64 hierarchy = l->start + layer_header_size (l);
  guint64 level = hierarchy + 20, tile = l->tiles;
  gint tx, ty;

  put32 (b, (guint32) l->w);
  put32 (b, (guint32) l->h);
  put32 (b, xcf->colormap ? 4 : xcf->channels == 3 ? 0 : 2);
                                          /* INDEXED, RGB or GRAY image */
  put_string (b, l->name);
  put32 (b, PROP_OFFSETS);
  put32 (b, 8);
  put32 (b, (guint32) l->x);
  put32 (b, (guint32) l->y);
  put32 (b, PROP_OPACITY);
  put32 (b, 4);
  put32 (b, 255);
  put32 (b, PROP_VISIBLE);
  put32 (b, 4);
  put32 (b, 1);
  put32 (b, PROP_END);
  put32 (b, 0);
  put32 (b, (guint32) hierarchy);
  put32 (b, 0);                                    /* no mask */
  put32 (b, (guint32) l->w);
  put32 (b, (guint32) l->h);
  put32 (b, (guint32) xcf->channels);
  put32 (b, (guint32) level);
  put32 (b, 0);
  put32 (b, (guint32) l->w);
  put32 (b, (guint32) l->h);
  for (ty = 0; ty < l->h; ty += TILE)
    for (tx = 0; tx < l->w; tx += TILE)
      {
        put32 (b, (guint32) tile);
        tile += (guint64) MIN (TILE, l->w - tx) * MIN (TILE, l->h - ty)
                * xcf->channels;
      }
  put32 (b, 0);
}

static gboolean
write_at (CfmXcf *xcf, guint64 at, const void *data, gsize n, GError **error)
{
  if (fseek (xcf->file, (long) at, SEEK_SET) != 0
      || fwrite (data, 1, n, xcf->file) != n)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("Could not write the maps to \"%s\": %s"), xcf->path,
                   g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
cfm_xcf_open (CfmXcf *xcf, const gchar *path, GError **error)
{
  GByteArray *b = g_byte_array_new ();
  gboolean ok;
  guint i;

  xcf->size = lay_out (xcf);
  xcf->path = g_strdup (path);
  if (xcf->size > G_MAXUINT32)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("The maps are too large for one XCF file."));
      g_byte_array_free (b, TRUE);
      return FALSE;
    }
  xcf->file = fopen (path, "wb");
  if (xcf->file == NULL)
    {
      g_set_error (error, CFM_ERROR, 0, _("Could not create \"%s\": %s"),
                   path, g_strerror (errno));
      g_byte_array_free (b, TRUE);
      return FALSE;
    }
#ifdef G_OS_UNIX
  /* The file's blocks are reserved in one call: written page by page into
   * a new file they cost five times the time here (ext4).  Writing
   * reports a real lack of room, so a failure here is not one. */
  (void) posix_fallocate (fileno (xcf->file), 0, (off_t) xcf->size);
#endif
  put_header (xcf, b);
  ok = write_at (xcf, 0, b->data, b->len, error);
  for (i = 0; ok && i < xcf->layers->len; i++)
    {
      Layer *l = &g_array_index (xcf->layers, Layer, i);

      g_byte_array_set_size (b, 0);
      put_layer (xcf, l, b);
      ok = write_at (xcf, l->start, b->data, b->len, error);
      l->strip = g_malloc ((gsize) TILE * l->w * xcf->channels);
    }
  g_byte_array_free (b, TRUE);
  return ok;
}

/* Writes the strip of layer L that starts at row Y0: its tiles, in order,
 * one after the other, as the strip holds them. */
static gboolean
flush_strip (CfmXcf *xcf, Layer *l, gint y0, GError **error)
{
  gsize row_bytes = (gsize) l->w * xcf->channels;

  return write_at (xcf, l->tiles + (guint64) y0 * row_bytes, l->strip,
                   (gsize) MIN (TILE, l->h - y0) * row_bytes, error);
}

gboolean
cfm_xcf_write_rows (CfmXcf *xcf, gint layer, gint row0, gint rows,
                    const guint8 *pixels, GError **error)
{
  Layer *l = &g_array_index (xcf->layers, Layer, layer);
  gsize row_bytes = (gsize) l->w * xcf->channels;
  gint r, tx;

  g_return_val_if_fail (row0 == l->next_row && row0 + rows <= l->h, FALSE);
  for (r = 0; r < rows; r++, l->next_row++)
    {
      /* The strip is kept in tile order: tile column tx holds its rows'
       * pieces one after the other, after the tiles left of it. */
      gint y0 = l->next_row - l->next_row % TILE;
      gint strip_rows = MIN (TILE, l->h - y0), in_strip = l->next_row - y0;
      const guint8 *row = pixels + r * row_bytes;

      for (tx = 0; tx < l->w; tx += TILE)
        {
          gsize n = (gsize) MIN (TILE, l->w - tx) * xcf->channels;

          memcpy (l->strip + (gsize) tx * xcf->channels * strip_rows
                  + in_strip * n, row + (gsize) tx * xcf->channels, n);
        }
      if (in_strip == strip_rows - 1 && !flush_strip (xcf, l, y0, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
cfm_xcf_close (CfmXcf *xcf, GError **error)
{
  /* Every strip went out with its last row. */
  gboolean ok = xcf->file == NULL || fclose (xcf->file) == 0;

  if (!ok)
    g_set_error (error, CFM_ERROR, 0,
                 _("Could not write the maps to \"%s\": %s"), xcf->path,
                 g_strerror (errno));
  xcf->file = NULL;
  return ok;
}

void
cfm_xcf_free (CfmXcf *xcf)
{
  guint i;

  if (xcf == NULL)
    return;
  if (xcf->file)
    fclose (xcf->file);
  for (i = 0; i < xcf->layers->len; i++)
    {
      g_free (g_array_index (xcf->layers, Layer, i).name);
      g_free (g_array_index (xcf->layers, Layer, i).strip);
    }
  g_array_free (xcf->layers, TRUE);
  if (xcf->icc)
    g_bytes_unref (xcf->icc);
  g_free (xcf->colormap);
  g_free (xcf->path);
  g_free (xcf);
}
