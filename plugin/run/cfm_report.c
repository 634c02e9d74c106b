/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_report.c: the CFM_REPORT line: a run's phases and memory (its API:
 * cfm_report.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfm_report.h"

/* A "Vm...:" field of /proc/self/status in kB, or -1. */
static glong
status_kb (const gchar *field)
{
  gchar *status = NULL, *at;
  glong kb = -1;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  at = strstr (status, field);
  if (at)
    kb = strtol (at + strlen (field), NULL, 10);
  g_free (status);
  return kb;
}

void
cfm_report_start (CfmReport *r)
{
  FILE *f;

  memset (r, 0, sizeof *r);
  r->on = g_getenv ("CFM_REPORT") != NULL;
  if (!r->on)
    return;
  r->start = g_get_monotonic_time ();
  r->start_peak_kb = status_kb ("VmHWM:");
  r->start_rss_kb = status_kb ("VmRSS:");
  /* The high-water mark from here on is the run's; the process's own is
   * the larger of the two. */
  if ((f = fopen ("/proc/self/clear_refs", "w")))
    {
      fputs ("5", f);
      fclose (f);
    }
}

void
cfm_report_mark (CfmReport *r, CfmPhase phase)
{
  if (r->on)
    r->end[phase] = g_get_monotonic_time ();
}

void
cfm_report_finish (CfmReport *r, gboolean file)
{
  gint64 t[CFM_N_PHASES + 1];
  glong run_peak;
  gint i;

  if (!r->on)
    return;
  run_peak = status_kb ("VmHWM:");
  t[0] = r->start;
  for (i = 0; i < CFM_N_PHASES; i++)   /* phases an error skipped took none */
    t[i + 1] = r->end[i] ? r->end[i] : t[i];
  g_printerr ("cnn-feature-maps: run %.3f s (ranges %.3f s, maps %s %.3f s, "
              "into the image %.3f s), process peak memory %ld MB, the run "
              "added %ld MB\n",
              (t[CFM_N_PHASES] - t[0]) / 1e6, (t[1] - t[0]) / 1e6,
              file ? "to the XCF file and loaded" : "to layers by tiles",
              (t[2] - t[1]) / 1e6, (t[3] - t[2]) / 1e6,
              MAX (run_peak, r->start_peak_kb) / 1024,
              MAX (run_peak - r->start_rss_kb, 0) / 1024);
}
