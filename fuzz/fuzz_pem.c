/* libFuzzer harness for the PEM and DER files verify and pki read from
 * anyone: trust-root and chain bundles (sg_pki_load_certs, sg_chain_file
 * for sign --cert), one certificate (pki verify), CRLs (verify --crl, pki
 * verify --crl) and public keys (verify --pubkey); and private keys (hsm
 * import: sg_hsm_private_key_decode, from a CI secret). Every refusal is
 * one line naming the file; a private key's refusal shows no piece of the
 * key, and a key it takes is one of the supported types. Seeds: bundles,
 * chains, CRLs and keys made by signet pki and openssl, private keys of
 * every kind (encrypted, traditional, other types, cut short). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "signet/chain.h"
#include "signet/hsm.h"
#include "signet/pki.h"
#include "signet/verify.h"
#include "fuzz_file.h"

/* A refusal: a status and one line that names the file. */
static void refused(const struct sg_err *err, const char *path)
{
	if (err->status == SG_OK || !strstr(err->msg, path) || strchr(err->msg, '\n'))
		abort();
}

/* Whether s holds a run of n base64 characters: a piece of a key would
 * (names and PEM labels in messages are shorter). */
static int base64_run(const char *s, size_t n)
{
	size_t run = 0;
	for (; *s; s++) {
		int b64 = (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
			  (*s >= '0' && *s <= '9') || *s == '+' || *s == '/';
		run = b64 ? run + 1 : 0;
		if (run >= n)
			return 1;
	}
	return 0;
}

static void private_key(const uint8_t *data, size_t size)
{
	EVP_PKEY *pkey;
	enum sg_key_type type;
	struct sg_err err;
	if (sg_hsm_private_key_decode(data, size, "input", &pkey, &type, &err) != SG_OK) {
		refused(&err, "input");
		if (pkey || type != SG_KEY_NONE || base64_run(err.msg, 25))
			abort();
	} else if (!pkey || type == SG_KEY_NONE) {
		abort();
	}
	EVP_PKEY_free(pkey);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	private_key(data, size);

	const char *path = fuzz_file(data, size);
	struct sg_err err;

	STACK_OF(X509) *certs = sk_X509_new_null();
	if (!certs)
		abort();
	if (sg_pki_load_certs(path, certs, &err) != SG_OK)
		refused(&err, path);
	else if (sk_X509_num(certs) < 1)
		abort();
	sk_X509_pop_free(certs, X509_free);

	X509 *cert;
	if (sg_pki_load_cert(path, &cert, &err) != SG_OK)
		refused(&err, path);
	else
		X509_free(cert);

	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	if (!crls)
		abort();
	if (sg_pki_load_crl(path, crls, &err) != SG_OK)
		refused(&err, path);
	else if (sk_X509_CRL_num(crls) != 1)
		abort();
	sk_X509_CRL_pop_free(crls, X509_CRL_free);

	void *pkey;
	int alg;
	uint8_t key_id[SGE_KEY_ID_SIZE];
	if (sg_pubkey_load(path, &pkey, &alg, key_id, &err) != SG_OK)
		refused(&err, path);
	else
		EVP_PKEY_free(pkey);

	struct sg_chain_value chain;
	if (sg_chain_file(path, &chain, key_id, &err) != SG_OK) {
		refused(&err, path);
	} else {
		if (!chain.value || chain.len < 2)
			abort();
		free(chain.value);
	}
	return 0;
}
