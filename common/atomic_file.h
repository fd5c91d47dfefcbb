/* Atomic output files: write to a temp file beside the target, fsync, then
 * rename over the target. Until sg_atomic_commit succeeds the target is
 * untouched; on failure, abort, or SIGINT/SIGTERM/SIGHUP the temp file is
 * removed, so an interrupted run never leaves a half-written output.
 * One atomic file may be open at a time per process (the CLI needs one). */
#ifndef SIGNET_ATOMIC_FILE_H
#define SIGNET_ATOMIC_FILE_H

#include <stddef.h>

#include "err.h"

struct sg_atomic_file {
	int fd;
	char *path;     /* the final name */
	char *tmp_path; /* the temp name, NULL once committed or aborted */
};

int sg_atomic_open(struct sg_atomic_file *f, const char *path, struct sg_err *err);
/* Writes all of buf; on error names the file. */
int sg_atomic_write(struct sg_atomic_file *f, const void *buf, size_t len, struct sg_err *err);
int sg_atomic_pwrite(struct sg_atomic_file *f, const void *buf, size_t len, long long off,
		     struct sg_err *err);
/* Starts writing a just-written range to disk without waiting, so that
 * the fsync in commit has little left to do (large outputs). A hint only. */
void sg_atomic_start_writeback(struct sg_atomic_file *f, long long off, size_t len);
int sg_atomic_commit(struct sg_atomic_file *f, struct sg_err *err);
void sg_atomic_abort(struct sg_atomic_file *f);

/* Convenience: the whole of buf as the new content of path. */
int sg_write_file_atomic(const char *path, const void *buf, size_t len, struct sg_err *err);

#endif
