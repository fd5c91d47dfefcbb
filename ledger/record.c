/* Ledger records: the record types and their fields (docs/ledger.md,
 * "Record types"), checked on the way in (sg_record_build, the builder)
 * and on the way out (sg_record_parse). The tables below are the whole
 * schema; the docs list the same. */
#include "signet/ledger_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_priv.h"

#define SG_TIME_LAST 253402300799LL /* 9999-12-31T23:59:59Z */
// NOLINTNEXTLINE(misc-redundant-expression): two names that must stay equal
_Static_assert(SG_RECORD_MAX == SG_JSON_MAX_INPUT, "a record is one JSON document");

/* Field formats (the JSON type follows from the format). */
enum fmt {
	F_TEXT,        /* string: 1..1024 bytes of UTF-8, no control characters */
	F_NAME,        /* string: 1..64 printable ASCII, no space at either end */
	F_TOKEN,       /* string: 1..64 of a-z 0-9 . _ - */
	F_ENUM,        /* string: one of the field's values */
	F_SHA256,      /* string: 64 lower-case hex digits */
	F_DIGEST,      /* string: lower-case hex, 64 or 96 digits as digest_alg says */
	F_HEXID,       /* string: lower-case hex, even, 2..128 digits */
	F_SERIAL,      /* string: lower-case hex, even, 2..40 digits */
	F_TIME,        /* string: YYYY-MM-DDTHH:MM:SSZ, 1970..9999 */
	F_VERSION,     /* string: MAJOR.MINOR.PATCH+BUILD, u8.u8.u16+u32 */
	F_U32,         /* integer 0..2^32-1 */
	F_COUNT,       /* integer 0..2^53-1 */
	F_SHA256_LIST, /* array of 1..16 distinct F_SHA256 */
};

struct field {
	const char *name;
	enum fmt fmt;
	bool required;
	const char *const *values; /* F_ENUM, NULL-terminated */
};

#define REQ(n, f) { n, f, true, NULL }
#define OPT(n, f) { n, f, false, NULL }
#define REQ_ENUM(n, v) { n, F_ENUM, true, v }
#define OPT_ENUM(n, v) { n, F_ENUM, false, v }

static const char *const image_formats[] = { "signet", "mcuboot", NULL };
static const char *const digest_algs[] = { "sha256", "sha384", NULL };
static const char *const sbom_kinds[] = { "cyclonedx", "spdx", NULL };
/* pki's profile and revocation reason names (sg_pki_profile_name,
 * sg_pki_reason_name; test_record checks that they agree). */
static const char *const profiles[] = { "root",       "factory-ca", "code-signing-ca",
					"idevid",     "code-signing", "matter-paa",
					"matter-pai", "matter-dac",   NULL };
static const char *const reasons[] = { "unspecified",          "keyCompromise",
				       "cACompromise",         "affiliationChanged",
				       "superseded",           "cessationOfOperation",
				       "privilegeWithdrawn",   NULL };

static const struct field release_signed[] = {
	REQ_ENUM("format", image_formats), REQ_ENUM("digest_alg", digest_algs),
	REQ("digest", F_DIGEST),           REQ("version", F_VERSION),
	OPT("security_counter", F_U32),    OPT("hw_id", F_NAME),
	REQ("key_ids", F_SHA256_LIST),     OPT_ENUM("sbom_kind", sbom_kinds),
	OPT("sbom_digest", F_SHA256),      OPT("file_sha256", F_SHA256),
};
/* Written before a release is published, so that no published release is
 * missing from the ledger: "output" is the file's base name. */
static const struct field release_started[] = {
	REQ_ENUM("format", image_formats),
	REQ("output", F_TEXT),
	OPT("version", F_VERSION),
};
static const struct field cert_issued[] = {
	REQ("serial", F_SERIAL),       REQ_ENUM("profile", profiles), REQ("subject", F_TEXT),
	REQ("der_sha256", F_SHA256),   REQ("issuer_key_id", F_HEXID), OPT("key_id", F_HEXID),
	OPT("device", F_NAME),         OPT("not_before", F_TIME),     OPT("not_after", F_TIME),
	OPT("supersedes", F_SERIAL),
};
static const struct field cert_revoked[] = {
	REQ("serial", F_SERIAL),
	REQ_ENUM("reason", reasons),
	REQ("revoked_at", F_TIME),
	OPT("issuer_key_id", F_HEXID),
};
static const struct field crl_issued[] = {
	REQ("crl_number", F_COUNT),   REQ("issuer", F_TEXT),      REQ("issuer_key_id", F_HEXID),
	REQ("count", F_COUNT),        REQ("this_update", F_TIME), OPT("next_update", F_TIME),
	REQ("der_sha256", F_SHA256),
};
/* The station's records (docs/provisioning.md §6): "unit" is the station's
 * id for one run of one unit (known from the start), "device" the device's
 * own UID (known once identified). */
static const char *const lock_words[] = { "yes", "no", "dry-run", NULL };
static const char *const key_modes[] = { "device", "inject", NULL };
static const char *const challenges[] = { "ok", "none", NULL };
static const char *const prelock_next[] = { "lock", "not-locked", "pass", NULL };
static const char *const steps[] = { "connect", "identify", "check",   "key",  "issue",
				     "write",   "verify",   "prelock", "lock", "lock-check",
				     NULL };
static const struct field unit_started[] = {
	REQ("unit", F_NAME),
	REQ("fixture", F_NAME),
	REQ("profile", F_TOKEN),
	REQ_ENUM("lock", lock_words),
};
static const struct field unit_identified[] = {
	REQ("unit", F_NAME),  REQ("device", F_NAME),   REQ("chip", F_NAME),
	REQ("agent", F_TEXT), REQ("lock_bits", F_U32), REQ("protocol", F_U32),
};
static const struct field unit_cert_issued[] = {
	REQ("unit", F_NAME),           REQ("device", F_NAME),       REQ("serial", F_SERIAL),
	REQ_ENUM("profile", profiles), REQ("der_sha256", F_SHA256), REQ_ENUM("key_mode", key_modes),
};
static const struct field unit_written[] = {
	REQ("unit", F_NAME),
	REQ("device", F_NAME),
	REQ("written_sha256", F_SHA256),
	REQ("bytes", F_COUNT),
};
static const struct field unit_verified[] = {
	REQ("unit", F_NAME),
	REQ("device", F_NAME),
	REQ("holds_sha256", F_SHA256),
	REQ_ENUM("challenge", challenges),
};
static const struct field unit_prelock[] = {
	REQ("unit", F_NAME),     REQ("device", F_NAME),   REQ("holds_sha256", F_SHA256),
	REQ("serial", F_SERIAL), REQ("lock_bits", F_U32), REQ_ENUM("next", prelock_next),
};
static const struct field unit_locked[] = {
	REQ("unit", F_NAME),
	REQ("device", F_NAME),
	REQ("lock_bits", F_U32),
	REQ("lock", F_TOKEN),
};
/* unit.failed and unit.quarantined: a unit may end before it is identified */
static const struct field unit_ended[] = {
	REQ("unit", F_NAME),   OPT("device", F_NAME), REQ_ENUM("step", steps),
	REQ("reason", F_TOKEN), OPT("detail", F_TEXT),
};
static const struct field unit_dry_run[] = {
	REQ("unit", F_NAME),  REQ("device", F_NAME),   REQ("would_write_sha256", F_SHA256),
	REQ("bytes", F_COUNT), REQ("lock_bits", F_U32),
};

struct rtype {
	const char *name;
	const struct field *fields;
	size_t n;
	/* two optional fields that come both or neither, or NULLs */
	const char *pair[2];
};

#define TYPE(name, f, ...) { name, f, sizeof(f) / sizeof(f[0]), __VA_ARGS__ }
static const struct rtype types[] = {
	TYPE("release.signed", release_signed, { "sbom_kind", "sbom_digest" }),
	TYPE("release.started", release_started, { NULL, NULL }),
	TYPE("cert.issued", cert_issued, { NULL, NULL }),
	TYPE("cert.revoked", cert_revoked, { NULL, NULL }),
	TYPE("crl.issued", crl_issued, { NULL, NULL }),
	TYPE("unit.started", unit_started, { NULL, NULL }),
	TYPE("unit.identified", unit_identified, { NULL, NULL }),
	TYPE("unit.cert_issued", unit_cert_issued, { NULL, NULL }),
	TYPE("unit.written", unit_written, { NULL, NULL }),
	TYPE("unit.verified", unit_verified, { NULL, NULL }),
	TYPE("unit.prelock", unit_prelock, { NULL, NULL }),
	TYPE("unit.locked", unit_locked, { NULL, NULL }),
	TYPE("unit.failed", unit_ended, { NULL, NULL }),
	TYPE("unit.quarantined", unit_ended, { NULL, NULL }),
	TYPE("unit.dry_run", unit_dry_run, { NULL, NULL }),
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

/* The members every record has, set by the ledger, never a type's field. */
static const char *const common_names[] = { "index", "origin", "time", "type" };

static const struct rtype *find_type(const char *name)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (!strcmp(types[i].name, name))
			return &types[i];
	return NULL;
}

static bool is_common(const char *name)
{
	for (size_t i = 0; i < sizeof(common_names) / sizeof(common_names[0]); i++)
		if (!strcmp(common_names[i], name))
			return true;
	return false;
}

const char *sg_record_type_name(size_t i)
{
	return i < NTYPES ? types[i].name : NULL;
}

const char *sg_record_field_name(const char *type, size_t j, bool *required)
{
	const struct rtype *t = find_type(type);
	if (!t || j >= t->n)
		return NULL;
	*required = t->fields[j].required;
	return t->fields[j].name;
}

/* ---- formats: each check returns NULL or why the value is refused */

/* Lower-case hex of min..max digits, an even number of them if even. */
static const char *hex_digits(const char *s, size_t min, size_t max, bool even)
{
	size_t n = strspn(s, "0123456789abcdef");
	if (s[n])
		return "lower-case hex digits expected";
	if (n < min || n > max || (even && n % 2))
		return min == max ? "wrong length" : "wrong number of hex digits";
	return NULL;
}

static const char *name_chars(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return "printable ASCII expected";
	if (n < 1 || n > 64)
		return "1 to 64 characters expected";
	return s[0] == ' ' || s[n - 1] == ' ' ? "a space at either end" : NULL;
}

static const char *text_chars(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "control character";
	return n < 1 || n > 1024 ? "1 to 1024 bytes expected" : NULL;
}

static const char *token_chars(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-");
	if (s[n])
		return "only a-z, 0-9, '.', '_' and '-' allowed";
	return n < 1 || n > 64 ? "1 to 64 characters expected" : NULL;
}

/* A decimal number at *s without a leading zero, at most max; -1 if none. */
static long long decimal(const char **s, long long max)
{
	const char *p = *s;
	long long v = 0;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (*p - '0')) > max)
			return -1;
	*s = p;
	return v;
}

static const char *version_text(const char *s)
{
	static const struct {
		long long max;
		char sep;
	} parts[] = { { 255, '.' }, { 255, '.' }, { 65535, '+' }, { 4294967295LL, 0 } };
	for (size_t i = 0; i < 4; i++)
		if (decimal(&s, parts[i].max) < 0 || *s++ != parts[i].sep)
			return "MAJOR.MINOR.PATCH+BUILD expected (at most 255.255.65535+4294967295)";
	return NULL;
}

static bool format_time(long long t, char out[21])
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t < 0 || t > SG_TIME_LAST || !gmtime_r(&tt, &tm))
		return false;
	return strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 20;
}

/* s as a UTC RFC 3339 time in the one form records use; -1 if it is not. */
static long long parse_time(const char *s)
{
	struct tm tm = { 0 };
	char again[21];
	// NOLINTNEXTLINE(cert-err34-c): widths bound the fields; the round trip below checks them
	if (strlen(s) != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon,
				      &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	long long t = (long long)timegm(&tm);
	/* the round trip refuses what sscanf let through: 02-30, 24:00, signs */
	return format_time(t, again) && !strcmp(again, s) ? t : -1;
}

/* digest's length follows digest_alg; while that is not one the table
 * allows (its own check refuses it), either length passes. */
static const char *digest_text(const char *s, const struct sg_json *obj)
{
	const struct sg_json *alg = sg_json_get(obj, "digest_alg");
	const char *name = alg && alg->kind == SGJ_STR ? alg->str : "";
	size_t n = !strcmp(name, "sha256") ? 64 : !strcmp(name, "sha384") ? 96 : 0;
	if (n)
		return hex_digits(s, n, n, true);
	const char *why = hex_digits(s, 64, 96, true);
	return why || strlen(s) % 32 == 0 ? why : "wrong length";
}

static const char *string_format(const struct field *f, const char *s, const struct sg_json *obj)
{
	switch (f->fmt) {
	case F_TEXT: return text_chars(s);
	case F_NAME: return name_chars(s);
	case F_TOKEN: return token_chars(s);
	case F_SHA256: return hex_digits(s, 64, 64, true);
	case F_DIGEST: return digest_text(s, obj);
	case F_HEXID: return hex_digits(s, 2, 128, true);
	case F_SERIAL: return hex_digits(s, 2, 40, true);
	case F_TIME: return parse_time(s) < 0 ? "YYYY-MM-DDTHH:MM:SSZ expected" : NULL;
	case F_VERSION: return version_text(s);
	case F_ENUM:
		for (const char *const *v = f->values; *v; v++)
			if (!strcmp(*v, s))
				return NULL;
		return "not one of the allowed values";
	default: return "a string is not allowed here";
	}
}

static const char *key_list(const struct sg_json *v)
{
	if (v->n < 1 || v->n > 16)
		return "1 to 16 items expected";
	for (size_t i = 0; i < v->n; i++) {
		if (v->items[i].kind != SGJ_STR || hex_digits(v->items[i].str, 64, 64, true))
			return "each item must be 64 lower-case hex digits";
		for (size_t j = 0; j < i; j++)
			if (!strcmp(v->items[i].str, v->items[j].str))
				return "an item appears twice";
	}
	return NULL;
}

static const char *check_value(const struct field *f, const struct sg_json *v,
			       const struct sg_json *obj)
{
	switch (f->fmt) {
	case F_U32:
	case F_COUNT:
		if (v->kind != SGJ_INT)
			return "an integer expected";
		return v->num < 0 || (f->fmt == F_U32 && v->num > 4294967295LL)
			       ? "out of range"
			       : NULL;
	case F_SHA256_LIST:
		return v->kind == SGJ_ARR ? key_list(v) : "an array expected";
	default:
		return v->kind == SGJ_STR ? string_format(f, v->str, obj) : "a string expected";
	}
}

/* ---- a record's members against its type */

static const struct field *find_field(const struct rtype *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->fields[i].name, name))
			return &t->fields[i];
	return NULL;
}

/* The members of obj other than the common ones (refused unless
 * with_common) against t. what names the input for messages. */
static int check_fields(const struct rtype *t, const struct sg_json *obj, bool with_common,
			const char *what, struct sg_err *err)
{
	char nb[SG_JSON_SHOW_SIZE];
	for (size_t i = 0; i < obj->n; i++) {
		const struct sg_json *m = &obj->items[i];
		const struct field *f = find_field(t, m->name);
		const char *why = NULL;
		if (is_common(m->name))
			why = with_common ? NULL : "set by the ledger, not a field";
		else
			why = f ? check_value(f, m, obj) : "unknown field for this type";
		/* where: the value when it is refused, else the name */
		if (why)
			return sg_errf(err, SG_EINPUT, "%s: %s field \"%s\" at byte %zu: %s", what,
				       t->name, sg_json_show(m->name, nb),
				       f && !is_common(m->name) ? m->off : m->name_off, why);
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->fields[i].required && !sg_json_get(obj, t->fields[i].name))
			return sg_errf(err, SG_EINPUT, "%s: %s field \"%s\" is required", what,
				       t->name, t->fields[i].name);
	if (t->pair[0] && !sg_json_get(obj, t->pair[0]) != !sg_json_get(obj, t->pair[1]))
		return sg_errf(err, SG_EINPUT, "%s: %s fields \"%s\" and \"%s\" go together", what,
			       t->name, t->pair[0], t->pair[1]);
	return SG_OK;
}

static int with_param(struct sg_err *err, int rc, const char *param)
{
	if (err && rc)
		err->param = param;
	return rc;
}

/* The type's fields read from JSON text and checked, in *out. */
static int read_fields(const struct rtype *t, const uint8_t *json, size_t len,
		       struct sg_json **out, struct sg_err *err)
{
	const char *what = "record fields";
	int rc = sg_json_parse(json, len, what, out, err);
	if (rc == SG_OK && (*out)->kind != SGJ_OBJ)
		rc = sg_errf(err, SG_EINPUT, "%s: a JSON object expected", what);
	if (rc == SG_OK)
		rc = check_fields(t, *out, false, what, err);
	if (rc) {
		sg_json_free(*out);
		*out = NULL;
	}
	return with_param(err, rc, "record_fields");
}

static const char *origin_chars(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 255)
		return "1 to 255 characters expected";
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return "printable ASCII without spaces expected";
	return NULL;
}

static int add_str(struct sg_json *obj, const char *name, const char *s)
{
	struct sg_json *v = sg_json_new(SGJ_STR);
	if (v && !(v->str = strdup(s))) {
		sg_json_free(v);
		v = NULL;
	}
	return v ? sg_json_obj_add(obj, name, v) : -1;
}

static int add_common(struct sg_json *obj, const char *type, uint64_t index, const char *time,
		      const char *origin)
{
	struct sg_json *v = sg_json_new(SGJ_INT);
	if (!v)
		return -1;
	v->num = (int64_t)index;
	if (sg_json_obj_add(obj, "index", v) || add_str(obj, "time", time) ||
	    add_str(obj, "origin", origin) || add_str(obj, "type", type))
		return -1;
	return 0;
}

int sg_record_build(const char *type, const char *fields_json, size_t len, uint64_t index,
		    time_t time, const char *origin, uint8_t **leaf, size_t *leaf_len,
		    struct sg_err *err)
{
	char tb[SG_JSON_SHOW_SIZE], when[21];
	const struct rtype *t = find_type(type);
	const char *why;
	if (!t)
		return sg_errf_param(err, SG_EINPUT, "record_type", "record type \"%s\": unknown",
				     sg_json_show(type, tb));
	if (index > SG_RECORD_INDEX_MAX)
		return sg_errf_param(err, SG_EINPUT, "index", "record index %llu: above 2^53-1",
				     (unsigned long long)index);
	if (!format_time((long long)time, when))
		return sg_errf_param(err, SG_EINPUT, "time", "record time %lld: not in 1970..9999",
				     (long long)time);
	if ((why = origin_chars(origin)) != NULL)
		return sg_errf_param(err, SG_EINPUT, "origin", "origin \"%s\": %s",
				     sg_json_show(origin, tb), why);
	struct sg_json *obj;
	int rc = read_fields(t, (const uint8_t *)fields_json, len, &obj, err);
	if (rc)
		return rc;
	if (add_common(obj, type, index, when, origin))
		rc = sg_errf(err, SG_EENV, "record: out of memory");
	else
		rc = sg_json_write(obj, leaf, leaf_len, err);
	sg_json_free(obj);
	return rc;
}

/* ---- reading a leaf */

struct sg_record {
	struct sg_json *root;
	const char *type, *origin;
	uint64_t index;
	time_t time;
	char **views; /* per member of root, as sg_record_field gives it */
};

/* The leaf must be exactly the canonical bytes of what it holds. */
static int check_canonical(const struct sg_json *root, const uint8_t *leaf, size_t len,
			   struct sg_err *err)
{
	uint8_t *canon;
	size_t n;
	int rc = sg_json_write(root, &canon, &n, err);
	if (rc)
		return rc;
	size_t i = 0;
	while (i < n && i < len && canon[i] == leaf[i])
		i++;
	free(canon);
	if (i < n || i < len)
		return sg_errf(err, SG_EINPUT, "leaf: byte %zu: not in canonical (RFC 8785) form",
			       i);
	return SG_OK;
}

/* type, index, time and origin of a leaf. */
static int read_common(struct sg_record *r, const struct rtype **t, struct sg_err *err)
{
	char tb[SG_JSON_SHOW_SIZE];
	const struct sg_json *type = sg_json_get(r->root, "type"),
			     *index = sg_json_get(r->root, "index"),
			     *when = sg_json_get(r->root, "time"),
			     *origin = sg_json_get(r->root, "origin");
	long long tm;
	if (!type || type->kind != SGJ_STR)
		return sg_errf(err, SG_EINPUT, "leaf: type missing or not a string");
	if (!(*t = find_type(type->str)))
		return sg_errf(err, SG_EINPUT, "leaf: record type \"%s\": unknown",
			       sg_json_show(type->str, tb));
	if (!index || index->kind != SGJ_INT || index->num < 0)
		return sg_errf(err, SG_EINPUT, "leaf: index missing or not an index");
	if (!when || when->kind != SGJ_STR || (tm = parse_time(when->str)) < 0)
		return sg_errf(err, SG_EINPUT, "leaf: time missing or not YYYY-MM-DDTHH:MM:SSZ");
	if (!origin || origin->kind != SGJ_STR || origin_chars(origin->str))
		return sg_errf(err, SG_EINPUT, "leaf: origin missing or malformed");
	r->type = type->str;
	r->index = (uint64_t)index->num;
	r->time = (time_t)tm;
	r->origin = origin->str;
	return SG_OK;
}

static int make_views(struct sg_record *r, struct sg_err *err)
{
	const struct sg_json *root = r->root;
	if (!(r->views = calloc(root->n, sizeof(char *))))
		return sg_errf(err, SG_EENV, "record: out of memory");
	for (size_t i = 0; i < root->n; i++) {
		const struct sg_json *m = &root->items[i];
		char num[24];
		size_t n;
		if (m->kind == SGJ_ARR) {
			if (sg_json_write(m, (uint8_t **)&r->views[i], &n, err))
				return SG_EENV;
			continue;
		}
		if (m->kind == SGJ_INT)
			snprintf(num, sizeof(num), "%lld", (long long)m->num);
		/* cppcheck-suppress legacyUninitvar ; num is read only when it was written */
		if (!(r->views[i] = strdup(m->kind == SGJ_INT ? num : m->str)))
			return sg_errf(err, SG_EENV, "record: out of memory");
	}
	return SG_OK;
}

int sg_record_parse(const uint8_t *leaf, size_t len, struct sg_record **out, struct sg_err *err)
{
	const struct rtype *t = NULL;
	struct sg_record *r = calloc(1, sizeof(*r));
	*out = NULL;
	if (!r)
		return sg_errf(err, SG_EENV, "record: out of memory");
	int rc = sg_json_parse(leaf, len, "leaf", &r->root, err);
	if (rc == SG_OK && r->root->kind != SGJ_OBJ)
		rc = sg_errf(err, SG_EINPUT, "leaf: a JSON object expected");
	if (rc == SG_OK)
		rc = check_canonical(r->root, leaf, len, err);
	if (rc == SG_OK)
		rc = read_common(r, &t, err);
	if (rc == SG_OK)
		rc = check_fields(t, r->root, true, "leaf", err);
	if (rc == SG_OK)
		rc = make_views(r, err);
	if (rc) {
		sg_record_free(r);
		return rc;
	}
	*out = r;
	return SG_OK;
}

void sg_record_free(struct sg_record *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->views && i < r->root->n; i++)
		free(r->views[i]);
	free(r->views);
	sg_json_free(r->root);
	free(r);
}

const char *sg_record_type(const struct sg_record *r)
{
	return r->type;
}

uint64_t sg_record_index(const struct sg_record *r)
{
	return r->index;
}

time_t sg_record_time(const struct sg_record *r)
{
	return r->time;
}

const char *sg_record_origin(const struct sg_record *r)
{
	return r->origin;
}

const char *sg_record_field(const struct sg_record *r, const char *name)
{
	for (size_t i = 0; i < r->root->n; i++)
		if (!strcmp(r->root->items[i].name, name))
			return r->views[i];
	return NULL;
}

/* ---- the builder */

struct sg_record_builder {
	char *type;
	struct sg_json *fields;
	bool oom;
	char *twice; /* the first name set twice, or NULL */
};

struct sg_record_builder *sg_record_builder_new(const char *type)
{
	struct sg_record_builder *b = calloc(1, sizeof(*b));
	if (b && (!(b->type = strdup(type)) || !(b->fields = sg_json_new(SGJ_OBJ)))) {
		sg_record_builder_free(b);
		b = NULL;
	}
	return b;
}

void sg_record_builder_free(struct sg_record_builder *b)
{
	if (!b)
		return;
	free(b->type);
	free(b->twice);
	sg_json_free(b->fields);
	free(b);
}

/* Adds v (consumed) as member name, noting a name set twice. */
static void set(struct sg_record_builder *b, const char *name, struct sg_json *v)
{
	// NOLINTNEXTLINE(bugprone-branch-clone): two different allocations failed
	if (!v) {
		b->oom = true;
	} else if (sg_json_get(b->fields, name)) {
		sg_json_free(v);
		if (!b->twice && !(b->twice = strdup(name)))
			b->oom = true;
	} else if (sg_json_obj_add(b->fields, name, v)) {
		b->oom = true;
	}
}

static struct sg_json *new_str(const char *s, size_t n)
{
	struct sg_json *v = sg_json_new(SGJ_STR);
	if (v && !(v->str = strndup(s, n))) {
		sg_json_free(v);
		return NULL;
	}
	return v;
}

static struct sg_json *new_hex(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *h = malloc(2 * n + 1);
	if (!h)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		h[2 * i] = digits[p[i] >> 4];
		h[2 * i + 1] = digits[p[i] & 15];
	}
	struct sg_json *v = new_str(h, 2 * n);
	free(h);
	return v;
}

void sg_record_set_str(struct sg_record_builder *b, const char *name, const char *value)
{
	set(b, name, new_str(value, strlen(value)));
}

void sg_record_set_int(struct sg_record_builder *b, const char *name, int64_t value)
{
	struct sg_json *v = sg_json_new(SGJ_INT);
	if (v)
		v->num = value;
	set(b, name, v);
}

void sg_record_set_hex(struct sg_record_builder *b, const char *name, const uint8_t *value,
		       size_t n)
{
	set(b, name, new_hex(value, n));
}

void sg_record_add_hex(struct sg_record_builder *b, const char *name, const uint8_t *value,
		       size_t n)
{
	struct sg_json *arr = (struct sg_json *)sg_json_get(b->fields, name);
	if (!arr) {
		set(b, name, sg_json_new(SGJ_ARR));
		if (!(arr = (struct sg_json *)sg_json_get(b->fields, name)))
			return;
	}
	struct sg_json *v = new_hex(value, n);
	if (arr->kind != SGJ_ARR) {
		sg_json_free(v);
		set(b, name, sg_json_new(SGJ_NULL)); /* notes the name set twice */
	} else if (!v || sg_json_arr_add(arr, v)) {
		b->oom = true;
	}
}

int sg_record_builder_json(const struct sg_record_builder *b, char **json, size_t *len,
			   struct sg_err *err)
{
	char tb[SG_JSON_SHOW_SIZE], nb[SG_JSON_SHOW_SIZE];
	const struct rtype *t = find_type(b->type);
	*json = NULL;
	if (b->oom)
		return sg_errf(err, SG_EENV, "record: out of memory");
	if (!t)
		return sg_errf_param(err, SG_EINPUT, "record_type", "record type \"%s\": unknown",
				     sg_json_show(b->type, tb));
	if (b->twice)
		return sg_errf_param(err, SG_EINPUT, "record_fields",
				     "record fields: %s field \"%s\" set twice", t->name,
				     sg_json_show(b->twice, nb));
	uint8_t *text;
	int rc = sg_json_write(b->fields, &text, len, err);
	if (rc)
		return rc;
	/* Read back what was written: the strings given are checked too
	 * (UTF-8, no NUL), as if they had come as JSON text. */
	struct sg_json *check;
	rc = read_fields(t, text, *len, &check, err);
	sg_json_free(check);
	if (rc) {
		free(text);
		return rc;
	}
	*json = (char *)text;
	return SG_OK;
}
