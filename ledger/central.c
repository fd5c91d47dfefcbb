/* Ledgers synced to PostgreSQL and read back: see signet/ledger_central.h.
 *
 * Schema (version 1, created by the first sync; docs/ledger.md):
 *   signet_schema(id = 1, version)
 *   signet_ledgers(origin PK, size, edge)   edge: the right edge of the
 *       uploaded tree (sg_merkle_range's hashes, highest level first), so
 *       a sync extends the server's tree without reading it back
 *   signet_records(origin, idx, leaf)       PK (origin, idx)
 *   signet_checkpoints(origin, size, note)  PK (origin, size)
 *   signet_locked_devices(device PK, origin, idx)   a device locked once
 *   signet_cert_serials(serial PK, origin, idx)     a serial issued once
 * Every batch runs under the origin's row lock (SELECT ... FOR UPDATE), so
 * two syncs of one origin take turns batch by batch. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "signet/ledger_central.h"
#include "signet/ledger_record.h"
#include "signet/merkle.h"

#define HLEN SG_MERKLE_HASH_LEN

struct sg_central {
	PGconn *pg;
	char name[300];
};

static const char schema_sql[] =
	"SELECT pg_advisory_xact_lock(7308332291473350002);"
	"CREATE TABLE IF NOT EXISTS signet_schema (id int PRIMARY KEY CHECK (id = 1),"
	" version int NOT NULL);"
	"INSERT INTO signet_schema VALUES (1, 1) ON CONFLICT DO NOTHING;"
	"CREATE TABLE IF NOT EXISTS signet_ledgers (origin text PRIMARY KEY,"
	" size bigint NOT NULL DEFAULT 0, edge bytea NOT NULL DEFAULT ''::bytea, synced_at timestamptz);"
	"CREATE TABLE IF NOT EXISTS signet_records (origin text NOT NULL REFERENCES signet_ledgers,"
	" idx bigint NOT NULL, leaf bytea NOT NULL, PRIMARY KEY (origin, idx));"
	"CREATE TABLE IF NOT EXISTS signet_checkpoints (origin text NOT NULL REFERENCES signet_ledgers,"
	" size bigint NOT NULL, note text NOT NULL, PRIMARY KEY (origin, size));"
	"CREATE TABLE IF NOT EXISTS signet_locked_devices (device text PRIMARY KEY,"
	" origin text NOT NULL, idx bigint NOT NULL);"
	"CREATE TABLE IF NOT EXISTS signet_cert_serials (serial text PRIMARY KEY,"
	" origin text NOT NULL, idx bigint NOT NULL);";

/* The first line of libpq's message. */
static const char *first_line(const char *msg, char *buf, size_t n)
{
	snprintf(buf, n, "%s", msg && *msg ? msg : "unknown error");
	buf[strcspn(buf, "\r\n")] = 0;
	return buf;
}

static int pg_fail(struct sg_central *c, const char *what, PGresult *r, struct sg_err *err)
{
	char line[256];

	first_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg), line, sizeof line);
	if (r && !*PQresultErrorMessage(r))
		first_line(PQerrorMessage(c->pg), line, sizeof line);
	PQclear(r);
	return sg_errf(err, SG_EENV, "postgresql %s: %s: %s", c->name, what, line);
}

/* Copies msg to out with every occurrence of secret masked. */
static void mask(const char *msg, const char *secret, char *out, size_t n)
{
	size_t o = 0, k = secret ? strlen(secret) : 0;

	for (const char *p = msg; *p && o + 4 < n;) {
		if (k && !strncmp(p, secret, k)) {
			memcpy(out + o, "***", 3);
			o += 3;
			p += k;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = 0;
}

/* The password a connection string holds, if any (for masking). The
 * string is read by libpq itself first: a malformed one is refused with
 * libpq's reason, whose quote of the string loses the password. */
static int parse_conninfo(const char *conninfo, char *password, size_t n, char *name, size_t nn,
			  struct sg_err *err)
{
	char *why = NULL, line[256], masked[256];
	PQconninfoOption *opts = PQconninfoParse(conninfo, &why);

	password[0] = 0;
	if (!opts) {
		/* libpq quotes the string: cut from the first ':' after "//" or
		 * "password=" so that no secret is printed */
		first_line(why, line, sizeof line);
		PQfreemem(why);
		char *at = strstr(line, "\"");
		if (at)
			snprintf(at, sizeof line - (size_t)(at - line), "(the string)");
		return sg_errf_param(err, SG_EINPUT, "conninfo", "not a PostgreSQL connection string: %s", line);
	}
	const char *host = "localhost", *port = "5432", *db = "";
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (!strcmp(o->keyword, "password"))
			snprintf(password, n, "%s", o->val);
		else if (!strcmp(o->keyword, "host") && *o->val)
			host = o->val;
		else if (!strcmp(o->keyword, "port") && *o->val)
			port = o->val;
		else if (!strcmp(o->keyword, "dbname"))
			db = o->val;
	}
	mask(host, password, masked, sizeof masked);
	snprintf(name, nn, "%s:%s/%s", masked, port, db);
	PQconninfoFree(opts);
	return SG_OK;
}

int sg_central_connect(const char *conninfo, struct sg_central **out, struct sg_err *err)
{
	struct sg_central *c = calloc(1, sizeof *c);
	char password[256], line[256], masked[256];
	int rc;

	if (!c)
		return sg_errf(err, SG_EENV, "out of memory");
	if ((rc = parse_conninfo(conninfo, password, sizeof password, c->name, sizeof c->name, err)) != SG_OK) {
		free(c);
		return rc;
	}
	c->pg = PQconnectdb(conninfo);
	if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
		first_line(c->pg ? PQerrorMessage(c->pg) : "out of memory", line, sizeof line);
		mask(line, password, masked, sizeof masked);
		sg_errf(err, SG_EENV, "postgresql %s: cannot connect: %s", c->name, masked);
		OPENSSL_cleanse(password, sizeof password);
		sg_central_close(c);
		return SG_EENV;
	}
	OPENSSL_cleanse(password, sizeof password);
	PQclear(PQexec(c->pg, "SET client_min_messages = warning"));
	*out = c;
	return SG_OK;
}

void sg_central_close(struct sg_central *c)
{
	if (!c)
		return;
	PQfinish(c->pg);
	free(c);
}

const char *sg_central_name(const struct sg_central *c)
{
	return c->name;
}

/* Runs sql (no result rows wanted). */
static int exec(struct sg_central *c, const char *sql, const char *what, struct sg_err *err)
{
	PGresult *r = PQexec(c->pg, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(c, what, r, err);
	PQclear(r);
	return SG_OK;
}

/* A statement with text parameters (binary where lens[i] > 0); the
 * result (binary columns) or NULL after setting err. */
static PGresult *query(struct sg_central *c, const char *sql, int n, const char *const *values,
		       const int *lens, const char *what, struct sg_err *err)
{
	int formats[8] = {0};

	for (int i = 0; lens && i < n; i++)
		formats[i] = lens[i] > 0;
	PGresult *r = PQexecParams(c->pg, sql, n, NULL, values, lens, formats, 1);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_fail(c, what, r, err);
		return NULL;
	}
	return r;
}

static uint64_t get_u64(PGresult *r, int row, int col)
{
	const uint8_t *p = (const uint8_t *)PQgetvalue(r, row, col);
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The schema must be the version this signet reads and writes. */
static int check_version(struct sg_central *c, struct sg_err *err)
{
	PGresult *r = query(c, "SELECT to_regclass('signet_schema') IS NOT NULL", 0, NULL, NULL,
			    "cannot read the schema", err);
	int present = r && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0];

	PQclear(r);
	if (!r)
		return SG_EENV;
	if (!present)
		return sg_errf(err, SG_FAIL, "postgresql %s: holds no signet ledgers", c->name);
	if (!(r = query(c, "SELECT version::int8 FROM signet_schema WHERE id = 1", 0, NULL, NULL,
			"cannot read the schema version", err)))
		return SG_EENV;
	uint64_t v = PQntuples(r) == 1 ? get_u64(r, 0, 0) : 0;
	PQclear(r);
	if (v != SG_CENTRAL_SCHEMA_VERSION)
		return sg_errf(err, SG_EENV, "postgresql %s: schema version %" PRIu64 ", this signet knows %d",
			       c->name, v, SG_CENTRAL_SCHEMA_VERSION);
	return SG_OK;
}

static int ensure_schema(struct sg_central *c, struct sg_err *err)
{
	int rc;

	if ((rc = exec(c, "BEGIN", "begin", err)) != SG_OK)
		return rc;
	if ((rc = exec(c, schema_sql, "cannot create the schema", err)) != SG_OK) {
		PQclear(PQexec(c->pg, "ROLLBACK"));
		return rc;
	}
	if ((rc = exec(c, "COMMIT", "commit", err)) != SG_OK)
		return rc;
	return check_version(c, err);
}

/* ---- the right edge of the server's tree, as bytes ---- */

static size_t edge_encode(const struct sg_merkle_range *r, uint8_t *out)
{
	size_t n = 0;

	for (int level = 63; level >= 0; level--)
		if (r->size >> level & 1) {
			memcpy(out + n, r->hash[level], HLEN);
			n += HLEN;
		}
	return n;
}

struct edge_reader {
	const uint8_t *p;
	size_t left;
};

static int edge_node(void *arg, unsigned level, uint64_t index, uint8_t out[HLEN])
{
	struct edge_reader *e = arg;

	(void)level, (void)index;
	if (e->left < HLEN)
		return SG_EINPUT;
	memcpy(out, e->p, HLEN);
	e->p += HLEN;
	e->left -= HLEN;
	return SG_OK;
}

/* The origin's row, locked for this transaction: its size and edge. */
static int server_state(struct sg_central *c, const char *origin, struct sg_merkle_range *r,
			struct sg_err *err)
{
	const char *v[1] = {origin};
	PGresult *q;

	if (!(q = query(c, "INSERT INTO signet_ledgers (origin) VALUES ($1) ON CONFLICT DO NOTHING", 1, v,
			NULL, "cannot register the ledger", err)))
		return SG_EENV;
	PQclear(q);
	if (!(q = query(c, "SELECT size, edge FROM signet_ledgers WHERE origin = $1 FOR UPDATE", 1, v, NULL,
			"cannot read the ledger's state", err)))
		return SG_EENV;
	struct edge_reader e = {(const uint8_t *)PQgetvalue(q, 0, 1), (size_t)PQgetlength(q, 0, 1)};
	uint64_t size = get_u64(q, 0, 0);
	int rc = sg_merkle_range_load(r, size, edge_node, &e);
	PQclear(q);
	if (rc != SG_OK || e.left)
		return sg_errf(err, SG_EENV, "postgresql %s: the stored state of '%s' is malformed", c->name,
			       origin);
	return SG_OK;
}

/* ---- what a sync checks before it sends anything ---- */

static int extend_leaf(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	uint8_t h[HLEN];

	(void)index;
	sg_merkle_leaf_hash(leaf, len, h);
	return sg_merkle_range_append(arg, h, NULL, NULL);
}

static int same_leaf(void *arg, uint64_t index, const uint8_t hash[HLEN])
{
	const uint8_t *want = arg;

	(void)index;
	return memcmp(want, hash, HLEN) ? SG_FAIL : SG_OK;
}

/* The first record in [from, to) whose bytes are not its stored leaf hash
 * (after a mismatch only: one record and one node at a time). */
static uint64_t find_changed(struct sg_ledger *l, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++) {
		uint8_t *leaf = NULL, h[HLEN];
		size_t len = 0;
		struct sg_err ignored;
		int rc = sg_ledger_leaf(l, i, &leaf, &len, &ignored);

		if (rc == SG_OK)
			sg_merkle_leaf_hash(leaf, len, h);
		free(leaf);
		if (rc != SG_OK || sg_ledger_nodes(l, 0, i, i + 1, same_leaf, h, &ignored) != SG_OK)
			return i;
	}
	return UINT64_MAX;
}

/* The server's tree at from, extended with this ledger's records up to the
 * checkpoint, must have the checkpoint's root. */
static int check_extension(struct sg_ledger *l, const struct sg_merkle_range *server, uint64_t size,
			   const uint8_t root[HLEN], struct sg_err *err)
{
	struct sg_merkle_range r = *server;
	uint8_t got[HLEN];
	uint64_t bad;
	int rc = sg_ledger_records(l, server->size, size, extend_leaf, &r, err);

	if (rc != SG_OK)
		return rc;
	sg_merkle_range_root(&r, got);
	if (!memcmp(got, root, HLEN))
		return SG_OK;
	if ((bad = find_changed(l, server->size, size)) != UINT64_MAX)
		return sg_errf(err, SG_FAIL, "record %" PRIu64 " was changed after it was appended: nothing uploaded",
			       bad);
	return sg_errf(err, SG_FAIL,
		       "records %" PRIu64 "..%" PRIu64 " do not extend the server's copy to the tree of checkpoint "
		       "%" PRIu64 ": nothing uploaded",
		       server->size, size - 1, size);
}

/* ---- a fork: the first index where this ledger and the server differ ---- */

struct fork_scan {
	PGresult *server;
	int row;
	uint64_t bad;
};

static int compare_leaf(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct fork_scan *f = arg;

	if (f->row >= PQntuples(f->server) || (size_t)PQgetlength(f->server, f->row, 0) != len ||
	    memcmp(PQgetvalue(f->server, f->row, 0), leaf, len)) {
		f->bad = index;
		return SG_FAIL;
	}
	f->row++;
	return SG_OK;
}

/* A fork between this ledger's first `size` records and the server's
 * `server_size`: names the first record that differs. */
static int fork_error(struct sg_central *c, struct sg_ledger *l, const char *origin, uint64_t size,
		      uint64_t server_size, struct sg_err *err)
{
	const char *v[1] = {origin};
	struct fork_scan f = {.bad = UINT64_MAX};
	struct sg_err ignored;

	f.server = query(c, "SELECT leaf FROM signet_records WHERE origin = $1 ORDER BY idx", 1, v, NULL,
			 "cannot read the records", &ignored);
	if (f.server)
		sg_ledger_records(l, 0, size, compare_leaf, &f, &ignored);
	PQclear(f.server);
	if (f.bad != UINT64_MAX)
		return sg_errf(err, SG_FAIL,
			       "a fork: record %" PRIu64 " of '%s' differs from the server's copy; nothing uploaded",
			       f.bad, origin);
	if (server_size > size)
		return sg_errf(err, SG_FAIL,
			       "the server holds %" PRIu64 " records of '%s', more than this ledger's latest "
			       "checkpoint (%" PRIu64 "): an older copy of the ledger? nothing uploaded",
			       server_size, origin, size);
	return sg_errf(err, SG_FAIL,
		       "a fork: this ledger's first %" PRIu64 " records are not the server's copy of '%s'; "
		       "nothing uploaded",
		       size, origin);
}

/* ---- uploading ---- */

struct batch {
	struct sg_central *c;
	const char *origin;
	struct sg_merkle_range *r;
	struct sg_err *err;
};

/* Claims key (a device or serial) in table for this record; SG_FAIL naming
 * the other record when another origin or index holds it. */
static int claim(struct batch *b, const char *table, const char *key, uint64_t index, const char *what)
{
	char idx[24], sql[200];
	const char *v[3] = {key, b->origin, idx};
	PGresult *r;

	snprintf(idx, sizeof idx, "%" PRIu64, index);
	snprintf(sql, sizeof sql,
		 "INSERT INTO %s VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1", table);
	if (!(r = query(b->c, sql, 3, v, NULL, "cannot record a unique value", b->err)))
		return SG_EENV;
	int taken = PQntuples(r) == 0;
	PQclear(r);
	if (!taken)
		return SG_OK;
	snprintf(sql, sizeof sql, "SELECT origin, idx FROM %s WHERE %s = $1",
		 table, strcmp(table, "signet_locked_devices") ? "serial" : "device");
	if (!(r = query(b->c, sql, 1, v, NULL, "cannot read a unique value", b->err)))
		return SG_EENV;
	char other[300] = "?";
	uint64_t other_idx = 0;
	if (PQntuples(r) == 1) {
		snprintf(other, sizeof other, "%.*s", PQgetlength(r, 0, 0), PQgetvalue(r, 0, 0));
		other_idx = get_u64(r, 0, 1);
	}
	PQclear(r);
	if (!strcmp(other, b->origin) && other_idx == index)
		return SG_OK;
	return sg_errf(b->err, SG_FAIL, "record %" PRIu64 " of '%s': %s %s is already in record %" PRIu64
		       " of '%s'; nothing of this batch uploaded",
		       index, b->origin, what, key, other_idx, other);
}

static int upload_leaf(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct batch *b = arg;
	struct sg_record *rec = NULL;
	char idx[24];
	const char *v[3] = {b->origin, idx, (const char *)leaf};
	int lens[3] = {0, 0, (int)len};
	uint8_t h[HLEN];
	PGresult *r;
	int rc;

	snprintf(idx, sizeof idx, "%" PRIu64, index);
	if (!(r = query(b->c, "INSERT INTO signet_records VALUES ($1, $2, $3)", 3, v, lens,
			"cannot upload a record", b->err)))
		return SG_EENV;
	PQclear(r);
	if ((rc = sg_record_parse(leaf, len, &rec, b->err)) != SG_OK)
		return sg_errf(b->err, SG_FAIL, "record %" PRIu64 ": %s", index, b->err->msg);
	if (!strcmp(sg_record_type(rec), "unit.locked"))
		rc = claim(b, "signet_locked_devices", sg_record_field(rec, "device"), index, "device");
	else if (!strcmp(sg_record_type(rec), "cert.issued"))
		rc = claim(b, "signet_cert_serials", sg_record_field(rec, "serial"), index, "serial");
	sg_record_free(rec);
	sg_merkle_leaf_hash(leaf, len, h);
	return rc != SG_OK ? rc : sg_merkle_range_append(b->r, h, NULL, NULL);
}

static int save_state(struct batch *b)
{
	uint8_t edge[64 * HLEN];
	char size[24];
	const char *v[3] = {b->origin, size, (const char *)edge};
	int lens[3] = {0, 0, (int)edge_encode(b->r, edge)};
	PGresult *r;

	if (lens[2] == 0)
		v[2] = "";
	snprintf(size, sizeof size, "%" PRIu64, b->r->size);
	if (!(r = query(b->c, "UPDATE signet_ledgers SET size = $2, edge = $3, synced_at = now() WHERE origin = $1",
			3, v, lens, "cannot save the ledger's state", b->err)))
		return SG_EENV;
	PQclear(r);
	return SG_OK;
}

/* Begins a transaction holding the origin's row: the server's tree in *r,
 * which must be a prefix of this ledger's (else a fork) no longer than the
 * checkpoint. Rolled back on failure. */
static int begin_checked(struct sg_central *c, struct sg_ledger *l, const char *origin, uint64_t size,
			 struct sg_merkle_range *r, struct sg_err *err)
{
	uint8_t mine[HLEN], theirs[HLEN];
	int rc = exec(c, "BEGIN", "begin", err);

	if (rc != SG_OK)
		return rc;
	rc = server_state(c, origin, r, err);
	if (rc == SG_OK && r->size > size)
		rc = fork_error(c, l, origin, size, r->size, err);
	if (rc == SG_OK && r->size > 0) {
		sg_merkle_range_root(r, theirs);
		rc = sg_ledger_root(l, r->size, mine, err);
		if (rc == SG_OK && memcmp(mine, theirs, HLEN))
			rc = fork_error(c, l, origin, r->size, r->size, err);
	}
	if (rc != SG_OK)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	return rc;
}

static int end_txn(struct sg_central *c, int rc, struct sg_err *err)
{
	if (rc != SG_OK) {
		PQclear(PQexec(c->pg, "ROLLBACK"));
		return rc;
	}
	return exec(c, "COMMIT", "commit", err);
}

/* One transaction of up to SG_CENTRAL_BATCH records; *done when the server
 * holds size records. */
static int upload_batch(struct sg_central *c, struct sg_ledger *l, const char *origin, uint64_t size,
			int *done, struct sg_err *err)
{
	struct sg_merkle_range r;
	struct batch b = {c, origin, &r, err};
	int rc = begin_checked(c, l, origin, size, &r, err);

	if (rc != SG_OK)
		return rc;
	if (r.size < size) {
		uint64_t to = size - r.size > SG_CENTRAL_BATCH ? r.size + SG_CENTRAL_BATCH : size;
		rc = sg_ledger_records(l, r.size, to, upload_leaf, &b, err);
		if (rc == SG_OK)
			rc = save_state(&b);
	}
	*done = rc == SG_OK && r.size == size;
	return end_txn(c, rc, err);
}

struct cps {
	struct sg_central *c;
	const char *origin;
	uint64_t upto;
	unsigned long added;
	struct sg_err *err;
};

/* A checkpoint the server lacks is added; one it holds differently is a fork. */
static int upload_checkpoint(void *arg, uint64_t size, const uint8_t root[HLEN], const char *note)
{
	struct cps *x = arg;
	char s[24];
	const char *v[3] = {x->origin, s, note};
	PGresult *r;

	(void)root;
	if (size > x->upto)
		return SG_OK;
	snprintf(s, sizeof s, "%" PRIu64, size);
	if (!(r = query(x->c, "SELECT note FROM signet_checkpoints WHERE origin = $1 AND size = $2", 2, v, NULL,
			"cannot read the checkpoints", x->err)))
		return SG_EENV;
	int have = PQntuples(r) == 1, same = have && !strcmp(PQgetvalue(r, 0, 0), note);
	PQclear(r);
	if (have && !same)
		return sg_errf(x->err, SG_FAIL, "a fork: the server holds another checkpoint of '%s' at size %" PRIu64,
			       x->origin, size);
	if (have)
		return SG_OK;
	if (!(r = query(x->c, "INSERT INTO signet_checkpoints VALUES ($1, $2, $3)", 3, v, NULL,
			"cannot upload a checkpoint", x->err)))
		return SG_EENV;
	PQclear(r);
	x->added++;
	return SG_OK;
}

int sg_central_sync(struct sg_central *c, struct sg_ledger *l, struct sg_central_sync_result *res,
		    struct sg_err *err)
{
	const char *origin = sg_ledger_origin(l);
	struct sg_merkle_range r;
	uint8_t root[HLEN];
	uint64_t size = 0;
	int rc, done = 0;

	memset(res, 0, sizeof *res);
	rc = sg_ledger_checkpoint_get(l, SG_LEDGER_LATEST, &size, root, NULL, err);
	if (rc == SG_FAIL)
		return sg_errf(err, SG_FAIL, "the ledger has no checkpoint: cut one before a sync");
	if (rc != SG_OK || (rc = ensure_schema(c, err)) != SG_OK)
		return rc;
	/* Before anything is sent: what goes up must make the signed tree. */
	if ((rc = begin_checked(c, l, origin, size, &r, err)) != SG_OK)
		return rc;
	res->from = r.size;
	if ((rc = end_txn(c, check_extension(l, &r, size, root, err), err)) != SG_OK)
		return rc;
	while (rc == SG_OK && !done)
		rc = upload_batch(c, l, origin, size, &done, err);
	if (rc != SG_OK)
		return rc;
	res->to = size;
	struct cps x = {c, origin, size, 0, err};
	if ((rc = exec(c, "BEGIN", "begin", err)) != SG_OK)
		return rc;
	rc = sg_ledger_checkpoints(l, upload_checkpoint, &x, err);
	res->checkpoints = x.added;
	return end_txn(c, rc, err);
}

/* ---- reading the central copy ---- */

int sg_central_records(struct sg_central *c, const char *origin, sg_ledger_record_fn fn, void *arg,
		       struct sg_err *err)
{
	const char *v[1] = {origin};
	uint64_t want = 0;
	PGresult *r;
	int rc;

	if ((rc = check_version(c, err)) != SG_OK)
		return rc;
	if ((rc = exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin", err)) != SG_OK)
		return rc;
	if (!(r = query(c, "DECLARE signet_records_cursor NO SCROLL CURSOR FOR SELECT idx, leaf FROM "
			   "signet_records WHERE origin = $1 ORDER BY idx",
			1, v, NULL, "cannot read the records", err))) {
		PQclear(PQexec(c->pg, "ROLLBACK"));
		return SG_EENV;
	}
	PQclear(r);
	for (;;) {
		if (!(r = query(c, "FETCH 1000 FROM signet_records_cursor", 0, NULL, NULL, "cannot read the records",
				err))) {
			rc = SG_EENV;
			break;
		}
		int n = PQntuples(r);
		for (int i = 0; i < n && rc == SG_OK; i++, want++) {
			uint64_t idx = get_u64(r, i, 0);
			if (idx != want)
				rc = sg_errf(err, SG_FAIL, "record %" PRIu64 ": missing from the central copy", want);
			else
				rc = fn(arg, idx, (const uint8_t *)PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1));
		}
		PQclear(r);
		if (rc != SG_OK || n == 0)
			break;
	}
	PQclear(PQexec(c->pg, "ROLLBACK"));
	return rc;
}

int sg_central_checkpoints(struct sg_central *c, const char *origin, sg_ledger_checkpoint_fn fn,
			   void *arg, struct sg_err *err)
{
	const char *v[1] = {origin};
	static const uint8_t no_root[HLEN];
	PGresult *r;
	int rc = check_version(c, err);

	if (rc != SG_OK)
		return rc;
	if (!(r = query(c, "SELECT size, note FROM signet_checkpoints WHERE origin = $1 ORDER BY size", 1, v,
			NULL, "cannot read the checkpoints", err)))
		return SG_EENV;
	for (int i = 0; i < PQntuples(r) && rc == SG_OK; i++) {
		char *note = strndup(PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1));
		rc = note ? fn(arg, get_u64(r, i, 0), no_root, note) : sg_errf(err, SG_EENV, "out of memory");
		free(note);
	}
	PQclear(r);
	return rc;
}
