/* Certificate profiles and their rules ("lint before issue"). Each rule has
 * an id that refusals name; docs/pki.md lists them. The checks read the
 * certificate itself, not the request that made it, so the same code vets a
 * certificate we are about to sign and one someone hands to verify. */
#include "pki_priv.h"

#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

static const struct pki_profile profiles[] = {
	[SG_PROF_ROOT] = { "root", true, true, -1, KU_KEY_CERT_SIGN | KU_CRL_SIGN, NID_undef,
			   false, KT_EC_RSA, .self_signed = true },
	[SG_PROF_FACTORY_CA] = { "factory-ca", true, true, 0, KU_KEY_CERT_SIGN | KU_CRL_SIGN,
				 NID_undef, false, KT_EC_RSA, .issued_by = PKI_CA_ROOT },
	/* The EKU limits what the CA's certificates are good for: signet's own
	 * mark of a CA that may certify code signing (rule issuer.profile), and
	 * chain policy in verifiers that honour it (OpenSSL with -purpose). */
	[SG_PROF_CODE_SIGNING_CA] = { "code-signing-ca", true, true, 0,
				      KU_KEY_CERT_SIGN | KU_CRL_SIGN, NID_code_sign, false,
				      KT_EC_RSA, .issued_by = PKI_CA_ROOT },
	[SG_PROF_IDEVID] = { "idevid", true, false, -1, KU_DIGITAL_SIGNATURE, NID_undef, true,
			     KT_EC_RSA, .issued_by = PKI_CA_FACTORY },
	/* Release keys may be Ed25519, as signet signs with them (CA keys may not). */
	[SG_PROF_CODE_SIGNING] = { "code-signing", true, false, -1, KU_DIGITAL_SIGNATURE,
				   NID_code_sign, false, KT_EC_RSA | KT(SG_KEY_ED25519),
				   .issued_by = PKI_CA_CODE_SIGNING },
	/* Matter core spec 6.2.2 and 6.5: the PAA writes pathlen 1 (as the
	 * spec's test PAAs do) and may leave it out; a PAA may name a vendor. */
	[SG_PROF_MATTER_PAA] = { "matter-paa", true, true, 1, KU_KEY_CERT_SIGN | KU_CRL_SIGN,
				 NID_undef, false, KT(SG_KEY_ECDSA_P256), .self_signed = true,
				 .pathlen_optional = true, .matter = true, .vid = 'o', .pid = 'f' },
	[SG_PROF_MATTER_PAI] = { "matter-pai", true, true, 0, KU_KEY_CERT_SIGN | KU_CRL_SIGN,
				 NID_undef, false, KT(SG_KEY_ECDSA_P256), .matter = true,
				 .vid = 'r', .pid = 'o', .issued_by = PKI_CA_ROOT },
	[SG_PROF_MATTER_DAC] = { "matter-dac", true, false, -1, KU_DIGITAL_SIGNATURE, NID_undef,
				 false, KT(SG_KEY_ECDSA_P256), .matter = true, .vid = 'r',
				 .pid = 'r', .issued_by = PKI_CA_MATTER_PAI },
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

const struct pki_profile *pki_profile(enum sg_pki_profile p)
{
	if (p <= SG_PROF_NONE || (size_t)p >= NPROFILES)
		return NULL;
	return &profiles[p];
}

const char *sg_pki_profile_name(enum sg_pki_profile p)
{
	const struct pki_profile *pr = pki_profile(p);
	return pr ? pr->name : "none";
}

enum sg_pki_profile sg_pki_profile_parse(const char *name)
{
	for (size_t p = SG_PROF_NONE + 1; p < NPROFILES; p++)
		if (!strcmp(name, profiles[p].name))
			return (enum sg_pki_profile)p;
	return SG_PROF_NONE;
}

bool sg_pki_profile_supported(enum sg_pki_profile p)
{
	const struct pki_profile *pr = pki_profile(p);
	return pr && pr->supported;
}

bool sg_pki_profile_is_ca(enum sg_pki_profile p)
{
	const struct pki_profile *pr = pki_profile(p);
	return pr && pr->ca;
}

bool sg_pki_profile_self_signed(enum sg_pki_profile p)
{
	const struct pki_profile *pr = pki_profile(p);
	return pr && pr->self_signed;
}

static bool matter_id_ok(const unsigned char *s, int len)
{
	if (len != 4)
		return false;
	for (int i = 0; i < 4; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

int sg_pki_matter_id(const char *text, const char *what, char out[5], struct sg_err *err)
{
	const char *p = text;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	size_t n = strlen(p);
	if (n < 1 || n > 4 || strspn(p, "0123456789abcdefABCDEF") != n)
		return sg_errf(err, SG_EINPUT, "%s '%s': give 1 to 4 hex digits (e.g. FFF1)", what,
			       text);
	snprintf(out, 5, "%04lX", strtoul(p, NULL, 16));
	return SG_OK;
}

enum sg_key_type pki_key_type(EVP_PKEY *key, char *desc, size_t n)
{
	char group[64] = "";
	int explicit_params = 0;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						    sizeof(group), NULL))
			strcpy(group, "(explicit parameters)");
		snprintf(desc, n, "EC %s", group);
		/* OpenSSL names a known curve even when the key spells out its
		 * parameters; RFC 5480 and strict verifiers want the name. */
		if (EVP_PKEY_get_int_param(key, OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS,
					   &explicit_params) && explicit_params) {
			snprintf(desc, n, "EC %s with explicit curve parameters (a named curve is "
				 "required)", group);
			return SG_KEY_NONE;
		}
		if (!strcmp(group, SN_X9_62_prime256v1))
			return SG_KEY_ECDSA_P256;
		if (!strcmp(group, SN_secp384r1))
			return SG_KEY_ECDSA_P384;
		return SG_KEY_NONE;
	case EVP_PKEY_RSA:
		snprintf(desc, n, "RSA %d", EVP_PKEY_get_bits(key));
		if (EVP_PKEY_get_bits(key) == 3072)
			return SG_KEY_RSA_3072;
		if (EVP_PKEY_get_bits(key) == 4096)
			return SG_KEY_RSA_4096;
		return SG_KEY_NONE;
	case EVP_PKEY_ED25519:
		snprintf(desc, n, "Ed25519");
		return SG_KEY_ED25519;
	default:
		snprintf(desc, n, "%s", EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key)
								    : "unknown");
		return SG_KEY_NONE;
	}
}

int sg_pki_check_key(EVP_PKEY *key, enum sg_pki_profile profile, struct sg_err *err)
{
	const struct pki_profile *pr = pki_profile(profile);
	char desc[80];
	enum sg_key_type t = pki_key_type(key, desc, sizeof(desc));
	if (!pr || (t != SG_KEY_NONE && (pr->key_types & KT(t))))
		return SG_OK;
	char allowed[128] = "";
	for (unsigned k = SG_KEY_ECDSA_P256; k <= SG_KEY_RSA_4096; k++)
		if (pr->key_types & KT(k))
			snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed),
				 "%s%s", allowed[0] ? ", " : "", sg_key_type_name(k));
	return sg_errf(err, SG_FAIL, "rule key.type: %s key not allowed by profile %s (allowed: %s)",
		       desc, pr->name, allowed);
}

bool pki_time(const ASN1_TIME *t, long long *out)
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return false;
	*out = (long long)timegm(&tm);
	return true;
}

void pki_ski_hex(X509 *x, char *buf, size_t n)
{
	int crit;
	ASN1_OCTET_STRING *ski = X509_get_ext_d2i(x, NID_subject_key_identifier, &crit, NULL);
	buf[0] = 0;
	for (int i = 0; ski && i < ski->length && (size_t)(2 * i + 2) < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", ski->data[i]);
	ASN1_OCTET_STRING_free(ski);
}

/* ---- the rules */

#define RULE(id, ...) sg_errf(err, SG_FAIL, "rule " id ": " __VA_ARGS__)

static int rule_serial(X509 *x, struct sg_err *err)
{
	const ASN1_INTEGER *s = X509_get0_serialNumber(x);
	/* RFC 5280 4.1.2.2: positive, at most 20 octets. At least 8 octets:
	 * 64 bits of entropy (CA/Browser Forum), ours have 126. OpenSSL's
	 * parser refuses non-minimal INTEGERs, so a leading zero byte here
	 * means zero. */
	if (ASN1_STRING_type(s) != V_ASN1_INTEGER || s->length < 1 || s->data[0] == 0)
		return RULE("serial", "serial number is not positive");
	if (s->length > 20)
		return RULE("serial", "serial number longer than 20 octets");
	if (s->length < 8)
		return RULE("serial", "serial number shorter than 8 octets (64 random bits)");
	return SG_OK;
}

/* RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
static int rule_time_encoding(const ASN1_TIME *t, const char *which, struct sg_err *err)
{
	struct tm tm;
	if (!ASN1_TIME_to_tm(t, &tm))
		return RULE("validity.encoding", "%s does not parse", which);
	int year = tm.tm_year + 1900;
	int want = year < 2050 ? V_ASN1_UTCTIME : V_ASN1_GENERALIZEDTIME;
	if (ASN1_STRING_type(t) != want)
		return RULE("validity.encoding", "%s in %d must be %s", which, year,
			    want == V_ASN1_UTCTIME ? "UTCTime" : "GeneralizedTime");
	return SG_OK;
}

static int rule_validity(X509 *x, X509 *issuer, struct sg_err *err)
{
	const ASN1_TIME *nb = X509_get0_notBefore(x), *na = X509_get0_notAfter(x);
	int rc;
	if ((rc = rule_time_encoding(nb, "notBefore", err)) ||
	    (rc = rule_time_encoding(na, "notAfter", err)))
		return rc;
	if (ASN1_TIME_compare(nb, na) >= 0)
		return RULE("validity", "notBefore is not before notAfter");
	if (issuer && (ASN1_TIME_compare(X509_get0_notBefore(issuer), nb) > 0 ||
		       ASN1_TIME_compare(na, X509_get0_notAfter(issuer)) > 0))
		return RULE("validity.nested", "validity is not inside the issuer's");
	return SG_OK;
}

static int rule_names(X509 *x, X509 *issuer, struct sg_err *err)
{
	if (X509_NAME_entry_count(X509_get_subject_name(x)) == 0)
		return RULE("subject", "subject name is empty");
	X509 *iss = issuer ? issuer : x;
	if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(iss)) != 0)
		return RULE("issuer-name", "issuer name differs from the issuer's subject");
	return SG_OK;
}

static int rule_basic_constraints(X509 *x, const struct pki_profile *pr, struct sg_err *err)
{
	int crit;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	int rc = SG_OK;
	if (!bc)
		rc = RULE("basic-constraints", "basicConstraints missing or repeated");
	else if (crit != 1)
		rc = RULE("basic-constraints", "basicConstraints must be critical");
	else if (!bc->ca != !pr->ca)
		rc = RULE("basic-constraints", "cA must be %s", pr->ca ? "TRUE" : "FALSE");
	else if (pr->pathlen < 0 && bc->pathlen)
		rc = RULE("basic-constraints", "pathLenConstraint must be absent");
	else if (pr->pathlen >= 0 && !(pr->pathlen_optional && !bc->pathlen) &&
		 (!bc->pathlen || ASN1_INTEGER_get(bc->pathlen) != pr->pathlen))
		rc = RULE("basic-constraints", "pathLenConstraint must be %d%s", pr->pathlen,
			  pr->pathlen_optional ? " or absent" : "");
	BASIC_CONSTRAINTS_free(bc);
	return rc;
}

static int rule_key_usage(X509 *x, const struct pki_profile *pr, struct sg_err *err)
{
	int crit;
	ASN1_BIT_STRING *ku = X509_get_ext_d2i(x, NID_key_usage, &crit, NULL);
	int rc = SG_OK;
	if (!ku) {
		rc = RULE("key-usage", "keyUsage missing or repeated");
	} else {
		/* OpenSSL's KU_* layout: first octet as is, decipherOnly 0x8000. */
		unsigned bits = (ku->length > 0 ? ku->data[0] : 0) |
				(ku->length > 1 ? (unsigned)ku->data[1] << 8 : 0);
		if (crit != 1)
			rc = RULE("key-usage", "keyUsage must be critical");
		else if (bits != pr->key_usage || ku->length > 2)
			rc = RULE("key-usage", "keyUsage must be exactly %s",
				  pr->ca ? "keyCertSign, cRLSign" : "digitalSignature");
	}
	ASN1_BIT_STRING_free(ku);
	return rc;
}

static int rule_eku(X509 *x, const struct pki_profile *pr, struct sg_err *err)
{
	int crit;
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	int rc = SG_OK;
	if (pr->eku_nid == NID_undef && crit != -1)
		rc = RULE("eku", "profile %s has no extendedKeyUsage", pr->name);
	else if (pr->eku_nid != NID_undef &&
		 (!eku || sk_ASN1_OBJECT_num(eku) != 1 ||
		  OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)) != pr->eku_nid))
		rc = RULE("eku", "extendedKeyUsage must be exactly %s", OBJ_nid2sn(pr->eku_nid));
	EXTENDED_KEY_USAGE_free(eku);
	return rc;
}

/* RFC 5280 4.2.1.1/4.2.1.2: SKI present and not critical; AKI present
 * (also in a self-signed root, which Matter and many verifiers want), not
 * critical, and its keyIdentifier is the issuer's SKI. */
static int rule_key_ids(X509 *x, X509 *issuer, struct sg_err *err)
{
	int crit;
	ASN1_OCTET_STRING *ski = X509_get_ext_d2i(x, NID_subject_key_identifier, &crit, NULL);
	int rc = SG_OK;
	if (!ski || ski->length == 0)
		rc = RULE("ski", "subjectKeyIdentifier missing, empty or repeated");
	else if (crit)
		rc = RULE("ski", "subjectKeyIdentifier must not be critical");
	ASN1_OCTET_STRING_free(ski);
	if (rc)
		return rc;
	AUTHORITY_KEYID *aki = X509_get_ext_d2i(x, NID_authority_key_identifier, &crit, NULL);
	X509 *iss = issuer ? issuer : x;
	ASN1_OCTET_STRING *iss_ski = X509_get_ext_d2i(iss, NID_subject_key_identifier, NULL, NULL);
	if (!aki || !aki->keyid)
		rc = RULE("aki", "authorityKeyIdentifier with keyIdentifier missing or repeated");
	else if (crit)
		rc = RULE("aki", "authorityKeyIdentifier must not be critical");
	else if (!iss_ski || ASN1_OCTET_STRING_cmp(aki->keyid, iss_ski) != 0)
		rc = RULE("aki", "authorityKeyIdentifier is not the issuer's subjectKeyIdentifier");
	ASN1_OCTET_STRING_free(iss_ski);
	AUTHORITY_KEYID_free(aki);
	return rc;
}

/* Only extensions the profile writes, so nothing rides along unchecked. */
static int rule_extensions(X509 *x, const struct pki_profile *pr, struct sg_err *err)
{
	for (int i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *e = X509_get_ext(x, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));
		if (nid == NID_basic_constraints || nid == NID_key_usage ||
		    nid == NID_subject_key_identifier || nid == NID_authority_key_identifier ||
		    (nid == NID_ext_key_usage && pr->eku_nid != NID_undef) ||
		    (nid == NID_subject_alt_name && pr->idevid))
			continue;
		char oid[80];
		OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(e), 1);
		return RULE("extensions", "extension %s is not part of profile %s", oid, pr->name);
	}
	return SG_OK;
}

/* HardwareModuleName ::= SEQUENCE { hwType OBJECT IDENTIFIER,
 * hwSerialNum OCTET STRING } (RFC 4108 section 5), nothing after it. */
static bool parse_hw_module_name(const ASN1_TYPE *v, ASN1_OBJECT **type,
				 ASN1_OCTET_STRING **serial)
{
	*type = NULL;
	*serial = NULL;
	if (!v || v->type != V_ASN1_SEQUENCE)
		return false;
	const unsigned char *p = v->value.sequence->data, *end = p + v->value.sequence->length;
	long len;
	int tag, cls;
	if (ASN1_get_object(&p, &len, &tag, &cls, end - p) & 0x80 || tag != V_ASN1_SEQUENCE ||
	    cls != V_ASN1_UNIVERSAL || p + len != end)
		return false;
	if (!(*type = d2i_ASN1_OBJECT(NULL, &p, end - p)) ||
	    !(*serial = d2i_ASN1_OCTET_STRING(NULL, &p, end - p)) || p != end) {
		ASN1_OBJECT_free(*type);
		ASN1_OCTET_STRING_free(*serial);
		*type = NULL;
		*serial = NULL;
		return false;
	}
	return true;
}

/* The one hwSerialNum in the SAN, or an error naming the rule. */
static int idevid_san(X509 *x, ASN1_OCTET_STRING **serial, struct sg_err *err)
{
	int crit;
	GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	ASN1_OBJECT *hmn = OBJ_txt2obj(PKI_OID_HW_MODULE_NAME, 1);
	int found = 0;
	*serial = NULL;
	for (int i = 0; san && i < sk_GENERAL_NAME_num(san); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		if (g->type != GEN_OTHERNAME || OBJ_cmp(g->d.otherName->type_id, hmn) != 0)
			continue;
		found++;
		ASN1_OBJECT *type;
		ASN1_OCTET_STRING *s;
		if (parse_hw_module_name(g->d.otherName->value, &type, &s)) {
			ASN1_OBJECT_free(type);
			ASN1_OCTET_STRING_free(*serial);
			*serial = s;
		}
	}
	ASN1_OBJECT_free(hmn);
	GENERAL_NAMES_free(san);
	if (found == 1 && *serial && (*serial)->length > 0)
		return SG_OK;
	ASN1_OCTET_STRING_free(*serial);
	*serial = NULL;
	return RULE("idevid.hardware-module-name", "%s",
		    found ? "subjectAltName must hold exactly one well-formed hardwareModuleName"
			  : "subjectAltName otherName hardwareModuleName (RFC 4108) missing");
}

/* IEEE 802.1AR: the subject's serialNumber is the device serial, the same
 * one the hardwareModuleName carries. */
static int rule_idevid(X509 *x, struct sg_err *err)
{
	ASN1_OCTET_STRING *hw;
	int rc = idevid_san(x, &hw, err);
	if (rc)
		return rc;
	X509_NAME *n = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(n, NID_serialNumber, -1);
	if (i < 0 || X509_NAME_get_index_by_NID(n, NID_serialNumber, i) >= 0) {
		rc = RULE("idevid.serial-number", "subject must hold exactly one serialNumber");
	} else {
		ASN1_STRING *sn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
		if (ASN1_STRING_type(sn) != V_ASN1_PRINTABLESTRING || sn->length == 0)
			rc = RULE("idevid.serial-number",
				  "subject serialNumber must be a non-empty PrintableString");
		else if (sn->length != hw->length || memcmp(sn->data, hw->data, hw->length))
			rc = RULE("idevid.serial-number",
				  "subject serialNumber differs from hardwareModuleName hwSerialNum");
	}
	ASN1_OCTET_STRING_free(hw);
	return rc;
}

static int name_attr(X509 *x, const char *oid, const ASN1_STRING **v);

/* The marks, in this order: an extendedKeyUsage (codeSigning in it or
 * not), self-signed, a Matter vendor id; none of them: a factory CA. */
static enum pki_ca_kind ca_kind(X509 *ca)
{
	const ASN1_STRING *vid;
	if (X509_get_extension_flags(ca) & EXFLAG_XKUSAGE)
		return (X509_get_extended_key_usage(ca) & XKU_CODE_SIGN) ? PKI_CA_CODE_SIGNING
								       : PKI_CA_OTHER;
	if (X509_self_signed(ca, 0) == 1)
		return PKI_CA_ROOT;
	return name_attr(ca, PKI_OID_MATTER_VID, &vid) > 0 ? PKI_CA_MATTER_PAI : PKI_CA_FACTORY;
}

static const char *ca_kind_name(enum pki_ca_kind k)
{
	switch (k) {
	case PKI_CA_ROOT: return "root (self-signed, no extendedKeyUsage)";
	case PKI_CA_FACTORY: return "factory CA (no extendedKeyUsage, no Matter vendor id)";
	case PKI_CA_CODE_SIGNING: return "code-signing CA (extendedKeyUsage codeSigning)";
	case PKI_CA_MATTER_PAI: return "Matter PAI (a Matter vendor id)";
	default: return "CA whose extendedKeyUsage lacks codeSigning";
	}
}

/* The issuer can issue: a CA with keyCertSign whose path length allows one
 * more CA below it, of the one kind that certifies this profile. */
static int rule_issuer(X509 *x, X509 *issuer, const struct pki_profile *pr, struct sg_err *err)
{
	(void)x;
	if (!issuer) /* a root: rule_names and rule_key_ids check it is self-issued */
		return SG_OK;
	int crit;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(issuer, NID_basic_constraints, &crit, NULL);
	ASN1_BIT_STRING *ku = X509_get_ext_d2i(issuer, NID_key_usage, &crit, NULL);
	enum pki_ca_kind kind;
	int rc = SG_OK;
	if (!bc || !bc->ca || !ku || !ASN1_BIT_STRING_get_bit(ku, 5))
		rc = RULE("issuer.ca", "the issuer is not a CA with keyCertSign");
	else if (pr->ca && bc->pathlen && ASN1_INTEGER_get(bc->pathlen) < 1)
		rc = RULE("issuer.pathlen", "the issuer's pathLenConstraint allows no CA below it");
	else if (!pr->self_signed && (kind = ca_kind(issuer)) != pr->issued_by)
		rc = RULE("issuer.profile", "a %s certificate must be issued by a %s; the issuer is "
			  "a %s", pr->name, ca_kind_name(pr->issued_by), ca_kind_name(kind));
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	return rc;
}

/* ---- Matter (core spec 6.2.2, 6.5) */

/* Matter certificates are P-256 signed with ecdsa-with-SHA256 only: the
 * issuer's key (a PAA's own) must be P-256 and, once the certificate is
 * signed, both AlgorithmIdentifiers must say ecdsa-with-SHA256. */
static int rule_matter_signature(X509 *x, EVP_PKEY *key, X509 *issuer, struct sg_err *err)
{
	char desc[80];
	EVP_PKEY *ik = issuer ? X509_get0_pubkey(issuer) : key;
	if (!ik || pki_key_type(ik, desc, sizeof(desc)) != SG_KEY_ECDSA_P256)
		return RULE("matter.signature", "the issuer's key must be P-256 (ecdsa-with-SHA256)");
	const X509_ALGOR *inner = X509_get0_tbs_sigalg(x), *outer;
	X509_get0_signature(NULL, &outer, x);
	const ASN1_OBJECT *oi, *oo;
	X509_ALGOR_get0(&oi, NULL, NULL, inner);
	X509_ALGOR_get0(&oo, NULL, NULL, outer);
	int ni = OBJ_obj2nid(oi), no = OBJ_obj2nid(oo);
	bool unsigned_cert = ni == NID_undef && no == NID_undef;
	if (!unsigned_cert && (ni != NID_ecdsa_with_SHA256 || no != NID_ecdsa_with_SHA256))
		return RULE("matter.signature", "signature algorithm must be ecdsa-with-SHA256");
	return SG_OK;
}

/* How many subject attributes of this OID, and the last one's value. */
static int name_attr(X509 *x, const char *oid, const ASN1_STRING **v)
{
	X509_NAME *n = X509_get_subject_name(x);
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	int count = 0;
	*v = NULL;
	for (int i = -1; o && (i = X509_NAME_get_index_by_OBJ(n, o, i)) >= 0; count++)
		*v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
	ASN1_OBJECT_free(o);
	return count;
}

/* The vendor ('v') or product ('p') id: present as the profile says, one
 * UTF8String of 4 upper-case hex digits, and equal to the issuer's when
 * the issuer carries one (a DAC's vid is its PAI's; a PAI's is its PAA's
 * if the PAA names a vendor; a DAC's pid its PAI's if the PAI names one). */
static int rule_matter_id(X509 *x, X509 *issuer, const struct pki_profile *pr, char which,
			  struct sg_err *err)
{
	const char *oid = which == 'v' ? PKI_OID_MATTER_VID : PKI_OID_MATTER_PID;
	const char *id = which == 'v' ? "matter.vid" : "matter.pid";
	const char *what = which == 'v' ? "vendor id" : "product id";
	char want = which == 'v' ? pr->vid : pr->pid;
	const ASN1_STRING *v, *iv;
	int n = name_attr(x, oid, &v);
	if (n == 0 && want == 'r')
		return sg_errf(err, SG_FAIL, "rule %s: %s (%s) missing from the subject", id, what, oid);
	if (n > 0 && want == 'f')
		return sg_errf(err, SG_FAIL, "rule %s: profile %s must not carry a %s", id, pr->name,
			       what);
	if (n == 0)
		return SG_OK;
	if (n > 1 || ASN1_STRING_type(v) != V_ASN1_UTF8STRING ||
	    !matter_id_ok(ASN1_STRING_get0_data(v), ASN1_STRING_length(v)))
		return sg_errf(err, SG_FAIL, "rule %s: the subject must hold one %s, a UTF8String "
			       "of 4 upper-case hex digits", id, what);
	if (issuer && name_attr(issuer, oid, &iv) > 0 && ASN1_STRING_cmp(v, iv) != 0)
		return sg_errf(err, SG_FAIL, "rule %s: %s %.4s differs from the issuer's", id, what,
			       (const char *)ASN1_STRING_get0_data(v));
	return SG_OK;
}

static int rule_matter(X509 *x, EVP_PKEY *key, X509 *issuer, const struct pki_profile *pr,
		       struct sg_err *err)
{
	int rc;
	if ((rc = rule_matter_signature(x, key, issuer, err)) ||
	    (rc = rule_matter_id(x, issuer, pr, 'v', err)))
		return rc;
	return rule_matter_id(x, issuer, pr, 'p', err);
}

int sg_pki_lint(X509 *x, enum sg_pki_profile profile, X509 *issuer, struct sg_err *err)
{
	return pki_lint(x, X509_get0_pubkey(x), profile, issuer, err);
}

int pki_lint(X509 *x, EVP_PKEY *key, enum sg_pki_profile profile, X509 *issuer,
	     struct sg_err *err)
{
	const struct pki_profile *pr = pki_profile(profile);
	if (!pr)
		return sg_errf(err, SG_EINPUT, "unknown profile");
	if (X509_get_version(x) != X509_VERSION_3)
		return RULE("version", "certificate must be version 3");
	if (!key)
		return RULE("key.type", "subject public key does not parse");
	int rc;
	if ((rc = rule_serial(x, err)) || (rc = rule_names(x, issuer, err)) ||
	    (rc = rule_issuer(x, issuer, pr, err)) ||
	    (rc = sg_pki_check_key(key, profile, err)) || (rc = rule_validity(x, issuer, err)) ||
	    (rc = rule_extensions(x, pr, err)) || (rc = rule_basic_constraints(x, pr, err)) ||
	    (rc = rule_key_usage(x, pr, err)) || (rc = rule_eku(x, pr, err)) ||
	    (rc = rule_key_ids(x, issuer, err)))
		return rc;
	if (pr->matter)
		return rule_matter(x, key, issuer, pr, err);
	return pr->idevid ? rule_idevid(x, err) : SG_OK;
}

/* ---- revocation reasons (RFC 5280 5.3.1) */

static const char *const reasons[] = {
	[0] = "unspecified",          [1] = "keyCompromise", [2] = "cACompromise",
	[3] = "affiliationChanged",   [4] = "superseded",    [5] = "cessationOfOperation",
	[9] = "privilegeWithdrawn",
};

int sg_pki_reason_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i] && !strcmp(name, reasons[i]))
			return (int)i;
	return -1;
}

const char *sg_pki_reason_name(int reason)
{
	if (reason >= 0 && (size_t)reason < sizeof(reasons) / sizeof(reasons[0]) &&
	    reasons[reason])
		return reasons[reason];
	return "unknown";
}
