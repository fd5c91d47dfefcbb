/* signet verify: exit 0 only if the envelope is valid under the policy. */
#include <getopt.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "signet/chain.h"
#include "cli.h"
#include "signet/fileio.h"
#include "signet/pki.h"
#include "signet/verify.h"

static const char usage_text[] =
	"usage: signet verify (--trust PUB.pem | --trust-root ROOT.pem)...\n"
	"                     [--crl CA.crl]... [--threshold M] [--hw-id ID]\n"
	"                     [--min-security-counter N] [--sbom BOM.json]\n"
	"                     [--format auto|signet|mcuboot] [--json] FILE\n"
	"\n"
	"Verifies a signet envelope: structure, payload digest, signatures by trusted\n"
	"keys, and the policy. Valid only if at least M distinct trusted keys signed\n"
	"(default 1); signatures by untrusted keys are ignored; two signatures by one\n"
	"key count once.\n"
	"\n"
	"  --trust PUB.pem            trusted public key (SubjectPublicKeyInfo, PEM or\n"
	"                             DER); repeatable, and combines with --trust-root\n"
	"  --trust-root ROOT.pem      trusted root certificate (PEM or DER), repeatable:\n"
	"                             a key certified by one of the envelope's\n"
	"                             certificate chains (sign --cert, cosign --cert) is\n"
	"                             trusted when its chain leads to this root, the leaf\n"
	"                             fits the code-signing profile and every certificate\n"
	"                             was valid at the envelope's BUILD_TIME; a chain\n"
	"                             that fails makes the envelope invalid\n"
	"  --crl CA.crl               with --trust-root, repeatable: refuse a revoked\n"
	"                             leaf (its issuer's CRL must be given) or CA (when\n"
	"                             its issuer's CRL is given); taken as current,\n"
	"                             revocation counts whenever the release was built\n"
	"  --threshold M              distinct trusted signers required (default 1)\n"
	"  --hw-id ID                 require this hardware / device-class id\n"
	"  --min-security-counter N   require a security counter >= N\n"
	"  --sbom BOM.json            require that this SBOM is the one bound in FILE\n"
	"  --format F                 auto (default: by magic), signet or mcuboot; an\n"
	"                             MCUboot image is valid when its digest matches, a\n"
	"                             trusted key signed it and no trusted signature\n"
	"                             fails (--threshold, --hw-id, --sbom do not apply)\n"
	"  --json                     machine-readable result on stdout, naming each\n"
	"                             signature and whether it counted\n"
	"\n"
	"Exit codes: 0 ok (valid); 1 verification or policy failure (digest,\n"
	"signatures, chains, policy); 2 usage error or malformed input (envelope,\n"
	"key or certificate file); 3 HSM, device, I/O or environment failure.\n";

enum { O_TRUST = 256, O_THRESHOLD, O_HWID, O_MINCOUNTER, O_JSON, O_SBOM, O_FORMAT, O_ROOT,
       O_CRL };

static const struct option options[] = {
	{ "trust", required_argument, NULL, O_TRUST },
	{ "threshold", required_argument, NULL, O_THRESHOLD },
	{ "hw-id", required_argument, NULL, O_HWID },
	{ "min-security-counter", required_argument, NULL, O_MINCOUNTER },
	{ "json", no_argument, NULL, O_JSON },
	{ "sbom", required_argument, NULL, O_SBOM },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "trust-root", required_argument, NULL, O_ROOT },
	{ "crl", required_argument, NULL, O_CRL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char *sig_status_name(int st)
{
	switch (st) {
	case SGV_SIG_VALID:
		return "valid";
	case SGV_SIG_INVALID:
		return "invalid";
	case SGV_SIG_UNTRUSTED:
		return "untrusted-key";
	case SGV_SIG_DUPLICATE:
		return "duplicate-signer";
	default:
		return "unchecked";
	}
}

static const struct sg_trust_key *trusted_key(const struct sg_trust *t,
					      const struct sgv_signature *s)
{
	for (size_t i = 0; i < t->n; i++)
		if (!memcmp(t->keys[i].key_id, s->key_id, SGE_KEY_ID_SIZE))
			return &t->keys[i];
	return NULL;
}

/* --trust-root and --crl files, loaded as given. */
struct roots {
	STACK_OF(X509) *certs;
	STACK_OF(X509_CRL) *crls;
};

static int add_root(struct roots *r, const char *path, struct sg_err *err)
{
	X509 *x = NULL;
	int rc = sg_pki_load_cert(path, &x, err);
	if (!rc && !sk_X509_push(r->certs, x)) {
		X509_free(x);
		rc = sg_errf(err, SG_EENV, "out of memory");
	}
	return rc;
}

static int add_crl(struct roots *r, const char *path, struct sg_err *err)
{
	return sg_pki_load_crl(path, r->crls, err);
}

static void print_json(const char *path, int rc, const struct sg_err *err,
		       const struct sgv_envelope *e, const struct sg_trust *t,
		       const struct sg_verify_policy *p)
{
	char reason[sizeof err->msg + 256];
	fputs("{\"file\":", stdout);
	json_str(stdout, path);
	fprintf(stdout, ",\"valid\":%s,\"exit_code\":%d,\"reason\":", rc ? "false" : "true", rc);
	if (rc)
		json_str(stdout, cli_err_text(err, reason, sizeof reason));
	else
		fputs("null", stdout);
	fprintf(stdout, ",\"threshold\":%u,\"valid_signers\":%u,",
		p->threshold ? p->threshold : 1, e->valid_signers);
	if (e->digest_len) /* the envelope parsed far enough to have fields */
		cli_envelope_json(stdout, e);
	else
		fputs("\"format\":null", stdout);
	fputs(",\"signatures\":[", stdout);
	for (unsigned i = 0; i < e->nsigs; i++) {
		const struct sgv_signature *s = &e->sigs[i];
		if (i)
			fputc(',', stdout);
		cli_signature_json(stdout, s, i + 1);
		fprintf(stdout, ",\"status\":\"%s\",\"counted\":%s,\"trusted_key\":",
			sig_status_name(s->status), s->status == SGV_SIG_VALID ? "true" : "false");
		const struct sg_trust_key *k = trusted_key(t, s);
		if (k)
			json_str(stdout, k->path);
		else
			fputs("null", stdout);
		fprintf(stdout, ",\"trusted_via\":%s",
			!k ? "null" : k->from_chain ? "\"chain\"" : "\"trust\"");
		fputc('}', stdout);
	}
	fputs("]}\n", stdout);
}

static void roots_free(struct roots *r)
{
	sk_X509_pop_free(r->certs, X509_free);
	sk_X509_CRL_pop_free(r->crls, X509_CRL_free);
}

/* --trust-root: the envelope's chain, if good, adds its leaf to trust. */
static int trust_chain(const char *path, struct sg_trust *trust, const struct roots *r,
		       struct sgv_envelope *e, struct sg_err *err)
{
	struct sg_chain_trust ct = { r->certs, r->crls };
	int rc = sg_trust_add_chain(trust, path, &ct, err);
	if (rc) {
		struct sg_err ignored = { 0 };
		sg_envelope_load(path, e, &ignored); /* fields for --json, if it parses */
	}
	return rc;
}

int cmd_verify(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		return SG_OK;
	}
	static struct sg_trust trust;
	static struct sgv_envelope e;
	struct roots roots = { sk_X509_new_null(), sk_X509_CRL_new_null() };
	struct sg_verify_policy p = { 0 };
	struct sg_err err = { 0 };
	bool json = false;
	const char *format = "auto";
	uint64_t v;
	int c, rc = SG_OK;
	opterr = 0;
	while (!rc && (c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case O_TRUST:
			if (sg_trust_add(&trust, optarg, &err))
				rc = cli_report(&err);
			break;
		case O_THRESHOLD:
			rc = cli_parse_u64("verify", "--threshold", optarg, SG_MAX_TRUST, &v);
			if (!rc && v == 0)
				rc = cli_usage_error("verify", "--threshold must be at least 1");
			p.threshold = (unsigned)v;
			break;
		case O_HWID:
			p.hw_id = optarg;
			break;
		case O_MINCOUNTER:
			rc = cli_parse_u64("verify", "--min-security-counter", optarg, UINT32_MAX, &v);
			p.min_counter = (uint32_t)v;
			break;
		case O_JSON:
			json = true;
			break;
		case O_SBOM:
			p.sbom_path = optarg;
			break;
		case O_ROOT:
			if (!roots.certs || add_root(&roots, optarg, &err))
				rc = cli_report(&err);
			break;
		case O_CRL:
			if (!roots.crls || add_crl(&roots, optarg, &err))
				rc = cli_report(&err);
			break;
		case O_FORMAT:
			format = optarg;
			if (strcmp(format, "auto") && strcmp(format, "signet") &&
			    strcmp(format, "mcuboot"))
				rc = cli_usage_error("verify", "--format '%s': use auto, signet or "
							       "mcuboot",
						     format);
			break;
		default:
			rc = cli_usage_error("verify", "unknown or incomplete option '%s'",
					     argv[optind - 1]);
		}
	}
	if (!rc && argc - optind != 1)
		rc = cli_usage_error("verify", "expected one FILE");
	size_t nroots = roots.certs ? (size_t)sk_X509_num(roots.certs) : 0;
	if (!rc && trust.n == 0 && nroots == 0)
		rc = cli_usage_error("verify", "at least one --trust key or --trust-root is required");
	if (!rc && sk_X509_CRL_num(roots.crls) > 0 && nroots == 0)
		rc = cli_usage_error("verify", "--crl goes with --trust-root");
	/* With --trust-root the envelope's chains add keys, up to one per
	 * signature: only the verification can tell whether enough signed. */
	if (!rc && !nroots && p.threshold > trust.n)
		rc = cli_usage_error("verify", "--threshold %u is more than the %zu trusted keys",
				     p.threshold, trust.n);
	if (rc) {
		sg_trust_free(&trust);
		roots_free(&roots);
		return rc;
	}
	const char *path = argv[optind];
	if (!strcmp(format, "mcuboot") || (!strcmp(format, "auto") && cli_is_mcuboot(path))) {
		if (p.threshold > 1 || p.hw_id || p.sbom_path || nroots)
			rc = cli_usage_error("verify", "--threshold, --hw-id, --sbom and --trust-root "
						       "are for signet envelopes");
		else
			rc = cli_verify_mcuboot(path, &trust, p.min_counter, json);
		sg_trust_free(&trust);
		roots_free(&roots);
		return rc;
	}
	rc = nroots ? trust_chain(path, &trust, &roots, &e, &err) : SG_OK;
	if (!rc)
		rc = sg_verify_file(path, &trust, &p, &e, &err);
	if (json)
		print_json(path, rc, &err, &e, &trust, &p);
	if (rc)
		cli_report(&err);
	else if (!json)
		fprintf(stderr, "signet: %s: valid (%u trusted signer%s)\n", path, e.valid_signers,
			e.valid_signers == 1 ? "" : "s");
	sg_trust_free(&trust);
	roots_free(&roots);
	return rc;
}
