/* host_gimp2.c: the GIMP 2.10 plug-in: registration with positional
 * arguments, a GTK 2 dialog built from the argument table, last values, and
 * the host side of cfm_render.  Everything else is shared with the GIMP 3
 * build. */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "cfm_args.h"
#include "cfm_i18n.h"
#include "cfm_render.h"

#define N_FIXED_PARAMS 3   /* run-mode, image, drawable */

static void query (void);
static void run   (const gchar *name, gint nparams, const GimpParam *param,
                   gint *nreturn_vals, GimpParam **return_vals);

const GimpPlugInInfo PLUG_IN_INFO = { NULL, NULL, query, run };

/* The catalogs sit in locale/ beside the plug-in, wherever it is installed,
 * as GIMP 3 finds them. */
static gchar *locale_dir;

int
main (int argc, char *argv[])
{
  gchar *dir = g_path_get_dirname (argv[0]);

  locale_dir = g_build_filename (dir, "locale", NULL);
  g_free (dir);
  return gimp_main (&PLUG_IN_INFO, argc, argv);
}

static GimpPDBArgType
pdb_type (CfmArgType type)
{
  switch (type)
    {
    case CFM_TYPE_INT:
    case CFM_TYPE_BOOLEAN:
      return GIMP_PDB_INT32;
    case CFM_TYPE_DOUBLE:
      return GIMP_PDB_FLOAT;
    default:
      return GIMP_PDB_STRING;   /* choices by nick, files by path */
    }
}

/* "filter-bank: tutorial, sobel, ... (default tutorial)" for the PDB. */
static gchar *
param_description (const CfmArgSpec *spec)
{
  GString *s = g_string_new (spec->help);
  gint i;

  if (spec->type == CFM_TYPE_CHOICE)
    {
      g_string_append (s, " {");
      for (i = 0; spec->choices[i].nick; i++)
        g_string_append_printf (s, "%s%s", i ? ", " : "",
                                spec->choices[i].nick);
      g_string_append (s, "}");
    }
  else if (spec->type == CFM_TYPE_INT || spec->type == CFM_TYPE_DOUBLE)
    g_string_append_printf (s, " (%g..%g)", spec->min, spec->max);
  else if (spec->type == CFM_TYPE_BOOLEAN)
    g_string_append (s, " (TRUE or FALSE)");
  return g_string_free (s, FALSE);
}

static void
query (void)
{
  GimpParamDef args[N_FIXED_PARAMS + CFM_N_ARGS] = {
    { GIMP_PDB_INT32, (gchar *) "run-mode", (gchar *) "The run mode" },
    { GIMP_PDB_IMAGE, (gchar *) "image", (gchar *) "Input image" },
    { GIMP_PDB_DRAWABLE, (gchar *) "drawable", (gchar *) "Input drawable" },
  };
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    {
      args[N_FIXED_PARAMS + i].type = pdb_type (cfm_arg_specs[i].type);
      args[N_FIXED_PARAMS + i].name = (gchar *) cfm_arg_specs[i].name;
      args[N_FIXED_PARAMS + i].description
        = param_description (&cfm_arg_specs[i]);
    }
  gimp_plugin_domain_register (GETTEXT_PACKAGE, locale_dir);
  gimp_install_procedure (CFM_PROC_NAME,
                          N_("Show what a CNN's first layer sees"),
                          "Runs a bank of convolution filters, an activation "
                          "and pooling exactly as PyTorch's Conv2d, ReLU and "
                          "MaxPool2d do, and adds every output map as a "
                          "layer aligned over the image.",
                          "CNN Feature Maps authors",
                          "CNN Feature Maps authors", "2026",
                          N_("CNN _Feature Maps..."), "RGB*, GRAY*",
                          GIMP_PLUGIN, G_N_ELEMENTS (args), 0, args, NULL);
  gimp_plugin_menu_register (CFM_PROC_NAME, "<Image>/Filters/Generic");
  for (i = 0; i < CFM_N_ARGS; i++)
    g_free (args[N_FIXED_PARAMS + i].description);
}

/* ---- positional parameters and last values ------------------------------ */

static gboolean
values_from_params (const GimpParam *param, CfmArgValues *vals,
                    GError **error)
{
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    {
      const CfmArgSpec *spec = &cfm_arg_specs[i];
      const GimpParam *p = &param[N_FIXED_PARAMS + i];

      switch (spec->type)
        {
        case CFM_TYPE_CHOICE:
          if (!cfm_args_set_from_string (vals, spec->name,
                                         p->data.d_string ? p->data.d_string
                                                          : "", error))
            return FALSE;
          break;
        case CFM_TYPE_STRING:
        case CFM_TYPE_FILE:
          g_free (vals->v[i].s);
          vals->v[i].s = g_strdup (p->data.d_string);
          break;
        case CFM_TYPE_DOUBLE:
          vals->v[i].d = p->data.d_float;
          break;
        case CFM_TYPE_BOOLEAN:
          vals->v[i].i = p->data.d_int32 != 0;
          break;
        default:
          vals->v[i].i = p->data.d_int32;
          break;
        }
    }
  return TRUE;
}

/* Last values are kept as cfm_args_to_text makes them. */
static void
save_last_values (const CfmArgValues *vals)
{
  gchar *text = cfm_args_to_text (vals);

  gimp_set_data (CFM_PROC_NAME, text, strlen (text) + 1);
  g_free (text);
}

static void
load_last_values (CfmArgValues *vals)
{
  gint size = gimp_get_data_size (CFM_PROC_NAME);
  gchar *data;

  if (size <= 0)
    return;
  data = g_malloc0 (size + 1);
  gimp_get_data (CFM_PROC_NAME, data);
  cfm_args_from_text (vals, data);
  g_free (data);
}

/* ---- the host side of cfm_render ---------------------------------------- */

typedef struct
{
  gint32 image;
  gint32 drawable;
} Gimp2Host;

static gpointer
gimp2_new_group (CfmHost *host, const gchar *name, GError **error)
{
  Gimp2Host *h = host->self;
  gint32 group = gimp_layer_group_new (h->image);

  if (group < 0)
    {
      g_set_error (error, CFM_ERROR, 0, _("Could not add a layer group."));
      return NULL;
    }
  gimp_item_set_name (group, name);
  return GINT_TO_POINTER (group);
}

static GeglBuffer *
gimp2_new_layer (CfmHost *host, const gchar *name, gint x, gint y,
                 gint width, gint height, gpointer *layer_out,
                 GError **error)
{
  Gimp2Host *h = host->self;
  gint32 layer;

  layer = gimp_layer_new (h->image, name, width, height,
                          host->image_rgb ? GIMP_RGB_IMAGE : GIMP_GRAY_IMAGE,
                          100.0, GIMP_LAYER_MODE_NORMAL);
  if (layer < 0)
    {
      g_set_error (error, CFM_ERROR, 0, _("Could not add the layer %s."),
                   name);
      return NULL;
    }
  gimp_layer_set_offsets (layer, x, y);
  *layer_out = GINT_TO_POINTER (layer);
  return gimp_drawable_get_buffer (layer);
}

static void
gimp2_finish_layer (CfmHost *host, gpointer layer, GeglBuffer *buffer)
{
  (void) host;
  (void) layer;
  gegl_buffer_flush (buffer);
  g_object_unref (buffer);
}

static gboolean
gimp2_insert (CfmHost *host, gpointer item, gpointer parent, gint position,
              GError **error)
{
  Gimp2Host *h = host->self;
  gint32 in = GPOINTER_TO_INT (parent);

  if (parent == NULL)
    {
      in = gimp_item_get_parent (h->drawable);
      position = gimp_image_get_item_position (h->image, h->drawable);
    }
  if (!gimp_image_insert_layer (h->image, GPOINTER_TO_INT (item), in,
                                position))
    {
      g_set_error (error, CFM_ERROR, 0, _("Could not add the layer %s."),
                   gimp_item_get_name (GPOINTER_TO_INT (item)));
      return FALSE;
    }
  return TRUE;
}

static void
gimp2_discard (CfmHost *host, gpointer item)
{
  (void) host;
  gimp_item_delete (GPOINTER_TO_INT (item));
}

static void
gimp2_remove (CfmHost *host, gpointer item)
{
  Gimp2Host *h = host->self;

  gimp_image_remove_layer (h->image, GPOINTER_TO_INT (item));
}

static gboolean
gimp2_progress (CfmHost *host, gdouble fraction)
{
  (void) host;
  gimp_progress_update (fraction);
  return TRUE;
}

static void
gimp2_attach_parasite (CfmHost *host, gpointer item, const gchar *name,
                       const gchar *text)
{
  GimpParasite *parasite = gimp_parasite_new (name, GIMP_PARASITE_PERSISTENT,
                                              strlen (text) + 1, text);

  (void) host;
  gimp_item_attach_parasite (GPOINTER_TO_INT (item), parasite);
  gimp_parasite_free (parasite);
}

static void
gimp2_warning (CfmHost *host, const gchar *message)
{
  (void) host;
  g_message ("%s", message);
}

static gboolean
check_drawable (gint32 drawable, GeglRectangle *area, GError **error)
{
  gint x, y, w, h;

  if (gimp_image_base_type (gimp_item_get_image (drawable)) == GIMP_INDEXED)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("Indexed images are not supported: convert the image "
                     "to RGB or grayscale (Image > Mode) first."));
      return FALSE;
    }
  if (gimp_item_is_group (drawable))
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("\"%s\" is a layer group; select a layer."),
                   gimp_item_get_name (drawable));
      return FALSE;
    }
  if (!gimp_drawable_mask_intersect (drawable, &x, &y, &w, &h)
      || w < 1 || h < 1)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("The selection does not touch \"%s\"."),
                   gimp_item_get_name (drawable));
      return FALSE;
    }
  *area = (GeglRectangle) { x, y, w, h };
  return TRUE;
}

static gchar *
gimp2_temp_dir (CfmHost *host)
{
  gchar *name = gimp_temp_name ("xcf");   /* a name in GIMP's folder */
  gchar *dir = g_path_get_dirname (name);

  (void) host;
  g_free (name);
  return dir;
}

/* Loads the file with GIMP's own XCF loader (gimp-file-load-layers would
 * also list the file in the document history) and copies its layers. */
static gboolean
gimp2_load_layers (CfmHost *host, const gchar *path, gint n, gchar **names,
                   gpointer *layers, GError **error)
{
  Gimp2Host *h = host->self;
  gint32 loaded = -1, *ids = NULL;
  gint nret = 0, got = 0, i;
  GimpParam *ret = gimp_run_procedure ("gimp-xcf-load", &nret,
                                       GIMP_PDB_INT32, GIMP_RUN_NONINTERACTIVE,
                                       GIMP_PDB_STRING, path,
                                       GIMP_PDB_STRING, path, GIMP_PDB_END);

  if (nret > 1 && ret[0].data.d_status == GIMP_PDB_SUCCESS)
    loaded = ret[1].data.d_image;
  gimp_destroy_params (ret, nret);
  if (loaded >= 0)
    ids = gimp_image_get_layers (loaded, &got);
  for (i = 0; i < n && got == n; i++)
    {
      gint32 layer = gimp_layer_new_from_drawable (ids[i], h->image);

      gimp_item_set_name (layer, names[i]);
      layers[i] = GINT_TO_POINTER (layer);
    }
  g_free (ids);
  if (loaded >= 0)
    gimp_image_delete (loaded);
  if (got != n)
    {
      g_set_error (error, CFM_ERROR, 0, _("GIMP could not load the maps "
                                          "from \"%s\"."), path);
      return FALSE;
    }
  return TRUE;
}

/* The image's colour profile as ICC data, or NULL when it has none. */
static GBytes *
image_icc (gint32 image)
{
  GimpColorProfile *profile = gimp_image_get_color_profile (image);
  const guint8 *data;
  GBytes *bytes;
  gsize n;

  if (profile == NULL)
    return NULL;
  data = gimp_color_profile_get_icc_profile (profile, &n);
  bytes = g_bytes_new (data, n);
  g_object_unref (profile);
  return bytes;
}

static gboolean
render_drawable (gint32 image, gint32 drawable, const GeglRectangle *area,
                 const CfmArgValues *vals, GError **error)
{
  Gimp2Host h = { image, drawable };
  CfmHost host = { 0 };
  gint ox, oy;
  gboolean ok;

  gimp_drawable_offsets (drawable, &ox, &oy);
  host.self = &h;
  host.source = gimp_drawable_get_buffer (drawable);
  host.area = *area;
  host.origin_x = ox + area->x;
  host.origin_y = oy + area->y;
  host.image_rgb = gimp_image_base_type (image) == GIMP_RGB;
  host.new_group = gimp2_new_group;
  host.new_layer = gimp2_new_layer;
  host.finish_layer = gimp2_finish_layer;
  host.insert = gimp2_insert;
  host.discard = gimp2_discard;
  host.remove = gimp2_remove;
  host.progress = gimp2_progress;
  host.warning = gimp2_warning;
  host.attach_parasite = gimp2_attach_parasite;
  host.icc_profile = image_icc (image);
  host.temp_dir = gimp2_temp_dir;
  host.load_layers = gimp2_load_layers;
  host.gray_file_copies = TRUE;
  ok = cfm_render_run (vals, &host, error);
  g_object_unref (host.source);
  if (host.icc_profile)
    g_bytes_unref (host.icc_profile);
  return ok;
}

#include "host_gimp2_dialog.h"

static void
run (const gchar *name, gint nparams, const GimpParam *param,
     gint *nreturn_vals, GimpParam **return_vals)
{
  static GimpParam values[2];
  static gchar *message = NULL;
  GimpRunMode run_mode = param[0].data.d_int32;
  gint32 image = param[1].data.d_image;
  gint32 drawable = param[2].data.d_drawable;
  CfmArgValues vals;
  GeglRectangle area;
  CfmRunShape shape;
  GError *error = NULL;
  gboolean ok = TRUE;

  (void) name;
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  cfm_render_init_gegl ();
  *nreturn_vals = 1;
  *return_vals = values;
  values[0].type = GIMP_PDB_STATUS;
  values[0].data.d_status = GIMP_PDB_SUCCESS;

  cfm_args_init (&vals);
  if (run_mode == GIMP_RUN_NONINTERACTIVE)
    {
      if (nparams != N_FIXED_PARAMS + CFM_N_ARGS)
        {
          g_set_error (&error, CFM_ERROR, 0,
                       _("%s takes %d arguments, not %d."), CFM_PROC_NAME,
                       N_FIXED_PARAMS + CFM_N_ARGS, nparams);
          ok = FALSE;
        }
      else
        ok = values_from_params (param, &vals, &error);
    }
  else
    {
      load_last_values (&vals);
      if (run_mode == GIMP_RUN_INTERACTIVE
          && !cfm_dialog_run (&vals, image, drawable))
        {
          values[0].data.d_status = GIMP_PDB_CANCEL;
          cfm_args_clear (&vals);
          return;
        }
    }

  ok = ok && check_drawable (drawable, &area, &error)
       && cfm_render_plan (&vals, area.width, area.height,
                           gimp_image_base_type (image) == GIMP_RGB, &shape,
                           &error);
  if (ok)
    {
      gimp_progress_init (_("Computing CNN feature maps"));
      gimp_image_undo_group_start (image);
      ok = render_drawable (image, drawable, &area, &vals, &error);
      gimp_image_undo_group_end (image);
    }
  if (ok && run_mode == GIMP_RUN_INTERACTIVE)
    save_last_values (&vals);
  cfm_args_clear (&vals);
  if (!ok)
    {
      g_free (message);
      message = g_strdup (error->message);
      if (run_mode == GIMP_RUN_INTERACTIVE)
        g_message ("%s", message);
      g_clear_error (&error);
      values[0].data.d_status = GIMP_PDB_EXECUTION_ERROR;
      values[1].type = GIMP_PDB_STRING;
      values[1].data.d_string = message;
      *nreturn_vals = 2;
      return;
    }
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
}
