/* Inside the simulator: the device (sim_device.c) and the link (sim.c). */
#ifndef SIGNET_SIM_PRIV_H
#define SIGNET_SIM_PRIV_H

#include <openssl/evp.h>

#include "signet/agent.h"
#include "signet/sim.h"

#define SIM_SLOTS 4

/* One simulated device: what its flash, OTP and fuses hold. */
struct sim_device {
	uint8_t uid[SGP_UID_MAX], uid_len;
	uint32_t lock_bits;
	int has_key;
	uint8_t priv[32], pub[SGP_P256_PUB_LEN];
	uint8_t *data[SIM_SLOTS];
	uint32_t len[SIM_SLOTS];
};

struct sg_sim {
	struct sg_sim_opts o;
	unsigned unit;
	char path[4096]; /* the current unit's state file */
	struct sim_device dev;
	EVP_PKEY *key;   /* dev's key pair, when it has one */
	struct sgp_agent_hal hal;
	struct sgp_agent agent;
	char uid_hex[2 * SGP_UID_MAX + 1];
	/* faults */
	long changes;    /* state changes so far (for power_cut_after) */
	int power_cut;   /* the link must drop now */
	int save_failed;
	struct sg_err save_err;
	uint8_t cmd;     /* the command being answered (a second receiver reads along) */
	unsigned infos;  /* INFO requests seen */
	struct sgp_rx peek;
	uint8_t peek_buf[SGP_WIRE_LEN(SGP_AGENT_PAYLOAD)];
	unsigned rng;
};

extern const struct sgp_slot sim_slots[SIM_SLOTS];

/* Loads s->path into s->dev (a missing file: a new device with uid), and
 * fills s->hal. */
int sim_device_load(struct sg_sim *s, const uint8_t *uid, uint8_t uid_len, struct sg_err *err);
void sim_device_clear(struct sg_sim *s);

#endif
