/* Certificate chains in signet envelopes: the CERT_CHAIN signature-area
 * field (docs/envelope.md §5), made by signet sign --cert and checked by
 * signet verify --trust-root. A chain only helps find and authenticate a
 * key; it is not signed, its integrity is the chain's own. */
#ifndef SIGNET_CHAIN_H
#define SIGNET_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "signet/err.h"
#include "signet/verifier.h"
#include "signet/verify.h"

/* An encoded CERT_CHAIN value; value NULL when there is none. */
struct sg_chain_value {
	uint8_t *value;
	size_t len;
};

/* A PEM chain file (leaf first, as --cert takes it) as the CERT_CHAIN
 * value: each certificate's DER after its u16 LE length, out->value
 * malloc'ed; and the key id of the leaf's key, which the caller matches
 * with the signer the chain goes with. SG_EINPUT when unreadable, holding
 * no certificate, too big, or the leaf's key is unusable. */
int sg_chain_file(const char *path, struct sg_chain_value *out,
		  uint8_t leaf_key_id[SGE_KEY_ID_SIZE], struct sg_err *err);

/* Appends c as a CERT_CHAIN field to a signature area; nothing when c has
 * no value. */
int sg_chain_append(uint8_t *area, size_t *area_len, const struct sg_chain_value *c,
		    struct sg_err *err);

/* Key id (SHA-256 of the SPKI) of a certificate's public key. */
int sg_chain_key_id(X509 *cert, uint8_t key_id[SGE_KEY_ID_SIZE]);

/* Chain i (< e->nchains) of the envelope e at path, parsed (so framed
 * right, §5). SG_FAIL naming the certificate that is not DER X.509: a
 * content fault, a "no" for a verifier that uses the chain (§7 step 5). */
int sg_envelope_chain(const char *path, const struct sgv_envelope *e, unsigned i,
		      STACK_OF(X509) **out, struct sg_err *err);

struct sg_chain_trust {
	STACK_OF(X509) *roots;    /* --trust-root */
	STACK_OF(X509_CRL) *crls; /* --crl; empty or NULL: no revocation check */
};

/* Checks every chain of the envelope at path: to one of the roots, the
 * code-signing profile on the leaf, at the envelope's BUILD_TIME, against
 * the CRLs; then adds each leaf's key to t (unless t already trusts it).
 * SG_EINPUT for a malformed envelope (all its structure is checked first);
 * otherwise SG_FAIL naming the reason when there is no chain (and t is
 * empty), no BUILD_TIME to check at, a certificate is not X.509, two chains
 * certify one key, a leaf made no signature, or a chain fails. */
int sg_trust_add_chain(struct sg_trust *t, const char *path, const struct sg_chain_trust *ct,
		       struct sg_err *err);

#endif
