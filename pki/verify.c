/* Chain verification with OpenSSL's verifier (strict X.509 checks, CRLs
 * when given), then the leaf's profile rules. */
#include "pki_priv.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

static void subject_text(X509 *x, char *buf, size_t n)
{
	X509_NAME_oneline(X509_get_subject_name(x), buf, (int)n);
}

/* With CRLs, every certificate of the chain is checked against its
 * issuer's CRL (X509_V_FLAG_CRL_CHECK_ALL), but only the leaf must have
 * one: a CA certificate whose issuer's CRL was not given is taken as not
 * revoked, so `--crl factory.crl` alone still works and adding the root's
 * CRL also catches a revoked intermediate. */
static bool forgiven(X509_STORE_CTX *ctx, int e)
{
	return e == X509_V_ERR_UNABLE_TO_GET_CRL && X509_STORE_CTX_get_error_depth(ctx) > 0;
}

static int crl_cb(int ok, X509_STORE_CTX *ctx)
{
	return ok || forgiven(ctx, X509_STORE_CTX_get_error(ctx));
}

/* SG_PKI_CRL_ANY_TIME: a CRL's validity period says nothing about a past
 * check time (a certificate revoked today was not revoked in a CRL of the
 * build day), so only its time errors are forgiven; revocation still counts. */
static int crl_any_time_cb(int ok, X509_STORE_CTX *ctx)
{
	int e = X509_STORE_CTX_get_error(ctx);
	return ok || forgiven(ctx, e) || e == X509_V_ERR_CRL_NOT_YET_VALID ||
	       e == X509_V_ERR_CRL_HAS_EXPIRED;
}

/* A release chain runs through CAs allowed to certify code signing only:
 * every CA between the leaf and the trust anchor carries EKU codeSigning
 * (RFC 5280 4.2.1.12 lets a CA's EKU bound what it certifies), so a
 * code-signing CA made below some other CA of the same root, say a factory
 * CA that another tool made without a path length limit, cannot lend its
 * mark to a chain. The leaf's own issuer is checked by the lint's
 * issuer.profile rule as well. */
static int code_signing_path(STACK_OF(X509) *chain, struct sg_err *err)
{
	char name[256];
	for (int i = 1; i + 1 < sk_X509_num(chain); i++) {
		X509 *ca = sk_X509_value(chain, i);
		if ((X509_get_extension_flags(ca) & EXFLAG_XKUSAGE) &&
		    (X509_get_extended_key_usage(ca) & XKU_CODE_SIGN))
			continue;
		subject_text(ca, name, sizeof(name));
		return sg_errf(err, SG_FAIL,
			       "rule chain.code-signing: CA %s (depth %d) may not certify code "
			       "signing (no EKU codeSigning): every CA between a release key and the "
			       "root must be a code-signing CA",
			       name, i);
	}
	return SG_OK;
}

int sg_pki_verify(X509 *cert, STACK_OF(X509) *roots, STACK_OF(X509) *untrusted,
		  STACK_OF(X509_CRL) *crls, enum sg_pki_profile profile, time_t now,
		  struct sg_err *err)
{
	return sg_pki_verify_ex(cert, roots, untrusted, crls, profile, now, 0, err);
}

int sg_pki_verify_ex(X509 *cert, STACK_OF(X509) *roots, STACK_OF(X509) *untrusted,
		     STACK_OF(X509_CRL) *crls, enum sg_pki_profile profile, time_t now,
		     unsigned vflags, struct sg_err *err)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = SG_OK;
	if (!store || !ctx) {
		rc = sg_errf(err, SG_EENV, "out of memory");
		goto out;
	}
	for (int i = 0; i < sk_X509_num(roots); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(roots, i))) {
			rc = sg_errf(err, SG_EENV, "cannot add a root");
			goto out;
		}
	if (!X509_STORE_CTX_init(ctx, store, cert, untrusted)) {
		rc = sg_errf(err, SG_EENV, "cannot set up verification");
		goto out;
	}
	unsigned long flags = X509_V_FLAG_X509_STRICT;
	if (sk_X509_CRL_num(crls) > 0) {
		X509_STORE_CTX_set0_crls(ctx, crls);
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
		X509_STORE_CTX_set_verify_cb(ctx, vflags & SG_PKI_CRL_ANY_TIME ? crl_any_time_cb
										: crl_cb);
	}
	X509_STORE_CTX_set_flags(ctx, flags);
	X509_STORE_CTX_set_time(ctx, 0, now);
	char name[256];
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);
		X509 *at = X509_STORE_CTX_get_current_cert(ctx);
		subject_text(at ? at : cert, name, sizeof(name));
		rc = sg_errf(err, SG_FAIL, "certificate %s: %s (depth %d)", name,
			     X509_verify_cert_error_string(e), X509_STORE_CTX_get_error_depth(ctx));
		goto out;
	}
	if (profile != SG_PROF_NONE) {
		STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
		X509 *issuer = sk_X509_num(chain) > 1 ? sk_X509_value(chain, 1) : NULL;
		struct sg_err why = { 0 };
		if (sg_pki_lint(cert, profile, issuer, &why) == SG_OK &&
		    profile == SG_PROF_CODE_SIGNING)
			code_signing_path(chain, &why);
		if (why.status != SG_OK) {
			subject_text(cert, name, sizeof(name));
			rc = sg_errf(err, why.status, "certificate %s: profile %s: %s", name,
				     sg_pki_profile_name(profile), why.msg);
		}
	}
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return rc;
}
