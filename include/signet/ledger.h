/* The ledger store: one SQLite file per ledger holding the records (the
 * exact leaf bytes), every complete subtree hash of their RFC 9162 Merkle
 * tree (signet/merkle.h) and the checkpoints cut from it.
 *
 * Appends are durable when they return (WAL, synchronous=FULL) and several
 * processes appending to one file take turns: indexes stay gap-free. Proofs
 * read O(log n) stored hashes. The store never looks at a record's bytes,
 * takes no time from the clock and reads no environment.
 *
 * Threads: a handle is used by one thread at a time; threads that work on
 * one ledger at once each open their own handle (they serialize like
 * processes do). */
#ifndef SIGNET_LEDGER_H
#define SIGNET_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "signet/err.h"
#include "signet/merkle.h"

struct sg_ledger;

/* Opens for reading only: appends and checkpoint_put are refused. */
#define SG_LEDGER_READONLY 0x1u
/* As a checkpoint size: the largest one stored. */
#define SG_LEDGER_LATEST UINT64_MAX
/* How long an append waits for another writer before it gives up. */
#define SG_LEDGER_BUSY_TIMEOUT_MS 30000

/* Creates an empty ledger at path for `origin` (the C2SP checkpoint origin
 * line: 1..255 bytes of printable ASCII without spaces or '+'); `created`
 * (Unix seconds, the caller's clock) is recorded in it. Refuses an existing
 * file (SG_EINPUT); a failed create leaves no file behind. */
int sg_ledger_create(const char *path, const char *origin, int64_t created, struct sg_err *err);

/* Opens the ledger at path (flags: SG_LEDGER_READONLY or 0). A file that is
 * not a signet ledger or has another schema version is refused (SG_EINPUT). */
int sg_ledger_open(const char *path, unsigned flags, struct sg_ledger **l, struct sg_err *err);

/* Closes l (NULL is fine). */
void sg_ledger_close(struct sg_ledger *l);

/* The ledger's origin and creation time, as given to sg_ledger_create. */
const char *sg_ledger_origin(const struct sg_ledger *l);
int64_t sg_ledger_created(const struct sg_ledger *l);

/* Produces the leaf bytes of the record that will get `index`: *leaf is
 * malloc'ed and the store frees it. Returns SG_OK, or a status with err set:
 * the append then keeps nothing. */
typedef int (*sg_ledger_encode_fn)(void *arg, uint64_t index, uint8_t **leaf, size_t *len,
				   struct sg_err *err);

/* Appends `count` records in one transaction, calling enc for each with its
 * index, first_index (out, may be NULL) onwards without gaps. Returns only
 * once the records are durable; on any error nothing is kept (SG_EENV for
 * the file, busy for longer than SG_LEDGER_BUSY_TIMEOUT_MS or a full disk;
 * enc's status for enc's errors). count 0 appends nothing. */
int sg_ledger_append(struct sg_ledger *l, size_t count, sg_ledger_encode_fn enc, void *arg,
		     uint64_t *first_index, struct sg_err *err);

/* The number of records and the tree's root (root may be NULL). */
int sg_ledger_size(struct sg_ledger *l, uint64_t *size, uint8_t root[SG_MERKLE_HASH_LEN],
		   struct sg_err *err);

/* The root of the tree of the first `size` records (size <= the ledger's). */
int sg_ledger_root(struct sg_ledger *l, uint64_t size, uint8_t root[SG_MERKLE_HASH_LEN],
		   struct sg_err *err);

/* Record `index`'s bytes, malloc'ed into *leaf (the caller frees). */
int sg_ledger_leaf(struct sg_ledger *l, uint64_t index, uint8_t **leaf, size_t *len,
		   struct sg_err *err);

/* Calls fn with every record from `from` (inclusive) to `to` (exclusive,
 * clamped to the size) in index order; a nonzero return stops the walk and
 * is returned. The bytes are valid during the call only. */
typedef int (*sg_ledger_record_fn)(void *arg, uint64_t index, const uint8_t *leaf, size_t len);
int sg_ledger_records(struct sg_ledger *l, uint64_t from, uint64_t to, sg_ledger_record_fn fn,
		      void *arg, struct sg_err *err);

/* Calls fn with the stored hash of every complete subtree at level (2^level
 * leaves; level 0: the leaf hashes) with index from..to-1, in order: the
 * hashes tlog-tiles publishes. SG_EENV if one is missing (from..to must be
 * complete subtrees of the current tree). */
typedef int (*sg_ledger_node_fn)(void *arg, uint64_t index, const uint8_t hash[SG_MERKLE_HASH_LEN]);
int sg_ledger_nodes(struct sg_ledger *l, unsigned level, uint64_t from, uint64_t to,
		    sg_ledger_node_fn fn, void *arg, struct sg_err *err);
/* The inclusion proof of record `index` in the tree of `size` records, and
 * the consistency proof from size m to size n (signet/merkle.h has the
 * formats); sizes beyond the ledger's are refused (SG_EINPUT). */
int sg_ledger_inclusion(struct sg_ledger *l, uint64_t index, uint64_t size,
			uint8_t path[SG_MERKLE_MAX_PATH][SG_MERKLE_HASH_LEN], size_t *len,
			struct sg_err *err);
int sg_ledger_consistency(struct sg_ledger *l, uint64_t m, uint64_t n,
			  uint8_t path[SG_MERKLE_MAX_PATH][SG_MERKLE_HASH_LEN], size_t *len,
			  struct sg_err *err);

/* Stores a checkpoint: `note` (the signed note's text) for the tree of
 * `size` records whose root is `root`. Refused when size is beyond the
 * ledger (SG_EINPUT), root is not the ledger's root at size (SG_FAIL), or a
 * different note for size is stored (SG_EINPUT); storing the same note again
 * is a no-op. */
int sg_ledger_checkpoint_put(struct sg_ledger *l, uint64_t size,
			     const uint8_t root[SG_MERKLE_HASH_LEN], const char *note,
			     struct sg_err *err);

/* The checkpoint for `size` (or SG_LEDGER_LATEST): its size, root and note
 * (malloc'ed, the caller frees; any out may be NULL). SG_FAIL when there is
 * none. */
int sg_ledger_checkpoint_get(struct sg_ledger *l, uint64_t size, uint64_t *got_size,
			     uint8_t root[SG_MERKLE_HASH_LEN], char **note, struct sg_err *err);

/* Calls fn with every stored checkpoint, smallest size first; a nonzero
 * return stops the walk and is returned. */
typedef int (*sg_ledger_checkpoint_fn)(void *arg, uint64_t size,
				       const uint8_t root[SG_MERKLE_HASH_LEN], const char *note);
int sg_ledger_checkpoints(struct sg_ledger *l, sg_ledger_checkpoint_fn fn, void *arg,
			  struct sg_err *err);

enum sg_ledger_fault_kind {
	SG_LEDGER_LEAF_MISMATCH,       /* a record's bytes do not hash to its stored leaf hash */
	SG_LEDGER_RECORD_MISSING,      /* no record at an index below the size */
	SG_LEDGER_NODE_MISMATCH,       /* a stored subtree hash is not the records' */
	SG_LEDGER_NODE_MISSING,        /* a complete subtree has no stored hash */
	SG_LEDGER_NODE_EXTRA,          /* a stored hash of a subtree beyond the records */
	SG_LEDGER_CHECKPOINT_MISMATCH, /* a checkpoint's root is not the records' root */
	SG_LEDGER_CHECKPOINT_BEYOND,   /* a checkpoint for more records than there are */
};

/* One thing sg_ledger_verify_tree found wrong. index: the record it is
 * located at: the record itself; for a subtree, the first record of the
 * smallest stored subtree that does not match the records; for a
 * checkpoint, its last record (size - 1). */
struct sg_ledger_fault {
	enum sg_ledger_fault_kind kind;
	uint64_t index;
	unsigned level;     /* subtrees: the level and index of the node */
	uint64_t node;
	uint64_t size;      /* checkpoints: their size */
	char msg[200];      /* one line naming the fault, as in err */
};

/* Calls fn with a fault; a nonzero return stops the verification. */
typedef int (*sg_ledger_fault_fn)(void *arg, const struct sg_ledger_fault *f);

/* Recomputes the tree from the raw records in one pass (O(n) time, O(log n)
 * memory): every record against its stored leaf hash, every stored subtree
 * hash, every checkpoint's root at its size. Faults that follow from one
 * already reported (the subtrees above a bad record) are not reported again.
 * Returns SG_OK when nothing is wrong, SG_FAIL with err naming the fault at
 * the smallest index (fn, if not NULL, gets every fault in the order found),
 * or SG_EENV if the file cannot be read. *size (may be NULL): the number of
 * records verified. */
int sg_ledger_verify_tree(struct sg_ledger *l, sg_ledger_fault_fn fn, void *arg, uint64_t *size,
			  struct sg_err *err);

#endif
