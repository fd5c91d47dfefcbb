/* ledger/report.c: the counts and the bounded lists of an auditor's report,
 * from records built and parsed by ledger/record.c, and over a real SQLite
 * ledger: exactly the records of the latest checkpoint, none without one,
 * and a list that keeps its latest items of a long ledger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signet/ledger_report.h"

#define ORIGIN "line-1.example"
#define DAY 86400
#define T0 1795000000 /* 2026-11-19 */

static struct sg_record *record(const char *type, const char *fields, uint64_t index, time_t t)
{
	uint8_t *leaf;
	size_t len;
	struct sg_record *r;
	struct sg_err err;
	assert_int_equal(sg_record_build(type, fields, strlen(fields), index, t, ORIGIN, &leaf, &len,
					 &err),
			 SG_OK);
	assert_int_equal(sg_record_parse(leaf, len, &r, &err), SG_OK);
	free(leaf);
	return r;
}

static void add(struct sg_report *rep, const char *type, const char *fields, uint64_t index,
		time_t t)
{
	struct sg_err err;
	struct sg_record *r = record(type, fields, index, t);
	assert_int_equal(sg_report_add(rep, r, &err), SG_OK);
	sg_record_free(r);
}

static size_t field_index(enum sg_report_list list, const char *name)
{
	const char *f;
	for (size_t j = 0; (f = sg_report_field_name(list, j)); j++)
		if (!strcmp(f, name))
			return j;
	fail_msg("list %d has no field %s", (int)list, name);
	return 0;
}

/* A list keeps its latest list_max items, oldest first, and counts the rest. */
static void test_list_keeps_latest(void **state)
{
	(void)state;
	struct sg_report *rep = sg_report_new(3);
	char fields[128];
	uint64_t dropped;
	assert_non_null(rep);
	for (int i = 0; i < 5; i++) {
		snprintf(fields, sizeof fields, "{\"unit\":\"u%d\",\"step\":\"verify\",\"reason\":\"r%d\"}", i, i);
		add(rep, "unit.failed", fields, (uint64_t)i, T0 + i);
	}
	add(rep, "unit.locked", "{\"unit\":\"p\",\"device\":\"d\",\"lock_bits\":7,\"lock\":\"l\"}", 5, T0);
	assert_int_equal(sg_report_items(rep, SG_REPORT_FAILURES, &dropped), 3);
	assert_int_equal(dropped, 2);
	size_t reason = field_index(SG_REPORT_FAILURES, "reason");
	for (size_t i = 0; i < 3; i++) {
		const struct sg_report_item *it = sg_report_item(rep, SG_REPORT_FAILURES, i);
		char want[8];
		snprintf(want, sizeof want, "r%zu", i + 2);
		assert_int_equal(it->index, i + 2);
		assert_int_equal(it->time, T0 + (time_t)i + 2);
		assert_string_equal(it->field[reason], want);
		assert_null(it->field[field_index(SG_REPORT_FAILURES, "device")]);
	}
	assert_int_equal(sg_report_items(rep, SG_REPORT_RELEASES, &dropped), 0);
	assert_int_equal(dropped, 0);
	sg_report_free(rep);
}

/* Reasons are counted by name up to SG_REPORT_GROUPS_MAX, sorted; the
 * rest as other. */
static void test_groups_bounded(void **state)
{
	(void)state;
	struct sg_report *rep = sg_report_new(0);
	char fields[128];
	size_t n;
	struct sg_report_tally other;
	for (int i = SG_REPORT_GROUPS_MAX + 43; i >= 0; i--) {
		snprintf(fields, sizeof fields, "{\"unit\":\"u\",\"step\":\"check\",\"reason\":\"r%03d\"}", i);
		add(rep, "unit.failed", fields, 0, T0);
	}
	add(rep, "unit.quarantined", "{\"unit\":\"u\",\"step\":\"check\",\"reason\":\"r001\"}", 0, T0);
	const struct sg_report_group *g = sg_report_reasons(rep, &n, &other);
	assert_int_equal(n, SG_REPORT_GROUPS_MAX);
	/* the first names seen are kept: r299 down to r044 */
	assert_string_equal(g[0].name, "r044");
	assert_string_equal(g[n - 1].name, "r299");
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(g[i - 1].name, g[i].name) < 0);
	assert_int_equal(other.fail, 44);
	assert_int_equal(other.quarantine, 1);
	g = sg_report_origins(rep, &n, &other);
	assert_int_equal(n, 1);
	assert_string_equal(g[0].name, ORIGIN);
	assert_int_equal(g[0].t.fail, SG_REPORT_GROUPS_MAX + 44);
	assert_int_equal(g[0].t.quarantine, 1);
	sg_report_free(rep);
}

/* Days come out in order whatever order the records' times are in. */
static void test_days_in_order(void **state)
{
	(void)state;
	struct sg_report *rep = sg_report_new(0);
	size_t n;
	char rel[400];
	snprintf(rel, sizeof rel,
		 "{\"format\":\"signet\",\"digest_alg\":\"sha256\",\"digest\":\"%064d\","
		 "\"version\":\"1.0.0+0\",\"key_ids\":[\"%064d\"]}",
		 0, 1);
	add(rep, "unit.locked", "{\"unit\":\"a\",\"device\":\"d\",\"lock_bits\":7,\"lock\":\"l\"}", 0, T0 + 5 * DAY);
	add(rep, "unit.locked", "{\"unit\":\"b\",\"device\":\"d\",\"lock_bits\":7,\"lock\":\"l\"}", 1, T0 + 1 * DAY);
	add(rep, "unit.failed", "{\"unit\":\"c\",\"step\":\"key\",\"reason\":\"x\"}", 2, T0 + 3 * DAY);
	add(rep, "release.signed", rel, 3, T0 + 1 * DAY + 60);
	add(rep, "unit.started", "{\"unit\":\"e\",\"fixture\":\"f1\",\"profile\":\"sim\",\"lock\":\"no\"}", 4, T0 + 9 * DAY); /* no outcome: no day */
	const struct sg_report_day *d = sg_report_days(rep, &n, NULL);
	assert_int_equal(n, 3);
	assert_int_equal(d[0].day, (T0 + DAY) / DAY);
	assert_int_equal(d[0].t.pass, 1);
	assert_int_equal(d[0].t.releases, 1);
	assert_int_equal(d[1].day, (T0 + 3 * DAY) / DAY);
	assert_int_equal(d[1].t.fail, 1);
	assert_int_equal(d[2].day, (T0 + 5 * DAY) / DAY);
	struct sg_report_tally t = sg_report_total(rep);
	assert_int_equal(t.pass, 2);
	assert_int_equal(t.fail, 1);
	assert_int_equal(t.releases, 1);
	assert_int_equal(sg_report_records(rep), 5);
	assert_int_equal(sg_report_type_count(rep, "unit.started"), 1);
	assert_int_equal(sg_report_type_count(rep, "cert.issued"), 0);
	const struct sg_report_item *it = sg_report_item(rep, SG_REPORT_RELEASES, 0);
	assert_string_equal(it->field[field_index(SG_REPORT_RELEASES, "version")], "1.0.0+0");
	sg_report_free(rep);
}

/* ---- over a real ledger */

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/signet-report-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof path, "%s/r.ledger", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Record i: a failure when i % 3 == 0, else a pass. */
static int encode(void *arg, uint64_t index, uint8_t **leaf, size_t *len, struct sg_err *err)
{
	(void)arg;
	char fields[96];
	const char *type = index % 3 ? "unit.locked" : "unit.failed";
	snprintf(fields, sizeof fields,
		 index % 3 ? "{\"unit\":\"u%" PRIu64 "\",\"device\":\"d\",\"lock_bits\":7,\"lock\":\"l\"}"
			   : "{\"unit\":\"u%" PRIu64 "\",\"step\":\"write\",\"reason\":\"flash\"}",
		 index);
	return sg_record_build(type, fields, strlen(fields), index, T0, ORIGIN, leaf, len, err);
}

static void append(struct sg_ledger *l, size_t n)
{
	struct sg_err err;
	assert_int_equal(sg_ledger_append(l, n, encode, NULL, NULL, &err), SG_OK);
}

/* A checkpoint of the current tree with a signature line that is not
 * checked (no keys given to the report). */
static void checkpoint(struct sg_ledger *l)
{
	struct sg_checkpoint cp = { .origin = ORIGIN };
	struct sg_err err;
	char note[1024];
	size_t len;
	assert_int_equal(sg_ledger_size(l, &cp.size, cp.root, &err), SG_OK);
	assert_int_equal(sg_checkpoint_format(&cp, note, sizeof note - 100, &len, &err), SG_OK);
	snprintf(note + len, sizeof note - len, "\n\xe2\x80\x94 " ORIGIN " AAAAAAAAAAA=\n");
	assert_int_equal(sg_ledger_checkpoint_put(l, cp.size, cp.root, note, &err), SG_OK);
}

static void test_ledger_checkpoint_scope(void **state)
{
	(void)state;
	struct sg_ledger *l;
	struct sg_err err;
	struct sg_report_checkpoint c;
	uint64_t dropped;
	assert_int_equal(sg_ledger_create(path, ORIGIN, T0, &err), SG_OK);
	assert_int_equal(sg_ledger_open(path, 0, &l, &err), SG_OK);
	append(l, 30);
	struct sg_report *rep = sg_report_new(0);
	assert_int_equal(sg_report_ledger(l, NULL, 0, rep, &c, &err), SG_FAIL);
	assert_non_null(strstr(err.msg, "no checkpoint"));
	assert_null(c.note);
	sg_report_free(rep);

	/* 3000 records, 1000 of them failures; then 20 more not checkpointed */
	append(l, 2970);
	checkpoint(l);
	append(l, 20);
	rep = sg_report_new(0);
	assert_int_equal(sg_report_ledger(l, NULL, 0, rep, &c, &err), SG_OK);
	assert_int_equal(c.cp.size, 3000);
	assert_false(c.signature_checked);
	assert_non_null(strstr(c.note, ORIGIN "\n3000\n"));
	assert_int_equal(sg_report_records(rep), 3000);
	assert_int_equal(sg_report_total(rep).fail, 1000);
	assert_int_equal(sg_report_total(rep).pass, 2000);
	free(c.note);
	sg_report_free(rep);

	/* a short list over the same records keeps the latest */
	rep = sg_report_new(10);
	assert_int_equal(sg_report_ledger(l, NULL, 0, rep, &c, &err), SG_OK);
	assert_int_equal(sg_report_items(rep, SG_REPORT_FAILURES, &dropped), 10);
	assert_int_equal(dropped, 990);
	assert_int_equal(sg_report_item(rep, SG_REPORT_FAILURES, 0)->index, 2970);
	assert_int_equal(sg_report_item(rep, SG_REPORT_FAILURES, 9)->index, 2997);
	free(c.note);
	sg_report_free(rep);
	sg_ledger_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_keeps_latest),
		cmocka_unit_test(test_groups_bounded),
		cmocka_unit_test(test_days_in_order),
		cmocka_unit_test_setup_teardown(test_ledger_checkpoint_scope, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
