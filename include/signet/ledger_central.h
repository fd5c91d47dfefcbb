/* Many stations, one central copy: ledgers synced to PostgreSQL (docs/ledger.md,
 * "Many stations: PostgreSQL"), and read back from it for an audit.
 *
 * A sync uploads a station's records up to its latest signed checkpoint,
 * checked before anything is sent: the server's copy of that origin (its
 * tree's right edge, kept since the last sync) extended with the records
 * to upload must have exactly the checkpoint's root. Records already there
 * are never sent again nor overwritten; a station whose ledger no longer
 * matches what it uploaded is a fork, refused naming the first differing
 * index. Uploads go in transactions of SG_CENTRAL_BATCH records, each
 * leaving the server consistent, so a killed sync resumes where it stopped.
 * Across all origins the server keeps a device locked once and a
 * certificate serial issued once; a batch that would break either is
 * refused whole, naming the record and the other origin's. */
#ifndef SIGNET_LEDGER_CENTRAL_H
#define SIGNET_LEDGER_CENTRAL_H

#include <stdint.h>

#include "signet/err.h"
#include "signet/ledger.h"

#define SG_CENTRAL_BATCH 1000
#define SG_CENTRAL_SCHEMA_VERSION 1

struct sg_central;

/* Connects with a libpq connection string or postgresql:// URI (a password
 * comes from PGPASSFILE or PGPASSWORD, never from the string in messages:
 * errors name the server as host:port/database only). SG_EENV if the
 * server cannot be reached. */
int sg_central_connect(const char *conninfo, struct sg_central **c, struct sg_err *err);
void sg_central_close(struct sg_central *c);
/* "host:port/database", for messages. */
const char *sg_central_name(const struct sg_central *c);

struct sg_central_sync_result {
	uint64_t from, to;     /* records [from, to) were uploaded */
	unsigned long checkpoints; /* checkpoints uploaded */
};

/* Uploads l's records and checkpoints up to its latest checkpoint. SG_FAIL
 * for a fork or a uniqueness conflict (nothing of that batch kept), or
 * when l has no checkpoint; SG_EENV for the server or the file. */
int sg_central_sync(struct sg_central *c, struct sg_ledger *l, struct sg_central_sync_result *res,
		    struct sg_err *err);

/* The central copy of origin's records, in index order from 0, read with a
 * server-side cursor (memory stays bounded); fn as sg_ledger_records'. */
int sg_central_records(struct sg_central *c, const char *origin, sg_ledger_record_fn fn, void *arg,
		       struct sg_err *err);
/* origin's checkpoints, smallest size first. */
int sg_central_checkpoints(struct sg_central *c, const char *origin, sg_ledger_checkpoint_fn fn,
			   void *arg, struct sg_err *err);

#endif
