/* The ledger store (signet/ledger.h): one SQLite file per ledger.
 *
 * Schema (version 1; PRAGMA application_id 'SGLG', user_version 1):
 *   meta(id = 1, origin, schema_version, created)  the ledger's identity
 *   records(idx INTEGER PRIMARY KEY, leaf BLOB)      the exact record bytes
 *   nodes(level, idx, hash) WITHOUT ROWID,           every complete subtree:
 *     PRIMARY KEY(level, idx)                        leaves [idx << level,
 *                                                    (idx + 1) << level)
 *   checkpoints(size INTEGER PRIMARY KEY, root, note) signed notes, by size
 * A record and the subtree hashes it completes are written in one
 * transaction, so the nodes table always describes exactly the records: a
 * proof or a root reads O(log n) rows, an append reads the right edge
 * (popcount(size) rows) and writes 1 + trailing ones of size.
 *
 * The file is in WAL mode with synchronous=FULL: a commit has reached the
 * disk when it returns. Writers take the lock first (BEGIN IMMEDIATE) and
 * wait up to SG_LEDGER_BUSY_TIMEOUT_MS for each other; readers work on one
 * snapshot (a read transaction) and never wait for a writer. */
#include "signet/ledger.h"

#include "signet/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#define HLEN SG_MERKLE_HASH_LEN
/* 'SGLG': marks the file as a signet ledger (PRAGMA application_id). */
#define APP_ID 0x53474c47
#define SCHEMA_VERSION 1
#define ORIGIN_MAX 255

static const char schema[] =
	"CREATE TABLE meta ("
	" id INTEGER PRIMARY KEY CHECK (id = 1),"
	" origin TEXT NOT NULL,"
	" schema_version INTEGER NOT NULL,"
	" created INTEGER NOT NULL);"                 /* Unix seconds, the creator's clock */
	"CREATE TABLE records ("
	" idx INTEGER PRIMARY KEY CHECK (idx >= 0),"
	" leaf BLOB NOT NULL);"
	"CREATE TABLE nodes ("
	" level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),"
	" idx INTEGER NOT NULL CHECK (idx >= 0),"
	" hash BLOB NOT NULL CHECK (length(hash) = 32),"
	" PRIMARY KEY (level, idx)) WITHOUT ROWID;"
	"CREATE TABLE checkpoints ("
	" size INTEGER PRIMARY KEY CHECK (size >= 0),"
	" root BLOB NOT NULL CHECK (length(root) = 32),"
	" note TEXT NOT NULL);";

/* Statements used on every append or proof, prepared once per handle. */
enum stmt_id { ST_SIZE, ST_NODE_GET, ST_NODE_PUT, ST_RECORD_PUT, ST_COUNT };

static const char *const stmt_sql[ST_COUNT] = {
	[ST_SIZE] = "SELECT coalesce(max(idx) + 1, 0) FROM records",
	[ST_NODE_GET] = "SELECT hash FROM nodes WHERE level = ?1 AND idx = ?2",
	[ST_NODE_PUT] = "INSERT INTO nodes (level, idx, hash) VALUES (?1, ?2, ?3)",
	[ST_RECORD_PUT] = "INSERT INTO records (idx, leaf) VALUES (?1, ?2)",
};

struct sg_ledger {
	sqlite3 *h;
	char *path;
	char *origin;
	int64_t created;
	unsigned flags;
	sqlite3_stmt *st[ST_COUNT];
};

static int db_err(const struct sg_ledger *l, const char *what, struct sg_err *err)
{
	int code = sqlite3_errcode(l->h);
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return sg_errf(err, SG_EENV, "ledger '%s': %s: another writer held it for over %d s",
			       l->path, what, SG_LEDGER_BUSY_TIMEOUT_MS / 1000);
	int sys = sqlite3_system_errno(l->h);
	if (sys && ((code & 0xff) == SQLITE_IOERR || code == SQLITE_FULL ||
		    (code & 0xff) == SQLITE_CANTOPEN))
		return sg_errf(err, SG_EENV, "ledger '%s': %s: %s (%s)", l->path, what,
			       sqlite3_errmsg(l->h), strerror(sys));
	return sg_errf(err, SG_EENV, "ledger '%s': %s: %s", l->path, what, sqlite3_errmsg(l->h));
}

/* A cached statement, reset and unbound. */
static sqlite3_stmt *stmt(struct sg_ledger *l, enum stmt_id id, struct sg_err *err)
{
	if (!l->st[id] && sqlite3_prepare_v3(l->h, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					     &l->st[id], NULL) != SQLITE_OK) {
		db_err(l, "cannot prepare a statement", err);
		return NULL;
	}
	sqlite3_reset(l->st[id]);
	sqlite3_clear_bindings(l->st[id]);
	return l->st[id];
}

static int exec(struct sg_ledger *l, const char *sql, const char *what, struct sg_err *err)
{
	if (sqlite3_exec(l->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(l, what, err);
	return SG_OK;
}

static int begin_write(struct sg_ledger *l, struct sg_err *err)
{
	if (l->flags & SG_LEDGER_READONLY)
		return sg_errf(err, SG_EINPUT, "ledger '%s': opened read-only", l->path);
	/* IMMEDIATE: the write lock first, so that the size read next is
	 * still the size when the records go in. */
	return exec(l, "BEGIN IMMEDIATE", "cannot begin", err);
}

/* Ends a transaction: COMMIT when rc is SG_OK (the commit's failure
 * becomes rc), ROLLBACK otherwise. */
static int end(struct sg_ledger *l, int rc, struct sg_err *err)
{
	if (rc == SG_OK)
		rc = exec(l, "COMMIT", "cannot commit", err);
	if (rc != SG_OK && !sqlite3_get_autocommit(l->h))
		sqlite3_exec(l->h, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int current_size(struct sg_ledger *l, uint64_t *size, struct sg_err *err)
{
	sqlite3_stmt *st = stmt(l, ST_SIZE, err);
	if (!st)
		return SG_EENV;
	if (sqlite3_step(st) != SQLITE_ROW)
		return db_err(l, "cannot read the size", err);
	*size = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return SG_OK;
}

/* ---- the tree's nodes, as merkle.c reads and writes them ---- */

struct node_io {
	struct sg_ledger *l;
	struct sg_err *err;
};

static int node_get(void *arg, unsigned level, uint64_t index, uint8_t out[HLEN])
{
	struct node_io *io = arg;
	sqlite3_stmt *st = stmt(io->l, ST_NODE_GET, io->err);
	if (!st)
		return SG_EENV;
	sqlite3_bind_int(st, 1, (int)level);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
	int step = sqlite3_step(st), rc = SG_OK;
	if (step == SQLITE_ROW && sqlite3_column_bytes(st, 0) == HLEN)
		memcpy(out, sqlite3_column_blob(st, 0), HLEN);
	else if (step == SQLITE_ROW || step == SQLITE_DONE)
		rc = sg_errf(io->err, SG_EENV,
			     "ledger '%s': the hash of subtree %u/%" PRIu64 " is missing or damaged",
			     io->l->path, level, index);
	else
		rc = db_err(io->l, "cannot read a subtree hash", io->err);
	sqlite3_reset(st);
	return rc;
}

static int node_put(void *arg, unsigned level, uint64_t index, const uint8_t hash[HLEN])
{
	struct node_io *io = arg;
	sqlite3_stmt *st = stmt(io->l, ST_NODE_PUT, io->err);
	if (!st)
		return SG_EENV;
	sqlite3_bind_int(st, 1, (int)level);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
	sqlite3_bind_blob(st, 3, hash, HLEN, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_DONE ? SG_OK
						  : db_err(io->l, "cannot store a subtree hash", io->err);
	sqlite3_reset(st);
	return rc;
}

static int record_put(struct sg_ledger *l, uint64_t index, const uint8_t *leaf, size_t len,
		      struct sg_err *err)
{
	sqlite3_stmt *st = stmt(l, ST_RECORD_PUT, err);
	if (!st)
		return SG_EENV;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)index);
	/* "" for an empty record: a NULL pointer would bind SQL NULL */
	sqlite3_bind_blob64(st, 2, len ? (const void *)leaf : "", len, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_DONE ? SG_OK : db_err(l, "cannot store a record", err);
	sqlite3_reset(st);
	return rc;
}

/* ---- create, open, close ---- */

/* C2SP checkpoint origins double as signed-note key names: no spaces, no
 * '+', printable ASCII. */
static int check_origin(const char *origin, struct sg_err *err)
{
	size_t n = strlen(origin);
	if (n == 0 || n > ORIGIN_MAX)
		return sg_errf_param(err, SG_EINPUT, "origin", "origin: must be 1 to %d bytes",
				     ORIGIN_MAX);
	for (size_t i = 0; i < n; i++)
		if (origin[i] <= ' ' || origin[i] > '~' || origin[i] == '+')
			return sg_errf_param(err, SG_EINPUT, "origin",
					     "origin: byte %zu is not printable ASCII other than "
					     "space and '+'",
					     i + 1);
	return SG_OK;
}

static int create_schema(struct sg_ledger *l, const char *origin, int64_t created,
			 struct sg_err *err)
{
	char sql[sizeof(schema) + 128];
	snprintf(sql, sizeof(sql), "%sPRAGMA application_id=%d;PRAGMA user_version=%d;", schema,
		 APP_ID, SCHEMA_VERSION);
	sqlite3_stmt *st = NULL;
	int rc = exec(l, "PRAGMA journal_mode=WAL", "cannot set up", err);
	if (!rc)
		rc = exec(l, "PRAGMA synchronous=FULL", "cannot set up", err);
	if (!rc)
		rc = exec(l, "BEGIN IMMEDIATE", "cannot begin", err);
	if (!rc)
		rc = exec(l, sql, "cannot create the schema", err);
	if (!rc && sqlite3_prepare_v2(l->h,
				      "INSERT INTO meta (id, origin, schema_version, created) "
				      "VALUES (1, ?1, ?2, ?3)",
				      -1, &st, NULL) != SQLITE_OK)
		rc = db_err(l, "cannot create the schema", err);
	if (!rc) {
		sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, SCHEMA_VERSION);
		sqlite3_bind_int64(st, 3, created);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = db_err(l, "cannot create the schema", err);
	}
	sqlite3_finalize(st);
	return end(l, rc, err);
}

int sg_ledger_create(const char *path, const char *origin, int64_t created, struct sg_err *err)
{
	int rc = check_origin(origin, err);
	if (rc)
		return rc;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0)
		return sg_errf(err, errno == EEXIST ? SG_EINPUT : SG_EENV, "ledger '%s': %s", path,
			       errno == EEXIST ? "exists already" : strerror(errno));
	close(fd);
	struct sg_ledger l = {.path = (char *)path};
	if (sqlite3_open_v2(path, &l.h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		rc = db_err(&l, "cannot open", err);
	else
		rc = create_schema(&l, origin, created, err);
	sqlite3_close(l.h);
	if (!rc)
		rc = sg_fsync_dir(path, err);
	if (rc) {
		char side[4096];
		unlink(path);
		snprintf(side, sizeof(side), "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", path);
		unlink(side);
	}
	return rc;
}

/* A statement prepared for one call; NULL with err set if it cannot be. */
static sqlite3_stmt *prepare(struct sg_ledger *l, const char *sql, struct sg_err *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(l->h, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(l, "cannot prepare a statement", err);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* The file must be a ledger of our schema version; reads its identity. */
static int load_meta(struct sg_ledger *l, struct sg_err *err)
{
	int app = 0, ver = 0;
	sqlite3_stmt *st = prepare(l,
				   "SELECT (SELECT application_id FROM pragma_application_id),"
				   " (SELECT user_version FROM pragma_user_version)",
				   err);
	int step = st ? sqlite3_step(st) : SQLITE_ERROR;
	if (step == SQLITE_ROW)
		app = sqlite3_column_int(st, 0), ver = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && sqlite3_errcode(l->h) != SQLITE_NOTADB)
		return db_err(l, "cannot read", err);
	if (app != APP_ID)
		return sg_errf(err, SG_EINPUT, "ledger '%s': not a signet ledger", l->path);
	if (ver != SCHEMA_VERSION)
		return sg_errf(err, SG_EINPUT, "ledger '%s': schema version %d, this signet knows %d",
			       l->path, ver, SCHEMA_VERSION);
	if (!(st = prepare(l, "SELECT origin, created FROM meta WHERE id = 1", err)))
		return SG_EENV;
	int rc = SG_OK;
	if (sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_text(st, 0))
		rc = sg_errf(err, SG_EINPUT, "ledger '%s': no origin recorded", l->path);
	else if (!(l->origin = strdup((const char *)sqlite3_column_text(st, 0))))
		rc = sg_errf(err, SG_EENV, "out of memory");
	else
		l->created = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return rc;
}

static int configure(struct sg_ledger *l, struct sg_err *err)
{
	int rc = exec(l, "PRAGMA synchronous=FULL", "cannot configure", err);
	if (!rc)
		rc = exec(l, "PRAGMA foreign_keys=ON", "cannot configure", err);
	if (!rc && !(l->flags & SG_LEDGER_READONLY))
		rc = exec(l, "PRAGMA journal_mode=WAL", "cannot configure", err);
	return rc;
}

int sg_ledger_open(const char *path, unsigned flags, struct sg_ledger **out, struct sg_err *err)
{
	*out = NULL;
	struct stat sb;
	if (stat(path, &sb) != 0)
		return sg_errf(err, errno == ENOENT ? SG_EINPUT : SG_EENV, "ledger '%s': %s", path,
			       strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return sg_errf(err, SG_EINPUT, "ledger '%s': not a regular file", path);
	struct sg_ledger *l = calloc(1, sizeof(*l));
	if (!l || !(l->path = strdup(path))) {
		free(l);
		return sg_errf(err, SG_EENV, "out of memory");
	}
	l->flags = flags;
	int rc;
	int oflags = flags & SG_LEDGER_READONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (sqlite3_open_v2(path, &l->h, oflags, NULL) != SQLITE_OK)
		rc = db_err(l, "cannot open", err);
	/* The wait first: even reading the identity waits while another
	 * process recovers or checkpoints the WAL. */
	else if (sqlite3_busy_timeout(l->h, SG_LEDGER_BUSY_TIMEOUT_MS) != SQLITE_OK)
		rc = db_err(l, "cannot configure", err);
	else if (!(rc = load_meta(l, err)))
		rc = configure(l, err);
	if (rc) {
		sg_ledger_close(l);
		return rc;
	}
	*out = l;
	return SG_OK;
}

void sg_ledger_close(struct sg_ledger *l)
{
	if (!l)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(l->st[i]);
	sqlite3_close(l->h);
	free(l->origin);
	free(l->path);
	free(l);
}

const char *sg_ledger_origin(const struct sg_ledger *l)
{
	return l->origin;
}

int64_t sg_ledger_created(const struct sg_ledger *l)
{
	return l->created;
}

/* ---- appending ---- */

static int append_in(struct sg_ledger *l, uint64_t size, size_t count, sg_ledger_encode_fn enc,
		     void *arg, struct sg_err *err)
{
	struct node_io io = {l, err};
	struct sg_merkle_range range;
	int rc = sg_merkle_range_load(&range, size, node_get, &io);
	for (size_t k = 0; !rc && k < count; k++) {
		uint64_t index = size + k;
		uint8_t *leaf = NULL, hash[HLEN];
		size_t len = 0;
		rc = enc(arg, index, &leaf, &len, err);
		if (!rc && !leaf)
			rc = sg_errf(err, SG_EINPUT, "ledger '%s': record %" PRIu64 " has no bytes",
				     l->path, index);
		if (!rc)
			rc = record_put(l, index, leaf, len, err);
		if (!rc) {
			sg_merkle_leaf_hash(leaf, len, hash);
			rc = sg_merkle_range_append(&range, hash, node_put, &io);
		}
		free(leaf);
	}
	return rc;
}

int sg_ledger_append(struct sg_ledger *l, size_t count, sg_ledger_encode_fn enc, void *arg,
		     uint64_t *first_index, struct sg_err *err)
{
	uint64_t size = 0;
	int rc = begin_write(l, err);
	if (rc)
		return rc;
	rc = current_size(l, &size, err);
	if (!rc)
		rc = append_in(l, size, count, enc, arg, err);
	rc = end(l, rc, err);
	if (!rc && first_index)
		*first_index = size;
	return rc;
}

/* ---- reading ---- */

static int begin_read(struct sg_ledger *l, struct sg_err *err)
{
	/* One snapshot for the several statements a read takes. */
	return exec(l, "BEGIN", "cannot begin", err);
}

/* size must be at most the ledger's (read inside the transaction). */
static int check_size(struct sg_ledger *l, uint64_t size, const char *param, struct sg_err *err)
{
	uint64_t have;
	int rc = current_size(l, &have, err);
	if (!rc && size > have)
		rc = sg_errf_param(err, SG_EINPUT, param,
				   "ledger '%s': %s %" PRIu64 " is beyond its %" PRIu64 " records",
				   l->path, param, size, have);
	return rc;
}

int sg_ledger_size(struct sg_ledger *l, uint64_t *size, uint8_t root[HLEN], struct sg_err *err)
{
	struct node_io io = {l, err};
	int rc = begin_read(l, err);
	if (rc)
		return rc;
	rc = current_size(l, size, err);
	if (!rc && root)
		rc = sg_merkle_root(*size, node_get, &io, root);
	return end(l, rc, err);
}

int sg_ledger_root(struct sg_ledger *l, uint64_t size, uint8_t root[HLEN], struct sg_err *err)
{
	struct node_io io = {l, err};
	int rc = begin_read(l, err);
	if (rc)
		return rc;
	rc = check_size(l, size, "size", err);
	if (!rc)
		rc = sg_merkle_root(size, node_get, &io, root);
	return end(l, rc, err);
}

struct leaf_copy {
	uint8_t *leaf;
	size_t len;
	struct sg_err *err;
};

static int copy_leaf(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct leaf_copy *c = arg;
	(void)index;
	if (!(c->leaf = malloc(len ? len : 1)))
		return sg_errf(c->err, SG_EENV, "out of memory");
	// NOLINTNEXTLINE(clang-analyzer-unix.Malloc): called for one record (index..index + 1): no earlier leaf to leak
	memcpy(c->leaf, leaf, len);
	c->len = len;
	return SG_OK;
}

int sg_ledger_leaf(struct sg_ledger *l, uint64_t index, uint8_t **leaf, size_t *len,
		   struct sg_err *err)
{
	struct leaf_copy c = {NULL, 0, err};
	*leaf = NULL;
	*len = 0;
	int rc = sg_ledger_records(l, index, index + 1, copy_leaf, &c, err);
	if (!rc && !c.leaf)
		rc = sg_errf_param(err, SG_EINPUT, "index",
				   "ledger '%s': no record %" PRIu64, l->path, index);
	*leaf = c.leaf;
	*len = c.len;
	return rc;
}

int sg_ledger_records(struct sg_ledger *l, uint64_t from, uint64_t to, sg_ledger_record_fn fn,
		      void *arg, struct sg_err *err)
{
	if (to > INT64_MAX)
		to = INT64_MAX;
	if (from >= to)
		return SG_OK;
	int rc = begin_read(l, err);
	if (rc)
		return rc;
	sqlite3_stmt *st = prepare(
		l, "SELECT idx, leaf FROM records WHERE idx >= ?1 AND idx < ?2 ORDER BY idx", err);
	if (!st)
		return end(l, SG_EENV, err);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)to);
	int step = SQLITE_DONE;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(st, 1);
		rc = fn(arg, (uint64_t)sqlite3_column_int64(st, 0), b ? b : "",
			(size_t)sqlite3_column_bytes(st, 1));
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_err(l, "cannot read the records", err);
	sqlite3_finalize(st);
	return end(l, rc, err);
}

int sg_ledger_nodes(struct sg_ledger *l, unsigned level, uint64_t from, uint64_t to,
		    sg_ledger_node_fn fn, void *arg, struct sg_err *err)
{
	if (to > INT64_MAX)
		to = INT64_MAX;
	if (from >= to || level > 63)
		return SG_OK;
	int rc = begin_read(l, err);
	if (rc)
		return rc;
	sqlite3_stmt *st = prepare(
		l, "SELECT idx, hash FROM nodes WHERE level = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx", err);
	if (!st)
		return end(l, SG_EENV, err);
	sqlite3_bind_int(st, 1, (int)level);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)to);
	int step = SQLITE_DONE;
	uint64_t want = from;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t idx = (uint64_t)sqlite3_column_int64(st, 0);
		if (idx != want || sqlite3_column_bytes(st, 1) != HLEN) {
			rc = sg_errf(err, SG_EENV, "ledger '%s': the stored node %u/%" PRIu64 " is missing or malformed",
				     l->path, level, want);
			break;
		}
		rc = fn(arg, idx, sqlite3_column_blob(st, 1));
		want++;
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_err(l, "cannot read the tree's nodes", err);
	if (!rc && want != to)
		rc = sg_errf(err, SG_EENV, "ledger '%s': the stored node %u/%" PRIu64 " is missing", l->path, level, want);
	sqlite3_finalize(st);
	return end(l, rc, err);
}

int sg_ledger_inclusion(struct sg_ledger *l, uint64_t index, uint64_t size,
			uint8_t path[SG_MERKLE_MAX_PATH][HLEN], size_t *len, struct sg_err *err)
{
	struct node_io io = {l, err};
	*len = 0;
	if (index >= size)
		return sg_errf_param(err, SG_EINPUT, "index",
				     "ledger '%s': index %" PRIu64 " is not below the size %" PRIu64,
				     l->path, index, size);
	int rc = begin_read(l, err);
	if (rc)
		return rc;
	rc = check_size(l, size, "size", err);
	if (!rc)
		rc = sg_merkle_inclusion(index, size, node_get, &io, path, len);
	return end(l, rc, err);
}

int sg_ledger_consistency(struct sg_ledger *l, uint64_t m, uint64_t n,
			  uint8_t path[SG_MERKLE_MAX_PATH][HLEN], size_t *len, struct sg_err *err)
{
	struct node_io io = {l, err};
	*len = 0;
	if (m > n)
		return sg_errf_param(err, SG_EINPUT, "size",
				     "ledger '%s': size %" PRIu64 " is larger than size %" PRIu64,
				     l->path, m, n);
	int rc = begin_read(l, err);
	if (rc)
		return rc;
	rc = check_size(l, n, "size", err);
	if (!rc)
		rc = sg_merkle_consistency(m, n, node_get, &io, path, len);
	return end(l, rc, err);
}

/* ---- checkpoints ---- */

/* The stored note for size into *note (malloc'ed; NULL when there is
 * none). */
static int stored_note(struct sg_ledger *l, uint64_t size, char **note, struct sg_err *err)
{
	*note = NULL;
	sqlite3_stmt *st = prepare(l, "SELECT note FROM checkpoints WHERE size = ?1", err);
	if (!st)
		return SG_EENV;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	int rc = SG_OK, step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = (*note = strdup((const char *)sqlite3_column_text(st, 0))) ? SG_OK
									   : sg_errf(err, SG_EENV,
										     "out of memory");
	else if (step != SQLITE_DONE)
		rc = db_err(l, "cannot read the checkpoints", err);
	sqlite3_finalize(st);
	return rc;
}

static int insert_checkpoint(struct sg_ledger *l, uint64_t size, const uint8_t root[HLEN],
			     const char *note, struct sg_err *err)
{
	sqlite3_stmt *st =
		prepare(l, "INSERT INTO checkpoints (size, root, note) VALUES (?1, ?2, ?3)", err);
	if (!st)
		return SG_EENV;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	sqlite3_bind_blob(st, 2, root, HLEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, note, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_DONE ? SG_OK
						  : db_err(l, "cannot store the checkpoint", err);
	sqlite3_finalize(st);
	return rc;
}

static int put_checkpoint_in(struct sg_ledger *l, uint64_t size, const uint8_t root[HLEN],
			     const char *note, struct sg_err *err)
{
	struct node_io io = {l, err};
	uint8_t have[HLEN];
	char *old = NULL;
	int rc = check_size(l, size, "size", err);
	if (!rc)
		rc = sg_merkle_root(size, node_get, &io, have);
	if (!rc && memcmp(have, root, HLEN))
		rc = sg_errf(err, SG_FAIL,
			     "ledger '%s': the checkpoint's root is not the root of its %" PRIu64
			     " records",
			     l->path, size);
	if (!rc)
		rc = stored_note(l, size, &old, err);
	if (!rc && old && strcmp(old, note))
		rc = sg_errf(err, SG_EINPUT,
			     "ledger '%s': another checkpoint for %" PRIu64 " records is stored",
			     l->path, size);
	else if (!rc && !old)
		rc = insert_checkpoint(l, size, root, note, err);
	free(old);
	return rc;
}

int sg_ledger_checkpoint_put(struct sg_ledger *l, uint64_t size, const uint8_t root[HLEN],
			     const char *note, struct sg_err *err)
{
	int rc = begin_write(l, err);
	if (rc)
		return rc;
	return end(l, put_checkpoint_in(l, size, root, note, err), err);
}

int sg_ledger_checkpoint_get(struct sg_ledger *l, uint64_t size, uint64_t *got_size,
			     uint8_t root[HLEN], char **note, struct sg_err *err)
{
	if (note)
		*note = NULL;
	sqlite3_stmt *st = prepare(l,
				   size == SG_LEDGER_LATEST
					   ? "SELECT size, root, note FROM checkpoints "
					     "ORDER BY size DESC LIMIT 1"
					   : "SELECT size, root, note FROM checkpoints WHERE size = ?1",
				   err);
	if (!st)
		return SG_EENV;
	if (size != SG_LEDGER_LATEST)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
	int rc = SG_OK, step = sqlite3_step(st);
	if (step == SQLITE_DONE)
		rc = size == SG_LEDGER_LATEST
			     ? sg_errf(err, SG_FAIL, "ledger '%s': no checkpoint", l->path)
			     : sg_errf(err, SG_FAIL, "ledger '%s': no checkpoint for %" PRIu64 " records",
				       l->path, size);
	else if (step != SQLITE_ROW || sqlite3_column_bytes(st, 1) != HLEN)
		rc = db_err(l, "cannot read the checkpoints", err);
	if (!rc && got_size)
		*got_size = (uint64_t)sqlite3_column_int64(st, 0);
	if (!rc && root)
		memcpy(root, sqlite3_column_blob(st, 1), HLEN);
	if (!rc && note && !(*note = strdup((const char *)sqlite3_column_text(st, 2))))
		rc = sg_errf(err, SG_EENV, "out of memory");
	sqlite3_finalize(st);
	return rc;
}

int sg_ledger_checkpoints(struct sg_ledger *l, sg_ledger_checkpoint_fn fn, void *arg,
			  struct sg_err *err)
{
	int rc = begin_read(l, err);
	if (rc)
		return rc;
	sqlite3_stmt *st = prepare(l, "SELECT size, root, note FROM checkpoints ORDER BY size", err);
	if (!st)
		return end(l, SG_EENV, err);
	int step = SQLITE_DONE;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != HLEN) {
			rc = sg_errf(err, SG_EENV, "ledger '%s': a checkpoint's root is damaged",
				     l->path);
			break;
		}
		rc = fn(arg, (uint64_t)sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
			(const char *)sqlite3_column_text(st, 2));
	}
	if (!rc && step != SQLITE_DONE)
		rc = db_err(l, "cannot read the checkpoints", err);
	sqlite3_finalize(st);
	return end(l, rc, err);
}

/* ---- verification ---- */

/* One pass over the records in index order, rebuilding the tree in a
 * compact range and comparing each subtree it completes with the stored
 * one. The stored hashes are read by one cursor per level, each in index
 * order, which is the order the range completes them in: no lookups, no
 * memory beyond 64 cursors and 64 hashes. */
struct verifier {
	struct sg_ledger *l;
	struct sg_err *err;
	sg_ledger_fault_fn fn;
	void *arg;
	sqlite3_stmt *level[64]; /* nodes of one level, by index; NULL until needed */
	int has_row[64];         /* the cursor stands on a row */
	sqlite3_stmt *records, *checkpoints;
	int has_record, has_checkpoint;
	uint64_t size;           /* records expected: the largest index + 1 */
	int stop;                /* fn asked to stop, or the file failed */
	int io_rc;
	int faulty;              /* a fault was reported ... */
	struct sg_ledger_fault first; /* ... this one at the smallest index */
	uint64_t last_fault;     /* the largest index of a record or subtree fault */
};

static uint64_t col_u64(sqlite3_stmt *st, int col)
{
	sqlite3_int64 v = sqlite3_column_int64(st, col);
	return v < 0 ? 0 : (uint64_t)v;
}

/* Steps a cursor: 1 on a row, 0 at the end; an error stops the pass. */
static int advance(struct verifier *v, sqlite3_stmt *st)
{
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		return 1;
	if (step != SQLITE_DONE && !v->io_rc) {
		v->io_rc = db_err(v->l, "cannot read", v->err);
		v->stop = 1;
	}
	return 0;
}

static void report(struct verifier *v, struct sg_ledger_fault *f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct verifier *v, struct sg_ledger_fault *f, const char *fmt, ...)
{
	int n = snprintf(f->msg, sizeof(f->msg), "ledger '%s': ", v->l->path);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(f->msg))
		vsnprintf(f->msg + n, sizeof(f->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (!v->faulty || f->index < v->first.index)
		v->first = *f;
	if (f->kind != SG_LEDGER_CHECKPOINT_MISMATCH && f->kind != SG_LEDGER_CHECKPOINT_BEYOND &&
	    (!v->faulty || f->index > v->last_fault))
		v->last_fault = f->index;
	v->faulty = 1;
	if (v->fn && v->fn(v->arg, f))
		v->stop = 1;
}

/* The level's cursor on the stored node `index`: 1 and its hash in out, or
 * 0 if there is none. Rows before index (none in a sound file) are skipped. */
static sqlite3_stmt *level_cursor(struct verifier *v, unsigned level)
{
	sqlite3_stmt **st = &v->level[level];
	if (*st)
		return *st; /* cppcheck-suppress identicalInnerCondition ; the cached statement */
	if (!(*st = prepare(v->l, "SELECT idx, hash FROM nodes WHERE level = ?1 ORDER BY idx",
			    v->err))) {
		v->io_rc = SG_EENV, v->stop = 1;
		return NULL;
	}
	sqlite3_bind_int(*st, 1, (int)level);
	v->has_row[level] = advance(v, *st);
	return *st;
}

static int stored_node(struct verifier *v, unsigned level, uint64_t index, uint8_t out[HLEN])
{
	sqlite3_stmt *const *st = &v->level[level];
	if (!level_cursor(v, level))
		return 0;
	while (v->has_row[level] && col_u64(*st, 0) < index)
		v->has_row[level] = advance(v, *st);
	if (!v->has_row[level] || col_u64(*st, 0) != index)
		return 0;
	if (sqlite3_column_bytes(*st, 1) == HLEN)
		memcpy(out, sqlite3_column_blob(*st, 1), HLEN);
	else
		memset(out, 0, HLEN); /* matches no hash: reported as a mismatch */
	v->has_row[level] = advance(v, *st);
	return 1;
}

/* The compact range's store callback: each completed subtree above the
 * leaves against the stored one. */
static int check_node(void *arg, unsigned level, uint64_t index, const uint8_t hash[HLEN])
{
	struct verifier *v = arg;
	if (level == 0)
		return v->stop;
	uint64_t first = index << level, last = first + (UINT64_C(1) << level) - 1;
	uint8_t stored[HLEN];
	int have = stored_node(v, level, index, stored);
	/* a fault below is already reported: this one only follows from it */
	if (v->faulty && v->last_fault >= first)
		return v->stop;
	struct sg_ledger_fault f = {.index = first, .level = level, .node = index};
	if (!have) {
		f.kind = SG_LEDGER_NODE_MISSING;
		report(v, &f, "records %" PRIu64 "..%" PRIu64 ": no stored subtree hash", first,
		       last);
	} else if (memcmp(stored, hash, HLEN)) {
		f.kind = SG_LEDGER_NODE_MISMATCH;
		report(v, &f, "records %" PRIu64 "..%" PRIu64 ": the stored subtree hash does "
			      "not match them", first, last);
	}
	return v->stop;
}

/* The leaf hash of record i (from its bytes; from the stored leaf hash when
 * the record is gone), reporting what does not match. */
static void leaf_of(struct verifier *v, uint64_t i, uint8_t hash[HLEN])
{
	uint8_t stored[HLEN];
	int have_node = stored_node(v, 0, i, stored);
	while (v->has_record && col_u64(v->records, 0) < i)
		v->has_record = advance(v, v->records);
	struct sg_ledger_fault f = {.index = i};
	if (v->has_record && col_u64(v->records, 0) == i) {
		const void *b = sqlite3_column_blob(v->records, 1);
		sg_merkle_leaf_hash(b ? b : "", (size_t)sqlite3_column_bytes(v->records, 1), hash);
		v->has_record = advance(v, v->records);
		if (!have_node) {
			f.kind = SG_LEDGER_NODE_MISSING;
			report(v, &f, "record %" PRIu64 ": no stored leaf hash", i);
		} else if (memcmp(hash, stored, HLEN)) {
			f.kind = SG_LEDGER_LEAF_MISMATCH;
			report(v, &f, "record %" PRIu64 " does not hash to its stored leaf hash", i);
		}
		return;
	}
	f.kind = SG_LEDGER_RECORD_MISSING;
	report(v, &f, "record %" PRIu64 " is missing", i);
	if (have_node)
		memcpy(hash, stored, HLEN);
	else
		memset(hash, 0, HLEN);
}

/* Checkpoints up to `size` records against the range's root. */
static void check_checkpoints(struct verifier *v, const struct sg_merkle_range *r)
{
	uint8_t root[HLEN];
	int have_root = 0;
	for (; v->has_checkpoint && !v->stop && col_u64(v->checkpoints, 0) <= r->size;
	     v->has_checkpoint = advance(v, v->checkpoints)) {
		uint64_t size = col_u64(v->checkpoints, 0);
		if (size < r->size)
			continue; /* cannot happen: they are checked in order */
		if (!have_root)
			sg_merkle_range_root(r, root), have_root = 1;
		/* a bad record below already tells why the root differs */
		int below = v->faulty && v->first.index < size;
		if (below || (sqlite3_column_bytes(v->checkpoints, 1) == HLEN &&
			      !memcmp(sqlite3_column_blob(v->checkpoints, 1), root, HLEN)))
			continue;
		struct sg_ledger_fault f = {.kind = SG_LEDGER_CHECKPOINT_MISMATCH,
					    .index = size ? size - 1 : 0, .size = size};
		report(v, &f, "the checkpoint for %" PRIu64 " records does not match their root",
		       size);
	}
}

/* What is stored beyond the records: subtree hashes and checkpoints. */
static void check_beyond(struct verifier *v)
{
	for (unsigned level = 0; level < 64 && !v->stop; level++) {
		sqlite3_stmt *st = level_cursor(v, level);
		for (; st && v->has_row[level] && !v->stop; v->has_row[level] = advance(v, st)) {
			/* what the pass left is a subtree reaching past the records */
			uint64_t node = col_u64(st, 0);
			uint64_t first = node > (UINT64_MAX >> level) ? UINT64_MAX : node << level;
			if (first < v->size)
				first = v->size;
			if (v->faulty && v->last_fault >= first)
				continue; /* the same missing records again */
			struct sg_ledger_fault f = {.kind = SG_LEDGER_NODE_EXTRA, .index = first,
						    .level = level, .node = node};
			report(v, &f, "a subtree hash (level %u, index %" PRIu64
				      ") for records beyond the %" PRIu64 " there are",
			       level, node, v->size);
		}
	}
	for (; v->has_checkpoint && !v->stop; v->has_checkpoint = advance(v, v->checkpoints)) {
		uint64_t size = col_u64(v->checkpoints, 0);
		struct sg_ledger_fault f = {.kind = SG_LEDGER_CHECKPOINT_BEYOND,
					    .index = size - 1, .size = size};
		report(v, &f, "a checkpoint for %" PRIu64 " records, but there are %" PRIu64, size,
		       v->size);
	}
}

static void verify_pass(struct verifier *v)
{
	struct sg_merkle_range range = {.size = 0};
	v->records = prepare(v->l, "SELECT idx, leaf FROM records ORDER BY idx", v->err);
	v->checkpoints =
		prepare(v->l, "SELECT size, root FROM checkpoints ORDER BY size", v->err);
	if (!v->records || !v->checkpoints) {
		v->io_rc = SG_EENV;
		return;
	}
	v->has_record = advance(v, v->records);
	v->has_checkpoint = advance(v, v->checkpoints);
	check_checkpoints(v, &range);
	for (uint64_t i = 0; i < v->size && !v->stop; i++) {
		uint8_t hash[HLEN];
		leaf_of(v, i, hash);
		if (v->stop)
			break;
		sg_merkle_range_append(&range, hash, check_node, v);
		check_checkpoints(v, &range);
	}
	if (!v->stop)
		check_beyond(v);
}

int sg_ledger_verify_tree(struct sg_ledger *l, sg_ledger_fault_fn fn, void *arg, uint64_t *size,
			  struct sg_err *err)
{
	struct verifier v = {.l = l, .err = err, .fn = fn, .arg = arg};
	int rc = begin_read(l, err);
	if (rc)
		return rc;
	rc = current_size(l, &v.size, err);
	if (!rc) {
		verify_pass(&v);
		rc = v.io_rc;
	}
	for (int i = 0; i < 64; i++)
		sqlite3_finalize(v.level[i]);
	sqlite3_finalize(v.records);
	sqlite3_finalize(v.checkpoints);
	if (!rc && v.faulty)
		rc = sg_errf(err, SG_FAIL, "%s", v.first.msg);
	if (size)
		*size = v.size;
	int end_rc = end(l, rc == SG_FAIL ? SG_OK : rc, err);
	return end_rc ? end_rc : rc;
}
