/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_file.c: model files mapped: the bytes as written, a file that
 * shrinks under its mapping read as zeros (no SIGBUS) and reported as
 * changed, as a file rewritten is; the model's tensors views into the
 * mapping where they can be, and only the network's tensors loaded. */
#define _DEFAULT_SOURCE   /* mkstemp */
#include "test_util.h"
#include "test_manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfm_file.h"
#include "cfm_model.h"

#define PAGES 16
#define PAGE 4096

/* A temporary file of PAGES pages, byte K holding K mod 251; its path. */
static char *
write_pages (void)
{
  static char path[64];
  unsigned char page[PAGE];
  int fd, p, k;

  snprintf (path, sizeof path, "/tmp/cfm-test-file-XXXXXX");
  fd = mkstemp (path);

  for (p = 0; fd >= 0 && p < PAGES; p++)
    {
      for (k = 0; k < PAGE; k++)
        page[k] = (unsigned char) ((p * PAGE + k) % 251);
      if (write (fd, page, sizeof page) != (ssize_t) sizeof page)
        CHECK (0, "cannot write %s", path);
    }
  if (fd >= 0)
    close (fd);
  CHECK (fd >= 0, "cannot make a temporary file");
  return path;
}

static void
check_shrinking (void)
{
  char *path = write_pages ();
  CfmFile *file;
  CfmError err;
  const unsigned char *b;
  size_t k, wrong = 0, nonzero = 0;

  if (cfm_file_open (path, (size_t) 1 << 20, &file, &err) != CFM_OK)
    {
      CHECK (0, "%s", err.message);
      return;
    }
  b = cfm_file_data (file);
  CHECK (cfm_file_mapped (file), "%s is not mapped", path);
  CHECK (cfm_file_size (file) == PAGES * PAGE, "size %zu",
         cfm_file_size (file));
  for (k = 0; k < PAGES * PAGE; k += 97)
    wrong += b[k] != k % 251;
  CHECK (wrong == 0, "%zu bytes differ from those written", wrong);
  CHECK (!cfm_file_changed (file), "an untouched file counts as changed");
  /* another program cuts the file to two pages while it is mapped */
  CHECK (truncate (path, 2 * PAGE) == 0, "cannot truncate %s", path);
  for (k = 0; k < PAGES * PAGE; k += 512)
    if (k >= 2 * PAGE)
      nonzero += b[k] != 0;   /* SIGBUS without the guard */
    else
      wrong += b[k] != k % 251;
  CHECK (nonzero == 0 && wrong == 0, "after the cut: %zu lost bytes read "
         "as not zero, %zu kept bytes changed", nonzero, wrong);
  CHECK (cfm_file_changed (file), "a file cut under its mapping is not "
         "reported as changed");
  cfm_file_close (file);
  unlink (path);
}

static void
check_rewritten (void)
{
  char *path = write_pages ();
  CfmFile *file;
  CfmError err;
  struct stat st;

  if (cfm_file_open (path, (size_t) 1 << 20, &file, &err) != CFM_OK)
    {
      CHECK (0, "%s", err.message);
      return;
    }
  stat (path, &st);
  /* rewritten in place: the same size, a later time */
  {
    FILE *f = fopen (path, "r+b");
    struct timespec later[2] = { st.st_atim, st.st_mtim };

    fputc ('x', f);
    fclose (f);
    later[1].tv_sec += 2;
    utimensat (AT_FDCWD, path, later, 0);
  }
  CHECK (cfm_file_changed (file), "a rewritten file is not reported as "
         "changed");
  cfm_file_close (file);
  unlink (path);
  CHECK (cfm_file_open (path, (size_t) 1 << 20, &file, &err) != CFM_OK,
         "a missing file was opened");
  CHECK_MSG (err.message, "cannot open");
}

/* Whether tensor T's values are a view into FILE. */
static int
is_view (const CfmTensor *t, const CfmFile *file)
{
  const unsigned char *d = (const unsigned char *) t->data;
  const unsigned char *b = cfm_file_data (file);

  return t->owned == NULL && d >= b && d < b + cfm_file_size (file);
}

#define ALL_VIEWS (-1)

/* Every tensor of fixture FILE loaded as the model's are: values as
 * PyTorch's manifest NET says, WANT_VIEWS of them (or ALL_VIEWS) views
 * into the mapping, the others converted copies. */
static void
check_loaded (const char *rel, const char *net, int want_views,
              double tol)
{
  char manifest[256];
  CfmFile *file;
  CfmTensorSet set;
  CfmError err;
  size_t i, views = 0;

  if (cfm_file_open (fixture_path (rel), (size_t) 1 << 30, &file, &err)
      != CFM_OK || cfm_weights_open (cfm_file_data (file),
                                     cfm_file_size (file), &set, &err)
                   != CFM_OK)
    {
      CHECK (0, "%s: %s", rel, err.message);
      return;
    }
  CHECK (cfm_tensors_load_all (&set, 0, &err) == CFM_OK, "%s: %s", rel,
         err.message);
  for (i = 0; i < set.n; i++)
    views += is_view (&set.tensors[i], file);
  CHECK (want_views == ALL_VIEWS ? views == set.n
                                 : views == (size_t) want_views,
         "%s: %zu of %zu tensors are views", rel, views, set.n);
  snprintf (manifest, sizeof manifest, "networks/%s-weights.txt", net);
  check_manifest (fixture_path (manifest), rel, &set, tol);
  cfm_tensors_free (&set);
  cfm_file_close (file);
}

/* A model loads the tensors of its network and no others. */
static void
check_only_bound (void)
{
  static const char text[] =
    "Sequential(\n"
    "  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
    "  (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, "
    "track_running_stats=True)\n"
    "  (2): ReLU(inplace=True)\n"
    ")\n";
  CfmModel model;
  CfmError err;
  size_t i, loaded = 0;

  if (cfm_model_open (fixture_path ("networks/vgg_bn.pth"), (size_t) 1 << 30,
                      text, &model, &err) != CFM_OK)
    {
      CHECK (0, "vgg_bn.pth: %s", err.message);
      return;
    }
  for (i = 0; i < model.weights.n; i++)
    {
      const CfmTensor *t = &model.weights.tensors[i];
      int bound = strncmp (t->name, "0.", 2) == 0
                  || (strncmp (t->name, "1.", 2) == 0
                      && strcmp (t->name, "1.num_batches_tracked") != 0);

      loaded += t->data != NULL;
      CHECK ((t->data != NULL) == bound, "vgg_bn.pth: %s is %sloaded",
             t->name, t->data ? "" : "not ");
      CHECK (t->data == NULL || is_view (t, model.file), "vgg_bn.pth: %s is "
             "a copy", t->name);
    }
  CHECK (loaded == 6, "vgg_bn.pth: %zu tensors loaded, not 6", loaded);
  cfm_model_free (&model);
}

int
main (void)
{
  check_shrinking ();
  check_rewritten ();
  check_loaded ("networks/vgg_bn.pth", "vgg_bn", ALL_VIEWS, 1e-6);
  check_loaded ("networks/vgg_bn-checkpoint.pth", "vgg_bn", ALL_VIEWS,
                1e-6);
  check_loaded ("networks/torch2/vgg_bn.pth", "torch2/vgg_bn", ALL_VIEWS,
                1e-6);
  check_loaded ("networks/torch2/vgg_bn.safetensors", "torch2/vgg_bn",
                ALL_VIEWS, 1e-6);
  /* float32 at offsets into a shared storage and a scalar are views;
   * bfloat16, transposed float16 and float32, float64 are copies */
  check_loaded ("networks/views.pth", "views", 3, 1e-6);
  check_loaded ("networks/vgg_bn-fp64.pth", "vgg_bn", 0, 1e-6);
  check_loaded ("networks/vgg_bn-fp16.safetensors", "vgg_bn", 0, 2e-3);
  check_only_bound ();
  return test_finish ("file");
}
