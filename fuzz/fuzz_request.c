/* libFuzzer harness for signing requests: the header decoder, then the
 * unsigned envelope body through the verifier core's message parser. */
#include <stdint.h>
#include <string.h>

#include "request.h"
#include "verifier.h"

struct mem {
	const uint8_t *p;
	size_t n;
};

static int rd(void *arg, uint64_t off, uint8_t *buf, size_t len)
{
	const struct mem *m = arg;
	if (off > m->n || len > m->n - off)
		return -1;
	memcpy(buf, m->p + off, len);
	return 0;
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
	struct mem body = { data + SG_REQ_HEADER_SIZE, (size_t)r.body_len };
	sgv_parse_msg(&e, rd, &body, r.body_len + SGE_AREA_HEADER_SIZE);
	return 0;
}
