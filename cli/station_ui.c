/* What signet station run shows: a first version, a line per step and
 * result, or JSON events (docs/provisioning.md §9). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "station.h"

static const char *const step_names[] = { "connect", "identify", "check", "key", "issue",
					  "write", "verify", "prelock", "lock", "lock-check" };
static const char *const result_names[] = { "pass", "not-locked", "failed", "quarantined",
					    "dry-run" };
const char *station_step_name(enum station_step s) { return s < STEP_COUNT ? step_names[s] : "?"; }
const char *station_result_name(enum station_result r) { return r < RESULT_COUNT ? result_names[r] : "?"; }

struct station_ui {
	enum station_ui_mode mode;
	FILE *out;
	pthread_mutex_t mu;
	unsigned counts[RESULT_COUNT];
	const char *const *names;
	time_t t0;
};

struct station_ui *station_ui_new(enum station_ui_mode mode, FILE *out,
				  const struct station_ui_start *s)
{
	struct station_ui *ui = calloc(1, sizeof *ui);
	if (!ui)
		return NULL;
	ui->mode = mode;
	ui->out = out;
	ui->names = s->fixtures;
	ui->t0 = time(NULL);
	pthread_mutex_init(&ui->mu, NULL);
	if (mode == UI_JSON)
		fprintf(out, "{\"v\":1,\"event\":\"start\",\"profile\":\"%s\",\"lock\":\"%s\"}\n", s->profile, s->lock);
	fflush(out);
	return ui;
}

void station_ui_event(struct station_ui *ui, const struct station_event *e)
{
	pthread_mutex_lock(&ui->mu);
	if (e->kind == EVENT_RESULT)
		ui->counts[e->result]++;
	if (ui->mode == UI_JSON) {
		fprintf(ui->out, "{\"v\":1,\"event\":\"%s\",\"fixture\":\"%s\",\"unit\":\"%s\"",
			e->kind == EVENT_STEP ? "step" : "result", ui->names[e->fixture], e->unit);
		if (e->device)
			fprintf(ui->out, ",\"device\":\"%s\"", e->device);
		fprintf(ui->out, ",\"step\":\"%s\"", station_step_name(e->step));
		if (e->kind == EVENT_RESULT) {
			fprintf(ui->out, ",\"result\":\"%s\"", station_result_name(e->result));
			if (e->reason)
				fprintf(ui->out, ",\"reason\":\"%s\"", e->reason);
			if (e->detail) {
				fprintf(ui->out, ",\"detail\":");
				json_str(ui->out, e->detail);
			}
			if (e->serial)
				fprintf(ui->out, ",\"serial\":\"%s\"", e->serial);
			if (e->has_index)
				fprintf(ui->out, ",\"index\":%llu", (unsigned long long)e->index);
		}
		fprintf(ui->out, "}\n");
	} else {
		fprintf(ui->out, "%s %s %s %s %s %s %s\n", ui->names[e->fixture], e->unit,
			e->device ? e->device : "-", station_step_name(e->step),
			e->kind == EVENT_RESULT ? station_result_name(e->result) : "",
			e->reason ? e->reason : "", e->detail ? e->detail : "");
	}
	fflush(ui->out);
	pthread_mutex_unlock(&ui->mu);
}

void station_ui_end(struct station_ui *ui, uint64_t ledger_size)
{
	if (ui->mode == UI_JSON)
		fprintf(ui->out, "{\"v\":1,\"event\":\"end\",\"pass\":%u,\"failed\":%u,\"quarantined\":%u,\"ledger_size\":%llu}\n",
			ui->counts[0], ui->counts[2], ui->counts[3], (unsigned long long)ledger_size);
	fflush(ui->out);
}

void station_ui_counts(struct station_ui *ui, unsigned counts[RESULT_COUNT])
{
	memcpy(counts, ui->counts, sizeof ui->counts);
}

void station_ui_free(struct station_ui *ui)
{
	if (ui)
		pthread_mutex_destroy(&ui->mu);
	free(ui);
}
