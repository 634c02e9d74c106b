/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_recipe.h: what a run's group carries for the probe: its recipe (the
 * parasite CFM_PARASITE: the arguments as "name=value" lines) and its
 * source record (CFM_SOURCE_PARASITE): the source layer (its tattoo), the
 * area it read, a hash of the area's pixels, so an edited or deleted
 * source is noticed, and the filter bank "selection"'s patch. */
#ifndef CFM_RECIPE_H
#define CFM_RECIPE_H

#include "cfm_args.h"
#include "cfm_host.h"

typedef struct
{
  CfmArgValues  vals;
  guint         source_tattoo;
  GeglRectangle area;      /* image coordinates */
  guint64       hash;      /* cfm_recipe_hash of the area */
  GeglRectangle patch;     /* the filter bank "selection"'s patch, in the
                              source's buffer coordinates, or empty */
} CfmRecipe;

/* The source record of a run on SOURCE, its kernel from PATCH (the
 * filter bank "selection"; empty otherwise). */
gchar *cfm_recipe_source_text (const CfmSource *source,
                               const GeglRectangle *patch);

/* Reads the recipe ARGS and the source record SOURCE (or NULL) into
 * RECIPE (cleared with cfm_recipe_clear); FALSE with a message when there
 * is no source record (an older run's). */
gboolean cfm_recipe_parse (const gchar *args, const gchar *source,
                           CfmRecipe *recipe, GError **error);
void     cfm_recipe_clear (CfmRecipe *recipe);

/* A hash of the pixels of SOURCE's area, as the buffer stores them. */
guint64 cfm_recipe_hash (const CfmSource *source);

#endif
