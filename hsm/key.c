/* Opening keys: find the private key a URI names, learn its type from its
 * attributes, and build the SubjectPublicKeyInfo from its public half. */
#include "hsm_priv.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/fileio.h"

static const char *const type_names[] = {
	[SG_KEY_ECDSA_P256] = "ecdsa-p256", [SG_KEY_ECDSA_P384] = "ecdsa-p384",
	[SG_KEY_ED25519] = "ed25519",       [SG_KEY_RSA_3072] = "rsa-3072",
	[SG_KEY_RSA_4096] = "rsa-4096",
};

const char *sg_key_type_name(enum sg_key_type t)
{
	if (t > SG_KEY_NONE && (size_t)t < sizeof(type_names) / sizeof(type_names[0]))
		return type_names[t];
	return "none";
}

enum sg_key_type sg_key_type_parse(const char *name)
{
	for (size_t t = SG_KEY_NONE + 1; t < sizeof(type_names) / sizeof(type_names[0]); t++)
		if (strcmp(name, type_names[t]) == 0)
			return (enum sg_key_type)t;
	return SG_KEY_NONE;
}

/* Curve of CKA_EC_PARAMS: a DER OID, or for EdDSA possibly the printable
 * string "edwards25519" that PKCS#11 3.0 also allows. 0 if unknown. */
static int curve_nid(const struct hsm_bytes *params)
{
	static const uint8_t ed25519_str[] = "\x13\x0c" "edwards25519";
	static const uint8_t ed448_str[] = "\x13\x0a" "edwards448";
	const uint8_t *p = params->p;
	if (!p)
		return NID_undef;
	if (params->len == sizeof(ed25519_str) - 1 && memcmp(p, ed25519_str, params->len) == 0)
		return NID_ED25519;
	if (params->len == sizeof(ed448_str) - 1 && memcmp(p, ed448_str, params->len) == 0)
		return NID_ED448;
	ASN1_OBJECT *oid = d2i_ASN1_OBJECT(NULL, &p, (long)params->len);
	if (!oid)
		return NID_undef;
	int nid = p == params->p + params->len ? OBJ_obj2nid(oid) : NID_undef;
	ASN1_OBJECT_free(oid);
	return nid;
}

static bool point_len_ok(int nid, size_t len, const uint8_t *p)
{
	if (nid == NID_ED25519)
		return len == 32;
	size_t fl = nid == NID_X9_62_prime256v1 ? 32 : nid == NID_secp384r1 ? 48 : 0;
	return (p[0] == 4 && len == 2 * fl + 1) || ((p[0] == 2 || p[0] == 3) && len == fl + 1);
}

/* CKA_EC_POINT is meant to be a DER OCTET STRING around the point (SoftHSM
 * does that) but some tokens give the bare point: accept both, telling them
 * apart by the lengths a point of this curve can have. */
static int unwrap_point(int nid, struct hsm_bytes *pt)
{
	const uint8_t *p = pt->p;
	size_t len = pt->len, hdr = 0, inner = 0;
	if (len >= 2 && p[0] == 0x04 && p[1] < 0x80) {
		hdr = 2;
		inner = p[1];
	} else if (len >= 3 && p[0] == 0x04 && p[1] == 0x81) {
		hdr = 3;
		inner = p[2];
	}
	if (hdr && hdr + inner == len && inner > 0 && point_len_ok(nid, inner, p + hdr)) {
		memmove(pt->p, p + hdr, inner);
		pt->len = inner;
		return SG_OK;
	}
	return len > 0 && point_len_ok(nid, len, p) ? SG_OK : SG_FAIL;
}

/* An attribute from the first object that has it. */
static CK_RV attr_either(struct hsm_token *tok, CK_OBJECT_HANDLE a, CK_OBJECT_HANDLE b,
			 CK_ATTRIBUTE_TYPE type, struct hsm_bytes *out)
{
	CK_RV rv = CKR_OK;
	out->p = NULL;
	if (a != CK_INVALID_HANDLE)
		rv = hsm_attr(tok, a, type, out);
	if (rv == CKR_OK && !out->p && b != CK_INVALID_HANDLE)
		rv = hsm_attr(tok, b, type, out);
	return rv;
}

static CK_RV inspect_ec(struct hsm_token *tok, CK_KEY_TYPE kt, CK_OBJECT_HANDLE priv,
			CK_OBJECT_HANDLE pub, struct hsm_keyinfo *ki)
{
	struct hsm_bytes params;
	CK_RV rv = attr_either(tok, priv, pub, CKA_EC_PARAMS, &params);
	if (rv != CKR_OK)
		return rv;
	ki->nid = curve_nid(&params);
	hsm_bytes_free(&params);
	bool ed = kt == CKK_EC_EDWARDS;
	if (ki->nid == NID_ED25519)
		ki->type = SG_KEY_ED25519;
	else if (!ed && ki->nid == NID_X9_62_prime256v1)
		ki->type = SG_KEY_ECDSA_P256;
	else if (!ed && ki->nid == NID_secp384r1)
		ki->type = SG_KEY_ECDSA_P384;

	if (ki->nid == NID_ED25519 || ki->nid == NID_ED448) {
		snprintf(ki->desc, sizeof(ki->desc), "%s", ki->nid == NID_ED25519 ? "Ed25519" : "Ed448");
	} else if (ki->nid != NID_undef) {
		const char *nist = EC_curve_nid2nist(ki->nid);
		snprintf(ki->desc, sizeof(ki->desc), "%s %s", ed ? "EdDSA" : "EC",
			 nist ? nist : OBJ_nid2sn(ki->nid));
	} else {
		snprintf(ki->desc, sizeof(ki->desc), "%s (unknown curve)", ed ? "EdDSA" : "EC");
	}
	if (ki->type == SG_KEY_NONE)
		return CKR_OK;
	/* CKA_EC_POINT belongs to the public key; some tokens copy it to the
	 * private one, which lets a lone private key work too. */
	rv = attr_either(tok, pub, priv, CKA_EC_POINT, &ki->point);
	if (rv == CKR_OK && ki->point.p && unwrap_point(ki->nid, &ki->point) != SG_OK)
		hsm_bytes_free(&ki->point); /* unusable: treated as absent */
	return rv;
}

static CK_RV inspect_rsa(struct hsm_token *tok, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub,
			 struct hsm_keyinfo *ki)
{
	CK_RV rv = attr_either(tok, pub, priv, CKA_MODULUS, &ki->n);
	if (rv == CKR_OK)
		rv = attr_either(tok, pub, priv, CKA_PUBLIC_EXPONENT, &ki->e);
	if (rv != CKR_OK)
		return rv;
	if (!ki->n.p || !ki->e.p) {
		snprintf(ki->desc, sizeof(ki->desc), "RSA, modulus unreadable");
		hsm_bytes_free(&ki->n);
		hsm_bytes_free(&ki->e);
		return CKR_OK;
	}
	size_t i = 0;
	while (i < ki->n.len && ki->n.p[i] == 0)
		i++;
	size_t bits = (ki->n.len - i) * 8;
	for (uint8_t top = i < ki->n.len ? ki->n.p[i] : 0; top && !(top & 0x80); top <<= 1)
		bits--;
	if (bits == 3072)
		ki->type = SG_KEY_RSA_3072;
	else if (bits == 4096)
		ki->type = SG_KEY_RSA_4096;
	snprintf(ki->desc, sizeof(ki->desc), "RSA %zu", bits);
	return CKR_OK;
}

static void other_key_desc(CK_KEY_TYPE kt, char *buf, size_t n)
{
	if (kt == CKK_DSA)
		snprintf(buf, n, "DSA");
	else if (kt == CKK_DH)
		snprintf(buf, n, "DH");
	else if (kt == CKK_EC_MONTGOMERY)
		snprintf(buf, n, "X25519/X448");
	else
		snprintf(buf, n, "key type 0x%lx", (unsigned long)kt);
}

int hsm_key_inspect(struct hsm_token *tok, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub,
		    struct hsm_keyinfo *ki, struct sg_err *err)
{
	memset(ki, 0, sizeof(*ki));
	CK_KEY_TYPE kt;
	CK_RV rv = hsm_attr_ulong(tok, priv != CK_INVALID_HANDLE ? priv : pub, CKA_KEY_TYPE, &kt);
	if (rv == CKR_OK) {
		switch (kt) {
		case CKK_EC:
		case CKK_EC_EDWARDS:
			rv = inspect_ec(tok, kt, priv, pub, ki);
			break;
		case CKK_RSA:
			rv = inspect_rsa(tok, priv, pub, ki);
			break;
		default:
			other_key_desc(kt, ki->desc, sizeof(ki->desc));
		}
	}
	if (rv != CKR_OK) {
		hsm_keyinfo_free(ki);
		return sg_errf(err, SG_EENV, "token '%s': cannot read key attributes: %s",
			       tok->label, hsm_rv_name(rv));
	}
	return SG_OK;
}

void hsm_keyinfo_free(struct hsm_keyinfo *ki)
{
	hsm_bytes_free(&ki->point);
	hsm_bytes_free(&ki->n);
	hsm_bytes_free(&ki->e);
}

static EVP_PKEY *pkey_ec(const struct hsm_keyinfo *ki)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						 (char *)OBJ_nid2sn(ki->nid), 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, ki->point.p,
						  ki->point.len),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (pc && EVP_PKEY_fromdata_init(pc) > 0)
		EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(pc);
	return pkey;
}

static EVP_PKEY *pkey_rsa(const struct hsm_keyinfo *ki)
{
	EVP_PKEY *pkey = NULL;
	BIGNUM *n = BN_bin2bn(ki->n.p, (int)ki->n.len, NULL);
	BIGNUM *e = BN_bin2bn(ki->e.p, (int)ki->e.len, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (n && e && bld && pc && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) && EVP_PKEY_fromdata_init(pc) > 0)
		EVP_PKEY_fromdata(pc, &pkey, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

int hsm_key_spki(const struct hsm_keyinfo *ki, uint8_t *out, size_t *len, struct sg_err *err)
{
	EVP_PKEY *pkey = NULL;
	if (ki->type == SG_KEY_ED25519 && ki->point.p)
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, ki->point.p,
						   ki->point.len);
	else if ((ki->type == SG_KEY_ECDSA_P256 || ki->type == SG_KEY_ECDSA_P384) && ki->point.p)
		pkey = pkey_ec(ki);
	else if ((ki->type == SG_KEY_RSA_3072 || ki->type == SG_KEY_RSA_4096) && ki->n.p)
		pkey = pkey_rsa(ki);
	else
		return sg_errf(err, SG_EINPUT,
			       "the public key has no usable %s",
			       ki->type == SG_KEY_RSA_3072 || ki->type == SG_KEY_RSA_4096
				       ? "CKA_MODULUS/CKA_PUBLIC_EXPONENT"
				       : "CKA_EC_POINT");
	int n = pkey ? i2d_PUBKEY(pkey, NULL) : -1;
	int rc = SG_OK;
	if (n <= 0 || (size_t)n > SG_SPKI_MAX) {
		rc = sg_errf(err, SG_EINPUT, "public key attributes do not form a valid %s key",
			     ki->desc);
	} else {
		uint8_t *p = out;
		*len = (size_t)i2d_PUBKEY(pkey, &p);
	}
	EVP_PKEY_free(pkey);
	return rc;
}

bool hsm_same_pair(const struct hsm_bytes *id_a, const struct hsm_bytes *label_a,
		   const struct hsm_bytes *id_b, const struct hsm_bytes *label_b)
{
	if (id_a->len && id_b->len)
		return id_a->len == id_b->len && memcmp(id_a->p, id_b->p, id_a->len) == 0;
	return label_a->len == label_b->len &&
	       (label_a->len == 0 || memcmp(label_a->p, label_b->p, label_a->len) == 0);
}

/* The public key object paired with priv, or CK_INVALID_HANDLE when there is
 * none or no single one. */
static CK_OBJECT_HANDLE find_public(struct hsm_token *tok, CK_OBJECT_HANDLE priv)
{
	struct hsm_bytes id, label;
	CK_OBJECT_HANDLE found = CK_INVALID_HANDLE;
	if (hsm_attr(tok, priv, CKA_ID, &id) != CKR_OK)
		return found;
	if (hsm_attr(tok, priv, CKA_LABEL, &label) != CKR_OK) {
		hsm_bytes_free(&id);
		return found;
	}
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t[3] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_ULONG nt = 1;
	if (id.len)
		t[nt++] = (CK_ATTRIBUTE){ CKA_ID, id.p, id.len };
	if (label.len)
		t[nt++] = (CK_ATTRIBUTE){ CKA_LABEL, label.p, label.len };
	/* By id (the PKCS#11 convention), else by label; by both when the id
	 * alone is not enough. */
	CK_OBJECT_HANDLE *h = NULL;
	CK_ULONG n = 0;
	if (nt > 1 && hsm_find(tok, t, 2, &h, &n) == CKR_OK && n > 1 && nt == 3) {
		free(h);
		h = NULL;
		n = 0;
		hsm_find(tok, t, 3, &h, &n);
	}
	if (n == 1)
		found = h[0];
	free(h);
	hsm_bytes_free(&id);
	hsm_bytes_free(&label);
	return found;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* "key 'URI': 3 private keys match (ids 01, 02, ...): add id=". The ids are
 * sorted: tokens return objects in no particular order, and the message
 * should not change from run to run. */
static int key_ambiguous(struct hsm_token *tok, const char *uri, const CK_OBJECT_HANDLE *h,
			 CK_ULONG n, struct sg_err *err)
{
	enum { HEX = 2 * 16 + 4 }; /* 16 id bytes, "..." and NUL */
	char(*hex)[HEX] = calloc(n, HEX);
	if (!hex)
		return sg_errf(err, SG_EENV, "out of memory");
	for (CK_ULONG i = 0; i < n; i++) {
		struct hsm_bytes id;
		if (hsm_attr(tok, h[i], CKA_ID, &id) != CKR_OK || !id.len) {
			strcpy(hex[i], "(none)");
		} else {
			sg_hex(id.p, id.len > 16 ? 16 : id.len, hex[i]);
			if (id.len > 16)
				strcat(hex[i], "...");
		}
		hsm_bytes_free(&id);
	}
	qsort(hex, n, HEX, cmp_str);
	char ids[200] = "";
	size_t used = 0;
	for (CK_ULONG i = 0; i < n && i < 4; i++)
		used += (size_t)snprintf(ids + used, sizeof(ids) - used, "%s%s", i ? ", " : "",
					 hex[i]);
	free(hex);
	return sg_errf(err, SG_EINPUT,
		       "key '%s': %lu private keys match (ids %s%s): add id= to choose one", uri,
		       (unsigned long)n, ids, n > 4 ? ", ..." : "");
}

/* Every object of class cls with the URI's object= and id=. */
static CK_RV find_by_uri(struct hsm_token *tok, P11KitUri *uri, CK_OBJECT_CLASS cls,
			 CK_OBJECT_HANDLE **h, CK_ULONG *n)
{
	CK_ATTRIBUTE t[3] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_ULONG nt = 1;
	const CK_ATTRIBUTE *a;
	if ((a = hsm_uri_attr(uri, CKA_LABEL)))
		t[nt++] = *a;
	if ((a = hsm_uri_attr(uri, CKA_ID)))
		t[nt++] = *a;
	return hsm_find(tok, t, nt, h, n);
}

static int find_private(struct hsm_token *tok, P11KitUri *uri, const char *text,
			CK_OBJECT_HANDLE *priv, struct sg_err *err)
{
	CK_OBJECT_HANDLE *h;
	CK_ULONG n;
	CK_RV rv = find_by_uri(tok, uri, CKO_PRIVATE_KEY, &h, &n);
	if (rv != CKR_OK)
		return sg_errf(err, SG_EENV, "token '%s': cannot search objects: %s", tok->label,
			       hsm_rv_name(rv));
	int rc = SG_OK;
	if (n == 0)
		rc = sg_errf(err, SG_EINPUT, "key '%s': not found", text);
	else if (n > 1)
		rc = key_ambiguous(tok, text, h, n, err);
	else
		*priv = h[0];
	free(h);
	return rc;
}

/* Type and SPKI of the key, into k. */
static int key_describe(struct hsm_token *tok, const char *text, struct sg_hsm_key *k,
			struct sg_err *err)
{
	CK_OBJECT_HANDLE pub = find_public(tok, k->priv);
	struct hsm_keyinfo ki;
	int rc = hsm_key_inspect(tok, k->priv, pub, &ki, err);
	if (rc != SG_OK)
		return rc;
	if (ki.type == SG_KEY_NONE) {
		rc = sg_errf(err, SG_EINPUT, "key '%s': unsupported key type (%s)", text, ki.desc);
	} else {
		struct sg_err why;
		if (hsm_key_spki(&ki, k->spki, &k->spki_len, &why) != SG_OK)
			rc = sg_errf(err, SG_EINPUT, "key '%s': %s", text,
				     pub != CK_INVALID_HANDLE ? why.msg
				     : "no public key object with the same id or label, and the "
				       "private key does not expose its public half");
	}
	k->type = ki.type;
	hsm_keyinfo_free(&ki);
	return rc;
}

int sg_hsm_key_open(struct sg_hsm_ctx *ctx, const char *text, struct sg_hsm_key **key,
		    struct sg_err *err)
{
	*key = NULL;
	P11KitUri *uri;
	int rc = hsm_uri_parse(text, &uri, err);
	if (rc != SG_OK)
		return rc;
	struct hsm_token *tok = NULL;
	struct sg_hsm_key *k = calloc(1, sizeof(*k));
	if (!k || !(k->uri = strdup(text)))
		rc = sg_errf(err, SG_EENV, "out of memory");
	else if (hsm_uri_class(uri, CKO_PRIVATE_KEY) != CKO_PRIVATE_KEY)
		rc = sg_errf(err, SG_EINPUT, "key '%s': signing needs type=private", text);
	else if ((rc = hsm_token_find(ctx, uri, &tok, err)) == SG_OK &&
		 (rc = hsm_login(ctx, tok, uri, true, err)) == SG_OK &&
		 (rc = find_private(tok, uri, text, &k->priv, err)) == SG_OK)
		rc = key_describe(tok, text, k, err);
	p11_kit_uri_free(uri);
	if (rc != SG_OK) {
		if (k)
			free(k->uri);
		free(k);
		return rc;
	}
	k->tok = tok;
	k->next = ctx->keys;
	ctx->keys = k;
	*key = k;
	return SG_OK;
}

int sg_hsm_key_dup(struct sg_hsm_ctx *ctx, const struct sg_hsm_key *key,
		   struct sg_hsm_key **copy, struct sg_err *err)
{
	*copy = NULL;
	struct sg_hsm_key *k = malloc(sizeof(*k));
	if (!k)
		return sg_errf(err, SG_EENV, "out of memory");
	*k = *key;
	int rc = (k->uri = strdup(key->uri)) ? hsm_token_another(ctx, key->tok, &k->tok, err)
					     : sg_errf(err, SG_EENV, "out of memory");
	if (rc) {
		free(k->uri);
		free(k);
		return rc;
	}
	k->next = ctx->keys;
	ctx->keys = k;
	*copy = k;
	return SG_OK;
}

/* SPKI from the one public key object the URI names, read without login.
 * SG_FAIL (err untouched) when there is not exactly one. */
static int pubkey_object(struct hsm_token *tok, P11KitUri *uri, const char *text, uint8_t *spki,
			 size_t *spki_len, enum sg_key_type *type, struct sg_err *err)
{
	CK_OBJECT_HANDLE *h;
	CK_ULONG n;
	if (find_by_uri(tok, uri, CKO_PUBLIC_KEY, &h, &n) != CKR_OK)
		return SG_FAIL;
	CK_OBJECT_HANDLE pub = n == 1 ? h[0] : CK_INVALID_HANDLE;
	free(h);
	if (pub == CK_INVALID_HANDLE)
		return SG_FAIL;
	struct hsm_keyinfo ki;
	int rc = hsm_key_inspect(tok, CK_INVALID_HANDLE, pub, &ki, err);
	if (rc != SG_OK)
		return rc;
	struct sg_err why;
	if (ki.type == SG_KEY_NONE)
		rc = sg_errf(err, SG_EINPUT, "key '%s': unsupported key type (%s)", text, ki.desc);
	else if (hsm_key_spki(&ki, spki, spki_len, &why) != SG_OK)
		rc = sg_errf(err, SG_EINPUT, "key '%s': %s", text, why.msg);
	*type = ki.type;
	hsm_keyinfo_free(&ki);
	return rc;
}

int sg_hsm_pubkey(struct sg_hsm_ctx *ctx, const char *text, uint8_t *spki, size_t *spki_len,
		  enum sg_key_type *type, struct sg_err *err)
{
	P11KitUri *uri;
	int rc = hsm_uri_parse(text, &uri, err);
	if (rc != SG_OK)
		return rc;
	CK_OBJECT_CLASS cls = hsm_uri_class(uri, CKO_PRIVATE_KEY);
	struct hsm_token *tok;
	if (cls != CKO_PRIVATE_KEY && cls != CKO_PUBLIC_KEY)
		rc = sg_errf(err, SG_EINPUT, "key '%s': a public key needs type=private or "
			     "type=public", text);
	else if ((rc = hsm_token_find(ctx, uri, &tok, err)) == SG_OK)
		rc = pubkey_object(tok, uri, text, spki, spki_len, type, err);
	p11_kit_uri_free(uri);
	if (rc == SG_FAIL && cls == CKO_PUBLIC_KEY)
		return sg_errf(err, SG_EINPUT, "key '%s': not found", text);
	if (rc != SG_FAIL)
		return rc;
	/* No public object visible: the private key shows its public half,
	 * after login. */
	struct sg_hsm_key *key;
	if ((rc = sg_hsm_key_open(ctx, text, &key, err)) != SG_OK)
		return rc;
	memcpy(spki, key->spki, key->spki_len);
	*spki_len = key->spki_len;
	*type = key->type;
	return SG_OK;
}

enum sg_key_type sg_hsm_key_type(const struct sg_hsm_key *key)
{
	return key->type;
}

const uint8_t *sg_hsm_key_spki(const struct sg_hsm_key *key, size_t *len)
{
	*len = key->spki_len;
	return key->spki;
}

const char *sg_hsm_key_uri(const struct sg_hsm_key *key)
{
	return key->uri;
}

EVP_PKEY *sg_hsm_spki_pkey(const uint8_t *spki, size_t len)
{
	const unsigned char *p = spki;
	ERR_set_mark(); /* a failed decode leaves nothing in the caller's queue */
	EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)len);
	if (pkey && p != spki + len) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	ERR_pop_to_mark();
	return pkey;
}

EVP_PKEY *sg_hsm_key_pkey(const struct sg_hsm_key *key)
{
	return sg_hsm_spki_pkey(key->spki, key->spki_len);
}
