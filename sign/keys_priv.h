/* sign/'s one place for keys and signatures, below every other file of
 * sign/ so that none of them calls another in a circle. What lives here
 * (sign/keys.c):
 *   - key ids (sg_key_id, sg_pkey_key_id) and algorithm mapping: the
 *     envelope algorithm of a token key type (sg_sig_alg_for_key) or of an
 *     EVP_PKEY (sg_keys_pkey_alg), and back (sg_keys_type_of);
 *   - public-key files (sg_pubkey_load, sg_keys_pubkey_load);
 *   - signature checks: envelopes (sg_verify_sig), MCUboot's signature TLVs
 *     (sg_mcuboot_check_sig), MCUboot's key encoding and KEYHASH;
 *   - signers: token keys that check the token's answer (sg_signer_*),
 *     the signers of a run or the public key a signing request is for
 *     (sg_signers_open, both image formats), and that request's header.
 * Public ones stay declared in signet/sign.h, verify.h and mcuboot_sign.h;
 * the internal ones are below. Users: sign.c, twostep.c, cosign.c,
 * verify.c, chain.c, mcuboot_sign.c, mcuboot_verify.c. */
#ifndef SIGNET_KEYS_PRIV_H
#define SIGNET_KEYS_PRIV_H

#include <stdint.h>

#include <openssl/evp.h>

#include "signet/hsm.h"
#include "signet/mcuboot_sign.h"
#include "signet/request.h"
#include "signet/sign.h"
#include "signet/verify.h"

/* The envelope algorithm (SGE_SIG_*) an EVP_PKEY makes, 0 if unsupported
 * (only P-256, P-384, Ed25519, RSA 3072/4096). */
int sg_keys_pkey_alg(EVP_PKEY *pkey);
/* The token key type of a public key whose algorithm alg came from
 * sg_keys_pkey_alg (RSA: by its size); SG_KEY_NONE for alg 0. */
enum sg_key_type sg_keys_type_of(EVP_PKEY *pub, int alg);

/* sg_pubkey_load, with cert_hint the advice when path holds a certificate;
 * NULL: the file was given as a trusted key (sg_trust_add), so the error
 * names that parameter, "trust_path", and its caller says where
 * certificates go. */
int sg_keys_pubkey_load(const char *path, const char *cert_hint, void **pkey_out, int *alg,
			uint8_t key_id[SGE_KEY_ID_SIZE], struct sg_err *err);

/* The hash of an MCUboot digest TLV type (SHA256/384/512 TLV), or NULL. */
const EVP_MD *sg_keys_mcuboot_md(uint16_t digest_type);

/* The key a signing request is for, from its public key file (path, kept
 * as s->uri for messages; s->key NULL): for preparing the request and for
 * completing it. Closed with sg_signer_close. */
int sg_signer_open_pub(const char *path, struct sg_signer *s, struct sg_err *err);
/* The signers of a run, in s (room for SG_SIGN_MAX_KEYS): o->key_uris, each
 * opened in its token and distinct; or with o->prepare_pubkey that public
 * key (key NULL), for a signing request. *n is how many to close, also on
 * failure. Counts are the caller's to check. */
int sg_signers_open(const struct sg_sign_opts *o, struct sg_hsm_ctx *hsm, struct sg_signer *s,
		    size_t *n, struct sg_err *err);
void sg_signers_close(struct sg_signer *s, size_t n);

/* A signing request's header for its signer s (algorithm and key id): the
 * image format, tbs_len signed bytes whose digest is tbs_digest
 * (sg_request_digest_len bytes), body_len bytes after the header. */
void sg_signer_request_header(const struct sg_signer *s, int image_format, uint32_t tbs_len,
			      const uint8_t *tbs_digest, uint64_t body_len,
			      uint8_t hdr[SG_REQ_HEADER_SIZE]);

#endif
