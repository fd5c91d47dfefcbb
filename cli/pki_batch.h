/* signet pki issue --csr-dir: many certificates in one process. */
#ifndef SIGNET_CLI_PKI_BATCH_H
#define SIGNET_CLI_PKI_BATCH_H

#include "signet/pki_batch.h"

/* Issues a certificate for every CSR_DIR/NAME.csr (reported in name order)
 * into b->out_dir/NAME.pem through sg_pki_batch_run, whose items and
 * callbacks it sets. Refused or malformed CSRs are reported one line each
 * and skipped; the worst status is returned (a token, database or I/O
 * failure stops the run). */
int pki_batch_run(const char *csr_dir, struct sg_pki_batch *b);

#endif
