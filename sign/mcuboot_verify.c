/* MCUboot verification on the host: the codec's parser, OpenSSL for the
 * digest and signatures, keys from struct sg_trust. Follows bootutil's
 * image_validate.c, a little stricter (docs/mcuboot.md §5). Depends on
 * nothing else in sign/, so the fuzzer can build it alone. */
#include "signet/mcuboot_sign.h"

#include "signet/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/* ---- keys ---- */

enum kind { K_NONE, K_P256, K_P384, K_ED25519, K_RSA };

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

static const EVP_MD *digest_md(uint16_t digest_type)
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
	const EVP_MD *md = digest_md(digest_type);
	if (!md || sg_mcuboot_key_encoding(pkey, enc, sizeof(enc), &enc_len) ||
	    !EVP_Digest(enc, enc_len, out, &n, md, NULL))
		return -1;
	*len = n;
	return 0;
}

/* ---- signatures ---- */

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

/* ---- verification ---- */

#define WORK_SIZE (64 * 1024)

static int check_digest(struct sg_mcuboot_info *info, sg_mcuboot_read_fn rd, void *arg,
			struct sg_err *err)
{
	const EVP_MD *md = digest_md(info->digest_type);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t *buf = malloc(WORK_SIZE);
	int rc = SG_OK;
	if (!md || !ctx || !buf || !EVP_DigestInit_ex(ctx, md, NULL))
		rc = sg_errf(err, SG_EENV, "cannot start hashing");
	for (uint64_t off = 0; !rc && off < info->hashed_size;) {
		uint64_t left = info->hashed_size - off;
		size_t n = left < WORK_SIZE ? (size_t)left : WORK_SIZE;
		if (rd(arg, off, buf, n))
			rc = sg_errf(err, SG_EENV, "read of %zu bytes at 0x%llx failed", n,
				     (unsigned long long)off);
		else if (!EVP_DigestUpdate(ctx, buf, n))
			rc = sg_errf(err, SG_EENV, "hashing failed");
		off += n;
	}
	if (!rc && !EVP_DigestFinal_ex(ctx, info->computed_digest, NULL))
		rc = sg_errf(err, SG_EENV, "hashing failed");
	if (!rc)
		info->digest_check = memcmp(info->computed_digest, info->digest, info->digest_len)
					     ? SG_MCUBOOT_CHECK_FAIL
					     : SG_MCUBOOT_CHECK_PASS;
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

/* Does trusted key k match the KEYHASH or PUBKEY TLV kt? */
static int key_matches(const struct sg_mcuboot_info *info, const struct sg_mcuboot_tlv *kt,
		       const struct sg_trust_key *k, sg_mcuboot_read_fn rd, void *arg,
		       bool *match, struct sg_err *err)
{
	uint8_t a[SG_MCUBOOT_PUBKEY_MAX], b[SG_MCUBOOT_PUBKEY_MAX];
	size_t len;
	*match = false;
	if (kt->type == SG_MCUBOOT_TLV_KEYHASH) {
		/* imgtool hashes the key with the image's digest algorithm. */
		if (sg_mcuboot_key_hash(k->pkey, info->digest_type, a, &len) == 0)
			*match = len == kt->len && !memcmp(a, kt->peek, len);
		return SG_OK;
	}
	if (sg_mcuboot_key_encoding(k->pkey, a, sizeof(a), &len) || len != kt->len)
		return SG_OK;
	if (rd(arg, kt->off, b, kt->len))
		return sg_errf(err, SG_EENV, "read of the PUBKEY TLV at 0x%llx failed",
			       (unsigned long long)kt->off);
	*match = !memcmp(a, b, len);
	return SG_OK;
}

static int check_one_sig(struct sg_mcuboot_info *info, struct sg_mcuboot_sig *s,
			 const struct sg_trust *t, sg_mcuboot_read_fn rd, void *arg,
			 struct sg_err *err)
{
	s->status = SG_MCUBOOT_SIG_UNTRUSTED;
	if (s->key_tlv < 0)
		return SG_OK;
	const struct sg_mcuboot_tlv *st = &info->tlvs[s->tlv];
	for (size_t i = 0; i < t->n; i++) {
		bool match;
		int rc = key_matches(info, &info->tlvs[s->key_tlv], &t->keys[i], rd, arg, &match,
				     err);
		if (rc)
			return rc;
		if (!match)
			continue;
		uint8_t sig[SG_MCUBOOT_SIG_MAX];
		if (rd(arg, st->off, sig, st->len))
			return sg_errf(err, SG_EENV, "read of the signature at 0x%llx failed",
				       (unsigned long long)st->off);
		int r = sg_mcuboot_check_sig(t->keys[i].pkey, st->type, info->digest,
					     info->digest_len, sig, st->len);
		if (r < 0)
			return sg_errf(err, SG_EENV, "signature check failed inside OpenSSL");
		s->status = r ? SG_MCUBOOT_SIG_VALID : SG_MCUBOOT_SIG_INVALID;
		s->trust_index = (int)i;
		return SG_OK;
	}
	return SG_OK;
}

static void hex8(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;
	for (i = 0; i < n && i < 8; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * i] = 0;
}

/* One verdict, digest first: a wrong digest explains everything after. */
static int verdict(struct sg_mcuboot_info *info, const struct sg_trust *t, struct sg_err *err)
{
	int invalid = -1;
	for (unsigned i = 0; i < info->nsigs; i++) {
		if (info->sigs[i].status == SG_MCUBOOT_SIG_VALID && info->valid_sig < 0)
			info->valid_sig = (int)i;
		if (info->sigs[i].status == SG_MCUBOOT_SIG_INVALID && invalid < 0)
			invalid = (int)i;
	}
	info->signature_check = info->valid_sig >= 0 && invalid < 0 ? SG_MCUBOOT_CHECK_PASS
								    : SG_MCUBOOT_CHECK_FAIL;
	const char *dname = sg_mcuboot_tlv_name(info->digest_type);
	if (info->digest_check != SG_MCUBOOT_CHECK_PASS)
		return sg_errf(err, SG_FAIL, "the image digest does not match its %s TLV", dname);
	if (info->nsigs == 0)
		return sg_errf(err, SG_FAIL, "not signed: no signature TLV");
	if (invalid >= 0) {
		const struct sg_mcuboot_sig *s = &info->sigs[invalid];
		const struct sg_mcuboot_tlv *st = &info->tlvs[s->tlv];
		return sg_errf(err, SG_FAIL, "%s signature at 0x%llx does not verify with trusted key %s",
			       sg_mcuboot_tlv_name(st->type),
			       (unsigned long long)(st->off - SG_MCUBOOT_TLV_HDR_SIZE),
			       t->keys[s->trust_index].path ? t->keys[s->trust_index].path : "?");
	}
	if (info->valid_sig < 0) {
		char kh[17] = "none";
		int kt = info->sigs[0].key_tlv;
		if (kt >= 0)
			hex8(info->tlvs[kt].peek, info->tlvs[kt].len, kh);
		return sg_errf(err, SG_FAIL,
			       "no signature by a trusted key (%u signature(s), first key %s %s...)",
			       info->nsigs, kt >= 0 ? sg_mcuboot_tlv_name(info->tlvs[kt].type) : "",
			       kh);
	}
	return SG_OK;
}

int sg_mcuboot_verify(sg_mcuboot_read_fn rd, void *arg, uint64_t size,
		      const struct sg_trust *t, struct sg_mcuboot_info *info, struct sg_err *err)
{
	int rc = sg_mcuboot_parse(info, rd, arg, size, err);
	if (rc)
		return rc;
	if (!t || t->n == 0)
		return sg_errf(err, SG_EINPUT, "no trusted key given");
	if (info->encrypted)
		return sg_errf(err, SG_EINPUT,
			       "encrypted image: its digest covers the plaintext, which signet "
			       "cannot check");
	if (info->sig_pure)
		return sg_errf(err, SG_EINPUT, "SIG_PURE (signature over the whole image) is not "
					       "supported");
	if ((rc = check_digest(info, rd, arg, err)))
		return rc;
	for (unsigned i = 0; i < info->nsigs; i++)
		if ((rc = check_one_sig(info, &info->sigs[i], t, rd, arg, err)))
			return rc;
	return verdict(info, t, err);
}

/* ---- files ---- */

/* The codec speaks of offsets; at the file level messages name the file. */
static int with_path(int rc, const char *path, struct sg_err *err)
{
	if (rc && err) {
		char msg[sizeof(err->msg)];
		memcpy(msg, err->msg, sizeof(msg));
		msg[sizeof(msg) - 1] = 0;
		sg_errf(err, rc, "%s: %s", path, msg);
	}
	return rc;
}

int sg_mcuboot_load(const char *path, struct sg_mcuboot_info *info, struct sg_err *err)
{
	int fd;
	uint64_t size;
	int rc = sg_open_regular(path, &fd, &size, err);
	if (rc)
		return rc;
	struct sg_fd_at at = { fd, 0 };
	rc = sg_mcuboot_parse(info, sg_read_at, &at, size, err);
	close(fd);
	return with_path(rc, path, err);
}

int sg_mcuboot_verify_file(const char *path, const struct sg_trust *trust,
			   struct sg_mcuboot_info *info, struct sg_err *err)
{
	int fd;
	uint64_t size;
	int rc = sg_open_regular(path, &fd, &size, err);
	if (rc)
		return rc;
	struct sg_fd_at at = { fd, 0 };
	rc = sg_mcuboot_verify(sg_read_at, &at, size, trust, info, err);
	close(fd);
	return with_path(rc, path, err);
}
