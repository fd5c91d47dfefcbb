/* Inside signet station run: the run's shared state (cli/station_run.c),
 * one unit's steps on a fixture (cli/station_unit.c) and the ledger's
 * facts per device (cli/station_index.c). */
#ifndef SIGNET_CLI_STATION_UNIT_H
#define SIGNET_CLI_STATION_UNIT_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ledger_wire.h"
#include "signet/err.h"
#include "signet/target.h"
#include "station.h"

struct sg_device;
struct sg_hsm_key;
struct sg_ledger;
struct sg_pki_ca;
struct sg_pki_db;

/* What the ledger shows for one device (its unit.* records). */
struct station_ledger_facts {
	bool locked, prelock, cert;
	bool quarantined;          /* not followed by a unit.cert_issued */
	char reason[65];           /* the quarantine's reason */
	uint64_t quarantine_index;
};
struct station_index;
int station_index_new(struct station_index **ix);
void station_index_free(struct station_index *ix);
/* Reads the records appended since the last call. */
int station_index_update(struct station_index *ix, struct sg_ledger *l, struct sg_err *err);
void station_index_get(struct station_index *ix, const char *device,
		       struct station_ledger_facts *out);

/* Set up once, read by every fixture. */
struct station {
	struct sg_target target;
	X509 *ca_cert;
	uint8_t *chain;     /* the chain slot's contents: DER certificates, issuer first */
	size_t chain_len;
	bool lock, dry_run, rework;
	const char *lock_word; /* "yes", "no", "dry-run" */
	struct station_ui *ui;
	volatile sig_atomic_t *stop; /* set by SIGINT/SIGTERM or a fatal failure */
	bool per_fixture;   /* neither --count nor --loop: one unit per fixture */

	pthread_mutex_t mu; /* guards what follows */
	long long units_left; /* -1: --loop */
	char (*active)[2 * 32 + 1]; /* per fixture: the UID it works on, or "" */
	size_t n_fixtures;
	struct station_index *index;
	int fatal;          /* the first token/ledger/database failure: the run stops */
};

struct fixture {
	struct station *st;
	size_t pos;
	const char *name, *spec;
	struct sg_hsm_key *key; /* a session of its own */
	struct sg_pki_ca *ca;
	struct sg_pki_db *db;
	struct wire w;
	struct sg_device *dev;  /* NULL until connected, and after the link failed */
	char last_uid[2 * 32 + 1]; /* the last unit that ended here */
	unsigned long long link_ns; /* time on the link of devices already closed */
	unsigned quota;         /* units left for this fixture when no --count */
	pthread_t thread;
};

/* Takes one unit through its steps on f. SG_OK: the unit ended (or none
 * came) and the fixture may go on unless the run is stopping (a signal, or
 * the station itself failed under the unit); otherwise the run must stop
 * (the token, the database or the ledger failed; reported on stderr).
 * *ran: a unit was counted. */
int station_unit(struct fixture *f, bool *ran);

/* Closes f's device, counting its time on the link into f->link_ns. */
void station_drop_device(struct fixture *f);

/* Stops the run (exit 3) for a failure of the token, the database, the
 * ledger or the station itself (memory, randomness), reported in one line
 * naming fixture f and the unit (NULL: none yet). */
void station_fatal(struct fixture *f, const char *unit, const struct sg_err *err);
/* Whether the run is stopping (a signal, or station_fatal). */
bool station_stopping(struct station *st);

#endif
