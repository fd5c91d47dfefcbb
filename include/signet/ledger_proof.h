/* Proof files (docs/ledger.md, "Proof files"): an RFC 9162 inclusion or
 * consistency proof with everything needed to check it offline, given the
 * ledger's public key: the record itself (inclusion) and the signed
 * checkpoint(s) the proof leads to. Text, one "key value" line each. */
#ifndef SIGNET_LEDGER_PROOF_H
#define SIGNET_LEDGER_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "signet/err.h"

#define SG_PROOF_MAX_PATH 64		 /* a tree of 2^64 leaves needs no more */
#define SG_PROOF_MAX_RECORD (64 * 1024) /* the ledger's record limit */
#define SG_PROOF_MAX_NOTE (16 * 1024)	 /* a signed checkpoint */
#define SG_PROOF_MAX_FILE (256 * 1024)

enum sg_proof_kind { SG_PROOF_INCLUSION = 1, SG_PROOF_CONSISTENCY = 2 };

struct sg_ledger_proof {
	enum sg_proof_kind kind;
	char origin[256];
	uint64_t size;	   /* the tree size the proof leads to (its checkpoint's) */
	uint64_t index;	   /* inclusion: the record's index */
	uint64_t old_size; /* consistency: the older tree's size */
	uint8_t *record;   /* inclusion: the leaf's bytes (malloc'ed) */
	size_t record_len;
	uint8_t leaf_hash[32]; /* inclusion: SHA-256(0x00 || record) as the file states it */
	uint8_t path[SG_PROOF_MAX_PATH][32];
	size_t path_len;
	char *checkpoint;     /* the signed note of size (malloc'ed, NUL-terminated) */
	char *old_checkpoint; /* consistency: the signed note of old_size */
};

/* Writes p as a proof file into a malloc'ed, NUL-terminated *out. */
int sg_proof_format(const struct sg_ledger_proof *p, char **out, size_t *len, struct sg_err *err);

/* Parses a proof file strictly (every line in its place, canonical numbers
 * and base64, the limits above) into p, which the caller frees with
 * sg_proof_free. Syntax only: the caller checks the proof (the
 * checkpoint's signature, the leaf hash, the path). SG_EINPUT naming the
 * line otherwise; name prefixes the message. */
int sg_proof_parse(const char *name, const uint8_t *text, size_t len, struct sg_ledger_proof *p,
		   struct sg_err *err);

void sg_proof_free(struct sg_ledger_proof *p);

struct sg_note_key;
struct sg_checkpoint;
/* Checks a parsed proof offline: its checkpoint(s) signed by one of keys
 * for the proof's origin and sizes; for inclusion, the record is a valid
 * canonical record with the proof's index and origin whose leaf hash is
 * the one stated, and the path leads from it to the checkpoint's root; for
 * consistency, the path proves the old tree a prefix of the new. SG_OK
 * with *cp the (newer) checkpoint, or SG_FAIL saying which check failed
 * (SG_EENV out of memory). */
int sg_proof_check(const struct sg_ledger_proof *p, const struct sg_note_key *keys, size_t nkeys,
		   struct sg_checkpoint *cp, struct sg_err *err);

#endif
