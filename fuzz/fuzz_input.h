/* Shared body of the input reader fuzzers: the input goes into a memfd
 * (an in-memory regular file, so no disk traffic), is opened as one forced
 * format, checked against the sg_input invariants, and read back.
 * Payloads larger than FUZZ_READ_ALL (a fuzzed ELF address can ask for
 * 2^64 bytes of padding) are read around every segment edge instead. */
#ifndef SIGNET_FUZZ_INPUT_H
#define SIGNET_FUZZ_INPUT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "signet/input.h"

#define FUZZ_READ_ALL (16u << 20)
#define FUZZ_CHUNK (64u * 1024)

static uint8_t fuzz_buf[FUZZ_CHUNK];

static void fuzz_read(struct sg_input *in, uint64_t off, uint64_t len)
{
	struct sg_err err;
	while (len) {
		size_t n = len < FUZZ_CHUNK ? (size_t)len : FUZZ_CHUNK;
		if (sg_input_read(in, off, fuzz_buf, n, &err) != SG_OK)
			abort(); /* the file is a memfd: reads cannot fail */
		off += n;
		len -= n;
	}
}

static void fuzz_check(struct sg_input *in)
{
	if (in->nsegs == 0 || in->nsegs > SG_INPUT_MAX_SEGMENTS || in->size == 0)
		abort();
	if (in->segs[0].addr != in->base)
		abort();
	for (size_t i = 0; i < in->nsegs; i++) {
		const struct sg_segment *s = &in->segs[i];
		if (s->size == 0 || s->addr < in->base || s->addr - in->base > in->size ||
		    s->size > in->size - (s->addr - in->base))
			abort();
		if (i > 0 && s->addr < in->segs[i - 1].addr + in->segs[i - 1].size)
			abort();
		/* Decoded segments read back as themselves. */
		if (s->data && s->size <= FUZZ_CHUNK) {
			struct sg_err err;
			if (sg_input_read(in, s->addr - in->base, fuzz_buf, (size_t)s->size,
					  &err) != SG_OK ||
			    memcmp(fuzz_buf, s->data, (size_t)s->size) != 0)
				abort();
		}
	}
	const struct sg_segment *last = &in->segs[in->nsegs - 1];
	if (last->addr + last->size - in->base != in->size)
		abort();
}

static void fuzz_input(const uint8_t *data, size_t size, enum sg_input_format fmt)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("signet-fuzz", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();

	struct sg_input in;
	struct sg_err err;
	if (sg_input_open(&in, path, fmt, 0xff, 0, &err) != SG_OK) {
		if (!memchr(err.msg, 0, sizeof(err.msg)) || err.status == SG_OK)
			abort();
		return;
	}
	fuzz_check(&in);
	if (in.size <= FUZZ_READ_ALL) {
		fuzz_read(&in, 0, in.size);
	} else {
		for (size_t i = 0; i < in.nsegs; i++) {
			uint64_t start = in.segs[i].addr - in.base, end = start + in.segs[i].size;
			uint64_t back = start < 16 ? start : 16;
			fuzz_read(&in, start - back, end - start < 64 ? end - start + back : 64);
			fuzz_read(&in, end - start < 64 ? start : end - 64,
				  end - start < 64 ? end - start : 64);
		}
	}
	sg_input_close(&in);
}

#endif
