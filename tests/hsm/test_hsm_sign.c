/* Key generation, signing and listing on one SoftHSM2 token that holds every
 * supported key type at once (libp11 breaks on such tokens; we must not).
 * Signatures are checked with OpenSSL from the SPKI the layer returns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/fileio.h"
#include "signet/hsm.h"
#include "hsm_priv.h"
#include "hsm_test.h"

static const struct {
	enum sg_key_type type;
	const char *object; /* label; also the URI's object= */
	const char *id;     /* id= in the URI, or NULL for a random id */
	const char *desc;
	const char *cli_text; /* what `openssl pkey -text` prints for it */
} keys[] = {
	{ SG_KEY_ECDSA_P256, "fw-p256", "%01%02", "EC P-256", "ASN1 OID: prime256v1" },
	{ SG_KEY_ECDSA_P384, "fw-p384", NULL, "EC P-384", "ASN1 OID: secp384r1" },
	{ SG_KEY_ED25519, "fw-ed25519", "%ed%25%51%9a", "Ed25519", "ED25519 Public-Key" },
	{ SG_KEY_RSA_3072, "fw rsa/3072", NULL, "RSA 3072", "Public-Key: (3072 bit)" },
	{ SG_KEY_RSA_4096, "fw-rsa4096", NULL, "RSA 4096", "Public-Key: (4096 bit)" },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static struct sg_test_softhsm t;
static const uint8_t msg[] = "signet firmware image v1.2.3";

static char *key_uri(size_t i, char *buf, size_t n)
{
	char base[1024];
	sg_test_softhsm_uri(&t, keys[i].object, base, sizeof(base));
	int w = snprintf(buf, n, "%s%s%s", base, keys[i].id ? ";id=" : "",
			 keys[i].id ? keys[i].id : "");
	if (w < 0 || (size_t)w >= n)
		abort();
	return buf;
}

static int group_setup(void **state)
{
	(void)state;
	if (sg_test_softhsm_setup(&t, "signet-test") != 0)
		return -1;
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_err err = { 0 };
	char uri[1024];
	for (size_t i = 0; i < NKEYS; i++) {
		if (sg_hsm_keygen(ctx, key_uri(i, uri, sizeof(uri)), keys[i].type, &err) != SG_OK) {
			fprintf(stderr, "keygen %s: %s\n", keys[i].object, err.msg);
			sg_hsm_ctx_free(ctx);
			return -1;
		}
	}
	sg_hsm_ctx_free(ctx);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	sg_test_softhsm_teardown(&t);
	return 0;
}

static struct sg_hsm_key *open_key(struct sg_hsm_ctx *ctx, size_t i)
{
	char uri[1024];
	struct sg_hsm_key *key = NULL;
	struct sg_err err = { 0 };
	int rc = sg_hsm_key_open(ctx, key_uri(i, uri, sizeof(uri)), &key, &err);
	if (rc != SG_OK)
		fail_msg("open %s: %s", keys[i].object, err.msg);
	assert_non_null(key);
	return key;
}

static void sign_verify_each_type(void **state)
{
	(void)state;
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	for (size_t i = 0; i < NKEYS; i++) {
		struct sg_hsm_key *key = open_key(ctx, i);
		assert_int_equal(sg_hsm_key_type(key), keys[i].type);
		size_t spki_len;
		const uint8_t *spki = sg_hsm_key_spki(key, &spki_len);
		assert_true(spki_len > 0 && spki_len <= SG_SPKI_MAX);

		uint8_t sig[SG_SIG_MAX], sig2[SG_SIG_MAX];
		size_t sig_len = 0, sig2_len = 0;
		struct sg_err err = { 0 };
		assert_int_equal(sg_hsm_sign(key, msg, sizeof(msg), sig, &sig_len, &err), SG_OK);
		assert_true(test_verify(spki, spki_len, keys[i].type, msg, sizeof(msg), sig, sig_len));
		/* A changed message or signature must not verify. */
		uint8_t other[sizeof(msg)];
		memcpy(other, msg, sizeof(msg));
		other[0] ^= 1;
		assert_false(test_verify(spki, spki_len, keys[i].type, other, sizeof(other), sig,
					 sig_len));
		sig[sig_len / 2] ^= 0x10;
		assert_false(test_verify(spki, spki_len, keys[i].type, msg, sizeof(msg), sig, sig_len));

		/* The session is reused: a second signature works too. Ed25519
		 * is deterministic, the others are randomised. */
		assert_int_equal(sg_hsm_sign(key, msg, sizeof(msg), sig2, &sig2_len, &err), SG_OK);
		assert_true(test_verify(spki, spki_len, keys[i].type, msg, sizeof(msg), sig2,
					sig2_len));
		switch (keys[i].type) {
		case SG_KEY_ED25519:
			assert_int_equal(sig2_len, 64);
			break;
		case SG_KEY_RSA_3072:
			assert_int_equal(sig2_len, 384);
			break;
		case SG_KEY_RSA_4096:
			assert_int_equal(sig2_len, 512);
			break;
		default: /* DER: SEQUENCE of two INTEGERs */
			assert_int_equal(sig2[0], 0x30);
			assert_true(sig2_len <= (keys[i].type == SG_KEY_ECDSA_P256 ? 72u : 104u));
		}
	}
	sg_hsm_ctx_free(ctx);
}

static void sign_digest_matches_message_hash(void **state)
{
	(void)state;
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_err err = { 0 };
	uint8_t d256[32], d384[48], sig[SG_SIG_MAX];
	size_t sig_len, spki_len;
	EVP_Digest(msg, sizeof(msg), d256, NULL, EVP_sha256(), NULL);
	EVP_Digest(msg, sizeof(msg), d384, NULL, EVP_sha384(), NULL);

	struct sg_hsm_key *p256 = open_key(ctx, 0);
	assert_int_equal(sg_hsm_sign_digest(p256, d256, 32, sig, &sig_len, &err), SG_OK);
	const uint8_t *spki = sg_hsm_key_spki(p256, &spki_len);
	assert_true(test_verify(spki, spki_len, SG_KEY_ECDSA_P256, msg, sizeof(msg), sig, sig_len));
	assert_int_equal(sg_hsm_sign_digest(p256, d384, 48, sig, &sig_len, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "needs a 32-byte digest, got 48"));

	struct sg_hsm_key *p384 = open_key(ctx, 1);
	assert_int_equal(sg_hsm_sign_digest(p384, d384, 48, sig, &sig_len, &err), SG_OK);
	spki = sg_hsm_key_spki(p384, &spki_len);
	assert_true(test_verify(spki, spki_len, SG_KEY_ECDSA_P384, msg, sizeof(msg), sig, sig_len));

	struct sg_hsm_key *rsa = open_key(ctx, 3);
	assert_int_equal(sg_hsm_sign_digest(rsa, d256, 32, sig, &sig_len, &err), SG_OK);
	spki = sg_hsm_key_spki(rsa, &spki_len);
	assert_true(test_verify(spki, spki_len, SG_KEY_RSA_3072, msg, sizeof(msg), sig, sig_len));

	struct sg_hsm_key *ed = open_key(ctx, 2);
	assert_int_equal(sg_hsm_sign_digest(ed, d256, 32, sig, &sig_len, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "not digests"));
	sg_hsm_ctx_free(ctx);
}

static CK_BBOOL bool_attr(struct sg_hsm_key *key, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = 0xaa;
	CK_ATTRIBUTE a = { type, &v, sizeof(v) };
	assert_int_equal(key->tok->mod->f->C_GetAttributeValue(key->tok->session, obj, &a, 1),
			 CKR_OK);
	assert_true(v == CK_TRUE || v == CK_FALSE);
	return v;
}

static CK_OBJECT_HANDLE public_of(struct sg_hsm_key *key)
{
	struct hsm_bytes id;
	assert_int_equal(hsm_attr(key->tok, key->priv, CKA_ID, &id), CKR_OK);
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, id.p, id.len } };
	CK_OBJECT_HANDLE *h;
	CK_ULONG n;
	assert_int_equal(hsm_find(key->tok, tmpl, 2, &h, &n), CKR_OK);
	assert_int_equal(n, 1);
	CK_OBJECT_HANDLE pub = h[0];
	free(h);
	hsm_bytes_free(&id);
	return pub;
}

static void generated_key_attributes(void **state)
{
	(void)state;
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	for (size_t i = 0; i < NKEYS; i++) {
		struct sg_hsm_key *key = open_key(ctx, i);
		CK_OBJECT_HANDLE priv = key->priv, pub = public_of(key);
		assert_int_equal(bool_attr(key, priv, CKA_TOKEN), CK_TRUE);
		assert_int_equal(bool_attr(key, priv, CKA_PRIVATE), CK_TRUE);
		assert_int_equal(bool_attr(key, priv, CKA_SENSITIVE), CK_TRUE);
		assert_int_equal(bool_attr(key, priv, CKA_ALWAYS_SENSITIVE), CK_TRUE);
		assert_int_equal(bool_attr(key, priv, CKA_EXTRACTABLE), CK_FALSE);
		assert_int_equal(bool_attr(key, priv, CKA_NEVER_EXTRACTABLE), CK_TRUE);
		assert_int_equal(bool_attr(key, priv, CKA_SIGN), CK_TRUE);
		assert_int_equal(bool_attr(key, priv, CKA_DECRYPT), CK_FALSE);
		assert_int_equal(bool_attr(key, priv, CKA_UNWRAP), CK_FALSE);
		assert_int_equal(bool_attr(key, priv, CKA_DERIVE), CK_FALSE);
		assert_int_equal(bool_attr(key, pub, CKA_TOKEN), CK_TRUE);
		assert_int_equal(bool_attr(key, pub, CKA_PRIVATE), CK_FALSE);
		assert_int_equal(bool_attr(key, pub, CKA_VERIFY), CK_TRUE);
		assert_int_equal(bool_attr(key, pub, CKA_ENCRYPT), CK_FALSE);
		assert_int_equal(bool_attr(key, pub, CKA_WRAP), CK_FALSE);

		struct hsm_bytes label, id;
		assert_int_equal(hsm_attr(key->tok, pub, CKA_LABEL, &label), CKR_OK);
		assert_int_equal(label.len, strlen(keys[i].object));
		assert_memory_equal(label.p, keys[i].object, label.len);
		/* Without id= in the URI, keygen picks 16 random bytes. */
		assert_int_equal(hsm_attr(key->tok, priv, CKA_ID, &id), CKR_OK);
		assert_int_equal(id.len, keys[i].id ? strlen(keys[i].id) / 3 : 16);
		hsm_bytes_free(&label);
		hsm_bytes_free(&id);
	}
	sg_hsm_ctx_free(ctx);

	/* Independent view: pkcs11-tool's summary of the P-256 private key. */
	char out[16384];
	const char *args[] = { "--list-objects", "--type", "privkey", "--label", "fw-p256", NULL };
	assert_int_equal(test_pkcs11_tool(&t, args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Usage:      sign\n"));
	assert_non_null(strstr(out, "sensitive, always sensitive, never extractable"));
}

static void keygen_refuses_existing_label_and_id(void **state)
{
	(void)state;
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_err err = { 0 };
	char base[1024], uri[1100];
	assert_int_equal(sg_hsm_keygen(ctx, sg_test_softhsm_uri(&t, "fw-p384", uri, sizeof(uri)),
				       SG_KEY_ECDSA_P256, &err),
			 SG_EINPUT);
	assert_string_equal(err.msg,
			    "token 'signet-test': an object with label 'fw-p384' already exists");

	snprintf(uri, sizeof(uri), "%s;id=%%01%%02",
		 sg_test_softhsm_uri(&t, "fresh-label", base, sizeof(base)));
	assert_int_equal(sg_hsm_keygen(ctx, uri, SG_KEY_ED25519, &err), SG_EINPUT);
	assert_string_equal(err.msg, "token 'signet-test': an object with id 0102 already exists");

	/* Nothing was made under the fresh label. */
	struct sg_hsm_key *key;
	assert_int_equal(sg_hsm_key_open(ctx, sg_test_softhsm_uri(&t, "fresh-label", base,
								  sizeof(base)),
					 &key, &err),
			 SG_EINPUT);
	assert_non_null(strstr(err.msg, "not found"));

	assert_int_equal(sg_hsm_keygen(ctx, sg_test_softhsm_uri(&t, NULL, base, sizeof(base)),
				       SG_KEY_ECDSA_P256, &err),
			 SG_EINPUT);
	assert_non_null(strstr(err.msg, "keygen needs object="));
	assert_int_equal(sg_hsm_keygen(ctx, sg_test_softhsm_uri(&t, "x", base, sizeof(base)),
				       SG_KEY_NONE, &err),
			 SG_EINPUT);
	sg_hsm_ctx_free(ctx);
}

static void spki_parses_with_openssl_cli(void **state)
{
	(void)state;
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	for (size_t i = 0; i < NKEYS; i++) {
		struct sg_hsm_key *key = open_key(ctx, i);
		size_t len;
		const uint8_t *spki = sg_hsm_key_spki(key, &len);
		char path[SG_TEST_PATH_MAX + 32], out[8192];
		test_write(&t, "spki.der", spki, len, path, sizeof(path));
		const char *argv[] = { "openssl", "pkey", "-pubin", "-inform", "DER", "-in",
				       path,	  "-noout", "-text", NULL };
		int st = sg_test_run(argv, out, sizeof(out));
		if (st != 0)
			fail_msg("openssl pkey on %s SPKI: %s", keys[i].object, out);
		if (!strstr(out, keys[i].cli_text))
			fail_msg("%s: no '%s' in: %s", keys[i].object, keys[i].cli_text, out);
	}
	sg_hsm_ctx_free(ctx);
}

/* sg_hsm_key_pkey: the caller's own key, equal to the SPKI, usable after
 * the context is gone; sg_hsm_spki_pkey refuses anything but one whole
 * SPKI and leaves no OpenSSL error behind. */
static void pkey_outlives_context(void **state)
{
	(void)state;
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	EVP_PKEY *pk[NKEYS];
	uint8_t spki[NKEYS][SG_SPKI_MAX], sig[NKEYS][SG_SIG_MAX];
	size_t spki_len[NKEYS], sig_len[NKEYS];
	for (size_t i = 0; i < NKEYS; i++) {
		struct sg_hsm_key *key = open_key(ctx, i);
		const uint8_t *der = sg_hsm_key_spki(key, &spki_len[i]);
		memcpy(spki[i], der, spki_len[i]);
		struct sg_err err = { 0 };
		assert_int_equal(sg_hsm_sign(key, msg, sizeof(msg), sig[i], &sig_len[i], &err),
				 SG_OK);
		assert_non_null(pk[i] = sg_hsm_key_pkey(key));
	}
	sg_hsm_ctx_free(ctx);
	for (size_t i = 0; i < NKEYS; i++) {
		unsigned char *der = NULL;
		int n = i2d_PUBKEY(pk[i], &der);
		assert_int_equal(n, (int)spki_len[i]);
		assert_memory_equal(der, spki[i], spki_len[i]);
		assert_true(test_verify(der, (size_t)n, keys[i].type, msg, sizeof(msg), sig[i],
					sig_len[i]));
		OPENSSL_free(der);
		EVP_PKEY_free(pk[i]);

		ERR_clear_error(); /* whatever OpenSSL's set-up left (config, DSO) */
		EVP_PKEY *same = sg_hsm_spki_pkey(spki[i], spki_len[i]);
		assert_non_null(same);
		EVP_PKEY_free(same);
		spki[i][spki_len[i]] = 0;
		assert_null(sg_hsm_spki_pkey(spki[i], spki_len[i] + 1)); /* trailing byte */
		assert_null(sg_hsm_spki_pkey(spki[i], spki_len[i] - 1)); /* cut short */
		assert_int_equal(ERR_peek_error(), 0);
	}
}

static void keys_share_one_session(void **state)
{
	(void)state;
	struct sg_hsm_ctx *a = cli_hsm_ctx_new(NULL), *b = cli_hsm_ctx_new(NULL);
	struct sg_hsm_key *k0 = open_key(a, 0), *k1 = open_key(a, 1), *kb = open_key(b, 2);
	assert_ptr_equal(k0->tok, k1->tok);
	assert_ptr_equal(k0->tok->mod, kb->tok->mod); /* one module per process and path */
	assert_ptr_not_equal(k0->tok, kb->tok);
	assert_int_equal(k0->tok->mod->refs, 2);
	/* Freeing one context must leave the other working (no finalize,
	 * no logout from under it). */
	sg_hsm_ctx_free(a);
	uint8_t sig[SG_SIG_MAX];
	size_t sig_len, spki_len;
	struct sg_err err = { 0 };
	assert_int_equal(sg_hsm_sign(kb, msg, sizeof(msg), sig, &sig_len, &err), SG_OK);
	const uint8_t *spki = sg_hsm_key_spki(kb, &spki_len);
	assert_true(test_verify(spki, spki_len, SG_KEY_ED25519, msg, sizeof(msg), sig, sig_len));
	sg_hsm_ctx_free(b);
}

/* sg_hsm_key_dup: copies on sessions of their own sign at the same time
 * (one shared session would fail with CKR_OPERATION_ACTIVE), no PIN is
 * asked again, and the context frees them. */
struct signer_run {
	struct sg_hsm_key *key;
	int good, bad;
};

static void *sign_many(void *arg)
{
	struct signer_run *r = arg;
	size_t spki_len;
	const uint8_t *spki = sg_hsm_key_spki(r->key, &spki_len);
	for (int i = 0; i < 100; i++) {
		uint8_t sig[SG_SIG_MAX];
		size_t sig_len;
		struct sg_err err = { 0 };
		if (sg_hsm_sign(r->key, msg, sizeof(msg), sig, &sig_len, &err) == SG_OK &&
		    test_verify(spki, spki_len, SG_KEY_ECDSA_P256, msg, sizeof(msg), sig, sig_len))
			r->good++;
		else
			r->bad++;
	}
	return NULL;
}

static void key_copies_sign_at_once(void **state)
{
	(void)state;
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct signer_run run[4] = { { .key = open_key(ctx, 0) } };
	struct sg_err err = { 0 };
	for (int i = 1; i < 4; i++) {
		assert_int_equal(sg_hsm_key_dup(ctx, run[0].key, &run[i].key, &err), SG_OK);
		assert_int_equal(sg_hsm_key_type(run[i].key), SG_KEY_ECDSA_P256);
		assert_string_equal(sg_hsm_key_uri(run[i].key), sg_hsm_key_uri(run[0].key));
		for (int j = 0; j < i; j++)
			assert_true(run[i].key->tok->session != run[j].key->tok->session);
	}
	/* A key opened later still gets the first session, not a copy's. */
	assert_ptr_equal(open_key(ctx, 1)->tok, run[0].key->tok);
	pthread_t tid[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&tid[i], NULL, sign_many, &run[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		assert_int_equal(run[i].bad, 0);
		assert_int_equal(run[i].good, 100);
	}
	sg_hsm_ctx_free(ctx);
	/* The copies' sessions are closed and nothing is left logged out
	 * under a new context. */
	ctx = cli_hsm_ctx_new(NULL);
	struct signer_run again = { .key = open_key(ctx, 0) };
	sign_many(&again);
	assert_int_equal(again.good, 100);
	sg_hsm_ctx_free(ctx);
}

struct listing {
	struct sg_hsm_item items[16];
	size_t n;
};

static int collect(const struct sg_hsm_item *item, void *arg)
{
	struct listing *l = arg;
	assert_true(l->n < 16);
	l->items[l->n++] = *item;
	return 0;
}

static const struct sg_hsm_item *find_item(const struct listing *l, const char *label)
{
	for (size_t i = 0; i < l->n; i++)
		if (!l->items[i].is_token && strcmp(l->items[i].label, label) == 0)
			return &l->items[i];
	fail_msg("no listed key '%s'", label);
	return NULL;
}

static void list_tokens_and_keys(void **state)
{
	(void)state;
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_err err = { 0 };
	struct listing l = { .n = 0 };
	char uri[1024];
	/* With a pin-source: logged in, private halves seen. */
	assert_int_equal(sg_hsm_list(ctx, sg_test_softhsm_uri(&t, NULL, uri, sizeof(uri)), collect,
				     &l, &err),
			 SG_OK);
	assert_int_equal(l.n, 1 + NKEYS);
	assert_true(l.items[0].is_token);
	assert_true(l.items[0].initialized);
	assert_string_equal(l.items[0].token_label, "signet-test");
	assert_string_equal(l.items[0].manufacturer, "SoftHSM project");
	assert_string_equal(l.items[0].model, "SoftHSM v2");
	assert_non_null(strstr(l.items[0].uri, "token=signet-test"));
	for (size_t i = 0; i < NKEYS; i++) {
		const struct sg_hsm_item *it = find_item(&l, keys[i].object);
		assert_int_equal(it->key_type, keys[i].type);
		assert_string_equal(it->key_desc, keys[i].desc);
		assert_true(it->has_private);
		assert_string_equal(it->token_label, "signet-test");
		assert_non_null(strstr(it->uri, ";type=private"));
		assert_non_null(strstr(it->uri, "serial="));
	}
	const struct sg_hsm_item *p256 = find_item(&l, "fw-p256");
	assert_string_equal(p256->id_hex, "0102");
	assert_non_null(strstr(p256->uri, "id=%01%02"));
	/* The label with a space and a slash comes back percent-encoded. */
	assert_non_null(strstr(find_item(&l, "fw rsa/3072")->uri, "object=fw%20rsa%2F3072"));

	/* Every listed key URI opens (PIN from the environment) as the same
	 * key type. */
	setenv("SIGNET_PIN", t.pin, 1);
	for (size_t i = 1; i < l.n; i++) {
		struct sg_hsm_key *key;
		int rc = sg_hsm_key_open(ctx, l.items[i].uri, &key, &err);
		if (rc != SG_OK)
			fail_msg("listed %s: %s", l.items[i].uri, err.msg);
		assert_int_equal(sg_hsm_key_type(key), l.items[i].key_type);
		/* The listed key id is what a signature by the key carries. */
		size_t spki_len;
		const uint8_t *spki = sg_hsm_key_spki(key, &spki_len);
		uint8_t md[32];
		char hex[65];
		assert_int_equal(EVP_Digest(spki, spki_len, md, NULL, EVP_sha256(), NULL), 1);
		assert_string_equal(l.items[i].key_id, sg_hex(md, sizeof(md), hex));
	}
	unsetenv("SIGNET_PIN");
	sg_hsm_ctx_free(ctx);

	/* No PIN at hand: no prompt, public keys only. */
	ctx = cli_hsm_ctx_new(NULL);
	l.n = 0;
	assert_int_equal(sg_hsm_list(ctx, NULL, collect, &l, &err), SG_OK);
	size_t tokens = 0, initialized = 0, keys_seen = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (l.items[i].is_token) {
			tokens++;
			initialized += l.items[i].initialized;
			continue;
		}
		keys_seen++;
		assert_false(l.items[i].has_private);
		assert_non_null(strstr(l.items[i].uri, ";type=private"));
	}
	assert_int_equal(tokens, 2); /* ours and SoftHSM's free slot */
	assert_int_equal(initialized, 1);
	assert_int_equal(keys_seen, NKEYS);
	assert_string_equal(find_item(&l, "fw-p384")->key_desc, "EC P-384");
	sg_hsm_ctx_free(ctx);
}

static int stop_after_two(const struct sg_hsm_item *item, void *arg)
{
	(void)item;
	return ++*(int *)arg == 2 ? 42 : 0;
}

static void list_stops_when_callback_says(void **state)
{
	(void)state;
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_err err = { 0 };
	int calls = 0;
	assert_int_equal(sg_hsm_list(ctx, "pkcs11:token=signet-test", stop_after_two, &calls, &err),
			 42);
	assert_int_equal(calls, 2);
	sg_hsm_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sign_verify_each_type),
		cmocka_unit_test(sign_digest_matches_message_hash),
		cmocka_unit_test(generated_key_attributes),
		cmocka_unit_test(keygen_refuses_existing_label_and_id),
		cmocka_unit_test(spki_parses_with_openssl_cli),
		cmocka_unit_test(pkey_outlives_context),
		cmocka_unit_test(keys_share_one_session),
		cmocka_unit_test(key_copies_sign_at_once),
		cmocka_unit_test(list_tokens_and_keys),
		cmocka_unit_test(list_stops_when_callback_says),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
