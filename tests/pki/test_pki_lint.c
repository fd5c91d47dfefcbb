/* Every profile rule has a case here: a certificate built for the profile
 * passes the lint, then one change that breaks exactly that rule must make
 * the lint refuse it and name the rule. The issuing CAs sign in SoftHSM2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "pki_test.h"

static struct pki_test P;

struct row {
	enum sg_pki_profile profile;
	const char *key;  /* subject key type for pki_test_key */
	void (*mutate)(X509 *x, X509 **issuer);
	const char *rule; /* "rule <id>:" expected; NULL: must pass */
};

static X509 *issuer_for(enum sg_pki_profile p)
{
	switch (p) {
	case SG_PROF_IDEVID: return P.factory;
	case SG_PROF_CODE_SIGNING: return P.cs;
	case SG_PROF_MATTER_DAC: return P.pai;
	case SG_PROF_MATTER_PAI: return P.paa;
	case SG_PROF_MATTER_PAA: return NULL; /* self-signed */
	default: return P.root;
	}
}

static void replace_ext(X509 *x, int nid, void *value, int crit)
{
	assert_int_equal(X509_add1_ext_i2d(x, nid, value, crit, X509V3_ADD_REPLACE), 1);
}

static void delete_ext(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);
	assert_true(i >= 0);
	X509_EXTENSION_free(X509_delete_ext(x, i));
}

static void set_time(ASN1_TIME *t, const char *s, int type)
{
	if (type == V_ASN1_UTCTIME)
		assert_true(ASN1_UTCTIME_set_string(t, s));
	else
		assert_true(ASN1_GENERALIZEDTIME_set_string(t, s));
}

/* ---- mutations, one rule each */

static void m_none(X509 *x, X509 **issuer)
{
	(void)x;
	(void)issuer;
}
static void m_version1(X509 *x, X509 **issuer)
{
	(void)issuer;
	X509_set_version(x, X509_VERSION_1);
}
static void m_short_serial(X509 *x, X509 **issuer)
{
	(void)issuer;
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
}
static void m_negative_serial(X509 *x, X509 **issuer)
{
	(void)issuer;
	ASN1_INTEGER *s = X509_get_serialNumber(x);
	s->type = V_ASN1_NEG_INTEGER;
}
static void m_empty_subject(X509 *x, X509 **issuer)
{
	(void)issuer;
	X509_NAME *n = X509_NAME_new();
	X509_set_subject_name(x, n);
	X509_NAME_free(n);
}
static void m_issuer_name(X509 *x, X509 **issuer)
{
	(void)issuer;
	X509_NAME *n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"Other CA", -1, -1,
				   0);
	X509_set_issuer_name(x, n);
	X509_NAME_free(n);
}
/* Another CA as the issuer: of another kind than the profile's (rule
 * issuer.profile), or one whose pathLenConstraint 0 allows no CA below. */
static void other_issuer(X509 *x, X509 **issuer, X509 *ca)
{
	*issuer = ca;
	X509_set_issuer_name(x, X509_get_subject_name(ca));
}
static void m_issuer_factory(X509 *x, X509 **issuer) { other_issuer(x, issuer, P.factory); }
static void m_issuer_cs(X509 *x, X509 **issuer) { other_issuer(x, issuer, P.cs); }
static void m_issuer_pai(X509 *x, X509 **issuer) { other_issuer(x, issuer, P.pai); }
static void m_issuer_root(X509 *x, X509 **issuer) { other_issuer(x, issuer, P.root); }

static X509 *ee; /* an end-entity certificate posing as an issuer */
static X509 *good_cert(enum sg_pki_profile prof, EVP_PKEY *key);

static void m_issuer_not_ca(X509 *x, X509 **issuer)
{
	if (!ee) {
		EVP_PKEY *k = pki_test_key("P-256");
		ee = good_cert(SG_PROF_CODE_SIGNING, k);
		EVP_PKEY_free(k);
	}
	*issuer = ee;
	X509_set_issuer_name(x, X509_get_subject_name(ee));
}
static void m_validity_order(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_time(X509_getm_notAfter(x), "250101000000Z", V_ASN1_UTCTIME);
}
static void m_validity_after_issuer(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_time(X509_getm_notAfter(x), "20600101000000Z", V_ASN1_GENERALIZEDTIME);
}
static void m_validity_before_issuer(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_time(X509_getm_notBefore(x), "200101000000Z", V_ASN1_UTCTIME);
}
static void m_validity_encoding(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_time(X509_getm_notAfter(x), "20300101000000Z", V_ASN1_GENERALIZEDTIME);
}
static void m_extra_extension(X509 *x, X509 **issuer)
{
	(void)issuer;
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	ASN1_STRING_set(s, "hello", 5);
	assert_int_equal(X509_add1_ext_i2d(x, NID_netscape_comment, s, 0, X509V3_ADD_DEFAULT), 1);
	ASN1_IA5STRING_free(s);
}
static void m_bc_missing(X509 *x, X509 **issuer)
{
	(void)issuer;
	delete_ext(x, NID_basic_constraints);
}
static void m_bc_not_critical(X509 *x, X509 **issuer)
{
	(void)issuer;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	replace_ext(x, NID_basic_constraints, bc, 0);
	BASIC_CONSTRAINTS_free(bc);
}
static void m_bc_ca_true(X509 *x, X509 **issuer)
{
	(void)issuer;
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	bc->ca = 0xff;
	replace_ext(x, NID_basic_constraints, bc, 1);
	BASIC_CONSTRAINTS_free(bc);
}
static void m_bc_no_pathlen(X509 *x, X509 **issuer)
{
	(void)issuer;
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	bc->ca = 0xff;
	replace_ext(x, NID_basic_constraints, bc, 1);
	BASIC_CONSTRAINTS_free(bc);
}
static void m_bc_pathlen(X509 *x, X509 **issuer)
{
	(void)issuer;
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	bc->ca = 0xff;
	bc->pathlen = ASN1_INTEGER_new();
	ASN1_INTEGER_set(bc->pathlen, 2);
	replace_ext(x, NID_basic_constraints, bc, 1);
	BASIC_CONSTRAINTS_free(bc);
}
static void m_ku(X509 *x, unsigned bits, int crit)
{
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	for (int b = 0; b < 9; b++)
		if (bits & (1u << b))
			ASN1_BIT_STRING_set_bit(ku, b, 1);
	replace_ext(x, NID_key_usage, ku, crit);
	ASN1_BIT_STRING_free(ku);
}
static void m_ku_extra(X509 *x, X509 **issuer)
{
	(void)issuer;
	m_ku(x, 1u << 0 | 1u << 2, 1); /* digitalSignature, keyEncipherment */
}
static void m_ku_not_critical(X509 *x, X509 **issuer)
{
	(void)issuer;
	m_ku(x, 1u << 0, 0);
}
static void m_ku_ca_signs(X509 *x, X509 **issuer)
{
	(void)issuer;
	m_ku(x, 1u << 0 | 1u << 5 | 1u << 6, 1);
}
static void m_ku_missing(X509 *x, X509 **issuer)
{
	(void)issuer;
	delete_ext(x, NID_key_usage);
}
static void m_eku(X509 *x, int nid)
{
	EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
	sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(nid));
	replace_ext(x, NID_ext_key_usage, eku, 0);
	sk_ASN1_OBJECT_free(eku);
}
static void m_eku_server(X509 *x, X509 **issuer)
{
	(void)issuer;
	m_eku(x, NID_server_auth);
}
static void m_eku_missing(X509 *x, X509 **issuer)
{
	(void)issuer;
	delete_ext(x, NID_ext_key_usage);
}
static void m_ski_missing(X509 *x, X509 **issuer)
{
	(void)issuer;
	delete_ext(x, NID_subject_key_identifier);
}
static void m_aki_missing(X509 *x, X509 **issuer)
{
	(void)issuer;
	delete_ext(x, NID_authority_key_identifier);
}
static void m_aki_wrong(X509 *x, X509 **issuer)
{
	(void)issuer;
	AUTHORITY_KEYID *aki = AUTHORITY_KEYID_new();
	aki->keyid = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(aki->keyid, (const unsigned char *)"0123456789abcdefghij", 20);
	replace_ext(x, NID_authority_key_identifier, aki, 0);
	AUTHORITY_KEYID_free(aki);
}
static void m_san_missing(X509 *x, X509 **issuer)
{
	(void)issuer;
	delete_ext(x, NID_subject_alt_name);
}
static void m_san_dns_only(X509 *x, X509 **issuer)
{
	(void)issuer;
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	ASN1_STRING_set(s, "dev.example", -1);
	GENERAL_NAME_set0_value(g, GEN_DNS, s);
	sk_GENERAL_NAME_push(gens, g);
	replace_ext(x, NID_subject_alt_name, gens, 0);
	GENERAL_NAMES_free(gens);
}
static void set_serial_number(X509 *x, const char *sn)
{
	X509_NAME *n = X509_NAME_dup(X509_get_subject_name(x));
	int i = X509_NAME_get_index_by_NID(n, NID_serialNumber, -1);
	X509_NAME_ENTRY_free(X509_NAME_delete_entry(n, i));
	if (sn)
		X509_NAME_add_entry_by_NID(n, NID_serialNumber, V_ASN1_PRINTABLESTRING,
					   (const unsigned char *)sn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_NAME_free(n);
}
static void m_sn_differs(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_serial_number(x, "SN-OTHER");
}
static void m_sn_missing(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_serial_number(x, NULL);
}

/* ---- Matter */

#define VID_OID "1.3.6.1.4.1.37244.2.1"
#define PID_OID "1.3.6.1.4.1.37244.2.2"

/* Replaces every subject attribute oid with value (none if NULL); a
 * self-issued certificate stays self-issued. */
static void set_attr(X509 *x, const char *oid, const char *value, int type)
{
	bool self = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
	X509_NAME *n = X509_NAME_dup(X509_get_subject_name(x));
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	int i;
	while ((i = X509_NAME_get_index_by_OBJ(n, o, -1)) >= 0)
		X509_NAME_ENTRY_free(X509_NAME_delete_entry(n, i));
	if (value)
		assert_true(X509_NAME_add_entry_by_OBJ(n, o, type, (const unsigned char *)value, -1,
						       -1, 0));
	X509_set_subject_name(x, n);
	if (self)
		X509_set_issuer_name(x, n);
	ASN1_OBJECT_free(o);
	X509_NAME_free(n);
}
static void sign_with(X509 *x, const EVP_MD *md)
{
	EVP_PKEY *k = pki_test_key("P-256");
	assert_true(X509_sign(x, k, md) > 0);
	EVP_PKEY_free(k);
}
static void m_sig_sha256(X509 *x, X509 **issuer)
{
	(void)issuer;
	sign_with(x, EVP_sha256());
}
static void m_sig_sha384(X509 *x, X509 **issuer)
{
	(void)issuer;
	sign_with(x, EVP_sha384());
}
static void m_vid_missing(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_attr(x, VID_OID, NULL, 0);
}
static void m_vid_differs(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_attr(x, VID_OID, "FFF2", V_ASN1_UTF8STRING);
}
static void m_vid_lower(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_attr(x, VID_OID, "fff1", V_ASN1_UTF8STRING);
}
static void m_vid_printable(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_attr(x, VID_OID, "FFF1", V_ASN1_PRINTABLESTRING);
}
static void m_vid_twice(X509 *x, X509 **issuer)
{
	(void)issuer;
	X509_NAME *n = X509_get_subject_name(x);
	ASN1_OBJECT *o = OBJ_txt2obj(VID_OID, 1);
	assert_true(X509_NAME_add_entry_by_OBJ(n, o, V_ASN1_UTF8STRING,
					       (const unsigned char *)"FFF1", -1, -1, 0));
	ASN1_OBJECT_free(o);
}
static void m_pid_missing(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_attr(x, PID_OID, NULL, 0);
}
static void m_pid_differs(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_attr(x, PID_OID, "8001", V_ASN1_UTF8STRING);
}
static void m_pid_short(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_attr(x, PID_OID, "800", V_ASN1_UTF8STRING);
}
static void m_pid_present(X509 *x, X509 **issuer)
{
	(void)issuer;
	set_attr(x, PID_OID, "8000", V_ASN1_UTF8STRING);
}

#define OK(prof, key) { prof, key, m_none, NULL }
static const struct row rows[] = {
	OK(SG_PROF_IDEVID, "P-256"),
	OK(SG_PROF_IDEVID, "P-384"),
	OK(SG_PROF_IDEVID, "RSA3072"),
	OK(SG_PROF_CODE_SIGNING, "P-256"),
	OK(SG_PROF_FACTORY_CA, "P-384"),
	OK(SG_PROF_CODE_SIGNING_CA, "P-256"),
	{ SG_PROF_IDEVID, "P-256", m_version1, "rule version:" },
	{ SG_PROF_IDEVID, "P-256", m_short_serial, "rule serial:" },
	{ SG_PROF_IDEVID, "P-256", m_negative_serial, "rule serial:" },
	{ SG_PROF_CODE_SIGNING, "P-256", m_empty_subject, "rule subject:" },
	{ SG_PROF_IDEVID, "P-256", m_issuer_name, "rule issuer-name:" },
	{ SG_PROF_CODE_SIGNING_CA, "P-256", m_issuer_factory, "rule issuer.pathlen:" },
	{ SG_PROF_CODE_SIGNING, "P-256", m_issuer_not_ca, "rule issuer.ca:" },
	{ SG_PROF_CODE_SIGNING, "P-256", m_issuer_factory, "rule issuer.profile:" },
	{ SG_PROF_CODE_SIGNING, "P-256", m_issuer_root, "rule issuer.profile:" },
	{ SG_PROF_CODE_SIGNING, "P-256", m_issuer_pai, "rule issuer.profile:" },
	{ SG_PROF_IDEVID, "P-256", m_issuer_cs, "rule issuer.profile:" },
	{ SG_PROF_IDEVID, "P-256", m_issuer_pai, "rule issuer.profile:" },
	{ SG_PROF_IDEVID, "P-256", m_issuer_root, "rule issuer.profile:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_issuer_factory, "rule issuer.profile:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_issuer_cs, "rule issuer.profile:" },
	{ SG_PROF_IDEVID, "P-521", m_none, "rule key.type:" },
	OK(SG_PROF_CODE_SIGNING, "ED25519"),
	{ SG_PROF_IDEVID, "ED25519", m_none, "rule key.type:" },
	{ SG_PROF_MATTER_DAC, "ED25519", m_none, "rule key.type:" },
	{ SG_PROF_IDEVID, "P-256", m_validity_order, "rule validity:" },
	{ SG_PROF_IDEVID, "P-256", m_validity_after_issuer, "rule validity.nested:" },
	{ SG_PROF_IDEVID, "P-256", m_validity_before_issuer, "rule validity.nested:" },
	{ SG_PROF_IDEVID, "P-256", m_validity_encoding, "rule validity.encoding:" },
	{ SG_PROF_IDEVID, "P-256", m_extra_extension, "rule extensions:" },
	{ SG_PROF_IDEVID, "P-256", m_eku_server, "rule extensions:" },
	{ SG_PROF_IDEVID, "P-256", m_bc_missing, "rule basic-constraints:" },
	{ SG_PROF_IDEVID, "P-256", m_bc_not_critical, "rule basic-constraints:" },
	{ SG_PROF_IDEVID, "P-256", m_bc_ca_true, "rule basic-constraints:" },
	{ SG_PROF_FACTORY_CA, "P-256", m_bc_no_pathlen, "rule basic-constraints:" },
	{ SG_PROF_FACTORY_CA, "P-256", m_bc_pathlen, "rule basic-constraints:" },
	{ SG_PROF_IDEVID, "P-256", m_ku_extra, "rule key-usage:" },
	{ SG_PROF_IDEVID, "P-256", m_ku_not_critical, "rule key-usage:" },
	{ SG_PROF_IDEVID, "P-256", m_ku_missing, "rule key-usage:" },
	{ SG_PROF_CODE_SIGNING, "P-256", m_ku_ca_signs, "rule key-usage:" },
	{ SG_PROF_CODE_SIGNING, "P-256", m_eku_server, "rule eku:" },
	{ SG_PROF_CODE_SIGNING, "P-256", m_eku_missing, "rule eku:" },
	{ SG_PROF_IDEVID, "P-256", m_ski_missing, "rule ski:" },
	{ SG_PROF_IDEVID, "P-256", m_aki_missing, "rule aki:" },
	{ SG_PROF_FACTORY_CA, "P-256", m_aki_wrong, "rule aki:" },
	{ SG_PROF_IDEVID, "P-256", m_san_missing, "rule idevid.hardware-module-name:" },
	{ SG_PROF_IDEVID, "P-256", m_san_dns_only, "rule idevid.hardware-module-name:" },
	{ SG_PROF_IDEVID, "P-256", m_sn_differs, "rule idevid.serial-number:" },
	{ SG_PROF_IDEVID, "P-256", m_sn_missing, "rule idevid.serial-number:" },
	/* Matter: PAA -> PAI (vid FFF1, pid 8000) -> DAC */
	OK(SG_PROF_MATTER_PAA, "P-256"),
	OK(SG_PROF_MATTER_PAI, "P-256"),
	OK(SG_PROF_MATTER_DAC, "P-256"),
	{ SG_PROF_MATTER_DAC, "P-256", m_sig_sha256, NULL },
	{ SG_PROF_MATTER_PAA, "P-256", m_bc_no_pathlen, NULL }, /* pathlen absent or 1 */
	{ SG_PROF_MATTER_DAC, "P-384", m_none, "rule key.type:" },
	{ SG_PROF_MATTER_PAI, "RSA3072", m_none, "rule key.type:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_sig_sha384, "rule matter.signature:" },
	{ SG_PROF_MATTER_PAI, "P-256", m_sig_sha384, "rule matter.signature:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_bc_not_critical, "rule basic-constraints:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_bc_ca_true, "rule basic-constraints:" },
	{ SG_PROF_MATTER_PAI, "P-256", m_bc_no_pathlen, "rule basic-constraints:" },
	{ SG_PROF_MATTER_PAI, "P-256", m_bc_not_critical, "rule basic-constraints:" },
	{ SG_PROF_MATTER_PAA, "P-256", m_bc_pathlen, "rule basic-constraints:" },
	{ SG_PROF_MATTER_PAA, "P-256", m_bc_not_critical, "rule basic-constraints:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_ku_extra, "rule key-usage:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_ku_not_critical, "rule key-usage:" },
	{ SG_PROF_MATTER_PAI, "P-256", m_ku_ca_signs, "rule key-usage:" },
	{ SG_PROF_MATTER_PAA, "P-256", m_ku_missing, "rule key-usage:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_vid_missing, "rule matter.vid:" },
	{ SG_PROF_MATTER_PAI, "P-256", m_vid_missing, "rule matter.vid:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_vid_differs, "rule matter.vid:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_vid_lower, "rule matter.vid:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_vid_printable, "rule matter.vid:" },
	{ SG_PROF_MATTER_PAI, "P-256", m_vid_twice, "rule matter.vid:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_pid_missing, "rule matter.pid:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_pid_differs, "rule matter.pid:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_pid_short, "rule matter.pid:" },
	{ SG_PROF_MATTER_PAA, "P-256", m_pid_present, "rule matter.pid:" },
	{ SG_PROF_MATTER_PAI, "P-256", m_pid_present, NULL }, /* optional in a PAI */
	{ SG_PROF_MATTER_DAC, "P-256", m_ski_missing, "rule ski:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_aki_missing, "rule aki:" },
	{ SG_PROF_MATTER_PAA, "P-256", m_aki_missing, "rule aki:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_validity_before_issuer, "rule validity.nested:" },
	{ SG_PROF_MATTER_PAI, "P-256", m_validity_before_issuer, "rule validity.nested:" },
	{ SG_PROF_MATTER_DAC, "P-256", m_extra_extension, "rule extensions:" },
};

static const uint8_t serial[16] = { 0x41, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* A certificate the profile accepts, from issuer_for(profile). */
static X509 *good_cert(enum sg_pki_profile prof, EVP_PKEY *key)
{
	bool dac = prof == SG_PROF_MATTER_DAC, pai = prof == SG_PROF_MATTER_PAI;
	struct sg_pki_subject s = {
		.profile = prof, .key = key, .now = P.now + 60,
		.dn = prof == SG_PROF_IDEVID ? "/CN=Gateway/O=signet" : "/CN=Subject",
		.device_serial = "SN-0001", .hw_type = "1.3.6.1.4.1.99999.1",
		.vid = dac || pai ? "FFF1" : NULL, .pid = dac ? "8000" : NULL,
		.validity_days = sg_pki_profile_self_signed(prof) ? 3650 : 0,
	};
	X509 *x = NULL;
	struct sg_err err = { 0 };
	if (sg_pki_build(&s, issuer_for(prof), serial, &x, &err) != SG_OK)
		fail_msg("build: %s", err.msg);
	return x;
}

static void run_row(void **state)
{
	const struct row *r = *state;
	EVP_PKEY *key = pki_test_key(r->key);
	assert_non_null(key);
	X509 *x = good_cert(r->profile, key);
	X509 *issuer = issuer_for(r->profile);
	struct sg_err err = { 0 };
	/* The unbroken certificate passes, unless the rule is about the key
	 * itself (built as is, since build does not judge keys). */
	if (r->mutate != m_none && sg_pki_lint(x, r->profile, issuer, &err) != SG_OK)
		fail_msg("unmodified certificate refused: %s", err.msg);
	r->mutate(x, &issuer);
	int rc = sg_pki_lint(x, r->profile, issuer, &err);
	if (!r->rule) {
		if (rc != SG_OK)
			fail_msg("refused: %s", err.msg);
	} else {
		assert_int_equal(rc, SG_FAIL);
		if (strncmp(err.msg, r->rule, strlen(r->rule)))
			fail_msg("wanted '%s', got '%s'", r->rule, err.msg);
	}
	X509_free(x);
	EVP_PKEY_free(key);
}

/* The issued chain itself passes its own profiles. */
static void test_chain_profiles(void **state)
{
	(void)state;
	struct sg_err err = { 0 };
	assert_int_equal(sg_pki_lint(P.root, SG_PROF_ROOT, NULL, &err), SG_OK);
	assert_int_equal(sg_pki_lint(P.factory, SG_PROF_FACTORY_CA, P.root, &err), SG_OK);
	assert_int_equal(sg_pki_lint(P.cs, SG_PROF_CODE_SIGNING_CA, P.root, &err), SG_OK);
	/* and not the others' */
	assert_int_equal(sg_pki_lint(P.cs, SG_PROF_FACTORY_CA, P.root, &err), SG_FAIL);
	assert_int_equal(sg_pki_lint(P.factory, SG_PROF_ROOT, NULL, &err), SG_FAIL);
}

/* Issuance refuses what the lint refuses, before the token signs. */
static void test_issue_refuses(void **state)
{
	(void)state;
	EVP_PKEY *key = pki_test_key("P-256");
	struct sg_pki_subject s = { .profile = SG_PROF_IDEVID, .key = key, .now = P.now + 60,
				    .device_serial = "SN-1", .hw_type = "1.2.3.4",
				    .validity_days = 36500 };
	struct sg_pki_issue_opts o = { 0 };
	struct sg_err err = { 0 };
	X509 *x = NULL;
	assert_int_equal(sg_pki_issue(P.factory_ca, &s, &o, &x, &err), SG_FAIL);
	assert_null(x);
	assert_non_null(strstr(err.msg, "rule validity.nested:"));
	s.validity_days = 30;
	assert_int_equal(sg_pki_issue(P.factory_ca, &s, &o, &x, &err), SG_OK);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(P.factory)), 1);
	assert_int_equal(sg_pki_lint(x, SG_PROF_IDEVID, P.factory, &err), SG_OK);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* Matter issuance through the token: a DAC below the PAI passes its own
 * profile and openssl's signature check; a DAC whose vid is not the PAI's
 * is refused naming the rule, before the token signs; ids are normalised. */
static void test_matter_issue(void **state)
{
	(void)state;
	EVP_PKEY *key = pki_test_key("P-256");
	struct sg_pki_subject s = { .profile = SG_PROF_MATTER_DAC, .key = key, .now = P.now + 60,
				    .dn = "/CN=Matter DAC", .vid = "FFF1", .pid = "8000" };
	struct sg_pki_issue_opts o = { 0 };
	struct sg_err err = { 0 };
	X509 *x = NULL;
	assert_int_equal(sg_pki_issue(P.pai_ca, &s, &o, &x, &err), SG_OK);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(P.pai)), 1);
	assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
	assert_int_equal(sg_pki_lint(x, SG_PROF_MATTER_DAC, P.pai, &err), SG_OK);
	X509_free(x);
	x = NULL;
	s.vid = "FFF2";
	assert_int_equal(sg_pki_issue(P.pai_ca, &s, &o, &x, &err), SG_FAIL);
	assert_null(x);
	assert_non_null(strstr(err.msg, "rule matter.vid:"));
	s.vid = "fff1x";
	assert_int_equal(sg_pki_issue(P.pai_ca, &s, &o, &x, &err), SG_EINPUT);
	char id[5];
	assert_int_equal(sg_pki_matter_id("0xfff1", "vid", id, &err), SG_OK);
	assert_string_equal(id, "FFF1");
	assert_int_equal(sg_pki_matter_id("1", "vid", id, &err), SG_OK);
	assert_string_equal(id, "0001");
	assert_int_equal(sg_pki_matter_id("12345", "vid", id, &err), SG_EINPUT);
	EVP_PKEY_free(key);
}

/* CSRs: proof of possession. */
static void test_csr_signature(void **state)
{
	(void)state;
	EVP_PKEY *key = pki_test_key("P-256");
	X509_REQ *req = X509_REQ_new();
	X509_REQ_set_pubkey(req, key);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);
	assert_true(n > 0);
	struct sg_err err = { 0 };
	X509_PUBKEY *got;
	assert_int_equal(sg_pki_csr_key(der, (size_t)n, "req", &got, &err), SG_OK);
	assert_int_equal(EVP_PKEY_eq(X509_PUBKEY_get0(got), key), 1);
	X509_PUBKEY_free(got);
	der[n - 3] ^= 1; /* inside the signature */
	assert_int_equal(sg_pki_csr_key(der, (size_t)n, "req", &got, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "rule csr.signature:"));
	assert_int_equal(sg_pki_csr_key(der, (size_t)n - 1, "req", &got, &err), SG_EINPUT);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

static void test_parse_dn(void **state)
{
	(void)state;
	X509_NAME *n;
	struct sg_err err = { 0 };
	assert_int_equal(sg_pki_parse_dn("/CN=a\\/b/O=Acme, Inc.", &n, &err), SG_OK);
	char buf[128];
	assert_int_equal(X509_NAME_entry_count(n), 2);
	X509_NAME_get_text_by_NID(n, NID_commonName, buf, sizeof(buf));
	assert_string_equal(buf, "a/b");
	X509_NAME_get_text_by_NID(n, NID_organizationName, buf, sizeof(buf));
	assert_string_equal(buf, "Acme, Inc.");
	X509_NAME_free(n);
	assert_int_equal(sg_pki_parse_dn("CN=x", &n, &err), SG_EINPUT);
	assert_int_equal(sg_pki_parse_dn("/XX=x", &n, &err), SG_EINPUT);
	assert_int_equal(sg_pki_parse_dn("/CN", &n, &err), SG_EINPUT);
	assert_int_equal(sg_pki_parse_dn("/", &n, &err), SG_EINPUT);
	/* control characters (C0, DEL, C1), never echoed; a lone trailing '\' */
	static const char *const bad[] = { "/CN=a\x1b[2Jb", "/CN=a\nb", "/CN=a\x7f", "/CN=a\xc2\x9b",
					   "/CN=a\\", "/CN=a/O=b\\" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sg_pki_parse_dn(bad[i], &n, &err), SG_EINPUT);
		assert_null(strpbrk(err.msg, "\x1b\n\x7f"));
	}
	assert_int_equal(sg_pki_parse_dn("/CN=a\\\\/O=\xc3\xa9", &n, &err), SG_OK); /* '\\', é */
	X509_NAME_get_text_by_NID(n, NID_commonName, buf, sizeof(buf));
	assert_string_equal(buf, "a\\");
	X509_NAME_free(n);
}

static int setup(void **state)
{
	(void)state;
	return pki_test_setup(&P);
}

static int teardown(void **state)
{
	(void)state;
	X509_free(ee);
	pki_test_teardown(&P);
	return 0;
}

int main(void)
{
	enum { NROWS = sizeof(rows) / sizeof(rows[0]) };
	struct CMUnitTest tests[NROWS + 5];
	static char names[NROWS][96];
	for (size_t i = 0; i < NROWS; i++) {
		snprintf(names[i], sizeof(names[i]), "%s %s %s", sg_pki_profile_name(rows[i].profile),
			 rows[i].key, rows[i].rule ? rows[i].rule : "ok");
		tests[i] = (struct CMUnitTest){ names[i], run_row, NULL, NULL, (void *)&rows[i] };
	}
	tests[NROWS] = (struct CMUnitTest)cmocka_unit_test(test_chain_profiles);
	tests[NROWS + 1] = (struct CMUnitTest)cmocka_unit_test(test_issue_refuses);
	tests[NROWS + 2] = (struct CMUnitTest)cmocka_unit_test(test_csr_signature);
	tests[NROWS + 3] = (struct CMUnitTest)cmocka_unit_test(test_parse_dn);
	tests[NROWS + 4] = (struct CMUnitTest)cmocka_unit_test(test_matter_issue);
	return _cmocka_run_group_tests("pki_lint", tests, NROWS + 5, setup, teardown);
}
