/* The frame codec (provision/agent/protocol.c) against docs/protocol.md:
 * the document's example bytes (made with Python's zlib and a separate COBS
 * encoder), an independent COBS encoder here, noise, corruption and
 * overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signet/protocol.h"

#define BIG SGP_WIRE_LEN(SGP_MAX_PAYLOAD)

static void test_crc_check_value(void **state)
{
	(void)state;
	assert_int_equal(sgp_crc32(0, (const uint8_t *)"123456789", 9), 0xCBF43926u);
	/* continued in pieces, as the encoder uses it */
	assert_int_equal(sgp_crc32(sgp_crc32(0, (const uint8_t *)"1234", 4), (const uint8_t *)"56789", 5),
			 0xCBF43926u);
	assert_int_equal(sgp_crc32(0, NULL, 0), 0);
}

/* COBS the way the paper describes it, written apart from the codec: split
 * the input at each zero, then cut each piece into runs of at most 254;
 * the last piece's final full run gets no empty block after it. */
static size_t ref_cobs(const uint8_t *in, size_t n, uint8_t *out)
{
	size_t o = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && in[i] != 0)
			continue;
		size_t len = i - start;
		const uint8_t *p = in + start;
		int last = i == n;
		do {
			size_t run = len > 254 ? 254 : len;
			out[o++] = (uint8_t)(run == 254 ? 0xff : run + 1);
			memcpy(out + o, p, run);
			o += run;
			p += run;
			len -= run;
			if (run == 254 && len == 0 && !last) {
				out[o++] = 1; /* the zero that ends this piece */
				break;
			}
		} while (len > 0);
		start = i + 1;
	}
	return o;
}

/* Encodes a frame and checks it against the reference COBS and a decode. */
static void roundtrip(uint8_t kind, uint8_t status, const uint8_t *payload, uint16_t len)
{
	static uint8_t wire[BIG], packet[BIG], ref[BIG], rxbuf[BIG];
	struct sgp_frame f = {kind, 0x5a, SGP_WRITE, status, len, payload, 0}, g;
	struct sgp_rx rx;
	size_t n, pn = 0;
	int got = 0;

	n = sgp_frame_encode(&f, wire, sizeof wire);
	assert_true(n > 0 && n <= SGP_WIRE_LEN(len));
	assert_int_equal(wire[n - 1], 0);
	assert_null(memchr(wire, 0, n - 1));

	packet[pn++] = kind, packet[pn++] = 0x5a, packet[pn++] = SGP_WRITE, packet[pn++] = status;
	sgp_put16(packet + pn, len), pn += 2;
	memcpy(packet + pn, payload, len), pn += len;
	sgp_put32(packet + pn, f.crc), pn += 4;
	assert_int_equal(f.crc, sgp_crc32(0, packet, pn - 4));
	assert_int_equal(ref_cobs(packet, pn, ref), n - 1);
	assert_memory_equal(ref, wire, n - 1);

	sgp_rx_init(&rx, rxbuf, sizeof rxbuf);
	for (size_t i = 0; i < n; i++)
		got += sgp_rx_byte(&rx, wire[i], &g);
	assert_int_equal(got, 1);
	assert_int_equal(g.kind, kind);
	assert_int_equal(g.seq, 0x5a);
	assert_int_equal(g.status, status);
	assert_int_equal(g.len, len);
	assert_memory_equal(g.payload, payload, len);
}

static void test_roundtrip_lengths(void **state)
{
	static uint8_t p[SGP_MAX_PAYLOAD];
	(void)state;
	/* no zeros at all, so that runs of 254 meet the block boundaries */
	for (size_t i = 0; i < sizeof p; i++)
		p[i] = (uint8_t)(i % 255 + 1);
	for (unsigned len = 0; len <= 1100; len++)
		roundtrip(SGP_REQUEST, 0, p, (uint16_t)len);
	roundtrip(SGP_RESPONSE, SGP_OK, p, SGP_MAX_PAYLOAD);
	/* zeros everywhere, and zeros next to full runs */
	memset(p, 0, sizeof p);
	for (unsigned len = 0; len <= 600; len += 7)
		roundtrip(SGP_RESPONSE, SGP_LOCKED, p, (uint16_t)len);
	srand(7);
	for (int round = 0; round < 2000; round++) {
		uint16_t len = (uint16_t)(rand() % 800);
		for (unsigned i = 0; i < len; i++)
			p[i] = rand() % 8 ? (uint8_t)(rand() | 1) : 0;
		roundtrip(SGP_REQUEST, 0, p, len);
	}
}

/* A payload length whose packet ends in exactly one full run (257 = 0x0101
 * keeps the length field free of zeros): the shortest form ends in the
 * run, with no empty block. A CRC with a zero byte is avoided by trying
 * fill bytes. */
static void test_shortest_form(void **state)
{
	uint8_t p[257], wire[400];
	(void)state;
	for (int fill = 1; fill < 256; fill++) {
		memset(p, fill, sizeof p);
		p[6] = 0; /* then 250 payload bytes and the CRC: 254 non-zero bytes */
		struct sgp_frame f = {SGP_REQUEST, 1, SGP_WRITE, 1, sizeof p, p, 0};
		size_t n = sgp_frame_encode(&f, wire, sizeof wire);
		uint8_t crc[4];
		sgp_put32(crc, f.crc);
		if (!crc[0] || !crc[1] || !crc[2] || !crc[3])
			continue;
		/* blocks: [1 5 1 1 1 1 f f f f f f] ... the last is 0xff + 254 bytes */
		assert_int_equal(wire[n - 1], 0);
		assert_int_equal(wire[n - 2], crc[3]);
		assert_int_equal(wire[n - 256], 0xff);
		roundtrip(SGP_REQUEST, 1, p, sizeof p);
		return;
	}
	fail_msg("no fill byte gave a CRC without zeros");
}

/* Reads the bytes of one "packet:" or "wire:" field of section 5: its line
 * and the continuation lines below it (indented), each token of two hex
 * digits a byte ("|" separates fields). Returns the count, *s moves past. */
static size_t read_field(char **s, const char *name, uint8_t *out)
{
	size_t n = 0;
	char *line = strstr(*s, name);

	assert_non_null(line);
	line += strlen(name);
	do {
		char *end = strchr(line, '\n');
		for (char *t = line; t + 1 < end; t++) {
			unsigned v;
			if ((t == line || t[-1] == ' ') && (t + 2 == end || t[2] == ' ') &&
			    sscanf(t, "%2x", &v) == 1 && strchr("0123456789abcdef", t[1]))
				out[n++] = (uint8_t)v;
		}
		line = end + 1;
	} while (line[0] == ' ');
	*s = line;
	return n;
}

static void test_document_examples(void **state)
{
	char path[4096], *doc, *s;
	FILE *fp;
	long size;
	int examples = 0;
	(void)state;

	snprintf(path, sizeof path, "%s/docs/protocol.md", getenv("SIGNET_SOURCE_DIR"));
	assert_non_null(fp = fopen(path, "rb"));
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	rewind(fp);
	doc = calloc(1, (size_t)size + 1);
	assert_int_equal(fread(doc, 1, (size_t)size, fp), (size_t)size);
	fclose(fp);

	for (s = strstr(doc, "## 5. Examples"); (s = strstr(s, "\npacket:")); examples++) {
		uint8_t packet[512], wire[512], enc[600], rxbuf[600];
		size_t pn = read_field(&s, "packet:", packet);
		size_t wn = read_field(&s, "wire:", wire);
		struct sgp_frame f = {packet[0], packet[1], packet[2], packet[3], sgp_get16(packet + 4),
				      packet + 6, 0}, g;
		struct sgp_rx rx;

		assert_int_equal(pn, SGP_PACKET_LEN(f.len));
		assert_int_equal(sgp_frame_encode(&f, enc, sizeof enc), wn);
		assert_memory_equal(enc, wire, wn);
		assert_int_equal(f.crc, sgp_get32(packet + pn - 4));
		sgp_rx_init(&rx, rxbuf, sizeof rxbuf);
		int got = 0;
		for (size_t i = 0; i < wn; i++)
			got += sgp_rx_byte(&rx, wire[i], &g);
		assert_int_equal(got, 1);
		assert_memory_equal(g.payload, packet + 6, g.len);
	}
	assert_int_equal(examples, 6);
	free(doc);
}

/* Feeds bytes; returns the frames completed, the last in *f. */
static int feed(struct sgp_rx *rx, const uint8_t *b, size_t n, struct sgp_frame *f)
{
	int got = 0;

	for (size_t i = 0; i < n; i++)
		got += sgp_rx_byte(rx, b[i], f);
	return got;
}

static size_t make(uint8_t seq, uint8_t *wire, size_t cap)
{
	uint8_t payload[40];
	struct sgp_frame f = {SGP_REQUEST, seq, SGP_READ, 0, sizeof payload, payload, 0};

	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(seq + i);
	return sgp_frame_encode(&f, wire, cap);
}

static void test_noise_and_resync(void **state)
{
	uint8_t buf[300], wire[100], noise[64];
	struct sgp_rx rx;
	struct sgp_frame f;
	size_t n;
	(void)state;

	sgp_rx_init(&rx, buf, sizeof buf);
	n = make(1, wire, sizeof wire);
	/* noise without a zero runs into the frame: that frame is lost, the next is not */
	memset(noise, 0x55, sizeof noise);
	assert_int_equal(feed(&rx, noise, sizeof noise, &f), 0);
	assert_int_equal(feed(&rx, wire, n, &f), 0);
	assert_int_equal(rx.dropped, 1);
	assert_int_equal(feed(&rx, wire, n, &f), 1);
	assert_int_equal(f.seq, 1);
	/* a lone delimiter before a frame ends the noise: nothing is lost */
	assert_int_equal(feed(&rx, noise, 10, &f), 0);
	assert_int_equal(feed(&rx, (const uint8_t *)"", 1, &f), 0);
	assert_int_equal(rx.dropped, 2);
	assert_int_equal(feed(&rx, wire, n, &f), 1);
	/* noise with zeros in it: each piece is dropped, then frames pass */
	for (size_t i = 0; i < sizeof noise; i++)
		noise[i] = (uint8_t)(i % 9 == 0 ? 0 : i * 37);
	feed(&rx, noise, sizeof noise, &f);
	n = make(2, wire, sizeof wire);
	assert_int_equal(feed(&rx, wire, n, &f), 1);
	assert_int_equal(f.seq, 2);
	assert_int_equal(f.payload[0], 2);
}

static void test_every_corruption_is_dropped(void **state)
{
	uint8_t buf[300], wire[100], bad[100];
	struct sgp_rx rx;
	struct sgp_frame f;
	size_t n;
	(void)state;

	sgp_rx_init(&rx, buf, sizeof buf);
	n = make(9, wire, sizeof wire);
	assert_true(n > 20);
	/* every single-bit flip of every byte but the delimiter */
	for (size_t i = 0; i + 1 < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(bad, wire, n);
			bad[i] ^= (uint8_t)(1 << bit);
			uint32_t before = rx.dropped;
			int got = feed(&rx, bad, n, &f);
			if (bad[i] == 0) /* the flip made a delimiter: two pieces */
				assert_true(rx.dropped >= before + 1);
			assert_int_equal(got, 0);
			/* the stream recovers at once */
			assert_int_equal(feed(&rx, wire, n, &f), 1);
		}
	}
	/* cut short, and with a byte missing */
	assert_int_equal(feed(&rx, wire, n - 5, &f), 0);
	assert_int_equal(feed(&rx, (const uint8_t *)"", 1, &f), 0);
	memcpy(bad, wire, 10);
	memcpy(bad + 10, wire + 11, n > 11 ? n - 11 : 0);
	assert_int_equal(feed(&rx, bad, n - 1, &f), 0);
	assert_int_equal(feed(&rx, wire, n, &f), 1);
}

static void test_overflow_and_limits(void **state)
{
	static uint8_t big[SGP_MAX_PAYLOAD + 1], wire[BIG + 40], small[64];
	struct sgp_frame f = {SGP_REQUEST, 3, SGP_WRITE, 0, 200, big, 0}, g;
	struct sgp_rx rx;
	size_t n;
	(void)state;

	/* a frame longer than the receiver's buffer is dropped whole */
	n = sgp_frame_encode(&f, wire, sizeof wire);
	sgp_rx_init(&rx, small, sizeof small);
	assert_int_equal(feed(&rx, wire, n, &g), 0);
	assert_int_equal(rx.dropped, 1);
	n = make(4, wire, sizeof wire);
	assert_int_equal(feed(&rx, wire, n, &g), 1);
	/* the encoder refuses a payload above the limit and a short buffer */
	f.len = SGP_MAX_PAYLOAD + 1;
	assert_int_equal(sgp_frame_encode(&f, wire, sizeof wire), 0);
	f.len = 40;
	for (size_t cap = 0; cap < SGP_WIRE_LEN(40); cap++) {
		size_t need = sgp_frame_encode(&f, wire, sizeof wire);
		assert_int_equal(sgp_frame_encode(&f, wire, cap), cap >= need ? need : 0);
	}
	/* a packet of fewer than 10 bytes is not a frame */
	const uint8_t tiny[] = {0x05, 0x01, 0x01, 0x01, 0x01, 0x00};
	assert_int_equal(feed(&rx, tiny, sizeof tiny, &g), 0);
}

static void test_signed_messages(void **state)
{
	uint8_t uid[3] = {0xaa, 0xbb, 0xcc}, nonce[SGP_NONCE_LEN], pub[SGP_P256_PUB_LEN];
	uint8_t out[SGP_SIGNED_MAX];
	size_t n;
	(void)state;

	memset(nonce, 0x11, sizeof nonce);
	memset(pub, 0x04, sizeof pub);
	n = sgp_signed_message(1, uid, 3, nonce, pub, out);
	assert_int_equal(n, 17 + 1 + 3 + 32 + 65);
	assert_memory_equal(out, "signet keygen v1\0\3\xaa\xbb\xcc\x11", 22);
	assert_int_equal(out[n - 1], 0x04);
	n = sgp_signed_message(0, uid, 3, nonce, NULL, out);
	assert_int_equal(n, 20 + 1 + 3 + 32);
	assert_memory_equal(out, "signet challenge v1\0\3\xaa\xbb\xcc\x11", 25);
	/* the largest fits the documented buffer */
	uint8_t big_uid[SGP_UID_MAX] = {0};
	assert_true(sgp_signed_message(1, big_uid, SGP_UID_MAX, nonce, pub, out) <= SGP_SIGNED_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_check_value),
		cmocka_unit_test(test_roundtrip_lengths),
		cmocka_unit_test(test_shortest_form),
		cmocka_unit_test(test_document_examples),
		cmocka_unit_test(test_noise_and_resync),
		cmocka_unit_test(test_every_corruption_is_dropped),
		cmocka_unit_test(test_overflow_and_limits),
		cmocka_unit_test(test_signed_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
