/* signet cosign: add one signature to an existing signet envelope. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli.h"
#include "json_out.h"
#include "ledger_wire.h"
#include "signet/sign.h"
#include "signet/verify.h"

static const char usage_text[] =
	"usage: signet cosign --key URI [--cert CHAIN.pem] [--module PATH]\n"
	"                     [--ledger L [--ledger-key URI]] [--json] FILE\n"
	"\n"
	"Adds a signature by the key URI to the signet envelope FILE, in place and\n"
	"atomically, for M-of-N approval ('signet verify --threshold M'). Only the\n"
	"signed header and metadata are signed (they bind the payload through its\n"
	"digest), so the payload is not hashed again. Refuses a key that already\n"
	"signed FILE. Existing signatures are kept as they are and not checked.\n"
	"--cert CHAIN.pem adds the key's certificate chain (PEM, leaf first; the leaf\n"
	"must certify the key), as 'signet sign --cert' does, so that 'signet verify\n"
	"--trust-root' can count this signature.\n"
	"\n"
	"Runs on one FILE at the same time take turns (an exclusive lock on FILE for\n"
	"the read-modify-write, taken after the token is opened): each adds its\n"
	"signature to the result of the one before, none is lost.\n"
	"\n"
	"--ledger L records the new release in the audit ledger L as 'signet sign\n"
	"--ledger' does (release.started before FILE is replaced, release.signed with\n"
	"every signature's key after); --ledger-key URI then cuts a checkpoint.\n"
	"\n"
	"--json prints one JSON object on stdout once FILE is replaced: FILE as\n"
	"written, every signature (the one added marked \"added\"), schema\n"
	"signet.sign/1 (docs/json.md); nothing on stdout when cosign fails.\n"
	"\n"
	"Module and PIN as for 'signet sign'.\n";

enum { O_KEY = 256, O_MODULE, O_CERT, O_LEDGER, O_LEDGER_KEY, O_JSON };

static const struct option options[] = {
	{ "key", required_argument, NULL, O_KEY },
	{ "module", required_argument, NULL, O_MODULE },
	{ "cert", required_argument, NULL, O_CERT },
	{ "ledger", required_argument, NULL, O_LEDGER },
	{ "ledger-key", required_argument, NULL, O_LEDGER_KEY },
	{ "json", no_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Before anything is recorded: FILE is an envelope the key has not signed
 * yet, and the chain (--cert) certifies the key (what sg_cosign_file
 * refuses, refused before release.started). */
static int release_checks(const char *path, const char *key_uri, const char *cert,
			  struct sg_hsm_ctx *hsm, struct wire_release *rel, struct sg_version *v)
{
	struct sg_err err;
	struct sg_hsm_key *key;
	uint8_t key_id[SGE_KEY_ID_SIZE];
	size_t spki_len;
	struct sgv_envelope *e = malloc(sizeof *e);
	int rc = e ? sg_envelope_load(path, e, &err) : sg_errf(&err, SG_EENV, "out of memory");
	if (!rc)
		rc = sg_hsm_key_open(hsm, key_uri, &key, &err);
	if (!rc) {
		const uint8_t *spki = sg_hsm_key_spki(key, &spki_len);
		sg_key_id(spki, spki_len, key_id);
		for (unsigned i = 0; !rc && i < e->nsigs; i++)
			if (!memcmp(e->sigs[i].key_id, key_id, sizeof key_id))
				rc = sg_errf(&err, SG_EINPUT, "%s: already signed by key %s", path,
					     key_uri);
		*v = (struct sg_version){ e->ver_major, e->ver_minor, e->ver_patch, e->ver_build };
		rel->version = v;
	}
	free(e);
	if (rc)
		return cli_report(&err);
	void *pkey = sg_hsm_key_pkey(key);
	rc = cert ? wire_check_chains(&cert, 1, &pkey, 1) : SG_OK;
	EVP_PKEY_free(pkey);
	return rc;
}

/* --json, once FILE is replaced (and recorded): what it holds now. */
static int print_json(const char *path, const char *key_uri, struct sg_hsm_ctx *hsm,
		      const struct wire *w)
{
	struct sg_err err;
	struct jo_key key;
	int rc = jo_keys_open(hsm, &key_uri, 1, &key, &err) ? cli_report(&err) : SG_OK;
	if (!rc)
		rc = jo_print_signed("cosign", path, &key, 1, w);
	jo_keys_close(&key, 1);
	return rc;
}

int cmd_cosign(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		return SG_OK;
	}
	const char *key = NULL, *module = NULL, *cert = NULL, *ledger = NULL, *ledger_key = NULL;
	bool json = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c == O_KEY && !key)
			key = optarg;
		else if (c == O_KEY)
			return cli_usage_error("cosign", "one --key per run");
		else if (c == O_MODULE)
			module = optarg;
		else if (c == O_CERT && !cert)
			cert = optarg;
		else if (c == O_CERT)
			return cli_usage_error("cosign", "one --cert per run");
		else if (c == O_LEDGER)
			ledger = optarg;
		else if (c == O_LEDGER_KEY)
			ledger_key = optarg;
		else if (c == O_JSON)
			json = true;
		else
			return cli_usage_error("cosign", "unknown or incomplete option '%s'",
					       argv[optind - 1]);
	}
	if (!key)
		return cli_usage_error("cosign", "--key is required");
	if (argc - optind != 1)
		return cli_usage_error("cosign", "expected one FILE");
	const char *path = argv[optind];
	struct sg_err err = { 0 };
	struct wire w;
	struct wire_release rel = { .out = path };
	struct sg_version v;
	int rc = wire_open(&w, "cosign", ledger, ledger_key);
	if (rc)
		return rc;
	struct sg_hsm_ctx *hsm = cli_hsm_ctx_new(module);
	if (!hsm)
		rc = sg_errf(&err, SG_EENV, "out of memory"), cli_report(&err);
	if (!rc && w.l && !(rc = wire_check_key(&w, hsm)))
		rc = release_checks(path, key, cert, hsm, &rel, &v);
	if (!rc)
		rc = wire_release_started(&w, &rel);
	if (!rc && sg_cosign_file(path, key, cert, hsm, &err))
		rc = cli_report(&err);
	if (!rc) {
		fprintf(stderr, "signet: %s: signature added by %s\n", path, key);
		rc = wire_release_signed(&w, &rel, hsm);
	}
	if (!rc && json)
		rc = print_json(path, key, hsm, &w);
	sg_hsm_ctx_free(hsm);
	wire_close(&w);
	return rc;
}
