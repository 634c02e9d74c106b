/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_recipe.h: the recipe a run's group carries (the parasite
 * CFM_PARASITE): the run's arguments as "name=value" lines, and what the
 * probe needs to find the run's input again: the source layer (its
 * tattoo), the area it read and a hash of the area's pixels, so an edited
 * or deleted source is noticed. */
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

/* The recipe of a run of VALS on SOURCE, its kernel from PATCH (the
 * filter bank "selection"; empty otherwise). */
gchar *cfm_recipe_text (const CfmArgValues *vals, const CfmSource *source,
                        const GeglRectangle *patch);

/* Reads TEXT into RECIPE (cleared with cfm_recipe_clear); FALSE with a
 * message when it is no recipe with a source (an older run's). */
gboolean cfm_recipe_parse (const gchar *text, CfmRecipe *recipe,
                           GError **error);
void     cfm_recipe_clear (CfmRecipe *recipe);

/* A hash of the pixels of SOURCE's area, as the buffer stores them. */
guint64 cfm_recipe_hash (const CfmSource *source);

#endif
