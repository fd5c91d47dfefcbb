/* Copies the whole payload of in to out at out_off, hashing it with md_type
 * into digest, and makes it durable (fdatasync) before returning, so that
 * the commit's fsync has only what is written after it. SG_EENV naming the
 * input if its size or modification time changed meanwhile (it is hashed
 * and copied at different moments). Memory: five 2 MiB chunks at most,
 * whatever the size. */
#ifndef SIGNET_COPY_H
#define SIGNET_COPY_H

#include <stdint.h>

#include <openssl/evp.h>

#include "signet/atomic_file.h"
#include "signet/err.h"
#include "signet/input.h"

int sg_copy_hash(struct sg_input *in, struct sg_atomic_file *out, uint64_t out_off,
		 const EVP_MD *md_type, uint8_t *digest, struct sg_err *err);

/* Starts writeback of the whole pages of out in [*from, to) and moves *from
 * to the last page boundary at or below to. A page that is still to be
 * written to (the next chunk, or a header or trailer sharing it) is left to
 * the fsync at commit: started now, it would be written twice, and where
 * the disk needs pages to stay stable during writeback the second write
 * would wait for the disk. *from starts at a page boundary. */
void sg_copy_writeback(struct sg_atomic_file *out, uint64_t *from, uint64_t to);

/* Copies len bytes of in_fd from in_off to the start of out, in the kernel
 * where it can (copy_file_range), without hashing. path names in_fd. */
int sg_copy_range(int in_fd, uint64_t in_off, struct sg_atomic_file *out, uint64_t len,
		  const char *path, struct sg_err *err);

#endif
