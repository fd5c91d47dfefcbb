/* signet station ports: the serial ports a serial: fixture can name
 * (docs/provisioning.md §9), as libserialport lists them, with what a
 * USB adapter says about itself so the operator can tell boards apart.
 * Those strings come from devices: they are printed as printable ASCII. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "signet/transport.h"
#include "station.h"

static const char usage_text[] =
	"usage: signet station ports [--json]\n"
	"\n"
	"Lists the serial ports of this machine (libserialport's enumeration), one\n"
	"a line: the name to give as --fixture serial:NAME, the transport (usb,\n"
	"native, bluetooth) and, for USB adapters, VID:PID, serial number,\n"
	"manufacturer and product, then the description. --json prints one object\n"
	"{\"v\":1,\"ports\":[...]} instead (docs/provisioning.md §9). Exit 0, also\n"
	"when there is no port (said on stderr); 3 when the ports cannot be listed.\n";

#define usage(...) cli_usage_error("station ports", __VA_ARGS__)

/* s as printable ASCII without quotes (the text output quotes values). */
static const char *unquoted(const char *s, char *out, size_t cap)
{
	cli_printable(out, cap, s);
	for (char *p = out; *p; p++)
		if (*p == '\'' || *p == '"')
			*p = '?';
	return out;
}

/* A member "key":"value", left out when value is "". */
static void json_member(const char *key, const char *value)
{
	char clean[256];

	if (!value[0])
		return;
	cli_printable(clean, sizeof clean, value);
	printf(",\"%s\":", key);
	json_str(stdout, clean);
}

static void print_json(const struct sg_serial_port *ports, size_t n)
{
	fputs("{\"v\":1,\"ports\":[", stdout);
	for (size_t i = 0; i < n; i++) {
		const struct sg_serial_port *p = &ports[i];
		char id[8];

		printf("%s{\"name\":", i ? "," : "");
		json_str(stdout, p->name);
		printf(",\"transport\":\"%s\"", p->transport);
		json_member("description", p->description);
		if (p->usb_vid >= 0) {
			snprintf(id, sizeof id, "%04x", (unsigned)p->usb_vid & 0xffff);
			json_member("vid", id);
			snprintf(id, sizeof id, "%04x", (unsigned)p->usb_pid & 0xffff);
			json_member("pid", id);
		}
		json_member("serial", p->usb_serial);
		json_member("manufacturer", p->usb_manufacturer);
		json_member("product", p->usb_product);
		fputc('}', stdout);
	}
	fputs("]}\n", stdout);
}

/* " key='value'", left out when value is "". */
static void text_member(const char *key, const char *value)
{
	char clean[256];

	if (!value[0])
		return;
	unquoted(value, clean, sizeof clean);
	printf(" %s='%s'", key, clean);
}

static void print_text(const struct sg_serial_port *ports, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct sg_serial_port *p = &ports[i];
		char name[256];

		unquoted(p->name, name, sizeof name);
		printf("%s %s", name, p->transport);
		if (p->usb_vid >= 0)
			printf(" %04x:%04x", (unsigned)p->usb_vid & 0xffff, (unsigned)p->usb_pid & 0xffff);
		text_member("serial", p->usb_serial);
		text_member("manufacturer", p->usb_manufacturer);
		text_member("product", p->usb_product);
		text_member("description", p->description);
		fputc('\n', stdout);
	}
	if (n == 0)
		fputs("signet station ports: no serial ports found\n", stderr);
}

int station_ports(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sg_serial_port *ports;
	struct sg_err err = { 0 };
	bool json = false;
	size_t n;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(usage_text, stdout); return SG_OK;
		default: return usage("unknown option or missing value");
		}
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	if (sg_serial_ports(&ports, &n, &err) != SG_OK)
		return cli_report(&err);
	if (json)
		print_json(ports, n);
	else
		print_text(ports, n);
	free(ports);
	return SG_OK;
}
