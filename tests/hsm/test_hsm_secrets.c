/* Keeping PINs out of reach: core dumps off before a PIN is read (hsm/),
 * SIGNET_PIN scrubbed from the environment as it is read (the CLI's PIN
 * source, cli/pin.c, keeps its own locked copy for later logins in the same
 * process); PIN files private to their owner. Contexts come from
 * cli_hsm_ctx_new, so these test the library and the CLI's PIN source
 * together, as the binary uses them. The tests run in this order in one
 * process: each leaves state the next expects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "signet/hsm.h"
#include "hsm_test.h"

static struct sg_test_softhsm t;
static const uint8_t msg[] = "payload";

static int group_setup(void **state)
{
	(void)state;
	if (sg_test_softhsm_setup(&t, "secrets") != 0)
		return -1;
	/* Made by another process: a login here would already turn core
	 * dumps off, before the first test could look. */
	const char *const gen[] = { "--keypairgen", "--key-type", "EC:prime256v1", "--label", "fw",
				    "--id", "01", NULL };
	char out[4096];
	if (test_pkcs11_tool(&t, gen, out, sizeof(out)) != 0) {
		fprintf(stderr, "pkcs11-tool: %s\n", out);
		return -1;
	}
	/* Never prompt. */
	return freopen("/dev/null", "r", stdin) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	sg_test_softhsm_teardown(&t);
	return 0;
}

static void core_dumps_off_once_a_pin_is_read(void **state)
{
	(void)state;
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	if (rl.rlim_max == 0)
		skip(); /* nothing to turn off here */
	rl.rlim_cur = rl.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 0);

	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_hsm_key *key;
	struct sg_err err;
	char uri[1024];
	uint8_t spki[SG_SPKI_MAX];
	size_t spki_len;
	enum sg_key_type type;
	/* Opening a session and reading a public key reads no PIN. */
	assert_int_equal(sg_hsm_pubkey(ctx, "pkcs11:token=secrets;object=fw", spki, &spki_len,
				       &type, &err),
			 SG_OK);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	assert_int_equal(sg_hsm_key_open(ctx, sg_test_softhsm_uri(&t, "fw", uri, sizeof(uri)), &key,
					 &err),
			 SG_OK);
	/* The module holds login secrets until it is unloaded: still off
	 * after the PIN buffer is gone. */
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 0);
	assert_int_equal(rl.rlim_max, 0);
	sg_hsm_ctx_free(ctx);
}

static void no_pin_at_all(void **state)
{
	(void)state;
	unsetenv("SIGNET_PIN");
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_hsm_key *key;
	struct sg_err err;
	assert_int_equal(sg_hsm_key_open(ctx, "pkcs11:token=secrets;object=fw", &key, &err), SG_EENV);
	assert_string_equal(err.msg, "token 'secrets': needs a PIN: use pin-source=file:PATH in the "
				     "URI or SIGNET_PIN, or run on a terminal");
	sg_hsm_ctx_free(ctx);
}

static void sign_once(struct sg_hsm_key *key)
{
	uint8_t sig[SG_SIG_MAX];
	size_t len, spki_len;
	struct sg_err err;
	assert_int_equal(sg_hsm_sign(key, msg, sizeof(msg), sig, &len, &err), SG_OK);
	const uint8_t *spki = sg_hsm_key_spki(key, &spki_len);
	assert_true(test_verify(spki, spki_len, SG_KEY_ECDSA_P256, msg, sizeof(msg), sig, len));
}

static void env_pin_scrubbed_and_kept_for_the_run(void **state)
{
	(void)state;
	assert_int_equal(setenv("SIGNET_PIN", t.pin, 1), 0);
	char *value = getenv("SIGNET_PIN");
	size_t n = strlen(value);
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_hsm_key *key, *again, *copy;
	struct sg_err err;
	assert_int_equal(sg_hsm_key_open(ctx, "pkcs11:token=secrets;object=fw", &key, &err), SG_OK);
	/* Gone from the environment, and its bytes overwritten where the
	 * environment kept them (glibc keeps setenv strings allocated). */
	assert_null(getenv("SIGNET_PIN"));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(value[i], 0);

	/* The same context signs on, opens the key again, and makes copies
	 * for other threads (the pki batch): no second PIN needed. */
	sign_once(key);
	assert_int_equal(sg_hsm_key_open(ctx, "pkcs11:token=secrets;id=%01", &again, &err), SG_OK);
	sign_once(again);
	assert_int_equal(sg_hsm_key_dup(ctx, key, &copy, &err), SG_OK);
	sign_once(copy);

	/* Another context while this one is logged in: the token is logged
	 * in for the process, so it needs no PIN either. */
	struct sg_hsm_ctx *other = cli_hsm_ctx_new(NULL);
	struct sg_hsm_key *k2;
	assert_int_equal(sg_hsm_key_open(other, "pkcs11:token=secrets;object=fw", &k2, &err), SG_OK);
	sign_once(k2);
	sg_hsm_ctx_free(other);
	sign_once(key); /* closing the other context did not log this one out */
	sg_hsm_ctx_free(ctx);

	/* All sessions closed, so logged out: a new login (another token,
	 * or this one again) gets the PIN from signet's own copy, though the
	 * environment no longer has it. */
	ctx = cli_hsm_ctx_new(NULL);
	assert_int_equal(sg_hsm_key_open(ctx, "pkcs11:token=secrets;object=fw", &key, &err), SG_OK);
	assert_null(getenv("SIGNET_PIN"));
	sign_once(key);
	sg_hsm_ctx_free(ctx);
	/* A pin-source still works. */
	ctx = cli_hsm_ctx_new(NULL);
	char uri[1024];
	assert_int_equal(sg_hsm_key_open(ctx, sg_test_softhsm_uri(&t, "fw", uri, sizeof(uri)), &key,
					 &err),
			 SG_OK);
	sign_once(key);
	sg_hsm_ctx_free(ctx);
}

/* A PIN file group or others may read is refused, as ssh refuses such
 * keys: status 3, the reason, and no login attempt. */
static void pin_file_must_be_private(void **state)
{
	(void)state;
	char path[SG_TEST_PATH_MAX + 32], uri[1024], want[1200];
	struct sg_err err;
	test_write(&t, "shared-pin", t.pin, strlen(t.pin), path, sizeof(path));
	test_fmt(uri, sizeof(uri), "pkcs11:token=secrets;object=fw;pin-source=file:%s", path);
	static const mode_t modes[] = { 0640, 0604, 0620, 0602, 0644 };
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(path, modes[i]), 0);
		struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
		struct sg_hsm_key *key;
		assert_int_equal(sg_hsm_key_open(ctx, uri, &key, &err), SG_EENV);
		test_fmt(want, sizeof(want), "%s: group or others may access it (mode %03o)", path,
			 (unsigned)modes[i]);
		assert_memory_equal(err.msg, want, strlen(want));
		sg_hsm_ctx_free(ctx);
	}
	assert_int_equal(chmod(path, 0400), 0);
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_hsm_key *key;
	assert_int_equal(sg_hsm_key_open(ctx, uri, &key, &err), SG_OK);
	sg_hsm_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(core_dumps_off_once_a_pin_is_read),
		cmocka_unit_test(no_pin_at_all),
		cmocka_unit_test(env_pin_scrubbed_and_kept_for_the_run),
		cmocka_unit_test(pin_file_must_be_private),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
