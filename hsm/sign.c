/* Signing: hash on the host, sign the digest in the token (SoftHSM and many
 * HSMs have no CKM_ECDSA_SHA256), one C_SignInit + C_Sign on the session the
 * key was opened with. ECDSA comes back as r||s and leaves here as DER. */
#include "hsm_priv.h"

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <string.h>

/* Digest length the key's algorithm signs, and the hash that makes it. */
static size_t digest_len(enum sg_key_type t, const EVP_MD **md)
{
	switch (t) {
	case SG_KEY_ECDSA_P256:
	case SG_KEY_RSA_3072:
	case SG_KEY_RSA_4096:
		*md = EVP_sha256();
		return 32;
	case SG_KEY_ECDSA_P384:
		*md = EVP_sha384();
		return 48;
	default:
		*md = NULL;
		return 0;
	}
}

static int token_sign(struct sg_hsm_key *key, CK_MECHANISM *mech, const uint8_t *data,
		      size_t len, uint8_t *sig, CK_ULONG *sig_len, struct sg_err *err)
{
	CK_FUNCTION_LIST *f = key->tok->mod->f;
	CK_SESSION_HANDLE s = key->tok->session;
	CK_RV rv = f->C_SignInit(s, mech, key->priv);
	if (rv == CKR_OK) {
		/* The buffer is big enough for any supported key, so this one
		 * call always ends the operation. */
		*sig_len = SG_SIG_MAX;
		rv = f->C_Sign(s, (CK_BYTE *)data, len, sig, sig_len);
	}
	if (rv != CKR_OK)
		return sg_errf(err, SG_EENV, "key '%s': signing failed: %s", key->uri,
			       hsm_rv_name(rv));
	return SG_OK;
}

/* r||s, each half the curve size, to a DER Ecdsa-Sig-Value in place. */
static int ecdsa_to_der(struct sg_hsm_key *key, uint8_t *sig, CK_ULONG raw_len,
			size_t *sig_len, struct sg_err *err)
{
	size_t half = key->type == SG_KEY_ECDSA_P256 ? 32 : 48;
	if (raw_len != 2 * half)
		return sg_errf(err, SG_EENV, "key '%s': token returned a %lu-byte ECDSA signature",
			       key->uri, (unsigned long)raw_len);
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)half, NULL);
	BIGNUM *s = BN_bin2bn(sig + half, (int)half, NULL);
	int n = -1;
	if (es && r && s && ECDSA_SIG_set0(es, r, s)) {
		r = s = NULL; /* owned by es now */
		uint8_t *p = sig;
		if (i2d_ECDSA_SIG(es, NULL) <= SG_SIG_MAX)
			n = i2d_ECDSA_SIG(es, &p);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return sg_errf(err, SG_EENV, "key '%s': cannot DER-encode the signature", key->uri);
	*sig_len = (size_t)n;
	return SG_OK;
}

int sg_hsm_sign_digest(struct sg_hsm_key *key, const uint8_t *digest, size_t len,
		       uint8_t *sig, size_t *sig_len, struct sg_err *err)
{
	const EVP_MD *md;
	size_t want = digest_len(key->type, &md);
	if (want == 0)
		return sg_errf(err, SG_EINPUT, "key '%s': %s signs whole messages, not digests",
			       key->uri, sg_key_type_name(key->type));
	if (len != want)
		return sg_errf(err, SG_EINPUT, "key '%s': %s needs a %zu-byte digest, got %zu",
			       key->uri, sg_key_type_name(key->type), want, len);
	CK_ULONG raw_len;
	int rc;
	if (key->type == SG_KEY_ECDSA_P256 || key->type == SG_KEY_ECDSA_P384) {
		CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
		if ((rc = token_sign(key, &mech, digest, len, sig, &raw_len, err)) != SG_OK)
			return rc;
		return ecdsa_to_der(key, sig, raw_len, sig_len, err);
	}
	CK_RSA_PKCS_PSS_PARAMS pss = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
	CK_MECHANISM mech = { CKM_RSA_PKCS_PSS, &pss, sizeof(pss) };
	if ((rc = token_sign(key, &mech, digest, len, sig, &raw_len, err)) != SG_OK)
		return rc;
	*sig_len = raw_len;
	return SG_OK;
}

int sg_hsm_sign(struct sg_hsm_key *key, const uint8_t *msg, size_t msg_len, uint8_t *sig,
		size_t *sig_len, struct sg_err *err)
{
	if (key->type == SG_KEY_ED25519) {
		/* Pure Ed25519: no parameters, the whole message. */
		CK_MECHANISM mech = { CKM_EDDSA, NULL, 0 };
		CK_ULONG raw_len;
		int rc = token_sign(key, &mech, msg, msg_len, sig, &raw_len, err);
		if (rc == SG_OK && raw_len != 64)
			rc = sg_errf(err, SG_EENV, "key '%s': token returned a %lu-byte Ed25519 signature",
				     key->uri, (unsigned long)raw_len);
		*sig_len = rc == SG_OK ? raw_len : 0;
		return rc;
	}
	const EVP_MD *md;
	size_t len = digest_len(key->type, &md);
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int got;
	if (!md || !EVP_Digest(msg, msg_len, digest, &got, md, NULL) || got != len)
		return sg_errf(err, SG_EENV, "key '%s': cannot hash the message", key->uri);
	return sg_hsm_sign_digest(key, digest, len, sig, sig_len, err);
}
