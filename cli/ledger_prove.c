/* signet ledger prove and consistency: proof files (docs/ledger.md). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ledger.h"
#include "signet/ledger_proof.h"
#include "signet/ledger_record.h"
#include "signet/merkle.h"
#include "signet/num.h"

/* The latest stored checkpoint: its size and note (malloc'ed). */
struct latest {
	uint64_t size;
	char *note;
};

static int latest_checkpoint(struct sg_ledger *l, const char *path, struct latest *cp,
			     struct sg_err *err)
{
	memset(cp, 0, sizeof *cp);
	int rc = sg_ledger_checkpoint_get(l, SG_LEDGER_LATEST, &cp->size, NULL, &cp->note, err);
	if (rc == SG_FAIL)
		rc = sg_errf(err, SG_FAIL, "%s: no checkpoint yet (signet ledger checkpoint makes one)",
			     path);
	return rc;
}

/* What prove looks for: a field's value in a record, the type optional. */
struct wanted {
	const char *names[4]; /* fields that may hold it */
	const char *value;
	const char *type;
};

static int matches(const struct sg_record *r, const struct wanted *w)
{
	if (w->type && strcmp(sg_record_type(r), w->type))
		return 0;
	for (size_t i = 0; i < 4 && w->names[i]; i++) {
		const char *v = sg_record_field(r, w->names[i]);
		if (v && !strcmp(v, w->value))
			return 1;
	}
	return 0;
}

/* The latest record below size that w matches. */
static int find_record(struct sg_ledger *l, const struct wanted *w, uint64_t size,
		       uint64_t *index, struct sg_err *err)
{
	for (uint64_t i = size; i-- > 0;) {
		uint8_t *leaf;
		size_t len;
		struct sg_record *r;
		int rc = sg_ledger_leaf(l, i, &leaf, &len, err);
		if (rc)
			return rc;
		struct sg_err why;
		rc = sg_record_parse(leaf, len, &r, &why);
		free(leaf);
		if (rc)
			return sg_errf(err, SG_FAIL, "record %" PRIu64 ": %s (run signet ledger verify)",
				       i, why.msg);
		int hit = matches(r, w);
		sg_record_free(r);
		if (hit) {
			*index = i;
			return SG_OK;
		}
	}
	return sg_errf(err, SG_FAIL, "no record with %s %s in the first %" PRIu64 " records "
				     "(the latest checkpoint)",
		       w->names[0], w->value, size);
}

static int pick_index(const struct ledger_args *a, struct sg_ledger *l, uint64_t size,
		      uint64_t *index, struct sg_err *err)
{
	struct wanted w = { { NULL }, NULL, a->type };
	int given = !!a->index + !!a->device + !!a->serial + !!a->digest;
	if (given != 1)
		return cli_usage_error("ledger",
				       "prove needs one of --index, --device, --serial, --digest");
	if (a->index) {
		if (sg_parse_u64(a->index, 0, UINT64_MAX, index))
			return cli_usage_error("ledger", "--index '%s': not a decimal number", a->index);
		if (*index >= size)
			return sg_errf(err, SG_FAIL,
				       "record %" PRIu64 " is not in the latest checkpoint (tree size %" PRIu64
				       "): signet ledger checkpoint first",
				       *index, size);
		return SG_OK;
	}
	if (a->device)
		w = (struct wanted){ { "device" }, a->device, a->type };
	else if (a->serial)
		w = (struct wanted){ { "serial" }, a->serial, a->type };
	else
		w = (struct wanted){ { "digest", "file_sha256", "der_sha256", "sbom_digest" },
				     a->digest,
				     a->type };
	return find_record(l, &w, size, index, err);
}

static int inclusion_proof(const struct ledger_args *a, struct sg_ledger *l,
			   struct sg_ledger_proof *p, struct sg_err *err)
{
	struct latest cp;
	int rc = latest_checkpoint(l, a->ledger, &cp, err);
	if (rc)
		return rc;
	p->kind = SG_PROOF_INCLUSION;
	p->checkpoint = cp.note;
	p->size = cp.size;
	snprintf(p->origin, sizeof p->origin, "%s", sg_ledger_origin(l));
	if ((rc = pick_index(a, l, cp.size, &p->index, err)))
		return rc;
	if ((rc = sg_ledger_leaf(l, p->index, &p->record, &p->record_len, err)))
		return rc;
	sg_merkle_leaf_hash(p->record, p->record_len, p->leaf_hash);
	return sg_ledger_inclusion(l, p->index, p->size, p->path, &p->path_len, err);
}

/* Writes the proof to -o FILE or stdout. */
static int emit(const struct ledger_args *a, const struct sg_ledger_proof *p)
{
	struct sg_err err;
	char *text;
	size_t len;
	if (sg_proof_format(p, &text, &len, &err))
		return cli_report(&err);
	int rc = ledger_output(a->out, text, len);
	free(text);
	return rc;
}

int ledger_prove(const struct ledger_args *a)
{
	struct sg_ledger_proof p;
	struct sg_ledger *l;
	struct sg_err err = { 0 };

	memset(&p, 0, sizeof p);
	int rc = ledger_open(a, false, &l);
	if (rc)
		return rc;
	rc = inclusion_proof(a, l, &p, &err);
	sg_ledger_close(l);
	if (rc == SG_OK)
		rc = emit(a, &p);
	else if (err.msg[0])
		rc = cli_report(&err);
	sg_proof_free(&p);
	return rc;
}

/* A checkpoint file's note and body, and that the ledger's tree at its
 * size is the one it states (else the log forked or was rewritten). */
static int our_checkpoint(struct sg_ledger *l, const char *path, char *note, size_t len,
			  struct sg_checkpoint *cp, struct sg_err *err)
{
	uint8_t root[SG_MERKLE_HASH_LEN];
	uint64_t size;
	struct sg_err why = { 0 };
	const char *end = memmem(note, len, "\n\n", 2);
	if (!end || sg_checkpoint_parse(note, (size_t)(end - note) + 1, cp, &why))
		return sg_errf(err, SG_EINPUT, "%s: not a signed checkpoint%s%s", path,
			       end ? ": " : "", why.msg);
	if (strcmp(cp->origin, sg_ledger_origin(l)))
		return sg_errf(err, SG_FAIL, "%s: a checkpoint of '%s', not of this ledger ('%s')", path,
			       cp->origin, sg_ledger_origin(l));
	int rc = sg_ledger_size(l, &size, root, err);
	if (rc)
		return rc;
	if (cp->size > size)
		return sg_errf(err, SG_FAIL, "%s: of %" PRIu64 " records, the ledger holds only %" PRIu64,
			       path, cp->size, size);
	if ((rc = sg_ledger_root(l, cp->size, root, err)))
		return rc;
	if (memcmp(root, cp->root, sizeof root))
		return sg_errf(err, SG_FAIL,
			       "%s: the ledger's first %" PRIu64
			       " records are not the tree this checkpoint signed (the log forked)",
			       path, cp->size);
	return SG_OK;
}

static int consistency_proof(const struct ledger_args *a, struct sg_ledger *l,
			     struct sg_ledger_proof *p, struct sg_err *err)
{
	struct sg_checkpoint old, new;
	size_t len;
	int rc;

	p->kind = SG_PROOF_CONSISTENCY;
	snprintf(p->origin, sizeof p->origin, "%s", sg_ledger_origin(l));
	if ((rc = ledger_read_note(a->from, &p->old_checkpoint, &len)))
		return rc;
	if ((rc = our_checkpoint(l, a->from, p->old_checkpoint, len, &old, err)))
		return rc;
	if (a->to) {
		if ((rc = ledger_read_note(a->to, &p->checkpoint, &len)))
			return rc;
	} else {
		struct latest cp;
		if ((rc = latest_checkpoint(l, a->ledger, &cp, err)))
			return rc;
		p->checkpoint = cp.note;
		len = strlen(cp.note);
	}
	if ((rc = our_checkpoint(l, a->to ? a->to : "the latest checkpoint", p->checkpoint, len,
				 &new, err)))
		return rc;
	if (old.size > new.size || old.size == 0)
		return sg_errf(err, SG_EINPUT, "%s: tree size %" PRIu64 " is not in 1..%" PRIu64
					       " (the newer checkpoint's)",
			       a->from, old.size, new.size);
	p->old_size = old.size;
	p->size = new.size;
	return sg_ledger_consistency(l, old.size, new.size, p->path, &p->path_len, err);
}

int ledger_consistency(const struct ledger_args *a)
{
	struct sg_ledger_proof p;
	struct sg_ledger *l;
	struct sg_err err = { 0 };

	if (!a->from)
		return cli_usage_error("ledger", "consistency needs --from OLD.cp");
	memset(&p, 0, sizeof p);
	int rc = ledger_open(a, false, &l);
	if (rc)
		return rc;
	rc = consistency_proof(a, l, &p, &err);
	sg_ledger_close(l);
	if (rc == SG_OK)
		rc = emit(a, &p);
	else if (err.msg[0])
		rc = cli_report(&err);
	sg_proof_free(&p);
	return rc;
}
