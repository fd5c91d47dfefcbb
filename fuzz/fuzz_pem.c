/* libFuzzer harness for the PEM and DER files verify and pki read from
 * anyone: trust-root and chain bundles (sg_pki_load_certs, sg_chain_file
 * for sign --cert), one certificate (pki verify), CRLs (verify --crl, pki
 * verify --crl) and public keys (verify --pubkey). Every refusal is one
 * line naming the file. Seeds: bundles, chains, CRLs and keys made by
 * signet pki and openssl. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "signet/chain.h"
#include "signet/pki.h"
#include "signet/verify.h"
#include "fuzz_file.h"

/* A refusal: a status and one line that names the file. */
static void refused(const struct sg_err *err, const char *path)
{
	if (err->status == SG_OK || !strstr(err->msg, path) || strchr(err->msg, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
