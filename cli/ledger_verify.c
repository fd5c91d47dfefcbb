/* signet ledger verify and check-proof. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ledger.h"
#include "signet/fileio.h"
#include "signet/ledger_audit.h"
#include "signet/ledger_proof.h"

/* Checkpoints kept elsewhere (--checkpoint): signed by a key, of this
 * ledger; their roots are compared when the tree reaches their size. */
struct outside_cp {
	const char *path;
	struct sg_checkpoint cp;
};

static int load_outside(const struct ledger_args *a, const struct sg_note_key *keys, size_t nkeys,
			const char *origin, struct outside_cp *out, struct sg_err *err)
{
	for (int i = 0; i < a->ncheckpoints; i++) {
		uint8_t *note;
		size_t len;
		struct sg_err why;
		if (sg_read_file(a->checkpoints[i], SG_NOTE_MAX, &note, &len, err))
			return err->status;
		int rc = sg_checkpoint_verify((char *)note, len, keys, nkeys, &out[i].cp, &why);
		free(note);
		if (rc)
			return sg_errf(err, rc == SG_EENV ? SG_EENV : SG_FAIL, "%s: %s",
				       a->checkpoints[i], why.msg);
		if (strcmp(out[i].cp.origin, origin))
			return sg_errf(err, SG_FAIL, "%s: a checkpoint of '%s', not of this ledger ('%s')",
				       a->checkpoints[i], out[i].cp.origin, origin);
		out[i].path = a->checkpoints[i];
	}
	return SG_OK;
}

/* Checks every checkpoint of the current tree size. */
static int at_size(struct sg_audit *au, const struct ledger_cps *c, size_t *next,
		   const struct outside_cp *out, int nout, struct sg_err *err)
{
	uint64_t size = au->range.size;
	int rc = ledger_cps_audit(au, c, next, err);
	if (rc)
		return rc;
	for (int i = 0; i < nout; i++) {
		uint8_t root[SG_MERKLE_HASH_LEN];
		if (out[i].cp.size != size)
			continue;
		sg_merkle_range_root(&au->range, root);
		if (memcmp(root, out[i].cp.root, sizeof root))
			return sg_errf(err, SG_FAIL,
				       "%s: the ledger's first %" PRIu64
				       " records are not the tree this checkpoint signed (rewritten "
				       "since)",
				       out[i].path, size);
	}
	return SG_OK;
}

/* The walk over the records: checkpoints of each size, then the leaf. */
struct walk {
	struct sg_audit au;
	const struct ledger_cps *c;
	size_t next;
	const struct outside_cp *out;
	int nout;
	struct sg_err *err;
};

static int audit_one(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct walk *w = arg;
	(void)index; /* the walk is in index order: the audit counts */
	int rc = at_size(&w->au, w->c, &w->next, w->out, w->nout, w->err);
	return rc ? rc : sg_audit_leaf(&w->au, leaf, len, w->err);
}

/* The audit proper: every record and stored checkpoint, in order. Its
 * messages ("record 41: ...") get the ledger's name. */
static int walk_records(struct sg_ledger *l, struct walk *w, uint64_t size, const char *path)
{
	int rc = sg_ledger_records(l, 0, size, audit_one, w, w->err);
	if (!rc)
		rc = at_size(&w->au, w->c, &w->next, w->out, w->nout, w->err);
	if (!rc && w->next < w->c->n)
		rc = sg_errf(w->err, SG_FAIL,
			     "checkpoint %" PRIu64 ": the ledger holds only %" PRIu64
			     " records (records were removed)",
			     w->c->v[w->next].size, size);
	if (rc == SG_FAIL) {
		struct sg_err named;
		sg_errf(&named, rc, "ledger '%s': %s", path, w->err->msg);
		*w->err = named;
	}
	return rc;
}

static int audit(struct sg_ledger *l, const struct ledger_args *a, const struct sg_note_key *keys,
		 size_t nkeys, uint64_t *size, uint64_t *ncp, struct sg_err *err)
{
	struct ledger_cps c = { 0 };
	struct outside_cp out[LEDGER_MAX_KEYS];
	struct walk w = { .c = &c, .out = out, .nout = a->ncheckpoints, .err = err };

	/* The stored hashes first: they locate a changed record exactly. */
	int rc = sg_ledger_verify_tree(l, NULL, NULL, size, err);
	if (!rc && (rc = sg_ledger_checkpoints(l, ledger_cps_add, &c, err)) == SG_EENV)
		sg_errf(err, rc, "out of memory");
	if (!rc)
		rc = load_outside(a, keys, nkeys, sg_ledger_origin(l), out, err);
	sg_audit_init(&w.au, sg_ledger_origin(l), keys, nkeys);
	if (!rc)
		rc = walk_records(l, &w, *size, a->ledger);
	for (int i = 0; !rc && i < a->ncheckpoints; i++)
		if (out[i].cp.size > *size)
			rc = sg_errf(err, SG_FAIL,
				     "%s: of %" PRIu64 " records, the ledger holds only %" PRIu64
				     " (records were removed)",
				     out[i].path, out[i].cp.size, *size);
	*ncp = w.au.checkpoints;
	ledger_cps_free(&c);
	return rc;
}

int ledger_verify(const struct ledger_args *a)
{
	struct sg_note_key keys[LEDGER_MAX_KEYS];
	struct sg_ledger *l;
	struct sg_err err;
	size_t nkeys;
	uint64_t size = 0, ncp = 0;

	if (a->from && !a->ledger)
		return ledger_verify_central(a);
	int rc = ledger_keys(a, keys, &nkeys);
	if (rc)
		return rc;
	if ((rc = ledger_open(a, false, &l))) {
		ledger_keys_clear(keys, nkeys);
		return rc;
	}
	rc = audit(l, a, keys, nkeys, &size, &ncp, &err);
	sg_ledger_close(l);
	ledger_keys_clear(keys, nkeys);
	if (rc)
		return cli_report(&err);
	fprintf(stderr, "signet: %s: %" PRIu64 " records and %" PRIu64 " checkpoints verified\n",
		a->ledger, size, ncp);
	return SG_OK;
}

int ledger_check_proof(const struct ledger_args *a)
{
	struct sg_note_key keys[LEDGER_MAX_KEYS];
	struct sg_ledger_proof p;
	struct sg_checkpoint cp;
	struct sg_err err;
	uint8_t *text;
	size_t nkeys, len;

	if (!a->proof)
		return cli_usage_error("ledger", "check-proof needs a PROOF file");
	int rc = ledger_keys(a, keys, &nkeys);
	if (rc)
		return rc;
	rc = sg_read_file(a->proof, SG_PROOF_MAX_FILE, &text, &len, &err);
	if (!rc) {
		rc = sg_proof_parse(a->proof, text, len, &p, &err);
		free(text);
	}
	if (!rc) {
		struct sg_err why;
		rc = sg_proof_check(&p, keys, nkeys, &cp, &why);
		if (rc)
			sg_errf(&err, rc, "%s: %s", a->proof, why.msg);
		else if (p.kind == SG_PROOF_INCLUSION)
			fprintf(stderr, "signet: %s: record %" PRIu64 " is in %s's log of %" PRIu64
					" records (checkpoint verified)\n",
				/* cppcheck-suppress uninitStructMember ; sg_proof_parse filled p */
				a->proof, p.index, p.origin, p.size);
		else
			fprintf(stderr, "signet: %s: %s's log of %" PRIu64
					" records is a prefix of its log of %" PRIu64 " (checkpoints verified)\n",
				/* cppcheck-suppress uninitStructMember ; sg_proof_parse filled p */
				a->proof, p.origin, p.old_size, p.size);
		sg_proof_free(&p);
	}
	ledger_keys_clear(keys, nkeys);
	return rc ? cli_report(&err) : SG_OK;
}
