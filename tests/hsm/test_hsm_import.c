/* Importing development keys (sg_hsm_private_key_decode, sg_hsm_import):
 * keys made by `openssl genpkey`, imported into a real SoftHSM2 token,
 * sign through the token and verify with the public key openssl derives
 * from the original file; the token keeps them sensitive and not
 * extractable (read back by pkcs11-tool, not by us); what is refused and
 * with which status; and a module that lies about CKA_EXTRACTABLE
 * (tests/common/fault_pkcs11.c) gets nothing left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dlfcn.h>
#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/fileio.h"
#include "signet/hsm.h"
#include "hsm_test.h"

static struct sg_test_softhsm t;
static const uint8_t msg[] = "firmware to sign";

static int group_setup(void **state)
{
	(void)state;
	if (sg_test_softhsm_setup(&t, "import") != 0)
		return -1;
	return freopen("/dev/null", "r", stdin) ? 0 : -1; /* never prompt */
}

static int group_teardown(void **state)
{
	(void)state;
	sg_test_softhsm_teardown(&t);
	return 0;
}

static char *path_in(const char *name, char *buf, size_t n)
{
	return test_fmt(buf, n, "%s/%s", t.dir, name);
}

/* Runs openssl with args (NULL-terminated), aborting the test on failure. */
static void openssl(const char *const args[])
{
	const char *argv[24] = { "openssl" };
	size_t n = 1;
	for (size_t i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	char out[4096];
	if (sg_test_run(argv, out, sizeof(out)) != 0)
		fail_msg("openssl %s: %s", args[0], out);
}

/* `openssl genpkey` with the options of a key kind into dir/name. */
static void genpkey(const char *name, const char *alg, const char *opt)
{
	char path[SG_TEST_PATH_MAX + 64];
	path_in(name, path, sizeof(path));
	const char *with[] = { "genpkey", "-algorithm", alg, "-pkeyopt", opt, "-out", path, NULL };
	const char *without[] = { "genpkey", "-algorithm", alg, "-out", path, NULL };
	openssl(opt ? with : without);
}

/* A new P-384 key, NAME.pem, and its public half, NAME.pub.der: a key the
 * token holds no copy of (an import of one it holds is refused). */
static void fresh_p384(const char *name)
{
	char file[64], pub[64], keypath[SG_TEST_PATH_MAX + 64], pubpath[SG_TEST_PATH_MAX + 64];
	test_fmt(file, sizeof(file), "%s.pem", name);
	test_fmt(pub, sizeof(pub), "%s.pub.der", name);
	genpkey(file, "EC", "ec_paramgen_curve:P-384");
	const char *derive[] = { "pkey", "-in", path_in(file, keypath, sizeof(keypath)),
				 "-pubout", "-outform", "DER", "-out",
				 path_in(pub, pubpath, sizeof(pubpath)), NULL };
	openssl(derive);
}

static void slurp(const char *name, uint8_t **buf, size_t *len)
{
	char path[SG_TEST_PATH_MAX + 64];
	struct sg_err err;
	if (sg_read_file(path_in(name, path, sizeof(path)), 1 << 20, buf, len, &err) != SG_OK)
		fail_msg("%s", err.msg);
}

/* Decodes dir/name; status, key in *pkey (NULL on failure). */
static int decode(const char *name, EVP_PKEY **pkey, enum sg_key_type *type, struct sg_err *err)
{
	uint8_t *buf;
	size_t len;
	slurp(name, &buf, &len);
	memset(err, 0, sizeof(*err));
	int rc = sg_hsm_private_key_decode(buf, len, name, pkey, type, err);
	assert_true((rc == SG_OK) == (*pkey != NULL));
	free(buf);
	return rc;
}

/* Imports dir/file as object (with id=, percent-encoded, unless NULL) in a
 * fresh context; status. */
static int import_file(const char *file, const char *object, const char *id,
		       struct sg_hsm_imported *out, struct sg_err *err)
{
	EVP_PKEY *pkey;
	enum sg_key_type type;
	int rc = decode(file, &pkey, &type, err);
	if (rc != SG_OK)
		return rc;
	char base[1024], uri[1100];
	sg_test_softhsm_uri(&t, object, base, sizeof(base));
	test_fmt(uri, sizeof(uri), "%s%s%s", base, id ? ";id=" : "", id ? id : "");
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	rc = sg_hsm_import(ctx, uri, pkey, out, err);
	if (rc == SG_OK)
		assert_int_equal(out->type, type);
	sg_hsm_ctx_free(ctx);
	EVP_PKEY_free(pkey);
	return rc;
}

/* pkcs11-tool's view of the token's objects (its --list-objects text),
 * through the real module. */
static void objects(char *out, size_t n)
{
	const char *args[] = { "--list-objects", NULL };
	if (test_pkcs11_tool(&t, args, out, n) != 0)
		fail_msg("pkcs11-tool --list-objects: %s", out);
}

/* The block of objects() for the object of that kind ("Private Key
 * Object", "Public Key Object") and label, cut out into out; false if none. */
static bool object_block(const char *list, const char *kind, const char *label, char *out,
			 size_t n)
{
	char want[300];
	test_fmt(want, sizeof(want), "\n  label:      %s\n", label);
	for (const char *b = strstr(list, kind); b; b = strstr(b + 1, kind)) {
		const char *end = b + 1;
		while ((end = strchr(end, '\n')) && end[1] == ' ')
			end++;
		size_t len = end ? (size_t)(end - b + 1) : strlen(b);
		snprintf(out, n, "%.*s", (int)len, b);
		if (strstr(out, want))
			return true;
	}
	return false;
}

/* The value pkcs11-tool prints after "name" for that object. */
static void field(const char *list, const char *kind, const char *label, const char *name,
		  char *out, size_t n)
{
	char block[4096];
	if (!object_block(list, kind, label, block, sizeof(block)))
		fail_msg("no %s '%s' in: %s", kind, label, list);
	const char *f = strstr(block, name);
	assert_non_null(f);
	f += strlen(name);
	while (*f == ' ')
		f++;
	snprintf(out, n, "%.*s", (int)strcspn(f, "\n"), f);
}

/* Whether the token has any object with this label. */
static bool any_object(const char *label)
{
	char list[16384], block[4096];
	objects(list, sizeof(list));
	return object_block(list, "Private Key Object", label, block, sizeof(block)) ||
	       object_block(list, "Public Key Object", label, block, sizeof(block));
}

static const struct {
	enum sg_key_type type;
	const char *alg, *opt;
} kinds[] = {
	{ SG_KEY_ECDSA_P256, "EC", "ec_paramgen_curve:P-256" },
	{ SG_KEY_ECDSA_P384, "EC", "ec_paramgen_curve:P-384" },
	{ SG_KEY_ED25519, "ED25519", NULL },
	{ SG_KEY_RSA_3072, "RSA", "rsa_keygen_bits:3072" },
	{ SG_KEY_RSA_4096, "RSA", "rsa_keygen_bits:4096" },
};

static void each_type_signs_as_the_original(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const char *name = sg_key_type_name(kinds[i].type);
		char file[64], pub[64], pubpath[SG_TEST_PATH_MAX + 64], keypath[SG_TEST_PATH_MAX + 64];
		test_fmt(file, sizeof(file), "%s.pem", name);
		test_fmt(pub, sizeof(pub), "%s.pub.der", name);
		genpkey(file, kinds[i].alg, kinds[i].opt);
		const char *derive[] = { "pkey", "-in", path_in(file, keypath, sizeof(keypath)),
					 "-pubout", "-outform", "DER", "-out",
					 path_in(pub, pubpath, sizeof(pubpath)), NULL };
		openssl(derive);

		struct sg_hsm_imported made;
		struct sg_err err;
		assert_int_equal(import_file(file, name, NULL, &made, &err), SG_OK);
		/* Made outside the token: it says so. */
		assert_false(made.always_sensitive);
		assert_false(made.never_extractable);
		assert_int_equal(strlen(made.id_hex), 32); /* 16 random bytes, as keygen's */

		/* The key id is SHA-256 of the SPKI openssl derives. */
		uint8_t *spki, md[32];
		size_t spki_len;
		slurp(pub, &spki, &spki_len);
		char hex[65];
		assert_int_equal(EVP_Digest(spki, spki_len, md, NULL, EVP_sha256(), NULL), 1);
		assert_string_equal(made.key_id, sg_hex(md, sizeof(md), hex));

		/* Found and used as a generated key: sign in the token, verify
		 * with the original's public key. */
		char uri[1024];
		struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
		struct sg_hsm_key *key;
		assert_int_equal(sg_hsm_key_open(ctx, sg_test_softhsm_uri(&t, name, uri, sizeof(uri)),
						 &key, &err),
				 SG_OK);
		assert_int_equal(sg_hsm_key_type(key), kinds[i].type);
		uint8_t sig[SG_SIG_MAX];
		size_t sig_len;
		assert_int_equal(sg_hsm_sign(key, msg, sizeof(msg), sig, &sig_len, &err), SG_OK);
		assert_true(test_verify(spki, spki_len, kinds[i].type, msg, sizeof(msg), sig, sig_len));
		sig[sig_len / 2] ^= 1;
		assert_false(test_verify(spki, spki_len, kinds[i].type, msg, sizeof(msg), sig, sig_len));
		sg_hsm_ctx_free(ctx);
		free(spki);

		/* What the token keeps, as pkcs11-tool reads it: both halves
		 * with one label and id, the private one sensitive, not
		 * extractable, sign only. */
		char list[16384], v[256];
		objects(list, sizeof(list));
		field(list, "Private Key Object", name, "Access:", v, sizeof(v));
		assert_string_equal(v, "sensitive");
		field(list, "Private Key Object", name, "Usage:", v, sizeof(v));
		assert_string_equal(v, "sign");
		field(list, "Private Key Object", name, "ID:", v, sizeof(v));
		assert_string_equal(v, made.id_hex);
		field(list, "Public Key Object", name, "ID:", v, sizeof(v));
		assert_string_equal(v, made.id_hex);
		field(list, "Public Key Object", name, "Usage:", v, sizeof(v));
		assert_string_equal(v, "verify");
	}
}

/* The private value of label's private key, asked of the token straight
 * through PKCS#11 (SoftHSM2's module, not hsm/): the answer's CK_RV. */
static CK_RV read_private_value(const char *label, CK_ATTRIBUTE_TYPE type)
{
	void *dl = dlopen(t.module, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(dl);
	CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
	CK_FUNCTION_LIST *f;
	assert_int_equal(get(&f), CKR_OK);
	assert_int_equal(f->C_Initialize(NULL), CKR_OK);
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16;
	assert_int_equal(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	for (CK_ULONG i = 0; i < n && s == CK_INVALID_HANDLE; i++) {
		CK_TOKEN_INFO ti;
		if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && !memcmp(ti.label, "import ", 7))
			assert_int_equal(f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &s),
					 CKR_OK);
	}
	assert_int_equal(f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)t.pin, strlen(t.pin)), CKR_OK);
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE find[] = { { CKA_CLASS, &cls, sizeof(cls) },
				{ CKA_LABEL, (void *)label, strlen(label) } };
	CK_OBJECT_HANDLE h;
	CK_ULONG found = 0;
	assert_int_equal(f->C_FindObjectsInit(s, find, 2), CKR_OK);
	assert_int_equal(f->C_FindObjects(s, &h, 1, &found), CKR_OK);
	f->C_FindObjectsFinal(s);
	assert_int_equal(found, 1);
	uint8_t value[1024];
	CK_ATTRIBUTE a = { type, value, sizeof(value) };
	CK_RV rv = f->C_GetAttributeValue(s, h, &a, 1);
	f->C_Finalize(NULL);
	dlclose(dl);
	return rv;
}

/* The token refuses to give the private value out, as for a generated key
 * (pkcs11-tool 0.23 reads no private key at all, so it cannot tell). */
static void private_value_not_readable(void **state)
{
	(void)state;
	assert_int_equal(read_private_value("ecdsa-p256", CKA_VALUE), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(read_private_value("ed25519", CKA_VALUE), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(read_private_value("rsa-3072", CKA_PRIVATE_EXPONENT),
			 CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(read_private_value("rsa-3072", CKA_PRIME_1), CKR_ATTRIBUTE_SENSITIVE);
}

static int list_item(const struct sg_hsm_item *it, void *arg)
{
	if (!it->is_token && strcmp(it->label, "ed25519") == 0)
		((int *)arg)[0] = it->generated_in_token;
	if (!it->is_token && strcmp(it->label, "made-here") == 0)
		((int *)arg)[1] = it->generated_in_token;
	return 0;
}

/* `hsm list` tells an imported key from one the token made (CKA_LOCAL). */
static void list_shows_where_keys_were_made(void **state)
{
	(void)state;
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_err err;
	char uri[1024];
	assert_int_equal(sg_hsm_keygen(ctx, sg_test_softhsm_uri(&t, "made-here", uri, sizeof(uri)),
				       SG_KEY_ED25519, &err),
			 SG_OK);
	int local[2] = { -5, -5 };
	assert_int_equal(sg_hsm_list(ctx, "pkcs11:token=import", list_item, local, &err), SG_OK);
	assert_int_equal(local[0], 0);
	assert_int_equal(local[1], 1);
	sg_hsm_ctx_free(ctx);
}

static void taken_label_or_id_refused(void **state)
{
	(void)state;
	genpkey("dup.pem", "ED25519", NULL);
	struct sg_hsm_imported made;
	struct sg_err err;
	/* made-here: keygen's, above */
	assert_int_equal(import_file("dup.pem", "made-here", NULL, &made, &err), SG_EINPUT);
	assert_string_equal(err.msg, "token 'import': an object with label 'made-here' already exists");
	/* the id of ecdsa-p256's pair, under a new label */
	char list[16384], id[64], pct[100];
	objects(list, sizeof(list));
	field(list, "Private Key Object", "ecdsa-p256", "ID:", id, sizeof(id));
	char *o = pct;
	for (size_t i = 0; id[i] && id[i + 1]; i += 2)
		o += sprintf(o, "%%%c%c", id[i], id[i + 1]);
	assert_int_equal(import_file("dup.pem", "new", pct, &made, &err), SG_EINPUT);
	char want[160];
	test_fmt(want, sizeof(want), "token 'import': an object with id %s already exists", id);
	assert_string_equal(err.msg, want);
	assert_false(any_object("new"));
	/* An id given in the URI is used for both halves. */
	assert_int_equal(import_file("dup.pem", "given-id", "%C0%FF%EE", &made, &err), SG_OK);
	assert_string_equal(made.id_hex, "c0ffee");
	objects(list, sizeof(list));
	field(list, "Public Key Object", "given-id", "ID:", id, sizeof(id));
	assert_string_equal(id, "c0ffee");
}

static void other_types_refused(void **state)
{
	(void)state;
	static const struct {
		const char *file, *alg, *opt, *want;
	} cases[] = {
		{ "rsa2048.pem", "RSA", "rsa_keygen_bits:2048", "rsa2048.pem: RSA 2048 key" },
		{ "p521.pem", "EC", "ec_paramgen_curve:P-521", "p521.pem: EC P-521 key" },
		{ "k1.pem", "EC", "ec_paramgen_curve:secp256k1", "k1.pem: EC secp256k1 key" },
		{ "x25519.pem", "X25519", NULL, "x25519.pem: X25519 key" },
		{ "ed448.pem", "ED448", NULL, "ed448.pem: ED448 key" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		genpkey(cases[i].file, cases[i].alg, cases[i].opt);
		EVP_PKEY *pkey;
		enum sg_key_type type;
		struct sg_err err;
		assert_int_equal(decode(cases[i].file, &pkey, &type, &err), SG_EINPUT);
		char want[200];
		test_fmt(want, sizeof(want), "%s: signet imports ecdsa-p256, ecdsa-p384, ed25519, "
			 "rsa-3072 or rsa-4096", cases[i].want);
		assert_string_equal(err.msg, want);
	}
	/* DSA, from parameters */
	char params[SG_TEST_PATH_MAX + 64], key[SG_TEST_PATH_MAX + 64];
	const char *gen_params[] = { "genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt",
				     "dsa_paramgen_bits:1024", "-out",
				     path_in("dsa.params", params, sizeof(params)), NULL };
	const char *gen_key[] = { "genpkey", "-paramfile", params, "-out",
				  path_in("dsa.pem", key, sizeof(key)), NULL };
	openssl(gen_params);
	openssl(gen_key);
	EVP_PKEY *pkey;
	enum sg_key_type type;
	struct sg_err err;
	assert_int_equal(decode("dsa.pem", &pkey, &type, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "dsa.pem: DSA key: signet imports"));

	/* The library refuses what a caller decoded itself, too, before it
	 * touches the token. */
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(pkey);
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	char uri[1024];
	assert_int_equal(sg_hsm_import(ctx, sg_test_softhsm_uri(&t, "rsa2k", uri, sizeof(uri)), pkey,
				       NULL, &err),
			 SG_EINPUT);
	assert_string_equal(err.msg, "import: RSA 2048 key: signet imports ecdsa-p256, ecdsa-p384, "
				     "ed25519, rsa-3072 or rsa-4096");
	EVP_PKEY_free(pkey);
	/* and a public key alone has nothing to import */
	uint8_t *spki;
	size_t len;
	slurp("ecdsa-p384.pub.der", &spki, &len);
	const uint8_t *p = spki;
	pkey = d2i_PUBKEY(NULL, &p, (long)len);
	assert_non_null(pkey);
	assert_int_equal(sg_hsm_import(ctx, sg_test_softhsm_uri(&t, "pub-only", uri, sizeof(uri)),
				       pkey, NULL, &err),
			 SG_EINPUT);
	assert_string_equal(err.msg, "import: the ecdsa-p384 key has no private parts to import");
	EVP_PKEY_free(pkey);
	free(spki);
	sg_hsm_ctx_free(ctx);
	assert_false(any_object("pub-only"));
}

/* Whether s holds a run of n base64 characters (a piece of a key would). */
static bool base64_run(const char *s, size_t n)
{
	size_t run = 0;
	for (; *s; s++) {
		run = isalnum((unsigned char)*s) || *s == '+' || *s == '/' ? run + 1 : 0;
		if (run >= n)
			return true;
	}
	return false;
}

/* Writes bytes to dir/name. */
static void put(const char *name, const void *data, size_t len)
{
	char path[SG_TEST_PATH_MAX + 64];
	test_write(&t, name, data, len, path, sizeof(path));
}

/* The first len bytes of dir/from into dir/to. */
static void truncated(const char *from, const char *to, size_t len)
{
	uint8_t *buf;
	size_t n;
	slurp(from, &buf, &n);
	assert_true(len < n);
	put(to, buf, len);
	free(buf);
}

static void malformed_and_encrypted_refused(void **state)
{
	(void)state;
	char key[SG_TEST_PATH_MAX + 64], out[SG_TEST_PATH_MAX + 64];
	path_in("ecdsa-p256.pem", key, sizeof(key));
	const char *der[] = { "pkey", "-in", key, "-outform", "DER", "-out",
			      path_in("p256.der", out, sizeof(out)), NULL };
	openssl(der);
	const char *trad[] = { "pkey", "-in", key, "-traditional", "-out",
			       path_in("trad.pem", out, sizeof(out)), NULL };
	openssl(trad);
	const char *enc8[] = { "pkey", "-in", key, "-aes256", "-passout", "pass:secret", "-out",
			       path_in("enc8.pem", out, sizeof(out)), NULL };
	openssl(enc8);
	const char *enc_trad[] = { "pkey", "-in", key, "-traditional", "-aes256", "-passout",
				   "pass:secret", "-out", path_in("enctrad.pem", out, sizeof(out)),
				   NULL };
	openssl(enc_trad);
	const char *enc_der[] = { "pkcs8", "-topk8", "-in", key, "-passout", "pass:secret",
				  "-outform", "DER", "-out", path_in("enc.der", out, sizeof(out)),
				  NULL };
	openssl(enc_der);
	truncated("ecdsa-p256.pem", "cut.pem", 120);
	truncated("p256.der", "cut.der", 60);
	uint8_t *pem, *rsa;
	size_t pem_len, rsa_len;
	slurp("ecdsa-p256.pem", &pem, &pem_len);
	slurp("rsa-3072.pem", &rsa, &rsa_len);
	char two[8192];
	assert_true(pem_len + rsa_len < sizeof(two));
	memcpy(two, pem, pem_len);
	memcpy(two + pem_len, rsa, rsa_len);
	put("two.pem", two, pem_len + rsa_len);
	put("empty", "", 0);
	put("garbage", "\x30\x82\x01\x00garbage and more garbage", 28);
	char around[8192];
	int n = snprintf(around, sizeof(around), "a CI secret, with a comment\n%.*sand after\n",
			 (int)pem_len, (const char *)pem);
	put("around.pem", around, (size_t)n);

	static const struct {
		const char *file;
		int status;
		const char *msg; /* NULL: decodes */
		bool encrypted;
	} cases[] = {
		{ "p256.der", SG_OK, NULL, false },
		{ "trad.pem", SG_OK, NULL, false },
		{ "around.pem", SG_OK, NULL, false },
		{ "enc8.pem", SG_EINPUT, "enc8.pem: the private key is encrypted: decrypt it first",
		  true },
		{ "enctrad.pem", SG_EINPUT,
		  "enctrad.pem: the private key is encrypted: decrypt it first", true },
		{ "enc.der", SG_EINPUT, "enc.der: the private key is encrypted: decrypt it first",
		  true },
		{ "cut.pem", SG_EINPUT, "cut.pem: malformed PEM (bad end line)", false },
		{ "cut.der", SG_EINPUT, "cut.der: not a PKCS#8 private key (PEM or DER)", false },
		{ "garbage", SG_EINPUT, "garbage: not a PKCS#8 private key (PEM or DER)", false },
		{ "empty", SG_EINPUT, "empty: empty, no private key", false },
		{ "two.pem", SG_EINPUT, "two.pem: holds more than one private key", false },
		{ "ecdsa-p256.pub.der", SG_EINPUT,
		  "ecdsa-p256.pub.der: not a PKCS#8 private key (PEM or DER)", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		EVP_PKEY *pkey;
		enum sg_key_type type;
		struct sg_err err;
		int rc = decode(cases[i].file, &pkey, &type, &err);
		if (rc != cases[i].status)
			fail_msg("%s: status %d (%s)", cases[i].file, rc, err.msg);
		if (cases[i].msg)
			assert_string_equal(err.msg, cases[i].msg);
		else
			assert_int_equal(type, SG_KEY_ECDSA_P256);
		assert_true(cases[i].encrypted == (err.param && !strcmp(err.param, "encrypted_key")));
		assert_false(base64_run(err.msg, 16)); /* no piece of the key */
		EVP_PKEY_free(pkey);
	}
	/* A public key PEM, and standard input named as such. */
	EVP_PKEY *pkey;
	enum sg_key_type type;
	struct sg_err err;
	static const char pub[] = "-----BEGIN PUBLIC KEY-----\n"
				  "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n"
				  "-----END PUBLIC KEY-----\n";
	assert_int_equal(sg_hsm_private_key_decode((const uint8_t *)pub, sizeof(pub) - 1,
						   "standard input", &pkey, &type, &err),
			 SG_EINPUT);
	assert_string_equal(err.msg, "standard input: no private key (PEM \"PUBLIC KEY\")");
	/* Too large to be a key. */
	uint8_t *big = calloc(1, SG_KEY_FILE_MAX + 1);
	assert_int_equal(sg_hsm_private_key_decode(big, SG_KEY_FILE_MAX + 1, "big", &pkey, &type,
						   &err),
			 SG_EINPUT);
	assert_string_equal(err.msg, "big: larger than 65536 bytes, not a private key");
	free(big);
	/* An OpenSSH key is named, not guessed at. */
	static const char ssh[] = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n"
				  "-----END OPENSSH PRIVATE KEY-----\n";
	assert_int_equal(sg_hsm_private_key_decode((const uint8_t *)ssh, sizeof(ssh) - 1, "id",
						   &pkey, &type, &err),
			 SG_EINPUT);
	assert_string_equal(err.msg, "id: PEM \"OPENSSH PRIVATE KEY\" is not a format signet "
				     "imports (PKCS#8 \"PRIVATE KEY\")");
	free(pem);
	free(rsa);
}

/* A key file with its EC point compressed is imported with the point
 * uncompressed, as keygen's keys have it (not every token takes a
 * compressed one): the key id is the one the uncompressed SPKI gives, and
 * the token signs as the original. */
static void compressed_point_key(void **state)
{
	(void)state;
	char key[SG_TEST_PATH_MAX + 64], out[SG_TEST_PATH_MAX + 64];
	fresh_p384("to-compress");
	const char *compress[] = { "pkey", "-in", path_in("to-compress.pem", key, sizeof(key)),
				   "-ec_conv_form", "compressed", "-out",
				   path_in("compressed.pem", out, sizeof(out)), NULL };
	openssl(compress);
	struct sg_hsm_imported made;
	struct sg_err err;
	assert_int_equal(import_file("compressed.pem", "compressed", NULL, &made, &err), SG_OK);
	char list[16384], point[300];
	objects(list, sizeof(list));
	field(list, "Public Key Object", "compressed", "EC_POINT:", point, sizeof(point));
	assert_int_equal(strlen(point), 2 * (2 + 97));
	assert_memory_equal(point, "04610" "4", 6); /* OCTET STRING of 97 bytes: 04 X Y */
	uint8_t *spki, md[32];
	size_t len;
	char hex[65];
	slurp("to-compress.pub.der", &spki, &len);
	assert_int_equal(len, 120); /* uncompressed: 23 + 97 */
	assert_int_equal(EVP_Digest(spki, len, md, NULL, EVP_sha256(), NULL), 1);
	assert_string_equal(made.key_id, sg_hex(md, sizeof(md), hex));
	struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(NULL);
	struct sg_hsm_key *k;
	char uri[1024];
	assert_int_equal(sg_hsm_key_open(ctx, sg_test_softhsm_uri(&t, "compressed", uri, sizeof(uri)),
					 &k, &err),
			 SG_OK);
	uint8_t sig[SG_SIG_MAX];
	size_t sig_len;
	assert_int_equal(sg_hsm_sign(k, msg, sizeof(msg), sig, &sig_len, &err), SG_OK);
	assert_true(test_verify(spki, len, SG_KEY_ECDSA_P384, msg, sizeof(msg), sig, sig_len));
	sg_hsm_ctx_free(ctx);
	free(spki);
}

/* A key whose public part is not its private part's is refused: an EC
 * PKCS#8 whose embedded public point belongs to another key. */
static void halves_that_disagree_refused(void **state)
{
	(void)state;
	uint8_t *a, *b;
	size_t a_len, b_len;
	char key[SG_TEST_PATH_MAX + 64], out[SG_TEST_PATH_MAX + 64];
	genpkey("other.pem", "EC", "ec_paramgen_curve:P-256");
	const char *da[] = { "pkey", "-in", path_in("ecdsa-p256.pem", key, sizeof(key)), "-outform",
			     "DER", "-out", path_in("a.der", out, sizeof(out)), NULL };
	openssl(da);
	const char *db[] = { "pkey", "-in", path_in("other.pem", key, sizeof(key)), "-outform",
			     "DER", "-out", path_in("b.der", out, sizeof(out)), NULL };
	openssl(db);
	slurp("a.der", &a, &a_len);
	slurp("b.der", &b, &b_len);
	/* P-256 PKCS#8 from openssl: the point is the last 65 bytes. */
	assert_int_equal(a_len, b_len);
	memcpy(a + a_len - 65, b + b_len - 65, 65);
	EVP_PKEY *pkey;
	enum sg_key_type type;
	struct sg_err err;
	assert_int_equal(sg_hsm_private_key_decode(a, a_len, "mixed.der", &pkey, &type, &err),
			 SG_EINPUT);
	assert_string_equal(err.msg,
			    "mixed.der: the EC P-256 key's private and public parts do not match");
	free(a);
	free(b);
}

/* A token that keeps the key extractable (or not sensitive), as the fault
 * module makes SoftHSM2 seem: refused with status 1, and nothing stays on
 * the real token. Through the same module without the lie, it works. */
static void token_keeping_it_extractable_refused(void **state)
{
	(void)state;
	const char *faulty = getenv("SIGNET_FAULT_MODULE");
	assert_non_null(faulty);
	setenv("SIGNET_FAULT_PKCS11_MODULE", t.module, 1);
	static const struct {
		const char *lie, *object, *want;
	} cases[] = {
		{ "extractable", "lied-x",
		  "token 'import' keeps the key extractable (CKA_EXTRACTABLE true): import is only "
		  "into a token that keeps keys sensitive and not extractable" },
		{ "not-sensitive", "lied-s",
		  "token 'import' keeps the key not sensitive (CKA_SENSITIVE false): import is only "
		  "into a token that keeps keys sensitive and not extractable" },
		{ NULL, "honest", NULL },
	};
	EVP_PKEY *pkey;
	enum sg_key_type type;
	struct sg_err err;
	fresh_p384("to-lie-about");
	assert_int_equal(decode("to-lie-about.pem", &pkey, &type, &err), SG_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].lie)
			setenv("SIGNET_FAULT", cases[i].lie, 1);
		else
			unsetenv("SIGNET_FAULT");
		struct sg_hsm_ctx *ctx = cli_hsm_ctx_new(faulty);
		char uri[1024];
		struct sg_hsm_imported made;
		int rc = sg_hsm_import(ctx, sg_test_softhsm_uri(&t, cases[i].object, uri, sizeof(uri)),
				       pkey, &made, &err);
		sg_hsm_ctx_free(ctx);
		char list[16384], block[4096];
		objects(list, sizeof(list));
		if (cases[i].lie) {
			assert_int_equal(rc, SG_FAIL);
			assert_string_equal(err.msg, cases[i].want);
			assert_false(any_object(cases[i].object)); /* both halves gone */
		} else {
			assert_int_equal(rc, SG_OK);
			assert_true(object_block(list, "Private Key Object", cases[i].object, block,
						 sizeof(block)));
			assert_true(object_block(list, "Public Key Object", cases[i].object, block,
						 sizeof(block)));
		}
	}
	unsetenv("SIGNET_FAULT");
	EVP_PKEY_free(pkey);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_type_signs_as_the_original),
		cmocka_unit_test(private_value_not_readable),
		cmocka_unit_test(list_shows_where_keys_were_made),
		cmocka_unit_test(taken_label_or_id_refused),
		cmocka_unit_test(other_types_refused),
		cmocka_unit_test(malformed_and_encrypted_refused),
		cmocka_unit_test(compressed_point_key),
		cmocka_unit_test(halves_that_disagree_refused),
		cmocka_unit_test(token_keeping_it_extractable_refused),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
