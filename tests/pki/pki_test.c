/* pki test set-up: see pki_test.h. */
#include "pki_test.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

EVP_PKEY *pki_test_key(const char *what)
{
	if (!strcmp(what, "ED25519"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!strcmp(what, "RSA3072"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", what);
}

static EVP_PKEY *token_pub(struct sg_hsm_key *k)
{
	size_t len;
	const unsigned char *p = sg_hsm_key_spki(k, &len);
	return d2i_PUBKEY(NULL, &p, (long)len);
}

/* Key `object` in the token, and a CA of profile prof for it issued by
 * parent (NULL: a root). */
static int make_ca(struct pki_test *p, const char *object, enum sg_pki_profile prof,
		   struct sg_pki_ca *parent, const char *dn, X509 **cert, struct sg_pki_ca **ca)
{
	bool pai = prof == SG_PROF_MATTER_PAI;
	char uri[1024];
	struct sg_err err = { 0 };
	struct sg_hsm_key *k;
	sg_test_softhsm_uri(&p->t, object, uri, sizeof(uri));
	if (sg_hsm_keygen(p->h, uri, SG_KEY_ECDSA_P256, &err) || sg_hsm_key_open(p->h, uri, &k, &err))
		goto fail;
	struct sg_pki_ca *self = NULL;
	if (!parent && sg_pki_ca_new(k, NULL, &self, &err))
		goto fail;
	EVP_PKEY *pub = token_pub(k);
	struct sg_pki_subject s = { .profile = prof, .dn = dn, .key = pub,
				    .validity_days = parent ? 0 : 3650, .now = p->now,
				    .vid = pai ? "FFF1" : NULL, .pid = pai ? "8000" : NULL };
	struct sg_pki_issue_opts o = { 0 };
	int rc = sg_pki_issue(parent ? parent : self, &s, &o, cert, &err);
	EVP_PKEY_free(pub);
	sg_pki_ca_free(self);
	if (rc || sg_pki_ca_new(k, *cert, ca, &err))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "pki test set-up (%s): %s\n", object, err.msg);
	return -1;
}

int pki_test_setup(struct pki_test *p)
{
	memset(p, 0, sizeof(*p));
	p->now = 1750000000; /* 2025-06-15 */
	if (sg_test_softhsm_setup(&p->t, "pki-test") || !(p->h = sg_test_softhsm_ctx(&p->t)))
		return -1;
	if (make_ca(p, "root", SG_PROF_ROOT, NULL, "/CN=Test Root/O=signet", &p->root,
		    &p->root_ca) ||
	    make_ca(p, "factory", SG_PROF_FACTORY_CA, p->root_ca, "/CN=Test Factory CA", &p->factory,
		    &p->factory_ca) ||
	    make_ca(p, "codesign", SG_PROF_CODE_SIGNING_CA, p->root_ca, "/CN=Test Code CA", &p->cs,
		    &p->cs_ca) ||
	    make_ca(p, "paa", SG_PROF_MATTER_PAA, NULL, "/CN=Matter Test PAA", &p->paa, &p->paa_ca) ||
	    make_ca(p, "pai", SG_PROF_MATTER_PAI, p->paa_ca, "/CN=Matter Test PAI", &p->pai,
		    &p->pai_ca)) {
		pki_test_teardown(p);
		return -1;
	}
	return 0;
}

void pki_test_teardown(struct pki_test *p)
{
	sg_pki_ca_free(p->root_ca);
	sg_pki_ca_free(p->factory_ca);
	sg_pki_ca_free(p->cs_ca);
	sg_pki_ca_free(p->paa_ca);
	sg_pki_ca_free(p->pai_ca);
	X509_free(p->paa);
	X509_free(p->pai);
	X509_free(p->root);
	X509_free(p->factory);
	X509_free(p->cs);
	sg_hsm_ctx_free(p->h);
	sg_test_softhsm_teardown(&p->t);
	memset(p, 0, sizeof(*p));
}

struct pki_test pki_test_shared;

int pki_test_group_setup(void **state)
{
	(void)state;
	return pki_test_setup(&pki_test_shared);
}

int pki_test_group_teardown(void **state)
{
	(void)state;
	pki_test_teardown(&pki_test_shared);
	return 0;
}
