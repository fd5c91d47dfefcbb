/* One unit on one fixture, step by step (docs/provisioning.md §1-§4).
 *
 * Each step is a function that returns GO (on to the next), END (the unit
 * ended: u->result says how) or FATAL (the token, the database or the
 * ledger failed: the run stops, and the device gets no further command).
 * The station's own failure (station_failed: memory, randomness) is an END
 * that stops the run as well. A step's record is appended, durable, before
 * the next step touches the device; record_end writes the failed or
 * quarantined record. */
#include "station_unit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "pki_ledger.h"
#include "signet/device.h"
#include "signet/fileio.h"
#include "signet/ledger.h"
#include "signet/ledger_record.h"
#include "signet/num.h"
#include "signet/pki.h"
#include "signet/transport.h"
#include "signet/unit_check.h"

enum flow { GO, END, FATAL };

#define SLOT_MAX 4096 /* the largest slot the station reads back */

/* What the unit holds or will hold, by slot (the manifest of §6). */
struct slot_plan {
	uint8_t id;
	const uint8_t *data;
	size_t len;
};

struct unit {
	struct fixture *f;
	struct station *st;
	char id[19];
	bool timed;                /* from the INFO that found the unit: */
	struct timespec t0;        /* when, */
	unsigned long long link0;  /* and the fixture's link time then */
	struct sg_device_info info;
	const char *device; /* info.uid_hex once identified */
	enum station_step step;
	uint32_t lock_state;
	/* the key */
	uint8_t pub[SGP_P256_PUB_LEN];
	bool has_pub;
	EVP_PKEY *injected; /* inject mode: the station's copy, wiped after verify */
	uint8_t *key_blob;
	size_t key_blob_len;
	/* the certificate */
	X509 *cert;
	uint8_t *cert_der;
	size_t cert_len;
	char serial[41];
	uint8_t holds[32];
	/* the end */
	enum station_result result;
	const char *reason;  /* NULL, or reason_buf */
	char reason_buf[65];
	char detail[240];
	uint64_t index;
	bool has_index, registered;
};

/* ---- small things */

static time_t now(void)
{
	uint64_t t;
	struct sg_err err;
	return sg_now(&t, &err) ? time(NULL) : (time_t)t;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* A line of text from anywhere (a device's error, a token's) as a record's
 * detail: printable ASCII only. */
static void set_detail(struct unit *u, const char *fmt, va_list ap)
{
	vsnprintf(u->detail, sizeof u->detail, fmt, ap);
	for (char *p = u->detail; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
}

static enum flow end(struct unit *u, enum station_result result, const char *reason,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum flow end(struct unit *u, enum station_result result, const char *reason,
		     const char *fmt, ...)
{
	u->result = result;
	/* a copy: a reason may come from the check step's facts, gone with it */
	snprintf(u->reason_buf, sizeof u->reason_buf, "%s", reason ? reason : "");
	u->reason = reason ? u->reason_buf : NULL;
	u->detail[0] = '\0';
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		set_detail(u, fmt, ap);
		va_end(ap);
	}
	return END;
}

/* A device call that did not answer OK: the unit fails with the link's
 * reason, or "device-error" naming the status. A link that failed is
 * dropped; the next unit connects again. */
static enum flow device_failed(struct unit *u, int rc, const struct sg_err *err)
{
	struct sg_device *d = u->f->dev;
	if (rc == SG_FAIL)
		return end(u, RESULT_FAILED, "device-error", "%s: the device answered %s",
			   station_step_name(u->step), sg_device_status_name(sg_device_status(d)));
	const char *reason = sg_device_reason(d);
	enum flow fl = end(u, RESULT_FAILED, reason ? reason : "transport", "%s", err->msg);
	if (!strcmp(u->reason, "transport"))
		station_drop_device(u->f);
	return fl;
}

void station_drop_device(struct fixture *f)
{
	if (f->dev)
		f->link_ns += sg_device_stats(f->dev)->link_ns;
	sg_device_free(f->dev);
	f->dev = NULL;
}

/* All the link time of f's devices so far. */
static unsigned long long fixture_link_ns(const struct fixture *f)
{
	return f->link_ns + (f->dev ? sg_device_stats(f->dev)->link_ns : 0);
}

static void event(struct unit *u, bool result)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct station_event e = {
		.kind = result ? EVENT_RESULT : EVENT_STEP, .fixture = u->f->pos, .unit = u->id,
		.device = u->device, .step = u->step, .result = u->result, .reason = u->reason,
		.detail = u->detail[0] ? u->detail : NULL, .serial = u->serial[0] ? u->serial : NULL,
		.index = u->index, .has_index = u->has_index, .timed = u->timed,
		.seconds = (double)(now.tv_sec - u->t0.tv_sec) + (double)(now.tv_nsec - u->t0.tv_nsec) / 1e9,
		.link_seconds = (double)(fixture_link_ns(u->f) - u->link0) / 1e9,
	};
	station_ui_event(u->st->ui, &e);
}

static bool stopped(struct unit *u)
{
	return station_stopping(u->st);
}

static enum flow begin(struct unit *u, enum station_step step)
{
	u->step = step;
	if (stopped(u))
		return end(u, RESULT_FAILED, "interrupted", "the station was asked to stop");
	event(u, false);
	return GO;
}

static void sha256(const uint8_t *p, size_t n, uint8_t md[32])
{
	unsigned len;
	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
}

void station_fatal(struct fixture *f, const char *unit, const struct sg_err *err)
{
	struct station *st = f->st;
	pthread_mutex_lock(&st->mu);
	bool first = st->fatal == 0;
	if (first)
		st->fatal = err->status && err->status != SG_FAIL ? err->status : SG_EENV;
	pthread_mutex_unlock(&st->mu);
	if (first) {
		char text[sizeof err->msg + 256];
		fprintf(stderr, "signet: fixture %s%s%s: %s\n", f->name, unit ? ", unit " : "",
			unit ? unit : "", cli_err_text(err, text, sizeof text));
	}
	__atomic_store_n(st->stop, 1, __ATOMIC_SEQ_CST);
}

/* The station itself failed, not the device: out of memory, no randomness,
 * no key pair of its own making. The unit ends `interrupted` (its
 * unit.failed record written as for a signal) and the run stops, exit 3. */
static enum flow station_failed(struct unit *u, const char *what)
{
	struct sg_err err = { 0 };
	sg_errf(&err, SG_EENV, "%s", what);
	station_fatal(u->f, u->id, &err);
	return end(u, RESULT_FAILED, "interrupted", "%s", what);
}

bool station_stopping(struct station *st)
{
	pthread_mutex_lock(&st->mu);
	bool fatal = st->fatal != 0;
	pthread_mutex_unlock(&st->mu);
	return fatal || __atomic_load_n(st->stop, __ATOMIC_SEQ_CST) != 0;
}

/* ---- the ledger */

static struct sg_record_builder *record(struct unit *u, const char *type)
{
	struct sg_record_builder *b = sg_record_builder_new(type);
	sg_record_set_str(b, "unit", u->id);
	if (u->device)
		sg_record_set_str(b, "device", u->device);
	return b;
}

/* Appends b (taken), durable on return; FATAL stops the run. */
static enum flow append(struct unit *u, const char *type, struct sg_record_builder *b)
{
	struct wire_rec rec;
	struct sg_err err = { 0 };
	int rc = wire_rec_take(&rec, type, b, &err);
	if (!rc) {
		rec.time = now();
		rc = wire_append(&u->f->w, &rec, 1, &u->index, &err);
		wire_rec_clear(&rec);
	}
	if (rc) {
		station_fatal(u->f, u->id, &err);
		return FATAL;
	}
	u->has_index = true;
	return GO;
}

/* ---- connect and identify */

static enum flow connect_device(struct unit *u)
{
	struct fixture *f = u->f;
	struct sg_transport *t;
	struct sg_err err = { 0 };
	if (f->dev)
		return GO;
	int rc = sg_transport_open_for(f->spec, &u->st->target, 2000, &t, &err);
	/* a serial line's rate: the answer timeouts count the bytes' time on the wire */
	if (!rc && (rc = sg_device_new(t, &(struct sg_device_opts){ .baud = sg_transport_baud(t) }, &f->dev,
				       &err)) != SG_OK)
		f->dev = NULL;
	return rc ? end(u, RESULT_FAILED, "transport", "%s", err.msg) : GO;
}

/* INFO until a unit other than the last one here answers (the operator
 * swaps boards), every 0.5 s. */
static enum flow await_unit(struct unit *u)
{
	struct sg_err err = { 0 };
	for (;;) {
		int rc = sg_device_info(u->f->dev, &u->info, &err);
		if (rc)
			return device_failed(u, rc, &err);
		if (strcmp(u->info.uid_hex, u->f->last_uid))
			return GO;
		for (int i = 0; i < 5; i++) {
			if (stopped(u))
				return end(u, RESULT_FAILED, "interrupted", "stopped while waiting "
					   "for the next unit");
			sleep_ms(100);
		}
	}
}

static enum flow step_connect(struct unit *u)
{
	enum flow fl = begin(u, STEP_CONNECT);
	if (fl == GO)
		fl = connect_device(u);
	if (fl == GO)
		fl = await_unit(u);
	if (fl != GO)
		return fl;
	u->timed = true;
	clock_gettime(CLOCK_MONOTONIC, &u->t0);
	u->link0 = fixture_link_ns(u->f);
	struct sg_record_builder *b = sg_record_builder_new("unit.started");
	sg_record_set_str(b, "unit", u->id);
	sg_record_set_str(b, "fixture", u->f->name);
	sg_record_set_str(b, "profile", u->st->target.name);
	sg_record_set_str(b, "lock", u->st->lock_word);
	return append(u, "unit.started", b);
}

/* Whether the device reported slot id, and its capacity. */
static bool has_slot(const struct sg_device_info *info, uint8_t id, uint32_t *capacity)
{
	for (unsigned i = 0; i < info->n_slots; i++)
		if (info->slots[i].id == id) {
			*capacity = info->slots[i].capacity;
			return true;
		}
	return false;
}

/* The UID on no other fixture right now (§5): a clone. */
static bool register_uid(struct unit *u)
{
	struct station *st = u->st;
	bool clash = false;
	pthread_mutex_lock(&st->mu);
	for (size_t i = 0; i < st->n_fixtures; i++)
		if (i != u->f->pos && !strcmp(st->active[i], u->device))
			clash = true;
	if (!clash)
		snprintf(st->active[u->f->pos], sizeof st->active[0], "%s", u->device);
	pthread_mutex_unlock(&st->mu);
	u->registered = !clash;
	return !clash;
}

static enum flow check_identity(struct unit *u)
{
	const struct sg_target *t = &u->st->target;
	const struct sg_device_info *in = &u->info;
	uint32_t cap;
	if (strcmp(in->chip, t->chip))
		return end(u, RESULT_FAILED, "wrong-chip", "the device is a '%s', the profile's "
			   "chip is '%s'", in->chip, t->chip);
	uint32_t need = t->key_mode == SG_KEY_DEVICE ? SGP_CAP_KEYGEN | SGP_CAP_CHALLENGE
						     : SGP_CAP_INJECT;
	if ((in->caps & need) != need)
		return end(u, RESULT_FAILED, "bad-agent", "the agent lacks the capabilities of "
			   "key mode %s", t->key_mode == SG_KEY_DEVICE ? "device" : "inject");
	const uint8_t slots[] = { t->slot_cert, t->slot_chain, t->slot_key };
	for (size_t i = 0; i < sizeof slots; i++)
		if (slots[i] && !has_slot(in, slots[i], &cap))
			return end(u, RESULT_FAILED, "bad-agent", "the device has no slot %u",
				   slots[i]);
	if (!register_uid(u))
		return end(u, RESULT_QUARANTINED, "duplicate-uid", "UID %s is on another fixture "
			   "of this station", u->device);
	return GO;
}

static enum flow step_identify(struct unit *u)
{
	u->device = u->info.uid_hex;
	enum flow fl = begin(u, STEP_IDENTIFY);
	if (fl != GO)
		return fl;
	if ((fl = check_identity(u)) != GO)
		return fl;
	char agent[SGP_TEXT_MAX + 1];
	snprintf(agent, sizeof agent, "%s", u->info.agent[0] ? u->info.agent : "?");
	for (char *p = agent; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	struct sg_record_builder *b = record(u, "unit.identified");
	sg_record_set_str(b, "chip", u->info.chip);
	sg_record_set_str(b, "agent", agent);
	sg_record_set_int(b, "lock_bits", u->info.lock_bits);
	sg_record_set_int(b, "protocol", u->info.version);
	return append(u, "unit.identified", b);
}

/* ---- keys and signatures */

static EVP_PKEY *p256_key(const uint8_t pub[SGP_P256_PUB_LEN])
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string("group", (char *)"prime256v1", 0),
		OSSL_PARAM_octet_string("pub", (void *)pub, SGP_P256_PUB_LEN),
		OSSL_PARAM_END,
	};
	if (!c || EVP_PKEY_fromdata_init(c) <= 0 ||
	    EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(c);
	return k;
}

/* sig (r || s) over SHA-256(msg) with key. */
static bool verifies(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t *sig)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
	uint8_t *der = NULL;
	int der_len = -1;
	bool ok = false;
	if (s && r && ss && ECDSA_SIG_set0(s, r, ss)) {
		r = ss = NULL;
		der_len = i2d_ECDSA_SIG(s, &der);
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (der_len > 0 && md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1)
		ok = EVP_DigestVerify(md, der, (size_t)der_len, msg, len) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(s);
	return ok;
}

static bool pub_of(EVP_PKEY *k, uint8_t pub[SGP_P256_PUB_LEN])
{
	size_t len = 0;
	return k && EVP_PKEY_get_octet_string_param(k, "pub", pub, SGP_P256_PUB_LEN, &len) == 1 &&
	       len == SGP_P256_PUB_LEN;
}

/* The device's key proof: its signature over UID, nonce and key. */
static bool proof_ok(struct unit *u, const uint8_t nonce[SGP_NONCE_LEN], const uint8_t *sig)
{
	uint8_t msg[SGP_SIGNED_MAX];
	size_t n = sgp_signed_message(1, u->info.uid, u->info.uid_len, nonce, u->pub, msg);
	EVP_PKEY *k = p256_key(u->pub);
	bool ok = k && verifies(k, msg, n, sig);
	EVP_PKEY_free(k);
	return ok;
}

/* A fresh challenge signed by the device must verify with key. */
static enum flow challenge(struct unit *u, EVP_PKEY *key, bool *ok)
{
	uint8_t nonce[SGP_NONCE_LEN], sig[SGP_P256_SIG_LEN], msg[SGP_SIGNED_MAX];
	struct sg_err err = { 0 };
	if (RAND_bytes(nonce, sizeof nonce) != 1)
		return station_failed(u, "no randomness for a nonce");
	int rc = sg_device_challenge(u->f->dev, nonce, sig, &err);
	if (rc == SG_FAIL && sg_device_status(u->f->dev) == SGP_NO_KEY) {
		*ok = false;
		return GO;
	}
	if (rc)
		return device_failed(u, rc, &err);
	size_t n = sgp_signed_message(0, u->info.uid, u->info.uid_len, nonce, NULL, msg);
	*ok = verifies(key, msg, n, sig);
	return GO;
}

/* KEYGEN in mode; the proof must verify. */
static enum flow keygen(struct unit *u, uint8_t mode, bool *got)
{
	uint8_t nonce[SGP_NONCE_LEN], sig[SGP_P256_SIG_LEN];
	struct sg_err err = { 0 };
	int existed;
	*got = false;
	if (RAND_bytes(nonce, sizeof nonce) != 1)
		return station_failed(u, "no randomness for a nonce");
	int rc = sg_device_keygen(u->f->dev, mode, nonce, u->pub, sig, &existed, &err);
	if (rc == SG_FAIL && mode == SGP_KEYGEN_EXISTING &&
	    (sg_device_status(u->f->dev) == SGP_NO_KEY || sg_device_status(u->f->dev) == SGP_LOCKED))
		return GO;
	if (rc)
		return device_failed(u, rc, &err);
	if (!proof_ok(u, nonce, sig))
		return end(u, RESULT_QUARANTINED, "key-proof", "the KEYGEN signature does not "
			   "verify over UID, nonce and key");
	*got = u->has_pub = true;
	return GO;
}

/* SKI of the device's key as pki/ computes it: SHA-1 of the point. */
static void key_id(const uint8_t pub[SGP_P256_PUB_LEN], char hex[41])
{
	uint8_t md[20];
	unsigned len;
	EVP_Digest(pub, SGP_P256_PUB_LEN, md, &len, EVP_sha1(), NULL);
	sg_hex(md, sizeof md, hex);
}

/* ---- the database */

struct key_use {
	const char *device;
	bool other, any;
};

static int note_key_use(const struct sg_pki_record *r, void *arg)
{
	struct key_use *k = arg;
	k->any = true;
	if (!r->device_serial || strcmp(r->device_serial, k->device))
		k->other = true;
	return 0;
}

static int key_uses(struct unit *u, struct key_use *k)
{
	char ski[41];
	struct sg_err err = { 0 };
	memset(k, 0, sizeof *k);
	k->device = u->device;
	key_id(u->pub, ski);
	int rc = sg_pki_db_find_key(u->f->db, ski, note_key_use, k, &err);
	if (rc)
		station_fatal(u->f, u->id, &err);
	return rc;
}

static int count_cert(const struct sg_pki_record *r, void *arg)
{
	(void)r;
	*(bool *)arg = true;
	return 0;
}

/* ---- check */

struct check {
	struct sg_unit_facts facts;
	X509 *live;
	struct station_ledger_facts ledger;
};

/* The public point of a raw P-256 private scalar. */
static bool raw_pub(const uint8_t d32[32], uint8_t pub[SGP_P256_PUB_LEN])
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	EC_POINT *q = g ? EC_POINT_new(g) : NULL;
	BIGNUM *d = BN_bin2bn(d32, 32, NULL);
	bool ok = d && q && EC_POINT_mul(g, q, d, NULL, NULL, NULL) &&
		  EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pub, SGP_P256_PUB_LEN,
				     NULL) == SGP_P256_PUB_LEN;
	BN_clear_free(d);
	EC_POINT_free(q);
	EC_GROUP_free(g);
	return ok;
}

/* The inject-mode key the device holds, if its key slot can be read. */
static enum flow injected_key(struct unit *u, bool *has)
{
	uint8_t buf[256];
	size_t len;
	struct sg_err err = { 0 };
	*has = false;
	int rc = sg_device_read_slot(u->f->dev, u->st->target.slot_key, buf, sizeof buf, &len, &err);
	if (rc == SG_FAIL && sg_device_status(u->f->dev) == SGP_LOCKED)
		return GO;
	if (rc)
		return device_failed(u, rc, &err);
	EVP_PKEY *k = NULL;
	const uint8_t *p = buf;
	if (len && u->st->target.key_format == SG_KEY_FORMAT_PKCS8_DER) {
		k = d2i_AutoPrivateKey(NULL, &p, (long)len);
		*has = pub_of(k, u->pub);
		EVP_PKEY_free(k);
	} else if (len == 32) {
		*has = raw_pub(buf, u->pub);
	}
	u->has_pub = *has;
	/* kept for a resumed unit's manifest and read-back, wiped after verify */
	if (*has && (u->key_blob = OPENSSL_malloc(len)) != NULL) {
		memcpy(u->key_blob, buf, len);
		u->key_blob_len = len;
	}
	OPENSSL_cleanse(buf, sizeof buf);
	return *has && !u->key_blob ? station_failed(u, "out of memory") : GO;
}

static bool same_key(X509 *cert, const uint8_t pub[SGP_P256_PUB_LEN])
{
	uint8_t cpub[SGP_P256_PUB_LEN];
	return cert && pub_of(X509_get0_pubkey(cert), cpub) && !memcmp(cpub, pub, sizeof cpub);
}

/* The facts of §3 from the device, the database and the ledger. */
static enum flow gather(struct unit *u, struct check *c)
{
	struct sg_unit_facts *f = &c->facts;
	struct sg_err err = { 0 };
	const char *profile = sg_pki_profile_name(u->st->target.cert_profile);
	int rc = sg_device_lock_state(u->f->dev, &u->lock_state, &err);
	if (rc)
		return device_failed(u, rc, &err);
	f->locked = u->lock_state != 0;
	f->lock_as_expected = u->lock_state == u->st->target.lock_expect;
	bool has = false;
	enum flow fl = u->st->target.key_mode == SG_KEY_DEVICE
			       ? keygen(u, SGP_KEYGEN_EXISTING, &has)
			       : injected_key(u, &has);
	if (fl != GO)
		return fl;
	f->has_key = has;
	if (sg_pki_db_live_cert(u->f->db, profile, u->device, &c->live, &err) ||
	    sg_pki_db_find_device(u->f->db, u->device, count_cert, &f->any_cert, &err)) {
		station_fatal(u->f, u->id, &err);
		return FATAL;
	}
	f->live_cert = c->live != NULL;
	f->key_is_certs = has && same_key(c->live, u->pub);
	if (has) {
		struct key_use k;
		if (key_uses(u, &k))
			return FATAL;
		f->key_other_uid = k.other;
	}
	pthread_mutex_lock(&u->st->mu);
	rc = station_index_update(u->st->index, u->f->w.l, &err);
	if (!rc)
		station_index_get(u->st->index, u->device, &c->ledger);
	pthread_mutex_unlock(&u->st->mu);
	if (rc) {
		station_fatal(u->f, u->id, &err);
		return FATAL;
	}
	f->ledger_locked = c->ledger.locked;
	f->ledger_prelock = c->ledger.prelock;
	f->ledger_cert = c->ledger.cert;
	f->ledger_quarantined = c->ledger.quarantined;
	f->quarantine_reason = c->ledger.quarantined ? c->ledger.reason : NULL;
	return GO;
}

static void take_cert(struct unit *u, X509 *cert)
{
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	X509_free(u->cert);
	OPENSSL_free(u->cert_der);
	u->cert = cert;
	u->cert_der = len > 0 ? der : NULL;
	u->cert_len = len > 0 ? (size_t)len : 0;
	sg_pki_serial_hex(X509_get0_serialNumber(cert), u->serial, sizeof u->serial);
}

/* ---- issuing, in one database transaction with what the ledger is owed */

static enum flow db_failed(struct unit *u, const struct sg_err *err)
{
	sg_pki_db_rollback(u->f->db);
	station_fatal(u->f, u->id, err);
	return FATAL;
}

/* Appends what the database owes the ledger (ours and any a crash left). */
static enum flow settle(struct unit *u)
{
	struct sg_err err = { 0 };
	if (pki_ledger_settle(&u->f->w, u->f->db, &err)) {
		station_fatal(u->f, u->id, &err);
		return FATAL;
	}
	return GO;
}

/* --rework: the live certificate revoked (superseded), in the database and
 * the ledger, before a new key is made. */
static enum flow revoke_live(struct unit *u, X509 *live)
{
	char serial[41];
	struct sg_err err = { 0 };
	sg_pki_serial_hex(X509_get0_serialNumber(live), serial, sizeof serial);
	if (sg_pki_db_begin(u->f->db, &err) ||
	    sg_pki_db_revoke(u->f->db, serial, sg_pki_reason_parse("superseded"), now(), &err) ||
	    pki_ledger_owe_revoked(&u->f->w, u->f->db, serial, &err) ||
	    sg_pki_db_commit(u->f->db, &err))
		return db_failed(u, &err);
	return settle(u);
}

static void set_sha256(struct sg_record_builder *b, const char *name, const uint8_t *p, size_t n)
{
	uint8_t md[32];
	sha256(p, n, md);
	sg_record_set_hex(b, name, md, sizeof md);
}

static enum flow issue_signed(struct unit *u, const struct sg_pki_subject *s)
{
	struct sg_pki_issue_opts o = { .db = u->f->db, .batch = true };
	struct sg_err err = { 0 };
	X509 *cert = NULL;
	if (sg_pki_db_begin(u->f->db, &err))
		return db_failed(u, &err);
	int rc = sg_pki_issue(u->f->ca, s, &o, &cert, &err);
	if (rc == SG_FAIL) {
		sg_pki_db_rollback(u->f->db);
		return end(u, RESULT_FAILED, "lint", "%s", err.msg);
	}
	if (rc)
		return db_failed(u, &err);
	take_cert(u, cert);
	struct sg_record_builder *b = record(u, "unit.cert_issued");
	sg_record_set_str(b, "serial", u->serial);
	sg_record_set_str(b, "profile", sg_pki_profile_name(s->profile));
	set_sha256(b, "der_sha256", u->cert_der, u->cert_len);
	sg_record_set_str(b, "key_mode", u->st->target.key_mode == SG_KEY_INJECT ? "inject" : "device");
	if (pki_ledger_owe_cert(&u->f->w, u->f->db, cert, &err) ||
	    pki_ledger_owe(&u->f->w, u->f->db, "unit.cert_issued", b, now(), u->serial, &err) ||
	    sg_pki_db_commit(u->f->db, &err))
		return db_failed(u, &err);
	return settle(u);
}

/* --dry-run: the certificate the unit would get, built and linted, signed
 * by a throwaway key (never the CA's) so that its size is right. */
static enum flow issue_dry(struct unit *u, const struct sg_pki_subject *s)
{
	uint8_t serial[16];
	struct sg_err err = { 0 };
	X509 *cert = NULL;
	EVP_PKEY *throwaway = EVP_EC_gen("P-256");
	if (!throwaway || RAND_bytes(serial, sizeof serial) != 1) {
		EVP_PKEY_free(throwaway);
		return station_failed(u, "out of memory or randomness");
	}
	serial[0] &= 0x7f;
	int rc = sg_pki_build(s, u->st->ca_cert, serial, &cert, &err);
	if (!rc && (rc = sg_pki_lint(cert, s->profile, u->st->ca_cert, &err)) == SG_OK &&
	    !X509_sign(cert, throwaway, EVP_sha256()))
		rc = sg_errf(&err, SG_EENV, "cannot sign with a throwaway key");
	EVP_PKEY_free(throwaway);
	if (rc) {
		X509_free(cert);
		return end(u, RESULT_FAILED, "lint", "%s", err.msg);
	}
	take_cert(u, cert);
	return GO;
}

static enum flow step_issue(struct unit *u)
{
	const struct sg_target *t = &u->st->target;
	char dn[512];
	struct sg_err err = { 0 };
	enum flow fl = begin(u, STEP_ISSUE);
	if (fl != GO)
		return fl;
	if (sg_target_subject(t, u->device, dn, sizeof dn, &err))
		return end(u, RESULT_FAILED, "lint", "%s", err.msg);
	EVP_PKEY *key = p256_key(u->pub);
	if (!key)
		return end(u, RESULT_QUARANTINED, "key-proof", "the device's key is not a P-256 "
			   "point");
	struct sg_pki_subject s = {
		.profile = t->cert_profile, .dn = dn, .device_serial = u->device,
		.hw_type = t->hw_type[0] ? t->hw_type : NULL, .vid = t->vid[0] ? t->vid : NULL,
		.pid = t->pid[0] ? t->pid : NULL, .key = key, .validity_days = t->validity_days,
		.now = now(),
	};
	fl = u->st->dry_run ? issue_dry(u, &s) : issue_signed(u, &s);
	EVP_PKEY_free(key);
	return fl;
}

/* ---- key */

/* Inject mode: the key pair made here, in memory, as the device takes it. */
static enum flow make_injected(struct unit *u)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	uint8_t *blob = NULL;
	int len = -1;
	if (k && u->st->target.key_format == SG_KEY_FORMAT_PKCS8_DER) {
		len = i2d_PrivateKey(k, &blob);
	} else if (k) {
		BIGNUM *d = NULL;
		if (EVP_PKEY_get_bn_param(k, "priv", &d) == 1 && (blob = OPENSSL_malloc(32)) &&
		    BN_bn2binpad(d, blob, 32) == 32)
			len = 32;
		BN_clear_free(d);
	}
	if (len <= 0 || !pub_of(k, u->pub)) {
		EVP_PKEY_free(k);
		OPENSSL_clear_free(blob, len > 0 ? (size_t)len : 0);
		return station_failed(u, "cannot make a key pair");
	}
	u->injected = k;
	u->key_blob = blob;
	u->key_blob_len = (size_t)len;
	u->has_pub = true;
	return GO;
}

static void wipe_injected(struct unit *u)
{
	OPENSSL_clear_free(u->key_blob, u->key_blob_len);
	u->key_blob = NULL;
	u->key_blob_len = 0;
	EVP_PKEY_free(u->injected);
	u->injected = NULL;
}

/* A dry run on a device without a key: a throwaway key stands in for the
 * one the device would make, so that the certificate has its size. */
static enum flow stand_in_key(struct unit *u)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	bool ok = pub_of(k, u->pub);
	EVP_PKEY_free(k);
	u->has_pub = ok;
	return ok ? GO : station_failed(u, "cannot make a key pair");
}

static enum flow step_key(struct unit *u, uint8_t mode)
{
	enum flow fl = begin(u, STEP_KEY);
	bool got;
	struct key_use k;
	if (fl != GO)
		return fl;
	if (u->st->target.key_mode == SG_KEY_INJECT)
		return make_injected(u);
	if (u->st->dry_run) /* KEYGEN "existing" only: a dry run creates nothing */
		return u->has_pub ? GO : stand_in_key(u);
	if ((fl = keygen(u, mode, &got)) != GO)
		return fl;
	if (key_uses(u, &k))
		return FATAL;
	/* A key just made or left by a run that died before issuing has no
	 * certificate; one that has is a clone's or a liar's. */
	return k.any ? end(u, RESULT_QUARANTINED, "key-reused", "the device's key is certified "
			   "already%s", k.other ? " for another device" : "") : GO;
}

/* ---- write and verify */

static size_t plan(struct unit *u, struct slot_plan p[3])
{
	const struct sg_target *t = &u->st->target;
	size_t n = 0;
	p[n++] = (struct slot_plan){ t->slot_cert, u->cert_der, u->cert_len };
	if (t->slot_chain)
		p[n++] = (struct slot_plan){ t->slot_chain, u->st->chain, u->st->chain_len };
	if (t->slot_key && u->key_blob)
		p[n++] = (struct slot_plan){ t->slot_key, u->key_blob, u->key_blob_len };
	/* increasing slot id */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && p[j - 1].id > p[j].id; j--) {
			struct slot_plan tmp = p[j];
			p[j] = p[j - 1];
			p[j - 1] = tmp;
		}
	return n;
}

/* SHA-256 of the manifest (§6): id ‖ length ‖ SHA-256, by slot, then the
 * device's public key. A secret slot (inject mode's key) is left out: its
 * public half stands for it, so no digest of a secret reaches the ledger. */
static void manifest(struct unit *u, const struct slot_plan *p, size_t n, uint8_t out[32],
		     size_t *bytes)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned len;
	*bytes = 0;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (size_t i = 0; i < n; i++) {
		uint8_t head[5] = { p[i].id }, h[32];
		if (p[i].data == u->key_blob)
			continue;
		sgp_put32(head + 1, (uint32_t)p[i].len);
		sha256(p[i].data, p[i].len, h);
		EVP_DigestUpdate(md, head, sizeof head);
		EVP_DigestUpdate(md, h, sizeof h);
		*bytes += p[i].len;
	}
	EVP_DigestUpdate(md, u->pub, SGP_P256_PUB_LEN);
	EVP_DigestFinal_ex(md, out, &len);
	EVP_MD_CTX_free(md);
}

static enum flow read_slot(struct unit *u, uint8_t id, uint8_t *buf, size_t *len)
{
	struct sg_err err = { 0 };
	int rc = sg_device_read_slot(u->f->dev, id, buf, SLOT_MAX, len, &err);
	return rc ? device_failed(u, rc, &err) : GO;
}

/* Writes the slots whose contents differ (a resumed unit rewrites nothing
 * it holds already). */
static enum flow write_slots(struct unit *u, const struct slot_plan *p, size_t n)
{
	uint8_t *buf = malloc(SLOT_MAX);
	enum flow fl = buf ? GO : station_failed(u, "out of memory");
	for (size_t i = 0; fl == GO && i < n; i++) {
		struct sg_err err = { 0 };
		uint32_t cap = 0;
		size_t len;
		has_slot(&u->info, p[i].id, &cap);
		if (p[i].len > cap) {
			fl = end(u, RESULT_FAILED, "device-error", "slot %u holds %u bytes, it needs "
				 "%zu", p[i].id, cap, p[i].len);
			break;
		}
		if ((fl = read_slot(u, p[i].id, buf, &len)) != GO)
			break;
		// NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): buf is not NULL: end() never returns GO
		if (len == p[i].len && !memcmp(buf, p[i].data, len))
			continue;
		int rc = sg_device_write_slot(u->f->dev, p[i].id, p[i].data, p[i].len, &err);
		if (rc)
			fl = device_failed(u, rc, &err);
	}
	if (buf)
		OPENSSL_clear_free(buf, SLOT_MAX);
	return fl;
}

static enum flow step_write(struct unit *u)
{
	struct slot_plan p[3];
	size_t n = plan(u, p), bytes;
	uint8_t md[32];
	enum flow fl = begin(u, STEP_WRITE);
	if (fl != GO)
		return fl;
	if (u->st->dry_run)
		return GO;
	if ((fl = write_slots(u, p, n)) != GO)
		return fl;
	manifest(u, p, n, md, &bytes);
	struct sg_record_builder *b = record(u, "unit.written");
	sg_record_set_hex(b, "written_sha256", md, sizeof md);
	sg_record_set_int(b, "bytes", (int64_t)bytes);
	return append(u, "unit.written", b);
}

/* Every slot read back equal to what was written. */
static enum flow read_back(struct unit *u, const struct slot_plan *p, size_t n)
{
	uint8_t *buf = malloc(SLOT_MAX);
	enum flow fl = buf ? GO : station_failed(u, "out of memory");
	for (size_t i = 0; fl == GO && i < n; i++) {
		size_t len;
		if ((fl = read_slot(u, p[i].id, buf, &len)) != GO)
			break;
		// NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): as above
		if (!u->st->dry_run && (len != p[i].len || memcmp(buf, p[i].data, len)))
			fl = end(u, RESULT_FAILED, "readback", "slot %u reads back %zu bytes that "
				 "differ from the %zu written", p[i].id, len, p[i].len);
	}
	if (buf)
		OPENSSL_clear_free(buf, SLOT_MAX);
	return fl;
}

/* INFO again: the same UID as at identify. */
static enum flow same_uid(struct unit *u)
{
	struct sg_device_info again;
	struct sg_err err = { 0 };
	int rc = sg_device_info(u->f->dev, &again, &err);
	if (rc)
		return device_failed(u, rc, &err);
	if (strcmp(again.uid_hex, u->info.uid_hex))
		return end(u, RESULT_QUARANTINED, "uid-changed", "INFO now shows UID %s",
			   again.uid_hex);
	return GO;
}

static enum flow dry_run_end(struct unit *u, const struct slot_plan *p, size_t n)
{
	uint8_t md[32];
	size_t bytes;
	manifest(u, p, n, md, &bytes);
	struct sg_record_builder *b = record(u, "unit.dry_run");
	sg_record_set_hex(b, "would_write_sha256", md, sizeof md);
	sg_record_set_int(b, "bytes", (int64_t)bytes);
	sg_record_set_int(b, "lock_bits", u->st->target.has_lock ? u->st->target.lock_bits : 0);
	enum flow fl = append(u, "unit.dry_run", b);
	return fl == GO ? end(u, RESULT_DRY_RUN, NULL, "would write %zu bytes in %zu slots and "
			      "lock 0x%x", bytes, n, u->st->target.has_lock ?
			      (unsigned)u->st->target.lock_bits : 0u) : fl;
}

static enum flow verify_unit(struct unit *u)
{
	struct slot_plan p[3];
	size_t n = plan(u, p), bytes;
	bool ok = true, device_key = u->st->target.key_mode == SG_KEY_DEVICE;
	enum flow fl = begin(u, STEP_VERIFY);
	if (fl == GO)
		fl = read_back(u, p, n);
	if (fl == GO)
		fl = same_uid(u);
	if (fl != GO)
		return fl;
	if (u->st->dry_run)
		return dry_run_end(u, p, n);
	if (device_key && (fl = challenge(u, X509_get0_pubkey(u->cert), &ok)) != GO)
		return fl;
	if (!ok)
		return end(u, RESULT_QUARANTINED, "challenge", "the device's challenge signature "
			   "does not verify with certificate %s", u->serial);
	manifest(u, p, n, u->holds, &bytes);
	struct sg_record_builder *b = record(u, "unit.verified");
	sg_record_set_hex(b, "holds_sha256", u->holds, sizeof u->holds);
	sg_record_set_str(b, "challenge", device_key ? "ok" : "none");
	return append(u, "unit.verified", b);
}

static enum flow step_verify(struct unit *u)
{
	enum flow fl = verify_unit(u);
	wipe_injected(u); /* the verify step has ended, and the station's copy of the key */
	return fl;
}

/* ---- prelock, lock, lock-check */

static uint32_t bits_to_set(const struct unit *u)
{
	const struct sg_target *t = &u->st->target;
	return t->has_lock && u->st->lock ? t->lock_bits : 0;
}

static enum flow step_prelock(struct unit *u)
{
	enum flow fl = begin(u, STEP_PRELOCK);
	if (fl != GO)
		return fl;
	struct sg_record_builder *b = record(u, "unit.prelock");
	sg_record_set_hex(b, "holds_sha256", u->holds, sizeof u->holds);
	sg_record_set_str(b, "serial", u->serial);
	sg_record_set_int(b, "lock_bits", bits_to_set(u));
	sg_record_set_str(b, "next", !u->st->target.has_lock ? "pass"
				     : u->st->lock ? "lock" : "not-locked");
	if ((fl = append(u, "unit.prelock", b)) != GO)
		return fl;
	if (!u->st->target.has_lock)
		return end(u, RESULT_PASS, NULL, NULL);
	if (!u->st->lock)
		return end(u, RESULT_NOT_LOCKED, NULL, "not locked (run with --lock)");
	return GO;
}

static enum flow step_lock(struct unit *u)
{
	struct sg_err err = { 0 };
	uint32_t bits = bits_to_set(u), state = 0;
	enum flow fl = begin(u, STEP_LOCK);
	if (fl != GO)
		return fl;
	int rc = sg_device_lock(u->f->dev, bits, &state, &err);
	if (rc == SG_FAIL)
		return end(u, RESULT_QUARANTINED, "lock-failed", "LOCK answered %s",
			   sg_device_status_name(sg_device_status(u->f->dev)));
	if (rc)
		return device_failed(u, rc, &err);
	if ((state & bits) != bits)
		return end(u, RESULT_QUARANTINED, "lock-failed", "LOCK shows 0x%x, not 0x%x",
			   (unsigned)state, (unsigned)bits);
	return GO;
}

static enum flow record_locked(struct unit *u)
{
	struct sg_record_builder *b = record(u, "unit.locked");
	sg_record_set_int(b, "lock_bits", u->lock_state);
	sg_record_set_str(b, "lock", u->st->target.lock_name);
	enum flow fl = append(u, "unit.locked", b);
	return fl == GO ? end(u, RESULT_PASS, NULL, NULL) : fl;
}

static enum flow step_lock_check(struct unit *u)
{
	const struct sg_target *t = &u->st->target;
	struct sg_err err = { 0 };
	enum flow fl = begin(u, STEP_LOCK_CHECK);
	if (fl != GO)
		return fl;
	int rc = sg_device_lock_state(u->f->dev, &u->lock_state, &err);
	if (rc)
		return device_failed(u, rc, &err);
	if (u->lock_state != t->lock_expect)
		return end(u, RESULT_QUARANTINED, "lock-failed", "LOCK_STATE shows 0x%x, the "
			   "profile expects 0x%x", (unsigned)u->lock_state, (unsigned)t->lock_expect);
	if ((fl = same_uid(u)) != GO)
		return fl;
	if (t->lock_bits & SGP_LOCK_SLOTS) {
		rc = sg_device_probe_write(u->f->dev, t->slot_cert, (uint32_t)u->cert_len, &err);
		if (rc == SG_OK)
			return end(u, RESULT_QUARANTINED, "lock-failed", "the certificate slot still "
				   "takes writes after the lock");
		if (rc != SG_FAIL || sg_device_status(u->f->dev) != SGP_LOCKED)
			return rc == SG_FAIL ? end(u, RESULT_QUARANTINED, "lock-failed", "the "
						   "write probe answered %s", sg_device_status_name(
						   sg_device_status(u->f->dev)))
					     : device_failed(u, rc, &err);
	}
	return record_locked(u);
}

/* ---- the check step's decisions */

/* The live certificate of an open device whose key it certifies: the unit
 * resumes at write with it. */
static enum flow resume(struct unit *u, struct check *c)
{
	take_cert(u, c->live);
	c->live = NULL;
	return GO;
}

/* Locked after its prelock record: the challenge and the state decide. */
static enum flow ask_challenge(struct unit *u, struct check *c)
{
	bool ok = false;
	enum flow fl = challenge(u, X509_get0_pubkey(c->live), &ok);
	c->facts.challenge = ok ? SG_YES : SG_NO;
	return fl;
}

/* What a check-step quarantine means, for the record's detail. */
static const char *check_detail(const char *reason)
{
	static const char *const details[][2] = {
		{ "locked-unaccounted", "the device is locked, and the database and the ledger do "
					"not account for it (a live certificate and unit.prelock)" },
		{ "key-mismatch", "the live certificate for this UID certifies another key" },
		{ "lock-lost", "the ledger shows the unit locked, but it is open" },
		{ "key-reused", "the device's key is certified for another device" },
		{ "records-disagree", "the ledger shows a certificate for this UID that the "
				      "database does not" },
		{ "lock-failed", "locked after its prelock record, but the challenge or the lock "
				 "state is not right" },
	};
	for (size_t i = 0; i < sizeof details / sizeof details[0]; i++)
		if (!strcmp(details[i][0], reason))
			return details[i][1];
	return "quarantined";
}

/* Runs the check; *next: the KEYGEN mode for the key step, or -1 when the
 * unit resumes at write with its live certificate. */
static enum flow step_check(struct unit *u, int *next)
{
	struct check c = { 0 };
	enum flow fl = begin(u, STEP_CHECK);
	if (fl == GO)
		fl = gather(u, &c);
	struct sg_unit_verdict v = { 0 };
	while (fl == GO) {
		v = sg_unit_decide(&c.facts, u->st->rework);
		if (v.decision != SG_UNIT_CHALLENGE)
			break;
		fl = ask_challenge(u, &c);
	}
	if (fl == GO) {
		if (c.live)
			sg_pki_serial_hex(X509_get0_serialNumber(c.live), u->serial, sizeof u->serial);
		switch (v.decision) {
		case SG_UNIT_NEW: *next = SGP_KEYGEN_CREATE; break;
		case SG_UNIT_RESUME: *next = -1; fl = resume(u, &c); break;
		case SG_UNIT_REWORK:
			*next = SGP_KEYGEN_REPLACE;
			u->serial[0] = '\0';
			fl = u->st->dry_run ? GO : revoke_live(u, c.live);
			break;
		case SG_UNIT_FINISH_LOCK: fl = record_locked(u); break;
		case SG_UNIT_REFUSE:
			fl = end(u, RESULT_FAILED, v.reason, "the unit is provisioned and locked");
			break;
		default:
			if (c.ledger.quarantined && !strcmp(v.reason, c.ledger.reason))
				fl = end(u, RESULT_QUARANTINED, v.reason, "quarantined before, at ledger "
					 "index %llu (run with --rework)",
					 (unsigned long long)c.ledger.quarantine_index);
			else
				fl = end(u, RESULT_QUARANTINED, v.reason, "%s", check_detail(v.reason));
		}
	}
	X509_free(c.live);
	return fl;
}

/* ---- the unit */

static enum flow steps(struct unit *u)
{
	int next = SGP_KEYGEN_CREATE;
	enum flow fl = step_connect(u);
	if (fl == GO)
		fl = step_identify(u);
	if (fl == GO)
		fl = step_check(u, &next);
	if (fl == GO && next >= 0)
		fl = step_key(u, (uint8_t)next);
	if (fl == GO && next >= 0)
		fl = step_issue(u);
	/* cppcheck-suppress uninitvar ; rest is initialised right here */
	enum flow (*const rest[])(struct unit *) = { step_write, step_verify, step_prelock,
						     step_lock, step_lock_check };
	for (size_t i = 0; fl == GO && i < sizeof rest / sizeof rest[0]; i++)
		fl = rest[i](u);
	return fl;
}

/* The unit's failure or quarantine record. */
static enum flow record_end(struct unit *u)
{
	if (u->result != RESULT_FAILED && u->result != RESULT_QUARANTINED)
		return GO;
	const char *type = u->result == RESULT_FAILED ? "unit.failed" : "unit.quarantined";
	struct sg_record_builder *b = record(u, type);
	sg_record_set_str(b, "step", station_step_name(u->step));
	sg_record_set_str(b, "reason", u->reason);
	if (u->detail[0])
		sg_record_set_str(b, "detail", u->detail);
	return append(u, type, b);
}

static void unit_free(struct unit *u)
{
	wipe_injected(u);
	X509_free(u->cert);
	OPENSSL_free(u->cert_der);
	if (u->registered) {
		pthread_mutex_lock(&u->st->mu);
		u->st->active[u->f->pos][0] = '\0';
		pthread_mutex_unlock(&u->st->mu);
	}
}

int station_unit(struct fixture *f, bool *ran)
{
	struct unit u = { .f = f, .st = f->st };
	uint8_t id[8];
	struct sg_err err = { 0 };
	*ran = false;
	if (RAND_bytes(id, sizeof id) != 1) {
		sg_errf(&err, SG_EENV, "no randomness for a unit id");
		station_fatal(f, NULL, &err);
		return SG_EENV;
	}
	memcpy(u.id, "u-", 2);
	sg_hex(id, sizeof id, u.id + 2);
	enum flow fl = steps(&u);
	/* Stopped while waiting for a board: no unit came. */
	bool none = fl == END && !u.has_index && u.step == STEP_CONNECT &&
		    u.reason && !strcmp(u.reason, "interrupted");
	if (fl == END && !none)
		fl = record_end(&u);
	if (fl == END || fl == GO) {
		*ran = !none;
		if (!none)
			event(&u, true);
		if (u.device && f->dev) {
			snprintf(f->last_uid, sizeof f->last_uid, "%s", u.device);
			sg_device_reset(f->dev, &err);
		}
	}
	unit_free(&u);
	return fl == FATAL ? SG_EENV : SG_OK;
}
