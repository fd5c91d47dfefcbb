/* The frame codec of docs/protocol.md §1, shared by the station and the
 * device agent. C99, no heap: see signet/protocol.h. */
#include <string.h>

#include "signet/protocol.h"

/* CRC-32/ISO-HDLC four bits at a time: a 64-byte table keeps the agent
 * small on a Cortex-M0; frames are short, so speed does not matter here. */
static const uint32_t crc_nibble[16] = {
	0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
	0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
	0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

uint32_t sgp_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
		crc = (crc >> 4) ^ crc_nibble[crc & 15];
	}
	return ~crc;
}

/* A COBS encoder fed one byte at a time, so the packet never needs a
 * buffer of its own: code_at is where the current block's code byte goes. */
struct cobs_out {
	uint8_t *out;
	size_t cap, pos, code_at;
	uint8_t code;
	int after_full; /* the current block was opened by a full 254-byte one */
	int overflow;
};

static void cobs_open(struct cobs_out *c, int after_full)
{
	c->code_at = c->pos++;
	c->code = 1;
	c->after_full = after_full;
}

static void cobs_close(struct cobs_out *c)
{
	if (c->code_at < c->cap)
		c->out[c->code_at] = c->code;
	else
		c->overflow = 1;
}

static void cobs_put(struct cobs_out *c, uint8_t b)
{
	if (b == 0) {
		cobs_close(c);
		cobs_open(c, 0);
		return;
	}
	if (c->pos < c->cap)
		c->out[c->pos] = b;
	else
		c->overflow = 1;
	c->pos++;
	if (++c->code == 0xff) {
		cobs_close(c);
		cobs_open(c, 1);
	}
}

static void cobs_puts(struct cobs_out *c, const uint8_t *p, size_t n)
{
	while (n--)
		cobs_put(c, *p++);
}

size_t sgp_frame_encode(struct sgp_frame *f, uint8_t *out, size_t cap)
{
	uint8_t head[SGP_HEADER_LEN], crc[SGP_CRC_LEN];
	struct cobs_out c = {.out = out, .cap = cap};

	if (f->len > SGP_MAX_PAYLOAD)
		return 0;
	head[0] = f->kind;
	head[1] = f->seq;
	head[2] = f->cmd;
	head[3] = f->status;
	sgp_put16(head + 4, f->len);
	f->crc = sgp_crc32(sgp_crc32(0, head, sizeof head), f->payload, f->len);
	sgp_put32(crc, f->crc);

	cobs_open(&c, 0);
	cobs_puts(&c, head, sizeof head);
	cobs_puts(&c, f->payload, f->len);
	cobs_puts(&c, crc, sizeof crc);
	if (c.code == 1 && c.after_full)
		c.pos--; /* the shortest form: no empty block after a full one */
	else
		cobs_close(&c);
	if (c.overflow || c.pos >= cap)
		return 0;
	out[c.pos++] = 0;
	return c.pos;
}

/* Decodes COBS in place (the output never overtakes the input). Returns the
 * decoded length, or 0 if the bytes are not COBS. */
static size_t cobs_decode(uint8_t *buf, size_t n)
{
	size_t i = 0, o = 0;

	while (i < n) {
		uint8_t code = buf[i++];
		size_t k = (size_t)code - 1;

		if (code == 0 || k > n - i)
			return 0;
		while (k--)
			buf[o++] = buf[i++];
		if (code != 0xff && i < n)
			buf[o++] = 0;
	}
	return o;
}

void sgp_rx_init(struct sgp_rx *rx, uint8_t *buf, size_t cap)
{
	memset(rx, 0, sizeof *rx);
	rx->buf = buf;
	rx->cap = cap;
}

static int packet_parse(const uint8_t *p, size_t n, struct sgp_frame *f)
{
	if (n < SGP_PACKET_LEN(0))
		return 0;
	f->len = sgp_get16(p + 4);
	if (n != SGP_PACKET_LEN((size_t)f->len))
		return 0;
	f->crc = sgp_get32(p + n - SGP_CRC_LEN);
	if (f->crc != sgp_crc32(0, p, n - SGP_CRC_LEN))
		return 0;
	f->kind = p[0];
	f->seq = p[1];
	f->cmd = p[2];
	f->status = p[3];
	f->payload = p + SGP_HEADER_LEN;
	return 1;
}

int sgp_rx_byte(struct sgp_rx *rx, uint8_t b, struct sgp_frame *f)
{
	size_t n;
	int overflow;

	if (b != 0) {
		if (rx->len < rx->cap)
			rx->buf[rx->len++] = b;
		else
			rx->overflow = 1;
		return 0;
	}
	n = rx->len;
	overflow = rx->overflow;
	rx->len = 0;
	rx->overflow = 0;
	if (n == 0)
		return 0; /* a lone delimiter: a sender ending earlier noise */
	if (!overflow && packet_parse(rx->buf, cobs_decode(rx->buf, n), f))
		return 1;
	rx->dropped++;
	return 0;
}

/* Both prefixes with their NUL: the domain separation of §3.3. */
static const uint8_t keygen_prefix[] = "signet keygen v1";
static const uint8_t challenge_prefix[] = "signet challenge v1";

size_t sgp_signed_message(int keygen, const uint8_t *uid, uint8_t uid_len,
			  const uint8_t *nonce, const uint8_t *pub, uint8_t *out)
{
	size_t n = keygen ? sizeof keygen_prefix : sizeof challenge_prefix;

	if (uid_len > SGP_UID_MAX)
		uid_len = SGP_UID_MAX;
	memcpy(out, keygen ? keygen_prefix : challenge_prefix, n);
	out[n++] = uid_len;
	memcpy(out + n, uid, uid_len);
	n += uid_len;
	memcpy(out + n, nonce, SGP_NONCE_LEN);
	n += SGP_NONCE_LEN;
	if (keygen) {
		memcpy(out + n, pub, SGP_P256_PUB_LEN);
		n += SGP_P256_PUB_LEN;
	}
	return n;
}
