/* signet pki issue --csr-dir: many certificates in one process. */
#ifndef SIGNET_CLI_PKI_BATCH_H
#define SIGNET_CLI_PKI_BATCH_H

#include "pki.h"

/* Signer threads at most (each with a token session of its own). */
#define PKI_BATCH_SIGNERS_MAX 64

struct pki_batch {
	const char *csr_dir, *out_dir;
	struct sg_hsm_ctx *hsm;
	struct sg_hsm_key *signer; /* the CA's key, in hsm */
	struct sg_pki_ca *ca;      /* on signer */
	unsigned signers;          /* threads that sign, each on its own session */
	struct sg_pki_db *db;      /* NULL: no records */
	bool reissue;
	struct sg_pki_subject s;   /* the template; idevid takes the device
				    * serial from each CSR's file name */
};

/* Issues a certificate for every DIR/NAME.csr (reported in name order) into
 * OUT/NAME.pem. Refused or malformed CSRs are reported one line each and
 * skipped; the worst status is returned (a token, database or I/O failure
 * stops the run). */
int pki_batch_run(const struct pki_batch *b);

#endif
