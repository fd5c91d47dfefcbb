/* A throw-away SoftHSM2 for tests: a temp dir with its own softhsm2.conf and
 * token store, one initialised token, and a PIN file. Nothing outside the
 * temp dir is touched except two environment variables, restored by
 * teardown:
 *   SOFTHSM2_CONF         points at the fixture's conf (SoftHSM reads it at
 *                         C_Initialize, so set up before opening a context)
 *   SIGNET_PKCS11_MODULE  points at the SoftHSM2 module, for the CLI
 *                         (cli_hsm_ctx_new, the signet binary); hsm/
 *                         itself reads no environment
 * The module is $SIGNET_TEST_SOFTHSM_MODULE or
 * /usr/lib/softhsm/libsofthsm2.so. Not thread-safe (environment). */
#ifndef SIGNET_SOFTHSM_FIXTURE_H
#define SIGNET_SOFTHSM_FIXTURE_H

#include <stddef.h>

#include "signet/hsm.h"

#define SG_TEST_PATH_MAX 512

struct sg_test_softhsm {
	char dir[SG_TEST_PATH_MAX];      /* temp dir holding everything below */
	char conf[SG_TEST_PATH_MAX];     /* dir/softhsm2.conf */
	char module[SG_TEST_PATH_MAX];   /* SoftHSM2 module path */
	char pin_file[SG_TEST_PATH_MAX]; /* dir/pin: the user PIN and "\n", mode 0600 */
	char pin[32];                    /* user PIN of the token */
	char so_pin[32];                 /* SO PIN of the token */
	char label[33];                  /* token label */
	char *saved_conf, *saved_module; /* environment before setup */
};

/* Makes the temp dir, conf and token `label` (softhsm2-util --init-token
 * --free). Returns 0, or -1 after printing why on stderr (then nothing is
 * left behind). */
int sg_test_softhsm_setup(struct sg_test_softhsm *t, const char *label);

/* Another token in the same store, with its own PINs. 0 or -1. */
int sg_test_softhsm_add_token(const struct sg_test_softhsm *t, const char *label,
			      const char *so_pin, const char *pin);

/* Removes the temp dir and restores the environment. Safe to call twice. */
void sg_test_softhsm_teardown(struct sg_test_softhsm *t);

/* "pkcs11:token=LABEL;object=OBJECT;pin-source=file:PIN_FILE" into buf,
 * percent-encoded; object NULL leaves object= out. Returns buf (truncated
 * output is an abort: tests must not run on a wrong URI). */
char *sg_test_softhsm_uri(const struct sg_test_softhsm *t, const char *object, char *buf,
			  size_t n);

/* sg_hsm_ctx_new(t->module) with the token's PIN as its PIN source
 * (sg_hsm_ctx_set_pin: hsm/ reads no PIN itself). NULL out of memory. */
struct sg_hsm_ctx *sg_test_softhsm_ctx(const struct sg_test_softhsm *t);

/* Generates a key of type called object in the token through ctx and
 * opens it; NULL (after a line on stderr) when that fails. */
struct sg_hsm_key *sg_test_softhsm_key(const struct sg_test_softhsm *t, struct sg_hsm_ctx *ctx,
				       const char *object, enum sg_key_type type);

/* Runs argv[0] (searched in PATH) with argv, no shell. Captures stdout and
 * stderr together into out (NUL-terminated, truncated to out_len - 1) when
 * out is not NULL. Returns the exit status, or -1 if it could not run or
 * died of a signal. */
int sg_test_run(const char *const argv[], char *out, size_t out_len);

#endif
