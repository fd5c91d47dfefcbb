/* Helpers shared by the hsm/ tests: independent checks with OpenSSL and
 * the token's own tools, so the tests do not trust the code under test. */
#ifndef SIGNET_HSM_TEST_H
#define SIGNET_HSM_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h" /* cli_hsm_ctx_new: the CLI's PIN source reads pin-source files */
#include "signet/hsm.h"
#include "softhsm_fixture.h"

/* Verifies sig over msg with the DER SPKI, using the algorithm hsm.h
 * documents for type; also checks the SPKI holds a key of that type.
 * 1 valid, 0 invalid or wrong key. */
int test_verify(const uint8_t *spki, size_t spki_len, enum sg_key_type type, const uint8_t *msg,
		size_t msg_len, const uint8_t *sig, size_t sig_len);

/* pkcs11-tool on the fixture's token, logged in: args are appended to
 * --module M --token-label L --login --pin P. Exit status; output in out. */
int test_pkcs11_tool(const struct sg_test_softhsm *t, const char *const args[], char *out,
		     size_t out_len);

/* Writes len bytes to dir/name, mode 0600 (PIN files must be private);
 * returns the path in path (n bytes). */
void test_write(const struct sg_test_softhsm *t, const char *name, const void *data, size_t len,
		char *path, size_t n);

/* snprintf that aborts rather than truncate (a cut URI would test the
 * wrong thing). Returns buf. */
char *test_fmt(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
