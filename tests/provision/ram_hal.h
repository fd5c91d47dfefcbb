/* A device for the agent's tests and fuzzer: slots, lock bits and a key
 * pair in RAM, counting what the agent asked of it. Signing is the test's
 * (OpenSSL in test_agent.c); without a sign function the HAL answers
 * SGP_HARDWARE, which the fuzzer uses. */
#ifndef SIGNET_TEST_RAM_HAL_H
#define SIGNET_TEST_RAM_HAL_H

#include "signet/agent.h"

struct ram_device {
	uint8_t uid[SGP_UID_MAX], uid_len;
	uint8_t data[SGP_AGENT_SLOTS][2048];
	uint32_t len[SGP_AGENT_SLOTS];
	uint32_t lock_bits;
	int has_key;
	uint8_t pub[SGP_P256_PUB_LEN];
	int keygens, locks, writes; /* calls made */
	int fail_lock;              /* the lock callback fails with SGP_HARDWARE */
	/* Makes a key pair (its public key to pub) or signs SHA-256(msg). */
	int (*keygen)(struct ram_device *d, uint8_t *pub);
	int (*sign)(struct ram_device *d, const uint8_t *msg, size_t len, uint8_t *sig);
	void *key; /* the test's */
};

/* Slots: 1 cert (1024), 2 chain (2048), 3 key (secret, 64), 4 OTP (write-once, 32). */
extern const struct sgp_slot ram_slots[4];

/* Fills hal with callbacks on d; caps as given. */
void ram_hal_init(struct sgp_agent_hal *hal, struct ram_device *d, uint32_t caps);

#endif
