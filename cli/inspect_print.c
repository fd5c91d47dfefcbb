/* The envelope's fields as JSON members and text lines: one printer each,
 * for signet inspect (envelopes and signing requests) and verify --json. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "signet/envelope.h"
#include "signet/fileio.h"
#include "signet/verifier.h"

static void version_str(const struct sgv_envelope *e, char *out, size_t n)
{
	sg_version_str(e->ver_major, e->ver_minor, e->ver_patch, e->ver_build, false, out, n);
}

void cli_envelope_json(FILE *fp, const struct sgv_envelope *e)
{
	char buf[64], utc[CLI_UTC_MAX];
	char hw[SGE_HW_ID_MAX + 1];
	version_str(e, buf, sizeof(buf));
	fprintf(fp, "\"format\":\"signet\",\"format_version\":%d,\"header_size\":%d,",
		SGE_FORMAT_VERSION, SGE_HEADER_SIZE);
	fprintf(fp, "\"protected_size\":%" PRIu32 ",\"payload_size\":%" PRIu64
		    ",\"signature_area_size\":%" PRIu32 ",",
		e->protected_size, e->payload_size, e->area_size);
	fprintf(fp, "\"version\":");
	json_str(fp, buf);
	fprintf(fp, ",\"security_counter\":%" PRIu32 ",", e->security_counter);
	fprintf(fp, "\"hw_id\":");
	if (e->has_hw_id) {
		memcpy(hw, e->hw_id, e->hw_id_len);
		hw[e->hw_id_len] = 0;
		json_str(fp, hw);
	} else {
		fputs("null", fp);
	}
	if (e->has_load_addr)
		fprintf(fp, ",\"load_addr\":\"0x%08" PRIx64 "\"", e->load_addr);
	else
		fputs(",\"load_addr\":null", fp);
	fprintf(fp, ",\"payload_digest\":{\"algorithm\":\"%s\",\"value\":",
		sg_digest_alg_name(e->digest_alg));
	json_hex(fp, e->digest, e->digest_len);
	fputc('}', fp);
	if (e->has_build_time) {
		fprintf(fp, ",\"build_time\":%" PRIu64 ",\"build_time_utc\":\"%s\"", e->build_time,
			cli_utc(e->build_time, utc, false));
	} else {
		fputs(",\"build_time\":null", fp);
	}
	if (e->has_sbom) {
		fprintf(fp, ",\"sbom\":{\"kind\":\"%s\",\"sha256\":", sg_sbom_kind_name(e->sbom_kind));
		json_hex(fp, e->sbom_digest, 32);
		fputc('}', fp);
	} else {
		fputs(",\"sbom\":null", fp);
	}
}

void cli_signature_json(FILE *fp, const struct sgv_signature *s, unsigned index)
{
	fprintf(fp, "{\"index\":%u,\"algorithm\":\"%s\",\"key_id\":", index,
		sg_sig_alg_name(s->alg));
	json_hex(fp, s->key_id, SGE_KEY_ID_SIZE);
	fprintf(fp, ",\"signature_size\":%u", s->sig_len);
}

void cli_envelope_text(FILE *out, const struct sgv_envelope *e)
{
	char buf[64], hex[2 * SGE_DIGEST_MAX + 1], utc[CLI_UTC_MAX];
	version_str(e, buf, sizeof(buf));
	fprintf(out, "version:          %s\n", buf);
	if (e->has_counter)
		fprintf(out, "security counter: %" PRIu32 "\n", e->security_counter);
	else
		fprintf(out, "security counter: none (counts as 0)\n");
	fprintf(out, "hardware id:      %.*s\n", e->has_hw_id ? e->hw_id_len : 4,
		e->has_hw_id ? (const char *)e->hw_id : "none");
	if (e->has_load_addr)
		fprintf(out, "load address:     0x%08" PRIx64 "\n", e->load_addr);
	else
		fprintf(out, "load address:     none\n");
	fprintf(out, "payload digest:   %s %s\n", sg_digest_alg_name(e->digest_alg),
		sg_hex(e->digest, e->digest_len, hex));
	if (e->has_build_time) {
		fprintf(out, "build time:       %s (%" PRIu64 ")\n",
			cli_utc(e->build_time, utc, false), e->build_time);
	}
	if (e->has_sbom)
		fprintf(out, "sbom:             %s sha256 %s\n", sg_sbom_kind_name(e->sbom_kind),
			sg_hex(e->sbom_digest, 32, hex));
	if (e->unknown_noncritical)
		fprintf(out, "unknown fields:   %u non-critical (ignored)\n",
			e->unknown_noncritical);
}
