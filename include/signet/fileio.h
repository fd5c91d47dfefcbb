/* Small-file helpers: read a whole file that must fit a bound (keys, PIN
 * files, SBOMs), and hex encoding for ids. */
#ifndef SIGNET_FILEIO_H
#define SIGNET_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "signet/err.h"

/* Reads all of path into a malloc'ed buffer (NUL-terminated for
 * convenience, the NUL not counted in *len). Files larger than max bytes are
 * refused. A missing or unreadable file is SG_EINPUT (bad input named by
 * the user); memory or read failures are SG_EENV. */
int sg_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct sg_err *err);

/* sg_read_file with flags: SG_READ_PRIVATE refuses (SG_EENV, saying why) a
 * file that group or others may read or write, as ssh does with keys: for
 * PIN files and other secrets. */
#define SG_READ_PRIVATE 1u
int sg_read_file_ex(const char *path, size_t max, unsigned flags, uint8_t **buf, size_t *len,
		    struct sg_err *err);

/* Opens path read-only; it must be a regular file. *size gets its size.
 * SG_EINPUT naming the file otherwise. Neither function ever blocks on a
 * FIFO or a device: they open non-blocking and refuse what is not a regular
 * file. */
int sg_open_regular(const char *path, int *fd, uint64_t *size, struct sg_err *err);

/* Reads exactly len bytes at off (retrying short reads); 0, or -1. The
 * shape of the verifiers' read callbacks, with arg pointing at a
 * struct sg_fd_at. */
struct sg_fd_at {
	int fd;
	uint64_t base; /* added to every offset: an image inside a larger file */
};
int sg_read_at(void *arg, uint64_t off, uint8_t *buf, size_t len);

/* Lower-case hex of len bytes into out (2*len+1 bytes). Returns out. */
char *sg_hex(const uint8_t *bytes, size_t len, char *out);

#endif
