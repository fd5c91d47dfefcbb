/* libFuzzer harness for signing requests: the header decoder, then the body
 * by image format: a signet envelope's through the verifier core's message
 * parser; an MCUboot image's through the parameter-block decoder and the
 * hashed-region checks (docs/signing-request.md, image format 2). */
#include <stdint.h>
#include <string.h>

#include "signet/mcuboot.h"
#include "signet/request.h"
#include "signet/verifier.h"
#include "fuzz_mem.h"

/* What completion relies on once the decoder and the checks accept. */
static void mcuboot_body(const struct sg_request *r, const uint8_t *body, size_t n)
{
	static struct sg_mcuboot_info info;
	struct sg_request_mcuboot p;
	struct sg_mcuboot_trailer_layout l;
	struct sg_err err;
	if (n < SG_REQ_MCUBOOT_PARAMS_SIZE + SG_MCUBOOT_HEADER_SIZE)
		__builtin_trap(); /* sg_request_decode promised this */
	if (sg_request_mcuboot_decode(body, r, "fuzz", &p, &err) != SG_OK)
		return;
	if (p.hashed_size != n - SG_REQ_MCUBOOT_PARAMS_SIZE ||
	    sg_mcuboot_trailer_layout(p.align, p.max_align, p.max_sectors, &l))
		__builtin_trap();
	struct mem img = { body + SG_REQ_MCUBOOT_PARAMS_SIZE, p.hashed_size };
	if (sg_request_mcuboot_check_image(&p, rd, &img, "fuzz", &info, &err) != SG_OK)
		return;
	const struct sg_mcuboot_header *h = &info.hdr;
	if (h->hdr_size != p.header_size ||
	    (uint64_t)h->hdr_size + h->img_size + h->protect_tlv_size != p.hashed_size)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sgv_envelope e;
	struct sg_request r;
	struct sg_err err;
	if (size < SG_REQ_HEADER_SIZE || sg_request_decode(data, size, "fuzz", &r, &err) != SG_OK)
		return 0;
	if (r.tbs_len > r.body_len || r.body_len != size - SG_REQ_HEADER_SIZE)
		__builtin_trap(); /* decode promised these */
	if (r.image_format == SG_REQ_FORMAT_MCUBOOT) {
		mcuboot_body(&r, data + SG_REQ_HEADER_SIZE, (size_t)r.body_len);
		return 0;
	}
	struct mem body = { data + SG_REQ_HEADER_SIZE, (size_t)r.body_len };
	sgv_parse_msg(&e, rd, &body, r.body_len + SGE_AREA_HEADER_SIZE);
	return 0;
}
