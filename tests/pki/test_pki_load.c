/* sg_pki_load_cert: one certificate from a file, PEM or DER, 1 MiB at most,
 * errors naming the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>

#include "pki_test.h"

#define P pki_test_shared
static char path[SG_TEST_PATH_MAX + 32];

static void write_bytes(const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void assert_loads(void)
{
	X509 *x = NULL;
	struct sg_err err = { 0 };
	assert_int_equal(sg_pki_load_cert(path, &x, &err), SG_OK);
	assert_int_equal(X509_cmp(x, P.factory), 0);
	X509_free(x);
}

static void assert_refused(int status)
{
	X509 *x = NULL;
	struct sg_err err = { 0 };
	assert_int_equal(sg_pki_load_cert(path, &x, &err), status);
	assert_null(x);
	assert_non_null(strstr(err.msg, path));
}

static void test_pem_and_der(void **state)
{
	(void)state;
	unsigned char *der = NULL;
	int len = i2d_X509(P.factory, &der);
	assert_true(len > 0);
	write_bytes(der, (size_t)len);
	assert_loads();
	OPENSSL_free(der);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("text before the certificate\n", f);
	assert_int_equal(PEM_write_X509(f, P.factory), 1);
	assert_int_equal(fclose(f), 0);
	assert_loads();
}

static void test_refused(void **state)
{
	(void)state;
	write_bytes("not a certificate", 17);
	assert_refused(SG_EINPUT);
	/* A good PEM certificate after 1 MiB of text: over the limit. */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < (1 << 20) / 8; i++)
		fputs("padding\n", f);
	assert_int_equal(PEM_write_X509(f, P.factory), 1);
	assert_int_equal(fclose(f), 0);
	assert_refused(SG_EINPUT);
	snprintf(path, sizeof(path), "%s/missing.pem", P.t.dir);
	assert_refused(SG_EINPUT);
	snprintf(path, sizeof(path), "%s/cert", P.t.dir);
}

static int setup(void **state)
{
	if (pki_test_group_setup(state))
		return -1;
	snprintf(path, sizeof(path), "%s/cert", P.t.dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pem_and_der),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests_name("pki_load", tests, setup, pki_test_group_teardown);
}
