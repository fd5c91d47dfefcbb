/* Auditing a ledger from its raw records (docs/ledger.md, "Verification"):
 * every leaf is a canonical record of a known type whose index is its
 * position and whose origin is the ledger's; the tree is recomputed from
 * the leaves alone (no stored hash is trusted); every checkpoint is signed
 * by a given key, names the ledger's origin and has the root of the first
 * `size` leaves; checkpoint sizes only grow. The source of the leaves is
 * the caller's (the local SQLite store, the central PostgreSQL copy), fed
 * in index order with checkpoints interleaved where the tree reaches their
 * size, so memory stays O(log n).
 *
 * A failure is SG_FAIL with a message naming the first bad record index or
 * checkpoint size ("record 41: ...", "checkpoint 1000: ..."); *bad_index
 * of sg_audit_result says which record (UINT64_MAX: none). */
#ifndef SIGNET_LEDGER_AUDIT_H
#define SIGNET_LEDGER_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "signet/checkpoint.h"
#include "signet/err.h"
#include "signet/merkle.h"

struct sg_audit {
	char origin[SG_NOTE_NAME_MAX + 1];
	const struct sg_note_key *keys;
	size_t nkeys;
	struct sg_merkle_range range; /* the tree of the leaves fed so far */
	uint64_t checkpoints;	      /* checkpoints checked */
	uint64_t last_checkpoint;     /* the size of the last one (0: none yet) */
	uint64_t bad_index;	      /* the record a failure is about, or UINT64_MAX */
};

/* Starts an audit of the ledger named origin against keys (kept by
 * reference: they must outlive the audit). */
void sg_audit_init(struct sg_audit *a, const char *origin, const struct sg_note_key *keys,
		   size_t nkeys);

/* Feeds the leaf of index a->range.size. */
int sg_audit_leaf(struct sg_audit *a, const uint8_t *leaf, size_t len, struct sg_err *err);

/* Checks a signed checkpoint whose size must be a->range.size (the caller
 * feeds it when the tree reaches that size); *cp gets it. */
int sg_audit_checkpoint(struct sg_audit *a, const char *note, size_t len,
			struct sg_checkpoint *cp, struct sg_err *err);

#endif
