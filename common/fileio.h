/* Small-file helpers: read a whole file that must fit a bound (keys, PIN
 * files, SBOMs), and hex encoding for ids. */
#ifndef SIGNET_FILEIO_H
#define SIGNET_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Reads all of path into a malloc'ed buffer (NUL-terminated for
 * convenience, the NUL not counted in *len). Files larger than max bytes are
 * refused. A missing or unreadable file is SG_EINPUT (bad input named by
 * the user); memory or read failures are SG_EENV. */
int sg_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct sg_err *err);

/* Lower-case hex of len bytes into out (2*len+1 bytes). Returns out. */
char *sg_hex(const uint8_t *bytes, size_t len, char *out);

#endif
