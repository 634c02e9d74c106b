/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_args.c: the argument table; see cfm_args.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cfm_args.h"
#include "cfm_bank.h"
#include "cfm_i18n.h"

static const CfmChoice bank_choices[] = {
  { "tutorial",  N_("Tutorial (4 edge filters, 4x4)"), CFM_BANK_TUTORIAL },
  { "sobel",     N_("Sobel (x, y)"), CFM_BANK_SOBEL },
  { "prewitt",   N_("Prewitt (x, y)"), CFM_BANK_PREWITT },
  { "scharr",    N_("Scharr (x, y)"), CFM_BANK_SCHARR },
  { "laplacian", N_("Laplacian (4- and 8-neighbour)"), CFM_BANK_LAPLACIAN },
  { "gaussian",  N_("Gaussian blur 3x3"), CFM_BANK_GAUSSIAN },
  { "sharpen",   N_("Sharpen"), CFM_BANK_SHARPEN },
  { "emboss",    N_("Emboss"), CFM_BANK_EMBOSS },
  { "identity",  N_("Identity"), CFM_BANK_IDENTITY },
  { "custom",    N_("Custom kernels (text)"), CFM_BANK_CUSTOM },
  { "file",      N_("Kernel file (.npy or text)"), CFM_BANK_FILE },
  { "model",     N_("A trained model's layer"), CFM_BANK_MODEL },
  { "selection", N_("The selected patch (a matched filter)"),
    CFM_BANK_SELECTION },
  { NULL, NULL, 0 }
};

static const CfmChoice input_choices[] = {
  { "luma",      N_("Luma (Rec.601, as OpenCV)"), CFM_INPUT_LUMA },
  { "luminance", N_("Luminance (GIMP)"), CFM_INPUT_LUMINANCE },
  { "red",       N_("Red"), CFM_INPUT_RED },
  { "green",     N_("Green"), CFM_INPUT_GREEN },
  { "blue",      N_("Blue"), CFM_INPUT_BLUE },
  { "rgb",       N_("RGB (3 input channels)"), CFM_INPUT_RGB },
  { NULL, NULL, 0 }
};

static const CfmChoice padding_choices[] = {
  { "zeros",     N_("Zeros"), CFM_PAD_ZEROS },
  { "reflect",   N_("Reflect"), CFM_PAD_REFLECT },
  { "replicate", N_("Replicate"), CFM_PAD_REPLICATE },
  { "circular",  N_("Circular"), CFM_PAD_CIRCULAR },
  { NULL, NULL, 0 }
};

static const CfmChoice activation_choices[] = {
  { "relu",       N_("ReLU"), CFM_ACT_RELU },
  { "leaky-relu", N_("Leaky ReLU"), CFM_ACT_LEAKY_RELU },
  { "abs",        N_("Absolute value"), CFM_ACT_ABS },
  { "none",       N_("None"), CFM_ACT_NONE },
  { NULL, NULL, 0 }
};

static const CfmChoice pool_choices[] = {
  { "max", N_("Max"), CFM_POOL_MAX },
  { "avg", N_("Average"), CFM_POOL_AVG },
  { NULL, NULL, 0 }
};

static const CfmChoice normalize_choices[] = {
  { "per-map",   N_("Per map (as matplotlib)"), CFM_NORMALIZE_PER_MAP },
  { "per-stage", N_("Per stage (comparable)"), CFM_NORMALIZE_PER_STAGE },
  { "none",      N_("None (raw values)"), CFM_NORMALIZE_NONE },
  { NULL, NULL, 0 }
};

static const CfmChoice colormap_choices[] = {
  { "gray",      N_("Gray"), CFM_COLORMAP_GRAY },
  { "diverging", N_("Diverging (blue, white, red)"), CFM_COLORMAP_DIVERGING },
  { "viridis",   N_("Viridis"), CFM_COLORMAP_VIRIDIS },
  { "turbo",     N_("Turbo"), CFM_COLORMAP_TURBO },
  { "jet",       N_("Jet"), CFM_COLORMAP_JET },
  { NULL, NULL, 0 }
};

static const CfmChoice cam_choices[] = {
  { "none",               N_("None"), CFM_CAM_NONE },
  { "cam",                N_("CAM (the last Linear's weights)"),
    CFM_CAM_CAM },
  { "grad-cam",           N_("Grad-CAM"), CFM_CAM_GRAD },
  { "grad-cam-plus-plus", N_("Grad-CAM++"), CFM_CAM_GRAD_PLUS_PLUS },
  { "layer-cam",          N_("Layer-CAM"), CFM_CAM_LAYER },
  { NULL, NULL, 0 }
};

static const CfmChoice expand_choices[] = {
  { "none",      N_("None"), CFM_EXPAND_NONE },
  { "negate",    N_("Each kernel and its negative"), CFM_EXPAND_NEGATE },
  { "tutorial",  N_("k, -k, k transposed, -k transposed (as the tutorial)"),
    CFM_EXPAND_TUTORIAL },
  { "rotations", N_("The 8 rotations and flips"), CFM_EXPAND_ROTATIONS },
  { NULL, NULL, 0 }
};

#define G_FILTERS    CFM_GROUP_FILTERS
#define G_CONV       CFM_GROUP_CONV
#define G_ACTIVATION CFM_GROUP_ACTIVATION
#define G_POOLING    CFM_GROUP_POOLING
#define G_DISPLAY    CFM_GROUP_DISPLAY
#define G_MODEL      CFM_GROUP_MODEL

const CfmArgSpec cfm_arg_specs[CFM_N_ARGS] = {
  [CFM_ARG_FILTER_BANK] = {
    "filter-bank", CFM_TYPE_CHOICE, N_("Filter _bank"),
    N_("The kernels to run: a built-in bank, custom kernel text or a kernel "
       "file"), G_FILTERS, 0, 0, CFM_BANK_TUTORIAL, NULL, bank_choices },
  [CFM_ARG_FILTERS] = {
    "filters", CFM_TYPE_STRING, N_("_Filters"),
    N_("Which filters of the bank to run, 1-based: all, 2, 1,3-4"),
    G_FILTERS, 0, 0, 0, "all", NULL },
  [CFM_ARG_KERNELS] = {
    "kernels", CFM_TYPE_STRING, N_("_Kernels"),
    N_("Kernel text for the custom bank: rows on lines or separated by ';', "
       "kernels separated by a blank line or '|', or NumPy/PyTorch printed "
       "arrays"), G_FILTERS, 0, 0, 0, "", NULL },
  [CFM_ARG_KERNEL_FILE] = {
    "kernel-file", CFM_TYPE_FILE, N_("Kernel fi_le"),
    N_("A .npy file of shape (kh, kw), (n, kh, kw) or (n, c, kh, kw), or a "
       "kernel text file, for the file bank"), G_FILTERS, 0, 0, 0, NULL,
    NULL },
  [CFM_ARG_BIAS] = {
    "bias", CFM_TYPE_STRING, N_("B_ias"),
    N_("One bias for all filters, or one per filter separated by commas"),
    G_CONV, 0, 0, 0, "0", NULL },
  [CFM_ARG_INPUT] = {
    "input", CFM_TYPE_CHOICE, N_("_Input"),
    N_("What the network sees: luma as the tutorial's OpenCV conversion, "
       "GIMP's luminance, one channel, or all three"), G_CONV, 0, 0,
    CFM_INPUT_LUMA, NULL, input_choices },
  [CFM_ARG_STRIDE] = {
    "stride", CFM_TYPE_INT, N_("_Stride"),
    N_("Step between kernel positions"), G_CONV, 1, 16, 1, NULL, NULL },
  [CFM_ARG_PADDING] = {
    "padding", CFM_TYPE_INT, N_("_Padding"),
    N_("Pixels added on every side before the convolution"), G_CONV, 0, 64,
    0, NULL, NULL },
  [CFM_ARG_PADDING_MODE] = {
    "padding-mode", CFM_TYPE_CHOICE, N_("Padding _mode"),
    N_("What the padding holds, as PyTorch's padding_mode"), G_CONV, 0, 0,
    CFM_PAD_ZEROS, NULL, padding_choices },
  [CFM_ARG_DILATION] = {
    "dilation", CFM_TYPE_INT, N_("_Dilation"),
    N_("Spacing between kernel taps"), G_CONV, 1, 16, 1, NULL, NULL },
  [CFM_ARG_SHOW_CONV] = {
    "show-conv", CFM_TYPE_BOOLEAN, N_("Show _convolution maps"),
    N_("Add the convolution maps as layers"), G_CONV, 0, 1, TRUE, NULL,
    NULL },
  [CFM_ARG_ACTIVATION] = {
    "activation", CFM_TYPE_CHOICE, N_("_Activation"),
    N_("The function applied to each convolution map"), G_ACTIVATION, 0, 0,
    CFM_ACT_RELU, NULL, activation_choices },
  [CFM_ARG_NEGATIVE_SLOPE] = {
    "negative-slope", CFM_TYPE_DOUBLE, N_("_Negative slope"),
    N_("Slope of leaky ReLU below zero"), G_ACTIVATION, 0, 1, 0.01, NULL,
    NULL },
  [CFM_ARG_SHOW_ACTIVATION] = {
    "show-activation", CFM_TYPE_BOOLEAN, N_("Show acti_vation maps"),
    N_("Add the activation maps as layers"), G_ACTIVATION, 0, 1, TRUE, NULL,
    NULL },
  [CFM_ARG_POOL_TYPE] = {
    "pool-type", CFM_TYPE_CHOICE, N_("Pool _type"),
    N_("Max or average pooling of the activation maps"), G_POOLING, 0, 0,
    CFM_POOL_MAX, NULL, pool_choices },
  [CFM_ARG_POOL_SIZE] = {
    "pool-size", CFM_TYPE_INT, N_("Pool si_ze"),
    N_("Side of the pooling window"), G_POOLING, 1, 16, 2, NULL, NULL },
  [CFM_ARG_POOL_STRIDE] = {
    "pool-stride", CFM_TYPE_INT, N_("Pool st_ride"),
    N_("Step between pooling windows"), G_POOLING, 1, 16, 2, NULL, NULL },
  [CFM_ARG_SHOW_POOL] = {
    "show-pool", CFM_TYPE_BOOLEAN, N_("Show p_ooled maps"),
    N_("Add the pooled maps as layers"), G_POOLING, 0, 1, TRUE, NULL, NULL },
  [CFM_ARG_NORMALIZE] = {
    "normalize", CFM_TYPE_CHOICE, N_("N_ormalize"),
    N_("How map values become pixel values: each map's own range, one "
       "range per stage, or the raw values"), G_DISPLAY, 0, 0,
    CFM_NORMALIZE_PER_MAP, NULL, normalize_choices },
  [CFM_ARG_COLORMAP] = {
    "colormap", CFM_TYPE_CHOICE, N_("Color_map"),
    N_("Gray as the tutorial, diverging (negative blue, zero white, "
       "positive red), viridis, turbo or jet; colors need an RGB image"),
    G_DISPLAY, 0,
    0, CFM_COLORMAP_GRAY, NULL, colormap_choices },
  [CFM_ARG_ALIGN] = {
    "align", CFM_TYPE_BOOLEAN, N_("A_lign maps over the image"),
    N_("Place each map over the input pixels it was computed from, enlarged "
       "by its stride"), G_DISPLAY, 0, 1, TRUE, NULL, NULL },
  [CFM_ARG_EXPAND] = {
    "expand", CFM_TYPE_CHOICE, N_("E_xpand the bank"),
    N_("Grow the bank from its kernels before the filters are chosen"),
    G_FILTERS, 0, 0, CFM_EXPAND_NONE, NULL, expand_choices },
  [CFM_ARG_KERNEL_SWATCHES] = {
    "kernel-swatches", CFM_TYPE_BOOLEAN, N_("Show the _kernels"),
    N_("Add a layer per filter that draws its kernel with its values, as "
       "the tutorial does"), G_DISPLAY, 0, 1, FALSE, NULL, NULL },
  [CFM_ARG_LEGEND] = {
    "legend", CFM_TYPE_BOOLEAN, N_("Add a le_gend"),
    N_("Add a layer per stage with the colour bar and the values it stands "
       "for"), G_DISPLAY, 0, 1, FALSE, NULL, NULL },
  [CFM_ARG_MODEL_FILE] = {
    "model-file", CFM_TYPE_FILE, N_("_Model file"),
    N_("A trained model for the filter bank \"model\": a PyTorch state "
       "dict or checkpoint (.pth, .pt), .safetensors, .npz or .onnx"),
    G_MODEL, 0, 0, 0, NULL, NULL },
  [CFM_ARG_NETWORK] = {
    "network", CFM_TYPE_STRING, N_("_Network"),
    N_("The model's layers as print(model) prints them, for files that hold "
       "only weights (ignored for .onnx)"), G_MODEL, 0, 0, 0, "", NULL },
  [CFM_ARG_LAYER] = {
    "layer", CFM_TYPE_STRING, N_("La_yer"),
    N_("The module whose maps are shown: its PyTorch name (features.3, "
       "layer1.0.conv1) or ONNX node name; empty: the first convolution"),
    G_MODEL, 0, 0, 0, "", NULL },
  [CFM_ARG_INPUT_NORMALIZE] = {
    "input-normalize", CFM_TYPE_STRING, N_("Input normali_zation"),
    N_("What the model's input is after dividing by 255: none, imagenet "
       "(torchvision's Normalize of ImageNet), or M1,M2,M3/S1,S2,S3"),
    G_MODEL, 0, 0, 0, "none", NULL },
  [CFM_ARG_LABELS] = {
    "labels", CFM_TYPE_STRING, N_("Class _labels"),
    N_("The names of a classifier's classes: empty gives \"class N\"; "
       "imagenet the ImageNet-1k names in torchvision's order; else one "
       "label a line"), G_MODEL, 0, 0, 0, "", NULL },
  [CFM_ARG_INPUT_SIZE] = {
    "input-size", CFM_TYPE_INT, N_("Input si_ze"),
    N_("0: run the network on the image (or selection) at its own size; N: "
       "first resize it so that its shorter side is N pixels, as "
       "torchvision's Resize(N) does (224 for torchvision's classifiers); "
       "the maps are laid back over the photo at its scale"),
    G_MODEL, 0, CFM_INPUT_SIZE_MAX, 0, NULL, NULL },
  [CFM_ARG_CAM] = {
    "cam", CFM_TYPE_CHOICE, N_("Class _activation map"),
    N_("Where in the image the network finds the evidence for a class, at "
       "the layer: a heat map over the photo with \"align\" (CAM for "
       "networks that end in global pooling and one Linear; Grad-CAM, "
       "Grad-CAM++ and Layer-CAM by the class score's gradient)"),
    G_MODEL, 0, 0, CFM_CAM_NONE, NULL, cam_choices },
  [CFM_ARG_CAM_CLASS] = {
    "cam-class", CFM_TYPE_STRING, N_("Cla_ss"),
    N_("The class of the activation map: empty the most probable one, a "
       "0-based index, or a label of \"labels\"; several separated by "
       "commas give a layer each"),
    G_MODEL, 0, 0, 0, "", NULL },
};

static const CfmChoice stage_choices[] = {
  { "conv",       G_CONV, CFM_STAGE_CONV },
  { "activation", G_ACTIVATION, CFM_STAGE_ACTIVATION },
  { "pool",       G_POOLING, CFM_STAGE_POOL },
  { NULL, NULL, 0 }
};

const CfmArgSpec cfm_preview_specs[CFM_N_PREVIEW_ARGS] = {
  [CFM_PREVIEW_FILTER] = {
    "preview-filter", CFM_TYPE_INT, N_("Preview _filter"),
    N_("The filter whose map the preview shows, numbered as in layer names"),
    NULL, 1, CFM_PREVIEW_CHANNELS_MAX, 1, NULL, NULL },
  [CFM_PREVIEW_STAGE] = {
    "preview-stage", CFM_TYPE_CHOICE, N_("Preview s_tage"),
    N_("The stage whose map the preview shows"), NULL, 0, 0,
    CFM_STAGE_ACTIVATION, NULL, stage_choices },
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

void
cfm_args_copy (CfmArgValues *dst, const CfmArgValues *src)
{
  gint i;

  *dst = *src;
  for (i = 0; i < CFM_N_ARGS; i++)
    if (cfm_arg_specs[i].type == CFM_TYPE_STRING
        || cfm_arg_specs[i].type == CFM_TYPE_FILE)
      dst->v[i].s = g_strdup (src->v[i].s);
}

const gchar *
cfm_choice_nick (const CfmArgSpec *spec, gint value)
{
  gint i = cfm_choice_position (spec, value);

  return i < 0 ? NULL : spec->choices[i].nick;
}

gboolean
cfm_choice_value (const CfmArgSpec *spec, const gchar *nick, gint *value)
{
  const CfmChoice *c = spec->choices;
  gint i;

  for (i = 0; c && nick && c[i].nick; i++)
    if (strcmp (c[i].nick, nick) == 0)
      {
        *value = c[i].value;
        return TRUE;
      }
  return FALSE;
}

gint
cfm_choice_position (const CfmArgSpec *spec, gint value)
{
  const CfmChoice *c = spec->choices;
  gint i;

  for (i = 0; c && c[i].nick; i++)
    if (c[i].value == value)
      return i;
  return -1;
}

gint
cfm_choice_at (const CfmArgSpec *spec, gint position)
{
  gint i;

  for (i = 0; spec->choices[i].nick; i++)
    if (i == position)
      return spec->choices[i].value;
  return (gint) spec->def;   /* no choice there: the default */
}

const gchar *
cfm_args_choice_nick (CfmArgId id, gint value)
{
  return cfm_choice_nick (&cfm_arg_specs[id], value);
}

gchar *
cfm_args_describe (const CfmArgSpec *spec, gboolean markdown)
{
  const gchar *quote = markdown ? "`" : "";
  GString *s = g_string_new (spec->help);
  gint i;

  if (spec->type == CFM_TYPE_CHOICE)
    {
      g_string_append (s, markdown ? ": " : " {");
      for (i = 0; spec->choices[i].nick; i++)
        g_string_append_printf (s, "%s%s%s%s", i ? ", " : "", quote,
                                spec->choices[i].nick, quote);
      if (!markdown)
        g_string_append (s, "}");
    }
  else if (spec->type == CFM_TYPE_INT || spec->type == CFM_TYPE_DOUBLE)
    g_string_append_printf (s, " (%g..%g)", spec->min, spec->max);
  else if (spec->type == CFM_TYPE_BOOLEAN && !markdown)
    g_string_append (s, " (TRUE or FALSE)");
  return g_string_free (s, FALSE);
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
          if (!cfm_choice_value (spec, text, &v->i))
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
