/* signet evidence: the auditor's evidence pack (docs/evidence.md). This
 * file reads the options; cli/evidence_*.c do the work (cli/evidence.h). */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "evidence.h"

static const char usage_text[] =
	"usage: signet evidence --release ENVELOPE... [--sbom BOM.json]...\n"
	"                       [--trust-root ROOT.pem]... [--crl CA.crl]...\n"
	"                       [--ledger L --ledger-pubkey PUB] --out DIR\n"
	"       signet evidence --units --ledger L --ledger-pubkey PUB [--since T]\n"
	"                       [--until T] --out DIR\n"
	"       signet evidence verify [--pubkey PUB]... [--json] DIR\n"
	"\n"
	"Collects what a conformity assessment asks for into a new directory DIR, with\n"
	"an index of every file and its SHA-256 (DIR/index.json) and a page for a\n"
	"person (DIR/index.html). DIR must not exist or be empty; the pack is built\n"
	"beside it and takes its name only when complete.\n"
	"\n"
	"  --release                  for each ENVELOPE (signet or MCUboot): a copy, its\n"
	"                             inspection (signet inspect --json), its\n"
	"                             certificate chains as PEM, each checked against\n"
	"                             the trust roots and CRLs, its bound SBOM\n"
	"  --sbom BOM.json            an SBOM an ENVELOPE binds (one no ENVELOPE binds is\n"
	"                             a usage error); a bound SBOM not given is\n"
	"                             recorded as not supplied\n"
	"  --trust-root ROOT.pem      root certificate(s) to check the chains against\n"
	"  --crl CA.crl               CRLs to check them with (with --trust-root)\n"
	"  --ledger L                 the ledger's latest checkpoint, its key, and an\n"
	"                             inclusion proof of each record in scope: the\n"
	"                             releases (release.signed by digest), their\n"
	"                             certificates (cert.issued) and CRLs (crl.issued);\n"
	"                             for --units every unit.* record in the time range.\n"
	"                             Refused (exit 1) when a record in scope is newer\n"
	"                             than the latest checkpoint\n"
	"  --ledger-pubkey PUB        the key the checkpoint must be signed by (PEM, or a\n"
	"                             verifier key string); it is recorded in the pack\n"
	"  --units                    the station units of L: counts per status, station\n"
	"                             and day, each record proved\n"
	"  --since T, --until T       YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; --since\n"
	"                             inclusive, --until exclusive (a date: through that\n"
	"                             day)\n"
	"  --out DIR                  the pack's directory\n"
	"\n"
	"Every pack also holds signet's version and its own SBOM (from\n"
	"../share/signet/signet.cdx.json beside the binary; a warning when missing).\n"
	"\n"
	"verify re-checks a pack offline: every file's SHA-256, no file outside the\n"
	"index, each inspection, chain result and SBOM digest again from the copies,\n"
	"each proof against the checkpoint and the checkpoint against the recorded\n"
	"key, the counts, and index.html; with --pubkey, that the recorded key is one\n"
	"of these. It names the first mismatch, or with --json lists them all.\n"
	"\n"
	"Exit codes: 0 ok; 1 verification or policy failure (a mismatch in the pack,\n"
	"a checkpoint or record refused); 2 usage error or malformed input (index.json\n"
	"included); 3 HSM, device, I/O or environment failure.\n";

enum { O_RELEASE = 256, O_UNITS, O_SBOM, O_ROOT, O_CRL, O_LEDGER, O_LEDGER_PUB, O_SINCE,
       O_UNTIL, O_OUT, O_PUBKEY, O_JSON };

static const struct option options[] = {
	{ "release", no_argument, NULL, O_RELEASE },
	{ "units", no_argument, NULL, O_UNITS },
	{ "sbom", required_argument, NULL, O_SBOM },
	{ "trust-root", required_argument, NULL, O_ROOT },
	{ "crl", required_argument, NULL, O_CRL },
	{ "ledger", required_argument, NULL, O_LEDGER },
	{ "ledger-pubkey", required_argument, NULL, O_LEDGER_PUB },
	{ "since", required_argument, NULL, O_SINCE },
	{ "until", required_argument, NULL, O_UNTIL },
	{ "out", required_argument, NULL, O_OUT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int add(const char **list, int *n, const char *v, const char *opt)
{
	if (*n == EV_MAX_INPUTS)
		return cli_usage_error("evidence", "more than %d %s", EV_MAX_INPUTS, opt);
	list[(*n)++] = v;
	return SG_OK;
}

static int parse_one(int c, struct ev_make_args *a, bool *release)
{
	switch (c) {
	case O_RELEASE: *release = true; return SG_OK;
	case O_UNITS: a->units = true; return SG_OK;
	case O_SBOM: return add(a->sboms, &a->nsboms, optarg, "--sbom");
	case O_ROOT: return add(a->roots, &a->nroots, optarg, "--trust-root");
	case O_CRL: return add(a->crls, &a->ncrls, optarg, "--crl");
	case O_LEDGER: a->ledger = optarg; return SG_OK;
	case O_LEDGER_PUB: a->ledger_pubkey = optarg; return SG_OK;
	case O_SINCE: a->since = optarg; return SG_OK;
	case O_UNTIL: a->until = optarg; return SG_OK;
	case O_OUT: a->out = optarg; return SG_OK;
	default:
		return cli_usage_error("evidence", "unknown option");
	}
}

/* The rules between options. */
static int check_make(const struct ev_make_args *a, bool release)
{
	int64_t t;
	if (release == a->units)
		return cli_usage_error("evidence", "give one of --release and --units");
	if (!a->out)
		return cli_usage_error("evidence", "--out DIR is required");
	if (release && a->nenvelopes == 0)
		return cli_usage_error("evidence", "--release needs at least one ENVELOPE");
	if (a->units && (a->nenvelopes || a->nsboms || a->nroots || a->ncrls))
		return cli_usage_error("evidence", "--units takes no ENVELOPE, --sbom, --trust-root "
						   "or --crl");
	if (a->units && !a->ledger)
		return cli_usage_error("evidence", "--units needs --ledger");
	if (release && (a->since || a->until))
		return cli_usage_error("evidence", "--since and --until go with --units");
	if (!a->ledger != !a->ledger_pubkey)
		return cli_usage_error("evidence", "--ledger and --ledger-pubkey go together");
	if (a->ncrls && !a->nroots)
		return cli_usage_error("evidence", "--crl goes with --trust-root");
	if (a->since && ev_parse_time(a->since, false, &t))
		return cli_usage_error("evidence", "--since '%s': not YYYY-MM-DD or "
						   "YYYY-MM-DDTHH:MM:SSZ", a->since);
	if (a->until && ev_parse_time(a->until, true, &t))
		return cli_usage_error("evidence", "--until '%s': not YYYY-MM-DD or "
						   "YYYY-MM-DDTHH:MM:SSZ", a->until);
	return SG_OK;
}

static int make(int argc, char **argv)
{
	static struct ev_make_args a;
	bool release = false;
	int c, rc = SG_OK;
	memset(&a, 0, sizeof a);
	opterr = 0;
	optind = 1;
	while (!rc && (c = getopt_long(argc, argv, "h", options, NULL)) != -1)
		rc = c == '?' || c == ':'
			     ? cli_usage_error("evidence", "unknown or incomplete option '%s'",
					       argv[optind - 1])
			     : parse_one(c, &a, &release);
	for (int i = optind; !rc && i < argc; i++)
		rc = add(a.envelopes, &a.nenvelopes, argv[i], "ENVELOPEs");
	if (!rc)
		rc = check_make(&a, release);
	return rc ? rc : evidence_make(&a);
}

static int verify(int argc, char **argv)
{
	static const struct option vopts[] = {
		{ "pubkey", required_argument, NULL, O_PUBKEY },
		{ "json", no_argument, NULL, O_JSON },
		{ NULL, 0, NULL, 0 },
	};
	const char *pubkeys[EV_MAX_INPUTS];
	int npubkeys = 0, c, rc = SG_OK;
	bool json = false;
	opterr = 0;
	optind = 1;
	while (!rc && (c = getopt_long(argc, argv, "", vopts, NULL)) != -1) {
		if (c == O_PUBKEY)
			rc = add(pubkeys, &npubkeys, optarg, "--pubkey");
		else if (c == O_JSON)
			json = true;
		else
			rc = cli_usage_error("evidence", "verify: unknown or incomplete option '%s'",
					     argv[optind - 1]);
	}
	if (!rc && argc - optind != 1)
		rc = cli_usage_error("evidence", "verify needs one DIR");
	return rc ? rc : evidence_verify(argv[optind], pubkeys, npubkeys, json);
}

int cmd_evidence(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		return SG_OK;
	}
	if (argc > 1 && !strcmp(argv[1], "verify"))
		return verify(argc - 1, argv + 1);
	return make(argc, argv);
}
