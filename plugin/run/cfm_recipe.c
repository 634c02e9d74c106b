/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_recipe.c: a run's recipe and the hash of its input (its API:
 * cfm_recipe.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_recipe.h"
#include "cfm_i18n.h"

#define KEY_SOURCE "probe-source="
#define KEY_AREA   "probe-area="
#define KEY_HASH   "probe-hash="
#define KEY_PATCH  "probe-patch="

/* Rows of the area hashed at a time. */
#define HASH_ROWS 64
#define FNV_OFFSET G_GUINT64_CONSTANT (14695981039346656037)
#define FNV_PRIME  G_GUINT64_CONSTANT (1099511628211)

guint64
cfm_recipe_hash (const CfmSource *source)
{
  const Babl *format = gegl_buffer_get_format (source->buffer);
  gint bpp = babl_format_get_bytes_per_pixel (format), y;
  const GeglRectangle *a = &source->area;
  guchar *rows = g_malloc ((gsize) a->width * bpp * HASH_ROWS + 1);
  guint64 h = FNV_OFFSET;

  for (y = 0; y < a->height; y += HASH_ROWS)
    {
      GeglRectangle r = { a->x, a->y + y, a->width,
                          MIN (HASH_ROWS, a->height - y) };
      gsize n = (gsize) r.width * r.height * bpp, i;

      gegl_buffer_get (source->buffer, &r, 1.0, format, rows,
                       GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
      for (i = 0; i < n; i++)
        h = (h ^ rows[i]) * FNV_PRIME;
    }
  g_free (rows);
  return h;
}

gchar *
cfm_recipe_source_text (const CfmSource *source, const GeglRectangle *patch)
{
  return g_strdup_printf (KEY_SOURCE "%u\n" KEY_AREA "%d,%d,%d,%d\n"
                          KEY_HASH "%016" G_GINT64_MODIFIER "x\n" KEY_PATCH
                          "%d,%d,%d,%d\n", source->tattoo, source->origin_x,
                          source->origin_y, source->area.width,
                          source->area.height, cfm_recipe_hash (source),
                          patch->x, patch->y, patch->width, patch->height);
}

gboolean
cfm_recipe_parse (const gchar *args, const gchar *source, CfmRecipe *r,
                  GError **error)
{
  gchar **lines = g_strsplit (source ? source : "", "\n", -1);
  gint found = 0, i;

  memset (r, 0, sizeof *r);
  cfm_args_init (&r->vals);
  cfm_args_from_text (&r->vals, args ? args : "");
  for (i = 0; lines[i]; i++)
    {
      const gchar *l = lines[i];

      if (g_str_has_prefix (l, KEY_SOURCE))
        found += sscanf (l + strlen (KEY_SOURCE), "%u",
                         &r->source_tattoo) == 1;
      else if (g_str_has_prefix (l, KEY_AREA))
        found += sscanf (l + strlen (KEY_AREA), "%d,%d,%d,%d", &r->area.x,
                         &r->area.y, &r->area.width, &r->area.height) == 4;
      else if (g_str_has_prefix (l, KEY_PATCH))
        sscanf (l + strlen (KEY_PATCH), "%d,%d,%d,%d", &r->patch.x,
                &r->patch.y, &r->patch.width, &r->patch.height);
      else if (g_str_has_prefix (l, KEY_HASH))
        {
          r->hash = g_ascii_strtoull (l + strlen (KEY_HASH), NULL, 16);
          found++;
        }
    }
  g_strfreev (lines);
  if (found == 3)
    return TRUE;
  g_set_error (error, CFM_ERROR, 0, _("These maps carry no record of the "
                                      "layer they were computed from; run "
                                      "CNN Feature Maps again to probe "
                                      "them."));
  return FALSE;
}

void
cfm_recipe_clear (CfmRecipe *r)
{
  cfm_args_clear (&r->vals);
}
