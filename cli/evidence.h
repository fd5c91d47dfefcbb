/* signet evidence: the auditor's evidence pack (docs/evidence.md).
 *
 * A pack is a directory whose index.json lists every file with its
 * SHA-256 and everything derived from them. Writing and verifying share
 * one derivation (evidence_derive_*): the writer copies its inputs into the
 * pack, then derives the index from the copies; verify derives it again
 * from the pack and compares. So whatever the writer states, verify
 * recomputes from the same bytes with the same code. Paths in the index
 * are relative to the pack; the derivation runs inside the pack's
 * directory, so that its messages name pack files whatever the pack's
 * location. */
#ifndef SIGNET_CLI_EVIDENCE_H
#define SIGNET_CLI_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "signet/err.h"

#define EVIDENCE_FORMAT 1

/* What a derivation found wrong (verify), or the writer's failure. */
struct ev_problems {
	json_t *list; /* [{"file":..,"reason":..}] */
	bool all;     /* keep going after the first (verify --json) */
	int status;   /* the worst: SG_FAIL, SG_EINPUT, SG_EENV */
	bool in_pack; /* verify: malformed pack files are mismatches (SG_FAIL) */
};

struct ev_pack {
	bool verifying;		 /* produced files are compared, not written */
	json_t *files;		 /* writing: the files' entries, in order */
	struct ev_problems *probs; /* verifying: the mismatches */
};

/* Notes a problem about file (a pack path); returns status. */
int ev_problem(struct ev_problems *p, int status, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* True when verification should stop (a problem, and not --json). */
bool ev_stop(const struct ev_problems *p);

/* A file the derivation produces (an inspection, a chain's PEM): written
 * and listed when writing, compared byte for byte when verifying. */
int ev_put(struct ev_pack *pk, const char *path, const char *kind, const void *data, size_t len);
/* Lists a file already in the pack (writing): its entry in files. */
void ev_list_entry(struct ev_pack *pk, const char *path, const char *kind, const uint8_t sha[32],
		   uint64_t size);
/* SHA-256 and size of a file, streamed. */
int ev_hash_file(const char *path, uint8_t sha[32], uint64_t *size, struct sg_err *err);
/* Creates the directories of path's parent (relative, in the pack). */
int ev_mkdirs(const char *path, struct sg_err *err);
/* Lower-case hex of a SHA-256 as a JSON string. */
json_t *ev_sha_json(const uint8_t sha[32]);

/* Writes data as a new file (exclusive, durable), its directories made. */
int ev_write_new(const char *path, const void *data, size_t len, struct sg_err *err);

/* The inputs: pack paths of the copies (envelopes, sboms, roots, crls:
 * arrays of strings) and of the ledger's files (checkpoint, key, proofs;
 * checkpoint NULL without a ledger). */
struct ev_inputs {
	json_t *envelopes, *sboms, *roots, *crls, *proofs;
	const char *checkpoint, *key;
	const char *kind;	   /* "release" or "units" */
	const char *since, *until; /* units: the scope as given (NULL: open) */
};

/* The derivation, in the pack's directory, into idx: first the files'
 * members (sboms, trust_roots, crls, releases), then the ledger's (ledger,
 * units), which needs the first to tell what a record is about. Returns
 * pk->probs->status. */
int evidence_derive_files(struct ev_pack *pk, const struct ev_inputs *in, json_t *idx);
int evidence_derive_ledger(struct ev_pack *pk, const struct ev_inputs *in, json_t *idx);

/* cli/evidence_release.c: one envelope's entry (inspection, SBOM, chains
 * checked against roots and crls: STACK_OF(X509), STACK_OF(X509_CRL)),
 * and the entries of a roots or CRL file (its contents pushed on stack)
 * and of an SBOM. NULL with *rc set on failure. */
json_t *ev_release(struct ev_pack *pk, const char *path, const json_t *sboms, void *roots,
		   void *crls, int *rc);
json_t *ev_certs_file(struct ev_pack *pk, const char *path, bool crl, void *stack, int *rc);
json_t *ev_sbom(struct ev_pack *pk, const char *path, int *rc);

/* cli/evidence_ledger.c: the ledger member from the pack alone: the
 * checkpoint verified with the recorded key, every proof checked against
 * both, each record tied to what it is about in idx (release) or found in
 * the scope (units). */
json_t *ev_ledger(struct ev_pack *pk, const struct ev_inputs *in, const json_t *idx, int *rc);
/* Units: counts per status, station and day of the ledger member's records. */
json_t *ev_units(const json_t *ledger);
/* Parses --since/--until (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; a date as
 * --until means through that day). -1 when malformed. */
int ev_parse_time(const char *s, bool until, int64_t *t);

/* The command's options. */
#define EV_MAX_INPUTS 64
struct ev_make_args {
	const char *envelopes[EV_MAX_INPUTS], *sboms[EV_MAX_INPUTS], *roots[EV_MAX_INPUTS],
		*crls[EV_MAX_INPUTS];
	int nenvelopes, nsboms, nroots, ncrls;
	bool units;
	const char *ledger, *ledger_pubkey, *since, *until, *out;
	char *ledger_file, *pubkey_file; /* resolved from where the command started */
};

/* The writer's side: the ledger's latest checkpoint (verified with
 * --ledger-pubkey), that key and a proof of every record in scope, into
 * the pack; in->checkpoint, key and proofs set. */
int ev_ledger_collect(struct ev_pack *pk, const struct ev_make_args *a, struct ev_inputs *in,
		      const json_t *idx);

/* cli/evidence_html.c: index.html, a function of the index alone
 * (malloc'ed into *out). SG_OK or SG_EENV. */
int ev_html(const json_t *idx, char **out, size_t *len);

int evidence_make(const struct ev_make_args *a);
int evidence_verify(const char *dir, const char *const *pubkeys, int npubkeys, bool json);

#endif
