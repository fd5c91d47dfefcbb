/* signet sim: a simulated device for the station, served until SIGINT or
 * SIGTERM (docs/provisioning.md §10; the device is provision/sim*.c). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "signet/sim.h"
#include "signet/transport.h"

static const char usage_text[] =
	"usage: signet sim --state FILE --listen unix:PATH|tcp:HOST:PORT|pty [--uid HEX]\n"
	"                  [--units N] [--drop RATE] [--corrupt RATE] [--latency MS]\n"
	"                  [--baud RATE] [--power-cut-after N] [--refuse-lock] [--fake-lock]\n"
	"                  [--lie-uid HEX] [--forge-sig keygen|challenge] [--seed N]\n"
	"\n"
	"Runs the device agent on a simulated device and serves one station at a time\n"
	"over the device protocol (docs/protocol.md) until SIGINT or SIGTERM. Prints\n"
	"'UID listening on ADDRESS' when ready (for pty, ADDRESS names the terminal).\n"
	"The device's UID, slots, lock bits and key pair live in FILE (made if absent,\n"
	"with --uid or a random UID), saved after every change, so a restart finds what\n"
	"a real part would. The device makes its P-256 key pair on KEYGEN.\n"
	"\n"
	"--units N          after each RESET, the next of N devices (FILE.1, FILE.2, ...;\n"
	"                   UIDs counting up from the first); the last one stays\n"
	"--drop RATE        drop each byte, each way, with this chance (0..1)\n"
	"--corrupt RATE     flip a bit of each byte with this chance (0..1)\n"
	"--latency MS       wait before each answer\n"
	"--baud RATE        pace bytes as a UART at RATE (10 bits a byte)\n"
	"--power-cut-after N  the Nth change of the device's state is lost and the\n"
	"                   connection dropped; the device powers up from FILE (once)\n"
	"--refuse-lock      LOCK fails (HARDWARE)\n"
	"--fake-lock        LOCK is reported done but nothing is locked\n"
	"--lie-uid HEX      INFO reports this UID from the second INFO on\n"
	"--forge-sig keygen|challenge  KEYGEN's key proof, or the answer to\n"
	"                   SIGN_CHALLENGE, is signed with a key that is not the one\n"
	"                   the device reports (a device replaying another's key)\n"
	"--seed N           seed for --drop and --corrupt (default 1)\n"
	"\n"
	"What it models and what not: docs/provisioning.md, section 10.\n";

enum {
	O_STATE = 256, O_LISTEN, O_UID, O_UNITS, O_DROP, O_CORRUPT, O_LATENCY, O_BAUD, O_POWER_CUT,
	O_REFUSE_LOCK, O_FAKE_LOCK, O_LIE_UID, O_FORGE_SIG, O_SEED,
};

static const struct option options[] = {
	{ "state", required_argument, NULL, O_STATE },
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "uid", required_argument, NULL, O_UID },
	{ "units", required_argument, NULL, O_UNITS },
	{ "drop", required_argument, NULL, O_DROP },
	{ "corrupt", required_argument, NULL, O_CORRUPT },
	{ "latency", required_argument, NULL, O_LATENCY },
	{ "baud", required_argument, NULL, O_BAUD },
	{ "power-cut-after", required_argument, NULL, O_POWER_CUT },
	{ "refuse-lock", no_argument, NULL, O_REFUSE_LOCK },
	{ "fake-lock", no_argument, NULL, O_FAKE_LOCK },
	{ "lie-uid", required_argument, NULL, O_LIE_UID },
	{ "forge-sig", required_argument, NULL, O_FORGE_SIG },
	{ "seed", required_argument, NULL, O_SEED },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_uid(const char *what, const char *s, uint8_t *out, uint8_t *len)
{
	size_t n = strlen(s);

	if (n < 2 || n > 2 * SGP_UID_MAX || n % 2)
		return cli_usage_error("sim", "%s: 1 to 32 bytes in hex", what);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (!strchr("0123456789abcdefABCDEF", s[2 * i]) || !strchr("0123456789abcdefABCDEF", s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1) // NOLINT(cert-err34-c): hex digits, tested
			return cli_usage_error("sim", "%s: '%s' is not hex", what, s);
		out[i] = (uint8_t)v;
	}
	*len = (uint8_t)(n / 2);
	return SG_OK;
}

static int parse_rate(const char *what, const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !(*out >= 0 && *out <= 1))
		return cli_usage_error("sim", "%s: a chance from 0 to 1, not '%s'", what, s);
	return SG_OK;
}

static int parse_forge(const char *s, uint8_t *cmd)
{
	if (!strcmp(s, "keygen"))
		*cmd = SGP_KEYGEN;
	else if (!strcmp(s, "challenge"))
		*cmd = SGP_SIGN_CHALLENGE;
	else
		return cli_usage_error("sim", "--forge-sig: keygen or challenge, not '%s'", s);
	return SG_OK;
}

static int parse_options(int argc, char **argv, struct sg_sim_opts *o, const char **listen)
{
	uint64_t v;
	int c, rc = SG_OK;

	optind = 1;
	while (rc == SG_OK && (c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case O_STATE: o->state_path = optarg; break;
		case O_LISTEN: *listen = optarg; break;
		case O_UID: rc = parse_uid("--uid", optarg, o->uid, &o->uid_len); break;
		case O_LIE_UID: rc = parse_uid("--lie-uid", optarg, o->lie_uid, &o->lie_uid_len); break;
		case O_DROP: rc = parse_rate("--drop", optarg, &o->drop); break;
		case O_CORRUPT: rc = parse_rate("--corrupt", optarg, &o->corrupt); break;
		case O_UNITS:
			if ((rc = cli_parse_u64("sim", "--units", optarg, 1000000, &v)) == SG_OK && v == 0)
				rc = cli_usage_error("sim", "--units: at least 1");
			o->units = (unsigned)v;
			break;
		case O_LATENCY:
			rc = cli_parse_u64("sim", "--latency", optarg, 60000, &v);
			o->latency_ms = (unsigned)v;
			break;
		case O_BAUD:
			rc = cli_parse_u64("sim", "--baud", optarg, 100000000, &v);
			o->baud = (unsigned)v;
			break;
		case O_POWER_CUT:
			rc = cli_parse_u64("sim", "--power-cut-after", optarg, 1000000000, &v);
			o->power_cut_after = (long)v;
			break;
		case O_SEED:
			rc = cli_parse_u64("sim", "--seed", optarg, UINT32_MAX, &v);
			o->seed = (unsigned)v;
			break;
		case O_REFUSE_LOCK: o->refuse_lock = 1; break;
		case O_FAKE_LOCK: o->fake_lock = 1; break;
		case O_FORGE_SIG: rc = parse_forge(optarg, &o->forge_cmd); break;
		case 'h': fputs(usage_text, stdout); return -1;
		default: return cli_usage_error("sim", "unknown option");
		}
	}
	if (rc != SG_OK)
		return rc;
	if (optind < argc)
		return cli_usage_error("sim", "unexpected argument '%s'", argv[optind]);
	if (!o->state_path || !*listen)
		return cli_usage_error("sim", "--state and --listen are required");
	return SG_OK;
}

static int serve(struct sg_sim *sim, struct sg_listener *l)
{
	struct sg_err err = {0};

	while (!stop) {
		struct sg_transport *t = NULL;
		int rc = sg_listener_accept(l, 200, &t, &err);

		if (rc != SG_OK)
			return cli_report(&err);
		if (!t)
			continue;
		rc = sg_sim_serve(sim, t, &stop, &err);
		sg_transport_close(t);
		if (rc != SG_OK)
			return cli_report(&err);
	}
	return SG_OK;
}

int cmd_sim(int argc, char **argv)
{
	struct sg_sim_opts o = {0};
	struct sg_sim *sim = NULL;
	struct sg_listener *l = NULL;
	struct sg_err err = {0};
	struct sigaction sa;
	const char *listen = NULL;
	int rc = parse_options(argc, argv, &o, &listen);

	if (rc < 0)
		return SG_OK;
	if (rc != SG_OK)
		return rc;
	if (sg_sim_new(&o, &sim, &err) != SG_OK || sg_listener_open(listen, &l, &err) != SG_OK) {
		sg_sim_free(sim);
		return cli_report(&err);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	// NOLINTNEXTLINE(cert-err33-c): ignoring SIGPIPE cannot fail
	signal(SIGPIPE, SIG_IGN);
	printf("%s listening on %s\n", sg_sim_uid(sim), sg_listener_address(l));
	fflush(stdout);
	rc = serve(sim, l);
	sg_listener_close(l);
	sg_sim_free(sim);
	return rc;
}
