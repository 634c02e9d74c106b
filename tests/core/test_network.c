/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_network.c: trained networks from print(model) and their state
 * dicts or ONNX, run on the sample photo, against the output PyTorch's
 * forward hooks recorded for every module; where the chain ends;
 * refusals.  Bands: test_network_bands.c. */
#include "test_network.h"

static void
check_network_from (const char *name, const char *weights,
                    const char *outputs, int want_modules,
                    const char *ends_at)
{
  CfmNetwork net;
  CfmTensorSet w, want;
  CfmArray input;
  CfmError err;
  Compare cmp;

  load_network (name, weights, outputs, &net, &w, &input, &want);
  CHECK (net.n == want_modules, "%s: %d modules in the chain, not %d (%s)",
         name, net.n, want_modules, net.ended);
  if (ends_at)
    CHECK_MSG (net.ended, ends_at);
  cmp = (Compare) { &net, &want, weights, 0 };
  CHECK (cfm_network_forward (&net, net.n - 1, input.data,
                              (int) input.shape[0], (int) input.shape[1],
                              (int) input.shape[2], compare_output, &cmp,
                              &err) == CFM_OK, "%s: %s", name, err.message);
  CHECK (cmp.compared == net.n, "%s: %d of %d modules compared", name,
         cmp.compared, net.n);
  free_network (&net, &w, &input, &want);
}

/* The ONNX export of NAME, run, against PyTorch's module outputs.  The
 * exporter folds a BatchNorm into the Conv before it, whose output is
 * then the BatchNorm's. */
static void
check_network (const char *name, const char *weights, int want_modules,
               const char *ends_at)
{
  check_network_from (name, weights, "", want_modules, ends_at);
}

/* ONNX file FILE of fixture network NAME against PyTorch's outputs. */
static void
check_onnx_file (const char *name, const char *file, int want_modules,
                 const char *ends_at)
{
  char rel[256];
  CfmNetwork net, printed;
  CfmTensorSet w, want;
  CfmArray input;
  CfmError err;
  void *data;
  size_t len;
  Compare cmp;
  int i;

  snprintf (rel, sizeof rel, "networks/%s", file);
  if (cfm_file_read (fixture_path (rel), (size_t) 1 << 30, &data, &len, &err)
      != CFM_OK)
    {
      CHECK (0, "%s", err.message);
      return;
    }
  CHECK (cfm_onnx_read (data, len, &net, &w, &err) == CFM_OK, "%s: %s", rel,
         err.message);
  CHECK (net.n == want_modules, "%s: %d modules in the chain, not %d (%s)",
         rel, net.n, want_modules, net.ended);
  if (ends_at)
    CHECK_MSG (net.ended, ends_at);
  snprintf (rel, sizeof rel, "networks/%s.txt", name);
  parse_fixture (rel, &printed);
  snprintf (rel, sizeof rel, "networks/%s-out.npz", name);
  read_set (rel, &want);
  for (i = 0; i < net.n; i++)
    {
      int j = cfm_network_find (&printed, net.modules[i].name);

      if (net.modules[i].kind == CFM_MODULE_CONV && j >= 0
          && j + 1 < printed.n
          && printed.modules[j + 1].kind == CFM_MODULE_BATCHNORM)
        snprintf (net.modules[i].name, sizeof net.modules[i].name, "%s",
                  printed.modules[j + 1].name);
    }
  snprintf (rel, sizeof rel, "networks/%s-input.npy", name);
  load_fixture (rel, &input);
  cmp = (Compare) { &net, &want, name, 0 };
  CHECK (cfm_network_forward (&net, net.n - 1, input.data,
                              (int) input.shape[0], (int) input.shape[1],
                              (int) input.shape[2], compare_output, &cmp,
                              &err) == CFM_OK, "%s.onnx: %s", name,
         err.message);
  CHECK (cmp.compared == net.n, "%s.onnx: %d of %d modules compared", name,
         cmp.compared, net.n);
  cfm_array_free (&input);
  cfm_tensors_free (&want);
  cfm_tensors_free (&w);
  cfm_network_free (&net);
  free (data);   /* the weights were views into it */
  cfm_network_free (&printed);
}

static void
check_onnx (const char *name, int want_modules, const char *ends_at)
{
  char file[128];

  snprintf (file, sizeof file, "%s.onnx", name);
  check_onnx_file (name, file, want_modules, ends_at);
}

static void
check_torchvision (const char *file, int want, const char *last,
                   const char *ends_at)
{
  char rel[256];
  CfmNetwork net;

  snprintf (rel, sizeof rel, "networks/%s", file);
  parse_fixture (rel, &net);
  CHECK (net.n == want && strcmp (net.modules[net.n - 1].name, last) == 0,
         "%s: %d modules, the last %s", file, net.n,
         net.n ? net.modules[net.n - 1].name : "");
  CHECK_MSG (net.ended, ends_at);
  cfm_network_free (&net);
}

static void
check_geometry (void)
{
  char *text = read_text ("networks/resnet_stem.txt");
  CfmNetwork net;
  CfmError err;
  int stride[2];
  double centre[2];

  cfm_network_parse (text, &net, &err);
  free (text);
  /* conv1 7x7/2 padding 3: output 0 reads -3..3, centred on 0; maxpool
   * 3/2 padding 1 over it: conv pixels -1..1, centred on 0. */
  cfm_network_geometry (&net, cfm_network_find (&net, "maxpool"), stride,
                        centre);
  CHECK (stride[0] == 4 && stride[1] == 4 && centre[0] == 0.0,
         "stem geometry: stride %d, centre %g", stride[0], centre[0]);
  cfm_network_geometry (&net, cfm_network_find (&net, "layer1.0"), stride,
                        centre);
  CHECK (stride[0] == 4 && centre[1] == 0.0, "layer1.0 geometry");
  {
    int field[2], start[2];

    /* conv1 7x7 padding 3: 7 from -3; maxpool 3 padding 1 over conv
     * pixels 2 input pixels apart: 7 + 2 x 2 = 11 from -3 - 2 = -5 */
    cfm_network_field (&net, cfm_network_find (&net, "conv1"), field, start);
    CHECK (field[0] == 7 && field[1] == 7 && start[0] == -3,
           "conv1 field %d from %d", field[0], start[0]);
    cfm_network_field (&net, cfm_network_find (&net, "maxpool"), field,
                       start);
    CHECK (field[0] == 11 && field[1] == 11 && start[1] == -5,
           "maxpool field %d from %d", field[0], start[1]);
  }
  CHECK (cfm_network_input_channels (&net) == 3, "stem input channels");
  cfm_network_free (&net);
}

/* NAME's input made here from the photo's 8-bit codes, / 255 and
 * normalised as NAME-norm.txt says, equals the one PyTorch's side made. */
static void
check_input (const char *name, int channels)
{
  char rel[256], *norm, *nl;
  CfmArray photo, want;
  CfmError err;
  float mean[3], std[3], *x;
  int h, w, y, c, col;

  snprintf (rel, sizeof rel, "networks/%s-norm.txt", name);
  norm = read_text (rel);
  if ((nl = strchr (norm, '\n')))
    *nl = '\0';
  load_fixture (channels == 3 ? "photo_rgb.npy" : "photo_gray_u8.npy", &photo);
  snprintf (rel, sizeof rel, "networks/%s-input.npy", name);
  load_fixture (rel, &want);
  h = (int) want.shape[1];
  w = (int) want.shape[2];
  x = malloc ((size_t) channels * h * w * sizeof (float));
  for (c = 0; c < channels; c++)
    for (y = 0; y < h; y++)
      for (col = 0; col < w; col++)
        x[((size_t) c * h + y) * w + col]
          = photo.data[((size_t) y * photo.shape[1] + col) * channels + c]
            / 255.0f;
  CHECK (cfm_normalize_parse (norm, channels, mean, std, &err) == CFM_OK,
         "%s: %s", name, err.message);
  cfm_normalize_apply (x, channels, (size_t) h * w, mean, std);
  CHECK (max_rel_diff (x, want.data, want.count) <= 1e-6, "%s: the "
         "normalised input differs from PyTorch's", name);
  free (x);
  free (norm);
  cfm_array_free (&photo);
  cfm_array_free (&want);
}

static void
check_normalize_refusals (void)
{
  float mean[3], std[3];
  CfmError err;

  CHECK (cfm_normalize_parse ("imagenet", 1, mean, std, &err) != CFM_OK,
         "imagenet on gray");
  CHECK_MSG (err.message, "3 input channels");
  CHECK (cfm_normalize_parse ("0.5,0.5/0.2,0.2", 3, mean, std, &err)
         != CFM_OK, "two pairs for three channels");
  CHECK (cfm_normalize_parse ("0.5/0", 1, mean, std, &err) != CFM_OK,
         "zero deviation");
  CHECK (cfm_normalize_parse ("0.5/0.25", 1, mean, std, &err) == CFM_OK
         && mean[0] == 0.5f && std[0] == 0.25f, "one pair");
}

/* TEXT with the weights of WEIGHTS is refused with NEEDLE. */
static void
check_refused (const char *text, const char *weights, const char *needle)
{
  CfmNetwork net;
  CfmTensorSet w;
  CfmError err;
  char rel[256];
  CfmStatus status = cfm_network_parse (text, &net, &err);

  if (status == CFM_OK && weights)
    {
      snprintf (rel, sizeof rel, "networks/%s", weights);
      read_set (rel, &w);
      status = cfm_network_bind (&net, &w, &err);
      cfm_tensors_free (&w);
      cfm_network_free (&net);
    }
  CHECK (status != CFM_OK, "accepted: %.40s", text);
  CHECK_MSG (err.message, needle);
}

int
main (void)
{
  static const char *const formats[] = {
    ".pth", "-checkpoint.pth", ".safetensors", ".npz"
  };
  char file[64];
  size_t i;

  for (i = 0; i < sizeof formats / sizeof formats[0]; i++)
    {
      snprintf (file, sizeof file, "vgg_bn%s", formats[i]);
      check_network ("vgg_bn", file, 11, "11 (Flatten)");
    }
  check_network ("lenet", "lenet.pth", 6, "classifier.0 (Flatten)");
  check_network ("resnet_stem", "resnet_stem.safetensors", 5, NULL);
  check_network ("depthwise", "depthwise.npz", 21, NULL);
  check_network ("pools", "pools.pth", 6, NULL);
  check_network ("wide", "wide.pth", 8, NULL);   /* 300 filters, 700 channels */
  check_network ("skips", "skips.pth", 6, NULL);
  /* 3x3 convolutions of 16 channels and more: the Winograd path */
  check_network ("winograd", "winograd.safetensors", 14, NULL);
  check_onnx ("wide", 8, NULL);
  /* PyTorch computes a Pad's pads with shape operations: not followed */
  check_onnx ("winograd", 2, "/2/Pad (Conv)");
  /* the same with the pads constant: Pad nodes of reflect and edge mode */
  check_onnx_file ("winograd", "winograd-pads.onnx", 13, NULL);
  /* PyTorch 2.x's files, with its own outputs */
  check_network_from ("vgg_bn", "torch2/vgg_bn.pth", "torch2/", 11, NULL);
  check_network_from ("depthwise", "torch2/depthwise-checkpoint.pth",
                      "torch2/", 21, NULL);
  check_network_from ("resnet_stem", "torch2/resnet_stem.safetensors",
                      "torch2/", 5, NULL);
  check_onnx ("vgg_bn", 8, "/11/Flatten");
  check_onnx ("lenet", 6, "Flatten");
  check_onnx ("resnet_stem", 4, NULL);
  check_onnx ("pools", 6, NULL);
  check_onnx ("depthwise", 6, "/9/");
  check_torchvision ("resnet18-print.txt", 4, "maxpool",
                     "layer1.0 (BasicBlock)");
  check_torchvision ("vgg16-print.txt", 31, "features.30",
                     "avgpool (AdaptiveAvgPool2d)");
  check_geometry ();
  check_input ("vgg_bn", 3);
  check_input ("lenet", 1);
  check_input ("depthwise", 3);
  check_input ("pools", 3);
  check_normalize_refusals ();
  check_refused ("Net(\n  (conv): Conv2d(3, 9, kernel_size=(3, 3), "
                 "stride=(1, 1))\n)\n", "vgg_bn.pth", "conv (Conv2d)");
  check_refused ("Sequential(\n  (0): Conv2d(3, 8, kernel_size=(3, 3), "
                 "stride=(1, 1), padding=(1, 1))\n  (1): BatchNorm2d(9, "
                 "eps=1e-05)\n)\n", "vgg_bn.pth", "9 features");
  check_refused ("Sequential(\n  (0): Conv2d(3, 8, kernel_size=(5, 5))\n)\n",
                 "vgg_bn.pth", "needs 8x3x5x5");
  check_refused ("ResNet(\n  (layer1): Sequential(\n    (0): BasicBlock(\n"
                 "      (conv1): Conv2d(3, 8, kernel_size=(3, 3))\n", NULL,
                 "layer1.0 (BasicBlock)");
  check_refused ("Sequential(\n  (0): Linear(in_features=3)\n)\n", NULL,
                 "Linear");
  check_refused ("not a network at all", NULL, "print(model)");
  return test_finish ("network");
}
