/* libFuzzer harness for what pki reads from outside: a CSR (PEM or DER)
 * with its proof-of-possession check and the key-type rule of every
 * profile; and the same bytes as a certificate through every profile's
 * lint, as `signet pki verify --profile` would run it. */
#include <stdint.h>

#include "signet/pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_err err;
	X509_PUBKEY *spki;
	if (sg_pki_csr_key(data, size, "fuzz", &spki, &err) == SG_OK) {
		for (int p = SG_PROF_ROOT; p <= SG_PROF_MATTER_DAC; p++)
			sg_pki_check_key(X509_PUBKEY_get0(spki), (enum sg_pki_profile)p, &err);
		X509_PUBKEY_free(spki);
	}
	X509 *x;
	if (sg_pki_cert(data, size, "fuzz", &x, &err) == SG_OK) {
		for (int p = SG_PROF_ROOT; p <= SG_PROF_MATTER_DAC; p++) {
			sg_pki_lint(x, (enum sg_pki_profile)p, NULL, &err);
			sg_pki_lint(x, (enum sg_pki_profile)p, x, &err);
		}
		X509_free(x);
	}
	return 0;
}
