/* The signing entry point (sg_sign_file: one function for both image
 * formats) and the signet envelope pipeline; MCUboot images are made by
 * sign/mcuboot_sign.c, two-step requests finished by sign/twostep.c. */
#include "signet/sign.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "signet/atomic_file.h"
#include "signet/chain.h"
#include "copy_priv.h"
#include "keys_priv.h"
#include "mcuboot_sign_priv.h"
#include "signet/num.h"
#include "signet/request.h"
#include "signet/sbom.h"
#include "signet/verifier.h"
#include "signet/verify.h"

/* The keys of an envelope and the CERT_CHAIN that goes with each. */
struct signers {
	struct sg_signer k[SG_SIGN_MAX_KEYS];
	size_t n; /* opened: the token keys, or the one public key of a request */
	struct sg_chain_value chain[SG_SIGN_MAX_KEYS];
};

static void close_signers(struct signers *s)
{
	sg_signers_close(s->k, s->n);
	for (size_t i = 0; i < SG_SIGN_MAX_KEYS; i++)
		free(s->chain[i].value);
}

/* --cert: a chain goes with the signer its leaf certifies; a chain for
 * none of them would send verifiers after a key that did not sign, and two
 * for one key would leave them to pick one. */
static int attach_chain(const struct sg_sign_opts *o, const char *path, struct signers *s,
			struct sg_err *err)
{
	struct sg_chain_value chain;
	uint8_t key_id[SGE_KEY_ID_SIZE];
	size_t i = 0;
	int rc = sg_chain_file(path, &chain, key_id, err);
	if (rc)
		return rc;
	while (i < o->nkeys && memcmp(s->k[i].key_id, key_id, SGE_KEY_ID_SIZE))
		i++;
	if (i == o->nkeys)
		rc = sg_errf_param(err, SG_EINPUT, "key_uris",
				   "%s: the first certificate does not certify a signing key", path);
	else if (s->chain[i].value)
		rc = sg_errf(err, SG_EINPUT, "%s: a second chain for key %s", path, s->k[i].uri);
	if (rc) {
		free(chain.value);
		return rc;
	}
	s->chain[i] = chain;
	return SG_OK;
}

static int append_chains(const struct signers *s, uint8_t *area, size_t *area_len,
			 struct sg_err *err)
{
	int rc = SG_OK;
	for (size_t i = 0; !rc && i < s->n; i++)
		rc = sg_chain_append(area, area_len, &s->chain[i], err);
	return rc;
}

/* Signs msg with every signer and checks each fresh signature with the
 * key's public half, so a faulty token cannot produce a bad envelope. */
static int sign_msg(struct signers *s, const uint8_t *msg, size_t msg_len,
		    struct sg_signature *sigs, struct sg_err *err)
{
	for (size_t i = 0; i < s->n; i++) {
		int rc = sg_signer_sign(&s->k[i], msg, msg_len, &sigs[i], err);
		if (rc)
			return rc;
	}
	return SG_OK;
}

static int pick_digest(const struct sg_sign_opts *o, const struct signers *s)
{
	if (o->digest_alg)
		return o->digest_alg;
	for (size_t i = 0; i < s->n; i++)
		if (s->k[i].alg == SGE_SIG_ECDSA_P384_SHA384)
			return SGE_DIGEST_SHA384;
	return SGE_DIGEST_SHA256;
}

/* The request header for the one signer of a prepare run: it signs M. */
static int write_request_header(struct sg_atomic_file *out, const struct sg_signer *s,
				const uint8_t *msg, size_t msg_len, uint64_t body_len,
				struct sg_err *err)
{
	uint8_t d[SGE_DIGEST_MAX], hdr[SG_REQ_HEADER_SIZE];
	const EVP_MD *md = sg_request_digest_len(s->alg) == 48 ? EVP_sha384() : EVP_sha256();
	if (EVP_Digest(msg, msg_len, d, NULL, md, NULL) != 1)
		return sg_errf(err, SG_EENV, "hashing failed");
	sg_signer_request_header(s, SG_REQ_FORMAT_SIGNET, (uint32_t)msg_len, d, body_len, hdr);
	return sg_atomic_pwrite(out, hdr, sizeof(hdr), 0, err);
}

/* After M: the signatures (signing), or nothing (a request). */
static int finish_envelope(const struct sg_sign_opts *o, struct sg_atomic_file *out,
			   struct signers *s, const uint8_t *msg, size_t msg_len, uint64_t area_off,
			   struct sg_err *err)
{
	if (o->prepare_pubkey)
		return write_request_header(out, &s->k[0], msg, msg_len,
					    area_off - SG_REQ_HEADER_SIZE, err);
	struct sg_signature *sigs = calloc(s->n, sizeof(*sigs));
	uint8_t *area = malloc(SGE_AREA_MAX);
	size_t area_len = 0;
	int rc = sigs && area ? SG_OK : sg_errf(err, SG_EENV, "out of memory");
	if (!rc)
		rc = sign_msg(s, msg, msg_len, sigs, err);
	if (!rc)
		rc = sg_envelope_encode_area(sigs, s->n, area, &area_len, err);
	if (!rc)
		rc = append_chains(s, area, &area_len, err);
	if (!rc)
		rc = sg_atomic_pwrite(out, area, area_len, (long long)area_off, err);
	free(sigs);
	free(area);
	return rc;
}

static int write_envelope(const struct sg_sign_opts *o, struct sg_input *in, struct signers *s,
			  struct sg_envelope_meta *m, struct sg_err *err)
{
	/* A request holds the unsigned envelope after its own header. */
	const size_t base = o->prepare_pubkey ? SG_REQ_HEADER_SIZE : 0;
	uint8_t msg[SGE_MSG_MAX];
	size_t msg_len;
	/* Encode once with an empty digest: M's length fixes the payload offset. */
	int rc = sg_envelope_encode_msg(m, msg, &msg_len, err);
	if (rc)
		return rc;
	struct sg_atomic_file out;
	rc = sg_atomic_open(&out, o->out_path, err);
	if (rc)
		return rc;
	const EVP_MD *md = m->digest_alg == SGE_DIGEST_SHA384 ? EVP_sha384() : EVP_sha256();
	rc = sg_copy_hash(in, &out, base + msg_len, md, m->digest, err);
	size_t check_len = msg_len;
	if (!rc)
		rc = sg_envelope_encode_msg(m, msg, &msg_len, err);
	if (!rc && msg_len != check_len)
		rc = sg_errf(err, SG_EENV, "internal error: signed message changed size");
	if (!rc)
		rc = sg_atomic_pwrite(&out, msg, msg_len, (long long)base, err);
	if (!rc)
		rc = finish_envelope(o, &out, s, msg, msg_len, base + msg_len + m->payload_size,
				     err);
	if (rc) {
		sg_atomic_abort(&out);
		return rc;
	}
	return sg_atomic_commit(&out, err);
}

/* The signet envelope pipeline. */
static int sign_envelope(const struct sg_sign_opts *o, struct sg_hsm_ctx *hsm,
			 struct sg_sign_result *result, struct sg_err *err)
{
	if (o->prepare_pubkey && o->nkeys)
		return sg_errf_param(err, SG_EINPUT, "key_uris",
				     "a signing request is for one public key, not token keys");
	if (!o->prepare_pubkey && (o->nkeys == 0 || o->nkeys > SG_SIGN_MAX_KEYS))
		return sg_errf_param(err, SG_EINPUT, "key_uris", "need 1 to %d signing keys",
				     SG_SIGN_MAX_KEYS);
	if (o->prepare_pubkey && o->ncerts)
		return sg_errf_param(err, SG_EINPUT, "cert_paths",
				     "a certificate chain goes in when a signing request is "
				     "completed, not when it is prepared");
	struct sg_envelope_meta m;
	memset(&m, 0, sizeof(m));
	m.version = o->version;
	m.has_counter = o->has_counter;
	m.security_counter = o->security_counter;
	m.hw_id = o->hw_id;
	m.has_build_time = true;
	int rc = sg_now(&m.build_time, err);
	if (rc)
		return rc;
	if (o->sbom_path) {
		struct sg_sbom sbom;
		rc = sg_sbom_load(o->sbom_path, &sbom, err);
		if (rc)
			return rc;
		m.has_sbom = true;
		m.sbom_kind = (uint8_t)sbom.kind;
		memcpy(m.sbom_digest, sbom.sha256, sizeof(m.sbom_digest));
	}

	struct sg_input in;
	rc = sg_input_open(&in, o->in_path, o->in_format, o->pad, o->max_span, err);
	if (rc)
		return rc;
	struct signers *s = calloc(1, sizeof(*s));
	rc = s ? sg_signers_open(o, hsm, s->k, &s->n, err) : sg_errf(err, SG_EENV, "out of memory");
	for (size_t i = 0; !rc && i < o->ncerts; i++)
		rc = attach_chain(o, o->cert_paths[i], s, err);
	if (!rc) {
		m.payload_size = in.size;
		m.has_load_addr = o->has_load_addr || in.has_addr;
		m.load_addr = o->has_load_addr ? o->load_addr : in.base;
		m.digest_alg = (uint8_t)pick_digest(o, s);
		rc = write_envelope(o, &in, s, &m, err);
	}
	if (!rc && result) {
		result->payload_size = m.payload_size;
		result->has_load_addr = m.has_load_addr;
		result->load_addr = m.load_addr;
		result->nsigs = o->prepare_pubkey ? 0 : o->nkeys;
		result->digest_alg = m.digest_alg;
		memcpy(result->digest, m.digest, sizeof(m.digest));
	}
	if (s)
		close_signers(s);
	free(s);
	sg_input_close(&in);
	return rc;
}

int sg_sign_file(const struct sg_sign_opts *o, struct sg_hsm_ctx *hsm,
		 struct sg_sign_result *result, struct sg_err *err)
{
	switch (o->format) {
	case SG_SIGN_SIGNET:
		return sign_envelope(o, hsm, result, err);
	case SG_SIGN_MCUBOOT:
		return sg_mcuboot_sign(o, hsm, result, err);
	default:
		return sg_errf(err, SG_EINPUT, "unknown image format %d", (int)o->format);
	}
}

int sg_mcuboot_sign_file(const struct sg_mcuboot_opts *m, struct sg_hsm_ctx *hsm,
			 struct sg_err *err)
{
	struct sg_sign_opts o = {
		.format = SG_SIGN_MCUBOOT,
		.in_path = m->in_path,
		.out_path = m->out_path,
		.in_format = m->in_format,
		.pad = m->pad,
		.max_span = m->max_span,
		.nkeys = m->key_uri ? 1 : 0,
		.version = m->version,
		.has_counter = m->has_counter,
		.security_counter = m->security_counter,
		.has_load_addr = m->has_load_addr,
		.load_addr = m->load_addr,
		.prepare_pubkey = m->prepare_pubkey,
		.mcuboot = { m->header_size, m->pad_header, m->slot_size, m->align, m->pad_slot,
			     m->confirm, m->max_sectors, m->max_align, m->erased_zero },
	};
	o.key_uris[0] = m->key_uri;
	return sg_sign_file(&o, hsm, NULL, err);
}
