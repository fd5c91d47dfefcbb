/* Signing request header: encode/decode round trip and each rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "signet/request.h"

static struct sg_request sample(void)
{
	struct sg_request r;
	memset(&r, 0, sizeof(r));
	r.image_format = SG_REQ_FORMAT_SIGNET;
	r.alg = SGE_SIG_ECDSA_P256_SHA256;
	r.tbs_len = 100;
	r.body_len = 5000;
	for (int i = 0; i < 32; i++)
		r.key_id[i] = (uint8_t)i, r.tbs_digest[i] = (uint8_t)(0xA0 + i);
	return r;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct sg_request r = sample(), back;
	uint8_t h[SG_REQ_HEADER_SIZE];
	sg_request_encode(&r, h);
	assert_true(sg_request_detect(h, sizeof(h)));
	assert_int_equal(sg_request_decode(h, SG_REQ_HEADER_SIZE + 5000, "r", &back, NULL), SG_OK);
	assert_memory_equal(&r, &back, sizeof(r));
	r.alg = SGE_SIG_ECDSA_P384_SHA384;
	memset(r.tbs_digest, 0x5A, 48);
	sg_request_encode(&r, h);
	assert_int_equal(sg_request_decode(h, SG_REQ_HEADER_SIZE + 5000, "r", &back, NULL), SG_OK);
	assert_memory_equal(back.tbs_digest, r.tbs_digest, 48);
}

static void expect_refused(const uint8_t *h, uint64_t size, const char *msg)
{
	struct sg_request r;
	struct sg_err err = { 0 };
	assert_int_equal(sg_request_decode(h, size, "r.req", &r, &err), SG_EINPUT);
	if (!strstr(err.msg, msg))
		fail_msg("'%s' lacks '%s'", err.msg, msg);
}

static void test_rules(void **state)
{
	(void)state;
	struct sg_request r = sample();
	uint8_t h[SG_REQ_HEADER_SIZE], bad[SG_REQ_HEADER_SIZE];
	sg_request_encode(&r, h);
	const uint64_t size = SG_REQ_HEADER_SIZE + 5000;
	expect_refused(h, size - 1, "truncated");
	expect_refused(h, size + 1, "trailing bytes");
	expect_refused(h, 50, "not a signet signing request");
	struct { size_t off; uint8_t val; const char *msg; } cases[] = {
		{ 0, 'X', "not a signet signing request" },
		{ 7, 2, "unsupported signing request version 2" },
		{ 8, 3, "unknown image format 3" },
		{ 9, 0, "unknown signature algorithm 0" },
		{ 9, 5, "unknown signature algorithm 5" },
		{ 10, 1, "reserved bytes not zero" },
		{ 48 + 32, 1, "digest padding not zero" },
		{ 12, 0, "signed length out of range" },   /* tbs_len 0 */
		{ 13, 0x20, "signed length out of range" }, /* tbs_len 8292 > 1056 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, h, sizeof(h));
		bad[cases[i].off] = cases[i].val;
		expect_refused(bad, size, cases[i].msg);
	}
	r.tbs_len = 200;
	r.body_len = 100; /* signed part longer than the body */
	sg_request_encode(&r, bad);
	expect_refused(bad, SG_REQ_HEADER_SIZE + 100, "signed length out of range");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
