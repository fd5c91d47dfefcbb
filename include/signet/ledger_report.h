/* An auditor's summary of a ledger (docs/ledger.md, "The auditor's report"):
 * the records of one checkpoint counted per type, per day, per origin (the
 * station) and per failure reason, and the latest items of each list an
 * auditor reads (failures, releases, certificates issued and revoked, CRLs).
 *
 * Memory is bounded whatever the ledger's size: the records stream past
 * once; a list keeps its latest list_max items and counts the rest;
 * SG_REPORT_GROUPS_MAX origins or reasons and SG_REPORT_DAYS_MAX days are
 * kept, anything beyond counts as "other". The summary holds copies of what
 * it shows: nothing of a record is kept by reference.
 *
 * Record text is untrusted: a front end that renders it escapes it.
 * Errors: SG_FAIL when the records do not match the checkpoint (or no
 * checkpoint exists); SG_EENV for the file and out of memory. A report is
 * used by one thread at a time. */
#ifndef SIGNET_LEDGER_REPORT_H
#define SIGNET_LEDGER_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "signet/checkpoint.h"
#include "signet/err.h"
#include "signet/ledger.h"
#include "signet/ledger_record.h"

/* The default length of each list (sg_report_new's list_max). */
#define SG_REPORT_LIST_MAX 1000
/* Distinct origins, and distinct reasons, counted by name. */
#define SG_REPORT_GROUPS_MAX 256
/* Distinct days counted (more than 270 years of daily work). */
#define SG_REPORT_DAYS_MAX 100000
/* Fields a list item keeps. */
#define SG_REPORT_FIELDS_MAX 7

enum sg_report_list {
	SG_REPORT_FAILURES,	 /* unit.failed and unit.quarantined */
	SG_REPORT_RELEASES,	 /* release.signed */
	SG_REPORT_CERTS_ISSUED,	 /* cert.issued */
	SG_REPORT_CERTS_REVOKED, /* cert.revoked */
	SG_REPORT_CRLS,		 /* crl.issued */
	SG_REPORT_NLISTS
};

/* Units by outcome (unit.locked is a pass, unit.failed a failure,
 * unit.quarantined a quarantine) and releases signed. */
struct sg_report_tally {
	uint64_t pass, fail, quarantine, releases;
};

struct sg_report_day {
	int64_t day; /* days since 1970-01-01 (UTC) */
	struct sg_report_tally t;
};

/* An origin or a failure reason with its tally. */
struct sg_report_group {
	char name[SG_NOTE_NAME_MAX + 1];
	struct sg_report_tally t;
};

/* One record of a list: its index, time and the list's fields
 * (sg_report_field_name), each NULL when the record has none. */
struct sg_report_item {
	uint64_t index;
	time_t time;
	char *field[SG_REPORT_FIELDS_MAX];
};

/* The checkpoint a report was computed from. */
struct sg_report_checkpoint {
	struct sg_checkpoint cp;
	char *note;	     /* the signed note's text (malloc'ed, the caller frees) */
	bool signature_checked; /* verified with the given keys */
};

struct sg_report;

/* An empty report whose lists keep their latest list_max items (0: the
 * default). NULL when out of memory. */
struct sg_report *sg_report_new(size_t list_max);
void sg_report_free(struct sg_report *rep);

/* Counts one record in. SG_EENV when out of memory. */
int sg_report_add(struct sg_report *rep, const struct sg_record *r, struct sg_err *err);

/* Computes rep over exactly the records of l's latest checkpoint: streams
 * them through sg_audit (each a canonical record of its index and the
 * ledger's origin, the tree rebuilt from them alone) and counts them in.
 * The rebuilt root must be the checkpoint's; with keys (nkeys > 0) the
 * note's signature is verified too, else only its body is read. SG_FAIL
 * naming the first bad record, a root that does not match, or "no
 * checkpoint". *out gets the checkpoint (free out->note). */
int sg_report_ledger(struct sg_ledger *l, const struct sg_note_key *keys, size_t nkeys,
		     struct sg_report *rep, struct sg_report_checkpoint *out, struct sg_err *err);

/* Records counted, and those of one type. */
uint64_t sg_report_records(const struct sg_report *rep);
uint64_t sg_report_type_count(const struct sg_report *rep, const char *type);
/* Every unit outcome and release counted. */
struct sg_report_tally sg_report_total(const struct sg_report *rep);

/* The days with a unit outcome or a release, oldest first; *n of them.
 * *other (may be NULL): what fell on days beyond SG_REPORT_DAYS_MAX. */
const struct sg_report_day *sg_report_days(const struct sg_report *rep, size_t *n,
					   struct sg_report_tally *other);
/* The origins (all outcomes and releases), and the reasons of failures and
 * quarantines (pass and releases stay 0), sorted by name; *other: what
 * the names beyond SG_REPORT_GROUPS_MAX had. */
const struct sg_report_group *sg_report_origins(const struct sg_report *rep, size_t *n,
						struct sg_report_tally *other);
const struct sg_report_group *sg_report_reasons(const struct sg_report *rep, size_t *n,
						struct sg_report_tally *other);

/* How many items list keeps (*dropped, may be NULL: the earlier ones
 * counted but not kept), and the i-th of them, oldest first (i < n). */
size_t sg_report_items(const struct sg_report *rep, enum sg_report_list list, uint64_t *dropped);
const struct sg_report_item *sg_report_item(const struct sg_report *rep, enum sg_report_list list,
					    size_t i);
/* The name of field j of a list's items (a record member: "device",
 * "reason", ...), NULL past the last. */
const char *sg_report_field_name(enum sg_report_list list, size_t j);

#endif
