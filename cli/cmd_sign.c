/* signet sign: build output in, signed envelope out. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "json_out.h"
#include "ledger_wire.h"
#include "signet/sbom.h"
#include "signet/sign.h"
#include "signet/verify.h"

static const char usage_text[] =
	"usage: signet sign --key URI [--key URI ...] --version X.Y.Z[+N]\n"
	"                   [--security-counter N] [--hw-id ID] [--load-addr ADDR]\n"
	"                   [--input-format auto|bin|ihex|srec|elf] [--pad-byte B]\n"
	"                   [--max-span BYTES] [--digest sha256|sha384] [--sbom BOM.json]\n"
	"                   [--cert CHAIN.pem] [--module PATH]\n"
	"                   [--ledger L [--ledger-key URI]] [--json] IN OUT\n"
	"       signet sign --format mcuboot --key URI --version X.Y.Z[+N]\n"
	"                   --header-size N [--pad-header] [--slot-size N]\n"
	"                   [--align 1|2|4|8|16|32] [--pad] [--confirm]\n"
	"                   [--security-counter N] [--load-addr ADDR]\n"
	"                   [--input-format F] [--pad-byte B] [--max-span BYTES]\n"
	"                   [--module PATH] [--ledger L [--ledger-key URI]] [--json]\n"
	"                   IN OUT\n"
	"       signet sign --prepare --pubkey PUB.pem --version X.Y.Z[+N]\n"
	"                   [options] [--json] IN OUT.req\n"
	"       signet sign --prepare --pubkey PUB.pem --format mcuboot\n"
	"                   --version X.Y.Z[+N] --header-size N [MCUboot options]\n"
	"                   [--json] IN OUT.req\n"
	"       signet sign --complete OUT.req --signature SIG\n"
	"                   [--signature-format der|raw] --pubkey PUB.pem\n"
	"                   [--cert CHAIN.pem] [--ledger L [--ledger-key URI]] [--json]\n"
	"                   OUT\n"
	"\n"
	"Signs IN into a signet envelope OUT (docs/envelope.md) with each key, inside\n"
	"its PKCS#11 token. OUT is written atomically: on any failure it is not created.\n"
	"\n"
	"  --key URI            RFC 7512 URI of a private key, e.g.\n"
	"                       'pkcs11:token=release;object=fw-p256'; up to 16 keys\n"
	"  --version X.Y.Z[+N]  semantic version and optional build number\n"
	"  --security-counter N monotonic anti-rollback counter (0..4294967295)\n"
	"  --hw-id ID           hardware / device-class id (1-64 printable characters)\n"
	"  --load-addr ADDR     load address (default: from HEX/SREC/ELF input)\n"
	"  --input-format F     input format, default auto (ELF magic, ':' HEX, 'S' SREC)\n"
	"  --pad-byte B         fill byte for gaps in the input (default 0xff)\n"
	"  --max-span BYTES     largest payload the input may define, lowest to highest\n"
	"                       address with gaps (default 1073741824 = 1 GiB; any\n"
	"                       format)\n"
	"  --digest ALG         payload digest (default sha384 with a P-384 key, else\n"
	"                       sha256)\n"
	"  --sbom BOM.json      bind this SBOM (CycloneDX JSON 1.4-1.6 or SPDX 2.3 JSON):\n"
	"                       its kind and SHA-256 go into the signed metadata\n"
	"  --cert CHAIN.pem     certificate chain (PEM, leaf first, each followed by its\n"
	"                       issuer, up to a CA the root issued; the root may be\n"
	"                       included) carried in the envelope; the leaf must\n"
	"                       certify one of the --key keys ('signet verify\n"
	"                       --trust-root' checks it); one per key, repeatable\n"
	"  --module PATH        PKCS#11 module (else module-path= in the URI, or\n"
	"                       $SIGNET_PKCS11_MODULE)\n"
	"  --ledger L           record the release in the audit ledger L (signet\n"
	"                       ledger init): release.started before OUT is published,\n"
	"                       release.signed (read back from OUT) after; not with\n"
	"                       --prepare (docs/ledger.md)\n"
	"  --ledger-key URI     then also sign and store a checkpoint of L with this\n"
	"                       token key (else none is cut)\n"
	"  --json               once OUT is published, print one JSON object on stdout\n"
	"                       describing it as written: path, size and SHA-256, format,\n"
	"                       version, counter, key ids, algorithms, SBOM, certificates\n"
	"                       (schemas signet.sign/1 and, for --prepare,\n"
	"                       signet.sign-request/1: docs/json.md); nothing on stdout\n"
	"                       when sign fails\n"
	"\n"
	"MCUboot images (--format mcuboot, imgtool-compatible; docs/mcuboot.md): one\n"
	"key (ecdsa-p256, ecdsa-p384, ed25519 or rsa-3072); --header-size as imgtool -H,\n"
	"--pad-header prefixes the input with it, --slot-size checks the image fits\n"
	"(required by --pad), --pad fills the slot and writes the trailer, --confirm\n"
	"marks it image_ok (implies --pad), --load-addr sets RAM_LOAD.\n"
	"\n"
	"Two-step (offline) signing: --prepare writes a signing request for the holder\n"
	"of PUB.pem's private key instead of signing ('signet inspect OUT.req' says what\n"
	"to sign and how; 'signet inspect --tbs-out F OUT.req' writes those bytes).\n"
	"--complete checks the signature made elsewhere against PUB.pem and the request\n"
	"before writing OUT (with --cert, the key's certificate chain goes into the\n"
	"envelope). ECDSA signatures are DER by default; --signature-format raw\n"
	"takes r||s. Ed25519 and RSA-PSS signatures are raw bytes. With --format mcuboot,\n"
	"--prepare takes the MCUboot options and --complete writes the MCUboot image\n"
	"(the request says which; docs/signing-request.md).\n"
	"\n"
	"Numbers are decimal; ADDR, B, BYTES and the sizes of --header-size and\n"
	"--slot-size may also be 0x and hex digits. No sign, spaces or leading zeros.\n"
	"PIN: pin-source=file:PATH in the URI, $SIGNET_PIN, or a prompt on a terminal.\n"
	"Build time: $SOURCE_DATE_EPOCH (decimal seconds) when set, else now.\n";

enum { O_KEY = 256, O_VERSION, O_COUNTER, O_HWID, O_LOAD, O_FORMAT, O_PAD, O_DIGEST, O_MODULE, O_SBOM,
       O_CERT, O_MAX_SPAN,
       O_PREPARE, O_COMPLETE, O_PUBKEY, O_SIGNATURE, O_SIGFORMAT, O_FORMAT_IMG,
       O_HDRSIZE, O_PADHDR, O_SLOT, O_ALIGN, O_PADSLOT, O_CONFIRM, O_LEDGER, O_LEDGER_KEY, O_JSON };

static const struct option options[] = {
	{ "key", required_argument, NULL, O_KEY },
	{ "version", required_argument, NULL, O_VERSION },
	{ "security-counter", required_argument, NULL, O_COUNTER },
	{ "hw-id", required_argument, NULL, O_HWID },
	{ "load-addr", required_argument, NULL, O_LOAD },
	{ "input-format", required_argument, NULL, O_FORMAT },
	{ "pad-byte", required_argument, NULL, O_PAD },
	{ "max-span", required_argument, NULL, O_MAX_SPAN },
	{ "digest", required_argument, NULL, O_DIGEST },
	{ "module", required_argument, NULL, O_MODULE },
	{ "sbom", required_argument, NULL, O_SBOM },
	{ "cert", required_argument, NULL, O_CERT },
	{ "format", required_argument, NULL, O_FORMAT_IMG },
	{ "header-size", required_argument, NULL, O_HDRSIZE },
	{ "pad-header", no_argument, NULL, O_PADHDR },
	{ "slot-size", required_argument, NULL, O_SLOT },
	{ "align", required_argument, NULL, O_ALIGN },
	{ "pad", no_argument, NULL, O_PADSLOT },
	{ "confirm", no_argument, NULL, O_CONFIRM },
	{ "prepare", no_argument, NULL, O_PREPARE },
	{ "complete", required_argument, NULL, O_COMPLETE },
	{ "pubkey", required_argument, NULL, O_PUBKEY },
	{ "signature", required_argument, NULL, O_SIGNATURE },
	{ "signature-format", required_argument, NULL, O_SIGFORMAT },
	{ "ledger", required_argument, NULL, O_LEDGER },
	{ "ledger-key", required_argument, NULL, O_LEDGER_KEY },
	{ "json", no_argument, NULL, O_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Options of the two-step modes, the ledger and --json, which do not go
 * into sg_sign_opts. */
struct twostep {
	bool prepare;
	const char *complete, *pubkey, *signature;
	bool raw;
	bool sigformat_given;
	const char *ledger, *ledger_key;
	bool json;
};

static int parse_twostep(int c, struct twostep *t)
{
	switch (c) {
	case O_PREPARE:
		t->prepare = true;
		return SG_OK;
	case O_COMPLETE:
		t->complete = optarg;
		return SG_OK;
	case O_PUBKEY:
		t->pubkey = optarg;
		return SG_OK;
	case O_SIGNATURE:
		t->signature = optarg;
		return SG_OK;
	case O_LEDGER:
		t->ledger = optarg;
		return SG_OK;
	case O_LEDGER_KEY:
		t->ledger_key = optarg;
		return SG_OK;
	case O_JSON:
		t->json = true;
		return SG_OK;
	case O_SIGFORMAT:
		if (strcmp(optarg, "der") && strcmp(optarg, "raw"))
			return cli_usage_error("sign", "--signature-format '%s': use der or raw",
					       optarg);
		t->raw = !strcmp(optarg, "raw");
		t->sigformat_given = true;
		return SG_OK;
	default:
		return -1; /* not a two-step option */
	}
}

/* Options of --format mcuboot, straight into o->format and o->mcuboot;
 * *any: an MCUboot-only option was given. */
static int parse_mcuboot(int c, struct sg_sign_opts *o, bool *any)
{
	struct sg_mcuboot_layout *m = &o->mcuboot;
	uint64_t v;
	int rc = SG_OK;
	switch (c) {
	case O_FORMAT_IMG:
		if (strcmp(optarg, "signet") && strcmp(optarg, "mcuboot"))
			return cli_usage_error("sign", "--format '%s': use signet or mcuboot", optarg);
		o->format = strcmp(optarg, "mcuboot") ? SG_SIGN_SIGNET : SG_SIGN_MCUBOOT;
		return SG_OK;
	case O_HDRSIZE:
		rc = cli_parse_u64_hex("sign", "--header-size", optarg, 65535, &v);
		m->header_size = (uint32_t)v;
		break;
	case O_PADHDR:
		m->pad_header = true;
		break;
	case O_SLOT:
		rc = cli_parse_u64_hex("sign", "--slot-size", optarg, UINT32_MAX, &v);
		m->slot_size = (uint32_t)v;
		break;
	case O_ALIGN:
		rc = cli_parse_u64("sign", "--align", optarg, 32, &v);
		m->align = (uint32_t)v;
		break;
	case O_PADSLOT:
		m->pad_slot = true;
		break;
	case O_CONFIRM:
		m->confirm = true;
		break;
	default:
		return -1; /* not an MCUboot option */
	}
	*any = true;
	return rc;
}

/* The usage errors of each format, before any file or token is opened. */
static int check_format(const struct sg_sign_opts *o, bool mcuboot_any, bool prepare)
{
	if (o->format == SG_SIGN_SIGNET) {
		if (mcuboot_any)
			return cli_usage_error("sign", "--header-size, --slot-size, --align, --pad, "
						       "--pad-header and --confirm need --format mcuboot");
		return SG_OK;
	}
	if (!prepare && o->nkeys != 1)
		return cli_usage_error("sign", "an MCUboot image takes exactly one --key");
	if (o->hw_id || o->sbom_path || o->digest_alg || o->ncerts)
		return cli_usage_error("sign", "--hw-id, --sbom, --digest and --cert are for signet "
					       "envelopes");
	if (!o->mcuboot.header_size)
		return cli_usage_error("sign", "--format mcuboot needs --header-size");
	if (o->has_load_addr && o->load_addr > UINT32_MAX)
		return cli_usage_error("sign", "--load-addr must fit 32 bits for MCUboot");
	return SG_OK;
}

/* What was made, one line on stderr. */
static void report(const struct sg_sign_opts *o, const struct sg_sign_result *r)
{
	const char *what = o->format == SG_SIGN_MCUBOOT ? " (MCUboot image)" : "";
	if (o->prepare_pubkey)
		fprintf(stderr,
			"signet: prepared signing request %s%s for %s; 'signet inspect %s' says "
			"what to sign\n",
			o->out_path, what, o->prepare_pubkey, o->out_path);
	else if (o->format == SG_SIGN_MCUBOOT)
		fprintf(stderr, "signet: signed %s -> %s%s\n", o->in_path, o->out_path, what);
	else
		fprintf(stderr, "signet: signed %s -> %s (%llu-byte payload, %zu signature%s)\n",
			o->in_path, o->out_path, (unsigned long long)r->payload_size, r->nsigs,
			r->nsigs == 1 ? "" : "s");
}

/* Refuses an OUT that is one of the files this run reads (the same device
 * and inode, so also through a hard or symbolic link): the atomic rename
 * would replace that input with the output, e.g. 'sign fw.bin fw.bin'. An
 * OUT that does not exist yet is no input. */
static int refuse_output_is_input(const char *out, const struct sg_sign_opts *o,
				  const struct twostep *t)
{
	const char *in[5 + SG_SIGN_MAX_KEYS] = { o->in_path, o->sbom_path, t->pubkey, t->complete,
						 t->signature };
	memcpy(in + 5, o->cert_paths, o->ncerts * sizeof(in[0]));
	struct stat so, si;
	if (stat(out, &so) != 0)
		return SG_OK;
	for (size_t i = 0; i < 5 + o->ncerts; i++)
		if (in[i] && stat(in[i], &si) == 0 && si.st_dev == so.st_dev &&
		    si.st_ino == so.st_ino) {
			struct sg_err err;
			sg_errf(&err, SG_EINPUT, "%s: output is the same file as the input %s", out,
				in[i]);
			return cli_report(&err);
		}
	return SG_OK;
}

/* What sign will publish, for the ledger, checked before anything is
 * recorded, so that a run refused for a bad key, input or SBOM appends
 * nothing: each key is opened (its public half names it in the record),
 * the input, the SBOM and the certificate chains are read and validated as
 * sg_sign_file will. */
static int release_checks(const struct sg_sign_opts *o, struct sg_hsm_ctx *hsm,
			  struct wire_release *rel)
{
	struct sg_err err;
	struct sg_input in;
	struct sg_sbom sbom;
	rel->mcuboot = o->format == SG_SIGN_MCUBOOT;
	rel->version = &o->version;
	rel->hw_id = o->hw_id;
	for (size_t i = 0; i < o->nkeys; i++) {
		struct sg_hsm_key *key;
		if (sg_hsm_key_open(hsm, o->key_uris[i], &key, &err))
			return cli_report(&err);
		if (!(rel->pkeys[rel->npkeys] = sg_hsm_key_pkey(key)))
			return sg_errf(&err, SG_EENV, "out of memory"), cli_report(&err);
		rel->npkeys++;
	}
	if (o->sbom_path && sg_sbom_load(o->sbom_path, &sbom, &err))
		return cli_report(&err);
	int rc = wire_check_chains(o->cert_paths, o->ncerts, rel->pkeys, rel->npkeys);
	if (rc)
		return rc;
	if (sg_input_open(&in, o->in_path, o->in_format, o->pad, o->max_span, &err))
		return cli_report(&err);
	sg_input_close(&in);
	return SG_OK;
}

/* What --complete will publish, for the ledger: the request's format and
 * version and the key that signed (checked before anything is recorded). */
static int complete_release(const struct twostep *t, struct wire_release *rel,
			    struct sg_version *v)
{
	struct sg_err err;
	int alg;
	uint8_t key_id[SGE_KEY_ID_SIZE];
	struct sg_request_info *ri = malloc(sizeof *ri);
	int rc = ri ? sg_request_load(t->complete, ri, &err) : sg_errf(&err, SG_EENV, "out of memory");
	if (!rc && !(rc = sg_pubkey_load(t->pubkey, &rel->pkeys[0], &alg, key_id, &err)))
		rel->npkeys = 1;
	if (!rc && memcmp(key_id, ri->r.key_id, sizeof key_id))
		rc = sg_errf(&err, SG_FAIL, "%s: not the key %s was prepared for", t->pubkey,
			     t->complete);
	if (!rc) {
		rel->mcuboot = ri->r.image_format == SG_REQ_FORMAT_MCUBOOT;
		const struct sg_mcuboot_header *h = &ri->mcu.info.hdr;
		const struct sgv_envelope *e = &ri->env;
		*v = rel->mcuboot ? (struct sg_version){ h->ver_major, h->ver_minor, h->ver_revision,
							 h->ver_build }
				  : (struct sg_version){ e->ver_major, e->ver_minor, e->ver_patch,
							 e->ver_build };
		rel->version = v;
	}
	free(ri);
	return rc ? cli_report(&err) : SG_OK;
}

/* --complete --json: OUT as published, signed by PUB.pem's key. */
static int complete_json(const char *pubkey, const char *out, const struct wire *w)
{
	struct sg_err err;
	struct jo_key key;
	if (jo_key_file(pubkey, &key, &err))
		return cli_report(&err);
	int rc = jo_print_signed("sign --complete", out, &key, 1, w);
	jo_keys_close(&key, 1);
	return rc;
}

static int run_complete(const struct twostep *t, const struct sg_sign_opts *o,
			const char *module, int argc, char **argv)
{
	if (!t->signature || !t->pubkey)
		return cli_usage_error("sign", "--complete needs --signature and --pubkey");
	if (argc - optind != 1)
		return cli_usage_error("sign", "--complete expects one OUT");
	int rc = refuse_output_is_input(argv[optind], o, t);
	if (rc)
		return rc;
	const char *cert = o->ncerts ? o->cert_paths[0] : NULL;
	struct sg_err err = { 0 };
	struct wire w;
	struct wire_release rel = { .out = argv[optind] };
	struct sg_version v;
	rc = wire_open(&w, "sign", t->ledger, t->ledger_key);
	/* The token only cuts the checkpoint (--ledger-key). */
	struct sg_hsm_ctx *hsm = !rc && w.key_uri ? cli_hsm_ctx_new(module) : NULL;
	if (!rc && w.l && !(rc = wire_check_key(&w, hsm)))
		rc = complete_release(t, &rel, &v);
	if (!rc)
		rc = wire_release_started(&w, &rel);
	if (!rc && sg_sign_complete(t->complete, t->signature, t->raw, t->pubkey, cert,
				    argv[optind], &err))
		rc = cli_report(&err);
	if (!rc) {
		fprintf(stderr, "signet: completed %s -> %s (signature checked with %s)\n",
			t->complete, argv[optind], t->pubkey);
		rc = wire_release_signed(&w, &rel, hsm);
	}
	if (!rc && t->json)
		rc = complete_json(t->pubkey, argv[optind], &w);
	sg_hsm_ctx_free(hsm);
	wire_release_clear(&rel);
	wire_close(&w);
	return rc;
}

/* --json, after OUT is published (and recorded): what it holds. */
static int print_json(const struct sg_sign_opts *o, struct sg_hsm_ctx *hsm, const struct wire *w)
{
	struct sg_err err;
	if (o->prepare_pubkey) {
		json_t *j = jo_request_file(o->out_path, o->prepare_pubkey, &err);
		return !j || jo_print(j, &err) ? cli_report(&err) : SG_OK;
	}
	struct jo_key keys[SG_SIGN_MAX_KEYS];
	int rc = jo_keys_open(hsm, o->key_uris, o->nkeys, keys, &err) ? cli_report(&err) : SG_OK;
	if (!rc)
		rc = jo_print_signed("sign", o->out_path, keys, o->nkeys, w);
	jo_keys_close(keys, o->nkeys);
	return rc;
}

static int parse_option(int c, struct sg_sign_opts *o, const char **version, const char **module)
{
	uint64_t v;
	int rc = SG_OK;
	switch (c) {
	case O_KEY:
		if (o->nkeys == SG_SIGN_MAX_KEYS)
			return cli_usage_error("sign", "at most %d --key options", SG_SIGN_MAX_KEYS);
		o->key_uris[o->nkeys++] = optarg;
		break;
	case O_VERSION:
		*version = optarg;
		break;
	case O_COUNTER:
		rc = cli_parse_u64("sign", "--security-counter", optarg, UINT32_MAX, &v);
		o->has_counter = true;
		o->security_counter = (uint32_t)v;
		break;
	case O_HWID:
		o->hw_id = optarg;
		break;
	case O_LOAD:
		rc = cli_parse_u64_hex("sign", "--load-addr", optarg, UINT64_MAX, &o->load_addr);
		o->has_load_addr = true;
		break;
	case O_FORMAT: {
		int f = sg_input_format_parse(optarg);
		if (f < 0)
			return cli_usage_error("sign", "--input-format '%s': unknown", optarg);
		o->in_format = (enum sg_input_format)f;
		break;
	}
	case O_PAD:
		rc = cli_parse_u64_hex("sign", "--pad-byte", optarg, 255, &v);
		o->pad = (uint8_t)v;
		break;
	case O_MAX_SPAN:
		rc = cli_parse_u64_hex("sign", "--max-span", optarg, UINT64_MAX, &o->max_span);
		if (!rc && o->max_span == 0)
			return cli_usage_error("sign", "--max-span must be at least 1");
		break;
	case O_DIGEST:
		if (!strcmp(optarg, "sha256"))
			o->digest_alg = SGE_DIGEST_SHA256;
		else if (!strcmp(optarg, "sha384"))
			o->digest_alg = SGE_DIGEST_SHA384;
		else
			return cli_usage_error("sign", "--digest '%s': use sha256 or sha384", optarg);
		break;
	case O_MODULE:
		*module = optarg;
		break;
	case O_SBOM:
		o->sbom_path = optarg;
		break;
	case O_CERT:
		if (o->ncerts == SG_SIGN_MAX_KEYS)
			return cli_usage_error("sign", "at most %d --cert options", SG_SIGN_MAX_KEYS);
		o->cert_paths[o->ncerts++] = optarg;
		break;
	default:
		return cli_usage_error("sign", "bad option");
	}
	return rc;
}

int cmd_sign(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		return SG_OK;
	}
	struct sg_sign_opts o;
	memset(&o, 0, sizeof(o));
	o.pad = 0xff;
	const char *version = NULL, *module = NULL;
	struct twostep t = { 0 };
	bool mcuboot_any = false;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c == '?')
			return cli_usage_error("sign", "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		int rc = parse_twostep(c, &t);
		if (rc < 0)
			rc = parse_mcuboot(c, &o, &mcuboot_any);
		if (rc < 0)
			rc = parse_option(c, &o, &version, &module);
		if (rc)
			return rc;
	}
	if (t.complete) {
		if (t.prepare || o.nkeys || version || o.ncerts > 1 || o.format != SG_SIGN_SIGNET ||
		    mcuboot_any)
			return cli_usage_error("sign", "--complete takes only --signature, "
						       "--signature-format, --pubkey, one --cert and "
						       "--ledger");
		return run_complete(&t, &o, module, argc, argv);
	}
	if (t.signature || t.sigformat_given)
		return cli_usage_error("sign", "--signature goes with --complete");
	if (t.prepare && (!t.pubkey || o.nkeys))
		return cli_usage_error("sign", "--prepare needs --pubkey and no --key");
	if (t.prepare && o.ncerts)
		return cli_usage_error("sign", "--cert goes with --complete, not --prepare (the chain "
					       "is not signed)");
	if (!t.prepare && t.pubkey)
		return cli_usage_error("sign", "--pubkey goes with --prepare or --complete");
	if (t.prepare && t.ledger)
		return cli_usage_error("sign", "--ledger records releases: a --prepare request is "
					       "none (record its --complete)");
	o.prepare_pubkey = t.prepare ? t.pubkey : NULL;
	if (argc - optind != 2)
		return cli_usage_error("sign", "expected IN and OUT");
	if (!o.nkeys && !o.prepare_pubkey)
		return cli_usage_error("sign", "--key is required");
	if (!version)
		return cli_usage_error("sign", "--version is required");
	struct sg_err err = { 0 };
	if (sg_version_parse(version, &o.version, &err))
		return cli_report(&err);
	o.in_path = argv[optind];
	o.out_path = argv[optind + 1];
	int rc = refuse_output_is_input(o.out_path, &o, &t);
	if (rc)
		return rc;
	if ((rc = check_format(&o, mcuboot_any, t.prepare)))
		return rc;

	struct sg_hsm_ctx *hsm = cli_hsm_ctx_new(module);
	if (!hsm)
		return sg_errf(&err, SG_EENV, "out of memory"), cli_report(&err);
	struct wire w;
	struct wire_release rel = { .out = o.out_path };
	rc = wire_open(&w, "sign", t.ledger, t.ledger_key);
	if (!rc && w.l && !(rc = wire_check_key(&w, hsm)))
		rc = release_checks(&o, hsm, &rel);
	if (!rc)
		rc = wire_release_started(&w, &rel);
	struct sg_sign_result r;
	if (!rc && sg_sign_file(&o, hsm, &r, &err))
		rc = cli_report(&err);
	if (!rc) {
		report(&o, &r);
		rc = wire_release_signed(&w, &rel, hsm);
	}
	if (!rc && t.json)
		rc = print_json(&o, hsm, &w);
	wire_release_clear(&rel);
	wire_close(&w);
	sg_hsm_ctx_free(hsm);
	return rc;
}
