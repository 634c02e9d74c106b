/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_report.h: with $CFM_REPORT set, a line on stderr per run for the
 * benchmark: its phases' times, the whole plug-in process's peak memory
 * (start-up included) and the memory the run itself added at its peak. */
#ifndef CFM_REPORT_H
#define CFM_REPORT_H

#include <glib.h>

typedef enum
{
  CFM_PHASE_RANGES,    /* the range pass */
  CFM_PHASE_MAPS,      /* the write pass, and loading the file */
  CFM_PHASE_INSERT,    /* figures and insertion into the image */
  CFM_N_PHASES
} CfmPhase;

typedef struct
{
  gboolean on;
  gint64   start, end[CFM_N_PHASES];
  glong    start_peak_kb;   /* the process's peak before the run */
  glong    start_rss_kb;    /* its size when the run starts */
} CfmReport;

void cfm_report_start (CfmReport *report);

/* PHASE ends now. */
void cfm_report_mark (CfmReport *report, CfmPhase phase);

/* Prints the line; FILE says whether the maps went through the file. */
void cfm_report_finish (CfmReport *report, gboolean file);

#endif
