/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_error.c: status codes with messages, and overflow-checked sizes (its
 * API: cfm_error.h). */
#include "cfm_error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

CfmStatus
cfm_error_set (CfmError *err, CfmStatus status, const char *fmt, ...)
{
  va_list ap;

  if (err == NULL)
    return status;
  err->status = status;
  va_start (ap, fmt);
  vsnprintf (err->message, sizeof err->message, fmt, ap);
  va_end (ap);
  return status;
}

CfmStatus
cfm_error_prefix (CfmError *err, CfmStatus status, const char *prefix)
{
  char message[CFM_ERROR_MAX];

  if (err == NULL)
    return status;
  memcpy (message, err->message, sizeof message);
  message[sizeof message - 1] = '\0';
  return cfm_error_set (err, status, "%s: %s", prefix, message);
}

CfmStatus
cfm_error_unknown_name (CfmError *err, const char *name, int n, CfmNameAt at,
                        const void *data)
{
  char list[CFM_ERROR_MAX] = "";
  size_t used = 0;
  int i;

  for (i = 0; i < n; i++)
    {
      const char *sep = used ? ", " : "";
      const char *next = at (data, i);
      size_t need = strlen (sep) + strlen (next);

      if (used + need + 5 >= sizeof list - 80)
        {
          snprintf (list + used, sizeof list - used, ", ...");
          break;
        }
      used += (size_t) snprintf (list + used, sizeof list - used, "%s%s", sep,
                                 next);
    }
  return cfm_error_set (err, CFM_ERR_ARG, "no module \"%.64s\" in the "
                        "network; its modules: %s", name, list);
}

void
cfm_error_clear (CfmError *err)
{
  if (err == NULL)
    return;
  err->status = CFM_OK;
  err->message[0] = '\0';
}

int
cfm_size_mul (size_t a, size_t b, size_t *out)
{
  if (a != 0 && b > SIZE_MAX / a)
    return 0;
  *out = a * b;
  return 1;
}
