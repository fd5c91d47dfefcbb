/* Inside the transports: a backend is a file descriptor underneath, or
 * (probe fixtures) a struct transport_ops of its own. */
#ifndef SIGNET_TRANSPORT_PRIV_H
#define SIGNET_TRANSPORT_PRIV_H

#include <stdbool.h>
#include <time.h>

#include "signet/transport.h"

/* The monotonic clock every deadline and timing in provision/ counts on. */
static inline unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static inline long long now_ms(void)
{
	return (long long)(now_ns() / 1000000);
}

struct sg_transport;

/* A backend that is not a descriptor: the calls of signet/transport.h. */
struct transport_ops {
	int (*read)(struct sg_transport *t, uint8_t *buf, size_t cap, int timeout_ms, size_t *got,
		    struct sg_err *err);
	int (*write)(struct sg_transport *t, const uint8_t *buf, size_t n, int timeout_ms, struct sg_err *err);
	void (*close)(struct sg_transport *t); /* frees impl, not t */
};

struct sp_port;

struct sg_transport {
	const struct transport_ops *ops; /* NULL: fd */
	void *impl;
	int fd;
	int is_socket; /* send with MSG_NOSIGNAL */
	struct sg_listener *owner; /* a pty master handed out: its listener closes it */
	struct sp_port *serial;    /* a serial: port; libserialport owns fd and closes it */
	unsigned baud;             /* a serial: port's line rate, else 0 */
	char name[300];
};

enum listener_kind { LISTEN_UNIX, LISTEN_TCP, LISTEN_PTY };

struct sg_listener {
	enum listener_kind kind;
	int fd;
	int pty_busy; /* the pty's transport is out */
	int hold_fd;  /* the pty's slave, held open so the master never reads EIO
		       * while no station has it open */
	char path[256]; /* a unix socket to remove */
	char address[300];
};

/* Wraps fd (taken over) in a transport named name. */
int transport_from_fd(int fd, int is_socket, const char *name, struct sg_transport **t, struct sg_err *err);

/* Wraps impl, driven by ops, in a transport named name. */
int transport_from_ops(const struct transport_ops *ops, void *impl, const char *name, struct sg_transport **t,
		       struct sg_err *err);

/* Waits up to timeout_ms for events on fd: 1 ready, 0 timeout, -1 error (errno). */
int transport_wait(int fd, short events, int timeout_ms);

/* The backends. */
int socket_open_unix(const char *path, const char *spec, struct sg_transport **t, struct sg_err *err);
int socket_open_tcp(const char *addr, const char *spec, int timeout_ms, struct sg_transport **t,
		    struct sg_err *err);
/* The address's form only (a path that fits a socket address; HOST:PORT). */
int socket_check_unix(const char *path, struct sg_err *err);
int socket_check_tcp(const char *addr, struct sg_err *err);
int socket_listen_unix(struct sg_listener *l, const char *path, struct sg_err *err);
int socket_listen_tcp(struct sg_listener *l, const char *addr, struct sg_err *err);
int pty_open(const char *path, const char *spec, struct sg_transport **t, struct sg_err *err);
int pty_listen(struct sg_listener *l, struct sg_err *err);

/* serial: (transport_serial.c): "PATH[?OPTION=VALUE&...]", parsed without
 * touching the port (SG_EINPUT naming what is wrong), then opened through
 * libserialport. */
enum serial_parity { PARITY_NONE, PARITY_EVEN, PARITY_ODD };
struct serial_opts {
	char path[256];
	unsigned baud;            /* a standard rate; default 115200 */
	enum serial_parity parity;
	bool rtscts;              /* RTS/CTS flow control */
};
int serial_parse(const char *addr, const char *spec, struct serial_opts *o, struct sg_err *err);
/* serial_parse, and refuses a pseudo-terminal (a stat, nothing opened). */
int serial_check(const char *addr, const char *spec, struct sg_err *err);
int serial_open(const char *addr, const char *spec, struct sg_transport **t, struct sg_err *err);
void serial_close(struct sg_transport *t);

#endif
