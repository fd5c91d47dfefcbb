/* Atomic output files: the new content goes to a temp file in the target's
 * directory, is made durable (fsync), and only then takes the target's
 * name. Until then the target is untouched; on failure or abort the temp is
 * gone, so a failed run never leaves a half-written output.
 *
 * The temp is created exclusively, never through a planted name or link:
 * unnamed (O_TMPFILE) where the file system allows, so that even kill -9
 * leaves nothing behind; else named `.NAME.signet-tmp-PID-XXXXXX`, opened
 * O_CREAT|O_EXCL|O_NOFOLLOW. Named temps of processes that no longer exist
 * are removed by the next sg_atomic_open in the same directory (once per
 * directory and process). A new output gets mode 0666 less the umask; an
 * output that replaces a regular file keeps that file's permission bits.
 *
 * Any number of atomic files may be open at once, in any threads, each its
 * own object. The library installs no signal handlers: a program that wants
 * named temps removed when SIGINT/SIGTERM end it calls
 * sg_atomic_signal_cleanup() from its handler (cli/signet.c does). */
#ifndef SIGNET_ATOMIC_FILE_H
#define SIGNET_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "signet/err.h"

struct sg_atomic_file {
	int fd;         /* the temp's descriptor, -1 when not open */
	char *path;     /* the final name */
	char *tmp_path; /* a named temp, or NULL while the temp is unnamed */
	int slot;       /* signal-cleanup slot of a named temp, -1 if none */
	bool live;      /* opened and not yet committed or aborted */
};

int sg_atomic_open(struct sg_atomic_file *f, const char *path, struct sg_err *err);
/* Writes all of buf; on error names the file. */
int sg_atomic_write(struct sg_atomic_file *f, const void *buf, size_t len, struct sg_err *err);
int sg_atomic_pwrite(struct sg_atomic_file *f, const void *buf, size_t len, long long off,
		     struct sg_err *err);
/* Starts writing a just-written range to disk without waiting, so that
 * the fsync in commit has little left to do (large outputs). A hint only. */
void sg_atomic_start_writeback(struct sg_atomic_file *f, long long off, size_t len);

/* Flags for sg_atomic_finish. */
#define SG_ATOMIC_NO_FSYNC 1u   /* the caller made the data durable (one syncfs for a batch) */
#define SG_ATOMIC_NO_DIRSYNC 2u /* the caller fsyncs the directory (sg_fsync_dir) */

/* Publishes the temp under the final name (rename over it) and ends f, on
 * success or failure: after a failure the temp is gone and the target as
 * it was. */
int sg_atomic_finish(struct sg_atomic_file *f, unsigned flags, struct sg_err *err);
/* sg_atomic_finish with no flags: fsync, replace, fsync the directory. */
int sg_atomic_commit(struct sg_atomic_file *f, struct sg_err *err);
/* Drops the temp; the target is untouched. A no-op on an object that is
 * not open (zeroed with fd = -1, committed or aborted). */
void sg_atomic_abort(struct sg_atomic_file *f);

/* Convenience: the whole of buf as the new content of path. */
int sg_write_file_atomic(const char *path, const void *buf, size_t len, struct sg_err *err);

/* fsync of the directory that holds path, so that renames in it are
 * durable. SG_EENV naming the directory when it fails. */
int sg_fsync_dir(const char *path, struct sg_err *err);

/* Unlinks every named temp of this process that is still pending. Only
 * async-signal-safe calls: for signal handlers, which then re-raise. */
void sg_atomic_signal_cleanup(void);

#endif
