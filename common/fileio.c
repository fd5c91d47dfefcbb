#include "fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int sg_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct sg_err *err)
{
	*buf = NULL;
	*len = 0;
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return sg_errf(err, SG_EINPUT, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		return sg_errf(err, SG_EINPUT, "%s: not a regular file", path);
	}
	if ((unsigned long long)st.st_size > max) {
		fclose(fp);
		return sg_errf(err, SG_EINPUT, "%s: too large (%lld bytes, limit %zu)", path,
			       (long long)st.st_size, max);
	}
	size_t n = (size_t)st.st_size;
	uint8_t *p = malloc(n + 1);
	if (!p) {
		fclose(fp);
		return sg_errf(err, SG_EENV, "%s: out of memory", path);
	}
	if (n && fread(p, 1, n, fp) != n) {
		free(p);
		fclose(fp);
		return sg_errf(err, SG_EENV, "%s: read failed", path);
	}
	fclose(fp);
	p[n] = 0;
	*buf = p;
	*len = n;
	return SG_OK;
}

char *sg_hex(const uint8_t *bytes, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * len] = 0;
	return out;
}

int sg_open_regular(const char *path, int *fd, uint64_t *size, struct sg_err *err)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return sg_errf(err, SG_EINPUT, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return sg_errf(err, SG_EINPUT, "%s: not a regular file", path);
	}
	*size = (uint64_t)st.st_size;
	return SG_OK;
}

int sg_read_at(void *arg, uint64_t off, uint8_t *buf, size_t len)
{
	const struct sg_fd_at *f = arg;
	off += f->base;
	while (len) {
		ssize_t r = pread(f->fd, buf, len, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		len -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}
