/* OpenSSL callbacks for the verifier core, trusted keys, file reading. */
#include "signet/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "signet/fileio.h"
#include "signet/sbom.h"
#include "signet/sign.h"

static int key_alg(EVP_PKEY *pkey)
{
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_ED25519:
		return SGE_SIG_ED25519;
	case EVP_PKEY_RSA: {
		int bits = EVP_PKEY_get_bits(pkey);
		return bits == 3072 || bits == 4096 ? SGE_SIG_RSA_PSS_SHA256 : 0;
	}
	case EVP_PKEY_EC: {
		char curve[64];
		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, curve,
						    sizeof(curve), NULL))
			return 0;
		if (!strcmp(curve, "prime256v1"))
			return SGE_SIG_ECDSA_P256_SHA256;
		if (!strcmp(curve, "secp384r1"))
			return SGE_SIG_ECDSA_P384_SHA384;
		return 0;
	}
	default:
		return 0;
	}
}

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

/* sg_pubkey_load; cert_hint says what to do when path is a certificate
 * (NULL: a trusted key, so that is about the trust_path parameter, whose
 * caller knows where certificates go). */
static int pubkey_load(const char *path, const char *cert_hint, void **pkey_out, int *alg,
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
	*alg = key_alg(pkey);
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
	return pubkey_load(path, GIVE_THE_KEY, pkey_out, alg, key_id, err);
}

static int trust_check_new(struct sg_trust *t, const char *label, struct sg_err *err)
{
	const struct sg_trust_key *k = &t->keys[t->n];
	for (size_t i = 0; i < t->n; i++)
		if (!memcmp(t->keys[i].key_id, k->key_id, SGE_KEY_ID_SIZE))
			return sg_errf(err, SG_EINPUT, "%s: same key as %s", label, t->keys[i].path);
	return SG_OK;
}

int sg_trust_add(struct sg_trust *t, const char *path, struct sg_err *err)
{
	if (t->n == SG_MAX_TRUST)
		return sg_errf(err, SG_EINPUT, "%s: more than %d trusted keys", path, SG_MAX_TRUST);
	struct sg_trust_key *k = &t->keys[t->n];
	int rc = pubkey_load(path, NULL, &k->pkey, &k->alg, k->key_id, err);
	if (!rc)
		rc = trust_check_new(t, path, err);
	if (rc) {
		EVP_PKEY_free(k->pkey);
		k->pkey = NULL;
		return rc;
	}
	k->path = strdup(path);
	k->from_chain = 0;
	t->n++;
	return SG_OK;
}

int sg_trust_add_pkey(struct sg_trust *t, void *pkey, const char *label, int from_chain,
		      struct sg_err *err)
{
	if (t->n == SG_MAX_TRUST)
		return sg_errf(err, SG_EINPUT, "%s: more than %d trusted keys", label, SG_MAX_TRUST);
	struct sg_trust_key *k = &t->keys[t->n];
	k->alg = key_alg(pkey);
	if (!k->alg)
		return sg_errf(err, SG_FAIL,
			       "%s: unsupported key type (need P-256, P-384, Ed25519, RSA 3072/4096)",
			       label);
	if (sg_pkey_key_id(pkey, k->key_id))
		return sg_errf(err, SG_EENV, "%s: cannot encode the public key", label);
	int rc = trust_check_new(t, label, err);
	if (rc)
		return rc;
	if (!EVP_PKEY_up_ref(pkey))
		return sg_errf(err, SG_EENV, "out of memory");
	k->pkey = pkey;
	k->path = strdup(label);
	k->from_chain = from_chain;
	t->n++;
	return SG_OK;
}

void sg_trust_free(struct sg_trust *t)
{
	for (size_t i = 0; i < t->n; i++) {
		EVP_PKEY_free(t->keys[i].pkey);
		free(t->keys[i].path);
	}
	t->n = 0;
}

/* ---- callbacks for the core ---- */

static int hash_init(void *ctx, int alg)
{
	const EVP_MD *md = alg == SGE_DIGEST_SHA256 ? EVP_sha256()
			   : alg == SGE_DIGEST_SHA384 ? EVP_sha384()
						      : NULL;
	return !md || !EVP_DigestInit_ex(ctx, md, NULL);
}

static int hash_update(void *ctx, const uint8_t *p, size_t n)
{
	return !EVP_DigestUpdate(ctx, p, n);
}

static int hash_final(void *ctx, uint8_t *out)
{
	return !EVP_DigestFinal_ex(ctx, out, NULL);
}

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

static int sig_verify(void *arg, int alg, const uint8_t *key_id, const uint8_t *msg,
		      size_t msg_len, const uint8_t *sig, size_t sig_len, unsigned *key_index)
{
	const struct sg_trust *t = arg;
	for (size_t i = 0; i < t->n; i++) {
		const struct sg_trust_key *k = &t->keys[i];
		if (memcmp(k->key_id, key_id, SGE_KEY_ID_SIZE) || k->alg != alg)
			continue;
		int r = sg_verify_sig(k->pkey, alg, msg, msg_len, sig, sig_len);
		if (r < 0)
			return -1;
		*key_index = (unsigned)i;
		return r ? SGV_SIG_VALID : SGV_SIG_INVALID;
	}
	return SGV_SIG_UNTRUSTED;
}

/* ---- files ---- */

static int core_status(int r)
{
	switch (r) {
	case SGV_OK:
		return SG_OK;
	case SGV_EFORMAT:
		return SG_EINPUT;
	case SGV_EIO:
	case SGV_ECRYPTO:
		return SG_EENV;
	default:
		return SG_FAIL;
	}
}

int sg_envelope_load(const char *path, struct sgv_envelope *e, struct sg_err *err)
{
	int fd;
	uint64_t size;
	int rc = sg_open_regular(path, &fd, &size, err);
	if (rc)
		return rc;
	struct sg_fd_at at = { fd, 0 };
	int r = sgv_parse(e, sg_read_at, &at, size);
	close(fd);
	if (r)
		return sg_errf(err, core_status(r), "%s: %s", path, e->detail);
	return SG_OK;
}

#define WORK_SIZE (256 * 1024)

/* The SBOM binding: same kind and SHA-256 as the file given. */
static int check_sbom(const char *path, const char *sbom_path, const struct sgv_envelope *e,
		      struct sg_err *err)
{
	struct sg_sbom sbom;
	int rc = sg_sbom_load(sbom_path, &sbom, err);
	if (rc)
		return rc;
	if (!e->has_sbom)
		return sg_errf(err, SG_FAIL, "%s: no SBOM is bound to this envelope", path);
	if (e->sbom_kind != sbom.kind || memcmp(e->sbom_digest, sbom.sha256, 32))
		return sg_errf(err, SG_FAIL, "%s: %s is not the SBOM bound to this envelope", path,
			       sbom_path);
	return SG_OK;
}

/* Both values, the required one made printable (it comes from argv). */
static int hw_id_mismatch(const char *path, const struct sgv_envelope *e, const char *want,
			  struct sg_err *err)
{
	char w[SGE_HW_ID_MAX + 5]; /* 65 characters, "..." */
	size_t n = 0;
	for (; want[n] && n < SGE_HW_ID_MAX + 1; n++)
		w[n] = want[n] > 0x20 && want[n] < 0x7f ? want[n] : '?';
	strcpy(w + n, want[n] ? "..." : "");
	return sg_errf(err, SG_FAIL,
		       "%s: hardware id does not match: envelope '%.*s', required '%s'", path,
		       e->hw_id_len, (const char *)e->hw_id, w);
}

int sg_verify_file(const char *path, const struct sg_trust *t, const struct sg_verify_policy *p,
		   struct sgv_envelope *e, struct sg_err *err)
{
	int fd;
	uint64_t size;
	int rc = sg_open_regular(path, &fd, &size, err);
	if (rc)
		return rc;
	uint8_t *work = malloc(WORK_SIZE);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!work || !md) {
		free(work);
		EVP_MD_CTX_free(md);
		close(fd);
		return sg_errf(err, SG_EENV, "out of memory");
	}
	struct sgv_crypto c = {
		.hash_ctx = md,
		.hash_init = hash_init,
		.hash_update = hash_update,
		.hash_final = hash_final,
		.sig_verify = sig_verify,
		.sig_arg = (void *)t,
	};
	size_t hw_len = p->hw_id ? strlen(p->hw_id) : 0;
	struct sg_fd_at at = { fd, 0 };
	int r = sgv_verify(e, &c, sg_read_at, &at, size, work, WORK_SIZE, p->threshold,
			   (const uint8_t *)p->hw_id, hw_len, p->min_counter);
	free(work);
	EVP_MD_CTX_free(md);
	close(fd);
	if (r == SGV_ETHRESHOLD)
		return sg_errf(err, SG_FAIL, "%s: %s (%u of %u required)", path, e->detail,
			       e->valid_signers, p->threshold ? p->threshold : 1);
	if (r == SGV_EHWID && e->has_hw_id)
		return hw_id_mismatch(path, e, p->hw_id, err);
	if (r == SGV_ECOUNTER)
		return sg_errf(err, SG_FAIL, "%s: %s (%u < %u)", path, e->detail,
			       e->security_counter, p->min_counter);
	if (r)
		return sg_errf(err, core_status(r), "%s: %s", path, e->detail);
	return p->sbom_path ? check_sbom(path, p->sbom_path, e, err) : SG_OK;
}

int sg_envelope_body_check(int fd, uint64_t base, uint64_t body_len, const char *path,
			   struct sgv_envelope *e, struct sg_err *err)
{
	struct sg_fd_at at = { fd, base };
	int r = sgv_parse_msg(e, sg_read_at, &at, body_len + SGE_AREA_HEADER_SIZE);
	if (r)
		return sg_errf(err, core_status(r), "%s: %s", path, e->detail);
	if (e->area_off != body_len)
		return sg_errf(err, SG_EINPUT, "%s: image body size does not match its header", path);
	uint8_t *work = malloc(WORK_SIZE);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct sgv_crypto c = { md, hash_init, hash_update, hash_final, NULL, NULL };
	r = work && md ? sgv_check_digest(e, &c, sg_read_at, &at, work, WORK_SIZE) : SGV_ECRYPTO;
	free(work);
	EVP_MD_CTX_free(md);
	if (r == SGV_EDIGEST)
		return sg_errf(err, SG_EINPUT, "%s: payload does not match its digest (damaged)", path);
	if (r)
		return sg_errf(err, core_status(r), "%s: %s", path, e->detail);
	return SG_OK;
}
