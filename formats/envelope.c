#include "signet/envelope.h"

#include <inttypes.h>
#include <stdio.h>

#include <string.h>

#include "signet/verifier.h"

static int parse_uint(const char **s, unsigned long long max, unsigned long long *out)
{
	const char *p = *s;
	if (*p < '0' || *p > '9')
		return -1;
	if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
		return -1; /* no leading zeros: one spelling per version */
	unsigned long long v = 0;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > max)
			return -1;
		p++;
	}
	*s = p;
	*out = v;
	return 0;
}

int sg_version_parse(const char *s, struct sg_version *v, struct sg_err *err)
{
	const char *p = s;
	unsigned long long major, minor, patch, build = 0;
	if (parse_uint(&p, 255, &major) || *p++ != '.' || parse_uint(&p, 255, &minor) ||
	    *p++ != '.' || parse_uint(&p, 65535, &patch))
		goto bad;
	if (*p == '+') {
		p++;
		if (parse_uint(&p, 0xffffffffull, &build))
			goto bad;
	}
	if (*p)
		goto bad;
	v->major = (uint8_t)major;
	v->minor = (uint8_t)minor;
	v->patch = (uint16_t)patch;
	v->build = (uint32_t)build;
	return SG_OK;
bad:
	return sg_errf(err, SG_EINPUT,
		       "version '%s': expected X.Y.Z or X.Y.Z+N (X, Y <= 255, Z <= 65535, "
		       "N < 2^32)",
		       s);
}

static uint8_t *put_tlv(uint8_t *p, uint16_t type, uint16_t len)
{
	sge_put16(p, type);
	sge_put16(p + 2, len);
	return p + 4;
}

static int hw_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n < 1 || n > SGE_HW_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x21 || (unsigned char)id[i] > 0x7e)
			return 0;
	return 1;
}

int sg_envelope_encode_msg(const struct sg_envelope_meta *m, uint8_t *msg, size_t *msg_len,
			   struct sg_err *err)
{
	unsigned dlen = sgv_digest_len(m->digest_alg);
	if (!dlen)
		return sg_errf(err, SG_EINPUT, "unknown digest algorithm %d", m->digest_alg);
	if (m->payload_size == 0 || m->payload_size > SGE_PAYLOAD_MAX)
		return sg_errf(err, SG_EINPUT, "payload size %llu out of range (1 to 2^40 bytes)",
			       (unsigned long long)m->payload_size);
	if (m->hw_id && !hw_id_ok(m->hw_id))
		return sg_errf(err, SG_EINPUT,
			       "hardware id '%s': must be 1 to %d printable ASCII characters, no "
			       "spaces",
			       m->hw_id, SGE_HW_ID_MAX);
	if (m->has_build_time && m->build_time > SGE_BUILD_TIME_MAX)
		return sg_errf(err, SG_EINPUT,
			       "build time %llu is after 9999-12-31T23:59:59Z (253402300799)",
			       (unsigned long long)m->build_time);
	memset(msg, 0, SGE_MSG_MAX);
	uint8_t *p = msg + SGE_HEADER_SIZE;
	/* Ascending type order, as the spec requires. */
	p = put_tlv(p, SGE_T_VERSION, 8);
	p[0] = m->version.major;
	p[1] = m->version.minor;
	sge_put16(p + 2, m->version.patch);
	sge_put32(p + 4, m->version.build);
	p += 8;
	if (m->has_counter) {
		p = put_tlv(p, SGE_T_SECURITY_COUNTER, 4);
		sge_put32(p, m->security_counter);
		p += 4;
	}
	if (m->hw_id) {
		size_t n = strlen(m->hw_id);
		p = put_tlv(p, SGE_T_HW_ID, (uint16_t)n);
		memcpy(p, m->hw_id, n);
		p += n;
	}
	if (m->has_load_addr) {
		p = put_tlv(p, SGE_T_LOAD_ADDR, 8);
		sge_put64(p, m->load_addr);
		p += 8;
	}
	p = put_tlv(p, SGE_T_PAYLOAD_DIGEST, (uint16_t)(1 + dlen));
	*p++ = m->digest_alg;
	memcpy(p, m->digest, dlen);
	p += dlen;
	if (m->has_build_time) {
		p = put_tlv(p, SGE_T_BUILD_TIME, 8);
		sge_put64(p, m->build_time);
		p += 8;
	}
	if (m->has_sbom) {
		p = put_tlv(p, SGE_T_SBOM_DIGEST, 34);
		p[0] = m->sbom_kind;
		p[1] = SGE_DIGEST_SHA256;
		memcpy(p + 2, m->sbom_digest, 32);
		p += 34;
	}
	size_t protected_size = (size_t)(p - msg) - SGE_HEADER_SIZE;
	msg[0] = SGE_MAGIC_0;
	msg[1] = SGE_MAGIC_1;
	msg[2] = SGE_MAGIC_2;
	msg[3] = SGE_MAGIC_3;
	sge_put16(msg + 4, SGE_FORMAT_VERSION);
	sge_put16(msg + 6, SGE_HEADER_SIZE);
	sge_put32(msg + 8, (uint32_t)protected_size);
	sge_put32(msg + 12, 0);
	sge_put64(msg + 16, m->payload_size);
	sge_put64(msg + 24, 0);
	*msg_len = SGE_HEADER_SIZE + protected_size;
	return SG_OK;
}

int sg_envelope_encode_area(const struct sg_signature *sigs, size_t nsigs, uint8_t *out,
			    size_t *out_len, struct sg_err *err)
{
	if (nsigs == 0 || nsigs > SGE_MAX_SIGNATURES)
		return sg_errf(err, SG_EINPUT, "%zu signatures: must be 1 to %d", nsigs,
			       SGE_MAX_SIGNATURES);
	size_t n = SGE_AREA_HEADER_SIZE;
	for (size_t i = 0; i < nsigs; i++) {
		const struct sg_signature *s = &sigs[i];
		if (s->sig_len == 0 || s->sig_len > SGE_SIG_MAX)
			return sg_errf(err, SG_EINPUT, "signature %zu: bad length %zu", i + 1,
				       s->sig_len);
		size_t tlv = 4 + SGE_SIG_TLV_FIXED + s->sig_len;
		if (n + tlv > SGE_AREA_MAX)
			return sg_errf(err, SG_EINPUT, "signatures exceed the %d-byte area limit",
				       SGE_AREA_MAX);
		uint8_t *p = put_tlv(out + n, SGE_T_SIGNATURE,
				     (uint16_t)(SGE_SIG_TLV_FIXED + s->sig_len));
		p[0] = s->alg;
		p[1] = 0;
		memcpy(p + 2, s->key_id, SGE_KEY_ID_SIZE);
		memcpy(p + SGE_SIG_TLV_FIXED, s->sig, s->sig_len);
		n += tlv;
	}
	out[0] = SGE_AREA_MAGIC_0;
	out[1] = SGE_AREA_MAGIC_1;
	out[2] = SGE_AREA_MAGIC_2;
	out[3] = SGE_AREA_MAGIC_3;
	sge_put32(out + 4, (uint32_t)n);
	*out_len = n;
	return SG_OK;
}

int sg_envelope_area_append(uint8_t *area, size_t *area_len, uint16_t type, const uint8_t *value,
			    size_t len, struct sg_err *err)
{
	if (len > UINT16_MAX || *area_len + 4 + len > SGE_AREA_MAX)
		return sg_errf(err, SG_EINPUT, "field of %zu bytes exceeds the %d-byte area limit", len,
			       SGE_AREA_MAX);
	uint8_t *p = put_tlv(area + *area_len, type, (uint16_t)len);
	memcpy(p, value, len);
	*area_len += 4 + len;
	sge_put32(area + 4, (uint32_t)*area_len);
	return SG_OK;
}

const char *sg_sig_alg_name(int alg)
{
	switch (alg) {
	case SGE_SIG_ECDSA_P256_SHA256:
		return "ecdsa-p256-sha256";
	case SGE_SIG_ECDSA_P384_SHA384:
		return "ecdsa-p384-sha384";
	case SGE_SIG_ED25519:
		return "ed25519";
	case SGE_SIG_RSA_PSS_SHA256:
		return "rsa-pss-sha256";
	default:
		return "unknown";
	}
}

const char *sg_digest_alg_name(int alg)
{
	return alg == SGE_DIGEST_SHA256 ? "sha256" : alg == SGE_DIGEST_SHA384 ? "sha384" : "unknown";
}

const char *sg_sbom_kind_name(int kind)
{
	return kind == SGE_SBOM_CYCLONEDX ? "cyclonedx" : kind == SGE_SBOM_SPDX ? "spdx" : "unknown";
}

void sg_version_str(unsigned major, unsigned minor, unsigned patch, uint32_t build,
		    bool always_build, char *out, size_t n)
{
	if (build || always_build)
		snprintf(out, n, "%u.%u.%u+%" PRIu32, major, minor, patch, build);
	else
		snprintf(out, n, "%u.%u.%u", major, minor, patch);
}
