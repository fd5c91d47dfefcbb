#include "signet/fileio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opens path for reading without ever blocking (a FIFO or a device would
 * otherwise hang the run with whatever it holds: a database lock, a token
 * session) and keeps it only if it is a regular file. The descriptor is
 * then made blocking again for ordinary reads. */
static int open_regular(const char *path, int *fd, struct stat *st, struct sg_err *err)
{
	*fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (*fd < 0)
		return sg_errf(err, SG_EINPUT, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(*fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(*fd);
		*fd = -1;
		return sg_errf(err, SG_EINPUT, "%s: not a regular file", path);
	}
	int fl = fcntl(*fd, F_GETFL);
	if (fl >= 0)
		fcntl(*fd, F_SETFL, fl & ~O_NONBLOCK);
	return SG_OK;
}

int sg_read_file_ex(const char *path, size_t max, unsigned flags, uint8_t **buf, size_t *len,
		    struct sg_err *err)
{
	*buf = NULL;
	*len = 0;
	int fd;
	struct stat st;
	int rc = open_regular(path, &fd, &st, err);
	if (rc != SG_OK)
		return rc;
	if ((flags & SG_READ_PRIVATE) && (st.st_mode & 077)) {
		close(fd);
		return sg_errf(err, SG_EENV,
			       "%s: group or others may access it (mode %03o): make it private "
			       "(chmod 600)",
			       path, (unsigned)(st.st_mode & 0777));
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		return sg_errf(err, SG_EINPUT, "%s: too large (%lld bytes, limit %zu)", path,
			       (long long)st.st_size, max);
	}
	size_t n = (size_t)st.st_size;
	uint8_t *p = malloc(n + 1);
	if (!p) {
		close(fd);
		return sg_errf(err, SG_EENV, "%s: out of memory", path);
	}
	struct sg_fd_at at = { fd, 0 };
	if (sg_read_at(&at, 0, p, n) != 0) {
		free(p);
		close(fd);
		return sg_errf(err, SG_EENV, "%s: read failed", path);
	}
	close(fd);
	p[n] = 0;
	*buf = p;
	*len = n;
	return SG_OK;
}

int sg_read_file(const char *path, size_t max, uint8_t **buf, size_t *len, struct sg_err *err)
{
	return sg_read_file_ex(path, max, 0, buf, len, err);
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
	struct stat st;
	int rc = open_regular(path, fd, &st, err);
	if (rc == SG_OK)
		*size = (uint64_t)st.st_size;
	return rc;
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
