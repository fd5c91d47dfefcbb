/* signet ledger: the subcommands share these (cli/cmd_ledger.c parses). */
#ifndef SIGNET_CLI_LEDGER_H
#define SIGNET_CLI_LEDGER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "signet/checkpoint.h"
#include "signet/ledger.h"

#define LEDGER_MAX_KEYS 8

struct ledger_args {
	const char *sub; /* the subcommand */
	const char *ledger, *origin, *type, *record, *key, *module, *out;
	const char *pubkeys[LEDGER_MAX_KEYS];
	int npubkeys;
	const char *checkpoints[LEDGER_MAX_KEYS]; /* verify --checkpoint */
	int ncheckpoints;
	const char *index, *device, *serial, *digest; /* prove */
	const char *from, *to;			       /* consistency */
	const char *proof;			       /* check-proof */
	const char *since, *until, *status, *format;   /* show, export */
	const char *tiles;			       /* export --tiles DIR */
	const char *html;			       /* report */
	bool json;
};

/* Opens a.ledger (read-only unless write), reporting failures. */
int ledger_open(const struct ledger_args *a, bool write, struct sg_ledger **l);

/* Loads --pubkey files (PEM public keys or verifier key strings) as note
 * keys; *n of them. Reports failures. */
int ledger_keys(const struct ledger_args *a, struct sg_note_key *keys, size_t *n);
void ledger_keys_clear(struct sg_note_key *keys, size_t n);
/* One --pubkey: a verifier key string if it has the form NAME+HEX8+BASE64
 * and is no file, else a PEM (or DER) public key file (also for signet
 * evidence). */
int ledger_load_key(const char *spec, struct sg_note_key *key, struct sg_err *err);

/* "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DD" (*is_date set) as a time; -1 when
 * malformed (show --since/--until, signet evidence). */
int ledger_parse_time(const char *s, time_t *t, int *is_date);

/* Reads a signed checkpoint file (a note) into a malloc'ed NUL-terminated
 * buffer. Reports failures. */
int ledger_read_note(const char *path, char **note, size_t *len);

/* Stored checkpoints, collected for an audit (verify, verify --from):
 * ledger_cps_add is an sg_ledger_checkpoint_fn (SG_EENV out of memory);
 * ledger_cps_audit checks, through sg_audit_checkpoint, every one of them
 * whose size is the audit's tree size, from *next on. */
struct ledger_cp {
	uint64_t size;
	char *note;
};
struct ledger_cps {
	struct ledger_cp *v;
	size_t n, cap;
};
struct sg_audit;
int ledger_cps_add(void *arg, uint64_t size, const uint8_t root[SG_MERKLE_HASH_LEN], const char *note);
int ledger_cps_audit(struct sg_audit *au, const struct ledger_cps *c, size_t *next, struct sg_err *err);
void ledger_cps_free(struct ledger_cps *c);

/* Writes text to -o FILE atomically, or stdout. Reports failures. */
int ledger_output(const char *out, const void *text, size_t len);

int ledger_verify(const struct ledger_args *a);
int ledger_check_proof(const struct ledger_args *a);
int ledger_prove(const struct ledger_args *a);
int ledger_consistency(const struct ledger_args *a);
int ledger_show(const struct ledger_args *a);
int ledger_export(const struct ledger_args *a);
/* export --tiles (cli/ledger_tiles.c) */
int ledger_export_tiles(const struct ledger_args *a);
/* report (cli/ledger_report.c) */
int ledger_report(const struct ledger_args *a);
/* sync, and verify --from postgresql:// (cli/ledger_sync.c) */
int ledger_sync(const struct ledger_args *a);
int ledger_verify_central(const struct ledger_args *a);

#endif
