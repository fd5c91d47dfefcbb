/* signet evidence: the ledger's part of a pack (docs/evidence.md, "The
 * ledger"): its latest checkpoint, the key that signed it, an inclusion
 * proof (signet ledger prove's format) of each record in scope, and, for
 * units, the counts those records give. The writer collects them from the
 * ledger (ev_ledger_collect); both sides then check them from the pack
 * alone (ev_ledger, ev_units). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "cli.h"
#include "evidence.h"
#include "ledger.h"
#include "signet/base64.h"
#include "signet/fileio.h"
#include "signet/ledger_proof.h"
#include "signet/ledger_record.h"
#include "signet/merkle.h"

int ev_parse_time(const char *s, bool until, int64_t *t)
{
	time_t v;
	int is_date;
	if (ledger_parse_time(s, &v, &is_date))
		return -1;
	*t = (int64_t)v + (until && is_date ? 86400 : 0); /* a date: through that day */
	return 0;
}

/* ---- what a record is about */

static bool sha_in(const json_t *list, const char *member, const char *sha)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(json_object_get(v, member));
		if (s && !strcmp(s, sha))
			return true;
	}
	return false;
}

/* The pack path a release-mode record is about: the envelope whose digest
 * a release.signed names, the chain or root holding the certificate a
 * cert.issued names, the CRL file a crl.issued names; NULL for none. */
static const char *about(const struct sg_record *r, const json_t *idx)
{
	const char *type = sg_record_type(r), *v;
	size_t i, j;
	json_t *e, *c;
	if (!strcmp(type, "release.signed") && (v = sg_record_field(r, "digest"))) {
		json_array_foreach(json_object_get(idx, "releases"), i, e) {
			const char *d = json_string_value(json_object_get(json_object_get(e, "digest"), "value"));
			if (d && !strcmp(d, v))
				return json_string_value(json_object_get(e, "envelope"));
		}
	} else if (!strcmp(type, "cert.issued") && (v = sg_record_field(r, "der_sha256"))) {
		json_array_foreach(json_object_get(idx, "releases"), i, e)
			json_array_foreach(json_object_get(e, "chains"), j, c)
				if (sha_in(json_object_get(c, "certificates"), "sha256", v))
					return json_string_value(json_object_get(c, "file"));
		json_array_foreach(json_object_get(idx, "trust_roots"), i, c)
			if (sha_in(json_object_get(c, "certificates"), "sha256", v))
				return json_string_value(json_object_get(c, "file"));
	} else if (!strcmp(type, "crl.issued") && (v = sg_record_field(r, "der_sha256"))) {
		json_array_foreach(json_object_get(idx, "crls"), i, c)
			if (sha_in(json_object_get(c, "crls"), "sha256", v))
				return json_string_value(json_object_get(c, "file"));
	}
	return NULL;
}

static const char *unit_status(const char *type)
{
	if (!strcmp(type, "unit.locked"))
		return "pass";
	if (!strcmp(type, "unit.failed"))
		return "fail";
	if (!strcmp(type, "unit.quarantined"))
		return "quarantine";
	return NULL;
}

struct scope {
	bool units;
	bool has_since, has_until;
	int64_t since, until;
	const json_t *idx; /* release: what records may be about */
};

static int make_scope(const struct ev_inputs *in, const json_t *idx, struct scope *s)
{
	memset(s, 0, sizeof *s);
	s->units = !strcmp(in->kind, "units");
	s->idx = idx;
	if (in->since && ev_parse_time(in->since, false, &s->since))
		return -1;
	if (in->until && ev_parse_time(in->until, true, &s->until))
		return -1;
	s->has_since = in->since;
	s->has_until = in->until;
	return 0;
}

static bool in_scope(const struct scope *s, const struct sg_record *r)
{
	if (!s->units)
		return about(r, s->idx) != NULL;
	int64_t t = (int64_t)sg_record_time(r);
	return !strncmp(sg_record_type(r), "unit.", 5) && (!s->has_since || t >= s->since) &&
	       (!s->has_until || t < s->until);
}

/* ---- the pack's side: checkpoint, key, proofs */

static int load_pack_key(struct ev_pack *pk, const char *path, struct sg_note_key *key)
{
	struct sg_err err;
	if (ledger_load_key(path, key, &err))
		return ev_problem(pk->probs, SG_FAIL, path, "%s", err.msg);
	return SG_OK;
}

/* The record a proof file proves, checked against the key and the
 * checkpoint note of the pack. */
static json_t *proof_entry(struct ev_pack *pk, const char *path, const struct sg_note_key *key,
			   const char *note, const struct scope *s, int *rc)
{
	struct sg_ledger_proof p;
	struct sg_checkpoint cp;
	struct sg_record *r = NULL;
	struct sg_err err;
	uint8_t *text = NULL;
	size_t len;
	json_t *j = NULL;
	memset(&p, 0, sizeof p);
	if ((*rc = sg_read_file(path, SG_PROOF_MAX_FILE, &text, &len, &err)) ||
	    (*rc = sg_proof_parse(path, text, len, &p, &err)) ||
	    // NOLINTNEXTLINE(bugprone-branch-clone): a bad proof, a bad record: one kind of problem
	    (*rc = sg_proof_check(&p, key, 1, &cp, &err))) {
		*rc = ev_problem(pk->probs, SG_FAIL, path, "%s", err.msg);
	} else if (p.kind != SG_PROOF_INCLUSION || strcmp(p.checkpoint, note)) {
		*rc = ev_problem(pk->probs, SG_FAIL, path,
				 "not an inclusion proof in the pack's checkpoint");
	} else if (sg_record_parse(p.record, p.record_len, &r, &err)) {
		*rc = ev_problem(pk->probs, SG_FAIL, path, "%s", err.msg);
	} else if (!in_scope(s, r)) {
		*rc = ev_problem(pk->probs, SG_FAIL, path, "record %" PRIu64 " (%s) is %s",
				 p.index, sg_record_type(r),
				 s->units ? "outside the scope" : "about nothing in this pack");
	} else {
		const char *st = unit_status(sg_record_type(r));
		j = json_pack("{s:I, s:s, s:s, s:s, s:s}", "index", (json_int_t)p.index, "type",
			      sg_record_type(r), "time", sg_record_field(r, "time"), "origin",
			      sg_record_origin(r), "proof", path);
		if (s->units)
			json_object_set_new(j, "status", st ? json_string(st) : json_null());
		else
			json_object_set_new(j, "about", json_string(about(r, s->idx)));
	}
	sg_record_free(r);
	sg_proof_free(&p);
	free(text);
	return j;
}

static json_t *checkpoint_json(const struct ev_inputs *in, const struct sg_checkpoint *cp,
			       const struct sg_note_key *key)
{
	char root[SG_BASE64_LEN(32) + 1], vkey[1024];
	struct sg_err err;
	if (sg_note_vkey(key, cp->origin, vkey, sizeof vkey, &err))
		vkey[0] = '\0';
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "origin", cp->origin, "tree_size",
			 (json_int_t)cp->size, "root", sg_base64_encode(cp->root, 32, root),
			 "checkpoint", in->checkpoint, "key", in->key, "vkey", vkey);
}

json_t *ev_ledger(struct ev_pack *pk, const struct ev_inputs *in, const json_t *idx, int *rc)
{
	struct sg_note_key key = { 0 };
	struct sg_checkpoint cp;
	struct sg_err err;
	struct scope s;
	uint8_t *note = NULL;
	size_t len;
	json_t *j = NULL;
	if (make_scope(in, idx, &s)) {
		*rc = ev_problem(pk->probs, SG_EINPUT, "index.json", "the scope's times are malformed");
		return NULL;
	}
	if ((*rc = load_pack_key(pk, in->key, &key)))
		return NULL;
	if ((*rc = sg_read_file(in->checkpoint, SG_NOTE_MAX, &note, &len, &err)) ||
	    (*rc = sg_checkpoint_verify((char *)note, len, &key, 1, &cp, &err))) {
		*rc = ev_problem(pk->probs, SG_FAIL, in->checkpoint, "%s (the key: %s)", err.msg,
				 in->key);
		goto done;
	}
	j = checkpoint_json(in, &cp, &key);
	json_t *records = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(in->proofs, i, v) {
		json_t *e = proof_entry(pk, json_string_value(v), &key, (char *)note, &s, rc);
		if (e)
			json_array_append_new(records, e);
		if (*rc && ev_stop(pk->probs))
			break;
	}
	json_object_set_new(j, "records", records);
done:
	sg_note_key_clear(&key);
	free(note);
	return j;
}

/* ---- units: counts per status, station and day */

static void bump(json_t *obj, const char *name, const char *status)
{
	json_t *t = json_object_get(obj, name);
	if (!t) {
		t = json_pack("{s:i, s:i, s:i, s:i}", "records", 0, "pass", 0, "fail", 0,
			      "quarantine", 0);
		json_object_set_new(obj, name, t);
	}
	json_object_set_new(t, "records", json_integer(json_integer_value(json_object_get(t, "records")) + 1));
	if (status)
		json_object_set_new(t, status,
				    json_integer(json_integer_value(json_object_get(t, status)) + 1));
}

json_t *ev_units(const json_t *ledger)
{
	json_t *all = json_object(), *station = json_object(), *day = json_object();
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(ledger, "records"), i, r) {
		const char *st = json_string_value(json_object_get(r, "status"));
		char d[11];
		snprintf(d, sizeof d, "%s", json_string_value(json_object_get(r, "time")));
		bump(all, "total", st);
		bump(station, json_string_value(json_object_get(r, "origin")), st);
		bump(day, d, st);
	}
	if (!json_object_get(all, "total"))
		json_object_set_new(all, "total", json_pack("{s:i, s:i, s:i, s:i}", "records", 0,
							    "pass", 0, "fail", 0, "quarantine", 0));
	json_t *j = json_pack("{s:O, s:o, s:o}", "total", json_object_get(all, "total"),
			      "by_station", station, "by_day", day);
	json_decref(all);
	return j;
}

/* ---- the writer's side: from the ledger into the pack */

struct collect {
	const struct scope *s;
	uint64_t cp_size, *hits;
	size_t n, cap;
	uint64_t late; /* a record in scope beyond the checkpoint, +1; 0: none */
	char late_buf[64];
};

static int collect_one(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct collect *c = arg;
	struct sg_record *r;
	struct sg_err ignored;
	if (sg_record_parse(leaf, len, &r, &ignored))
		return SG_OK; /* not ours to judge here: signet ledger verify names it */
	bool hit = in_scope(c->s, r);
	if (hit && index >= c->cp_size && !c->late) {
		c->late = index + 1;
		snprintf(c->late_buf, sizeof c->late_buf, "%s", sg_record_type(r));
	}
	sg_record_free(r);
	if (!hit || index >= c->cp_size)
		return SG_OK;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		uint64_t *v = realloc(c->hits, cap * sizeof *v);
		if (!v)
			return SG_EENV;
		c->hits = v;
		c->cap = cap;
	}
	c->hits[c->n++] = index;
	return SG_OK;
}

/* Writes the inclusion proof of record index into the pack. */
static int write_proof(struct ev_pack *pk, struct sg_ledger *l, const char *note, uint64_t size,
		       uint64_t index, const char *path)
{
	struct sg_ledger_proof p;
	struct sg_err err;
	char *text = NULL;
	size_t len;
	memset(&p, 0, sizeof p);
	p.kind = SG_PROOF_INCLUSION;
	p.size = size;
	p.index = index;
	snprintf(p.origin, sizeof p.origin, "%s", sg_ledger_origin(l));
	int rc = sg_ledger_leaf(l, index, &p.record, &p.record_len, &err);
	if (!rc) {
		sg_merkle_leaf_hash(p.record, p.record_len, p.leaf_hash);
		rc = sg_ledger_inclusion(l, index, size, p.path, &p.path_len, &err);
	}
	p.checkpoint = (char *)note;
	if (!rc)
		rc = sg_proof_format(&p, &text, &len, &err);
	p.checkpoint = NULL;
	sg_proof_free(&p);
	if (rc)
		return ev_problem(pk->probs, rc, path, "%s", err.msg);
	rc = ev_put(pk, path, "inclusion-proof", text, len);
	free(text);
	return rc;
}

static int write_key(struct ev_pack *pk, const struct sg_note_key *key, const char *path)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc = b && PEM_write_bio_PUBKEY(b, key->pkey) && (n = BIO_get_mem_data(b, &p)) > 0
			 ? ev_put(pk, path, "ledger-key", p, (size_t)n)
			 : ev_problem(pk->probs, SG_EENV, path, "cannot write the key as PEM");
	BIO_free(b);
	return rc;
}

/* The latest checkpoint, verified with the key given. */
static int latest(struct ev_pack *pk, const struct ev_make_args *a, struct sg_ledger *l,
		  const struct sg_note_key *key, char **note, uint64_t *size)
{
	struct sg_checkpoint cp;
	struct sg_err err;
	int rc = sg_ledger_checkpoint_get(l, SG_LEDGER_LATEST, size, NULL, note, &err);
	if (rc == SG_FAIL)
		return ev_problem(pk->probs, SG_FAIL, a->ledger,
				  "no checkpoint (signet ledger checkpoint --ledger %s --key URI "
				  "cuts one)", a->ledger);
	if (rc)
		return ev_problem(pk->probs, rc, a->ledger, "%s", err.msg);
	if ((rc = sg_checkpoint_verify(*note, strlen(*note), key, 1, &cp, &err)))
		return ev_problem(pk->probs, rc, a->ledger, "the latest checkpoint: %s (--ledger-pubkey %s)",
				  err.msg, a->ledger_pubkey);
	return SG_OK;
}

static int prove_all(struct ev_pack *pk, const struct ev_make_args *a, struct sg_ledger *l,
		     const char *note, struct collect *c, struct ev_inputs *in)
{
	struct sg_err err = { 0 };
	int rc = sg_ledger_records(l, 0, UINT64_MAX, collect_one, c, &err);
	if (rc)
		return ev_problem(pk->probs, rc, a->ledger, "%s", rc == SG_EENV && !err.msg[0] ? "out of memory" : err.msg);
	if (c->late)
		return ev_problem(pk->probs, SG_FAIL, a->ledger,
				  "record %" PRIu64 " (%s) is in scope but newer than the latest "
				  "checkpoint (%" PRIu64 " records): signet ledger checkpoint --ledger %s "
				  "--key URI cuts one",
				  c->late - 1, c->late_buf, c->cp_size, a->ledger);
	for (size_t i = 0; !rc && i < c->n; i++) {
		char path[64];
		snprintf(path, sizeof path, "ledger/proofs/%" PRIu64 ".proof", c->hits[i]);
		rc = write_proof(pk, l, note, c->cp_size, c->hits[i], path);
		json_array_append_new(in->proofs, json_string(path));
	}
	return rc;
}

int ev_ledger_collect(struct ev_pack *pk, const struct ev_make_args *a, struct ev_inputs *in,
		      const json_t *idx)
{
	struct sg_note_key key = { 0 };
	struct sg_ledger *l = NULL;
	struct sg_err err;
	struct scope s;
	char *note = NULL;
	struct collect c = { 0 };
	int rc;
	if (make_scope(in, idx, &s))
		return ev_problem(pk->probs, SG_EINPUT, "--since/--until", "malformed time");
	if ((rc = ledger_load_key(a->pubkey_file, &key, &err)))
		return ev_problem(pk->probs, rc, a->ledger_pubkey, "%s", err.msg);
	if ((rc = sg_ledger_open(a->ledger_file, SG_LEDGER_READONLY, &l, &err))) {
		sg_note_key_clear(&key);
		return ev_problem(pk->probs, rc, a->ledger, "%s", err.msg);
	}
	in->checkpoint = "ledger/checkpoint";
	in->key = "ledger/key.pem";
	c.s = &s;
	if (!(rc = latest(pk, a, l, &key, &note, &c.cp_size)) &&
	    !(rc = ev_put(pk, in->checkpoint, "checkpoint", note, strlen(note))) &&
	    !(rc = write_key(pk, &key, in->key)))
		rc = prove_all(pk, a, l, note, &c, in);
	free(c.hits);
	free(note);
	sg_ledger_close(l);
	sg_note_key_clear(&key);
	return rc;
}
