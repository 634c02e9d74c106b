/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_preview_cam.c: the dialogs' preview of a class activation map
 * (cfm_preview_cam.c) on a GEGL buffer of the sample photo, with no GIMP:
 * Grad-CAM at ResNet-18's layer2 over the graph fixtures' crop, each
 * preview pixel against PyTorch's map (make_graph_fixtures.py's "cam"
 * lines) scaled to 0..1, upsampled over the area by the anchors' rule
 * (worked out here), in jet, half over the photo: within two codes. */
#include <gegl.h>
#include <math.h>

#include "test_util.h"
#include "plugin_util.h"
#include "cfm_args.h"
#include "cfm_colormap.h"
#include "cfm_dialog.h"
#include "cfm_file.h"
#include "cfm_npy.h"

static CfmArray photo;

/* The fixture's map of METHOD at LAYER for a class of DIR's resnet18
 * (make_graph_fixtures.py's "cam" lines): its class, the map into MAP. */
static gint
cam_fixture (const gchar *dir, const gchar *method, const gchar *layer,
             CfmArray *map)
{
  gchar *manifest = g_build_filename (dir, "resnet18.txt", NULL), *text;
  gchar **lines, key[256], *path = NULL;
  gint i, cls = -1;

  if (!g_file_get_contents (manifest, &text, NULL, NULL))
    text = g_strdup ("");
  lines = g_strsplit (text, "\n", -1);
  g_snprintf (key, sizeof key, "cam %s %s ", method, layer);
  for (i = 0; lines[i] && cls < 0; i++)
    if (g_str_has_prefix (lines[i], key))
      {
        gchar **f = g_strsplit (lines[i], " ", 5);

        cls = atoi (f[3]);
        path = g_build_filename (dir, f[4], NULL);
        g_strfreev (f);
      }
  if (path)
    {
      void *data;
      size_t len;
      CfmError err;

      CHECK (cfm_file_read (path, (size_t) 1 << 26, &data, &len, &err)
             == CFM_OK && cfm_npy_parse (data, len, (size_t) 1 << 26, map,
                                         &err) == CFM_OK, "%s", err.message);
      free (data);
    }
  g_strfreev (lines);
  g_free (text);
  g_free (manifest);
  g_free (path);
  return cls;
}

/* MAP (H x W) at output pixel (X, Y) of its bilinear upsampling to OH x
 * OW, pixel centres matched. */
static gfloat
upsampled (const gfloat *map, gint h, gint w, gint oh, gint ow, gint x,
           gint y)
{
  gdouble sy = MAX ((y + 0.5) * h / oh - 0.5, 0.0);
  gdouble sx = MAX ((x + 0.5) * w / ow - 0.5, 0.0);
  gint y0 = MIN ((gint) sy, h - 1), x0 = MIN ((gint) sx, w - 1);
  gint y1 = MIN (y0 + 1, h - 1), x1 = MIN (x0 + 1, w - 1);
  gdouble ty = sy - y0, tx = sx - x0;

  return (gfloat) ((1 - ty) * ((1 - tx) * map[y0 * w + x0]
                               + tx * map[y0 * w + x1])
                   + ty * ((1 - tx) * map[y1 * w + x0]
                           + tx * map[y1 * w + x1]));
}

/* The preview of Grad-CAM at resnet18's layer2 for the fixture's class
 * over the graph fixtures' crop: PyTorch's map scaled to 0..1, upsampled
 * over the area, in jet, half over the photo, within two codes. */
static void
check_cam_preview (GeglBuffer *buf)
{
  static const GeglRectangle area = { 100, 40, 83, 67 };
  static const GeglRectangle view = { 110, 50, 60, 48 };
  const gchar *dir = g_getenv ("CFM_GRAPH_FIXTURES");
  guchar *rgb = g_malloc ((gsize) view.width * view.height * 3);
  gchar *pth, *txt, *text = NULL, cls_text[16];
  CfmArray map = { 0 };
  CfmArgValues vals;
  GError *error = NULL;
  gint cls, bad = 0, x, y, c;
  gfloat lo, hi;
  gsize k;

  dir = dir ? dir : "/var/cache/cnn-feature-maps/graph-fixtures";
  pth = g_build_filename (dir, "resnet18.pth", NULL);
  txt = g_build_filename (dir, "resnet18-model.txt", NULL);
  cls = cam_fixture (dir, "grad-cam", "layer2", &map);
  if (cls < 0 || !g_file_get_contents (txt, &text, NULL, NULL))
    {
      CHECK (g_getenv ("CI") == NULL, "graph fixtures missing in %s", dir);
      goto out;
    }
  cfm_args_init (&vals);
  set_model (&vals, pth, text, "layer2");
  g_snprintf (cls_text, sizeof cls_text, "%d", cls);
  cfm_args_set_from_string (&vals, "cam", "grad-cam", NULL);
  cfm_args_set_from_string (&vals, "cam-class", cls_text, NULL);
  CHECK (render_preview (&vals, buf, &area, &view, 1, CFM_STAGE_CONV, rgb,
                         &error), "preview of grad-cam: %s",
         error ? error->message : "");
  for (k = 0, lo = hi = map.data[0]; k < map.count; k++)
    {
      lo = MIN (lo, map.data[k]);
      hi = MAX (hi, map.data[k]);
    }
  for (y = 0; !error && y < view.height; y++)
    for (x = 0; x < view.width; x++)
      {
        gfloat v = upsampled (map.data, (gint) map.shape[0],
                              (gint) map.shape[1], area.height, area.width,
                              view.x - area.x + x, view.y - area.y + y);
        gfloat color[3];

        cfm_colormap_color (CFM_COLORMAP_JET, (v - lo) / (hi - lo), color);
        for (c = 0; c < 3; c++)
          {
            gdouble want = 0.5 * 255.0 * color[c] + 0.5 * photo.data
                           [((gsize) (view.y + y) * photo.shape[1]
                             + view.x + x) * 3 + c];

            bad += fabs (rgb[((gsize) y * view.width + x) * 3 + c] - want)
                   > 2.0;
          }
      }
  CHECK (!error && bad == 0, "preview of grad-cam at layer2, class %d: %d "
         "values differ", cls, bad);
  g_clear_error (&error);
  cfm_args_clear (&vals);
out:
  cfm_array_free (&map);
  g_free (rgb);
  g_free (text);
  g_free (pth);
  g_free (txt);
}

int
main (int argc, char **argv)
{
  GeglBuffer *buf;

  gegl_init (&argc, &argv);
  load_fixture ("photo_rgb.npy", &photo);
  buf = photo_buffer (&photo);
  check_cam_preview (buf);
  g_object_unref (buf);
  cfm_array_free (&photo);
  gegl_exit ();
  return test_finish ("preview_cam");
}
