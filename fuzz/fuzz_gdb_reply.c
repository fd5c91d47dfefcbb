/* libFuzzer harness for the GDB remote protocol's codec (provision/
 * gdb_rsp.c), what a gdb: fixture makes of whatever a server sends: the
 * bytes go through the receiver (framing, checksums, run-length codes),
 * and every packet it completes through each reply parser and, as a
 * target description, through the register finder with its includes
 * answered by the same packet again (bounded by the parser). Each packet
 * framed again must come back byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "gdb_rsp.h"

static struct rsp_rx rx, again;
static uint8_t copy[RSP_MAX_PAYLOAD + 1], frame[2 * RSP_MAX_PAYLOAD + 8];
static size_t copy_len;

static int include_self(void *ctx, const char *href)
{
	struct rsp_regs *r = ctx;

	if (!href[0])
		abort();
	return rsp_parse_xml((const char *)copy, copy_len, r, include_self, r);
}

static void parsers(const uint8_t *p, size_t n)
{
	struct rsp_features f;
	struct rsp_regs r;
	uint8_t bytes[RSP_MAX_PAYLOAD / 2];
	uint32_t v;
	int code, sig;

	rsp_parse_supported(p, n, &f);
	rsp_parse_stop(p, n, &sig);
	rsp_is_error(p, n, &code);
	rsp_is_console(p, n);
	rsp_reg_value(p, n, &v);
	rsp_hex_decode(p, n / 2, bytes);
	memcpy(copy, p, n);
	copy_len = rsp_unescape(copy, n);
	if (copy_len > n)
		abort();
	rsp_regs_init(&r);
	rsp_parse_xml((const char *)copy, copy_len, &r, include_self, &r);
	for (int i = 0; i < RSP_NREGS; i++)
		if (r.num[i] < -1)
			abort();
}

/* rsp_frame's output, fed back, is the same payload. */
static void round_trip(const uint8_t *p, size_t n)
{
	size_t len = rsp_frame(p, n, frame, sizeof frame);
	enum rsp_event ev = RSP_MORE;

	if (!len)
		abort();
	rsp_rx_init(&again);
	for (size_t i = 0; i < len; i++)
		ev = rsp_rx_feed(&again, frame[i]);
	if (ev != RSP_PACKET || rsp_unescape(again.buf, again.len) != n || memcmp(again.buf, p, n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rsp_rx_init(&rx);
	for (size_t i = 0; i < size; i++) {
		if (rsp_rx_feed(&rx, data[i]) != RSP_PACKET)
			continue;
		if (rx.len > RSP_MAX_PAYLOAD || rx.buf[rx.len])
			abort();
		parsers(rx.buf, rx.len);
		round_trip(rx.buf, rx.len);
	}
	return 0;
}
