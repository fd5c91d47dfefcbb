/* The signet device protocol, version 1 (docs/protocol.md): the frame codec
 * that the station and the device agent share.
 *
 * Contract: C99, no heap, no libc beyond memcpy/memset; every buffer is the
 * caller's. Section numbers below are docs/protocol.md's:
 *   sgp_crc32            §1 the CRC over header and payload
 *   sgp_frame_encode     §1 header, payload, CRC, COBS and the delimiter
 *   sgp_rx_byte          §1 collect, COBS-decode, check: one frame at a time,
 *                        dropping noise and bad frames without an answer
 * Commands (§3), status codes (§4) and the INFO TLVs (§3.1) are the
 * constants below; what a command means is the agent's (signet/agent.h) and
 * the station's business. */
#ifndef SIGNET_PROTOCOL_H
#define SIGNET_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define SGP_VERSION 1
#define SGP_HEADER_LEN 6
#define SGP_CRC_LEN 4
#define SGP_MIN_PAYLOAD 256  /* every side accepts this much; also the limit until INFO */
#define SGP_MAX_PAYLOAD 4096 /* no side may announce more */
#define SGP_NONCE_LEN 32
#define SGP_UID_MAX 32
#define SGP_TEXT_MAX 32 /* CHIP and AGENT TLVs */
#define SGP_P256_PUB_LEN 65 /* 0x04 || X || Y */
#define SGP_P256_SIG_LEN 64 /* r || s */
#define SGP_LOCK_CONFIRM 0x4B434F4Cu /* "LOCK" as a little-endian u32 */

/* Bytes of a packet with a payload of n, and of its wire form (COBS adds one
 * byte per 254 and one at the start; plus the 0x00 delimiter). */
#define SGP_PACKET_LEN(n) ((size_t)SGP_HEADER_LEN + (size_t)(n) + SGP_CRC_LEN)
#define SGP_WIRE_LEN(n) (SGP_PACKET_LEN(n) + SGP_PACKET_LEN(n) / 254 + 2)

enum sgp_kind { SGP_REQUEST = 0x01, SGP_RESPONSE = 0x02 };

enum sgp_cmd {
	SGP_INFO = 0x01,
	SGP_KEYGEN = 0x02,
	SGP_SIGN_CHALLENGE = 0x03,
	SGP_WRITE = 0x04,
	SGP_READ = 0x05,
	SGP_LOCK = 0x06,
	SGP_LOCK_STATE = 0x07,
	SGP_RESET = 0x08,
};

enum sgp_status {
	SGP_OK = 0x00,
	SGP_UNKNOWN_COMMAND = 0x01,
	SGP_BAD_LENGTH = 0x02,
	SGP_BAD_ARGUMENT = 0x03,
	SGP_LOCKED = 0x04,
	SGP_NO_KEY = 0x05,
	SGP_UNSUPPORTED = 0x06,
	SGP_HARDWARE = 0x07,
	SGP_VERSION_MISMATCH = 0x08, /* VERSION in the document */
	SGP_FULL = 0x09,
};

enum sgp_tlv {
	SGP_TLV_UID = 0x01,
	SGP_TLV_CHIP = 0x02,
	SGP_TLV_AGENT = 0x03,
	SGP_TLV_CAPS = 0x04,
	SGP_TLV_LOCK = 0x05,
	SGP_TLV_SLOT = 0x06,
	SGP_TLV_ALGS = 0x07,
};

#define SGP_CAP_KEYGEN 0x1u    /* on-device key generation */
#define SGP_CAP_INJECT 0x2u    /* a key slot for an injected key */
#define SGP_CAP_CHALLENGE 0x4u /* SIGN_CHALLENGE */

#define SGP_LOCK_SLOTS 0x1u
#define SGP_LOCK_READBACK 0x2u
#define SGP_LOCK_DEBUG 0x4u
#define SGP_LOCK_ALL 0x7u

#define SGP_SLOT_CERT 0x01
#define SGP_SLOT_CHAIN 0x02
#define SGP_SLOT_KEY 0x03
#define SGP_SLOT_SECRET 0x1u     /* unreadable once SLOTS is locked */
#define SGP_SLOT_WRITE_ONCE 0x2u /* OTP: no second begin */

#define SGP_ALG_P256 0x01

#define SGP_KEYGEN_CREATE 0x00   /* unless one exists */
#define SGP_KEYGEN_EXISTING 0x01 /* return the existing key only */
#define SGP_KEYGEN_REPLACE 0x02
#define SGP_KEYGEN_EXISTED 0x1u /* response flags bit 0 */

#define SGP_WRITE_BEGIN 0x1u

/* A frame's header and payload. In a frame from sgp_rx_byte, payload points
 * into the receiver's buffer and is valid until its next byte. */
struct sgp_frame {
	uint8_t kind, seq, cmd, status;
	uint16_t len;
	const uint8_t *payload;
	uint32_t crc; /* as received (sgp_rx_byte) or as sent (sgp_frame_encode) */
};

/* CRC-32/ISO-HDLC (zlib's crc32): sgp_crc32(0, p, n), or continue with the
 * previous result. */
uint32_t sgp_crc32(uint32_t crc, const uint8_t *p, size_t n);

/* Writes f (kind, seq, cmd, status, len bytes of payload) to out as it goes
 * on the wire: COBS(header || payload || CRC) and 0x00. Sets f->crc.
 * Returns the bytes written, or 0 if they do not fit cap (size cap with
 * SGP_WIRE_LEN) or len is above SGP_MAX_PAYLOAD. */
size_t sgp_frame_encode(struct sgp_frame *f, uint8_t *out, size_t cap);

/* A receiver: buf (cap bytes, at least SGP_WIRE_LEN of the largest payload
 * accepted) holds one frame's wire bytes until its delimiter. */
struct sgp_rx {
	uint8_t *buf;
	size_t cap, len;
	int overflow;      /* the current frame did not fit: drop it at its end */
	uint32_t dropped;  /* frames dropped so far: noise, bad CRC, too long */
};

void sgp_rx_init(struct sgp_rx *rx, uint8_t *buf, size_t cap);

/* Feeds one byte from the stream. Returns 1 and fills *f when b completes
 * a valid frame (COBS decodes, 10 bytes or more, len agrees, CRC matches),
 * else 0 (a dropped frame counts in rx->dropped). */
int sgp_rx_byte(struct sgp_rx *rx, uint8_t b, struct sgp_frame *f);

/* The bytes a KEYGEN proof (keygen != 0; pub is the SGP_P256_PUB_LEN-byte
 * key) or a challenge answer (pub unused) signs, docs/protocol.md §3.2 and
 * §3.3, written to out (SGP_SIGNED_MAX bytes). Returns their length. */
#define SGP_SIGNED_MAX 160
size_t sgp_signed_message(int keygen, const uint8_t *uid, uint8_t uid_len,
			  const uint8_t *nonce, const uint8_t *pub, uint8_t *out);

/* Little-endian helpers for payload fields. */
static inline uint16_t sgp_get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t sgp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void sgp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void sgp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#endif
