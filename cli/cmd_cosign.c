/* signet cosign: add one signature to an existing signet envelope. */
#include <getopt.h>

#include "cli.h"
#include "signet/sign.h"

static const char usage_text[] =
	"usage: signet cosign --key URI [--cert CHAIN.pem] [--module PATH] FILE\n"
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
	"Module and PIN as for 'signet sign'.\n";

enum { O_KEY = 256, O_MODULE, O_CERT };

static const struct option options[] = {
	{ "key", required_argument, NULL, O_KEY },
	{ "module", required_argument, NULL, O_MODULE },
	{ "cert", required_argument, NULL, O_CERT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_cosign(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		return SG_OK;
	}
	const char *key = NULL, *module = NULL, *cert = NULL;
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
		else
			return cli_usage_error("cosign", "unknown or incomplete option '%s'",
					       argv[optind - 1]);
	}
	if (!key)
		return cli_usage_error("cosign", "--key is required");
	if (argc - optind != 1)
		return cli_usage_error("cosign", "expected one FILE");
	struct sg_err err = { 0 };
	struct sg_hsm_ctx *hsm = cli_hsm_ctx_new(module);
	int rc = hsm ? sg_cosign_file(argv[optind], key, cert, hsm, &err)
		     : sg_errf(&err, SG_EENV, "out of memory");
	sg_hsm_ctx_free(hsm);
	if (rc)
		return cli_report(&err);
	fprintf(stderr, "signet: %s: signature added by %s\n", argv[optind], key);
	return SG_OK;
}
