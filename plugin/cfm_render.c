/* cfm_render.c: results to layers; see cfm_render.h. */
#define _POSIX_C_SOURCE 200809L   /* kill, getpid */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#ifdef G_OS_UNIX
#include <signal.h>
#include <unistd.h>
#endif

#include "cfm_render.h"
#include "cfm_i18n.h"
#include "cfm_script.h"
#include "cfm_xcf.h"

#include "cfm_bank.h"
#include "cfm_display.h"
#include "cfm_input.h"
#include "cfm_kernel_text.h"
#include "cfm_pipeline.h"
#include "cfm_swatch.h"

#define BAND_BYTES ((gsize) 24 << 20)   /* working memory of one band */

enum
{
  STAGE_CONV = CFM_STAGE_CONV,
  STAGE_ACT = CFM_STAGE_ACTIVATION,
  STAGE_POOL = CFM_STAGE_POOL,
  N_STAGES = CFM_N_STAGES
};

typedef struct
{
  gboolean    shown;
  gint        map_w, map_h;
  gint        scale;          /* layer pixels per map pixel */
  gint        x, y;           /* layer position in the image */
  CfmStats   *stats;          /* per filter */
  CfmStats    set;            /* over all filters */
  gpointer   *layers;
  GeglBuffer **buffers;       /* layers filled through GEGL, or */
  gint       *file_layer;     /* their index in the XCF file */
  guint      *made_at;        /* where their handle goes in the made list */
} Stage;

typedef struct
{
  const CfmArgValues *vals;
  CfmBank      bank;          /* the selected filters, input channels set */
  gint        *numbers;       /* 1-based filter numbers in the full bank */
  gfloat      *bias;
  CfmPipeline  pl;
  Stage        stages[N_STAGES];
  gint         width, height, channels;
  gint         origin_x, origin_y;
  gboolean     image_rgb;
  gboolean     rgb_input;
  gboolean     clipped;
  CfmXcf      *xcf;           /* maps go to GIMP as an XCF file */
  gint         xcf_channels;  /* of its layers: 1 (gray) or 3 (RGB) */
  gchar       *xcf_path;
  GPtrArray   *file_names;    /* of the file's layers, in order */
  guint8      *input_codes;   /* 8-bit inputs, planar, kept from the first
                                 pass for the second (or NULL) */
  gboolean     input_kept;    /* input_codes holds every row */
  guint8      *band_scratch;  /* the rendering's memory, band to band */
  gsize        band_scratch_size;
} Run;

static gboolean
core_error (const CfmError *err, GError **error)
{
  g_set_error_literal (error, CFM_ERROR, 0, err->message);
  return FALSE;
}

/* Loads the bank VALS names, before filter selection. */
static gboolean
load_full_bank (const CfmArgValues *vals, CfmBank *bank, GError **error)
{
  gint choice = vals->v[CFM_ARG_FILTER_BANK].i;
  CfmError err;

  if (choice == CFM_BANK_CUSTOM)
    {
      const gchar *text = vals->v[CFM_ARG_KERNELS].s;
      const gchar *c = text;

      while (c && g_ascii_isspace (*c))
        c++;
      if (c == NULL || *c == '\0')
        {
          g_set_error (error, CFM_ERROR, 0,
                       _("The custom filter bank needs kernel text in "
                         "\"kernels\"."));
          return FALSE;
        }
      if (cfm_kernel_text_parse (text, bank, &err) != CFM_OK)
        {
          g_set_error (error, CFM_ERROR, 0, _("kernels: %s"), err.message);
          return FALSE;
        }
      return TRUE;
    }
  if (choice == CFM_BANK_FILE)
    {
      const gchar *path = vals->v[CFM_ARG_KERNEL_FILE].s;

      if (path == NULL || *path == '\0')
        {
          g_set_error (error, CFM_ERROR, 0,
                       _("The file filter bank needs a \"kernel-file\"."));
          return FALSE;
        }
      if (cfm_kernel_file_load (path, bank, &err) != CFM_OK)
        {
          g_set_error (error, CFM_ERROR, 0, _("kernel-file: %s"),
                       err.message);
          return FALSE;
        }
      return TRUE;
    }
  if (cfm_bank_builtin (cfm_args_choice_nick (CFM_ARG_FILTER_BANK, choice),
                        bank, &err) != CFM_OK)
    return core_error (&err, error);
  return TRUE;
}

/* Loads, selects and shapes the bank, and parses the bias. */
static gboolean
prepare_bank (Run *run, GError **error)
{
  const CfmArgValues *vals = run->vals;
  CfmBank full = { 0 }, picked = { 0 };
  gint index[CFM_FILTERS_MAX], count, i;
  CfmError err;
  gboolean ok = FALSE;

  if (!load_full_bank (vals, &full, error))
    return FALSE;
  if (vals->v[CFM_ARG_EXPAND].i != 0)
    {
      CfmBank grown;

      if (cfm_bank_expand (&full, (CfmExpand) vals->v[CFM_ARG_EXPAND].i,
                           &grown, &err) != CFM_OK)
        {
          cfm_bank_free (&full);
          g_set_error (error, CFM_ERROR, 0, _("expand: %s"), err.message);
          return FALSE;
        }
      cfm_bank_free (&full);
      full = grown;
    }
  if (cfm_filter_list_parse (vals->v[CFM_ARG_FILTERS].s, full.n, index,
                             &count, &err) != CFM_OK
      || cfm_bank_select (&full, index, count, &picked, &err) != CFM_OK)
    {
      core_error (&err, error);
      goto out;
    }
  run->rgb_input = vals->v[CFM_ARG_INPUT].i == CFM_INPUT_RGB;
  run->channels = run->rgb_input ? 3 : 1;
  if (picked.c == run->channels)
    {
      run->bank = picked;
      picked.weights = NULL;
    }
  else if (picked.c == 1)
    {
      if (cfm_bank_broadcast (&picked, run->channels, &run->bank, &err)
          != CFM_OK)
        {
          core_error (&err, error);
          goto out;
        }
    }
  else
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("The kernels have %d input channels; choose the input "
                     "\"rgb\" for 3-channel kernels."), picked.c);
      goto out;
    }
  run->numbers = g_new (gint, count);
  for (i = 0; i < count; i++)
    run->numbers[i] = index[i] + 1;
  run->bias = g_new (gfloat, count);
  if (cfm_bias_parse (vals->v[CFM_ARG_BIAS].s, count, run->bias, &err)
      != CFM_OK)
    {
      core_error (&err, error);
      goto out;
    }
  ok = TRUE;
out:
  cfm_bank_free (&full);
  cfm_bank_free (&picked);
  return ok;
}

/* Sets up the pipeline and each stage's size and place. */
static gboolean
prepare_pipeline (Run *run, gint origin_x, gint origin_y, GError **error)
{
  const CfmArgValues *vals = run->vals;
  CfmPipeline *pl = &run->pl;
  gboolean align = vals->v[CFM_ARG_ALIGN].i;
  gint s, k_off_x, k_off_y, i;
  CfmError err;

  memset (pl, 0, sizeof *pl);
  pl->bank = &run->bank;
  pl->bias = run->bias;
  pl->conv.stride = vals->v[CFM_ARG_STRIDE].i;
  pl->conv.padding = vals->v[CFM_ARG_PADDING].i;
  pl->conv.dilation = vals->v[CFM_ARG_DILATION].i;
  pl->conv.pad_mode = (CfmPadMode) vals->v[CFM_ARG_PADDING_MODE].i;
  pl->activation = (CfmActivation) (vals->v[CFM_ARG_ACTIVATION].i == 3
                                    ? CFM_ACT_NONE
                                    : vals->v[CFM_ARG_ACTIVATION].i + 1);
  pl->negative_slope = (gfloat) vals->v[CFM_ARG_NEGATIVE_SLOPE].d;
  pl->pool_enabled = vals->v[CFM_ARG_SHOW_POOL].i;
  pl->pool.type = (CfmPoolType) vals->v[CFM_ARG_POOL_TYPE].i;
  pl->pool.size = vals->v[CFM_ARG_POOL_SIZE].i;
  pl->pool.stride = vals->v[CFM_ARG_POOL_STRIDE].i;
  pl->pool.padding = 0;
  if (cfm_pipeline_init (pl, run->channels, run->height, run->width, &err)
      != CFM_OK)
    return core_error (&err, error);

  s = pl->conv.stride;
  /* A map pixel is centred on the input pixels it read, as near as whole
   * pixels allow, rounding toward the top-left. */
  k_off_y = -pl->conv.padding
            + (pl->conv.dilation * (run->bank.kh - 1) + 1 - s) / 2;
  k_off_x = -pl->conv.padding
            + (pl->conv.dilation * (run->bank.kw - 1) + 1 - s) / 2;
  for (i = 0; i < N_STAGES; i++)
    {
      Stage *st = &run->stages[i];
      gint pool_off = 0;

      st->map_w = i == STAGE_POOL ? pl->pool_w : pl->conv_w;
      st->map_h = i == STAGE_POOL ? pl->pool_h : pl->conv_h;
      st->scale = i == STAGE_POOL ? s * pl->pool.stride : s;
      if (i == STAGE_POOL)
        pool_off = s * ((pl->pool.size - pl->pool.stride) / 2
                        - pl->pool.padding);
      st->x = origin_x + (align ? k_off_x + pool_off : 0);
      st->y = origin_y + (align ? k_off_y + pool_off : 0);
      if (!align)
        st->scale = 1;
    }
  run->stages[STAGE_CONV].shown = vals->v[CFM_ARG_SHOW_CONV].i;
  run->stages[STAGE_ACT].shown = vals->v[CFM_ARG_SHOW_ACTIVATION].i;
  run->stages[STAGE_POOL].shown = vals->v[CFM_ARG_SHOW_POOL].i;
  return TRUE;
}

static gboolean
prepare (Run *run, const CfmArgValues *vals, gint width, gint height,
         gboolean image_rgb, gint origin_x, gint origin_y, GError **error)
{
  memset (run, 0, sizeof *run);
  run->vals = vals;
  run->width = width;
  run->height = height;
  run->origin_x = origin_x;
  run->origin_y = origin_y;
  run->image_rgb = image_rgb;
  if (!cfm_args_check (vals, error) || !prepare_bank (run, error))
    return FALSE;
  if (!image_rgb && vals->v[CFM_ARG_COLORMAP].i != CFM_COLORMAP_GRAY)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("The colormap \"%s\" needs an RGB image; convert the "
                     "image to RGB or choose \"gray\"."),
                   cfm_args_choice_nick (CFM_ARG_COLORMAP,
                                         vals->v[CFM_ARG_COLORMAP].i));
      return FALSE;
    }
  if (!prepare_pipeline (run, origin_x, origin_y, error))
    return FALSE;
  if (!run->stages[STAGE_CONV].shown && !run->stages[STAGE_ACT].shown
      && !run->stages[STAGE_POOL].shown)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("Nothing to show: turn on the convolution, activation "
                     "or pooled maps."));
      return FALSE;
    }
  return TRUE;
}

static void
run_free (Run *run)
{
  gint i;

  cfm_bank_free (&run->bank);
  g_free (run->numbers);
  g_free (run->bias);
  for (i = 0; i < N_STAGES; i++)
    {
      g_free (run->stages[i].stats);
      g_free (run->stages[i].layers);
      g_free (run->stages[i].buffers);
      g_free (run->stages[i].file_layer);
      g_free (run->stages[i].made_at);
    }
  g_free (run->input_codes);
  g_free (run->band_scratch);
  cfm_xcf_free (run->xcf);
  if (run->xcf_path)
    g_unlink (run->xcf_path);   /* loaded, or never to be */
  g_free (run->xcf_path);
  if (run->file_names)
    g_ptr_array_free (run->file_names, TRUE);
}

gboolean
cfm_render_plan (const CfmArgValues *vals, gint width, gint height,
                 gboolean image_rgb, CfmRunShape *shape, GError **error)
{
  Run run;
  gboolean ok = prepare (&run, vals, width, height, image_rgb, 0, 0, error);

  memset (shape, 0, sizeof *shape);
  if (ok)
    {
      const CfmPipeline *pl = &run.pl;
      gint span_w = pl->conv.dilation * (run.bank.kw - 1) + 1;
      gint span_h = pl->conv.dilation * (run.bank.kh - 1) + 1;

      shape->n_filters = run.bank.n;
      shape->in_width = width;
      shape->in_height = height;
      shape->conv_width = pl->conv_w;
      shape->conv_height = pl->conv_h;
      shape->pool_width = pl->pool_w;
      shape->pool_height = pl->pool_h;
      shape->dropped_cols = width + 2 * pl->conv.padding
                            - ((pl->conv_w - 1) * pl->conv.stride + span_w);
      shape->dropped_rows = height + 2 * pl->conv.padding
                            - ((pl->conv_h - 1) * pl->conv.stride + span_h);
      if (pl->pool_enabled)
        {
          shape->dropped_cols += pl->conv.stride
            * (pl->conv_w - ((pl->pool_w - 1) * pl->pool.stride
                             + pl->pool.size));
          shape->dropped_rows += pl->conv.stride
            * (pl->conv_h - ((pl->pool_h - 1) * pl->pool.stride
                             + pl->pool.size));
        }
    }
  run_free (&run);
  return ok;
}

gchar *
cfm_render_summary (const CfmArgValues *vals, gint width, gint height,
                    gboolean image_rgb, gint gimp_major)
{
  CfmRunShape shape;
  GError *error = NULL;
  gboolean set[CFM_N_ARGS];
  gchar *sizes, *call, *line, *text;

  if (!cfm_render_plan (vals, width, height, image_rgb, &shape, &error))
    {
      text = g_markup_printf_escaped ("<span foreground=\"#c01c28\">%s"
                                      "</span>", error->message);
      g_clear_error (&error);
      return text;
    }
  {
    gchar *pool = shape.pool_width
      ? g_strdup_printf (_(", pooled %d x %d"), shape.pool_width,
                         shape.pool_height)
      : g_strdup ("");
    gchar *dropped = shape.dropped_cols || shape.dropped_rows
      ? g_strdup_printf (_("\n%d columns and %d rows at the right and "
                           "bottom edges reach no output."),
                         shape.dropped_cols, shape.dropped_rows)
      : g_strdup ("");

    sizes = g_strdup_printf (_("Input %d x %d: %d filters, maps %d x %d%s%s"),
                             shape.in_width, shape.in_height,
                             shape.n_filters, shape.conv_width,
                             shape.conv_height, pool, dropped);
    g_free (pool);
    g_free (dropped);
  }
  cfm_script_changed (vals, set);
  call = cfm_script_call (vals, set, gimp_major);
  line = cfm_script_batch_line (vals);
  text = g_markup_printf_escaped ("%s\n<small><tt>%s\n%s</tt></small>",
                                  sizes, call, line);
  g_free (sizes);
  g_free (call);
  g_free (line);
  return text;
}

/* ---- reading the input ------------------------------------------------- */

static const Babl *
source_format (CfmHost *host, const gchar *name)
{
  return babl_format_with_space (name, gegl_buffer_get_format (host->source));
}

/* Input codes are kept between the two passes up to this size: reading
 * them from GIMP again takes as long as computing the maps twice. */
#define KEPT_INPUT_BYTES ((gsize) 256 << 20)

/* Whether the source's inputs are 8-bit codes (code / 255 each). */
static gboolean
input_is_codes (const Run *run, CfmHost *host)
{
  const Babl *src = gegl_buffer_get_format (host->source);

  return babl_format_get_type (src, 0) == babl_type ("u8")
         && run->vals->v[CFM_ARG_INPUT].i != CFM_INPUT_LUMINANCE;
}

/* Keeps the first pass's input codes for the second when they fit. */
static void
keep_input (Run *run, CfmHost *host)
{
  gsize bytes = (gsize) run->channels * run->width * run->height;

  if (input_is_codes (run, host) && bytes <= KEPT_INPUT_BYTES)
    run->input_codes = g_try_malloc (bytes + 1);
}

/* Reads the 8-bit inputs of RECT into CODES, channel CH of pixel i at
 * CODES[ch * PLANE + i].  8-bit images are read as codes so that luma is
 * OpenCV's integer conversion and code / 255 is numpy's. */
static void
read_codes (Run *run, CfmHost *host, const GeglRectangle *rect,
            guint8 *codes, gsize plane, guint8 *rgb)
{
  gint input = run->vals->v[CFM_ARG_INPUT].i, ch;
  gsize n = (gsize) rect->width * rect->height, i;

  if (!host->image_rgb)   /* 8-bit gray: every input is the gray code */
    {
      gegl_buffer_get (host->source, rect, 1.0, source_format (host,
                       "Y' u8"), codes, GEGL_AUTO_ROWSTRIDE,
                       GEGL_ABYSS_NONE);
      for (ch = 1; ch < run->channels; ch++)
        memcpy (codes + ch * plane, codes, n);
      return;
    }
  gegl_buffer_get (host->source, rect, 1.0, source_format (host,
                   "R'G'B' u8"), rgb, GEGL_AUTO_ROWSTRIDE, GEGL_ABYSS_NONE);
  if (input == CFM_INPUT_LUMA)
    cfm_luma_codes_from_rgb8 (rgb, 3, n, codes);
  else if (input == CFM_INPUT_RGB)
    for (ch = 0; ch < 3; ch++)
      for (i = 0; i < n; i++)
        codes[ch * plane + i] = rgb[i * 3 + ch];
  else
    for (i = 0; i < n; i++)
      codes[i] = rgb[i * 3 + input - CFM_INPUT_RED];
}

/* Reads the inputs of RECT of a source that is not 8-bit (or as linear
 * luminance) into DST as floats; RGB has room for its pixels. */
static void
read_floats (Run *run, CfmHost *host, const GeglRectangle *rect,
             gfloat *dst, gfloat *rgb)
{
  gint input = run->vals->v[CFM_ARG_INPUT].i, ch;
  gsize n = (gsize) rect->width * rect->height, i;

  if (input == CFM_INPUT_LUMINANCE || !host->image_rgb)
    {
      gegl_buffer_get (host->source, rect, 1.0, source_format (host,
                       "Y' float"), dst, GEGL_AUTO_ROWSTRIDE,
                       GEGL_ABYSS_NONE);
      return;
    }
  gegl_buffer_get (host->source, rect, 1.0, source_format (host,
                   "R'G'B' float"), rgb, GEGL_AUTO_ROWSTRIDE,
                   GEGL_ABYSS_NONE);
  if (input == CFM_INPUT_LUMA)
    cfm_luma_from_rgbf (rgb, 3, n, dst);
  else if (input == CFM_INPUT_RGB)
    for (ch = 0; ch < 3; ch++)
      for (i = 0; i < n; i++)
        dst[ch * n + i] = rgb[i * 3 + ch];
  else
    for (i = 0; i < n; i++)
      dst[i] = rgb[i * 3 + input - CFM_INPUT_RED];
}

/* Reads input rows [ROW0, ROW0 + ROWS) of the area as the network's planar
 * input (from the kept codes in the second pass). */
static void
read_input (Run *run, CfmHost *host, gint row0, gint rows, gfloat *dst,
            gpointer *scratch, gsize *scratch_size)
{
  gsize n = (gsize) rows * run->width, i;
  gsize plane = run->input_codes ? (gsize) run->height * run->width : n;
  GeglRectangle rect = { host->area.x, host->area.y + row0, run->width,
                         rows };
  gsize need = n * (3 * sizeof (gfloat) + run->channels);
  guint8 *codes;
  gfloat unit[256];
  gint ch;

  if (n == 0)
    return;
  if (need > *scratch_size)
    {
      *scratch = g_realloc (*scratch, need);
      *scratch_size = need;
    }
  if (!input_is_codes (run, host))
    {
      read_floats (run, host, &rect, dst, *scratch);
      return;
    }
  codes = run->input_codes ? run->input_codes + (gsize) row0 * run->width
                           : (guint8 *) *scratch + n * 3 * sizeof (gfloat);
  if (!run->input_kept)
    read_codes (run, host, &rect, codes, plane, *scratch);
  for (i = 0; i < 256; i++)
    unit[i] = (gfloat) i / 255.0f;
  for (ch = 0; ch < run->channels; ch++)
    for (i = 0; i < n; i++)
      dst[ch * n + i] = unit[codes[ch * plane + i]];
}

/* ---- the band loop ------------------------------------------------------ */

typedef struct
{
  const CfmBandPlan *plan;
  const gfloat      *maps[N_STAGES];     /* band buffers of each stage */
  gint               rows[N_STAGES];     /* rows of each band buffer */
  gint               new0[N_STAGES];     /* first new row, buffer-relative */
  gint               new_rows[N_STAGES];
  gint               map_row0[N_STAGES]; /* map row of the first new row */
} Band;

typedef gboolean (*BandFunc) (Run *run, CfmHost *host, const Band *band,
                              GError **error);

/* Rows per band so that one band's buffers stay near BAND_BYTES. */
static gint
band_rows (const Run *run)
{
  gsize per_row = ((gsize) run->bank.n * run->pl.conv_w * 3
                   + (gsize) run->channels * run->width
                     * run->pl.conv.stride * 4) * sizeof (gfloat);
  gsize rows = BAND_BYTES / (per_row ? per_row : 1);

  return (gint) CLAMP (rows, 8, 1024);
}

/* The memory of the band loop, kept from band to band. */
typedef struct
{
  gfloat   *in, *conv, *act, *pool;
  gpointer  scratch;
  gsize     scratch_size;
} BandMemory;

static void
fetch_input (Run *run, CfmHost *host, const CfmBandPlan *plan,
             BandMemory *mem)
{
  mem->in = g_renew (gfloat, mem->in, (gsize) run->channels * plan->in_rows
                                      * run->width + 1);
  read_input (run, host, plan->in_row0, plan->in_rows, mem->in,
              &mem->scratch, &mem->scratch_size);
}

/* Runs the pipeline on the band PLAN describes (its input fetched) and
 * describes its maps in BAND. */
static gboolean
compute_band (Run *run, const CfmBandPlan *plan, BandMemory *mem, Band *band,
              GError **error)
{
  const CfmPipeline *pl = &run->pl;
  gsize cn = (gsize) run->bank.n * plan->conv_rows * pl->conv_w;
  gsize pn = (gsize) run->bank.n * plan->pool_rows * pl->pool_w;
  CfmBand in_band = { mem->in, run->channels, run->height, run->width,
                      plan->in_row0, plan->in_rows };
  CfmError err;

  mem->conv = g_renew (gfloat, mem->conv, cn + 1);
  mem->act = g_renew (gfloat, mem->act, cn + 1);
  mem->pool = g_renew (gfloat, mem->pool, pn + 1);
  if (cfm_pipeline_run_band (pl, plan, &in_band, mem->conv, mem->act,
                             mem->pool, &err) != CFM_OK)
    return core_error (&err, error);
  band->plan = plan;
  band->maps[STAGE_CONV] = mem->conv;
  band->maps[STAGE_ACT] = mem->act;
  band->maps[STAGE_POOL] = mem->pool;
  band->rows[STAGE_CONV] = band->rows[STAGE_ACT] = plan->conv_rows;
  band->new0[STAGE_CONV] = band->new0[STAGE_ACT]
    = plan->new_row0 - plan->conv_row0;
  band->new_rows[STAGE_CONV] = band->new_rows[STAGE_ACT] = plan->new_rows;
  band->map_row0[STAGE_CONV] = band->map_row0[STAGE_ACT] = plan->new_row0;
  band->rows[STAGE_POOL] = band->new_rows[STAGE_POOL] = plan->pool_rows;
  band->new0[STAGE_POOL] = 0;
  band->map_row0[STAGE_POOL] = plan->pool_row0;
  return TRUE;
}

/* A band's FUNC on a thread of its own. */
typedef struct
{
  Run        *run;
  CfmHost    *host;
  const Band *band;
  BandFunc    func;
  GError     *error;
  gboolean    ok;
} Behind;

static gpointer
run_behind (gpointer data)
{
  Behind *b = data;

  b->ok = b->func (b->run, b->host, b->band, &b->error);
  return NULL;
}

/* Computes every band and hands it to FUNC, reporting progress from P0 to
 * P1.  A PURE func (one that does not talk to GIMP: the statistics) runs
 * on a thread of its own while the next band's input is read, which
 * mostly waits on GIMP. */
static gboolean
run_bands (Run *run, CfmHost *host, BandFunc func, gboolean pure, gdouble p0,
           gdouble p1, GError **error)
{
  const CfmPipeline *pl = &run->pl;
  gint conv_done = 0, pool_done = 0, max_rows = band_rows (run);
  BandMemory mem = { NULL, NULL, NULL, NULL, NULL, 0 };
  gboolean ok = TRUE, more;
  CfmBandPlan plan, next;

  more = cfm_pipeline_next_band (pl, max_rows, &conv_done, &pool_done, &plan);
  if (more)
    fetch_input (run, host, &plan, &mem);
  while (ok && more)
    {
      Band band;
      Behind behind = { run, host, &band, func, NULL, TRUE };
      GThread *worker = NULL;

      if (!compute_band (run, &plan, &mem, &band, error))
        {
          ok = FALSE;
          break;
        }
      more = cfm_pipeline_next_band (pl, max_rows, &conv_done, &pool_done,
                                     &next);
      if (pure && more && cfm_thread_count (pl->threads, 2) > 1)
        worker = g_thread_try_new ("cnn-feature-maps", run_behind, &behind,
                                   NULL);
      if (worker == NULL)
        behind.ok = func (run, host, &band, &behind.error);
      if (more && (worker || behind.ok))
        fetch_input (run, host, &next, &mem);
      if (worker)
        g_thread_join (worker);
      ok = behind.ok;
      if (!ok)
        g_propagate_error (error, behind.error);
      else if (!host->progress (host, p0 + (p1 - p0) * conv_done
                                               / MAX (pl->conv_h, 1)))
        {
          g_set_error (error, CFM_ERROR, 1, _("Cancelled."));
          ok = FALSE;
        }
      if (more)
        plan = next;
    }
  g_free (mem.in);
  g_free (mem.conv);
  g_free (mem.act);
  g_free (mem.pool);
  g_free (mem.scratch);
  return ok;
}

/* ---- map work on two threads ------------------------------------------- */

/* The new rows of one map in a band, and what is made of them. */
typedef struct
{
  gint          s, f;
  const gfloat *values;
  gint          rows, map_row0;
  CfmStats      stats;   /* pass 1 */
  const Babl   *codes;   /* pass 2: the layer's 8-bit format, or NULL */
  gboolean      clamp;   /* the layer keeps only 0..1 */
  gfloat       *tmp;     /* scratch */
  gpointer      out;     /* the layer's pixels: codes or floats */
} MapPart;

typedef void (*PartFunc) (const Run *run, MapPart *part, gint channels);
/* What is done with a finished part on the calling thread, in order. */
typedef gboolean (*PartSend) (Run *run, const MapPart *part, gint channels,
                              GError **error);

typedef struct
{
  const Run *run;
  MapPart   *parts;
  gint       n, channels;
  PartFunc   func;
  gint       next;    /* the next part to take, atomic */
  gint      *done;    /* per part: 1 once FUNC is through with it, atomic */
} PartsJob;

/* Takes parts in order and runs FUNC on them until none is left. */
static gpointer
take_parts (gpointer data)
{
  PartsJob *job = data;
  gint i;

  while ((i = g_atomic_int_add (&job->next, 1)) < job->n)
    {
      job->func (job->run, &job->parts[i], job->channels);
      g_atomic_int_set (&job->done[i], 1);
    }
  return NULL;
}

/* FUNC on every part, on a second thread as well when the run may use two
 * (the statistics and the rendering of the maps take longer than
 * computing them), and SEND (or NULL) on each part in order, on this
 * thread, as soon as it is done. */
static gboolean
each_part (Run *run, MapPart *parts, gint n, gint channels, PartFunc func,
           PartSend send, GError **error)
{
  PartsJob job = { run, parts, n, channels, func, 0, g_new0 (gint, n) };
  GThread *worker = NULL;
  gboolean ok = TRUE;
  gint sent = 0, i;

  if (n > 1 && cfm_thread_count (run->pl.threads, 2) > 1)
    worker = g_thread_try_new ("cnn-feature-maps", take_parts, &job, NULL);
  do
    {
      i = g_atomic_int_add (&job.next, 1);
      if (i < n)
        {
          func (run, &parts[i], channels);
          g_atomic_int_set (&job.done[i], 1);
        }
      while (send && ok && sent < n && g_atomic_int_get (&job.done[sent]))
        ok = send (run, &parts[sent++], channels, error);
    }
  while (i < n);
  if (worker)
    g_thread_join (worker);
  while (send && ok && sent < n)
    ok = send (run, &parts[sent++], channels, error);
  g_free (job.done);
  return ok;
}

/* The parts of BAND: the maps of every stage with new rows (only the shown
 * stages when SHOWN), in stage and filter order. */
static MapPart *
band_parts (const Run *run, const Band *band, gboolean shown, gint *n)
{
  MapPart *parts = g_new0 (MapPart, N_STAGES * run->bank.n);
  gint s, f;

  *n = 0;
  for (s = 0; s < N_STAGES; s++)
    {
      const Stage *st = &run->stages[s];
      gsize plane = (gsize) band->rows[s] * st->map_w;

      if (band->new_rows[s] == 0 || !st->map_w || (shown && !st->shown))
        continue;
      for (f = 0; f < run->bank.n; f++)
        parts[(*n)++] = (MapPart) { s, f, band->maps[s] + f * plane
                                          + (gsize) band->new0[s]
                                            * st->map_w,
                                    band->new_rows[s], band->map_row0[s] };
    }
  return parts;
}

static void
part_stats (const Run *run, MapPart *part, gint channels)
{
  (void) channels;
  cfm_stats_compute (part->values,
                     (gsize) part->rows * run->stages[part->s].map_w,
                     &part->stats);
}

/* Pass 1: the range and zeros of every map. */
static gboolean
gather_stats (Run *run, CfmHost *host, const Band *band, GError **error)
{
  gint n, i;
  MapPart *parts = band_parts (run, band, FALSE, &n);

  each_part (run, parts, n, 0, part_stats, NULL, NULL);
  for (i = 0; i < n; i++)
    cfm_stats_merge (&run->stages[parts[i].s].stats[parts[i].f],
                     &parts[i].stats);
  g_free (parts);
  (void) host;
  (void) error;
  return TRUE;
}

/* ---- writing layers ----------------------------------------------------- */

static const Babl *
layer_format (GeglBuffer *buffer, gboolean rgb)
{
  const Babl *lf = gegl_buffer_get_format (buffer);
  const gchar *enc = babl_format_get_encoding (lf);
  const gchar *name;

  if (strchr (enc, '~'))
    name = rgb ? "R~G~B~ float" : "Y~ float";
  else if (strchr (enc, '\''))
    name = rgb ? "R'G'B' float" : "Y' float";
  else
    name = rgb ? "RGB float" : "Y float";
  return babl_format_with_space (name, lf);
}

static gboolean
layer_is_integer (GeglBuffer *buffer)
{
  const Babl *t = babl_format_get_type (gegl_buffer_get_format (buffer), 0);

  return t != babl_type ("float") && t != babl_type ("half")
         && t != babl_type ("double");
}

/* The display range VALS give a map with statistics MAP in a stage with
 * statistics SET. */
static void
range_of (const CfmArgValues *vals, const CfmStats *map, const CfmStats *set,
          gfloat *lo, gfloat *hi)
{
  gint norm = vals->v[CFM_ARG_NORMALIZE].i;
  gboolean diverging = vals->v[CFM_ARG_COLORMAP].i == CFM_COLORMAP_DIVERGING;
  CfmRangeMode mode = norm == CFM_NORMALIZE_PER_MAP ? CFM_RANGE_PER_MAP
                      : norm == CFM_NORMALIZE_PER_STAGE ? CFM_RANGE_SHARED
                      : diverging ? CFM_RANGE_FIXED : CFM_RANGE_NONE;

  cfm_display_range (mode, diverging, map, set, -1.0f, 1.0f, lo, hi);
}

/* The display range of map F of stage S. */
static void
display_range (const Run *run, gint s, gint f, gfloat *lo, gfloat *hi)
{
  const Stage *st = &run->stages[s];

  range_of (run->vals, &st->stats[f], &st->set, lo, hi);
}

/* The colour of display value T in [0, 1]. */
static void
display_color (gint colormap, gfloat t, gfloat px[3])
{
  cfm_colormap_color ((CfmColormap) colormap, t, px);
}

/* Maps ROWS x W values to display pixels of CHANNELS, enlarged by SCALE,
 * into OUT (ROWS * SCALE rows of W * SCALE pixels). */
static void
render_rows (const Run *run, const gfloat *values, gint rows, gint w,
             gfloat lo, gfloat hi, gboolean clamp, gint channels,
             gint scale, gfloat *tmp, gfloat *out)
{
  gint colormap = run->vals->v[CFM_ARG_COLORMAP].i;
  gsize out_w = (gsize) w * scale;
  gint r, x, k, c, dy;

  cfm_display_map (values, tmp, (gsize) rows * w, lo, hi,
                   clamp || colormap != CFM_COLORMAP_GRAY);
  for (r = 0; r < rows; r++)
    {
      gfloat *row = out + (gsize) r * scale * out_w * channels;

      for (x = 0; x < w; x++)
        {
          gfloat px[3];

          display_color (colormap, tmp[(gsize) r * w + x], px);
          for (k = 0; k < scale; k++)
            for (c = 0; c < channels; c++)
              row[((gsize) x * scale + k) * channels + c] = px[c];
        }
      for (dy = 1; dy < scale; dy++)
        memcpy (row + (gsize) dy * out_w * channels, row,
                out_w * channels * sizeof (gfloat));
    }
}

/* A display value as an 8-bit code, round (255 v), as babl makes it. */
static inline guint8
code_of (gfloat v)
{
  return v <= 0.0f ? 0 : v >= 1.0f ? 255 : (guint8) (v * 255.0f + 0.5f);
}

/* How COLORMAP's colours come from 8-bit levels (cfm_display_levels). */
static CfmLevelKind
level_kind (gint colormap)
{
  return colormap == CFM_COLORMAP_VIRIDIS ? CFM_LEVELS_INDEX
                                          : CFM_LEVELS_CODE;
}

/* The 8-bit codes of every level of COLORMAP (gray: the level is the
 * code) into CODES[level][channel]; FALSE for a colormap without levels. */
static gboolean
level_codes (gint colormap, guint8 codes[256][3], CfmLevelKind *kind)
{
  gint i, c;

  if (colormap == CFM_COLORMAP_DIVERGING)
    return FALSE;
  *kind = level_kind (colormap);
  for (i = 0; i < 256; i++)
    {
      gfloat color[3];

      if (colormap == CFM_COLORMAP_VIRIDIS)
        cfm_colormap_color (CFM_COLORMAP_VIRIDIS, (i + 0.5f) / 256.0f, color);
      for (c = 0; c < 3; c++)
        codes[i][c] = colormap == CFM_COLORMAP_VIRIDIS ? code_of (color[c])
                                                       : (guint8) i;
    }
  return TRUE;
}

/* Single-channel 8-bit layers hold levels (cfm_display_levels): codes of
 * gray layers, or indices into the colormap of an indexed file (viridis
 * is the only other colormap a single channel can show).  Enlarged by
 * SCALE into OUT; TMP has room for ROWS x W bytes. */
static void
render_levels (const Run *run, const gfloat *values, gint rows, gint w,
               gfloat lo, gfloat hi, gint scale, guint8 *tmp, guint8 *out)
{
  CfmLevelKind kind = level_kind (run->vals->v[CFM_ARG_COLORMAP].i);
  gsize out_w = (gsize) w * scale;
  gint r, x, k, dy;

  if (scale == 1)
    {
      cfm_display_levels (values, (gsize) rows * w, lo, hi, kind, out);
      return;
    }
  cfm_display_levels (values, (gsize) rows * w, lo, hi, kind, tmp);
  for (r = 0; r < rows; r++)
    {
      guint8 *row = out + (gsize) r * scale * out_w;

      for (x = 0; x < w; x++)
        for (k = 0; k < scale; k++)
          row[x * scale + k] = tmp[(gsize) r * w + x];
      for (dy = 1; dy < scale; dy++)
        memcpy (row + (gsize) dy * out_w, row, out_w);
    }
}

/* render_rows for 8-bit layers, straight to their codes: a quarter of the
 * bytes of the floats, and no second pass to convert them.  Gray and
 * viridis go through 8-bit levels (cfm_display_levels), which spares a
 * division per value. */
static void
render_codes (const Run *run, const gfloat *values, gint rows, gint w,
              gfloat lo, gfloat hi, gint channels, gint scale, gfloat *tmp,
              guint8 *out)
{
  gint colormap = run->vals->v[CFM_ARG_COLORMAP].i;
  gsize out_w = (gsize) w * scale * channels;
  guint8 codes[256][3];
  guint8 *level = (guint8 *) tmp;
  CfmLevelKind kind;
  gint r, x, k, c, dy;

  if (channels == 1)
    {
      render_levels (run, values, rows, w, lo, hi, scale, level, out);
      return;
    }
  if (level_codes (colormap, codes, &kind))
    cfm_display_levels (values, (gsize) rows * w, lo, hi, kind, level);
  else
    cfm_display_map (values, tmp, (gsize) rows * w, lo, hi, TRUE);
  for (r = 0; r < rows; r++)
    {
      guint8 *row = out + (gsize) r * scale * out_w;
      const guint8 *lv = level + (gsize) r * w;
      const gfloat *t = tmp + (gsize) r * w;

      if (colormap != CFM_COLORMAP_DIVERGING && scale == 1)
        for (x = 0; x < w; x++)
          {
            row[3 * x] = codes[lv[x]][0];
            row[3 * x + 1] = codes[lv[x]][1];
            row[3 * x + 2] = codes[lv[x]][2];
          }
      else
        for (x = 0; x < w; x++)
          {
            guint8 px[3];
            gfloat color[3];

            if (colormap != CFM_COLORMAP_DIVERGING)
              memcpy (px, codes[lv[x]], 3);
            else
              {
                display_color (colormap, t[x], color);
                for (c = 0; c < 3; c++)
                  px[c] = code_of (color[c]);
              }
            for (k = 0; k < scale; k++)
              memcpy (row + ((gsize) x * scale + k) * 3, px, 3);
          }
      for (dy = 1; dy < scale; dy++)
        memcpy (row + (gsize) dy * out_w, row, out_w);
    }
}

/* The 8-bit format of a layer that stores 8-bit non-linear codes, or
 * NULL. */
static const Babl *
layer_codes_format (GeglBuffer *buf, gint channels)
{
  const Babl *lf = gegl_buffer_get_format (buf);

  return lf == babl_format_with_space (channels == 3 ? "R'G'B' u8" : "Y' u8",
                                       lf) ? lf : NULL;
}

/* Writes N display values to a layer, as codes to an 8-bit non-linear
 * layer (sparing babl a conversion of every pixel), else as floats.  The
 * small tile cache set in cfm_render_run sends tiles on to GIMP as bands
 * come, so the plug-in keeps few of them. */
static void
write_pixels (GeglBuffer *buf, const GeglRectangle *rect, gint channels,
              gfloat *values, gsize n)
{
  const Babl *codes = layer_codes_format (buf, channels);
  gsize i;

  if (codes)
    {
      for (i = 0; i < n; i++)   /* in place: 1 byte per float */
        ((guint8 *) values)[i] = code_of (values[i]);
      gegl_buffer_set (buf, rect, 0, codes, values, GEGL_AUTO_ROWSTRIDE);
    }
  else
    gegl_buffer_set (buf, rect, 0, layer_format (buf, channels == 3), values,
                     GEGL_AUTO_ROWSTRIDE);
}

/* The layer pixels of PART's rows: 8-bit codes for the file and for 8-bit
 * non-linear layers, else floats. */
static void
part_render (const Run *run, MapPart *part, gint channels)
{
  const Stage *st = &run->stages[part->s];
  gfloat lo, hi;

  display_range (run, part->s, part->f, &lo, &hi);
  if (run->xcf || part->codes)
    render_codes (run, part->values, part->rows, st->map_w, lo, hi, channels,
                  st->scale, part->tmp, part->out);
  else
    render_rows (run, part->values, part->rows, st->map_w, lo, hi,
                 part->clamp, channels, st->scale, part->tmp, part->out);
}

/* Writes PART's rendered rows to its layer, or to the file. */
static gboolean
part_send (Run *run, const MapPart *part, gint channels, GError **error)
{
  const Stage *st = &run->stages[part->s];
  GeglBuffer *buf = st->buffers[part->f];
  GeglRectangle rect = { 0, part->map_row0 * st->scale,
                         st->map_w * st->scale, part->rows * st->scale };

  if (part->clamp && run->vals->v[CFM_ARG_NORMALIZE].i == CFM_NORMALIZE_NONE
      && (st->stats[part->f].min < 0.0f || st->stats[part->f].max > 1.0f))
    run->clipped = TRUE;
  if (run->xcf)
    return cfm_xcf_write_rows (run->xcf, st->file_layer[part->f], rect.y,
                               rect.height, part->out, error);
  gegl_buffer_set (buf, &rect, 0, part->codes ? part->codes
                                  : layer_format (buf, channels == 3),
                   part->out, GEGL_AUTO_ROWSTRIDE);
  return TRUE;
}

/* The scratch and pixel bytes of PART, rounded up to 16. */
static gsize
part_bytes (const Run *run, const MapPart *part, gint channels)
{
  const Stage *st = &run->stages[part->s];
  gsize pixels = (gsize) part->rows * st->scale * st->map_w * st->scale;

  gsize n = (gsize) part->rows * st->map_w * sizeof (gfloat)
            + pixels * channels * (run->xcf || part->codes ? 1
                                                          : sizeof (gfloat));

  return (n + 15) & ~(gsize) 15;   /* the next part's floats aligned */
}

/* Pass 2: display values of the band's new rows into every layer, the
 * maps rendered on two threads and sent in order. */
static gboolean
write_band (Run *run, CfmHost *host, const Band *band, GError **error)
{
  gint channels = run->xcf ? run->xcf_channels : host->image_rgb ? 3 : 1;
  gboolean ok = TRUE;
  gint n, i;
  MapPart *parts = band_parts (run, band, TRUE, &n);

  gsize need = 0, at = 0;

  for (i = 0; i < n; i++)
    {
      MapPart *p = &parts[i];
      const Stage *st = &run->stages[p->s];
      GeglBuffer *buf = st->buffers[p->f];

      p->codes = run->xcf ? NULL : layer_codes_format (buf, channels);
      p->clamp = run->xcf || layer_is_integer (buf);
      need += part_bytes (run, p, channels);
    }
  /* One block for every part, kept from band to band: fresh memory for
   * each band would cost a page fault every 4 KB. */
  if (need > run->band_scratch_size)
    {
      g_free (run->band_scratch);
      run->band_scratch = g_malloc (need);
      run->band_scratch_size = need;
    }
  for (i = 0; i < n; i++)
    {
      const Stage *st = &run->stages[parts[i].s];

      parts[i].tmp = (gfloat *) (run->band_scratch + at);
      parts[i].out = run->band_scratch + at
                     + (gsize) parts[i].rows * st->map_w * sizeof (gfloat);
      at += part_bytes (run, &parts[i], channels);
    }
  ok = each_part (run, parts, n, channels, part_render, part_send, error);
  g_free (parts);
  return ok;
}

static const gchar *
stage_name (const Run *run, gint s)
{
  if (s == STAGE_CONV)
    return "conv";
  if (s == STAGE_ACT)
    return cfm_args_choice_nick (CFM_ARG_ACTIVATION,
                                 run->vals->v[CFM_ARG_ACTIVATION].i);
  return run->pl.pool.type == CFM_POOL_MAX ? "max-pool" : "avg-pool";
}

/* "Filter 2 relu (0 .. 1.82, 63% zero)": the prefix scripts look for and a
 * note with the map's range. */
static gchar *
layer_name (const Run *run, gint s, gint f)
{
  const Stage *st = &run->stages[s];
  const CfmStats *stats = &st->stats[f];
  gchar lo[G_ASCII_DTOSTR_BUF_SIZE], hi[G_ASCII_DTOSTR_BUF_SIZE];
  const gchar *stage;
  gchar *name;

  stage = stage_name (run, s);
  g_ascii_formatd (lo, sizeof lo, "%.3g", stats->min);
  g_ascii_formatd (hi, sizeof hi, "%.3g", stats->max);
  if (s == STAGE_CONV)
    name = g_strdup_printf ("Filter %d %s (%s .. %s)", run->numbers[f], stage,
                            lo, hi);
  else
    name = g_strdup_printf ("Filter %d %s (%s .. %s, %d%% zero)",
                            run->numbers[f], stage, lo, hi,
                            (gint) floor (100.0 * stats->zeros
                                          / MAX (stats->count, 1) + 0.5));
  return name;
}

static gchar *
group_name (const Run *run)
{
  gint bank = run->vals->v[CFM_ARG_FILTER_BANK].i;

  return g_strdup_printf ("CNN Feature Maps (%s, %d filter%s)",
                          cfm_args_choice_nick (CFM_ARG_FILTER_BANK, bank),
                          run->bank.n, run->bank.n == 1 ? "" : "s");
}

/* An item made for the image, and where it goes. */
typedef struct
{
  gpointer item, parent;   /* parent: an earlier item, or NULL */
  gint     position;
} Made;

static void
made_add (GArray *made, gpointer item, gpointer parent, gint position)
{
  Made m = { item, parent, position };

  g_array_append_val (made, m);
}

/* Makes the group, a sub-group per filter and a layer per shown stage, in
 * the order they go into the image; nothing is in the image yet. */
static gboolean
make_layers (Run *run, CfmHost *host, GArray *made, GError **error)
{
  gchar *name = group_name (run);
  gpointer group = host->new_group (host, name, error);
  gint f, s;

  g_free (name);
  if (group == NULL)
    return FALSE;
  made_add (made, group, NULL, 0);
  for (f = 0; f < run->bank.n; f++)
    {
      gchar *fname = g_strdup_printf ("Filter %d", run->numbers[f]);
      gpointer sub = host->new_group (host, fname, error);

      g_free (fname);
      if (sub == NULL)
        return FALSE;
      made_add (made, sub, group, f);
      for (s = 0; s < N_STAGES; s++)
        {
          Stage *st = &run->stages[s];

          if (!st->shown)
            continue;
          name = layer_name (run, s, f);
          if (run->xcf)
            {
              /* The layer comes from the file once it is written. */
              st->file_layer[f] = cfm_xcf_add_layer (run->xcf, name, st->x,
                                                     st->y,
                                                     st->map_w * st->scale,
                                                     st->map_h * st->scale);
              g_ptr_array_add (run->file_names, name);
              st->made_at[f] = made->len;
              made_add (made, NULL, sub, 0);
              continue;
            }
          st->buffers[f] = host->new_layer (host, name, st->x, st->y,
                                            st->map_w * st->scale,
                                            st->map_h * st->scale,
                                            &st->layers[f], error);
          g_free (name);
          if (st->buffers[f] == NULL)
            return FALSE;
          made_add (made, st->layers[f], sub, 0);
        }
    }
  return TRUE;
}

static void
finish_layers (Run *run, CfmHost *host)
{
  gint s, f;

  for (s = 0; s < N_STAGES; s++)
    for (f = 0; f < run->bank.n; f++)
      if (run->stages[s].buffers && run->stages[s].buffers[f])
        {
          host->finish_layer (host, run->stages[s].layers[f],
                              run->stages[s].buffers[f]);
          run->stages[s].buffers[f] = NULL;
        }
}

#define SWATCH_CELL 28
#define LEGEND_W    256
#define LEGEND_H    36

/* Makes and fills a layer of W x H display values (GRAY or RGB floats as
 * the image), added to MADE in PARENT at the top. */
static gboolean
picture_layer (CfmHost *host, GArray *made, gpointer parent,
               const gchar *name, gint x, gint y, gint w, gint h,
               gfloat *pixels, GError **error)
{
  gpointer layer;
  GeglBuffer *buf = host->new_layer (host, name, x, y, w, h, &layer, error);
  GeglRectangle rect = { 0, 0, w, h };

  if (buf == NULL)
    return FALSE;
  made_add (made, layer, parent, 0);
  write_pixels (buf, &rect, host->image_rgb ? 3 : 1, pixels,
                (gsize) w * h * (host->image_rgb ? 3 : 1));
  host->finish_layer (host, layer, buf);
  return TRUE;
}

/* Gray values to the image's channels, in place (BUF has room for 3). */
static void
gray_to_image (gfloat *buf, gsize n, gboolean rgb)
{
  gsize i;

  if (rgb)
    for (i = n; i-- > 0;)
      buf[i * 3] = buf[i * 3 + 1] = buf[i * 3 + 2] = buf[i];
}

/* The tutorial's filter figure, a layer per filter in a "Kernels" group at
 * the area's top-left corner; one gray scale for the whole bank. */
static gboolean
make_swatches (Run *run, CfmHost *host, GArray *made, gpointer group,
               GError **error)
{
  const CfmBank *b = &run->bank;
  gsize plane = (gsize) b->kh * b->kw, i;
  gint one_w, one_h, f, ch;
  gfloat lo = b->weights[0], hi = b->weights[0], *pix;
  gpointer sub = host->new_group (host, "Kernels", error);

  if (sub == NULL)
    return FALSE;
  made_add (made, sub, group, 0);
  for (i = 0; i < plane * b->c * b->n; i++)
    {
      lo = MIN (lo, b->weights[i]);
      hi = MAX (hi, b->weights[i]);
    }
  cfm_swatch_size (b->kh, b->kw, SWATCH_CELL, &one_w, &one_h);
  /* Channels of a kernel side by side, 2 pixels apart. */
  pix = g_new (gfloat, (gsize) (one_w + 2) * b->c * one_h * 3);
  for (f = 0; f < b->n; f++)
    {
      gint w = (one_w + 2) * b->c - 2, y;
      gchar *name = g_strdup_printf ("Filter %d kernel", run->numbers[f]);
      gboolean ok;

      for (i = 0; i < (gsize) w * one_h; i++)
        pix[i] = 1.0f;
      for (ch = 0; ch < b->c; ch++)
        {
          gfloat *one = g_new (gfloat, (gsize) one_w * one_h);

          cfm_swatch_draw (b->weights + ((gsize) f * b->c + ch) * plane,
                           b->kh, b->kw, SWATCH_CELL, lo, hi, one);
          for (y = 0; y < one_h; y++)
            memcpy (pix + (gsize) y * w + ch * (one_w + 2),
                    one + (gsize) y * one_w, one_w * sizeof (gfloat));
          g_free (one);
        }
      gray_to_image (pix, (gsize) w * one_h, host->image_rgb);
      ok = picture_layer (host, made, sub, name,
                          run->origin_x + f * (w + 6), run->origin_y, w,
                          one_h, pix, error);
      g_free (name);
      if (!ok)
        {
          g_free (pix);
          return FALSE;
        }
    }
  g_free (pix);
  return TRUE;
}

/* A legend layer per shown stage, at the area's bottom-left corner. */
static gboolean
make_legends (Run *run, CfmHost *host, GArray *made, gpointer group,
              GError **error)
{
  gint norm = run->vals->v[CFM_ARG_NORMALIZE].i, s, k = 0;
  gint colormap = run->vals->v[CFM_ARG_COLORMAP].i;
  gfloat *rgb = g_new (gfloat, LEGEND_W * LEGEND_H * 3);
  gpointer sub = host->new_group (host, "Legends", error);
  gboolean ok = sub != NULL;

  if (ok)
    made_add (made, sub, group, 0);
  for (s = 0; ok && s < N_STAGES; s++)
    {
      Stage *st = &run->stages[s];
      gchar left[32], right[32], *name;
      gfloat lo, hi;
      CfmError err;
      gsize i;

      if (!st->shown)
        continue;
      display_range (run, s, 0, &lo, &hi);
      if (norm == CFM_NORMALIZE_PER_MAP)
        {
          g_strlcpy (left, "min", sizeof left);
          g_strlcpy (right, "max", sizeof right);
        }
      else
        {
          cfm_format_value (lo, left, sizeof left);
          cfm_format_value (hi, right, sizeof right);
        }
      if (cfm_legend_draw (colormap, lo, hi, left, right,
                           norm != CFM_NORMALIZE_PER_MAP, LEGEND_W, LEGEND_H,
                           rgb, &err) != CFM_OK)
        {
          ok = core_error (&err, error);
          break;
        }
      if (!run->image_rgb)
        for (i = 0; i < (gsize) LEGEND_W * LEGEND_H; i++)
          rgb[i] = rgb[i * 3];
      name = g_strdup_printf ("%s legend", stage_name (run, s));
      ok = picture_layer (host, made, sub, name, run->origin_x,
                          run->origin_y + run->height
                          - (++k) * (LEGEND_H + 4), LEGEND_W, LEGEND_H, rgb,
                          error);
      g_free (name);
    }
  g_free (rgb);
  return ok;
}

/* Puts the filled layers into the image, the group with its recipe. */
static gboolean
insert_layers (Run *run, CfmHost *host, GArray *made, GError **error)
{
  gchar *recipe;
  guint i;

  for (i = 0; i < made->len; i++)
    {
      Made *m = &g_array_index (made, Made, i);

      if (!host->insert (host, m->item, m->parent, m->position, error))
        {
          /* Undo the half: what went in comes out with the group, what
           * did not is deleted. */
          guint j;

          for (j = made->len; j > i; j--)
            if (g_array_index (made, Made, j - 1).item)
              host->discard (host, g_array_index (made, Made, j - 1).item);
          if (i > 0)
            host->remove (host, g_array_index (made, Made, 0).item);
          return FALSE;
        }
    }
  recipe = cfm_args_to_text (run->vals);
  host->attach_parasite (host, g_array_index (made, Made, 0).item,
                         CFM_PARASITE, recipe);
  g_free (recipe);
  return TRUE;
}

/* ---- the maps as an XCF file ------------------------------------------- */

/* The bytes of the shown maps as 8-bit layers. */
static guint64
map_bytes (const Run *run, gint channels)
{
  guint64 n = 0;
  gint s;

  for (s = 0; s < N_STAGES; s++)
    if (run->stages[s].shown)
      n += (guint64) run->bank.n * run->stages[s].map_w * run->stages[s].scale
           * run->stages[s].map_h * run->stages[s].scale * channels;
  return n;
}

#define TEMP_PREFIX "cnn-feature-maps-"

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

/* Whether the maps go to GIMP as an XCF file: when the host can load one,
 * the layers are 8-bit non-linear (what the file holds), the file fits in
 * its format and in its folder, and $CFM_TRANSFER is not "tiles". */
static void
use_file (Run *run, CfmHost *host)
{
  const Babl *f = gegl_buffer_get_format (host->source);
  const gchar *env = g_getenv ("CFM_TRANSFER");
  gint colormap = run->vals->v[CFM_ARG_COLORMAP].i;
  guint8 codes[256][3];
  CfmLevelKind kind;
  /* One byte a pixel where that can be: gray maps of a gray image; gray
   * and viridis maps of an RGB image as indices into the colormap's 256
   * colours (GIMP makes them RGB as it copies them in), or, where GIMP
   * does that by a plain copy (2.10) and the image has GIMP's built-in
   * profile, gray maps as gray layers, faster still.  Diverging maps are
   * RGB. */
  gboolean levels = host->image_rgb && level_codes (colormap, codes, &kind);
  gboolean gray = !host->image_rgb
                  || (colormap == CFM_COLORMAP_GRAY && !host->icc_profile
                      && host->gray_file_copies);
  gint channels = gray || levels ? 1 : 3;
  guint64 need = map_bytes (run, channels) + ((guint64) 64 << 20);
  GFileInfo *info;
  GFile *folder;
  gchar *dir;

  if (host->load_layers == NULL || host->temp_dir == NULL
      || (env && strcmp (env, "tiles") == 0)
      || babl_format_get_type (f, 0) != babl_type ("u8")
      || strchr (babl_format_get_encoding (f), '\'') == NULL
      || need > G_MAXUINT32)
    return;
  dir = host->temp_dir (host);
  remove_stale_files (dir);
  run->xcf_path = temp_file_name (dir);
  folder = g_file_new_for_path (dir);
  info = g_file_query_filesystem_info (folder,
                                       G_FILE_ATTRIBUTE_FILESYSTEM_FREE,
                                       NULL, NULL);
  if (info == NULL
      || g_file_info_get_attribute_uint64
           (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE) >= need)
    {
      run->xcf = levels && !gray
                 ? cfm_xcf_new_indexed (&codes[0][0], 256, host->icc_profile)
                 : cfm_xcf_new (channels, host->icc_profile);
      run->xcf_channels = channels;
      run->file_names = g_ptr_array_new_with_free_func (g_free);
    }
  g_clear_object (&info);
  g_object_unref (folder);
  g_free (dir);
}

/* Has GIMP load the written file and puts its layers where they go. */
static gboolean
load_file (Run *run, CfmHost *host, GArray *made, GError **error)
{
  gint n = (gint) run->file_names->len, s, f;
  gpointer *layers = g_new0 (gpointer, n);
  gboolean ok = cfm_xcf_close (run->xcf, error)
                && host->load_layers (host, run->xcf_path, n,
                                      (gchar **) run->file_names->pdata,
                                      layers, error);

  for (s = 0; ok && s < N_STAGES; s++)
    for (f = 0; f < run->bank.n; f++)
      if (run->stages[s].shown)
        {
          run->stages[s].layers[f] = layers[run->stages[s].file_layer[f]];
          g_array_index (made, Made, run->stages[s].made_at[f]).item
            = run->stages[s].layers[f];
        }
  g_free (layers);
  return ok;
}

/* With CFM_REPORT set, the run's time and the plug-in's peak memory go to
 * stderr, for the benchmark.  The peak is VmHWM, reset when the run
 * starts: the plug-in process inherits a high-water mark from GIMP's own
 * size across the fork that started it. */
static void
report_start (void)
{
  FILE *f;

  if (g_getenv ("CFM_REPORT") && (f = fopen ("/proc/self/clear_refs", "w")))
    {
      fputs ("5", f);
      fclose (f);
    }
}

static void
report (const gint64 *t, gboolean file)
{
  gchar *status = NULL, *hwm;

  if (g_getenv ("CFM_REPORT") == NULL
      || !g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return;
  hwm = strstr (status, "VmHWM:");
  g_printerr ("cnn-feature-maps: run %.3f s (ranges %.3f s, maps %s %.3f s, "
              "into the image %.3f s), peak memory %ld MB\n",
              (t[3] - t[0]) / 1e6, (t[1] - t[0]) / 1e6,
              file ? "to the XCF file and loaded" : "to layers by tiles",
              (t[2] - t[1]) / 1e6, (t[3] - t[2]) / 1e6,
              hwm ? strtol (hwm + 6, NULL, 10) / 1024 : -1L);
  g_free (status);
}

void
cfm_render_init_gegl (void)
{
  /* GEGL loads every module on $GEGL_PATH (all its operations when unset:
   * 0.07 s of a 1 s run); a folder that does not exist gives it none. */
  gboolean had_path = g_getenv ("GEGL_PATH") != NULL;

  if (!had_path)
    g_setenv ("GEGL_PATH", "/nonexistent/cnn-feature-maps", TRUE);
  gegl_init (NULL, NULL);
  if (!had_path)
    g_unsetenv ("GEGL_PATH");
}

gboolean
cfm_render_run (const CfmArgValues *vals, CfmHost *host, GError **error)
{
  gint64 t[4] = { g_get_monotonic_time (), 0, 0, 0 };   /* for report */
  GArray *made = g_array_new (FALSE, FALSE, sizeof (Made));
  Run run;
  gboolean ok, file;
  gint s, f;
  guint i;

  /* Tiles are sent to GIMP band by band; a small cache keeps the plug-in's
   * memory at a few bands whatever the image size. */
  g_object_set (gegl_config (), "tile-cache-size", (guint64) 32 << 20, NULL);
  report_start ();
  ok = prepare (&run, vals, host->area.width, host->area.height,
                host->image_rgb, host->origin_x, host->origin_y, error);
  if (ok)
    {
      for (s = 0; s < N_STAGES; s++)
        {
          run.stages[s].stats = g_new0 (CfmStats, run.bank.n);
          run.stages[s].layers = g_new0 (gpointer, run.bank.n);
          run.stages[s].buffers = g_new0 (GeglBuffer *, run.bank.n);
          run.stages[s].file_layer = g_new0 (gint, run.bank.n);
          run.stages[s].made_at = g_new0 (guint, run.bank.n);
        }
      keep_input (&run, host);
      ok = run_bands (&run, host, gather_stats, TRUE, 0.0, 0.4, error);
    }
  if (ok)
    {
      t[1] = g_get_monotonic_time ();
      for (s = 0; s < N_STAGES; s++)
        for (f = 0; f < run.bank.n; f++)
          cfm_stats_merge (&run.stages[s].set, &run.stages[s].stats[f]);
      run.input_kept = run.input_codes != NULL;
      use_file (&run, host);
      ok = make_layers (&run, host, made, error)
           && (run.xcf == NULL
               || cfm_xcf_open (run.xcf, run.xcf_path, error))
           && run_bands (&run, host, write_band, FALSE, 0.4, 0.95, error)
           && (run.xcf == NULL || load_file (&run, host, made, error));
      t[2] = g_get_monotonic_time ();
      if (ok && vals->v[CFM_ARG_KERNEL_SWATCHES].i)
        ok = make_swatches (&run, host, made,
                            g_array_index (made, Made, 0).item, error);
      if (ok && vals->v[CFM_ARG_LEGEND].i)
        ok = make_legends (&run, host, made,
                           g_array_index (made, Made, 0).item, error);
      finish_layers (&run, host);
      if (ok)
        ok = insert_layers (&run, host, made, error);
      else
        for (i = made->len; i > 0; i--)   /* children before their group */
          if (g_array_index (made, Made, i - 1).item)
            host->discard (host, g_array_index (made, Made, i - 1).item);
    }
  if (ok && run.clipped)
    host->warning (host, _("Raw values outside 0..1 were clipped: this "
                           "image stores integers. Convert it to 32-bit "
                           "floating point to keep every value."));
  file = run.xcf != NULL;
  run_free (&run);
  g_array_free (made, TRUE);
  t[3] = g_get_monotonic_time ();
  for (i = 1; i < 3; i++)   /* phases an error skipped took no time */
    t[i] = t[i] ? t[i] : t[i - 1];
  report (t, file);
  return ok;
}

/* ---- the live preview --------------------------------------------------- */

typedef struct
{
  gint      stage;
  gint      filter;            /* index in the run's bank */
  gint      j0, j1, i0, i1;    /* visible map columns and rows, half-open */
  gfloat   *map;               /* the visible part of the filter's map */
  CfmStats  own, set;          /* of the visible parts */
} Preview;

static gint
floor_div (gint a, gint b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static gboolean
preview_progress (CfmHost *host, gdouble fraction)
{
  (void) host;
  (void) fraction;
  return TRUE;
}

/* Keeps the visible part of the previewed map, and the statistics of the
 * visible parts of every map of its stage. */
static gboolean
preview_band (Run *run, CfmHost *host, const Band *band, GError **error)
{
  Preview *p = host->self;
  gint s = p->stage, w = p->j1 - p->j0, r, f;
  gsize plane = (gsize) band->rows[s] * run->stages[s].map_w;

  for (r = 0; r < band->new_rows[s]; r++)
    {
      gint i = band->map_row0[s] + r;

      if (i < p->i0 || i >= p->i1)
        continue;
      for (f = 0; f < run->bank.n; f++)
        {
          const gfloat *row = band->maps[s] + f * plane
                              + (gsize) (band->new0[s] + r)
                                * run->stages[s].map_w + p->j0;
          CfmStats part;

          cfm_stats_compute (row, w, &part);
          cfm_stats_merge (&p->set, &part);
          if (f != p->filter)
            continue;
          cfm_stats_merge (&p->own, &part);
          memcpy (p->map + (gsize) (i - p->i0) * w, row, w * sizeof (gfloat));
        }
    }
  (void) error;
  return TRUE;
}

/* The part of AREA to compute for VIEW: VIEW and a margin wide enough that
 * every map pixel over VIEW reads the pixels the full run gives it, its
 * corner on the full run's grid of strides (area coordinates). */
static GeglRectangle
preview_crop (const CfmArgValues *vals, const GeglRectangle *area,
              const GeglRectangle *view, gint kernel_size)
{
  gint stride = vals->v[CFM_ARG_STRIDE].i;
  gint grid = stride * vals->v[CFM_ARG_POOL_STRIDE].i;
  gint margin = vals->v[CFM_ARG_DILATION].i * kernel_size
                + 2 * vals->v[CFM_ARG_PADDING].i
                + 2 * stride * vals->v[CFM_ARG_POOL_SIZE].i + 2 * grid;
  gint x0 = MAX (0, view->x - area->x - margin);
  gint y0 = MAX (0, view->y - area->y - margin);
  gint x1 = MIN (area->width, view->x - area->x + view->width + margin);
  gint y1 = MIN (area->height, view->y - area->y + view->height + margin);

  x0 -= x0 % grid;
  y0 -= y0 % grid;
  return (GeglRectangle) { x0, y0, x1 - x0, y1 - y0 };
}

/* VALS as the preview runs them: only the previewed filter (every shown
 * filter when the stage shares one range), maps aligned, its stage on. */
static void
preview_values (const CfmArgValues *vals, gint filter, gint stage,
                CfmArgValues *pv, gchar **filters)
{
  *pv = *vals;   /* shallow: PV borrows VALS's strings */
  if (vals->v[CFM_ARG_NORMALIZE].i != CFM_NORMALIZE_PER_STAGE)
    pv->v[CFM_ARG_FILTERS].s = *filters = g_strdup_printf ("%d", filter);
  pv->v[CFM_ARG_ALIGN].i = TRUE;
  pv->v[stage == STAGE_CONV ? CFM_ARG_SHOW_CONV
        : stage == STAGE_ACT ? CFM_ARG_SHOW_ACTIVATION
        : CFM_ARG_SHOW_POOL].i = TRUE;
  pv->v[CFM_ARG_KERNEL_SWATCHES].i = FALSE;
  pv->v[CFM_ARG_LEGEND].i = FALSE;
}

/* Finds the previewed filter in the run and the map part over VIEW. */
static gboolean
preview_locate (const Run *run, gint filter, const GeglRectangle *view,
                Preview *p, GError **error)
{
  const Stage *st = &run->stages[p->stage];
  gint f;

  p->filter = -1;
  for (f = 0; f < run->bank.n; f++)
    if (run->numbers[f] == filter)
      p->filter = f;
  if (p->filter < 0)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("Filter %d is not among the filters to show."), filter);
      return FALSE;
    }
  /* VIEW in the run's coordinates, where the stage's layer lies at x, y. */
  p->j0 = CLAMP (floor_div (view->x - st->x, st->scale), 0, st->map_w);
  p->j1 = CLAMP (floor_div (view->x + view->width - 1 - st->x, st->scale) + 1,
                 p->j0, st->map_w);
  p->i0 = CLAMP (floor_div (view->y - st->y, st->scale), 0, st->map_h);
  p->i1 = CLAMP (floor_div (view->y + view->height - 1 - st->y, st->scale)
                 + 1, p->i0, st->map_h);
  p->map = g_new0 (gfloat, (gsize) (p->j1 - p->j0) * (p->i1 - p->i0) + 1);
  return TRUE;
}

/* Draws the kept map part over VIEW (run coordinates) into RGB. */
static void
preview_draw (const Run *run, const Preview *p, const GeglRectangle *view,
              guchar *rgb)
{
  const Stage *st = &run->stages[p->stage];
  gint colormap = run->vals->v[CFM_ARG_COLORMAP].i, x, y, c;
  gfloat lo, hi;

  range_of (run->vals, &p->own, &p->set, &lo, &hi);
  for (y = 0; y < view->height; y++)
    for (x = 0; x < view->width; x++)
      {
        gint i = floor_div (view->y + y - st->y, st->scale);
        gint j = floor_div (view->x + x - st->x, st->scale);
        guchar *px = rgb + ((gsize) y * view->width + x) * 3;
        gfloat v, t, color[3];

        if (i < p->i0 || i >= p->i1 || j < p->j0 || j >= p->j1)
          {
            px[0] = px[1] = px[2] = 64;   /* no map pixel here */
            continue;
          }
        v = p->map[(gsize) (i - p->i0) * (p->j1 - p->j0) + j - p->j0];
        cfm_display_map (&v, &t, 1, lo, hi, TRUE);
        display_color (colormap, t, color);
        for (c = 0; c < 3; c++)
          px[c] = (guchar) (CLAMP (color[c], 0.0f, 1.0f) * 255.0f + 0.5f);
      }
}

gboolean
cfm_render_preview (const CfmArgValues *vals, GeglBuffer *source,
                    const GeglRectangle *area, gboolean image_rgb,
                    const GeglRectangle *view, gint filter, CfmStage stage,
                    guchar *rgb, GError **error)
{
  CfmArgValues pv;
  gchar *filters = NULL;
  CfmHost host = { 0 };
  Preview p = { 0 };
  GeglRectangle crop, v;
  Run run;
  gboolean ok;

  memset (rgb, 64, (gsize) view->width * view->height * 3);
  preview_values (vals, filter, stage, &pv, &filters);
  /* A first look at the bank for its kernel size, then the run itself. */
  ok = prepare (&run, &pv, area->width, area->height, image_rgb, 0, 0, error);
  if (ok)
    {
      crop = preview_crop (&pv, area, view, MAX (run.bank.kw, run.bank.kh));
      run_free (&run);
      ok = prepare (&run, &pv, crop.width, crop.height, image_rgb, crop.x,
                    crop.y, error);
    }
  p.stage = stage;
  v = (GeglRectangle) { view->x - area->x, view->y - area->y, view->width,
                        view->height };
  if (ok)
    ok = preview_locate (&run, filter, &v, &p, error);
  if (ok)
    {
      host.self = &p;
      host.source = source;
      host.area = (GeglRectangle) { area->x + crop.x, area->y + crop.y,
                                    crop.width, crop.height };
      host.image_rgb = image_rgb;
      host.progress = preview_progress;
      ok = run_bands (&run, &host, preview_band, FALSE, 0.0, 1.0, error);
    }
  if (ok)
    preview_draw (&run, &p, &v, rgb);
  g_free (p.map);
  run_free (&run);
  g_free (filters);
  return ok;
}
