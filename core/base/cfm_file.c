/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_file.c: model files mapped read-only, and the SIGBUS guard over the
 * live mappings (its API: cfm_file.h). */
#define _DEFAULT_SOURCE   /* MAP_ANONYMOUS */
#include "cfm_file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>


/* Mappings the guard watches at once; a file opened beyond them is read
 * into memory instead. */
#define GUARDED_MAX 32

struct CfmFile
{
  unsigned char *data;
  size_t         len;
  int            slot;        /* its guard slot, or -1: read, not mapped */
  char          *path;        /* NULL for wrapped bytes */
  struct stat    opened;
};

/* A live mapping [start, end) for the handler; start 0: a free slot.  The
 * handler reads these without locks, so they are atomics. */
static struct
{
  _Atomic uintptr_t start, end;
  atomic_int        shrank;
} guarded[GUARDED_MAX];

static struct sigaction before;   /* the SIGBUS handler there was */
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static int guard_installed;

/* Hands a fault that is not ours to the handler there was before. */
static void
pass_on (int sig, siginfo_t *info, void *context)
{
  if (before.sa_flags & SA_SIGINFO)
    before.sa_sigaction (sig, info, context);
  else if (before.sa_handler != SIG_DFL && before.sa_handler != SIG_IGN)
    before.sa_handler (sig);
  else
    {
      /* the default action: the faulting access runs again and kills */
      struct sigaction dfl;

      memset (&dfl, 0, sizeof dfl);
      dfl.sa_handler = SIG_DFL;
      sigaction (SIGBUS, &dfl, NULL);
    }
}

/* SIGBUS: a read past the end of a file that shrank under its mapping
 * gets zero pages from there to the mapping's end (mmap is a plain system
 * call, safe here), and the file is marked. */
static void
on_sigbus (int sig, siginfo_t *info, void *context)
{
  uintptr_t at = (uintptr_t) info->si_addr;
  uintptr_t page = (uintptr_t) sysconf (_SC_PAGESIZE);
  int i;

  for (i = 0; i < GUARDED_MAX; i++)
    {
      uintptr_t start = atomic_load (&guarded[i].start);
      uintptr_t end = atomic_load (&guarded[i].end);

      if (start != 0 && at >= start && at < end)
        {
          uintptr_t from = at & ~(page - 1);

          atomic_store (&guarded[i].shrank, 1);
          if (mmap ((void *) from, end - from, PROT_READ,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
              != MAP_FAILED)
            return;
        }
    }
  pass_on (sig, info, context);
}

static void
install_guard (void)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset (&sa.sa_mask);
  guard_installed = sigaction (SIGBUS, &sa, &before) == 0;
}

/* A free guard slot for [DATA, DATA + LEN), or -1. */
static int
guard (unsigned char *data, size_t len)
{
  int i;

  pthread_once (&guard_once, install_guard);
  if (!guard_installed)
    return -1;
  for (i = 0; i < GUARDED_MAX; i++)
    {
      uintptr_t free_slot = 0;

      /* a slot's end is 0 while it is taken but not yet filled in, so the
       * handler never matches it half-written */
      if (atomic_compare_exchange_strong (&guarded[i].start, &free_slot,
                                          (uintptr_t) data))
        {
          atomic_store (&guarded[i].shrank, 0);
          atomic_store (&guarded[i].end, (uintptr_t) data + len);
          return i;
        }
    }
  return -1;
}

/* Maps FD (LEN bytes) into FILE; 0 when it cannot be mapped or guarded. */
static int
map_file (int fd, size_t len, CfmFile *file)
{
  void *data;

  if (len == 0)
    return 0;
  data = mmap (NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  if (data == MAP_FAILED)
    return 0;
  file->slot = guard (data, len);
  if (file->slot < 0)
    {
      munmap (data, len);
      return 0;
    }
  file->data = data;
  file->len = len;
  return 1;
}

CfmStatus
cfm_file_open (const char *path, size_t max_bytes, CfmFile **out,
               CfmError *err)
{
  CfmFile *file = calloc (1, sizeof *file);
  CfmStatus status = CFM_OK;
  int fd;

  *out = NULL;
  if (file == NULL || (file->path = strdup (path)) == NULL)
    {
      free (file);
      return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory");
    }
  file->slot = -1;
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &file->opened) != 0)
    status = cfm_error_set (err, CFM_ERR_IO, "cannot open \"%s\": %s", path,
                            strerror (errno));
  else if ((uintmax_t) file->opened.st_size > max_bytes)
    status = cfm_error_set (err, CFM_ERR_SIZE, "\"%s\" is larger than %zu "
                            "bytes", path, max_bytes);
  else if (!S_ISREG (file->opened.st_mode)
           || !map_file (fd, (size_t) file->opened.st_size, file))
    {
      void *data;

      /* not a regular file, empty, or no mapping to be had: read it */
      status = cfm_file_read (path, max_bytes, &data, &file->len, err);
      file->data = data;
    }
  if (fd >= 0)
    close (fd);
  if (status != CFM_OK)
    {
      cfm_file_close (file);
      return status;
    }
  *out = file;
  return CFM_OK;
}

CfmFile *
cfm_file_wrap (void *data, size_t len)
{
  CfmFile *file = calloc (1, sizeof *file);

  if (file == NULL)
    {
      free (data);
      return NULL;
    }
  file->data = data;
  file->len = len;
  file->slot = -1;
  return file;
}

const unsigned char *
cfm_file_data (const CfmFile *file)
{
  return file->data;
}

size_t
cfm_file_size (const CfmFile *file)
{
  return file->len;
}

int
cfm_file_mapped (const CfmFile *file)
{
  return file->slot >= 0;
}

int
cfm_file_changed (const CfmFile *file)
{
  struct stat now;

  if (file->path == NULL)
    return 0;
  if (file->slot >= 0 && atomic_load (&guarded[file->slot].shrank))
    return 1;
  return stat (file->path, &now) != 0 || now.st_dev != file->opened.st_dev
         || now.st_ino != file->opened.st_ino
         || now.st_size != file->opened.st_size
         || now.st_mtim.tv_sec != file->opened.st_mtim.tv_sec
         || now.st_mtim.tv_nsec != file->opened.st_mtim.tv_nsec;
}

void
cfm_file_close (CfmFile *file)
{
  if (file == NULL)
    return;
  if (file->slot >= 0)
    {
      atomic_store (&guarded[file->slot].end, 0);
      munmap (file->data, file->len);
      atomic_store (&guarded[file->slot].start, 0);
    }
  else
    free (file->data);
  free (file->path);
  free (file);
}

CfmStatus
cfm_file_read (const char *path, size_t max_bytes, void **data, size_t *len,
               CfmError *err)
{
  FILE *f;
  unsigned char *buf;
  size_t cap = 65536, n = 0;

  *data = NULL;
  *len = 0;
  f = fopen (path, "rb");
  if (f == NULL)
    return cfm_error_set (err, CFM_ERR_IO, "cannot open \"%s\": %s", path,
                          strerror (errno));
  buf = malloc (cap);
  while (buf != NULL)
    {
      size_t got = fread (buf + n, 1, cap - n, f);

      n += got;
      if (n > max_bytes)
        {
          free (buf);
          fclose (f);
          return cfm_error_set (err, CFM_ERR_SIZE,
                                "\"%s\" is larger than %zu bytes", path,
                                max_bytes);
        }
      if (got == 0)
        break;
      if (n == cap)
        {
          unsigned char *bigger = realloc (buf, cap * 2);

          if (bigger == NULL)
            {
              free (buf);
              buf = NULL;
              break;
            }
          buf = bigger;
          cap *= 2;
        }
    }
  if (buf == NULL)
    {
      fclose (f);
      return cfm_error_set (err, CFM_ERR_NOMEM, "out of memory reading %s",
                            path);
    }
  if (ferror (f))
    {
      int e = errno;

      free (buf);
      fclose (f);
      return cfm_error_set (err, CFM_ERR_IO, "cannot read \"%s\": %s", path,
                            strerror (e));
    }
  fclose (f);
  *data = buf;
  *len = n;
  return CFM_OK;
}
