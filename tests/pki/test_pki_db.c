/* The issuance database: serial uniqueness, one live certificate per device
 * and profile, reissue, revocation, CRL numbers; CAs sign in SoftHSM2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/x509v3.h>
#include <sqlite3.h>

#include "pki_priv.h"
#include "pki_test.h"

static struct pki_test P;
static char db_path[SG_TEST_PATH_MAX + 32];

struct count {
	int live, revoked, superseded;
};

static int count_fn(const struct sg_pki_record *r, void *arg)
{
	struct count *c = arg;
	if (!strcmp(r->status, "live"))
		c->live++;
	else if (!strcmp(r->status, "revoked"))
		c->revoked++;
	else
		c->superseded++;
	return 0;
}

static struct count counts(struct sg_pki_db *db)
{
	struct count c = { 0 };
	struct sg_err err;
	assert_int_equal(sg_pki_db_list(db, count_fn, &c, &err), SG_OK);
	return c;
}

static bool in_batch; /* issue inside the caller's transaction */

/* An idevid certificate of key for device sn. */
static int issue_key(struct sg_pki_db *db, const char *sn, EVP_PKEY *key, bool reissue,
		     X509 **out, struct sg_err *err)
{
	struct sg_pki_subject s = { .profile = SG_PROF_IDEVID, .key = key, .now = P.now + 10,
				    .device_serial = sn, .hw_type = "1.3.6.1.4.1.99999.1" };
	struct sg_pki_issue_opts o = { .db = db, .reissue = reissue, .batch = in_batch };
	X509 *x = NULL;
	int rc = sg_pki_issue(P.factory_ca, &s, &o, &x, err);
	if (out)
		*out = x;
	else
		X509_free(x);
	return rc;
}

/* The same, with a fresh key. */
static int issue(struct sg_pki_db *db, const char *sn, bool reissue, X509 **out,
		 struct sg_err *err)
{
	EVP_PKEY *key = pki_test_key("P-256");
	int rc = issue_key(db, sn, key, reissue, out, err);
	EVP_PKEY_free(key);
	return rc;
}

static void test_device_uniqueness(void **state)
{
	struct sg_pki_db *db = *state;
	struct sg_err err = { 0 };
	assert_int_equal(issue(db, "DEV-1", false, NULL, &err), SG_OK);
	assert_int_equal(issue(db, "DEV-2", false, NULL, &err), SG_OK);
	assert_int_equal(issue(db, "DEV-1", false, NULL, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "rule db.one-live-per-device:"));
	assert_null(strstr(err.msg, "--")); /* the CLI adds its option */
	assert_string_equal(err.param, "reissue");
	struct count c = counts(db);
	assert_int_equal(c.live, 2);
	/* --reissue supersedes the live one */
	assert_int_equal(issue(db, "DEV-1", true, NULL, &err), SG_OK);
	c = counts(db);
	assert_int_equal(c.live, 2);
	assert_int_equal(c.superseded, 1);
}

/* Batch: many issuances in one transaction; a refused one is undone
 * alone, a rollback undoes them all, a commit keeps them all. */
static void test_batch(void **state)
{
	struct sg_pki_db *db = *state;
	struct sg_err err = { 0 };
	struct count before = counts(db);
	in_batch = true;
	assert_int_equal(sg_pki_db_begin(db, &err), SG_OK);
	assert_int_equal(issue(db, "B-1", false, NULL, &err), SG_OK);
	assert_int_equal(issue(db, "B-1", false, NULL, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "rule db.one-live-per-device:"));
	assert_int_equal(issue(db, "B-2", false, NULL, &err), SG_OK);
	sg_pki_db_rollback(db);
	assert_int_equal(counts(db).live, before.live);
	assert_int_equal(sg_pki_db_begin(db, &err), SG_OK);
	assert_int_equal(issue(db, "B-1", false, NULL, &err), SG_OK);
	assert_int_equal(issue(db, "B-1", false, NULL, &err), SG_FAIL);
	assert_int_equal(issue(db, "B-2", false, NULL, &err), SG_OK);
	assert_int_equal(sg_pki_db_commit(db, &err), SG_OK);
	in_batch = false;
	assert_int_equal(counts(db).live, before.live + 2);
	assert_int_equal(issue(db, "B-2", false, NULL, &err), SG_FAIL);
}

static void test_revoke_frees_device(void **state)
{
	struct sg_pki_db *db = *state;
	struct sg_err err = { 0 };
	X509 *x;
	char hex[41];
	assert_int_equal(issue(db, "DEV-3", false, &x, &err), SG_OK);
	sg_pki_serial_hex(X509_get0_serialNumber(x), hex, sizeof(hex));
	assert_int_equal(strlen(hex), 32); /* 16 octets, positive, minimal */
	assert_true(X509_get0_serialNumber(x)->data[0] >= 0x40 &&
		    X509_get0_serialNumber(x)->data[0] < 0x80);
	assert_int_equal(sg_pki_db_revoke(db, hex, 1, P.now + 20, &err), SG_OK);
	assert_int_equal(sg_pki_db_revoke(db, hex, 1, P.now + 20, &err), SG_FAIL);
	assert_int_equal(sg_pki_db_revoke(db, "00ff", 1, P.now + 20, &err), SG_EINPUT);
	assert_int_equal(sg_pki_db_revoke(db, "xyz", 1, P.now + 20, &err), SG_EINPUT);
	assert_int_equal(issue(db, "DEV-3", false, NULL, &err), SG_OK);

	/* The CRL lists it, with a CRL number that grows. */
	X509_CRL *crl;
	assert_int_equal(sg_pki_crl(P.factory_ca, db, P.now + 30, 7, &crl, &err), SG_OK);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(P.factory)), 1);
	X509_REVOKED *rev;
	assert_int_equal(X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(x)), 1);
	ASN1_INTEGER *n1 = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	X509_CRL_free(crl);
	assert_int_equal(sg_pki_crl(P.factory_ca, db, P.now + 40, 7, &crl, &err), SG_OK);
	ASN1_INTEGER *n2 = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	assert_int_equal(ASN1_INTEGER_get(n1) + 1, ASN1_INTEGER_get(n2));
	/* the root's CRL does not list the factory CA's certificates */
	X509_CRL *root_crl;
	assert_int_equal(sg_pki_crl(P.root_ca, db, P.now + 40, 7, &root_crl, &err), SG_OK);
	assert_true(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(root_crl)) <= 0);
	X509_CRL_free(root_crl);
	ASN1_INTEGER_free(n1);
	ASN1_INTEGER_free(n2);
	X509_CRL_free(crl);
	X509_free(x);
}

/* The schema enforces serial uniqueness even past the checks. */
static void test_serial_unique(void **state)
{
	struct sg_pki_db *db = *state;
	struct sg_err err = { 0 };
	X509 *x;
	char hex[41];
	assert_int_equal(issue(db, "DEV-4", false, &x, &err), SG_OK);
	sg_pki_serial_hex(X509_get0_serialNumber(x), hex, sizeof(hex));
	assert_int_equal(pki_db_begin(db, &err), SG_OK);
	assert_int_equal(pki_db_check_serial(db, hex, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "rule serial.unique:"));
	assert_int_equal(pki_db_insert(db, x, "idevid", "DEV-OTHER", false, P.now, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "rule serial.unique:"));
	pki_db_rollback(db);
	X509_free(x);
}

/* A CSR's public key as the batch gets it: its encoding, with the key. */
static X509_PUBKEY *csr_spki(EVP_PKEY *key)
{
	X509_REQ *req = X509_REQ_new();
	assert_non_null(req);
	assert_true(X509_REQ_set_pubkey(req, key));
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);
	X509_PUBKEY *spki = NULL;
	struct sg_err err = { 0 };
	assert_int_equal(sg_pki_csr_key(der, (size_t)n, "req", &spki, &err), SG_OK);
	OPENSSL_free(der);
	X509_REQ_free(req);
	return spki;
}

static int spki_der(X509_PUBKEY *pk, unsigned char **der)
{
	*der = NULL;
	return i2d_X509_PUBKEY(pk, der);
}

/* The three steps a threaded batch takes, one by one: reserve draws fresh
 * serials and applies the device rule, sign copies the CSR's key encoding
 * verbatim (and refuses a key that is not the encoding's), record is the
 * last word on serial uniqueness. */
static void test_issue_steps(void **state)
{
	struct sg_pki_db *db = *state;
	struct sg_err err = { 0 };
	/* A key whose last byte ends in a zero bit: a BIT STRING that lost
	 * its unused-bits count (OpenSSL 3.0's X509_PUBKEY_dup) would then
	 * encode differently, and the comparison below must see it. */
	EVP_PKEY *key = NULL;
	unsigned char *a, *b;
	int na, nb;
	do {
		EVP_PKEY_free(key);
		key = pki_test_key("P-256");
		a = NULL;
		na = i2d_PUBKEY(key, &a);
		assert_true(na > 0);
		nb = a[na - 1];
		OPENSSL_free(a);
	} while (nb & 1);
	X509_PUBKEY *spki = csr_spki(key);
	struct sg_pki_subject s = { .profile = SG_PROF_IDEVID, .key = X509_PUBKEY_get0(spki),
				    .spki = spki, .now = P.now + 10, .device_serial = "STEP-1",
				    .hw_type = "1.3.6.1.4.1.99999.1" };
	struct sg_pki_issue_opts o = { .db = db, .batch = true };
	uint8_t serial[16], serial2[16];
	assert_int_equal(sg_pki_db_begin(db, &err), SG_OK);
	assert_int_equal(sg_pki_issue_reserve(P.factory_ca, &s, &o, serial, &err), SG_OK);
	assert_int_equal(sg_pki_issue_reserve(P.factory_ca, &s, &o, serial2, &err), SG_OK);
	assert_memory_not_equal(serial, serial2, 16);
	assert_int_equal(serial[0] & 0xc0, 0x40);

	X509 *x;
	assert_int_equal(sg_pki_issue_sign(P.factory_ca, &s, serial, &x, &err), SG_OK);
	na = spki_der(spki, &a);
	nb = spki_der(X509_get_X509_PUBKEY(x), &b);
	assert_true(na > 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	OPENSSL_free(a);
	OPENSSL_free(b);
	/* what others see: the DER decodes, its key is the CSR's, it verifies */
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	const unsigned char *p = der;
	X509 *y = d2i_X509(NULL, &p, n);
	assert_non_null(y);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(y), key), 1);
	assert_int_equal(X509_verify(y, X509_get0_pubkey(P.factory)), 1);
	assert_int_equal(sg_pki_lint(y, SG_PROF_IDEVID, P.factory, &err), SG_OK);
	X509_free(y);
	OPENSSL_free(der);

	assert_int_equal(sg_pki_issue_record(&s, &o, x, &err), SG_OK);
	struct sg_pki_subject twin = s; /* another device, the same serial */
	twin.device_serial = "STEP-9";
	assert_int_equal(sg_pki_issue_record(&twin, &o, x, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "rule serial.unique:"));
	/* the refused insert rolled back its savepoint alone */
	assert_int_equal(sg_pki_issue_reserve(P.factory_ca, &s, &o, serial2, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "rule db.one-live-per-device:"));
	assert_int_equal(sg_pki_db_commit(db, &err), SG_OK);
	X509_free(x);

	/* a key that is not the encoding's is refused before anything is made */
	EVP_PKEY *other = pki_test_key("P-256");
	s.key = other;
	s.device_serial = "STEP-2";
	assert_int_equal(sg_pki_issue_sign(P.factory_ca, &s, serial2, &x, &err), SG_EINPUT);
	assert_null(x);
	EVP_PKEY_free(other);
	X509_PUBKEY_free(spki);
	EVP_PKEY_free(key);
}

/* A token signature that does not verify with the CA's public key is
 * caught before a certificate or CRL exists and nothing is recorded: here
 * the factory CA checks with the root's key (both P-256). */
static void test_bad_token_signature(void **state)
{
	struct sg_pki_db *db = *state;
	struct sg_err err = { 0 };
	EVP_PKEY *key = pki_test_key("P-256");
	struct sg_pki_subject s = { .profile = SG_PROF_IDEVID, .key = key, .now = P.now + 10,
				    .device_serial = "BAD-SIG", .hw_type = "1.3.6.1.4.1.99999.1" };
	struct sg_pki_issue_opts o = { .db = db };
	EVP_PKEY_CTX *good = P.factory_ca->check;
	P.factory_ca->check = P.root_ca->check;
	X509 *x = NULL;
	X509_CRL *crl = NULL;
	int rc = sg_pki_issue(P.factory_ca, &s, &o, &x, &err);
	struct sg_err crl_err = { 0 };
	int crl_rc = sg_pki_crl(P.factory_ca, db, P.now + 20, 7, &crl, &crl_err);
	P.factory_ca->check = good;
	assert_int_equal(rc, SG_EENV);
	assert_null(x);
	assert_non_null(strstr(err.msg, "signature does not verify"));
	assert_int_equal(crl_rc, SG_EENV);
	assert_null(crl);
	assert_non_null(strstr(crl_err.msg, "signature does not verify"));
	/* not recorded: the device may have its certificate now */
	assert_int_equal(sg_pki_issue(P.factory_ca, &s, &o, &x, &err), SG_OK);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void test_not_ours(void **state)
{
	(void)state;
	char path[SG_TEST_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/other.txt", P.t.dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a database at all, just some text that is long enough\n", f);
	fclose(f);
	struct sg_pki_db *db;
	struct sg_err err = { 0 };
	assert_int_equal(sg_pki_db_open(path, &db, &err), SG_EENV);
}

/* ---- sg_pki_db_find_device and sg_pki_db_find_key */

struct found {
	int n;
	char serial[8][41], device[8][32], status[8][16], supersedes[8][41];
};

static int found_fn(const struct sg_pki_record *r, void *arg)
{
	struct found *f = arg;
	assert_true(f->n < 8);
	snprintf(f->serial[f->n], sizeof(f->serial[0]), "%s", r->serial);
	snprintf(f->device[f->n], sizeof(f->device[0]), "%s", r->device_serial);
	snprintf(f->status[f->n], sizeof(f->status[0]), "%s", r->status);
	snprintf(f->supersedes[f->n], sizeof(f->supersedes[0]), "%s",
		 r->supersedes ? r->supersedes : "");
	f->n++;
	return 0;
}

static void assert_row(const struct found *f, int i, const char *serial, const char *device,
		       const char *status)
{
	assert_string_equal(f->serial[i], serial);
	assert_string_equal(f->device[i], device);
	assert_string_equal(f->status[i], status);
}

static int stop_fn(const struct sg_pki_record *r, void *arg)
{
	(void)r;
	++*(int *)arg;
	return 7;
}

static void serial_of(X509 *x, char hex[41])
{
	sg_pki_serial_hex(X509_get0_serialNumber(x), hex, 41);
	X509_free(x);
}

/* Every certificate of a device or of a key, whatever its profile and
 * status, in issuance order; nothing of the other devices and keys. */
static void test_find_device_and_key(void **state)
{
	struct sg_pki_db *db = *state;
	struct sg_err err = { 0 };
	EVP_PKEY *shared = pki_test_key("P-256");
	X509 *x;
	char fd1_old[41], fd1_new[41], fd2_revoked[41], fd2_live[41], fd3[41], ski[41];
	assert_int_equal(issue(db, "FD-1", false, &x, &err), SG_OK);
	serial_of(x, fd1_old);
	assert_int_equal(issue(db, "FD-1", true, &x, &err), SG_OK);
	serial_of(x, fd1_new);
	assert_int_equal(issue_key(db, "FD-2", shared, false, &x, &err), SG_OK);
	pki_ski_hex(x, ski, sizeof(ski));
	serial_of(x, fd2_revoked);
	assert_int_equal(sg_pki_db_revoke(db, fd2_revoked, 1, P.now + 20, &err), SG_OK);
	assert_int_equal(issue_key(db, "FD-2", shared, false, &x, &err), SG_OK);
	serial_of(x, fd2_live);
	/* the same key for another device: what the station's check catches */
	assert_int_equal(issue_key(db, "FD-3", shared, false, &x, &err), SG_OK);
	serial_of(x, fd3);
	assert_int_equal(issue(db, "FD-4", false, NULL, &err), SG_OK);
	EVP_PKEY_free(shared);

	struct found f = { 0 };
	assert_int_equal(sg_pki_db_find_device(db, "FD-1", found_fn, &f, &err), SG_OK);
	assert_int_equal(f.n, 2);
	assert_row(&f, 0, fd1_old, "FD-1", "superseded");
	assert_row(&f, 1, fd1_new, "FD-1", "live");
	assert_string_equal(f.supersedes[1], fd1_old);

	memset(&f, 0, sizeof(f));
	assert_int_equal(sg_pki_db_find_device(db, "FD-2", found_fn, &f, &err), SG_OK);
	assert_int_equal(f.n, 2);
	assert_row(&f, 0, fd2_revoked, "FD-2", "revoked");
	assert_row(&f, 1, fd2_live, "FD-2", "live");

	memset(&f, 0, sizeof(f));
	assert_int_equal(sg_pki_db_find_device(db, "FD-9", found_fn, &f, &err), SG_OK);
	assert_int_equal(f.n, 0);
	assert_int_equal(sg_pki_db_find_device(db, "fd-1", found_fn, &f, &err), SG_OK);
	assert_int_equal(f.n, 0); /* a device serial is compared exactly */

	/* the key, asked in upper case: both devices, revoked row included */
	char upper[41];
	for (size_t i = 0; i < sizeof(upper); i++)
		upper[i] = (char)(ski[i] >= 'a' && ski[i] <= 'f' ? ski[i] - 32 : ski[i]);
	assert_int_equal(sg_pki_db_find_key(db, upper, found_fn, &f, &err), SG_OK);
	assert_int_equal(f.n, 3);
	assert_row(&f, 0, fd2_revoked, "FD-2", "revoked");
	assert_row(&f, 1, fd2_live, "FD-2", "live");
	assert_row(&f, 2, fd3, "FD-3", "live");
	memset(&f, 0, sizeof(f));
	assert_int_equal(sg_pki_db_find_key(db, "00112233", found_fn, &f, &err), SG_OK);
	assert_int_equal(f.n, 0);

	/* fn's non-zero return stops the walk and is returned */
	int calls = 0;
	assert_int_equal(sg_pki_db_find_key(db, ski, stop_fn, &calls, &err), 7);
	assert_int_equal(calls, 1);
	calls = 0;
	assert_int_equal(sg_pki_db_find_device(db, "FD-2", stop_fn, &calls, &err), 7);
	assert_int_equal(calls, 1);
}

/* ---- schema upgrades */

/* The schema as versions 1 and 2 wrote it. */
static const char schema_v1[] =
	"CREATE TABLE certs (id INTEGER PRIMARY KEY, serial TEXT NOT NULL UNIQUE,"
	" subject TEXT NOT NULL, profile TEXT NOT NULL, device_serial TEXT,"
	" key_id TEXT NOT NULL, issuer TEXT NOT NULL, issuer_key_id TEXT NOT NULL,"
	" not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, issued_at INTEGER NOT NULL,"
	" der BLOB NOT NULL,"
	" superseded_by TEXT REFERENCES certs(serial) DEFERRABLE INITIALLY DEFERRED,"
	" revoked_at INTEGER, reason INTEGER,"
	" CHECK ((revoked_at IS NULL) = (reason IS NULL)));"
	"CREATE UNIQUE INDEX certs_one_live_per_device ON certs(profile, device_serial)"
	" WHERE device_serial IS NOT NULL AND revoked_at IS NULL AND superseded_by IS NULL;"
	"CREATE INDEX certs_revoked ON certs(issuer_key_id) WHERE revoked_at IS NOT NULL;"
	"CREATE TABLE crl_numbers (issuer_key_id TEXT PRIMARY KEY, last INTEGER NOT NULL);"
	"INSERT INTO certs (serial, subject, profile, device_serial, key_id, issuer,"
	" issuer_key_id, not_before, not_after, issued_at, der) VALUES"
	" ('0a01', 'CN=old', 'idevid', 'OLD-1', 'abcdef01', 'CN=ca', '99', 1, 2, 1, x'3000'),"
	" ('0a02', 'CN=old2', 'idevid', 'OLD-2', 'abcdef02', 'CN=ca', '99', 1, 2, 1, x'3000');"
	"PRAGMA application_id=1397182539;";
static const char ledger_owed_v2[] =
	"CREATE TABLE ledger_owed (id INTEGER PRIMARY KEY, ledger TEXT NOT NULL,"
	" from_index INTEGER NOT NULL, time INTEGER NOT NULL, type TEXT NOT NULL,"
	" fields TEXT NOT NULL, ref TEXT NOT NULL);"
	"CREATE INDEX ledger_owed_ref ON ledger_owed(ref);"
	"INSERT INTO ledger_owed (ledger, from_index, time, type, fields, ref)"
	" VALUES ('o', 3, 1, 'cert.issued', '{}', '0a01');";

/* A file of that version, with two certificates (and, version 2, an owed
 * record). */
static void make_old(const char *path, int version)
{
	unlink(path);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	char sql[2048];
	snprintf(sql, sizeof(sql), "BEGIN;%s%sPRAGMA user_version=%d;COMMIT;", schema_v1,
		 version >= 2 ? ledger_owed_v2 : "", version);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* One integer a query on the file returns. */
static int file_int(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

static void assert_current(const char *path)
{
	assert_int_equal(file_int(path, "PRAGMA user_version"), 3);
	assert_int_equal(file_int(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
					" AND tbl_name = 'certs'"
					" AND name IN ('certs_device', 'certs_key')"),
			 2);
	assert_int_equal(file_int(path, "SELECT count(*) FROM certs"), 2);
}

/* A version 1 or 2 file is upgraded in place when opened: its rows stay,
 * it gets the indexes; a newer version is refused. */
static void test_upgrade(void **state)
{
	(void)state;
	char path[SG_TEST_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/old.sqlite", P.t.dir);
	struct sg_err err = { 0 };
	struct sg_pki_db *db;
	for (int version = 1; version <= 2; version++) {
		make_old(path, version);
		assert_int_equal(sg_pki_db_open(path, &db, &err), SG_OK);
		struct found f = { 0 };
		assert_int_equal(sg_pki_db_find_device(db, "OLD-1", found_fn, &f, &err), SG_OK);
		assert_int_equal(sg_pki_db_find_key(db, "ABCDEF02", found_fn, &f, &err), SG_OK);
		assert_int_equal(f.n, 2);
		assert_string_equal(f.serial[0], "0a01");
		assert_string_equal(f.serial[1], "0a02");
		sg_pki_db_close(db);
		assert_current(path);
		assert_int_equal(file_int(path, "SELECT count(*) FROM ledger_owed"),
				 version >= 2 ? 1 : 0);
		/* opened again: nothing to do */
		assert_int_equal(sg_pki_db_open(path, &db, &err), SG_OK);
		sg_pki_db_close(db);
		assert_current(path);
	}
	make_old(path, 4);
	assert_int_equal(sg_pki_db_open(path, &db, &err), SG_EENV);
	assert_non_null(strstr(err.msg, "schema version 4, this signet knows 3"));
}

/* Several processes open one version 2 file at once: each upgrade runs in
 * its own transaction, the first does it and the others find it done. */
static void test_upgrade_race(void **state)
{
	(void)state;
	char path[SG_TEST_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/race.sqlite", P.t.dir);
	make_old(path, 2);
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t kids[6];
	for (int i = 0; i < 6; i++) {
		if ((kids[i] = fork()) == 0) {
			char c;
			close(go[1]);
			(void)!read(go[0], &c, 1); /* EOF: all start together */
			struct sg_pki_db *db;
			struct sg_err err = { 0 };
			int rc = sg_pki_db_open(path, &db, &err);
			if (rc)
				fprintf(stderr, "child %d: %s\n", i, err.msg);
			else
				sg_pki_db_close(db);
			_exit(rc);
		}
		assert_true(kids[i] > 0);
	}
	close(go[0]);
	close(go[1]);
	for (int i = 0; i < 6; i++) {
		int status;
		assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_current(path);
}

/* ---- the lookups' query plans */

/* The last certificate query a connection prepared, as the library wrote
 * it: every connection the process opens is traced (sqlite3_auto_extension). */
static char traced[1024];

static int trace_fn(unsigned type, void *ctx, void *p, void *x)
{
	(void)type, (void)ctx, (void)x;
	const char *sql = sqlite3_sql(p);
	if (sql && !strncmp(sql, "SELECT serial, subject", 22))
		snprintf(traced, sizeof(traced), "%s", sql);
	return 0;
}

static int trace_connection(sqlite3 *h, const char **msg, const void *api)
{
	(void)msg, (void)api;
	return sqlite3_trace_v2(h, SQLITE_TRACE_STMT, trace_fn, NULL);
}

/* EXPLAIN QUERY PLAN of sql on the file, one detail a line. */
static void plan_of(const char *sql, char *plan, size_t n)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	char explain[sizeof(traced) + 32];
	snprintf(explain, sizeof(explain), "EXPLAIN QUERY PLAN %s", sql);
	assert_int_equal(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, explain, -1, &st, NULL), SQLITE_OK);
	size_t used = 0;
	plan[0] = 0;
	while (sqlite3_step(st) == SQLITE_ROW && used < n)
		used += (size_t)snprintf(plan + used, n - used, "%s\n", sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	sqlite3_close(h);
}

/* Each lookup searches its index rather than scanning every certificate,
 * and so does the look for the certificate each row superseded. */
static void test_find_plans(void **state)
{
	(void)state;
	struct sg_err err = { 0 };
	struct sg_pki_db *db;
	int calls = 0;
	char plan[1024];
	assert_int_equal(sqlite3_auto_extension((void (*)(void))trace_connection), SQLITE_OK);
	assert_int_equal(sg_pki_db_open(db_path, &db, &err), SG_OK);
	sqlite3_cancel_auto_extension((void (*)(void))trace_connection);

	traced[0] = 0;
	assert_int_equal(sg_pki_db_find_device(db, "FD-1", stop_fn, &calls, &err), 7);
	assert_non_null(strstr(traced, "device_serial ="));
	plan_of(traced, plan, sizeof(plan));
	assert_non_null(strstr(plan, "SEARCH certs USING INDEX certs_device (device_serial=?)"));
	assert_null(strstr(plan, "SCAN")); /* nor for the certificate each row superseded */

	traced[0] = 0;
	assert_int_equal(sg_pki_db_find_key(db, "AB", stop_fn, &calls, &err), SG_OK);
	assert_non_null(strstr(traced, "key_id ="));
	plan_of(traced, plan, sizeof(plan));
	assert_non_null(strstr(plan, "SEARCH certs USING INDEX certs_key (key_id=?)"));
	assert_null(strstr(plan, "SCAN"));
	sg_pki_db_close(db);
}

static int setup(void **state)
{
	if (pki_test_setup(&P))
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/pki.sqlite", P.t.dir);
	struct sg_pki_db *db;
	struct sg_err err = { 0 };
	if (sg_pki_db_open(db_path, &db, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	*state = db;
	return 0;
}

static int teardown(void **state)
{
	sg_pki_db_close(*state);
	pki_test_teardown(&P);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_uniqueness),
		cmocka_unit_test(test_revoke_frees_device),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_serial_unique),
		cmocka_unit_test(test_issue_steps),
		cmocka_unit_test(test_bad_token_signature),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_find_device_and_key),
		cmocka_unit_test(test_upgrade),
		cmocka_unit_test(test_upgrade_race),
		cmocka_unit_test(test_find_plans),
	};
	return cmocka_run_group_tests_name("pki_db", tests, setup, teardown);
}
