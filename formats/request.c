#include "request.h"

#include <string.h>

static const uint8_t magic[8] = { 'S', 'G', 'N', 'R', 'E', 'Q', 0, SG_REQ_VERSION };

unsigned sg_request_digest_len(int alg)
{
	return alg == SGE_SIG_ECDSA_P384_SHA384 ? 48 : 32;
}

void sg_request_encode(const struct sg_request *r, uint8_t out[SG_REQ_HEADER_SIZE])
{
	memset(out, 0, SG_REQ_HEADER_SIZE);
	memcpy(out, magic, sizeof(magic));
	out[8] = r->image_format;
	out[9] = r->alg;
	sge_put32(out + 12, r->tbs_len);
	memcpy(out + 16, r->key_id, SGE_KEY_ID_SIZE);
	memcpy(out + 48, r->tbs_digest, sg_request_digest_len(r->alg));
	sge_put64(out + 96, r->body_len);
}

int sg_request_detect(const uint8_t *p, uint64_t n)
{
	return n >= 7 && !memcmp(p, magic, 7);
}

int sg_request_decode(const uint8_t *h, uint64_t file_size, const char *name,
		      struct sg_request *r, struct sg_err *err)
{
	if (file_size < SG_REQ_HEADER_SIZE || !sg_request_detect(h, file_size))
		return sg_errf(err, SG_EINPUT, "%s: not a signet signing request", name);
	if (h[7] != SG_REQ_VERSION)
		return sg_errf(err, SG_EINPUT, "%s: unsupported signing request version %u", name,
			       h[7]);
	memset(r, 0, sizeof(*r));
	r->image_format = h[8];
	r->alg = h[9];
	r->tbs_len = sge_get32(h + 12);
	memcpy(r->key_id, h + 16, SGE_KEY_ID_SIZE);
	memcpy(r->tbs_digest, h + 48, SGE_DIGEST_MAX);
	r->body_len = sge_get64(h + 96);
	if (r->image_format != SG_REQ_FORMAT_SIGNET && r->image_format != SG_REQ_FORMAT_MCUBOOT)
		return sg_errf(err, SG_EINPUT, "%s: unknown image format %u", name, r->image_format);
	if (r->alg < SGE_SIG_ECDSA_P256_SHA256 || r->alg > SGE_SIG_RSA_PSS_SHA256)
		return sg_errf(err, SG_EINPUT, "%s: unknown signature algorithm %u", name, r->alg);
	if (h[10] || h[11])
		return sg_errf(err, SG_EINPUT, "%s: reserved bytes not zero", name);
	for (unsigned i = sg_request_digest_len(r->alg); i < SGE_DIGEST_MAX; i++)
		if (h[48 + i])
			return sg_errf(err, SG_EINPUT, "%s: digest padding not zero", name);
	if (r->tbs_len == 0 || r->tbs_len > SG_REQ_TBS_MAX || r->tbs_len > r->body_len)
		return sg_errf(err, SG_EINPUT, "%s: signed length out of range", name);
	if (r->body_len != file_size - SG_REQ_HEADER_SIZE)
		return sg_errf(err, SG_EINPUT, "%s: %s", name,
			       r->body_len > file_size - SG_REQ_HEADER_SIZE ? "truncated"
									   : "trailing bytes");
	return SG_OK;
}
