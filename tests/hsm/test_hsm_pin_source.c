/* The library's PIN contract (hsm.h): it reads no PIN itself, but asks the
 * context's PIN source, a callback or a PIN value; without one a login
 * that needs a PIN fails and nothing prompts, and a listing goes on
 * without login. Against a real SoftHSM2 token; stdin is not a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/hsm.h"
#include "hsm_test.h"

static struct sg_test_softhsm t;
static char uri[1024]; /* object fw, with the fixture's (readable) pin-source */

static int group_setup(void **state)
{
	(void)state;
	if (sg_test_softhsm_setup(&t, "source") != 0)
		return -1;
	sg_test_softhsm_uri(&t, "fw", uri, sizeof(uri));
	struct sg_hsm_ctx *ctx = sg_test_softhsm_ctx(&t); /* the PIN as a value */
	struct sg_err err;
	int rc = ctx ? sg_hsm_keygen(ctx, uri, SG_KEY_ECDSA_P256, &err) : SG_EENV;
	if (rc != SG_OK)
		fprintf(stderr, "keygen: %s\n", ctx ? err.msg : "out of memory");
	sg_hsm_ctx_free(ctx);
	return rc == SG_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	sg_test_softhsm_teardown(&t);
	return 0;
}

/* What the callback was asked, and what it answers. */
struct probe {
	unsigned calls;
	char label[64], source[1024];
	bool had_source, may_prompt;
	int answer;      /* SG_OK: the PIN; else this status */
	const char *pin; /* for SG_OK */
	bool unterminated;
};

static int probe_cb(void *arg, const struct sg_pin_request *req, char *pin, size_t pin_max,
		    struct sg_err *err)
{
	struct probe *p = arg;
	p->calls++;
	snprintf(p->label, sizeof(p->label), "%s", req->token_label);
	p->had_source = req->pin_source != NULL;
	snprintf(p->source, sizeof(p->source), "%s", req->pin_source ? req->pin_source : "");
	p->may_prompt = req->may_prompt;
	if (p->unterminated) {
		memset(pin, 'x', pin_max);
		return SG_OK;
	}
	if (p->answer != SG_OK)
		return p->answer == SG_FAIL ? SG_FAIL : sg_errf(err, p->answer, "probe says no");
	snprintf(pin, pin_max, "%s", p->pin);
	return SG_OK;
}

static int count_private(const struct sg_hsm_item *it, void *arg)
{
	*(unsigned *)arg += !it->is_token && it->has_private;
	return 0;
}

/* No source: the key does not open (even with a readable pin-source in
 * the URI: the library does not read files), a listing shows public keys. */
static void no_source_no_login(void **state)
{
	(void)state;
	struct sg_hsm_ctx *ctx = sg_hsm_ctx_new(t.module);
	struct sg_hsm_key *key;
	struct sg_err err;
	assert_int_equal(sg_hsm_key_open(ctx, uri, &key, &err), SG_EENV);
	assert_string_equal(err.msg, "token 'source': needs a PIN and the caller set no PIN source");
	unsigned priv = 0;
	assert_int_equal(sg_hsm_list(ctx, "pkcs11:token=source", count_private, &priv, &err),
			 SG_OK);
	assert_int_equal(priv, 0);
	sg_hsm_ctx_free(ctx);
}

/* The callback hears the token and the URI's pin-source as written, once
 * per login; listing asks it with may_prompt false. */
static void callback_gets_the_request(void **state)
{
	(void)state;
	struct probe p = { .answer = SG_OK, .pin = t.pin };
	struct sg_hsm_ctx *ctx = sg_hsm_ctx_new(t.module);
	sg_hsm_ctx_set_pin_cb(ctx, probe_cb, &p);
	struct sg_hsm_key *key;
	struct sg_err err;
	assert_int_equal(sg_hsm_key_open(ctx, uri, &key, &err), SG_OK);
	assert_int_equal(p.calls, 1);
	assert_string_equal(p.label, "source");
	assert_true(p.had_source && p.may_prompt);
	char want[SG_TEST_PATH_MAX + 8];
	assert_string_equal(p.source, test_fmt(want, sizeof(want), "file:%s", t.pin_file));
	assert_int_equal(sg_hsm_key_open(ctx, "pkcs11:token=source;object=fw", &key, &err), SG_OK);
	assert_int_equal(p.calls, 1); /* logged in already */
	sg_hsm_ctx_free(ctx);

	ctx = sg_hsm_ctx_new(t.module);
	sg_hsm_ctx_set_pin_cb(ctx, probe_cb, &p);
	unsigned priv = 0;
	assert_int_equal(sg_hsm_list(ctx, "pkcs11:token=source", count_private, &priv, &err),
			 SG_OK);
	assert_int_equal(p.calls, 2);
	assert_false(p.had_source || p.may_prompt);
	assert_int_equal(priv, 1);
	sg_hsm_ctx_free(ctx);
}

/* The callback's own error is the login's; "none" is "needs a PIN"; a PIN
 * that does not fit its buffer is refused, not read past. */
static void callback_answers_pass_through(void **state)
{
	(void)state;
	static const struct {
		struct probe p;
		int status;
		const char *msg;
	} cases[] = {
		{ { .answer = SG_EINPUT }, SG_EINPUT, "probe says no" },
		{ { .answer = SG_FAIL }, SG_EENV,
		  "token 'source': needs a PIN and the caller set no PIN source" },
		{ { .unterminated = true }, SG_EINPUT,
		  "token 'source': the PIN source gave no usable PIN" },
		{ { .answer = SG_OK, .pin = "424242" }, SG_EENV, "token 'source': wrong PIN" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct probe p = cases[i].p;
		struct sg_hsm_ctx *ctx = sg_hsm_ctx_new(t.module);
		sg_hsm_ctx_set_pin_cb(ctx, probe_cb, &p);
		struct sg_hsm_key *key;
		struct sg_err err;
		assert_int_equal(sg_hsm_key_open(ctx, uri, &key, &err), cases[i].status);
		assert_string_equal(err.msg, cases[i].msg);
		sg_hsm_ctx_free(ctx);
	}
}

/* A PIN value on the context serves every login; replacing the source
 * drops it. */
static void pin_value_on_the_context(void **state)
{
	(void)state;
	struct sg_err err;
	struct sg_hsm_ctx *ctx = sg_hsm_ctx_new(t.module);
	assert_int_equal(sg_hsm_ctx_set_pin(ctx, "", &err), SG_EINPUT);
	char longpin[300];
	memset(longpin, '1', sizeof(longpin) - 1);
	longpin[sizeof(longpin) - 1] = 0;
	assert_int_equal(sg_hsm_ctx_set_pin(ctx, longpin, &err), SG_EINPUT);
	assert_int_equal(sg_hsm_ctx_set_pin(ctx, "424242", &err), SG_OK);
	assert_int_equal(sg_hsm_ctx_set_pin(ctx, t.pin, &err), SG_OK); /* replaces it */
	struct sg_hsm_key *key;
	assert_int_equal(sg_hsm_key_open(ctx, uri, &key, &err), SG_OK);
	sg_hsm_ctx_free(ctx);

	ctx = sg_hsm_ctx_new(t.module);
	assert_int_equal(sg_hsm_ctx_set_pin(ctx, t.pin, &err), SG_OK);
	sg_hsm_ctx_set_pin_cb(ctx, NULL, NULL);
	assert_int_equal(sg_hsm_key_open(ctx, uri, &key, &err), SG_EENV);
	sg_hsm_ctx_free(ctx);
}

int main(void)
{
	/* Never prompt, whatever happens. */
	if (!freopen("/dev/null", "r", stdin))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_source_no_login),
		cmocka_unit_test(callback_gets_the_request),
		cmocka_unit_test(callback_answers_pass_through),
		cmocka_unit_test(pin_value_on_the_context),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
