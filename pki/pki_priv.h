/* Internals shared by the files of pki/ only. */
#ifndef SIGNET_PKI_PRIV_H
#define SIGNET_PKI_PRIV_H

#include "signet/pki.h"

struct sg_pki_ca {
	struct sg_hsm_key *key;
	X509 *cert;          /* NULL while a root signs itself */
	EVP_PKEY *pub;       /* the token key's public half */
	EVP_PKEY *stand_in;  /* throwaway host key of the same algorithm (ca.c) */
	const EVP_MD *md;
	X509_ALGOR *sigalg;  /* a certificate's AlgorithmIdentifiers (ca.c) */
	EVP_PKEY_CTX *check; /* verifies the token's signatures */
	char ski[2 * EVP_MAX_MD_SIZE + 1]; /* hex SKI of cert, "" for a root */
};

/* Key types a profile may certify (bits of 1 << enum sg_key_type). */
#define KT(t) (1u << (t))
#define KT_EC_RSA (KT(SG_KEY_ECDSA_P256) | KT(SG_KEY_ECDSA_P384) | KT(SG_KEY_RSA_3072) | \
		   KT(SG_KEY_RSA_4096))

/* The kind of CA a certificate is, read from the marks signet's CA
 * profiles give it; each profile names the one kind that may issue it
 * (rule issuer.profile), so a CA certifies only its own kind of subject. */
enum pki_ca_kind {
	PKI_CA_ROOT,         /* self-signed, no extendedKeyUsage: certifies CAs */
	PKI_CA_FACTORY,      /* below a root, no EKU, no Matter vendor id: idevid */
	PKI_CA_CODE_SIGNING, /* extendedKeyUsage holding codeSigning: code-signing */
	PKI_CA_MATTER_PAI,   /* below a root, a Matter vendor id: matter-dac */
	PKI_CA_OTHER,        /* an extendedKeyUsage without codeSigning: nothing */
};

/* What a profile puts in a certificate; build.c writes it, profile.c checks
 * it. Key usage bits are OpenSSL's KU_* values. */
struct pki_profile {
	const char *name;
	bool supported;
	bool ca;
	int pathlen;          /* -1: absent */
	unsigned key_usage;   /* exact set */
	int eku_nid;          /* NID_undef: no extendedKeyUsage */
	bool idevid;          /* subject serialNumber + hardwareModuleName SAN */
	unsigned key_types;   /* KT() bits */
	bool self_signed;     /* root, matter-paa */
	bool pathlen_optional; /* pathlen may also be absent (matter-paa) */
	bool matter;          /* Matter rules: P-256/SHA-256 issuer, vid/pid */
	char vid, pid;        /* Matter ids: 'r' required, 'o' optional, 'f' forbidden */
	enum pki_ca_kind issued_by; /* the only kind of CA that may issue it (not
				     * for self-signed profiles) */
};

const struct pki_profile *pki_profile(enum sg_pki_profile p);

/* Matter subject attributes (Matter core spec 6.5.6.1), UTF8String of 4
 * upper-case hex digits. */
#define PKI_OID_MATTER_VID "1.3.6.1.4.1.37244.2.1"
#define PKI_OID_MATTER_PID "1.3.6.1.4.1.37244.2.2"

/* id-on-hardwareModuleName, RFC 4108 section 5. */
#define PKI_OID_HW_MODULE_NAME "1.3.6.1.5.5.7.8.4"

/* The key type of an OpenSSL key among those signet knows, with a
 * description for messages ("EC secp521r1", "RSA 2048"). */
enum sg_key_type pki_key_type(EVP_PKEY *key, char *desc, size_t n);

/* UNIX time of an ASN1_TIME; false if it does not parse. */
bool pki_time(const ASN1_TIME *t, long long *out);

/* The SKI of a certificate as lower-case hex ("" if absent). */
void pki_ski_hex(X509 *x, char *buf, size_t n);

/* Sets to's algorithm (with its parameters) and key bits to from's, with
 * no unused bits; to's cached key, if any, is left alone. */
bool pki_spki_copy(X509_PUBKEY *to, const X509_PUBKEY *from);

/* sg_pki_lint with the subject key given: the decoded form of the key
 * whose encoding the certificate carries (sg_pki_subject.spki), which a
 * certificate built without decoding has no cached copy of. */
int pki_lint(X509 *x, EVP_PKEY *key, enum sg_pki_profile profile, X509 *issuer,
	     struct sg_err *err);

/* db.c: the steps sg_pki_issue and sg_pki_crl take inside one
 * transaction. begin/commit/rollback pair up; the checks return SG_FAIL
 * naming the rule. */
int pki_db_begin(struct sg_pki_db *db, struct sg_err *err);
int pki_db_commit(struct sg_pki_db *db, struct sg_err *err);
void pki_db_rollback(struct sg_pki_db *db);
/* A savepoint for one issuance inside a batch transaction. */
int pki_db_savepoint(struct sg_pki_db *db, struct sg_err *err);
int pki_db_release(struct sg_pki_db *db, struct sg_err *err);
void pki_db_rollback_savepoint(struct sg_pki_db *db);
int pki_db_check_serial(struct sg_pki_db *db, const char *serial_hex, struct sg_err *err);
int pki_db_check_device(struct sg_pki_db *db, const char *profile, const char *device_serial,
			struct sg_err *err);
int pki_db_insert(struct sg_pki_db *db, X509 *cert, const char *profile,
		  const char *device_serial, bool reissue, time_t now, struct sg_err *err);
/* Revoked certificates of the CA with this SKI: fn(serial_hex, revoked_at,
 * reason). */
int pki_db_revoked(struct sg_pki_db *db, const char *issuer_key_id,
		   int (*fn)(const char *serial, long long at, int reason, void *arg), void *arg,
		   struct sg_err *err);
/* The next CRL number of the CA (1, 2, ...), recorded. */
int pki_db_next_crl_number(struct sg_pki_db *db, const char *issuer_key_id, long long *n,
			   struct sg_err *err);

#endif
