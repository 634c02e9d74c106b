/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_preview.c: the dialogs' live preview against PyTorch.
 *
 * The preview both dialogs draw (cfm_dialog_preview, which plans with
 * cfm_plan and draws with cfm_preview_draw) runs on a GEGL buffer of the
 * sample photo, with no
 * GIMP, and every preview pixel is compared with the colour the tutorial's
 * PyTorch maps give at that place: the map pixel under it found from the
 * alignment rule (a map pixel is centred on the input pixels it read,
 * rounding toward the top-left), the range from the visible map pixels. */
#define _DEFAULT_SOURCE   /* utimensat */
#include <fcntl.h>
#include <gegl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <time.h>

#include "test_util.h"
#include "plugin_util.h"
#include "cfm_args.h"
#include "cfm_dialog.h"
#include "cfm_preview.h"
#include "cfm_tensors.h"

#define BG 64   /* what the preview shows where no map pixel lies */

static CfmArray photo, maps[3];   /* conv, relu, pool: (4, h, w) */

/* The map pixel index under input pixel X (relative to the run's area):
 * the tutorial's 4x4 kernels give conv pixel j the inputs j .. j+3, centred
 * at j + 1.5, drawn from j + 1; a 2x2/2 pooled pixel q covers conv pixels
 * 2q, 2q+1, so inputs 2q+1 .. 2q+2. */
static gint
map_index (gint stage, gint x)
{
  gint d = x - 1;

  if (stage != CFM_STAGE_POOL)
    return d;
  return d >= 0 ? d / 2 : -1;
}

/* PyTorch's value of filter F (0-based) at STAGE under the input pixel
 * X, Y of a run on AREA; FALSE where no map pixel lies.  A selection sees
 * the whole photo's values (no padding), its maps starting at its corner
 * (AREA's corner is even, so pooling windows line up). */
static gboolean
map_value (gint stage, const GeglRectangle *area, gint x, gint y, gint f,
           gfloat *v)
{
  const CfmArray *m = &maps[stage];
  gint mh = (gint) m->shape[1], mw = (gint) m->shape[2];
  gint pool = stage == CFM_STAGE_POOL;
  gint i = map_index (stage, y - area->y), j = map_index (stage, x - area->x);
  gint rows = pool ? (area->height - 3) / 2 : area->height - 3;
  gint cols = pool ? (area->width - 3) / 2 : area->width - 3;

  if (i < 0 || j < 0 || i >= rows || j >= cols)
    return FALSE;
  i += pool ? area->y / 2 : area->y;
  j += pool ? area->x / 2 : area->x;
  *v = m->data[((gsize) f * mh + i) * mw + j];
  return TRUE;
}

/* Checks PREVIEW (VIEW inside AREA of the photo) of FILTER (1-based) at
 * STAGE against PyTorch; SHARED: the range is over all four filters. */
static void
check_preview (const gchar *what, const guchar *rgb, const GeglRectangle *area,
               const GeglRectangle *view, gint filter, gint stage,
               gboolean shared)
{
  gfloat lo = G_MAXFLOAT, hi = -G_MAXFLOAT, v;
  gint x, y, f, bad = 0, covered = 0, uncovered = 0, worst = 0;

  for (f = 0; f < 4; f++)
    for (y = 0; y < view->height && (shared || f == filter - 1); y++)
      for (x = 0; x < view->width; x++)
        if (map_value (stage, area, view->x + x, view->y + y, f, &v))
          {
            lo = MIN (lo, v);
            hi = MAX (hi, v);
          }
  for (y = 0; y < view->height; y++)
    for (x = 0; x < view->width; x++)
      {
        const guchar *px = rgb + ((gsize) y * view->width + x) * 3;
        gint want, diff;

        if (!map_value (stage, area, view->x + x, view->y + y, filter - 1,
                        &v))
          {
            uncovered++;
            if (px[0] != BG || px[1] != BG || px[2] != BG)
              bad++;
            continue;
          }
        covered++;
        want = (gint) floor (255.0 * (v - lo) / (hi - lo) + 0.5);
        diff = abs (px[0] - want);
        worst = MAX (worst, diff);
        if (diff > 1 || px[1] != px[0] || px[2] != px[0])
          bad++;
      }
  CHECK (bad == 0, "%s: %d of %d pixels differ (worst %d codes)", what, bad,
         view->width * view->height, worst);
  CHECK (covered > 0, "%s: no map pixel in view", what);
  printf ("%s: %d map pixels, %d uncovered, worst %d code values\n", what,
          covered, uncovered, worst);
}

/* The preview as a dialog draws it for VALS on AREA of BUF; FALSE with
 * the note under the preview in ERROR. */
static void
run_case (const gchar *what, GeglBuffer *buf, CfmArgValues *vals,
          GeglRectangle area, GeglRectangle view, gint filter, gint stage,
          gboolean shared)
{
  guchar *rgb = g_malloc ((gsize) view.width * view.height * 3);
  GError *error = NULL;
  gboolean ok = render_preview (vals, buf, &area, &view, filter, stage, rgb,
                                &error);

  CHECK (ok, "%s: %s", what, error ? error->message : "");
  if (ok)
    check_preview (what, rgb, &area, &view, filter, stage, shared);
  g_clear_error (&error);
  g_free (rgb);
}

/* How many of the VW x VH preview pixels RGB differ by more than one code
 * from the map PLANE (MW wide) in gray over the view's own range: view
 * pixel (x, y) shows map pixel ((Y0 + y) / STEP, (X0 + x) / STEP). */
static gint
pixels_off (const guchar *rgb, gint vw, gint vh, const gfloat *plane,
            gint mw, gint x0, gint y0, gint step)
{
  gfloat lo = G_MAXFLOAT, hi = -G_MAXFLOAT;
  gint x, y, bad = 0;

  for (y = 0; y < vh; y++)
    for (x = 0; x < vw; x++)
      {
        gfloat v = plane[(gsize) ((y0 + y) / step) * mw + (x0 + x) / step];

        lo = MIN (lo, v);
        hi = MAX (hi, v);
      }
  for (y = 0; y < vh; y++)
    for (x = 0; x < vw; x++)
      {
        gfloat v = plane[(gsize) ((y0 + y) / step) * mw + (x0 + x) / step];
        gint want = (gint) floor (255.0 * (v - lo) / (hi - lo) + 0.5);

        bad += abs (rgb[((gsize) y * vw + x) * 3] - want) > 1;
      }
  return bad;
}

/* A trained model's preview: vgg_bn's block of 3 on the photo's top-left
 * 96 x 72 pixels (the fixture's input) against the output of MODULE that
 * PyTorch's hooks recorded.  Module 5 (the ReLU) steps one input pixel a
 * map pixel, centred on it; module 6 (the 2x2/2 max-pool) two, from
 * input pixel 0. */
static void
check_model_preview (GeglBuffer *buf, const gchar *module, CfmStage stage,
                     gint step, const GeglRectangle *view, gint channel)
{
  static const GeglRectangle area = { 0, 0, 96, 72 };
  gchar *text = NULL, *path = g_strdup (fixture_path ("networks/vgg_bn.pth"));
  guchar *rgb = g_malloc ((gsize) view->width * view->height * 3);
  CfmTensorSet outs = { 0 };
  const CfmTensor *t;
  CfmArgValues vals;
  GError *error = NULL;
  CfmError err;
  void *data;
  size_t len;
  gint bad = 0, mh, mw;

  g_file_get_contents (fixture_path ("networks/vgg_bn.txt"), &text, NULL,
                       NULL);
  cfm_file_read (fixture_path ("networks/vgg_bn-out.npz"), (size_t) 1 << 26,
                 &data, &len, &err);
  cfm_npz_read (data, len, &outs, &err);
  free (data);
  t = cfm_tensors_find (&outs, module);
  cfm_args_init (&vals);
  set_model (&vals, path, text, "3");
  CHECK (t != NULL && render_preview (&vals, buf, &area, view, channel,
                                      stage, rgb, &error),
         "model preview of %s: %s", module, error ? error->message : "");
  mh = t ? (gint) t->shape[1] : 0;
  mw = t ? (gint) t->shape[2] : 0;
  if (t && !error)
    bad = pixels_off (rgb, view->width, view->height,
                      t->data + (gsize) (channel - 1) * mh * mw, mw, view->x,
                      view->y, step);
  CHECK (t && bad == 0, "model preview of %s channel %d: %d pixels differ",
         module, channel, bad);
  g_clear_error (&error);
  cfm_args_clear (&vals);
  cfm_tensors_free (&outs);
  g_free (rgb);
  g_free (text);
  g_free (path);
}

/* A node past a chain's first branch: ResNet-18's layer1.0 (the graph
 * fixtures' narrow ResNet-18 from its state dict and text, the core suite
 * makes them) on the photo's crop at 100, 40 of 83 x 67 (the fixtures'
 * input) against PyTorch's block output: a map pixel steps 4 photo
 * pixels, pixel 0 centred on photo pixel 0, so map column j covers area
 * columns 4j - 2 .. 4j + 1. */
static void
check_node_preview (GeglBuffer *buf)
{
  static const GeglRectangle area = { 100, 40, 83, 67 };
  static const GeglRectangle view = { 110, 50, 60, 48 };
  const gchar *dir = g_getenv ("CFM_GRAPH_FIXTURES");
  gchar *pth, *txt, *ref, *text = NULL;
  guchar *rgb = g_malloc ((gsize) view.width * view.height * 3);
  CfmArgValues vals;
  GError *error = NULL;
  CfmArray map = { 0 };
  gint bad = 0, channel = 4;

  dir = dir ? dir : "/var/cache/cnn-feature-maps/graph-fixtures";
  pth = g_build_filename (dir, "resnet18.pth", NULL);
  txt = g_build_filename (dir, "resnet18-model.txt", NULL);
  ref = g_build_filename (dir, "resnet18-9.npy", NULL);   /* layer1.0 */
  if (!g_file_get_contents (txt, &text, NULL, NULL))
    {
      CHECK (g_getenv ("CI") == NULL, "graph fixtures missing in %s", dir);
      goto out;
    }
  {
    void *data;
    size_t len;
    CfmError err;

    CHECK (cfm_file_read (ref, (size_t) 1 << 26, &data, &len, &err) == CFM_OK
           && cfm_npy_parse (data, len, (size_t) 1 << 26, &map, &err)
              == CFM_OK, "%s", err.message);
    free (data);
  }
  cfm_args_init (&vals);
  set_model (&vals, pth, text, "layer1.0");
  CHECK (map.ndim == 3 && render_preview (&vals, buf, &area, &view, channel,
                                          CFM_STAGE_CONV, rgb, &error),
         "preview of layer1.0: %s", error ? error->message : "");
  if (map.ndim == 3 && !error)
    bad = pixels_off (rgb, view.width, view.height,
                      map.data + (gsize) (channel - 1) * map.shape[1]
                                 * map.shape[2],
                      (gint) map.shape[2], view.x - area.x + 2,
                      view.y - area.y + 2, 4);
  CHECK (map.ndim == 3 && bad == 0, "preview of layer1.0 channel %d: %d "
         "pixels differ", channel, bad);
  g_clear_error (&error);
  cfm_args_clear (&vals);
out:
  cfm_array_free (&map);
  g_free (rgb);
  g_free (text);
  g_free (pth);
  g_free (txt);
  g_free (ref);
}

/* The dialog's summary of a model: the table of modules with their
 * output sizes for the area, the block marked, and an unknown layer
 * refused with the names there are. */
static void
check_model_summary (void)
{
  static const GeglRectangle area = { 0, 0, 96, 72 };
  gchar *text = NULL, *summary;
  CfmDialogState st;
  CfmArgValues vals;

  g_file_get_contents (fixture_path ("networks/vgg_bn.txt"), &text, NULL,
                       NULL);
  cfm_args_init (&vals);
  cfm_args_set_from_string (&vals, "filter-bank", "model", NULL);
  cfm_args_set_from_string (&vals, "model-file",
                            fixture_path ("networks/vgg_bn.pth"), NULL);
  cfm_args_set_from_string (&vals, "network", text, NULL);
  cfm_args_set_from_string (&vals, "layer", "5", NULL);
  cfm_args_set_from_string (&vals, "input", "rgb", NULL);
  cfm_dialog_init (&st, &area, TRUE);
  cfm_dialog_set_values (&st, &vals);
  summary = cfm_dialog_summary (&st, 3);
  /* module 3's row: in the block, its type and its output for 96 x 72 */
  CHECK_MSG (summary, "&gt;  3                  Conv2d(8, 8, k3x3/1)       "
                      "8 x 72 x 96");
  CHECK_MSG (summary, "&gt;  6                  MaxPool2d(2x2/2)           "
                      "8 x 36 x 48");
  CHECK_MSG (summary, "   7                  Conv2d(8, 16, k3x3/1)");
  CHECK_MSG (summary, "The maps stop there: the chain ends at 11");
  CHECK_MSG (summary, "Block 3 .. 6: 8 of 8 channels, maps 3: 96 x 72, "
                      "5: 96 x 72, 6: 48 x 36");
  g_free (summary);
  cfm_args_set_from_string (&vals, "layer", "features.9", NULL);
  cfm_dialog_set_values (&st, &vals);
  summary = cfm_dialog_summary (&st, 3);
  CHECK_MSG (summary, "no module &quot;features.9&quot; in the network; its "
                      "modules: 0, 1, 2");
  g_free (summary);
  cfm_dialog_clear (&st);
  cfm_args_clear (&vals);
  g_free (text);
}

/* The dialog keeps an open model while its file stays as it was: a
 * change of layer or input reads nothing; a file written since is opened
 * again. */
static void
check_model_kept (void)
{
  static const GeglRectangle area = { 0, 0, 96, 72 };
  gchar *text = NULL, *copy = g_build_filename (g_get_tmp_dir (),
                                                "cfm-kept.pth", NULL);
  gchar *bytes = NULL;
  gsize len;
  CfmDialogState st;
  CfmArgValues vals;
  CfmModel *first;
  struct timespec later[2] = { { 0, UTIME_OMIT }, { 0, 0 } };

  g_file_get_contents (fixture_path ("networks/vgg_bn.txt"), &text, NULL,
                       NULL);
  g_file_get_contents (fixture_path ("networks/vgg_bn.pth"), &bytes, &len,
                       NULL);
  g_file_set_contents (copy, bytes, (gssize) len, NULL);
  cfm_args_init (&vals);
  cfm_args_set_from_string (&vals, "filter-bank", "model", NULL);
  cfm_args_set_from_string (&vals, "model-file", copy, NULL);
  cfm_args_set_from_string (&vals, "network", text, NULL);
  cfm_args_set_from_string (&vals, "layer", "3", NULL);
  cfm_args_set_from_string (&vals, "input", "rgb", NULL);
  cfm_dialog_init (&st, &area, TRUE);
  cfm_dialog_set_values (&st, &vals);
  first = st.loaded.model;
  CHECK (first != NULL, "the model was not opened");
  if (first == NULL)
    return;
  g_rc_box_acquire (first);   /* so a new model cannot take its address */
  cfm_args_set_from_string (&vals, "layer", "7", NULL);
  cfm_args_set_from_string (&vals, "filters", "2-4", NULL);
  cfm_dialog_set_values (&st, &vals);
  CHECK (st.loaded.model == first, "a change of layer opened the model "
         "again");
  /* the file written again, with a time of its own */
  later[1].tv_sec = time (NULL) + 5;
  utimensat (AT_FDCWD, copy, later, 0);
  cfm_dialog_set_values (&st, &vals);
  CHECK (st.loaded.model != NULL && st.loaded.model != first,
         "a model whose file changed was kept");
  cfm_plan_model_release (first);
  cfm_dialog_clear (&st);
  cfm_args_clear (&vals);
  g_unlink (copy);
  g_free (copy);
  g_free (bytes);
  g_free (text);
}

int
main (int argc, char **argv)
{
  static const gchar *const names[3] = {
    "tutorial_conv.npy", "tutorial_relu.npy", "tutorial_pool.npy"
  };
  CfmArgValues vals;
  GeglBuffer *buf;
  GeglRectangle whole, area, view;
  GError *error = NULL;
  guchar rgb[16 * 16 * 3];
  gint s, w, h;

  gegl_init (&argc, &argv);
  load_fixture ("photo_rgb.npy", &photo);
  for (s = 0; s < 3; s++)
    load_fixture (names[s], &maps[s]);
  buf = photo_buffer (&photo);
  h = (gint) photo.shape[0];
  w = (gint) photo.shape[1];
  whole = (GeglRectangle) { 0, 0, w, h };

  cfm_args_init (&vals);
  cfm_args_set_from_string (&vals, "colormap", "gray", NULL);
  cfm_args_set_from_string (&vals, "align", "false", NULL);

  view = (GeglRectangle) { 120, 90, 160, 120 };
  run_case ("conv, filter 2, middle", buf, &vals, whole, view, 2,
            CFM_STAGE_CONV, FALSE);
  run_case ("relu, filter 3, middle", buf, &vals, whole, view, 3,
            CFM_STAGE_ACTIVATION, FALSE);
  run_case ("pool, filter 4, middle", buf, &vals, whole, view, 4,
            CFM_STAGE_POOL, FALSE);
  view = (GeglRectangle) { 0, 0, 97, 61 };
  run_case ("pool, filter 1, top-left corner", buf, &vals, whole, view, 1,
            CFM_STAGE_POOL, FALSE);
  view = (GeglRectangle) { w - 75, h - 50, 75, 50 };
  run_case ("conv, filter 1, bottom-right corner", buf, &vals, whole, view,
            1, CFM_STAGE_CONV, FALSE);
  /* A selection: the run's input is the area, its maps start there. */
  area = (GeglRectangle) { 64, 40, 200, 150 };
  view = (GeglRectangle) { 64, 40, 200, 150 };
  run_case ("pool, filter 2, a selection", buf, &vals, area, view, 2,
            CFM_STAGE_POOL, FALSE);
  view = (GeglRectangle) { 150, 100, 114, 90 };
  run_case ("relu, filter 1, a selection's corner", buf, &vals, area, view,
            1, CFM_STAGE_ACTIVATION, FALSE);
  cfm_args_set_from_string (&vals, "normalize", "per-stage", NULL);
  view = (GeglRectangle) { 200, 150, 100, 80 };
  run_case ("conv, filter 3, per-stage range", buf, &vals, whole, view, 3,
            CFM_STAGE_CONV, TRUE);
  cfm_args_set_from_string (&vals, "normalize", "per-map", NULL);

  view = (GeglRectangle) { 20, 14, 50, 40 };
  check_model_preview (buf, "5", CFM_STAGE_ACTIVATION, 1, &view, 2);
  view = (GeglRectangle) { 30, 20, 60, 48 };
  check_model_preview (buf, "6", CFM_STAGE_POOL, 2, &view, 4);
  check_model_summary ();
  check_model_kept ();
  check_node_preview (buf);

  /* Refusals: a filter the bank lacks, bad settings; dark gray drawn. */
  view = (GeglRectangle) { 0, 0, 16, 16 };
  memset (rgb, 0, sizeof rgb);
  CHECK (!render_preview (&vals, buf, &whole, &view, 5, CFM_STAGE_CONV, rgb,
                          &error),
         "filter 5 of 4 accepted");
  CHECK (error != NULL, "no message for filter 5");
  if (error)
    CHECK_MSG (error->message, "5");
  g_clear_error (&error);
  CHECK (rgb[0] == BG && rgb[sizeof rgb - 1] == BG, "refusal not drawn gray");
  cfm_args_set_from_string (&vals, "filter-bank", "custom", NULL);
  cfm_args_set_from_string (&vals, "kernels", "1 2\n3", NULL);
  CHECK (!render_preview (&vals, buf, &whole, &view, 1, CFM_STAGE_CONV, rgb,
                          &error),
         "ragged kernel accepted");
  if (error)
    CHECK_MSG (error->message, "kernels");
  g_clear_error (&error);

  cfm_args_clear (&vals);
  g_object_unref (buf);
  cfm_array_free (&photo);
  for (s = 0; s < 3; s++)
    cfm_array_free (&maps[s]);
  gegl_exit ();
  return test_finish ("test_preview");
}
