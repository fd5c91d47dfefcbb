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

static void print_json(const char *path, const struct sg_mcuboot_info *in,
		       const struct sg_trust *t, int rc, const struct sg_err *err)
{
	char ver[48], reason[sizeof err->msg + 256];
	const struct sg_mcuboot_header *h = &in->hdr;
	version_str(h, ver, sizeof(ver));
	fputs("{\"file\":", stdout);
	json_str(stdout, path);
	if (t) {
		fprintf(stdout, ",\"valid\":%s,\"exit_code\":%d,\"reason\":", rc ? "false" : "true",
			rc);
		if (rc)
			json_str(stdout, cli_err_text(err, reason, sizeof reason));
		else
			fputs("null", stdout);
	}
	fprintf(stdout, ",\"format\":\"mcuboot\",\"version\":\"%s\",\"header_size\":%u,"
			"\"image_size\":%" PRIu32 ",\"protected_tlv_size\":%u,\"flags\":%" PRIu32
			",\"load_addr\":\"0x%08" PRIx32 "\",\"tlv_area_size\":%" PRIu32,
		ver, h->hdr_size, h->img_size, h->protect_tlv_size, h->flags, h->load_addr,
		in->tlv_size);
	if (in->has_counter)
		fprintf(stdout, ",\"security_counter\":%" PRIu32, in->security_counter);
	else
		fputs(",\"security_counter\":null", stdout);
	fprintf(stdout, ",\"digest\":{\"algorithm\":\"%s\",\"value\":",
		sg_mcuboot_digest_name(in->digest_type) ? sg_mcuboot_digest_name(in->digest_type)
							: "none");
	json_hex(stdout, in->digest, in->digest_len);
	fputs("},\"tlvs\":[", stdout);
	for (unsigned i = 0; i < in->ntlvs; i++)
		fprintf(stdout, "%s{\"type\":%u,\"name\":\"%s\",\"length\":%u,\"protected\":%s}",
			i ? "," : "", in->tlvs[i].type, sg_mcuboot_tlv_name(in->tlvs[i].type),
			in->tlvs[i].len, in->tlvs[i].prot ? "true" : "false");
	fputs("],\"signatures\":[", stdout);
	for (unsigned i = 0; i < in->nsigs; i++) {
		const struct sg_mcuboot_sig *s = &in->sigs[i];
		fprintf(stdout, "%s{\"index\":%u,\"type\":\"%s\",\"status\":\"%s\",\"trusted_key\":",
			i ? "," : "", i + 1, sg_mcuboot_tlv_name(in->tlvs[s->tlv].type),
			sig_status(s->status));
		if (t && s->trust_index >= 0)
			json_str(stdout, t->keys[s->trust_index].path);
		else
			fputs("null", stdout);
		fputc('}', stdout);
	}
	fprintf(stdout, "],\"trailer\":{\"present\":%s", in->trailer.present ? "true" : "false");
	if (in->trailer.present)
		fprintf(stdout, ",\"image_ok\":%u,\"copy_done\":%u", in->trailer.image_ok,
			in->trailer.copy_done);
	fputs("}}\n", stdout);
}

static void print_text(const char *path, const struct sg_mcuboot_info *in)
{
	char ver[48], hex[2 * SG_MCUBOOT_DIGEST_MAX + 1];
	const struct sg_mcuboot_header *h = &in->hdr;
	version_str(h, ver, sizeof(ver));
	printf("file:             %s\n", path);
	printf("format:           MCUboot image\n");
	printf("version:          %s\n", ver);
	printf("sizes:            header %u, image %" PRIu32 ", protected TLVs %u, TLV area %" PRIu32
	       "\n",
	       h->hdr_size, h->img_size, h->protect_tlv_size, in->tlv_size);
	printf("flags:            0x%08" PRIx32, h->flags);
	for (uint32_t bit = 1; bit; bit <<= 1)
		if ((h->flags & bit) && sg_mcuboot_flag_name(bit))
			printf(" %s", sg_mcuboot_flag_name(bit));
	printf("\nload address:     0x%08" PRIx32 "\n", h->load_addr);
	if (in->has_counter)
		printf("security counter: %" PRIu32 "\n", in->security_counter);
	else
		printf("security counter: none\n");
	printf("image digest:     %s %s\n",
	       sg_mcuboot_digest_name(in->digest_type) ? sg_mcuboot_digest_name(in->digest_type)
						      : "none",
	       sg_hex(in->digest, in->digest_len, hex));
	printf("TLVs:             %u\n", in->ntlvs);
	for (unsigned i = 0; i < in->ntlvs; i++)
		printf("  %-11s 0x%02x %4u bytes%s\n", sg_mcuboot_tlv_name(in->tlvs[i].type),
		       in->tlvs[i].type, in->tlvs[i].len, in->tlvs[i].prot ? " (protected)" : "");
	if (in->trailer.present)
		printf("trailer:          boot magic, image_ok %s, copy_done %s\n",
		       in->trailer.image_ok == SG_MCUBOOT_FLAG_SET ? "set" : "unset",
		       in->trailer.copy_done == SG_MCUBOOT_FLAG_SET ? "set" : "unset");
	else
		printf("trailer:          none\n");
}

int cli_inspect_mcuboot(const char *path, bool json)
{
	static struct sg_mcuboot_info info;
	struct sg_err err = { 0 };
	if (sg_mcuboot_load(path, &info, &err))
		return cli_report(&err);
	if (json)
		print_json(path, &info, NULL, 0, NULL);
	else
		print_text(path, &info);
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
		print_json(path, &info, t, rc, &err);
	if (rc)
		return cli_report(&err);
	if (!json)
		fprintf(stderr, "signet: %s: valid MCUboot image\n", path);
	return SG_OK;
}
