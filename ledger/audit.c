/* Auditing a ledger from its raw records: see signet/ledger_audit.h. */
#include "signet/ledger_audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "signet/ledger_record.h"

void sg_audit_init(struct sg_audit *a, const char *origin, const struct sg_note_key *keys,
		   size_t nkeys)
{
	memset(a, 0, sizeof *a);
	snprintf(a->origin, sizeof a->origin, "%s", origin);
	a->keys = keys;
	a->nkeys = nkeys;
	a->bad_index = UINT64_MAX;
}

static int bad_record(struct sg_audit *a, struct sg_err *err, const char *why)
{
	a->bad_index = a->range.size;
	return sg_errf(err, SG_FAIL, "record %" PRIu64 ": %s", a->range.size, why);
}

int sg_audit_leaf(struct sg_audit *a, const uint8_t *leaf, size_t len, struct sg_err *err)
{
	struct sg_record *r;
	struct sg_err why;
	uint8_t hash[SG_MERKLE_HASH_LEN];

	if (sg_record_parse(leaf, len, &r, &why) != SG_OK) {
		if (why.status == SG_EENV)
			return sg_errf(err, SG_EENV, "%s", why.msg);
		return bad_record(a, err, why.msg);
	}
	int index_ok = sg_record_index(r) == a->range.size;
	int origin_ok = strcmp(sg_record_origin(r), a->origin) == 0;
	sg_record_free(r);
	if (!index_ok)
		return bad_record(a, err, "its index field is not its position in the log");
	if (!origin_ok)
		return bad_record(a, err, "its origin is not the ledger's");
	sg_merkle_leaf_hash(leaf, len, hash);
	return sg_merkle_range_append(&a->range, hash, NULL, NULL);
}

int sg_audit_checkpoint(struct sg_audit *a, const char *note, size_t len,
			struct sg_checkpoint *cp, struct sg_err *err)
{
	struct sg_err why;
	uint8_t root[SG_MERKLE_HASH_LEN];
	uint64_t size = a->range.size;

	int rc = sg_checkpoint_verify(note, len, a->keys, a->nkeys, cp, &why);
	if (rc == SG_EENV)
		return sg_errf(err, rc, "checkpoint %" PRIu64 ": %s", size, why.msg);
	if (rc)
		return sg_errf(err, SG_FAIL, "checkpoint %" PRIu64 ": %s", size, why.msg);
	if (strcmp(cp->origin, a->origin))
		return sg_errf(err, SG_FAIL, "checkpoint %" PRIu64 ": origin '%s' is not the ledger's",
			       size, cp->origin);
	if (cp->size != size)
		return sg_errf(err, SG_FAIL, "checkpoint %" PRIu64 ": says tree size %" PRIu64, size,
			       cp->size);
	if (a->checkpoints && size <= a->last_checkpoint)
		return sg_errf(err, SG_FAIL,
			       "checkpoint %" PRIu64 ": not larger than the one before (%" PRIu64 ")",
			       size, a->last_checkpoint);
	sg_merkle_range_root(&a->range, root);
	if (memcmp(root, cp->root, sizeof root)) {
		/* The records no longer make the tree that was signed. The raw
		 * records alone cannot say which one changed: it is one after the
		 * last checkpoint that matched (the stored leaf hashes may say). */
		uint64_t from = a->checkpoints ? a->last_checkpoint : 0;
		a->bad_index = from;
		return sg_errf(err, SG_FAIL,
			       "checkpoint %" PRIu64 ": the records are not the tree it signed "
			       "(one of records %" PRIu64 "..%" PRIu64 " was changed, removed or moved)",
			       size, from, size ? size - 1 : 0);
	}
	a->checkpoints++;
	a->last_checkpoint = size;
	return SG_OK;
}
