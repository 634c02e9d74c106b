/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_number.c: numbers read the same in every locale (its API:
 * cfm_number.h). */
#include "cfm_number.h"

#include <ctype.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static size_t
count_digits (const char *s)
{
  size_t n = 0;

  while (isdigit ((unsigned char) s[n]))
    n++;
  return n;
}

/* Length of the number at S in C syntax, 0 when there is none. */
static size_t
scan_number (const char *s)
{
  size_t i = 0, whole, frac = 0;

  if (s[i] == '+' || s[i] == '-')
    i++;
  if (strncasecmp (s + i, "nan", 3) == 0)
    return i + 3;
  if (strncasecmp (s + i, "infinity", 8) == 0)
    return i + 8;
  if (strncasecmp (s + i, "inf", 3) == 0)
    return i + 3;
  whole = count_digits (s + i);
  i += whole;
  if (s[i] == '.')
    {
      frac = count_digits (s + i + 1);
      if (whole == 0 && frac == 0)
        return 0;
      i += 1 + frac;
    }
  else if (whole == 0)
    return 0;
  if (s[i] == 'e' || s[i] == 'E')
    {
      size_t j = i + 1, exp;

      if (s[j] == '+' || s[j] == '-')
        j++;
      exp = count_digits (s + j);
      if (exp > 0)
        i = j + exp;
    }
  return i;
}

int
cfm_read_number (const char *s, double *value, const char **end)
{
  char buf[128];
  const char *point = localeconv ()->decimal_point;
  size_t len = scan_number (s), plen = strlen (point), i, o = 0;

  *end = s;
  if (len == 0)
    return 0;
  if (len + plen >= sizeof buf)
    return 0;   /* no kernel weight needs 120 characters */
  for (i = 0; i < len; i++)
    {
      if (s[i] == '.')
        {
          memcpy (buf + o, point, plen);
          o += plen;
        }
      else
        buf[o++] = s[i];
    }
  buf[o] = '\0';
  *value = strtod (buf, NULL);
  *end = s + len;
  return 1;
}
