/* sg_pki_batch_run: CSRs given as bytes, signed on two token sessions,
 * reported to the caller in item order; refusals stay with their item; the
 * time is the caller's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "signet/pki_batch.h"
#include "pki_test.h"

#define P pki_test_shared

/* A CSR for a fresh P-256 key, DER. */
static int csr_der(uint8_t **der)
{
	EVP_PKEY *key = pki_test_key("P-256");
	X509_REQ *req = X509_REQ_new();
	assert_non_null(key);
	assert_non_null(req);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	*der = NULL;
	int len = i2d_X509_REQ(req, der);
	assert_true(len > 0);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return len;
}

struct seen {
	size_t n;
	size_t item[8];
	int status[8];
	bool cert[8];
	bool at_now[8]; /* notBefore is the template's now, not the clock's */
	char msg[8][sizeof(((struct sg_err *)0)->msg)];
	const char *param[8];
};

static void on_result(void *arg, size_t item, int status, const struct sg_err *err,
		      const X509 *cert)
{
	struct seen *s = arg;
	assert_true(s->n < 8);
	s->item[s->n] = item;
	s->status[s->n] = status;
	s->cert[s->n] = cert != NULL;
	s->at_now[s->n] = cert && ASN1_TIME_cmp_time_t(X509_get0_notBefore(cert), P.now + 10) == 0;
	snprintf(s->msg[s->n], sizeof(s->msg[0]), "%s", err ? err->msg : "");
	s->param[s->n] = err ? err->param : NULL;
	s->n++;
}

static bool exists(const char *dir, const char *name)
{
	char path[SG_TEST_PATH_MAX + 64];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

static void test_items_in_order(void **state)
{
	(void)state;
	char out[SG_TEST_PATH_MAX + 16], db_path[SG_TEST_PATH_MAX + 32], uri[1024];
	snprintf(out, sizeof(out), "%s/out", P.t.dir);
	snprintf(db_path, sizeof(db_path), "%s/batch.sqlite", P.t.dir);
	assert_int_equal(mkdir(out, 0700), 0);
	struct sg_err err = { 0 };
	struct sg_hsm_key *signer;
	struct sg_pki_db *db;
	sg_test_softhsm_uri(&P.t, "factory", uri, sizeof(uri));
	assert_int_equal(sg_hsm_key_open(P.h, uri, &signer, &err), SG_OK);
	assert_int_equal(sg_pki_db_open(db_path, &db, &err), SG_OK);

	uint8_t *a, *c;
	int alen = csr_der(&a), clen = csr_der(&c);
	static const uint8_t junk[] = "not a CSR";
	const struct sg_pki_batch_item items[] = {
		{ .csr_path = "a.csr", .csr = a, .csr_len = (size_t)alen, .device = "SN-A" },
		{ .csr_path = "junk.csr", .csr = junk, .csr_len = sizeof(junk), .device = "SN-J" },
		{ .csr_path = "up.csr", .csr = a, .csr_len = (size_t)alen, .device = "../SN-U" },
		{ .csr_path = "c.csr", .csr = c, .csr_len = (size_t)clen, .device = "SN-C" },
	};
	struct seen seen = { 0 };
	struct sg_pki_batch b = {
		.hsm = P.h, .signer = signer, .ca = P.factory_ca, .signers = 2, .db = db,
		.s = { .profile = SG_PROF_IDEVID, .hw_type = "1.3.6.1.4.1.99999.1",
		       .now = P.now + 10 },
		.out_dir = out, .items = items, .nitems = 4, .on_result = on_result, .arg = &seen,
	};
	struct sg_pki_batch_stats st;
	assert_int_equal(sg_pki_batch_run(&b, &st, &err), SG_OK);
	assert_int_equal(st.signers, 2);
	assert_int_equal(st.issued, 2);
	assert_int_equal(st.worst, SG_EINPUT);
	assert_int_equal(seen.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(seen.item[i], i);
	assert_int_equal(seen.status[0], SG_OK);
	assert_true(seen.cert[0]);
	assert_true(seen.at_now[0]);
	assert_int_equal(seen.status[1], SG_EINPUT);
	assert_non_null(strstr(seen.msg[1], "junk.csr"));
	assert_int_equal(seen.status[2], SG_EINPUT);
	assert_non_null(strstr(seen.msg[2], "up.csr"));
	assert_int_equal(seen.status[3], SG_OK);
	assert_true(seen.cert[3]);
	assert_true(exists(out, "SN-A.pem"));
	assert_true(exists(out, "SN-C.pem"));
	assert_false(exists(out, "SN-J.pem"));
	assert_false(exists(P.t.dir, "SN-U.pem"));

	/* A device with a live certificate: refused, naming the CSR and the
	 * parameter that would supersede it (no CLI option in the text). */
	memset(&seen, 0, sizeof(seen));
	b.nitems = 1;
	assert_int_equal(sg_pki_batch_run(&b, &st, &err), SG_OK);
	assert_int_equal(st.worst, SG_FAIL);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.status[0], SG_FAIL);
	assert_non_null(strstr(seen.msg[0], "a.csr: rule db.one-live-per-device:"));
	assert_null(strstr(seen.msg[0], "--"));
	assert_string_equal(seen.param[0], "reissue");

	/* None at all: SG_EINPUT, the run does not start. */
	b.nitems = 0;
	assert_int_equal(sg_pki_batch_run(&b, &st, &err), SG_EINPUT);
	assert_int_equal(st.signers, 0);
	OPENSSL_free(a);
	OPENSSL_free(c);
	sg_pki_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items_in_order),
	};
	return cmocka_run_group_tests_name("pki_batch", tests, pki_test_group_setup,
					   pki_test_group_teardown);
}
