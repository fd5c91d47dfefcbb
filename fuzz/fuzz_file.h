/* The fuzzers' file: readers that take a path get the input through a
 * memfd (an in-memory regular file, no disk traffic) named by its
 * /proc/self/fd path, created once per process. */
#ifndef SIGNET_FUZZ_FILE_H
#define SIGNET_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The path of a private (mode 600) file now holding data. */
static const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("signet-fuzz", 0);
		if (fd < 0 || fchmod(fd, 0600) != 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return path;
}

#endif
