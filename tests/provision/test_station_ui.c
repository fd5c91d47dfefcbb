/* What signet station run shows (cli/station_ui.c, docs/provisioning.md
 * §9), driven in each mode onto a memory stream: JSON events parsed with
 * jansson, plain lines, the terminal's panels, device strings that try to
 * reach the terminal, and four threads at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "station.h"

#define UNIT1 "u-0123456789abcdef"
#define UNIT2 "u-fedcba9876543210"
#define NASTY "\x1b[2J\x07"

static const char *const names[] = { "f1", "left" };
static const struct station_ui_start start = { "sim", names, 2, "yes", 41 };

struct sink {
	char *buf;
	size_t len;
	FILE *fp;
};

static void sink_open(struct sink *s)
{
	s->fp = open_memstream(&s->buf, &s->len);
	assert_non_null(s->fp);
}

static void sink_close(struct sink *s)
{
	fclose(s->fp);
}

static void step(struct station_ui *ui, size_t fixture, const char *unit, const char *device,
		 enum station_step st)
{
	struct station_event e = { .kind = EVENT_STEP, .fixture = fixture, .unit = unit,
				   .device = device, .step = st };
	station_ui_event(ui, &e);
}

static void result(struct station_ui *ui, size_t fixture, const char *unit, const char *device,
		   enum station_step st, enum station_result r, const char *reason,
		   const char *detail, const char *serial, long long index)
{
	struct station_event e = { .kind = EVENT_RESULT, .fixture = fixture, .unit = unit,
				   .device = device, .step = st, .result = r, .reason = reason,
				   .detail = detail, .serial = serial, .index = (uint64_t)index,
				   .has_index = index >= 0 };
	station_ui_event(ui, &e);
}

/* One run on each fixture: f1 passes, "left" fails at verify with a device
 * string meant for the terminal. */
static void drive(struct station_ui *ui)
{
	step(ui, 0, UNIT1, NULL, STEP_CONNECT);
	step(ui, 0, UNIT1, "00c0ffee", STEP_IDENTIFY);
	step(ui, 1, UNIT2, "dead" NASTY, STEP_VERIFY);
	result(ui, 0, UNIT1, "00c0ffee", STEP_LOCK_CHECK, RESULT_PASS, NULL, NULL, "0a1b", 7);
	result(ui, 1, UNIT2, "dead" NASTY, STEP_VERIFY, RESULT_FAILED, "readback",
	       "slot 1 " NASTY "differs", NULL, 9);
	station_ui_end(ui, 50, 0.25);
}

static json_t *parse_line(const char *line, size_t len)
{
	json_error_t jerr;
	json_t *j = json_loadb(line, len, 0, &jerr);
	if (!j)
		fail_msg("not JSON: %.*s (%s)", (int)len, line, jerr.text);
	assert_int_equal(json_integer_value(json_object_get(j, "v")), 1);
	const char *t = json_string_value(json_object_get(j, "time"));
	assert_non_null(t);
	assert_int_equal(strlen(t), 20);
	assert_true(t[4] == '-' && t[10] == 'T' && t[19] == 'Z');
	return j;
}

/* The lines of buf, parsed. */
static size_t json_lines(const char *buf, json_t **out, size_t max)
{
	size_t n = 0;
	for (const char *p = buf, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		assert_true(n < max);
		out[n++] = parse_line(p, (size_t)(nl - p));
	}
	return n;
}

static const char *str(json_t *j, const char *name)
{
	return json_string_value(json_object_get(j, name));
}

static long long num(json_t *j, const char *name)
{
	json_t *v = json_object_get(j, name);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void test_json(void **state)
{
	(void)state;
	struct sink s;
	sink_open(&s);
	setenv("SOURCE_DATE_EPOCH", "1764374400", 1); /* 2025-11-29T00:00:00Z */
	struct station_ui *ui = station_ui_new(UI_JSON, s.fp, &start);
	assert_non_null(ui);
	drive(ui);
	station_ui_free(ui);
	unsetenv("SOURCE_DATE_EPOCH");
	sink_close(&s);
	json_t *j[8];
	assert_int_equal(json_lines(s.buf, j, 8), 7);

	assert_string_equal(str(j[0], "event"), "start");
	assert_string_equal(str(j[0], "time"), "2025-11-29T00:00:00Z");
	assert_string_equal(str(j[0], "profile"), "sim");
	assert_string_equal(str(j[0], "lock"), "yes");
	assert_int_equal(num(j[0], "ledger_size"), 41);
	json_t *fx = json_object_get(j[0], "fixtures");
	assert_int_equal(json_array_size(fx), 2);
	assert_string_equal(json_string_value(json_array_get(fx, 1)), "left");

	/* a step before the device is known has no "device" */
	assert_string_equal(str(j[1], "event"), "step");
	assert_string_equal(str(j[1], "fixture"), "f1");
	assert_string_equal(str(j[1], "unit"), UNIT1);
	assert_string_equal(str(j[1], "step"), "connect");
	assert_null(json_object_get(j[1], "device"));
	assert_int_equal(json_object_size(j[1]), 6);
	assert_string_equal(str(j[2], "device"), "00c0ffee");
	assert_string_equal(str(j[3], "device"), "dead?[2J?");

	assert_string_equal(str(j[4], "event"), "result");
	assert_string_equal(str(j[4], "result"), "pass");
	assert_string_equal(str(j[4], "step"), "lock-check");
	assert_string_equal(str(j[4], "serial"), "0a1b");
	assert_int_equal(num(j[4], "index"), 7);
	assert_null(json_object_get(j[4], "reason"));
	assert_null(json_object_get(j[4], "detail"));

	assert_string_equal(str(j[5], "fixture"), "left");
	assert_string_equal(str(j[5], "result"), "failed");
	assert_string_equal(str(j[5], "step"), "verify");
	assert_string_equal(str(j[5], "reason"), "readback");
	assert_string_equal(str(j[5], "detail"), "slot 1 ?[2J?differs");
	assert_null(json_object_get(j[5], "serial"));
	assert_int_equal(num(j[5], "index"), 9);

	assert_string_equal(str(j[6], "event"), "end");
	assert_int_equal(num(j[6], "units"), 2);
	assert_int_equal(num(j[6], "pass"), 1);
	assert_int_equal(num(j[6], "not_locked"), 0);
	assert_int_equal(num(j[6], "failed"), 1);
	assert_int_equal(num(j[6], "quarantined"), 0);
	assert_int_equal(num(j[6], "dry_run"), 0);
	assert_int_equal(num(j[6], "ledger_size"), 50);
	assert_true(json_is_number(json_object_get(j[6], "seconds")));
	assert_true(json_real_value(json_object_get(j[6], "link_seconds")) == 0.25);
	for (int i = 0; i < 7; i++)
		json_decref(j[i]);
	free(s.buf);
}

static void test_plain(void **state)
{
	(void)state;
	struct sink s;
	sink_open(&s);
	struct station_ui *ui = station_ui_new(UI_PLAIN, s.fp, &start);
	drive(ui);
	unsigned counts[RESULT_COUNT];
	station_ui_counts(ui, counts);
	assert_int_equal(counts[RESULT_PASS], 1);
	assert_int_equal(counts[RESULT_FAILED], 1);
	assert_int_equal(counts[RESULT_QUARANTINED] + counts[RESULT_NOT_LOCKED] +
				 counts[RESULT_DRY_RUN], 0);
	station_ui_free(ui);
	sink_close(&s);
	const char *want =
		"f1 " UNIT1 " - step connect\n"
		"f1 " UNIT1 " 00c0ffee step identify\n"
		"left " UNIT2 " dead?[2J? step verify\n"
		"f1 " UNIT1 " 00c0ffee PASS serial 0a1b index 7\n"
		"left " UNIT2 " dead?[2J? FAILED step=verify reason=readback index 9: "
		"slot 1 ?[2J?differs\n"
		"units 2: pass 1, not-locked 0, failed 1, quarantined 0, dry-run 0; yield 50.0%, ";
	assert_memory_equal(s.buf, want, strlen(want));
	assert_non_null(strstr(s.buf + strlen(want), " units/h, "));
	assert_int_equal(s.buf[s.len - 1], '\n');
	assert_null(strchr(s.buf, '\x1b'));
	free(s.buf);
}

/* The panels: every result's word, and no byte a device sent that a
 * terminal would act on. */
static void test_tty(void **state)
{
	(void)state;
	struct sink s;
	sink_open(&s);
	struct station_ui *ui = station_ui_new(UI_TTY, s.fp, &start);
	nanosleep(&(struct timespec){ 0, 60000000 }, NULL); /* past the redraw limit */
	step(ui, 0, UNIT1, "00c0ffee", STEP_WRITE);
	result(ui, 0, UNIT1, "00c0ffee", STEP_PRELOCK, RESULT_NOT_LOCKED, NULL,
	       "not locked (run with --lock)", "0a1b", 3);
	result(ui, 0, UNIT1, "00c0ffee", STEP_CHECK, RESULT_QUARANTINED, "key-reused", NASTY, NULL, 4);
	result(ui, 0, UNIT1, "00c0ffee", STEP_CHECK, RESULT_DRY_RUN, NULL, NULL, NULL, 5);
	result(ui, 0, UNIT1, "00c0ffee", STEP_LOCK_CHECK, RESULT_PASS, NULL, NULL, "0a1b", 6);
	step(ui, 1, UNIT2, "dead" NASTY, STEP_VERIFY);
	result(ui, 1, UNIT2, "dead" NASTY, STEP_VERIFY, RESULT_FAILED, "readback", NASTY, NULL, 9);
	station_ui_end(ui, 50, 0.25);
	station_ui_free(ui);
	sink_close(&s);
	const char *words[] = { "[NOT LOCKED]", "[QUAR]", "[DRY RUN]", "[PASS]", "[FAIL]", "f1 ",
				"left ", "dead?[2J?", "[##!.......]", "[######!...]",
				"[##########]", "[#####>....]", "yield 33.3%", "units 5:",
				"\x1b[2K", "\x1b[8A" };
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (!strstr(s.buf, words[i]))
			fail_msg("no '%s' in the panel", words[i]);
	assert_null(strstr(s.buf, "\x1b[2J"));
	assert_null(strchr(s.buf, '\x07'));
	/* not a terminal: no colours */
	assert_null(strstr(s.buf, "\x1b[1;"));
	/* every escape is one of the panel's own: CR-erase, up N, clear below */
	for (const char *p = s.buf; (p = strchr(p, '\x1b')); p++) {
		size_t n = strspn(p + 2, "0123456789");
		assert_int_equal(p[1], '[');
		assert_non_null(strchr("AKJ", p[2 + n]));
	}
	free(s.buf);
}

/* Steps come faster than a terminal needs: at most ~20 redraws a second,
 * but every result drawn. */
static void test_tty_rate(void **state)
{
	(void)state;
	struct sink s;
	sink_open(&s);
	struct station_ui *ui = station_ui_new(UI_TTY, s.fp, &start);
	for (int i = 0; i < 2000; i++)
		step(ui, (size_t)i % 2, UNIT1, "00c0ffee", (enum station_step)(i % STEP_COUNT));
	for (int i = 0; i < 30; i++)
		result(ui, 0, UNIT1, "00c0ffee", STEP_LOCK_CHECK, RESULT_PASS, NULL, NULL, NULL, i);
	station_ui_free(ui);
	sink_close(&s);
	size_t draws = 0;
	for (const char *p = s.buf; (p = strstr(p, "\x1b[J")); p++)
		draws++;
	/* the first draw, at most a few for the steps (they take well under a
	 * second), one per result */
	assert_true(draws >= 31);
	assert_true(draws <= 31 + 10);
	free(s.buf);
}

/* ---- four threads at once */

struct worker {
	struct station_ui *ui;
	size_t fixture;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	char detail[64];
	for (int i = 0; i < 1000; i++) {
		snprintf(detail, sizeof detail, "detail \"%d\" of fixture %zu", i, w->fixture);
		if (i % 10 == 9)
			result(w->ui, w->fixture, UNIT1, "00c0ffee", STEP_WRITE, RESULT_FAILED,
			       "transport", detail, NULL, i);
		else
			step(w->ui, w->fixture, UNIT1, "00c0ffee", (enum station_step)(i % 9));
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	static const char *const four[] = { "a", "b", "c", "d" };
	const struct station_ui_start st = { "sim", four, 4, "no", 0 };
	struct sink s;
	sink_open(&s);
	struct station_ui *ui = station_ui_new(UI_JSON, s.fp, &st);
	pthread_t t[4];
	struct worker w[4];
	for (size_t i = 0; i < 4; i++) {
		w[i] = (struct worker){ ui, i };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (size_t i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	unsigned counts[RESULT_COUNT];
	station_ui_counts(ui, counts);
	assert_int_equal(counts[RESULT_FAILED], 400);
	station_ui_free(ui);
	sink_close(&s);
	size_t lines = 0, per[4] = { 0 };
	const char *p = strchr(s.buf, '\n') + 1; /* after "start" */
	for (const char *nl; (nl = strchr(p, '\n')); p = nl + 1, lines++) {
		json_t *j = parse_line(p, (size_t)(nl - p));
		const char *fx = str(j, "fixture");
		assert_non_null(fx);
		per[fx[0] - 'a']++;
		json_decref(j);
	}
	assert_int_equal(*p, '\0');
	assert_int_equal(lines, 4000);
	for (int i = 0; i < 4; i++)
		assert_int_equal(per[i], 1000);
	free(s.buf);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(station_step_name(STEP_CONNECT), "connect");
	assert_string_equal(station_step_name(STEP_LOCK_CHECK), "lock-check");
	assert_string_equal(station_step_name(STEP_COUNT), "?");
	assert_string_equal(station_result_name(RESULT_NOT_LOCKED), "not-locked");
	assert_string_equal(station_result_name(RESULT_DRY_RUN), "dry-run");
	assert_string_equal(station_result_name(RESULT_COUNT), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),      cmocka_unit_test(test_plain),
		cmocka_unit_test(test_tty),       cmocka_unit_test(test_tty_rate),
		cmocka_unit_test(test_threads),   cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
