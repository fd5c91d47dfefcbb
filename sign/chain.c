/* CERT_CHAIN: encode for signing, decode and check for verification. */
#include "signet/chain.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "signet/fileio.h"
#include "signet/pki.h"
#include "keys_priv.h"

static int encode(STACK_OF(X509) *chain, uint8_t **out, size_t *len, struct sg_err *err)
{
	uint8_t *buf = malloc(SGE_AREA_MAX);
	size_t n = 0;
	if (!buf)
		return sg_errf(err, SG_EENV, "out of memory");
	for (int i = 0; i < sk_X509_num(chain); i++) {
		int d = i2d_X509(sk_X509_value(chain, i), NULL);
		if (d <= 0 || d > UINT16_MAX || n + 2 + (size_t)d > SGE_AREA_MAX) {
			free(buf);
			return sg_errf(err, SG_EINPUT, "certificate chain exceeds the %d-byte area limit",
				       SGE_AREA_MAX);
		}
		sge_put16(buf + n, (uint16_t)d);
		unsigned char *p = buf + n + 2;
		i2d_X509(sk_X509_value(chain, i), &p);
		n += 2 + (size_t)d;
	}
	*out = buf;
	*len = n;
	return SG_OK;
}

static void name_of(X509_NAME *n, char *buf, size_t size)
{
	X509_NAME_oneline(n, buf, (int)size);
}

/* The chain file must be usable at verification: leaf first, each
 * certificate issued (name and signature) by the next, and up to the
 * root's level: it ends at a self-signed root, or at a CA certificate
 * (which a verifier's --trust-root issued). A file that ends at an
 * end-entity certificate lacks its issuer: that is named now, rather than
 * left to verification. */
static int chain_linked(const char *path, STACK_OF(X509) *sk, struct sg_err *err)
{
	char a[256], b[256];
	int n = sk_X509_num(sk);
	for (int i = 0; i + 1 < n; i++) {
		X509 *x = sk_X509_value(sk, i), *up = sk_X509_value(sk, i + 1);
		EVP_PKEY *k = X509_get0_pubkey(up);
		if (X509_check_issued(up, x) != X509_V_OK || !k || X509_verify(x, k) != 1) {
			ERR_clear_error();
			name_of(X509_get_subject_name(x), a, sizeof(a));
			name_of(X509_get_subject_name(up), b, sizeof(b));
			return sg_errf(err, SG_EINPUT,
				       "%s: certificate %d ('%s') is not issued by certificate %d "
				       "('%s'): the chain goes leaf first, each followed by its issuer",
				       path, i + 1, a, i + 2, b);
		}
	}
	X509 *top = sk_X509_value(sk, n - 1);
	bool self_signed = X509_check_issued(top, top) == X509_V_OK;
	if (!self_signed && !X509_check_ca(top)) {
		name_of(X509_get_subject_name(top), a, sizeof(a));
		name_of(X509_get_issuer_name(top), b, sizeof(b));
		return sg_errf(err, SG_EINPUT,
			       "%s: the chain ends at '%s', whose issuer '%s' is missing: append that "
			       "CA's certificate (and any CA above it but the root)",
			       path, a, b);
	}
	return SG_OK;
}

int sg_chain_file(const char *path, struct sg_chain_value *out,
		  uint8_t leaf_key_id[SGE_KEY_ID_SIZE], struct sg_err *err)
{
	*out = (struct sg_chain_value){ NULL, 0 };
	STACK_OF(X509) *sk = sk_X509_new_null();
	int rc = sk ? sg_pki_load_certs(path, sk, err) : sg_errf(err, SG_EENV, "out of memory");
	if (!rc && sg_chain_key_id(sk_X509_value(sk, 0), leaf_key_id))
		rc = sg_errf(err, SG_EINPUT, "%s: the first certificate's key is unusable", path);
	if (!rc)
		rc = chain_linked(path, sk, err);
	struct sg_err why = { 0 };
	if (!rc && (rc = encode(sk, &out->value, &out->len, &why)))
		sg_errf(err, rc, "%s: %s", path, why.msg);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

int sg_chain_append(uint8_t *area, size_t *area_len, const struct sg_chain_value *c,
		    struct sg_err *err)
{
	if (!c->value)
		return SG_OK;
	return sg_envelope_area_append(area, area_len, SGE_T_CERT_CHAIN, c->value, c->len, err);
}

int sg_chain_key_id(X509 *cert, uint8_t key_id[SGE_KEY_ID_SIZE])
{
	EVP_PKEY *pkey = X509_get0_pubkey(cert);
	return pkey ? sg_pkey_key_id(pkey, key_id) : -1;
}

/* Decodes a CERT_CHAIN value whose framing the core checked (§5): 0, or
 * the 1-based number of the certificate that is not DER X.509 filling its
 * length exactly (one encoding per chain); -1 if the framing is broken. */
static int decode_chain(const uint8_t *v, size_t n, STACK_OF(X509) *sk)
{
	if (n == 0)
		return -1;
	for (int i = 1; n; i++) {
		if (n < 2 || sge_get16(v) == 0 || sge_get16(v) > n - 2)
			return -1;
		size_t len = sge_get16(v);
		const unsigned char *p = v + 2;
		X509 *x = d2i_X509(NULL, &p, (long)len);
		if (!x || p != v + 2 + len || !sk_X509_push(sk, x)) {
			X509_free(x);
			return i;
		}
		v += 2 + len;
		n -= 2 + len;
	}
	return 0;
}

int sg_envelope_chain(const char *path, const struct sgv_envelope *e, unsigned i,
		      STACK_OF(X509) **out, struct sg_err *err)
{
	*out = NULL;
	int fd;
	uint64_t size;
	int rc = sg_open_regular(path, &fd, &size, err);
	if (rc)
		return rc;
	const struct sgv_chain *c = &e->chains[i];
	uint8_t *v = malloc(c->len ? c->len : 1);
	STACK_OF(X509) *sk = sk_X509_new_null();
	struct sg_fd_at at = { fd, 0 };
	int bad = 0;
	if (!v || !sk)
		rc = sg_errf(err, SG_EENV, "out of memory");
	else if (sg_read_at(&at, c->off, v, c->len))
		rc = sg_errf(err, SG_EENV, "%s: cannot read the certificate chain", path);
	else if ((bad = decode_chain(v, c->len, sk)) < 0)
		rc = sg_errf(err, SG_EINPUT, "%s: CERT_CHAIN field %u is malformed", path, i + 1);
	else if (bad)
		rc = sg_errf(err, SG_FAIL,
			     "%s: certificate chain %u: certificate %d is not a DER X.509 "
			     "certificate",
			     path, i + 1, bad);
	close(fd);
	free(v);
	ERR_clear_error();
	if (rc) {
		sk_X509_pop_free(sk, X509_free);
		return rc;
	}
	*out = sk;
	return SG_OK;
}

static int leaf_signed(const struct sgv_envelope *e, const uint8_t key_id[SGE_KEY_ID_SIZE])
{
	for (unsigned i = 0; i < e->nsigs; i++)
		if (!memcmp(e->sigs[i].key_id, key_id, SGE_KEY_ID_SIZE))
			return 1;
	return 0;
}

static int already_trusted(const struct sg_trust *t, const uint8_t key_id[SGE_KEY_ID_SIZE])
{
	for (size_t i = 0; i < t->n; i++)
		if (!memcmp(t->keys[i].key_id, key_id, SGE_KEY_ID_SIZE))
			return 1;
	return 0;
}

/* The chain is known to be well-formed and its leaf to have signed: verify
 * it at the build time and trust the leaf's key. */
static int trust_leaf(struct sg_trust *t, const char *path, const struct sgv_envelope *e,
		      STACK_OF(X509) *chain, const struct sg_chain_trust *ct, struct sg_err *err)
{
	X509 *leaf = sk_X509_value(chain, 0);
	struct sg_err why = { 0 };
	/* The signature was made at BUILD_TIME: the certificate had to be valid
	 * then, not now, so a release outlives its signing certificate. */
	if (sg_pki_verify_ex(leaf, ct->roots, chain, ct->crls, SG_PROF_CODE_SIGNING,
			     (time_t)e->build_time, SG_PKI_CRL_ANY_TIME, &why))
		return sg_errf(err, why.status, "%s: certificate chain: %s", path, why.msg);
	uint8_t key_id[SGE_KEY_ID_SIZE];
	if (sg_chain_key_id(leaf, key_id))
		return sg_errf(err, SG_EENV, "%s: cannot encode the leaf's public key", path);
	if (already_trusted(t, key_id))
		return SG_OK; /* --trust names it already; that is enough */
	char label[300] = "chain:";
	X509_NAME_oneline(X509_get_subject_name(leaf), label + 6, (int)sizeof(label) - 6);
	return sg_trust_add_pkey(t, X509_get0_pubkey(leaf), label, 1, err);
}

/* The leaves' keys: usable, distinct, and each made a signature. */
static int check_leaves(const char *path, const struct sgv_envelope *e, STACK_OF(X509) **chains,
			struct sg_err *err)
{
	uint8_t seen[SGE_MAX_SIGNATURES][SGE_KEY_ID_SIZE];
	for (unsigned i = 0; i < e->nchains; i++) {
		if (sg_chain_key_id(sk_X509_value(chains[i], 0), seen[i]))
			return sg_errf(err, SG_FAIL, "%s: the leaf of certificate chain %u has an "
				       "unusable public key", path, i + 1);
		for (unsigned j = 0; j < i; j++)
			if (!memcmp(seen[j], seen[i], SGE_KEY_ID_SIZE))
				return sg_errf(err, SG_FAIL, "%s: certificate chains %u and %u "
					       "certify one key", path, j + 1, i + 1);
	}
	for (unsigned i = 0; i < e->nchains; i++)
		if (!leaf_signed(e, seen[i]))
			return sg_errf(err, SG_FAIL, "%s: the leaf key of certificate chain %u made "
				       "no signature", path, i + 1);
	return SG_OK;
}

/* The structure is checked (sg_envelope_load) before any chain is looked
 * at, and every refusal after that is a "no" (§7 step 5): the exit class
 * never depends on the order of the chains. */
static int add_chains(struct sg_trust *t, const char *path, const struct sg_chain_trust *ct,
		      const struct sgv_envelope *e, struct sg_err *err)
{
	int rc = SG_OK;
	if (e->nchains == 0)
		return t->n ? SG_OK
			    : sg_errf_param(err, SG_FAIL, "roots",
					    "%s: no certificate chain to check against the trusted roots",
					    path);
	if (!e->has_build_time)
		return sg_errf(err, SG_FAIL,
			       "%s: no BUILD_TIME, so the certificate chain cannot be checked at "
			       "the signing time",
			       path);
	STACK_OF(X509) *chains[SGE_MAX_SIGNATURES] = { NULL };
	for (unsigned i = 0; !rc && i < e->nchains; i++)
		rc = sg_envelope_chain(path, e, i, &chains[i], err);
	if (!rc)
		rc = check_leaves(path, e, chains, err);
	for (unsigned i = 0; !rc && i < e->nchains; i++)
		rc = trust_leaf(t, path, e, chains[i], ct, err);
	for (unsigned i = 0; i < e->nchains; i++)
		sk_X509_pop_free(chains[i], X509_free);
	return rc;
}

int sg_trust_add_chain(struct sg_trust *t, const char *path, const struct sg_chain_trust *ct,
		       struct sg_err *err)
{
	struct sgv_envelope *e = malloc(sizeof(*e)); /* large: not on a thread's stack */
	if (!e)
		return sg_errf(err, SG_EENV, "out of memory");
	int rc = sg_envelope_load(path, e, err);
	if (!rc)
		rc = add_chains(t, path, ct, e, err);
	free(e);
	return rc;
}
