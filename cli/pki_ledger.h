/* signet pki --ledger: certificates, revocations and CRLs recorded in an
 * audit ledger, in agreement with the issuance database (cli/pki_ledger.c;
 * docs/ledger.md, "Recording signing and issuance"). Below cmd_pki.c and
 * pki_batch.c; above ledger_wire.c. */
#ifndef SIGNET_CLI_PKI_LEDGER_H
#define SIGNET_CLI_PKI_LEDGER_H

#include <time.h>

#include <openssl/x509.h>

#include "ledger_wire.h"
#include "signet/pki.h"

/* In the transaction that records the change (nothing when w has no
 * ledger): what the ledger is owed for it, built from the database row
 * (sg_pki_db_owe). err says why not; the caller rolls back. */
int pki_ledger_owe_cert(struct wire *w, struct sg_pki_db *db, X509 *cert, struct sg_err *err);
int pki_ledger_owe_revoked(struct wire *w, struct sg_pki_db *db, const char *serial,
			   struct sg_err *err);
int pki_ledger_owe_crl(struct wire *w, struct sg_pki_db *db, X509_CRL *crl, time_t now,
		       struct sg_err *err);

/* The record b (of type, about ref: a certificate's serial), owed to w's
 * ledger in the caller's transaction; takes b. For records beyond pki's own
 * (the station's unit.cert_issued). */
struct sg_record_builder;
int pki_ledger_owe(struct wire *w, struct sg_pki_db *db, const char *type,
		   struct sg_record_builder *b, long long time, const char *ref, struct sg_err *err);

/* Appends every record the database owes w's ledger that the ledger does
 * not hold yet, in one ledger transaction, and marks them paid. Run at the
 * start of every `pki --ledger` command (what a crash left owed) and after
 * its commit. err says why not. */
int pki_ledger_settle(struct wire *w, struct sg_pki_db *db, struct sg_err *err);

#endif
