/* signet inspect on a signing request: what is signed, by which key, and
 * the exact command that signs it offline. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "atomic_file.h"
#include "cli.h"
#include "envelope.h"
#include "fileio.h"
#include "request.h"
#include "sign.h"
#include "verifier.h"

bool cli_is_request(const char *path)
{
	uint8_t magic[8];
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return false;
	size_t n = fread(magic, 1, sizeof(magic), fp);
	fclose(fp);
	return sg_request_detect(magic, n);
}

/* The offline signer's command for each algorithm: openssl pkeyutl on the
 * bytes --tbs-out writes. */
static const char *sign_command(int alg)
{
	switch (alg) {
	case SGE_SIG_ED25519:
		return "openssl pkeyutl -sign -rawin -inkey KEY.pem -in TBS -out SIG";
	case SGE_SIG_RSA_PSS_SHA256:
		return "openssl pkeyutl -sign -inkey KEY.pem -in TBS -out SIG -pkeyopt digest:sha256 "
		       "-pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32";
	default:
		return "openssl pkeyutl -sign -inkey KEY.pem -in TBS -out SIG";
	}
}

static int write_tbs(const char *out, const struct sg_request *r, const struct sgv_envelope *e,
		     struct sg_err *err)
{
	if (r->alg == SGE_SIG_ED25519)
		return sg_write_file_atomic(out, e->msg, e->msg_len, err);
	return sg_write_file_atomic(out, r->tbs_digest, sg_request_digest_len(r->alg), err);
}

static void print_json(const char *path, const struct sg_request *r, const struct sgv_envelope *e)
{
	fputs("{\"file\":", stdout);
	json_str(stdout, path);
	fprintf(stdout, ",\"kind\":\"signing-request\",\"request_version\":%d,"
			"\"image_format\":\"signet\",\"algorithm\":\"%s\",\"key_id\":",
		SG_REQ_VERSION, sg_sig_alg_name(r->alg));
	json_hex(stdout, r->key_id, SGE_KEY_ID_SIZE);
	fprintf(stdout, ",\"signed_bytes\":%u,\"signed_digest\":", r->tbs_len);
	json_hex(stdout, r->tbs_digest, sg_request_digest_len(r->alg));
	fputs(",\"sign_command\":", stdout);
	json_str(stdout, sign_command(r->alg));
	fputs(",\"envelope\":{", stdout);
	cli_envelope_json(stdout, e);
	fputs("}}\n", stdout);
}

static void print_text(const char *path, const struct sg_request *r, const struct sgv_envelope *e)
{
	char hex[2 * SGE_DIGEST_MAX + 1];
	unsigned dlen = sg_request_digest_len(r->alg);
	printf("file:             %s\n", path);
	printf("kind:             signet signing request, version %d, for a signet envelope\n",
	       SG_REQ_VERSION);
	printf("algorithm:        %s\n", sg_sig_alg_name(r->alg));
	printf("signer key id:    %s\n", sg_hex(r->key_id, SGE_KEY_ID_SIZE, hex));
	printf("signed message:   %u bytes (the envelope header and protected metadata),\n"
	       "                  %s %s\n",
	       r->tbs_len, dlen == 48 ? "sha384" : "sha256", sg_hex(r->tbs_digest, dlen, hex));
	printf("payload:          %" PRIu64 " bytes, digest checked\n", e->payload_size);
	cli_envelope_text(e);
	printf("\nTo sign offline: write the bytes to sign with\n"
	       "  signet inspect --tbs-out TBS %s\n"
	       "(%s), sign them where the key is, e.g.\n  %s\n"
	       "then finish with\n"
	       "  signet sign --complete %s --signature SIG --pubkey PUB.pem OUT\n",
	       path,
	       r->alg == SGE_SIG_ED25519 ? "the message itself: Ed25519 signs it whole"
					 : "its digest",
	       sign_command(r->alg), path);
	if (r->alg <= SGE_SIG_ECDSA_P384_SHA384)
		printf("(a raw r||s ECDSA signature, as from pkcs11-tool, needs "
		       "--signature-format raw)\n");
}

int cli_inspect_request(const char *path, bool json, const char *tbs_out)
{
	static struct sgv_envelope e;
	struct sg_request r;
	struct sg_err err = { 0 };
	if (sg_request_load(path, &r, &e, &err))
		return cli_report(&err);
	if (tbs_out && write_tbs(tbs_out, &r, &e, &err))
		return cli_report(&err);
	if (json)
		print_json(path, &r, &e);
	else
		print_text(path, &r, &e);
	return SG_OK;
}
