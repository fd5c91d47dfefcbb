/* Signing certificates and CRLs with a CA key in the token, and issuance.
 *
 * OpenSSL 3.0 has no public way to set a CRL's inner AlgorithmIdentifier,
 * and none to sign with a key it cannot touch. So a throwaway host key of
 * the same algorithm ("stand-in") signs first: that makes OpenSSL write
 * both AlgorithmIdentifiers exactly as it would for the real key
 * (including RSA-PSS parameters). Then the TBS is encoded again, hashed
 * here and signed in the token, and the token's signature replaces the
 * stand-in's. For certificates the stand-in signs once, when the CA is
 * made, and the identifiers it wrote are copied into each certificate
 * (signing thousands in a batch). Every token signature is verified with
 * the CA's public key before anyone sees it. */
#include "pki_priv.h"

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

static EVP_PKEY *stand_in_key(enum sg_key_type t)
{
	switch (t) {
	case SG_KEY_ECDSA_P256:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	case SG_KEY_ECDSA_P384:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	case SG_KEY_RSA_3072:
	case SG_KEY_RSA_4096:
		/* The PSS AlgorithmIdentifier does not depend on the modulus
		 * size, and 1024 bits is quick to make and fits salt 32. */
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	default:
		return NULL;
	}
}

/* The token's parameters on a sign or verify context: for RSA, PSS with
 * SHA-256, MGF1-SHA-256 and a 32-byte salt (hsm.h); nothing for ECDSA. */
static bool token_params(EVP_PKEY_CTX *c, EVP_PKEY *key)
{
	return EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA ||
	       (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) == 1 &&
		EVP_PKEY_CTX_set_rsa_pss_saltlen(c, 32) == 1 &&
		EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) == 1);
}

/* A digest-sign context on the stand-in key with the token's parameters. */
static EVP_MD_CTX *stand_in_ctx(struct sg_pki_ca *ca)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx;
	if (m && EVP_DigestSignInit(m, &pctx, ca->md, NULL, ca->stand_in) == 1 &&
	    token_params(pctx, ca->stand_in))
		return m;
	EVP_MD_CTX_free(m);
	return NULL;
}

/* Both AlgorithmIdentifiers of a certificate this CA signs, as OpenSSL
 * writes them when the stand-in signs. */
static X509_ALGOR *cert_sigalg(struct sg_pki_ca *ca)
{
	X509 *x = X509_new();
	EVP_MD_CTX *m = stand_in_ctx(ca);
	X509_ALGOR *alg = NULL;
	if (x && m && X509_set_pubkey(x, ca->stand_in) && X509_sign_ctx(x, m) > 0)
		alg = X509_ALGOR_dup(X509_get0_tbs_sigalg(x));
	EVP_MD_CTX_free(m);
	X509_free(x);
	return alg;
}

/* Verifies the token's signatures over a digest with the CA's public key
 * and the token's parameters. */
static EVP_PKEY_CTX *check_ctx(struct sg_pki_ca *ca)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(ca->pub, NULL);
	if (c && EVP_PKEY_verify_init(c) == 1 && EVP_PKEY_CTX_set_signature_md(c, ca->md) == 1 &&
	    token_params(c, ca->pub))
		return c;
	EVP_PKEY_CTX_free(c);
	return NULL;
}

int sg_pki_ca_new(struct sg_hsm_key *key, X509 *cert, struct sg_pki_ca **out,
		  struct sg_err *err)
{
	*out = NULL;
	const char *uri = sg_hsm_key_uri(key);
	enum sg_key_type t = sg_hsm_key_type(key);
	if (t == SG_KEY_ED25519)
		return sg_errf(err, SG_EINPUT, "key '%s': Ed25519 CA keys are not supported "
			       "(use ecdsa-p256, ecdsa-p384, rsa-3072 or rsa-4096)", uri);
	struct sg_pki_ca *ca = calloc(1, sizeof(*ca));
	if (!ca)
		return sg_errf(err, SG_EENV, "out of memory");
	ca->key = key;
	ca->md = t == SG_KEY_ECDSA_P384 ? EVP_sha384() : EVP_sha256();
	int rc = SG_OK;
	if (!(ca->pub = sg_hsm_key_pkey(key)) || !(ca->stand_in = stand_in_key(t)) ||
	    !(ca->sigalg = cert_sigalg(ca)) || !(ca->check = check_ctx(ca)))
		rc = sg_errf(err, SG_EENV, "key '%s': cannot prepare signing", uri);
	else if (cert && EVP_PKEY_eq(X509_get0_pubkey(cert), ca->pub) != 1)
		rc = sg_errf(err, SG_EINPUT, "key '%s' is not the key of the CA certificate", uri);
	else if (cert && X509_check_ca(cert) != 1)
		rc = sg_errf(err, SG_EINPUT, "the CA certificate is not a CA (basicConstraints)");
	else if (cert && !X509_up_ref(cert))
		rc = sg_errf(err, SG_EENV, "out of memory");
	ERR_clear_error();
	if (rc) {
		sg_pki_ca_free(ca);
		return rc;
	}
	if (cert) {
		ca->cert = cert;
		pki_ski_hex(cert, ca->ski, sizeof(ca->ski));
	}
	*out = ca;
	return SG_OK;
}

void sg_pki_ca_free(struct sg_pki_ca *ca)
{
	if (!ca)
		return;
	X509_free(ca->cert);
	EVP_PKEY_free(ca->pub);
	EVP_PKEY_free(ca->stand_in);
	X509_ALGOR_free(ca->sigalg);
	EVP_PKEY_CTX_free(ca->check);
	free(ca);
}

X509 *sg_pki_ca_cert(const struct sg_pki_ca *ca)
{
	return ca->cert;
}

/* The token's signature over tbs, into sig (SG_SIG_MAX), checked with the
 * CA's public key: a token that returns a wrong signature is caught here,
 * before the signature is in anything. */
static int token_sign(struct sg_pki_ca *ca, const unsigned char *tbs, int tbs_len,
		      uint8_t *sig, size_t *sig_len, struct sg_err *err)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen;
	if (!EVP_Digest(tbs, (size_t)tbs_len, digest, &dlen, ca->md, NULL))
		return sg_errf(err, SG_EENV, "cannot hash the data to be signed");
	int rc = sg_hsm_sign_digest(ca->key, digest, dlen, sig, sig_len, err);
	if (rc == SG_OK && EVP_PKEY_verify(ca->check, sig, *sig_len, digest, dlen) != 1)
		rc = sg_errf(err, SG_EENV, "key '%s': the token's signature does not verify",
			     sg_hsm_key_uri(ca->key));
	return rc;
}

/* The signature BIT STRING takes the token's bytes, no unused bits. The
 * getters hand out const pointers into the object we own and are signing,
 * so writing through them is what X509_sign itself does. */
static int set_sig(const ASN1_BIT_STRING *psig, const uint8_t *sig, size_t len,
		   struct sg_err *err)
{
	ASN1_BIT_STRING *bs = (ASN1_BIT_STRING *)psig;
	if (!ASN1_BIT_STRING_set(bs, (unsigned char *)sig, (int)len))
		return sg_errf(err, SG_EENV, "out of memory");
	bs->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	bs->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	return SG_OK;
}

int sg_pki_sign_cert(struct sg_pki_ca *ca, X509 *x, struct sg_err *err)
{
	/* As for the signature below: const pointers into the object we own
	 * and are signing, written as X509_sign_ctx writes them. */
	const ASN1_BIT_STRING *psig;
	const X509_ALGOR *outer;
	X509_get0_signature(&psig, &outer, x);
	unsigned char *tbs = NULL;
	uint8_t sig[SG_SIG_MAX];
	size_t sig_len;
	int tbs_len, rc;
	if (!X509_ALGOR_copy((X509_ALGOR *)X509_get0_tbs_sigalg(x), ca->sigalg) ||
	    !X509_ALGOR_copy((X509_ALGOR *)outer, ca->sigalg))
		rc = sg_errf(err, SG_EENV, "cannot set the signature algorithm");
	else if ((tbs_len = i2d_re_X509_tbs(x, &tbs)) <= 0)
		rc = sg_errf(err, SG_EENV, "cannot encode the certificate");
	else if (!(rc = token_sign(ca, tbs, tbs_len, sig, &sig_len, err)))
		rc = set_sig(psig, sig, sig_len, err);
	OPENSSL_free(tbs);
	ERR_clear_error();
	return rc;
}

int sg_pki_sign_crl(struct sg_pki_ca *ca, X509_CRL *crl, struct sg_err *err)
{
	EVP_MD_CTX *m = stand_in_ctx(ca);
	unsigned char *tbs = NULL;
	uint8_t sig[SG_SIG_MAX];
	size_t sig_len;
	int tbs_len, rc = SG_OK;
	if (!m || X509_CRL_sign_ctx(crl, m) <= 0)
		rc = sg_errf(err, SG_EENV, "cannot set the signature algorithm");
	else if ((tbs_len = i2d_re_X509_CRL_tbs(crl, &tbs)) <= 0)
		rc = sg_errf(err, SG_EENV, "cannot encode the CRL");
	else if (!(rc = token_sign(ca, tbs, tbs_len, sig, &sig_len, err))) {
		const ASN1_BIT_STRING *psig;
		X509_CRL_get0_signature(crl, &psig, NULL);
		rc = set_sig(psig, sig, sig_len, err);
	}
	OPENSSL_free(tbs);
	EVP_MD_CTX_free(m);
	ERR_clear_error();
	return rc;
}
