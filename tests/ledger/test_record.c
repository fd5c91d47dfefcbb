/* ledger/record.c: the record types, sg_record_build, sg_record_parse and
 * the builder. Every type: a good record, each required field missing, an
 * unknown field, each field of the wrong JSON type, a malformed value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signet/ledger_record.h"
#include "signet/pki.h"

#define H64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define H96 H64 "00112233445566778899aabbccddeeff"
#define H64B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define T0 1767225600 /* 2026-01-01T00:00:00Z */

/* A good record of each type with every field it has, and one malformed
 * value of one of them. */
struct good {
	const char *type;
	const char *fields[12][2]; /* name, JSON value */
	const char *bad[2];        /* name, malformed JSON value */
};

static const struct good goods[] = {
	{ "release.signed",
	  { { "format", "\"signet\"" },
	    { "digest_alg", "\"sha256\"" },
	    { "digest", "\"" H64 "\"" },
	    { "version", "\"1.2.3+4\"" },
	    { "security_counter", "4294967295" },
	    { "hw_id", "\"board-7\"" },
	    { "key_ids", "[\"" H64 "\",\"" H64B "\"]" },
	    { "sbom_kind", "\"cyclonedx\"" },
	    { "sbom_digest", "\"" H64 "\"" },
	    { "file_sha256", "\"" H64 "\"" } },
	  { "digest", "\"" H64 "0\"" } },
	{ "release.started",
	  { { "format", "\"mcuboot\"" },
	    { "output", "\"fw \u00e9.bin\"" },
	    { "version", "\"1.2.3+0\"" } },
	  { "version", "\"1.2.3\"" } },
	{ "cert.issued",
	  { { "serial", "\"0fa1\"" },
	    { "profile", "\"idevid\"" },
	    { "subject", "\"CN=Unit \\u00e9\\\\7,O=Acme\"" },
	    { "der_sha256", "\"" H64 "\"" },
	    { "issuer_key_id", "\"a1b2c3d4\"" },
	    { "key_id", "\"0102\"" },
	    { "device", "\"SN 0042\"" },
	    { "not_before", "\"2026-01-01T00:00:00Z\"" },
	    { "not_after", "\"9999-12-31T23:59:59Z\"" },
	    { "supersedes", "\"0fa0\"" } },
	  { "der_sha256", "\"" H64 "\"" /* upper-case below */ } },
	{ "cert.revoked",
	  { { "serial", "\"0fa1\"" },
	    { "reason", "\"keyCompromise\"" },
	    { "revoked_at", "\"2026-02-28T12:00:00Z\"" },
	    { "issuer_key_id", "\"a1b2\"" } },
	  { "serial", "\"fa1\"" } },
	{ "crl.issued",
	  { { "crl_number", "7" },
	    { "issuer", "\"CN=Factory CA\"" },
	    { "issuer_key_id", "\"a1b2\"" },
	    { "count", "0" },
	    { "this_update", "\"2026-01-01T00:00:00Z\"" },
	    { "next_update", "\"2026-01-31T00:00:00Z\"" },
	    { "der_sha256", "\"" H64 "\"" } },
	  { "der_sha256", "\"" H64 "00\"" } },
	{ "unit.started",
	  { { "unit", "\"u-0123456789abcdef\"" },
	    { "fixture", "\"f1\"" },
	    { "profile", "\"nrf51-uart\"" },
	    { "lock", "\"dry-run\"" } },
	  { "lock", "\"maybe\"" } },
	{ "unit.identified",
	  { { "unit", "\"run-1\"" },
	    { "device", "\"uid-1\"" },
	    { "chip", "\"nrf51\"" },
	    { "agent", "\"signet-agent 1.0 \u00e9\"" },
	    { "lock_bits", "4294967295" },
	    { "protocol", "1" } },
	  { "device", "\"uid\\u0001\"" } },
	{ "unit.cert_issued",
	  { { "unit", "\"run-1\"" },
	    { "device", "\"uid-1\"" },
	    { "serial", "\"0fa1\"" },
	    { "profile", "\"idevid\"" },
	    { "der_sha256", "\"" H64 "\"" },
	    { "key_mode", "\"inject\"" } },
	  { "der_sha256", "\"sha256:" H64 "\"" } },
	{ "unit.written",
	  { { "unit", "\"run-1\"" },
	    { "device", "\"uid-1\"" },
	    { "written_sha256", "\"" H64 "\"" },
	    { "bytes", "1347" } },
	  { "written_sha256", "\"" H96 "\"" } },
	{ "unit.verified",
	  { { "unit", "\"run-1\"" },
	    { "device", "\"uid-1\"" },
	    { "holds_sha256", "\"" H64 "\"" },
	    { "challenge", "\"none\"" } },
	  { "challenge", "\"skipped\"" } },
	{ "unit.prelock",
	  { { "unit", "\"run-1\"" },
	    { "device", "\"uid-1\"" },
	    { "holds_sha256", "\"" H64 "\"" },
	    { "serial", "\"0fa1\"" },
	    { "lock_bits", "7" },
	    { "next", "\"lock\"" } },
	  { "next", "\"unlock\"" } },
	{ "unit.locked",
	  { { "unit", "\"run-1\"" },
	    { "device", "\"uid-1\"" },
	    { "lock_bits", "7" },
	    { "lock", "\"approtect\"" } },
	  { "lock", "\"APPROTECT\"" } },
	{ "unit.failed",
	  { { "unit", "\"run-1\"" },
	    { "device", "\"uid-1\"" },
	    { "step", "\"verify\"" },
	    { "reason", "\"readback\"" },
	    { "detail", "\"byte 12 differs \\u2014 retry\"" } },
	  { "detail", "\"two\\nlines\"" } },
	{ "unit.quarantined",
	  { { "unit", "\"run-1\"" },
	    { "device", "\"uid-1\"" },
	    { "step", "\"lock-check\"" },
	    { "reason", "\"lock-failed\"" },
	    { "detail", "\"the slot still takes writes\"" } },
	  { "step", "\"unlock\"" } },
	{ "unit.dry_run",
	  { { "unit", "\"run-1\"" },
	    { "device", "\"uid-1\"" },
	    { "would_write_sha256", "\"" H64 "\"" },
	    { "bytes", "0" },
	    { "lock_bits", "0" } },
	  { "bytes", "-1" } },
};
#define NGOODS (sizeof(goods) / sizeof(goods[0]))

enum edit { KEEP, DROP, REPLACE };

/* g's fields as a JSON object, field k dropped or its value replaced by
 * with, and extra (a member's text) appended if not NULL. */
static char *fields_json(const struct good *g, size_t k, enum edit e, const char *with,
			 const char *extra)
{
	static char buf[4096];
	size_t n = 0;
	buf[n++] = '{';
	for (size_t i = 0; i < 12 && g->fields[i][0]; i++) {
		if (i == k && e == DROP)
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"%s\":%s", n > 1 ? "," : "",
				      g->fields[i][0], i == k && e == REPLACE ? with : g->fields[i][1]);
	}
	if (extra)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n > 1 ? "," : "", extra);
	snprintf(buf + n, sizeof(buf) - n, "}");
	return buf;
}

static int build(const char *type, const char *json, uint8_t **leaf, size_t *len,
		 struct sg_err *err)
{
	return sg_record_build(type, json, strlen(json), 42, T0, "station-1.example/line2", leaf,
			       len, err);
}

static void expect_refused(const char *type, const char *json, const char *param,
			   const char *why)
{
	struct sg_err err = { 0 };
	uint8_t *leaf = NULL;
	size_t len;
	int rc = build(type, json, &leaf, &len, &err);
	if (rc == SG_OK)
		fail_msg("%s %s accepted as %s", type, json, (char *)leaf);
	assert_int_equal(rc, SG_EINPUT);
	assert_null(leaf);
	assert_string_equal(err.param, param);
	if (!strstr(err.msg, why))
		fail_msg("%s %s: message '%s' lacks '%s'", type, json, err.msg, why);
}

/* The JSON value text of a string field as sg_record_field shows it. */
static void check_view(const struct sg_record *r, const char *name, const char *json)
{
	const char *got = sg_record_field(r, name);
	assert_non_null(got);
	if (json[0] == '"' && !strchr(json, '\\'))
		assert_memory_equal(got, json + 1, strlen(json) - 2);
	else if (json[0] != '"' && json[0] != '[')
		assert_string_equal(got, json);
}

static void test_good_records(void **state)
{
	(void)state;
	for (size_t t = 0; t < NGOODS; t++) {
		const struct good *g = &goods[t];
		struct sg_err err = { 0 };
		uint8_t *leaf;
		size_t len;
		if (build(g->type, fields_json(g, 99, KEEP, NULL, NULL), &leaf, &len, &err))
			fail_msg("%s: %s", g->type, err.msg);
		struct sg_record *r;
		if (sg_record_parse(leaf, len, &r, &err))
			fail_msg("%s: %s", g->type, err.msg);
		assert_string_equal(sg_record_type(r), g->type);
		assert_int_equal(sg_record_index(r), 42);
		assert_int_equal(sg_record_time(r), T0);
		assert_string_equal(sg_record_origin(r), "station-1.example/line2");
		assert_string_equal(sg_record_field(r, "time"), "2026-01-01T00:00:00Z");
		assert_string_equal(sg_record_field(r, "index"), "42");
		assert_string_equal(sg_record_field(r, "type"), g->type);
		assert_null(sg_record_field(r, "nothing"));
		for (size_t i = 0; i < 12 && g->fields[i][0]; i++)
			check_view(r, g->fields[i][0], g->fields[i][1]);
		sg_record_free(r);
		free(leaf);
	}
}

/* The table above has every field of every type, and nothing else. */
static void test_tables_complete(void **state)
{
	(void)state;
	size_t ntypes = 0;
	for (const char *type; (type = sg_record_type_name(ntypes)) != NULL; ntypes++) {
		assert_true(ntypes < NGOODS);
		assert_string_equal(goods[ntypes].type, type);
		size_t j = 0;
		bool req;
		for (const char *f; (f = sg_record_field_name(type, j, &req)) != NULL; j++)
			assert_string_equal(goods[ntypes].fields[j][0], f);
		assert_null(goods[ntypes].fields[j][0]);
	}
	assert_int_equal(ntypes, NGOODS);
	bool req;
	assert_null(sg_record_field_name("no.such", 0, &req));
}

static void test_missing_required(void **state)
{
	(void)state;
	for (size_t t = 0; t < NGOODS; t++) {
		bool req;
		const char *f;
		for (size_t j = 0; (f = sg_record_field_name(goods[t].type, j, &req)) != NULL; j++) {
			char want[96];
			snprintf(want, sizeof(want), "%s field \"%s\" is required", goods[t].type, f);
			if (req) {
				expect_refused(goods[t].type, fields_json(&goods[t], j, DROP, NULL, NULL),
					       "record_fields", want);
				continue;
			}
			/* optional: leaving it out is fine (but for a pair's half) */
			struct sg_err err = { 0 };
			uint8_t *leaf;
			size_t len;
			int rc = build(goods[t].type, fields_json(&goods[t], j, DROP, NULL, NULL),
				       &leaf, &len, &err);
			if (!strncmp(f, "sbom_", 5)) {
				assert_int_equal(rc, SG_EINPUT);
				assert_non_null(strstr(err.msg, "go together"));
				continue;
			}
			assert_int_equal(rc, SG_OK);
			free(leaf);
		}
	}
}

static void test_unknown_fields(void **state)
{
	(void)state;
	for (size_t t = 0; t < NGOODS; t++) {
		const char *type = goods[t].type;
		expect_refused(type, fields_json(&goods[t], 99, KEEP, NULL, "\"pin\":\"1234\""),
			       "record_fields", "field \"pin\" at byte");
		expect_refused(type, fields_json(&goods[t], 99, KEEP, NULL, "\"Device\":\"x\""),
			       "record_fields", "unknown field for this type");
		/* what the ledger sets is no field */
		expect_refused(type, fields_json(&goods[t], 99, KEEP, NULL, "\"index\":1"),
			       "record_fields", "set by the ledger");
		expect_refused(type, fields_json(&goods[t], 99, KEEP, NULL, "\"type\":\"x\""),
			       "record_fields", "set by the ledger");
	}
	/* the message names the byte where the field is */
	expect_refused("unit.locked", "{\"unit\":\"a\",\"device\":\"b\",\"secret\":\"c\"}",
		       "record_fields",
		       "record fields: unit.locked field \"secret\" at byte 25: unknown field");
}

static void test_wrong_types(void **state)
{
	(void)state;
	for (size_t t = 0; t < NGOODS; t++) {
		const struct good *g = &goods[t];
		for (size_t i = 0; i < 12 && g->fields[i][0]; i++) {
			const char *v = g->fields[i][1];
			/* a string where an integer goes, an integer where a string
			 * or an array goes, and null anywhere */
			expect_refused(g->type, fields_json(g, i, REPLACE, v[0] == '"' ? "1" : "\"1\"", NULL),
				       "record_fields", "expected");
			expect_refused(g->type, fields_json(g, i, REPLACE, "null", NULL),
				       "record_fields", "expected");
		}
	}
}

static void test_bad_formats(void **state)
{
	(void)state;
	for (size_t t = 0; t < NGOODS; t++) {
		const struct good *g = &goods[t];
		size_t k = 0;
		while (strcmp(g->fields[k][0], g->bad[0]))
			k++;
		char bad[256];
		strcpy(bad, g->bad[1]);
		if (!strcmp(g->type, "cert.issued")) /* the good digest in upper case */
			for (char *p = bad; *p; p++)
				*p = *p >= 'a' && *p <= 'f' ? (char)(*p - 32) : *p;
		char want[96];
		snprintf(want, sizeof(want), "%s field \"%s\" at byte", g->type, g->bad[0]);
		expect_refused(g->type, fields_json(g, k, REPLACE, bad, NULL), "record_fields", want);
	}
	const struct good *rel = &goods[0], *ci = &goods[2];
	/* digests: length by digest_alg, lower-case hex */
	expect_refused("release.signed", fields_json(rel, 1, REPLACE, "\"sha384\"", NULL),
		       "record_fields", "\"digest\" at byte 50: wrong length");
	expect_refused("release.signed", fields_json(rel, 1, REPLACE, "\"SHA256\"", NULL),
		       "record_fields", "not one of the allowed values");
	expect_refused("release.signed", fields_json(rel, 8, REPLACE, "\"" H64 "g\"", NULL),
		       "record_fields", "lower-case hex digits expected");
	/* key ids: 1..16 distinct SHA-256 */
	expect_refused("release.signed", fields_json(rel, 6, REPLACE, "[]", NULL), "record_fields",
		       "1 to 16 items");
	expect_refused("release.signed",
		       fields_json(rel, 6, REPLACE, "[\"" H64 "\",\"" H64 "\"]", NULL),
		       "record_fields", "an item appears twice");
	expect_refused("release.signed", fields_json(rel, 6, REPLACE, "[\"" H64 "\",1]", NULL),
		       "record_fields", "each item must be");
	expect_refused("release.signed", fields_json(rel, 6, REPLACE, "[\"abcd\"]", NULL),
		       "record_fields", "each item must be");
	/* versions and counters */
	const char *versions[] = { "\"1.2.3\"", "\"256.0.0+0\"", "\"01.2.3+4\"", "\"1.2.65536+0\"",
				   "\"1.2.3+4294967296\"", "\"1.2.3+4 \"", "\"1.2.-3+4\"" };
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		expect_refused("release.signed", fields_json(rel, 3, REPLACE, versions[i], NULL),
			       "record_fields", "MAJOR.MINOR.PATCH+BUILD");
	expect_refused("release.signed", fields_json(rel, 4, REPLACE, "4294967296", NULL),
		       "record_fields", "out of range");
	expect_refused("release.signed", fields_json(rel, 4, REPLACE, "-1", NULL),
		       "record_fields", "out of range");
	/* serials: even lower-case hex of 1..20 octets */
	expect_refused("cert.issued", fields_json(ci, 0, REPLACE, "\"0FA1\"", NULL),
		       "record_fields", "lower-case hex");
	expect_refused("cert.issued",
		       fields_json(ci, 0, REPLACE, "\"" H64 "\"", NULL), "record_fields",
		       "wrong number of hex digits");
	expect_refused("cert.issued", fields_json(ci, 1, REPLACE, "\"device\"", NULL),
		       "record_fields", "not one of the allowed values");
	/* times: the one form, real dates */
	const char *times[] = { "\"2026-02-29T00:00:00Z\"", "\"2026-01-01T24:00:00Z\"",
				"\"2026-01-01T00:00:60Z\"", "\"2026-01-01 00:00:00Z\"",
				"\"2026-01-01T00:00:00+00:00\"", "\"1969-12-31T23:59:59Z\"",
				"\"2026-1-01T00:00:00Z\"", "\"+026-01-01T00:00:00Z\"" };
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		expect_refused("cert.issued", fields_json(ci, 7, REPLACE, times[i], NULL),
			       "record_fields", "YYYY-MM-DDTHH:MM:SSZ expected");
	/* text: no control characters, bounded */
	expect_refused("cert.issued", fields_json(ci, 2, REPLACE, "\"a\\u007fb\"", NULL),
		       "record_fields", "control character");
	char long_text[1100] = "\"";
	memset(long_text + 1, 'x', 1025);
	strcpy(long_text + 1026, "\"");
	expect_refused("cert.issued", fields_json(ci, 2, REPLACE, long_text, NULL),
		       "record_fields", "1 to 1024 bytes");
	/* malformed JSON is refused by the reader, with its offset */
	expect_refused("cert.issued", "{\"serial\":\"0fa1\",}", "record_fields",
		       "record fields: byte 17: ");
	expect_refused("cert.issued", "[]", "record_fields", "a JSON object expected");
}

static void test_common_members(void **state)
{
	(void)state;
	struct sg_err err = { 0 };
	uint8_t *leaf = NULL;
	size_t len;
	const char *f = "{\"unit\":\"u\",\"device\":\"d\",\"lock\":\"l\",\"lock_bits\":1}";
	assert_int_equal(sg_record_build("unit.nope", f, strlen(f), 0, T0, "o", &leaf, &len, &err),
			 SG_EINPUT);
	assert_string_equal(err.param, "record_type");
	assert_string_equal(err.msg, "record type \"unit.nope\": unknown");
	assert_int_equal(sg_record_build("unit.locked", f, strlen(f), 1ULL << 53, T0, "o", &leaf,
					 &len, &err),
			 SG_EINPUT);
	assert_string_equal(err.param, "index");
	assert_int_equal(sg_record_build("unit.locked", f, strlen(f), 0, -1, "o", &leaf, &len, &err),
			 SG_EINPUT);
	assert_string_equal(err.param, "time");
	assert_int_equal(sg_record_build("unit.locked", f, strlen(f), 0, 253402300800LL, "o", &leaf,
					 &len, &err),
			 SG_EINPUT);
	assert_string_equal(err.param, "time");
	const char *origins[] = { "", "has space", "tab\t", "caf\xc3\xa9" };
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(sg_record_build("unit.locked", f, strlen(f), 0, T0, origins[i],
						 &leaf, &len, &err),
				 SG_EINPUT);
		assert_string_equal(err.param, "origin");
	}
	assert_null(leaf);
	char *big = malloc(SG_RECORD_MAX + 1);
	memset(big, ' ', SG_RECORD_MAX + 1);
	memcpy(big, f, strlen(f));
	assert_int_equal(sg_record_build("unit.locked", big, SG_RECORD_MAX, 0, T0, "o", &leaf, &len,
					 &err),
			 SG_OK);
	free(leaf);
	assert_int_equal(sg_record_build("unit.locked", big, SG_RECORD_MAX + 1, 0, T0, "o", &leaf,
					 &len, &err),
			 SG_EINPUT);
	assert_string_equal(err.param, "record_fields");
	assert_non_null(strstr(err.msg, "more than the limit of 65536"));
	free(big);
	/* the extremes that are allowed, and the exact bytes */
	assert_int_equal(sg_record_build("unit.locked", f, strlen(f), (1ULL << 53) - 1,
					 253402300799LL, "o", &leaf, &len, &err),
			 SG_OK);
	assert_string_equal((char *)leaf,
			    "{\"device\":\"d\",\"index\":9007199254740991,\"lock\":\"l\",\"lock_bits\":1,"
			    "\"origin\":\"o\",\"time\":\"9999-12-31T23:59:59Z\",\"type\":\"unit.locked\","
			    "\"unit\":\"u\"}");
	assert_int_equal(len, strlen((char *)leaf));
	free(leaf);
	assert_int_equal(sg_record_build("unit.locked", f, strlen(f), 0, 0, "o", &leaf, &len, &err),
			 SG_OK);
	assert_non_null(strstr((char *)leaf, "\"time\":\"1970-01-01T00:00:00Z\""));
	free(leaf);
}

static void expect_leaf_refused(const char *leaf, const char *why)
{
	struct sg_err err = { 0 };
	struct sg_record *r = (struct sg_record *)1;
	assert_int_equal(sg_record_parse((const uint8_t *)leaf, strlen(leaf), &r, &err), SG_EINPUT);
	assert_null(r);
	if (!strstr(err.msg, why))
		fail_msg("%s: message '%s' lacks '%s'", leaf, err.msg, why);
}

/* A stored leaf must be the canonical bytes of a valid record. */
static void test_parse_refuses(void **state)
{
	(void)state;
#define GOOD_LEAF(pre, dev, post)                                                           \
	"{\"device\":" dev ",\"index\":3,\"lock\":\"l\",\"lock_bits\":1,\"origin\":\"o\"," pre "\"time\":\"2026-01-01T00:00:00Z\"," \
	"\"type\":\"unit.locked\",\"unit\":\"u\"" post "}"
	struct sg_record *r;
	struct sg_err err = { 0 };
	const char *good = GOOD_LEAF("", "\"d\"", "");
	assert_int_equal(sg_record_parse((const uint8_t *)good, strlen(good), &r, &err), SG_OK);
	assert_string_equal(sg_record_field(r, "device"), "d");
	sg_record_free(r);
	/* not canonical: whitespace, order, escapes that need not be */
	expect_leaf_refused(
		"{\"device\":\"d\", \"index\":3,\"lock\":\"l\",\"lock_bits\":1,\"origin\":\"o\",\"time\":\"2026-01-01T00:00:00Z\","
		"\"type\":\"unit.locked\",\"unit\":\"u\"}",
		"leaf: byte 14: not in canonical (RFC 8785) form");
	expect_leaf_refused(
		"{\"index\":3,\"device\":\"d\",\"origin\":\"o\",\"time\":\"2026-01-01T00:00:00Z\","
		"\"type\":\"unit.locked\",\"unit\":\"u\"}",
		"leaf: byte 2: not in canonical");
	expect_leaf_refused(GOOD_LEAF("", "\"\\u0064\"", ""), "leaf: byte 11: not in canonical");
	expect_leaf_refused(GOOD_LEAF("", "\"d\\/\"", ""), "leaf: byte 12: not in canonical");
	expect_leaf_refused(GOOD_LEAF("", "\"d\"", "") "\n", "leaf: byte 124: not in canonical");
	/* canonical, but not a valid record */
	expect_leaf_refused(GOOD_LEAF("\"pin\":\"1\",", "\"d\"", ""), "unknown field");
	expect_leaf_refused(GOOD_LEAF("", "\"\"", ""), "field \"device\" at byte 10");
	expect_leaf_refused("{\"device\":\"d\",\"index\":3,\"lock\":\"l\",\"lock_bits\":1,\"origin\":\"o\","
			    "\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"unit.nope\",\"unit\":\"u\"}",
			    "record type \"unit.nope\": unknown");
	expect_leaf_refused("{\"device\":\"d\",\"index\":-3,\"lock\":\"l\",\"lock_bits\":1,\"origin\":\"o\","
			    "\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"unit.locked\",\"unit\":\"u\"}",
			    "index");
	expect_leaf_refused("{\"device\":\"d\",\"index\":3,\"lock\":\"l\",\"lock_bits\":1,\"origin\":\"o\","
			    "\"time\":\"2026-01-01T00:00:00\",\"type\":\"unit.locked\",\"unit\":\"u\"}",
			    "time");
	expect_leaf_refused("{\"device\":\"d\",\"index\":3,\"lock\":\"l\",\"lock_bits\":1,"
			    "\"time\":\"2026-01-01T00:00:00Z\",\"type\":\"unit.locked\",\"unit\":\"u\"}",
			    "origin");
	expect_leaf_refused("{\"device\":\"d\",\"index\":3,\"lock\":\"l\",\"lock_bits\":1,\"origin\":\"o\","
			    "\"time\":\"2026-01-01T00:00:00Z\",\"type\":1,\"unit\":\"u\"}",
			    "leaf: type missing or not a string");
	expect_leaf_refused("[]", "a JSON object expected");
	expect_leaf_refused("{\"a\":1,\"a\":1}", "duplicate member name");
}

/* Array and integer members read back as canonical text. */
static void test_views(void **state)
{
	(void)state;
	const char *f = "{ \"format\":\"mcuboot\", \"digest_alg\":\"sha256\", \"digest\":\"" H64
			"\", \"version\":\"0.1.0+0\", \"security_counter\" : 0,"
			"\"key_ids\":[ \"" H64 "\" ] }";
	uint8_t *leaf;
	size_t len;
	struct sg_record *r;
	assert_int_equal(build("release.signed", f, &leaf, &len, NULL), SG_OK);
	assert_int_equal(sg_record_parse(leaf, len, &r, NULL), SG_OK);
	assert_string_equal(sg_record_field(r, "key_ids"), "[\"" H64 "\"]");
	assert_string_equal(sg_record_field(r, "security_counter"), "0");
	assert_string_equal(sg_record_field(r, "format"), "mcuboot");
	sg_record_free(r);
	free(leaf);
}

/* A unit.failed builder with its required fields and name = value. */
static struct sg_record_builder *failed_builder(const char *name, const char *value)
{
	struct sg_record_builder *b = sg_record_builder_new("unit.failed");
	sg_record_set_str(b, "unit", "u1");
	sg_record_set_str(b, "reason", "timeout");
	sg_record_set_str(b, name, value);
	return b;
}

/* The builder gives the same bytes as the same fields in JSON text. */
static void test_builder(void **state)
{
	(void)state;
	uint8_t d[32], k1[32], k2[32];
	for (int i = 0; i < 32; i++)
		d[i] = (uint8_t)i, k1[i] = (uint8_t)(0xf0 + (i & 15)), k2[i] = (uint8_t)(0x80 ^ i);
	struct sg_record_builder *b = sg_record_builder_new("release.signed");
	sg_record_set_str(b, "format", "signet");
	sg_record_set_str(b, "digest_alg", "sha256");
	sg_record_set_hex(b, "digest", d, sizeof(d));
	sg_record_set_str(b, "version", "1.0.0+7");
	sg_record_set_int(b, "security_counter", 12);
	sg_record_add_hex(b, "key_ids", k1, sizeof(k1));
	sg_record_add_hex(b, "key_ids", k2, sizeof(k2));
	char *json;
	size_t len;
	struct sg_err err = { 0 };
	if (sg_record_builder_json(b, &json, &len, &err))
		fail_msg("%s", err.msg);
	sg_record_builder_free(b);
	char hd[65], h1[65], h2[65], want[512];
	for (int i = 0; i < 32; i++) {
		sprintf(hd + 2 * i, "%02x", d[i]);
		sprintf(h1 + 2 * i, "%02x", k1[i]);
		sprintf(h2 + 2 * i, "%02x", k2[i]);
	}
	snprintf(want, sizeof(want),
		 "{\"digest\":\"%s\",\"digest_alg\":\"sha256\",\"format\":\"signet\","
		 "\"key_ids\":[\"%s\",\"%s\"],\"security_counter\":12,\"version\":\"1.0.0+7\"}",
		 hd, h1, h2);
	assert_string_equal(json, want);
	assert_int_equal(len, strlen(want));
	uint8_t *l1, *l2;
	size_t n1, n2;
	assert_int_equal(build("release.signed", json, &l1, &n1, NULL), SG_OK);
	assert_int_equal(build("release.signed", want, &l2, &n2, NULL), SG_OK);
	assert_int_equal(n1, n2);
	assert_memory_equal(l1, l2, n1);
	free(l1);
	free(l2);
	free(json);

	/* problems come out at the end, checked like JSON text */
	b = failed_builder("reason", "again");
	assert_int_equal(sg_record_builder_json(b, &json, &len, &err), SG_EINPUT);
	assert_null(json);
	assert_string_equal(err.msg, "record fields: unit.failed field \"reason\" set twice");
	sg_record_builder_free(b);
	b = failed_builder("detail", "bad \xff byte");
	assert_int_equal(sg_record_builder_json(b, &json, &len, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "invalid UTF-8"));
	sg_record_builder_free(b);
	b = failed_builder("pin", "1234");
	assert_int_equal(sg_record_builder_json(b, &json, &len, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "unknown field"));
	sg_record_add_hex(b, "unit", d, 2); /* not an array: set twice */
	assert_int_equal(sg_record_builder_json(b, &json, &len, &err), SG_EINPUT);
	assert_non_null(strstr(err.msg, "\"unit\" set twice"));
	sg_record_builder_free(b);
	b = sg_record_builder_new("unit.nope");
	assert_int_equal(sg_record_builder_json(b, &json, &len, &err), SG_EINPUT);
	assert_string_equal(err.param, "record_type");
	sg_record_builder_free(b);
}

/* The ledger's profile and reason names are pki's (a new profile in pki
 * must be added to the ledger's table too). */
static void test_pki_names(void **state)
{
	(void)state;
	char f[256];
	int n = 0;
	for (int p = SG_PROF_ROOT; strcmp(sg_pki_profile_name((enum sg_pki_profile)p), "none"); p++, n++) {
		snprintf(f, sizeof(f),
			 "{\"unit\":\"u\",\"device\":\"d\",\"serial\":\"01\",\"profile\":\"%s\","
			 "\"der_sha256\":\"" H64 "\",\"key_mode\":\"device\"}",
			 sg_pki_profile_name((enum sg_pki_profile)p));
		uint8_t *leaf;
		size_t len;
		struct sg_err err = { 0 };
		if (build("unit.cert_issued", f, &leaf, &len, &err))
			fail_msg("%s", err.msg);
		free(leaf);
	}
	assert_int_equal(n, 8);
	n = 0;
	for (int i = 0; i < 16; i++) {
		if (!strcmp(sg_pki_reason_name(i), "unknown"))
			continue;
		snprintf(f, sizeof(f),
			 "{\"serial\":\"01\",\"reason\":\"%s\",\"revoked_at\":\"2026-01-01T00:00:00Z\"}",
			 sg_pki_reason_name(i));
		uint8_t *leaf;
		size_t len;
		struct sg_err err = { 0 };
		if (build("cert.revoked", f, &leaf, &len, &err))
			fail_msg("%s", err.msg);
		free(leaf);
		n++;
	}
	assert_int_equal(n, 7);
}

/* docs/ledger.md lists every type and each of its fields. */
static void test_docs(void **state)
{
	(void)state;
	char path[512];
	const char *src = getenv("SIGNET_SOURCE_DIR");
	snprintf(path, sizeof(path), "%s/docs/ledger.md", src ? src : ".");
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	static char doc[65536];
	size_t n = fread(doc, 1, sizeof(doc) - 1, fp);
	doc[n] = 0;
	fclose(fp);
	const char *type;
	for (size_t i = 0; (type = sg_record_type_name(i)) != NULL; i++) {
		char want[128];
		snprintf(want, sizeof(want), "### `%s`", type);
		const char *sec = strstr(doc, want);
		if (!sec)
			fail_msg("docs/ledger.md: no section %s", want);
		const char *end = strstr(sec + 4, "\n#");
		bool req;
		const char *f;
		for (size_t j = 0; (f = sg_record_field_name(type, j, &req)) != NULL; j++) {
			snprintf(want, sizeof(want), "| `%s` |", f);
			const char *at = strstr(sec, want);
			if (!at || (end && at > end))
				fail_msg("docs/ledger.md: %s lacks field %s", type, f);
			const char *eol = strchr(at, '\n');
			const char *word = strstr(at, req ? "| required |" : "| optional |");
			if (!word || word > eol)
				fail_msg("docs/ledger.md: %s field %s should say %s", type, f,
					 req ? "required" : "optional");
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_records),   cmocka_unit_test(test_tables_complete),
		cmocka_unit_test(test_missing_required), cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_wrong_types),    cmocka_unit_test(test_bad_formats),
		cmocka_unit_test(test_common_members), cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_views),          cmocka_unit_test(test_builder),
		cmocka_unit_test(test_pki_names),      cmocka_unit_test(test_docs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
