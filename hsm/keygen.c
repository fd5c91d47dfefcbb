/* Key generation inside the token with C_GenerateKeyPair (libp11 0.4.12 can
 * only make RSA keys). The private half can sign and do nothing else, and
 * never leaves the token. What a new pair's objects are (label, id,
 * attributes) is shared with import.c, so an imported key is found and used
 * exactly as a generated one. */
#include "hsm_priv.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/fileio.h"

/* CKA_EC_PARAMS as DER OIDs. For Ed25519, PKCS#11 3.0 allows the OID
 * 1.3.101.112 (RFC 8410, as in X.509) or the printable string
 * "edwards25519"; SoftHSM 2.6.1 takes both (and stores the string on the
 * private key either way). We send the OID: it is the form HSMs that
 * predate 3.0 know (see docs/hsm.md). */
static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
static const uint8_t rsa_exponent[] = { 0x01, 0x00, 0x01 };

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

const uint8_t *hsm_ec_params(enum sg_key_type type, size_t *len)
{
	switch (type) {
	case SG_KEY_ECDSA_P256:
		*len = sizeof(oid_p256);
		return oid_p256;
	case SG_KEY_ECDSA_P384:
		*len = sizeof(oid_p384);
		return oid_p384;
	case SG_KEY_ED25519:
		*len = sizeof(oid_ed25519);
		return oid_ed25519;
	default:
		*len = 0;
		return NULL;
	}
}

/* Fails (SG_EINPUT) when any object, of any class, has this attribute. */
static int refuse_existing(struct hsm_token *tok, const CK_ATTRIBUTE *a, const char *what,
			   struct sg_err *err)
{
	CK_ATTRIBUTE t = *a;
	CK_OBJECT_HANDLE *h;
	CK_ULONG n;
	CK_RV rv = hsm_find(tok, &t, 1, &h, &n);
	free(h);
	if (rv != CKR_OK)
		return sg_errf(err, SG_EENV, "token '%s': cannot search objects: %s", tok->label,
			       hsm_rv_name(rv));
	if (n > 0)
		return sg_errf(err, SG_EINPUT, "token '%s': an object with %s already exists",
			       tok->label, what);
	return SG_OK;
}

static int check_free(struct hsm_token *tok, const CK_ATTRIBUTE *label, const CK_ATTRIBUTE *id,
		      struct sg_err *err)
{
	char what[300];
	snprintf(what, sizeof(what), "label '%.*s'", (int)label->ulValueLen,
		 (const char *)label->pValue);
	int rc = refuse_existing(tok, label, what, err);
	if (rc != SG_OK)
		return rc;
	char hex[2 * 64 + 1];
	size_t shown = id->ulValueLen > 64 ? 64 : id->ulValueLen;
	snprintf(what, sizeof(what), "id %s", sg_hex(id->pValue, shown, hex));
	return refuse_existing(tok, id, what, err);
}

int hsm_new_pair(struct sg_hsm_ctx *ctx, P11KitUri *uri, const char *text, const char *what,
		 struct hsm_new_pair *p, struct sg_err *err)
{
	const CK_ATTRIBUTE *label = hsm_uri_attr(uri, CKA_LABEL);
	const CK_ATTRIBUTE *id = hsm_uri_attr(uri, CKA_ID);
	if (!label || label->ulValueLen == 0)
		return sg_errf(err, SG_EINPUT, "URI '%s': %s needs object= (the key's label)", text,
			       what);
	if (hsm_uri_class(uri, CKO_PRIVATE_KEY) != CKO_PRIVATE_KEY)
		return sg_errf(err, SG_EINPUT, "URI '%s': %s makes a key pair: drop type= or use "
			       "type=private", text, what);
	p->label = *label;
	if (id) {
		p->id = *id;
	} else {
		if (RAND_bytes(p->random_id, sizeof(p->random_id)) != 1)
			return sg_errf(err, SG_EENV, "%s: no randomness for the key id", what);
		p->id = (CK_ATTRIBUTE){ CKA_ID, p->random_id, sizeof(p->random_id) };
	}
	int rc = hsm_token_find(ctx, uri, &p->tok, err);
	if (rc == SG_OK)
		rc = hsm_login(ctx, p->tok, uri, true, err);
	if (rc == SG_OK)
		rc = check_free(p->tok, &p->label, &p->id, err);
	return rc;
}

CK_ULONG hsm_pair_pub_attrs(const struct hsm_new_pair *p, CK_ATTRIBUTE *a)
{
	const CK_ATTRIBUTE base[HSM_PAIR_PUB_ATTRS] = {
		{ CKA_TOKEN, &yes, 1 },	 { CKA_PRIVATE, &no, 1 }, { CKA_VERIFY, &yes, 1 },
		{ CKA_ENCRYPT, &no, 1 }, { CKA_WRAP, &no, 1 },	  { CKA_DERIVE, &no, 1 },
		p->label,		 p->id,
	};
	memcpy(a, base, sizeof(base));
	return HSM_PAIR_PUB_ATTRS;
}

CK_ULONG hsm_pair_priv_attrs(const struct hsm_new_pair *p, CK_ATTRIBUTE *a)
{
	const CK_ATTRIBUTE base[HSM_PAIR_PRIV_ATTRS] = {
		{ CKA_TOKEN, &yes, 1 },	     { CKA_PRIVATE, &yes, 1 }, { CKA_SENSITIVE, &yes, 1 },
		{ CKA_EXTRACTABLE, &no, 1 }, { CKA_SIGN, &yes, 1 },    { CKA_DECRYPT, &no, 1 },
		{ CKA_UNWRAP, &no, 1 },	     { CKA_DERIVE, &no, 1 },   p->label,
		p->id,
	};
	memcpy(a, base, sizeof(base));
	return HSM_PAIR_PRIV_ATTRS;
}

static int generate(const struct hsm_new_pair *p, enum sg_key_type type, struct sg_err *err)
{
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ULONG bits = 0;
	CK_ATTRIBUTE pub[HSM_PAIR_PUB_ATTRS + 2], priv[HSM_PAIR_PRIV_ATTRS];
	CK_ULONG npub = hsm_pair_pub_attrs(p, pub);
	CK_ULONG npriv = hsm_pair_priv_attrs(p, priv);
	size_t params_len;
	const uint8_t *params = hsm_ec_params(type, &params_len);
	/* The attributes that choose curve or size go on the public template. */
	switch (type) {
	case SG_KEY_ED25519:
		mech.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
		/* fall through */
	case SG_KEY_ECDSA_P256:
	case SG_KEY_ECDSA_P384:
		pub[npub++] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)params, params_len };
		break;
	case SG_KEY_RSA_3072:
	case SG_KEY_RSA_4096:
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		bits = type == SG_KEY_RSA_3072 ? 3072 : 4096;
		pub[npub++] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof(bits) };
		pub[npub++] = (CK_ATTRIBUTE){ CKA_PUBLIC_EXPONENT, (void *)rsa_exponent,
					      sizeof(rsa_exponent) };
		break;
	default:
		return sg_errf(err, SG_EINPUT, "keygen: no key type given");
	}
	struct hsm_token *tok = p->tok;
	CK_OBJECT_HANDLE hpub, hpriv;
	CK_RV rv = tok->mod->f->C_GenerateKeyPair(tok->session, &mech, pub, npub, priv, npriv,
						  &hpub, &hpriv);
	if (rv != CKR_OK)
		return sg_errf(err, SG_EENV, "token '%s': cannot generate %s key '%.*s': %s%s",
			       tok->label, sg_key_type_name(type), (int)p->label.ulValueLen,
			       (const char *)p->label.pValue, hsm_rv_name(rv),
			       rv == CKR_MECHANISM_INVALID ? " (not supported by the token)" : "");
	return SG_OK;
}

int sg_hsm_keygen(struct sg_hsm_ctx *ctx, const char *text, enum sg_key_type type,
		  struct sg_err *err)
{
	if (strcmp(sg_key_type_name(type), "none") == 0)
		return sg_errf(err, SG_EINPUT, "keygen: unknown key type");
	P11KitUri *uri;
	int rc = hsm_uri_parse(text, &uri, err);
	if (rc != SG_OK)
		return rc;
	struct hsm_new_pair p;
	if ((rc = hsm_new_pair(ctx, uri, text, "keygen", &p, err)) == SG_OK)
		rc = generate(&p, type, err);
	p11_kit_uri_free(uri);
	return rc;
}
