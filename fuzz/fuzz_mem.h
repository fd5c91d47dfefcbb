/* The fuzzers' byte source: the verifiers' read callback over the input. */
#ifndef SIGNET_FUZZ_MEM_H
#define SIGNET_FUZZ_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct mem {
	const uint8_t *p;
	size_t n;
};

static inline int rd(void *arg, uint64_t off, uint8_t *buf, size_t len)
{
	const struct mem *m = arg;
	if (off > m->n || len > m->n - off)
		return -1;
	memcpy(buf, m->p + off, len);
	return 0;
}

#endif
