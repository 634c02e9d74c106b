/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_source.c: the network's input read from the source, and the kept
 * 8-bit codes (its API: cfm_source.h). */
#include "config.h"

#include <string.h>

#include "cfm_source.h"
#include "cfm_input.h"

/* Input codes are kept between the two passes up to this size. */
#define KEPT_INPUT_BYTES ((gsize) 256 << 20)

struct _CfmInput
{
  const CfmSource *source;
  const CfmPlan   *plan;
  gint             input;      /* a CfmInputKind */
  guint8          *kept;       /* planar 8-bit inputs of every row, or NULL */
  gboolean         replay;     /* reads come from KEPT */
  gpointer         scratch;    /* a band's pixels as read */
  gsize            scratch_size;
};

CfmInput *
cfm_input_new (const CfmSource *source, const CfmPlan *plan)
{
  CfmInput *in = g_new0 (CfmInput, 1);

  in->source = source;
  in->plan = plan;
  in->input = plan->vals.v[CFM_ARG_INPUT].i;
  return in;
}

void
cfm_input_free (CfmInput *in)
{
  if (in == NULL)
    return;
  g_free (in->kept);
  g_free (in->scratch);
  g_free (in);
}

static const Babl *
source_format (const CfmInput *in, const gchar *name)
{
  return babl_format_with_space (name,
                                 gegl_buffer_get_format (in->source->buffer));
}

/* Whether the source's inputs are 8-bit codes (code / 255 each). */
static gboolean
input_is_codes (const CfmInput *in)
{
  const Babl *src = gegl_buffer_get_format (in->source->buffer);

  return babl_format_get_type (src, 0) == babl_type ("u8")
         && in->input != CFM_INPUT_LUMINANCE;
}

void
cfm_input_keep (CfmInput *in)
{
  const CfmPlan *plan = in->plan;
  gsize bytes = (gsize) plan->channels * plan->source_width
                * plan->source_height;

  if (input_is_codes (in) && bytes <= KEPT_INPUT_BYTES)
    in->kept = g_try_malloc (bytes + 1);
}

void
cfm_input_replay (CfmInput *in)
{
  in->replay = in->kept != NULL;
}

/* The channel of an RGB pixel that a one-channel input takes. */
static gint
input_channel (gint input)
{
  return input == CFM_INPUT_GREEN ? 1 : input == CFM_INPUT_BLUE ? 2 : 0;
}

/* Reads the 8-bit inputs of RECT into CODES, channel CH of pixel i at
 * CODES[ch * PLANE + i]; RGB has room for its pixels. */
static void
read_codes (CfmInput *in, const GeglRectangle *rect, guint8 *codes,
            gsize plane, guint8 *rgb)
{
  gint channels = in->plan->channels, ch, pick = input_channel (in->input);
  gsize n = (gsize) rect->width * rect->height, i;

  if (!in->source->image_rgb)   /* 8-bit gray: every input is the gray code */
    {
      gegl_buffer_get (in->source->buffer, rect, 1.0,
                       source_format (in, "Y' u8"), codes,
                       GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
      for (ch = 1; ch < channels; ch++)
        memcpy (codes + ch * plane, codes, n);
      return;
    }
  gegl_buffer_get (in->source->buffer, rect, 1.0,
                   source_format (in, "R'G'B' u8"), rgb, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_NONE);
  if (in->input == CFM_INPUT_LUMA)
    cfm_luma_codes_from_rgb8 (rgb, 3, n, codes);
  else if (in->input == CFM_INPUT_RGB)
    for (ch = 0; ch < 3; ch++)
      for (i = 0; i < n; i++)
        codes[ch * plane + i] = rgb[i * 3 + ch];
  else
    for (i = 0; i < n; i++)
      codes[i] = rgb[i * 3 + pick];
}

/* Reads the inputs of RECT of a source that is not 8-bit (or as linear
 * luminance) into DST as floats; RGB has room for its pixels. */
static void
read_floats (CfmInput *in, const GeglRectangle *rect, gfloat *dst,
             gfloat *rgb)
{
  gint ch, pick = input_channel (in->input);
  gsize n = (gsize) rect->width * rect->height, i;

  if (in->input == CFM_INPUT_LUMINANCE || !in->source->image_rgb)
    {
      gegl_buffer_get (in->source->buffer, rect, 1.0,
                       source_format (in, "Y' float"), dst,
                       GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
      return;
    }
  gegl_buffer_get (in->source->buffer, rect, 1.0,
                   source_format (in, "R'G'B' float"), rgb,
                   GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  if (in->input == CFM_INPUT_LUMA)
    cfm_luma_from_rgbf (rgb, 3, n, dst);
  else if (in->input == CFM_INPUT_RGB)
    for (ch = 0; ch < 3; ch++)
      for (i = 0; i < n; i++)
        dst[ch * n + i] = rgb[i * 3 + ch];
  else
    for (i = 0; i < n; i++)
      dst[i] = rgb[i * 3 + pick];
}

void
cfm_input_read (CfmInput *in, gint row0, gint rows, gfloat *dst)
{
  const CfmPlan *plan = in->plan;
  gsize n = (gsize) rows * plan->source_width, i;
  gsize plane = in->kept ? (gsize) plan->source_height * plan->source_width
                         : n;
  GeglRectangle rect = { in->source->area.x, in->source->area.y + row0,
                         plan->source_width, rows };
  gsize need = n * (3 * sizeof (gfloat) + plan->channels);
  guint8 *codes;
  gfloat unit[256];
  gint ch;

  if (n == 0)
    return;
  if (need > in->scratch_size)
    {
      in->scratch = g_realloc (in->scratch, need);
      in->scratch_size = need;
    }
  if (!input_is_codes (in))
    {
      read_floats (in, &rect, dst, in->scratch);
      return;
    }
  codes = in->kept ? in->kept + (gsize) row0 * plan->source_width
                   : (guint8 *) in->scratch + n * 3 * sizeof (gfloat);
  if (!in->replay)
    read_codes (in, &rect, codes, plane, in->scratch);
  for (i = 0; i < 256; i++)
    unit[i] = (gfloat) i / 255.0f;
  for (ch = 0; ch < plan->channels; ch++)
    for (i = 0; i < n; i++)
      dst[ch * n + i] = unit[codes[ch * plane + i]];
}
