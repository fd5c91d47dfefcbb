/* signet ledger show and export: reading the records. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ledger.h"
#include "signet/atomic_file.h"
#include "signet/ledger_record.h"

int ledger_parse_time(const char *s, time_t *t, int *is_date)
{
	struct tm tm = { 0 };
	int n = 0;
	size_t len = strlen(s);
	*is_date = len == 10;
	if (*is_date) {
		// NOLINTNEXTLINE(cert-err34-c): widths bound the fields, range-checked below
		if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3)
			return -1;
	// NOLINTNEXTLINE(cert-err34-c): as above
	} else if (len != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon,
				       &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6) {
		return -1;
	}
	if ((size_t)n != len || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	int mday = tm.tm_mday;
	*t = timegm(&tm);
	return tm.tm_mday == mday ? 0 : -1; /* 2026-02-30 normalises: refused */
}

struct filter {
	time_t since, until;
	bool has_since, has_until;
	const char *type, *device, *origin, *status_type;
};

static const struct {
	const char *status, *type;
} statuses[] = {
	{ "pass", "unit.locked" },
	{ "fail", "unit.failed" },
	{ "quarantine", "unit.quarantined" },
};

static int make_filter(const struct ledger_args *a, struct filter *f)
{
	int is_date;
	memset(f, 0, sizeof *f);
	if (a->since) {
		if (ledger_parse_time(a->since, &f->since, &is_date))
			return cli_usage_error("ledger", "--since '%s': not YYYY-MM-DD or "
							 "YYYY-MM-DDTHH:MM:SSZ", a->since);
		f->has_since = true;
	}
	if (a->until) {
		if (ledger_parse_time(a->until, &f->until, &is_date))
			return cli_usage_error("ledger", "--until '%s': not YYYY-MM-DD or "
							 "YYYY-MM-DDTHH:MM:SSZ", a->until);
		if (is_date)
			f->until += 86400; /* through that day */
		f->has_until = true;
	}
	if (a->status) {
		for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
			if (!strcmp(a->status, statuses[i].status))
				f->status_type = statuses[i].type;
		if (!f->status_type)
			return cli_usage_error("ledger", "--status '%s': pass, fail or quarantine",
					       a->status);
	}
	f->type = a->type;
	f->device = a->device;
	f->origin = a->origin;
	return SG_OK;
}

/* --type unit matches every unit.* type; otherwise the type exactly. */
static bool type_matches(const char *want, const char *type)
{
	size_t n = strlen(want);
	return !strcmp(want, type) || (!strncmp(want, type, n) && type[n] == '.');
}

static bool keep(const struct filter *f, const struct sg_record *r)
{
	const char *v;
	if (f->has_since && sg_record_time(r) < f->since)
		return false;
	if (f->has_until && sg_record_time(r) >= f->until)
		return false;
	if (f->type && !type_matches(f->type, sg_record_type(r)))
		return false;
	if (f->status_type && strcmp(f->status_type, sg_record_type(r)))
		return false;
	if (f->origin && strcmp(f->origin, sg_record_origin(r)))
		return false;
	if (f->device && (!(v = sg_record_field(r, "device")) || strcmp(v, f->device)))
		return false;
	return true;
}

static void print_line(const struct sg_record *r)
{
	char when[CLI_UTC_MAX];
	cli_utc((uint64_t)sg_record_time(r), when, false);
	printf("%" PRIu64 " %s %s", sg_record_index(r), when, sg_record_type(r));
	bool required;
	const char *name;
	for (size_t j = 0; (name = sg_record_field_name(sg_record_type(r), j, &required)); j++) {
		const char *v = sg_record_field(r, name);
		if (v)
			printf(" %s=%s", name, v);
	}
	putchar('\n');
}

/* Calls each(leaf, record) for every record in index order. */
typedef int (*record_fn)(void *arg, const uint8_t *leaf, size_t len, const struct sg_record *r);

static int each_record(struct sg_ledger *l, record_fn each, void *arg, struct sg_err *err)
{
	uint64_t size;
	uint8_t root[32];
	int rc = sg_ledger_size(l, &size, root, err);
	for (uint64_t i = 0; !rc && i < size; i++) {
		uint8_t *leaf;
		size_t len;
		struct sg_record *r;
		struct sg_err why;
		if ((rc = sg_ledger_leaf(l, i, &leaf, &len, err)))
			break;
		if ((rc = sg_record_parse(leaf, len, &r, &why)) == SG_OK) {
			rc = each(arg, leaf, len, r);
			sg_record_free(r);
		} else {
			rc = sg_errf(err, SG_FAIL, "record %" PRIu64 ": %s (run signet ledger verify)", i,
				     why.msg);
		}
		free(leaf);
	}
	return rc;
}

struct show_state {
	const struct filter *f;
	bool json;
	uint64_t shown;
};

static int show_one(void *arg, const uint8_t *leaf, size_t len, const struct sg_record *r)
{
	struct show_state *s = arg;
	if (!keep(s->f, r))
		return SG_OK;
	s->shown++;
	if (s->json) {
		fwrite(leaf, 1, len, stdout);
		putchar('\n');
	} else {
		print_line(r);
	}
	return SG_OK;
}

int ledger_show(const struct ledger_args *a)
{
	struct filter f;
	struct sg_ledger *l;
	struct sg_err err;
	int rc = make_filter(a, &f);
	if (rc || (rc = ledger_open(a, false, &l)))
		return rc;
	struct show_state s = { &f, a->json, 0 };
	rc = each_record(l, show_one, &s, &err);
	sg_ledger_close(l);
	if (fflush(stdout) && !rc)
		rc = sg_errf(&err, SG_EENV, "stdout: write failed");
	return rc ? cli_report(&err) : SG_OK;
}

/* ---- export */

struct sink {
	struct sg_atomic_file file; /* -o FILE */
	bool to_file;
	char buf[1 << 16];
	size_t used;
	struct sg_err *err;
	bool csv;
};

static int flush_sink(struct sink *s)
{
	int rc = SG_OK;
	if (s->to_file)
		rc = sg_atomic_write(&s->file, s->buf, s->used, s->err);
	else if (fwrite(s->buf, 1, s->used, stdout) != s->used)
		rc = sg_errf(s->err, SG_EENV, "stdout: write failed");
	s->used = 0;
	return rc;
}

static int put_bytes(struct sink *s, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		if (s->used == sizeof s->buf) {
			int rc = flush_sink(s);
			if (rc)
				return rc;
		}
		size_t k = sizeof s->buf - s->used < n ? sizeof s->buf - s->used : n;
		memcpy(s->buf + s->used, b, k);
		s->used += k;
		b += k;
		n -= k;
	}
	return SG_OK;
}

/* A CSV field in double quotes, quotes doubled (RFC 4180). */
static int put_csv_field(struct sink *s, const char *v, size_t n, const char *sep)
{
	int rc = put_bytes(s, "\"", 1);
	for (size_t i = 0; !rc && i < n; i++)
		rc = v[i] == '"' ? put_bytes(s, "\"\"", 2) : put_bytes(s, &v[i], 1);
	if (!rc)
		rc = put_bytes(s, "\"", 1);
	return rc ? rc : put_bytes(s, sep, 1);
}

static int export_one(void *arg, const uint8_t *leaf, size_t len, const struct sg_record *r)
{
	struct sink *s = arg;
	if (!s->csv) {
		int rc = put_bytes(s, leaf, len);
		return rc ? rc : put_bytes(s, "\n", 1);
	}
	const char *cols[] = { "index", "time", "origin", "type" };
	for (size_t i = 0; i < 4; i++) {
		const char *v = sg_record_field(r, cols[i]);
		int rc = put_csv_field(s, v, strlen(v), ",");
		if (rc)
			return rc;
	}
	int rc = put_csv_field(s, (const char *)leaf, len, "\r");
	return rc ? rc : put_bytes(s, "\n", 1);
}

int ledger_export(const struct ledger_args *a)
{
	struct sg_ledger *l;
	struct sg_err err;
	if (a->tiles && !a->format)
		return ledger_export_tiles(a);
	if (!a->format || (strcmp(a->format, "jsonl") && strcmp(a->format, "csv")))
		return cli_usage_error("ledger", "export needs --format jsonl or --format csv");
	int rc = ledger_open(a, false, &l);
	if (rc)
		return rc;
	struct sink *s = calloc(1, sizeof *s);
	if (!s) {
		sg_ledger_close(l);
		sg_errf(&err, SG_EENV, "out of memory");
		return cli_report(&err);
	}
	s->err = &err;
	s->csv = !strcmp(a->format, "csv");
	s->file.fd = -1;
	if (a->out) {
		rc = sg_atomic_open(&s->file, a->out, &err);
		s->to_file = rc == SG_OK;
	}
	if (!rc && s->csv)
		rc = put_bytes(s, "index,time,origin,type,record\r\n", 31);
	if (!rc)
		rc = each_record(l, export_one, s, &err);
	if (!rc)
		rc = flush_sink(s);
	if (!rc && s->to_file)
		rc = sg_atomic_commit(&s->file, &err);
	else if (s->to_file)
		sg_atomic_abort(&s->file);
	if (!rc && !s->to_file && fflush(stdout))
		rc = sg_errf(&err, SG_EENV, "stdout: write failed");
	free(s);
	sg_ledger_close(l);
	return rc ? cli_report(&err) : SG_OK;
}
