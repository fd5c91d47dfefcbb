/* The station's end of the device protocol (docs/protocol.md): requests
 * over a transport, with the retries of §2, and each command as a call.
 *
 * Every call returns SG_OK; SG_FAIL when the agent answered with another
 * status (sg_device_status says which, e.g. SGP_LOCKED); or SG_EENV when no
 * valid answer came: sg_device_reason then says "transport" (the link
 * failed), "no-response" (silence or garbage through every retry) or
 * "bad-agent" (an answer that breaks the protocol). The station turns these
 * into a unit's failure reasons (docs/provisioning.md §2). */
#ifndef SIGNET_DEVICE_H
#define SIGNET_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "signet/err.h"
#include "signet/protocol.h"
#include "signet/transport.h"

#define SG_DEVICE_SLOTS 16

struct sg_device_info {
	uint8_t version;
	uint16_t max_payload; /* agreed */
	uint8_t uid[SGP_UID_MAX], uid_len;
	char uid_hex[2 * SGP_UID_MAX + 1]; /* how the station names the device */
	char chip[SGP_TEXT_MAX + 1], agent[SGP_TEXT_MAX + 1];
	uint32_t caps, lock_bits;
	struct {
		uint8_t id, flags;
		uint32_t capacity;
	} slots[SG_DEVICE_SLOTS];
	unsigned n_slots;
	uint8_t algs[8];
	unsigned n_algs;
};

struct sg_device_opts {
	int timeout_ms;      /* per answer, beyond the bytes' time on the wire; 0: 1000 */
	int slow_timeout_ms; /* KEYGEN and LOCK; 0: 10000 */
	int retries;         /* 0: 3; -1: none */
	unsigned baud;       /* the line's rate, for the bytes' time; 0: not limited */
};

struct sg_device_stats {
	unsigned long long requests, retries, bytes_out, bytes_in, frames_dropped;
	unsigned long long link_ns; /* from each request's first byte out to its answer, retries
				     * included: the link's and the device's time, not the station's */
};

struct sg_device;

/* Takes over t (closed with the device). */
int sg_device_new(struct sg_transport *t, const struct sg_device_opts *o, struct sg_device **d,
		  struct sg_err *err);
void sg_device_free(struct sg_device *d);

uint8_t sg_device_status(const struct sg_device *d);
const char *sg_device_reason(const struct sg_device *d);
const struct sg_device_stats *sg_device_stats(const struct sg_device *d);
const char *sg_device_status_name(uint8_t status);

/* INFO: version 1, the agreed max payload; checks the TLVs (required ones
 * present once, lengths right) and fills *info. */
int sg_device_info(struct sg_device *d, struct sg_device_info *info, struct sg_err *err);

/* KEYGEN with mode (SGP_KEYGEN_*) and the station's nonce: the public key
 * and the proof signature (not yet checked: the caller verifies it over
 * sgp_signed_message). *existed: the key was there before. */
int sg_device_keygen(struct sg_device *d, uint8_t mode, const uint8_t nonce[SGP_NONCE_LEN],
		     uint8_t pub[SGP_P256_PUB_LEN], uint8_t sig[SGP_P256_SIG_LEN], int *existed,
		     struct sg_err *err);
int sg_device_challenge(struct sg_device *d, const uint8_t nonce[SGP_NONCE_LEN],
			uint8_t sig[SGP_P256_SIG_LEN], struct sg_err *err);

/* Writes the slot afresh (begin, then chunks); an empty write at the end
 * when len is 0 checks only that the slot takes writes. */
int sg_device_write_slot(struct sg_device *d, uint8_t slot, const uint8_t *data, size_t len,
			 struct sg_err *err);
/* An empty WRITE at offset off: SG_OK if the slot takes writes, SG_FAIL
 * with status SGP_LOCKED if locked (docs/provisioning.md, lock-check). */
int sg_device_probe_write(struct sg_device *d, uint8_t slot, uint32_t off, struct sg_err *err);
/* Reads the whole slot into buf (cap bytes); *len is its length. SG_FAIL
 * (status SGP_FULL) if it does not fit cap. */
int sg_device_read_slot(struct sg_device *d, uint8_t slot, uint8_t *buf, size_t cap, size_t *len,
			struct sg_err *err);

int sg_device_lock(struct sg_device *d, uint32_t bits, uint32_t *state, struct sg_err *err);
int sg_device_lock_state(struct sg_device *d, uint32_t *state, struct sg_err *err);
int sg_device_reset(struct sg_device *d, struct sg_err *err);

#endif
