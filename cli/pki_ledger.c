/* signet pki --ledger. The issuance database is the source of truth: each
 * command writes the records it owes the ledger into the database in the
 * transaction of the change (sg_pki_db_owe), and after the commit appends
 * them and deletes them (pki_ledger_settle). A crash in between leaves them
 * owed; the next `pki --ledger` run settles them first. A settle holds the
 * database's write lock from reading what is owed to marking it paid, so
 * settles take turns; each appends all it found owed, in database order, in
 * one ledger transaction. So the owed records already in the ledger (a
 * crash after the append, before the paid mark committed) are always the
 * first ones in database order, at increasing indexes from their
 * from_index on: one pass over the records since the oldest from_index
 * finds them, and they are never appended twice. */
#include "pki_ledger.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "signet/fileio.h"
#include "signet/ledger.h"
#include "signet/ledger_record.h"

/* ---- what is owed */

static void set_time(struct sg_record_builder *b, const char *name, long long t)
{
	char text[CLI_UTC_MAX];
	/* a time before 1970 or past 9999 is refused by the type's check */
	sg_record_set_str(b, name, t < 0 ? "?" : cli_utc((uint64_t)t, text, false));
}

static void set_sha256(struct sg_record_builder *b, const char *name, const uint8_t *p, size_t n)
{
	uint8_t md[32];
	unsigned len = 0;
	if (EVP_Digest(p, n, md, &len, EVP_sha256(), NULL))
		sg_record_set_hex(b, name, md, len);
}

int pki_ledger_owe(struct wire *w, struct sg_pki_db *db, const char *type,
	       struct sg_record_builder *b, long long time, const char *ref, struct sg_err *err)
{
	struct wire_rec rec;
	uint64_t size;
	int rc = wire_rec_take(&rec, type, b, err);
	if (rc)
		return rc;
	if (!(rc = sg_ledger_size(w->l, &size, NULL, err))) {
		struct sg_pki_owed o = { .ledger = sg_ledger_origin(w->l), .from_index = size,
					 .time = time, .type = type, .fields = rec.json,
					 .ref = ref };
		rc = sg_pki_db_owe(db, &o, err);
	}
	wire_rec_clear(&rec);
	return rc;
}

struct found {
	struct sg_record_builder *b;
	const char *type;
	long long time;
};

static int cert_issued(const struct sg_pki_record *r, void *arg)
{
	struct found *f = arg;
	struct sg_record_builder *b = f->b = sg_record_builder_new("cert.issued");
	f->type = "cert.issued";
	f->time = r->issued_at;
	sg_record_set_str(b, "serial", r->serial);
	sg_record_set_str(b, "profile", r->profile);
	sg_record_set_str(b, "subject", r->subject);
	set_sha256(b, "der_sha256", r->der, r->der_len);
	/* A root has no AKI of its own: its issuer is itself. */
	sg_record_set_str(b, "issuer_key_id", r->issuer_key_id[0] ? r->issuer_key_id : r->key_id);
	if (r->key_id[0])
		sg_record_set_str(b, "key_id", r->key_id);
	if (r->device_serial)
		sg_record_set_str(b, "device", r->device_serial);
	set_time(b, "not_before", r->not_before);
	set_time(b, "not_after", r->not_after);
	if (r->supersedes)
		sg_record_set_str(b, "supersedes", r->supersedes);
	return 0;
}

static int cert_revoked(const struct sg_pki_record *r, void *arg)
{
	struct found *f = arg;
	struct sg_record_builder *b = f->b = sg_record_builder_new("cert.revoked");
	f->type = "cert.revoked";
	f->time = r->revoked_at;
	sg_record_set_str(b, "serial", r->serial);
	sg_record_set_str(b, "reason", r->reason ? r->reason : "?");
	set_time(b, "revoked_at", r->revoked_at);
	if (r->issuer_key_id[0])
		sg_record_set_str(b, "issuer_key_id", r->issuer_key_id);
	return 0;
}

/* The record fn builds from the database row of serial, owed. */
static int owe_row(struct wire *w, struct sg_pki_db *db, const char *serial,
		   int (*fn)(const struct sg_pki_record *r, void *arg), struct sg_err *err)
{
	struct found f = { 0 };
	if (!w->l)
		return SG_OK;
	int rc = sg_pki_db_find(db, serial, fn, &f, err);
	if (!rc && !f.type)
		rc = sg_errf(err, SG_EENV, "serial %s: not in the database", serial);
	if (!rc)
		return pki_ledger_owe(w, db, f.type, f.b, f.time, serial, err);
	sg_record_builder_free(f.b);
	return rc;
}

int pki_ledger_owe_cert(struct wire *w, struct sg_pki_db *db, X509 *cert, struct sg_err *err)
{
	char serial[41];
	sg_pki_serial_hex(X509_get0_serialNumber(cert), serial, sizeof serial);
	return owe_row(w, db, serial, cert_issued, err);
}

int pki_ledger_owe_revoked(struct wire *w, struct sg_pki_db *db, const char *serial,
			   struct sg_err *err)
{
	return owe_row(w, db, serial, cert_revoked, err);
}

static bool asn1_time(const ASN1_TIME *t, long long *out)
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return false;
	*out = (long long)timegm(&tm);
	return true;
}

int pki_ledger_owe_crl(struct wire *w, struct sg_pki_db *db, X509_CRL *crl, time_t now,
		       struct sg_err *err)
{
	if (!w->l)
		return SG_OK;
	ASN1_INTEGER *num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	AUTHORITY_KEYID *aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
	unsigned char *der = NULL;
	int der_len = i2d_X509_CRL(crl, &der);
	int64_t n = 0;
	long long this_update, next_update;
	char ski[129] = "", ref[160], issuer[1024] = "";
	BIO *bio = BIO_new(BIO_s_mem());
	if (bio && X509_NAME_print_ex(bio, X509_CRL_get_issuer(crl), 0, XN_FLAG_RFC2253) >= 0) {
		int got = BIO_read(bio, issuer, (int)sizeof issuer - 1);
		issuer[got > 0 ? got : 0] = '\0';
	}
	BIO_free(bio);
	if (aki && aki->keyid && (size_t)aki->keyid->length * 2 < sizeof ski)
		sg_hex(aki->keyid->data, (size_t)aki->keyid->length, ski);
	bool ok = num && ASN1_INTEGER_get_int64(&n, num) && ski[0] && der_len > 0 &&
		  asn1_time(X509_CRL_get0_lastUpdate(crl), &this_update);
	ASN1_INTEGER_free(num);
	AUTHORITY_KEYID_free(aki);
	if (!ok) {
		OPENSSL_free(der);
		return sg_errf(err, SG_EENV, "cannot describe the CRL for the ledger");
	}
	int count = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
	struct sg_record_builder *b = sg_record_builder_new("crl.issued");
	sg_record_set_int(b, "crl_number", n);
	sg_record_set_str(b, "issuer", issuer);
	sg_record_set_str(b, "issuer_key_id", ski);
	sg_record_set_int(b, "count", count > 0 ? count : 0);
	set_time(b, "this_update", this_update);
	if (asn1_time(X509_CRL_get0_nextUpdate(crl), &next_update))
		set_time(b, "next_update", next_update);
	set_sha256(b, "der_sha256", der, (size_t)der_len);
	OPENSSL_free(der);
	snprintf(ref, sizeof ref, "crl:%s:%lld", ski, (long long)n);
	return pki_ledger_owe(w, db, "crl.issued", b, (long long)now, ref, err);
}

/* ---- settling */

struct owed_row {
	long long id;
	uint64_t from;
	struct wire_rec rec;
	bool in_ledger;
};

struct owed_list {
	struct owed_row *rows;
	size_t n, cap;
	int status;
	struct sg_err err;
};

static int collect(const struct sg_pki_owed *o, void *arg)
{
	struct owed_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct owed_row *rows = realloc(l->rows, cap * sizeof *rows);
		if (!rows)
			return l->status = sg_errf(&l->err, SG_EENV, "out of memory");
		l->rows = rows;
		l->cap = cap;
	}
	struct owed_row *r = &l->rows[l->n];
	memset(r, 0, sizeof *r);
	r->id = o->id;
	r->from = o->from_index;
	/* The record types are the table's own strings (a type the table does
	 * not know is a database that was written by something else). */
	for (size_t i = 0; sg_record_type_name(i); i++)
		if (!strcmp(sg_record_type_name(i), o->type))
			r->rec.type = sg_record_type_name(i);
	r->rec.json = strdup(o->fields);
	r->rec.len = strlen(o->fields);
	r->rec.time = (time_t)o->time;
	if (!r->rec.type || !r->rec.json) {
		free(r->rec.json);
		return l->status = sg_errf(&l->err, SG_EENV, "owed record %lld: type '%s' unknown "
					   "or out of memory", o->id, o->type);
	}
	l->n++;
	return 0;
}

static void owed_free(struct owed_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		wire_rec_clear(&l->rows[i].rec);
	free(l->rows);
}

struct scan {
	struct owed_list *owed;
	size_t next; /* the first row not found yet */
	const char *origin;
	struct sg_err err;
};

/* One ledger record: is it the next owed row, as that row would have been
 * appended at this index? */
static int match(void *arg, uint64_t index, const uint8_t *leaf, size_t len)
{
	struct scan *s = arg;
	if (s->next == s->owed->n)
		return 1; /* all found */
	struct owed_row *r = &s->owed->rows[s->next];
	uint8_t *want;
	size_t want_len;
	if (index < r->from)
		return 0;
	if (sg_record_build(r->rec.type, r->rec.json, r->rec.len, index, r->rec.time, s->origin,
			    &want, &want_len, &s->err))
		return -1;
	if (want_len == len && !memcmp(want, leaf, len)) {
		r->in_ledger = true;
		s->next++;
	}
	free(want);
	return 0;
}

/* Which of the owed rows the ledger holds already (a crash came after
 * their append): the first ones, in order. */
static int find_appended(struct wire *w, struct owed_list *owed, size_t *appended,
			 struct sg_err *err)
{
	struct scan s = { owed, 0, sg_ledger_origin(w->l), { 0 } };
	uint64_t size;
	int rc = sg_ledger_size(w->l, &size, NULL, err);
	if (!rc && owed->n) {
		rc = sg_ledger_records(w->l, owed->rows[0].from, size, match, &s, err);
		if (rc < 0)
			rc = sg_errf(err, s.err.status, "%s", s.err.msg);
		else if (rc > 0)
			rc = SG_OK;
	}
	*appended = s.next;
	return rc;
}

static int settle_locked(struct wire *w, struct sg_pki_db *db, struct owed_list *owed,
			 struct sg_err *err)
{
	size_t appended;
	struct wire_rec *recs = NULL;
	int rc = sg_pki_db_owed(db, sg_ledger_origin(w->l), collect, owed, err);
	if (owed->status)
		return *err = owed->err, owed->status;
	if (rc || owed->n == 0)
		return rc;
	if ((rc = find_appended(w, owed, &appended, err)))
		return rc;
	if (appended < owed->n) {
		recs = calloc(owed->n - appended, sizeof *recs);
		if (!recs)
			return sg_errf(err, SG_EENV, "out of memory");
		for (size_t i = appended; i < owed->n; i++)
			recs[i - appended] = owed->rows[i].rec;
		rc = wire_append(w, recs, owed->n - appended, NULL, err);
		free(recs);
	}
	for (size_t i = 0; !rc && i < owed->n; i++)
		rc = sg_pki_db_paid(db, owed->rows[i].id, err);
	return rc;
}

int pki_ledger_settle(struct wire *w, struct sg_pki_db *db, struct sg_err *err)
{
	struct owed_list owed = { 0 };
	if (!w->l)
		return SG_OK;
	/* The write lock first: settles (and issuances) take turns. */
	int rc = sg_pki_db_begin(db, err);
	if (!rc && !(rc = settle_locked(w, db, &owed, err)))
		rc = sg_pki_db_commit(db, err);
	if (rc)
		sg_pki_db_rollback(db);
	owed_free(&owed);
	if (rc) {
		char why[sizeof err->msg];
		memcpy(why, err->msg, sizeof why);
		sg_errf(err, rc, "%s: not all the records the database owes it are in (the next "
			"run with this ledger and database appends them): %s", w->path, why);
	}
	return rc;
}
