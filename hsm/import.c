/* Importing a private key made outside the token, for development and CI
 * keys in SoftHSM2 (production keys are generated inside: keygen.c). The
 * decoder takes the caller's bytes, PEM or DER; the import puts the key's
 * parts into the token with C_CreateObject as a pair keygen.c describes,
 * then asks the token whether it keeps the private half sensitive and not
 * extractable, and takes the objects away again if it does not. Buffers
 * that held private parts are cleansed on every path; messages show no
 * byte of a key. */
#include "hsm_priv.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "signet/fileio.h"

static const char supported[] = "ecdsa-p256, ecdsa-p384, ed25519, rsa-3072 or rsa-4096";

/* ---- decoding */

/* The supported type of pkey, or SG_KEY_NONE; desc says what it is
 * ("EC P-256", "RSA 2048", "X25519"). May leave errors on OpenSSL's queue. */
static enum sg_key_type pkey_type(const EVP_PKEY *pkey, char *desc, size_t n)
{
	if (EVP_PKEY_is_a(pkey, "EC")) {
		char group[64];
		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), NULL)) {
			snprintf(desc, n, "EC (explicit curve parameters)");
			return SG_KEY_NONE;
		}
		int nid = OBJ_sn2nid(group);
		const char *nist = nid != NID_undef ? EC_curve_nid2nist(nid) : NULL;
		snprintf(desc, n, "EC %.40s", nist ? nist : group);
		return nid == NID_X9_62_prime256v1 ? SG_KEY_ECDSA_P256
		       : nid == NID_secp384r1	   ? SG_KEY_ECDSA_P384
						   : SG_KEY_NONE;
	}
	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		snprintf(desc, n, "Ed25519");
		return SG_KEY_ED25519;
	}
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		BIGNUM *third = NULL;
		bool multi = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_FACTOR3, &third) == 1;
		BN_clear_free(third);
		int bits = EVP_PKEY_get_bits(pkey);
		snprintf(desc, n, "RSA %d%s", bits, multi ? " (more than two primes)" : "");
		return multi		? SG_KEY_NONE
		       : bits == 3072 ? SG_KEY_RSA_3072
		       : bits == 4096 ? SG_KEY_RSA_4096
				      : SG_KEY_NONE;
	}
	const char *name = EVP_PKEY_get0_type_name(pkey);
	snprintf(desc, n, "%s", name ? name : "unknown");
	return SG_KEY_NONE;
}

static int encrypted(const char *name, struct sg_err *err)
{
	return sg_errf_param(err, SG_EINPUT, "encrypted_key",
			     "%s: the private key is encrypted: decrypt it first", name);
}

/* One private key filling der..der+len exactly, PKCS#8 or traditional. */
static int decode_der(const uint8_t *der, size_t len, const char *name, const char *what,
		      EVP_PKEY **pkey, struct sg_err *err)
{
	const unsigned char *p = der;
	X509_SIG *sealed = d2i_X509_SIG(NULL, &p, (long)len); /* EncryptedPrivateKeyInfo */
	bool is_sealed = sealed && p == der + len;
	X509_SIG_free(sealed);
	if (is_sealed)
		return encrypted(name, err);
	p = der;
	*pkey = d2i_AutoPrivateKey(NULL, &p, (long)len);
	if (*pkey && p == der + len)
		return SG_OK;
	EVP_PKEY_free(*pkey);
	*pkey = NULL;
	return sg_errf(err, SG_EINPUT, "%s: %s", name, what);
}

/* A PEM label as messages show it: printable ASCII, and short: it is the
 * file's own text, and no message shows a run of that long enough to be
 * key material. */
static void label_shown(const char *label, char *out, size_t n)
{
	enum { SHOWN = 24 };
	size_t i = 0;
	for (; i < SHOWN && i + 1 < n && label[i]; i++)
		out[i] = label[i] >= 0x20 && label[i] < 0x7f ? label[i] : '?';
	out[i] = 0;
	if (label[i] && i + 4 < n)
		strcpy(out + i, "...");
}

struct pem_scan {
	const char *name;
	EVP_PKEY *pkey;
	unsigned keys;
	char first[32]; /* the first label that was no private key, for messages */
};

static bool is_label(const char *label, const char *want)
{
	return strcmp(label, want) == 0;
}

static int pem_block(struct pem_scan *s, const char *label, const char *header,
		     const uint8_t *der, size_t len, struct sg_err *err)
{
	char shown[32];
	label_shown(label, shown, sizeof(shown));
	if (is_label(label, "ENCRYPTED PRIVATE KEY") || strstr(header, "ENCRYPTED"))
		return encrypted(s->name, err);
	if (!is_label(label, "PRIVATE KEY") && !is_label(label, "EC PRIVATE KEY") &&
	    !is_label(label, "RSA PRIVATE KEY")) {
		size_t l = strlen(label);
		if (l >= 11 && strcmp(label + l - 11, "PRIVATE KEY") == 0)
			return sg_errf(err, SG_EINPUT, "%s: PEM \"%s\" is not a format signet "
				       "imports (PKCS#8 \"PRIVATE KEY\")", s->name, shown);
		if (!s->first[0])
			snprintf(s->first, sizeof(s->first), "%s", shown);
		return SG_OK;
	}
	if (++s->keys > 1)
		return sg_errf(err, SG_EINPUT, "%s: holds more than one private key", s->name);
	char what[80];
	snprintf(what, sizeof(what), "PEM \"%s\" does not hold a private key", shown);
	return decode_der(der, len, s->name, what, &s->pkey, err);
}

static int decode_pem(const uint8_t *data, size_t len, const char *name, EVP_PKEY **pkey,
		      struct sg_err *err)
{
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	if (!bio)
		return sg_errf(err, SG_EENV, "out of memory");
	struct pem_scan s = { .name = name };
	int rc = SG_OK;
	while (rc == SG_OK) {
		char *label = NULL, *header = NULL;
		unsigned char *der = NULL;
		long der_len = 0;
		ERR_set_mark(); /* the reason, if it fails, is the last error after this */
		int got = PEM_read_bio_ex(bio, &label, &header, &der, &der_len, PEM_FLAG_SECURE);
		unsigned long e = got ? 0 : ERR_peek_last_error();
		ERR_pop_to_mark();
		if (!got) {
			const char *why = ERR_reason_error_string(e);
			if (ERR_GET_LIB(e) != ERR_LIB_PEM || ERR_GET_REASON(e) != PEM_R_NO_START_LINE)
				rc = sg_errf(err, SG_EINPUT, "%s: malformed PEM (%s)", name,
					     why ? why : "unreadable");
			break;
		}
		rc = pem_block(&s, label, header, der, (size_t)der_len, err);
		OPENSSL_secure_free(label);
		OPENSSL_secure_free(header);
		OPENSSL_secure_clear_free(der, (size_t)der_len);
	}
	BIO_free(bio);
	if (rc == SG_OK && s.keys == 0)
		rc = s.first[0] ? sg_errf(err, SG_EINPUT, "%s: no private key (PEM \"%s\")", name,
					  s.first)
				: sg_errf(err, SG_EINPUT, "%s: not a PKCS#8 private key (PEM or DER)",
					  name);
	if (rc != SG_OK) {
		EVP_PKEY_free(s.pkey);
		s.pkey = NULL;
	}
	*pkey = s.pkey;
	return rc;
}

/* The key's type, and its halves agree (a corrupt or forged file could
 * pair a private value with another public key). */
static int check_decoded(EVP_PKEY *pkey, const char *name, enum sg_key_type *type,
			 struct sg_err *err)
{
	char desc[64];
	*type = pkey_type(pkey, desc, sizeof(desc));
	if (*type == SG_KEY_NONE)
		return sg_errf(err, SG_EINPUT, "%s: %s key: signet imports %s", name, desc,
			       supported);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok = pc ? EVP_PKEY_pairwise_check(pc) : 0;
	EVP_PKEY_CTX_free(pc);
	if (ok != 1 && ok != -2) /* -2: no check for this type */
		return sg_errf(err, SG_EINPUT, "%s: the %s key's private and public parts do "
			       "not match", name, desc);
	return SG_OK;
}

int sg_hsm_private_key_decode(const uint8_t *data, size_t len, const char *name,
			      EVP_PKEY **pkey, enum sg_key_type *type, struct sg_err *err)
{
	*pkey = NULL;
	*type = SG_KEY_NONE;
	if (len == 0)
		return sg_errf(err, SG_EINPUT, "%s: empty, no private key", name);
	if (len > SG_KEY_FILE_MAX)
		return sg_errf(err, SG_EINPUT, "%s: larger than %d bytes, not a private key", name,
			       SG_KEY_FILE_MAX);
	ERR_set_mark(); /* what OpenSSL says goes into our message, not its queue */
	static const char begin[] = "-----BEGIN ";
	int rc = memmem(data, len, begin, sizeof(begin) - 1)
			 ? decode_pem(data, len, name, pkey, err)
			 : decode_der(data, len, name, "not a PKCS#8 private key (PEM or DER)",
				      pkey, err);
	if (rc == SG_OK)
		rc = check_decoded(*pkey, name, type, err);
	ERR_pop_to_mark();
	if (rc != SG_OK) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
		*type = SG_KEY_NONE;
	}
	return rc;
}

/* ---- the key's parts as PKCS#11 attributes */

enum { PUBLIC_MAX = 640, SECRET_MAX = 2048 };

/* The attributes of one key of its own (not the pair's shared ones), with
 * the bytes they point to: the private parts in secret, cleansed after
 * C_CreateObject. */
struct material {
	CK_KEY_TYPE kt;
	CK_ATTRIBUTE pub[2], priv[8];
	CK_ULONG npub, npriv;
	uint8_t pub_bytes[PUBLIC_MAX], secret[SECRET_MAX];
	size_t pub_used, secret_used;
};

/* n bytes at the end of a buffer, or NULL when they do not fit. */
static uint8_t *room(uint8_t *buf, size_t cap, size_t *used, size_t n)
{
	if (n == 0 || n > cap - *used)
		return NULL;
	*used += n;
	return buf + *used - n;
}

/* A BIGNUM parameter of pkey as len big-endian bytes (len 0: as many as it
 * takes, at most max). Returns the length, 0 when it does not fit or the
 * key lacks it. */
static size_t bn_bytes(const EVP_PKEY *pkey, const char *param, uint8_t *out, size_t max,
		       size_t len)
{
	BIGNUM *bn = NULL;
	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1)
		return 0;
	if (!len)
		len = (size_t)BN_num_bytes(bn);
	if (len == 0 || len > max || BN_bn2binpad(bn, out, (int)len) != (int)len)
		len = 0;
	BN_clear_free(bn);
	return len;
}

/* Appends the parameter (as bn_bytes) to buf and its attribute to a. */
static int add_bn(const EVP_PKEY *pkey, const char *param, CK_ATTRIBUTE_TYPE type, uint8_t *buf,
		  size_t *used, size_t cap, CK_ATTRIBUTE *a, CK_ULONG *n)
{
	size_t len = bn_bytes(pkey, param, buf + *used, cap - *used, 0);
	if (!len)
		return SG_FAIL;
	a[(*n)++] = (CK_ATTRIBUTE){ type, buf + *used, len };
	*used += len;
	return SG_OK;
}

/* CKA_EC_POINT, a DER OCTET STRING around the point (as keygen's keys have
 * it), of inner bytes; returns where the point goes. */
static uint8_t *ec_point(struct material *m, size_t inner)
{
	size_t hdr = inner < 0x80 ? 2 : 3;
	uint8_t *p = room(m->pub_bytes, PUBLIC_MAX, &m->pub_used, hdr + inner);
	if (!p)
		return NULL;
	p[0] = 0x04;
	p[1] = inner < 0x80 ? (uint8_t)inner : 0x81;
	p[hdr - 1] = (uint8_t)inner;
	m->pub[m->npub++] = (CK_ATTRIBUTE){ CKA_EC_POINT, p, hdr + inner };
	return p + hdr;
}

static int material_ec(const EVP_PKEY *pkey, enum sg_key_type type, struct material *m)
{
	size_t fl = type == SG_KEY_ECDSA_P256 ? 32 : 48;
	m->kt = CKK_EC;
	/* The point uncompressed, as keygen's: a key file may carry it compressed. */
	uint8_t *pt = ec_point(m, 1 + 2 * fl);
	if (!pt || bn_bytes(pkey, OSSL_PKEY_PARAM_EC_PUB_X, pt + 1, fl, fl) != fl ||
	    bn_bytes(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, pt + 1 + fl, fl, fl) != fl)
		return SG_FAIL;
	pt[0] = 0x04;
	uint8_t *d = room(m->secret, SECRET_MAX, &m->secret_used, fl);
	if (!d || bn_bytes(pkey, OSSL_PKEY_PARAM_PRIV_KEY, d, fl, fl) != fl)
		return SG_FAIL;
	m->priv[m->npriv++] = (CK_ATTRIBUTE){ CKA_VALUE, d, fl };
	return SG_OK;
}

static int material_ed25519(const EVP_PKEY *pkey, struct material *m)
{
	m->kt = CKK_EC_EDWARDS;
	size_t len = 32;
	uint8_t *pt = ec_point(m, len);
	if (!pt || EVP_PKEY_get_raw_public_key(pkey, pt, &len) != 1 || len != 32)
		return SG_FAIL;
	uint8_t *d = room(m->secret, SECRET_MAX, &m->secret_used, len);
	if (!d || EVP_PKEY_get_raw_private_key(pkey, d, &len) != 1 || len != 32)
		return SG_FAIL;
	m->priv[m->npriv++] = (CK_ATTRIBUTE){ CKA_VALUE, d, len };
	return SG_OK;
}

static int material_rsa(const EVP_PKEY *pkey, struct material *m)
{
	static const struct {
		CK_ATTRIBUTE_TYPE type;
		const char *param;
	} parts[] = {
		{ CKA_PRIVATE_EXPONENT, OSSL_PKEY_PARAM_RSA_D },
		{ CKA_PRIME_1, OSSL_PKEY_PARAM_RSA_FACTOR1 },
		{ CKA_PRIME_2, OSSL_PKEY_PARAM_RSA_FACTOR2 },
		{ CKA_EXPONENT_1, OSSL_PKEY_PARAM_RSA_EXPONENT1 },
		{ CKA_EXPONENT_2, OSSL_PKEY_PARAM_RSA_EXPONENT2 },
		{ CKA_COEFFICIENT, OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
	};
	m->kt = CKK_RSA;
	if (add_bn(pkey, OSSL_PKEY_PARAM_RSA_N, CKA_MODULUS, m->pub_bytes, &m->pub_used,
		   PUBLIC_MAX, m->pub, &m->npub) != SG_OK ||
	    add_bn(pkey, OSSL_PKEY_PARAM_RSA_E, CKA_PUBLIC_EXPONENT, m->pub_bytes, &m->pub_used,
		   PUBLIC_MAX, m->pub, &m->npub) != SG_OK)
		return SG_FAIL;
	m->priv[m->npriv++] = m->pub[0];
	m->priv[m->npriv++] = m->pub[1];
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (add_bn(pkey, parts[i].param, parts[i].type, m->secret, &m->secret_used,
			   SECRET_MAX, m->priv, &m->npriv) != SG_OK)
			return SG_FAIL;
	return SG_OK;
}

static int material_fill(const EVP_PKEY *pkey, enum sg_key_type type, struct material *m)
{
	size_t params_len;
	const uint8_t *params = hsm_ec_params(type, &params_len);
	if (params) {
		CK_ATTRIBUTE a = { CKA_EC_PARAMS, (void *)params, params_len };
		m->pub[m->npub++] = a;
		m->priv[m->npriv++] = a;
	}
	switch (type) {
	case SG_KEY_ECDSA_P256:
	case SG_KEY_ECDSA_P384:
		return material_ec(pkey, type, m);
	case SG_KEY_ED25519:
		return material_ed25519(pkey, m);
	default:
		return material_rsa(pkey, m);
	}
}

/* ---- into the token */

static CK_RV create(const struct hsm_new_pair *p, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt,
		    const CK_ATTRIBUTE *own, CK_ULONG nown, CK_OBJECT_HANDLE *h)
{
	CK_ATTRIBUTE t[2 + HSM_PAIR_PRIV_ATTRS + 8] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
	};
	CK_ULONG n = 2;
	n += cls == CKO_PRIVATE_KEY ? hsm_pair_priv_attrs(p, t + n) : hsm_pair_pub_attrs(p, t + n);
	memcpy(t + n, own, nown * sizeof(*own));
	n += nown;
	return p->tok->mod->f->C_CreateObject(p->tok->session, t, n, h);
}

static int create_error(const struct hsm_new_pair *p, const char *half, CK_RV rv,
			struct sg_err *err)
{
	return sg_errf(err, SG_EENV, "token '%s': cannot create the %s key '%.*s': %s",
		       p->tok->label, half, (int)p->label.ulValueLen, (const char *)p->label.pValue,
		       hsm_rv_name(rv));
}

/* What the token says it made of the private key: refused (SG_FAIL) unless
 * it keeps it sensitive and not extractable. */
static int kept_secret(struct hsm_token *tok, CK_OBJECT_HANDLE priv, struct sg_hsm_imported *out,
		       struct sg_err *err)
{
	int sensitive = hsm_attr_bool(tok, priv, CKA_SENSITIVE);
	int extractable = hsm_attr_bool(tok, priv, CKA_EXTRACTABLE);
	out->always_sensitive = hsm_attr_bool(tok, priv, CKA_ALWAYS_SENSITIVE) == 1;
	out->never_extractable = hsm_attr_bool(tok, priv, CKA_NEVER_EXTRACTABLE) == 1;
	if (sensitive == 1 && extractable == 0)
		return SG_OK;
	const char *how = extractable == 1   ? "keeps the key extractable (CKA_EXTRACTABLE true)"
			  : extractable != 0 ? "does not say whether the key is extractable"
			  : sensitive == 0   ? "keeps the key not sensitive (CKA_SENSITIVE false)"
					     : "does not say whether the key is sensitive";
	return sg_errf(err, SG_FAIL, "token '%s' %s: import is only into a token that keeps "
		       "keys sensitive and not extractable", tok->label, how);
}

/* The SPKI the token now shows for the pair must be pkey's; its SHA-256
 * is the key id. */
static int describe(struct hsm_token *tok, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub,
		    const EVP_PKEY *pkey, struct sg_hsm_imported *out, struct sg_err *err)
{
	struct hsm_keyinfo ki;
	int rc = hsm_key_inspect(tok, priv, pub, &ki, err);
	if (rc != SG_OK)
		return rc;
	uint8_t spki[SG_SPKI_MAX], md[32];
	size_t len = 0;
	struct sg_err why;
	EVP_PKEY *shown = ki.type == out->type && hsm_key_spki(&ki, spki, &len, &why) == SG_OK
				  ? sg_hsm_spki_pkey(spki, len)
				  : NULL;
	hsm_keyinfo_free(&ki);
	if (!shown || EVP_PKEY_eq(shown, pkey) != 1 ||
	    EVP_Digest(spki, len, md, NULL, EVP_sha256(), NULL) != 1)
		rc = sg_errf(err, SG_EENV, "token '%s': the imported key reads back as another key",
			     tok->label);
	else
		sg_hex(md, sizeof(md), out->key_id);
	EVP_PKEY_free(shown);
	return rc;
}

/* Destroys what an import that failed with rc made; rc and err stay as
 * they are unless an object cannot be destroyed. */
static int take_back(const struct hsm_new_pair *p, const CK_OBJECT_HANDLE *h, size_t n, int rc,
		     struct sg_err *err)
{
	CK_RV bad = CKR_OK;
	for (size_t i = 0; i < n; i++)
		if (h[i] != CK_INVALID_HANDLE) {
			CK_RV rv = p->tok->mod->f->C_DestroyObject(p->tok->session, h[i]);
			bad = bad != CKR_OK ? bad : rv;
		}
	if (bad == CKR_OK)
		return rc;
	char first[sizeof(err->msg)];
	snprintf(first, sizeof(first), "%s", err->msg);
	return sg_errf(err, SG_EENV, "%s; what was imported could not be removed (%s): delete "
		       "label '%.*s' from token '%s' by hand", first, hsm_rv_name(bad),
		       (int)p->label.ulValueLen, (const char *)p->label.pValue, p->tok->label);
}

static int import_pair(const struct hsm_new_pair *p, const EVP_PKEY *pkey,
		       struct sg_hsm_imported *out, struct sg_err *err)
{
	struct material m;
	memset(&m, 0, sizeof(m));
	CK_OBJECT_HANDLE h[2] = { CK_INVALID_HANDLE, CK_INVALID_HANDLE }; /* private, public */
	int rc = material_fill(pkey, out->type, &m);
	if (rc != SG_OK) {
		rc = sg_errf(err, SG_EINPUT, "import: the %s key has no private parts to import",
			     sg_key_type_name(out->type));
	} else {
		CK_RV rv = create(p, CKO_PRIVATE_KEY, m.kt, m.priv, m.npriv, &h[0]);
		OPENSSL_cleanse(m.secret, sizeof(m.secret)); /* in the token now, or nowhere */
		if (rv != CKR_OK)
			rc = create_error(p, "private", rv, err);
		else if ((rc = kept_secret(p->tok, h[0], out, err)) == SG_OK &&
			 (rv = create(p, CKO_PUBLIC_KEY, m.kt, m.pub, m.npub, &h[1])) != CKR_OK)
			rc = create_error(p, "public", rv, err);
		if (rc == SG_OK)
			rc = describe(p->tok, h[0], h[1], pkey, out, err);
	}
	if (rc != SG_OK)
		rc = take_back(p, h, 2, rc, err);
	OPENSSL_cleanse(&m, sizeof(m));
	return rc;
}

int sg_hsm_import(struct sg_hsm_ctx *ctx, const char *text, const EVP_PKEY *pkey,
		  struct sg_hsm_imported *out, struct sg_err *err)
{
	struct sg_hsm_imported ignored;
	if (!out)
		out = &ignored;
	memset(out, 0, sizeof(*out));
	char desc[64];
	ERR_set_mark();
	out->type = pkey_type(pkey, desc, sizeof(desc));
	ERR_pop_to_mark();
	if (out->type == SG_KEY_NONE)
		return sg_errf(err, SG_EINPUT, "import: %s key: signet imports %s", desc, supported);
	int rc = sg_hsm_no_core_dumps(err);
	P11KitUri *uri;
	if (rc != SG_OK || (rc = hsm_uri_parse(text, &uri, err)) != SG_OK)
		return rc;
	struct hsm_new_pair p;
	if ((rc = hsm_new_pair(ctx, uri, text, "import", &p, err)) == SG_OK) {
		sg_hex(p.id.pValue, p.id.ulValueLen > 64 ? 64 : p.id.ulValueLen, out->id_hex);
		ERR_set_mark();
		rc = import_pair(&p, pkey, out, err);
		ERR_pop_to_mark();
	}
	p11_kit_uri_free(uri);
	return rc;
}
