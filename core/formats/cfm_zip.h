/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_zip.h: the entries of a zip archive in memory, as torch.save (the
 * format of PyTorch 1.6 and later) and numpy.savez write them: found
 * through the central directory (the local headers of PyTorch's writer
 * carry zero sizes), ZIP64 records read, stored entries given as they are.
 * Compressed entries are listed and refused when read, since the core has
 * no decompressor. */
#ifndef CFM_ZIP_H
#define CFM_ZIP_H

#include <stddef.h>
#include <stdint.h>

#include "cfm_error.h"

/* Most entries an archive may hold. */
#define CFM_ZIP_MAX_ENTRIES 65536

typedef struct
{
  char    *name;        /* NUL-terminated copy */
  uint64_t local;       /* offset of the local header */
  uint64_t size;        /* uncompressed size */
  uint64_t stored;      /* compressed size */
  int      method;      /* 0 stored, 8 deflated, ... */
} CfmZipEntry;

typedef struct
{
  const unsigned char *buf;
  size_t               len;
  CfmZipEntry         *entries;
  size_t               n;
} CfmZip;

/* Reads the central directory of the archive BUF[0..LEN), which must
 * outlive ZIP. */
CfmStatus cfm_zip_open (const void *buf, size_t len, CfmZip *zip,
                        CfmError *err);

void cfm_zip_free (CfmZip *zip);

/* The entry named NAME, or NULL. */
const CfmZipEntry *cfm_zip_find (const CfmZip *zip, const char *name);

/* The bytes of ENTRY: *DATA points into the archive, *LEN bytes.  Refuses
 * a compressed entry and one whose data lies outside the archive. */
CfmStatus cfm_zip_data (const CfmZip *zip, const CfmZipEntry *entry,
                        const unsigned char **data, size_t *len,
                        CfmError *err);

#endif
