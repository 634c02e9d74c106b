/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_predict.c: the dialogs' prediction before OK (cfm_dialog_predict.h)
 * on GEGL buffers without GIMP, against PyTorch's softmax of the graph
 * fixtures' ResNet-18. */
#include "config.h"

#include <string.h>

#include <gegl.h>

#include "test_util.h"
#include "plugin_util.h"
#include "cfm_dialog.h"
#include "cfm_dialog_predict.h"
#include "cfm_npy.h"

/* The top class of the softmax in the graph fixture NAME (a .npy), and
 * its probability; -1 when it cannot be read. */
static gint
fixture_top_class (const gchar *dir, const gchar *name, gdouble *prob)
{
  gchar *path = g_build_filename (dir, name, NULL);
  CfmArray probs = { 0 };
  void *data = NULL;
  size_t len;
  CfmError err;
  gint top = -1;
  gsize k;

  if (cfm_file_read (path, (size_t) 1 << 20, &data, &len, &err) == CFM_OK
      && cfm_npy_parse (data, len, (size_t) 1 << 20, &probs, &err) == CFM_OK)
    for (k = 0; k < probs.shape[0]; k++)
      if (top < 0 || probs.data[k] > probs.data[top])
        top = (gint) k;
  if (top >= 0)
    *prob = probs.data[top];
  cfm_array_free (&probs);
  free (data);
  g_free (path);
  return top;
}

/* The dialog's prediction for VALS on AREA, waited for; NULL when there
 * is none to make. */
static gchar *
dialog_prediction (const CfmArgValues *vals, GeglBuffer *buf,
                   const GeglRectangle *area)
{
  CfmDialogState st;
  CfmPrediction *p;
  gchar *text = NULL;
  gint waited;

  cfm_dialog_init (&st, area, TRUE);
  cfm_dialog_set_drawable (&st, buf, gegl_buffer_get_width (buf),
                           gegl_buffer_get_height (buf));
  cfm_dialog_set_values (&st, vals);
  p = cfm_prediction_start (&st);
  for (waited = 0; p && !cfm_prediction_done (p, &text) && waited < 60000;
       waited += 10)
    g_usleep (10000);
  cfm_prediction_cancel (p);
  cfm_dialog_clear (&st);
  return text;
}

/* The dialog's prediction before OK: ResNet-18's top class and its
 * probability as PyTorch's softmax gives them, at the selection's own
 * size and resized ("input-size"); none for a filter bank; a prediction
 * abandoned as it starts is let go cleanly. */
static void
check_dialog_prediction (GeglBuffer *buf)
{
  static const GeglRectangle area = { 100, 40, 83, 67 };
  const gchar *dir = g_getenv ("CFM_GRAPH_FIXTURES");
  static const struct { const gchar *size, *probs; } cases[] = {
    { "0", "resnet18-probs.npy" }, { "48", "resnet18-resized-probs.npy" }
  };
  gchar *pth, *txt, *text = NULL, *got, *want;
  CfmArgValues vals;
  CfmDialogState st;
  gdouble prob = 0;
  gsize i;

  dir = dir ? dir : "/var/cache/cnn-feature-maps/graph-fixtures";
  pth = g_build_filename (dir, "resnet18.pth", NULL);
  txt = g_build_filename (dir, "resnet18-model.txt", NULL);
  cfm_args_init (&vals);
  got = dialog_prediction (&vals, buf, &area);
  CHECK (got == NULL, "a filter bank has no prediction: %s", got);
  g_free (got);
  if (!g_file_get_contents (txt, &text, NULL, NULL))
    {
      CHECK (g_getenv ("CI") == NULL, "graph fixtures missing in %s", dir);
      goto out;
    }
  set_model (&vals, pth, text, "layer1.0");
  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint top = fixture_top_class (dir, cases[i].probs, &prob);

      cfm_args_set_from_string (&vals, "input-size", cases[i].size, NULL);
      got = dialog_prediction (&vals, buf, &area);
      /* each class a link that makes it the class activation map's */
      want = g_strdup_printf (": <a href=\"cam-class:%d\">class %d</a> "
                              "%.1f%%", top, top, 100.0 * prob);
      CHECK (top >= 0 && got && strstr (got, want),
             "the dialog's prediction at input size %s: %s (want %s)",
             cases[i].size, got ? got : "none", want);
      g_free (got);
      g_free (want);
    }
  cfm_dialog_init (&st, &area, TRUE);
  cfm_dialog_set_drawable (&st, buf, gegl_buffer_get_width (buf),
                           gegl_buffer_get_height (buf));
  cfm_dialog_set_values (&st, &vals);
  cfm_prediction_cancel (cfm_prediction_start (&st));
  cfm_dialog_clear (&st);
out:
  cfm_args_clear (&vals);
  g_free (text);
  g_free (pth);
  g_free (txt);
}

int
main (int argc, char **argv)
{
  CfmArray photo = { 0 };
  GeglBuffer *buf;

  gegl_init (&argc, &argv);
  load_fixture ("photo_rgb.npy", &photo);
  buf = photo_buffer (&photo);
  check_dialog_prediction (buf);
  g_object_unref (buf);
  cfm_array_free (&photo);
  gegl_exit ();
  return test_finish ("predict");
}
