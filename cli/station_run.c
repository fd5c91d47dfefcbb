/* signet station run (docs/provisioning.md §5, §7, §9): checks everything
 * it will need before the first unit, settles what a crash left owed to
 * the ledger, then runs each fixture on a thread of its own, with its own
 * token session and its own database and ledger handles, until the count
 * is done or SIGINT/SIGTERM. One unit's steps are cli/station_unit.c's. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "cli.h"
#include "pki_ledger.h"
#include "signet/device.h"
#include "signet/hsm.h"
#include "signet/ledger.h"
#include "signet/pki.h"
#include "station_unit.h"

#ifndef SIGNET_TARGETS_DIR
#define SIGNET_TARGETS_DIR "/usr/share/signet/targets"
#endif

static const char usage_text[] =
	"usage: signet station run --profile P --fixture F [--fixture F2 ...] --ca-key URI\n"
	"                          --ca-cert C [--chain F] --db ISSUANCE.db --ledger L\n"
	"                          [--ledger-key URI] [--count N | --loop] [--dry-run]\n"
	"                          [--lock] [--rework] [--json]\n"
	"\n"
	"Provisions devices on fixtures: identifies each unit, checks it against the\n"
	"device, the issuance database and the ledger, has it make its key pair, issues\n"
	"its certificate with the CA key in the token, writes and reads everything back,\n"
	"and with --lock locks it, recording every step in the ledger.\n"
	"\n"
	"--profile P        a target profile: a JSON file, or the name of a shipped one\n"
	"                   (sim, sim-inject, nrf51, nrf51-uart); docs/provisioning.md\n"
	"                   section 8\n"
	"--fixture F        [NAME=]unix:PATH, tcp:HOST:PORT, pty:PATH,\n"
	"                   serial:PATH[?baud=N&parity=P&flow=F], or a debug probe:\n"
	"                   gdb:HOST:PORT or cmsis-dap[:SERIAL] (docs/provisioning.md\n"
	"                   sections 7 and 12); repeatable, each runs in parallel\n"
	"                   (unnamed ones are f1, f2, ...)\n"
	"--ca-key URI       the issuing CA's key in the token (PIN: the URI's pin-source,\n"
	"                   $SIGNET_PIN or a prompt)\n"
	"--ca-cert C        its certificate; --chain F: certificates above it, for the\n"
	"                   device's chain slot (written after the CA's own)\n"
	"--db ISSUANCE.db   the issuance database (signet pki's)\n"
	"--ledger L         the audit ledger (signet ledger init); --ledger-key URI cuts\n"
	"                   a signed checkpoint when the run ends\n"
	"--count N          N units in all, across the fixtures; --loop: until SIGINT or\n"
	"                   SIGTERM; neither: one unit per fixture\n"
	"--lock             lock units whose profile has a lock step (never by default)\n"
	"--dry-run          read and check everything, write and lock nothing\n"
	"--rework           revoke a unit's live certificate and provision it afresh\n"
	"--json             one JSON event per line on stdout (docs/provisioning.md §9)\n"
	"\n"
	"Exit: 0 every unit passed, stopped before its lock, or dry-ran; 1 a unit failed\n"
	"or was quarantined; 2 bad options or profile; 3 token, database, ledger or\n"
	"environment failure (the run stops).\n";

enum { O_PROFILE = 256, O_FIXTURE, O_CA_KEY, O_CA_CERT, O_CHAIN, O_DB, O_LEDGER, O_LEDGER_KEY,
       O_COUNT, O_LOOP, O_DRY_RUN, O_LOCK, O_REWORK, O_JSON };

static const struct option options[] = {
	{ "profile", required_argument, NULL, O_PROFILE },
	{ "fixture", required_argument, NULL, O_FIXTURE },
	{ "ca-key", required_argument, NULL, O_CA_KEY },
	{ "ca-cert", required_argument, NULL, O_CA_CERT },
	{ "chain", required_argument, NULL, O_CHAIN },
	{ "db", required_argument, NULL, O_DB },
	{ "ledger", required_argument, NULL, O_LEDGER },
	{ "ledger-key", required_argument, NULL, O_LEDGER_KEY },
	{ "count", required_argument, NULL, O_COUNT },
	{ "loop", no_argument, NULL, O_LOOP },
	{ "dry-run", no_argument, NULL, O_DRY_RUN },
	{ "lock", no_argument, NULL, O_LOCK },
	{ "rework", no_argument, NULL, O_REWORK },
	{ "json", no_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define MAX_FIXTURES 64

struct run_args {
	const char *profile, *ca_key, *ca_cert, *chain, *db, *ledger, *ledger_key;
	const char *fixtures[MAX_FIXTURES];
	char names[MAX_FIXTURES][65];
	const char *specs[MAX_FIXTURES];
	size_t n_fixtures;
	uint64_t count;
	bool has_count, loop, dry_run, lock, rework, json;
};

#define usage(...) cli_usage_error("station run", __VA_ARGS__)

/* [NAME=]TRANSPORT:ADDRESS: NAME is a-z A-Z 0-9 . _ - */
static int split_fixture(struct run_args *a, size_t i)
{
	const char *s = a->fixtures[i], *eq = strchr(s, '='), *colon = strchr(s, ':');
	if (eq && (!colon || eq < colon)) {
		size_t n = (size_t)(eq - s);
		if (n == 0 || n >= sizeof a->names[i] || strspn(s, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") < n)
			return usage("--fixture '%s': NAME= is 1 to 64 of a-z A-Z 0-9 . _ -", s);
		memcpy(a->names[i], s, n);
		a->names[i][n] = '\0';
		a->specs[i] = eq + 1;
	} else {
		snprintf(a->names[i], sizeof a->names[i], "f%zu", i + 1);
		a->specs[i] = s;
	}
	for (size_t j = 0; j < i; j++)
		if (!strcmp(a->names[j], a->names[i]))
			return usage("--fixture: the name '%s' is given twice", a->names[i]);
	struct sg_err err = { 0 };
	if (sg_transport_check(a->specs[i], &err))
		return usage("--fixture: %s", err.msg);
	return SG_OK;
}

/* Probe fixtures need the profile's memory map: refused before any unit. */
static int check_probe_fixtures(const struct run_args *a, const struct sg_target *t)
{
	for (size_t i = 0; i < a->n_fixtures; i++)
		if (sg_transport_is_probe(a->specs[i]) && !t->probe.present)
			return usage("--fixture '%s': profile %s has no probe member, so it cannot be provisioned "
				     "through a debug probe", a->fixtures[i], t->name);
	return SG_OK;
}

static int parse(int argc, char **argv, struct run_args *a)
{
	int c, rc = SG_OK;
	optind = 1;
	while (rc == SG_OK && (c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case O_PROFILE: a->profile = optarg; break;
		case O_FIXTURE:
			if (a->n_fixtures == MAX_FIXTURES)
				return usage("--fixture: at most %d", MAX_FIXTURES);
			a->fixtures[a->n_fixtures] = optarg;
			rc = split_fixture(a, a->n_fixtures++);
			break;
		case O_CA_KEY: a->ca_key = optarg; break;
		case O_CA_CERT: a->ca_cert = optarg; break;
		case O_CHAIN: a->chain = optarg; break;
		case O_DB: a->db = optarg; break;
		case O_LEDGER: a->ledger = optarg; break;
		case O_LEDGER_KEY: a->ledger_key = optarg; break;
		case O_COUNT:
			a->has_count = true;
			rc = cli_parse_u64("station run", "--count", optarg, 1000000000, &a->count);
			if (!rc && a->count == 0)
				rc = usage("--count: at least 1");
			break;
		case O_LOOP: a->loop = true; break;
		case O_DRY_RUN: a->dry_run = true; break;
		case O_LOCK: a->lock = true; break;
		case O_REWORK: a->rework = true; break;
		case O_JSON: a->json = true; break;
		case 'h': fputs(usage_text, stdout); return -1;
		default: return usage("unknown option");
		}
	}
	if (rc)
		return rc;
	if (optind < argc)
		return usage("unexpected argument '%s'", argv[optind]);
	if (!a->profile || !a->n_fixtures || !a->ca_key || !a->ca_cert || !a->db || !a->ledger)
		return usage("--profile, --fixture, --ca-key, --ca-cert, --db and --ledger "
			     "are required");
	if (a->has_count && a->loop)
		return usage("--count and --loop exclude each other");
	if (a->dry_run && (a->lock || a->rework))
		return usage("--dry-run writes nothing: not with --lock or --rework");
	return SG_OK;
}

/* The shipped profiles: beside the running binary as installed
 * (<bindir>/SIGNET_TARGETS_FROM_BIN), so that a tree installed under any
 * prefix or from a package finds its own; else the configured path. */
static const char *shipped_targets(char *dir, size_t size)
{
#ifdef SIGNET_TARGETS_FROM_BIN
	if (cli_beside_binary(dir, size, SIGNET_TARGETS_FROM_BIN) && !access(dir, F_OK))
		return dir;
#endif
	(void)dir;
	(void)size;
	return SIGNET_TARGETS_DIR;
}

/* A profile by path, or a shipped one by name. */
static int load_profile(const char *p, struct sg_target *t)
{
	struct sg_err err = { 0 };
	char path[4096], shipped[2048];
	if (strchr(p, '/') || strstr(p, ".json")) {
		snprintf(path, sizeof path, "%s", p);
	} else {
		const char *dir = getenv("SIGNET_TARGETS");
		snprintf(path, sizeof path, "%s/%s.json",
			 dir && *dir ? dir : shipped_targets(shipped, sizeof shipped), p);
#ifdef SIGNET_SOURCE_TARGETS_DIR
		/* run from a build tree: the source's profiles */
		if (access(path, F_OK) && !(dir && *dir))
			snprintf(path, sizeof path, "%s/%s.json", SIGNET_SOURCE_TARGETS_DIR, p);
#endif
	}
	if (sg_target_load(path, t, &err)) {
		if (err.status == SG_EENV)
			err.status = SG_EINPUT; /* a profile that cannot be read is bad input */
		return cli_report(&err);
	}
	return SG_OK;
}

/* The chain slot: the CA's certificate, then --chain's, as DER. */
static int load_chain(struct station *st, const char *chain)
{
	struct sg_err err = { 0 };
	STACK_OF(X509) *sk = sk_X509_new_null();
	int rc = sk && X509_up_ref(st->ca_cert) && sk_X509_push(sk, st->ca_cert) > 0
			 ? SG_OK : sg_errf(&err, SG_EENV, "out of memory");
	if (!rc && chain)
		rc = sg_pki_load_certs(chain, sk, &err);
	for (int i = 0; !rc && i < sk_X509_num(sk); i++) {
		unsigned char *der = NULL;
		int n = i2d_X509(sk_X509_value(sk, i), &der);
		uint8_t *grown = n > 0 ? realloc(st->chain, st->chain_len + (size_t)n) : NULL;
		if (grown) {
			memcpy(grown + st->chain_len, der, (size_t)n);
			st->chain = grown;
			st->chain_len += (size_t)n;
		} else {
			rc = sg_errf(&err, SG_EENV, "out of memory");
		}
		OPENSSL_free(der);
	}
	sk_X509_pop_free(sk, X509_free);
	return rc ? cli_report(&err) : SG_OK;
}

static volatile sig_atomic_t stop_requested;
static const struct sg_err oom = { SG_EENV, "out of memory", NULL };

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Whether a fixture may begin another unit: takes one from the count. */
static bool take_unit(struct fixture *f)
{
	struct station *st = f->st;
	bool ok;
	pthread_mutex_lock(&st->mu);
	if (st->fatal || __atomic_load_n(st->stop, __ATOMIC_SEQ_CST))
		ok = false; // NOLINT(bugprone-branch-clone): two reasons to refuse, kept apart
	else if (st->units_left < 0)
		ok = true;
	else if (st->units_left > 0)
		ok = st->units_left-- > 0;
	else
		ok = false;
	pthread_mutex_unlock(&st->mu);
	return ok;
}

/* The return of an unstarted unit's ticket (none came). */
static void give_back(struct station *st)
{
	pthread_mutex_lock(&st->mu);
	if (st->units_left >= 0)
		st->units_left++;
	pthread_mutex_unlock(&st->mu);
}

static void *fixture_main(void *arg)
{
	struct fixture *f = arg;
	struct station *st = f->st;
	bool per_fixture = st->per_fixture;
	for (;;) {
		bool ran;
		if (per_fixture ? !f->quota || station_stopping(st) : !take_unit(f))
			break;
		if (per_fixture)
			f->quota--;
		if (station_unit(f, &ran))
			break;
		if (!ran && per_fixture)
			f->quota++;
		else if (!ran)
			give_back(st);
		/* a fixture that cannot be reached is tried again, not in a spin */
		for (int i = 0; !f->dev && i < 5 && !station_stopping(st); i++)
			nanosleep(&(struct timespec){ 0, 100000000L }, NULL);
	}
	station_drop_device(f);
	return NULL;
}

/* Each fixture's own token session, CA, database and ledger handles. */
static int fixture_open(struct fixture *f, struct sg_hsm_ctx *h, struct sg_hsm_key *key,
			const struct run_args *a)
{
	struct sg_err err = { 0 };
	int rc = sg_hsm_key_dup(h, key, &f->key, &err);
	if (!rc)
		rc = sg_pki_ca_new(f->key, f->st->ca_cert, &f->ca, &err);
	if (!rc)
		rc = sg_pki_db_open(a->db, &f->db, &err);
	if (rc)
		return cli_report(&err);
	if ((rc = wire_open(&f->w, "station run", a->ledger, NULL)))
		return rc;
	f->w.quiet = true;
	return SG_OK;
}

static void fixture_close(struct fixture *f)
{
	sg_pki_ca_free(f->ca);
	sg_pki_db_close(f->db);
	wire_close(&f->w);
}

struct setup {
	struct sg_hsm_ctx *h;
	struct sg_hsm_key *key;
	struct sg_pki_db *db;
	struct wire w;
	struct sg_pki_ca *ca;
};

/* Everything the run needs, checked before the first unit: the profile,
 * the CA key and its certificate, the database, the ledger; then what a
 * crash left owed is settled and the ledger's unit records are read. */
static int prepare(struct station *st, struct setup *s, const struct run_args *a)
{
	struct sg_err err = { 0 };
	int rc = load_profile(a->profile, &st->target);
	if (!rc)
		rc = check_probe_fixtures(a, &st->target);
	if (!rc && (rc = sg_pki_load_cert(a->ca_cert, &st->ca_cert, &err)))
		return cli_report(&err);
	if (!rc)
		rc = load_chain(st, a->chain);
	if (!rc && !(s->h = cli_hsm_ctx_new(NULL)))
		rc = sg_errf(&err, SG_EENV, "out of memory");
	if (!rc && !(rc = sg_hsm_key_open(s->h, a->ca_key, &s->key, &err)))
		rc = sg_pki_ca_new(s->key, st->ca_cert, &s->ca, &err);
	if (!rc)
		rc = sg_pki_db_open(a->db, &s->db, &err);
	if (rc)
		return err.msg[0] ? cli_report(&err) : rc;
	if ((rc = wire_open(&s->w, "station run", a->ledger, a->ledger_key)) ||
	    (rc = wire_check_key(&s->w, s->h)))
		return rc;
	s->w.quiet = true;
	if (station_index_new(&st->index))
		return cli_report(&oom);
	if ((rc = pki_ledger_settle(&s->w, s->db, &err)) ||
	    (rc = station_index_update(st->index, s->w.l, &err)))
		return cli_report(&err);
	return SG_OK;
}

static int run_fixtures(struct station *st, struct setup *s, const struct run_args *a)
{
	struct fixture *fx = calloc(a->n_fixtures, sizeof *fx);
	size_t opened = 0, started = 0;
	int rc = fx ? SG_OK : cli_report(&oom);
	for (; !rc && opened < a->n_fixtures; opened++) {
		struct fixture *f = &fx[opened];
		// NOLINTNEXTLINE(clang-analyzer-core.NullDereference): fx is not NULL: cli_report returns nonzero
		*f = (struct fixture){ .st = st, .pos = opened, .name = a->names[opened],
				       .spec = a->specs[opened], .quota = a->has_count || a->loop ? 0 : 1 };
		rc = fixture_open(f, s->h, s->key, a);
		if (rc)
			fixture_close(f);
	}
	uint64_t size = 0;
	unsigned long long link_ns = 0;
	struct sg_err err = { 0 };
	if (!rc && sg_ledger_size(s->w.l, &size, NULL, &err))
		rc = cli_report(&err);
	const char *names[MAX_FIXTURES];
	for (size_t i = 0; i < a->n_fixtures; i++)
		names[i] = a->names[i];
	struct station_ui_start start = { st->target.name, names, a->n_fixtures, st->lock_word,
					  size };
	if (!rc && !(st->ui = station_ui_new(a->json ? UI_JSON : isatty(1) ? UI_TTY : UI_PLAIN,
					    stdout, &start)))
		rc = cli_report(&oom);
	for (; !rc && started < a->n_fixtures; started++)
		if (pthread_create(&fx[started].thread, NULL, fixture_main, &fx[started]))
			rc = cli_report(&(struct sg_err){ SG_EENV, "cannot start a thread", NULL });
	if (rc)
		__atomic_store_n(&stop_requested, 1, __ATOMIC_SEQ_CST);
	for (size_t i = 0; i < started; i++) {
		pthread_join(fx[i].thread, NULL);
		link_ns += fx[i].link_ns;
	}
	for (size_t i = 0; i < opened && fx; i++)
		fixture_close(&fx[i]);
	free(fx);
	if (st->ui) {
		if (sg_ledger_size(s->w.l, &size, NULL, &err))
			size = 0;
		station_ui_end(st->ui, size, (double)link_ns / 1e9);
	}
	return rc;
}

static int finish(struct station *st, struct setup *s, int rc)
{
	struct sg_err err = { 0 };
	unsigned counts[RESULT_COUNT] = { 0 };
	if (st->fatal)
		rc = st->fatal;
	if (!rc && s->w.key_uri && wire_checkpoint(&s->w, s->h, &err))
		rc = cli_report(&err);
	if (st->ui)
		station_ui_counts(st->ui, counts);
	if (!rc && (counts[RESULT_FAILED] || counts[RESULT_QUARANTINED]))
		rc = SG_FAIL;
	return rc;
}

int station_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	struct station st = { .stop = &stop_requested };
	struct setup s = { 0 };
	int rc = parse(argc, argv, &a);
	if (rc < 0)
		return SG_OK;
	if (rc)
		return rc;
	st.lock = a.lock;
	st.dry_run = a.dry_run;
	st.rework = a.rework;
	st.lock_word = a.dry_run ? "dry-run" : a.lock ? "yes" : "no";
	st.units_left = a.loop ? -1 : a.has_count ? (long long)a.count : 0;
	st.per_fixture = !a.loop && !a.has_count;
	st.n_fixtures = a.n_fixtures;
	pthread_mutex_init(&st.mu, NULL);
	struct sigaction sa = { .sa_handler = on_stop };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	// NOLINTNEXTLINE(cert-err33-c): ignoring SIGPIPE cannot fail
	signal(SIGPIPE, SIG_IGN);
	// NOLINTNEXTLINE(clang-analyzer-optin.portability.UnixAPI): parse requires a --fixture
	if (!(st.active = calloc(a.n_fixtures, sizeof *st.active)))
		rc = cli_report(&oom);
	if (!rc)
		rc = prepare(&st, &s, &a);
	if (!rc)
		rc = run_fixtures(&st, &s, &a);
	rc = finish(&st, &s, rc);
	station_ui_free(st.ui);
	station_index_free(st.index);
	sg_pki_ca_free(s.ca);
	sg_pki_db_close(s.db);
	wire_close(&s.w);
	sg_hsm_ctx_free(s.h);
	X509_free(st.ca_cert);
	free(st.chain);
	free(st.active);
	pthread_mutex_destroy(&st.mu);
	return rc;
}
