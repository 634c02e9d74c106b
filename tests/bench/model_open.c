/* SPDX-License-Identifier: GPL-3.0-or-later */
/* model_open.c: cfm-model-open, one model file opened and one layer run,
 * in a process of its own so that its memory is the whole process's:
 *   cfm-model-open FILE TEXT-FILE LAYER WIDTH HEIGHT [--copy]
 * opens FILE with the print(model) text in TEXT-FILE (cfm_model_open:
 * mapped, only the network's tensors loaded), or with --copy as models
 * were read before the mapping (the file read into memory, every tensor
 * converted into a copy of its own), runs the chain to LAYER on a made-up
 * RGB input of WIDTH x HEIGHT in bands, and prints
 *   open s|run s|resident after the opening MB|process peak MB
 * (tests/bench/model_files.py makes the files and the table). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfm_model.h"
#include "cfm_file.h"
#include "bench_process.h"
#include "cfm_npy.h"

#define FILE_MAX ((size_t) 4 << 30)
#define BAND_ROWS 4

static volatile float sink;

static CfmStatus
band (void *data, int module, const float *out, int c, int h, int w,
      int row0, int n, CfmError *err)
{
  (void) data; (void) module; (void) c; (void) h; (void) w; (void) row0;
  (void) n; (void) err;
  sink = out[0];
  return CFM_OK;
}

/* The old way: the whole file in memory, every tensor copied. */
static CfmStatus
open_copied (const char *path, const char *text, CfmModel *model,
             CfmError *err)
{
  void *data;
  size_t len;
  const char *slash = strrchr (path, '/');
  CfmStatus status = cfm_file_read (path, FILE_MAX, &data, &len, err);

  if (status != CFM_OK)
    return status;
  status = cfm_model_read (cfm_file_wrap (data, len), slash ? slash + 1
                                                          : path, text,
                           model, err);
  return status == CFM_OK ? cfm_tensors_load_all (&model->weights, 1, err)
                          : status;
}

int
main (int argc, char **argv)
{
  CfmModel model;
  CfmError err;
  void *text;
  size_t text_len;
  char *z;
  int w, h, last;
  double t0, t_open, t_run;

  if (argc < 6)
    {
      fprintf (stderr, "usage: cfm-model-open FILE TEXT-FILE LAYER WIDTH "
               "HEIGHT [--copy]\n");
      return 2;
    }
  if (cfm_file_read (argv[2], FILE_MAX, &text, &text_len, &err) != CFM_OK)
    {
      fprintf (stderr, "%s\n", err.message);
      return 1;
    }
  z = calloc (1, text_len + 1);
  memcpy (z, text, text_len);
  w = atoi (argv[4]);
  h = atoi (argv[5]);
  t0 = bench_now ();
  if ((argc > 6 && strcmp (argv[6], "--copy") == 0
       ? open_copied (argv[1], z, &model, &err)
       : cfm_model_open (argv[1], FILE_MAX, z, &model, &err)) != CFM_OK)
    {
      fprintf (stderr, "%s: %s\n", argv[1], err.message);
      return 1;
    }
  t_open = bench_now () - t0;
  printf ("%.3f|", t_open);
  fflush (stdout);
  last = cfm_network_find (&model.net, argv[3]);
  if (last < 0)
    {
      fprintf (stderr, "no module %s\n", argv[3]);
      return 1;
    }
  {
    double rss_open = bench_status_mb ("VmRSS:");

    t0 = bench_now ();
    if (cfm_network_forward_bands (&model.net, &last, 1, 3, h, w, BAND_ROWS,
                                   bench_rows, &w, band, NULL, &err) != CFM_OK)
      {
        fprintf (stderr, "%s\n", err.message);
        return 1;
      }
    t_run = bench_now () - t0;
    printf ("%.2f|%.0f|%.0f\n", t_run, rss_open, bench_status_mb ("VmHWM:"));
  }
  cfm_model_free (&model);
  free (text);
  free (z);
  return 0;
}
