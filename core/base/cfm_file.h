/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cfm_file.h: a model file's bytes, mapped read-only where the system can
 * (else read into memory), so that a model's tensors are views into the
 * file and only the pages a run reads are ever loaded.
 *
 * A file that shrinks while it is mapped would make a read of its lost
 * pages raise SIGBUS.  The core rules that out: a handler, installed with
 * the first mapping, puts zero pages over the rest of a live mapping at
 * the first such fault and marks the file as changed, so the read goes on
 * (reading zeros) instead of killing the process; faults anywhere else go
 * to the handler there was before.  cfm_file_changed then tells the caller
 * to refuse the run's results, as it does for a file written, replaced or
 * resized since it was opened. */
#ifndef CFM_FILE_H
#define CFM_FILE_H

#include <stddef.h>

#include "cfm_error.h"

typedef struct CfmFile CfmFile;

/* Opens PATH (at most MAX_BYTES), mapped where it can be. */
CfmStatus cfm_file_open (const char *path, size_t max_bytes, CfmFile **file,
                         CfmError *err);

/* A file of the LEN bytes at DATA (malloc'ed; the file takes them). */
CfmFile *cfm_file_wrap (void *data, size_t len);

const unsigned char *cfm_file_data (const CfmFile *file);
size_t cfm_file_size (const CfmFile *file);

/* Whether FILE's bytes are mapped (not read into memory). */
int cfm_file_mapped (const CfmFile *file);

/* Whether the file on disk is no longer what was opened: it shrank under
 * the mapping, or its size, modification time or identity differ now.
 * Results computed from a changed file are to be discarded. */
int cfm_file_changed (const CfmFile *file);

/* Reads a whole file into a malloc'ed buffer of at most MAX_BYTES. */
CfmStatus cfm_file_read (const char *path, size_t max_bytes, void **data,
                         size_t *len, CfmError *err);

/* Unmaps or frees; NULL is ignored. */
void cfm_file_close (CfmFile *file);

#endif
