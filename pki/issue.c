/* Issuance and CRLs: build, lint, sign in the token (the signature checked
 * with the CA's public key), record, in that order and in one database
 * transaction, so a certificate exists only if it passed every rule and
 * is on record. */
#include "pki_priv.h"

#include "signet/fileio.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

/* 16 bytes from the token. The top byte is forced to 01xxxxxx: positive
 * (no 0x00 pad in DER) and never shorter than 16 octets, so every serial
 * is exactly 16 content octets with 126 random bits. */
static int new_serial(struct sg_pki_ca *ca, uint8_t serial[16], char hex[33],
		      struct sg_err *err)
{
	int rc = sg_hsm_random(ca->key, serial, 16, err);
	if (rc)
		return rc;
	serial[0] = (uint8_t)((serial[0] & 0x3f) | 0x40);
	sg_hex(serial, 16, hex);
	return SG_OK;
}

static int check_request(struct sg_pki_ca *ca, const struct sg_pki_subject *s,
			 struct sg_err *err)
{
	const struct pki_profile *pr = pki_profile(s->profile);
	if (!pr || !pr->supported)
		return sg_errf(err, SG_EINPUT, "profile %s is not yet supported",
			       sg_pki_profile_name(s->profile));
	bool root = pr->self_signed;
	if (root && ca->cert)
		return sg_errf(err, SG_EINPUT, "a root signs itself: no issuer certificate");
	if (!root && !ca->cert)
		return sg_errf(err, SG_EINPUT, "profile %s needs an issuer certificate", pr->name);
	if (root && EVP_PKEY_eq(s->key, ca->pub) != 1)
		return sg_errf(err, SG_EINPUT, "a root certifies its own key");
	/* Matter allows ecdsa-with-SHA256 only: a P-256 CA key. */
	if (pr->matter && sg_hsm_key_type(ca->key) != SG_KEY_ECDSA_P256)
		return sg_errf(err, SG_FAIL, "rule matter.signature: profile %s needs a P-256 CA key "
			       "(ecdsa-with-SHA256), '%s' is not", pr->name, sg_hsm_key_uri(ca->key));
	/* Before the token signs; the lint checks it again. */
	return sg_pki_check_key(s->key, s->profile, err);
}

/* The device serial the database keeps one live certificate for. */
static const char *device_of(const struct sg_pki_subject *s)
{
	const struct pki_profile *pr = pki_profile(s->profile);
	return pr && pr->idevid ? s->device_serial : NULL;
}

int sg_pki_issue_reserve(struct sg_pki_ca *ca, const struct sg_pki_subject *s,
			 const struct sg_pki_issue_opts *o, uint8_t serial[16], struct sg_err *err)
{
	const char *dev = device_of(s);
	char hex[33];
	int rc;
	if (o->db && dev && !o->reissue &&
	    (rc = pki_db_check_device(o->db, sg_pki_profile_name(s->profile), dev, err)))
		return rc;
	if ((rc = new_serial(ca, serial, hex, err)))
		return rc;
	return o->db ? pki_db_check_serial(o->db, hex, err) : SG_OK;
}

int sg_pki_issue_sign(struct sg_pki_ca *ca, const struct sg_pki_subject *s,
		      const uint8_t serial[16], X509 **out, struct sg_err *err)
{
	*out = NULL;
	X509 *x = NULL;
	int rc;
	if ((rc = check_request(ca, s, err)) || (rc = sg_pki_build(s, ca->cert, serial, &x, err)) ||
	    (rc = pki_lint(x, s->key, s->profile, ca->cert, err)) ||
	    (rc = sg_pki_sign_cert(ca, x, err))) {
		X509_free(x);
		return rc;
	}
	*out = x;
	return SG_OK;
}

int sg_pki_issue_record(const struct sg_pki_subject *s, const struct sg_pki_issue_opts *o,
			X509 *cert, struct sg_err *err)
{
	if (!o->db)
		return SG_OK;
	int rc = pki_db_savepoint(o->db, err);
	if (rc)
		return rc;
	rc = pki_db_insert(o->db, cert, sg_pki_profile_name(s->profile), device_of(s), o->reissue,
			   s->now, err);
	if (rc == SG_OK && (rc = pki_db_release(o->db, err)) == SG_OK)
		return SG_OK;
	pki_db_rollback_savepoint(o->db);
	return rc;
}

int sg_pki_issue(struct sg_pki_ca *ca, const struct sg_pki_subject *s,
		 const struct sg_pki_issue_opts *o, X509 **out, struct sg_err *err)
{
	*out = NULL;
	uint8_t serial[16];
	int rc = check_request(ca, s, err);
	if (rc || (o->db && !o->batch && (rc = pki_db_begin(o->db, err))))
		return rc;
	if ((rc = sg_pki_issue_reserve(ca, s, o, serial, err)) == SG_OK &&
	    (rc = sg_pki_issue_sign(ca, s, serial, out, err)) == SG_OK &&
	    (rc = sg_pki_issue_record(s, o, *out, err)) == SG_OK && o->db && !o->batch)
		rc = pki_db_commit(o->db, err);
	if (rc) {
		X509_free(*out);
		*out = NULL;
	}
	if (rc && o->db && !o->batch)
		pki_db_rollback(o->db);
	return rc;
}

/* ---- CRLs */

static int add_revoked(const char *serial, long long at, int reason, void *arg)
{
	X509_CRL *crl = arg;
	X509_REVOKED *r = X509_REVOKED_new();
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn = NULL;
	ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)at);
	ASN1_ENUMERATED *e = NULL;
	bool ok = r && t && BN_hex2bn(&bn, serial) && (sn = BN_to_ASN1_INTEGER(bn, NULL)) &&
		  X509_REVOKED_set_serialNumber(r, sn) && X509_REVOKED_set_revocationDate(r, t);
	/* RFC 5280 5.3.1: leave the reason out rather than say "unspecified". */
	if (ok && reason != 0)
		ok = (e = ASN1_ENUMERATED_new()) && ASN1_ENUMERATED_set(e, reason) &&
		     X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0) == 1;
	if (ok && X509_CRL_add0_revoked(crl, r))
		r = NULL;
	else
		ok = false;
	X509_REVOKED_free(r);
	BN_free(bn);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	ASN1_ENUMERATED_free(e);
	return ok ? 0 : -1;
}

static int crl_extensions(struct sg_pki_ca *ca, X509_CRL *crl, long long number)
{
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
	bool ok = n && aki && ASN1_INTEGER_set_int64(n, number) &&
		  X509_CRL_add1_ext_i2d(crl, NID_crl_number, n, 0, 0) == 1 &&
		  (aki->keyid = X509_get_ext_d2i(ca->cert, NID_subject_key_identifier, NULL, NULL)) &&
		  X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, aki, 0, 0) == 1;
	ASN1_INTEGER_free(n);
	AUTHORITY_KEYID_free(aki);
	return ok ? 0 : -1;
}

static int build_crl(struct sg_pki_ca *ca, struct sg_pki_db *db, time_t now, long long days,
		     X509_CRL *crl, struct sg_err *err)
{
	ASN1_TIME *t = ASN1_TIME_set(NULL, now);
	bool ok = t && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
		  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) &&
		  X509_CRL_set1_lastUpdate(crl, t) && ASN1_TIME_adj(t, now, (int)days, 0) &&
		  X509_CRL_set1_nextUpdate(crl, t);
	ASN1_TIME_free(t);
	if (!ok)
		return sg_errf(err, SG_EINPUT, "CRL times cannot be encoded");
	int rc = pki_db_revoked(db, ca->ski, add_revoked, crl, err);
	if (rc)
		return rc;
	long long number;
	if ((rc = pki_db_next_crl_number(db, ca->ski, &number, err)))
		return rc;
	if (!X509_CRL_sort(crl) || crl_extensions(ca, crl, number))
		return sg_errf(err, SG_EENV, "cannot encode the CRL");
	return sg_pki_sign_crl(ca, crl, err);
}

int sg_pki_crl_in_txn(struct sg_pki_ca *ca, struct sg_pki_db *db, time_t now, long long days,
		      X509_CRL **out, struct sg_err *err)
{
	*out = NULL;
	if (!ca->cert)
		return sg_errf(err, SG_EINPUT, "a CRL needs the CA certificate");
	if (days < 1 || days > 3650)
		return sg_errf(err, SG_EINPUT, "next update in %lld days: give 1 to 3650", days);
	X509_CRL *crl = X509_CRL_new();
	int rc = crl ? build_crl(ca, db, now, days, crl, err) : sg_errf(err, SG_EENV, "out of memory");
	unsigned char *der = NULL;
	int n = rc ? 0 : i2d_X509_CRL(crl, &der);
	const unsigned char *p = der;
	if (rc == SG_OK && (n <= 0 || !(*out = d2i_X509_CRL(NULL, &p, n)) ||
			    X509_CRL_verify(*out, ca->pub) != 1))
		rc = sg_errf(err, SG_EENV, "the signed CRL does not verify once encoded");
	if (rc) {
		X509_CRL_free(*out);
		*out = NULL;
	}
	OPENSSL_free(der);
	X509_CRL_free(crl);
	ERR_clear_error();
	return rc;
}

int sg_pki_crl(struct sg_pki_ca *ca, struct sg_pki_db *db, time_t now, long long days,
	       X509_CRL **out, struct sg_err *err)
{
	*out = NULL;
	int rc = pki_db_begin(db, err);
	if (rc == SG_OK && (rc = sg_pki_crl_in_txn(ca, db, now, days, out, err)) == SG_OK &&
	    (rc = pki_db_commit(db, err)) != SG_OK) {
		X509_CRL_free(*out);
		*out = NULL;
	}
	if (rc)
		pki_db_rollback(db);
	return rc;
}
