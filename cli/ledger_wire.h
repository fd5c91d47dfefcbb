/* Recording what sign, cosign and pki do in an audit ledger (--ledger L,
 * --ledger-key URI; docs/ledger.md, "Recording signing and issuance").
 * cli/ledger_wire.c; it calls no command file back. Every function reports
 * its own failure (cli_report) and returns the exit status. */
#ifndef SIGNET_CLI_LEDGER_WIRE_H
#define SIGNET_CLI_LEDGER_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "signet/envelope.h"
#include "signet/err.h"
#include "signet/sign.h"

struct sg_ledger;
struct sg_hsm_ctx;
struct sg_record_builder;

/* A ledger a command writes to; l is NULL when no --ledger was given, and
 * then every function below does nothing. */
struct wire {
	const char *path;    /* --ledger */
	const char *key_uri; /* --ledger-key: cut a checkpoint at the end */
	struct sg_ledger *l;
	time_t now;          /* the records' time ($SOURCE_DATE_EPOCH or now) */
	bool quiet;          /* no "record N appended" lines (the station's own UI says) */
	/* What this run did to the ledger, for --json (docs/json.md): the
	 * index of the last record appended and the size of the checkpoint
	 * cut, each with a flag saying whether there was one. */
	bool appended, checkpointed;
	uint64_t last_index, checkpoint_size;
};

/* Checks the options (--ledger-key needs --ledger; cmd names the command
 * for the usage error) and opens the ledger for writing. */
int wire_open(struct wire *w, const char *cmd, const char *path, const char *key_uri);
void wire_close(struct wire *w);

/* One record to append: its type and its fields, built and checked (a
 * record that would be refused is refused here, before anything is
 * appended), and its time (0: the wire's). */
struct wire_rec {
	const char *type;
	char *json;
	size_t len;
	time_t time;
};
/* Takes the fields of b (and frees b) into r, checked against the type;
 * err says why not (the caller reports). */
int wire_rec_take(struct wire_rec *r, const char *type, struct sg_record_builder *b,
		  struct sg_err *err);
void wire_rec_clear(struct wire_rec *r);

/* Appends n records in one transaction, durable when it returns; *first
 * (may be NULL) gets the first one's index. err says why not. */
int wire_append(struct wire *w, const struct wire_rec *recs, size_t n, uint64_t *first,
		struct sg_err *err);

/* With --ledger-key: that the key is in the token and can sign
 * checkpoints (ed25519, ecdsa-p256), checked before anything is done, so
 * that a bad --ledger-key refuses the command rather than failing at its
 * end. Reports what is wrong. */
int wire_check_key(struct wire *w, struct sg_hsm_ctx *hsm);

/* With --ledger-key: cuts a checkpoint of the ledger now and stores it.
 * err says why not. */
int wire_checkpoint(struct wire *w, struct sg_hsm_ctx *hsm, struct sg_err *err);

/* A release being published by sign, sign --complete or cosign. */
struct wire_release {
	bool mcuboot;       /* an MCUboot image, else a signet envelope */
	const char *out;    /* the file published */
	const struct sg_version *version; /* NULL: not known before */
	const char *hw_id;  /* as given, to check that it can be recorded */
	/* MCUboot: the public halves (EVP_PKEY) of the keys that sign, whose
	 * SPKI hashes are the record's key ids (the image names its keys by
	 * KEYHASH or PUBKEY, which are matched against them). */
	void *pkeys[SG_SIGN_MAX_KEYS];
	size_t npkeys;
};

/* Before the release is published: checks that what will be recorded can
 * be, then appends release.started. */
int wire_release_started(struct wire *w, const struct wire_release *r);
/* After it is published: reads the file back, appends release.signed and
 * cuts the checkpoint (--ledger-key). */
int wire_release_signed(struct wire *w, const struct wire_release *r, struct sg_hsm_ctx *hsm);
/* Before release.started: each certificate chain file (--cert) is readable
 * and its leaf certifies one of the keys that sign (pkeys, EVP_PKEY), one
 * chain per key, as signing will require; reports what is not. */
int wire_check_chains(const char *const *paths, size_t n, void *const *pkeys, size_t npkeys);

/* Frees r's public keys. */
void wire_release_clear(struct wire_release *r);

#endif
