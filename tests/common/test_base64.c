/* common/base64.c: RFC 4648 vectors, one encoding per byte string, and a
 * cross-check against OpenSSL's encoder on random data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "signet/base64.h"

static void test_rfc4648_vectors(void **state)
{
	(void)state;
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const coded[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					     "Zm9vYmFy" };
	for (size_t i = 0; i < 7; i++) {
		char out[16];
		uint8_t back[8];
		size_t n;
		assert_string_equal(sg_base64_encode((const uint8_t *)plain[i], strlen(plain[i]), out),
				    coded[i]);
		assert_int_equal(strlen(out), SG_BASE64_LEN(strlen(plain[i])));
		assert_int_equal(sg_base64_decode(coded[i], strlen(coded[i]), back, sizeof back, &n), 0);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(back, plain[i], n);
	}
}

static void test_refuses_all_but_the_one_encoding(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"Zg=",	  /* length not a multiple of 4 */
		"Zh==",	  /* unused bits set: "f" is Zg== */
		"Zm9=",	  /* ditto, one pad */
		"Zg==Zg==", /* padding in the middle */
		"Z===",	  /* three pads */
		"Zm 9",	  /* whitespace */
		"Zm9v\n", /* newline */
		"Zm-_",	  /* URL alphabet */
		"=Zm9",	  /* pad first */
		"Zm=v",	  /* pad inside the last group */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t out[16];
		size_t n;
		if (sg_base64_decode(bad[i], strlen(bad[i]), out, sizeof out, &n) == 0)
			fail_msg("accepted '%s'", bad[i]);
	}
	uint8_t small[2];
	size_t n;
	assert_int_equal(sg_base64_decode("Zm9v", 4, small, sizeof small, &n), -1); /* cap */
}

static void test_matches_openssl(void **state)
{
	(void)state;
	uint8_t in[200], back[200];
	char ours[SG_BASE64_LEN(sizeof in) + 1];
	unsigned char theirs[SG_BASE64_LEN(sizeof in) + 1];
	for (size_t len = 0; len <= sizeof in; len++) {
		assert_int_equal(RAND_bytes(in, (int)sizeof in), 1);
		sg_base64_encode(in, len, ours);
		EVP_EncodeBlock(theirs, in, (int)len);
		assert_string_equal(ours, (char *)theirs);
		size_t n;
		assert_int_equal(sg_base64_decode(ours, strlen(ours), back, sizeof back, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(back, in, len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_refuses_all_but_the_one_encoding),
		cmocka_unit_test(test_matches_openssl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
