/* The device agent (provision/agent/agent.c) over real frames, on a RAM
 * device whose key pair and signatures are OpenSSL's, checked with OpenSSL
 * against docs/protocol.md's signed bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "p256_util.h"
#include "ram_hal.h"

struct rig {
	struct ram_device dev;
	struct sgp_agent_hal hal;
	struct sgp_agent agent;
	uint8_t seq;
	/* the last response */
	uint8_t status;
	uint16_t len;
	uint8_t payload[SGP_AGENT_PAYLOAD];
	uint8_t wire[SGP_WIRE_LEN(SGP_AGENT_PAYLOAD)]; /* as sent */
	size_t wire_len;
};

static int ossl_keygen(struct ram_device *d, uint8_t *pub)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	size_t n = 0;

	if (!k || !EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pub, SGP_P256_PUB_LEN, &n) ||
	    n != SGP_P256_PUB_LEN)
		return SGP_HARDWARE;
	EVP_PKEY_free(d->key);
	d->key = k;
	return SGP_OK;
}

/* ECDSA over SHA-256(msg), DER from OpenSSL turned into r || s. */
static int ossl_sign(struct ram_device *d, const uint8_t *msg, size_t len, uint8_t *sig)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t der[80];
	const uint8_t *p = der;
	size_t n = sizeof der;
	ECDSA_SIG *s = NULL;
	int ok = c && EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, d->key) == 1 &&
		 EVP_DigestSign(c, der, &n, msg, len) == 1 && (s = d2i_ECDSA_SIG(NULL, &p, (long)n)) &&
		 BN_bn2binpad(ECDSA_SIG_get0_r(s), sig, 32) == 32 &&
		 BN_bn2binpad(ECDSA_SIG_get0_s(s), sig + 32, 32) == 32;

	ECDSA_SIG_free(s);
	EVP_MD_CTX_free(c);
	return ok ? SGP_OK : SGP_HARDWARE;
}

static int setup(void **state)
{
	struct rig *r = calloc(1, sizeof *r);

	memcpy(r->dev.uid, "\x53\x49\x4d\x00\x00\x00\x2a\x01", 8);
	r->dev.uid_len = 8;
	r->dev.keygen = ossl_keygen;
	r->dev.sign = ossl_sign;
	ram_hal_init(&r->hal, &r->dev, SGP_CAP_KEYGEN | SGP_CAP_INJECT | SGP_CAP_CHALLENGE);
	sgp_agent_init(&r->agent, &r->hal);
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rig *r = *state;

	EVP_PKEY_free(r->dev.key);
	free(r);
	return 0;
}

/* Sends one request with sequence number seq; returns the response status
 * (-1: no response). The response is in r->payload / r->len / r->wire. */
static int send_seq(struct rig *r, uint8_t seq, uint8_t cmd, const void *payload, uint16_t len)
{
	uint8_t wire[SGP_WIRE_LEN(SGP_AGENT_PAYLOAD)], rxbuf[sizeof r->wire];
	struct sgp_frame f = {SGP_REQUEST, seq, cmd, 0, len, payload, 0}, g;
	struct sgp_rx rx;
	const uint8_t *out = NULL;
	size_t n = sgp_frame_encode(&f, wire, sizeof wire), m = 0;
	int got = 0;

	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		size_t k = sgp_agent_byte(&r->agent, wire[i], &out);
		if (k) {
			assert_int_equal(i, n - 1); /* an answer only when the frame is complete */
			m = k;
		}
	}
	if (!m)
		return -1;
	memcpy(r->wire, out, m);
	r->wire_len = m;
	sgp_rx_init(&rx, rxbuf, sizeof rxbuf);
	for (size_t i = 0; i < m; i++)
		got += sgp_rx_byte(&rx, out[i], &g);
	assert_int_equal(got, 1);
	assert_int_equal(g.kind, SGP_RESPONSE);
	assert_int_equal(g.seq, seq);
	assert_int_equal(g.cmd, cmd);
	if (g.status != SGP_OK)
		assert_int_equal(g.len, 0);
	r->status = g.status;
	r->len = g.len;
	memcpy(r->payload, g.payload, g.len);
	return g.status;
}

static int send(struct rig *r, uint8_t cmd, const void *payload, uint16_t len)
{
	return send_seq(r, ++r->seq, cmd, payload, len);
}

static int info(struct rig *r)
{
	const uint8_t req[4] = {1, 1, 0x00, 0x04}; /* versions 1..1, max payload 1024 */

	return send(r, SGP_INFO, req, sizeof req);
}

/* Finds TLV type in an INFO response; returns its value and length. */
static const uint8_t *tlv(struct rig *r, uint8_t type, int nth, uint8_t *len)
{
	for (size_t i = 3; i + 2 <= r->len; i += 2u + r->payload[i + 1]) {
		assert_true(i + 2 + r->payload[i + 1] <= r->len);
		if (r->payload[i] == type && nth-- == 0) {
			*len = r->payload[i + 1];
			return r->payload + i + 2;
		}
	}
	return NULL;
}

static void test_info_first(void **state)
{
	struct rig *r = *state;
	const uint8_t *v;
	uint8_t len, nonce[SGP_NONCE_LEN] = {0};

	/* nothing but INFO before INFO */
	assert_int_equal(send(r, SGP_LOCK_STATE, NULL, 0), SGP_VERSION_MISMATCH);
	assert_int_equal(send(r, SGP_SIGN_CHALLENGE, nonce, sizeof nonce), SGP_VERSION_MISMATCH);
	/* no common version; a max payload below 256; a short request */
	assert_int_equal(send(r, SGP_INFO, "\x02\x03\x00\x04", 4), SGP_VERSION_MISMATCH);
	assert_int_equal(send(r, SGP_INFO, "\x01\x01\xff\x00", 4), SGP_BAD_ARGUMENT);
	assert_int_equal(send(r, SGP_INFO, "\x01\x01\x00", 3), SGP_BAD_LENGTH);
	assert_int_equal(send(r, SGP_LOCK_STATE, NULL, 0), SGP_VERSION_MISMATCH);

	assert_int_equal(info(r), SGP_OK);
	assert_int_equal(r->payload[0], SGP_VERSION);
	assert_int_equal(sgp_get16(r->payload + 1), SGP_AGENT_PAYLOAD);
	assert_non_null(v = tlv(r, SGP_TLV_UID, 0, &len));
	assert_int_equal(len, 8);
	assert_memory_equal(v, r->dev.uid, 8);
	assert_non_null(v = tlv(r, SGP_TLV_CHIP, 0, &len));
	assert_int_equal(len, 6);
	assert_memory_equal(v, "ramdev", 6);
	assert_non_null(v = tlv(r, SGP_TLV_CAPS, 0, &len));
	assert_int_equal(sgp_get32(v), 7);
	assert_non_null(v = tlv(r, SGP_TLV_LOCK, 0, &len));
	assert_int_equal(sgp_get32(v), 0);
	assert_non_null(v = tlv(r, SGP_TLV_SLOT, 2, &len));
	assert_int_equal(len, 6);
	assert_int_equal(v[0], SGP_SLOT_KEY);
	assert_int_equal(v[1], SGP_SLOT_SECRET);
	assert_int_equal(sgp_get32(v + 2), 64);
	assert_null(tlv(r, SGP_TLV_SLOT, 4, &len));
	assert_non_null(v = tlv(r, SGP_TLV_ALGS, 0, &len));
	assert_int_equal(v[0], SGP_ALG_P256);
	assert_int_equal(send(r, SGP_LOCK_STATE, NULL, 0), SGP_OK);
	assert_int_equal(send(r, 0x7f, NULL, 0), SGP_UNKNOWN_COMMAND);
}

static void keygen_req(uint8_t *req, uint8_t mode, uint8_t *nonce)
{
	req[0] = mode;
	req[1] = SGP_ALG_P256;
	assert_int_equal(RAND_bytes(nonce, SGP_NONCE_LEN), 1);
	memcpy(req + 2, nonce, SGP_NONCE_LEN);
}

/* Checks a KEYGEN response's proof; copies the public key to pub. */
static void check_keygen(struct rig *r, const uint8_t *nonce, uint8_t *pub)
{
	uint8_t msg[SGP_SIGNED_MAX];
	size_t n;

	assert_int_equal(r->len, 4 + 65 + 2 + 64);
	assert_int_equal(r->payload[1], SGP_ALG_P256);
	assert_int_equal(sgp_get16(r->payload + 2), 65);
	assert_int_equal(sgp_get16(r->payload + 69), 64);
	n = sgp_signed_message(1, r->dev.uid, r->dev.uid_len, nonce, r->payload + 4, msg);
	assert_true(p256_verify(r->payload + 4, msg, n, r->payload + 71));
	/* the same signature does not pass for another nonce */
	msg[30] ^= 1;
	assert_false(p256_verify(r->payload + 4, msg, n, r->payload + 71));
	memcpy(pub, r->payload + 4, 65);
}

static void test_keygen_and_challenge(void **state)
{
	struct rig *r = *state;
	uint8_t req[34], nonce[32], pub[65], pub2[65], msg[SGP_SIGNED_MAX];

	assert_int_equal(info(r), SGP_OK);
	keygen_req(req, SGP_KEYGEN_EXISTING, nonce);
	assert_int_equal(send(r, SGP_KEYGEN, req, 34), SGP_NO_KEY);
	assert_int_equal(send(r, SGP_SIGN_CHALLENGE, nonce, 32), SGP_NO_KEY);
	keygen_req(req, SGP_KEYGEN_CREATE, nonce);
	assert_int_equal(send(r, SGP_KEYGEN, req, 34), SGP_OK);
	assert_int_equal(r->payload[0], 0); /* new */
	check_keygen(r, nonce, pub);
	assert_int_equal(r->dev.keygens, 1);

	/* create again: the existing key, a fresh proof */
	keygen_req(req, SGP_KEYGEN_CREATE, nonce);
	assert_int_equal(send(r, SGP_KEYGEN, req, 34), SGP_OK);
	assert_int_equal(r->payload[0], SGP_KEYGEN_EXISTED);
	check_keygen(r, nonce, pub2);
	assert_memory_equal(pub, pub2, 65);
	assert_int_equal(r->dev.keygens, 1);

	/* a challenge answer verifies over the challenge bytes, not as a KEYGEN proof */
	assert_int_equal(RAND_bytes(nonce, 32), 1);
	assert_int_equal(send(r, SGP_SIGN_CHALLENGE, nonce, 32), SGP_OK);
	assert_int_equal(r->len, 66);
	size_t n = sgp_signed_message(0, r->dev.uid, r->dev.uid_len, nonce, NULL, msg);
	assert_true(p256_verify(pub, msg, n, r->payload + 2));
	n = sgp_signed_message(1, r->dev.uid, r->dev.uid_len, nonce, pub, msg);
	assert_false(p256_verify(pub, msg, n, r->payload + 2));

	/* replace: a new key */
	keygen_req(req, SGP_KEYGEN_REPLACE, nonce);
	assert_int_equal(send(r, SGP_KEYGEN, req, 34), SGP_OK);
	check_keygen(r, nonce, pub2);
	assert_memory_not_equal(pub, pub2, 65);

	/* bad mode, algorithm, length */
	keygen_req(req, 3, nonce);
	assert_int_equal(send(r, SGP_KEYGEN, req, 34), SGP_BAD_ARGUMENT);
	keygen_req(req, 0, nonce);
	req[1] = 2;
	assert_int_equal(send(r, SGP_KEYGEN, req, 34), SGP_UNSUPPORTED);
	assert_int_equal(send(r, SGP_KEYGEN, req, 33), SGP_BAD_LENGTH);
	assert_int_equal(send(r, SGP_SIGN_CHALLENGE, nonce, 31), SGP_BAD_LENGTH);
}

static void test_without_caps(void **state)
{
	struct rig *r = *state;
	uint8_t req[34], nonce[32];

	r->hal.caps = SGP_CAP_INJECT;
	assert_int_equal(info(r), SGP_OK);
	keygen_req(req, SGP_KEYGEN_CREATE, nonce);
	assert_int_equal(send(r, SGP_KEYGEN, req, 34), SGP_UNSUPPORTED);
	assert_int_equal(send(r, SGP_SIGN_CHALLENGE, nonce, 32), SGP_UNSUPPORTED);
	assert_int_equal(r->dev.keygens, 0);
}

/* §2: a request repeated byte for byte gets the same answer and is not
 * executed again; a new sequence number executes. */
static void test_retry_is_not_executed_twice(void **state)
{
	struct rig *r = *state;
	uint8_t req[34], nonce[32], first[sizeof r->wire], w[10];
	size_t first_len;

	assert_int_equal(info(r), SGP_OK);
	keygen_req(req, SGP_KEYGEN_REPLACE, nonce);
	assert_int_equal(send_seq(r, 40, SGP_KEYGEN, req, 34), SGP_OK);
	memcpy(first, r->wire, r->wire_len);
	first_len = r->wire_len;
	assert_int_equal(send_seq(r, 40, SGP_KEYGEN, req, 34), SGP_OK);
	assert_int_equal(r->wire_len, first_len);
	assert_memory_equal(r->wire, first, first_len);
	assert_int_equal(r->dev.keygens, 1);
	/* same seq, other bytes: a new request */
	req[2] ^= 1;
	assert_int_equal(send_seq(r, 40, SGP_KEYGEN, req, 34), SGP_OK);
	assert_int_equal(r->dev.keygens, 2);
	/* a repeated WRITE appends once */
	w[0] = SGP_SLOT_CERT, w[1] = SGP_WRITE_BEGIN;
	sgp_put32(w + 2, 0);
	w[6] = 'a', w[7] = 'b';
	assert_int_equal(send_seq(r, 41, SGP_WRITE, w, 8), SGP_OK);
	assert_int_equal(send_seq(r, 41, SGP_WRITE, w, 8), SGP_OK);
	assert_int_equal(r->dev.writes, 1);
	assert_int_equal(r->dev.len[0], 2);
	/* a repeated LOCK locks once */
	uint8_t l[8];
	sgp_put32(l, SGP_LOCK_SLOTS);
	sgp_put32(l + 4, SGP_LOCK_CONFIRM);
	assert_int_equal(send_seq(r, 42, SGP_LOCK, l, 8), SGP_OK);
	assert_int_equal(send_seq(r, 42, SGP_LOCK, l, 8), SGP_OK);
	assert_int_equal(r->dev.locks, 1);
}

static int write_chunk(struct rig *r, uint8_t slot, uint8_t flags, uint32_t off, const uint8_t *d,
		       uint16_t n)
{
	uint8_t req[SGP_AGENT_PAYLOAD];

	req[0] = slot;
	req[1] = flags;
	sgp_put32(req + 2, off);
	memcpy(req + 6, d, n);
	return send(r, SGP_WRITE, req, (uint16_t)(6 + n));
}

static int read_chunk(struct rig *r, uint8_t slot, uint32_t off, uint16_t max)
{
	uint8_t req[7];

	req[0] = slot;
	sgp_put32(req + 1, off);
	sgp_put16(req + 5, max);
	return send(r, SGP_READ, req, sizeof req);
}

static void test_write_and_read_slots(void **state)
{
	struct rig *r = *state;
	uint8_t data[1500], back[1500];
	uint32_t off = 0, got = 0;

	assert_int_equal(info(r), SGP_OK);
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 7);
	/* front to back in chunks of the agreed payload less the header */
	while (off < sizeof data) {
		uint16_t n = (uint16_t)(sizeof data - off < 506 ? sizeof data - off : 506);
		assert_int_equal(write_chunk(r, SGP_SLOT_CHAIN, off ? 0 : SGP_WRITE_BEGIN, off, data + off, n),
				 SGP_OK);
		off += n;
		assert_int_equal(sgp_get32(r->payload), off);
	}
	/* a chunk sent again at the old offset is refused, not written twice */
	assert_int_equal(write_chunk(r, SGP_SLOT_CHAIN, 0, 506, data, 10), SGP_BAD_ARGUMENT);
	/* begin must be at 0; unknown flags and slots */
	assert_int_equal(write_chunk(r, SGP_SLOT_CHAIN, SGP_WRITE_BEGIN, 4, data, 10), SGP_BAD_ARGUMENT);
	assert_int_equal(write_chunk(r, SGP_SLOT_CHAIN, 2, off, data, 10), SGP_BAD_ARGUMENT);
	assert_int_equal(write_chunk(r, 0x55, SGP_WRITE_BEGIN, 0, data, 10), SGP_BAD_ARGUMENT);
	assert_int_equal(send(r, SGP_WRITE, data, 5), SGP_BAD_LENGTH);
	/* beyond the capacity */
	assert_int_equal(write_chunk(r, SGP_SLOT_CHAIN, 0, off, data, 500), SGP_OK);
	assert_int_equal(write_chunk(r, SGP_SLOT_CHAIN, 0, off + 500, data, 49), SGP_FULL);
	assert_int_equal(write_chunk(r, SGP_SLOT_CHAIN, 0, off + 500, data, 48), SGP_OK);
	assert_int_equal(write_chunk(r, SGP_SLOT_CHAIN, 0, 2048, data, 1), SGP_FULL);
	/* an empty write changes nothing */
	assert_int_equal(write_chunk(r, SGP_SLOT_CHAIN, 0, 2048, data, 0), SGP_OK);
	assert_int_equal(sgp_get32(r->payload), 2048);

	/* read back in chunks capped by the agreed payload */
	while (got < sizeof data) {
		assert_int_equal(read_chunk(r, SGP_SLOT_CHAIN, got, 0xffff), SGP_OK);
		assert_int_equal(sgp_get32(r->payload), 2048);
		assert_int_equal(r->len - 4, 508);
		memcpy(back + got, r->payload + 4, sizeof data - got < 508 ? sizeof data - got : 508);
		got += 508;
	}
	assert_memory_equal(back, data, sizeof data);
	assert_int_equal(read_chunk(r, SGP_SLOT_CHAIN, 2040, 100), SGP_OK);
	assert_int_equal(r->len, 4 + 8);
	assert_int_equal(read_chunk(r, SGP_SLOT_CHAIN, 5000, 100), SGP_OK);
	assert_int_equal(r->len, 4);
	assert_int_equal(read_chunk(r, 0x55, 0, 100), SGP_BAD_ARGUMENT);
	assert_int_equal(send(r, SGP_READ, data, 6), SGP_BAD_LENGTH);

	/* begin erases */
	assert_int_equal(write_chunk(r, SGP_SLOT_CHAIN, SGP_WRITE_BEGIN, 0, data, 3), SGP_OK);
	assert_int_equal(read_chunk(r, SGP_SLOT_CHAIN, 0, 100), SGP_OK);
	assert_int_equal(sgp_get32(r->payload), 3);

	/* write-once: a second begin is refused */
	assert_int_equal(write_chunk(r, 0x10, SGP_WRITE_BEGIN, 0, data, 3), SGP_OK);
	assert_int_equal(write_chunk(r, 0x10, 0, 3, data, 3), SGP_OK);
	assert_int_equal(write_chunk(r, 0x10, SGP_WRITE_BEGIN, 0, data, 3), SGP_LOCKED);
	assert_int_equal(r->dev.len[3], 6);
}

static void test_lock(void **state)
{
	struct rig *r = *state;
	uint8_t l[8], req[34], nonce[32], pub[65], key[32] = {1, 2, 3};

	assert_int_equal(info(r), SGP_OK);
	assert_int_equal(write_chunk(r, SGP_SLOT_CERT, SGP_WRITE_BEGIN, 0, (const uint8_t *)"cert", 4), SGP_OK);
	assert_int_equal(write_chunk(r, SGP_SLOT_KEY, SGP_WRITE_BEGIN, 0, key, sizeof key), SGP_OK);
	assert_int_equal(read_chunk(r, SGP_SLOT_KEY, 0, 64), SGP_OK); /* secret, but not locked yet */

	/* LOCK needs its confirmation word and no reserved bit */
	sgp_put32(l, SGP_LOCK_ALL);
	sgp_put32(l + 4, SGP_LOCK_CONFIRM ^ 1);
	assert_int_equal(send(r, SGP_LOCK, l, 8), SGP_BAD_ARGUMENT);
	sgp_put32(l, 0x8);
	sgp_put32(l + 4, SGP_LOCK_CONFIRM);
	assert_int_equal(send(r, SGP_LOCK, l, 8), SGP_BAD_ARGUMENT);
	assert_int_equal(send(r, SGP_LOCK, l, 7), SGP_BAD_LENGTH);
	assert_int_equal(r->dev.locks, 0);
	/* a hardware failure is reported, not a state */
	r->dev.fail_lock = 1;
	sgp_put32(l, SGP_LOCK_ALL);
	assert_int_equal(send(r, SGP_LOCK, l, 8), SGP_HARDWARE);
	r->dev.fail_lock = 0;

	assert_int_equal(send(r, SGP_LOCK, l, 8), SGP_OK);
	assert_int_equal(sgp_get32(r->payload), SGP_LOCK_ALL);
	assert_int_equal(send(r, SGP_LOCK_STATE, NULL, 0), SGP_OK);
	assert_int_equal(sgp_get32(r->payload), SGP_LOCK_ALL);

	/* slots refuse writes, the empty probe included; secret slots are unreadable */
	assert_int_equal(write_chunk(r, SGP_SLOT_CERT, 0, 4, (const uint8_t *)"x", 1), SGP_LOCKED);
	assert_int_equal(write_chunk(r, SGP_SLOT_CERT, 0, 4, (const uint8_t *)"", 0), SGP_LOCKED);
	assert_int_equal(write_chunk(r, SGP_SLOT_CERT, SGP_WRITE_BEGIN, 0, (const uint8_t *)"", 0), SGP_LOCKED);
	assert_int_equal(read_chunk(r, SGP_SLOT_KEY, 0, 64), SGP_LOCKED);
	assert_int_equal(read_chunk(r, SGP_SLOT_CERT, 0, 64), SGP_OK);
	assert_memory_equal(r->payload + 4, "cert", 4);
	/* no new key once locked ... */
	keygen_req(req, SGP_KEYGEN_CREATE, nonce);
	assert_int_equal(send(r, SGP_KEYGEN, req, 34), SGP_LOCKED);
	keygen_req(req, SGP_KEYGEN_REPLACE, nonce);
	assert_int_equal(send(r, SGP_KEYGEN, req, 34), SGP_LOCKED);
	assert_int_equal(r->dev.keygens, 0);
	/* ... and with a key made before the lock, the key answers */
	r->dev.lock_bits = 0;
	keygen_req(req, SGP_KEYGEN_CREATE, nonce);
	assert_int_equal(send(r, SGP_KEYGEN, req, 34), SGP_OK);
	check_keygen(r, nonce, pub);
	r->dev.lock_bits = SGP_LOCK_ALL;
	keygen_req(req, SGP_KEYGEN_EXISTING, nonce);
	assert_int_equal(send(r, SGP_KEYGEN, req, 34), SGP_OK);
	assert_int_equal(send(r, SGP_SIGN_CHALLENGE, nonce, 32), SGP_OK);
}

static void test_reset(void **state)
{
	struct rig *r = *state;

	assert_int_equal(info(r), SGP_OK);
	assert_false(sgp_agent_reset_due(&r->agent));
	assert_int_equal(send(r, SGP_RESET, "x", 1), SGP_BAD_LENGTH);
	assert_false(sgp_agent_reset_due(&r->agent));
	assert_int_equal(send(r, SGP_RESET, NULL, 0), SGP_OK);
	assert_true(sgp_agent_reset_due(&r->agent));
	/* a fresh agent after the reset: INFO first again */
	sgp_agent_init(&r->agent, &r->hal);
	assert_int_equal(send(r, SGP_LOCK_STATE, NULL, 0), SGP_VERSION_MISMATCH);
}

/* Responses and frames of another kind get no answer. */
static void test_only_requests_answered(void **state)
{
	struct rig *r = *state;
	uint8_t wire[64];
	const uint8_t *out;
	struct sgp_frame f = {SGP_RESPONSE, 1, SGP_INFO, 0, 4, (const uint8_t *)"\x01\x01\x00\x04", 0};
	size_t n = sgp_frame_encode(&f, wire, sizeof wire), k = 0;

	for (size_t i = 0; i < n; i++)
		k += sgp_agent_byte(&r->agent, wire[i], &out);
	f.kind = 0x03;
	n = sgp_frame_encode(&f, wire, sizeof wire);
	for (size_t i = 0; i < n; i++)
		k += sgp_agent_byte(&r->agent, wire[i], &out);
	assert_int_equal(k, 0);
	assert_int_equal(info(r), SGP_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_info_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keygen_and_challenge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_without_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_is_not_executed_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_and_read_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_requests_answered, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
