/* signet sim: the agent (signet/agent.h) on a simulated device, for tests,
 * demos and benchmarks of the station (docs/provisioning.md §10).
 *
 * The device's state (UID, slots, lock bits, its P-256 key pair) lives in
 * a file, rewritten atomically after every command that changes it, so a
 * restarted simulator, like a real part after a power cut, holds what it
 * held. Faults are injected at the byte level (drop, corrupt, pace,
 * delay) and in the device (power cut, refused or faked lock, a UID that
 * changes, a signature by a key it does not report). It models the protocol and the device's rules, not
 * electricity or timing: see the document for what it does not model. */
#ifndef SIGNET_SIM_H
#define SIGNET_SIM_H

#include <signal.h>
#include <stdint.h>

#include "signet/err.h"
#include "signet/protocol.h"
#include "signet/transport.h"

struct sg_sim_opts {
	const char *state_path; /* unit 0's state; unit k's is "PATH.k" */
	uint8_t uid[SGP_UID_MAX], uid_len; /* for a new state; 0: random */
	unsigned units;           /* after each RESET the next of this many devices; 0 = 1 */
	double drop, corrupt;     /* per byte, each direction, 0..1 */
	unsigned latency_ms;      /* before each answer */
	unsigned baud;            /* pace bytes at 10 bits each; 0: unpaced */
	long power_cut_after;     /* the Nth state change is lost and the link drops; 0: never */
	int refuse_lock;          /* LOCK answers HARDWARE */
	int fake_lock;            /* LOCK is reported done, nothing is enforced */
	uint8_t lie_uid[SGP_UID_MAX], lie_uid_len; /* INFO reports this UID from the second on */
	uint8_t forge_cmd;        /* SGP_KEYGEN or SGP_SIGN_CHALLENGE: that answer's signature is
				   * made with another key than the one the device reports */
	unsigned seed;            /* for drop/corrupt */
};

struct sg_sim;

/* Loads unit 0's state, or makes it (and its key pair later, on KEYGEN).
 * SG_EINPUT if the file is not a simulator state or holds another UID. */
int sg_sim_new(const struct sg_sim_opts *o, struct sg_sim **s, struct sg_err *err);
void sg_sim_free(struct sg_sim *s);

/* The current unit's UID in hex. */
const char *sg_sim_uid(const struct sg_sim *s);

/* Serves one station over t until it goes away, *stop is set, or a power
 * cut drops the link (the device then powers up again from its file).
 * SG_OK then; SG_EENV if the state cannot be saved. */
int sg_sim_serve(struct sg_sim *s, struct sg_transport *t, volatile sig_atomic_t *stop,
		 struct sg_err *err);

#endif
