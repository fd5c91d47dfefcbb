/* sign/'s one place for keys and signatures, below every other file of
 * sign/ so that none of them calls another in a circle. What lives here
 * (sign/keys.c):
 *   - key ids (sg_key_id, sg_pkey_key_id) and algorithm mapping: the
 *     envelope algorithm of a token key type (sg_sig_alg_for_key) or of an
 *     EVP_PKEY (sg_keys_pkey_alg), and back (sg_keys_type_of);
 *   - public-key files (sg_pubkey_load, sg_keys_pubkey_load);
 *   - signature checks: envelopes (sg_verify_sig), MCUboot's signature TLVs
 *     (sg_mcuboot_check_sig), MCUboot's key encoding and KEYHASH;
 *   - token signers that check the token's answer (sg_signer_*).
 * Public ones stay declared in signet/sign.h, verify.h and mcuboot_sign.h;
 * the internal ones are below. Users: sign.c, twostep.c, cosign.c,
 * verify.c, chain.c, mcuboot_sign.c, mcuboot_verify.c. */
#ifndef SIGNET_KEYS_PRIV_H
#define SIGNET_KEYS_PRIV_H

#include <stdint.h>

#include <openssl/evp.h>

#include "signet/hsm.h"
#include "signet/mcuboot_sign.h"
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

#endif
