/* What signet station run shows (docs/provisioning.md §9): a panel per
 * fixture redrawn in place on a terminal, a line per step and result
 * otherwise, or one JSON event per line. The fixtures' threads call
 * station_ui_event at once: one mutex serializes them, and every byte is
 * written by the calling thread under it. Strings from outside (the
 * device's UID, a detail, names) reach the output as printable ASCII only:
 * any other byte becomes '?', so nothing a device says can move the cursor,
 * clear the screen or ring a bell. */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "signet/num.h"
#include "station.h"

static const char *const step_names[] = { "connect", "identify", "check",   "key",  "issue",
					  "write",   "verify",   "prelock", "lock", "lock-check" };
static const char *const result_names[] = { "pass", "not-locked", "failed", "quarantined",
					    "dry-run" };
/* The words of a plain line and of a panel, by result. */
static const char *const result_lines[] = { "PASS", "NOT LOCKED (run with --lock)", "FAILED",
					    "QUARANTINED", "DRY RUN" };
static const char *const result_words[] = { "PASS", "NOT LOCKED", "FAIL", "QUAR", "DRY RUN" };
/* SGR colours of the panel's word: green, yellow, red, magenta, cyan. */
static const char *const result_colours[] = { "30;42", "30;43", "97;41", "97;45", "30;46" };
_Static_assert(sizeof step_names / sizeof *step_names == STEP_COUNT, "a name per step");
_Static_assert(sizeof result_names / sizeof *result_names == RESULT_COUNT, "a name per result");

/* At most this many redraws a second, results excepted. */
#define REDRAW_NS (1000000000L / 20)
#define PANEL_LINES 3 /* and two of totals */

const char *station_step_name(enum station_step s)
{
	return (unsigned)s < STEP_COUNT ? step_names[s] : "?";
}

const char *station_result_name(enum station_result r)
{
	return (unsigned)r < RESULT_COUNT ? result_names[r] : "?";
}

/* What a fixture's panel shows: its current unit and the last result. */
struct panel {
	char unit[40], device[136];
	enum station_step step;
	bool running;
	bool has_result;
	enum station_result result;
	enum station_step end_step;
	char line[400]; /* the last result's plain line, without the fixture and unit */
	size_t rest;    /* where its words after the result's word begin */
};

struct station_ui {
	enum station_ui_mode mode;
	FILE *out;
	pthread_mutex_t mu;
	unsigned counts[RESULT_COUNT];
	char **names;
	size_t n;
	struct timespec t0;
	/* UI_TTY */
	struct panel *panels;
	bool colour;
	unsigned drawn;            /* lines of the panel now on the screen */
	struct timespec last_draw;
	char *log;                 /* result lines to print above the panel */
	size_t log_len;
};

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static unsigned total(const unsigned counts[RESULT_COUNT])
{
	unsigned n = 0;
	for (int r = 0; r < RESULT_COUNT; r++)
		n += counts[r];
	return n;
}

static const char *fixture_name(const struct station_ui *ui, size_t fixture)
{
	return fixture < ui->n ? ui->names[fixture] : "?";
}

/* ---- JSON: one object per line */

/* "v", "event" and "time" (UTC: $SOURCE_DATE_EPOCH or the clock, as the
 * ledger's records). */
static void json_open(FILE *out, const char *event)
{
	uint64_t now;
	struct sg_err err;
	char when[CLI_UTC_MAX];
	cli_utc(sg_now(&now, &err) ? (uint64_t)time(NULL) : now, when, false);
	fprintf(out, "{\"v\":1,\"event\":\"%s\",\"time\":\"%s\"", event, when);
}

/* ,"name":"value" with value cleaned; nothing when value is NULL. */
static void json_member(FILE *out, const char *name, const char *value)
{
	char buf[1100];
	if (!value)
		return;
	fprintf(out, ",\"%s\":", name);
	json_str(out, cli_printable(buf, sizeof buf, value));
}

static void json_close(FILE *out)
{
	fputs("}\n", out);
	fflush(out);
}

static void json_start(struct station_ui *ui, const struct station_ui_start *s)
{
	json_open(ui->out, "start");
	json_member(ui->out, "profile", s->profile);
	fputs(",\"fixtures\":[", ui->out);
	for (size_t i = 0; i < ui->n; i++) {
		char buf[256];
		if (i)
			fputc(',', ui->out);
		json_str(ui->out, cli_printable(buf, sizeof buf, ui->names[i]));
	}
	fputc(']', ui->out);
	json_member(ui->out, "lock", s->lock);
	fprintf(ui->out, ",\"ledger_size\":%llu", (unsigned long long)s->ledger_size);
	json_close(ui->out);
}

static void json_event(struct station_ui *ui, const struct station_event *e)
{
	bool result = e->kind == EVENT_RESULT;
	json_open(ui->out, result ? "result" : "step");
	json_member(ui->out, "fixture", fixture_name(ui, e->fixture));
	json_member(ui->out, "unit", e->unit);
	json_member(ui->out, "device", e->device);
	if (result)
		json_member(ui->out, "result", station_result_name(e->result));
	json_member(ui->out, "step", station_step_name(e->step));
	if (result) {
		json_member(ui->out, "reason", e->reason);
		json_member(ui->out, "detail", e->detail);
		json_member(ui->out, "serial", e->serial);
		if (e->has_index)
			fprintf(ui->out, ",\"index\":%llu", (unsigned long long)e->index);
		if (e->timed)
			fprintf(ui->out, ",\"seconds\":%.3f,\"link_seconds\":%.3f", e->seconds, e->link_seconds);
	}
	json_close(ui->out);
}

static void json_end(struct station_ui *ui, uint64_t ledger_size, double link_seconds)
{
	const unsigned *c = ui->counts;
	json_open(ui->out, "end");
	fprintf(ui->out,
		",\"units\":%u,\"pass\":%u,\"not_locked\":%u,\"failed\":%u,\"quarantined\":%u"
		",\"dry_run\":%u,\"seconds\":%.3f,\"link_seconds\":%.3f,\"ledger_size\":%llu",
		total(c), c[RESULT_PASS], c[RESULT_NOT_LOCKED], c[RESULT_FAILED],
		c[RESULT_QUARANTINED], c[RESULT_DRY_RUN], seconds_since(&ui->t0), link_seconds,
		(unsigned long long)ledger_size);
	json_close(ui->out);
}

/* ---- plain lines (and the panel's texts) */

/* A result's words after the fixture, unit and device:
 * "PASS serial 0a1b index 12", "FAILED step=verify reason=readback: detail".
 * Returns where the words after the first (PASS, FAILED, ...) begin. */
static size_t result_text(char *buf, size_t size, const struct station_event *e)
{
	char reason[64], detail[256], serial[64];
	const char *word = (unsigned)e->result < RESULT_COUNT ? result_lines[e->result] : "?";
	int n;
	if (e->result == RESULT_FAILED || e->result == RESULT_QUARANTINED)
		n = snprintf(buf, size, "%s step=%s reason=%s", word, station_step_name(e->step),
			     e->reason ? cli_printable(reason, sizeof reason, e->reason) : "-");
	else
		n = snprintf(buf, size, "%s", word);
	if (n >= 0 && (size_t)n < size && e->serial)
		n += snprintf(buf + n, size - n, " serial %s", cli_printable(serial, sizeof serial, e->serial));
	if (n >= 0 && (size_t)n < size && e->has_index)
		n += snprintf(buf + n, size - n, " index %llu", (unsigned long long)e->index);
	if (n >= 0 && (size_t)n < size && e->detail && (e->result == RESULT_FAILED ||
					      e->result == RESULT_QUARANTINED))
		snprintf(buf + n, size - n, ": %s", cli_printable(detail, sizeof detail, e->detail));
	size_t rest = strlen(word); /* buf starts with it: it is far shorter than size */
	return buf[rest] == ' ' ? rest + 1 : rest;
}

/* "f1 u-0123456789abcdef 00c0ffee" (the device "-" until known) */
static void who(char *buf, size_t size, const struct station_ui *ui, const struct station_event *e)
{
	char name[64], unit[40], device[136];
	snprintf(buf, size, "%s %s %s", cli_printable(name, sizeof name, fixture_name(ui, e->fixture)),
		 cli_printable(unit, sizeof unit, e->unit), e->device ? cli_printable(device, sizeof device, e->device) : "-");
}

static void plain_event(struct station_ui *ui, const struct station_event *e)
{
	char head[256], text[400];
	who(head, sizeof head, ui, e);
	if (e->kind == EVENT_RESULT)
		result_text(text, sizeof text, e);
	else
		snprintf(text, sizeof text, "step %s", station_step_name(e->step));
	fprintf(ui->out, "%s %s\n", head, text);
	fflush(ui->out);
}

/* "units 12: pass 10, not-locked 0, failed 1, quarantined 1, dry-run 0"
 * and "yield 90.9%, 412 units/h, 105 s" */
static void totals_text(char *counts, char *rates, size_t size, const struct station_ui *ui)
{
	const unsigned *c = ui->counts;
	unsigned units = total(c), judged = c[RESULT_PASS] + c[RESULT_FAILED] + c[RESULT_QUARANTINED];
	double secs = seconds_since(&ui->t0);
	char yield[16] = "-", rate[24] = "-";
	if (judged)
		snprintf(yield, sizeof yield, "%.1f%%", 100.0 * c[RESULT_PASS] / judged);
	if (units && secs > 0)
		snprintf(rate, sizeof rate, "%.0f", units * 3600.0 / secs);
	snprintf(counts, size, "units %u: pass %u, not-locked %u, failed %u, quarantined %u, dry-run %u",
		 units, c[RESULT_PASS], c[RESULT_NOT_LOCKED], c[RESULT_FAILED],
		 c[RESULT_QUARANTINED], c[RESULT_DRY_RUN]);
	snprintf(rates, size, "yield %s, %s units/h, %.0f s", yield, rate, secs);
}

/* ---- the terminal: panels redrawn in place */

static unsigned term_width(FILE *out)
{
	struct winsize ws;
	int fd = fileno(out);
	if (fd >= 0 && !ioctl(fd, TIOCGWINSZ, &ws) && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/* One line of the panel: erased first, cut to the width (a wrapped line
 * would spoil the next redraw's count), its word_len bytes from word_at in
 * colour. */
static void put_line(struct station_ui *ui, unsigned width, const char *text, size_t word_at,
		     size_t word_len, const char *colour)
{
	size_t len = strlen(text), max = width - 1;
	if (len > max)
		len = max;
	fputs("\r\x1b[2K", ui->out);
	if (word_len && ui->colour && word_at + word_len <= len)
		fprintf(ui->out, "%.*s\x1b[1;%sm%.*s\x1b[0m%.*s", (int)word_at, text, colour,
			(int)word_len, text + word_at, (int)(len - word_at - word_len),
			text + word_at + word_len);
	else
		fprintf(ui->out, "%.*s", (int)len, text);
	fputc('\n', ui->out);
}

/* "[#####>....]": the steps done, the one under way ('>'), or where the
 * unit ended ('#', '!' for a failure), the rest. */
static void progress(char bar[STEP_COUNT + 3], const struct panel *p)
{
	int at = p->running ? (int)p->step : p->has_result ? (int)p->end_step : -1;
	bool bad = p->has_result && (p->result == RESULT_FAILED || p->result == RESULT_QUARANTINED);
	char here = p->running ? '>' : bad ? '!' : '#';
	bar[0] = '[';
	for (int i = 0; i < STEP_COUNT; i++)
		bar[1 + i] = i < at ? '#' : i == at ? here : '.';
	bar[STEP_COUNT + 1] = ']';
	bar[STEP_COUNT + 2] = '\0';
}

static void draw_panel(struct station_ui *ui, unsigned width, size_t i)
{
	const struct panel *p = &ui->panels[i];
	char name[64], text[600], bar[STEP_COUNT + 3];
	snprintf(text, sizeof text, "%-8s %s  device %s", cli_printable(name, sizeof name, ui->names[i]),
		 p->unit[0] ? p->unit : "(waiting)", p->device[0] ? p->device : "-");
	put_line(ui, width, text, 0, 0, NULL);
	progress(bar, p);
	snprintf(text, sizeof text, "         %s %2d/%d %s", bar,
		 p->running ? (int)p->step + 1 : p->has_result ? (int)p->end_step + 1 : 0,
		 STEP_COUNT, p->running ? station_step_name(p->step) :
		 p->has_result ? station_result_name(p->result) : "");
	put_line(ui, width, text, 0, 0, NULL);
	if (!p->has_result) {
		put_line(ui, width, "         -", 0, 0, NULL);
		return;
	}
	/* the word: white on colour on a terminal, else in brackets */
	const char *word = result_words[p->result], *edge = ui->colour ? "  " : "[]";
	snprintf(text, sizeof text, "         %c%s%c  %s", edge[0], word, edge[1], p->line + p->rest);
	put_line(ui, width, text, 9, strlen(word) + 2, result_colours[p->result]);
}

/* Up over the panel drawn last, the result lines that came since (they
 * stay on the screen above), then the panels and the totals anew. */
static void redraw(struct station_ui *ui)
{
	unsigned width = term_width(ui->out);
	char text[200], rates[200];
	if (ui->drawn)
		fprintf(ui->out, "\r\x1b[%uA", ui->drawn);
	if (ui->log_len) {
		for (char *line = ui->log, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			put_line(ui, UINT_MAX, line, 0, 0, NULL); /* scrolls: may wrap */
		}
		ui->log_len = 0;
		ui->log[0] = '\0';
	}
	for (size_t i = 0; i < ui->n; i++)
		draw_panel(ui, width, i);
	totals_text(text, rates, sizeof text, ui);
	put_line(ui, width, text, 0, 0, NULL);
	put_line(ui, width, rates, 0, 0, NULL);
	fputs("\x1b[J", ui->out); /* below: anything a shorter draw left */
	fflush(ui->out);
	ui->drawn = (unsigned)(ui->n * PANEL_LINES + 2);
	clock_gettime(CLOCK_MONOTONIC, &ui->last_draw);
}

/* Keeps a result's plain line for the next redraw (out of memory: the
 * panel still shows it). */
static void log_line(struct station_ui *ui, const char *head, const char *text)
{
	size_t add = strlen(head) + strlen(text) + 2;
	char *log = realloc(ui->log, ui->log_len + add + 1);
	if (!log)
		return;
	ui->log = log;
	ui->log_len += (size_t)sprintf(log + ui->log_len, "%s %s\n", head, text);
}

static void tty_event(struct station_ui *ui, const struct station_event *e)
{
	if (e->fixture >= ui->n)
		return;
	struct panel *p = &ui->panels[e->fixture];
	cli_printable(p->unit, sizeof p->unit, e->unit);
	cli_printable(p->device, sizeof p->device, e->device);
	if (e->kind == EVENT_STEP) {
		p->step = e->step;
		p->running = true;
		// NOLINTNEXTLINE(bugprone-integer-division): REDRAW_NS divides exactly (50 ms)
		if (seconds_since(&ui->last_draw) * 1e9 < REDRAW_NS)
			return;
	} else {
		char head[256];
		p->running = false;
		p->has_result = true;
		p->result = (unsigned)e->result < RESULT_COUNT ? e->result : RESULT_FAILED;
		p->end_step = (unsigned)e->step < STEP_COUNT ? e->step : STEP_CONNECT;
		p->rest = result_text(p->line, sizeof p->line, e);
		who(head, sizeof head, ui, e);
		log_line(ui, head, p->line);
	}
	redraw(ui);
}

/* ---- the interface */

struct station_ui *station_ui_new(enum station_ui_mode mode, FILE *out,
				  const struct station_ui_start *s)
{
	struct station_ui *ui = calloc(1, sizeof *ui);
	if (ui)
		pthread_mutex_init(&ui->mu, NULL);
	if (!ui || !(ui->names = calloc(s->n_fixtures + 1, sizeof *ui->names)) ||
	    !(ui->panels = calloc(s->n_fixtures + 1, sizeof *ui->panels))) {
		station_ui_free(ui);
		return NULL;
	}
	for (; ui->n < s->n_fixtures; ui->n++)
		if (!(ui->names[ui->n] = strdup(s->fixtures[ui->n]))) {
			station_ui_free(ui);
			return NULL;
		}
	ui->mode = mode;
	ui->out = out;
	/* colours only where a person reads them (and NO_COLOR says no) */
	int fd = fileno(out);
	ui->colour = mode == UI_TTY && fd >= 0 && isatty(fd) && !getenv("NO_COLOR");
	clock_gettime(CLOCK_MONOTONIC, &ui->t0);
	if (mode == UI_JSON)
		json_start(ui, s);
	else if (mode == UI_TTY)
		redraw(ui);
	return ui;
}

void station_ui_event(struct station_ui *ui, const struct station_event *e)
{
	pthread_mutex_lock(&ui->mu);
	if (e->kind == EVENT_RESULT && (unsigned)e->result < RESULT_COUNT)
		ui->counts[e->result]++;
	if (ui->mode == UI_JSON)
		json_event(ui, e);
	else if (ui->mode == UI_TTY)
		tty_event(ui, e);
	else
		plain_event(ui, e);
	pthread_mutex_unlock(&ui->mu);
}

void station_ui_end(struct station_ui *ui, uint64_t ledger_size, double link_seconds)
{
	char text[200], rates[200];
	pthread_mutex_lock(&ui->mu);
	if (ui->mode == UI_JSON) {
		json_end(ui, ledger_size, link_seconds);
	} else if (ui->mode == UI_TTY) {
		redraw(ui);
	} else {
		totals_text(text, rates, sizeof text, ui);
		fprintf(ui->out, "%s; %s\n", text, rates);
		fflush(ui->out);
	}
	pthread_mutex_unlock(&ui->mu);
}

void station_ui_counts(struct station_ui *ui, unsigned counts[RESULT_COUNT])
{
	pthread_mutex_lock(&ui->mu);
	memcpy(counts, ui->counts, sizeof ui->counts);
	pthread_mutex_unlock(&ui->mu);
}

void station_ui_free(struct station_ui *ui)
{
	if (!ui)
		return;
	pthread_mutex_destroy(&ui->mu);
	for (size_t i = 0; ui->names && i < ui->n; i++)
		free(ui->names[i]);
	free(ui->names);
	free(ui->panels);
	free(ui->log);
	free(ui);
}
