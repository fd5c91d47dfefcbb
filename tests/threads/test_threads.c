/* Two threads of one process each sign releases (sg_sign_file) and issue
 * device certificates (sg_pki_issue into a database of their own) at the
 * same time, as the provisioning station will for several fixtures. Each
 * thread has its own hsm context and CA object on the one SoftHSM2 token;
 * the libraries share the module, OpenSSL and SQLite underneath. Run by
 * ctest, and under ThreadSanitizer by scripts/test.sh (label tsan). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509.h>

#include "pki_test.h"
#include "signet/sign.h"
#include "signet/verify.h"

#define THREADS 2
#define ROUNDS 6

static struct pki_test P;
static char in_path[SG_TEST_PATH_MAX + 16];

struct worker {
	int index;
	int failures;
	char why[600];
	char out[ROUNDS][SG_TEST_PATH_MAX + 32];
	X509 *certs[ROUNDS];
};

static int worker_fail(struct worker *w, const char *what, const struct sg_err *err)
{
	w->failures++;
	snprintf(w->why, sizeof(w->why), "thread %d: %s: %s", w->index, what, err->msg);
	return -1;
}

static int sign_one(struct worker *w, struct sg_hsm_ctx *ctx, const char *key_uri, int round)
{
	snprintf(w->out[round], sizeof(w->out[round]), "%s/t%d-%d.sgn", P.t.dir, w->index, round);
	struct sg_sign_opts o = { .in_path = in_path, .out_path = w->out[round],
				  .in_format = SG_INPUT_BIN, .pad = 0xff, .nkeys = 1,
				  .version = { 1, 2, (uint16_t)round, (uint32_t)w->index },
				  .has_counter = true, .security_counter = (uint32_t)round };
	o.key_uris[0] = key_uri;
	struct sg_sign_result r;
	struct sg_err err = { 0 };
	if (sg_sign_file(&o, ctx, &r, &err) != SG_OK)
		return worker_fail(w, "sign", &err);
	return r.nsigs == 1 ? 0 : worker_fail(w, "sign made no signature", &err);
}

static int issue_one(struct worker *w, struct sg_pki_ca *ca, struct sg_pki_db *db, int round)
{
	char sn[32];
	snprintf(sn, sizeof(sn), "T%d-%d", w->index, round);
	EVP_PKEY *key = pki_test_key("P-256");
	struct sg_pki_subject s = { .profile = SG_PROF_IDEVID, .key = key, .now = P.now + 10,
				    .device_serial = sn, .hw_type = "1.3.6.1.4.1.99999.1" };
	struct sg_pki_issue_opts o = { .db = db };
	struct sg_err err = { 0 };
	int rc = sg_pki_issue(ca, &s, &o, &w->certs[round], &err);
	EVP_PKEY_free(key);
	return rc == SG_OK ? 0 : worker_fail(w, "issue", &err);
}

static void *run(void *arg)
{
	struct worker *w = arg;
	struct sg_err err = { 0 };
	char sign_uri[1024], ca_uri[1024], db_path[SG_TEST_PATH_MAX + 32];
	sg_test_softhsm_uri(&P.t, "fw", sign_uri, sizeof(sign_uri));
	sg_test_softhsm_uri(&P.t, "factory", ca_uri, sizeof(ca_uri));
	snprintf(db_path, sizeof(db_path), "%s/t%d.db", P.t.dir, w->index);
	struct sg_hsm_ctx *ctx = sg_test_softhsm_ctx(&P.t);
	struct sg_hsm_key *ca_key = NULL;
	struct sg_pki_ca *ca = NULL;
	struct sg_pki_db *db = NULL;
	if (!ctx) {
		w->failures++;
		snprintf(w->why, sizeof(w->why), "thread %d: no context", w->index);
	} else if (sg_hsm_key_open(ctx, ca_uri, &ca_key, &err) ||
		   sg_pki_ca_new(ca_key, P.factory, &ca, &err) ||
		   sg_pki_db_open(db_path, &db, &err)) {
		worker_fail(w, "set-up", &err);
	}
	for (int i = 0; i < ROUNDS && !w->failures; i++)
		if (sign_one(w, ctx, sign_uri, i) == 0)
			issue_one(w, ca, db, i);
	sg_pki_db_close(db);
	sg_pki_ca_free(ca);
	sg_hsm_ctx_free(ctx);
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	if (pki_test_setup(&P))
		return -1;
	char uri[1024];
	struct sg_err err = { 0 };
	sg_test_softhsm_uri(&P.t, "fw", uri, sizeof(uri));
	if (sg_hsm_keygen(P.h, uri, SG_KEY_ECDSA_P256, &err)) {
		fprintf(stderr, "keygen: %s\n", err.msg);
		return -1;
	}
	snprintf(in_path, sizeof(in_path), "%s/fw.bin", P.t.dir);
	FILE *fp = fopen(in_path, "wb");
	if (!fp)
		return -1;
	for (int i = 0; i < 1 << 18; i++)
		fputc((i * 131) ^ (i >> 7), fp);
	return fclose(fp) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pki_test_teardown(&P);
	return 0;
}

/* The public half of the token key "fw", to verify what the threads made. */
static void trust_fw(struct sg_trust *t)
{
	char uri[1024];
	struct sg_err err = { 0 };
	struct sg_hsm_key *k;
	sg_test_softhsm_uri(&P.t, "fw", uri, sizeof(uri));
	assert_int_equal(sg_hsm_key_open(P.h, uri, &k, &err), SG_OK);
	EVP_PKEY *pub = sg_hsm_key_pkey(k);
	assert_non_null(pub);
	memset(t, 0, sizeof(*t));
	assert_int_equal(sg_trust_add_pkey(t, pub, "fw", 0, &err), SG_OK);
	EVP_PKEY_free(pub);
}

static void test_sign_and_issue_on_two_threads(void **state)
{
	(void)state;
	static struct worker w[THREADS];
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i].index = i;
		assert_int_equal(pthread_create(&th[i], NULL, run, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < THREADS; i++)
		if (w[i].failures)
			fail_msg("%s", w[i].why);

	/* Every envelope verifies with the token key, and every certificate
	 * with the factory CA's key; the serials are all different. */
	static struct sg_trust trust;
	trust_fw(&trust);
	static struct sgv_envelope e;
	struct sg_verify_policy policy = { 0 };
	EVP_PKEY *ca_pub = X509_get0_pubkey(P.factory);
	for (int i = 0; i < THREADS; i++) {
		for (int r = 0; r < ROUNDS; r++) {
			struct sg_err err = { 0 };
			if (sg_verify_file(w[i].out[r], &trust, &policy, &e, &err) != SG_OK)
				fail_msg("%s: %s", w[i].out[r], err.msg);
			assert_int_equal(e.security_counter, (uint32_t)r);
			assert_int_equal(X509_verify(w[i].certs[r], ca_pub), 1);
			for (int j = 0; j <= i; j++)
				for (int q = 0; q < (j == i ? r : ROUNDS); q++)
					assert_int_not_equal(ASN1_INTEGER_cmp(
						X509_get0_serialNumber(w[i].certs[r]),
						X509_get0_serialNumber(w[j].certs[q])), 0);
		}
	}
	for (int i = 0; i < THREADS; i++)
		for (int r = 0; r < ROUNDS; r++)
			X509_free(w[i].certs[r]);
	sg_trust_free(&trust);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_and_issue_on_two_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
