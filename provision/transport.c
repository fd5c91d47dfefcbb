/* Transports: the spec table and what every fd-based backend shares
 * (reads and writes with timeouts). See signet/transport.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signet/dbg.h"
#include "transport_priv.h"

int transport_from_fd(int fd, int is_socket, const char *name, struct sg_transport **t, struct sg_err *err)
{
	struct sg_transport *x = calloc(1, sizeof *x);

	if (!x) {
		close(fd);
		return sg_errf(err, SG_EENV, "%s: out of memory", name);
	}
	x->fd = fd;
	x->is_socket = is_socket;
	snprintf(x->name, sizeof x->name, "%s", name);
	*t = x;
	return SG_OK;
}

int transport_from_ops(const struct transport_ops *ops, void *impl, const char *name, struct sg_transport **t,
		       struct sg_err *err)
{
	struct sg_transport *x = calloc(1, sizeof *x);

	if (!x)
		return sg_errf(err, SG_EENV, "%s: out of memory", name);
	x->ops = ops;
	x->impl = impl;
	x->fd = -1;
	snprintf(x->name, sizeof x->name, "%s", name);
	*t = x;
	return SG_OK;
}

int sg_transport_from_fd(int fd, const char *name, struct sg_transport **t, struct sg_err *err)
{
	struct stat st;

	return transport_from_fd(fd, fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode), name, t, err);
}

int transport_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int rc;

	do
		rc = poll(&p, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc > 0 && (p.revents & POLLNVAL)) {
		errno = EBADF;
		return -1;
	}
	return rc;
}

/* probes: the spec could also have been a probe fixture (open_for's). */
static int not_a_fixture(const char *spec, bool probes, struct sg_err *err)
{
	return sg_errf_param(err, SG_EINPUT, "fixture", "%s: not a fixture (unix:PATH, tcp:HOST:PORT, "
			     "pty:PATH%s serial:PATH%s)", spec, probes ? "," : " or",
			     probes ? ", gdb:HOST:PORT or cmsis-dap[:SERIAL]" : "");
}

bool sg_transport_is_probe(const char *spec)
{
	return (!strncmp(spec, "gdb:", 4) && spec[4]) || !strcmp(spec, "cmsis-dap") ||
	       (!strncmp(spec, "cmsis-dap:", 10) && spec[10]);
}

int sg_transport_check(const char *spec, struct sg_err *err)
{
	if (!strncmp(spec, "unix:", 5) && spec[5])
		return socket_check_unix(spec + 5, err);
	if (!strncmp(spec, "tcp:", 4) && spec[4])
		return socket_check_tcp(spec + 4, err);
	if (!strncmp(spec, "serial:", 7))
		return serial_check(spec + 7, spec, err);
	if ((!strncmp(spec, "pty:", 4) && spec[4]) || sg_transport_is_probe(spec))
		return SG_OK;
	return not_a_fixture(spec, true, err);
}

int sg_transport_open(const char *spec, int timeout_ms, struct sg_transport **t, struct sg_err *err)
{
	*t = NULL;
	if (!strncmp(spec, "unix:", 5) && spec[5])
		return socket_open_unix(spec + 5, spec, t, err);
	if (!strncmp(spec, "tcp:", 4) && spec[4])
		return socket_open_tcp(spec + 4, spec, timeout_ms, t, err);
	if (!strncmp(spec, "pty:", 4) && spec[4])
		return pty_open(spec + 4, spec, t, err);
	if (!strncmp(spec, "serial:", 7))
		return serial_open(spec + 7, spec, t, err);
	return not_a_fixture(spec, false, err);
}

int sg_transport_open_for(const char *spec, const struct sg_target *target, int timeout_ms,
			  struct sg_transport **t, struct sg_err *err)
{
	struct sg_dbg *d;
	int rc;

	*t = NULL;
	if (!sg_transport_is_probe(spec))
		return sg_transport_open(spec, timeout_ms, t, err);
	if ((rc = sg_dbg_open(spec, timeout_ms, &d, err)) != SG_OK)
		return rc;
	return sg_transport_from_dbg(d, target, t, err);
}

/* What a read of nothing or EIO means: a UART's port was unplugged (its
 * driver hangs the line up), any other link's peer closed it. */
static const char *gone(const struct sg_transport *t)
{
	return t->serial ? "the port went away" : "the other end closed the connection";
}

int sg_transport_read(struct sg_transport *t, uint8_t *buf, size_t cap, int timeout_ms, size_t *got,
		      struct sg_err *err)
{
	ssize_t n;
	int rc;

	*got = 0;
	if (t->ops)
		return t->ops->read(t, buf, cap, timeout_ms, got, err);
	rc = transport_wait(t->fd, POLLIN, timeout_ms);
	if (rc == 0)
		return SG_OK;
	if (rc < 0)
		return sg_errf(err, SG_EENV, "%s: %s", t->name, strerror(errno));
	do
		n = read(t->fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return SG_OK;
	/* A pty whose other side closed reads EIO. */
	if (n == 0 || (n < 0 && errno == EIO))
		return sg_errf(err, SG_EENV, "%s: %s", t->name, gone(t));
	if (n < 0)
		return sg_errf(err, SG_EENV, "%s: %s", t->name, strerror(errno));
	*got = (size_t)n;
	return SG_OK;
}

int sg_transport_write(struct sg_transport *t, const uint8_t *buf, size_t n, int timeout_ms,
		       struct sg_err *err)
{
	long long end = now_ms() + timeout_ms;

	if (t->ops)
		return t->ops->write(t, buf, n, timeout_ms, err);
	while (n) {
		long long left = end - now_ms();
		int rc = transport_wait(t->fd, POLLOUT, left > 0 ? (int)left : 0);
		ssize_t w;

		if (rc == 0)
			return sg_errf(err, SG_EENV, "%s: timed out writing", t->name);
		if (rc < 0)
			return sg_errf(err, SG_EENV, "%s: %s", t->name, strerror(errno));
		w = t->is_socket ? send(t->fd, buf, n, MSG_NOSIGNAL) : write(t->fd, buf, n);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return sg_errf(err, SG_EENV, "%s: %s", t->name,
				       errno == EPIPE || errno == ECONNRESET || errno == EIO
					       ? gone(t)
					       : strerror(errno));
		buf += w;
		n -= (size_t)w;
	}
	return SG_OK;
}

const char *sg_transport_name(const struct sg_transport *t)
{
	return t->name;
}

unsigned sg_transport_baud(const struct sg_transport *t)
{
	return t->baud;
}

void sg_transport_close(struct sg_transport *t)
{
	if (!t)
		return;
	if (t->ops)
		t->ops->close(t);
	else if (t->owner)
		t->owner->pty_busy = 0;
	else if (t->serial)
		serial_close(t);
	else
		close(t->fd);
	free(t);
}

int sg_listener_open(const char *spec, struct sg_listener **l, struct sg_err *err)
{
	struct sg_listener *x = calloc(1, sizeof *x);
	int rc;

	if (!x)
		return sg_errf(err, SG_EENV, "out of memory");
	x->fd = x->hold_fd = -1;
	if (!strncmp(spec, "unix:", 5) && spec[5])
		rc = socket_listen_unix(x, spec + 5, err);
	else if (!strncmp(spec, "tcp:", 4) && spec[4])
		rc = socket_listen_tcp(x, spec + 4, err);
	else if (!strcmp(spec, "pty"))
		rc = pty_listen(x, err);
	else
		rc = sg_errf_param(err, SG_EINPUT, "listen",
				   "%s: not a place to listen (unix:PATH, tcp:HOST:PORT or pty)", spec);
	if (rc != SG_OK) {
		sg_listener_close(x);
		return rc;
	}
	*l = x;
	return SG_OK;
}

const char *sg_listener_address(const struct sg_listener *l)
{
	return l->address;
}

int sg_listener_accept(struct sg_listener *l, int timeout_ms, struct sg_transport **t,
		       struct sg_err *err)
{
	int rc, fd;

	*t = NULL;
	if (l->kind == LISTEN_PTY) {
		if (l->pty_busy)
			return sg_errf(err, SG_EINPUT, "%s: already in use", l->address);
		rc = transport_from_fd(l->fd, 0, l->address, t, err);
		if (rc == SG_OK) {
			(*t)->owner = l;
			l->pty_busy = 1;
		}
		return rc;
	}
	rc = transport_wait(l->fd, POLLIN, timeout_ms);
	if (rc == 0)
		return SG_OK;
	/* cppcheck-suppress nullPointer ; accept4 takes NULL for the peer's address */
	if (rc < 0 || (fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return errno == EINTR || errno == EAGAIN || errno == ECONNABORTED
			       ? SG_OK
			       : sg_errf(err, SG_EENV, "%s: %s", l->address, strerror(errno));
	return transport_from_fd(fd, 1, l->address, t, err);
}

void sg_listener_close(struct sg_listener *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	if (l->hold_fd >= 0)
		close(l->hold_fd);
	if (l->path[0])
		unlink(l->path);
	free(l);
}
