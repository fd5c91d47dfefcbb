/* libFuzzer harness for the device protocol, both ends
 * (provision/agent/protocol.c, agent.c): the agent fed a byte stream on a
 * RAM device (tests/provision/ram_hal.c, signing refused), and the
 * station's receiver fed the agent's answers. The first input byte picks
 * the device's lock bits and whether the rest is a raw stream or a list of
 * requests (cmd, len, payload) that the harness frames correctly, so the
 * command handlers are reached past the CRC. Every answer must be a valid
 * response frame to a request that was sent; the device must never grow a
 * slot past its capacity nor lose a lock bit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ram_hal.h"

static struct ram_device dev;
static struct sgp_agent agent;
static struct sgp_agent_hal hal;
static uint8_t station_buf[SGP_WIRE_LEN(SGP_MAX_PAYLOAD)];

static void check_answer(const uint8_t *out, size_t n, uint8_t lock_before)
{
	struct sgp_rx rx;
	struct sgp_frame f;
	int got = 0;

	sgp_rx_init(&rx, station_buf, sizeof station_buf);
	for (size_t i = 0; i < n; i++)
		got += sgp_rx_byte(&rx, out[i], &f);
	if (got != 1 || f.kind != SGP_RESPONSE || out[n - 1] != 0 || memchr(out, 0, n - 1))
		abort();
	if ((dev.lock_bits & lock_before) != lock_before)
		abort();
	for (int i = 0; i < 4; i++)
		if (dev.len[i] > ram_slots[i].capacity)
			abort();
}

static void feed(const uint8_t *b, size_t n)
{
	const uint8_t *out;

	for (size_t i = 0; i < n; i++) {
		uint8_t before = (uint8_t)dev.lock_bits;
		size_t k = sgp_agent_byte(&agent, b[i], &out);
		if (k)
			check_answer(out, k, before);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t wire[SGP_WIRE_LEN(SGP_AGENT_PAYLOAD + 64)];

	if (size < 1)
		return 0;
	memset(&dev, 0, sizeof dev);
	memcpy(dev.uid, "fuzzdev", 7);
	dev.uid_len = 7;
	dev.lock_bits = data[0] & SGP_LOCK_ALL;
	ram_hal_init(&hal, &dev, SGP_CAP_KEYGEN | SGP_CAP_INJECT | SGP_CAP_CHALLENGE);
	sgp_agent_init(&agent, &hal);
	data++, size--;
	if (!(data[-1] & 0x80)) {
		feed(data, size);
		return 0;
	}
	/* requests: seq, cmd, len (one byte), payload; INFO first so the rest counts */
	feed((const uint8_t *)"\x04\x01\x01\x01\x02\x04\x03\x01\x01\x06\x04\xc8\x9c\x1b\xf2", 16);
	while (size >= 3) {
		struct sgp_frame f = {SGP_REQUEST, data[0], data[1], 0, data[2], data + 3, 0};
		if (f.len > size - 3)
			f.len = (uint16_t)(size - 3);
		size_t n = sgp_frame_encode(&f, wire, sizeof wire);
		feed(wire, n);
		data += 3 + f.len;
		size -= 3 + (size_t)f.len;
	}
	return 0;
}
