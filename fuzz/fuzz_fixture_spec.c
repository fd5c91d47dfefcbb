/* libFuzzer harness for fixture specs (signet/transport.h's
 * sg_transport_check, the station's check of --fixture before any unit;
 * the serial: options through serial_parse): nothing is opened, any string
 * is either accepted with a known transport and, for serial:, options
 * within their documented ranges, or refused as malformed input about the
 * fixture, the message starting with the spec. Seeds: one spec of each
 * transport and a few refused ones. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport_priv.h"

static const unsigned rates[] = {
	300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000,
	576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
};

static int known_prefix(const char *spec)
{
	static const char *const prefixes[] = {"unix:", "tcp:", "pty:", "serial:", "gdb:", "cmsis-dap"};

	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
		if (!strncmp(spec, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

/* A serial: address that parses keeps the documented ranges. */
static void check_serial(const char *addr)
{
	struct serial_opts o;
	struct sg_err err = {0};
	int ok = 0;

	if (serial_parse(addr, "serial:fuzz", &o, &err) != SG_OK) {
		if (err.status != SG_EINPUT || strcmp(err.param, "fixture") ||
		    strncmp(err.msg, "serial:fuzz: ", 13))
			abort();
		return;
	}
	for (size_t i = 0; i < sizeof rates / sizeof *rates; i++)
		ok |= o.baud == rates[i];
	if (!ok || !o.path[0] || strchr(o.path, '?') || strncmp(addr, o.path, strlen(o.path)) ||
	    (o.parity != PARITY_NONE && o.parity != PARITY_EVEN && o.parity != PARITY_ODD))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[400];
	struct sg_err err = {0};

	/* specs are C strings from argv; the messages hold a spec this long whole */
	if (size >= sizeof spec || memchr(data, 0, size))
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	if (sg_transport_check(spec, &err) != SG_OK) {
		if (err.status != SG_EINPUT || !err.param || strcmp(err.param, "fixture") ||
		    strncmp(err.msg, spec, size))
			abort();
	} else if (!known_prefix(spec)) {
		abort();
	}
	if (!strncmp(spec, "serial:", 7))
		check_serial(spec + 7);
	return 0;
}
