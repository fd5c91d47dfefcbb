/* signet inspect: every field of an envelope, for humans or machines. The
 * field printers, shared with signet verify --json and the signing request
 * view, are cli/inspect_print.c's. */
#include <inttypes.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

#include "signet/chain.h"
#include "cli.h"
#include "signet/envelope.h"
#include "signet/fileio.h"
#include "signet/pki.h"
#include "signet/verify.h"

static const char usage_text[] =
	"usage: signet inspect [--json] [--tbs-out F] FILE\n"
	"\n"
	"Shows every field of a signet envelope or an MCUboot image (by magic): sizes,\n"
	"version, security counter, hardware id, load address, payload digest, build\n"
	"time, SBOM binding, each signature's algorithm and key id, and the certificate\n"
	"chains (signet sign --cert, cosign --cert: subject, issuer, serial and validity\n"
	"of each certificate). Checks the structure, not the signatures (use 'signet\n"
	"verify' for that). Exit 2 if FILE is not a well-formed envelope. A well-framed\n"
	"certificate chain whose certificates are not X.509 is shown as unusable (exit\n"
	"0: verify --trust-root refuses it, exit 1).\n"
	"\n"
	"For a signing request (signet sign --prepare), shows what is to be signed, by\n"
	"which key, and how; --tbs-out F writes the bytes to give the offline signer\n"
	"(the digest for ECDSA and RSA-PSS, the message itself for Ed25519; for an\n"
	"MCUboot image's request, the image digest with every algorithm).\n";

/* ---- the CERT_CHAIN field (shown, not checked: signet verify does that) */

static void name_str(X509_NAME *n, char *out, size_t len)
{
	out[0] = 0;
	BIO *b = BIO_new(BIO_s_mem());
	if (b && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0) {
		int r = BIO_read(b, out, (int)len - 1);
		out[r > 0 ? r : 0] = 0;
	}
	BIO_free(b);
}

static uint64_t cert_time(const ASN1_TIME *t)
{
	struct tm tm;
	if (!ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (uint64_t)timegm(&tm);
}

struct cert_fields {
	char subject[512], issuer[512], serial[64], from[32], to[32];
	uint64_t not_before, not_after;
};

static void cert_fields(X509 *x, struct cert_fields *f)
{
	name_str(X509_get_subject_name(x), f->subject, sizeof(f->subject));
	name_str(X509_get_issuer_name(x), f->issuer, sizeof(f->issuer));
	sg_pki_serial_hex(X509_get0_serialNumber(x), f->serial, sizeof(f->serial));
	f->not_before = cert_time(X509_get0_notBefore(x));
	f->not_after = cert_time(X509_get0_notAfter(x));
	cli_utc(f->not_before, f->from, false);
	cli_utc(f->not_after, f->to, false);
}

/* Chain i of n; "certificate chain:" alone when it is the only one. */
static void chain_text(FILE *out, const char *path, STACK_OF(X509) *chain,
		       const struct sg_err *why, int i, int n)
{
	char hex[2 * SGE_KEY_ID_SIZE + 1];
	uint8_t key_id[SGE_KEY_ID_SIZE];
	if (n > 1)
		fprintf(out, "certificate chain %d of %d: ", i + 1, n);
	else
		fprintf(out, "certificate chain: ");
	if (!chain) { /* why says "PATH: certificate chain I: REASON" */
		size_t skip = strlen(path) + 2;
		fprintf(out, "unusable: %s\n", strlen(why->msg) > skip ? why->msg + skip : why->msg);
		return;
	}
	fprintf(out, "%d certificate%s", sk_X509_num(chain), sk_X509_num(chain) == 1 ? "" : "s");
	if (!sg_chain_key_id(sk_X509_value(chain, 0), key_id))
		fprintf(out, ", leaf key id %s", sg_hex(key_id, SGE_KEY_ID_SIZE, hex));
	fputc('\n', out);
	for (int j = 0; j < sk_X509_num(chain); j++) {
		static struct cert_fields f;
		cert_fields(sk_X509_value(chain, j), &f);
		fprintf(out, "  [%d] subject %s\n      issuer  %s\n      serial  %s\n"
			"      valid   %s to %s\n",
			j + 1, f.subject, f.issuer, f.serial, f.from, f.to);
	}
}

static void chain_json(FILE *out, STACK_OF(X509) *chain, const struct sg_err *why)
{
	uint8_t key_id[SGE_KEY_ID_SIZE];
	if (!chain) {
		fputs("{\"leaf_key_id\":null,\"certificates\":null,\"error\":", out);
		json_str(out, why->msg);
		fputc('}', out);
		return;
	}
	fputs("{\"leaf_key_id\":", out);
	if (!sg_chain_key_id(sk_X509_value(chain, 0), key_id))
		json_hex(out, key_id, SGE_KEY_ID_SIZE);
	else
		fputs("null", out);
	fputs(",\"certificates\":[", out);
	for (int i = 0; i < sk_X509_num(chain); i++) {
		static struct cert_fields f;
		cert_fields(sk_X509_value(chain, i), &f);
		fputs(i ? ",{\"subject\":" : "{\"subject\":", out);
		json_str(out, f.subject);
		fputs(",\"issuer\":", out);
		json_str(out, f.issuer);
		fputs(",\"serial\":", out);
		json_str(out, f.serial);
		fprintf(out,
			",\"not_before\":%" PRIu64 ",\"not_before_utc\":\"%s\",\"not_after\":%" PRIu64
			",\"not_after_utc\":\"%s\"}",
			f.not_before, f.from, f.not_after, f.to);
	}
	fputs("],\"error\":null}", out);
}

/* Every chain of e, decoded before anything is printed. A chain whose
 * certificates are not X.509 is well-formed (§5: its framing is checked
 * with the envelope) and is shown with why[i] saying so. */
static int load_chains(const char *path, const struct sgv_envelope *e, STACK_OF(X509) **chains,
		       struct sg_err *why, struct sg_err *err)
{
	for (unsigned i = 0; i < e->nchains; i++) {
		int rc = sg_envelope_chain(path, e, i, &chains[i], &why[i]);
		if (rc && rc != SG_FAIL) {
			*err = why[i];
			return rc;
		}
	}
	return SG_OK;
}

static void free_chains(STACK_OF(X509) **chains, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sk_X509_pop_free(chains[i], X509_free);
}

static void print_text(FILE *out, const char *path, const struct sgv_envelope *e)
{
	char hex[2 * SGE_KEY_ID_SIZE + 1];
	fprintf(out, "file:             %s\n", path);
	fprintf(out, "format:           signet envelope, format version %d\n", SGE_FORMAT_VERSION);
	fprintf(out, "sizes:            header %d, protected %" PRIu32 ", payload %" PRIu64
		     ", signature area %" PRIu32 "\n",
		SGE_HEADER_SIZE, e->protected_size, e->payload_size, e->area_size);
	cli_envelope_text(out, e);
	fprintf(out, "signatures:       %u\n", e->nsigs);
	for (unsigned i = 0; i < e->nsigs; i++)
		fprintf(out, "  [%u] %-18s key id %s (%u bytes)\n", i + 1,
			sg_sig_alg_name(e->sigs[i].alg),
			sg_hex(e->sigs[i].key_id, SGE_KEY_ID_SIZE, hex), e->sigs[i].sig_len);
}

static void print_json(FILE *out, const char *path, const struct sgv_envelope *e,
		       STACK_OF(X509) *const *chains, const struct sg_err *why)
{
	fputs("{\"file\":", out);
	json_str(out, path);
	fputc(',', out);
	cli_envelope_json(out, e);
	fputs(",\"signatures\":[", out);
	for (unsigned i = 0; i < e->nsigs; i++) {
		if (i)
			fputc(',', out);
		cli_signature_json(out, &e->sigs[i], i + 1);
		fputc('}', out);
	}
	fputs("],\"certificate_chains\":[", out);
	for (unsigned i = 0; i < e->nchains; i++) {
		if (i)
			fputc(',', out);
		chain_json(out, chains[i], &why[i]);
	}
	fputs("]}\n", out);
}

static int inspect_envelope(const char *path, bool json, FILE *out, struct sg_err *err)
{
	static struct sgv_envelope e;
	STACK_OF(X509) *chains[SGE_MAX_SIGNATURES] = { NULL };
	static struct sg_err why[SGE_MAX_SIGNATURES];
	int rc = sg_envelope_load(path, &e, err);
	if (!rc)
		rc = load_chains(path, &e, chains, why, err);
	if (!rc && json) {
		print_json(out, path, &e, chains, why);
	} else if (!rc) {
		print_text(out, path, &e);
		for (unsigned i = 0; i < e.nchains; i++)
			chain_text(out, path, chains[i], &why[i], (int)i, e.nchains);
	}
	free_chains(chains, e.nchains);
	return rc;
}

int cli_inspect_file(const char *path, bool json, FILE *out, struct sg_err *err)
{
	if (cli_is_request(path))
		return cli_inspect_request(path, json, NULL, out, err);
	if (cli_is_mcuboot(path))
		return cli_inspect_mcuboot(path, json, out, err);
	return inspect_envelope(path, json, out, err);
}

int cmd_inspect(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		return SG_OK;
	}
	bool json = false;
	const char *path = NULL, *tbs_out = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--tbs-out") && i + 1 < argc)
			tbs_out = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error("inspect", "unknown option '%s'", argv[i]);
		else if (path)
			return cli_usage_error("inspect", "expected one FILE");
		else
			path = argv[i];
	}
	if (!path)
		return cli_usage_error("inspect", "expected FILE");
	if (tbs_out && !cli_is_request(path))
		return cli_usage_error("inspect", "--tbs-out applies to signing requests");
	struct sg_err err = { 0 };
	int rc = tbs_out ? cli_inspect_request(path, json, tbs_out, stdout, &err)
			 : cli_inspect_file(path, json, stdout, &err);
	return rc ? cli_report(&err) : SG_OK;
}
