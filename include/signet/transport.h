/* Byte-stream transports between the station and a device's agent
 * (docs/provisioning.md, "Fixtures and units"): a fixture spec
 * TRANSPORT:ADDRESS opens one, one file per backend (transport_socket.c:
 * unix, tcp; transport_pty.c: pty; transport_serial.c: serial, through
 * libserialport). The listening side is for the
 * simulator (signet sim). Every call that waits takes a timeout; nothing
 * blocks without one, so one fixture's silence never stalls a station. */
#ifndef SIGNET_TRANSPORT_H
#define SIGNET_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "signet/err.h"

struct sg_transport;
struct sg_listener;

/* Connects to spec ("unix:PATH", "tcp:HOST:PORT", "pty:PATH",
 * "serial:PATH[?baud=N&parity=none|even|odd&flow=none|rtscts]"), waiting
 * up to timeout_ms. SG_EINPUT for a spec of no known transport or a bad
 * address or option (a pseudo-terminal given as serial:), SG_EENV when it
 * cannot be reached. */
int sg_transport_open(const char *spec, int timeout_ms, struct sg_transport **t, struct sg_err *err);

/* A transport to the device agent run on this host for a chip reached
 * through the debug connection dbg (taken over), as the target profile's
 * probe member maps it (provision/probe_agent.c, docs/provisioning.md
 * §12). SG_EINPUT when the profile has no probe member. */
struct sg_dbg;
struct sg_target;
int sg_transport_from_dbg(struct sg_dbg *dbg, const struct sg_target *target, struct sg_transport **t,
			  struct sg_err *err);

/* sg_transport_open, and also for the probe fixtures "gdb:HOST:PORT" and
 * "cmsis-dap[:SERIAL]": a debug connection (signet/dbg.h) with the
 * device agent run on this host over it, as target maps the chip. */
int sg_transport_open_for(const char *spec, const struct sg_target *target, int timeout_ms,
			  struct sg_transport **t, struct sg_err *err);

/* Whether spec is a probe fixture ("gdb:HOST:PORT", "cmsis-dap[:SERIAL]"),
 * which needs a target profile with a probe member. */
bool sg_transport_is_probe(const char *spec);

/* Checks spec as sg_transport_open_for would before it reaches for
 * anything: a known transport (probe fixtures included), the address's
 * form, the options, and that a serial: port is no pseudo-terminal.
 * SG_EINPUT (param "fixture") naming what is wrong; SG_OK says nothing of
 * whether it will open. */
int sg_transport_check(const char *spec, struct sg_err *err);

/* Wraps an open byte-stream descriptor (a socket, a pipe, a terminal),
 * taken over, as a transport called name. */
int sg_transport_from_fd(int fd, const char *name, struct sg_transport **t, struct sg_err *err);

/* Reads what has arrived, up to cap bytes, waiting up to timeout_ms for the
 * first. *got is 0 on a timeout (SG_OK). SG_EENV when the peer is gone. */
int sg_transport_read(struct sg_transport *t, uint8_t *buf, size_t cap, int timeout_ms, size_t *got,
		      struct sg_err *err);

/* Writes all n bytes within timeout_ms, or fails (SG_EENV). */
int sg_transport_write(struct sg_transport *t, const uint8_t *buf, size_t n, int timeout_ms,
		       struct sg_err *err);

/* The spec it was opened with (for messages). */
const char *sg_transport_name(const struct sg_transport *t);

/* The line rate of a serial: port (struct sg_device_opts.baud, so timeouts
 * count the bytes' time on the wire); 0 when t is not a UART line. */
unsigned sg_transport_baud(const struct sg_transport *t);

void sg_transport_close(struct sg_transport *t);

/* Listens on spec ("unix:PATH", "tcp:HOST:PORT", "pty"). For "pty" a new
 * pseudo-terminal is made; sg_listener_address gives its "pty:/dev/pts/N"
 * (and for tcp port 0, the port chosen). */
int sg_listener_open(const char *spec, struct sg_listener **l, struct sg_err *err);
const char *sg_listener_address(const struct sg_listener *l);

/* Waits up to timeout_ms for a station (*t NULL on a timeout). A pty has
 * one peer: its transport is the terminal's master side, handed out once
 * and again after it is closed. */
int sg_listener_accept(struct sg_listener *l, int timeout_ms, struct sg_transport **t,
		       struct sg_err *err);

/* Closes the listener and removes a unix socket it made. */
void sg_listener_close(struct sg_listener *l);

/* A serial port the system has (libserialport's list), for `signet station
 * ports`. Strings are "" when unknown. */
struct sg_serial_port {
	char name[256];         /* the path, /dev/ttyUSB0 */
	const char *transport;  /* "usb", "native" or "bluetooth" */
	char description[256];
	/* USB ports only: */
	int usb_vid, usb_pid;   /* -1 when unknown */
	char usb_serial[128], usb_manufacturer[128], usb_product[128];
};

/* Every serial port there is, in *ports (*n of them, maybe 0; free() it).
 * SG_EENV when the system's ports cannot be listed. */
int sg_serial_ports(struct sg_serial_port **ports, size_t *n, struct sg_err *err);

#endif
