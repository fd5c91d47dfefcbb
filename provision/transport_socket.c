/* unix: and tcp: transports, and listening on them (the simulator). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "transport_priv.h"

static int unix_address(const char *path, struct sockaddr_un *sa, struct sg_err *err)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path)
		return sg_errf_param(err, SG_EINPUT, "fixture", "unix:%s: the path is too long for a socket",
				     path);
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return SG_OK;
}

int socket_open_unix(const char *path, const char *spec, struct sg_transport **t, struct sg_err *err)
{
	struct sockaddr_un sa;
	int fd, rc = unix_address(path, &sa, err);

	if (rc != SG_OK)
		return rc;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return sg_errf(err, SG_EENV, "%s: %s", spec, strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		rc = errno;
		close(fd);
		return sg_errf(err, SG_EENV, "%s: %s", spec, strerror(rc));
	}
	return transport_from_fd(fd, 1, spec, t, err);
}

/* Splits "HOST:PORT" (the last colon; "[v6]:port" too). */
static int host_port(const char *addr, char *host, size_t hn, const char **port, struct sg_err *err,
		     const char *param)
{
	const char *colon = strrchr(addr, ':'), *whole = addr;
	size_t n;

	if (!colon || !colon[1] || colon == addr)
		return sg_errf_param(err, SG_EINPUT, param, "tcp:%s: not HOST:PORT", addr);
	n = (size_t)(colon - addr);
	if (addr[0] == '[' && n >= 2 && addr[n - 1] == ']')
		addr++, n -= 2;
	if (n >= hn)
		return sg_errf_param(err, SG_EINPUT, param, "tcp:%s: the host name is too long", whole);
	memcpy(host, addr, n);
	host[n] = 0;
	*port = colon + 1;
	return SG_OK;
}

static int tcp_resolve(const char *addr, int passive, struct addrinfo **res, struct sg_err *err,
		       const char *param)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	char host[256];
	const char *port = NULL;
	int rc = host_port(addr, host, sizeof host, &port, err, param);

	if (rc != SG_OK)
		return rc;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	if ((rc = getaddrinfo(host, port, &hints, res)) != 0)
		return sg_errf(err, SG_EENV, "tcp:%s: %s", addr, gai_strerror(rc));
	return SG_OK;
}

int socket_check_unix(const char *path, struct sg_err *err)
{
	struct sockaddr_un sa;

	return unix_address(path, &sa, err);
}

int socket_check_tcp(const char *addr, struct sg_err *err)
{
	char host[256];
	const char *port;

	return host_port(addr, host, sizeof host, &port, err, "fixture");
}

/* A connect that gives up after timeout_ms (a ser2net box that is off). */
static int connect_within(int fd, const struct addrinfo *ai, int timeout_ms)
{
	int flags = fcntl(fd, F_GETFL), so = 0;
	socklen_t len = sizeof so;

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS)
			return -1;
		if (transport_wait(fd, POLLOUT, timeout_ms) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len) != 0 || so != 0) {
			errno = so ? so : errno;
			return -1;
		}
	}
	fcntl(fd, F_SETFL, flags);
	return 0;
}

int socket_open_tcp(const char *addr, const char *spec, int timeout_ms, struct sg_transport **t,
		    struct sg_err *err)
{
	struct addrinfo *res = NULL, *ai;
	int fd = -1, one = 1, last = 0, rc = tcp_resolve(addr, 0, &res, err, "fixture");

	if (rc != SG_OK)
		return rc;
	for (ai = res; ai; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) < 0)
			continue;
		if (connect_within(fd, ai, timeout_ms) == 0)
			break;
		last = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return sg_errf(err, SG_EENV, "%s: %s", spec, strerror(last ? last : ECONNREFUSED));
	/* Requests and answers are small: Nagle would add tens of ms to each. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return transport_from_fd(fd, 1, spec, t, err);
}

int socket_listen_unix(struct sg_listener *l, const char *path, struct sg_err *err)
{
	struct sockaddr_un sa;
	int rc = unix_address(path, &sa, err);

	if (rc != SG_OK)
		return rc;
	l->kind = LISTEN_UNIX;
	snprintf(l->address, sizeof l->address, "unix:%s", path);
	if ((l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return sg_errf(err, SG_EENV, "%s: %s", l->address, strerror(errno));
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		return sg_errf(err, SG_EENV, "%s: %s", l->address, strerror(errno));
	snprintf(l->path, sizeof l->path, "%s", path);
	if (listen(l->fd, 4) != 0)
		return sg_errf(err, SG_EENV, "%s: %s", l->address, strerror(errno));
	return SG_OK;
}

int socket_listen_tcp(struct sg_listener *l, const char *addr, struct sg_err *err)
{
	struct addrinfo *res = NULL;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[256], port[16];
	int one = 1, rc = tcp_resolve(addr, 1, &res, err, "listen");

	if (rc != SG_OK)
		return rc;
	l->kind = LISTEN_TCP;
	l->fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(l->fd, res->ai_addr, res->ai_addrlen) != 0 || listen(l->fd, 4) != 0 ||
	    getsockname(l->fd, (struct sockaddr *)&ss, &len) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, port, sizeof port,
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		rc = errno;
		freeaddrinfo(res);
		return sg_errf(err, SG_EENV, "tcp:%s: %s", addr, strerror(rc));
	}
	freeaddrinfo(res);
	snprintf(l->address, sizeof l->address, strchr(host, ':') ? "tcp:[%s]:%s" : "tcp:%s:%s", host,
		 port);
	return SG_OK;
}
