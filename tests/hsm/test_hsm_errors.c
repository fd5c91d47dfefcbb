/* Failure paths: every error names the object and the reason, carries the
 * documented status, and never contains a PIN. Contexts have the CLI's PIN
 * source (cli_hsm_ctx_new), whose messages are part of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signet/hsm.h"
#include "hsm_test.h"

static struct sg_test_softhsm t;
static const uint8_t msg[] = "payload";

static int tool(const char *const args[])
{
	char out[4096];
	int st = test_pkcs11_tool(&t, args, out, sizeof(out));
	if (st != 0)
		fprintf(stderr, "pkcs11-tool: %s\n", out);
	return st;
}

static int group_setup(void **state)
{
	(void)state;
	if (sg_test_softhsm_setup(&t, "release") != 0)
		return -1;
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_err err = { 0 };
	char uri[1024];
	int rc = sg_hsm_keygen(ctx, sg_test_softhsm_uri(&t, "fw", uri, sizeof(uri)),
			       SG_KEY_ECDSA_P256, &err);
	sg_hsm_ctx_free(ctx);
	if (rc != SG_OK) {
		fprintf(stderr, "keygen: %s\n", err.msg);
		return -1;
	}
	/* Made by another tool: two keys under one label, and types we do
	 * not support. A second token with a key of the same label. */
	const char *dup1[] = { "--keypairgen", "--key-type", "EC:prime256v1", "--label", "dup",
			       "--id", "01", NULL };
	const char *dup2[] = { "--keypairgen", "--key-type", "EC:prime256v1", "--label", "dup",
			       "--id", "02", NULL };
	const char *rsa[] = { "--keypairgen", "--key-type", "rsa:2048", "--label", "rsa2k",
			      "--id", "20", NULL };
	const char *p521[] = { "--keypairgen", "--key-type", "EC:secp521r1", "--label", "p521",
			       "--id", "21", NULL };
	if (tool(dup1) || tool(dup2) || tool(rsa) || tool(p521) ||
	    sg_test_softhsm_add_token(&t, "second", "87654321", "5555"))
		return -1;
	const char *second[] = { "pkcs11-tool", "--module", t.module, "--token-label", "second",
				 "--login", "--pin", "5555", "--keypairgen", "--key-type",
				 "EC:prime256v1", "--label", "fw", "--id", "99", NULL };
	return sg_test_run(second, NULL, 0) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	sg_test_softhsm_teardown(&t);
	return 0;
}

/* Opens uri in a fresh context; returns the status, message in err. */
static int try_open(const char *uri, struct sg_err *err)
{
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_hsm_key *key = NULL;
	memset(err, 0, sizeof(*err));
	int rc = sg_hsm_key_open(ctx, uri, &key, err);
	assert_true((rc == SG_OK) == (key != NULL));
	if (rc == SG_OK) { /* a key that opens must also sign */
		uint8_t sig[SG_SIG_MAX];
		size_t len, spki_len;
		assert_int_equal(sg_hsm_sign(key, msg, sizeof(msg), sig, &len, err), SG_OK);
		const uint8_t *spki = sg_hsm_key_spki(key, &spki_len);
		assert_true(test_verify(spki, spki_len, sg_hsm_key_type(key), msg, sizeof(msg), sig,
					len));
	}
	sg_hsm_ctx_free(ctx);
	return rc;
}

static void wrong_pin_in_file(void **state)
{
	(void)state;
	char pin_path[SG_TEST_PATH_MAX + 32], uri[1024];
	test_write(&t, "wrong-pin", "000000\n", 7, pin_path, sizeof(pin_path));
	test_fmt(uri, sizeof(uri), "pkcs11:token=release;object=fw;pin-source=file:%s", pin_path);
	struct sg_err err;
	assert_int_equal(try_open(uri, &err), SG_EENV);
	assert_string_equal(err.msg, "token 'release': wrong PIN");
}

static void pin_from_environment(void **state)
{
	(void)state;
	struct sg_err err;
	setenv("SIGNET_PIN", t.pin, 1);
	assert_int_equal(try_open("pkcs11:token=release;object=fw", &err), SG_OK);
	setenv("SIGNET_PIN", "424242", 1);
	assert_int_equal(try_open("pkcs11:token=release;object=fw", &err), SG_EENV);
	assert_string_equal(err.msg, "token 'release': wrong PIN");
	assert_null(strstr(err.msg, "424242"));
	/* pin-source in the URI wins over the environment. */
	char uri[1024];
	assert_int_equal(try_open(sg_test_softhsm_uri(&t, "fw", uri, sizeof(uri)), &err), SG_OK);
	unsetenv("SIGNET_PIN");
}

static void no_pin_and_no_terminal(void **state)
{
	(void)state;
	unsetenv("SIGNET_PIN");
	assert_non_null(freopen("/dev/null", "r", stdin)); /* never prompt in tests */
	struct sg_err err;
	assert_int_equal(try_open("pkcs11:token=release;object=fw", &err), SG_EENV);
	assert_string_equal(err.msg, "token 'release': needs a PIN: use pin-source=file:PATH in the "
				     "URI or SIGNET_PIN, or run on a terminal");
}

static void pin_source_forms(void **state)
{
	(void)state;
	char path[SG_TEST_PATH_MAX + 32], uri[1024];
	struct sg_err err;
	/* Bare path, file:// form, CRLF line end, trailing lines ignored. */
	test_fmt(uri, sizeof(uri), "pkcs11:token=release;object=fw?pin-source=%s", t.pin_file);
	assert_int_equal(try_open(uri, &err), SG_OK);
	test_fmt(uri, sizeof(uri), "pkcs11:token=release;object=fw?pin-source=file://%s",
		 t.pin_file);
	assert_int_equal(try_open(uri, &err), SG_OK);
	char text[64];
	test_fmt(text, sizeof(text), "%s\r\nsecond line\n", t.pin);
	test_write(&t, "crlf-pin", text, strlen(text), path, sizeof(path));
	test_fmt(uri, sizeof(uri), "pkcs11:token=release;object=fw;pin-source=file:%s", path);
	assert_int_equal(try_open(uri, &err), SG_OK);

	test_write(&t, "empty-pin", "\n", 1, path, sizeof(path));
	test_fmt(uri, sizeof(uri), "pkcs11:token=release;object=fw;pin-source=file:%s", path);
	assert_int_equal(try_open(uri, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "first line is empty"));

	test_fmt(uri, sizeof(uri), "pkcs11:token=release;object=fw;pin-source=file:%s/nope",
		 t.dir);
	assert_int_equal(try_open(uri, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "/nope: cannot open"));

	assert_int_equal(try_open("pkcs11:token=release;object=fw;pin-source=env:PIN", &err),
			 SG_EINPUT);
	assert_string_equal(err.msg, "pin-source 'env:PIN': only file: is supported");
}

static void pin_value_refused(void **state)
{
	(void)state;
	struct sg_err err;
	const char *uris[] = { "pkcs11:token=release;object=fw;pin-value=9999",
			       "pkcs11:token=release;object=fw?pin-value=9999",
			       "pkcs11:token=release;object=fw?module-path=/x.so&pin-value=9999" };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(try_open(uris[i], &err), SG_EINPUT);
		assert_non_null(strstr(err.msg, "pin-value= is refused"));
		assert_null(strstr(err.msg, "9999"));
		assert_null(strstr(err.msg, "SIGNET_PIN")); /* the CLI's, not ours */
		assert_string_equal(err.param, "pin_source");
		struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
		assert_int_equal(sg_hsm_keygen(ctx, uris[i], SG_KEY_ED25519, &err), SG_EINPUT);
		assert_null(strstr(err.msg, "9999"));
		sg_hsm_ctx_free(ctx);
	}
	/* A label that merely contains the words is fine. */
	char uri[1024];
	test_fmt(uri, sizeof(uri), "pkcs11:token=release;object=no-pin-value=here;pin-source=%s",
		 t.pin_file);
	assert_int_equal(try_open(uri, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "not found"));
}

/* A misspelt pin-value= must not print the PIN in the error, nor anything
 * else that cannot be parsed. */
static void uri_errors_hide_values(void **state)
{
	(void)state;
	struct sg_err err;
	static const char *const as_pin_value[] = {
		"pkcs11:token=release;object=fw;PIN-VALUE=9999",
		"pkcs11:token=release;object=fw;pin%2Dvalue=9999",
		"pkcs11:token=release;object=fw?Pin-Value=9999",
		"pkcs11:token=release;object=fw?module-path=/x.so&%70in-value=9999",
	};
	for (size_t i = 0; i < sizeof(as_pin_value) / sizeof(as_pin_value[0]); i++) {
		assert_int_equal(try_open(as_pin_value[i], &err), SG_EINPUT);
		assert_non_null(strstr(err.msg, "pin-value= is refused"));
		assert_null(strstr(err.msg, "9999"));
	}
	static const char *const hidden[] = {
		"pkcs11:token=release;object=fw;pin-valeu=9999",
		"pkcs11:token=release;object=fw?pin-sorce=9999",
		"pkcs11:token=release;object=fw;9999",
		"pkcs11:token=release;secret=9999;object=%zz",
		"token=release;PIN=9999",
	};
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		assert_int_equal(try_open(hidden[i], &err), SG_EINPUT);
		if (strstr(err.msg, "9999"))
			fail_msg("%s: %s", hidden[i], err.msg);
	}
	assert_int_equal(try_open(hidden[1], &err), SG_EINPUT);
	assert_string_equal(err.msg, "URI 'pkcs11:token=release;object=fw?pin-sorce=...': unknown "
				     "attribute 'pin-sorce'");
}

/* p11-kit keeps the last of two values: refuse instead of guessing. */
static void uri_repeated_attribute(void **state)
{
	(void)state;
	struct sg_err err;
	assert_int_equal(try_open("pkcs11:token=release;object=fw;object=dup", &err), SG_EINPUT);
	assert_string_equal(err.msg, "URI 'pkcs11:token=release;object=fw;object=dup': attribute "
				     "'object' given twice");
	char uri[1024];
	test_fmt(uri, sizeof(uri), "pkcs11:token=release;object=fw;pin-source=%s?pin-source=%s",
		 t.pin_file, t.pin_file);
	assert_int_equal(try_open(uri, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "attribute 'pin-source' given twice"));
	test_fmt(uri, sizeof(uri), "pkcs11:token=release?module-path=%s&module-path=%s", t.module,
		 t.module);
	assert_int_equal(try_open(uri, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "attribute 'module-path' given twice"));
	/* p11-kit drops all after an empty attribute: here object= and
	 * pin-source=, which would open any key the token has. */
	test_fmt(uri, sizeof(uri), "pkcs11:token=release;;object=fw?pin-source=%s", t.pin_file);
	assert_int_equal(try_open(uri, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "empty attribute"));
	/* One of each, and a trailing ';', are fine. */
	test_fmt(uri, sizeof(uri), "pkcs11:token=release;object=fw;object-type=private;?pin-source=%s",
		 t.pin_file);
	if (try_open(uri, &err) != SG_OK)
		fail_msg("%s: %s", uri, err.msg);
}

static void module_resolution(void **state)
{
	(void)state;
	struct sg_err err;
	char uri[1024], with[1200];
	sg_test_softhsm_uri(&t, "fw", uri, sizeof(uri));
	unsetenv("SIGNET_PKCS11_MODULE");
	assert_int_equal(try_open(uri, &err), SG_EENV);
	assert_string_equal(err.msg, "no PKCS#11 module: use module-path= in the URI");
	assert_string_equal(err.param, "module_override"); /* the CLI adds its ways */

	/* module-path= in the query; the --module override. */
	test_fmt(with, sizeof(with), "%s?module-path=%s", uri, t.module);
	assert_int_equal(try_open(with, &err), SG_OK);
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(t.module);
	struct sg_hsm_key *key;
	assert_int_equal(sg_hsm_key_open(ctx, uri, &key, &err), SG_OK);
	sg_hsm_ctx_free(ctx);

	/* module-path= beats the override and the environment. */
	setenv("SIGNET_PKCS11_MODULE", t.module, 1);
	test_fmt(with, sizeof(with), "%s?module-path=/nonexistent/libp11x.so", uri);
	assert_int_equal(try_open(with, &err), SG_EENV);
	assert_string_equal(err.msg,
			    "module /nonexistent/libp11x.so: cannot load: No such file or directory");

	ctx = cli_hsm_ctx_new("libz.so.1"); /* loads, but is no PKCS#11 module */
	assert_int_equal(sg_hsm_key_open(ctx, uri, &key, &err), SG_EENV);
	assert_string_equal(err.msg, "module libz.so.1: not a PKCS#11 module (no C_GetFunctionList)");
	sg_hsm_ctx_free(ctx);

	test_fmt(with, sizeof(with), "pkcs11:token=release;module-path=%s;object=fw", t.module);
	assert_int_equal(try_open(with, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "unknown attribute 'module-path' in the path (it goes "
					"after '?')"));
}

/* The module is the caller's: the library reads no environment, the CLI
 * (cli_hsm_ctx_new) gives --module, else $SIGNET_PKCS11_MODULE. */
static int open_with(struct sg_hsm_ctx *ctx, const char *uri, struct sg_err *err)
{
	struct sg_hsm_key *key;
	assert_non_null(ctx);
	int rc = sg_hsm_key_open(ctx, uri, &key, err);
	sg_hsm_ctx_free(ctx);
	return rc;
}

static struct sg_hsm_ctx *library_ctx(const char *module)
{
	struct sg_hsm_ctx *ctx = sg_hsm_ctx_new(module);
	struct sg_err err;
	assert_int_equal(sg_hsm_ctx_set_pin(ctx, t.pin, &err), SG_OK);
	return ctx;
}

static void module_is_the_callers(void **state)
{
	(void)state;
	struct sg_err err;
	char uri[1024];
	sg_test_softhsm_uri(&t, "fw", uri, sizeof(uri));

	setenv("SIGNET_PKCS11_MODULE", t.module, 1);
	assert_int_equal(open_with(library_ctx(NULL), uri, &err), SG_EENV);
	assert_string_equal(err.msg, "no PKCS#11 module: use module-path= in the URI");
	assert_int_equal(open_with(cli_hsm_ctx_new(NULL), uri, &err), SG_OK);

	setenv("SIGNET_PKCS11_MODULE", "/nonexistent/libp11x.so", 1);
	assert_int_equal(open_with(library_ctx(t.module), uri, &err), SG_OK);
	assert_int_equal(open_with(cli_hsm_ctx_new(t.module), uri, &err), SG_OK); /* --module */
	assert_int_equal(open_with(cli_hsm_ctx_new(NULL), uri, &err), SG_EENV);
	assert_string_equal(err.msg,
			    "module /nonexistent/libp11x.so: cannot load: No such file or directory");

	unsetenv("SIGNET_PKCS11_MODULE");
	assert_int_equal(open_with(library_ctx(t.module), uri, &err), SG_OK);
	setenv("SIGNET_PKCS11_MODULE", t.module, 1);
}

static void missing_token_and_key(void **state)
{
	(void)state;
	struct sg_err err;
	char uri[1024];
	setenv("SIGNET_PIN", t.pin, 1);
	assert_int_equal(try_open("pkcs11:token=nope;object=fw", &err), SG_EENV);
	char want[700];
	test_fmt(want, sizeof(want), "token 'nope': not found (module ");
	assert_memory_equal(err.msg, want, strlen(want));

	assert_int_equal(try_open("pkcs11:serial=0000;object=fw", &err), SG_EENV);
	assert_non_null(strstr(err.msg, "token 'pkcs11:serial=0000': not found"));

	sg_test_softhsm_uri(&t, "absent", uri, sizeof(uri));
	assert_int_equal(try_open(uri, &err), SG_EINPUT);
	test_fmt(want, sizeof(want), "key '%s': not found", uri);
	assert_string_equal(err.msg, want);

	/* The public half exists, but signing needs the private key. */
	assert_int_equal(try_open("pkcs11:token=release;object=fw;type=public", &err), SG_EINPUT);
	assert_string_equal(err.msg,
			    "key 'pkcs11:token=release;object=fw;type=public': signing needs "
			    "type=private");
	unsetenv("SIGNET_PIN");
}

static void ambiguous_key_and_token(void **state)
{
	(void)state;
	struct sg_err err;
	char uri[1024], with[1200];
	sg_test_softhsm_uri(&t, "dup", uri, sizeof(uri));
	assert_int_equal(try_open(uri, &err), SG_EINPUT);
	char want[1300];
	test_fmt(want, sizeof(want),
		 "key '%s': 2 private keys match (ids 01, 02): add id= to choose one", uri);
	assert_string_equal(err.msg, want);
	test_fmt(with, sizeof(with), "%s;id=%%02", uri);
	assert_int_equal(try_open(with, &err), SG_OK);

	/* "fw" is on both tokens: without token= the URI names neither. */
	setenv("SIGNET_PIN", t.pin, 1);
	assert_int_equal(try_open("pkcs11:object=fw", &err), SG_EINPUT);
	/* Slot order is random in SoftHSM: check each part. */
	assert_memory_equal(err.msg, "several tokens match (", 22);
	assert_non_null(strstr(err.msg, "'release' serial "));
	assert_non_null(strstr(err.msg, "'second' serial "));
	assert_non_null(strstr(err.msg, "): add token= or serial= to the URI"));
	unsetenv("SIGNET_PIN");
}

static void unsupported_key_types(void **state)
{
	(void)state;
	struct sg_err err;
	char uri[1024], want[1200];
	sg_test_softhsm_uri(&t, "rsa2k", uri, sizeof(uri));
	assert_int_equal(try_open(uri, &err), SG_EINPUT);
	test_fmt(want, sizeof(want), "key '%s': unsupported key type (RSA 2048)", uri);
	assert_string_equal(err.msg, want);

	sg_test_softhsm_uri(&t, "p521", uri, sizeof(uri));
	assert_int_equal(try_open(uri, &err), SG_EINPUT);
	test_fmt(want, sizeof(want), "key '%s': unsupported key type (EC P-521)", uri);
	assert_string_equal(err.msg, want);
}

static void malformed_uris(void **state)
{
	(void)state;
	struct sg_err err;
	assert_int_equal(try_open("token=release;object=fw", &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "URI 'token=release;object=fw': "));
	assert_int_equal(try_open("pkcs11:token=release;bogus=1", &err), SG_EINPUT);
	/* The value of an attribute we do not know is never shown. */
	assert_string_equal(err.msg,
			    "URI 'pkcs11:token=release;bogus=...': unknown attribute 'bogus'");
	assert_int_equal(try_open("pkcs11:token=release;type=bogus", &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "unsupported attribute value"));
	assert_int_equal(try_open("pkcs11:token=release;object=%zz", &err), SG_EINPUT);
	assert_int_equal(sg_key_type_parse("ecdsa-p384"), SG_KEY_ECDSA_P384);
	assert_int_equal(sg_key_type_parse("rsa-2048"), SG_KEY_NONE);
	assert_string_equal(sg_key_type_name(SG_KEY_RSA_4096), "rsa-4096");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wrong_pin_in_file),
		cmocka_unit_test(no_pin_and_no_terminal), /* before SIGNET_PIN is ever set */
		cmocka_unit_test(pin_from_environment),
		cmocka_unit_test(pin_source_forms),
		cmocka_unit_test(pin_value_refused),
		cmocka_unit_test(uri_errors_hide_values),
		cmocka_unit_test(uri_repeated_attribute),
		cmocka_unit_test(module_resolution),
		cmocka_unit_test(module_is_the_callers),
		cmocka_unit_test(missing_token_and_key),
		cmocka_unit_test(ambiguous_key_and_token),
		cmocka_unit_test(unsupported_key_types),
		cmocka_unit_test(malformed_uris),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
