/* signet station status: one day's units from the ledger's unit.* records
 * (docs/provisioning.md §6, §9): counts per result, the yield, units per
 * hour, the last failures and quarantines, and counts per fixture.
 *
 * A unit's records share its "unit" id and come within minutes of each
 * other; only records from the day before to the day after are read, so a
 * long ledger costs a scan, not memory. A unit belongs to the day of its
 * result, an open one to the day it started. */
#include <errno.h>
#include <getopt.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "signet/ledger.h"
#include "signet/ledger_record.h"
#include "signet/num.h"
#include "station.h"

static const char usage_text[] =
	"usage: signet station status --ledger L [--json] [--day YYYY-MM-DD]\n"
	"\n"
	"The station's units of one day (UTC; default today, or the day of\n"
	"$SOURCE_DATE_EPOCH when set) from the ledger L's unit.* records: counts per\n"
	"result (pass, not-locked, failed, quarantined, dry-run; units not ended yet\n"
	"apart as open), the yield (pass / (pass + failed + quarantined)), units per\n"
	"hour (between the day's first unit.started and its last result), the last 10\n"
	"failures and quarantines, and the counts per fixture. --json prints one JSON\n"
	"object instead (docs/provisioning.md §9). Exit 2 for bad options or a file\n"
	"that is not a ledger, 3 when the ledger is missing or cannot be read.\n";

#define DAY 86400
#define LAST_FAILURES 10
/* The results of §9 and a unit without an end yet. */
#define OPEN RESULT_COUNT

struct unit {
	char id[72], device[72], fixture[72];
	char lock[8];          /* unit.started's, "" when not seen */
	time_t first, started; /* the first record's time; unit.started's (0: none) */
	bool prelock;
	char prelock_next[16]; /* lock, not-locked, pass */
	time_t prelock_at;
	uint64_t prelock_index;
	int end;               /* a result from an ending record, or -1 */
	time_t end_at;
	uint64_t end_index;
	char step[16], reason[72];
	char *detail;
};

struct fixture_counts {
	char name[72];
	unsigned counts[OPEN + 1];
};

struct status {
	time_t day;              /* 00:00:00 UTC */
	void *tree;              /* the units by id (tsearch) */
	struct unit **units;     /* the same, in the order first seen */
	size_t n, cap;
	struct sg_err err;
	/* the day's figures */
	unsigned counts[OPEN + 1];
	time_t first_start, last_result;
	const struct unit *failures[LAST_FAILURES];
	size_t n_failures;
	struct fixture_counts *fixtures;
	size_t n_fixtures;
};

struct args {
	const char *ledger, *day;
	bool json;
};

#define usage(...) cli_usage_error("station status", __VA_ARGS__)

static int parse(int argc, char **argv, struct args *a)
{
	static const struct option options[] = {
		{ "ledger", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "day", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'l': a->ledger = optarg; break;
		case 'j': a->json = true; break;
		case 'd': a->day = optarg; break;
		case 'h': fputs(usage_text, stdout); return -1;
		default: return usage("unknown option or missing value");
		}
	}
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	if (!a->ledger)
		return usage("--ledger is required");
	return SG_OK;
}

/* --day YYYY-MM-DD (a real date), else today (UTC) by sg_now. */
static int day_start(const char *day, time_t *out)
{
	struct tm tm = { 0 };
	if (!day) {
		uint64_t now;
		struct sg_err err;
		if (sg_now(&now, &err))
			return cli_report(&err);
		*out = (time_t)(now - now % DAY);
		return SG_OK;
	}
	const char *end = strptime(day, "%Y-%m-%d", &tm);
	char back[CLI_UTC_MAX];
	time_t t = end && !*end && strlen(day) == 10 ? timegm(&tm) : (time_t)-1;
	if (t < 0 || strcmp(cli_utc((uint64_t)t, back, true), day))
		return usage("--day '%s': not a date YYYY-MM-DD", day);
	*out = t;
	return SG_OK;
}

/* ---- reading the records */

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct unit *)a)->id, ((const struct unit *)b)->id);
}

/* The unit with id, added when new; NULL out of memory. */
static struct unit *unit_for(struct status *st, const char *id, time_t t)
{
	struct unit key;
	snprintf(key.id, sizeof key.id, "%s", id);
	void *found = tfind(&key, &st->tree, by_id);
	if (found)
		return *(struct unit **)found;
	if (st->n == st->cap) {
		size_t cap = st->cap ? 2 * st->cap : 256;
		// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers: sizeof one pointer is meant
		struct unit **units = realloc(st->units, cap * sizeof *units);
		if (!units)
			return NULL;
		st->units = units;
		st->cap = cap;
	}
	struct unit *u = calloc(1, sizeof *u);
	if (u)
		memcpy(u->id, key.id, sizeof u->id);
	if (!u || !tsearch(u, &st->tree, by_id)) {
		free(u);
		return NULL;
	}
	u->first = t;
	u->end = -1;
	st->units[st->n++] = u;
	return u;
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* The ending records and the result each gives. */
static int ending(const char *type)
{
	static const struct {
		const char *type;
		enum station_result result;
	} ends[] = {
		{ "unit.locked", RESULT_PASS },
		{ "unit.failed", RESULT_FAILED },
		{ "unit.quarantined", RESULT_QUARANTINED },
		{ "unit.dry_run", RESULT_DRY_RUN },
	};
	for (size_t i = 0; i < sizeof ends / sizeof *ends; i++)
		if (!strcmp(type, ends[i].type))
			return (int)ends[i].result;
	return -1;
}

static int learn(struct unit *u, const struct sg_record *r)
{
	const char *type = sg_record_type(r), *device = sg_record_field(r, "device");
	time_t t = sg_record_time(r);
	int end = ending(type);
	if (device)
		copy(u->device, sizeof u->device, device);
	if (!strcmp(type, "unit.started")) {
		u->started = t;
		copy(u->fixture, sizeof u->fixture, sg_record_field(r, "fixture"));
		copy(u->lock, sizeof u->lock, sg_record_field(r, "lock"));
	} else if (!strcmp(type, "unit.prelock")) {
		u->prelock = true;
		snprintf(u->prelock_next, sizeof u->prelock_next, "%s", sg_record_field(r, "next"));
		u->prelock_at = t;
		u->prelock_index = sg_record_index(r);
	} else if (end >= 0) {
		u->end = end;
		u->end_at = t;
		u->end_index = sg_record_index(r);
		copy(u->step, sizeof u->step, sg_record_field(r, "step"));
		copy(u->reason, sizeof u->reason, sg_record_field(r, "reason"));
		const char *detail = sg_record_field(r, "detail");
		free(u->detail);
		u->detail = NULL;
		if (detail && !(u->detail = strdup(detail)))
			return -1;
	}
	return 0;
}

static int one_record(void *arg, const struct sg_record *r, struct sg_err *err)
{
	struct status *st = arg;
	time_t t = sg_record_time(r);
	const char *id = sg_record_field(r, "unit");
	struct unit *u = NULL;
	bool near = t >= st->day - DAY && t < st->day + 2 * DAY;
	if (near && id && (!(u = unit_for(st, id, t)) || learn(u, r)))
		return sg_errf(err, SG_EENV, "out of memory");
	return SG_OK;
}

/* ---- the day's figures */

/* A unit's result and when it came: its ending record; else its prelock
 * (docs/provisioning.md §9) when its "next" ends the unit: "not-locked"
 * (a run without --lock) or "pass" (a profile without a lock step). Else
 * open, since it started (a "lock" prelock waits for its unit.locked). */
static int result_of(const struct unit *u, time_t *when)
{
	if (u->end >= 0) {
		*when = u->end_at;
		return u->end;
	}
	if (u->prelock && strcmp(u->prelock_next, "lock")) {
		*when = u->prelock_at;
		return !strcmp(u->prelock_next, "pass") ? RESULT_PASS : RESULT_NOT_LOCKED;
	}
	*when = u->started ? u->started : u->first;
	return OPEN;
}

static struct fixture_counts *fixture_of(struct status *st, const char *name)
{
	if (!*name)
		name = "?";
	for (size_t i = 0; i < st->n_fixtures; i++)
		if (!strcmp(st->fixtures[i].name, name))
			return &st->fixtures[i];
	struct fixture_counts *f = realloc(st->fixtures, (st->n_fixtures + 1) * sizeof *f);
	if (!f)
		return NULL;
	st->fixtures = f;
	f = &f[st->n_fixtures++];
	memset(f, 0, sizeof *f);
	copy(f->name, sizeof f->name, name);
	return f;
}

static int by_end_index(const void *a, const void *b)
{
	const struct unit *x = *(const struct unit *const *)a, *y = *(const struct unit *const *)b;
	return x->end_index < y->end_index ? -1 : x->end_index > y->end_index;
}

static int sum_up(struct status *st)
{
	struct unit *fails[LAST_FAILURES * 2];
	size_t n_fails = 0;
	for (size_t i = 0; i < st->n; i++) {
		struct unit *u = st->units[i];
		time_t when;
		int result = result_of(u, &when);
		if (when < st->day || when >= st->day + DAY)
			continue;
		struct fixture_counts *f = fixture_of(st, u->fixture);
		if (!f)
			return sg_errf(&st->err, SG_EENV, "out of memory");
		st->counts[result]++;
		f->counts[result]++;
		if (result == OPEN)
			continue;
		if (u->started && (!st->first_start || u->started < st->first_start))
			st->first_start = u->started;
		if (when > st->last_result)
			st->last_result = when;
		if (result != RESULT_FAILED && result != RESULT_QUARANTINED)
			continue;
		/* the latest LAST_FAILURES by ledger index: keep twice as many, trim */
		fails[n_fails++] = u;
		if (n_fails == LAST_FAILURES * 2) {
			// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers: sizeof one pointer is meant
			qsort(fails, n_fails, sizeof *fails, by_end_index);
			// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers: sizeof one pointer is meant
			memmove(fails, fails + LAST_FAILURES, LAST_FAILURES * sizeof *fails);
			n_fails = LAST_FAILURES;
		}
	}
	/* cppcheck-suppress uninitvar ; only the n_fails entries filled above are read */
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers: sizeof one pointer is meant
	qsort(fails, n_fails, sizeof *fails, by_end_index);
	size_t skip = n_fails > LAST_FAILURES ? n_fails - LAST_FAILURES : 0;
	st->n_failures = n_fails - skip;
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers: sizeof one pointer is meant
	memcpy(st->failures, fails + skip, st->n_failures * sizeof *fails);
	return SG_OK;
}

static unsigned units_ended(const unsigned counts[OPEN + 1])
{
	unsigned n = 0;
	for (int r = 0; r < RESULT_COUNT; r++)
		n += counts[r];
	return n;
}

/* Units per hour between the first start and the last result; false when
 * there is no such span. */
static bool per_hour(const struct status *st, double *rate)
{
	unsigned units = units_ended(st->counts);
	if (!units || !st->first_start || st->last_result <= st->first_start)
		return false;
	*rate = units * 3600.0 / (double)(st->last_result - st->first_start);
	return true;
}

static bool yield(const unsigned c[OPEN + 1], double *y)
{
	unsigned judged = c[RESULT_PASS] + c[RESULT_FAILED] + c[RESULT_QUARANTINED];
	if (judged)
		*y = (double)c[RESULT_PASS] / judged;
	return judged != 0;
}

/* ---- output */

static void print_counts(const unsigned c[OPEN + 1])
{
	printf("pass %u, not-locked %u, failed %u, quarantined %u, dry-run %u; open %u",
	       c[RESULT_PASS], c[RESULT_NOT_LOCKED], c[RESULT_FAILED], c[RESULT_QUARANTINED],
	       c[RESULT_DRY_RUN], c[OPEN]);
}

static void print_text(const struct status *st, const char *day)
{
	char from[32], to[32];
	double y, rate;
	printf("%s (UTC): %u units ended: ", day, units_ended(st->counts));
	print_counts(st->counts);
	if (yield(st->counts, &y))
		printf("\nyield %.1f%%", 100.0 * y);
	else
		printf("\nyield -");
	if (per_hour(st, &rate)) {
		cli_utc((uint64_t)st->first_start, from, false);
		cli_utc((uint64_t)st->last_result, to, false);
		printf(", %.1f units/h (%s to %s)\n", rate, from, to);
	} else {
		printf(", - units/h\n");
	}
	for (size_t i = 0; i < st->n_fixtures; i++) {
		printf("fixture %s: ", st->fixtures[i].name);
		print_counts(st->fixtures[i].counts);
		putchar('\n');
	}
	if (st->n_failures)
		printf("last failures and quarantines:\n");
	for (size_t i = 0; i < st->n_failures; i++) {
		const struct unit *u = st->failures[i];
		cli_utc((uint64_t)u->end_at, from, false);
		printf("  %s %s %s %s step=%s reason=%s%s%s\n", from, u->id,
		       *u->device ? u->device : "-", station_result_name((enum station_result)u->end),
		       u->step, u->reason, u->detail ? ": " : "", u->detail ? u->detail : "");
	}
}

static void json_counts(const unsigned c[OPEN + 1])
{
	printf("\"pass\":%u,\"not_locked\":%u,\"failed\":%u,\"quarantined\":%u,\"dry_run\":%u,"
	       "\"open\":%u",
	       c[RESULT_PASS], c[RESULT_NOT_LOCKED], c[RESULT_FAILED], c[RESULT_QUARANTINED],
	       c[RESULT_DRY_RUN], c[OPEN]);
}

/* "name":"2026-11-28T09:00:00Z" after sep */
static void json_time(const char *sep, const char *name, time_t t)
{
	char s[CLI_UTC_MAX];
	printf("%s\"%s\":\"%s\"", sep, name, cli_utc((uint64_t)t, s, false));
}

static void print_json(const struct status *st, const char *day)
{
	double y, rate;
	printf("{\"v\":1,\"day\":\"%s\",\"units\":%u,", day, units_ended(st->counts));
	json_counts(st->counts);
	if (yield(st->counts, &y))
		printf(",\"yield\":%.4f", y);
	else
		printf(",\"yield\":null");
	if (per_hour(st, &rate)) {
		printf(",\"units_per_hour\":%.1f", rate);
		json_time(",", "first_start", st->first_start);
		json_time(",", "last_result", st->last_result);
	} else {
		printf(",\"units_per_hour\":null");
	}
	printf(",\"fixtures\":[");
	for (size_t i = 0; i < st->n_fixtures; i++) {
		printf("%s{\"fixture\":", i ? "," : "");
		json_str(stdout, st->fixtures[i].name);
		putchar(',');
		json_counts(st->fixtures[i].counts);
		putchar('}');
	}
	printf("],\"failures\":[");
	for (size_t i = 0; i < st->n_failures; i++) {
		const struct unit *u = st->failures[i];
		printf("%s", i ? "," : "");
		json_time("{", "time", u->end_at);
		printf(",\"unit\":");
		json_str(stdout, u->id);
		if (*u->device) {
			printf(",\"device\":");
			json_str(stdout, u->device);
		}
		printf(",\"result\":\"%s\",\"step\":", station_result_name((enum station_result)u->end));
		json_str(stdout, u->step);
		printf(",\"reason\":");
		json_str(stdout, u->reason);
		if (u->detail) {
			printf(",\"detail\":");
			json_str(stdout, u->detail);
		}
		printf(",\"index\":%llu}", (unsigned long long)u->end_index);
	}
	printf("]}\n");
}

/* ---- the command */

static void keep(void *node)
{
	(void)node; /* the units array owns them */
}

static void status_free(struct status *st)
{
	for (size_t i = 0; i < st->n; i++) {
		free(st->units[i]->detail);
		free(st->units[i]);
	}
	tdestroy(st->tree, keep);
	free(st->units);
	free(st->fixtures);
}

static int read_day(struct status *st, const char *path)
{
	struct sg_ledger *l;
	struct stat sb;
	int rc;
	/* a ledger that is not there: the station's environment, not the input */
	// NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): --ledger is required (parse)
	if (stat(path, &sb) != 0)
		return sg_errf(&st->err, SG_EENV, "ledger '%s': %s", path, strerror(errno));
	if ((rc = sg_ledger_open(path, SG_LEDGER_READONLY, &l, &st->err)))
		return rc;
	rc = station_unit_records(l, 0, UINT64_MAX, one_record, st, &st->err);
	sg_ledger_close(l);
	return rc ? rc : sum_up(st);
}

int station_status(int argc, char **argv)
{
	struct args a = { 0 };
	struct status st = { 0 };
	char day[CLI_UTC_MAX];
	int rc = parse(argc, argv, &a);
	if (rc < 0)
		return SG_OK;
	if (rc || (rc = day_start(a.day, &st.day)))
		return rc;
	cli_utc((uint64_t)st.day, day, true);
	if ((rc = read_day(&st, a.ledger)))
		rc = cli_report(&st.err);
	else if (a.json)
		print_json(&st, day);
	else
		print_text(&st, day);
	status_free(&st);
	return rc;
}
