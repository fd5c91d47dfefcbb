/* libFuzzer harness for certificate chains carried in envelopes
 * (CERT_CHAIN, docs/envelope.md §5), as verify --trust-root reads them:
 * each chain's DER certificates, then the chain check against roots and
 * the full verification with the keys it trusted (real OpenSSL). The
 * roots are the top certificate of each chain the envelope carries, so a
 * well-formed chain goes all the way through the path validation. Seeds:
 * envelopes signed by signet with chains made by signet pki. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "signet/chain.h"
#include "signet/verify.h"
#include "fuzz_file.h"

/* The top certificate of every chain that decodes, up-ref'ed into roots. */
static void collect_roots(const char *path, const struct sgv_envelope *e, STACK_OF(X509) *roots)
{
	struct sg_err err;
	for (unsigned i = 0; i < e->nchains; i++) {
		STACK_OF(X509) *sk;
		if (sg_envelope_chain(path, e, i, &sk, &err) != SG_OK) {
			if (err.status == SG_OK || !strstr(err.msg, path))
				abort();
			continue;
		}
		X509 *top = sk_X509_value(sk, sk_X509_num(sk) - 1);
		if (!top || !X509_up_ref(top) || !sk_X509_push(roots, top))
			abort();
		sk_X509_pop_free(sk, X509_free);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sgv_envelope e;
	static struct sg_trust t;
	const char *path = fuzz_file(data, size);
	struct sg_err err;
	if (sg_envelope_load(path, &e, &err) != SG_OK)
		return 0;
	STACK_OF(X509) *roots = sk_X509_new_null();
	if (!roots)
		abort();
	collect_roots(path, &e, roots);
	struct sg_chain_trust ct = { roots, NULL };
	memset(&t, 0, sizeof(t));
	if (sg_trust_add_chain(&t, path, &ct, &err) == SG_OK) {
		struct sg_verify_policy p = { .threshold = 1 };
		sg_verify_file(path, &t, &p, &e, &err);
	} else if (err.status == SG_OK || strchr(err.msg, '\n')) {
		abort();
	}
	sg_trust_free(&t);
	sk_X509_pop_free(roots, X509_free);
	return 0;
}
