/* Batch issuance: many certificates under one CA, one database
 * transaction per group, signed on several threads. */
#ifndef SIGNET_PKI_BATCH_H
#define SIGNET_PKI_BATCH_H

#include "signet/pki.h"

/* Signer threads at most (each with a token session of its own). */
#define SG_PKI_BATCH_SIGNERS_MAX 64

/* One certificate to issue: a CSR and the device it names. */
struct sg_pki_batch_item {
	const char *csr_path;  /* names the CSR in messages; read if csr is NULL */
	const uint8_t *csr;    /* the CSR (DER or PEM), or NULL */
	size_t csr_len;
	const char *device;    /* the certificate goes to OUT/DEVICE.pem; idevid:
				* the device serial (at most 200 bytes) */
};

/* Called on the calling thread, in item order, once for every item issued
 * (status SG_OK, cert its certificate, written and on record; also for a
 * certificate on record written again) or refused (SG_FAIL or SG_EINPUT,
 * err naming the CSR, cert NULL). Items of a group that a token, database
 * or I/O failure stopped get no call. */
typedef void sg_pki_batch_result_fn(void *arg, size_t item, int status,
				    const struct sg_err *err, const X509 *cert);

struct sg_pki_batch {
	struct sg_hsm_ctx *hsm;
	struct sg_hsm_key *signer; /* the CA's key, in hsm */
	struct sg_pki_ca *ca;      /* on signer */
	unsigned signers;          /* threads that sign, each on its own session */
	struct sg_pki_db *db;      /* NULL: no records */
	bool reissue;
	struct sg_pki_subject s;   /* the template; idevid takes the device
				    * serial from each item's device */
	const char *out_dir;
	const struct sg_pki_batch_item *items;
	size_t nitems;
	sg_pki_batch_result_fn *on_result; /* may be NULL */
	/* Called on the calling thread for every certificate just recorded,
	 * inside the group's transaction (what the caller records with it
	 * commits or rolls back with the group); a failure (err set) stops
	 * the run and rolls the group back, as a database failure does. item
	 * is the index in the group. May be NULL. */
	int (*on_record)(void *arg, size_t item, X509 *cert, struct sg_err *err);
	void (*on_note)(void *arg, const char *msg); /* fewer signers than asked,
						       * and why; may be NULL */
	void *arg;
};

struct sg_pki_batch_stats {
	int signers;      /* signers that ran; 0: the run did not start */
	unsigned issued;  /* new certificates */
	unsigned again;   /* certificates on record written again (their file
			   * was missing) */
	int worst;        /* worst status of a refused item, SG_OK if none */
};

/* Issues a certificate for every item, GROUP at a time: reserve serials,
 * sign on the signer threads, record in item order (each insert in its
 * own savepoint), flush the files, commit, then put the files in place.
 * Returns SG_OK, or the token, database or I/O failure (SG_EENV) that
 * stopped the run, or SG_EINPUT with no items; refusals are not failures
 * of the run (stats->worst). */
int sg_pki_batch_run(const struct sg_pki_batch *b, struct sg_pki_batch_stats *stats,
		     struct sg_err *err);

#endif
