/* Envelope codec and verifier: round trips for every algorithm with real
 * OpenSSL keys, and rejection of every malformed or altered envelope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "signet/envelope.h"
#include "signet/sign.h"
#include "signet/verify.h"

static char tmpdir[] = "/tmp/signet-envelope-XXXXXX";

struct test_key {
	EVP_PKEY *pkey;
	int alg;
	char pem_path[256];
};
static struct test_key keys[5]; /* p256, p384, ed25519, rsa3072, second p256 */

static EVP_PKEY *gen(const char *type, const char *param)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	if (!strcmp(type, "EC"))
		assert_int_equal(EVP_PKEY_CTX_set_group_name(ctx, param), 1);
	if (!strcmp(type, "RSA"))
		assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 3072), 1);
	assert_int_equal(EVP_PKEY_generate(ctx, &pkey), 1);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static void write_pub(struct test_key *k, const char *name)
{
	snprintf(k->pem_path, sizeof(k->pem_path), "%s/%s.pub.pem", tmpdir, name);
	FILE *fp = fopen(k->pem_path, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_PUBKEY(fp, k->pkey), 1);
	fclose(fp);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	keys[0] = (struct test_key){ gen("EC", "P-256"), SGE_SIG_ECDSA_P256_SHA256, "" };
	keys[1] = (struct test_key){ gen("EC", "P-384"), SGE_SIG_ECDSA_P384_SHA384, "" };
	keys[2] = (struct test_key){ gen("ED25519", NULL), SGE_SIG_ED25519, "" };
	keys[3] = (struct test_key){ gen("RSA", NULL), SGE_SIG_RSA_PSS_SHA256, "" };
	keys[4] = (struct test_key){ gen("EC", "P-256"), SGE_SIG_ECDSA_P256_SHA256, "" };
	const char *names[] = { "p256", "p384", "ed25519", "rsa3072", "p256b" };
	for (int i = 0; i < 5; i++)
		write_pub(&keys[i], names[i]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	for (int i = 0; i < 5; i++)
		EVP_PKEY_free(keys[i].pkey);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd);
}

/* Signs msg as the host pipeline would, but with a software key. */
static void sign_with(struct test_key *k, const uint8_t *msg, size_t len, struct sg_signature *s)
{
	unsigned char *der = NULL;
	int der_len = i2d_PUBKEY(k->pkey, &der);
	assert_true(der_len > 0);
	assert_int_equal(sg_key_id(der, (size_t)der_len, s->key_id), 0);
	OPENSSL_free(der);
	s->alg = (uint8_t)k->alg;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *type = k->alg == SGE_SIG_ECDSA_P384_SHA384 ? EVP_sha384()
			     : k->alg == SGE_SIG_ED25519	 ? NULL
								 : EVP_sha256();
	assert_int_equal(EVP_DigestSignInit(md, &pctx, type, NULL, k->pkey), 1);
	if (k->alg == SGE_SIG_RSA_PSS_SHA256) {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
	}
	s->sig_len = sizeof(s->sig);
	assert_int_equal(EVP_DigestSign(md, s->sig, &s->sig_len, msg, len), 1);
	EVP_MD_CTX_free(md);
}

struct built {
	uint8_t *bytes;
	size_t len;
	char path[256];
};

static const uint8_t payload[] = "firmware payload bytes for the envelope tests, 0123456789";

/* Builds an envelope over `payload` signed by the given keys, writes it. */
static void build(struct built *b, const struct sg_envelope_meta *base, const int *key_idx,
		  size_t nkeys)
{
	struct sg_envelope_meta m = *base;
	m.payload_size = sizeof(payload);
	if (!m.digest_alg)
		m.digest_alg = SGE_DIGEST_SHA256;
	assert_int_equal(EVP_Digest(payload, sizeof(payload), m.digest, NULL,
				    m.digest_alg == SGE_DIGEST_SHA384 ? EVP_sha384() : EVP_sha256(),
				    NULL),
			 1);
	uint8_t msg[SGE_MSG_MAX], area[SGE_AREA_MAX];
	size_t msg_len, area_len;
	assert_int_equal(sg_envelope_encode_msg(&m, msg, &msg_len, NULL), SG_OK);
	struct sg_signature sigs[SGE_MAX_SIGNATURES];
	for (size_t i = 0; i < nkeys; i++)
		sign_with(&keys[key_idx[i]], msg, msg_len, &sigs[i]);
	assert_int_equal(sg_envelope_encode_area(sigs, nkeys, area, &area_len, NULL), SG_OK);
	b->len = msg_len + sizeof(payload) + area_len;
	b->bytes = malloc(b->len);
	memcpy(b->bytes, msg, msg_len);
	memcpy(b->bytes + msg_len, payload, sizeof(payload));
	memcpy(b->bytes + msg_len + sizeof(payload), area, area_len);
	snprintf(b->path, sizeof(b->path), "%s/env.sgn", tmpdir);
}

static void write_bytes(const char *path, const uint8_t *p, size_t n)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	fclose(fp);
}

static int verify_bytes(const uint8_t *p, size_t n, const int *trust_idx, size_t ntrust,
			const struct sg_verify_policy *pol, struct sgv_envelope *e,
			struct sg_err *err)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/check.sgn", tmpdir);
	write_bytes(path, p, n);
	struct sg_trust t = { 0 };
	for (size_t i = 0; i < ntrust; i++)
		assert_int_equal(sg_trust_add(&t, keys[trust_idx[i]].pem_path, NULL), SG_OK);
	struct sg_verify_policy none = { 0 };
	int rc = sg_verify_file(path, &t, pol ? pol : &none, e, err);
	sg_trust_free(&t);
	return rc;
}

static struct sg_envelope_meta basic_meta(void)
{
	struct sg_envelope_meta m;
	memset(&m, 0, sizeof(m));
	m.version = (struct sg_version){ 1, 2, 3, 4 };
	m.has_counter = true;
	m.security_counter = 7;
	m.hw_id = "acme-gw-rev2";
	m.has_load_addr = true;
	m.load_addr = 0x08000000;
	m.has_build_time = true;
	m.build_time = 1700000000;
	return m;
}

static void test_round_trip_each_algorithm(void **state)
{
	(void)state;
	static struct sgv_envelope e;
	for (int k = 0; k < 4; k++) {
		struct sg_envelope_meta m = basic_meta();
		if (k == 1)
			m.digest_alg = SGE_DIGEST_SHA384;
		struct built b;
		build(&b, &m, &k, 1);
		struct sg_err err = { 0 };
		assert_int_equal(verify_bytes(b.bytes, b.len, &k, 1, NULL, &e, &err), SG_OK);
		assert_int_equal(e.ver_major, 1);
		assert_int_equal(e.ver_minor, 2);
		assert_int_equal(e.ver_patch, 3);
		assert_int_equal(e.ver_build, 4);
		assert_int_equal(e.security_counter, 7);
		assert_int_equal(e.hw_id_len, 12);
		assert_memory_equal(e.hw_id, "acme-gw-rev2", 12);
		assert_int_equal(e.load_addr, 0x08000000);
		assert_int_equal(e.build_time, 1700000000);
		assert_int_equal(e.payload_size, sizeof(payload));
		assert_int_equal(e.nsigs, 1);
		assert_int_equal(e.sigs[0].alg, keys[k].alg);
		assert_int_equal(e.sigs[0].status, SGV_SIG_VALID);
		/* The wrong trusted key is a "no", not an error. */
		int other = (k + 1) % 4;
		assert_int_equal(verify_bytes(b.bytes, b.len, &other, 1, NULL, &e, &err), SG_FAIL);
		assert_non_null(strstr(err.msg, "no valid signature by a trusted key"));
		assert_int_equal(e.sigs[0].status, SGV_SIG_UNTRUSTED);
		free(b.bytes);
	}
}

static void test_threshold_distinct_signers(void **state)
{
	(void)state;
	static struct sgv_envelope e;
	struct sg_envelope_meta m = basic_meta();
	struct sg_verify_policy two = { .threshold = 2 };
	struct sg_err err;
	/* Two distinct trusted signers, plus an untrusted extra one (RSA). */
	int signers[] = { 0, 2, 3 };
	int trusted[] = { 0, 2, 4 };
	struct built b;
	build(&b, &m, signers, 3);
	assert_int_equal(verify_bytes(b.bytes, b.len, trusted, 3, &two, &e, &err), SG_OK);
	assert_int_equal(e.valid_signers, 2);
	assert_int_equal(e.sigs[2].status, SGV_SIG_UNTRUSTED);
	free(b.bytes);
	/* One key signing twice counts once. */
	int twice[] = { 0, 0 };
	build(&b, &m, twice, 2);
	assert_int_equal(verify_bytes(b.bytes, b.len, trusted, 3, &two, &e, &err), SG_FAIL);
	assert_int_equal(e.valid_signers, 1);
	assert_int_equal(e.sigs[1].status, SGV_SIG_DUPLICATE);
	assert_non_null(strstr(err.msg, "1 of 2"));
	free(b.bytes);
}

static void test_policy(void **state)
{
	(void)state;
	static struct sgv_envelope e;
	struct sg_envelope_meta m = basic_meta();
	int k = 0;
	struct built b;
	build(&b, &m, &k, 1);
	struct sg_err err;
	struct sg_verify_policy p = { .hw_id = "acme-gw-rev2", .min_counter = 7 };
	assert_int_equal(verify_bytes(b.bytes, b.len, &k, 1, &p, &e, &err), SG_OK);
	p.hw_id = "acme-gw-rev3";
	assert_int_equal(verify_bytes(b.bytes, b.len, &k, 1, &p, &e, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "hardware id does not match: envelope 'acme-gw-rev2', "
					"required 'acme-gw-rev3'"));
	p.hw_id = "bad\nid"; /* from argv: shown on one line */
	assert_int_equal(verify_bytes(b.bytes, b.len, &k, 1, &p, &e, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "required 'bad?id'"));
	p.hw_id = NULL;
	p.min_counter = 8;
	assert_int_equal(verify_bytes(b.bytes, b.len, &k, 1, &p, &e, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "security counter below the minimum"));
	free(b.bytes);
}

/* Every single-bit change anywhere must make verification fail. */
static void test_every_bit_flip_rejected(void **state)
{
	(void)state;
	static struct sgv_envelope e;
	struct sg_envelope_meta m = basic_meta();
	int k = 2; /* Ed25519: fixed-length signature, fast */
	struct built b;
	build(&b, &m, &k, 1);
	struct sg_err err;
	unsigned malformed = 0, refused = 0;
	for (size_t i = 0; i < b.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			b.bytes[i] ^= (uint8_t)(1u << bit);
			int rc = verify_bytes(b.bytes, b.len, &k, 1, NULL, &e, &err);
			b.bytes[i] ^= (uint8_t)(1u << bit);
			if (rc == SG_OK)
				fail_msg("flip of bit %d in byte %zu accepted", bit, i);
			assert_true(rc == SG_EINPUT || rc == SG_FAIL);
			malformed += rc == SG_EINPUT;
			refused += rc == SG_FAIL;
		}
	}
	assert_true(malformed > 0 && refused > 0);
	assert_int_equal(verify_bytes(b.bytes, b.len, &k, 1, NULL, &e, &err), SG_OK);
	free(b.bytes);
}

static void test_truncation_and_trailing(void **state)
{
	(void)state;
	static struct sgv_envelope e;
	struct sg_envelope_meta m = basic_meta();
	int k = 0;
	struct built b;
	build(&b, &m, &k, 1);
	struct sg_err err;
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(verify_bytes(b.bytes, n, &k, 1, NULL, &e, &err), SG_EINPUT);
	uint8_t *longer = malloc(b.len + 1);
	memcpy(longer, b.bytes, b.len);
	longer[b.len] = 0;
	assert_int_equal(verify_bytes(longer, b.len + 1, &k, 1, NULL, &e, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "trailing bytes"));
	free(longer);
	free(b.bytes);
}

/* Re-signs after editing M, so only the structural rule can reject it. */
static int resign_and_verify(struct built *b, size_t msg_len, struct sg_err *err)
{
	static struct sgv_envelope e;
	int k = 2;
	struct sg_signature s;
	sign_with(&keys[k], b->bytes, msg_len, &s);
	uint8_t area[SGE_AREA_MAX];
	size_t area_len;
	assert_int_equal(sg_envelope_encode_area(&s, 1, area, &area_len, NULL), SG_OK);
	memcpy(b->bytes + msg_len + sizeof(payload), area, area_len);
	return verify_bytes(b->bytes, b->len, &k, 1, NULL, &e, err);
}

/* The basic envelope signed by the Ed25519 key (what resign_and_verify
 * signs with); returns the length of its M. */
static size_t build_ed25519(struct built *b)
{
	struct sg_envelope_meta m = basic_meta();
	int k = 2;
	build(b, &m, &k, 1);
	return SGE_HEADER_SIZE + sge_get32(b->bytes + 8);
}

static void test_header_rules(void **state)
{
	(void)state;
	struct built b;
	size_t msg_len = build_ed25519(&b);
	struct sg_err err;
	struct { size_t off; uint8_t val; const char *msg; } cases[] = {
		{ 4, 2, "unsupported format version" },
		{ 6, 33, "bad header size" },
		{ 12, 1, "unknown header flags" },
		{ 24, 1, "reserved header bytes not zero" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t saved = b.bytes[cases[i].off];
		b.bytes[cases[i].off] = cases[i].val;
		assert_int_equal(resign_and_verify(&b, msg_len, &err), SG_EINPUT);
		assert_non_null(strstr(err.msg, cases[i].msg));
		b.bytes[cases[i].off] = saved;
	}
	assert_int_equal(resign_and_verify(&b, msg_len, &err), SG_OK);
	free(b.bytes);
}

/* Appends a TLV of the given type to the protected area and re-signs. */
static int with_extra_field(uint16_t type, struct sg_err *err)
{
	struct sg_envelope_meta m = basic_meta();
	int k = 2;
	struct built b;
	build(&b, &m, &k, 1);
	size_t old_msg = SGE_HEADER_SIZE + sge_get32(b.bytes + 8);
	/* Non-critical types sort before every v1 type: insert them first. */
	size_t at = type & SGE_CRITICAL ? old_msg : SGE_HEADER_SIZE;
	uint8_t *n = malloc(b.len + 6);
	memcpy(n, b.bytes, at);
	sge_put16(n + at, type);
	sge_put16(n + at + 2, 2);
	n[at + 4] = 0xAB;
	n[at + 5] = 0xCD;
	memcpy(n + at + 6, b.bytes + at, b.len - at);
	sge_put32(n + 8, (uint32_t)(old_msg + 6 - SGE_HEADER_SIZE));
	free(b.bytes);
	b.bytes = n;
	b.len += 6;
	int rc = resign_and_verify(&b, old_msg + 6, err);
	free(b.bytes);
	return rc;
}

static void test_unknown_fields(void **state)
{
	(void)state;
	struct sg_err err;
	assert_int_equal(with_extra_field(0x0100, &err), SG_OK); /* non-critical: skipped */
	assert_int_equal(with_extra_field(0x8100, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "unknown critical protected field"));
	assert_int_equal(with_extra_field(0x8005, &err), SG_EINPUT); /* repeated, out of order */
	assert_non_null(strstr(err.msg, "out of order"));
}

/* A field for the signature area. */
struct field {
	uint16_t type;
	const uint8_t *value;
	size_t len;
};

/* Builds an envelope signed by the given keys, appends fields to its
 * signature area and verifies it with the first key trusted. */
static int with_fields(const int *signers, size_t nsigners, const struct field *f, size_t nf,
		       struct sgv_envelope *e, struct sg_err *err)
{
	struct sg_envelope_meta m = basic_meta();
	struct built b;
	build(&b, &m, signers, nsigners);
	size_t off = SGE_HEADER_SIZE + sge_get32(b.bytes + 8) + sizeof(payload);
	uint8_t area[SGE_AREA_MAX];
	size_t area_len = b.len - off;
	memcpy(area, b.bytes + off, area_len);
	for (size_t i = 0; i < nf; i++)
		assert_int_equal(sg_envelope_area_append(area, &area_len, f[i].type, f[i].value,
							 f[i].len, NULL),
				 SG_OK);
	uint8_t *n = malloc(off + area_len);
	memcpy(n, b.bytes, off);
	memcpy(n + off, area, area_len);
	int rc = verify_bytes(n, off + area_len, signers, 1, NULL, e, err);
	for (int i = 0; rc == SG_OK && i < e->nchains; i++) /* located where they are */
		assert_memory_equal(n + e->chains[i].off, f[i].value, f[i].len);
	free(n);
	free(b.bytes);
	return rc;
}

/* A well-framed CERT_CHAIN value: certificates of 1 byte ('c', i); the
 * core checks the framing, not X.509 (the host does). */
static const uint8_t chain_values[SGE_MAX_SIGNATURES + 1][3] = {
	{ 1, 0, 'c' }, { 1, 0, 1 }, { 1, 0, 2 }, { 1, 0, 3 }, { 1, 0, 4 }, { 1, 0, 5 },
	{ 1, 0, 6 }, { 1, 0, 7 }, { 1, 0, 8 }, { 1, 0, 9 }, { 1, 0, 10 }, { 1, 0, 11 },
	{ 1, 0, 12 }, { 1, 0, 13 }, { 1, 0, 14 }, { 1, 0, 15 }, { 1, 0, 16 },
};

static int with_chains(size_t nsigs, size_t nchains, struct sgv_envelope *e, struct sg_err *err)
{
	int signers[SGE_MAX_SIGNATURES];
	struct field f[SGE_MAX_SIGNATURES + 1];
	for (size_t i = 0; i < nsigs; i++)
		signers[i] = 2; /* one Ed25519 key signing again and again */
	for (size_t i = 0; i < nchains; i++)
		f[i] = (struct field){ SGE_T_CERT_CHAIN, chain_values[i], 3 };
	return with_fields(signers, nsigs, f, nchains, e, err);
}

/* §5: at most one CERT_CHAIN per SIGNATURE, checked by every verifier. */
static void test_cert_chains_located(void **state)
{
	(void)state;
	static struct sgv_envelope e;
	struct sg_err err;
	assert_int_equal(with_chains(1, 1, &e, &err), SG_OK);
	assert_int_equal(e.nchains, 1);
	assert_int_equal(with_chains(SGE_MAX_SIGNATURES, SGE_MAX_SIGNATURES, &e, &err), SG_OK);
	assert_int_equal(e.nchains, SGE_MAX_SIGNATURES);
	assert_int_equal(with_chains(1, 2, &e, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "more certificate chains than signatures"));
	assert_int_equal(with_chains(SGE_MAX_SIGNATURES, SGE_MAX_SIGNATURES + 1, &e, &err),
			 SG_EINPUT);
	assert_non_null(strstr(err.msg, "more certificate chains than signatures"));
}

/* §5 CERT_CHAIN framing is structure (§7 step 3): malformed whatever keys
 * the verifier trusts, and whether or not it uses chains. */
static void test_cert_chain_framing(void **state)
{
	(void)state;
	static struct sgv_envelope e;
	struct sg_err err;
	int k = 0;
	static const uint8_t two[] = { 1, 0, 'a', 2, 0, 'b', 'c' };
	static const uint8_t zero[] = { 1, 0, 'a', 0, 0 };
	static const uint8_t over[] = { 1, 0, 'a', 2, 0, 'b' };
	static const uint8_t odd[] = { 1, 0, 'a', 1 };
	struct {
		struct field f;
		int rc;
		const char *msg;
	} cases[] = {
		{ { SGE_T_CERT_CHAIN, two, sizeof(two) }, SG_OK, NULL },
		{ { SGE_T_CERT_CHAIN, two, 0 }, SG_EINPUT, "empty certificate chain" },
		{ { SGE_T_CERT_CHAIN, zero, sizeof(zero) }, SG_EINPUT, "a length is 0" },
		{ { SGE_T_CERT_CHAIN, over, sizeof(over) }, SG_EINPUT, "runs past the field" },
		{ { SGE_T_CERT_CHAIN, odd, sizeof(odd) }, SG_EINPUT, "ends inside a length" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(with_fields(&k, 1, &cases[i].f, 1, &e, &err), cases[i].rc);
		if (cases[i].msg)
			assert_non_null(strstr(err.msg, cases[i].msg));
	}
}

/* §3: type 0x0000 is reserved in both areas (what zeroed bytes read as);
 * 0x0001 is the lowest usable non-critical type. */
static void test_reserved_type_zero(void **state)
{
	(void)state;
	static struct sgv_envelope e;
	struct sg_err err;
	assert_int_equal(with_extra_field(0x0001, &err), SG_OK);
	assert_int_equal(with_extra_field(0x0000, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "reserved field type 0x0000"));
	int k = 0;
	static const uint8_t v[] = { 0xAB };
	struct field f = { 0x0000, v, sizeof(v) };
	assert_int_equal(with_fields(&k, 1, &f, 1, &e, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "reserved field type 0x0000"));
	f.type = 0x0001;
	assert_int_equal(with_fields(&k, 1, &f, 1, &e, &err), SG_OK);
}

/* §5: an ECDSA signature is 8..72 (P-256) or 8..104 (P-384) bytes, checked
 * for every SIGNATURE, trusted key or not: a malformed one makes the
 * envelope malformed even beside a valid trusted signature. */
static void test_signature_length_bounds(void **state)
{
	(void)state;
	static struct sgv_envelope e;
	struct sg_err err;
	int k = 2;
	struct {
		uint8_t alg;
		size_t len;
		int rc;
	} cases[] = {
		{ SGE_SIG_ECDSA_P256_SHA256, 7, SG_EINPUT },  { SGE_SIG_ECDSA_P256_SHA256, 8, SG_OK },
		{ SGE_SIG_ECDSA_P256_SHA256, 72, SG_OK },     { SGE_SIG_ECDSA_P256_SHA256, 73, SG_EINPUT },
		{ SGE_SIG_ECDSA_P384_SHA384, 7, SG_EINPUT },  { SGE_SIG_ECDSA_P384_SHA384, 104, SG_OK },
		{ SGE_SIG_ECDSA_P384_SHA384, 105, SG_EINPUT }, { SGE_SIG_ED25519, 63, SG_EINPUT },
		{ 5, 64, SG_EINPUT },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t v[SGE_SIG_TLV_FIXED + 128];
		memset(v, 0x5a, sizeof(v)); /* a key id no one trusts */
		v[0] = cases[i].alg;
		v[1] = 0;
		struct field f = { SGE_T_SIGNATURE, v, SGE_SIG_TLV_FIXED + cases[i].len };
		int rc = with_fields(&k, 1, &f, 1, &e, &err);
		if (rc != cases[i].rc)
			fail_msg("algorithm %d, %zu bytes: %d (%s)", cases[i].alg, cases[i].len, rc,
				 err.msg);
		if (rc == SG_OK)
			assert_int_equal(e.sigs[1].status, SGV_SIG_UNTRUSTED);
		else
			assert_non_null(strstr(err.msg, cases[i].alg == 5
								? "unknown signature algorithm"
								: "bad signature length for its algorithm"));
	}
}

/* §4: BUILD_TIME <= 9999-12-31T23:59:59Z; above is malformed (was: a
 * negative time_t after 2^63, "not yet valid"). */
static void test_build_time_bound(void **state)
{
	(void)state;
	struct built b;
	size_t msg_len = build_ed25519(&b);
	size_t at = 0; /* the BUILD_TIME value */
	for (size_t p = SGE_HEADER_SIZE; p < msg_len; p += 4u + sge_get16(b.bytes + p + 2))
		if (sge_get16(b.bytes + p) == SGE_T_BUILD_TIME)
			at = p + 4;
	assert_true(at != 0);
	struct sg_err err;
	uint64_t cases[][2] = {
		{ SGE_BUILD_TIME_MAX, SG_OK },
		{ SGE_BUILD_TIME_MAX + 1, SG_EINPUT },
		{ 1ull << 63, SG_EINPUT },
		{ UINT64_MAX, SG_EINPUT },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sge_put64(b.bytes + at, cases[i][0]);
		assert_int_equal(resign_and_verify(&b, msg_len, &err), (int)cases[i][1]);
		if (cases[i][1])
			assert_non_null(strstr(err.msg, "BUILD_TIME after 9999-12-31T23:59:59Z"));
	}
	free(b.bytes);
	/* and the encoder does not write one */
	struct sg_envelope_meta m = basic_meta();
	uint8_t msg[SGE_MSG_MAX];
	size_t len;
	m.digest_alg = SGE_DIGEST_SHA256;
	m.payload_size = 1;
	m.build_time = SGE_BUILD_TIME_MAX + 1;
	assert_int_equal(sg_envelope_encode_msg(&m, msg, &len, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "after 9999-12-31"));
}

/* §5: a key id hashes the SPKI with the EC point uncompressed, so a trusted
 * key given in compressed form still finds its signature. */
static void test_key_id_uncompressed(void **state)
{
	(void)state;
	static struct sgv_envelope e;
	char path[300];
	snprintf(path, sizeof(path), "%s/p256-compressed.pub.pem", tmpdir);
	EVP_PKEY *c = EVP_PKEY_dup(keys[0].pkey);
	assert_non_null(c);
	assert_int_equal(EVP_PKEY_set_utf8_string_param(c, "point-format", "compressed"), 1);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(PEM_write_PUBKEY(fp, c), 1);
	fclose(fp);
	EVP_PKEY_free(c);
	struct sg_trust t = { 0 };
	struct sg_err err;
	assert_int_equal(sg_trust_add(&t, path, &err), SG_OK);
	assert_int_equal(t.keys[0].alg, SGE_SIG_ECDSA_P256_SHA256);
	struct sg_envelope_meta m = basic_meta();
	int k = 0;
	struct built b;
	build(&b, &m, &k, 1);
	write_bytes(b.path, b.bytes, b.len);
	struct sg_verify_policy none = { 0 };
	assert_int_equal(sg_verify_file(b.path, &t, &none, &e, &err), SG_OK);
	assert_int_equal(e.sigs[0].status, SGV_SIG_VALID);
	sg_trust_free(&t);
	free(b.bytes);
}

static void test_version_parse(void **state)
{
	(void)state;
	struct sg_version v;
	assert_int_equal(sg_version_parse("1.2.3", &v, NULL), SG_OK);
	assert_int_equal(v.build, 0);
	assert_int_equal(sg_version_parse("255.255.65535+4294967295", &v, NULL), SG_OK);
	assert_int_equal(v.major, 255);
	assert_int_equal(v.patch, 65535);
	assert_int_equal(v.build, 4294967295u);
	const char *bad[] = { "", "1", "1.2", "1.2.3.4", "256.0.0", "1.2.65536", "01.2.3",
			      "1.2.3+", "1.2.3+4294967296", "a.b.c", "1.2.3-rc1", "-1.2.3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sg_err err;
		assert_int_equal(sg_version_parse(bad[i], &v, &err), SG_EINPUT);
		assert_non_null(strstr(err.msg, "expected X.Y.Z"));
	}
}

static void test_encoder_limits(void **state)
{
	(void)state;
	struct sg_envelope_meta m = basic_meta();
	m.digest_alg = SGE_DIGEST_SHA256;
	m.payload_size = 1;
	uint8_t msg[SGE_MSG_MAX];
	size_t len;
	struct sg_err err;
	m.hw_id = "has space";
	assert_int_equal(sg_envelope_encode_msg(&m, msg, &len, &err), SG_EINPUT);
	m.hw_id = "";
	assert_int_equal(sg_envelope_encode_msg(&m, msg, &len, &err), SG_EINPUT);
	m.hw_id = "x";
	m.payload_size = 0;
	assert_int_equal(sg_envelope_encode_msg(&m, msg, &len, &err), SG_EINPUT);
	m.payload_size = SGE_PAYLOAD_MAX + 1;
	assert_int_equal(sg_envelope_encode_msg(&m, msg, &len, &err), SG_EINPUT);
	struct sg_signature s = { .alg = 1, .sig_len = 0 };
	uint8_t area[SGE_AREA_MAX];
	assert_int_equal(sg_envelope_encode_area(&s, 1, area, &len, &err), SG_EINPUT);
	assert_int_equal(sg_envelope_encode_area(&s, 0, area, &len, &err), SG_EINPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_each_algorithm),
		cmocka_unit_test(test_threshold_distinct_signers),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_every_bit_flip_rejected),
		cmocka_unit_test(test_truncation_and_trailing),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_cert_chains_located),
		cmocka_unit_test(test_cert_chain_framing),
		cmocka_unit_test(test_reserved_type_zero),
		cmocka_unit_test(test_signature_length_bounds),
		cmocka_unit_test(test_build_time_bound),
		cmocka_unit_test(test_key_id_uncompressed),
		cmocka_unit_test(test_version_parse),
		cmocka_unit_test(test_encoder_limits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
