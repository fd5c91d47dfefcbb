/* The MCUboot side of verify and inspect (sign/mcuboot_sign.h); signing
 * goes through sg_sign_file like envelopes (cli/cmd_sign.c). */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "signet/envelope.h"
#include "signet/fileio.h"
#include "signet/mcuboot_sign.h"

bool cli_is_mcuboot(const char *path)
{
	uint8_t magic[4];
	size_t n = cli_read_magic(path, magic, sizeof(magic));
	return n == sizeof(magic) && sg_mcuboot_detect(magic, n);
}

static const char *sig_status(int st)
{
	switch (st) {
	case SG_MCUBOOT_SIG_VALID:
		return "valid";
	case SG_MCUBOOT_SIG_INVALID:
		return "invalid";
	case SG_MCUBOOT_SIG_UNTRUSTED:
		return "untrusted-key";
	default:
		return "unchecked";
	}
}

static void version_str(const struct sg_mcuboot_header *h, char *out, size_t n)
{
	sg_version_str(h->ver_major, h->ver_minor, h->ver_revision, h->ver_build, true, out, n);
}

static void print_json(FILE *out, const char *path, const struct sg_mcuboot_info *in,
		       const struct sg_trust *t, int rc, const struct sg_err *err)
{
	char ver[48], reason[sizeof err->msg + 256];
	const struct sg_mcuboot_header *h = &in->hdr;
	version_str(h, ver, sizeof(ver));
	fputs("{\"file\":", out);
	json_str(out, path);
	if (t) {
		fprintf(out, ",\"valid\":%s,\"exit_code\":%d,\"reason\":", rc ? "false" : "true",
			rc);
		if (rc)
			json_str(out, cli_err_text(err, reason, sizeof reason));
		else
			fputs("null", out);
	}
	fprintf(out, ",\"format\":\"mcuboot\",\"version\":\"%s\",\"header_size\":%u,"
			"\"image_size\":%" PRIu32 ",\"protected_tlv_size\":%u,\"flags\":%" PRIu32
			",\"load_addr\":\"0x%08" PRIx32 "\",\"tlv_area_size\":%" PRIu32,
		ver, h->hdr_size, h->img_size, h->protect_tlv_size, h->flags, h->load_addr,
		in->tlv_size);
	if (in->has_counter)
		fprintf(out, ",\"security_counter\":%" PRIu32, in->security_counter);
	else
		fputs(",\"security_counter\":null", out);
	fprintf(out, ",\"digest\":{\"algorithm\":\"%s\",\"value\":",
		sg_mcuboot_digest_name(in->digest_type) ? sg_mcuboot_digest_name(in->digest_type)
							: "none");
	json_hex(out, in->digest, in->digest_len);
	fputs("},\"tlvs\":[", out);
	for (unsigned i = 0; i < in->ntlvs; i++)
		fprintf(out, "%s{\"type\":%u,\"name\":\"%s\",\"length\":%u,\"protected\":%s}",
			i ? "," : "", in->tlvs[i].type, sg_mcuboot_tlv_name(in->tlvs[i].type),
			in->tlvs[i].len, in->tlvs[i].prot ? "true" : "false");
	fputs("],\"signatures\":[", out);
	for (unsigned i = 0; i < in->nsigs; i++) {
		const struct sg_mcuboot_sig *s = &in->sigs[i];
		fprintf(out, "%s{\"index\":%u,\"type\":\"%s\",\"status\":\"%s\",\"trusted_key\":",
			i ? "," : "", i + 1, sg_mcuboot_tlv_name(in->tlvs[s->tlv].type),
			sig_status(s->status));
		if (t && s->trust_index >= 0)
			json_str(out, t->keys[s->trust_index].path);
		else
			fputs("null", out);
		fputc('}', out);
	}
	fprintf(out, "],\"trailer\":{\"present\":%s", in->trailer.present ? "true" : "false");
	if (in->trailer.present)
		fprintf(out, ",\"image_ok\":%u,\"copy_done\":%u", in->trailer.image_ok,
			in->trailer.copy_done);
	fputs("}}\n", out);
}

static void print_text(FILE *out, const char *path, const struct sg_mcuboot_info *in)
{
	char ver[48], hex[2 * SG_MCUBOOT_DIGEST_MAX + 1];
	const struct sg_mcuboot_header *h = &in->hdr;
	version_str(h, ver, sizeof(ver));
	fprintf(out, "file:             %s\n", path);
	fprintf(out, "format:           MCUboot image\n");
	fprintf(out, "version:          %s\n", ver);
	fprintf(out, "sizes:            header %u, image %" PRIu32 ", protected TLVs %u, TLV area "
		     "%" PRIu32 "\n",
		h->hdr_size, h->img_size, h->protect_tlv_size, in->tlv_size);
	fprintf(out, "flags:            0x%08" PRIx32, h->flags);
	for (uint32_t bit = 1; bit; bit <<= 1)
		if ((h->flags & bit) && sg_mcuboot_flag_name(bit))
			fprintf(out, " %s", sg_mcuboot_flag_name(bit));
	fprintf(out, "\nload address:     0x%08" PRIx32 "\n", h->load_addr);
	if (in->has_counter)
		fprintf(out, "security counter: %" PRIu32 "\n", in->security_counter);
	else
		fprintf(out, "security counter: none\n");
	fprintf(out, "image digest:     %s %s\n",
		sg_mcuboot_digest_name(in->digest_type) ? sg_mcuboot_digest_name(in->digest_type)
						      : "none",
		sg_hex(in->digest, in->digest_len, hex));
	fprintf(out, "TLVs:             %u\n", in->ntlvs);
	for (unsigned i = 0; i < in->ntlvs; i++)
		fprintf(out, "  %-11s 0x%02x %4u bytes%s\n", sg_mcuboot_tlv_name(in->tlvs[i].type),
			in->tlvs[i].type, in->tlvs[i].len, in->tlvs[i].prot ? " (protected)" : "");
	if (in->trailer.present)
		fprintf(out, "trailer:          boot magic, image_ok %s, copy_done %s\n",
			in->trailer.image_ok == SG_MCUBOOT_FLAG_SET ? "set" : "unset",
			in->trailer.copy_done == SG_MCUBOOT_FLAG_SET ? "set" : "unset");
	else
		fprintf(out, "trailer:          none\n");
}

int cli_inspect_mcuboot(const char *path, bool json, FILE *out, struct sg_err *err)
{
	static struct sg_mcuboot_info info;
	int rc = sg_mcuboot_load(path, &info, err);
	if (rc)
		return rc;
	if (json)
		print_json(out, path, &info, NULL, 0, NULL);
	else
		print_text(out, path, &info);
	return SG_OK;
}

int cli_verify_mcuboot(const char *path, const struct sg_trust *t, uint32_t min_counter,
		       bool json)
{
	static struct sg_mcuboot_info info;
	struct sg_err err = { 0 };
	int rc = sg_mcuboot_verify_file(path, t, &info, &err);
	if (!rc && min_counter && (!info.has_counter || info.security_counter < min_counter))
		rc = sg_errf(&err, SG_FAIL, "%s: security counter below the minimum (%" PRIu32
					    " < %" PRIu32 ")",
			     path, info.has_counter ? info.security_counter : 0, min_counter);
	if (json)
		print_json(stdout, path, &info, t, rc, &err);
	if (rc)
		return cli_report(&err);
	if (!json)
		fprintf(stderr, "signet: %s: valid MCUboot image\n", path);
	return SG_OK;
}
