/* The signing pipeline against a real SoftHSM2 token holding every key
 * type at once: sign, then verify with the host verifier and the key's
 * public half; failures that must leave no output; errors that name their
 * parameter; and the one entry point for both formats (sg_sign_file),
 * against the CLI's output and the openssl CLI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "signet/chain.h"
#include "signet/sign.h"
#include "mcuboot_testutil.h"
#include "softhsm_fixture.h"
#include "signet/verify.h"

static struct sg_test_softhsm hsm;
static const enum sg_key_type types[] = { SG_KEY_ECDSA_P256, SG_KEY_ECDSA_P384, SG_KEY_ED25519,
					  SG_KEY_RSA_3072, SG_KEY_RSA_4096 };
#define NTYPES (sizeof(types) / sizeof(types[0]))
static char uris[NTYPES][1024];
static char pubs[NTYPES][600];
static char in_path[600], out_path[600];

static void write_pub_pem(struct sg_hsm_ctx *ctx, const char *uri, const char *path)
{
	struct sg_hsm_key *key;
	assert_int_equal(sg_hsm_key_open(ctx, uri, &key, NULL), SG_OK);
	size_t len;
	const uint8_t *der = sg_hsm_key_spki(key, &len);
	FILE *fp = fopen(path, "wb"); /* DER is accepted by sg_trust_add too */
	assert_non_null(fp);
	assert_int_equal(fwrite(der, 1, len, fp), len);
	fclose(fp);
}

static int setup(void **state)
{
	(void)state;
	if (sg_test_softhsm_setup(&hsm, "signing"))
		return -1;
	struct sg_hsm_ctx *ctx = sg_test_softhsm_ctx(&hsm);
	for (size_t i = 0; i < NTYPES; i++) {
		sg_test_softhsm_uri(&hsm, sg_key_type_name(types[i]), uris[i], sizeof(uris[i]));
		struct sg_err err;
		if (sg_hsm_keygen(ctx, uris[i], types[i], &err)) {
			fprintf(stderr, "keygen: %s\n", err.msg);
			return -1;
		}
		snprintf(pubs[i], sizeof(pubs[i]), "%s/%s.der", hsm.dir, sg_key_type_name(types[i]));
		write_pub_pem(ctx, uris[i], pubs[i]);
	}
	sg_hsm_ctx_free(ctx);
	snprintf(in_path, sizeof(in_path), "%s/fw.bin", hsm.dir);
	snprintf(out_path, sizeof(out_path), "%s/fw.sgn", hsm.dir);
	FILE *fp = fopen(in_path, "wb");
	for (int i = 0; i < 300000; i++)
		fputc((int)(((unsigned)i * 7919u) >> 3), fp);
	fclose(fp);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sg_test_softhsm_teardown(&hsm);
	return 0;
}

static struct sg_sign_opts base_opts(void)
{
	struct sg_sign_opts o;
	memset(&o, 0, sizeof(o));
	o.in_path = in_path;
	o.out_path = out_path;
	o.pad = 0xff;
	o.version = (struct sg_version){ 4, 5, 6, 7 };
	o.has_counter = true;
	o.security_counter = 12;
	o.hw_id = "board-x";
	return o;
}

static int output_exists(void)
{
	struct stat st;
	return stat(out_path, &st) == 0;
}

static void test_all_keys_one_session(void **state)
{
	(void)state;
	struct sg_sign_opts o = base_opts();
	for (size_t i = 0; i < NTYPES; i++)
		o.key_uris[o.nkeys++] = uris[i];
	struct sg_hsm_ctx *ctx = sg_test_softhsm_ctx(&hsm);
	struct sg_sign_result r;
	struct sg_err err = { 0 };
	assert_int_equal(sg_sign_file(&o, ctx, &r, &err), SG_OK);
	sg_hsm_ctx_free(ctx);
	assert_int_equal(r.payload_size, 300000);
	assert_int_equal(r.nsigs, NTYPES);
	assert_int_equal(r.digest_alg, SGE_DIGEST_SHA384); /* a P-384 key signs */

	struct sg_trust t = { 0 };
	for (size_t i = 0; i < NTYPES; i++)
		assert_int_equal(sg_trust_add(&t, pubs[i], &err), SG_OK);
	struct sg_verify_policy p = { .threshold = NTYPES, .hw_id = "board-x", .min_counter = 12 };
	static struct sgv_envelope e;
	assert_int_equal(sg_verify_file(out_path, &t, &p, &e, &err), SG_OK);
	assert_int_equal(e.valid_signers, NTYPES);
	assert_int_equal(e.sigs[0].alg, SGE_SIG_ECDSA_P256_SHA256);
	assert_int_equal(e.sigs[1].alg, SGE_SIG_ECDSA_P384_SHA384);
	assert_int_equal(e.sigs[2].alg, SGE_SIG_ED25519);
	assert_int_equal(e.sigs[3].alg, SGE_SIG_RSA_PSS_SHA256);
	assert_int_equal(e.sigs[3].sig_len, 384);
	assert_int_equal(e.sigs[4].sig_len, 512);
	assert_false(e.has_load_addr); /* raw binary carries none */
	sg_trust_free(&t);
	unlink(out_path);
}

static void test_failures_leave_no_output(void **state)
{
	(void)state;
	struct sg_err err;
	struct sg_sign_opts o = base_opts();
	char missing[1100];
	snprintf(missing, sizeof(missing), "%s", uris[0]);
	char *obj = strstr(missing, "object=");
	assert_non_null(obj);
	memcpy(obj, "object=nope", 11); /* same length as "object=ecds" */
	o.key_uris[0] = uris[2];
	o.key_uris[1] = missing;
	o.nkeys = 2;
	struct sg_hsm_ctx *ctx = sg_test_softhsm_ctx(&hsm);
	assert_int_not_equal(sg_sign_file(&o, ctx, NULL, &err), SG_OK);
	assert_false(output_exists());
	/* The same key twice is refused: it could only count once. */
	o.key_uris[1] = uris[2];
	assert_int_equal(sg_sign_file(&o, ctx, NULL, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "same key as"));
	assert_false(output_exists());
	o.nkeys = 1;
	o.hw_id = "bad id";
	assert_int_equal(sg_sign_file(&o, ctx, NULL, &err), SG_EINPUT);
	assert_false(output_exists());
	sg_hsm_ctx_free(ctx);
}

static void test_load_address_option(void **state)
{
	(void)state;
	struct sg_sign_opts o = base_opts();
	o.key_uris[0] = uris[2];
	o.nkeys = 1;
	o.has_load_addr = true;
	o.load_addr = 0x20000000;
	o.digest_alg = SGE_DIGEST_SHA256;
	struct sg_hsm_ctx *ctx = sg_test_softhsm_ctx(&hsm);
	struct sg_err err;
	assert_int_equal(sg_sign_file(&o, ctx, NULL, &err), SG_OK);
	sg_hsm_ctx_free(ctx);
	static struct sgv_envelope e;
	assert_int_equal(sg_envelope_load(out_path, &e, &err), SG_OK);
	assert_true(e.has_load_addr);
	assert_int_equal(e.load_addr, 0x20000000);
	assert_int_equal(e.digest_alg, SGE_DIGEST_SHA256);
	unlink(out_path);
}

/* A self-signed certificate for a fresh P-256 key (no key of the token). */
static void write_self_signed(const char *path)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	assert_non_null(k);
	assert_non_null(x);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"other", -1, -1, 0);
	X509_set_issuer_name(x, n);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_X509(fp, x), 1);
	fclose(fp);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* A library error names the parameter it is about and no CLI option. */
static void names_param(int rc, int want_rc, const struct sg_err *err, const char *param)
{
	assert_int_equal(rc, want_rc);
	if (param)
		assert_string_equal(err->param ? err->param : "(none)", param);
	else
		assert_null(err->param);
	if (strstr(err->msg, "--"))
		fail_msg("message names a CLI option: %s", err->msg);
}

static void test_errors_name_params(void **state)
{
	(void)state;
	char cert[700], req[700], sig[700], img[700];
	snprintf(cert, sizeof(cert), "%s/other.pem", hsm.dir);
	snprintf(req, sizeof(req), "%s/fw.req", hsm.dir);
	snprintf(sig, sizeof(sig), "%s/fw.sig", hsm.dir);
	snprintf(img, sizeof(img), "%s/fw.img", hsm.dir);
	write_self_signed(cert);
	struct sg_hsm_ctx *ctx = sg_test_softhsm_ctx(&hsm);
	struct sg_err err = { 0 };
	struct sg_sign_opts o = base_opts();
	names_param(sg_sign_file(&o, ctx, NULL, &err), SG_EINPUT, &err, "key_uris");
	o.key_uris[o.nkeys++] = uris[2];
	o.cert_paths[o.ncerts++] = cert;
	names_param(sg_sign_file(&o, ctx, NULL, &err), SG_EINPUT, &err, "key_uris");
	o.nkeys = 0;
	o.prepare_pubkey = pubs[2];
	names_param(sg_sign_file(&o, ctx, NULL, &err), SG_EINPUT, &err, "cert_paths");
	o.key_uris[o.nkeys++] = uris[2];
	o.ncerts = 0;
	names_param(sg_sign_file(&o, ctx, NULL, &err), SG_EINPUT, &err, "key_uris");
	assert_false(output_exists());

	/* A certificate where a trusted key goes; an envelope without a chain
	 * and no other trust. */
	struct sg_trust t = { 0 };
	names_param(sg_trust_add(&t, cert, &err), SG_EINPUT, &err, "trust_path");
	o.prepare_pubkey = NULL;
	assert_int_equal(sg_sign_file(&o, ctx, NULL, &err), SG_OK);
	struct sg_chain_trust ct = { NULL, NULL };
	names_param(sg_trust_add_chain(&t, out_path, &ct, &err), SG_FAIL, &err, "roots");
	sg_trust_free(&t);
	unlink(out_path);

	/* Completing: a signature that does not verify (ECDSA: maybe the
	 * encoding; Ed25519: no); a chain for an MCUboot image. */
	o.nkeys = 0;
	o.prepare_pubkey = pubs[0];
	o.out_path = req;
	assert_int_equal(sg_sign_file(&o, ctx, NULL, &err), SG_OK);
	uint8_t junk[64] = { 1, 2, 3 };
	FILE *fp = fopen(sig, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), fp), sizeof(junk));
	fclose(fp);
	names_param(sg_sign_complete(req, sig, true, pubs[0], NULL, img, &err), SG_FAIL, &err,
		    "raw_ecdsa");
	o.prepare_pubkey = pubs[2];
	assert_int_equal(sg_sign_file(&o, ctx, NULL, &err), SG_OK);
	names_param(sg_sign_complete(req, sig, false, pubs[2], NULL, img, &err), SG_FAIL, &err,
		    NULL);
	struct sg_mcuboot_opts m = { .in_path = in_path, .out_path = req, .pad = 0xff,
				     .header_size = 0x200, .pad_header = true,
				     .prepare_pubkey = pubs[2] };
	assert_int_equal(sg_mcuboot_sign_file(&m, NULL, &err), SG_OK);
	names_param(sg_sign_complete(req, sig, false, pubs[2], cert, img, &err), SG_EINPUT, &err,
		    "cert_path");
	m.pad_slot = true;
	names_param(sg_mcuboot_sign_file(&m, NULL, &err), SG_EINPUT, &err, "slot_size");
	unlink(req);

	/* What an MCUboot image cannot take, through the one entry point. */
	o = base_opts(); /* hw_id set */
	o.format = SG_SIGN_MCUBOOT;
	o.mcuboot.header_size = 0x200;
	o.mcuboot.pad_header = true;
	o.key_uris[o.nkeys++] = uris[2];
	names_param(sg_sign_file(&o, ctx, NULL, &err), SG_EINPUT, &err, "hw_id");
	o.hw_id = NULL;
	o.sbom_path = in_path;
	names_param(sg_sign_file(&o, ctx, NULL, &err), SG_EINPUT, &err, "sbom_path");
	o.sbom_path = NULL;
	o.digest_alg = SGE_DIGEST_SHA384;
	names_param(sg_sign_file(&o, ctx, NULL, &err), SG_EINPUT, &err, "digest_alg");
	o.digest_alg = 0;
	o.cert_paths[o.ncerts++] = cert;
	names_param(sg_sign_file(&o, ctx, NULL, &err), SG_EINPUT, &err, "cert_paths");
	o.ncerts = 0;
	o.has_load_addr = true;
	o.load_addr = 0x100000000;
	names_param(sg_sign_file(&o, ctx, NULL, &err), SG_EINPUT, &err, "load_addr");
	o.has_load_addr = false;
	o.key_uris[o.nkeys++] = uris[0];
	names_param(sg_sign_file(&o, ctx, NULL, &err), SG_EINPUT, &err, "key_uris");
	assert_false(output_exists());
	sg_hsm_ctx_free(ctx);
}

static void assert_same_files(const char *a, const char *b)
{
	size_t na, nb;
	uint8_t *pa = mt_read(a, &na), *pb = mt_read(b, &nb);
	bool same = na == nb && memcmp(pa, pb, na) == 0;
	free(pa);
	free(pb);
	if (!same)
		fail_msg("%s and %s differ", a, b);
}

/* What `signet sign` makes of the same input and options (cli/). */
static void cli_sign(const char *key_uri, bool mcuboot, const char *out)
{
	const char *signet = getenv("SIGNET_BINARY");
	assert_non_null(signet);
	const char *argv[] = { signet, "sign", "--key", key_uri, "--version", "4.5.6+7",
			       "--security-counter", "12", "--hw-id", "board-x", in_path, out, NULL };
	const char *mcu_argv[] = { signet, "sign", "--format", "mcuboot", "--key", key_uri,
				   "--version", "4.5.6+7", "--security-counter", "12",
				   "--header-size", "0x200", "--pad-header", in_path, out, NULL };
	char msg[2048];
	if (sg_test_run(mcuboot ? mcu_argv : argv, msg, sizeof(msg)) != 0)
		fail_msg("signet sign: %s", msg);
}

static void set_mcuboot(struct sg_sign_opts *o)
{
	o->format = SG_SIGN_MCUBOOT;
	o->hw_id = NULL; /* an envelope's, not an image's */
	o->mcuboot = (struct sg_mcuboot_layout){ .header_size = 0x200, .pad_header = true };
}

/* The MCUboot image's ECDSA signature over its digest D, checked by the
 * openssl CLI against the key's public half. */
static void openssl_verify_mcuboot(const char *img, const struct sg_mcuboot_info *info,
				   const char *pub)
{
	char d_path[700], sig_path[700], msg[2048];
	snprintf(d_path, sizeof(d_path), "%s/D.bin", hsm.dir);
	snprintf(sig_path, sizeof(sig_path), "%s/D.sig", hsm.dir);
	size_t n;
	uint8_t *image = mt_read(img, &n);
	assert_int_equal(info->nsigs, 1);
	const struct sg_mcuboot_tlv *t = &info->tlvs[info->sigs[0].tlv];
	assert_int_equal(t->type, SG_MCUBOOT_TLV_ECDSA_SIG);
	assert_true(t->off + t->len <= n);
	mt_write(sig_path, image + t->off, t->len);
	mt_write(d_path, info->digest, info->digest_len);
	free(image);
	const char *argv[] = { "openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER",
			       "-inkey", pub, "-in", d_path, "-sigfile", sig_path, NULL };
	if (sg_test_run(argv, msg, sizeof(msg)) != 0)
		fail_msg("openssl pkeyutl -verify: %s", msg);
}

/* One entry point, both formats: sg_sign_file makes what the CLI makes
 * (Ed25519 is deterministic, SOURCE_DATE_EPOCH fixes BUILD_TIME), and
 * what it makes verifies; the MCUboot ECDSA signature also with openssl. */
static void test_one_entry_point_both_formats(void **state)
{
	(void)state;
	char cli_out[700], img[700], req[700];
	snprintf(cli_out, sizeof(cli_out), "%s/cli.out", hsm.dir);
	snprintf(img, sizeof(img), "%s/fw.img", hsm.dir);
	snprintf(req, sizeof(req), "%s/fw.req", hsm.dir);
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	struct sg_hsm_ctx *ctx = sg_test_softhsm_ctx(&hsm);
	struct sg_err err = { 0 };
	struct sg_sign_result r;
	struct sg_trust t = { 0 };
	assert_int_equal(sg_trust_add(&t, pubs[2], &err), SG_OK);
	assert_int_equal(sg_trust_add(&t, pubs[0], &err), SG_OK);

	struct sg_sign_opts o = base_opts();
	o.key_uris[o.nkeys++] = uris[2];
	assert_int_equal(sg_sign_file(&o, ctx, &r, &err), SG_OK);
	assert_int_equal(r.nsigs, 1);
	cli_sign(uris[2], false, cli_out);
	assert_same_files(out_path, cli_out);
	struct sg_verify_policy p = { .threshold = 1, .hw_id = "board-x", .min_counter = 12 };
	static struct sgv_envelope e;
	assert_int_equal(sg_verify_file(out_path, &t, &p, &e, &err), SG_OK);

	set_mcuboot(&o);
	o.out_path = img;
	assert_int_equal(sg_sign_file(&o, ctx, &r, &err), SG_OK);
	assert_int_equal(r.nsigs, 1);
	assert_int_equal(r.payload_size, 300000);
	cli_sign(uris[2], true, cli_out);
	assert_same_files(img, cli_out);
	static struct sg_mcuboot_info info;
	assert_int_equal(sg_mcuboot_verify_file(img, &t, &info, &err), SG_OK);
	assert_true(info.has_counter);
	assert_int_equal(info.security_counter, 12);

	o.key_uris[0] = uris[0]; /* P-256: random k, so openssl checks it */
	assert_int_equal(sg_sign_file(&o, ctx, &r, &err), SG_OK);
	assert_int_equal(sg_mcuboot_verify_file(img, &t, &info, &err), SG_OK);
	assert_memory_equal(info.digest, r.digest, 32);
	openssl_verify_mcuboot(img, &info, pubs[0]);

	/* The prepare half of two-step signing, through the same call. */
	o.nkeys = 0;
	o.prepare_pubkey = pubs[0];
	o.out_path = req;
	assert_int_equal(sg_sign_file(&o, NULL, &r, &err), SG_OK);
	assert_int_equal(r.nsigs, 0);
	static struct sg_request_info ri;
	assert_int_equal(sg_request_load(req, &ri, &err), SG_OK);
	assert_int_equal(ri.r.image_format, SG_REQ_FORMAT_MCUBOOT);
	assert_memory_equal(ri.r.tbs_digest, r.digest, 32);

	sg_trust_free(&t);
	sg_hsm_ctx_free(ctx);
	unsetenv("SOURCE_DATE_EPOCH");
	unlink(out_path);
	unlink(img);
	unlink(req);
	unlink(cli_out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_keys_one_session),
		cmocka_unit_test(test_failures_leave_no_output),
		cmocka_unit_test(test_load_address_option),
		cmocka_unit_test(test_errors_name_params),
		cmocka_unit_test(test_one_entry_point_both_formats),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
