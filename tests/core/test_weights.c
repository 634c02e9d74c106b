/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_weights.c: the model readers (.pth, checkpoints, safetensors, .npz,
 * float16 and float64 storages, strided tensors) against the sums and
 * values PyTorch wrote beside each file, and their refusals. */
#include "test_util.h"
#include "test_manifest.h"

#include "cfm_tensors.h"

static const char *const networks[] = {
  "vgg_bn", "lenet", "resnet_stem", "depthwise"
};

/* Reads fixture networks/NAME with cfm_weights_read. */
static CfmStatus
read_weights (const char *name, CfmTensorSet *set, CfmError *err)
{
  char rel[256];
  void *data;
  size_t len;
  CfmStatus status;

  snprintf (rel, sizeof rel, "networks/%s", name);
  status = cfm_file_read (fixture_path (rel), (size_t) 1 << 30, &data, &len,
                          err);
  if (status != CFM_OK)
    return status;
  status = cfm_weights_read (data, len, set, err);
  free (data);
  return status;
}

/* Checks SET against the manifest networks/NET-weights.txt. */
static void
check_net_manifest (const char *net, const char *file,
                    const CfmTensorSet *set, double tol)
{
  char rel[256];

  snprintf (rel, sizeof rel, "networks/%s-weights.txt", net);
  check_manifest (fixture_path (rel), file, set, tol);
}

static void
check_formats (void)
{
  static const char *const suffixes[] = {
    ".pth", "-checkpoint.pth", ".safetensors", ".npz"
  };
  size_t i, j;

  for (i = 0; i < sizeof networks / sizeof networks[0]; i++)
    for (j = 0; j < sizeof suffixes / sizeof suffixes[0]; j++)
      {
        char file[128];
        CfmTensorSet set;
        CfmError err;

        snprintf (file, sizeof file, "%s%s", networks[i], suffixes[j]);
        CHECK (read_weights (file, &set, &err) == CFM_OK, "%s: %s", file,
               err.message);
        check_net_manifest (networks[i], file, &set, 1e-6);
        cfm_tensors_free (&set);
      }
}

/* The files PyTorch 2.x writes (torch.save's byteorder, .format_version,
 * .storage_alignment and serialization id; the safetensors library). */
static void
check_torch2 (void)
{
  static const char *const suffixes[] = {
    ".pth", "-checkpoint.pth", ".safetensors"
  };
  size_t i, j;

  for (i = 0; i < sizeof networks / sizeof networks[0]; i++)
    for (j = 0; j < sizeof suffixes / sizeof suffixes[0]; j++)
      {
        char file[128], net[64];
        CfmTensorSet set;
        CfmError err;

        snprintf (file, sizeof file, "torch2/%s%s", networks[i], suffixes[j]);
        snprintf (net, sizeof net, "torch2/%s", networks[i]);
        CHECK (read_weights (file, &set, &err) == CFM_OK, "%s: %s", file,
               err.message);
        check_net_manifest (net, file, &set, 1e-6);
        cfm_tensors_free (&set);
      }
}

static void
check_precisions (void)
{
  CfmTensorSet set;
  CfmError err;

  CHECK (read_weights ("vgg_bn-fp64.pth", &set, &err) == CFM_OK, "%s",
         err.message);
  check_net_manifest ("vgg_bn", "vgg_bn-fp64.pth (strided)", &set, 1e-6);
  cfm_tensors_free (&set);
  CHECK (read_weights ("vgg_bn-fp16.safetensors", &set, &err) == CFM_OK,
         "%s", err.message);
  check_net_manifest ("vgg_bn", "vgg_bn-fp16.safetensors", &set, 2e-3);
  cfm_tensors_free (&set);
  CHECK (read_weights ("views.pth", &set, &err) == CFM_OK, "%s",
         err.message);
  check_net_manifest ("views", "views.pth (offsets, bfloat16, strides)",
                      &set, 1e-6);
  cfm_tensors_free (&set);
}

/* FILE is refused with a message holding NEEDLE. */
static void
check_refused (const char *file, const char *needle)
{
  CfmTensorSet set;
  CfmError err;

  CHECK (read_weights (file, &set, &err) != CFM_OK, "%s was read", file);
  CHECK_MSG (err.message, needle);
  CHECK (set.n == 0 && set.tensors == NULL, "%s: tensors left", file);
}

/* Each truncation of FILE is refused, never read out of bounds (the
 * sanitizers and valgrind run this). */
static void
check_truncations (const char *file)
{
  char rel[256];
  void *data;
  size_t len, cut;
  CfmError err;
  int refused = 0, tried = 0;

  snprintf (rel, sizeof rel, "networks/%s", file);
  if (cfm_file_read (fixture_path (rel), (size_t) 1 << 30, &data, &len,
                     &err) != CFM_OK)
    {
      CHECK (0, "%s", err.message);
      return;
    }
  for (cut = 0; cut < len; cut += 1 + len / 97)
    {
      CfmTensorSet set;
      void *copy = malloc (cut + 1);

      memcpy (copy, data, cut);
      tried++;
      refused += cfm_weights_read (copy, cut, &set, &err) != CFM_OK;
      cfm_tensors_free (&set);
      free (copy);
    }
  CHECK (refused == tried, "%s: %d of %d truncations read", file,
         tried - refused, tried);
  free (data);
}

int
main (void)
{
  check_formats ();
  check_precisions ();
  check_torch2 ();
  check_refused ("refuse-os-system.pth", "os.system");
  check_refused ("refuse-os-system.pth", "model.state_dict()");
  check_refused ("refuse-whole-model.pth", "torch.save(model.state_dict()");
  check_refused ("refuse-compressed.npz", "np.savez_compressed");
  check_refused ("refuse-legacy.pth", "legacy format");
  check_truncations ("lenet.pth");
  check_truncations ("lenet.safetensors");
  check_truncations ("lenet.npz");
  return test_finish ("weights");
}
