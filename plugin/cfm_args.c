/* cfm_args.c: the argument table; see cfm_args.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfm_args.h"
#include "cfm_bank.h"
#include "cfm_i18n.h"

static const CfmChoice bank_choices[] = {
  { "tutorial",  N_("Tutorial (4 edge filters, 4x4)") },
  { "sobel",     N_("Sobel (x, y)") },
  { "prewitt",   N_("Prewitt (x, y)") },
  { "scharr",    N_("Scharr (x, y)") },
  { "laplacian", N_("Laplacian (4- and 8-neighbour)") },
  { "gaussian",  N_("Gaussian blur 3x3") },
  { "sharpen",   N_("Sharpen") },
  { "emboss",    N_("Emboss") },
  { "identity",  N_("Identity") },
  { "custom",    N_("Custom kernels (text)") },
  { "file",      N_("Kernel file (.npy or text)") },
  { NULL, NULL }
};

static const CfmChoice input_choices[] = {
  { "luma",      N_("Luma (Rec.601, as OpenCV)") },
  { "luminance", N_("Luminance (GIMP)") },
  { "red",       N_("Red") },
  { "green",     N_("Green") },
  { "blue",      N_("Blue") },
  { "rgb",       N_("RGB (3 input channels)") },
  { NULL, NULL }
};

static const CfmChoice padding_choices[] = {
  { "zeros",     N_("Zeros") },
  { "reflect",   N_("Reflect") },
  { "replicate", N_("Replicate") },
  { "circular",  N_("Circular") },
  { NULL, NULL }
};

static const CfmChoice activation_choices[] = {
  { "relu",       N_("ReLU") },
  { "leaky-relu", N_("Leaky ReLU") },
  { "abs",        N_("Absolute value") },
  { "none",       N_("None") },
  { NULL, NULL }
};

static const CfmChoice pool_choices[] = {
  { "max", N_("Max") },
  { "avg", N_("Average") },
  { NULL, NULL }
};

static const CfmChoice normalize_choices[] = {
  { "per-map",   N_("Per map (as matplotlib)") },
  { "per-stage", N_("Per stage (comparable)") },
  { "none",      N_("None (raw values)") },
  { NULL, NULL }
};

static const CfmChoice colormap_choices[] = {
  { "gray",      N_("Gray") },
  { "diverging", N_("Diverging (blue, white, red)") },
  { "viridis",   N_("Viridis") },
  { NULL, NULL }
};

static const CfmChoice expand_choices[] = {
  { "none",      N_("None") },
  { "negate",    N_("Each kernel and its negative") },
  { "tutorial",  N_("k, -k, k transposed, -k transposed (as the tutorial)") },
  { "rotations", N_("The 8 rotations and flips") },
  { NULL, NULL }
};

#define G_FILTERS    N_("Filters")
#define G_CONV       N_("Convolution")
#define G_ACTIVATION N_("Activation")
#define G_POOLING    N_("Pooling")
#define G_DISPLAY    N_("Display")

const CfmArgSpec cfm_arg_specs[CFM_N_ARGS] = {
  { "filter-bank", CFM_TYPE_CHOICE, N_("Filter _bank"),
    N_("The kernels to run: a built-in bank, custom kernel text or a kernel "
       "file"), G_FILTERS, 0, 0, 0, NULL, bank_choices },
  { "filters", CFM_TYPE_STRING, N_("_Filters"),
    N_("Which filters of the bank to run, 1-based: all, 2, 1,3-4"),
    G_FILTERS, 0, 0, 0, "all", NULL },
  { "kernels", CFM_TYPE_STRING, N_("_Kernels"),
    N_("Kernel text for the custom bank: rows on lines or separated by ';', "
       "kernels separated by a blank line or '|', or NumPy/PyTorch printed "
       "arrays"), G_FILTERS, 0, 0, 0, "", NULL },
  { "kernel-file", CFM_TYPE_FILE, N_("Kernel fi_le"),
    N_("A .npy file of shape (kh, kw), (n, kh, kw) or (n, c, kh, kw), or a "
       "kernel text file, for the file bank"), G_FILTERS, 0, 0, 0, NULL,
    NULL },
  { "bias", CFM_TYPE_STRING, N_("B_ias"),
    N_("One bias for all filters, or one per filter separated by commas"),
    G_CONV, 0, 0, 0, "0", NULL },
  { "input", CFM_TYPE_CHOICE, N_("_Input"),
    N_("What the network sees: luma as the tutorial's OpenCV conversion, "
       "GIMP's luminance, one channel, or all three"), G_CONV, 0, 0, 0,
    NULL, input_choices },
  { "stride", CFM_TYPE_INT, N_("_Stride"),
    N_("Step between kernel positions"), G_CONV, 1, 16, 1, NULL, NULL },
  { "padding", CFM_TYPE_INT, N_("_Padding"),
    N_("Pixels added on every side before the convolution"), G_CONV, 0, 64,
    0, NULL, NULL },
  { "padding-mode", CFM_TYPE_CHOICE, N_("Padding _mode"),
    N_("What the padding holds, as PyTorch's padding_mode"), G_CONV, 0, 0, 0,
    NULL, padding_choices },
  { "dilation", CFM_TYPE_INT, N_("_Dilation"),
    N_("Spacing between kernel taps"), G_CONV, 1, 16, 1, NULL, NULL },
  { "show-conv", CFM_TYPE_BOOLEAN, N_("Show _convolution maps"),
    N_("Add the convolution maps as layers"), G_CONV, 0, 1, 1, NULL, NULL },
  { "activation", CFM_TYPE_CHOICE, N_("_Activation"),
    N_("The function applied to each convolution map"), G_ACTIVATION, 0, 0,
    0, NULL, activation_choices },
  { "negative-slope", CFM_TYPE_DOUBLE, N_("_Negative slope"),
    N_("Slope of leaky ReLU below zero"), G_ACTIVATION, 0, 1, 0.01, NULL,
    NULL },
  { "show-activation", CFM_TYPE_BOOLEAN, N_("Show acti_vation maps"),
    N_("Add the activation maps as layers"), G_ACTIVATION, 0, 1, 1, NULL,
    NULL },
  { "pool-type", CFM_TYPE_CHOICE, N_("Pool _type"),
    N_("Max or average pooling of the activation maps"), G_POOLING, 0, 0, 0,
    NULL, pool_choices },
  { "pool-size", CFM_TYPE_INT, N_("Pool si_ze"),
    N_("Side of the pooling window"), G_POOLING, 1, 16, 2, NULL, NULL },
  { "pool-stride", CFM_TYPE_INT, N_("Pool st_ride"),
    N_("Step between pooling windows"), G_POOLING, 1, 16, 2, NULL, NULL },
  { "show-pool", CFM_TYPE_BOOLEAN, N_("Show p_ooled maps"),
    N_("Add the pooled maps as layers"), G_POOLING, 0, 1, 1, NULL, NULL },
  { "normalize", CFM_TYPE_CHOICE, N_("N_ormalize"),
    N_("How map values become pixel values: each map's own range, one "
       "range per stage, or the raw values"), G_DISPLAY, 0, 0, 0, NULL,
    normalize_choices },
  { "colormap", CFM_TYPE_CHOICE, N_("Color_map"),
    N_("Gray as the tutorial, diverging (negative blue, zero white, "
       "positive red) or viridis; colors need an RGB image"), G_DISPLAY, 0,
    0, 0, NULL, colormap_choices },
  { "align", CFM_TYPE_BOOLEAN, N_("A_lign maps over the image"),
    N_("Place each map over the input pixels it was computed from, enlarged "
       "by its stride"), G_DISPLAY, 0, 1, 1, NULL, NULL },
  { "expand", CFM_TYPE_CHOICE, N_("E_xpand the bank"),
    N_("Grow the bank from its kernels before the filters are chosen"),
    G_FILTERS, 0, 0, 0, NULL, expand_choices },
  { "kernel-swatches", CFM_TYPE_BOOLEAN, N_("Show the _kernels"),
    N_("Add a layer per filter that draws its kernel with its values, as "
       "the tutorial does"), G_DISPLAY, 0, 1, 0, NULL, NULL },
  { "legend", CFM_TYPE_BOOLEAN, N_("Add a le_gend"),
    N_("Add a layer per stage with the colour bar and the values it stands "
       "for"), G_DISPLAY, 0, 1, 0, NULL, NULL },
};

/* In the order of CfmStage. */
static const CfmChoice stage_choices[] = {
  { "conv",       G_CONV },
  { "activation", G_ACTIVATION },
  { "pool",       G_POOLING },
  { NULL, NULL }
};

const CfmArgSpec cfm_preview_specs[CFM_N_PREVIEW_ARGS] = {
  { "preview-filter", CFM_TYPE_INT, N_("Preview _filter"),
    N_("The filter whose map the preview shows, numbered as in layer names"),
    NULL, 1, CFM_FILTERS_MAX, 1, NULL, NULL },
  { "preview-stage", CFM_TYPE_CHOICE, N_("Preview s_tage"),
    N_("The stage whose map the preview shows"), NULL, 0, 0, 1, NULL,
    stage_choices },
};

G_DEFINE_QUARK (cfm-error-quark, cfm_error)

void
cfm_args_init (CfmArgValues *vals)
{
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    {
      const CfmArgSpec *spec = &cfm_arg_specs[i];

      switch (spec->type)
        {
        case CFM_TYPE_STRING:
        case CFM_TYPE_FILE:
          vals->v[i].s = g_strdup (spec->def_str);
          break;
        case CFM_TYPE_DOUBLE:
          vals->v[i].d = spec->def;
          break;
        default:
          vals->v[i].i = (gint) spec->def;
          break;
        }
    }
}

void
cfm_args_clear (CfmArgValues *vals)
{
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    if (cfm_arg_specs[i].type == CFM_TYPE_STRING
        || cfm_arg_specs[i].type == CFM_TYPE_FILE)
      g_clear_pointer (&vals->v[i].s, g_free);
}

gint
cfm_args_choice_index (CfmArgId id, const gchar *nick)
{
  const CfmChoice *c = cfm_arg_specs[id].choices;
  gint i;

  for (i = 0; c && c[i].nick; i++)
    if (nick && strcmp (c[i].nick, nick) == 0)
      return i;
  return -1;
}

const gchar *
cfm_args_choice_nick (CfmArgId id, gint index)
{
  const CfmChoice *c = cfm_arg_specs[id].choices;
  gint i;

  for (i = 0; c && c[i].nick; i++)
    if (i == index)
      return c[i].nick;
  return NULL;
}

gboolean
cfm_args_check (const CfmArgValues *vals, GError **error)
{
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    {
      const CfmArgSpec *spec = &cfm_arg_specs[i];
      const CfmArgValue *v = &vals->v[i];

      if (spec->type == CFM_TYPE_CHOICE
          && cfm_args_choice_nick ((CfmArgId) i, v->i) == NULL)
        {
          g_set_error (error, CFM_ERROR, 0, _("%s: unknown choice %d"),
                       spec->name, v->i);
          return FALSE;
        }
      if ((spec->type == CFM_TYPE_INT && (v->i < spec->min
                                          || v->i > spec->max))
          || (spec->type == CFM_TYPE_DOUBLE
              && !(v->d >= spec->min && v->d <= spec->max)))
        {
          g_set_error (error, CFM_ERROR, 0,
                       _("%s must be between %g and %g"), spec->name,
                       spec->min, spec->max);
          return FALSE;
        }
    }
  return TRUE;
}

gchar *
cfm_args_value_text (const CfmArgValues *vals, CfmArgId id)
{
  gchar num[G_ASCII_DTOSTR_BUF_SIZE];

  switch (cfm_arg_specs[id].type)
    {
    case CFM_TYPE_CHOICE:
      return g_strdup (cfm_args_choice_nick (id, vals->v[id].i));
    case CFM_TYPE_STRING:
    case CFM_TYPE_FILE:
      return g_strdup (vals->v[id].s ? vals->v[id].s : "");
    case CFM_TYPE_DOUBLE:
      return g_strdup (g_ascii_dtostr (num, sizeof num, vals->v[id].d));
    case CFM_TYPE_BOOLEAN:
      return g_strdup (vals->v[id].i ? "true" : "false");
    default:
      return g_strdup_printf ("%d", vals->v[id].i);
    }
}

gchar *
cfm_args_to_text (const CfmArgValues *vals)
{
  GString *s = g_string_new (NULL);
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    {
      gchar *value = cfm_args_value_text (vals, (CfmArgId) i);
      gchar *text = g_strescape (value, NULL);

      g_string_append_printf (s, "%s=%s\n", cfm_arg_specs[i].name, text);
      g_free (value);
      g_free (text);
    }
  return g_string_free (s, FALSE);
}

void
cfm_args_from_text (CfmArgValues *vals, const gchar *text)
{
  gchar **lines = g_strsplit (text, "\n", -1);
  gint i;

  for (i = 0; lines[i]; i++)
    {
      gchar *eq = strchr (lines[i], '=');
      gchar *value;

      if (eq == NULL)
        continue;
      *eq = '\0';
      value = g_strcompress (eq + 1);
      cfm_args_set_from_string (vals, lines[i], value, NULL);
      g_free (value);
    }
  g_strfreev (lines);
}

gboolean
cfm_args_set_from_string (CfmArgValues *vals, const gchar *name,
                          const gchar *text, GError **error)
{
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    {
      const CfmArgSpec *spec = &cfm_arg_specs[i];
      CfmArgValue *v = &vals->v[i];
      gchar *end = NULL;

      if (strcmp (spec->name, name) != 0)
        continue;
      switch (spec->type)
        {
        case CFM_TYPE_CHOICE:
          v->i = cfm_args_choice_index ((CfmArgId) i, text);
          if (v->i < 0)
            {
              g_set_error (error, CFM_ERROR, 0,
                           _("%s: \"%s\" is not one of its choices"), name,
                           text);
              return FALSE;
            }
          return TRUE;
        case CFM_TYPE_STRING:
        case CFM_TYPE_FILE:
          g_free (v->s);
          v->s = g_strdup (text);
          return TRUE;
        case CFM_TYPE_BOOLEAN:
          if (g_ascii_strcasecmp (text, "true") == 0 || strcmp (text, "1") == 0)
            v->i = TRUE;
          else if (g_ascii_strcasecmp (text, "false") == 0
                   || strcmp (text, "0") == 0)
            v->i = FALSE;
          else
            break;
          return TRUE;
        case CFM_TYPE_INT:
          v->i = (gint) g_ascii_strtoll (text, &end, 10);
          if (end == text || *end != '\0')
            break;
          return TRUE;
        case CFM_TYPE_DOUBLE:
          v->d = g_ascii_strtod (text, &end);
          if (end == text || *end != '\0')
            break;
          return TRUE;
        }
      g_set_error (error, CFM_ERROR, 0, _("%s: \"%s\" is not a valid value"),
                   name, text);
      return FALSE;
    }
  g_set_error (error, CFM_ERROR, 0, _("there is no argument \"%s\""), name);
  return FALSE;
}
