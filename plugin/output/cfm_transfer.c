/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_transfer.c: the XCF route: when, the temporary file, the sweep of
 * stale files, loading (its API: cfm_transfer.h). */
#define _POSIX_C_SOURCE 200809L   /* kill, getpid */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#ifdef G_OS_UNIX
#include <signal.h>
#include <unistd.h>
#endif

#include "cfm_transfer.h"
#include "cfm_write.h"
#include "cfm_xcf.h"

/* Room the folder keeps beyond the file itself. */
#define SPARE_BYTES ((guint64) 64 << 20)

#define TEMP_PREFIX "cnn-feature-maps-"

struct _CfmTransfer
{
  CfmXcf    *xcf;
  gint       channels;
  gchar     *path;
  GPtrArray *names;   /* of the file's layers, in order */
};

/* The bytes of the shown maps as 8-bit layers of CHANNELS. */
static guint64
map_bytes (const CfmPlan *plan, gint channels)
{
  guint64 n = 0;
  gint s;

  for (s = 0; s < CFM_N_STAGES; s++)
    if (plan->stages[s].shown)
      n += (guint64) plan->n_maps * plan->stages[s].map_w
           * plan->stages[s].scale * plan->stages[s].map_h
           * plan->stages[s].scale * channels;
  return n;
}

/* The temporary file's name in GIMP's temporary folder DIR, carrying this
 * process's id for remove_stale_files. */
static gchar *
temp_file_name (const gchar *dir)
{
#ifdef G_OS_UNIX
  long pid = (long) getpid ();
#else
  long pid = 0;
#endif
  gchar *base = g_strdup_printf (TEMP_PREFIX "%ld-%" G_GINT64_FORMAT ".xcf",
                                 pid, g_get_monotonic_time ());
  gchar *path = g_build_filename (dir, base, NULL);

  g_free (base);
  return path;
}

/* Deletes the files of runs whose process is gone: GIMP kills a plug-in
 * when the user cancels, before it can delete its file, and GIMP does not
 * empty its temporary folder. */
static void
remove_stale_files (const gchar *dir)
{
#ifdef G_OS_UNIX
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)))
    {
      const gchar *digits = name + strlen (TEMP_PREFIX);
      gchar *end, *path;
      long pid;

      if (!g_str_has_prefix (name, TEMP_PREFIX)
          || !g_str_has_suffix (name, ".xcf"))
        continue;
      pid = strtol (digits, &end, 10);
      if (end == digits || *end != '-' || pid <= 0
          || kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
        continue;
      path = g_build_filename (dir, name, NULL);
      g_unlink (path);
      g_free (path);
    }
  if (d)
    g_dir_close (d);
#else
  (void) dir;
#endif
}

/* remove_stale_files in DIR and, where GIMP gives each session a folder
 * of its own (GIMP 3.2: /tmp/gimp-3.2-XXXXXX, which GIMP leaves behind
 * when it holds a killed run's file), in the other sessions' folders. */
static void
remove_stale_files_of_sessions (const gchar *dir)
{
  gchar *parent = g_path_get_dirname (dir), *base = g_path_get_basename (dir);
  gchar *dash = strrchr (base, '-');
  GDir *d;
  const gchar *name;

  remove_stale_files (dir);
  if (dash && g_str_has_prefix (base, "gimp")
      && (d = g_dir_open (parent, 0, NULL)) != NULL)
    {
      dash[1] = '\0';   /* "gimp-3.2-" */
      while ((name = g_dir_read_name (d)))
        if (g_str_has_prefix (name, base))
          {
            gchar *other = g_build_filename (parent, name, NULL);

            if (strcmp (other, dir) != 0
                && g_file_test (other, G_FILE_TEST_IS_DIR))
              remove_stale_files (other);
            g_free (other);
          }
      g_dir_close (d);
    }
  g_free (parent);
  g_free (base);
}

/* Whether SOURCE and SINK allow the file at all. */
static gboolean
route_possible (const CfmSource *source, const CfmSink *sink)
{
  const Babl *f = gegl_buffer_get_format (source->buffer);
  const gchar *env = g_getenv ("CFM_TRANSFER");

  return sink->load_layers != NULL && sink->temp_dir != NULL
         && !(env && strcmp (env, "tiles") == 0)
         && babl_format_get_type (f, 0) == babl_type ("u8")
         && strchr (babl_format_get_encoding (f), '\'') != NULL;
}

/* Whether folder DIR has NEED bytes free (or cannot tell). */
static gboolean
has_room (const gchar *dir, guint64 need)
{
  GFile *folder = g_file_new_for_path (dir);
  GFileInfo *info = g_file_query_filesystem_info
                      (folder, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, NULL, NULL);
  gboolean room = info == NULL
                  || g_file_info_get_attribute_uint64
                       (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE) >= need;

  g_clear_object (&info);
  g_object_unref (folder);
  return room;
}

CfmTransfer *
cfm_transfer_new (const CfmPlan *plan, const CfmSource *source,
                  CfmSink *sink)
{
  CfmColormap map = (CfmColormap) plan->vals.v[CFM_ARG_COLORMAP].i;
  gboolean indexed;
  gint channels = cfm_write_file_channels (plan, source, sink, &indexed);
  guint64 need = map_bytes (plan, channels) + SPARE_BYTES;
  CfmTransfer *t = NULL;
  gchar *dir;

  if (!route_possible (source, sink) || need > G_MAXUINT32)
    return NULL;
  dir = sink->temp_dir (sink);
  remove_stale_files_of_sessions (dir);
  if (has_room (dir, need))
    {
      guint8 codes[256][3];
      CfmLevelKind kind;

      t = g_new0 (CfmTransfer, 1);
      t->path = temp_file_name (dir);
      t->channels = channels;
      t->names = g_ptr_array_new_with_free_func (g_free);
      if (indexed && cfm_colormap_levels (map, codes, &kind))
        t->xcf = cfm_xcf_new_indexed (&codes[0][0], 256, source->icc_profile);
      else
        t->xcf = cfm_xcf_new (channels, source->icc_profile);
    }
  g_free (dir);
  return t;
}

void
cfm_transfer_free (CfmTransfer *t)
{
  if (t == NULL)
    return;
  cfm_xcf_free (t->xcf);
  g_unlink (t->path);   /* loaded, or never to be */
  g_free (t->path);
  g_ptr_array_free (t->names, TRUE);
  g_free (t);
}

gint
cfm_transfer_channels (const CfmTransfer *t)
{
  return t->channels;
}

gint
cfm_transfer_add_layer (CfmTransfer *t, const gchar *name, gint x, gint y,
                        gint w, gint h)
{
  g_ptr_array_add (t->names, g_strdup (name));
  return cfm_xcf_add_layer (t->xcf, name, x, y, w, h);
}

gboolean
cfm_transfer_open (CfmTransfer *t, GError **error)
{
  return cfm_xcf_open (t->xcf, t->path, error);
}

gboolean
cfm_transfer_write_rows (CfmTransfer *t, gint layer, gint row0, gint rows,
                         gconstpointer pixels, GError **error)
{
  return cfm_xcf_write_rows (t->xcf, layer, row0, rows, pixels, error);
}

gboolean
cfm_transfer_load (CfmTransfer *t, CfmSink *sink, gpointer *layers,
                   GError **error)
{
  return cfm_xcf_close (t->xcf, error)
         && sink->load_layers (sink, t->path, (gint) t->names->len,
                               (gchar **) t->names->pdata, layers, error);
}
