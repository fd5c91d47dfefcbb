/* serial: fixtures (provision/transport_serial.c): the spec's options and
 * each error's text, a missing port, a pseudo-terminal refused with the
 * pointer to pty:, and what is not a serial port. This machine has no
 * USB-UART, so no port is opened here (docs/provisioning.md §7 says what
 * a first run on hardware must check). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "transport_priv.h"

struct rig {
	char dir[64];
	char path[128]; /* a file in dir */
};

static int setup(void **state)
{
	struct rig *r = calloc(1, sizeof *r);

	assert_non_null(r);
	snprintf(r->dir, sizeof r->dir, "/tmp/sg-serial-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;

	if (r->path[0])
		unlink(r->path);
	rmdir(r->dir);
	free(r);
	return 0;
}

static void parses(const char *addr, const char *path, unsigned baud, enum serial_parity parity,
		   bool rtscts)
{
	struct serial_opts o;
	struct sg_err err = {0};

	assert_int_equal(serial_parse(addr, "serial:x", &o, &err), SG_OK);
	assert_string_equal(o.path, path);
	assert_int_equal(o.baud, baud);
	assert_int_equal(o.parity, parity);
	assert_int_equal(o.rtscts, rtscts);
}

static void test_good_specs(void **state)
{
	(void)state;
	parses("/dev/ttyUSB0", "/dev/ttyUSB0", 115200, PARITY_NONE, false);
	parses("/dev/ttyUSB0?baud=9600", "/dev/ttyUSB0", 9600, PARITY_NONE, false);
	parses("/dev/serial/by-id/usb-FTDI_A50285BI-if00-port0?parity=even&baud=921600&flow=rtscts",
	       "/dev/serial/by-id/usb-FTDI_A50285BI-if00-port0", 921600, PARITY_EVEN, true);
	parses("/dev/ttyACM1?flow=none&parity=odd&baud=4000000", "/dev/ttyACM1", 4000000, PARITY_ODD,
	       false);
	parses("/dev/ttyS1?parity=none&baud=300", "/dev/ttyS1", 300, PARITY_NONE, false);
	/* the check opens nothing: a port not (yet) there passes it */
	assert_int_equal(sg_transport_check("serial:/nonexistent/ttyUSB0?baud=9600", NULL), SG_OK);
	assert_int_equal(sg_transport_check("unix:/x", NULL), SG_OK);
	assert_int_equal(sg_transport_check("tcp:localhost:1", NULL), SG_OK);
	assert_int_equal(sg_transport_check("pty:/dev/pts/1", NULL), SG_OK);
}

/* spec is refused before any port is opened, with exactly msg, by
 * sg_transport_open and by sg_transport_check (the station's check of its
 * --fixture options). */
static void refused(const char *spec, const char *msg)
{
	struct sg_transport *t = NULL;
	struct sg_err err = {0}, check_err = {0};

	assert_int_equal(sg_transport_open(spec, 100, &t, &err), SG_EINPUT);
	assert_null(t);
	assert_string_equal(err.msg, msg);
	assert_string_equal(err.param, "fixture");
	assert_int_equal(sg_transport_check(spec, &check_err), SG_EINPUT);
	assert_string_equal(check_err.msg, msg);
	assert_string_equal(check_err.param, "fixture");
}

static void test_bad_specs(void **state)
{
	char spec[400], msg[512];

	(void)state;
	refused("serial:", "serial:: no port (serial:/dev/ttyUSB0)");
	refused("serial:?baud=9600", "serial:?baud=9600: no port (serial:/dev/ttyUSB0)");
	refused("serial:/dev/ttyUSB0?speed=9600",
		"serial:/dev/ttyUSB0?speed=9600: unknown option 'speed' (baud, parity, flow)");
	refused("serial:/dev/ttyUSB0?baud=9600&stop=2",
		"serial:/dev/ttyUSB0?baud=9600&stop=2: unknown option 'stop' (baud, parity, flow)");
	refused("serial:/dev/ttyUSB0?baud=12345",
		"serial:/dev/ttyUSB0?baud=12345: baud 12345 is not a standard rate (9600, 115200, "
		"921600, ...: 300 to 4000000)");
	refused("serial:/dev/ttyUSB0?baud=fast",
		"serial:/dev/ttyUSB0?baud=fast: baud 'fast' is not a number");
	refused("serial:/dev/ttyUSB0?baud=99999999999",
		"serial:/dev/ttyUSB0?baud=99999999999: baud 99999999999 is not a standard rate "
		"(9600, 115200, 921600, ...: 300 to 4000000)");
	refused("serial:/dev/ttyUSB0?baud=0115200",
		"serial:/dev/ttyUSB0?baud=0115200: baud 0115200 is not a standard rate "
		"(9600, 115200, 921600, ...: 300 to 4000000)");
	refused("serial:/dev/ttyUSB0?baud=", "serial:/dev/ttyUSB0?baud=: option 'baud' has no value");
	refused("serial:/dev/ttyUSB0?flow", "serial:/dev/ttyUSB0?flow: option 'flow' has no value");
	refused("serial:/dev/ttyUSB0?parity=mark",
		"serial:/dev/ttyUSB0?parity=mark: parity 'mark' is not one of: none, even, odd");
	refused("serial:/dev/ttyUSB0?flow=xonxoff",
		"serial:/dev/ttyUSB0?flow=xonxoff: flow 'xonxoff' is not one of: none, rtscts");
	refused("serial:/dev/ttyUSB0?baud=9600&baud=115200",
		"serial:/dev/ttyUSB0?baud=9600&baud=115200: option 'baud' is given twice");
	refused("serial:/dev/ttyUSB0?",
		"serial:/dev/ttyUSB0?: an empty option (PATH?baud=N&parity=P&flow=F)");
	refused("serial:/dev/ttyUSB0?baud=9600&",
		"serial:/dev/ttyUSB0?baud=9600&: an empty option (PATH?baud=N&parity=P&flow=F)");
	snprintf(spec, sizeof spec, "serial:/dev/%0300d", 0);
	assert_int_equal(strlen(spec), 312);
	snprintf(msg, sizeof msg, "%s: the port's path is too long", spec);
	refused(spec, msg);
}

/* Not a transport at all; the check knows the probe fixtures too. */
static void test_unknown_transport(void **state)
{
	struct sg_transport *t = NULL;
	struct sg_err err = {0};

	(void)state;
	assert_int_equal(sg_transport_open("usb:/dev/ttyUSB0", 100, &t, &err), SG_EINPUT);
	assert_string_equal(err.msg, "usb:/dev/ttyUSB0: not a fixture (unix:PATH, tcp:HOST:PORT, "
			    "pty:PATH or serial:PATH)");
	assert_int_equal(sg_transport_check("usb:/dev/ttyUSB0", &err), SG_EINPUT);
	assert_string_equal(err.msg, "usb:/dev/ttyUSB0: not a fixture (unix:PATH, tcp:HOST:PORT, "
			    "pty:PATH, serial:PATH, gdb:HOST:PORT or cmsis-dap[:SERIAL])");
	assert_string_equal(err.param, "fixture");
	assert_int_equal(sg_transport_check("gdb:", &err), SG_EINPUT);
	assert_int_equal(sg_transport_check("cmsis-dap:", &err), SG_EINPUT);
	assert_int_equal(sg_transport_check("unix:", &err), SG_EINPUT);
	/* the socket transports' addresses, checked as their open would */
	assert_int_equal(sg_transport_check("tcp:nohostport", &err), SG_EINPUT);
	assert_string_equal(err.msg, "tcp:nohostport: not HOST:PORT");
	assert_string_equal(err.param, "fixture");
	assert_int_equal(sg_transport_check("tcp:host:", &err), SG_EINPUT);
	assert_int_equal(sg_transport_check("tcp:[::1]:3333", NULL), SG_OK);
	{
		char spec[300] = "unix:/", msg[400];
		memset(spec + 6, 'a', 120);
		snprintf(msg, sizeof msg, "%s: the path is too long for a socket", spec);
		assert_int_equal(sg_transport_check(spec, &err), SG_EINPUT);
		assert_string_equal(err.msg, msg);
		/* a bracketed host is named as given, bracket included */
		memset(spec, 0, sizeof spec);
		memcpy(spec, "tcp:[", 5);
		memset(spec + 5, 'f', 260);
		strcat(spec, "]:1");
		snprintf(msg, sizeof msg, "%s: the host name is too long", spec);
		assert_int_equal(sg_transport_check(spec, &err), SG_EINPUT);
		assert_string_equal(err.msg, msg);
	}
	assert_int_equal(sg_transport_check("gdb:localhost:3333", NULL), SG_OK);
	assert_int_equal(sg_transport_check("cmsis-dap", NULL), SG_OK);
	assert_int_equal(sg_transport_check("cmsis-dap:0240000034", NULL), SG_OK);
}

/* spec fails to open with SG_EENV and exactly msg. */
static void unreachable(const char *spec, const char *msg)
{
	struct sg_transport *t = NULL;
	struct sg_err err = {0};

	assert_int_equal(sg_transport_open(spec, 100, &t, &err), SG_EENV);
	assert_null(t);
	assert_string_equal(err.msg, msg);
}

static void test_missing_port(void **state)
{
	struct rig *r = *state;
	char spec[200], msg[300];

	snprintf(spec, sizeof spec, "serial:%s/ttyUSB9?baud=9600", r->dir);
	snprintf(msg, sizeof msg, "%s: no such port (No such file or directory)", spec);
	unreachable(spec, msg);
	/* a file is no port; nor is a character device that is no terminal */
	snprintf(r->path, sizeof r->path, "%s/ttyUSB0", r->dir);
	close(open(r->path, O_CREAT | O_WRONLY, 0600));
	snprintf(spec, sizeof spec, "serial:%s", r->path);
	snprintf(msg, sizeof msg, "%s: not a serial port (not a character device)", spec);
	unreachable(spec, msg);
	unreachable("serial:/dev/null",
		    "serial:/dev/null: not a serial port the system lists");
}

/* A pseudo-terminal, by its path and through a link to it, and the pty
 * multiplexer: refused, pointing to pty:. */
static void test_pty_refused(void **state)
{
	struct rig *r = *state;
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	char pts[64], spec[200], msg[400];

	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	assert_int_equal(ptsname_r(master, pts, sizeof pts), 0);
	snprintf(spec, sizeof spec, "serial:%s?baud=9600", pts);
	snprintf(msg, sizeof msg,
		 "%s: a pseudo-terminal, which libserialport does not open: use pty:%s", spec, pts);
	refused(spec, msg);
	snprintf(r->path, sizeof r->path, "%s/ttyUSB0", r->dir);
	assert_int_equal(symlink(pts, r->path), 0);
	snprintf(spec, sizeof spec, "serial:%s", r->path);
	snprintf(msg, sizeof msg,
		 "%s: a pseudo-terminal, which libserialport does not open: use pty:%s", spec, r->path);
	refused(spec, msg);
	refused("serial:/dev/ptmx", "serial:/dev/ptmx: a pseudo-terminal, which libserialport does "
		"not open: use pty:/dev/ptmx");
	close(master);
}

/* Only a UART line has a rate for the device's timeouts: a pty's is 0. */
static void test_baud_of_other_transports(void **state)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	char spec[80];
	struct sg_transport *t = NULL;
	struct sg_err err = {0};

	(void)state;
	assert_true(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
	strcpy(spec, "pty:");
	assert_int_equal(ptsname_r(master, spec + 4, sizeof spec - 4), 0);
	assert_int_equal(sg_transport_open(spec, 100, &t, &err), SG_OK);
	assert_int_equal(sg_transport_baud(t), 0);
	sg_transport_close(t);
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_specs),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_unknown_transport),
		cmocka_unit_test_setup_teardown(test_missing_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pty_refused, setup, teardown),
		cmocka_unit_test(test_baud_of_other_transports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
