/* Proof files: see signet/ledger_proof.h and docs/ledger.md. */
#include "signet/ledger_proof.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signet/base64.h"
#include "signet/checkpoint.h"
#include "signet/ledger_record.h"
#include "signet/merkle.h"
#include "signet/num.h"

static const char inclusion_magic[] = "signet ledger inclusion proof v1";
static const char consistency_magic[] = "signet ledger consistency proof v1";

/* ---- writing */

struct text {
	char *s;
	size_t len, cap;
	int failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (t->failed || n < 0)
		goto fail;
	if (t->len + (size_t)n + 1 > t->cap) {
		size_t cap = (t->len + (size_t)n + 1) * 2;
		char *s = realloc(t->s, cap);
		if (!s)
			goto fail;
		t->s = s;
		t->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
	return;
fail:
	t->failed = 1;
}

static void put_b64(struct text *t, const char *key, const uint8_t *p, size_t n)
{
	char *b = malloc(SG_BASE64_LEN(n) + 1);
	if (!b) {
		t->failed = 1;
		return;
	}
	put(t, "%s %s\n", key, sg_base64_encode(p, n, b));
	free(b);
}

int sg_proof_format(const struct sg_ledger_proof *p, char **out, size_t *len, struct sg_err *err)
{
	struct text t = { 0 };
	int incl = p->kind == SG_PROOF_INCLUSION;

	put(&t, "%s\norigin %s\n", incl ? inclusion_magic : consistency_magic, p->origin);
	if (incl)
		put(&t, "tree-size %" PRIu64 "\nindex %" PRIu64 "\n", p->size, p->index);
	else
		put(&t, "old-size %" PRIu64 "\ntree-size %" PRIu64 "\n", p->old_size, p->size);
	if (incl) {
		put_b64(&t, "record", p->record, p->record_len);
		put_b64(&t, "leaf-hash", p->leaf_hash, 32);
	}
	for (size_t i = 0; i < p->path_len; i++)
		put_b64(&t, "path", p->path[i], 32);
	if (!incl)
		put_b64(&t, "old-checkpoint", (const uint8_t *)p->old_checkpoint,
			strlen(p->old_checkpoint));
	put_b64(&t, "checkpoint", (const uint8_t *)p->checkpoint, strlen(p->checkpoint));
	if (t.failed) {
		free(t.s);
		return sg_errf(err, SG_EENV, "proof: out of memory");
	}
	*out = t.s;
	*len = t.len;
	return SG_OK;
}

/* ---- reading */

struct reader {
	const char *name;
	const char *p, *end;
	unsigned line; /* the line last taken, 1-based */
	struct sg_err *err;
};

/* True if the next line is "key value". */
static int next_is(const struct reader *r, const char *key)
{
	size_t klen = strlen(key);
	const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	return nl && (size_t)(nl - r->p) > klen && !memcmp(r->p, key, klen) && r->p[klen] == ' ';
}

/* Takes the next line, which must be "key value": its value and length. */
static const char *take(struct reader *r, const char *key, size_t *vlen)
{
	if (!next_is(r, key))
		return NULL;
	const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	const char *v = r->p + strlen(key) + 1;
	*vlen = (size_t)(nl - v);
	r->p = nl + 1;
	r->line++;
	return v;
}

static int bad(struct reader *r, const char *what)
{
	return sg_errf(r->err, SG_EINPUT, "%s: line %u: %s", r->name, r->line, what);
}

static int missing(struct reader *r, const char *key, const char *form)
{
	return sg_errf(r->err, SG_EINPUT, "%s: line %u: expected '%s %s'", r->name, r->line + 1,
		       key, form);
}

static int need_number(struct reader *r, const char *key, uint64_t *v)
{
	size_t n;
	char buf[24];
	const char *s = take(r, key, &n);
	if (!s)
		return missing(r, key, "N");
	if (n >= sizeof buf)
		return bad(r, "not a decimal number");
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (sg_parse_u64(buf, 0, UINT64_MAX, v) != 0)
		return bad(r, "not a decimal number");
	return SG_OK;
}

/* A 32-byte hash in base64. */
static int need_hash(struct reader *r, const char *key, uint8_t out[32])
{
	size_t n, got;
	const char *s = take(r, key, &n);
	if (!s)
		return missing(r, key, "BASE64");
	if (n != SG_BASE64_LEN(32) || sg_base64_decode(s, n, out, 32, &got) || got != 32)
		return bad(r, "not base64 of a 32-byte hash");
	return SG_OK;
}

/* Base64 of at most max bytes into a malloc'ed, NUL-terminated buffer. */
static int need_blob(struct reader *r, const char *key, size_t max, uint8_t **out, size_t *len)
{
	size_t n;
	const char *s = take(r, key, &n);
	if (!s)
		return missing(r, key, "BASE64");
	if (n > SG_BASE64_LEN(max))
		return bad(r, "value too long");
	uint8_t *buf = malloc(n / 4 * 3 + 1);
	*len = 0;
	if (!buf)
		return sg_errf(r->err, SG_EENV, "%s: out of memory", r->name);
	if (sg_base64_decode(s, n, buf, n / 4 * 3, len) || *len > max) {
		free(buf);
		return bad(r, *len > max ? "value too long" : "not canonical base64");
	}
	buf[*len] = 0;
	*out = buf;
	return SG_OK;
}

/* A signed note: base64 of text without NUL bytes. */
static int need_note(struct reader *r, const char *key, char **note)
{
	uint8_t *buf;
	size_t len;
	int rc = need_blob(r, key, SG_PROOF_MAX_NOTE, &buf, &len);
	if (rc)
		return rc;
	if (memchr(buf, 0, len)) {
		free(buf);
		return bad(r, "the checkpoint contains a NUL byte");
	}
	*note = (char *)buf;
	return SG_OK;
}

static int need_origin(struct reader *r, char origin[256])
{
	size_t n;
	const char *s = take(r, "origin", &n);
	if (!s)
		return missing(r, "origin", "NAME");
	if (n == 0 || n > 255)
		return bad(r, "origin empty or over 255 bytes");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return bad(r, "control character in origin");
	memcpy(origin, s, n);
	origin[n] = '\0';
	return SG_OK;
}

static int parse_body(struct reader *r, struct sg_ledger_proof *p)
{
	int rc;
	if ((rc = need_origin(r, p->origin)))
		return rc;
	if (p->kind == SG_PROOF_INCLUSION) {
		if ((rc = need_number(r, "tree-size", &p->size)) ||
		    (rc = need_number(r, "index", &p->index)))
			return rc;
		if (p->index >= p->size)
			return bad(r, "index is not below tree-size");
		if ((rc = need_blob(r, "record", SG_PROOF_MAX_RECORD, &p->record, &p->record_len)) ||
		    (rc = need_hash(r, "leaf-hash", p->leaf_hash)))
			return rc;
	} else {
		if ((rc = need_number(r, "old-size", &p->old_size)) ||
		    (rc = need_number(r, "tree-size", &p->size)))
			return rc;
		if (p->old_size == 0 || p->old_size > p->size)
			return bad(r, "old-size is not in 1..tree-size");
	}
	while (next_is(r, "path")) {
		if (p->path_len == SG_PROOF_MAX_PATH)
			return missing(r, "checkpoint", "BASE64 (at most 64 path lines)");
		if ((rc = need_hash(r, "path", p->path[p->path_len++])))
			return rc;
	}
	if (p->kind == SG_PROOF_CONSISTENCY &&
	    (rc = need_note(r, "old-checkpoint", &p->old_checkpoint)))
		return rc;
	if ((rc = need_note(r, "checkpoint", &p->checkpoint)))
		return rc;
	if (r->p != r->end)
		return sg_errf(r->err, SG_EINPUT, "%s: line %u: unexpected text after the checkpoint",
			       r->name, r->line + 1);
	return SG_OK;
}

int sg_proof_parse(const char *name, const uint8_t *text, size_t len, struct sg_ledger_proof *p,
		   struct sg_err *err)
{
	struct reader r = { name, (const char *)text, (const char *)text + len, 0, err };
	memset(p, 0, sizeof *p);
	if (len > SG_PROOF_MAX_FILE)
		return sg_errf(err, SG_EINPUT, "%s: over %d bytes: not a proof file", name,
			       SG_PROOF_MAX_FILE);
	if (memchr(text, 0, len))
		return sg_errf(err, SG_EINPUT, "%s: contains a NUL byte: not a proof file", name);
	const char *nl = memchr(r.p, '\n', len);
	size_t first = nl ? (size_t)(nl - r.p) : len;
	if (first == strlen(inclusion_magic) && !memcmp(r.p, inclusion_magic, first))
		p->kind = SG_PROOF_INCLUSION;
	else if (first == strlen(consistency_magic) && !memcmp(r.p, consistency_magic, first))
		p->kind = SG_PROOF_CONSISTENCY;
	else
		return sg_errf(err, SG_EINPUT, "%s: not a signet ledger proof (first line)", name);
	if (!nl)
		return sg_errf(err, SG_EINPUT, "%s: truncated after line 1", name);
	r.p = nl + 1;
	r.line = 1;
	int rc = parse_body(&r, p);
	if (rc)
		sg_proof_free(p);
	return rc;
}

void sg_proof_free(struct sg_ledger_proof *p)
{
	free(p->record);
	free(p->checkpoint);
	free(p->old_checkpoint);
	p->record = NULL;
	p->checkpoint = p->old_checkpoint = NULL;
}

/* ---- checking (needs the checkpoint keys) */

static int check_note(const char *note, const struct sg_note_key *keys, size_t nkeys,
		      const char *origin, uint64_t size, const char *which,
		      struct sg_checkpoint *cp, struct sg_err *err)
{
	struct sg_err why;
	int rc = sg_checkpoint_verify(note, strlen(note), keys, nkeys, cp, &why);
	if (rc)
		return sg_errf(err, rc == SG_EENV ? SG_EENV : SG_FAIL, "%s: %s", which, why.msg);
	if (strcmp(cp->origin, origin))
		return sg_errf(err, SG_FAIL, "%s is of origin '%s', the proof of '%s'", which,
			       cp->origin, origin);
	if (cp->size != size)
		return sg_errf(err, SG_FAIL, "%s is of tree size %" PRIu64 ", the proof of %" PRIu64,
			       which, cp->size, size);
	return SG_OK;
}

static int check_record(const struct sg_ledger_proof *p, struct sg_err *err)
{
	struct sg_record *r;
	struct sg_err why;
	uint8_t hash[SG_MERKLE_HASH_LEN];

	sg_merkle_leaf_hash(p->record, p->record_len, hash);
	if (memcmp(hash, p->leaf_hash, sizeof hash))
		return sg_errf(err, SG_FAIL, "the leaf hash is not the record's");
	if (sg_record_parse(p->record, p->record_len, &r, &why))
		return sg_errf(err, SG_FAIL, "the record: %s", why.msg);
	int index_ok = sg_record_index(r) == p->index;
	int origin_ok = !strcmp(sg_record_origin(r), p->origin);
	sg_record_free(r);
	if (!index_ok)
		return sg_errf(err, SG_FAIL, "the record's index is not %" PRIu64, p->index);
	if (!origin_ok)
		return sg_errf(err, SG_FAIL, "the record's origin is not '%s'", p->origin);
	return SG_OK;
}

int sg_proof_check(const struct sg_ledger_proof *p, const struct sg_note_key *keys, size_t nkeys,
		   struct sg_checkpoint *cp, struct sg_err *err)
{
	struct sg_checkpoint old;
	int rc = check_note(p->checkpoint, keys, nkeys, p->origin, p->size, "the checkpoint", cp,
			    err);
	if (rc)
		return rc;
	if (p->kind == SG_PROOF_INCLUSION) {
		if ((rc = check_record(p, err)))
			return rc;
		if (sg_merkle_verify_inclusion(p->index, p->size, p->leaf_hash,
					       (const uint8_t(*)[32])p->path, p->path_len, cp->root))
			return sg_errf(err, SG_FAIL,
				       "the path does not lead from record %" PRIu64
				       " to the checkpoint's root",
				       p->index);
		return SG_OK;
	}
	rc = check_note(p->old_checkpoint, keys, nkeys, p->origin, p->old_size,
			"the old checkpoint", &old, err);
	if (rc)
		return rc;
	if (sg_merkle_verify_consistency(p->old_size, p->size, old.root, cp->root,
					 (const uint8_t(*)[32])p->path, p->path_len))
		return sg_errf(err, SG_FAIL,
			       "the tree of %" PRIu64 " records is not a prefix of the tree of %" PRIu64
			       " by this path",
			       p->old_size, p->size);
	return SG_OK;
}
