/* sg_version_str: the version text inspect and the MCUboot commands print. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "signet/envelope.h"

static void test_envelope_build(void **state)
{
	(void)state;
	char s[48];
	sg_version_str(1, 2, 3, 0, false, s, sizeof(s));
	assert_string_equal(s, "1.2.3"); /* the envelope's build 0: none */
	sg_version_str(1, 2, 3, 4, false, s, sizeof(s));
	assert_string_equal(s, "1.2.3+4");
	sg_version_str(255, 255, 65535, UINT32_MAX, false, s, sizeof(s));
	assert_string_equal(s, "255.255.65535+4294967295");
}

static void test_mcuboot_build(void **state)
{
	(void)state;
	char s[48];
	sg_version_str(1, 2, 3, 0, true, s, sizeof(s));
	assert_string_equal(s, "1.2.3+0");
	sg_version_str(0, 0, 0, 7, true, s, sizeof(s));
	assert_string_equal(s, "0.0.0+7");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope_build),
		cmocka_unit_test(test_mcuboot_build),
	};
	return cmocka_run_group_tests_name("version", tests, NULL, NULL);
}
