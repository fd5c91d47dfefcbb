/* Heap-free envelope verifier; see verifier.h for the contract and
 * docs/envelope.md for the rules each check cites. */
#include "signet/verifier.h"

#include <string.h>

static int fail(struct sgv_envelope *e, int result, const char *detail)
{
	e->detail = detail;
	return result;
}

unsigned sgv_digest_len(int digest_alg)
{
	return digest_alg == SGE_DIGEST_SHA256 ? 32 : digest_alg == SGE_DIGEST_SHA384 ? 48 : 0;
}

/* §2: the fixed header. */
static int parse_header(struct sgv_envelope *e, uint64_t file_size)
{
	const uint8_t *h = e->msg;
	if (h[0] != SGE_MAGIC_0 || h[1] != SGE_MAGIC_1 || h[2] != SGE_MAGIC_2 ||
	    h[3] != SGE_MAGIC_3)
		return fail(e, SGV_EFORMAT, "not a signet envelope (bad magic)");
	if (sge_get16(h + 4) != SGE_FORMAT_VERSION)
		return fail(e, SGV_EFORMAT, "unsupported format version");
	if (sge_get16(h + 6) != SGE_HEADER_SIZE)
		return fail(e, SGV_EFORMAT, "bad header size");
	e->protected_size = sge_get32(h + 8);
	if (e->protected_size < SGE_PROTECTED_MIN || e->protected_size > SGE_PROTECTED_MAX)
		return fail(e, SGV_EFORMAT, "protected area size out of range");
	if (sge_get32(h + 12) != 0)
		return fail(e, SGV_EFORMAT, "unknown header flags");
	e->payload_size = sge_get64(h + 16);
	if (e->payload_size == 0 || e->payload_size > SGE_PAYLOAD_MAX)
		return fail(e, SGV_EFORMAT, "payload size out of range");
	if (sge_get64(h + 24) != 0)
		return fail(e, SGV_EFORMAT, "reserved header bytes not zero");
	e->msg_len = SGE_HEADER_SIZE + e->protected_size;
	e->payload_off = e->msg_len;
	e->area_off = e->payload_off + e->payload_size;
	if (file_size < e->area_off + SGE_AREA_HEADER_SIZE)
		return fail(e, SGV_EFORMAT, "truncated (file shorter than its header says)");
	return SGV_OK;
}

static int is_printable(const uint8_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return 0;
	return 1;
}

/* §4: one protected TLV of a known type; returns 1 if known, 0 if not,
 * negative (after fail()) if known but malformed. */
static int protected_field(struct sgv_envelope *e, uint16_t type, const uint8_t *v, unsigned n)
{
	switch (type) {
	case SGE_T_VERSION:
		if (n != 8)
			return -fail(e, SGV_EFORMAT, "VERSION field has a bad length");
		e->has_version = 1;
		e->ver_major = v[0];
		e->ver_minor = v[1];
		e->ver_patch = sge_get16(v + 2);
		e->ver_build = sge_get32(v + 4);
		return 1;
	case SGE_T_SECURITY_COUNTER:
		if (n != 4)
			return -fail(e, SGV_EFORMAT, "SECURITY_COUNTER field has a bad length");
		e->has_counter = 1;
		e->security_counter = sge_get32(v);
		return 1;
	case SGE_T_HW_ID:
		if (n < 1 || n > SGE_HW_ID_MAX || !is_printable(v, n))
			return -fail(e, SGV_EFORMAT, "HW_ID field is malformed");
		e->has_hw_id = 1;
		e->hw_id_len = (uint8_t)n;
		memcpy(e->hw_id, v, n);
		return 1;
	case SGE_T_LOAD_ADDR:
		if (n != 8)
			return -fail(e, SGV_EFORMAT, "LOAD_ADDR field has a bad length");
		e->has_load_addr = 1;
		e->load_addr = sge_get64(v);
		return 1;
	case SGE_T_PAYLOAD_DIGEST:
		if (n < 1 || sgv_digest_len(v[0]) == 0 || n != 1 + sgv_digest_len(v[0]))
			return -fail(e, SGV_EFORMAT, "PAYLOAD_DIGEST field is malformed");
		e->digest_alg = v[0];
		e->digest_len = (uint8_t)(n - 1);
		memcpy(e->digest, v + 1, n - 1);
		return 1;
	case SGE_T_BUILD_TIME:
		if (n != 8)
			return -fail(e, SGV_EFORMAT, "BUILD_TIME field has a bad length");
		e->has_build_time = 1;
		e->build_time = sge_get64(v);
		if (e->build_time > SGE_BUILD_TIME_MAX)
			return -fail(e, SGV_EFORMAT, "BUILD_TIME after 9999-12-31T23:59:59Z");
		return 1;
	case SGE_T_SBOM_DIGEST:
		if (n != 34 || (v[0] != SGE_SBOM_CYCLONEDX && v[0] != SGE_SBOM_SPDX) ||
		    v[1] != SGE_DIGEST_SHA256)
			return -fail(e, SGV_EFORMAT, "SBOM_DIGEST field is malformed");
		e->has_sbom = 1;
		e->sbom_kind = v[0];
		e->sbom_digest_alg = v[1];
		memcpy(e->sbom_digest, v + 2, 32);
		return 1;
	default:
		return 0;
	}
}

/* §3-4: the protected area, already in e->msg after the header. */
static int parse_protected(struct sgv_envelope *e)
{
	const uint8_t *p = e->msg + SGE_HEADER_SIZE;
	uint32_t left = e->protected_size, prev_type = 0;
	while (left) {
		if (left < 4)
			return fail(e, SGV_EFORMAT, "protected area ends inside a field header");
		uint16_t type = sge_get16(p), len = sge_get16(p + 2);
		if ((uint32_t)len > left - 4)
			return fail(e, SGV_EFORMAT, "protected field runs past its area");
		if (type == SGE_T_RESERVED)
			return fail(e, SGV_EFORMAT, "reserved field type 0x0000");
		if (type <= prev_type)
			return fail(e, SGV_EFORMAT, "protected fields out of order or repeated");
		prev_type = type;
		int known = protected_field(e, type, p + 4, len);
		if (known < 0)
			return -known;
		if (!known) {
			if (type & SGE_CRITICAL)
				return fail(e, SGV_EFORMAT, "unknown critical protected field");
			e->unknown_noncritical++;
		}
		p += 4u + len;
		left -= 4u + len;
	}
	if (!e->has_version)
		return fail(e, SGV_EFORMAT, "VERSION field missing");
	if (!e->digest_len)
		return fail(e, SGV_EFORMAT, "PAYLOAD_DIGEST field missing");
	return SGV_OK;
}

/* §5: 1 if n bytes fit the algorithm, 0 if not, -1 if alg is unknown. */
static int signature_len_ok(uint8_t alg, unsigned n)
{
	switch (alg) {
	case SGE_SIG_ECDSA_P256_SHA256:
		return n >= 8 && n <= 72;
	case SGE_SIG_ECDSA_P384_SHA384:
		return n >= 8 && n <= 104;
	case SGE_SIG_ED25519:
		return n == 64;
	case SGE_SIG_RSA_PSS_SHA256:
		return n == 384 || n == 512;
	default:
		return -1;
	}
}

/* §5: a CERT_CHAIN value of n bytes at off is a non-empty sequence of
 * certificates, each a u16 length > 0 and that many bytes, filling the
 * value exactly. Only the framing: the certificates are the host's. */
static int chain_framing(struct sgv_envelope *e, sgv_read_fn rd, void *rd_arg, uint64_t off,
			 uint32_t n)
{
	uint8_t h[2];
	if (n == 0)
		return fail(e, SGV_EFORMAT, "empty certificate chain");
	while (n) {
		if (n < 2)
			return fail(e, SGV_EFORMAT, "certificate chain ends inside a length");
		if (rd(rd_arg, off, h, 2))
			return fail(e, SGV_EIO, "cannot read the signature area");
		uint16_t len = sge_get16(h);
		if (len == 0 || (uint32_t)len > n - 2)
			return fail(e, SGV_EFORMAT, "certificate chain: a length is 0 or runs past "
						    "the field");
		off += 2u + len;
		n -= 2u + len;
	}
	return SGV_OK;
}

/* §5: the signature area, read TLV header by TLV header. */
static int parse_area(struct sgv_envelope *e, sgv_read_fn rd, void *rd_arg, uint64_t file_size)
{
	uint8_t h[SGE_SIG_TLV_FIXED + 4];
	if (rd(rd_arg, e->area_off, h, SGE_AREA_HEADER_SIZE))
		return fail(e, SGV_EIO, "cannot read the signature area");
	if (h[0] != SGE_AREA_MAGIC_0 || h[1] != SGE_AREA_MAGIC_1 || h[2] != SGE_AREA_MAGIC_2 ||
	    h[3] != SGE_AREA_MAGIC_3)
		return fail(e, SGV_EFORMAT, "bad signature area magic");
	e->area_size = sge_get32(h + 4);
	if (e->area_size < SGE_AREA_HEADER_SIZE || e->area_size > SGE_AREA_MAX)
		return fail(e, SGV_EFORMAT, "signature area size out of range");
	if (e->area_off + e->area_size != file_size)
		return fail(e, SGV_EFORMAT, e->area_off + e->area_size > file_size
						    ? "truncated (signature area runs past the end)"
						    : "trailing bytes after the signature area");
	uint64_t off = e->area_off + SGE_AREA_HEADER_SIZE;
	uint32_t left = e->area_size - SGE_AREA_HEADER_SIZE;
	while (left) {
		if (left < 4)
			return fail(e, SGV_EFORMAT, "signature area ends inside a field header");
		if (rd(rd_arg, off, h, 4))
			return fail(e, SGV_EIO, "cannot read the signature area");
		uint16_t type = sge_get16(h), len = sge_get16(h + 2);
		if ((uint32_t)len > left - 4)
			return fail(e, SGV_EFORMAT, "signature field runs past its area");
		if (type == SGE_T_RESERVED)
			return fail(e, SGV_EFORMAT, "reserved field type 0x0000");
		if (type == SGE_T_SIGNATURE) {
			if (e->nsigs == SGE_MAX_SIGNATURES)
				return fail(e, SGV_EFORMAT, "too many signatures");
			if (len < SGE_SIG_TLV_FIXED)
				return fail(e, SGV_EFORMAT, "signature field too short");
			if (rd(rd_arg, off + 4, h + 4, SGE_SIG_TLV_FIXED))
				return fail(e, SGV_EIO, "cannot read the signature area");
			struct sgv_signature *s = &e->sigs[e->nsigs];
			s->alg = h[4];
			if (h[5] != 0)
				return fail(e, SGV_EFORMAT, "signature reserved byte not zero");
			s->sig_len = (uint16_t)(len - SGE_SIG_TLV_FIXED);
			int fits = signature_len_ok(s->alg, s->sig_len);
			if (fits <= 0)
				return fail(e, SGV_EFORMAT,
					    fits ? "unknown signature algorithm"
						 : "bad signature length for its algorithm");
			memcpy(s->key_id, h + 6, SGE_KEY_ID_SIZE);
			s->sig_off = off + 4 + SGE_SIG_TLV_FIXED;
			s->status = SGV_SIG_UNCHECKED;
			e->nsigs++;
		} else if (type == SGE_T_CERT_CHAIN) {
			if (e->nchains == SGE_MAX_SIGNATURES)
				return fail(e, SGV_EFORMAT, "more certificate chains than signatures");
			int r = chain_framing(e, rd, rd_arg, off + 4, len);
			if (r)
				return r;
			e->chains[e->nchains].off = off + 4;
			e->chains[e->nchains].len = len;
			e->nchains++;
		} else if (type & SGE_CRITICAL) {
			return fail(e, SGV_EFORMAT, "unknown critical signature-area field");
		} else {
			e->unknown_noncritical++;
		}
		off += 4u + len;
		left -= 4u + len;
	}
	if (e->nchains > e->nsigs) /* TLVs come in any order: count at the end */
		return fail(e, SGV_EFORMAT, "more certificate chains than signatures");
	return SGV_OK;
}

int sgv_parse_msg(struct sgv_envelope *e, sgv_read_fn rd, void *rd_arg, uint64_t file_size)
{
	memset(e, 0, sizeof(*e));
	if (file_size < SGE_HEADER_SIZE)
		return fail(e, SGV_EFORMAT, "truncated (shorter than the header)");
	if (rd(rd_arg, 0, e->msg, SGE_HEADER_SIZE))
		return fail(e, SGV_EIO, "cannot read the header");
	int r = parse_header(e, file_size);
	if (r)
		return r;
	if (rd(rd_arg, SGE_HEADER_SIZE, e->msg + SGE_HEADER_SIZE, e->protected_size))
		return fail(e, SGV_EIO, "cannot read the protected area");
	return parse_protected(e);
}

int sgv_parse(struct sgv_envelope *e, sgv_read_fn rd, void *rd_arg, uint64_t file_size)
{
	int r = sgv_parse_msg(e, rd, rd_arg, file_size);
	return r ? r : parse_area(e, rd, rd_arg, file_size);
}

int sgv_check_digest(struct sgv_envelope *e, const struct sgv_crypto *c, sgv_read_fn rd,
		     void *rd_arg, uint8_t *work, size_t work_len)
{
	if (c->hash_init(c->hash_ctx, e->digest_alg))
		return fail(e, SGV_ECRYPTO, "hash init failed");
	uint64_t off = e->payload_off, left = e->payload_size;
	while (left) {
		size_t n = left < work_len ? (size_t)left : work_len;
		if (rd(rd_arg, off, work, n))
			return fail(e, SGV_EIO, "cannot read the payload");
		if (c->hash_update(c->hash_ctx, work, n))
			return fail(e, SGV_ECRYPTO, "hash update failed");
		off += n;
		left -= n;
	}
	if (c->hash_final(c->hash_ctx, e->computed_digest))
		return fail(e, SGV_ECRYPTO, "hash final failed");
	if (memcmp(e->computed_digest, e->digest, e->digest_len) != 0)
		return fail(e, SGV_EDIGEST, "payload does not match its digest");
	return SGV_OK;
}

int sgv_check_signatures(struct sgv_envelope *e, const struct sgv_crypto *c, sgv_read_fn rd,
			 void *rd_arg, unsigned threshold)
{
	uint32_t counted = 0; /* bit per trusted key index */
	e->valid_signers = 0;
	for (unsigned i = 0; i < e->nsigs; i++) {
		struct sgv_signature *s = &e->sigs[i];
		if (rd(rd_arg, s->sig_off, e->sig_buf, s->sig_len))
			return fail(e, SGV_EIO, "cannot read a signature");
		unsigned key_index = 0;
		int st = c->sig_verify(c->sig_arg, s->alg, s->key_id, e->msg, e->msg_len, e->sig_buf,
				       s->sig_len, &key_index);
		if (st < 0)
			return fail(e, SGV_ECRYPTO, "signature check failed internally");
		if (st == SGV_SIG_VALID && key_index < 32) {
			if (counted & (1u << key_index)) {
				st = SGV_SIG_DUPLICATE;
			} else {
				counted |= 1u << key_index;
				e->valid_signers++;
			}
		} else if (st == SGV_SIG_VALID) {
			st = SGV_SIG_INVALID; /* a callback bug must not count */
		}
		s->status = (uint8_t)st;
	}
	if (threshold == 0)
		threshold = 1;
	if (e->valid_signers < threshold)
		return fail(e, SGV_ETHRESHOLD,
			    e->valid_signers ? "not enough distinct trusted signers"
					     : "no valid signature by a trusted key");
	return SGV_OK;
}

int sgv_check_policy(struct sgv_envelope *e, const uint8_t *hw_id, size_t hw_id_len,
		     uint32_t min_counter)
{
	if (hw_id && (!e->has_hw_id || e->hw_id_len != hw_id_len ||
		      memcmp(e->hw_id, hw_id, hw_id_len) != 0))
		return fail(e, SGV_EHWID, e->has_hw_id ? "hardware id does not match"
							: "hardware id required but absent");
	if (e->security_counter < min_counter)
		return fail(e, SGV_ECOUNTER, "security counter below the minimum");
	return SGV_OK;
}

int sgv_verify(struct sgv_envelope *e, const struct sgv_crypto *c, sgv_read_fn rd,
	       void *rd_arg, uint64_t file_size, uint8_t *work, size_t work_len,
	       unsigned threshold, const uint8_t *hw_id, size_t hw_id_len, uint32_t min_counter)
{
	int r = sgv_parse(e, rd, rd_arg, file_size);
	if (!r)
		r = sgv_check_digest(e, c, rd, rd_arg, work, work_len);
	if (!r)
		r = sgv_check_signatures(e, c, rd, rd_arg, threshold);
	if (!r)
		r = sgv_check_policy(e, hw_id, hw_id_len, min_counter);
	return r;
}
