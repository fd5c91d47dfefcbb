/* The issuance database: serial uniqueness, one live certificate per device
 * and profile, reissue, revocation, CRL numbers; CAs sign in SoftHSM2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "pki_priv.h"
#include "pki_test.h"

static struct pki_test P;
static char db_path[SG_TEST_PATH_MAX + 32];

struct count {
	int live, revoked, superseded;
};

static int count_fn(const struct sg_pki_record *r, void *arg)
{
	struct count *c = arg;
	if (!strcmp(r->status, "live"))
		c->live++;
	else if (!strcmp(r->status, "revoked"))
		c->revoked++;
	else
		c->superseded++;
	return 0;
}

static struct count counts(struct sg_pki_db *db)
{
	struct count c = { 0 };
	struct sg_err err;
	assert_int_equal(sg_pki_db_list(db, count_fn, &c, &err), SG_OK);
	return c;
}

static bool in_batch; /* issue inside the caller's transaction */

static int issue(struct sg_pki_db *db, const char *sn, bool reissue, X509 **out,
		 struct sg_err *err)
{
	EVP_PKEY *key = pki_test_key("P-256");
	struct sg_pki_subject s = { .profile = SG_PROF_IDEVID, .key = key, .now = P.now + 10,
				    .device_serial = sn, .hw_type = "1.3.6.1.4.1.99999.1" };
	struct sg_pki_issue_opts o = { .db = db, .reissue = reissue, .batch = in_batch };
	X509 *x = NULL;
	int rc = sg_pki_issue(P.factory_ca, &s, &o, &x, err);
	EVP_PKEY_free(key);
	if (out)
		*out = x;
	else
		X509_free(x);
	return rc;
}

static void test_device_uniqueness(void **state)
{
	struct sg_pki_db *db = *state;
	struct sg_err err = { 0 };
	assert_int_equal(issue(db, "DEV-1", false, NULL, &err), SG_OK);
	assert_int_equal(issue(db, "DEV-2", false, NULL, &err), SG_OK);
	assert_int_equal(issue(db, "DEV-1", false, NULL, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "rule db.one-live-per-device:"));
	assert_null(strstr(err.msg, "--")); /* the CLI adds its option */
	assert_string_equal(err.param, "reissue");
	struct count c = counts(db);
	assert_int_equal(c.live, 2);
	/* --reissue supersedes the live one */
	assert_int_equal(issue(db, "DEV-1", true, NULL, &err), SG_OK);
	c = counts(db);
	assert_int_equal(c.live, 2);
	assert_int_equal(c.superseded, 1);
}

/* Batch: many issuances in one transaction; a refused one is undone
 * alone, a rollback undoes them all, a commit keeps them all. */
static void test_batch(void **state)
{
	struct sg_pki_db *db = *state;
	struct sg_err err = { 0 };
	struct count before = counts(db);
	in_batch = true;
	assert_int_equal(sg_pki_db_begin(db, &err), SG_OK);
	assert_int_equal(issue(db, "B-1", false, NULL, &err), SG_OK);
	assert_int_equal(issue(db, "B-1", false, NULL, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "rule db.one-live-per-device:"));
	assert_int_equal(issue(db, "B-2", false, NULL, &err), SG_OK);
	sg_pki_db_rollback(db);
	assert_int_equal(counts(db).live, before.live);
	assert_int_equal(sg_pki_db_begin(db, &err), SG_OK);
	assert_int_equal(issue(db, "B-1", false, NULL, &err), SG_OK);
	assert_int_equal(issue(db, "B-1", false, NULL, &err), SG_FAIL);
	assert_int_equal(issue(db, "B-2", false, NULL, &err), SG_OK);
	assert_int_equal(sg_pki_db_commit(db, &err), SG_OK);
	in_batch = false;
	assert_int_equal(counts(db).live, before.live + 2);
	assert_int_equal(issue(db, "B-2", false, NULL, &err), SG_FAIL);
}

static void test_revoke_frees_device(void **state)
{
	struct sg_pki_db *db = *state;
	struct sg_err err = { 0 };
	X509 *x;
	char hex[41];
	assert_int_equal(issue(db, "DEV-3", false, &x, &err), SG_OK);
	sg_pki_serial_hex(X509_get0_serialNumber(x), hex, sizeof(hex));
	assert_int_equal(strlen(hex), 32); /* 16 octets, positive, minimal */
	assert_true(X509_get0_serialNumber(x)->data[0] >= 0x40 &&
		    X509_get0_serialNumber(x)->data[0] < 0x80);
	assert_int_equal(sg_pki_db_revoke(db, hex, 1, P.now + 20, &err), SG_OK);
	assert_int_equal(sg_pki_db_revoke(db, hex, 1, P.now + 20, &err), SG_FAIL);
	assert_int_equal(sg_pki_db_revoke(db, "00ff", 1, P.now + 20, &err), SG_EINPUT);
	assert_int_equal(sg_pki_db_revoke(db, "xyz", 1, P.now + 20, &err), SG_EINPUT);
	assert_int_equal(issue(db, "DEV-3", false, NULL, &err), SG_OK);

	/* The CRL lists it, with a CRL number that grows. */
	X509_CRL *crl;
	assert_int_equal(sg_pki_crl(P.factory_ca, db, P.now + 30, 7, &crl, &err), SG_OK);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(P.factory)), 1);
	X509_REVOKED *rev;
	assert_int_equal(X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(x)), 1);
	ASN1_INTEGER *n1 = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	X509_CRL_free(crl);
	assert_int_equal(sg_pki_crl(P.factory_ca, db, P.now + 40, 7, &crl, &err), SG_OK);
	ASN1_INTEGER *n2 = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_int_equal(ASN1_INTEGER_get(n1) + 1, ASN1_INTEGER_get(n2));
	/* the root's CRL does not list the factory CA's certificates */
	X509_CRL *root_crl;
	assert_int_equal(sg_pki_crl(P.root_ca, db, P.now + 40, 7, &root_crl, &err), SG_OK);
	assert_true(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(root_crl)) <= 0);
	X509_CRL_free(root_crl);
	ASN1_INTEGER_free(n1);
	ASN1_INTEGER_free(n2);
	X509_CRL_free(crl);
	X509_free(x);
}

/* The schema enforces serial uniqueness even past the checks. */
static void test_serial_unique(void **state)
{
	struct sg_pki_db *db = *state;
	struct sg_err err = { 0 };
	X509 *x;
	char hex[41];
	assert_int_equal(issue(db, "DEV-4", false, &x, &err), SG_OK);
	sg_pki_serial_hex(X509_get0_serialNumber(x), hex, sizeof(hex));
	assert_int_equal(pki_db_begin(db, &err), SG_OK);
	assert_int_equal(pki_db_check_serial(db, hex, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "rule serial.unique:"));
	assert_int_equal(pki_db_insert(db, x, "idevid", "DEV-OTHER", false, P.now, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "rule serial.unique:"));
	pki_db_rollback(db);
	X509_free(x);
}

/* A CSR's public key as the batch gets it: its encoding, with the key. */
static X509_PUBKEY *csr_spki(EVP_PKEY *key)
{
	X509_REQ *req = X509_REQ_new();
	assert_non_null(req);
	assert_true(X509_REQ_set_pubkey(req, key));
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);
	X509_PUBKEY *spki = NULL;
	struct sg_err err = { 0 };
	assert_int_equal(sg_pki_csr_key(der, (size_t)n, "req", &spki, &err), SG_OK);
	OPENSSL_free(der);
	X509_REQ_free(req);
	return spki;
}

static int spki_der(X509_PUBKEY *pk, unsigned char **der)
{
	*der = NULL;
	return i2d_X509_PUBKEY(pk, der);
}

/* The three steps a threaded batch takes, one by one: reserve draws fresh
 * serials and applies the device rule, sign copies the CSR's key encoding
 * verbatim (and refuses a key that is not the encoding's), record is the
 * last word on serial uniqueness. */
static void test_issue_steps(void **state)
{
	struct sg_pki_db *db = *state;
	struct sg_err err = { 0 };
	/* A key whose last byte ends in a zero bit: a BIT STRING that lost
	 * its unused-bits count (OpenSSL 3.0's X509_PUBKEY_dup) would then
	 * encode differently, and the comparison below must see it. */
	EVP_PKEY *key = NULL;
	unsigned char *a, *b;
	int na, nb;
	do {
		EVP_PKEY_free(key);
		key = pki_test_key("P-256");
		a = NULL;
		na = i2d_PUBKEY(key, &a);
		assert_true(na > 0);
		nb = a[na - 1];
		OPENSSL_free(a);
	} while (nb & 1);
	X509_PUBKEY *spki = csr_spki(key);
	struct sg_pki_subject s = { .profile = SG_PROF_IDEVID, .key = X509_PUBKEY_get0(spki),
				    .spki = spki, .now = P.now + 10, .device_serial = "STEP-1",
				    .hw_type = "1.3.6.1.4.1.99999.1" };
	struct sg_pki_issue_opts o = { .db = db, .batch = true };
	uint8_t serial[16], serial2[16];
	assert_int_equal(sg_pki_db_begin(db, &err), SG_OK);
	assert_int_equal(sg_pki_issue_reserve(P.factory_ca, &s, &o, serial, &err), SG_OK);
	assert_int_equal(sg_pki_issue_reserve(P.factory_ca, &s, &o, serial2, &err), SG_OK);
	assert_memory_not_equal(serial, serial2, 16);
	assert_int_equal(serial[0] & 0xc0, 0x40);

	X509 *x;
	assert_int_equal(sg_pki_issue_sign(P.factory_ca, &s, serial, &x, &err), SG_OK);
	na = spki_der(spki, &a);
	nb = spki_der(X509_get_X509_PUBKEY(x), &b);
	assert_true(na > 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	OPENSSL_free(a);
	OPENSSL_free(b);
	/* what others see: the DER decodes, its key is the CSR's, it verifies */
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	const unsigned char *p = der;
	X509 *y = d2i_X509(NULL, &p, n);
	assert_non_null(y);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(y), key), 1);
	assert_int_equal(X509_verify(y, X509_get0_pubkey(P.factory)), 1);
	assert_int_equal(sg_pki_lint(y, SG_PROF_IDEVID, P.factory, &err), SG_OK);
	X509_free(y);
	OPENSSL_free(der);

	assert_int_equal(sg_pki_issue_record(&s, &o, x, &err), SG_OK);
	struct sg_pki_subject twin = s; /* another device, the same serial */
	twin.device_serial = "STEP-9";
	assert_int_equal(sg_pki_issue_record(&twin, &o, x, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "rule serial.unique:"));
	/* the refused insert rolled back its savepoint alone */
	assert_int_equal(sg_pki_issue_reserve(P.factory_ca, &s, &o, serial2, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "rule db.one-live-per-device:"));
	assert_int_equal(sg_pki_db_commit(db, &err), SG_OK);
	X509_free(x);

	/* a key that is not the encoding's is refused before anything is made */
	EVP_PKEY *other = pki_test_key("P-256");
	s.key = other;
	s.device_serial = "STEP-2";
	assert_int_equal(sg_pki_issue_sign(P.factory_ca, &s, serial2, &x, &err), SG_EINPUT);
	assert_null(x);
	EVP_PKEY_free(other);
	X509_PUBKEY_free(spki);
	EVP_PKEY_free(key);
}

/* A token signature that does not verify with the CA's public key is
 * caught before a certificate or CRL exists and nothing is recorded: here
 * the factory CA checks with the root's key (both P-256). */
static void test_bad_token_signature(void **state)
{
	struct sg_pki_db *db = *state;
	struct sg_err err = { 0 };
	EVP_PKEY *key = pki_test_key("P-256");
	struct sg_pki_subject s = { .profile = SG_PROF_IDEVID, .key = key, .now = P.now + 10,
				    .device_serial = "BAD-SIG", .hw_type = "1.3.6.1.4.1.99999.1" };
	struct sg_pki_issue_opts o = { .db = db };
	EVP_PKEY_CTX *good = P.factory_ca->check;
	P.factory_ca->check = P.root_ca->check;
	X509 *x = NULL;
	X509_CRL *crl = NULL;
	int rc = sg_pki_issue(P.factory_ca, &s, &o, &x, &err);
	struct sg_err crl_err = { 0 };
	int crl_rc = sg_pki_crl(P.factory_ca, db, P.now + 20, 7, &crl, &crl_err);
	P.factory_ca->check = good;
	assert_int_equal(rc, SG_EENV);
	assert_null(x);
	assert_non_null(strstr(err.msg, "signature does not verify"));
	assert_int_equal(crl_rc, SG_EENV);
	assert_null(crl);
	assert_non_null(strstr(crl_err.msg, "signature does not verify"));
	/* not recorded: the device may have its certificate now */
	assert_int_equal(sg_pki_issue(P.factory_ca, &s, &o, &x, &err), SG_OK);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void test_not_ours(void **state)
{
	(void)state;
	char path[SG_TEST_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/other.txt", P.t.dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a database at all, just some text that is long enough\n", f);
	fclose(f);
	struct sg_pki_db *db;
	struct sg_err err = { 0 };
	assert_int_equal(sg_pki_db_open(path, &db, &err), SG_EENV);
}

static int setup(void **state)
{
	if (pki_test_setup(&P))
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/pki.sqlite", P.t.dir);
	struct sg_pki_db *db;
	struct sg_err err = { 0 };
	if (sg_pki_db_open(db_path, &db, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	*state = db;
	return 0;
}

static int teardown(void **state)
{
	sg_pki_db_close(*state);
	pki_test_teardown(&P);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_uniqueness),
		cmocka_unit_test(test_revoke_frees_device),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_serial_unique),
		cmocka_unit_test(test_issue_steps),
		cmocka_unit_test(test_bad_token_signature),
		cmocka_unit_test(test_not_ours),
	};
	return cmocka_run_group_tests_name("pki_db", tests, setup, teardown);
}
