/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_number.h: locale-independent number reading.
 *
 * Hosts such as GIMP set the C library's locale from the user's, and in a
 * German or French locale strtod stops at the '.' of "0.5".  Kernel text,
 * bias lists and .npy headers always use '.', so they are read here. */
#ifndef CFM_NUMBER_H
#define CFM_NUMBER_H

/* Reads a number in C syntax ("-1", "0.25", "1.", ".5", "-1.0000e+00",
 * "nan", "inf") at S.  Returns 1 and sets *VALUE and *END past it, or 0 and
 * leaves *END = S when S does not start with a number.  Leading blanks are
 * not skipped. */
int cfm_read_number (const char *s, double *value, const char **end);

#endif
