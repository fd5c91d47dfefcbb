/* signet pki issue --csr-dir: many certificates in one process. */
#ifndef SIGNET_CLI_PKI_BATCH_H
#define SIGNET_CLI_PKI_BATCH_H

#include <jansson.h>

#include "signet/pki_batch.h"

/* --json (docs/json.md): the database path the objects name, and the
 * signet.pki-issue-batch/1 object pki_batch_run leaves in obj (without
 * "ledger") when the run went through every CSR; NULL otherwise. */
struct pki_batch_json {
	const char *db_path;
	json_t *obj;
};

/* Issues a certificate for every CSR_DIR/NAME.csr (reported in name order)
 * into b->out_dir/NAME.pem through sg_pki_batch_run, whose items and
 * result callback it sets (b->on_record and b->arg are kept for the
 * caller). Refused or malformed CSRs are reported one line each and
 * skipped; the worst status is returned (a token, database or I/O failure
 * stops the run). json: NULL, or where the --json object goes. */
int pki_batch_run(const char *csr_dir, struct sg_pki_batch *b, struct pki_batch_json *json);

/* The members "output", "certificate" and "db" of a certificate just
 * issued into path (read back from it; db, may be NULL, has its record,
 * db_path names it), of profile. NULL with err set if path cannot be read
 * back. */
json_t *pki_issued_json(const char *path, const char *profile, struct sg_pki_db *db,
			const char *db_path, struct sg_err *err);

#endif
