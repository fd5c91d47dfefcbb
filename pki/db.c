/* The issuance database: one SQLite file, every certificate issued with its
 * DER, revocations, and CRL numbers. Uniqueness lives in the schema
 * (serial UNIQUE; one live certificate per device serial per profile as a
 * partial unique index), so even two processes racing on one file cannot
 * break it: the checks before insertion only make the refusal's message
 * name the rule. */
#include "pki_priv.h"

#include "signet/fileio.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

/* 'SGPK': marks the file as ours (PRAGMA application_id). */
#define APP_ID 0x5347504b
#define SCHEMA_VERSION 3

struct sg_pki_db {
	sqlite3 *h;
	char *path;
};

/* Version 2: records owed to an audit ledger (sg_pki_db_owe). */
#define LEDGER_OWED \
	"CREATE TABLE IF NOT EXISTS ledger_owed (" \
	" id INTEGER PRIMARY KEY," \
	" ledger TEXT NOT NULL,"        /* the ledger's origin */ \
	" from_index INTEGER NOT NULL," /* its size when owed */ \
	" time INTEGER NOT NULL," \
	" type TEXT NOT NULL," \
	" fields TEXT NOT NULL," \
	" ref TEXT NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS ledger_owed_ref ON ledger_owed(ref);"

/* Version 3: the station's check step looks certificates up by device
 * serial and by key (sg_pki_db_find_device, sg_pki_db_find_key). */
#define FIND_INDEXES \
	"CREATE INDEX IF NOT EXISTS certs_device ON certs(device_serial)" \
	" WHERE device_serial IS NOT NULL;" \
	"CREATE INDEX IF NOT EXISTS certs_key ON certs(key_id);"

/* What an older file gets when opened: upgrades[v] takes version v to
 * v + 1. Each step is idempotent (IF NOT EXISTS). */
static const char *const upgrades[SCHEMA_VERSION] = {
	[1] = LEDGER_OWED,
	[2] = FIND_INDEXES,
};

static const char schema[] =
	"CREATE TABLE certs ("
	" id INTEGER PRIMARY KEY,"
	" serial TEXT NOT NULL UNIQUE,"        /* lower-case hex of the INTEGER */
	" subject TEXT NOT NULL,"              /* RFC 2253 */
	" profile TEXT NOT NULL,"
	" device_serial TEXT,"                 /* idevid only */
	" key_id TEXT NOT NULL,"               /* SKI, hex */
	" issuer TEXT NOT NULL,"               /* RFC 2253 */
	" issuer_key_id TEXT NOT NULL,"        /* AKI keyIdentifier, hex */
	" not_before INTEGER NOT NULL,"        /* Unix seconds */
	" not_after INTEGER NOT NULL,"
	" issued_at INTEGER NOT NULL,"
	" der BLOB NOT NULL,"
	" superseded_by TEXT REFERENCES certs(serial) DEFERRABLE INITIALLY DEFERRED,"
	" revoked_at INTEGER,"
	" reason INTEGER,"
	" CHECK ((revoked_at IS NULL) = (reason IS NULL)));"
	"CREATE UNIQUE INDEX certs_one_live_per_device ON certs(profile, device_serial)"
	" WHERE device_serial IS NOT NULL AND revoked_at IS NULL AND superseded_by IS NULL;"
	"CREATE INDEX certs_revoked ON certs(issuer_key_id) WHERE revoked_at IS NOT NULL;"
	"CREATE TABLE crl_numbers (issuer_key_id TEXT PRIMARY KEY, last INTEGER NOT NULL);"
	LEDGER_OWED FIND_INDEXES;


static int db_err(struct sg_pki_db *db, const char *what, struct sg_err *err)
{
	return sg_errf(err, SG_EENV, "database '%s': %s: %s", db->path, what, sqlite3_errmsg(db->h));
}

static int pragma_int(sqlite3 *h, const char *sql, int *v)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
	*v = rc ? 0 : sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc;
}

static int run_sql(sqlite3 *h, const char *sql)
{
	return sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int unknown_version(struct sg_pki_db *db, int ver, struct sg_err *err)
{
	return sg_errf(err, SG_EENV, "database '%s': schema version %d, this signet knows %d",
		       db->path, ver, SCHEMA_VERSION);
}

#define STR_(x) #x
#define STR(x) STR_(x)

/* An older version to this one, in one transaction. The version is read
 * again inside it: another process may have upgraded the file meanwhile,
 * and then there is nothing left to do. */
static int upgrade(struct sg_pki_db *db, struct sg_err *err)
{
	static const char what[] = "cannot upgrade the schema to version " STR(SCHEMA_VERSION);
	int ver = 0, rc = SG_OK;
	if (run_sql(db->h, "BEGIN IMMEDIATE"))
		return db_err(db, what, err);
	if (pragma_int(db->h, "PRAGMA user_version", &ver))
		rc = db_err(db, what, err);
	else if (ver < 1 || ver > SCHEMA_VERSION) /* a newer signet was faster */
		rc = unknown_version(db, ver, err);
	for (; rc == SG_OK && ver < SCHEMA_VERSION; ver++)
		if (run_sql(db->h, upgrades[ver]))
			rc = db_err(db, what, err);
	if (rc == SG_OK && (run_sql(db->h, "PRAGMA user_version=" STR(SCHEMA_VERSION)) ||
			    run_sql(db->h, "COMMIT")))
		rc = db_err(db, what, err);
	if (rc != SG_OK)
		run_sql(db->h, "ROLLBACK");
	return rc;
}

/* A new file gets the schema; an existing one must be ours, same version
 * (or an older one, upgraded). */
static int db_init(struct sg_pki_db *db, struct sg_err *err)
{
	int app, ver, tables;
	if (pragma_int(db->h, "PRAGMA application_id", &app) ||
	    pragma_int(db->h, "PRAGMA user_version", &ver) ||
	    pragma_int(db->h, "SELECT count(*) FROM sqlite_schema", &tables))
		return sg_errf(err, SG_EENV, "database '%s': not a signet PKI database (%s)",
			       db->path, sqlite3_errmsg(db->h));
	if (app == APP_ID && ver == SCHEMA_VERSION)
		return SG_OK;
	if (app == APP_ID && ver >= 1 && ver < SCHEMA_VERSION)
		return upgrade(db, err);
	if (app == APP_ID)
		return unknown_version(db, ver, err);
	if (app != 0 || tables != 0)
		return sg_errf(err, SG_EENV, "database '%s': not a signet PKI database", db->path);
	char sql[sizeof(schema) + 128];
	snprintf(sql, sizeof(sql), "BEGIN;%sPRAGMA application_id=%d;PRAGMA user_version=%d;COMMIT;",
		 schema, APP_ID, SCHEMA_VERSION);
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK) {
		int rc = db_err(db, "cannot create the schema", err);
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return SG_OK;
}

int sg_pki_db_open(const char *path, struct sg_pki_db **out, struct sg_err *err)
{
	*out = NULL;
	struct sg_pki_db *db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(path))) {
		free(db);
		return sg_errf(err, SG_EENV, "out of memory");
	}
	int rc = SG_OK;
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		rc = db_err(db, "cannot open", err);
	/* Another process issuing from the same file waits its turn. */
	else if (sqlite3_busy_timeout(db->h, 10000) != SQLITE_OK ||
		 sqlite3_exec(db->h, "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK)
		rc = db_err(db, "cannot configure", err);
	else
		rc = db_init(db, err);
	if (rc) {
		sg_pki_db_close(db);
		return rc;
	}
	*out = db;
	return SG_OK;
}

void sg_pki_db_close(struct sg_pki_db *db)
{
	if (!db)
		return;
	sqlite3_close(db->h);
	free(db->path);
	free(db);
}

int pki_db_begin(struct sg_pki_db *db, struct sg_err *err)
{
	/* IMMEDIATE: take the write lock now, so the checks and the insert
	 * see one state of the file. */
	if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(db, "cannot begin", err);
	return SG_OK;
}

int pki_db_commit(struct sg_pki_db *db, struct sg_err *err)
{
	if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(db, "cannot commit", err);
	return SG_OK;
}

void pki_db_rollback(struct sg_pki_db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

int pki_db_savepoint(struct sg_pki_db *db, struct sg_err *err)
{
	if (sqlite3_exec(db->h, "SAVEPOINT issue", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(db, "cannot begin", err);
	return SG_OK;
}

int pki_db_release(struct sg_pki_db *db, struct sg_err *err)
{
	if (sqlite3_exec(db->h, "RELEASE issue", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(db, "cannot release", err);
	return SG_OK;
}

void pki_db_rollback_savepoint(struct sg_pki_db *db)
{
	sqlite3_exec(db->h, "ROLLBACK TO issue; RELEASE issue", NULL, NULL, NULL);
}

int sg_pki_db_begin(struct sg_pki_db *db, struct sg_err *err)
{
	return pki_db_begin(db, err);
}

int sg_pki_db_commit(struct sg_pki_db *db, struct sg_err *err)
{
	return pki_db_commit(db, err);
}

void sg_pki_db_rollback(struct sg_pki_db *db)
{
	pki_db_rollback(db);
}

/* Runs sql with text parameters; 1 if it returned a row, 0 if not, -1 on
 * error. The first column of the row goes to *v when v is not NULL. */
static int query(struct sg_pki_db *db, const char *sql, const char *a, const char *b,
		 long long *v)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	int rc = r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
	if (rc == 1 && v)
		*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

int pki_db_check_serial(struct sg_pki_db *db, const char *hex, struct sg_err *err)
{
	int r = query(db, "SELECT 1 FROM certs WHERE serial = ?1", hex, NULL, NULL);
	if (r < 0)
		return db_err(db, "cannot read", err);
	return r ? sg_errf(err, SG_FAIL, "rule serial.unique: serial %s is already in the database",
			   hex)
		 : SG_OK;
}

/* The live certificate of device ?2 in profile ?1. */
#define LIVE_DEVICE \
	" FROM certs WHERE profile = ?1 AND device_serial = ?2" \
	" AND revoked_at IS NULL AND superseded_by IS NULL"
static const char live_device_sql[] = "SELECT 1" LIVE_DEVICE;

int pki_db_check_device(struct sg_pki_db *db, const char *profile, const char *dev,
			struct sg_err *err)
{
	int r = query(db, live_device_sql, profile, dev, NULL);
	if (r < 0)
		return db_err(db, "cannot read", err);
	return r ? sg_errf_param(err, SG_FAIL, "reissue",
				 "rule db.one-live-per-device: device '%s' already has a live %s "
				 "certificate",
				 dev, profile)
		 : SG_OK;
}

static void name_text(X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	buf[0] = 0;
	if (b && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0) {
		int got = BIO_read(b, buf, (int)len - 1);
		buf[got > 0 ? got : 0] = 0;
	}
	BIO_free(b);
}

static void aki_hex(X509 *x, char *buf, size_t n)
{
	AUTHORITY_KEYID *aki = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
	buf[0] = 0;
	if (aki && aki->keyid && (size_t)aki->keyid->length * 2 < n)
		sg_hex(aki->keyid->data, (size_t)aki->keyid->length, buf);
	AUTHORITY_KEYID_free(aki);
}

/* Supersede the device's live certificate, if any (--reissue). */
static int supersede(struct sg_pki_db *db, const char *profile, const char *dev,
		     const char *serial)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h,
			       "UPDATE certs SET superseded_by = ?3 WHERE profile = ?1 AND "
			       "device_serial = ?2 AND revoked_at IS NULL AND superseded_by IS NULL",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, serial, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return rc;
}

static const char insert_sql[] =
	"INSERT INTO certs (serial, subject, profile, device_serial, key_id, issuer,"
	" issuer_key_id, not_before, not_after, issued_at, der)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

int pki_db_insert(struct sg_pki_db *db, X509 *x, const char *profile, const char *dev,
		  bool reissue, time_t now, struct sg_err *err)
{
	char serial[41], subject[1024], issuer[1024], ski[129], aki[129];
	long long nb, na;
	sg_pki_serial_hex(X509_get0_serialNumber(x), serial, sizeof(serial));
	name_text(X509_get_subject_name(x), subject, sizeof(subject));
	name_text(X509_get_issuer_name(x), issuer, sizeof(issuer));
	pki_ski_hex(x, ski, sizeof(ski));
	aki_hex(x, aki, sizeof(aki));
	unsigned char *der = NULL;
	int der_len = i2d_X509(x, &der);
	if (der_len <= 0 || !pki_time(X509_get0_notBefore(x), &nb) ||
	    !pki_time(X509_get0_notAfter(x), &na)) {
		OPENSSL_free(der);
		return sg_errf(err, SG_EENV, "cannot encode the certificate record");
	}
	if (reissue && dev && supersede(db, profile, dev, serial)) {
		OPENSSL_free(der);
		return db_err(db, "cannot supersede", err);
	}
	sqlite3_stmt *st;
	int r = sqlite3_prepare_v2(db->h, insert_sql, -1, &st, NULL);
	if (r == SQLITE_OK) {
		const char *text[] = { serial, subject, profile, dev, ski, issuer, aki };
		for (int i = 0; i < 7; i++)
			sqlite3_bind_text(st, i + 1, text[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, nb);
		sqlite3_bind_int64(st, 9, na);
		sqlite3_bind_int64(st, 10, (long long)now);
		sqlite3_bind_blob(st, 11, der, der_len, SQLITE_STATIC);
		r = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	OPENSSL_free(der);
	if (r == SQLITE_DONE)
		return SG_OK;
	/* The checks ran inside this transaction, so a constraint here means
	 * the schema caught what they missed: name the rule all the same. */
	if (r == SQLITE_CONSTRAINT && strstr(sqlite3_errmsg(db->h), "certs.serial"))
		return sg_errf(err, SG_FAIL, "rule serial.unique: serial %s is already in the "
			       "database", serial);
	if (r == SQLITE_CONSTRAINT)
		return sg_errf(err, SG_FAIL, "rule db.one-live-per-device: device '%s' already has a "
			       "live %s certificate", dev ? dev : "", profile);
	return db_err(db, "cannot record the certificate", err);
}

int sg_pki_db_live_cert(struct sg_pki_db *db, const char *profile, const char *device_serial,
			X509 **out, struct sg_err *err)
{
	*out = NULL;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "SELECT der" LIVE_DEVICE, -1, &st, NULL) != SQLITE_OK)
		return db_err(db, "cannot read", err);
	sqlite3_bind_text(st, 1, profile, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, device_serial, -1, SQLITE_STATIC);
	int r = sqlite3_step(st), rc = SG_OK;
	if (r == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_blob(st, 0);
		if (!p || !(*out = d2i_X509(NULL, &p, sqlite3_column_bytes(st, 0))))
			rc = sg_errf(err, SG_EENV, "database '%s': the certificate of device '%s' "
				     "does not decode", db->path, device_serial);
	} else if (r != SQLITE_DONE) {
		rc = db_err(db, "cannot read", err);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Runs statements with ?1 = a and ?2 = b in one transaction of their own. */
static int exec_txn(struct sg_pki_db *db, const char *const *sql, size_t n, const char *a,
		    const char *b, const char *what, struct sg_err *err)
{
	int rc = pki_db_begin(db, err);
	for (size_t i = 0; rc == SG_OK && i < n; i++)
		if (query(db, sql[i], a, b, NULL) < 0)
			rc = db_err(db, what, err);
	if (rc == SG_OK)
		return pki_db_commit(db, err);
	pki_db_rollback(db);
	return rc;
}

int sg_pki_db_unrecord(struct sg_pki_db *db, X509 *cert, struct sg_err *err)
{
	/* Delete first: two live certificates of one device break an index. */
	static const char *const sql[] = {
		"DELETE FROM certs WHERE serial = ?1",
		"UPDATE certs SET superseded_by = NULL WHERE superseded_by = ?1",
		"DELETE FROM ledger_owed WHERE ref = ?1",
	};
	char serial[41];
	sg_pki_serial_hex(X509_get0_serialNumber(cert), serial, sizeof(serial));
	return exec_txn(db, sql, 3, serial, NULL, "cannot take the record back", err);
}

int sg_pki_db_crl_unnumber(struct sg_pki_db *db, X509_CRL *crl, struct sg_err *err)
{
	static const char *const sql[] = {
		"UPDATE crl_numbers SET last = last - 1 WHERE issuer_key_id = ?1 AND last = ?2",
		"DELETE FROM ledger_owed WHERE ref = 'crl:' || ?1 || ':' || ?2",
	};
	ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	AUTHORITY_KEYID *aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
	char ski[129] = "", n[24] = "";
	int64_t v;
	if (num && ASN1_INTEGER_get_int64(&v, num))
		snprintf(n, sizeof(n), "%lld", (long long)v);
	if (aki && aki->keyid && (size_t)aki->keyid->length * 2 < sizeof(ski))
		sg_hex(aki->keyid->data, (size_t)aki->keyid->length, ski);
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(aki);
	if (!n[0] || !ski[0])
		return sg_errf(err, SG_EINPUT, "the CRL has no number or key identifier");
	return exec_txn(db, sql, 2, ski, n, "cannot give the CRL number back", err);
}

static int revoke(struct sg_pki_db *db, const char *serial_hex, int reason, time_t now,
		  struct sg_err *err)
{
	if (!strcmp(sg_pki_reason_name(reason), "unknown"))
		return sg_errf(err, SG_EINPUT, "revocation reason %d: not one signet records", reason);
	char hex[41];
	size_t n = strlen(serial_hex);
	if (n == 0 || n >= sizeof(hex))
		return sg_errf(err, SG_EINPUT, "serial '%s': not a certificate serial", serial_hex);
	for (size_t i = 0; i <= n; i++)
		hex[i] = (char)(serial_hex[i] >= 'A' && serial_hex[i] <= 'F' ? serial_hex[i] + 32
									       : serial_hex[i]);
	if (strspn(hex, "0123456789abcdef") != n)
		return sg_errf(err, SG_EINPUT, "serial '%s': not hex", serial_hex);
	long long at = 0;
	int r = query(db, "SELECT coalesce(revoked_at, 0) FROM certs WHERE serial = ?1", hex, NULL,
		      &at);
	if (r < 0)
		return db_err(db, "cannot read", err);
	if (r == 0)
		return sg_errf(err, SG_EINPUT, "serial %s: no such certificate in '%s'", hex, db->path);
	if (at)
		return sg_errf(err, SG_FAIL, "serial %s: already revoked", hex);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "UPDATE certs SET revoked_at = ?2, reason = ?3 WHERE serial = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return db_err(db, "cannot revoke", err);
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (long long)now);
	sqlite3_bind_int(st, 3, reason);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? SG_OK : db_err(db, "cannot revoke", err);
}

int sg_pki_db_revoke(struct sg_pki_db *db, const char *serial_hex, int reason, time_t now,
		     struct sg_err *err)
{
	/* One transaction: the look-up and the update see one state. */
	if (!sqlite3_get_autocommit(db->h)) /* the caller's */
		return revoke(db, serial_hex, reason, now, err);
	int rc = pki_db_begin(db, err);
	if (rc == SG_OK && (rc = revoke(db, serial_hex, reason, now, err)) == SG_OK)
		rc = pki_db_commit(db, err);
	if (rc)
		pki_db_rollback(db);
	return rc;
}

int pki_db_revoked(struct sg_pki_db *db, const char *issuer_key_id,
		   int (*fn)(const char *serial, long long at, int reason, void *arg), void *arg,
		   struct sg_err *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h,
			       "SELECT serial, revoked_at, reason FROM certs WHERE issuer_key_id = ?1"
			       " AND revoked_at IS NOT NULL ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return db_err(db, "cannot read", err);
	sqlite3_bind_text(st, 1, issuer_key_id, -1, SQLITE_STATIC);
	int r, rc = SG_OK;
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if (fn((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
		       sqlite3_column_int(st, 2), arg)) {
			rc = sg_errf(err, SG_EENV, "cannot add revoked serial %s to the CRL",
				     sqlite3_column_text(st, 0));
			break;
		}
	if (rc == SG_OK && r != SQLITE_DONE)
		rc = db_err(db, "cannot read", err);
	sqlite3_finalize(st);
	return rc;
}

int pki_db_next_crl_number(struct sg_pki_db *db, const char *issuer_key_id, long long *n,
			   struct sg_err *err)
{
	if (sqlite3_exec(db->h, "SAVEPOINT crl", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(db, "cannot number the CRL", err);
	sqlite3_stmt *st;
	int r = sqlite3_prepare_v2(db->h,
				   "INSERT INTO crl_numbers VALUES (?1, 1) ON CONFLICT(issuer_key_id)"
				   " DO UPDATE SET last = last + 1 RETURNING last",
				   -1, &st, NULL);
	if (r == SQLITE_OK) {
		sqlite3_bind_text(st, 1, issuer_key_id, -1, SQLITE_STATIC);
		r = sqlite3_step(st);
		if (r == SQLITE_ROW)
			*n = sqlite3_column_int64(st, 0);
		if (sqlite3_step(st) != SQLITE_DONE)
			r = SQLITE_ERROR;
		sqlite3_finalize(st);
	}
	sqlite3_exec(db->h, "RELEASE crl", NULL, NULL, NULL);
	return r == SQLITE_ROW ? SG_OK : db_err(db, "cannot number the CRL", err);
}

static const char *status_of(sqlite3_stmt *st)
{
	if (sqlite3_column_type(st, 12) != SQLITE_NULL)
		return "revoked";
	return sqlite3_column_type(st, 11) != SQLITE_NULL ? "superseded" : "live";
}

/* Calls fn for the certificates `where` selects (?1 = a, if not NULL), in
 * issuance order. The certificate a row superseded is looked for among its
 * device's (supersede() only marks the same device's), so that through
 * certs_device: not a scan of every certificate for every row. */
static int walk(struct sg_pki_db *db, const char *where, const char *a,
		int (*fn)(const struct sg_pki_record *r, void *arg), void *arg, struct sg_err *err)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT serial, subject, profile, device_serial, key_id, issuer,"
		 " issuer_key_id, not_before, not_after, issued_at, der,"
		 " superseded_by, revoked_at, reason,"
		 " (SELECT p.serial FROM certs p WHERE p.device_serial = certs.device_serial"
		 "  AND p.superseded_by = certs.serial)"
		 " FROM certs %s ORDER BY id",
		 where);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(db, "cannot read", err);
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	int r, rc = SG_OK;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct sg_pki_record rec = {
			.serial = (const char *)sqlite3_column_text(st, 0),
			.subject = (const char *)sqlite3_column_text(st, 1),
			.profile = (const char *)sqlite3_column_text(st, 2),
			.device_serial = (const char *)sqlite3_column_text(st, 3),
			.key_id = (const char *)sqlite3_column_text(st, 4),
			.issuer = (const char *)sqlite3_column_text(st, 5),
			.issuer_key_id = (const char *)sqlite3_column_text(st, 6),
			.not_before = sqlite3_column_int64(st, 7),
			.not_after = sqlite3_column_int64(st, 8),
			.issued_at = sqlite3_column_int64(st, 9),
			.der = sqlite3_column_blob(st, 10),
			.der_len = (size_t)sqlite3_column_bytes(st, 10),
			.status = status_of(st),
			.revoked_at = sqlite3_column_int64(st, 12),
			.supersedes = (const char *)sqlite3_column_text(st, 14),
		};
		if (sqlite3_column_type(st, 13) != SQLITE_NULL)
			rec.reason = sg_pki_reason_name(sqlite3_column_int(st, 13));
		if ((rc = fn(&rec, arg)) != 0)
			break;
	}
	if (rc == SG_OK && r != SQLITE_DONE)
		rc = db_err(db, "cannot read", err);
	sqlite3_finalize(st);
	return rc;
}

int sg_pki_db_list(struct sg_pki_db *db, int (*fn)(const struct sg_pki_record *r, void *arg),
		   void *arg, struct sg_err *err)
{
	return walk(db, "", NULL, fn, arg, err);
}

int sg_pki_db_find(struct sg_pki_db *db, const char *serial_hex,
		   int (*fn)(const struct sg_pki_record *r, void *arg), void *arg,
		   struct sg_err *err)
{
	return walk(db, "WHERE serial = lower(?1)", serial_hex, fn, arg, err);
}

/* Both use their index (schema version 3): a search, not a scan of every
 * certificate ever issued. */
int sg_pki_db_find_device(struct sg_pki_db *db, const char *device_serial,
			  int (*fn)(const struct sg_pki_record *r, void *arg), void *arg,
			  struct sg_err *err)
{
	return walk(db, "WHERE device_serial = ?1", device_serial, fn, arg, err);
}

int sg_pki_db_find_key(struct sg_pki_db *db, const char *key_id_hex,
		       int (*fn)(const struct sg_pki_record *r, void *arg), void *arg,
		       struct sg_err *err)
{
	return walk(db, "WHERE key_id = lower(?1)", key_id_hex, fn, arg, err);
}

/* ---- records owed to an audit ledger */

int sg_pki_db_owe(struct sg_pki_db *db, const struct sg_pki_owed *o, struct sg_err *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h,
			       "INSERT INTO ledger_owed (ledger, from_index, time, type, fields, ref)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			       -1, &st, NULL) != SQLITE_OK)
		return db_err(db, "cannot record what the ledger is owed", err);
	sqlite3_bind_text(st, 1, o->ledger, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)o->from_index);
	sqlite3_bind_int64(st, 3, o->time);
	sqlite3_bind_text(st, 4, o->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, o->fields, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, o->ref, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? SG_OK : db_err(db, "cannot record what the ledger is owed", err);
}

int sg_pki_db_owed(struct sg_pki_db *db, const char *ledger,
		   int (*fn)(const struct sg_pki_owed *o, void *arg), void *arg, struct sg_err *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h,
			       "SELECT id, from_index, time, type, fields, ref FROM ledger_owed"
			       " WHERE ledger = ?1 ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return db_err(db, "cannot read", err);
	sqlite3_bind_text(st, 1, ledger, -1, SQLITE_STATIC);
	int r, rc = SG_OK;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct sg_pki_owed o = {
			.id = sqlite3_column_int64(st, 0),
			.ledger = ledger,
			.from_index = (uint64_t)sqlite3_column_int64(st, 1),
			.time = sqlite3_column_int64(st, 2),
			.type = (const char *)sqlite3_column_text(st, 3),
			.fields = (const char *)sqlite3_column_text(st, 4),
			.ref = (const char *)sqlite3_column_text(st, 5),
		};
		if ((rc = fn(&o, arg)) != 0)
			break;
	}
	if (rc == SG_OK && r != SQLITE_DONE)
		rc = db_err(db, "cannot read", err);
	sqlite3_finalize(st);
	return rc;
}

int sg_pki_db_paid(struct sg_pki_db *db, long long id, struct sg_err *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "DELETE FROM ledger_owed WHERE id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_err(db, "cannot update what the ledger is owed", err);
	sqlite3_bind_int64(st, 1, id);
	int r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? SG_OK : db_err(db, "cannot update what the ledger is owed", err);
}
