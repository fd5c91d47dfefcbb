/* What the ledger says about each device, for the station's check step
 * (docs/provisioning.md §3): the unit.* records read once at the start and
 * then only those appended since, by any station writing to the ledger. */
#include "station_unit.h"

#include <stdlib.h>
#include <string.h>

#include "signet/ledger.h"
#include "signet/ledger_record.h"

struct entry {
	char *device;
	struct station_ledger_facts facts;
};

struct station_index {
	struct entry *slots; /* open addressing, a power of two */
	size_t cap, n;
	uint64_t size;       /* records read so far */
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return h;
}

static struct entry *lookup(struct station_index *ix, const char *device)
{
	size_t i = hash(device) & (ix->cap - 1);
	while (ix->slots[i].device && strcmp(ix->slots[i].device, device))
		i = (i + 1) & (ix->cap - 1);
	return &ix->slots[i];
}

static int grow(struct station_index *ix)
{
	struct station_index bigger = { calloc(ix->cap * 2, sizeof(struct entry)), ix->cap * 2,
					ix->n, ix->size };
	if (!bigger.slots)
		return -1;
	for (size_t i = 0; i < ix->cap; i++)
		if (ix->slots[i].device)
			*lookup(&bigger, ix->slots[i].device) = ix->slots[i];
	free(ix->slots);
	*ix = bigger;
	return 0;
}

int station_index_new(struct station_index **out)
{
	struct station_index *ix = calloc(1, sizeof *ix);
	if (ix && !(ix->slots = calloc(1024, sizeof(struct entry)))) {
		free(ix);
		ix = NULL;
	}
	if (ix)
		ix->cap = 1024;
	*out = ix;
	return ix ? 0 : -1;
}

void station_index_free(struct station_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->cap; i++)
		free(ix->slots[i].device);
	free(ix->slots);
	free(ix);
}

static struct station_ledger_facts *facts_for(struct station_index *ix, const char *device)
{
	if (2 * (ix->n + 1) > ix->cap && grow(ix))
		return NULL;
	struct entry *e = lookup(ix, device);
	if (!e->device) {
		if (!(e->device = strdup(device)))
			return NULL;
		ix->n++;
	}
	return &e->facts;
}

/* One record: what it tells about its device. A quarantine stands until a
 * later unit.cert_issued for the device (a --rework run got as far as
 * issuing); a duplicate-uid one is not the device's. */
static void learn(struct station_ledger_facts *f, const struct sg_record *r)
{
	const char *type = sg_record_type(r);
	if (!strcmp(type, "unit.locked")) {
		f->locked = true;
	} else if (!strcmp(type, "unit.prelock")) {
		/* only a decision to lock accounts for a lock found later */
		const char *next = sg_record_field(r, "next");
		if (next && !strcmp(next, "lock"))
			f->prelock = true;
	} else if (!strcmp(type, "unit.cert_issued")) {
		f->cert = true;
		f->quarantined = false;
	} else if (!strcmp(type, "unit.quarantined")) {
		const char *reason = sg_record_field(r, "reason");
		/* a clone seen on two fixtures at once says nothing about the
		 * device that owns the UID: it is not held against it */
		if (reason && !strcmp(reason, "duplicate-uid"))
			return;
		f->quarantined = true;
		f->quarantine_index = sg_record_index(r);
		snprintf(f->reason, sizeof f->reason, "%s", reason ? reason : "quarantined");
	}
}

struct unit_walk {
	station_record_fn fn;
	void *arg;
	struct sg_err *err;
};

static int unit_record(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct unit_walk *w = arg;
	struct sg_record *r;
	(void)index;
	/* Only the station's records matter; a cheap test before parsing. */
	if (!memmem(leaf, len, "\"type\":\"unit.", 13))
		return 0;
	int rc = sg_record_parse(leaf, len, &r, w->err);
	if (!rc) {
		rc = w->fn(w->arg, r, w->err);
		sg_record_free(r);
	}
	return rc;
}

int station_unit_records(struct sg_ledger *l, uint64_t from, uint64_t to, station_record_fn fn,
			 void *arg, struct sg_err *err)
{
	struct unit_walk w = { fn, arg, err };
	return sg_ledger_records(l, from, to, unit_record, &w, err);
}

static int index_record(void *arg, const struct sg_record *r, struct sg_err *err)
{
	const char *device = sg_record_field(r, "device");
	struct station_ledger_facts *f = device ? facts_for(arg, device) : NULL;
	if (device && !f)
		return sg_errf(err, SG_EENV, "out of memory");
	if (f)
		learn(f, r);
	return SG_OK;
}

int station_index_update(struct station_index *ix, struct sg_ledger *l, struct sg_err *err)
{
	uint64_t size;
	int rc = sg_ledger_size(l, &size, NULL, err);
	if (rc || size <= ix->size)
		return rc;
	if (!(rc = station_unit_records(l, ix->size, size, index_record, ix, err)))
		ix->size = size;
	return rc;
}

void station_index_get(struct station_index *ix, const char *device,
		       struct station_ledger_facts *out)
{
	struct entry *e = lookup(ix, device);
	if (e->device)
		*out = e->facts;
	else
		memset(out, 0, sizeof *out);
}
