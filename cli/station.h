/* signet station (docs/provisioning.md): `run` (cli/station_run.c, the
 * fixtures' threads; cli/station_unit.c, one unit's steps), `status`
 * (cli/station_status.c), what the run shows (cli/station_ui.c) and the
 * walk over the ledger's unit records both read (cli/station_index.c). */
#ifndef SIGNET_CLI_STATION_H
#define SIGNET_CLI_STATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "signet/err.h"

int station_run(int argc, char **argv);
int station_status(int argc, char **argv);

/* Calls fn with each unit.* record of l from index `from` to `to` (not
 * included), parsed, for run's ledger index and status (cli/station_index.c);
 * a record that does not parse, or fn's nonzero return (with err set), stops
 * the walk and is returned. */
struct sg_ledger;
struct sg_record;
typedef int (*station_record_fn)(void *arg, const struct sg_record *r, struct sg_err *err);
int station_unit_records(struct sg_ledger *l, uint64_t from, uint64_t to, station_record_fn fn,
			 void *arg, struct sg_err *err);

/* The steps of docs/provisioning.md §1, in order (the UI's progress bar). */
enum station_step {
	STEP_CONNECT, STEP_IDENTIFY, STEP_CHECK, STEP_KEY, STEP_ISSUE, STEP_WRITE,
	STEP_VERIFY, STEP_PRELOCK, STEP_LOCK, STEP_LOCK_CHECK, STEP_COUNT,
};
/* "connect", "identify", ..., "lock-check" */
const char *station_step_name(enum station_step s);

enum station_result {
	RESULT_PASS, RESULT_NOT_LOCKED, RESULT_FAILED, RESULT_QUARANTINED, RESULT_DRY_RUN,
	RESULT_COUNT,
};
/* "pass", "not-locked", "failed", "quarantined", "dry-run" */
const char *station_result_name(enum station_result r);

/* What a fixture reports as its unit goes: a step begun, or the unit's
 * end. Strings are the caller's, valid during the call. */
struct station_event {
	enum { EVENT_STEP, EVENT_RESULT } kind;
	size_t fixture;           /* its position among the run's fixtures */
	const char *unit;         /* "u-" and 16 hex digits */
	const char *device;       /* the UID in hex, NULL until known */
	enum station_step step;   /* begun, or where the unit ended */
	/* EVENT_RESULT only: */
	enum station_result result;
	const char *reason;       /* failed, quarantined: a §2 token; else NULL */
	const char *detail;       /* one line or NULL */
	const char *serial;       /* the unit's certificate, NULL if none */
	uint64_t index;           /* the ledger index of the result's record */
	bool has_index;
};

enum station_ui_mode { UI_TTY, UI_PLAIN, UI_JSON };

/* What `run` shows (docs/provisioning.md §9). ui_event is called by the
 * fixtures' threads at once and serializes itself; everything goes to out
 * (stdout). TTY: a panel per fixture redrawn in place; PLAIN: a line per
 * step and result; JSON: one versioned event per line. */
struct station_ui;
struct station_ui_start {
	const char *profile;
	const char *const *fixtures; /* names */
	size_t n_fixtures;
	const char *lock;            /* "yes", "no", "dry-run" */
	uint64_t ledger_size;
};
struct station_ui *station_ui_new(enum station_ui_mode mode, FILE *out,
				  const struct station_ui_start *s);
void station_ui_event(struct station_ui *ui, const struct station_event *e);
/* The totals and the time since station_ui_new, once, at the end. */
void station_ui_end(struct station_ui *ui, uint64_t ledger_size, double link_seconds);
/* Counts of results so far (for the exit status). */
void station_ui_counts(struct station_ui *ui, unsigned counts[RESULT_COUNT]);
void station_ui_free(struct station_ui *ui);

#endif
