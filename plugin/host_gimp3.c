/* host_gimp3.c: the GIMP 3 plug-in: registration, dialog and the host side
 * of cfm_render (layers, groups, progress).  Everything else is shared with
 * the GIMP 2.10 build. */
#include "config.h"

#include <string.h>

#include <libgimp/gimp.h>
#include <libgimp/gimpui.h>

#include "cfm_args.h"
#include "cfm_i18n.h"
#include "cfm_render.h"

#define PLUG_IN_BINARY CFM_PLUGIN_NAME
#define PLUG_IN_ROLE   "gimp-cnn-feature-maps"

typedef struct _CfmPlugIn      CfmPlugIn;
typedef struct _CfmPlugInClass CfmPlugInClass;

struct _CfmPlugIn
{
  GimpPlugIn parent_instance;
};

struct _CfmPlugInClass
{
  GimpPlugInClass parent_class;
};

#define CFM_TYPE_PLUG_IN (cfm_plug_in_get_type ())
GType cfm_plug_in_get_type (void) G_GNUC_CONST;

static GList          *cfm_query_procedures (GimpPlugIn *plug_in);
static GimpProcedure  *cfm_create_procedure (GimpPlugIn *plug_in,
                                             const gchar *name);
static gboolean        cfm_set_i18n         (GimpPlugIn *plug_in,
                                             const gchar *procedure_name,
                                             gchar **gettext_domain,
                                             gchar **catalog_dir);
static GimpValueArray *cfm_run              (GimpProcedure *procedure,
                                             GimpRunMode run_mode,
                                             GimpImage *image,
                                             GimpDrawable **drawables,
                                             GimpProcedureConfig *config,
                                             gpointer run_data);

G_DEFINE_TYPE (CfmPlugIn, cfm_plug_in, GIMP_TYPE_PLUG_IN)

GIMP_MAIN (CFM_TYPE_PLUG_IN)

static void
cfm_plug_in_class_init (CfmPlugInClass *klass)
{
  GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS (klass);

  plug_in_class->query_procedures = cfm_query_procedures;
  plug_in_class->create_procedure = cfm_create_procedure;
  plug_in_class->set_i18n = cfm_set_i18n;
}

static void
cfm_plug_in_init (CfmPlugIn *plug_in)
{
  (void) plug_in;
}

static GList *
cfm_query_procedures (GimpPlugIn *plug_in)
{
  (void) plug_in;
  return g_list_append (NULL, g_strdup (CFM_PROC_NAME));
}

static gboolean
cfm_set_i18n (GimpPlugIn *plug_in, const gchar *procedure_name,
              gchar **gettext_domain, gchar **catalog_dir)
{
  (void) plug_in;
  (void) procedure_name;
  *gettext_domain = g_strdup (GETTEXT_PACKAGE);
  *catalog_dir = NULL;   /* the plug-in folder's locale/ */
  return TRUE;
}

/* Declares one argument of the table. */
/* SPEC's choices, their ids the choice indices. */
static GimpChoice *
choice_of (const CfmArgSpec *spec)
{
  GimpChoice *choice = gimp_choice_new ();
  gint i;

  for (i = 0; spec->choices[i].nick; i++)
    gimp_choice_add (choice, spec->choices[i].nick, i,
                     _(spec->choices[i].label), NULL);
  return choice;
}

static void
add_argument (GimpProcedure *procedure, const CfmArgSpec *spec)
{
  GParamFlags flags = G_PARAM_READWRITE;

  switch (spec->type)
    {
    case CFM_TYPE_CHOICE:
      gimp_procedure_add_choice_argument (procedure, spec->name,
                                          _(spec->label), _(spec->help),
                                          choice_of (spec),
                                          spec->choices[(gint) spec->def].nick,
                                          flags);
      break;
    case CFM_TYPE_STRING:
      gimp_procedure_add_string_argument (procedure, spec->name,
                                          _(spec->label), _(spec->help),
                                          spec->def_str, flags);
      break;
    case CFM_TYPE_FILE:
      gimp_procedure_add_file_argument (procedure, spec->name, _(spec->label),
                                        _(spec->help),
                                        GIMP_FILE_CHOOSER_ACTION_OPEN, TRUE,
                                        NULL, flags);
      break;
    case CFM_TYPE_INT:
      gimp_procedure_add_int_argument (procedure, spec->name, _(spec->label),
                                       _(spec->help), (gint) spec->min,
                                       (gint) spec->max, (gint) spec->def,
                                       flags);
      break;
    case CFM_TYPE_DOUBLE:
      gimp_procedure_add_double_argument (procedure, spec->name,
                                          _(spec->label), _(spec->help),
                                          spec->min, spec->max, spec->def,
                                          flags);
      break;
    case CFM_TYPE_BOOLEAN:
      gimp_procedure_add_boolean_argument (procedure, spec->name,
                                           _(spec->label), _(spec->help),
                                           spec->def != 0, flags);
      break;
    }
}

/* What the dialog's preview shows: kept with the dialog's last values,
 * not part of the procedure's arguments. */
static void
add_preview_arguments (GimpProcedure *procedure)
{
  const CfmArgSpec *filter = &cfm_preview_specs[CFM_PREVIEW_FILTER];
  const CfmArgSpec *stage = &cfm_preview_specs[CFM_PREVIEW_STAGE];

  gimp_procedure_add_int_aux_argument (procedure, filter->name,
                                       _(filter->label), _(filter->help),
                                       (gint) filter->min, (gint) filter->max,
                                       (gint) filter->def, G_PARAM_READWRITE);
  gimp_procedure_add_choice_aux_argument (procedure, stage->name,
                                          _(stage->label), _(stage->help),
                                          choice_of (stage),
                                          stage->choices[(gint) stage->def].nick,
                                          G_PARAM_READWRITE);
}

static GimpProcedure *
cfm_create_procedure (GimpPlugIn *plug_in, const gchar *name)
{
  GimpProcedure *procedure;
  gint i;

  if (strcmp (name, CFM_PROC_NAME) != 0)
    return NULL;
  procedure = gimp_image_procedure_new (plug_in, name,
                                        GIMP_PDB_PROC_TYPE_PLUGIN, cfm_run,
                                        NULL, NULL);
  gimp_procedure_set_image_types (procedure, "RGB*, GRAY*");
  gimp_procedure_set_sensitivity_mask (procedure,
                                       GIMP_PROCEDURE_SENSITIVE_DRAWABLE
                                       | GIMP_PROCEDURE_SENSITIVE_DRAWABLES);
  gimp_procedure_set_menu_label (procedure, _("CNN _Feature Maps..."));
  gimp_procedure_add_menu_path (procedure, "<Image>/Filters/Generic");
  gimp_procedure_set_documentation
    (procedure, _("Show what a CNN's first layer sees"),
     _("Runs a bank of convolution filters, an activation and pooling "
       "exactly as PyTorch's Conv2d, ReLU and MaxPool2d do, and adds every "
       "output map as a layer aligned over the image."), name);
  gimp_procedure_set_attribution (procedure, "CNN Feature Maps authors",
                                  "CNN Feature Maps authors", "2026");
  for (i = 0; i < CFM_N_ARGS; i++)
    add_argument (procedure, &cfm_arg_specs[i]);
  add_preview_arguments (procedure);
  return procedure;
}

/* ---- config to argument values ------------------------------------------ */

static void
values_from_config (GimpProcedureConfig *config, CfmArgValues *vals)
{
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    {
      const CfmArgSpec *spec = &cfm_arg_specs[i];
      CfmArgValue *v = &vals->v[i];
      GFile *file = NULL;
      gdouble d;

      switch (spec->type)
        {
        case CFM_TYPE_CHOICE:
          v->i = gimp_procedure_config_get_choice_id (config, spec->name);
          break;
        case CFM_TYPE_STRING:
          g_free (v->s);
          g_object_get (config, spec->name, &v->s, NULL);
          break;
        case CFM_TYPE_FILE:
          g_object_get (config, spec->name, &file, NULL);
          g_free (v->s);
          v->s = file ? g_file_get_path (file) : NULL;
          g_clear_object (&file);
          break;
        case CFM_TYPE_DOUBLE:
          g_object_get (config, spec->name, &d, NULL);
          v->d = d;
          break;
        default:
          g_object_get (config, spec->name, &v->i, NULL);
          break;
        }
    }
}

/* ---- the host side of cfm_render ---------------------------------------- */

typedef struct
{
  GimpImage    *image;
  GimpDrawable *drawable;
} Gimp3Host;

static gpointer
gimp3_new_group (CfmHost *host, const gchar *name, GError **error)
{
  Gimp3Host *h = host->self;
  GimpGroupLayer *group = gimp_group_layer_new (h->image, name);

  if (group == NULL)
    g_set_error (error, CFM_ERROR, 0, _("Could not add a layer group."));
  return group;
}

static GeglBuffer *
gimp3_new_layer (CfmHost *host, const gchar *name, gint x, gint y,
                 gint width, gint height, gpointer *layer_out,
                 GError **error)
{
  Gimp3Host *h = host->self;
  GimpLayer *layer;

  layer = gimp_layer_new (h->image, name, width, height,
                          host->image_rgb ? GIMP_RGB_IMAGE : GIMP_GRAY_IMAGE,
                          100.0, GIMP_LAYER_MODE_NORMAL);
  if (layer == NULL)
    {
      g_set_error (error, CFM_ERROR, 0, _("Could not add the layer %s."),
                   name);
      return NULL;
    }
  gimp_layer_set_offsets (layer, x, y);
  *layer_out = layer;
  return gimp_drawable_get_buffer (GIMP_DRAWABLE (layer));
}

static void
gimp3_finish_layer (CfmHost *host, gpointer layer, GeglBuffer *buffer)
{
  (void) host;
  (void) layer;
  gegl_buffer_flush (buffer);
  g_object_unref (buffer);
}

static gboolean
gimp3_insert (CfmHost *host, gpointer item, gpointer parent, gint position,
              GError **error)
{
  Gimp3Host *h = host->self;
  GimpLayer *in = GIMP_LAYER (parent);

  if (parent == NULL)
    {
      /* Directly above the source layer, in the same container. */
      in = GIMP_LAYER (gimp_item_get_parent (GIMP_ITEM (h->drawable)));
      position = gimp_image_get_item_position (h->image,
                                               GIMP_ITEM (h->drawable));
    }
  if (!gimp_image_insert_layer (h->image, GIMP_LAYER (item), in, position))
    {
      g_set_error (error, CFM_ERROR, 0, _("Could not add the layer %s."),
                   gimp_item_get_name (GIMP_ITEM (item)));
      return FALSE;
    }
  return TRUE;
}

static void
gimp3_discard (CfmHost *host, gpointer item)
{
  (void) host;
  gimp_item_delete (GIMP_ITEM (item));
}

static void
gimp3_remove (CfmHost *host, gpointer item)
{
  Gimp3Host *h = host->self;

  gimp_image_remove_layer (h->image, GIMP_LAYER (item));
}

static gboolean
gimp3_progress (CfmHost *host, gdouble fraction)
{
  (void) host;
  gimp_progress_update (fraction);
  return TRUE;
}

static void
gimp3_attach_parasite (CfmHost *host, gpointer item, const gchar *name,
                       const gchar *text)
{
  GimpParasite *parasite = gimp_parasite_new (name, GIMP_PARASITE_PERSISTENT,
                                              strlen (text) + 1, text);

  (void) host;
  gimp_item_attach_parasite (GIMP_ITEM (item), parasite);
  gimp_parasite_free (parasite);
}

static void
gimp3_warning (CfmHost *host, const gchar *message)
{
  (void) host;
  gimp_message (message);
}

/* Checks what must hold before anything is made, for one drawable. */
static gboolean
check_drawable (GimpDrawable *drawable, GeglRectangle *area, GError **error)
{
  gint x, y, w, h;

  if (gimp_image_get_base_type (gimp_item_get_image (GIMP_ITEM (drawable)))
      == GIMP_INDEXED)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("Indexed images are not supported: convert the image "
                     "to RGB or grayscale (Image > Mode) first."));
      return FALSE;
    }
  if (gimp_item_is_group (GIMP_ITEM (drawable)))
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("\"%s\" is a layer group; select a layer."),
                   gimp_item_get_name (GIMP_ITEM (drawable)));
      return FALSE;
    }
  if (!gimp_drawable_mask_intersect (drawable, &x, &y, &w, &h)
      || w < 1 || h < 1)
    {
      g_set_error (error, CFM_ERROR, 0,
                   _("The selection does not touch \"%s\"."),
                   gimp_item_get_name (GIMP_ITEM (drawable)));
      return FALSE;
    }
  *area = (GeglRectangle) { x, y, w, h };
  return TRUE;
}

static gchar *
gimp3_temp_dir (CfmHost *host)
{
  GFile *file = gimp_temp_file ("xcf");   /* a name in GIMP's folder */
  GFile *dir = g_file_get_parent (file);
  gchar *path = g_file_get_path (dir);

  (void) host;
  g_object_unref (dir);
  g_object_unref (file);
  return path;
}

/* Loads the file with GIMP's own XCF loader (gimp_file_load_layers would
 * also list the file in the document history) and copies its layers. */
static gboolean
gimp3_load_layers (CfmHost *host, const gchar *path, gint n, gchar **names,
                   gpointer *layers, GError **error)
{
  Gimp3Host *h = host->self;
  GFile *file = g_file_new_for_path (path);
  GimpProcedure *xcf_load = gimp_pdb_lookup_procedure (gimp_get_pdb (),
                                                       "gimp-xcf-load");
  GimpValueArray *ret = gimp_procedure_run (xcf_load,
                                            "run-mode",
                                            GIMP_RUN_NONINTERACTIVE,
                                            "file", file, NULL);
  GimpImage *loaded = NULL;
  GimpLayer **got = NULL;
  gint count = 0, i;

  if (GIMP_VALUES_GET_ENUM (ret, 0) == GIMP_PDB_SUCCESS)
    loaded = GIMP_VALUES_GET_IMAGE (ret, 1);
  if (loaded)
    {
      got = gimp_image_get_layers (loaded);
      count = (gint) gimp_core_object_array_get_length ((GObject **) got);
    }
  for (i = 0; i < n && count == n; i++)
    {
      GimpLayer *layer = gimp_layer_new_from_drawable (GIMP_DRAWABLE (got[i]),
                                                       h->image);

      gimp_item_set_name (GIMP_ITEM (layer), names[i]);
      layers[i] = layer;
    }
  g_free (got);
  if (loaded)
    gimp_image_delete (loaded);
  gimp_value_array_unref (ret);
  g_object_unref (file);
  if (count != n)
    {
      g_set_error (error, CFM_ERROR, 0, _("GIMP could not load the maps "
                                          "from \"%s\"."), path);
      return FALSE;
    }
  return TRUE;
}

/* The image's colour profile as ICC data, or NULL when it has none. */
static GBytes *
image_icc (GimpImage *image)
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
render_drawable (GimpImage *image, GimpDrawable *drawable,
                 const GeglRectangle *area, const CfmArgValues *vals,
                 GError **error)
{
  Gimp3Host h = { image, drawable };
  CfmHost host = { 0 };
  gint ox, oy;
  gboolean ok;

  gimp_drawable_get_offsets (drawable, &ox, &oy);
  host.self = &h;
  host.source = gimp_drawable_get_buffer (drawable);
  host.area = *area;
  host.origin_x = ox + area->x;
  host.origin_y = oy + area->y;
  host.image_rgb = gimp_image_get_base_type (image) == GIMP_RGB;
  host.new_group = gimp3_new_group;
  host.new_layer = gimp3_new_layer;
  host.finish_layer = gimp3_finish_layer;
  host.insert = gimp3_insert;
  host.discard = gimp3_discard;
  host.remove = gimp3_remove;
  host.progress = gimp3_progress;
  host.warning = gimp3_warning;
  host.attach_parasite = gimp3_attach_parasite;
  host.icc_profile = image_icc (image);
  host.temp_dir = gimp3_temp_dir;
  host.load_layers = gimp3_load_layers;
  ok = cfm_render_run (vals, &host, error);
  g_object_unref (host.source);
  if (host.icc_profile)
    g_bytes_unref (host.icc_profile);
  return ok;
}

/* ---- the dialog --------------------------------------------------------- */

typedef struct
{
  GtkWidget           *label;
  GtkWidget           *preview_note;
  GimpProcedureConfig *config;
  GimpDrawable        *drawable;
  GeglRectangle        area;   /* the selected part of the drawable */
  gboolean             image_rgb;
} ShapeView;

/* Draws the chosen map over the part of the drawable the preview shows. */
static void
draw_preview (GimpPreview *preview, ShapeView *view)
{
  GeglRectangle visible;
  CfmArgValues vals;
  GeglBuffer *source;
  GError *error = NULL;
  guchar *rgb;
  gint filter;

  gimp_preview_get_position (preview, &visible.x, &visible.y);
  gimp_preview_get_size (preview, &visible.width, &visible.height);
  if (visible.width < 1 || visible.height < 1)
    return;
  cfm_args_init (&vals);
  values_from_config (view->config, &vals);
  g_object_get (view->config, cfm_preview_specs[CFM_PREVIEW_FILTER].name,
                &filter, NULL);
  source = gimp_drawable_get_buffer (view->drawable);
  rgb = g_malloc ((gsize) visible.width * visible.height * 3);
  cfm_render_preview (&vals, source, &view->area, view->image_rgb, &visible,
                      filter,
                      gimp_procedure_config_get_choice_id
                        (view->config,
                         cfm_preview_specs[CFM_PREVIEW_STAGE].name),
                      rgb, &error);
  gimp_preview_area_draw (GIMP_PREVIEW_AREA (gimp_preview_get_area (preview)),
                          0, 0, visible.width, visible.height,
                          GIMP_RGB_IMAGE, rgb, visible.width * 3);
  gtk_label_set_text (GTK_LABEL (view->preview_note),
                      error ? error->message : "");
  g_clear_error (&error);
  g_free (rgb);
  g_object_unref (source);
  cfm_args_clear (&vals);
}

/* The preview with its two choices and a line for what keeps it empty,
 * in a column of their own. */
static GtkWidget *
make_preview_column (GimpProcedureDialog *dialog, ShapeView *view,
                     GtkWidget **column)
{
  GtkWidget *preview = gimp_drawable_preview_new_from_drawable (view->drawable);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  /* GimpPreview fills the room it is given, square. */
  gtk_widget_set_size_request (preview, CFM_PREVIEW_SIZE, CFM_PREVIEW_SIZE);
  gtk_widget_set_valign (box, GTK_ALIGN_START);
  gtk_box_pack_start (GTK_BOX (box), preview, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box),
                      gimp_procedure_dialog_get_widget
                        (dialog, cfm_preview_specs[CFM_PREVIEW_FILTER].name,
                         G_TYPE_NONE),
                      FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box),
                      gimp_procedure_dialog_get_widget
                        (dialog, cfm_preview_specs[CFM_PREVIEW_STAGE].name,
                         G_TYPE_NONE),
                      FALSE, FALSE, 0);
  view->preview_note = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (view->preview_note), 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (view->preview_note), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (view->preview_note), 30);
  gtk_box_pack_start (GTK_BOX (box), view->preview_note, FALSE, FALSE, 0);
  gtk_widget_show_all (box);
  g_signal_connect (preview, "invalidated", G_CALLBACK (draw_preview), view);
  g_signal_connect_swapped (view->config, "notify",
                            G_CALLBACK (gimp_preview_invalidate), preview);
  *column = box;
  return preview;
}

static void
update_shape (GObject *config, GParamSpec *pspec, ShapeView *view)
{
  CfmArgValues vals;
  gchar *text;

  (void) config;
  (void) pspec;
  cfm_args_init (&vals);
  values_from_config (view->config, &vals);
  text = cfm_render_summary (&vals, view->area.width, view->area.height,
                             view->image_rgb, 3);
  gtk_label_set_markup (GTK_LABEL (view->label), text);
  g_free (text);
  cfm_args_clear (&vals);
}

/* Makes one titled frame holding every argument of GROUP. */
static gchar *
fill_group_frame (GimpProcedureDialog *dialog, const gchar *group)
{
  gchar *title = g_strconcat (group, "-title", NULL);
  gchar *box = g_strconcat (group, "-box", NULL);
  gchar *frame = g_strconcat (group, "-frame", NULL);
  GList *props = NULL;
  gint i;

  for (i = 0; i < CFM_N_ARGS; i++)
    if (strcmp (cfm_arg_specs[i].group, group) == 0)
      props = g_list_append (props, (gpointer) (i == CFM_ARG_KERNELS
                                                ? "kernels-box"
                                                : cfm_arg_specs[i].name));
  gimp_procedure_dialog_get_label (dialog, title, _(group), FALSE, FALSE);
  gimp_procedure_dialog_fill_box_list (dialog, box, props);
  gimp_procedure_dialog_fill_frame (dialog, frame, title, FALSE, box);
  g_list_free (props);
  g_free (title);
  g_free (box);
  return frame;
}

/* Makes PROPERTY sensitive only while CHOICE is NICK (or, with IN FALSE,
 * anything else). */
static void
sensitive_if (GimpProcedureDialog *dialog, const gchar *property,
              const gchar *choice, const gchar *nick, gboolean in)
{
  GValue value = G_VALUE_INIT;
  GimpValueArray *values;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, nick);
  values = gimp_value_array_new_from_values (&value, 1);
  gimp_procedure_dialog_set_sensitive_if_in (dialog, property, NULL, choice,
                                            values, in);
  g_value_unset (&value);
}

static gboolean
cfm_dialog_run (GimpProcedure *procedure, GimpProcedureConfig *config,
                GimpImage *image, GimpDrawable *drawable)
{
  static const gchar *const groups[] = {
    "Filters", "Convolution", "Activation", "Pooling", "Display"
  };
  GimpProcedureDialog *dialog;
  gchar *frames[G_N_ELEMENTS (groups)];
  ShapeView view = { 0 };
  GtkWidget *text, *columns, *preview, *preview_column;
  gsize i;
  gboolean ok;

  gimp_ui_init (PLUG_IN_BINARY);
  dialog = GIMP_PROCEDURE_DIALOG (gimp_procedure_dialog_new (procedure,
                                  config, _("CNN Feature Maps")));
  /* A text view has no label of its own: give it one, above it. */
  text = gimp_procedure_dialog_get_widget (dialog, "kernels",
                                           GTK_TYPE_TEXT_VIEW);
  gtk_widget_set_size_request (text, 280, 90);
  gimp_procedure_dialog_get_label (dialog, "kernels-label",
                                   _(cfm_arg_specs[CFM_ARG_KERNELS].label),
                                   FALSE, TRUE);
  gimp_procedure_dialog_fill_box (dialog, "kernels-box", "kernels-label",
                                  "kernels", NULL);
  for (i = 0; i < G_N_ELEMENTS (groups); i++)
    frames[i] = fill_group_frame (dialog, groups[i]);
  view.config = config;
  view.drawable = drawable;
  view.image_rgb = gimp_image_get_base_type (image) == GIMP_RGB;
  if (!gimp_drawable_mask_intersect (drawable, &view.area.x, &view.area.y,
                                     &view.area.width, &view.area.height))
    view.area.width = view.area.height = 0;
  preview = make_preview_column (dialog, &view, &preview_column);
  /* The preview, then two columns of arguments, as the GIMP 2.10 dialog. */
  gimp_procedure_dialog_fill_box (dialog, "left-column", frames[0],
                                  frames[1], NULL);
  gimp_procedure_dialog_fill_box (dialog, "right-column", frames[2],
                                  frames[3], frames[4], NULL);
  columns = gimp_procedure_dialog_fill_box (dialog, "columns", "left-column",
                                            "right-column", NULL);
  gtk_box_pack_start (GTK_BOX (columns), preview_column, FALSE, FALSE, 0);
  gtk_box_reorder_child (GTK_BOX (columns), preview_column, 0);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (columns),
                                  GTK_ORIENTATION_HORIZONTAL);
  gtk_box_set_spacing (GTK_BOX (columns), 12);
  gimp_procedure_dialog_fill (dialog, "columns", NULL);
  for (i = 0; i < G_N_ELEMENTS (groups); i++)
    g_free (frames[i]);

  sensitive_if (dialog, "kernels", "filter-bank", "custom", TRUE);
  sensitive_if (dialog, "kernel-file", "filter-bank", "file", TRUE);
  sensitive_if (dialog, "negative-slope", "activation", "leaky-relu", TRUE);
  gimp_procedure_dialog_set_sensitive (dialog, "pool-type", TRUE,
                                       G_OBJECT (config), "show-pool", FALSE);
  gimp_procedure_dialog_set_sensitive (dialog, "pool-size", TRUE,
                                       G_OBJECT (config), "show-pool", FALSE);
  gimp_procedure_dialog_set_sensitive (dialog, "pool-stride", TRUE,
                                       G_OBJECT (config), "show-pool", FALSE);

  view.label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (view.label), 0.0);
  gtk_label_set_line_wrap (GTK_LABEL (view.label), TRUE);
  gtk_label_set_line_wrap_mode (GTK_LABEL (view.label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (view.label), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (view.label), 80);
  gtk_box_pack_end (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (dialog))),
                    view.label, FALSE, FALSE, 6);
  gtk_widget_show (view.label);
  g_signal_connect (config, "notify", G_CALLBACK (update_shape), &view);
  update_shape (G_OBJECT (config), NULL, &view);

  ok = gimp_procedure_dialog_run (dialog);
  g_signal_handlers_disconnect_by_func (config, update_shape, &view);
  g_signal_handlers_disconnect_by_func (config, gimp_preview_invalidate,
                                        preview);
  gtk_widget_destroy (GTK_WIDGET (dialog));
  return ok;
}

static GimpValueArray *
cfm_run (GimpProcedure *procedure, GimpRunMode run_mode, GimpImage *image,
         GimpDrawable **drawables, GimpProcedureConfig *config,
         gpointer run_data)
{
  CfmArgValues vals;
  GError *error = NULL;
  gint n, i;
  GeglRectangle *areas;
  CfmRunShape shape;
  gboolean ok = TRUE;

  (void) run_data;
  cfm_render_init_gegl ();
  n = gimp_core_object_array_get_length ((GObject **) drawables);
  if (n < 1)
    {
      g_set_error (&error, CFM_ERROR, 0, _("No layer is selected."));
      return gimp_procedure_new_return_values (procedure,
                                               GIMP_PDB_CALLING_ERROR, error);
    }
  if (run_mode == GIMP_RUN_INTERACTIVE && !cfm_dialog_run (procedure, config,
                                                           image,
                                                           drawables[0]))
    return gimp_procedure_new_return_values (procedure, GIMP_PDB_CANCEL,
                                             NULL);

  cfm_args_init (&vals);
  values_from_config (config, &vals);
  /* Every drawable is checked before any layer is made. */
  areas = g_new (GeglRectangle, n);
  for (i = 0; ok && i < n; i++)
    ok = check_drawable (drawables[i], &areas[i], &error)
         && cfm_render_plan (&vals, areas[i].width, areas[i].height,
                             gimp_image_get_base_type (image) == GIMP_RGB,
                             &shape, &error);
  if (ok)
    {
      gimp_progress_init (_("Computing CNN feature maps"));
      gimp_image_undo_group_start (image);
      for (i = 0; ok && i < n; i++)
        ok = render_drawable (image, drawables[i], &areas[i], &vals, &error);
      gimp_image_undo_group_end (image);
      gimp_progress_end ();
    }
  g_free (areas);
  cfm_args_clear (&vals);
  if (!ok)
    {
      if (run_mode == GIMP_RUN_INTERACTIVE)
        gimp_message (error->message);
      return gimp_procedure_new_return_values (procedure,
                                               GIMP_PDB_EXECUTION_ERROR,
                                               error);
    }
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  return gimp_procedure_new_return_values (procedure, GIMP_PDB_SUCCESS,
                                           NULL);
}
