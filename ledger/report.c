/* An auditor's summary of a ledger: see signet/ledger_report.h. */
#include "signet/ledger_report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/ledger_audit.h"

/* The record members each list keeps (the index and time always). */
static const char *const list_fields[SG_REPORT_NLISTS][SG_REPORT_FIELDS_MAX] = {
	[SG_REPORT_FAILURES] = { "type", "device", "unit", "reason", "step", "detail" },
	[SG_REPORT_RELEASES] = { "version", "format", "digest_alg", "digest", "key_ids",
				 "hw_id" },
	[SG_REPORT_CERTS_ISSUED] = { "serial", "profile", "subject", "device", "not_after" },
	[SG_REPORT_CERTS_REVOKED] = { "serial", "reason", "revoked_at" },
	[SG_REPORT_CRLS] = { "crl_number", "issuer", "count", "this_update", "next_update" },
};

/* The latest items of one list: a ring of max slots, the oldest at head
 * once it is full. */
struct ring {
	struct sg_report_item *v;
	size_t n, head;
	uint64_t dropped;
};

struct groups {
	struct sg_report_group *v;
	size_t n;
	struct sg_report_tally other;
};

#define MAX_TYPES 32

struct sg_report {
	size_t list_max;
	uint64_t records;
	uint64_t type_count[MAX_TYPES];
	struct sg_report_tally total;
	struct sg_report_day *days;
	size_t ndays, days_cap;
	struct sg_report_tally days_other;
	struct groups origins, reasons;
	struct ring lists[SG_REPORT_NLISTS];
};

struct sg_report *sg_report_new(size_t list_max)
{
	struct sg_report *rep = calloc(1, sizeof *rep);
	if (!rep)
		return NULL;
	rep->list_max = list_max ? list_max : SG_REPORT_LIST_MAX;
	rep->origins.v = calloc(SG_REPORT_GROUPS_MAX, sizeof *rep->origins.v);
	rep->reasons.v = calloc(SG_REPORT_GROUPS_MAX, sizeof *rep->reasons.v);
	bool ok = rep->origins.v && rep->reasons.v;
	for (int l = 0; ok && l < SG_REPORT_NLISTS; l++)
		ok = (rep->lists[l].v = calloc(rep->list_max, sizeof *rep->lists[l].v)) != NULL;
	if (!ok) {
		sg_report_free(rep);
		return NULL;
	}
	return rep;
}

static void item_clear(struct sg_report_item *it)
{
	for (size_t j = 0; j < SG_REPORT_FIELDS_MAX; j++) {
		free(it->field[j]);
		it->field[j] = NULL;
	}
}

void sg_report_free(struct sg_report *rep)
{
	if (!rep)
		return;
	for (int l = 0; l < SG_REPORT_NLISTS; l++) {
		for (size_t i = 0; rep->lists[l].v && i < rep->lists[l].n; i++)
			item_clear(&rep->lists[l].v[i]);
		free(rep->lists[l].v);
	}
	free(rep->origins.v);
	free(rep->reasons.v);
	free(rep->days);
	free(rep);
}

/* The tally a record adds: an outcome or a release, else nothing. */
static bool record_tally(const char *type, struct sg_report_tally *t)
{
	memset(t, 0, sizeof *t);
	if (!strcmp(type, "unit.locked"))
		t->pass = 1;
	else if (!strcmp(type, "unit.failed"))
		t->fail = 1;
	else if (!strcmp(type, "unit.quarantined"))
		t->quarantine = 1;
	else if (!strcmp(type, "release.signed"))
		t->releases = 1;
	else
		return false;
	return true;
}

static void tally_add(struct sg_report_tally *to, const struct sg_report_tally *t)
{
	to->pass += t->pass;
	to->fail += t->fail;
	to->quarantine += t->quarantine;
	to->releases += t->releases;
}

/* The group named name, inserted in name order if there is room; NULL when
 * the groups are full (the caller counts it as other). */
static struct sg_report_group *group_for(struct groups *g, const char *name)
{
	size_t lo = 0, hi = g->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(g->v[mid].name, name);
		if (c == 0)
			return &g->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (g->n == SG_REPORT_GROUPS_MAX)
		return NULL;
	memmove(&g->v[lo + 1], &g->v[lo], (g->n - lo) * sizeof *g->v);
	memset(&g->v[lo], 0, sizeof g->v[lo]);
	snprintf(g->v[lo].name, sizeof g->v[lo].name, "%s", name);
	g->n++;
	return &g->v[lo];
}

static void group_add(struct groups *g, const char *name, const struct sg_report_tally *t)
{
	struct sg_report_group *grp = group_for(g, name);
	tally_add(grp ? &grp->t : &g->other, t);
}

/* Adds t to the day of time `when`, kept in day order; records mostly come
 * in time order, so the last day is tried first. */
static int day_add(struct sg_report *rep, time_t when, const struct sg_report_tally *t,
		   struct sg_err *err)
{
	int64_t day = (int64_t)when / 86400;
	size_t lo = 0, hi = rep->ndays;
	if (hi && rep->days[hi - 1].day <= day)
		lo = hi - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rep->days[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < rep->ndays && rep->days[lo].day == day) {
		tally_add(&rep->days[lo].t, t);
		return SG_OK;
	}
	if (rep->ndays == SG_REPORT_DAYS_MAX) {
		tally_add(&rep->days_other, t);
		return SG_OK;
	}
	if (rep->ndays == rep->days_cap) {
		size_t cap = rep->days_cap ? 2 * rep->days_cap : 64;
		struct sg_report_day *v = realloc(rep->days, cap * sizeof *v);
		if (!v)
			return sg_errf(err, SG_EENV, "out of memory");
		rep->days = v;
		rep->days_cap = cap;
	}
	memmove(&rep->days[lo + 1], &rep->days[lo], (rep->ndays - lo) * sizeof *rep->days);
	rep->days[lo].day = day;
	rep->days[lo].t = *t;
	rep->ndays++;
	return SG_OK;
}

/* The list a record of type goes to, or -1. */
static int list_of(const char *type)
{
	static const struct {
		const char *type;
		enum sg_report_list list;
	} map[] = {
		{ "unit.failed", SG_REPORT_FAILURES },
		{ "unit.quarantined", SG_REPORT_FAILURES },
		{ "release.signed", SG_REPORT_RELEASES },
		{ "cert.issued", SG_REPORT_CERTS_ISSUED },
		{ "cert.revoked", SG_REPORT_CERTS_REVOKED },
		{ "crl.issued", SG_REPORT_CRLS },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(type, map[i].type))
			return (int)map[i].list;
	return -1;
}

/* Copies r's fields into the next slot of the list's ring (over the
 * oldest item once the ring is full). */
static int list_add(struct sg_report *rep, enum sg_report_list list, const struct sg_record *r,
		    struct sg_err *err)
{
	struct ring *ring = &rep->lists[list];
	struct sg_report_item *it;
	if (ring->n < rep->list_max) {
		it = &ring->v[ring->n++];
	} else {
		it = &ring->v[ring->head];
		ring->head = (ring->head + 1) % rep->list_max;
		ring->dropped++;
		item_clear(it);
	}
	it->index = sg_record_index(r);
	it->time = sg_record_time(r);
	for (size_t j = 0; j < SG_REPORT_FIELDS_MAX && list_fields[list][j]; j++) {
		const char *v = sg_record_field(r, list_fields[list][j]);
		if (v && !(it->field[j] = strdup(v)))
			return sg_errf(err, SG_EENV, "out of memory");
	}
	return SG_OK;
}

static size_t type_slot(const char *type)
{
	const char *name;
	for (size_t i = 0; i < MAX_TYPES && (name = sg_record_type_name(i)); i++)
		if (!strcmp(name, type))
			return i;
	return MAX_TYPES;
}

int sg_report_add(struct sg_report *rep, const struct sg_record *r, struct sg_err *err)
{
	const char *type = sg_record_type(r);
	struct sg_report_tally t;
	size_t slot = type_slot(type);

	rep->records++;
	if (slot < MAX_TYPES)
		rep->type_count[slot]++;
	if (record_tally(type, &t)) {
		tally_add(&rep->total, &t);
		group_add(&rep->origins, sg_record_origin(r), &t);
		const char *reason = sg_record_field(r, "reason");
		if ((t.fail || t.quarantine) && reason)
			group_add(&rep->reasons, reason, &t);
		int rc = day_add(rep, sg_record_time(r), &t, err);
		if (rc)
			return rc;
	}
	int list = list_of(type);
	return list < 0 ? SG_OK : list_add(rep, (enum sg_report_list)list, r, err);
}

/* ---- over the records of a checkpoint */

struct walk {
	struct sg_audit audit;
	struct sg_report *rep;
	struct sg_err *err;
};

static int walk_record(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct walk *w = arg;
	struct sg_record *r;
	(void)index; /* sg_audit_leaf checks it is the record's own */
	int rc = sg_audit_leaf(&w->audit, leaf, len, w->err);
	if (rc)
		return rc;
	if ((rc = sg_record_parse(leaf, len, &r, w->err)))
		return rc;
	rc = sg_report_add(w->rep, r, w->err);
	sg_record_free(r);
	return rc;
}

/* The checkpoint body of a note read without a key: its text up to the
 * blank line. */
static int note_body(const char *note, struct sg_checkpoint *cp, struct sg_err *err)
{
	const char *blank = strstr(note, "\n\n");
	struct sg_err why;
	if (!blank)
		return sg_errf(err, SG_FAIL, "checkpoint: not a signed note (no blank line)");
	if (sg_checkpoint_parse(note, (size_t)(blank - note) + 1, cp, &why))
		return sg_errf(err, SG_FAIL, "checkpoint: %s", why.msg);
	return SG_OK;
}

/* The rebuilt tree against the checkpoint: verified with keys, or its
 * body compared when there are none. */
static int check_checkpoint(struct walk *w, const char *note, size_t nkeys,
			    struct sg_report_checkpoint *out)
{
	uint8_t root[SG_MERKLE_HASH_LEN];
	if (nkeys) {
		int rc = sg_audit_checkpoint(&w->audit, note, strlen(note), &out->cp, w->err);
		out->signature_checked = rc == SG_OK;
		return rc;
	}
	int rc = note_body(note, &out->cp, w->err);
	if (rc)
		return rc;
	sg_merkle_range_root(&w->audit.range, root);
	if (strcmp(out->cp.origin, w->audit.origin))
		return sg_errf(w->err, SG_FAIL, "checkpoint %" PRIu64 ": of '%s', not of this ledger",
			       out->cp.size, out->cp.origin);
	if (out->cp.size != w->audit.range.size || memcmp(root, out->cp.root, sizeof root))
		return sg_errf(w->err, SG_FAIL,
			       "checkpoint %" PRIu64 ": its root is not the records'", out->cp.size);
	return SG_OK;
}

int sg_report_ledger(struct sg_ledger *l, const struct sg_note_key *keys, size_t nkeys,
		     struct sg_report *rep, struct sg_report_checkpoint *out, struct sg_err *err)
{
	uint64_t size;
	struct sg_err why;
	struct walk w = { .rep = rep, .err = err };

	memset(out, 0, sizeof *out);
	int rc = sg_ledger_checkpoint_get(l, SG_LEDGER_LATEST, &size, NULL, &out->note, &why);
	if (rc == SG_FAIL)
		return sg_errf(err, SG_FAIL, "no checkpoint: a report covers the records of the "
					     "latest checkpoint");
	if (rc)
		return sg_errf(err, rc, "%s", why.msg);
	sg_audit_init(&w.audit, sg_ledger_origin(l), keys, nkeys);
	rc = sg_ledger_records(l, 0, size, walk_record, &w, err);
	if (!rc && w.audit.range.size != size)
		rc = sg_errf(err, SG_FAIL,
			     "checkpoint %" PRIu64 ": for more records than the ledger has (%" PRIu64
			     ")",
			     size, w.audit.range.size);
	if (!rc)
		rc = check_checkpoint(&w, out->note, nkeys, out);
	if (rc) {
		free(out->note);
		out->note = NULL;
	}
	return rc;
}

/* ---- reading a report */

uint64_t sg_report_records(const struct sg_report *rep)
{
	return rep->records;
}

uint64_t sg_report_type_count(const struct sg_report *rep, const char *type)
{
	size_t slot = type_slot(type);
	return slot < MAX_TYPES ? rep->type_count[slot] : 0;
}

struct sg_report_tally sg_report_total(const struct sg_report *rep)
{
	return rep->total;
}

const struct sg_report_day *sg_report_days(const struct sg_report *rep, size_t *n,
					   struct sg_report_tally *other)
{
	*n = rep->ndays;
	if (other)
		*other = rep->days_other;
	return rep->days;
}

static const struct sg_report_group *groups_get(const struct groups *g, size_t *n,
						struct sg_report_tally *other)
{
	*n = g->n;
	if (other)
		*other = g->other;
	return g->v;
}

const struct sg_report_group *sg_report_origins(const struct sg_report *rep, size_t *n,
						struct sg_report_tally *other)
{
	return groups_get(&rep->origins, n, other);
}

const struct sg_report_group *sg_report_reasons(const struct sg_report *rep, size_t *n,
						struct sg_report_tally *other)
{
	return groups_get(&rep->reasons, n, other);
}

size_t sg_report_items(const struct sg_report *rep, enum sg_report_list list, uint64_t *dropped)
{
	if (dropped)
		*dropped = rep->lists[list].dropped;
	return rep->lists[list].n;
}

const struct sg_report_item *sg_report_item(const struct sg_report *rep, enum sg_report_list list,
					    size_t i)
{
	const struct ring *ring = &rep->lists[list];
	return &ring->v[(ring->head + i) % ring->n];
}

const char *sg_report_field_name(enum sg_report_list list, size_t j)
{
	return j < SG_REPORT_FIELDS_MAX ? list_fields[list][j] : NULL;
}
