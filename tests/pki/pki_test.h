/* Shared set-up for the pki/ tests: a SoftHSM2 token holding a P-256 root
 * key and P-256 CA keys, with the root and CA certificates issued through
 * the library (no database). */
#ifndef SIGNET_PKI_TEST_H
#define SIGNET_PKI_TEST_H

#include "signet/pki.h"
#include "softhsm_fixture.h"

struct pki_test {
	struct sg_test_softhsm t;
	struct sg_hsm_ctx *h;
	struct sg_pki_ca *root_ca, *factory_ca, *cs_ca; /* signing CAs */
	X509 *root, *factory, *cs;                      /* their certificates */
	struct sg_pki_ca *paa_ca, *pai_ca; /* Matter: PAA (no vid), PAI vid FFF1 pid 8000 */
	X509 *paa, *pai;
	time_t now;
};

/* 0 or -1 (after printing why). */
int pki_test_setup(struct pki_test *p);
void pki_test_teardown(struct pki_test *p);

/* cmocka group set-up and teardown of pki_test_shared, for tests that
 * need nothing else. */
extern struct pki_test pki_test_shared;
int pki_test_group_setup(void **state);
int pki_test_group_teardown(void **state);

/* A host key: "P-256", "P-384", "P-521", "ED25519", "RSA3072". */
EVP_PKEY *pki_test_key(const char *what);

#endif
