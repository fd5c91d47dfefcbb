/* Building the unsigned certificate a profile describes. The subject name
 * comes from the caller's DN and the profile (device serial), never from a
 * CSR; the extensions from the profile table alone. */
#include "pki_priv.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

/* X520SerialNumber is a PrintableString of at most 64 characters. */
static bool printable(const char *s)
{
	static const char extra[] = " '()+,-./:=?";
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

/* A Matter id as the spec's test certificates carry it: a UTF8String
 * attribute of 4 upper-case hex digits. want: 'r', 'o' or 'f' (pki_priv.h). */
static int add_matter_id(X509_NAME *n, const struct pki_profile *pr, const char *oid,
			 const char *value, char want, const char *what, struct sg_err *err)
{
	char norm[5];
	if (!value && want == 'r')
		return sg_errf(err, SG_EINPUT, "profile %s needs a %s", pr->name, what);
	if (value && want != 'r' && want != 'o')
		return sg_errf(err, SG_EINPUT, "profile %s takes no %s", pr->name, what);
	if (!value)
		return SG_OK;
	int rc = sg_pki_matter_id(value, what, norm, err);
	if (rc)
		return rc;
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	bool ok = o && X509_NAME_add_entry_by_OBJ(n, o, V_ASN1_UTF8STRING,
						 (const unsigned char *)norm, 4, -1, 0);
	ASN1_OBJECT_free(o);
	return ok ? SG_OK : sg_errf(err, SG_EENV, "cannot add the %s attribute", what);
}

static int set_subject(X509 *x, const struct sg_pki_subject *s, const struct pki_profile *pr,
		       struct sg_err *err)
{
	X509_NAME *n = NULL;
	int rc;
	if (s->dn && (rc = sg_pki_parse_dn(s->dn, &n, err)) != SG_OK)
		return rc;
	if (!n && !(n = X509_NAME_new()))
		return sg_errf(err, SG_EENV, "out of memory");
	rc = SG_OK;
	if (pr->idevid) {
		if (!s->device_serial || !printable(s->device_serial))
			rc = sg_errf(err, SG_EINPUT,
				     "profile idevid needs a device serial number of 1 to 64 "
				     "PrintableString characters (A-Z a-z 0-9 space '()+,-./:=?)");
		else if (!X509_NAME_add_entry_by_NID(n, NID_serialNumber, V_ASN1_PRINTABLESTRING,
						     (const unsigned char *)s->device_serial, -1,
						     -1, 0))
			rc = sg_errf(err, SG_EENV, "cannot add the serialNumber attribute");
	}
	if (rc == SG_OK &&
	    (rc = add_matter_id(n, pr, PKI_OID_MATTER_VID, s->vid, pr->vid, "vendor id", err)) ==
		    SG_OK)
		rc = add_matter_id(n, pr, PKI_OID_MATTER_PID, s->pid, pr->pid, "product id", err);
	if (rc == SG_OK && !X509_set_subject_name(x, n))
		rc = sg_errf(err, SG_EENV, "out of memory");
	X509_NAME_free(n);
	return rc;
}

static int set_validity(X509 *x, const struct sg_pki_subject *s, X509 *issuer,
			struct sg_err *err)
{
	ASN1_TIME *na = X509_getm_notAfter(x);
	if (!ASN1_TIME_set(X509_getm_notBefore(x), s->now))
		return sg_errf(err, SG_EINPUT, "time %lld cannot be encoded", (long long)s->now);
	bool ok;
	if (s->validity_days == SG_PKI_FOREVER)
		ok = ASN1_TIME_set_string_X509(na, "99991231235959Z");
	else if (s->validity_days > 0 && s->validity_days <= 3000000)
		ok = ASN1_TIME_adj(na, s->now, (int)s->validity_days, 0) != NULL;
	else if (s->validity_days == 0 && issuer)
		ok = ASN1_STRING_copy(na, X509_get0_notAfter(issuer));
	else
		return sg_errf(err, SG_EINPUT, "validity of %lld days: give 1 to 3000000 days or forever",
			       s->validity_days);
	return ok ? SG_OK : sg_errf(err, SG_EINPUT, "notAfter cannot be encoded");
}

static bool add_ext(X509 *x, int nid, void *value, int crit)
{
	return X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_DEFAULT) == 1;
}

static bool add_basic_constraints(X509 *x, const struct pki_profile *pr)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	bool ok = bc != NULL;
	if (ok && pr->ca)
		bc->ca = 0xff;
	if (ok && pr->pathlen >= 0)
		ok = (bc->pathlen = ASN1_INTEGER_new()) && ASN1_INTEGER_set(bc->pathlen, pr->pathlen);
	ok = ok && add_ext(x, NID_basic_constraints, bc, 1);
	BASIC_CONSTRAINTS_free(bc);
	return ok;
}

static bool add_key_usage(X509 *x, const struct pki_profile *pr)
{
	static const struct {
		unsigned ku;
		int bit;
	} bits[] = { { KU_DIGITAL_SIGNATURE, 0 }, { KU_KEY_CERT_SIGN, 5 }, { KU_CRL_SIGN, 6 } };
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	bool ok = ku != NULL;
	for (size_t i = 0; ok && i < sizeof(bits) / sizeof(bits[0]); i++)
		if (pr->key_usage & bits[i].ku)
			ok = ASN1_BIT_STRING_set_bit(ku, bits[i].bit, 1);
	ok = ok && add_ext(x, NID_key_usage, ku, 1);
	ASN1_BIT_STRING_free(ku);
	return ok;
}

static bool add_eku(X509 *x, const struct pki_profile *pr)
{
	if (pr->eku_nid == NID_undef)
		return true;
	EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
	bool ok = eku && sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(pr->eku_nid)) &&
		  add_ext(x, NID_ext_key_usage, eku, 0);
	sk_ASN1_OBJECT_free(eku); /* nid2obj objects are static */
	return ok;
}

/* DER of HardwareModuleName { hwType, hwSerialNum } (RFC 4108). */
static ASN1_STRING *hw_module_name(ASN1_OBJECT *type, const char *serial)
{
	ASN1_OCTET_STRING *sn = ASN1_OCTET_STRING_new();
	ASN1_STRING *out = NULL;
	int lt = i2d_ASN1_OBJECT(type, NULL), ls;
	if (!sn || !ASN1_OCTET_STRING_set(sn, (const unsigned char *)serial, (int)strlen(serial)) ||
	    lt <= 0 || (ls = i2d_ASN1_OCTET_STRING(sn, NULL)) <= 0)
		goto out;
	int total = ASN1_object_size(1, lt + ls, V_ASN1_SEQUENCE);
	unsigned char *der = OPENSSL_malloc((size_t)total), *p = der;
	if (!der)
		goto out;
	ASN1_put_object(&p, 1, lt + ls, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	i2d_ASN1_OBJECT(type, &p);
	i2d_ASN1_OCTET_STRING(sn, &p);
	if ((out = ASN1_STRING_new()))
		ASN1_STRING_set0(out, der, total);
	else
		OPENSSL_free(der);
out:
	ASN1_OCTET_STRING_free(sn);
	return out;
}

static int add_san_idevid(X509 *x, const struct sg_pki_subject *s, struct sg_err *err)
{
	ASN1_OBJECT *type = s->hw_type ? OBJ_txt2obj(s->hw_type, 1) : NULL;
	if (!type) {
		ERR_clear_error();
		return sg_errf(err, SG_EINPUT,
			       "profile idevid needs a hardware type OID (dotted, e.g. "
			       "1.3.6.1.4.1.99999.1.2), got '%s'",
			       s->hw_type ? s->hw_type : "none");
	}
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_OBJECT *hmn = OBJ_txt2obj(PKI_OID_HW_MODULE_NAME, 1);
	ASN1_STRING *seq = hw_module_name(type, s->device_serial);
	ASN1_TYPE *val = ASN1_TYPE_new();
	bool ok = gens && g && hmn && seq && val;
	if (ok) {
		ASN1_TYPE_set(val, V_ASN1_SEQUENCE, seq);
		seq = NULL;
		ok = GENERAL_NAME_set0_othername(g, hmn, val);
	}
	if (ok) {
		hmn = NULL;
		val = NULL;
		ok = sk_GENERAL_NAME_push(gens, g);
	}
	if (ok) {
		g = NULL;
		/* Not critical: the subject name is not empty (RFC 5280 4.2.1.6). */
		ok = add_ext(x, NID_subject_alt_name, gens, 0);
	}
	ASN1_OBJECT_free(type);
	ASN1_OBJECT_free(hmn);
	ASN1_STRING_free(seq);
	ASN1_TYPE_free(val);
	GENERAL_NAME_free(g);
	GENERAL_NAMES_free(gens);
	return ok ? SG_OK : sg_errf(err, SG_EENV, "cannot encode subjectAltName");
}

/* SKI by RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits.
 * AKI: the issuer's SKI, or our own for a root. */
static bool add_key_ids(X509 *x, X509 *issuer)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len;
	ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
	bool ok = ski && X509_pubkey_digest(x, EVP_sha1(), md, &len) &&
		  ASN1_OCTET_STRING_set(ski, md, (int)len) &&
		  add_ext(x, NID_subject_key_identifier, ski, 0);
	AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
	ASN1_OCTET_STRING *iss_ski =
		issuer ? X509_get_ext_d2i(issuer, NID_subject_key_identifier, NULL, NULL) : NULL;
	ok = ok && aki && (issuer ? iss_ski != NULL : true);
	if (ok) {
		aki->keyid = issuer ? iss_ski : ASN1_OCTET_STRING_dup(ski);
		iss_ski = NULL;
		ok = aki->keyid && add_ext(x, NID_authority_key_identifier, aki, 0);
	}
	ASN1_OCTET_STRING_free(iss_ski);
	AUTHORITY_KEYID_free(aki);
	ASN1_OCTET_STRING_free(ski);
	return ok;
}

/* The subject's SubjectPublicKeyInfo. Given its encoding (a CSR's), it is
 * copied as it is: OpenSSL 3.0 would encode the key again and decode the
 * result (X509_set_pubkey), which costs more than the rest of a
 * certificate together. */
static bool set_spki(X509 *x, const struct sg_pki_subject *s)
{
	if (!s->spki)
		return X509_set_pubkey(x, s->key) == 1;
	return pki_spki_copy(X509_get_X509_PUBKEY(x), s->spki);
}

static int build(X509 *x, const struct sg_pki_subject *s, const struct pki_profile *pr,
		 X509 *issuer, const uint8_t serial[16], struct sg_err *err)
{
	BIGNUM *bn = BN_bin2bn(serial, 16, NULL);
	bool ok = bn && X509_set_version(x, X509_VERSION_3) &&
		  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) && set_spki(x, s);
	BN_free(bn);
	if (!ok)
		return sg_errf(err, SG_EENV, "cannot set serial number or public key");
	int rc;
	if ((rc = set_subject(x, s, pr, err)) || (rc = set_validity(x, s, issuer, err)))
		return rc;
	X509_NAME *iname = issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x);
	if (!X509_set_issuer_name(x, iname))
		return sg_errf(err, SG_EENV, "out of memory");
	if (!add_basic_constraints(x, pr) || !add_key_usage(x, pr) || !add_eku(x, pr))
		return sg_errf(err, SG_EENV, "cannot encode extensions");
	if (pr->idevid && (rc = add_san_idevid(x, s, err)))
		return rc;
	if (!add_key_ids(x, issuer))
		return sg_errf(err, issuer ? SG_EINPUT : SG_EENV,
			       "cannot make key identifiers%s",
			       issuer ? " (the issuer certificate has no subjectKeyIdentifier)" : "");
	return SG_OK;
}

int sg_pki_build(const struct sg_pki_subject *s, X509 *issuer, const uint8_t serial[16],
		 X509 **out, struct sg_err *err)
{
	*out = NULL;
	const struct pki_profile *pr = pki_profile(s->profile);
	if (!pr || !pr->supported)
		return sg_errf(err, SG_EINPUT, "profile %s is not yet supported",
			       sg_pki_profile_name(s->profile));
	if (s->spki && X509_PUBKEY_get0(s->spki) != s->key)
		return sg_errf(err, SG_EINPUT, "the subject key and its encoding differ");
	X509 *x = X509_new();
	if (!x)
		return sg_errf(err, SG_EENV, "out of memory");
	int rc = build(x, s, pr, issuer, serial, err);
	ERR_clear_error();
	if (rc) {
		X509_free(x);
		return rc;
	}
	*out = x;
	return SG_OK;
}
