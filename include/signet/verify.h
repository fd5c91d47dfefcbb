/* Host-side verification: the device verifier core (verifier.h) driven with
 * OpenSSL hash and signature callbacks and a set of trusted public keys.
 * One logic for devices and hosts. */
#ifndef SIGNET_VERIFY_H
#define SIGNET_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "signet/err.h"
#include "signet/verifier.h"

#define SG_MAX_TRUST 32

struct sg_trust_key {
	char *path; /* the trusted key file, or "chain:" and the leaf's subject */
	int from_chain; /* trusted through a certificate chain (sign/chain.h) */
	void *pkey; /* EVP_PKEY */
	int alg;    /* SGE_SIG_* the key makes */
	uint8_t key_id[SGE_KEY_ID_SIZE];
};

struct sg_trust {
	struct sg_trust_key keys[SG_MAX_TRUST];
	size_t n;
};

/* Key id of a public key (docs/envelope.md §5): SHA-256 of its DER
 * SubjectPublicKeyInfo with an EC point uncompressed (pkey is set to encode
 * that way). 0 or -1. */
int sg_pkey_key_id(void *pkey, uint8_t key_id[SGE_KEY_ID_SIZE]);

/* Loads a PEM or DER public key file: the EVP_PKEY (caller frees), the
 * envelope algorithm it makes and its key id. SG_EINPUT for an unreadable,
 * malformed or unsupported key. */
int sg_pubkey_load(const char *path, void **pkey, int *alg, uint8_t key_id[SGE_KEY_ID_SIZE],
		   struct sg_err *err);

/* Adds a PEM (or DER) public key file. Refuses unsupported key types
 * (only P-256, P-384, Ed25519, RSA 3072/4096) and duplicates. */
int sg_trust_add(struct sg_trust *t, const char *path, struct sg_err *err);
/* Adds a key already loaded (up-ref'ed on success); label names it in
 * messages and JSON. Same checks as sg_trust_add. */
int sg_trust_add_pkey(struct sg_trust *t, void *pkey, const char *label, int from_chain,
		      struct sg_err *err);
void sg_trust_free(struct sg_trust *t);

struct sg_verify_policy {
	unsigned threshold;   /* 0 or 1: one trusted signature */
	const char *hw_id;    /* NULL: not checked */
	uint32_t min_counter; /* 0: not checked */
	const char *sbom_path; /* NULL: not checked; else the SBOM must be the one bound */
};

/* Opens path and parses it (SG_EINPUT on a malformed envelope, message
 * names the file and the rule). e is caller-owned. */
int sg_envelope_load(const char *path, struct sgv_envelope *e, struct sg_err *err);

/* Full verification. Returns SG_OK, SG_FAIL (digest, signatures, policy:
 * message says which), SG_EINPUT (malformed), SG_EENV (I/O). e is filled as
 * far as verification got, so callers can report each signature. */
int sg_verify_file(const char *path, const struct sg_trust *t, const struct sg_verify_policy *p,
		   struct sgv_envelope *e, struct sg_err *err);

/* Checks an unsigned envelope body (M and payload, no signature area) that
 * sits at base in fd: structure and payload digest. For signing requests. */
int sg_envelope_body_check(int fd, uint64_t base, uint64_t body_len, const char *path,
			   struct sgv_envelope *e, struct sg_err *err);

/* Verifies one signature over msg with an EVP_PKEY per docs/envelope.md §5:
 * 1 valid, 0 invalid, -1 internal failure. Also used to check fresh
 * signatures from the HSM before they are written. */
int sg_verify_sig(void *pkey, int alg, const uint8_t *msg, size_t msg_len, const uint8_t *sig,
		  size_t sig_len);

#endif
