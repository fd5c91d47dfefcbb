/* The device end of the signet device protocol (docs/protocol.md): the
 * agent a firmware vendor builds into a provisioning firmware.
 *
 * Contract: C99, no heap, no libc beyond memcpy/memcmp/memset. All state is
 * in a caller-owned struct sgp_agent (about 3 * SGP_AGENT_PAYLOAD bytes;
 * static on a device). The hardware is behind struct sgp_agent_hal. The
 * firmware feeds every received byte to sgp_agent_byte and sends what it
 * returns; after sending, it resets the device if sgp_agent_reset_due says
 * so. The agent implements §2 (a repeated request gets the same answer,
 * unexecuted) and §3's command rules; the HAL only moves bytes and bits. */
#ifndef SIGNET_AGENT_H
#define SIGNET_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "signet/protocol.h"

/* The largest payload this agent takes and gives (docs/protocol.md §1). */
#ifndef SGP_AGENT_PAYLOAD
#define SGP_AGENT_PAYLOAD 512
#endif
#define SGP_AGENT_SLOTS 8

struct sgp_slot {
	uint8_t id, flags; /* SGP_SLOT_* */
	uint32_t capacity;
};

/* Every callback returns SGP_OK or the status the agent answers with
 * (SGP_HARDWARE when the hardware failed, SGP_NO_KEY, ...). */
struct sgp_agent_hal {
	void *ctx;
	const char *chip;          /* the CHIP TLV: 1..32 printable ASCII */
	const char *agent_version; /* the AGENT TLV: 1..32 printable ASCII */
	uint32_t caps;             /* SGP_CAP_* */
	const struct sgp_slot *slots;
	unsigned n_slots; /* at most SGP_AGENT_SLOTS */
	/* Copies the device's UID to uid (SGP_UID_MAX bytes) and sets *len (1..32). */
	int (*uid)(void *ctx, uint8_t *uid, uint8_t *len);
	int (*slot_length)(void *ctx, uint8_t slot, uint32_t *len);
	int (*slot_read)(void *ctx, uint8_t slot, uint32_t off, uint8_t *buf, uint32_t n);
	int (*slot_erase)(void *ctx, uint8_t slot);
	/* Appends n bytes at off, which is always the slot's length. */
	int (*slot_write)(void *ctx, uint8_t slot, uint32_t off, const uint8_t *buf, uint32_t n);
	int (*lock_state)(void *ctx, uint32_t *bits);
	/* Sets the given SGP_LOCK_* bits for good. */
	int (*lock)(void *ctx, uint32_t bits);
	/* The key pair's public key (SGP_P256_PUB_LEN bytes), SGP_NO_KEY if none. */
	int (*key_public)(void *ctx, uint8_t alg, uint8_t *pub);
	/* Makes a new key pair (replacing any) and gives its public key. */
	int (*keygen)(void *ctx, uint8_t alg, uint8_t *pub);
	/* ECDSA over SHA-256(msg) with the key pair: r || s (SGP_P256_SIG_LEN). */
	int (*sign)(void *ctx, uint8_t alg, const uint8_t *msg, size_t len, uint8_t *sig);
};

struct sgp_agent {
	const struct sgp_agent_hal *hal;
	struct sgp_rx rx;
	uint16_t max_payload; /* agreed by INFO; SGP_MIN_PAYLOAD before */
	uint8_t negotiated, reset_due;
	uint8_t last_valid, last_seq; /* §2: the last request executed ... */
	uint32_t last_crc;
	size_t tx_len; /* ... and its response, ready to send again */
	uint8_t rx_buf[SGP_WIRE_LEN(SGP_AGENT_PAYLOAD)];
	uint8_t tx_buf[SGP_WIRE_LEN(SGP_AGENT_PAYLOAD)];
	uint8_t payload[SGP_AGENT_PAYLOAD]; /* a response being built */
	uint8_t msg[SGP_SIGNED_MAX];        /* the bytes a KEYGEN or challenge signs */
};

void sgp_agent_init(struct sgp_agent *a, const struct sgp_agent_hal *hal);

/* Feeds one received byte. Returns the length of a response to send now
 * (*out points at it, valid until the next call), or 0. */
size_t sgp_agent_byte(struct sgp_agent *a, uint8_t b, const uint8_t **out);

/* Non-zero once a RESET was answered: reset after the response has left. */
static inline int sgp_agent_reset_due(const struct sgp_agent *a) { return a->reset_due; }

#endif
