#include "signet/request.h"

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
	if (r->image_format == SG_REQ_FORMAT_MCUBOOT && r->tbs_len != sg_request_digest_len(r->alg))
		return sg_errf(err, SG_EINPUT, "%s: signed length %u is not the %u-byte image digest",
			       name, r->tbs_len, sg_request_digest_len(r->alg));
	if (r->image_format == SG_REQ_FORMAT_MCUBOOT &&
	    r->body_len < SG_REQ_MCUBOOT_PARAMS_SIZE + SG_MCUBOOT_HEADER_SIZE)
		return sg_errf(err, SG_EINPUT, "%s: body too short for an MCUboot request", name);
	if (r->body_len != file_size - SG_REQ_HEADER_SIZE)
		return sg_errf(err, SG_EINPUT, "%s: %s", name,
			       r->body_len > file_size - SG_REQ_HEADER_SIZE ? "truncated"
									   : "trailing bytes");
	return SG_OK;
}

/* ---- image format 2: MCUboot ---- */

void sg_request_mcuboot_encode(const struct sg_request_mcuboot *p,
			       uint8_t out[SG_REQ_MCUBOOT_PARAMS_SIZE])
{
	memset(out, 0, SG_REQ_MCUBOOT_PARAMS_SIZE);
	sge_put32(out, p->hashed_size);
	sge_put32(out + 4, p->slot_size);
	sge_put32(out + 8, p->max_sectors);
	sge_put16(out + 12, p->header_size);
	sge_put16(out + 14, p->digest_type);
	out[16] = p->align;
	out[17] = p->max_align;
	out[18] = p->flags;
}

static void mcuboot_fields(const uint8_t *in, struct sg_request_mcuboot *p)
{
	memset(p, 0, sizeof(*p));
	p->hashed_size = sge_get32(in);
	p->slot_size = sge_get32(in + 4);
	p->max_sectors = sge_get32(in + 8);
	p->header_size = sge_get16(in + 12);
	p->digest_type = sge_get16(in + 14);
	p->align = in[16];
	p->max_align = in[17];
	p->flags = in[18];
}

/* What the slot options must satisfy: the rules of signing itself
 * (docs/mcuboot.md §3), so that a request finishes as signing would. */
static int mcuboot_slot_rules(const struct sg_request_mcuboot *p, const char *name,
			      struct sg_err *err)
{
	struct sg_mcuboot_trailer_layout l;
	/* 0 means "default" to the layout function; here each is explicit. */
	if (!p->max_align || !p->max_sectors ||
	    sg_mcuboot_trailer_layout(p->align, p->max_align, p->max_sectors, &l))
		return sg_errf(err, SG_EINPUT,
			       "%s: MCUboot parameters: align %u, max align %u, max sectors %u: "
			       "not a trailer MCUboot supports",
			       name, p->align, p->max_align, p->max_sectors);
	if ((p->flags & SG_REQ_MCUBOOT_F_CONFIRM) && !(p->flags & SG_REQ_MCUBOOT_F_PAD_SLOT))
		return sg_errf(err, SG_EINPUT, "%s: MCUboot parameters: confirm without pad", name);
	if ((p->flags & SG_REQ_MCUBOOT_F_PAD_SLOT) && !p->slot_size)
		return sg_errf(err, SG_EINPUT, "%s: MCUboot parameters: pad without a slot size",
			       name);
	if ((p->flags & SG_REQ_MCUBOOT_F_PAD_SLOT) && p->slot_size % p->max_align)
		return sg_errf(err, SG_EINPUT,
			       "%s: MCUboot parameters: slot size 0x%x is not a multiple of the "
			       "maximum alignment %u",
			       name, p->slot_size, p->max_align);
	return SG_OK;
}

int sg_request_mcuboot_decode(const uint8_t in[SG_REQ_MCUBOOT_PARAMS_SIZE],
			      const struct sg_request *r, const char *name,
			      struct sg_request_mcuboot *p, struct sg_err *err)
{
	mcuboot_fields(in, p);
	for (unsigned i = 19; i < SG_REQ_MCUBOOT_PARAMS_SIZE; i++)
		if (in[i])
			return sg_errf(err, SG_EINPUT,
				       "%s: MCUboot parameters: reserved bytes not zero", name);
	if (p->flags & ~SG_REQ_MCUBOOT_F_ALL)
		return sg_errf(err, SG_EINPUT, "%s: MCUboot parameters: unknown flags 0x%02x", name,
			       p->flags & ~SG_REQ_MCUBOOT_F_ALL);
	if (p->header_size < SG_MCUBOOT_HEADER_SIZE)
		return sg_errf(err, SG_EINPUT,
			       "%s: MCUboot parameters: header size %u is below the %d-byte MCUboot "
			       "header",
			       name, p->header_size, SG_MCUBOOT_HEADER_SIZE);
	int rc = mcuboot_slot_rules(p, name, err);
	if (rc)
		return rc;
	uint16_t want = r->alg == SGE_SIG_ECDSA_P384_SHA384 ? SG_MCUBOOT_TLV_SHA384
							    : SG_MCUBOOT_TLV_SHA256;
	if (p->digest_type != want)
		return sg_errf(err, SG_EINPUT,
			       "%s: MCUboot parameters: digest TLV type 0x%04x, this algorithm "
			       "needs 0x%04x",
			       name, p->digest_type, want);
	if (p->hashed_size != r->body_len - SG_REQ_MCUBOOT_PARAMS_SIZE)
		return sg_errf(err, SG_EINPUT,
			       "%s: MCUboot parameters: hashed size 0x%x does not match the "
			       "0x%llx-byte body",
			       name, p->hashed_size, (unsigned long long)r->body_len);
	if (p->hashed_size < p->header_size)
		return sg_errf(err, SG_EINPUT,
			       "%s: MCUboot parameters: hashed size 0x%x is below the header size %u",
			       name, p->hashed_size, p->header_size);
	/* As when signing: every offset bootutil computes is 32-bit. */
	if ((uint64_t)p->hashed_size + SG_MCUBOOT_TLV_AREA_MAX + 1 > UINT32_MAX)
		return sg_errf(err, SG_EINPUT,
			       "%s: MCUboot parameters: hashed size 0x%x is too large for an MCUboot "
			       "image",
			       name, p->hashed_size);
	return SG_OK;
}

int sg_request_mcuboot_check_image(const struct sg_request_mcuboot *p, sg_mcuboot_read_fn rd,
				   void *arg, const char *name, struct sg_mcuboot_info *info,
				   struct sg_err *err)
{
	int rc = sg_mcuboot_parse_hashed(info, rd, arg, p->hashed_size, err);
	if (rc && err) {
		char msg[sizeof(err->msg)];
		memcpy(msg, err->msg, sizeof(msg));
		msg[sizeof(msg) - 1] = 0;
		return sg_errf(err, rc, "%s: image in the request: %s", name, msg);
	}
	if (rc)
		return rc;
	if (info->hdr.hdr_size != p->header_size)
		return sg_errf(err, SG_EINPUT,
			       "%s: the image header says header size %u, the parameters %u", name,
			       info->hdr.hdr_size, p->header_size);
	/* signet prepares plain images, RAM_LOAD at most: anything else
	 * (encryption, compression) would need more than a signature. */
	if (info->hdr.flags & ~SG_MCUBOOT_F_RAM_LOAD)
		return sg_errf(err, SG_EINPUT,
			       "%s: image header flags 0x%08x: only RAM_LOAD can be completed", name,
			       info->hdr.flags);
	return SG_OK;
}
