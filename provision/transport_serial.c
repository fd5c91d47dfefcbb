/* serial: transports, real UARTs (USB-UART adapters, native ports) through
 * libserialport: it finds the port, opens it and sets the line (8 data bits,
 * raw, no flow control unless asked); reads and writes then go through its
 * descriptor with the poll-based timeouts of every fd backend
 * (transport.c). libserialport 0.1.1 refuses pseudo-terminals, so a pty is
 * refused here with a pointer to pty:. Also the list of the system's ports
 * for `signet station ports`. */
#include <errno.h>
#include <fcntl.h>
#include <libserialport.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "transport_priv.h"

/* The rates termios names (B300 ... B4000000): what every UART driver
 * can set without a custom divisor. */
static const unsigned standard_rates[] = {
	300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000,
	576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
};

#define spec_error(...) sg_errf_param(err, SG_EINPUT, "fixture", __VA_ARGS__)

static int parse_baud(const char *v, size_t n, const char *spec, unsigned *baud, struct sg_err *err)
{
	unsigned long rate = 0;

	if (n == 0 || strspn(v, "0123456789") < n)
		return spec_error("%s: baud '%.*s' is not a number", spec, (int)n, v);
	/* no leading zero: a rate is written one way */
	for (size_t i = 0; i < n && rate <= 4000000 && v[0] != '0'; i++)
		rate = rate * 10 + (unsigned)(v[i] - '0');
	for (size_t i = 0; i < sizeof standard_rates / sizeof *standard_rates; i++)
		if (rate == standard_rates[i]) {
			*baud = standard_rates[i];
			return SG_OK;
		}
	return spec_error("%s: baud %.*s is not a standard rate (9600, 115200, 921600, ...: "
			  "300 to 4000000)", spec, (int)n, v);
}

/* value (n bytes) as the index of one of words, or -1. */
static int word_index(const char *value, size_t n, const char *const *words, size_t n_words)
{
	for (size_t i = 0; i < n_words; i++)
		if (strlen(words[i]) == n && !memcmp(value, words[i], n))
			return (int)i;
	return -1;
}

static const char *const option_names[] = {"baud", "parity", "flow"};
static const char *const parity_words[] = {"none", "even", "odd"};
static const char *const flow_words[] = {"none", "rtscts"};

/* One NAME=VALUE of n bytes at opt; seen[] marks the options given. */
static int parse_option(const char *opt, size_t n, const char *spec, struct serial_opts *o,
			bool seen[3], struct sg_err *err)
{
	const char *eq = memchr(opt, '=', n);
	size_t name_n = eq ? (size_t)(eq - opt) : n, value_n = eq ? n - name_n - 1 : 0;
	int which = word_index(opt, name_n, option_names, 3), w;

	if (n == 0)
		return spec_error("%s: an empty option (PATH?baud=N&parity=P&flow=F)", spec);
	if (which < 0)
		return spec_error("%s: unknown option '%.*s' (baud, parity, flow)", spec, (int)name_n,
				  opt);
	if (!eq || value_n == 0)
		return spec_error("%s: option '%s' has no value", spec, option_names[which]);
	if (seen[which])
		return spec_error("%s: option '%s' is given twice", spec, option_names[which]);
	seen[which] = true;
	eq++;
	if (which == 0)
		return parse_baud(eq, value_n, spec, &o->baud, err);
	if (which == 1) {
		if ((w = word_index(eq, value_n, parity_words, 3)) < 0)
			return spec_error("%s: parity '%.*s' is not one of: none, even, odd", spec,
					  (int)value_n, eq);
		o->parity = (enum serial_parity)w;
		return SG_OK;
	}
	if ((w = word_index(eq, value_n, flow_words, 2)) < 0)
		return spec_error("%s: flow '%.*s' is not one of: none, rtscts", spec, (int)value_n, eq);
	o->rtscts = w == 1;
	return SG_OK;
}

int serial_parse(const char *addr, const char *spec, struct serial_opts *o, struct sg_err *err)
{
	const char *q = strchr(addr, '?');
	size_t path_n = q ? (size_t)(q - addr) : strlen(addr);
	bool seen[3] = {false, false, false};
	int rc = SG_OK;

	memset(o, 0, sizeof *o);
	o->baud = 115200;
	if (path_n == 0)
		return spec_error("%s: no port (serial:/dev/ttyUSB0)", spec);
	if (path_n >= sizeof o->path)
		return spec_error("%s: the port's path is too long", spec);
	memcpy(o->path, addr, path_n);
	o->path[path_n] = '\0';
	while (q && rc == SG_OK) {
		const char *opt = q + 1;
		q = strchr(opt, '&');
		rc = parse_option(opt, q ? (size_t)(q - opt) : strlen(opt), spec, o, seen, err);
	}
	return rc;
}

/* Why a libserialport call failed (errno, saved, for SP_ERR_FAIL). */
static const char *sp_reason(enum sp_return r, int saved_errno)
{
	switch (r) {
	case SP_ERR_FAIL: return strerror(saved_errno);
	case SP_ERR_MEM: return "out of memory";
	case SP_ERR_SUPP: return "not supported by the port";
	default: return "invalid argument";
	}
}

/* Linux's pseudo-terminals by device number: Unix98 slaves (136-143) and
 * masters (128-135, /dev/ptmx is 5:2), the old BSD ones (2, 3). */
static bool is_pty(const struct stat *st)
{
	unsigned maj = major(st->st_rdev);

	return (maj >= 128 && maj <= 143) || maj == 2 || maj == 3 ||
	       (maj == 5 && minor(st->st_rdev) == 2);
}

static int pty_refused(const char *spec, const char *path, struct sg_err *err)
{
	return spec_error("%s: a pseudo-terminal, which libserialport does not open: use pty:%s", spec,
			  path);
}

int serial_check(const char *addr, const char *spec, struct sg_err *err)
{
	struct serial_opts o;
	struct stat st;
	int rc = serial_parse(addr, spec, &o, err);

	if (rc == SG_OK && stat(o.path, &st) == 0 && S_ISCHR(st.st_mode) && is_pty(&st))
		return pty_refused(spec, o.path, err);
	return rc;
}

/* The port at path (symbolic links such as /dev/serial/by-id/... followed:
 * libserialport looks names up in sysfs). */
static int find_port(const char *path, const char *spec, struct sp_port **p, struct sg_err *err)
{
	char real[PATH_MAX];
	struct stat st;
	enum sp_return r;

	if (!realpath(path, real) || stat(real, &st) != 0)
		return sg_errf(err, SG_EENV, "%s: no such port (%s)", spec, strerror(errno));
	if (!S_ISCHR(st.st_mode))
		return sg_errf(err, SG_EENV, "%s: not a serial port (not a character device)", spec);
	if (is_pty(&st))
		return pty_refused(spec, path, err);
	if ((r = sp_get_port_by_name(real, p)) != SP_OK)
		return sg_errf(err, SG_EENV, "%s: %s", spec,
			       r == SP_ERR_MEM ? "out of memory" : "not a serial port the system lists");
	return SG_OK;
}

/* 8 data bits, 1 stop bit, the rate and parity asked; DTR and RTS on (as
 * an open(2) of a terminal leaves them), or RTS/CTS flow control. */
static enum sp_return configure(struct sp_port *p, const struct serial_opts *o)
{
	static const enum sp_parity parity[] = {
		[PARITY_NONE] = SP_PARITY_NONE, [PARITY_EVEN] = SP_PARITY_EVEN, [PARITY_ODD] = SP_PARITY_ODD,
	};
	struct sp_port_config *c;
	enum sp_return r = sp_new_config(&c);

	if (r != SP_OK)
		return r;
	if ((r = sp_set_config_baudrate(c, (int)o->baud)) == SP_OK &&
	    (r = sp_set_config_bits(c, 8)) == SP_OK &&
	    (r = sp_set_config_parity(c, parity[o->parity])) == SP_OK &&
	    (r = sp_set_config_stopbits(c, 1)) == SP_OK &&
	    (r = sp_set_config_rts(c, o->rtscts ? SP_RTS_FLOW_CONTROL : SP_RTS_ON)) == SP_OK &&
	    (r = sp_set_config_cts(c, o->rtscts ? SP_CTS_FLOW_CONTROL : SP_CTS_IGNORE)) == SP_OK &&
	    (r = sp_set_config_dtr(c, SP_DTR_ON)) == SP_OK &&
	    (r = sp_set_config_dsr(c, SP_DSR_IGNORE)) == SP_OK &&
	    (r = sp_set_config_xon_xoff(c, SP_XONXOFF_DISABLED)) == SP_OK)
		r = sp_set_config(p, c);
	sp_free_config(c);
	return r;
}

/* The open port's descriptor, non-blocking (the transport polls) and
 * exclusive (TIOCEXCL: no second program opens the port meanwhile). */
static enum sp_return take_handle(struct sp_port *p, int *fd)
{
	enum sp_return r = sp_get_port_handle(p, fd);
	int flags;

	if (r != SP_OK)
		return r;
	if ((flags = fcntl(*fd, F_GETFL)) < 0 || fcntl(*fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
	    ioctl(*fd, TIOCEXCL) != 0)
		return SP_ERR_FAIL;
	return sp_flush(p, SP_BUF_BOTH);
}

int serial_open(const char *addr, const char *spec, struct sg_transport **t, struct sg_err *err)
{
	struct serial_opts o;
	struct sp_port *p = NULL;
	enum sp_return r;
	int rc = serial_parse(addr, spec, &o, err), fd = -1;

	if (rc == SG_OK)
		rc = find_port(o.path, spec, &p, err);
	if (rc != SG_OK)
		return rc;
	if ((r = sp_open(p, SP_MODE_READ_WRITE)) != SP_OK) {
		int e = errno;
		sp_free_port(p);
		return sg_errf(err, SG_EENV, "%s: %s", spec,
			       r == SP_ERR_FAIL && (e == ENOENT || e == ENODEV || e == ENXIO)
				       ? "no such port (it went away)"
				       : sp_reason(r, e));
	}
	if ((r = configure(p, &o)) != SP_OK || (r = take_handle(p, &fd)) != SP_OK) {
		int e = errno;
		sp_close(p);
		sp_free_port(p);
		return sg_errf(err, SG_EENV, "%s: cannot set the line up (%s)", spec, sp_reason(r, e));
	}
	if ((rc = transport_from_fd(fd, 0, spec, t, err)) != SG_OK) {
		sp_free_port(p); /* its descriptor is closed already */
		return rc;
	}
	(*t)->serial = p;
	(*t)->baud = o.baud;
	return SG_OK;
}

void serial_close(struct sg_transport *t)
{
	sp_close(t->serial);
	sp_free_port(t->serial);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static void describe_port(struct sp_port *p, struct sg_serial_port *out)
{
	static const char *const transports[] = {
		[SP_TRANSPORT_NATIVE] = "native", [SP_TRANSPORT_USB] = "usb",
		[SP_TRANSPORT_BLUETOOTH] = "bluetooth",
	};
	enum sp_transport tr = sp_get_port_transport(p);

	copy_str(out->name, sizeof out->name, sp_get_port_name(p));
	copy_str(out->description, sizeof out->description, sp_get_port_description(p));
	out->transport = (unsigned)tr < 3 ? transports[tr] : "native";
	out->usb_vid = out->usb_pid = -1;
	if (tr != SP_TRANSPORT_USB)
		return;
	if (sp_get_port_usb_vid_pid(p, &out->usb_vid, &out->usb_pid) != SP_OK)
		out->usb_vid = out->usb_pid = -1;
	copy_str(out->usb_serial, sizeof out->usb_serial, sp_get_port_usb_serial(p));
	copy_str(out->usb_manufacturer, sizeof out->usb_manufacturer, sp_get_port_usb_manufacturer(p));
	copy_str(out->usb_product, sizeof out->usb_product, sp_get_port_usb_product(p));
}

int sg_serial_ports(struct sg_serial_port **ports, size_t *n, struct sg_err *err)
{
	struct sp_port **list;
	enum sp_return r = sp_list_ports(&list);
	size_t count = 0;

	*ports = NULL;
	*n = 0;
	if (r != SP_OK)
		return sg_errf(err, SG_EENV, "serial ports: cannot list them (%s)", sp_reason(r, errno));
	while (list[count])
		count++;
	if (!(*ports = calloc(count ? count : 1, sizeof **ports))) {
		sp_free_port_list(list);
		return sg_errf(err, SG_EENV, "serial ports: out of memory");
	}
	for (size_t i = 0; i < count; i++)
		describe_port(list[i], &(*ports)[i]);
	sp_free_port_list(list);
	*n = count;
	return SG_OK;
}
