/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_zip.c: zip archives' central directory and stored entries (its API:
 * cfm_zip.h). */
#include "cfm_zip.h"

#include <stdlib.h>
#include <string.h>

#define SIG_EOCD      0x06054b50u   /* end of central directory */
#define SIG_EOCD64    0x06064b50u   /* its ZIP64 form */
#define SIG_LOCATOR   0x07064b50u   /* where the ZIP64 form is */
#define SIG_CENTRAL   0x02014b50u   /* a central directory entry */
#define SIG_LOCAL     0x04034b50u   /* a local header */
#define EOCD_SIZE     22
#define LOCATOR_SIZE  20
#define EOCD64_SIZE   56
#define CENTRAL_SIZE  46
#define LOCAL_SIZE    30
#define MAX_COMMENT   65535
#define ZIP64_EXTRA   0x0001
#define MAX_NAME      4096

static uint32_t
get16 (const unsigned char *p)
{
  return (uint32_t) p[0] | (uint32_t) p[1] << 8;
}

static uint32_t
get32 (const unsigned char *p)
{
  return get16 (p) | get16 (p + 2) << 16;
}

static uint64_t
get64 (const unsigned char *p)
{
  return (uint64_t) get32 (p) | (uint64_t) get32 (p + 4) << 32;
}

/* Where the central directory is and how many entries it has. */
typedef struct
{
  uint64_t offset, size, count;
} Directory;

/* Reads the ZIP64 end record that the locator at LOC names. */
static CfmStatus
read_eocd64 (const CfmZip *zip, size_t loc, Directory *dir, CfmError *err)
{
  uint64_t at;

  if (loc < LOCATOR_SIZE || get32 (zip->buf + loc - LOCATOR_SIZE)
                            != SIG_LOCATOR)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "zip: the ZIP64 end record is missing");
  at = get64 (zip->buf + loc - LOCATOR_SIZE + 8);
  if (at > zip->len - EOCD64_SIZE || zip->len < EOCD64_SIZE
      || get32 (zip->buf + at) != SIG_EOCD64)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "zip: the ZIP64 end record lies outside the file");
  dir->count = get64 (zip->buf + at + 32);
  dir->size = get64 (zip->buf + at + 40);
  dir->offset = get64 (zip->buf + at + 48);
  return CFM_OK;
}

/* Finds the end of central directory record, scanning back over a
 * comment, and reads where the directory is. */
static CfmStatus
find_directory (const CfmZip *zip, Directory *dir, CfmError *err)
{
  size_t at, lowest;

  if (zip->len < EOCD_SIZE)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "not a zip archive (too short)");
  lowest = zip->len > EOCD_SIZE + MAX_COMMENT
           ? zip->len - EOCD_SIZE - MAX_COMMENT : 0;
  for (at = zip->len - EOCD_SIZE;; at--)
    {
      if (get32 (zip->buf + at) == SIG_EOCD
          && at + EOCD_SIZE + get16 (zip->buf + at + 20) == zip->len)
        break;
      if (at == lowest)
        return cfm_error_set (err, CFM_ERR_PARSE,
                              "not a zip archive (no end of central "
                              "directory)");
    }
  dir->count = get16 (zip->buf + at + 10);
  dir->size = get32 (zip->buf + at + 12);
  dir->offset = get32 (zip->buf + at + 16);
  if (dir->count == 0xffff || dir->size == 0xffffffffu
      || dir->offset == 0xffffffffu)
    return read_eocd64 (zip, at, dir, err);
  return CFM_OK;
}

/* Replaces the fields of E that are 0xffffffff by their ZIP64 values in
 * the extra field EXTRA[0..LEN). */
static CfmStatus
read_zip64_extra (const unsigned char *extra, size_t len, CfmZipEntry *e,
                  CfmError *err)
{
  size_t at = 0;

  while (at + 4 <= len)
    {
      uint32_t id = get16 (extra + at), size = get16 (extra + at + 2);
      size_t p = at + 4, end = p + size;

      if (end > len)
        break;
      if (id == ZIP64_EXTRA)
        {
          uint64_t *fields[3] = { &e->size, &e->stored, &e->local };
          int i;

          for (i = 0; i < 3; i++)
            if (*fields[i] == 0xffffffffu)
              {
                if (p + 8 > end)
                  return cfm_error_set (err, CFM_ERR_PARSE,
                                        "zip: a ZIP64 field is cut short");
                *fields[i] = get64 (extra + p);
                p += 8;
              }
          return CFM_OK;
        }
      at = end;
    }
  if (e->size == 0xffffffffu || e->stored == 0xffffffffu
      || e->local == 0xffffffffu)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "zip: an entry lacks its ZIP64 sizes");
  return CFM_OK;
}

/* Reads the central entry at *AT into E and advances *AT. */
static CfmStatus
read_entry (const CfmZip *zip, uint64_t *at, uint64_t end, CfmZipEntry *e,
            CfmError *err)
{
  const unsigned char *p = zip->buf + *at;
  size_t name_len, extra_len, comment_len;
  uint64_t next;

  if (*at + CENTRAL_SIZE > end || get32 (p) != SIG_CENTRAL)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "zip: the central directory is damaged");
  e->method = (int) get16 (p + 10);
  e->stored = get32 (p + 20);
  e->size = get32 (p + 24);
  name_len = get16 (p + 28);
  extra_len = get16 (p + 30);
  comment_len = get16 (p + 32);
  e->local = get32 (p + 42);
  next = *at + CENTRAL_SIZE + name_len + extra_len + comment_len;
  if (next > end || name_len == 0 || name_len > MAX_NAME)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "zip: a central directory entry is cut short");
  e->name = malloc (name_len + 1);
  if (e->name == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  memcpy (e->name, p + CENTRAL_SIZE, name_len);
  e->name[name_len] = '\0';
  if (memchr (e->name, '\0', name_len))
    return cfm_error_set (err, CFM_ERR_PARSE, "zip: an entry's name holds "
                          "a NUL byte");
  *at = next;
  return read_zip64_extra (p + CENTRAL_SIZE + name_len, extra_len, e, err);
}

CfmStatus
cfm_zip_open (const void *buf, size_t len, CfmZip *zip, CfmError *err)
{
  Directory dir = { 0, 0, 0 };
  CfmStatus status;
  uint64_t at, end;
  size_t i;

  memset (zip, 0, sizeof *zip);
  zip->buf = buf;
  zip->len = len;
  status = find_directory (zip, &dir, err);
  if (status != CFM_OK)
    return status;
  if (dir.offset > len || dir.size > len - dir.offset)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "zip: the central directory lies outside the file");
  if (dir.count > CFM_ZIP_MAX_ENTRIES
      || dir.count > dir.size / CENTRAL_SIZE)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "zip: %llu entries are more than the directory "
                          "holds", (unsigned long long) dir.count);
  zip->entries = calloc (dir.count ? dir.count : 1, sizeof *zip->entries);
  if (zip->entries == NULL)
    return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
  at = dir.offset;
  end = dir.offset + dir.size;
  for (i = 0; i < dir.count; i++)
    {
      zip->n = i + 1;
      status = read_entry (zip, &at, end, &zip->entries[i], err);
      if (status != CFM_OK)
        {
          cfm_zip_free (zip);
          return status;
        }
    }
  return CFM_OK;
}

void
cfm_zip_free (CfmZip *zip)
{
  size_t i;

  for (i = 0; zip->entries && i < zip->n; i++)
    free (zip->entries[i].name);
  free (zip->entries);
  zip->entries = NULL;
  zip->n = 0;
}

const CfmZipEntry *
cfm_zip_find (const CfmZip *zip, const char *name)
{
  size_t i;

  for (i = 0; i < zip->n; i++)
    if (strcmp (zip->entries[i].name, name) == 0)
      return &zip->entries[i];
  return NULL;
}

CfmStatus
cfm_zip_data (const CfmZip *zip, const CfmZipEntry *e,
              const unsigned char **data, size_t *len, CfmError *err)
{
  const unsigned char *p;
  uint64_t start;

  *data = NULL;
  *len = 0;
  if (e->method != 0)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "zip: \"%s\" is compressed (method %d); only "
                          "stored entries can be read: save it uncompressed "
                          "(np.savez, not np.savez_compressed)", e->name,
                          e->method);
  if (e->local > zip->len || zip->len - e->local < LOCAL_SIZE
      || get32 (zip->buf + e->local) != SIG_LOCAL)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "zip: the local header of \"%s\" is missing",
                          e->name);
  p = zip->buf + e->local;
  start = e->local + LOCAL_SIZE + get16 (p + 26) + get16 (p + 28);
  if (e->stored != e->size || start > zip->len
      || e->size > zip->len - start)
    return cfm_error_set (err, CFM_ERR_PARSE,
                          "zip: the data of \"%s\" lies outside the file",
                          e->name);
  *data = zip->buf + start;
  *len = (size_t) e->size;
  return CFM_OK;
}
