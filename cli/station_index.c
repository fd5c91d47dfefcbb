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

struct walk {
	struct station_index *ix;
	struct sg_err err;
	int status;
};

static int one_record(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct walk *w = arg;
	struct sg_record *r;
	(void)index;
	/* Only the station's records matter; a cheap test before parsing. */
	if (!memmem(leaf, len, "\"type\":\"unit.", 13))
		return 0;
	if (sg_record_parse(leaf, len, &r, &w->err))
		return w->status = w->err.status ? w->err.status : SG_EENV;
	const char *device = sg_record_field(r, "device");
	struct station_ledger_facts *f = device ? facts_for(w->ix, device) : NULL;
	if (f)
		learn(f, r);
	sg_record_free(r);
	if (device && !f)
		return w->status = sg_errf(&w->err, SG_EENV, "out of memory");
	return 0;
}

int station_index_update(struct station_index *ix, struct sg_ledger *l, struct sg_err *err)
{
	uint64_t size;
	struct walk w = { ix, { 0 }, 0 };
	int rc = sg_ledger_size(l, &size, NULL, err);
	if (rc || size <= ix->size)
		return rc;
	rc = sg_ledger_records(l, ix->size, size, one_record, &w, err);
	if (w.status) {
		*err = w.err;
		return w.status;
	}
	if (!rc)
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
