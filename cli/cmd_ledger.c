/* signet ledger: the tamper-evident audit ledger (docs/ledger.md). This
 * file parses options and runs init, append and checkpoint; verification,
 * proofs and reading live in cli/ledger_*.c. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ledger.h"
#include "signet/hsm.h"
#include "signet/ledger_record.h"
#include "signet/num.h"

static const char usage_text[] =
	"usage: signet ledger init --ledger L --origin NAME\n"
	"       signet ledger append --ledger L --type TYPE --json FIELDS\n"
	"       signet ledger checkpoint --ledger L --key URI [--module PATH]\n"
	"       signet ledger verify --ledger L --pubkey PUB [--checkpoint CP]...\n"
	"       signet ledger prove --ledger L (--index I | --device UID | --serial HEX |\n"
	"                  --digest HEX) [--type TYPE] [-o PROOF]\n"
	"       signet ledger consistency --ledger L --from OLD.cp [--to NEW.cp] [-o PROOF]\n"
	"       signet ledger check-proof --pubkey PUB PROOF\n"
	"       signet ledger show --ledger L [--since T] [--until T] [--type TYPE]\n"
	"                  [--device UID] [--origin NAME] [--status pass|fail|quarantine]\n"
	"                  [--json]\n"
	"       signet ledger export --ledger L --format jsonl|csv [-o FILE]\n"
	"       signet ledger export --ledger L --tiles DIR\n"
	"       signet ledger report --ledger L --html OUT.html [--pubkey PUB]...\n"
	"       signet ledger sync --ledger L --to postgresql://...\n"
	"       signet ledger verify --from postgresql://... --origin NAME --pubkey PUB\n"
	"\n"
	"A ledger is an append-only log of JSON records (RFC 8785 canonical form) in\n"
	"one SQLite file, hashed into an RFC 9162 Merkle tree; a checkpoint is the\n"
	"tree's size and root in a C2SP signed note, signed by a key in the token\n"
	"(ed25519 or ecdsa-p256). Nobody can change, drop or reorder a record without\n"
	"verify finding it.\n"
	"init         create L for the log named NAME (the checkpoints' origin line)\n"
	"append       add one record: FIELDS is a JSON object of TYPE's fields (see\n"
	"             docs/ledger.md; unknown fields are refused); index, time and\n"
	"             origin are added; prints the record; durable when it returns\n"
	"checkpoint   sign the current tree with the key at URI, store the note and\n"
	"             print it\n"
	"verify       recompute every leaf, the tree and every stored checkpoint's\n"
	"             root and signature from the raw records; --checkpoint also\n"
	"             checks a checkpoint kept elsewhere; names the first bad record\n"
	"prove        print a proof file: the record (the latest matching one), its\n"
	"             leaf hash and its inclusion proof in the latest checkpoint\n"
	"consistency  print a proof file that the tree of OLD.cp is a prefix of\n"
	"             NEW.cp's (default: the latest checkpoint)\n"
	"check-proof  check a proof file offline with the public key alone\n"
	"show         list records (one line each, or JSON lines); T is RFC 3339\n"
	"             UTC (2026-11-28T12:00:00Z) or a date (2026-11-28)\n"
	"export       every record in index order: jsonl (each line exactly one\n"
	"             leaf's bytes) or csv; --tiles writes the latest checkpoint's\n"
	"             tree as a C2SP tlog-tiles directory (incremental; the\n"
	"             checkpoint file last; no checkpoint: exit 1)\n"
	"report       an auditor's HTML page (self-contained: no script, nothing\n"
	"             fetched) of the records of the latest checkpoint: units and\n"
	"             releases by day, outcomes per station and failure reason,\n"
	"             failures, releases, certificates, CRLs, the checkpoint;\n"
	"             the records are re-hashed against its root, and its signature\n"
	"             verified when --pubkey is given. No checkpoint: exit 1\n"
	"sync         upload the records up to the latest checkpoint, and the\n"
	"             checkpoints, to a central PostgreSQL database (libpq URI; the\n"
	"             password from PGPASSFILE or PGPASSWORD): checked against the\n"
	"             checkpoint first, in batches that resume after a crash; a\n"
	"             fork, a changed record, a device locked or a serial issued\n"
	"             twice across stations: exit 1, nothing of that batch kept\n"
	"verify --from  audit one station (--origin) from the central copy alone\n"
	"PUB: a PEM public key file (the key's name is the ledger's origin) or a\n"
	"C2SP verifier key string NAME+ID+KEY. $SOURCE_DATE_EPOCH, when set, is the\n"
	"time records get. Exit 1 when a check fails, 2 for malformed input (a\n"
	"refused record leaves the ledger untouched), 3 for I/O and the token.\n";

enum {
	O_LEDGER = 256, O_ORIGIN, O_TYPE, O_JSON, O_KEY, O_MODULE, O_PUBKEY, O_CHECKPOINT,
	O_INDEX, O_DEVICE, O_SERIAL, O_DIGEST, O_FROM, O_TO, O_SINCE, O_UNTIL, O_STATUS,
	O_FORMAT, O_TILES, O_HTML,
};

/* --json takes the record for append and is a switch for show. */
#define LEDGER_OPTIONS(json_arg)                                                      \
	{ "ledger", required_argument, NULL, O_LEDGER },                             \
	{ "origin", required_argument, NULL, O_ORIGIN },                             \
	{ "type", required_argument, NULL, O_TYPE },                                 \
	{ "json", json_arg, NULL, O_JSON },                                          \
	{ "key", required_argument, NULL, O_KEY },                                   \
	{ "module", required_argument, NULL, O_MODULE },                             \
	{ "pubkey", required_argument, NULL, O_PUBKEY },                             \
	{ "checkpoint", required_argument, NULL, O_CHECKPOINT },                     \
	{ "index", required_argument, NULL, O_INDEX },                               \
	{ "device", required_argument, NULL, O_DEVICE },                             \
	{ "serial", required_argument, NULL, O_SERIAL },                             \
	{ "digest", required_argument, NULL, O_DIGEST },                             \
	{ "from", required_argument, NULL, O_FROM },                                 \
	{ "to", required_argument, NULL, O_TO },                                     \
	{ "since", required_argument, NULL, O_SINCE },                               \
	{ "until", required_argument, NULL, O_UNTIL },                               \
	{ "status", required_argument, NULL, O_STATUS },                             \
	{ "format", required_argument, NULL, O_FORMAT },                             \
	{ "tiles", required_argument, NULL, O_TILES },                               \
	{ "html", required_argument, NULL, O_HTML },                                 \
	{ "help", no_argument, NULL, 'h' },                                          \
	{ NULL, 0, NULL, 0 }

static const struct option options_append[] = { LEDGER_OPTIONS(required_argument) };
static const struct option options_other[] = { LEDGER_OPTIONS(no_argument) };

static int add_path(const char **list, int *n, const char *opt)
{
	if (*n == LEDGER_MAX_KEYS)
		return cli_usage_error("ledger", "at most %d %s options", LEDGER_MAX_KEYS, opt);
	list[(*n)++] = optarg;
	return SG_OK;
}

static int parse(int argc, char **argv, struct ledger_args *a)
{
	const struct option *opts = strcmp(a->sub, "append") ? options_other : options_append;
	int c, rc = SG_OK;
	opterr = 0;
	while (rc == SG_OK && (c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case O_LEDGER: a->ledger = optarg; break;
		case O_ORIGIN: a->origin = optarg; break;
		case O_TYPE: a->type = optarg; break;
		case O_JSON:
			if (optarg)
				a->record = optarg;
			else
				a->json = true;
			break;
		case O_KEY: a->key = optarg; break;
		case O_MODULE: a->module = optarg; break;
		case O_PUBKEY: rc = add_path(a->pubkeys, &a->npubkeys, "--pubkey"); break;
		case O_CHECKPOINT:
			rc = add_path(a->checkpoints, &a->ncheckpoints, "--checkpoint");
			break;
		case O_INDEX: a->index = optarg; break;
		case O_DEVICE: a->device = optarg; break;
		case O_SERIAL: a->serial = optarg; break;
		case O_DIGEST: a->digest = optarg; break;
		case O_FROM: a->from = optarg; break;
		case O_TO: a->to = optarg; break;
		case O_SINCE: a->since = optarg; break;
		case O_UNTIL: a->until = optarg; break;
		case O_STATUS: a->status = optarg; break;
		case O_FORMAT: a->format = optarg; break;
		case O_TILES: a->tiles = optarg; break;
		case O_HTML: a->html = optarg; break;
		case 'o': a->out = optarg; break;
		default:
			return cli_usage_error("ledger", "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	return rc;
}

/* ---- init, append, checkpoint */

static int do_init(const struct ledger_args *a)
{
	struct sg_err err;
	uint64_t now;
	if (!a->ledger || !a->origin)
		return cli_usage_error("ledger", "init needs --ledger and --origin");
	if (sg_now(&now, &err) || sg_note_name_check(a->origin, "origin", &err) ||
	    sg_ledger_create(a->ledger, a->origin, (int64_t)now, &err))
		return cli_report(&err);
	fprintf(stderr, "signet: created ledger %s (origin %s)\n", a->ledger, a->origin);
	return SG_OK;
}

struct one_record {
	const char *type, *fields, *origin;
	time_t time;
	uint8_t *leaf; /* a copy of the record appended, for printing */
	size_t leaf_len;
};

static int encode_one(void *arg, uint64_t index, uint8_t **leaf, size_t *len, struct sg_err *err)
{
	struct one_record *r = arg;
	int rc = sg_record_build(r->type, r->fields, strlen(r->fields), index, r->time, r->origin,
				 leaf, len, err);
	if (rc == SG_OK) {
		free(r->leaf);
		r->leaf = malloc(*len);
		if (!r->leaf)
			return sg_errf(err, SG_EENV, "out of memory");
		memcpy(r->leaf, *leaf, *len);
		r->leaf_len = *len;
	}
	return rc;
}

static int do_append(const struct ledger_args *a)
{
	struct sg_ledger *l;
	struct sg_err err;
	uint64_t now, index;
	uint8_t *probe;
	size_t probe_len;

	if (!a->ledger || !a->type || !a->record)
		return cli_usage_error("ledger", "append needs --ledger, --type and --json");
	if (sg_now(&now, &err))
		return cli_report(&err);
	/* Refuse a bad record before the ledger is opened: nothing touched. */
	if (sg_record_build(a->type, a->record, strlen(a->record), 0, (time_t)now, "check",
			    &probe, &probe_len, &err))
		return cli_report(&err);
	free(probe);
	int rc = ledger_open(a, true, &l);
	if (rc)
		return rc;
	struct one_record r = { a->type, a->record, sg_ledger_origin(l), (time_t)now, NULL, 0 };
	rc = sg_ledger_append(l, 1, encode_one, &r, &index, &err);
	sg_ledger_close(l);
	if (rc) {
		free(r.leaf);
		return cli_report(&err);
	}
	fwrite(r.leaf, 1, r.leaf_len, stdout);
	putchar('\n');
	free(r.leaf);
	fprintf(stderr, "signet: %s: record %llu (%s) appended\n", a->ledger,
		(unsigned long long)index, a->type);
	return SG_OK;
}

static int do_checkpoint(const struct ledger_args *a)
{
	struct sg_err err;
	struct sg_ledger *l;
	struct sg_hsm_key *key = NULL;
	char note[SG_CHECKPOINT_NOTE_MAX + 1];
	size_t len;

	if (!a->ledger || !a->key)
		return cli_usage_error("ledger", "checkpoint needs --ledger and --key");
	int rc = ledger_open(a, true, &l);
	if (rc)
		return rc;
	struct sg_hsm_ctx *h = cli_hsm_ctx_new(a->module);
	if (!h) {
		sg_ledger_close(l);
		sg_errf(&err, SG_EENV, "out of memory");
		return cli_report(&err);
	}
	rc = sg_hsm_key_open(h, a->key, &key, &err);
	if (!rc)
		rc = sg_ledger_cut_checkpoint(l, key, note, sizeof note, &len, NULL, &err);
	sg_hsm_ctx_free(h);
	sg_ledger_close(l);
	if (rc)
		return cli_report(&err);
	return ledger_output(a->out, note, len);
}

static const struct subcommand {
	const char *name;
	int (*run)(const struct ledger_args *a);
} subcommands[] = {
	{ "init", do_init },
	{ "append", do_append },
	{ "checkpoint", do_checkpoint },
	{ "verify", ledger_verify },
	{ "prove", ledger_prove },
	{ "consistency", ledger_consistency },
	{ "check-proof", ledger_check_proof },
	{ "show", ledger_show },
	{ "export", ledger_export },
	{ "report", ledger_report },
	{ "sync", ledger_sync },
};

int cmd_ledger(int argc, char **argv)
{
	if (argc < 2 || cli_wants_help(argc, argv)) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? SG_EINPUT : SG_OK;
	}
	struct ledger_args a = { .sub = argv[1] };
	const struct subcommand *s = NULL;
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (!strcmp(a.sub, subcommands[i].name))
			s = &subcommands[i];
	if (!s)
		return cli_usage_error("ledger", "unknown subcommand '%s'", a.sub);
	int rc = parse(argc - 1, argv + 1, &a);
	if (rc)
		return rc;
	int rest = argc - 1 - optind;
	char **restv = argv + 1 + optind;
	if (!strcmp(a.sub, "check-proof") && rest == 1 && !a.proof)
		a.proof = restv[0];
	else if (rest > 0)
		return cli_usage_error("ledger", "unexpected argument '%s'", restv[0]);
	return s->run(&a);
}
