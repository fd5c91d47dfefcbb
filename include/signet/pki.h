/* Device and release PKI with CA keys in a PKCS#11 token.
 *
 * Certificates are built with OpenSSL's X509 objects and signed through the
 * token: the tbsCertificate (or tbsCertList) is encoded, hashed on the host
 * and the digest signed by sg_hsm_sign_digest; no key leaves the token.
 * Every certificate is checked against its profile before it is signed
 * ("lint before issue") and the result is verified with the issuer's public
 * key before anyone sees it.
 *
 * Rule failures are SG_FAIL with a message "rule <id>: <why>", so a refusal
 * always names the rule (docs/pki.md lists them). */
#ifndef SIGNET_PKI_H
#define SIGNET_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "signet/err.h"
#include "signet/hsm.h"

enum sg_pki_profile {
	SG_PROF_NONE = 0,
	SG_PROF_ROOT,            /* self-signed root CA */
	SG_PROF_FACTORY_CA,      /* issues IDevIDs, pathlen 0 */
	SG_PROF_CODE_SIGNING_CA, /* issues code-signing certificates, pathlen 0 */
	SG_PROF_IDEVID,          /* IEEE 802.1AR device identity */
	SG_PROF_CODE_SIGNING,    /* release signing key */
	SG_PROF_MATTER_PAA,      /* Matter product attestation authority (self-signed) */
	SG_PROF_MATTER_PAI,      /* Matter product attestation intermediate */
	SG_PROF_MATTER_DAC,      /* Matter device attestation certificate */
};

/* "root", "factory-ca", ..., "matter-dac"; SG_PROF_NONE if unknown. */
const char *sg_pki_profile_name(enum sg_pki_profile p);
enum sg_pki_profile sg_pki_profile_parse(const char *name);
/* Whether this build can issue the profile. */
bool sg_pki_profile_supported(enum sg_pki_profile p);
bool sg_pki_profile_is_ca(enum sg_pki_profile p);
/* root and matter-paa: the certificate signs itself. */
bool sg_pki_profile_self_signed(enum sg_pki_profile p);

/* "forever": notAfter 99991231235959Z (RFC 5280 4.1.2.5, no expiry). */
#define SG_PKI_FOREVER (-1)

/* What a certificate says about its subject; signet builds the subject name
 * from these and the profile, never from a CSR. */
struct sg_pki_subject {
	enum sg_pki_profile profile;
	const char *dn;            /* "/CN=x/O=y" (openssl -subj form) or NULL */
	const char *device_serial; /* idevid: subject serialNumber, SAN hwSerialNum */
	const char *hw_type;       /* idevid: hardwareModuleName hwType, dotted OID */
	const char *vid, *pid;     /* Matter: vendor and product id, 4 upper-case hex
				    * digits ("FFF1"), or NULL where the profile
				    * allows none (sg_pki_matter_id normalises) */
	EVP_PKEY *key;             /* the public key to certify (not owned) */
	X509_PUBKEY *spki;         /* optional, not owned: key as encoded (a CSR's);
				    * then key must be X509_PUBKEY_get0(spki), and
				    * its bytes go into the certificate verbatim
				    * instead of being encoded again */
	long long validity_days;   /* > 0 days, SG_PKI_FOREVER, or 0: up to the
				    * issuer's notAfter (required for a root) */
	time_t now;                /* notBefore; $SOURCE_DATE_EPOCH in the CLI */
};

/* An issuing CA: a token key and its certificate (cert NULL while a root
 * signs itself). Holds what signing needs for a whole run. */
struct sg_pki_ca;

/* key is used, not owned (it belongs to its hsm context, which must outlive
 * the CA). cert is up-ref'ed; NULL for a root signing itself. Checks that
 * the certificate holds the key's public half and is a CA (SG_EINPUT if
 * not), and that the key type can sign certificates. */
int sg_pki_ca_new(struct sg_hsm_key *key, X509 *cert, struct sg_pki_ca **ca,
		  struct sg_err *err);
void sg_pki_ca_free(struct sg_pki_ca *ca);
X509 *sg_pki_ca_cert(const struct sg_pki_ca *ca);

/* The issuance database (SQLite); see docs/pki.md for the schema. */
struct sg_pki_db;
/* Opens or creates. SG_EENV when the file cannot be opened or is not ours. */
int sg_pki_db_open(const char *path, struct sg_pki_db **db, struct sg_err *err);
void sg_pki_db_close(struct sg_pki_db *db);

struct sg_pki_issue_opts {
	struct sg_pki_db *db; /* NULL: no record, no uniqueness beyond randomness */
	bool reissue;         /* supersede the live certificate of this device */
	bool batch;           /* the caller holds a transaction (sg_pki_db_begin):
			       * issuance runs in a savepoint inside it, undone
			       * alone when refused, committed with the rest */
};

/* A transaction spanning many issuances (batch): begin, issue with
 * o.batch, then commit (or rollback, which undoes all of them). One
 * commit per group of certificates instead of one per certificate. */
int sg_pki_db_begin(struct sg_pki_db *db, struct sg_err *err);
int sg_pki_db_commit(struct sg_pki_db *db, struct sg_err *err);
void sg_pki_db_rollback(struct sg_pki_db *db);

/* Builds, lints, signs in the token and verifies one certificate, and
 * records it in the database (one transaction, committed before return;
 * with o->batch a savepoint in the caller's transaction).
 * A root signs itself (ca with no cert, s->key must be the CA key's public
 * half). The serial is 16 bytes from the token's random generator,
 * positive and unique in the database. SG_FAIL with the rule named when a
 * profile rule or a database constraint refuses. *out is the certificate as
 * decoded from its own DER. */
int sg_pki_issue(struct sg_pki_ca *ca, const struct sg_pki_subject *s,
		 const struct sg_pki_issue_opts *o, X509 **out, struct sg_err *err);

/* sg_pki_issue in its three steps, for a batch that signs on several
 * threads. Only reserve and record touch the database (the thread that
 * owns it, inside its transaction); sign may run on any thread with a CA
 * of its own (sg_pki_ca_new on a key from sg_hsm_key_dup), many at once.
 *   reserve: the one-live-certificate-per-device check (unless o->reissue)
 *            and a fresh serial from ca's token, not yet in the database;
 *   sign:    the request checks, build, lint, sign in the token (checked);
 *   record:  the insert, in a savepoint of its own: SG_FAIL naming the rule
 *            if the database refuses (the certificate must then be dropped).
 * A serial is reserved only against the database, so two reservations
 * in flight could collide (2^-126); record's unique constraint refuses the
 * second. */
int sg_pki_issue_reserve(struct sg_pki_ca *ca, const struct sg_pki_subject *s,
			 const struct sg_pki_issue_opts *o, uint8_t serial[16], struct sg_err *err);
int sg_pki_issue_sign(struct sg_pki_ca *ca, const struct sg_pki_subject *s,
		      const uint8_t serial[16], X509 **out, struct sg_err *err);
int sg_pki_issue_record(const struct sg_pki_subject *s, const struct sg_pki_issue_opts *o,
			X509 *cert, struct sg_err *err);

/* Building blocks of sg_pki_issue, exposed for tests and other tools. */

/* The unsigned certificate (serial, names, validity, extensions) for s,
 * issued by issuer (NULL: self-issued root, issuer_key is s->key). */
int sg_pki_build(const struct sg_pki_subject *s, X509 *issuer, const uint8_t serial[16],
		 X509 **out, struct sg_err *err);

/* Checks cert against every rule of profile. issuer is the issuing CA's
 * certificate, NULL for a self-signed root. SG_OK, or SG_FAIL with
 * "rule <id>: ..." for the first rule broken. Used before signing and by
 * verify. The certificate may be unsigned. */
int sg_pki_lint(X509 *cert, enum sg_pki_profile profile, X509 *issuer, struct sg_err *err);

/* Key types a profile allows for the certified key; SG_FAIL naming rule
 * "key.type" otherwise. */
int sg_pki_check_key(EVP_PKEY *key, enum sg_pki_profile profile, struct sg_err *err);

/* A CSR (PEM or DER) whose own signature verifies (proof of possession,
 * rule "csr.signature"): its public key as encoded, a copy owned by the
 * caller (X509_PUBKEY_get0 gives the decoded key). Malformed input is
 * SG_EINPUT; a bad signature SG_FAIL. name is for messages. */
int sg_pki_csr_key(const uint8_t *buf, size_t len, const char *name, X509_PUBKEY **spki,
		   struct sg_err *err);
/* A public key, PEM or DER SubjectPublicKeyInfo. */
int sg_pki_pubkey(const uint8_t *buf, size_t len, const char *name, EVP_PKEY **key,
		  struct sg_err *err);
/* A certificate, PEM or DER. */
int sg_pki_cert(const uint8_t *buf, size_t len, const char *name, X509 **cert,
		struct sg_err *err);
/* The certificate in a file, PEM or DER, at most 1 MiB; errors name the
 * file (SG_EINPUT if it holds none). */
int sg_pki_load_cert(const char *path, X509 **cert, struct sg_err *err);
/* Appends every certificate of a file to sk: a PEM bundle (several), or
 * one DER certificate. SG_EINPUT naming the file if it holds none. */
int sg_pki_load_certs(const char *path, STACK_OF(X509) *sk, struct sg_err *err);
/* Appends the CRL in a file (PEM or DER, at most 16 MiB) to sk. SG_EINPUT
 * naming the file when it holds none. */
int sg_pki_load_crl(const char *path, STACK_OF(X509_CRL) *sk, struct sg_err *err);

/* A Matter vendor or product id given as 1 to 4 hex digits (optional 0x)
 * into the form certificates carry: 4 upper-case hex digits in out[5].
 * SG_EINPUT naming what when malformed. */
int sg_pki_matter_id(const char *text, const char *what, char out[5], struct sg_err *err);

/* Parses "/CN=x/O=y" ('\' escapes '/', '\' and ',') into a name. SG_EINPUT
 * when malformed or an attribute is unknown. */
int sg_pki_parse_dn(const char *text, X509_NAME **out, struct sg_err *err);

/* Signs an X509 or X509_CRL in place through the CA's token key (sets both
 * AlgorithmIdentifiers, signs the TBS) and verifies the result with the
 * CA's public key. */
int sg_pki_sign_cert(struct sg_pki_ca *ca, X509 *x, struct sg_err *err);
int sg_pki_sign_crl(struct sg_pki_ca *ca, X509_CRL *crl, struct sg_err *err);

/* Revocation reasons (RFC 5280 5.3.1 CRLReason), by name: unspecified,
 * keyCompromise, cACompromise, affiliationChanged, superseded,
 * cessationOfOperation, privilegeWithdrawn. -1 if unknown (certificateHold
 * and removeFromCRL are not offered: no holds). */
int sg_pki_reason_parse(const char *name);
const char *sg_pki_reason_name(int reason);

/* Marks the certificate with this serial (lower-case hex, as `list` shows,
 * any case accepted) revoked now, in a transaction of its own or in the
 * caller's (sg_pki_db_begin). SG_EINPUT if unknown, SG_FAIL if already
 * revoked. */
int sg_pki_db_revoke(struct sg_pki_db *db, const char *serial_hex, int reason, time_t now,
		     struct sg_err *err);

/* A CRL of every revoked certificate the CA issued, signed in the token,
 * with the next CRL number of this CA (kept in the database) and AKI.
 * nextUpdate = now + next_update_days. */
int sg_pki_crl(struct sg_pki_ca *ca, struct sg_pki_db *db, time_t now, long long next_update_days,
	       X509_CRL **out, struct sg_err *err);
/* sg_pki_crl in a transaction the caller began (sg_pki_db_begin) and
 * commits once the CRL is safely written, so that a CRL which never
 * reached its file takes no number (sg_pki_db_rollback undoes it). */
int sg_pki_crl_in_txn(struct sg_pki_ca *ca, struct sg_pki_db *db, time_t now,
		      long long next_update_days, X509_CRL **out, struct sg_err *err);

/* The live certificate of a device (profile and device serial), decoded
 * from its stored DER; *out NULL when it has none. */
int sg_pki_db_live_cert(struct sg_pki_db *db, const char *profile, const char *device_serial,
			X509 **out, struct sg_err *err);

/* Undo for outputs written after the commit: when a certificate or CRL
 * that the database took cannot be put in place, these take the record
 * back in a transaction of their own. unrecord deletes the certificate's
 * row and makes the one it superseded live again; crl_unnumber gives the
 * CRL's number back unless a later CRL took the next. */
int sg_pki_db_unrecord(struct sg_pki_db *db, X509 *cert, struct sg_err *err);
int sg_pki_db_crl_unnumber(struct sg_pki_db *db, X509_CRL *crl, struct sg_err *err);

/* One row of the database, for listing. Strings belong to the iterator. */
struct sg_pki_record {
	const char *serial;        /* hex */
	const char *subject;       /* RFC 2253 */
	const char *profile;
	const char *device_serial; /* NULL unless idevid */
	const char *key_id;        /* SKI hex */
	const char *issuer;        /* RFC 2253 */
	const char *issuer_key_id; /* AKI hex */
	long long not_before, not_after, issued_at; /* Unix seconds */
	const char *status;        /* "live", "revoked", "superseded" */
	long long revoked_at;      /* 0 unless revoked */
	const char *reason;        /* NULL unless revoked */
	const uint8_t *der;
	size_t der_len;
	const char *supersedes;    /* the serial this one superseded (reissue), or NULL */
};
/* Calls fn for each certificate in issuance order; a non-zero return stops
 * the walk and is returned. */
int sg_pki_db_list(struct sg_pki_db *db, int (*fn)(const struct sg_pki_record *r, void *arg),
		   void *arg, struct sg_err *err);

/* sg_pki_db_list of the one certificate with this serial (lower-case hex,
 * any case accepted); fn is not called when there is none. */
int sg_pki_db_find(struct sg_pki_db *db, const char *serial_hex,
		   int (*fn)(const struct sg_pki_record *r, void *arg), void *arg,
		   struct sg_err *err);

/* sg_pki_db_list of every certificate ever issued for this device serial,
 * any profile and status (the station's check: "any certificate ever for
 * this UID"); fn is not called when there is none. */
int sg_pki_db_find_device(struct sg_pki_db *db, const char *device_serial,
			  int (*fn)(const struct sg_pki_record *r, void *arg), void *arg,
			  struct sg_err *err);

/* sg_pki_db_list of every certificate of this subject key id (SKI hex, any
 * case), any device, profile and status (the station's check: "the key
 * certified for another UID"); fn is not called when there is none. */
int sg_pki_db_find_key(struct sg_pki_db *db, const char *key_id_hex,
		       int (*fn)(const struct sg_pki_record *r, void *arg), void *arg,
		       struct sg_err *err);

/* Records owed to an audit ledger. The database is the source of truth:
 * a caller that records its changes in a ledger as well writes what it owes
 * the ledger with sg_pki_db_owe in the same transaction as the change, then
 * appends it to the ledger after the commit and deletes it with
 * sg_pki_db_paid. A crash in between leaves the row, which the next run
 * settles. The rows are opaque to pki: a record type and its fields as
 * text, the time, the ledger (its origin) and its size when owed (the
 * record is at that index or later if it was appended before a crash).
 * ref names what the record is about: a certificate's serial, or
 * "crl:ISSUER_KEY_ID:NUMBER" for a CRL; sg_pki_db_unrecord and
 * sg_pki_db_crl_unnumber drop the rows of what they take back. */
struct sg_pki_owed {
	long long id; /* set by the database */
	const char *ledger;
	uint64_t from_index;
	long long time; /* Unix seconds */
	const char *type, *fields, *ref;
};
int sg_pki_db_owe(struct sg_pki_db *db, const struct sg_pki_owed *o, struct sg_err *err);
/* Calls fn with every row owed to ledger, oldest first; a non-zero return
 * stops the walk and is returned. */
int sg_pki_db_owed(struct sg_pki_db *db, const char *ledger,
		   int (*fn)(const struct sg_pki_owed *o, void *arg), void *arg,
		   struct sg_err *err);
/* Deletes row id: the ledger has it. */
int sg_pki_db_paid(struct sg_pki_db *db, long long id, struct sg_err *err);

/* Chain verification: cert to one of roots, through untrusted, at time
 * now; then the leaf's profile rules when profile is not SG_PROF_NONE.
 * With crls, each certificate of the chain is checked against its issuer's
 * CRL among them; the leaf's issuer must have one there, a CA's need not
 * (not given: not checked). SG_FAIL naming the reason, SG_OK when valid. */
int sg_pki_verify(X509 *cert, STACK_OF(X509) *roots, STACK_OF(X509) *untrusted,
		  STACK_OF(X509_CRL) *crls, enum sg_pki_profile profile, time_t now,
		  struct sg_err *err);

/* sg_pki_verify with flags. SG_PKI_CRL_ANY_TIME: the CRLs given are taken
 * as current whatever the check time, so a certificate revoked after `now`
 * (a past signing time) is still revoked; their thisUpdate/nextUpdate are
 * not compared with `now`. */
#define SG_PKI_CRL_ANY_TIME 1u
int sg_pki_verify_ex(X509 *cert, STACK_OF(X509) *roots, STACK_OF(X509) *untrusted,
		     STACK_OF(X509_CRL) *crls, enum sg_pki_profile profile, time_t now,
		     unsigned flags, struct sg_err *err);

/* Lower-case hex of an INTEGER's magnitude, in buf (at least 2*20+1). */
char *sg_pki_serial_hex(const ASN1_INTEGER *serial, char *buf, size_t n);

#endif
