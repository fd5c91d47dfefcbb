/* Keys and signatures, for every signer and verifier in sign/
 * (keys_priv.h says who uses what). */
#include "keys_priv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "signet/fileio.h"

/* ---- key types, algorithms and ids ---- */

enum kind { K_NONE, K_P256, K_P384, K_ED25519, K_RSA };

/* How a key is told apart, for envelopes and MCUboot alike (RSA: any size). */
static enum kind key_kind(EVP_PKEY *pkey)
{
	char curve[64];
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_ED25519:
		return K_ED25519;
	case EVP_PKEY_RSA:
		return K_RSA;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, curve,
						    sizeof(curve), NULL))
			return K_NONE;
		if (!strcmp(curve, "prime256v1"))
			return K_P256;
		if (!strcmp(curve, "secp384r1"))
			return K_P384;
		return K_NONE;
	default:
		return K_NONE;
	}
}

int sg_keys_pkey_alg(EVP_PKEY *pkey)
{
	switch (key_kind(pkey)) {
	case K_P256:
		return SGE_SIG_ECDSA_P256_SHA256;
	case K_P384:
		return SGE_SIG_ECDSA_P384_SHA384;
	case K_ED25519:
		return SGE_SIG_ED25519;
	case K_RSA: {
		int bits = EVP_PKEY_get_bits(pkey);
		return bits == 3072 || bits == 4096 ? SGE_SIG_RSA_PSS_SHA256 : 0;
	}
	default:
		return 0;
	}
}

enum sg_key_type sg_keys_type_of(EVP_PKEY *pub, int alg)
{
	switch (alg) {
	case SGE_SIG_ECDSA_P256_SHA256:
		return SG_KEY_ECDSA_P256;
	case SGE_SIG_ECDSA_P384_SHA384:
		return SG_KEY_ECDSA_P384;
	case SGE_SIG_ED25519:
		return SG_KEY_ED25519;
	case SGE_SIG_RSA_PSS_SHA256:
		return EVP_PKEY_get_bits(pub) == 3072 ? SG_KEY_RSA_3072 : SG_KEY_RSA_4096;
	default:
		return SG_KEY_NONE;
	}
}

int sg_sig_alg_for_key(enum sg_key_type t)
{
	switch (t) {
	case SG_KEY_ECDSA_P256:
		return SGE_SIG_ECDSA_P256_SHA256;
	case SG_KEY_ECDSA_P384:
		return SGE_SIG_ECDSA_P384_SHA384;
	case SG_KEY_ED25519:
		return SGE_SIG_ED25519;
	case SG_KEY_RSA_3072:
	case SG_KEY_RSA_4096:
		return SGE_SIG_RSA_PSS_SHA256;
	default:
		return 0;
	}
}

int sg_key_id(const uint8_t *spki, size_t spki_len, uint8_t key_id[SGE_KEY_ID_SIZE])
{
	return EVP_Digest(spki, spki_len, key_id, NULL, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

/* ---- public-key files ---- */

static EVP_PKEY *load_pubkey(const uint8_t *buf, size_t len)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	if (!bio)
		return NULL;
	EVP_PKEY *pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!pkey) {
		const unsigned char *p = buf;
		pkey = d2i_PUBKEY(NULL, &p, (long)len);
	}
	return pkey;
}

int sg_pkey_key_id(void *pkey, uint8_t key_id[SGE_KEY_ID_SIZE])
{
	/* An EC key read from a compressed point would otherwise encode
	 * compressed and get another id than its signer gave it. */
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC &&
	    !EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
					    OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED))
		return -1;
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pkey, &der);
	int rc = n <= 0 || sg_key_id(der, (size_t)n, key_id);
	OPENSSL_free(der);
	return rc ? -1 : 0;
}

static int is_certificate(const uint8_t *buf, size_t len)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (!x) {
		const unsigned char *p = buf;
		x = d2i_X509(NULL, &p, (long)len);
	}
	X509_free(x);
	ERR_clear_error();
	return x != NULL;
}

int sg_keys_pubkey_load(const char *path, const char *cert_hint, void **pkey_out, int *alg,
			uint8_t key_id[SGE_KEY_ID_SIZE], struct sg_err *err)
{
	uint8_t *buf;
	size_t len;
	int rc = sg_read_file(path, 64 * 1024, &buf, &len, err);
	if (rc)
		return rc;
	EVP_PKEY *pkey = load_pubkey(buf, len);
	int cert = !pkey && is_certificate(buf, len);
	free(buf);
	if (cert && !cert_hint)
		return sg_errf_param(err, SG_EINPUT, "trust_path", "%s: a certificate, not a public key",
				     path);
	if (cert)
		return sg_errf(err, SG_EINPUT, "%s: a certificate, not a public key: %s", path,
			       cert_hint);
	if (!pkey)
		return sg_errf(err, SG_EINPUT, "%s: not a PEM or DER public key", path);
	*alg = sg_keys_pkey_alg(pkey);
	if (!*alg) {
		EVP_PKEY_free(pkey);
		return sg_errf(err, SG_EINPUT,
			       "%s: unsupported key type (need P-256, P-384, Ed25519, RSA 3072/4096)",
			       path);
	}
	if (sg_pkey_key_id(pkey, key_id)) {
		EVP_PKEY_free(pkey);
		return sg_errf(err, SG_EENV, "%s: cannot encode the public key", path);
	}
	*pkey_out = pkey;
	return SG_OK;
}

#define GIVE_THE_KEY "give its public key (openssl x509 -pubkey -noout -in CERT)"

int sg_pubkey_load(const char *path, void **pkey_out, int *alg, uint8_t key_id[SGE_KEY_ID_SIZE],
		   struct sg_err *err)
{
	return sg_keys_pubkey_load(path, GIVE_THE_KEY, pkey_out, alg, key_id, err);
}

/* ---- envelope signatures and token signers ---- */

/* Verifies one signature over msg with pkey per docs/envelope.md §5:
 * 1 valid, 0 invalid, -1 internal failure. */
int sg_verify_sig(void *pkey, int alg, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
		  size_t sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	if (!md)
		return -1;
	const EVP_MD *type = alg == SGE_SIG_ECDSA_P384_SHA384 ? EVP_sha384()
			     : alg == SGE_SIG_ED25519	      ? NULL
							      : EVP_sha256();
	int ok = EVP_DigestVerifyInit(md, &pctx, type, NULL, pkey) == 1;
	if (ok && alg == SGE_SIG_RSA_PSS_SHA256)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1;
	if (!ok) {
		EVP_MD_CTX_free(md);
		return -1;
	}
	int r = EVP_DigestVerify(md, sig, sig_len, msg, msg_len);
	EVP_MD_CTX_free(md);
	return r == 1;
}

int sg_signer_open(struct sg_hsm_ctx *hsm, const char *uri, struct sg_signer *s,
		   struct sg_err *err)
{
	memset(s, 0, sizeof(*s));
	s->uri = uri;
	int rc = sg_hsm_key_open(hsm, uri, &s->key, err);
	if (rc)
		return rc;
	s->type = sg_hsm_key_type(s->key);
	s->alg = sg_sig_alg_for_key(s->type);
	size_t spki_len;
	const uint8_t *spki = sg_hsm_key_spki(s->key, &spki_len);
	s->pub = sg_hsm_key_pkey(s->key);
	if (!s->alg || !s->pub || sg_key_id(spki, spki_len, s->key_id))
		return sg_errf(err, SG_EINPUT, "key %s: unusable public key", uri);
	return SG_OK;
}

int sg_signer_sign(struct sg_signer *s, const uint8_t *msg, size_t msg_len,
		   struct sg_signature *out, struct sg_err *err)
{
	out->alg = (uint8_t)s->alg;
	memcpy(out->key_id, s->key_id, SGE_KEY_ID_SIZE);
	int rc = sg_hsm_sign(s->key, msg, msg_len, out->sig, &out->sig_len, err);
	if (!rc && sg_verify_sig(s->pub, s->alg, msg, msg_len, out->sig, out->sig_len) != 1)
		rc = sg_errf(err, SG_EENV,
			     "key %s: the token's signature does not verify with its public key",
			     s->uri);
	return rc;
}

void sg_signer_close(struct sg_signer *s)
{
	EVP_PKEY_free(s->pub);
	s->pub = NULL;
}

/* ---- the signers of a run, for both image formats ---- */

int sg_signer_open_pub(const char *path, struct sg_signer *s, struct sg_err *err)
{
	memset(s, 0, sizeof(*s));
	s->uri = path;
	int rc = sg_pubkey_load(path, (void **)&s->pub, &s->alg, s->key_id, err);
	if (!rc)
		s->type = sg_keys_type_of(s->pub, s->alg);
	return rc;
}

int sg_signers_open(const struct sg_sign_opts *o, struct sg_hsm_ctx *hsm, struct sg_signer *s,
		    size_t *n, struct sg_err *err)
{
	*n = 0;
	if (o->prepare_pubkey) { /* no token: the public half says who will sign */
		int rc = sg_signer_open_pub(o->prepare_pubkey, s, err);
		*n = rc ? 0 : 1;
		return rc;
	}
	for (size_t i = 0; i < o->nkeys; i++) {
		int rc = sg_signer_open(hsm, o->key_uris[i], &s[i], err);
		*n = i + 1;
		if (rc)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (!memcmp(s[j].key_id, s[i].key_id, SGE_KEY_ID_SIZE))
				return sg_errf(err, SG_EINPUT, "key %s: same key as %s",
					       o->key_uris[i], o->key_uris[j]);
	}
	return SG_OK;
}

void sg_signers_close(struct sg_signer *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sg_signer_close(&s[i]);
}

void sg_signer_request_header(const struct sg_signer *s, int image_format, uint32_t tbs_len,
			      const uint8_t *tbs_digest, uint64_t body_len,
			      uint8_t hdr[SG_REQ_HEADER_SIZE])
{
	struct sg_request r;
	memset(&r, 0, sizeof(r));
	r.image_format = (uint8_t)image_format;
	r.alg = (uint8_t)s->alg;
	r.tbs_len = tbs_len;
	memcpy(r.key_id, s->key_id, SGE_KEY_ID_SIZE);
	memcpy(r.tbs_digest, tbs_digest, sg_request_digest_len(r.alg));
	r.body_len = body_len;
	sg_request_encode(&r, hdr);
}

/* ---- MCUboot: key encoding, KEYHASH, signature TLVs ---- */

/* The fixed DER before the uncompressed point in an EC SubjectPublicKeyInfo
 * (id-ecPublicKey, the named curve, the BIT STRING header): what imgtool's
 * cryptography library writes. Built here rather than with i2d_PUBKEY so
 * that a key loaded in compressed form still hashes the way imgtool's does. */
static const uint8_t spki_p256[] = { 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
				     0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
				     0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00 };
static const uint8_t spki_p384[] = { 0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86,
				     0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b,
				     0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00 };

static int ec_spki(EVP_PKEY *pkey, enum kind k, uint8_t *out, size_t cap, size_t *len)
{
	const uint8_t *pre = k == K_P256 ? spki_p256 : spki_p384;
	size_t pre_len = k == K_P256 ? sizeof(spki_p256) : sizeof(spki_p384);
	size_t half = k == K_P256 ? 32 : 48;
	if (cap < pre_len + 1 + 2 * half)
		return -1;
	BIGNUM *x = NULL, *y = NULL;
	int ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
		 EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
	memcpy(out, pre, pre_len);
	out[pre_len] = 0x04;
	ok = ok && BN_bn2binpad(x, out + pre_len + 1, (int)half) == (int)half &&
	     BN_bn2binpad(y, out + pre_len + 1 + half, (int)half) == (int)half;
	BN_free(x);
	BN_free(y);
	*len = pre_len + 1 + 2 * half;
	return ok ? 0 : -1;
}

/* i2d into a bounded buffer: i2d allocates the DER, we copy and free it. */
static int der_into(EVP_PKEY *pkey, bool pkcs1, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t *der = NULL;
	int n = pkcs1 ? i2d_PublicKey(pkey, &der) : i2d_PUBKEY(pkey, &der);
	int ok = n > 0 && (size_t)n <= cap;
	if (ok) {
		memcpy(out, der, (size_t)n);
		*len = (size_t)n;
	}
	OPENSSL_free(der);
	return ok ? 0 : -1;
}

int sg_mcuboot_key_encoding(void *key, uint8_t *out, size_t cap, size_t *len)
{
	EVP_PKEY *pkey = key;
	switch (key_kind(pkey)) {
	case K_P256:
		return ec_spki(pkey, K_P256, out, cap, len);
	case K_P384:
		return ec_spki(pkey, K_P384, out, cap, len);
	case K_ED25519:
		return der_into(pkey, false, out, cap, len);
	case K_RSA: /* i2d_PublicKey of an RSA key is PKCS#1 RSAPublicKey */
		return der_into(pkey, true, out, cap, len);
	default:
		return -1;
	}
}

const EVP_MD *sg_keys_mcuboot_md(uint16_t digest_type)
{
	switch (digest_type) {
	case SG_MCUBOOT_TLV_SHA256:
		return EVP_sha256();
	case SG_MCUBOOT_TLV_SHA384:
		return EVP_sha384();
	case SG_MCUBOOT_TLV_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

int sg_mcuboot_key_hash(void *pkey, uint16_t digest_type, uint8_t *out, size_t *len)
{
	uint8_t enc[SG_MCUBOOT_PUBKEY_MAX];
	size_t enc_len;
	unsigned int n;
	const EVP_MD *md = sg_keys_mcuboot_md(digest_type);
	if (!md || sg_mcuboot_key_encoding(pkey, enc, sizeof(enc), &enc_len) ||
	    !EVP_Digest(enc, enc_len, out, &n, md, NULL))
		return -1;
	*len = n;
	return 0;
}

/* imgtool --pad-sig appends zeros after the DER (for MCUboot < 1.5);
 * the DER's own length says where the signature ends. */
static size_t ecdsa_der_len(const uint8_t *sig, size_t len)
{
	if (len < 2 || sig[0] != 0x30 || sig[1] >= 0x80 || (size_t)sig[1] + 2 > len)
		return len;
	for (size_t i = (size_t)sig[1] + 2; i < len; i++)
		if (sig[i])
			return len;
	return (size_t)sig[1] + 2;
}

static int verify_ed25519(EVP_PKEY *pkey, const uint8_t *msg, size_t msg_len,
			  const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md)
		return -1;
	int r = EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) == 1
			? EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1
			: -1;
	EVP_MD_CTX_free(md);
	return r;
}

static int verify_prehashed(EVP_PKEY *pkey, bool pss, const uint8_t *digest, size_t dlen,
			    const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
	int ok = ctx && EVP_PKEY_verify_init(ctx) == 1;
	if (ok && pss)
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, 32) == 1;
	int r = ok ? EVP_PKEY_verify(ctx, sig, sig_len, digest, dlen) == 1 : -1;
	EVP_PKEY_CTX_free(ctx);
	return r;
}

int sg_mcuboot_check_sig(void *key, uint16_t sig_type, const uint8_t *digest,
			 size_t digest_len, const uint8_t *sig, size_t sig_len)
{
	EVP_PKEY *pkey = key;
	enum kind k = key_kind(pkey);
	switch (sig_type) {
	case SG_MCUBOOT_TLV_ED25519:
		if (k != K_ED25519 || (digest_len != 32 && digest_len != 64) || sig_len != 64)
			return 0;
		return verify_ed25519(pkey, digest, digest_len, sig, sig_len);
	case SG_MCUBOOT_TLV_ECDSA_SIG:
		/* bootutil pairs P-256 with SHA-256 and P-384 with SHA-384. */
		if (!((k == K_P256 && digest_len == 32) || (k == K_P384 && digest_len == 48)))
			return 0;
		return verify_prehashed(pkey, false, digest, digest_len, sig,
					ecdsa_der_len(sig, sig_len));
	case SG_MCUBOOT_TLV_RSA2048_PSS:
	case SG_MCUBOOT_TLV_RSA3072_PSS: {
		int bits = sig_type == SG_MCUBOOT_TLV_RSA2048_PSS ? 2048 : 3072;
		if (k != K_RSA || EVP_PKEY_get_bits(pkey) != bits || digest_len != 32 ||
		    sig_len != (size_t)bits / 8)
			return 0;
		return verify_prehashed(pkey, true, digest, digest_len, sig, sig_len);
	}
	default:
		return 0;
	}
}
