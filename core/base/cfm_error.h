/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_error.h: status codes and human-readable error messages.
 *
 * Every core entry point that can fail returns a CfmStatus and, when the
 * caller passes a CfmError, fills in a message meant for the user ("kernel 2
 * has 3 rows but kernel 1 has 4").  There is no global error state: the
 * message lives in the caller's CfmError, so concurrent callers never share.
 */
#ifndef CFM_ERROR_H
#define CFM_ERROR_H

#include <stddef.h>

typedef enum
{
  CFM_OK = 0,
  CFM_ERR_ARG = -1,      /* an argument is out of range or inconsistent */
  CFM_ERR_NOMEM = -2,    /* an allocation failed */
  CFM_ERR_PARSE = -3,    /* kernel text or a .npy file is malformed */
  CFM_ERR_IO = -4,       /* a file could not be read */
  CFM_ERR_SIZE = -5,     /* sizes overflow or leave no output pixel */
  CFM_ERR_VALUE = -6     /* a value is NaN or infinite */
} CfmStatus;

#define CFM_ERROR_MAX 512

typedef struct
{
  CfmStatus status;
  char      message[CFM_ERROR_MAX];
} CfmError;

/* Records STATUS and a printf-style message in ERR (which may be NULL) and
 * returns STATUS, so callers can write "return cfm_error_set (err, ...)". */
CfmStatus cfm_error_set (CfmError *err, CfmStatus status, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__ ((format (printf, 3, 4)))
#endif
  ;

/* Name I of a list of names (a network's modules, a graph's nodes). */
typedef const char *(*CfmNameAt) (const void *data, int i);

/* Sets ERR to "no module \"NAME\" in the network; its modules: a, b, c,
 * ..." with as many of the N names AT gives as the message holds, and
 * returns CFM_ERR_ARG. */
CfmStatus cfm_error_unknown_name (CfmError *err, const char *name, int n,
                                  CfmNameAt at, const void *data);

/* Puts "PREFIX: " before ERR's message (ERR may be NULL) and returns
 * STATUS; the message is copied first, as formatting a message into
 * itself is undefined. */
CfmStatus cfm_error_prefix (CfmError *err, CfmStatus status,
                            const char *prefix);

/* Resets ERR to CFM_OK with an empty message. */
void cfm_error_clear (CfmError *err);

/* Multiplies A by B into *OUT; returns 0 when the product overflows SIZE_MAX. */
int cfm_size_mul (size_t a, size_t b, size_t *out);

#endif
