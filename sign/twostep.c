/* The second step of offline signing: a request plus a signature made
 * elsewhere becomes an envelope (image format 1) or an MCUboot image
 * (format 2, finished by sign/mcuboot_sign.c). Reading the request and the
 * signature is shared; the format decides what the body must hold, what
 * the signature covers and what is written. Everything is checked before
 * anything is written: the request's integrity, the key, and the
 * signature itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "signet/atomic_file.h"
#include "signet/chain.h"
#include "copy_priv.h"
#include "keys_priv.h"
#include "signet/fileio.h"
#include "signet/mcuboot_sign.h"
#include "signet/request.h"
#include "signet/sign.h"
#include "signet/verify.h"

static int open_request(const char *path, int *fd, struct sg_request *r, struct sg_err *err)
{
	uint64_t size;
	int rc = sg_open_regular(path, fd, &size, err);
	if (rc)
		return rc;
	uint8_t hdr[SG_REQ_HEADER_SIZE];
	ssize_t n = pread(*fd, hdr, sizeof(hdr), 0);
	if (n < 0)
		return sg_errf(err, SG_EINPUT, "%s: cannot read: %s", path, strerror(errno));
	if (n < (ssize_t)sizeof(hdr))
		return sg_errf(err, SG_EINPUT, "%s: not a signet signing request", path);
	return sg_request_decode(hdr, size, path, r, err);
}

/* raw r||s (each half the curve size) to DER Ecdsa-Sig-Value. */
static int ecdsa_raw_to_der(uint8_t *sig, size_t *len, size_t coord, const char *path,
			    struct sg_err *err)
{
	if (*len != 2 * coord)
		return sg_errf(err, SG_EINPUT, "%s: a raw signature for this key is %zu bytes, not %zu",
			       path, 2 * coord, *len);
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)coord, NULL), *s = BN_bin2bn(sig + coord, (int)coord, NULL);
	int ok = es && r && s && ECDSA_SIG_set0(es, r, s);
	if (!ok) {
		BN_free(r);
		BN_free(s);
	}
	unsigned char *der = NULL;
	int der_len = ok ? i2d_ECDSA_SIG(es, &der) : -1;
	ECDSA_SIG_free(es);
	if (der_len <= 0 || (size_t)der_len > SGE_SIG_MAX) {
		OPENSSL_free(der);
		return sg_errf(err, SG_EENV, "%s: cannot encode the signature", path);
	}
	memcpy(sig, der, (size_t)der_len);
	*len = (size_t)der_len;
	OPENSSL_free(der);
	return SG_OK;
}

static int load_signature(const char *path, int alg, bool raw_ecdsa, struct sg_signature *s,
			  struct sg_err *err)
{
	uint8_t *buf;
	size_t len;
	int rc = sg_read_file(path, SGE_SIG_MAX, &buf, &len, err);
	if (rc)
		return rc;
	if (len == 0) {
		free(buf);
		return sg_errf(err, SG_EINPUT, "%s: empty signature", path);
	}
	memcpy(s->sig, buf, len);
	s->sig_len = len;
	free(buf);
	if (raw_ecdsa && alg == SGE_SIG_ECDSA_P256_SHA256)
		return ecdsa_raw_to_der(s->sig, &s->sig_len, 32, path, err);
	if (raw_ecdsa && alg == SGE_SIG_ECDSA_P384_SHA384)
		return ecdsa_raw_to_der(s->sig, &s->sig_len, 48, path, err);
	return SG_OK;
}

/* ---- image format 1: signet envelopes ---- */

/* The envelope: the request's body, then the signature area with the one
 * signature and, when given, the signer's CERT_CHAIN. */
static int write_envelope(int req_fd, const struct sg_request *r, const struct sg_signature *s,
			  const struct sg_chain_value *chain, const char *req_path,
			  const char *out_path, struct sg_err *err)
{
	uint8_t area[SGE_AREA_MAX];
	size_t area_len;
	int rc = sg_envelope_encode_area(s, 1, area, &area_len, err);
	if (!rc)
		rc = sg_chain_append(area, &area_len, chain, err);
	if (rc)
		return rc;
	struct sg_atomic_file out;
	rc = sg_atomic_open(&out, out_path, err);
	if (rc)
		return rc;
	rc = sg_copy_range(req_fd, SG_REQ_HEADER_SIZE, &out, r->body_len, req_path, err);
	if (!rc)
		rc = sg_atomic_pwrite(&out, area, area_len, (long long)r->body_len, err);
	if (rc) {
		sg_atomic_abort(&out);
		return rc;
	}
	return sg_atomic_commit(&out, err);
}

/* The request's own consistency: M as the body holds it, its digest as the
 * header states, and the payload as M's digest says. */
static int check_envelope(int fd, const struct sg_request *r, const char *path,
			  struct sgv_envelope *e, struct sg_err *err)
{
	int rc = sg_envelope_body_check(fd, SG_REQ_HEADER_SIZE, r->body_len, path, e, err);
	if (rc)
		return rc;
	uint8_t d[SGE_DIGEST_MAX];
	unsigned dlen = sg_request_digest_len(r->alg);
	const EVP_MD *md = dlen == 48 ? EVP_sha384() : EVP_sha256();
	if (e->msg_len != r->tbs_len || EVP_Digest(e->msg, e->msg_len, d, NULL, md, NULL) != 1 ||
	    memcmp(d, r->tbs_digest, dlen))
		return sg_errf(err, SG_EINPUT, "%s: request header does not match its body (damaged)",
			       path);
	return SG_OK;
}

/* ---- both formats: the header decides which applies ---- */

static bool is_mcuboot(const struct sg_request_info *ri)
{
	return ri->r.image_format == SG_REQ_FORMAT_MCUBOOT;
}

static int check_body(int fd, struct sg_request_info *ri, const char *path, struct sg_err *err)
{
	if (is_mcuboot(ri))
		return sg_mcuboot_request_check(fd, &ri->r, path, &ri->mcu, err);
	return check_envelope(fd, &ri->r, path, &ri->env, err);
}

/* 1 if s verifies over what the request says is signed: M (format 1) or
 * the image digest D (format 2, with MCUboot's rules for each type). */
static int sig_verifies(const struct sg_request_info *ri, EVP_PKEY *pub,
			const struct sg_signature *s)
{
	if (!is_mcuboot(ri))
		return sg_verify_sig(pub, s->alg, ri->env.msg, ri->env.msg_len, s->sig, s->sig_len);
	if (s->sig_len > ri->mcu.key.sig_max)
		return 0;
	return sg_mcuboot_check_sig(pub, ri->mcu.key.sig_type, ri->mcu.digest, ri->r.tbs_len,
				    s->sig, s->sig_len);
}

static int write_output(int fd, const struct sg_request_info *ri, const struct sg_signature *s,
			const struct sg_chain_value *chain, const char *req_path,
			const char *out_path, struct sg_err *err)
{
	if (is_mcuboot(ri))
		return sg_mcuboot_request_write(fd, &ri->mcu, s->sig, s->sig_len, req_path, out_path,
						err);
	return write_envelope(fd, &ri->r, s, chain, req_path, out_path, err);
}

/* --cert: a signet envelope only, and its leaf must certify the request's
 * key. */
static int load_chain(const struct sg_request_info *ri, const char *cert_path,
		      struct sg_chain_value *chain, struct sg_err *err)
{
	uint8_t key_id[SGE_KEY_ID_SIZE];
	if (!cert_path)
		return SG_OK;
	if (is_mcuboot(ri))
		return sg_errf_param(err, SG_EINPUT, "cert_path",
				     "an MCUboot image carries no certificate chain");
	int rc = sg_chain_file(cert_path, chain, key_id, err);
	if (!rc && memcmp(key_id, ri->r.key_id, SGE_KEY_ID_SIZE))
		rc = sg_errf(err, SG_EINPUT,
			     "%s: the first certificate does not certify the request's key", cert_path);
	return rc;
}

int sg_request_load(const char *path, struct sg_request_info *ri, struct sg_err *err)
{
	int fd = -1;
	int rc = open_request(path, &fd, &ri->r, err);
	if (!rc)
		rc = check_body(fd, ri, path, err);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* pub must be the key the request names; an MCUboot image also needs a
 * key type MCUboot verifies (no RSA-4096). */
static int check_key(struct sg_request_info *ri, const struct sg_signer *k,
		     const char *req_path, struct sg_err *err)
{
	if (memcmp(k->key_id, ri->r.key_id, SGE_KEY_ID_SIZE))
		return sg_errf(err, SG_FAIL, "%s: not the key %s was prepared for", k->uri,
			       req_path);
	if (k->alg != ri->r.alg)
		return sg_errf(err, SG_FAIL, "%s: key type does not match the request", k->uri);
	if (is_mcuboot(ri))
		return sg_mcuboot_request_key(&ri->mcu, k->pub, k->alg, k->uri, err);
	return SG_OK;
}

int sg_sign_complete(const char *req_path, const char *sig_path, bool raw_ecdsa,
		     const char *pub_path, const char *cert_path, const char *out_path,
		     struct sg_err *err)
{
	struct sg_request_info *ri = calloc(1, sizeof(*ri)); /* large: not on a stack */
	if (!ri)
		return sg_errf(err, SG_EENV, "out of memory");
	struct sg_signature s;
	memset(&s, 0, sizeof(s));
	struct sg_chain_value chain = { NULL, 0 };
	struct sg_signer k; /* the request's key, opened as sg_sign_file opened it */
	memset(&k, 0, sizeof(k));
	int fd = -1;
	int rc = open_request(req_path, &fd, &ri->r, err);
	if (!rc)
		rc = check_body(fd, ri, req_path, err);
	if (!rc)
		rc = load_chain(ri, cert_path, &chain, err);
	if (!rc)
		rc = sg_signer_open_pub(pub_path, &k, err);
	if (!rc)
		rc = check_key(ri, &k, req_path, err);
	const int alg = k.alg;
	memcpy(s.key_id, k.key_id, SGE_KEY_ID_SIZE);
	if (!rc && raw_ecdsa && alg != SGE_SIG_ECDSA_P256_SHA256 && alg != SGE_SIG_ECDSA_P384_SHA384)
		rc = sg_errf(err, SG_EINPUT, "%s: raw format applies to ECDSA signatures only",
			     sig_path);
	if (!rc)
		rc = load_signature(sig_path, alg, raw_ecdsa, &s, err);
	s.alg = (uint8_t)alg;
	/* An ECDSA signature may also be in the other encoding (raw_ecdsa). */
	if (!rc && sig_verifies(ri, k.pub, &s) != 1)
		rc = sg_errf_param(err, SG_FAIL, alg <= SGE_SIG_ECDSA_P384_SHA384 ? "raw_ecdsa" : NULL,
				   "%s: signature does not verify over %s: signed another request, "
				   "or with another key",
				   sig_path, req_path);
	if (!rc)
		rc = write_output(fd, ri, &s, &chain, req_path, out_path, err);
	free(chain.value);
	sg_signer_close(&k);
	if (fd >= 0)
		close(fd);
	free(ri);
	return rc;
}
