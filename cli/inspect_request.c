/* signet inspect on a signing request (a signet envelope's or an MCUboot
 * image's): what is signed, by which key, and the exact command that signs
 * it offline. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "signet/atomic_file.h"
#include "cli.h"
#include "signet/envelope.h"
#include "signet/fileio.h"
#include "signet/mcuboot_sign.h"
#include "signet/request.h"
#include "signet/sign.h"
#include "signet/verifier.h"

bool cli_is_request(const char *path)
{
	uint8_t magic[8];
	return sg_request_detect(magic, cli_read_magic(path, magic, sizeof(magic)));
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

/* Format 1: the digest of M, or M itself for Ed25519. Format 2: always
 * the image digest D (Ed25519 signs D as its message, as imgtool does). */
static int write_tbs(const char *out, const struct sg_request_info *ri, struct sg_err *err)
{
	if (ri->r.image_format == SG_REQ_FORMAT_SIGNET && ri->r.alg == SGE_SIG_ED25519)
		return sg_write_file_atomic(out, ri->env.msg, ri->env.msg_len, err);
	return sg_write_file_atomic(out, ri->r.tbs_digest, sg_request_digest_len(ri->r.alg), err);
}

static const char *digest_name(const struct sg_request *r)
{
	return sg_request_digest_len(r->alg) == 48 ? "sha384" : "sha256";
}

static void mcuboot_version(const struct sg_mcuboot_header *h, char *out, size_t n)
{
	sg_version_str(h->ver_major, h->ver_minor, h->ver_revision, h->ver_build, true, out, n);
}

static void mcuboot_json(FILE *out, const struct sg_mcuboot_request *m)
{
	const struct sg_request_mcuboot *q = &m->params;
	const struct sg_mcuboot_header *h = &m->info.hdr;
	char ver[48];
	mcuboot_version(h, ver, sizeof(ver));
	fprintf(out, ",\"mcuboot\":{\"version\":\"%s\",\"header_size\":%u,\"image_size\":%" PRIu32
			",\"protected_tlv_size\":%u,\"hashed_size\":%" PRIu32 ",\"flags\":%" PRIu32
			",\"load_addr\":\"0x%08" PRIx32 "\",\"security_counter\":",
		ver, h->hdr_size, h->img_size, h->protect_tlv_size, q->hashed_size, h->flags,
		h->load_addr);
	if (m->info.has_counter)
		fprintf(out, "%" PRIu32, m->info.security_counter);
	else
		fputs("null", out);
	fprintf(out, ",\"digest\":{\"algorithm\":\"%s\",\"value\":",
		sg_mcuboot_digest_name(q->digest_type));
	json_hex(out, m->digest, sg_mcuboot_digest_len(q->digest_type));
	fprintf(out, "},\"slot_size\":%" PRIu32 ",\"align\":%u,\"max_align\":%u,"
			"\"max_sectors\":%" PRIu32 ",\"pad\":%s,\"confirm\":%s,\"erased_value\":%u}",
		q->slot_size, q->align, q->max_align, q->max_sectors,
		(q->flags & SG_REQ_MCUBOOT_F_PAD_SLOT) ? "true" : "false",
		(q->flags & SG_REQ_MCUBOOT_F_CONFIRM) ? "true" : "false",
		(q->flags & SG_REQ_MCUBOOT_F_ERASED_ZERO) ? 0u : 0xffu);
}

static void print_json(FILE *out, const char *path, const struct sg_request_info *ri)
{
	const struct sg_request *r = &ri->r;
	bool mcuboot = r->image_format == SG_REQ_FORMAT_MCUBOOT;
	fputs("{\"file\":", out);
	json_str(out, path);
	fprintf(out, ",\"kind\":\"signing-request\",\"request_version\":%d,"
			"\"image_format\":\"%s\",\"algorithm\":\"%s\",\"key_id\":",
		SG_REQ_VERSION, mcuboot ? "mcuboot" : "signet", sg_sig_alg_name(r->alg));
	json_hex(out, r->key_id, SGE_KEY_ID_SIZE);
	fprintf(out, ",\"signed_bytes\":%u,\"signed_digest\":", r->tbs_len);
	json_hex(out, r->tbs_digest, sg_request_digest_len(r->alg));
	fputs(",\"sign_command\":", out);
	json_str(out, sign_command(r->alg));
	if (mcuboot) {
		mcuboot_json(out, &ri->mcu);
	} else {
		fputs(",\"envelope\":{", out);
		cli_envelope_json(out, &ri->env);
		fputc('}', out);
	}
	fputs("}\n", out);
}

static void mcuboot_text(FILE *out, const struct sg_mcuboot_request *m)
{
	const struct sg_request_mcuboot *q = &m->params;
	const struct sg_mcuboot_header *h = &m->info.hdr;
	char ver[48];
	mcuboot_version(h, ver, sizeof(ver));
	fprintf(out, "version:          %s\n", ver);
	fprintf(out, "sizes:            header %u, image %" PRIu32 ", protected TLVs %u "
		     "(hashed region %" PRIu32 " bytes)\n",
		h->hdr_size, h->img_size, h->protect_tlv_size, q->hashed_size);
	fprintf(out, "flags:            0x%08" PRIx32 "%s\n", h->flags,
		(h->flags & SG_MCUBOOT_F_RAM_LOAD) ? " RAM_LOAD" : "");
	fprintf(out, "load address:     0x%08" PRIx32 "\n", h->load_addr);
	if (m->info.has_counter)
		fprintf(out, "security counter: %" PRIu32 "\n", m->info.security_counter);
	else
		fprintf(out, "security counter: none\n");
	if (q->slot_size)
		fprintf(out, "slot:             0x%" PRIx32 " bytes, ", q->slot_size);
	else
		fprintf(out, "slot:             size not given, ");
	fprintf(out, "align %u, max align %u, %" PRIu32 " sectors\n", q->align, q->max_align,
		q->max_sectors);
	fprintf(out, "finish:           TLVs (%s, KEYHASH, signature)%s%s, erased value 0x%02x\n",
		sg_mcuboot_tlv_name(q->digest_type),
		(q->flags & SG_REQ_MCUBOOT_F_PAD_SLOT) ? ", padded to the slot with trailer" : "",
		(q->flags & SG_REQ_MCUBOOT_F_CONFIRM) ? ", confirmed (image_ok)" : "",
		(q->flags & SG_REQ_MCUBOOT_F_ERASED_ZERO) ? 0u : 0xffu);
}

/* What is signed, in words, per format. */
static void signed_text(FILE *out, const struct sg_request_info *ri)
{
	char hex[2 * SGE_DIGEST_MAX + 1];
	const struct sg_request *r = &ri->r;
	unsigned dlen = sg_request_digest_len(r->alg);
	if (r->image_format == SG_REQ_FORMAT_MCUBOOT) {
		fprintf(out, "signed:           the MCUboot image digest, %s %s\n", digest_name(r),
			sg_hex(r->tbs_digest, dlen, hex));
		mcuboot_text(out, &ri->mcu);
		return;
	}
	fprintf(out, "signed message:   %u bytes (the envelope header and protected metadata),\n"
		"                  %s %s\n",
		r->tbs_len, digest_name(r), sg_hex(r->tbs_digest, dlen, hex));
	fprintf(out, "payload:          %" PRIu64 " bytes, digest checked\n", ri->env.payload_size);
	cli_envelope_text(out, &ri->env);
}

/* What --tbs-out writes, in words. */
static const char *tbs_words(const struct sg_request *r)
{
	if (r->image_format == SG_REQ_FORMAT_SIGNET)
		return r->alg == SGE_SIG_ED25519 ? "the message itself: Ed25519 signs it whole"
						 : "its digest";
	return r->alg == SGE_SIG_ED25519
		       ? "the image digest; Ed25519 signs those bytes as its message, so use -rawin"
		       : "the image digest, signed as a prehashed digest";
}

static void print_text(FILE *out, const char *path, const struct sg_request_info *ri)
{
	char hex[2 * SGE_DIGEST_MAX + 1];
	const struct sg_request *r = &ri->r;
	fprintf(out, "file:             %s\n", path);
	fprintf(out, "kind:             signet signing request, version %d, for %s\n",
		SG_REQ_VERSION,
		r->image_format == SG_REQ_FORMAT_MCUBOOT ? "an MCUboot image" : "a signet envelope");
	fprintf(out, "algorithm:        %s\n", sg_sig_alg_name(r->alg));
	fprintf(out, "signer key id:    %s\n", sg_hex(r->key_id, SGE_KEY_ID_SIZE, hex));
	signed_text(out, ri);
	fprintf(out, "\nTo sign offline: write the bytes to sign with\n"
		"  signet inspect --tbs-out TBS %s\n"
		"(%s), sign them where the key is, e.g.\n  %s\n"
		"then finish with\n"
		"  signet sign --complete %s --signature SIG --pubkey PUB.pem OUT\n",
		path, tbs_words(r), sign_command(r->alg), path);
	if (r->alg <= SGE_SIG_ECDSA_P384_SHA384)
		fprintf(out, "(a raw r||s ECDSA signature, as from pkcs11-tool, needs "
			"--signature-format raw)\n");
}

int cli_inspect_request(const char *path, bool json, const char *tbs_out, FILE *out,
			struct sg_err *err)
{
	static struct sg_request_info ri;
	int rc = sg_request_load(path, &ri, err);
	if (!rc && tbs_out)
		rc = write_tbs(tbs_out, &ri, err);
	if (rc)
		return rc;
	if (json)
		print_json(out, path, &ri);
	else
		print_text(out, path, &ri);
	return SG_OK;
}
